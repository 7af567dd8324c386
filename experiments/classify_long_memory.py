"""Long memory: the digits read pixel by pixel (64 steps of 1 pixel), vanilla RNN vs GRU vs LSTM.

The first rows of a digit are 56 or more steps behind when the class is read from the
last state, so the gradient that teaches the model to use them crosses 56+ recurrent
steps: the test where gated cells should beat the vanilla one.  Same split and recipe
as experiments/classify_choices.py (Adam lr 1e-2, batch 32, clip 5, val every 50,
early stopping patience 4), H=32, orthogonal recurrent weights, at most --steps steps.

Run (about 10 minutes on one core):
    OMP_NUM_THREADS=1 python experiments/classify_long_memory.py
writes experiments/results/classify_long_memory.json, which notebook 08 loads.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

import rnnlab
from rnnlab.datasets import digits_splits

from classify_choices import BASELINE, run_one, summarise  # the same recipe, next to this file

CELLS = ("rnn", "gru", "lstm")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "classify_long_memory.json"))
    args = ap.parse_args()
    results = {}
    for mode in ("rows", "pixels"):
        task = digits_splits(mode)
        results[mode] = []
        for cell in CELLS:
            config = {**BASELINE, "cell": cell}
            runs = [run_one(task, config, seed, args.steps) for seed in range(args.seeds)]
            results[mode].append({"cell": cell, "runs": runs, **summarise(runs)})
            r = results[mode][-1]
            print(f"{mode:<7} {cell:<5} test acc {r['mean']:.3f} +- {r['std']:.3f} "
                  f"({sum(x['seconds'] for x in runs):.0f} s)", flush=True)
    out = {
        "command": "OMP_NUM_THREADS=1 python experiments/classify_long_memory.py"
                   + (f" --steps {args.steps}" if args.steps != 1500 else "")
                   + (f" --seeds {args.seeds}" if args.seeds != 3 else ""),
        "task": "digits, 'rows' = 8 steps of 8 pixels, 'pixels' = 64 steps of 1 pixel; split 60/20/20 seed 0",
        "training": f"Adam lr 1e-2, batch 32, at most {args.steps} steps, clip 5, val every 50, "
                    "early stopping patience 4 (best parameters restored), H=32, 1 layer, orthogonal, float32",
        "spread": "std is the sample standard deviation over seeds (ddof=1)",
        "seeds": list(range(args.seeds)), "results": results,
        "python": platform.python_version(), "numpy": np.__version__, "rnnlab": rnnlab.__version__,
    }
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
