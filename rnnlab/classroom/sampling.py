"""Checker for sampling with a temperature: ``sample_with_temperature``."""

from __future__ import annotations

import numpy as np

from ..layers import softmax
from .context import exercise
from .feedback import Failed

# --------------------------------------------------------------------------
# 7. sample_with_temperature
# --------------------------------------------------------------------------


@exercise("sample_with_temperature", "an int index in [0, V)")
def check_sample_with_temperature(fn, rng, ctx):
    """Check ``sample_with_temperature(scores, temperature, rng) -> int``.

    scores: (V,) unnormalised log-probabilities of the next symbol; temperature > 0:
    draw an index from softmax(scores / temperature) using the numpy Generator rng;
    temperature == 0: return argmax(scores) (greedy).  scores must not be changed.
    """
    V = 6
    scores = np.sort(1.5 * rng.standard_normal(V))[::-1].copy()
    scores = rng.permutation(scores)
    seed = int(rng.integers(2**31))

    def draw(s, temperature, gen, case):
        out = ctx.call(fn, s, temperature, gen, names=["scores", "temperature", "rng"], case=case,
                       mutation_hint="Divide into a new array (`z = scores / temperature`), not "
                                     "`scores /= temperature`.")
        if isinstance(out, np.ndarray) and out.ndim == 0:
            out = out.item()
        if isinstance(out, bool) or not isinstance(out, (int, np.integer)):
            shape = f" of shape {out.shape}" if isinstance(out, np.ndarray) else ""
            raise Failed(f"it should return one int index, but returned a {type(out).__name__}{shape}"
                          + (" (rng.choice(V, p=probs) without a size returns one index)." if shape else "."))
        if not 0 <= out < len(s):
            raise Failed(f"it returned {out}, outside [0, V) = [0, {len(s)}).")
        return int(out)

    gen_a, gen_b = np.random.default_rng(seed), np.random.default_rng(seed)
    seq_a = [draw(scores, 1.0, gen_a, "temperature 1") for _ in range(40)]
    seq_b = [draw(scores, 1.0, gen_b, "temperature 1") for _ in range(40)]
    if seq_a != seq_b:
        raise Failed("it does not use the rng argument: two generators with the same seed gave different "
                      "samples. Draw with rng.choice(V, p=probs) (not np.random) so samples are reproducible.")

    n = 2000
    onehot = np.eye(V)[np.argmax(scores)]
    for temperature in (1.0, 0.5, 2.0):
        gen = np.random.default_rng(seed)
        freq = np.bincount([draw(scores, temperature, gen, f"temperature {temperature}") for _ in range(n)],
                           minlength=V) / n
        tv = 0.5 * np.abs(freq - softmax(scores / temperature)).sum()
        if tv <= 0.05:
            continue
        wrong = [
            (softmax(scores * temperature), "the temperature multiplies the scores; it should divide them, "
                                            "softmax(scores / temperature), so that a low temperature sharpens."),
            (softmax(scores), "the temperature has no effect: divide the scores by it before the softmax "
                              "(dividing the probabilities afterwards is undone by renormalising)."),
            (onehot, "it always returns the most likely index; at temperature > 0 it should sample."),
            (np.full(V, 1 / V), "it samples uniformly: the scores are ignored."),
            (softmax(-scores / temperature), "it prefers the least likely symbols: the sign of the scores is "
                                             "flipped."),
        ]
        dist, message = min(((0.5 * np.abs(freq - p).sum(), m) for p, m in wrong), key=lambda t: t[0])
        if dist <= 0.05:
            raise Failed(message)
        raise Failed(f"the sample frequencies at temperature {temperature} do not follow "
                      f"softmax(scores / temperature) (total variation distance {tv:.2f} over {n} draws).")

    # exp(1000) overflows unless the max is subtracted first.
    big = scores + 1000
    gen = np.random.default_rng(seed)
    try:
        freq = np.bincount([draw(big, 1.0, gen, "scores around 1000") for _ in range(500)], minlength=V) / 500
    except Failed as f:
        raise Failed("with large scores (around 1000) it failed: exp overflows. Subtract the max score before "
                      f"exp; softmax does not change when you shift the scores. (The error: {f.message})") from None
    if 0.5 * np.abs(freq - softmax(big)).sum() > 0.08:
        raise Failed("with large scores (around 1000) the samples no longer follow the softmax: subtract the "
                      "max score before exp to avoid overflow.")

    gen = np.random.default_rng(seed)
    try:
        greedy = {draw(scores, 0.0, gen, "temperature 0") for _ in range(5)}
    except Failed as f:
        raise Failed("temperature 0 should mean greedy decoding, return argmax(scores), instead of dividing by "
                      f"zero. (The error: {f.message})") from None
    if greedy != {int(np.argmax(scores))}:
        raise Failed("at temperature 0 it should always return the most likely index, argmax(scores).")
    return (f"uses rng reproducibly and its {n}-draw frequencies follow softmax(scores / temperature) at "
            f"temperatures 0.5, 1 and 2; no overflow for large scores; temperature 0 is greedy.")

