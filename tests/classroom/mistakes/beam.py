"""beam_search(step_logp, beam_width, max_len, length_penalty=1.0) -> [(tokens, score), ...] best first.

From how students get beam search wrong (d2l's beam search exercises, DeepLearning.AI's NMT
assignment, forum threads: "beam search returns only short sequences", "all beams identical",
"keep finished hypotheses", "length normalization").  EOS = 2 as in rnnlab.seq2seq.
"""

import math

import numpy as np

from . import correct, mistake

E = "beam_search"
EOS = 2


def _extensions(step_logp, live):
    out = []
    for tokens, logp in live:
        lp = step_logp(list(tokens))
        for v in range(len(lp)):
            if np.isfinite(lp[v]):
                out.append((tokens + [v], logp + float(lp[v])))
    return out


def _search(step_logp, beam_width, max_len, length_penalty, *, key=None, select=None, keep_finished=True,
            extend_finished=False, score=None, final_sort=True, early_stop=False, refill=False):
    score = score or (lambda tokens, logp: logp / len(tokens) ** length_penalty)
    key = key or score
    live, finished = [([], 0.0)], []
    for step in range(1, max_len + 1):
        ext = _extensions(step_logp, live)
        if select is not None:
            chosen = select(ext, live, beam_width, key)
        else:
            ranked = sorted(ext, key=lambda c: -key(*c))
            if refill:
                ranked = [c for c in ranked if c[0][-1] != EOS][:beam_width] + [
                    c for c in ranked[:beam_width] if c[0][-1] == EOS]
            chosen = ranked[:beam_width] if not refill else ranked
        live = []
        for tokens, logp in chosen:
            if tokens[-1] == EOS and not extend_finished:
                if keep_finished:
                    finished.append((tokens, logp))
            else:
                live.append((tokens, logp))
        if not live or (early_stop and finished):
            break
    out = [(t, score(t, lp)) for t, lp in finished + live]
    return sorted(out, key=lambda h: -h[1]) if final_sort else out


@mistake(E, "not length-normalised")
def no_length_normalisation(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, score=lambda t, lp: lp)


@mistake(E, "length_penalty is ignored")  # always the mean log-probability
def mean_logp_always(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, score=lambda t, lp: lp / len(t))


@mistake(E, "leaves out the EOS")
def eos_not_counted(step_logp, beam_width, max_len, length_penalty=1.0):
    def score(t, lp):
        n = len(t) - (t[-1] == EOS)
        return lp / max(n, 1) ** length_penalty
    return _search(step_logp, beam_width, max_len, length_penalty, score=score)


@mistake(E, "probabilities are multiplied")  # keeps p(y) as a product of probabilities
def multiplies_probabilities(step_logp, beam_width, max_len, length_penalty=1.0):
    live, finished = [([], 1.0)], []
    for step in range(1, max_len + 1):
        ext = []
        for tokens, p in live:
            probs = np.exp(step_logp(list(tokens)))
            for v in range(len(probs)):
                if probs[v] > 0:
                    ext.append((tokens + [v], p * float(probs[v])))
        ext.sort(key=lambda c: -c[1] / len(c[0]) ** length_penalty)
        live = []
        for tokens, p in ext[:beam_width]:
            (finished if tokens[-1] == EOS else live).append((tokens, p))
        if not live:
            break
    out = [(t, p / len(t) ** length_penalty) for t, p in finished + live]
    return sorted(out, key=lambda h: -h[1])


@mistake(E, "log-probabilities are multiplied")
def multiplies_logps(step_logp, beam_width, max_len, length_penalty=1.0):
    live, finished = [([], 1.0)], []
    for step in range(1, max_len + 1):
        ext = []
        for tokens, s in live:
            lp = step_logp(list(tokens))
            for v in range(len(lp)):
                if np.isfinite(lp[v]):
                    ext.append((tokens + [v], s * float(lp[v])))
        ext.sort(key=lambda c: -c[1] / len(c[0]) ** length_penalty)
        live = []
        for tokens, s in ext[:beam_width]:
            (finished if tokens[-1] == EOS else live).append((tokens, s))
        if not live:
            break
    return sorted([(t, s / len(t) ** length_penalty) for t, s in finished + live], key=lambda h: -h[1])


@mistake(E, "extended after EOS")  # finished hypotheses stay in the beam
def extends_finished(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, extend_finished=True)


@mistake(E, "finished hypotheses are dropped")  # only the live beam is returned
def drops_finished(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, keep_finished=False)


@mistake(E, "not re-sorted")  # keeps the first beam_width extensions as generated
def not_sorted(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, select=lambda ext, live, k, key: ext[:k])


