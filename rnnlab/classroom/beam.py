"""Checker for beam search: ``beam_search`` (rnnlab.decoding's convention).

The student's search runs on tiny hand-built "models": a function ``step_logp(tokens)`` giving
the next symbol's log-probabilities after a prefix, random but fixed per prefix, so every outcome
can be enumerated.  The checker records every prefix the search asks about: the prefixes asked
at step s ARE the student's live beam at step s.  So it can say, step by step, whether a finished
hypothesis was extended, whether more or fewer than beam_width were kept, and which extensions
were kept instead of the best ones.  The returned scores are compared with the functions of the
per-step log-probabilities a student might compute (raw sum, product of probabilities, another
length), and the returned list with rnnlab.decoding.beam_search run on the same model.
"""

from __future__ import annotations

import numpy as np

from ..decoding import beam_search as _rnnlab_beam_search
from ..seq2seq import BOS, EOS, PAD
from .context import exercise
from .feedback import Failed

V = 6  # PAD, BOS, EOS and three real symbols


class _Source:
    """What encode returns, as far as beam search uses it: the initial state and a row selection."""

    def __init__(self, state0):
        self.state0 = state0

    def take(self, rows):
        return _Source(self.state0[rows])


class ToyModel:
    """step_logp(tokens) -> (V,) log-probabilities, fixed per prefix; records every prefix asked."""

    def __init__(self, seed, eos_bias=-0.5, eos_growth=0.7):
        self.seed, self.eos_bias, self.eos_growth = seed, eos_bias, eos_growth
        self.asked = set()

    def logits(self, prefix):
        code = 0
        for t in prefix:
            code = code * (V + 1) + int(t) + 1
        z = 1.3 * np.random.default_rng([self.seed, len(prefix), code]).standard_normal(V)
        z[EOS] += self.eos_bias + self.eos_growth * len(prefix)
        z[[PAD, BOS]] = -np.inf
        return z - (np.log(np.sum(np.exp(z[2:] - z[2:].max()))) + z[2:].max())

    def __call__(self, tokens):
        try:
            prefix = tuple(int(t) for t in tokens)
        except TypeError:
            raise TypeError("step_logp takes the list of tokens of one hypothesis") from None
        self.asked.add(prefix)
        return self.logits(prefix)

    def logp(self, tokens):
        """Per-step log-probabilities of a whole sequence."""
        return np.array([self.logits(tuple(tokens[:i]))[tokens[i]] for i in range(len(tokens))])

    # rnnlab.decoding's model interface, to run rnnlab's own beam search on this model
    def encode(self, x):
        state0 = np.empty(1, dtype=object)
        state0[0] = ()  # the decoder state of a hypothesis is its prefix
        return _Source(state0)

    def decode_step(self, y_prev, state, e):
        new = np.empty(len(y_prev), dtype=object)
        for k, y in enumerate(y_prev):
            new[k] = state[k] + (() if y == BOS else (int(y),))
        return np.stack([self.logits(p) for p in new]), new, None


def reference(model, beam_width, max_len, length_penalty):
    """rnnlab's beam search on a ToyModel -> [(tokens, score)] best first."""
    hyps = _rnnlab_beam_search(model, np.zeros((1, 1), dtype=int), beam_width, max_len, length_penalty)
    return [(list(h.tokens), h.score) for h in hyps]


def _fmt(tokens):
    return "[" + ", ".join("EOS" if t == EOS else str(t) for t in tokens) + "]"


def _score_formulas(lp, L, lpen, finished):
    """{phrase: value} of the scores a student might return for per-step log-probs lp of length L."""
    S = float(lp.sum())
    out = {}
    if lpen != 0:
        out["the scores are not length-normalised: divide the log-probability by len(tokens) ** length_penalty "
            "(without it the search prefers short outputs)"] = S
    if lpen != 1:
        out["the length_penalty is ignored: the score is log p / len ** length_penalty, not log p / len"] = S / L
    if finished and L > 1:
        out["the length leaves out the EOS: EOS counts as one of the symbols, len(tokens) includes it"] = (
            S / (L - 1) ** lpen)
    out["the probabilities are multiplied: add the LOG-probabilities (a product of many probabilities "
        "underflows to 0)"] = np.exp(S) / L ** lpen
    out["the probabilities are multiplied: add the LOG-probabilities (a product of many probabilities "
        "underflows to 0) "] = np.exp(S)
    out["the probabilities are added: a sequence's log-probability is the SUM of the log-probabilities of its "
        "symbols"] = float(np.exp(lp).sum()) / L ** lpen
    out["the log-probabilities are multiplied: a sequence's log-probability is their SUM"] = float(np.prod(lp)) / (
        L ** lpen)
    out["the score is multiplied by the length: DIVIDE, score = log p / len ** length_penalty"] = S * L ** lpen
    r = 0.0
    for i, x in enumerate(lp, start=1):
        r = (r + x) / i ** lpen
    if lpen != 0:
        out["the normalised score is carried from step to step and normalised again: keep the raw log-probability "
            "of each hypothesis and normalise only when ranking"] = r
    out["the score is the log-probability of the last symbol only: add up every step's log-probability"] = (
        float(lp[-1]) / L ** lpen)
    return out


