"""Checkers for one vanilla RNN step: ``rnn_step_forward`` and ``rnn_step_backward``."""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..layers import rnn_step_backward, rnn_step_forward
from . import probes
from .context import MATCH, TOL, TOL32, compare_parts, exercise
from .feedback import Failed
from .inputs import STEP_SIZES, rnn_params

_STEP_GRADS = ["dx", "dh_prev", "dWx", "dWh", "db"]

# --------------------------------------------------------------------------
# 1. rnn_step_forward
# --------------------------------------------------------------------------


def _step_case(rng, N=3, D=4, H=5):
    x = rng.standard_normal((N, D))
    h_prev = rng.standard_normal((N, H))
    return (x, h_prev, *rnn_params(rng, D, H, scale=0.7))


def _score_forward(fn, rng):
    args = _step_case(rng)
    return compare_parts([fn(*[a.copy() for a in args])[0]], [rnn_step_forward(*args)[0]], ["h_next"])


def _score_backward(fn, rng):
    args = _step_case(rng)
    _, cache = rnn_step_forward(*args)
    dh = rng.standard_normal(args[1].shape)
    got = fn(dh.copy(), tuple(c.copy() if isinstance(c, np.ndarray) else c for c in cache))
    return compare_parts(got, rnn_step_backward(dh, cache), _STEP_GRADS)


@exercise("rnn_step_forward", "(h_next, cache)", scorer=_score_forward)
def check_rnn_step_forward(fn, rng, ctx):
    """Check ``rnn_step_forward(x, h_prev, Wx, Wh, b) -> (h_next, cache)`` (tanh).

    x: (N, D), h_prev: (N, H), Wx: (D, H), Wh: (H, H), b: (H,); h_next: (N, H).
    Each term of a = x @ Wx + h_prev @ Wh + b is also tested alone (the others zeroed).
    """
    names = ["x", "h_prev", "Wx", "Wh", "b"]

    def student_h(x, h_prev, Wx, Wh, b, case):
        out = ctx.call(fn, x, h_prev, Wx, Wh, b, names=names, case=case)
        h_next = ctx.outputs(out, ["h_next", "cache"])[0]
        return ctx.array("h_next", h_next, (x.shape[0], Wx.shape[1]), "(N, H)")

    def case_inputs(N, D, H, dtype=np.float64):
        x = rng.standard_normal((N, D)).astype(dtype)
        h_prev = rng.standard_normal((N, H)).astype(dtype)
        return (x, h_prev, *rnn_params(rng, D, H, dtype, scale=0.7))

    N, D, H = STEP_SIZES[0]
    x, h_prev, Wx, Wh, b = case_inputs(N, D, H)
    student_h(x, h_prev, Wx, Wh, b, f"N={N}, D={D}, H={H}")  # structure and shapes first

    # One term at a time: zero the other inputs, so the message can say which term is wrong.
    zx, zh, zb = np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(b)
    no_tanh = "h_next is missing the tanh: h_next = tanh(a), not the pre-activation a itself."
    terms = [
        ("the input term x @ Wx", (x, zh, Wx, Wh, zb), [(x @ Wx, no_tanh)]),
        ("the recurrent term h_prev @ Wh", (zx, h_prev, Wx, Wh, zb), [
            (np.tanh(h_prev @ Wh.T),
             "the recurrent term uses Wh transposed: with row vectors it is h_prev @ Wh (Wh is (H, H), so the "
             "shape cannot catch this)."),
            (np.zeros((N, H)), "the recurrent term h_prev @ Wh is missing: h_next must depend on h_prev."),
            (h_prev @ Wh, no_tanh),
        ]),
        ("the bias b", (zx, zh, Wx, Wh, b), [
            (np.zeros((N, H)), "the bias term b is missing: a = x @ Wx + h_prev @ Wh + b."),
            (np.broadcast_to(b, (N, H)), no_tanh),
        ]),
    ]
    for label, args, known in terms:
        got = student_h(*args, case=f"only {label} nonzero")
        try:
            ctx.compare("h_next", got, rnn_step_forward(*args)[0], letters="(N, H)", known=known)
        except Failed as f:
            if "right shape but" in f.message:
                raise Failed(f"{label} is wrong: with every other input zero, h_next disagrees with "
                              f"tanh of that term alone.") from None
            raise

    for N, D, H in STEP_SIZES:
        args = case_inputs(N, D, H)
        got = student_h(*args, case=f"N={N}, D={D}, H={H}")
        x, h_prev, Wx, Wh, b = args
        ctx.compare("h_next", got, rnn_step_forward(*args)[0], letters="(N, H)",
                    known=[(x @ Wx + h_prev @ Wh + b, no_tanh)])

    args32 = case_inputs(3, 5, 4, np.float32)
    got = student_h(*args32, case="float32 inputs")
    ctx.compare("h_next", got, rnn_step_forward(*args32)[0], letters="(N, H)", tol=TOL32)
    return (f"h_next agrees with rnnlab on {len(STEP_SIZES)} random cases, on each term of "
            f"a = x @ Wx + h_prev @ Wh + b alone, and on a float32 case.")


