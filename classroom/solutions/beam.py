"""Solution: beam search with length normalisation (notebook 06)."""

import numpy as np

from rnnlab.seq2seq import EOS


def beam_search(step_logp, beam_width, max_len, length_penalty=1.0):
    """step_logp(tokens) -> (V,) log-probabilities of the next symbol after the list ``tokens``
    (-inf for symbols that may not be emitted); returns [(tokens, score), ...] best first: every
    finished hypothesis (ending with EOS) and the live ones cut at max_len,
    score = log p(tokens) / len(tokens) ** length_penalty"""
    ### BEGIN SOLUTION
    live = [([], 0.0)]  # (tokens, log-probability)
    finished = []
    for step in range(1, max_len + 1):
        candidates = []  # every extension of every live hypothesis
        for tokens, logp in live:
            lp = step_logp(list(tokens))
            for v in np.flatnonzero(np.isfinite(lp)):
                total = logp + float(lp[v])
                candidates.append((total / step ** length_penalty, tokens + [int(v)], total))
        candidates.sort(key=lambda c: -c[0])  # ranked together, across all hypotheses
        live = []
        for score, tokens, total in candidates[:beam_width]:
            if tokens[-1] == EOS:
                finished.append((tokens, score))  # set aside: never extended again
            else:
                live.append((tokens, total))
        if not live:
            break
    finished += [(tokens, logp / len(tokens) ** length_penalty) for tokens, logp in live]
    return sorted(finished, key=lambda h: -h[1])
    ### END SOLUTION