def _check_output(out, max_len):
    if isinstance(out, (list, tuple)) and not out:
        raise Failed("it returned an empty list: the finished hypotheses are dropped (or never collected). Every "
                     "hypothesis that emits EOS is set aside and returned at the end, with the live ones.")
    if not isinstance(out, (list, tuple)):
        raise Failed(f"it should return a non-empty list of (tokens, score) pairs, best first; got "
                     f"{type(out).__name__}{'' if out else ' (empty)'}.")
    hyps = []
    for item in out:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise Failed("each item of the returned list should be a pair (tokens, score).")
        tokens, score = item
        try:
            tokens = [int(t) for t in tokens]
            score = float(score)
        except (TypeError, ValueError):
            raise Failed("each item should be (tokens, score): a list of ints and a number.") from None
        if not tokens:
            raise Failed("a returned hypothesis is empty: every hypothesis has at least one symbol.")
        if EOS in tokens[:-1]:
            raise Failed(f"a finished hypothesis was extended after EOS ({_fmt(tokens)}): a hypothesis that emits "
                         f"EOS is set aside and never extended again.")
        if len(tokens) > max_len:
            raise Failed(f"a hypothesis has {len(tokens)} symbols, more than max_len = {max_len}.")
        if PAD in tokens or BOS in tokens:
            raise Failed("a hypothesis contains PAD or BOS: extensions whose log-probability is -inf must be "
                         "skipped.")
        hyps.append((tokens, score))
    return hyps


_REFILL = ("a hypothesis that just emitted EOS must still take one of the beam_width places (rnnlab's convention): "
           "rank all extensions, EOS ones included, keep the best beam_width, then set the finished ones aside.")


def _check_queries(asked):
    """The prefixes given to step_logp hold only emitted symbols."""
    with_bos = [p for p in asked if BOS in p or PAD in p]
    if with_bos:
        raise Failed(f"it asked step_logp about {_fmt(with_bos[0])}, which contains BOS or PAD: pass only the "
                     f"symbols emitted so far (the empty list at the first step).")


