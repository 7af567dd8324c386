"""Inverted dropout, applied BETWEEN layers (to a layer's input), never inside the recurrence.

Training: each unit is kept with probability 1 - p and, when kept, multiplied by
1 / (1 - p), so its expected value is unchanged:  E[out] = x.  At test time the
layer is the identity, with nothing to rescale (that is what "inverted" buys).

Why not on the recurrent connection h_{t-1} -> h_t: a fresh mask at every step
multiplies the memory by T independent random masks, so whatever the state
carries from step 1 is kept at step T only with probability (1 - p)^(T-1) per
unit; long-range information is destroyed, not regularised (Zaremba et al. 2014
apply dropout only to the non-recurrent connections).  Gal and Ghahramani (2016)
show that ONE mask reused at every step is safe there; rnnlab keeps the simpler
between-layer form.

Shapes: x any shape (usually (N, T, D) or (N, F)), mask the same shape.
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_array


def dropout_forward(x, p, rng, training=True):
    """Inverted dropout.

    Args:
        x: float array of any shape
        p: probability of dropping a unit, 0 <= p < 1
        rng: numpy Generator for the mask (the same seed gives the same mask)
        training: False returns x unchanged (test time)

    Returns:
        out: same shape and dtype as x
        cache: the scaled mask (0 or 1/(1-p), dtype of x), or None when nothing was dropped
    """
    where = "dropout_forward"
    as_float_array(where, "x", x)
    if not isinstance(p, (float, int)) or not 0 <= p < 1:
        raise ValueError(f"{where}: p must be a number in [0, 1), got {p!r}")
    if not training or p == 0:
        return x, None
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: rng must be a numpy Generator, got {type(rng).__name__}")
    keep = rng.random(x.shape) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * mask, mask


def dropout_backward(dout, cache):
    """dx = dout * mask: a dropped unit passes no gradient.  dout: shape of x -> dx: same shape."""
    as_float_array("dropout_backward", "dout", dout)
    if cache is None:
        return dout
    if dout.shape != cache.shape:
        raise ValueError(f"dropout_backward: dout must have the shape of x {cache.shape}, got {dout.shape}")
    return dout * cache