# --------------------------------------------------------------------------
# 2. rnn_step_backward
# --------------------------------------------------------------------------



def _step_letters(N, D, H):
    return {"dx": ((N, D), "(N, D)"), "dh_prev": ((N, H), "(N, H)"), "dWx": ((D, H), "(D, H)"),
            "dWh": ((H, H), "(H, H)"), "db": ((H,), "(H,)")}


def _wrong_step_grads(da, x, h_prev, Wx, Wh):
    """The five gradients computed from a given da (used to name a wrong da)."""
    return {"dx": da @ Wx.T, "dh_prev": da @ Wh.T, "dWx": x.T @ da, "dWh": h_prev.T @ da, "db": da.sum(0)}


@exercise("rnn_step_backward", "(dx, dh_prev, dWx, dWh, db)", scorer=_score_backward)
def check_rnn_step_backward(fn, rng, ctx):
    """Check ``rnn_step_backward(dh_next, cache) -> (dx, dh_prev, dWx, dWh, db)``.

    cache comes from rnnlab's rnn_step_forward (tanh): (x, h_prev, Wx, Wh, h_next, activation).
    Compared with numerical gradients of rnn_step_forward and with rnnlab's rnn_step_backward.
    """

    def run(N, D, H, dtype=np.float64):
        x = rng.standard_normal((N, D)).astype(dtype)
        h_prev = rng.standard_normal((N, H)).astype(dtype)
        Wx, Wh, b = rnn_params(rng, D, H, dtype, scale=0.7)
        h_next, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
        dh_next = rng.standard_normal((N, H)).astype(dtype)
        case = f"N={N}, D={D}, H={H}" + (", float32" if dtype == np.float32 else "")
        out = ctx.call(fn, dh_next, cache, names=["dh_next", "cache"], case=case)
        grads = dict(zip(_STEP_GRADS, ctx.outputs(out, _STEP_GRADS)))
        shapes = _step_letters(N, D, H)
        for k in _STEP_GRADS:
            ctx.array(k, grads[k], *shapes[k], shape_hints={(N, H): "Sum db over the batch axis (axis=0)."} if k == "db" else None)
        return x, h_prev, Wx, Wh, b, h_next, cache, dh_next, grads

    N, D, H = STEP_SIZES[0]
    x, h_prev, Wx, Wh, b, h_next, cache, dh_next, grads = run(N, D, H)
    again = ctx.outputs(ctx.call(fn, dh_next, cache, names=["dh_next", "cache"]), _STEP_GRADS)
    ctx.repeatable([grads[k] for k in _STEP_GRADS], again, _STEP_GRADS)

    # Ground truth for the first case: numerical gradients of rnnlab's forward step.
    inputs = {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "b": b}
    numeric = {}
    for k, v in inputs.items():
        def f(z, k=k):
            return rnn_step_forward(**{**inputs, k: z})[0]
        numeric["d" + k] = numerical_gradient(f, v, df=dh_next)

    for first, (N, D, H) in enumerate(STEP_SIZES):
        if first:
            x, h_prev, Wx, Wh, b, h_next, cache, dh_next, grads = run(N, D, H)
        ref = dict(zip(_STEP_GRADS, rnn_step_backward(dh_next, cache)))
        if first == 0:
            ref = numeric
        da = dh_next * (1 - h_next**2)
        no_deriv = _wrong_step_grads(dh_next, x, h_prev, Wx, Wh)
        tanh_twice = _wrong_step_grads(dh_next * (1 - np.tanh(h_next) ** 2), x, h_prev, Wx, Wh)
        deriv_msg = ("the gradient skips the tanh: multiply dh_next by tanh'(a) = 1 - h_next**2 "
                     "before the matrix products.")
        twice_msg = ("tanh' is applied to tanh(h_next), but h_next is already tanh(a): "
                     "use 1 - h_next**2 (or 1 - np.tanh(a)**2 with the pre-activation a).")
        known = {
            "dh_prev": [(da @ Wh, "dh_prev misses the transpose on Wh: a = ... + h_prev @ Wh, so "
                                  "dh_prev = da @ Wh.T (Wh is square, so the shape cannot catch this).")],
            "dWh": [((h_prev.T @ da).T, "dWh is transposed: a = ... + h_prev @ Wh gives dWh = h_prev.T @ da, "
                                        "and (H, H) hides the mistake.")],
        }
        letters = _step_letters(N, D, H)
        for k in _STEP_GRADS:
            ctx.compare(k, grads[k], ref[k], letters=letters[k][1],
                        known=[(no_deriv[k], deriv_msg), (tanh_twice[k], twice_msg)] + known.get(k, []),
                        factors={"N (the batch size)": N}, tol=TOL)

    *_, cache, dh_next, grads32 = run(3, 5, 4, np.float32)
    ref32 = dict(zip(_STEP_GRADS, rnn_step_backward(dh_next, cache)))
    for k in _STEP_GRADS:
        ctx.compare(k, grads32[k], ref32[k], letters=_step_letters(3, 5, 4)[k][1], tol=TOL32)
    return (f"all five gradients agree with numerical gradients and with rnnlab on {len(STEP_SIZES)} "
            f"random cases and a float32 case; calling twice gives the same result.")

