"""The encoder-decoder bottleneck, measured: exact-match accuracy against input length, with and without attention.

    python experiments/seq2seq_dates.py            # about 10 minutes on one core
    python experiments/seq2seq_dates.py --steps 200 --out /tmp/quick.json   # a quick look

Task: rnnlab.dates with one to three dates per input ("3rd of May 1999; 05/06/01")
-> their ISO forms ("1999-05-03 2001-05-06"): the longer the input, the more the
model must carry.  Two GRU encoder-decoders, identical except for attention
(rnnlab.seq2seq: None reads one fixed summary vector at every step, "dot" reads
the source through attention), same data, same seed, same number of Adam steps.

Writes experiments/results/seq2seq_dates.json: the settings, each model's
exact-match accuracy by number of dates and by input-length bucket, greedy
against beam search for the attention model, and the seconds taken.  Notebook 07
loads and quotes it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from rnnlab.dates import SOURCE_VOCAB, TARGET_VOCAB, batches, date_splits, decode_target, exact_match
from rnnlab.decoding import beam_search, greedy_decode
from rnnlab.optim import Adam
from rnnlab.seq2seq import Seq2Seq
from rnnlab.train import train

HERE = Path(__file__).resolve().parent
BUCKETS = [(1, 20), (20, 40), (40, 60), (60, 80), (80, 100), (100, 200)]


def by_length(hits, lengths):
    rows = []
    for a, b in BUCKETS:
        sel = (lengths >= a) & (lengths < b)
        if sel.sum():
            rows.append({"chars": [a, b - 1], "n": int(sel.sum()), "accuracy": round(float(hits[sel].mean()), 4)})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--max-dates", type=int, default=3)
    ap.add_argument("--beam-examples", type=int, default=300)
    ap.add_argument("--out", default=str(HERE / "results" / "seq2seq_dates.json"))
    args = ap.parse_args(argv)

    settings = dict(n_train=8000, n_val=200, n_test=600, seed=0, max_dates=args.max_dates, batch_size=64,
                    steps=args.steps, lr=0.01, clip_norm=5.0, cell="gru", embed_dim=16, enc_hidden=32,
                    dec_hidden=64, beam_width=4, length_penalty=1.0)
    sp = date_splits(settings["n_train"], settings["n_val"], settings["n_test"], seed=0, max_dates=args.max_dates)
    test = sp["test"]
    k = np.array([len(f) for f in test.fmt])
    max_len = 11 * args.max_dates
    given = sys.argv[1:] if argv is None else list(argv)
    results = {"command": " ".join(["python experiments/seq2seq_dates.py"] + given),
               "settings": settings, "python": platform.python_version(), "models": {}}
    for attention in (None, "dot"):
        name = "attention" if attention else "no_attention"
        model = Seq2Seq(len(SOURCE_VOCAB), len(TARGET_VOCAB), embed_dim=16, enc_hidden=32, dec_hidden=64,
                        cell="gru", attention=attention, rng=np.random.default_rng(0))
        start = time.perf_counter()
        hist = train(model, batches(sp["train"], 64, np.random.default_rng(1)), Adam(lr=0.01), epochs=10 ** 6,
                     max_steps=args.steps, progress=False)
        seconds = time.perf_counter() - start
        out, _ = greedy_decode(model, test.x, max_len=max_len)
        acc, hits = exact_match([decode_target(o) for o in out], test)
        entry = {
            "params": model.num_params(), "train_seconds": round(seconds, 1),
            "final_train_loss": round(float(np.mean(hist.losses[-50:])), 4),
            "exact_match": round(acc, 4),
            "by_dates": [{"dates": j, "n": int((k == j).sum()), "mean_chars": round(float(test.lengths[k == j].mean()), 1),
                          "accuracy": round(float(hits[k == j].mean()), 4)} for j in range(1, args.max_dates + 1)],
            "by_length": by_length(hits, test.lengths),
        }
        if attention:
            n = args.beam_examples
            beam_out = [beam_search(model, test.x[i:i + 1], beam_width=4, max_len=max_len)[0].symbols
                        for i in range(n)]
            sub = test.subset(np.arange(n))
            b_acc, b_hits = exact_match([decode_target(o) for o in beam_out], sub)
            g_hits = hits[:n]
            differ = [i for i in range(n) if beam_out[i] != out[i]]
            entry["greedy_vs_beam"] = {
                "examples": n, "greedy": round(float(g_hits.mean()), 4), "beam": round(b_acc, 4),
                "outputs_differ": len(differ),
                "beam_right_greedy_wrong": int((b_hits & ~g_hits).sum()),
                "greedy_right_beam_wrong": int((g_hits & ~b_hits).sum()),
                "cases": [{"input": sub.human[i], "answer": sub.iso[i], "greedy": decode_target(out[i]),
                           "beam": decode_target(beam_out[i])} for i in differ[:5]],
            }
        results["models"][name] = entry
        print(name, json.dumps(entry)[:300], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
