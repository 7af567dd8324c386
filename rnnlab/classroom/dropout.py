"""Checker for inverted dropout: ``dropout_forward`` (rnnlab.dropout's convention).

Probe: the input is all ones, so the output IS the scaled mask: its distinct values say by what a
kept unit was multiplied (1 / (1 - p), 1, 1 / p, 1 - p), its fraction of zeros says whether p was
used as the probability of dropping or of keeping, and its mean says whether E[out] = x.  The
cache is checked against the output (out = x * cache), which catches a mask drawn twice.
"""

from __future__ import annotations

import numpy as np

from ..dropout import dropout_backward
from .context import exercise
from .feedback import Failed


def _score(fn, rng):
    x = rng.standard_normal((40, 50))
    p = 0.3
    parts = {}
    out, cache = fn(x.copy(), p, np.random.default_rng(5))[:2]
    out = np.asarray(out)
    keep = out != 0
    parts["training output"] = bool(out.shape == x.shape and np.allclose(out[keep], x[keep] / (1 - p))
                                    and abs(keep.mean() - (1 - p)) < 0.05)
    test = fn(x.copy(), p, np.random.default_rng(5), False)[0]
    parts["test-time output"] = bool(np.shape(test) == x.shape and np.allclose(test, x))
    return parts


@exercise("dropout_forward", "(out, cache)", scorer=_score)
def check_dropout_forward(fn, rng, ctx):
    """Check ``dropout_forward(x, p, rng, training=True) -> (out, cache)``: inverted dropout, each unit kept
    with probability 1 - p and multiplied by 1 / (1 - p); the identity (cache None) at test time or p = 0."""
    names = ["x", "p", "rng", "training"]
    seed = int(rng.integers(2**31))

    def run(x, p, training, case, gen=None):
        gen = np.random.default_rng(seed) if gen is None else gen
        out = ctx.call(fn, x, p, gen, training, names=names, case=case,
                       mutation_hint="Multiply into a new array (`out = x * mask`), not `x *= mask`.")
        out, cache = ctx.outputs(out, ["out", "cache"])
        ctx.array("out", out, x.shape, str(x.shape))
        return out, cache

    shape = (200, 60)
    for p in (0.25, 0.6):
        x = np.ones(shape)
        out, cache = run(x, p, True, f"x all ones, p = {p}")
        if not np.all(np.isfinite(out)):
            raise Failed("out contains nan or inf values.")
        values = np.unique(np.round(out, 9))
        nonzero = values[values != 0]
        dropped = float(np.mean(out == 0))
        if len(values) > 2 or len(nonzero) != 1:
            if np.allclose(out, 1 - p) or np.allclose(out, 1):
                raise Failed("no unit is dropped: every output is the input scaled by one number. Draw a random "
                             "mask, keep = rng.random(x.shape) >= p, and zero the dropped units.")
            raise Failed(f"with x all ones every output should be 0 (dropped) or 1 / (1 - p) = {1 / (1 - p):.4g} "
                         f"(kept), but out takes {len(values)} different values.")
        s = float(nonzero[0])
        if abs(dropped - (1 - p)) < 0.04 and abs(dropped - p) > 0.04:
            raise Failed(f"p is used as the probability of KEEPING a unit: {dropped:.0%} of the units were dropped "
                         f"with p = {p}. p is the probability of dropping, so keep = rng.random(x.shape) >= p.")
        if abs(dropped - p) > 0.04:
            raise Failed(f"{dropped:.0%} of the units were dropped with p = {p}: each unit must be dropped with "
                         f"probability p, independently.")
        if abs(s - 1 / (1 - p)) > 1e-6:
            named = {1.0: "the kept units are not rescaled: multiply them by 1 / (1 - p), so that E[out] = x and "
                          "the test-time layer can be the identity",
                     1 / p: "the kept units are divided by p; divide by the probability of KEEPING, 1 - p",
                     1 - p: "the kept units are multiplied by 1 - p; DIVIDE by 1 - p (inverted dropout scales up "
                            "during training)",
                     p: "the kept units are multiplied by p; divide by 1 - p"}
            for value, text in named.items():
                if abs(s - value) < 1e-6:
                    raise Failed(text + ".")
            raise Failed(f"the kept units are multiplied by {s:.4g}; they must be multiplied by 1 / (1 - p) = "
                         f"{1 / (1 - p):.4g}.")
        if cache is None or not isinstance(cache, np.ndarray) or cache.shape != x.shape:
            raise Failed("the cache should be the scaled mask (0 or 1 / (1 - p), shaped like x) that the backward "
                         "pass multiplies dout by, but it is "
                         + ("None." if cache is None else f"a {type(cache).__name__} {np.shape(cache)}."))
        if not np.allclose(cache, out / x):
            if np.array_equal(np.asarray(cache) != 0, out != 0) and np.allclose(cache[cache != 0], 1):
                raise Failed("the cache is the mask WITHOUT the 1 / (1 - p) scale: the backward pass dx = dout * "
                             "cache would not rescale the gradient like the forward rescaled the values.")
            raise Failed("the cache is not the mask this call applied (out != x * cache): the backward pass must "
                         "use the SAME mask as the forward, so store it; never draw a second one.")
        dout = rng.standard_normal(shape)
        if not np.allclose(dropout_backward(dout, cache.astype(np.float64)), dout * out):
            raise Failed("the cache does not give the right gradient dout * mask.")
    # the same seed gives the same mask: the mask comes from rng
    x = rng.standard_normal((30, 20))
    a = run(x, 0.5, True, "the same seed twice")[0]
    b = run(x, 0.5, True, "the same seed twice")[0]
    if not np.array_equal(a, b):
        raise Failed("two generators with the same seed gave different masks: draw the mask with the rng argument "
                     "(rng.random(x.shape)), not np.random.")
    kept = a != 0
    if not np.allclose(a[kept], 2 * x[kept]):
        raise Failed("on random x, the kept units are not x / (1 - p): multiply x by the scaled mask.")
    # test time: the identity, nothing rescaled, nothing dropped
    out, cache = run(x, 0.5, False, "training=False")
    if not np.allclose(out, x):
        if np.all(out != 0) and np.allclose(out, x * 0.5):
            raise Failed("at test time (training=False) the output is scaled by 1 - p: with inverted dropout the "
                         "training pass already rescaled, so at test time the layer is the identity.")
        if np.all(out != 0) and np.allclose(out, x / 0.5):
            raise Failed("at test time (training=False) the output is divided by 1 - p: at test time the layer is "
                         "the identity, return x unchanged.")
        if np.any(out == 0):
            raise Failed("at test time (training=False) units are still dropped: at test time the layer is the "
                         "identity, return x unchanged.")
        raise Failed("at test time (training=False) out must equal x.")
    out, cache = run(x, 0.0, True, "p = 0")
    if not np.allclose(out, x):
        raise Failed("with p = 0 nothing is dropped: out must equal x.")
    x32 = rng.standard_normal((10, 8)).astype(np.float32)
    out, cache = run(x32, 0.5, True, "float32 x")
    if out.dtype != np.float32 or (isinstance(cache, np.ndarray) and cache.dtype != np.float32):
        raise Failed(f"float32 x gave out of dtype {out.dtype}"
                     + (f" and a cache of dtype {cache.dtype}" if isinstance(cache, np.ndarray) else "")
                     + ": keep the dtype of x (e.g. `keep.astype(x.dtype)`).")
    if np.abs(out).sum() == 0 or not np.allclose(out[out != 0], 2 * x32[out != 0], rtol=1e-5):
        raise Failed("with float32 x the kept units are not x / (1 - p).")
    return ("drops each unit with probability p, rescales the kept ones by 1 / (1 - p), stores that mask, uses rng, "
            "is the identity at test time and keeps float32.")
