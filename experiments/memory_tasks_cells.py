"""Notebook 06, sections 5-6: the two memory tasks over seeds, and what sets the delay-k cliff.

    python experiments/memory_tasks_cells.py              # about 4 CPU minutes
    python experiments/memory_tasks_cells.py --seeds 0    # a quick look

Three measurements, each with seeds 0 1 2 (the routine is notebook 04's
``delay_memory_curve`` / ``rnnlab.teaching.tasks.memory_task_curve``; a seed fixes the
weights and every batch):

1. "delay_by_H": the vanilla RNN on delay-k, k = 0..7, with H = 8, 32, 128 (200 Adam
   steps, notebook 04's budget) and H = 32 with 600 steps.  If the cliff were set by a vanishing gradient, more units would not
   move it; if it is set by capacity (k letters held at once in H numbers), they do.
2. "recall": long recall (one letter, gap k = 4, 8, 12, 16), every cell, H = 32,
   600 steps: the same cells on a task that needs span, not capacity.
3. "gradient": at a fresh vanilla cell (H = 8, 32, 128), ||dL/dh_{T-1-k}|| for a loss
   on the last of 16 steps (``gradient_norms_through_time``), k = 0..7: how much
   gradient the delays of (1) have to work with before any training.

Writes experiments/results/memory_tasks_cells.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import rnnlab  # noqa: E402

from rnnlab.teaching.gated_experiments import (CELL_NAMES, gradient_norms_through_time,  # noqa: E402
                                               recall_accuracy)
from rnnlab.teaching.tasks import memory_task_curve  # noqa: E402

HERE = Path(__file__).resolve().parent

from _record import command_line, rnnlab_version  # noqa: E402


DELAY_KS = list(range(0, 8))
DELAY_RUNS = [(8, 200), (32, 200), (128, 200), (32, 600)]  # (H, steps)
GRADIENT_HS = [8, 32, 128]
RECALL_KS = [4, 8, 12, 16]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", default=str(HERE / "results" / "memory_tasks_cells.json"))
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass
    start = time.process_time()

    delay = []
    for H, steps in DELAY_RUNS:
        runs = [memory_task_curve("delay", DELAY_KS, cell="rnn", hidden_size=H, steps=steps, seed=s)["accuracy"]
                for s in args.seeds]
        acc = np.array(runs)
        delay.append({"H": H, "steps": steps, "k": DELAY_KS, "accuracy": np.round(acc, 4).tolist(),
                      "mean": np.round(acc.mean(0), 4).tolist()})
        print(f"delay rnn H={H:3d} steps={steps}: mean", " ".join(f"{a:.2f}" for a in acc.mean(0)), flush=True)

    recall = {}
    for cell in CELL_NAMES:
        acc = np.array([recall_accuracy(cell, RECALL_KS, hidden_size=32, steps=600, seed=s)["accuracy"]
                        for s in args.seeds])
        recall[cell] = {"k": RECALL_KS, "accuracy": np.round(acc, 4).tolist(), "mean": np.round(acc.mean(0), 4).tolist(),
                        "min": np.round(acc.min(0), 4).tolist(), "max": np.round(acc.max(0), 4).tolist()}
        print(f"recall {cell:5s}: min", " ".join(f"{a:.2f}" for a in acc.min(0)),
              " max", " ".join(f"{a:.2f}" for a in acc.max(0)), flush=True)

    gradient = {}
    for H in GRADIENT_HS:
        norms = np.array([gradient_norms_through_time("rnn", 16, H=H, seed=s)["dh"][::-1][:len(DELAY_KS)]
                          for s in args.seeds])
        gradient[str(H)] = {"k": DELAY_KS, "mean": [float(f"{v:.3g}") for v in norms.mean(0)]}

    result = {"command": command_line("memory_tasks_cells.py", sys.argv[1:] if argv is None else argv),
              "seeds": args.seeds, "chance": round(1 / 26, 4), "solved_threshold": 0.95,
              "delay_by_H": delay, "recall": recall, "gradient": gradient,
              "cpu_seconds": round(time.process_time() - start, 1),
              "environment": {"rnnlab": rnnlab_version(), "python": platform.python_version(), "numpy": np.__version__,
                              "date": time.strftime("%Y-%m-%d")}}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out} ({result['cpu_seconds']} CPU seconds)")
    return result


if __name__ == "__main__":
    main()