def _beam_steps(model, asked, beam_width, max_len, returned=()):
    """The first step where the live beam (the prefixes asked) is not the best beam_width extensions.

    returned: the tokens the search returned; its finished ones of length s were kept at step s.
    """
    ambiguous = ambiguous_refill = False
    for s in range(1, max_len):
        live = sorted(p for p in asked if len(p) == s - 1)
        nxt = {p for p in asked if len(p) == s}
        if not live:
            if nxt:
                raise Failed("the search asked about prefixes it could not have kept.")
            break
        ext = []  # (logp, order, prefix) for every extension of every live hypothesis
        for p in live:
            lp_p = float(model.logp(list(p)).sum()) if p else 0.0
            row = model.logits(p)
            for v in range(V):
                if np.isfinite(row[v]):
                    ext.append((lp_p + row[v], len(ext), p + (v,)))
        ranked = sorted(ext, key=lambda e: -e[0])
        right = {e[2] for e in ranked[:beam_width] if e[2][-1] != EOS}
        if nxt == right:
            continue
        step = f"at step {s + 1}"
        if any(p[-1] == EOS for p in nxt):
            raise Failed(f"a finished hypothesis was extended after EOS ({step} it asked for the next symbol after "
                         f"{_fmt(next(p for p in nxt if p[-1] == EOS))}): set it aside, never extend it.")
        finished_s = {tuple(t) for t in returned if len(t) == s and t[-1] == EOS}
        plus_one = nxt | finished_s == {e[2] for e in ranked[:beam_width + 1]} and len(ranked) > beam_width
        refill = {e[2] for e in [x for x in ranked if x[2][-1] != EOS][:beam_width]}
        if plus_one and nxt == refill:
            ambiguous_refill = True  # both explain this step; a later step tells them apart
            continue
        if plus_one:
            raise Failed(f"beam_width is ignored by one: {step} it kept the best beam_width + 1 = "
                         f"{beam_width + 1} extensions (off by one in a slice or a loop bound).")
        if len(nxt) > beam_width:
            raise Failed(f"beam_width is ignored: {step} it extended {len(nxt)} hypotheses with beam_width = "
                         f"{beam_width}. Keep only the best beam_width extensions at every step.")
        own_best = {}
        for e in ranked:  # best first: the first extension seen of each parent is its best
            own_best.setdefault(e[2][:-1], e[2])
        own_best = {p for p in list(own_best.values())[:beam_width] if p[-1] != EOS}
        own_best_any = {p for p in {e[2][:-1]: e[2] for e in ranked[::-1]}.values() if p[-1] != EOS}
        if len(live) > 1 and nxt in (own_best, own_best_any):
            raise Failed(f"{step} every live hypothesis kept its own best extension(s): the beams are not "
                         f"re-sorted together. Rank ALL extensions of ALL live hypotheses by score and keep the "
                         f"best beam_width, even when several come from the same hypothesis.")
        if not nxt:
            raise Failed(f"it stopped at step {s} while hypotheses were still live: continue until no hypothesis "
                         f"is live or max_len symbols are reached.")
        if not nxt <= {e[2] for e in ext}:
            raise Failed(f"{step} it extended a prefix that is not an extension of the previous beam.")
        if nxt == refill and right != refill:
            raise Failed(_REFILL)
        first = {e[2] for e in ext[:beam_width] if e[2][-1] != EOS}
        worst = {e[2] for e in ranked[::-1][:beam_width] if e[2][-1] != EOS}
        if nxt == first == worst:
            ambiguous = True  # a later step tells "unsorted" from "worst first"
            continue
        if nxt == first:
            raise Failed("the extensions are not re-sorted: it keeps the first beam_width in the order they were "
                         "generated. Rank all extensions of all live hypotheses by score, then keep the best.")
        if nxt == worst:
            raise Failed("it keeps the WORST extensions: sort by score in decreasing order before keeping the "
                         "first beam_width.")
        if len(nxt) < len(right):
            raise Failed(f"{step} it kept {len(nxt)} live hypotheses where the best beam_width = {beam_width} "
                         f"extensions include {len(right)} live ones: beam_width is not used as the beam size.")
        missing = max((e for e in ranked if e[2] in right - nxt), key=lambda e: e[0])
        kept = min((e for e in ranked if e[2] in nxt - right), key=lambda e: e[0])
        raise Failed(f"{step} it kept {_fmt(kept[2])} (log p {kept[0]:.3f}) but dropped {_fmt(missing[2])} "
                     f"(log p {missing[0]:.3f}), a better extension: rank all extensions of all live hypotheses "
                     f"together and keep the best beam_width.")
    if ambiguous_refill:
        return _REFILL  # the caller raises it only if no other search tells the two apart
    if ambiguous:
        return ("the extensions are not re-sorted: it keeps beam_width extensions that are not the best ones. "
                "Rank all extensions of all live hypotheses by score (best first), then keep the best.")


RUNS = [  # (model seed offset, beam_width, max_len, length_penalty, EOS bias at step 1)
    (0, 3, 4, 1.0, -0.5),
    (1, 2, 5, 0.5, -0.5),
    (2, 1, 4, 0.0, -0.5),
    (3, 4, 4, 1.0, -0.5),
    (4, 3, 5, 0.7, -0.5),
    (5, 2, 4, 1.0, -4.0),  # EOS unlikely early: steps without any finished hypothesis
]


def _score(fn, rng):
    seed = int(rng.integers(2**31))
    ok = {}
    for i, (off, k, L, lp, eos) in enumerate(RUNS[:3]):
        m = ToyModel(seed + off, eos)
        try:
            got = _check_output(fn(m, k, L, lp), L)
        except Failed:
            got = []
        ref = reference(ToyModel(seed + off, eos), k, L, lp)
        ok[f"search {i + 1}"] = bool(len(got) == len(ref) and all(
            a[0] == b[0] and abs(a[1] - b[1]) < 1e-9 * max(1, abs(b[1])) for a, b in zip(got, ref)))
    return ok


