"""Turning a trained encoder-decoder into output sequences: greedy decoding and beam search.

Both run the decoder free (each step reads the previous OUTPUT symbol) through
the model's ``encode(x) -> Encoded`` and ``decode_step(y_prev, state, e) ->
(logp, state, alpha)`` (rnnlab.seq2seq).  PAD and BOS are never emitted; a
hypothesis ends when it emits EOS (which counts as one of its symbols) or
reaches ``max_len`` symbols.

Greedy: at each step take the single most likely symbol.  Cheap, but a choice
is never revisited: a slightly less likely first symbol that leads to a much
more likely whole sequence is never found.

Beam search keeps the ``beam_width`` best partial sequences.  At each step every
live hypothesis is extended by every symbol, all extensions are ranked by
score, the best ``beam_width`` are kept; those that just emitted EOS are set
aside as FINISHED (never extended again) and the rest stay live.  The search
stops when nothing is live or after ``max_len`` steps.

Length normalisation.  A sequence's log-probability is a sum of negative
terms, so it can only fall as the sequence grows: ranked by raw log-probability
the search prefers short outputs.  The score divides by the length:

    score(y) = log p(y | x) / len(y) ** length_penalty

0 gives the raw log-probability, 1 the mean log-probability per symbol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .seq2seq import BOS, EOS, PAD, take_state

FORBIDDEN = (PAD, BOS)  # never emitted


def _check_src(where, x):
    if not isinstance(x, np.ndarray) or x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
        got = type(x).__name__ + (f" {x.dtype} {x.shape}" if isinstance(x, np.ndarray) else "")
        raise TypeError(f"{where}: x must be an (N, Ts) integer array of source indices, got {got}")


def _check_max_len(where, max_len):
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"{where}: max_len must be an int >= 1, got {max_len!r}")


def length_normalised(logp, length, length_penalty):
    """score = logp / length ** length_penalty."""
    return logp / length ** length_penalty


def _allowed(logp):
    logp = logp.copy()
    logp[:, list(FORBIDDEN)] = -np.inf
    return logp


def greedy_decode(model, x, max_len=20, return_attention=False):
    """The most likely symbol at every step, for a batch.

    Args:
        model: a Seq2Seq (anything with encode and decode_step)
        x: (N, Ts) source indices
        max_len: at most this many output symbols (EOS included)
        return_attention: also return the attention weights

    Returns:
        out: list of N lists of symbol indices, each ending before its EOS (EOS removed)
        logp: (N,) log-probability of each output (EOS included when emitted)
        alphas: (N, steps, Ts) attention weights (only with return_attention; None without attention)
    """
    where = "greedy_decode"
    _check_src(where, x)
    _check_max_len(where, max_len)
    e = model.encode(x)
    N = x.shape[0]
    y = np.full(N, BOS)
    state = e.state0
    done = np.zeros(N, dtype=bool)
    tokens, total, alphas = [], np.zeros(N), []
    for _ in range(max_len):
        logp, state, alpha = model.decode_step(y, state, e)
        logp = _allowed(logp)
        y = logp.argmax(axis=1)
        total += np.where(done, 0.0, logp[np.arange(N), y])
        tokens.append(np.where(done, PAD, y))
        alphas.append(alpha)
        done |= y == EOS
        if done.all():
            break
    tokens = np.stack(tokens, axis=1)
    out = []
    for row in tokens:
        seq = []
        for t in row:
            if t in (EOS, PAD):
                break
            seq.append(int(t))
        out.append(seq)
    if not return_attention:
        return out, total
    return out, total, (None if alphas[0] is None else np.stack(alphas, axis=1))


@dataclass
class Hypothesis:
    """One candidate output: its symbols (EOS included if finished) and scores."""

    tokens: list
    logp: float
    score: float
    finished: bool
    alphas: list = field(default_factory=list, repr=False)  # (Ts,) weights per step

    @property
    def symbols(self):
        """The output without its EOS."""
        return self.tokens[:-1] if self.finished else list(self.tokens)


def beam_search(model, x, beam_width=4, max_len=20, length_penalty=1.0):
    """Beam search for ONE source sequence.

    Args:
        model: a Seq2Seq
        x: (1, Ts) source indices
        beam_width: hypotheses kept at each step (1 is greedy decoding)
        max_len: at most this many output symbols (EOS included)
        length_penalty: the exponent in score = logp / len ** length_penalty

    Returns:
        list of Hypothesis, best first (highest score): every finished one, plus the live
        ones cut at max_len (finished=False)
    """
    where = "beam_search"
    _check_src(where, x)
    if x.shape[0] != 1:
        raise ValueError(f"{where}: x must hold one source, shape (1, Ts), got {x.shape}; loop over a batch")
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"{where}: beam_width must be an int >= 1, got {beam_width!r}")
    _check_max_len(where, max_len)
    if length_penalty < 0:
        raise ValueError(f"{where}: length_penalty must be >= 0, got {length_penalty}")
    e1 = model.encode(x)
    live = [Hypothesis([], 0.0, 0.0, False)]
    state = e1.state0
    finished = []
    for step in range(1, max_len + 1):
        K = len(live)
        e = e1.take(np.zeros(K, dtype=int))
        y_prev = np.array([h.tokens[-1] if h.tokens else BOS for h in live])
        logp, state, alpha = model.decode_step(y_prev, state, e)
        logp = _allowed(logp)
        total = np.array([h.logp for h in live])[:, None] + logp  # (K, V)
        scores = length_normalised(total, step, length_penalty)
        flat = np.argsort(-scores, axis=None, kind="stable")  # every extension, best first
        flat = flat[np.isfinite(scores.ravel()[flat])][:beam_width]
        new_live, rows = [], []
        for f in flat:
            k, v = divmod(int(f), scores.shape[1])
            h = Hypothesis(live[k].tokens + [v], float(total[k, v]), float(scores[k, v]), v == EOS,
                           live[k].alphas + ([] if alpha is None else [alpha[k]]))
            if h.finished:
                finished.append(h)  # set aside: a finished hypothesis is never extended
            else:
                new_live.append(h)
                rows.append(k)
        live = new_live
        if not live:
            break
        state = take_state(state, np.array(rows))
    finished.extend(live)  # cut at max_len without EOS
    return sorted(finished, key=lambda h: -h.score)


def exhaustive_search(model, x, max_len, length_penalty=1.0):
    """Every output of at most max_len symbols, scored like beam_search: the exact best, for tiny models.

    Costs (Vt - 2) ** max_len decoder steps; use only to test beam_search.
    Returns: list of Hypothesis, best first.
    """
    _check_src("exhaustive_search", x)
    e1 = model.encode(x)
    results = []

    def expand(tokens, logp, state):
        step = len(tokens) + 1
        y_prev = np.array([tokens[-1] if tokens else BOS])
        lp, new_state, _ = model.decode_step(y_prev, state, e1)
        lp = _allowed(lp)[0]
        for v in range(lp.shape[0]):
            if not np.isfinite(lp[v]):
                continue
            total = logp + float(lp[v])
            h = Hypothesis(tokens + [v], total, float(length_normalised(total, step, length_penalty)), v == EOS)
            if h.finished or step == max_len:
                results.append(h)
            else:
                expand(h.tokens, total, new_state)

    expand([], 0.0, e1.state0)
    return sorted(results, key=lambda h: -h.score)
