"""Does a longer-trained notebook-05 character model grow units that track quotes or brackets?

Run from the repository root:

    OMP_NUM_THREADS=1 python experiments/char_lm_units.py

Trains notebook 05's model (rnnlab's shipped corpus, the dashboard defaults: vanilla tanh RNN, H = 128,
windows of T = 50, batch 32, Adam lr 3e-3, clip 5, state carried, seed 0) for a fixed number of steps,
and at 150 steps (the notebook's run) and at each later checkpoint records

* the validation loss on the WHOLE validation split (bits per character, state carried) and the
  unigram baseline;
* for every indicator of rnnlab.teaching.tasks.INDICATORS, the unit with the largest |r| on the
  4000-character passage notebook 05 uses, and that unit's r on a second, disjoint 4000-character
  passage (a unit that really tracks something keeps its r there).

Writes experiments/results/char_lm_units.json (a few minutes on one core).
"""

import json
import pathlib
import platform
import time

import numpy as np

from rnnlab import SequenceBatcher, SequenceModel, Vocab, evaluate, load_corpus, make_optimizer, train, train_val_split
from rnnlab.teaching.dashboard import char_lm_config
from rnnlab.teaching.tasks import INDICATORS, indicator, nats_to_bits, unigram_bits_per_char, unit_correlations

OUT = pathlib.Path(__file__).resolve().parent / "results" / "char_lm_units.json"
CHECKPOINTS = [150, 1500, 5000]


def unit_report(model, vocab, text, val_start):
    passages = [text[val_start + i * 4000: val_start + (i + 1) * 4000] for i in (0, 1)]
    hs = [model.hidden_states(vocab.encode(p)[None])[0] for p in passages]
    out = {}
    for kind in INDICATORS:
        signals = [indicator(p, kind) for p in passages]
        if min(s.std() for s in signals) == 0:
            continue
        r0 = unit_correlations(hs[0], signals[0])
        unit = int(np.argmax(np.abs(r0)))
        r1 = unit_correlations(hs[1], signals[1])
        out[kind] = {"unit": unit, "r": round(float(r0[unit]), 3), "r_second_passage": round(float(r1[unit]), 3)}
    return out


def main():
    start = time.perf_counter()
    c = char_lm_config()
    text = load_corpus(None)
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    train_ids, val_ids = train_val_split(ids, val_fraction=0.1)
    val_start = len(text) - len(val_ids)
    unigram = unigram_bits_per_char(train_ids, val_ids, len(vocab))
    model = SequenceModel(vocab, c["hidden_size"], activation=c["activation"], rng=np.random.default_rng(0))
    batches = SequenceBatcher(train_ids, c["batch_size"], c["seq_len"])
    optimizer = make_optimizer(c["optimizer"], c["lr"])
    val_batches = SequenceBatcher(val_ids, 32, 100)
    rows, done, seconds = [], 0, 0.0
    for target in CHECKPOINTS:
        t0 = time.perf_counter()
        history = train(model, batches, optimizer=optimizer, epochs=1000, max_steps=target - done,
                        clip_norm=c["clip_norm"], carry_state=True, progress=False)
        seconds += time.perf_counter() - t0
        done = target
        val_bits = nats_to_bits(evaluate(model, val_batches, carry_state=True))
        units = unit_report(model, vocab, text, val_start)
        rows.append({"steps": done, "train_seconds": round(seconds, 1),
                     "train_bits_last_20": round(nats_to_bits(float(np.mean(history.losses[-20:]))), 3),
                     "val_bits_whole_split": round(val_bits, 3), "units": units})
        print(f"{done} steps ({seconds:.0f} s): val {val_bits:.3f} bits/char;",
              "; ".join(f"{k} r={v['r']:+.2f}/{v['r_second_passage']:+.2f}" for k, v in units.items()), flush=True)
    result = {
        "command": "python experiments/char_lm_units.py",
        "settings": c,
        "unigram_bits": round(unigram, 3),
        "checkpoints": rows,
        "seconds": round(time.perf_counter() - start, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUT} in {result['seconds']} s")


if __name__ == "__main__":
    main()
