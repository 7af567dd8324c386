"""dropout_forward(x, p, rng, training=True) -> (out, cache): inverted dropout.

From the classic mistakes in CS231n's dropout exercise and forum threads ("dropout scaling at test
time", "keep_prob vs drop prob", "dropout mask in backward").
"""

import numpy as np

from . import correct, mistake

E = "dropout_forward"


@mistake(E, "not rescaled")  # plain (not inverted) dropout
def no_rescale(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (rng.random(x.shape) >= p).astype(x.dtype)
    return x * mask, mask


@mistake(E, "probability of KEEPING")  # treats p as keep_prob (TensorFlow 1 habit)
def p_is_keep_prob(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (rng.random(x.shape) < p).astype(x.dtype) / x.dtype.type(p)
    return x * mask, mask


@mistake(E, "divided by p")
def divides_by_p(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(p)
    return x * mask, mask


@mistake(E, "multiplied by 1 - p")
def multiplies_by_keep(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) * x.dtype.type(1 - p)
    return x * mask, mask


@mistake(E, "scaled by 1 - p")  # inverted in training AND scaled at test time
def scales_at_test_time(x, p, rng, training=True):
    if not training:
        return x * (1 - p), None
    if p == 0:
        return x, None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@mistake(E, "still dropped")  # ignores training
def ignores_training(x, p, rng, training=True):
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@mistake(E, "np.random")  # global numpy RNG
def global_rng(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (np.random.rand(*x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


@mistake(E, "never draw a second one")  # the cache holds a freshly drawn mask
def redraws_mask_for_cache(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    cache = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, cache


@mistake(E, "WITHOUT the 1 / (1 - p) scale")  # caches the boolean keep mask
def caches_unscaled_mask(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    keep = rng.random(x.shape) >= p
    return x * keep / x.dtype.type(1 - p), keep.astype(x.dtype)


@mistake(E, "changed its input `x` in place")
def in_place(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    x *= mask
    return x, mask


@mistake(E, "keep the dtype of x")
def upcasts(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, mask


@mistake(E, "independently")  # one coin for the whole array
def one_coin(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    keep = rng.random() >= p
    mask = np.full(x.shape, keep / (1 - p), dtype=x.dtype)
    return x * mask, mask


@correct(E)
def binomial_mask(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = rng.binomial(1, 1 - p, size=x.shape).astype(x.dtype) * x.dtype.type(1 / (1 - p))
    return x * mask, mask


@correct(E)
def uniform_below_keep(x, p, rng, training=True):
    if not training or p == 0:
        return x, None
    mask = np.where(rng.random(x.shape) < 1 - p, x.dtype.type(1 / (1 - p)), x.dtype.type(0))
    return x * mask, mask
