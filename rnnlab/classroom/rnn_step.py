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

    # One term at a time: zero the other inputs, so the message can say which term is wrong, and
    # identify from the values which function was applied to it and to what.
    zx, zh, zb = np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(b)
    no_tanh = "h_next is missing the tanh: h_next = tanh(a), not the pre-activation a itself."
    terms = [
        ("the input term x @ Wx", (x, zh, Wx, Wh, zb), x @ Wx, []),
        ("the recurrent term h_prev @ Wh", (zx, h_prev, Wx, Wh, zb), h_prev @ Wh, [
            (h_prev @ Wh.T, "the recurrent term uses Wh transposed: with row vectors it is h_prev @ Wh (Wh is "
                            "(H, H), so the shape cannot catch this)."),
        ]),
        ("the bias b", (zx, zh, Wx, Wh, b), np.broadcast_to(b, (N, H)), [
            (np.full((N, H), b.sum()), "the bias is summed into one number: b is a vector of H biases, one per "
                                       "hidden unit, added to every row of a."),
        ]),
    ]
    tanh_seen = False  # a probe already showed the tanh is there
    for label, args, term, wrong_pre in terms:
        got = student_h(*args, case=f"only {label} nonzero")
        if rel_error(got, np.tanh(term)) < TOL:
            tanh_seen = True
            continue
        if not np.all(np.isfinite(got)) or got.dtype != term.dtype:
            ctx.compare("h_next", got, np.tanh(term), letters="(N, H)")
        if not np.any(got):
            missing = {"the bias b": "the bias term b is missing: a = x @ Wx + h_prev @ Wh + b.",
                       "the recurrent term h_prev @ Wh": "the recurrent term h_prev @ Wh is missing: h_next must "
                                                         "depend on h_prev."}
            raise Failed(missing.get(label, f"{label} is missing: with only it nonzero, h_next is all zeros "
                                            f"(a = x @ Wx + h_prev @ Wh + b)."))
        act = probes.which_activation(got, term)
        if act is not None and label == "the bias b" and tanh_seen and act.startswith("no activation"):
            raise Failed("the bias is added after the tanh: it belongs inside, h_next = tanh(x @ Wx + h_prev @ Wh "
                         "+ b).")
        if act is not None and act.startswith("no activation"):
            raise Failed(no_tanh)
        if act is not None:
            raise Failed(f"h_next applies {act} where the course uses tanh: h_next = tanh(a) (probe: {label} "
                         f"alone).")
        # tanh is applied, but to something else: identify the pre-activation that was used
        with np.errstate(all="ignore"):
            pre = np.arctanh(np.clip(got, -1 + 1e-15, 1 - 1e-15))
        for cand, message in wrong_pre:
            if probes.close(pre, cand, 1e-6):
                raise Failed(message)
        scale, exact = probes.best_scale(pre, term)
        if exact and abs(scale - 2) < 1e-6:
            raise Failed(f"{label} is counted twice: each term appears once in a = x @ Wx + h_prev @ Wh + b.")
        if exact and abs(scale + 1) < 1e-6:
            raise Failed(f"{label} enters a with the wrong sign: a = x @ Wx + h_prev @ Wh + b.")
        raise Failed(f"{label} is wrong: with every other input zero, h_next should be tanh of that term alone, "
                     f"and it is not.")

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



def _shape_hints(N, D, H):
    """Messages for the wrong shapes a student's gradient typically has."""
    swapped = "dWx and dWh are swapped in the return: the order is (dx, dh_prev, dWx, dWh, db)."
    hints = {"db": {(N, H): "Sum db over the batch axis (axis=0).", (N,): "db is summed over the wrong axis: "
                    "sum da over the batch, axis=0, to get one value per hidden unit (H,)."},
             "dWx": {}, "dWh": {}}
    if D != H:
        hints["dWx"][(H, H)] = swapped
        hints["dWh"][(D, H)] = swapped
    return hints


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
            ctx.array(k, grads[k], *shapes[k], shape_hints=_shape_hints(N, D, H).get(k))
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
        a = x @ Wx + h_prev @ Wh + b
        _diagnose_step_backward(ctx, grads, ref, x, h_prev, Wx, Wh, h_next, a, dh_next)

    *_, cache, dh_next, grads32 = run(3, 5, 4, np.float32)
    ref32 = dict(zip(_STEP_GRADS, rnn_step_backward(dh_next, cache)))
    for k in _STEP_GRADS:
        ctx.compare(k, grads32[k], ref32[k], letters=_step_letters(3, 5, 4)[k][1], tol=TOL32)
    return (f"all five gradients agree with numerical gradients and with rnnlab on {len(STEP_SIZES)} "
            f"random cases and a float32 case; calling twice gives the same result.")


