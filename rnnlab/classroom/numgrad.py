"""Checker for the centred-difference gradient: ``numerical_gradient``."""

from __future__ import annotations

import numpy as np

from ..gradcheck import rel_error
from ..layers import rnn_backward, rnn_forward
from .context import MATCH, TOL, compare_parts, exercise
from .feedback import Failed
from .inputs import rnn_params

# --------------------------------------------------------------------------
# 5. numerical_gradient
# --------------------------------------------------------------------------


def _score(fn, rng):
    x, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    A, df = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    scalar = fn(lambda z: float(np.sum(z**3 + c * z)), x.copy())
    array = fn(lambda z: z @ A, x.copy(), df.copy())
    return compare_parts([scalar, array], [3 * x**2 + c, df @ A.T], ["scalar f", "array f with df"], tol=1e-6)


@exercise("numerical_gradient", "grad, an array shaped like x", scorer=_score)
def check_numerical_gradient(fn, rng, ctx):
    """Check ``numerical_gradient(f, x, df=None, eps=1e-5) -> grad`` (two-sided differences).

    grad has the shape of x and approximates d sum(f(x) * df) / dx (df = 1 for a scalar f).
    Compared with exact gradients of known functions, including rnnlab's rnn_forward.
    """
    restore = ("Perturb a copy of x, or put x[i] back to its original value after each "
               "perturbation: the caller's x must be unchanged.")

    def student(*args, case):
        got = ctx.call(fn, *args, names=["f", "x", "df", "eps"], case=case, mutation_hint=restore)
        return ctx.array("grad", got, args[1].shape, "x.shape")

    def one_sided(f, x, eps=1e-5):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp = x.copy()
            xp[i] += eps
            g[i] = (f(xp) - f(x)) / eps
        return g

    x = rng.standard_normal((3, 4))
    c = rng.standard_normal((3, 4))

    def f_scalar(z):  # curved enough that a one-sided difference is visibly worse
        return float(np.sum(z**3) + np.sum(np.sin(z) * c))

    exact = 3 * x**2 + np.cos(x) * c
    got = student(f_scalar, x, case="a scalar f(x) = sum(x**3 + c * sin(x))")
    known = [
        (one_sided(f_scalar, x), "it uses a one-sided difference (f(x + eps) - f(x)) / eps, whose error is "
                                 "of order eps; the centred (f(x + eps) - f(x - eps)) / (2 * eps) has error "
                                 "of order eps**2."),
        (one_sided(f_scalar, x, -1e-5), "it uses a one-sided difference (f(x) - f(x - eps)) / eps, whose error is "
                                        "of order eps; the centred (f(x + eps) - f(x - eps)) / (2 * eps) has error "
                                        "of order eps**2."),
        (np.full_like(x, (f_scalar(x + 1e-5) - f_scalar(x - 1e-5)) / 2e-5),
         "every entry of x is perturbed at once (x + eps moves all of them): perturb one entry at a time, "
         "x[i] + eps for each index i, so that grad[i] is the slope along that entry alone."),
        (exact * np.abs(x), "grad is scaled by |x| entry by entry: the step is eps * |x[i]| but the division is by "
                            "2 * eps; use the same absolute step eps for every entry."),
        (exact / 1e-5, "grad is 1/eps times too large: the difference is divided by 2 * eps**2; divide by "
                       "2 * eps, the distance between x + eps and x - eps."),
        (2 * exact, "grad is 2 times too large: the centred difference divides by 2 * eps, the distance "
                    "between x + eps and x - eps."),
        (np.zeros_like(x), "grad is all zeros: f must be called with the perturbed array (if you perturb a "
                           "copy, pass that copy to f)."),
    ]
    err = rel_error(got, exact)
    if TOL <= err < 1e-3 and all(rel_error(got, cand) >= MATCH for cand, _ in known):
        raise Failed(f"grad is close but not accurate enough (relative error {err:.1e}, needs < 1e-7): "
                      f"use the centred difference (f(x + eps) - f(x - eps)) / (2 * eps) with eps about 1e-5.")
    ctx.compare("grad", got, exact, letters="x.shape", known=known)

    # eps must be used: for sum(x**3) the centred difference is exactly 3 x**2 + eps**2.
    def f_cube(z):
        return float(np.sum(z**3))

    got = student(f_cube, x, None, 0.5, case="eps=0.5")
    ctx.compare("grad", got, 3 * x**2 + 0.25, letters="x.shape", known=[
        (3 * x**2, "the eps argument is ignored: use the eps the caller passes."),
    ])

    # An array-valued f needs the upstream gradient df.
    x2 = rng.standard_normal((2, 3))
    A = rng.standard_normal((3, 4))
    df = rng.standard_normal((2, 4))
    got = student(lambda z: z @ A, x2, df, case="f(x) = x @ A with an upstream gradient df")
    ctx.compare("grad", got, df @ A.T, letters="x.shape", known=[
        (np.ones_like(df) @ A.T, "df is ignored: for an array-valued f the gradient of sum(f(x) * df) is "
                                 "wanted, so multiply the difference by df before summing."),
        ((np.ones_like(df) @ A.T) * df.mean(), "df is reduced to one number (its mean): multiply the difference "
                                               "f(x + eps) - f(x - eps) by df entry by entry, then sum."),
        ((np.ones_like(df) @ A.T) * df.sum(), "df is reduced to one number (its sum): multiply the difference "
                                              "f(x + eps) - f(x - eps) by df entry by entry, then sum."),
    ])

    # A real layer: the gradient of rnn_forward with respect to Wh.
    N, T, D, H = 2, 3, 3, 4
    xs = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx, Wh, b = rnn_params(rng, D, H)
    h, cache = rnn_forward(xs, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    got = student(lambda W: rnn_forward(xs, h0, Wx, W, b)[0], Wh, dh, case="rnn_forward as a function of Wh")
    ctx.compare("grad", got, rnn_backward(dh, cache)[3], letters="x.shape")
    return "agrees with exact gradients of 4 functions (scalar and array-valued, one of them rnn_forward) to < 1e-7."

