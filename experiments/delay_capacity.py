"""What limits a vanilla RNN on notebook 04's delay-k task: capacity or the gradient's span?

Run from the repository root:

    OMP_NUM_THREADS=1 python experiments/delay_capacity.py

Two measurements, both with rnnlab.teaching.tasks.memory_task_curve (the routine notebook 04 calls,
seed 0, Adam lr 1e-2, no clipping, sequences of 16 for delay-k, 512 fresh test sequences per point):

1. delay-k (hold the last k letters at once) for hidden sizes H = 16, 32, 64, 128 at 200 and 600
   training steps: if the cliff is a capacity limit it moves out as H grows;
2. long recall (hold ONE letter for k steps) for the same vanilla cell, H = 32, at the same 200 and
   600 steps: the gradient has to travel exactly as far back as in delay-k, so if recall succeeds
   at a k where delay-k fails, the delay-k cliff is not a vanishing-gradient limit.

Writes experiments/results/delay_capacity.json (about 6 minutes on one core).
"""

import json
import pathlib
import platform
import time

import numpy as np

from rnnlab.teaching.tasks import memory_task_curve

OUT = pathlib.Path(__file__).resolve().parent / "results" / "delay_capacity.json"
DELAY_KS = list(range(0, 9))
RECALL_KS = [2, 3, 4, 5, 6, 8]
HIDDEN_SIZES = [16, 32, 64, 128]
STEPS = [200, 600]


def largest_solved(ks, accs, level=0.9):
    """Largest k such that every k' <= k reaches ``level`` (-1: none)."""
    best = -1
    for k, a in zip(ks, accs):
        if a < level:
            break
        best = k
    return best


def main():
    start = time.perf_counter()
    delay, recall = [], []
    for steps in STEPS:
        for H in HIDDEN_SIZES:
            r = memory_task_curve("delay", DELAY_KS, hidden_size=H, steps=steps)
            delay.append({"hidden_size": H, "steps": steps, "k": r["k"],
                          "accuracy": [round(a, 4) for a in r["accuracy"]],
                          "largest_k_at_90": largest_solved(r["k"], r["accuracy"])})
            print(f"delay  H={H:3d} steps={steps:4d}", " ".join(f"{a:.2f}" for a in r["accuracy"]), flush=True)
        r = memory_task_curve("recall", RECALL_KS, hidden_size=32, steps=steps)
        recall.append({"hidden_size": 32, "steps": steps, "k": r["k"],
                       "accuracy": [round(a, 4) for a in r["accuracy"]]})
        print(f"recall H= 32 steps={steps:4d}", " ".join(f"k={k}: {a:.2f}" for k, a in zip(r["k"], r["accuracy"])),
              flush=True)
    result = {
        "command": "python experiments/delay_capacity.py",
        "settings": {"cell": "rnn", "activation": "tanh", "recurrent_init": "orthogonal", "lr": 1e-2,
                     "batch_size": 32, "T_delay": 16, "n_test": 512, "seed": 0, "clip_norm": None},
        "delay": delay,
        "recall": recall,
        "seconds": round(time.perf_counter() - start, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUT} in {result['seconds']} s")


if __name__ == "__main__":
    main()
