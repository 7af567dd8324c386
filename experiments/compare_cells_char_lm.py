"""Notebook 06, section 7: the three cells as character models at equal parameters and equal time.

    python experiments/compare_cells_char_lm.py                # 60 CPU seconds per cell and seed, seeds 0 1 2
    python experiments/compare_cells_char_lm.py --seconds 5    # a quick look
    python experiments/compare_cells_char_lm.py --jobs 3       # the seeds side by side (what was stored)

For each seed and each cell (vanilla RNN H = 128, and the GRU and LSTM whose hidden
sizes give the same parameter count, `matched_hidden_sizes`), train notebook 05's
character model (embedding 32, Adam lr 3e-3, windows of 50, batches of 32, state
carried) on the shipped corpus for the same number of CPU seconds on one BLAS thread,
then measure bits per character on the whole validation split (state carried).
CPU seconds, not wall seconds: on a shared machine other programs do not change
how much work each cell gets.  Writes experiments/results/compare_cells_char_lm.json
(per seed and summarised: mean, sample standard deviation, min, max).  About
3 x 3 x (60 s + evaluation), i.e. 10 CPU minutes at the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab.teaching.gated_experiments import (CELL_NAMES, compare_char_lm, flops_per_char,  # noqa: E402
                                               matched_hidden_sizes)
from rnnlab.teaching.tasks import unigram_bits_per_char  # noqa: E402

HERE = Path(__file__).resolve().parent

from _record import command_line, rnnlab_version  # noqa: E402


EMBED, REFERENCE_H = 32, 128


def summary(values):
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "min": float(v.min()), "max": float(v.max())}


def run_seed(train_ids, val_ids, V, sizes, seconds, seed, path):
    """One seed: every cell trained for ``seconds`` CPU seconds.  Returns dict cell -> numbers to store."""
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass
    res = compare_char_lm(train_ids, val_ids, V, sizes, time_limit=seconds, clock="cpu", seed=seed,
                          val_chars=None, path=path)
    out = {}
    for cell, r in res.items():
        out[cell] = {"steps": r["steps"], "cpu_seconds": round(r["cpu_seconds"], 2),
                     "wall_seconds": round(r["seconds"], 2), "val_bits": round(r["val_bits"], 4),
                     "path": getattr(r["model"].cell, "path", "reference (no path option)")}
        print(f"seed {seed} {cell:5s} H={r['H']:3d} steps {r['steps']:5d} cpu {r['cpu_seconds']:.1f} s "
              f"wall {r['seconds']:.1f} s  val {r['val_bits']:.3f} bits/char", flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="CPU seconds of training per cell and seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--path", default=None, help='SequenceModel(path=...): "reference" or "fast" (default: the model\'s)')
    ap.add_argument("--jobs", type=int, default=1,
                    help="run the seeds in this many processes at once (each run's CPU budget is unchanged)")
    ap.add_argument("--out", default=str(HERE / "results" / "compare_cells_char_lm.json"))
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass

    text = rnnlab.load_corpus()
    vocab = rnnlab.Vocab.from_text(text)
    train_ids, val_ids = rnnlab.train_val_split(vocab.encode(text), val_fraction=0.1)
    V = len(vocab)
    sizes = matched_hidden_sizes(V, EMBED, REFERENCE_H)
    sizes = {cell: sizes[cell] for cell in CELL_NAMES}
    runs = {cell: [] for cell in sizes}
    path_used = {}
    jobs = [(train_ids, val_ids, V, sizes, args.seconds, seed, args.path) for seed in args.seeds]
    if args.jobs > 1:
        from multiprocessing import Pool

        with Pool(min(args.jobs, len(jobs))) as pool:
            per_seed = pool.starmap(run_seed, jobs)
    else:
        per_seed = [run_seed(*job) for job in jobs]
    for seed, res in zip(args.seeds, per_seed):
        for cell, r in res.items():
            path_used[cell] = r.pop("path")
            runs[cell].append({"seed": seed, **r})

    result = {
        "command": command_line("compare_cells_char_lm.py", sys.argv[1:] if argv is None else argv),
        "settings": {"cpu_seconds_per_run": args.seconds, "seeds": args.seeds, "embed_dim": EMBED,
                     "reference": f"rnn H={REFERENCE_H}", "batch_size": 32, "seq_len": 50, "lr": 3e-3,
                     "clip_norm": 5.0, "blas_threads": 1, "jobs": args.jobs, "validation": "whole validation split, state carried"},
        "environment": {"rnnlab": rnnlab_version(), "python": platform.python_version(), "numpy": np.__version__,
                        "machine": platform.machine(), "date": time.strftime("%Y-%m-%d")},
        "V": V,
        "unigram_bits": round(unigram_bits_per_char(train_ids, val_ids, V), 4),
        "cells": {cell: {"H": H, "params": rnnlab.SequenceModel(V, H, embed_dim=EMBED, cell=cell).num_params(),
                         "flops_per_char": flops_per_char(cell, V, H, EMBED), "path": path_used[cell],
                         "runs": runs[cell],
                         "val_bits": {k: round(v, 4) for k, v in summary([r["val_bits"] for r in runs[cell]]).items()},
                         "steps": {k: round(v, 1) for k, v in summary([r["steps"] for r in runs[cell]]).items()}}
                  for cell, H in sizes.items()},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