_LETTERS = {"dx": "(N, D)", "dh_prev": "(N, H)", "dWx": "(D, H)", "dWh": "(H, H)", "db": "(H,)"}
_DERIV_FIX = "da = dh_next * (1 - h_next**2), since tanh'(a) = 1 - tanh(a)**2 and h_next = tanh(a)"


def _diagnose_step_backward(ctx, grads, ref, x, h_prev, Wx, Wh, h_next, a, dh_next, *, what="dh_next",
                            extra=None):
    """Name what is wrong in the five gradients of one step (shared with the BPTT checker).

    Every gradient is da passed through one product; each wrong output is matched against the same
    products of structured candidates for da (every activation derivative a student might use) and
    against structured mistakes of the product itself (transposed, the wrong state, a mean).
    extra: {output: [(candidate, message)]} more candidates from the caller.
    """
    N = x.shape[0]
    right = {k: rel_error(grads[k], ref[k]) < TOL and grads[k].dtype == ref[k].dtype for k in _STEP_GRADS}
    wrong = [k for k in _STEP_GRADS if not right[k]]
    if not wrong:
        return
    for k in wrong:  # shape, dtype and nan first, with their own messages
        if grads[k].dtype != ref[k].dtype or not np.all(np.isfinite(grads[k])):
            ctx.compare(k, grads[k], ref[k], letters=_LETTERS[k])
    da = dh_next * (1 - h_next**2)
    variants = {label: _wrong_step_grads(dh_next * factor, x, h_prev, Wx, Wh)
                for label, factor in probes.derivative_candidates(h_next, a).items()}
    explained = {}
    for k in wrong:
        for label, out in variants.items():
            if probes.close(grads[k], out[k]):
                explained[k] = label
                break
    if explained and len(set(explained.values())) == 1 and set(explained) == set(wrong):
        label = next(iter(explained.values()))
        if label.startswith("1 (no"):
            label = "no activation derivative: it skips the tanh (dh_next itself is used as da)"
        names = " and ".join(wrong)
        if len(wrong) == len(_STEP_GRADS):
            raise Failed(f"the gradient through the tanh uses {label}: {_DERIV_FIX}; every gradient is built "
                         f"from that da.")
        raise Failed(f"{names} {'is' if len(wrong) == 1 else 'are'} computed with {label}, while the other "
                     f"gradients are right: build {names} from the same {_DERIV_FIX}.")
    product = {
        "dh_prev": [(da @ Wh, "dh_prev misses the transpose on Wh: a = ... + h_prev @ Wh, so dh_prev = da @ Wh.T "
                              "(Wh is square, so the shape cannot catch this)."),
                    (dh_next, f"dh_prev passes {what} through unchanged: h_prev reaches h_next through Wh and "
                              f"the tanh, so dh_prev = da @ Wh.T.")],
        "dWh": [((h_prev.T @ da).T, "dWh is transposed: a = ... + h_prev @ Wh gives dWh = h_prev.T @ da, and "
                                    "(H, H) hides the mistake."),
                (h_next.T @ da, "dWh is built from h_next, the new state: the weight Wh multiplied h_prev, so "
                                "dWh = h_prev.T @ da.")],
        "dWx": [((x.T @ da) / N, "dWx is N (the batch size) times too small: sum over the batch, do not average.")],
        "db": [(da.mean(0), "db averages da over the batch: sum it (db = da.sum(axis=0)), as dWx and dWh sum "
                            "over the batch through their matrix products.")],
    }
    for k, cands in (extra or {}).items():
        product.setdefault(k, []).extend(cands)
    for k in _STEP_GRADS:
        if right[k]:
            continue
        known = list(product.get(k, []))
        for label, out in variants.items():
            known.append((out[k], f"{k} is computed with {label}: use {_DERIV_FIX}."))
        ctx.compare(k, grads[k], ref[k], letters=_LETTERS[k], known=known, factors={"N (the batch size)": N})
