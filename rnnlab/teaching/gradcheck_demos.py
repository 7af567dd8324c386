"""Small routines behind notebook 03's gradient checks: layer by layer, and over a range of steps eps.

* ``layer_rel_errors``: check every gradient a layer's backward function returns against
  ``numerical_gradient`` of ``sum(forward(...) * dout)``.
* ``eps_sweep``: the relative error of a numerical gradient as a function of the step eps
  (the V-shaped curve of truncation against round-off error).
* ``one_hot``: the vectors a symbol index stands for (the embedding section).
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error


def layer_rel_errors(forward, analytic, inputs, dout):
    """Relative error of each analytic gradient of a layer against a numerical one.

    Args:
        forward: forward(**inputs) -> output array y
        analytic: dict name -> the backward function's gradient of sum(y * dout) with respect to
            inputs[name] (same shape as inputs[name])
        inputs: dict name -> array, the point at which to check
        dout: upstream gradient, same shape as y (None when forward returns a scalar loss)

    Returns:
        dict name -> rnnlab.rel_error(numerical, analytic), in the order of ``analytic``
    """
    missing = sorted(set(analytic) - set(inputs))
    if missing:
        raise ValueError(f"layer_rel_errors: analytic names {missing} are not in inputs {sorted(inputs)}")
    errors = {}
    for name, grad in analytic.items():
        def f(value, name=name):
            return forward(**{**inputs, name: value})
        errors[name] = rel_error(numerical_gradient(f, inputs[name], df=dout), grad)
    return errors


def eps_sweep(loss_of, w, analytic, eps_values):
    """Relative error of the two-sided numerical gradient of ``loss_of`` at ``w`` for each eps.

    Args:
        loss_of: w -> scalar loss
        w: the array to differentiate at (its dtype is kept: float32 shows round-off)
        analytic: the exact gradient (float64), shape of w
        eps_values: (E,) steps

    Returns:
        (E,) float64 relative errors
    """
    return np.array([rel_error(numerical_gradient(loss_of, w, eps=w.dtype.type(e)), analytic)
                     for e in eps_values])


def one_hot(idx, V):
    """One-hot vectors of integer indices.  idx: (...) ints in [0, V) -> (..., V) float64, 1 at idx."""
    idx = np.asarray(idx)
    if not np.issubdtype(idx.dtype, np.integer) or idx.size and (idx.min() < 0 or idx.max() >= V):
        raise ValueError(f"one_hot: idx must be integers in [0, V={V}), got dtype {idx.dtype}"
                         + (f" with values in [{idx.min()}, {idx.max()}]" if idx.size else ""))
    return np.eye(V)[idx]