@exercise("beam_search", "a list of (tokens, score) pairs, best first", scorer=_score)
def check_beam_search(fn, rng, ctx):
    """Check ``beam_search(step_logp, beam_width, max_len, length_penalty) -> [(tokens, score), ...]``.

    rnnlab.decoding's convention: all extensions of all live hypotheses ranked together, the best
    beam_width kept; those ending with EOS set aside (never extended); stop when none is live or after
    max_len symbols; return every finished hypothesis plus the live ones, best first, with
    score = log p / len(tokens) ** length_penalty (EOS counted).
    """
    seed = int(rng.integers(2**31))
    runs = []
    for off, k, L, lpen, eos in RUNS:
        model = ToyModel(seed + off, eos)
        case = f"beam_width {k}, max_len {L}, length_penalty {lpen}"
        out = ctx.call(fn, model, k, L, lpen, names=["step_logp", "beam_width", "max_len", "length_penalty"],
                       case=case)
        _check_queries(model.asked)
        runs.append((model, k, L, lpen, case, _check_output(out, L)))
    # 1. the scores of what it returned (every run first: a wrong score also changes the ranking)
    for model, k, L, lpen, case, hyps in runs:
        for tokens, score in hyps:
            lp = model.logp(tokens)
            right = float(lp.sum()) / len(tokens) ** lpen
            if abs(score - right) <= 1e-9 * max(1, abs(right)):
                continue
            for phrase in _score_formulas(lp, len(tokens), lpen, tokens[-1] == EOS):
                pairs = [(sc, _score_formulas(model.logp(t), len(t), lpen, t[-1] == EOS).get(phrase))
                         for t, sc in hyps]
                if all(abs(sc - f) <= 1e-9 * max(1, abs(f)) for sc, f in pairs if f is not None):
                    raise Failed(phrase.strip() + f" (with {case}).")
            raise Failed(f"the score of {_fmt(tokens)} is {score:.4f}, but log p / len ** length_penalty = "
                         f"{right:.4f} (with {case}).")
    # 2. the beam, step by step (a step two mistakes explain equally is decided by the other searches)
    pending = None
    for model, k, L, lpen, case, hyps in runs:
        pending = _beam_steps(model, model.asked, k, L, [t for t, _ in hyps]) or pending
    if pending:
        raise Failed(pending)
    # 3. the returned list
    for model, k, L, lpen, case, hyps in runs:
        ref = reference(ToyModel(model.seed, model.eos_bias, model.eos_growth), k, L, lpen)
        got_set, ref_set = {tuple(t) for t, _ in hyps}, {tuple(t) for t, _ in ref}
        if got_set != ref_set:
            missing_fin = [t for t in ref_set - got_set if t[-1] == EOS]
            missing_live = [t for t in ref_set - got_set if t[-1] != EOS]
            if len(got_set) == 1 and len(ref_set) > 1 and not (got_set - ref_set):
                raise Failed(f"it returns only one hypothesis: return every finished hypothesis plus the live ones "
                             f"cut at max_len, best first ({len(ref_set)} here, {case}).")
            if missing_fin and not (got_set - ref_set):
                raise Failed(f"finished hypotheses are dropped: {_fmt(missing_fin[0])} ended with EOS during the "
                             f"search but is not returned. Keep every finished hypothesis and return it with the "
                             f"rest ({case}).")
            if missing_live and not (got_set - ref_set):
                raise Failed(f"the hypotheses still live after max_len symbols must be returned too (they are cut, "
                             f"not finished): {_fmt(missing_live[0])} is missing ({case}).")
            raise Failed(f"it returned {len(got_set)} hypotheses where rnnlab's beam search returns {len(ref_set)} "
                         f"({case}); e.g. {_fmt(sorted(got_set ^ ref_set)[0])} differs.")
        scores = [s for _, s in hyps]
        if any(a < b - 1e-12 for a, b in zip(scores, scores[1:])):
            if all(a <= b + 1e-12 for a, b in zip(scores, scores[1:])):
                raise Failed("the returned list is sorted worst first: return it best first (highest score).")
            raise Failed("the returned list is not sorted: return the hypotheses best first (highest score).")
    return (f"matches rnnlab's beam search step by step on {len(RUNS)} tiny models (beam widths 1 to 4, length "
            f"penalties 0 to 1): best extensions kept, finished ones set aside and returned, scores normalised.")
