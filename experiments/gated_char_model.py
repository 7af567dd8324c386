"""Notebook 06, section 8: a gated character model trained long enough to look inside.

    python experiments/gated_char_model.py                  # 240 CPU seconds, one BLAS thread
    python experiments/gated_char_model.py --seconds 30     # a quick look

Trains an LSTM character model (H = 128, embedding 32, Adam lr 3e-3 then 1e-3 for the
last quarter, windows of 100, batches of 32, state carried) on the shipped corpus for a
fixed number of CPU seconds, then, on the first 20,000 validation characters:
the validation bits per character, and for each of notebook 05's indicators of
quotes and brackets (``rnnlab.teaching.tasks.indicator``) the hidden unit whose
activation correlates best with it (``best_unit``, Pearson r over the 20,000 steps).

Writes
  experiments/results/gated_char_model.npz   the trained parameters (float32, compressed)
  experiments/results/gated_char_model.json  settings, training curve, bits/char, units and their r
Notebook 06 loads them with ``rnnlab.teaching.gated_experiments.load_char_model``, recomputes the
hidden states and shows the units.
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
from rnnlab.optim import Adam  # noqa: E402
from rnnlab.teaching.tasks import best_unit, indicator, nats_to_bits, unigram_bits_per_char  # noqa: E402

HERE = Path(__file__).resolve().parent

from _record import command_line, rnnlab_version  # noqa: E402


KINDS = ('inside "..."', "inside (...)", "inside [...]", "inside '...'")
EVAL_CHARS = 20_000


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=240.0, help="CPU seconds of training")
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results" / "gated_char_model"))
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass

    text = rnnlab.load_corpus()
    vocab = rnnlab.Vocab.from_text(text)
    ids = vocab.encode(text)
    train_ids, val_ids = rnnlab.train_val_split(ids, val_fraction=0.1)
    V = len(vocab)
    settings = {"cell": args.cell, "H": args.hidden, "embed_dim": 32, "batch_size": 32, "seq_len": 100,
                "lr": [3e-3, 1e-3], "clip_norm": 5.0, "cpu_seconds": args.seconds, "seed": args.seed,
                "blas_threads": 1}
    model = rnnlab.SequenceModel(V, args.hidden, embed_dim=32, cell=args.cell, rng=np.random.default_rng(args.seed))
    batches = rnnlab.SequenceBatcher(train_ids, 32, 100)
    opt = Adam(lr=3e-3)
    start = time.process_time()
    curve = []

    def budget(info):
        used = time.process_time() - start
        if used > 0.75 * args.seconds and opt.lr > 1e-3:
            opt.lr = 1e-3  # a smaller step for the last quarter
        if info.step % 100 == 0:
            curve.append([info.step, round(nats_to_bits(float(np.mean(info.history.losses[-100:]))), 4)])
            print(f"step {info.step:6d}  cpu {used:6.0f} s  train {curve[-1][1]:.3f} bits/char", flush=True)
        return used > args.seconds

    history = rnnlab.train(model, batches, optimizer=opt, epochs=1000, clip_norm=5.0, carry_state=True,
                           progress=False, callbacks=(budget,))
    cpu = time.process_time() - start
    for v in model.params.values():  # what is stored is float32: measure that model
        v[...] = v.astype(np.float32)

    val_text = vocab.decode(val_ids[:EVAL_CHARS])
    val_bits = nats_to_bits(rnnlab.evaluate(model, rnnlab.SequenceBatcher(val_ids[:EVAL_CHARS], 1, EVAL_CHARS - 1)))
    h = model.hidden_states(np.asarray(val_ids[:EVAL_CHARS])[None, :])[0]
    units = {}
    for kind in KINDS:
        signal = indicator(val_text, kind)
        unit, r = best_unit(h, signal)
        units[kind] = {"unit": unit, "r": round(r, 3), "fraction_inside": round(float(signal.mean()), 4)}
        print(f"{kind:14s} best unit {unit:3d}  r = {r:+.3f}")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out.with_suffix(".npz"), **{k: v.astype(np.float32) for k, v in model.params.items()})
    info = {"command": command_line("gated_char_model.py", sys.argv[1:] if argv is None else argv),
            "settings": settings, "V": V, "steps": history.steps, "cpu_seconds": round(cpu, 1),
            "environment": {"rnnlab": rnnlab_version(), "python": platform.python_version(), "numpy": np.__version__,
                            "date": time.strftime("%Y-%m-%d")},
            "curve": curve, "eval_chars": EVAL_CHARS, "val_bits": round(val_bits, 4),
            "unigram_bits": round(unigram_bits_per_char(train_ids, val_ids, V), 4),
            "units": units}
    out.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"wrote {out.with_suffix('.npz')} and {out.with_suffix('.json')}")
    return info


if __name__ == "__main__":
    main()
