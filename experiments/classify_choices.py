"""The effect of each modelling choice on a sequence classifier, with several seeds.

Task: the 8x8 handwritten digits read row by row (8 steps of 8 pixels), rnnlab.datasets,
split 60/20/20 with seed 0.  Baseline: GRU, H=32, one layer, left-to-right, no dropout,
orthogonal recurrent weights.  Every other row changes ONE choice.  Each run: Adam
(lr 1e-2), batches of 32, at most --steps steps, validation loss every 50 steps, early
stopping (patience 4) restores the best parameters; then the test accuracy.

Run (about 10 minutes on one core):
    OMP_NUM_THREADS=1 python experiments/classify_choices.py
writes experiments/results/classify_choices.json, which notebook 08 loads.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

import rnnlab
from rnnlab.classifier import SequenceClassifier, fit_classifier
from rnnlab.datasets import digits_splits
from rnnlab.padding import PaddedBatches

BASELINE = dict(cell="gru", num_layers=1, bidirectional=False, dropout=0.0, recurrent_init="orthogonal")
CHOICES = [
    ("baseline (GRU, 1 layer, orthogonal)", {}),
    ("cell: vanilla RNN", {"cell": "rnn"}),
    ("cell: LSTM", {"cell": "lstm"}),
    ("depth: 2 layers", {"num_layers": 2}),
    ("bidirectional", {"bidirectional": True}),
    ("dropout 0.3", {"dropout": 0.3}),
    ("init: N(0, 1/H) recurrent", {"recurrent_init": "lecun_normal"}),
    ("vanilla RNN + N(0, 1/H) init", {"cell": "rnn", "recurrent_init": "lecun_normal"}),
]


def run_one(task, config, seed, steps, hidden_size=32, batch_size=32, lr=1e-2, patience=4):
    (xtr, ytr), (xva, yva), (xte, yte) = task
    model = SequenceClassifier(10, hidden_size, input_dim=xtr.shape[2], rng=np.random.default_rng(seed), **config)
    lengths = np.full(len(ytr), xtr.shape[1], np.int64)
    batches = PaddedBatches(xtr, lengths, ytr, batch_size, seed=seed)
    t0 = time.perf_counter()
    history, es = fit_classifier(model, batches, xva, yva, steps=steps, lr=lr, patience=patience)
    return {
        "seed": seed, "test_accuracy": model.accuracy(xte, yte), "val_loss": es.best,
        "best_step": es.best_step, "steps_run": history.steps, "seconds": time.perf_counter() - t0,
    }


def summarise(runs):
    acc = np.array([r["test_accuracy"] for r in runs])
    return {"mean": float(acc.mean()), "std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
            "min": float(acc.min()), "max": float(acc.max())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "classify_choices.json"))
    args = ap.parse_args()
    task = digits_splits("rows")
    rows = []
    for name, change in CHOICES:
        config = {**BASELINE, **change}
        runs = [run_one(task, config, seed, args.steps) for seed in range(args.seeds)]
        rows.append({"choice": name, "config": config, "runs": runs, **summarise(runs)})
        print(f"{name:<36} test acc {rows[-1]['mean']:.3f} +- {rows[-1]['std']:.3f}  "
              f"({sum(r['seconds'] for r in runs):.0f} s)", flush=True)
    result = {
        "command": "OMP_NUM_THREADS=1 python experiments/classify_choices.py"
                   + (f" --steps {args.steps}" if args.steps != 1500 else "")
                   + (f" --seeds {args.seeds}" if args.seeds != 5 else ""),
        "task": "digits row by row (8 steps of 8 pixels), split 60/20/20 seed 0, "
                f"{len(task[0][1])}/{len(task[1][1])}/{len(task[2][1])} images",
        "training": f"Adam lr 1e-2, batch 32, at most {args.steps} steps, clip 5, val every 50, "
                    "early stopping patience 4 (best parameters restored), H=32, float32",
        "spread": "std is the sample standard deviation over seeds (ddof=1)",
        "baseline": BASELINE, "seeds": list(range(args.seeds)), "rows": rows,
        "python": platform.python_version(), "numpy": np.__version__, "rnnlab": rnnlab.__version__,
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