@mistake(E, "its own best extension")  # each hypothesis keeps its own best child: k greedy searches
def per_hypothesis_best(step_logp, beam_width, max_len, length_penalty=1.0):
    def select(ext, live, k, key):
        if len(live) == 1:
            return sorted(ext, key=lambda c: -key(*c))[:k]
        best = {}
        for tokens, logp in ext:
            parent = tuple(tokens[:-1])
            if parent not in best or key(tokens, logp) > key(*best[parent]):
                best[parent] = (tokens, logp)
        return list(best.values())[:k]
    return _search(step_logp, beam_width, max_len, length_penalty, select=select)


@mistake(E, "beam_width is ignored")  # keeps beam_width extensions of EACH hypothesis
def width_per_hypothesis(step_logp, beam_width, max_len, length_penalty=1.0):
    def select(ext, live, k, key):
        out = []
        for tokens, _ in live:
            mine = [c for c in ext if c[0][:-1] == tokens]
            out += sorted(mine, key=lambda c: -key(*c))[:k]
        return out
    return _search(step_logp, beam_width, max_len, length_penalty, select=select)


@mistake(E, "WORST")  # sorted ascending
def keeps_worst(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty,
                   select=lambda ext, live, k, key: sorted(ext, key=lambda c: key(*c))[:k])


@mistake(E, "not sorted")  # never sorts what it returns
def unsorted_output(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, final_sort=False)


@mistake(E, "stopped at step")  # stops as soon as one hypothesis finishes
def stops_at_first_eos(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, early_stop=True)


@mistake(E, "must still take one of the beam_width places")  # finished ones do not use a slot
def refills_beam(step_logp, beam_width, max_len, length_penalty=1.0):
    return _search(step_logp, beam_width, max_len, length_penalty, refill=True)


@mistake(E, "still live after max_len")  # returns only the finished ones
def drops_live_at_max_len(step_logp, beam_width, max_len, length_penalty=1.0):
    out = _search(step_logp, beam_width, max_len, length_penalty)
    fin = [h for h in out if h[0][-1] == EOS]
    return fin or out


@correct(E)
def heap_based(step_logp, beam_width, max_len, length_penalty=1.0):
    import heapq

    live, finished = [((), 0.0)], []
    for step in range(1, max_len + 1):
        ext = []
        for tokens, logp in live:
            lp = step_logp(list(tokens))
            ext += [(logp + float(lp[v]), tokens + (v,)) for v in range(len(lp)) if lp[v] > -math.inf]
        best = heapq.nlargest(beam_width, ext, key=lambda c: c[0])
        finished += [(list(t), lp / step ** length_penalty) for lp, t in best if t[-1] == EOS]
        live = [(t, lp) for lp, t in best if t[-1] != EOS]
        if not live:
            break
    finished += [(list(t), lp / len(t) ** length_penalty) for t, lp in live]
    return sorted(finished, key=lambda h: h[1], reverse=True)


@correct(E)
def matrix_version(step_logp, beam_width, max_len, length_penalty=1.0):
    live_tokens, live_logp, out = [[]], np.zeros(1), []
    for step in range(1, max_len + 1):
        table = np.stack([step_logp(t) for t in live_tokens]) + live_logp[:, None]  # (K, V)
        order = np.argsort(-table, axis=None, kind="stable")
        order = [f for f in order if np.isfinite(table.flat[f])][:beam_width]
        new_tokens, new_logp = [], []
        for f in order:
            k, v = divmod(int(f), table.shape[1])
            if v == EOS:
                out.append((live_tokens[k] + [v], table[k, v] / step ** length_penalty))
            else:
                new_tokens.append(live_tokens[k] + [v])
                new_logp.append(table[k, v])
        live_tokens, live_logp = new_tokens, np.array(new_logp)
        if not live_tokens:
            break
    out += [(t, lp / len(t) ** length_penalty) for t, lp in zip(live_tokens, live_logp)]
    return sorted(out, key=lambda h: -h[1])


@mistake(E, "contains BOS")  # starts every hypothesis with BOS, as the decoder's input would
def starts_with_bos(step_logp, beam_width, max_len, length_penalty=1.0):
    live, finished = [([1], 0.0)], []
    for step in range(1, max_len + 1):
        ext = []
        for tokens, logp in live:
            lp = step_logp(tokens)
            ext += [(tokens + [v], logp + float(lp[v])) for v in range(len(lp)) if np.isfinite(lp[v])]
        ext.sort(key=lambda c: -c[1])
        live = []
        for tokens, logp in ext[:beam_width]:
            (finished if tokens[-1] == EOS else live).append((tokens, logp))
        if not live:
            break
    return sorted([(t[1:], lp / (len(t) - 1) ** length_penalty) for t, lp in finished + live], key=lambda h: -h[1])
