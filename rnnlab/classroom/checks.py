"""Checkers for the classroom exercises: run a student's function, say what is wrong.

Each exercise notebook asks the student to write one function (for example
``rnn_step_backward``) and then calls its checker with it::

    result = check_rnn_step_backward(rnn_step_backward)

A checker runs the student's function on several seeded random cases, compares
every output with rnnlab's own implementation (and with numerical gradients),
and returns a :class:`CheckResult` that is truthy exactly when everything
agreed.  ``str(result)`` is the feedback: one or two plain sentences that say
*what* is wrong ("dWh is transposed", "the gradient from later time steps is
missing"), never the correct arrays.  The feedback is also shown in the
notebook (rich display in a kernel, ``print`` elsewhere; ``show=False`` turns
this off).

A checker never raises because of the student's code: an exception, including
the ``NotImplementedError`` of an unfinished stub, is reported in the result.

Values are compared, not code: ``1 - h**2`` and ``1 - np.tanh(a)**2``, a loop
or a vectorised formula, all pass when they compute the right numbers.

Adding a checker takes one decorated function (``check_lstm_step_forward`` at the
end of this module is the full version of this sketch)::

    @exercise("lstm_step_forward", "(h_next, c_next, cache)")
    def check_lstm_step_forward(fn, rng, ctx):
        ...                                   # build inputs with rng
        out = ctx.call(fn, x, h_prev, ...)    # student call, exceptions reported
        h_next, c_next = ctx.outputs(out, ["h_next", "c_next", "cache"])[:2]
        ctx.compare("h_next", h_next, reference_h_next, letters="(N, H)")
        return "a pass sentence"

``ctx`` (a :class:`_Context`) holds the reusable pieces: ``call`` (with
mutation detection), ``outputs`` (structure), ``compare`` (shape, dtype, nan,
then known mistakes, sign, transpose, factor), ``repeatable`` (state kept
between calls).  Anything wrong raises ``ctx.fail(message)``; the decorator
turns that into a failed result and registers the checker in ``CHECKERS``.
"""

from __future__ import annotations

import html
import os
import traceback
import warnings
from dataclasses import dataclass, field
from functools import wraps
from itertools import permutations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..layers import (
    ACTIVATIONS,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    softmax,
    temporal_softmax_loss,
)
from ..lstm import lstm_step_backward, lstm_step_forward
from ..optim import clip_grad_norm, global_norm

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))

TOL = 1e-7  # float64 agreement, as for gradient checks
TOL32 = 1e-4  # float32 cases only check the dtype and loose agreement
MATCH = 1e-6  # "the output equals this known wrong answer"

__all__ = [
    "CheckResult",
    "CHECKERS",
    "check_rnn_step_forward",
    "check_rnn_step_backward",
    "check_rnn_backward",
    "check_temporal_softmax_loss",
    "check_numerical_gradient",
    "check_clip_grad_norm",
    "check_sample_with_temperature",
    "check_lstm_step_forward",
    "check_lstm_step_backward",
    "run_all_checks",
]


# --------------------------------------------------------------------------
# The result object
# --------------------------------------------------------------------------


@dataclass
class CheckResult:
    """Outcome of one checker: truthy exactly when the student's function passed.

    exercise: the function's name, e.g. "rnn_step_backward"
    status:   "passed", "failed", "not implemented" or "error" (the student's code raised)
    message:  the feedback sentences (without the exercise name)
    """

    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        verdict = {"passed": "PASSED", "not implemented": "NOT IMPLEMENTED"}.get(self.status, "NOT PASSED")
        return f"[{verdict}] {self.exercise}: {self.message}"

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "not implemented": "#9a6700"}.get(self.status, "#cf222e")
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 4px 10px; margin: 2px 0">'
            f"{html.escape(str(self))}</div>"
        )

    def _bundle(self):
        return {"text/plain": str(self), "text/html": self._repr_html_()}

    # The checker already displayed the result; when the same cell also ends
    # with the call (``check_x(f)`` without ``result =``), don't show it twice.
    _shown_in_cell: object = field(default=None, repr=False, compare=False)

    def _ipython_display_(self):
        from IPython import get_ipython
        from IPython.display import display

        ip = get_ipython()
        if ip is not None and self._shown_in_cell == ip.execution_count:
            return
        display(self._bundle(), raw=True)


def _show(result: CheckResult) -> None:
    """Rich display inside a Jupyter kernel, print otherwise."""
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # IPython is not a runtime dependency
        ip = None
    if ip is not None and getattr(ip, "kernel", None) is not None:
        from IPython.display import display

        display(result._bundle(), raw=True)
        result._shown_in_cell = ip.execution_count
    else:
        print(result)


# --------------------------------------------------------------------------
# The machinery shared by every checker
# --------------------------------------------------------------------------


class _Failed(Exception):
    """Raised inside a checker to stop at the first diagnosis."""

    def __init__(self, message, status="failed"):
        super().__init__(message)
        self.message = message
        self.status = status


def _describe_exception(e: BaseException) -> str:
    """'ValueError: ... (line 7: `dh = da @ Wh`)' pointing at the student's own line."""
    text = str(e).strip().splitlines()
    text = text[0] if text else ""
    if len(text) > 200:
        text = text[:200] + "..."
    where = ""
    frames = traceback.extract_tb(e.__traceback__)
    # the deepest frame outside rnnlab and numpy is the student's line
    student = [f for f in frames if not f.filename.startswith((_PACKAGE_DIR, _NUMPY_DIR))]
    if student and student[-1].line:
        where = f" (at `{student[-1].line.strip()}`)"
    return f"{type(e).__name__}: {text}{where}" if text else f"{type(e).__name__}{where}"


def _copy_tree(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    if isinstance(a, (tuple, list)):
        return type(a)(_copy_tree(v) for v in a)
    if isinstance(a, dict):
        return {k: _copy_tree(v) for k, v in a.items()}
    return a


def _same_tree(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_tree(a[k], b[k]) for k in a)
    return True


def _factor_name(s, factors):
    """'N (the batch size)' when s is about N (or 1/N); None otherwise."""
    for label, k in factors.items():
        if k not in (0, 1) and abs(s - k) < 1e-6 * k:
            return f"{label} times too large"
        if k not in (0, 1) and abs(s - 1 / k) < 1e-6 / k:
            return f"{label} times too small"
    return None


class _Context:
    """What a checker body uses; every method raises _Failed with a diagnosis."""

    def __init__(self, exercise):
        self.exercise = exercise

    @staticmethod
    def fail(message):
        return _Failed(message)

    def call(self, fn, *args, names=None, case="", may_change=(), mutation_hint=None, error_hint=None):
        """Call the student's function; report its exceptions and any input it changed.

        may_change: names of arguments the function is meant to modify in place.
        error_hint: a sentence added when the function raises ValueError (usually a shape mismatch).
        """
        before = _copy_tree(args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # overflow shows up as inf/nan in the output
            with np.errstate(all="ignore"):
                try:
                    out = fn(*args)
                except NotImplementedError:
                    raise _Failed(
                        "not implemented yet: the function still raises NotImplementedError. "
                        "Replace `# YOUR CODE HERE` and `raise NotImplementedError()` with your code.",
                        status="not implemented",
                    ) from None
                except Exception as e:  # noqa: BLE001 - any error in student code is feedback
                    suffix = f" on a case with {case}" if case else ""
                    hint = f" {error_hint}" if error_hint and isinstance(e, ValueError) else ""
                    raise _Failed(f"your function raised {_describe_exception(e)}{suffix}.{hint}",
                                  status="error") from None
        names = names or [f"argument {i + 1}" for i in range(len(args))]
        for name, a, b in zip(names, before, args):
            if name not in may_change and not _same_tree(a, b):
                raise _Failed(
                    f"your function changed its input `{name}` in place. "
                    + (mutation_hint or "Work on new arrays (`z = z - m`, not `z -= m`) so the caller's "
                       "data stays intact.")
                )
        return out

    def outputs(self, out, names):
        """The student's return value as a list of len(names) items."""
        want = f"({', '.join(names)})"
        if len(names) == 1:
            return [out]
        if not isinstance(out, (tuple, list)):
            raise _Failed(
                f"it should return {len(names)} values {want}, but returned one {type(out).__name__}. "
                f"End with `return {', '.join(names)}`."
            )
        if len(out) != len(names):
            raise _Failed(f"it should return {len(names)} values {want}, but returned {len(out)}.")
        return list(out)

    def array(self, name, got, expected_shape, letters, shape_hints=None):
        """got must be an ndarray of expected_shape; letters like '(N, H)' name the axes."""
        if not isinstance(got, np.ndarray):
            raise _Failed(f"{name} should be a numpy array of shape {letters}, but is a {type(got).__name__}.")
        if got.shape != tuple(expected_shape):
            msg = f"{name} has the wrong shape: expected {letters} = {tuple(expected_shape)}, got {got.shape}."
            hint = (shape_hints or {}).get(got.shape)
            if hint is None and got.shape == tuple(expected_shape)[::-1]:
                hint = "It looks transposed."
            raise _Failed(f"{msg} {hint}" if hint else msg)
        return got

    def compare(self, name, got, expected, *, letters, known=(), factors=None, tol=TOL, shape_hints=None):
        """Shape, dtype, finiteness, then the value; a mismatch is named as precisely as possible.

        known: (candidate array or None, message) pairs, wrong answers that a
               specific mistake produces; tried first.
        factors: {"N (the batch size)": N, ...} names a scale error.
        """
        self.array(name, got, expected.shape, letters, shape_hints)
        if got.dtype != expected.dtype:
            raise _Failed(
                f"{name} has dtype {got.dtype} but the inputs were {expected.dtype}: keep the input dtype "
                f"(e.g. `np.zeros_like(h)` or `np.zeros(shape, dtype=x.dtype)`, not `np.zeros(shape)`)."
            )
        err = rel_error(got, expected)
        if err < tol:
            return
        if not np.all(np.isfinite(got)):
            raise _Failed(f"{name} contains nan or inf values.")
        for cand, message in known:
            if cand is not None and np.shape(cand) == got.shape and rel_error(got, cand) < MATCH:
                raise _Failed(message)
        if not np.any(got):
            raise _Failed(f"{name} is all zeros.")
        if rel_error(got, -expected) < MATCH:
            raise _Failed(f"{name} has the wrong sign: it is exactly the negative of the correct value.")
        if got.ndim == 2 and got.shape[0] == got.shape[1] and rel_error(got, expected.T) < MATCH:
            raise _Failed(f"{name} is transposed (a square matrix, so the shape cannot show it).")
        e2 = float(np.vdot(expected, expected))
        if e2 > 0:
            s = float(np.vdot(got, expected)) / e2
            if rel_error(got, s * expected) < MATCH:
                named = _factor_name(s, {"2": 2, **(factors or {})})
                if named:
                    raise _Failed(f"{name} is off by a constant factor: it is {named}.")
                raise _Failed(f"{name} is proportional to the correct value but scaled by {s:.3g}.")
        raise _Failed(f"{name} has the right shape but wrong values (relative error {err:.1e}).")

    def repeatable(self, first, second, names):
        """The same call twice must give the same outputs (no state kept between calls)."""
        for name, a, b in zip(names, first, second):
            if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape:
                if not np.allclose(a, b, rtol=1e-12, atol=0):
                    raise _Failed(
                        f"calling it twice with the same inputs gives a different {name}: gradients are "
                        f"accumulated across calls and never reset. Start every call from zeros."
                    )


CHECKERS = {}  # exercise name -> checker, in the order of the course


def exercise(name, returns):
    """Decorator that turns ``body(fn, rng, ctx) -> pass sentence`` into a public checker."""

    def wrap(body):
        @wraps(body)
        def check(fn, *, seed=0, show=True):
            ctx = _Context(name)
            if not callable(fn):
                result = CheckResult(
                    name, "failed",
                    f"pass the function itself (`check_{name}({name})`), not the result of calling it; "
                    f"got a {type(fn).__name__}.",
                )
            else:
                try:
                    passed_msg = body(fn, np.random.default_rng(seed), ctx)
                    result = CheckResult(name, "passed", passed_msg)
                except _Failed as f:
                    result = CheckResult(name, f.status, f.message)
                except Exception as e:  # noqa: BLE001 - e.g. an output of an unexpected type
                    result = CheckResult(
                        name, "error",
                        f"the checker could not use what your function returned ({_describe_exception(e)}). "
                        f"It should return {returns}.",
                    )
            if show:
                _show(result)
            return result

        check.__doc__ = (body.__doc__ or "") + (
            "\n\n    Returns a CheckResult (truthy when passed); shows the feedback unless show=False.\n"
            "    seed selects the random cases.\n"
        )
        CHECKERS[name] = check
        return check

    return wrap


def run_all_checks(namespace, *, seed=0, show=False):
    """Run every checker whose exercise function is defined in ``namespace`` (e.g. ``globals()``).

    Returns {exercise name: CheckResult}; a missing function counts as not implemented.
    """
    results = {}
    for name, check in CHECKERS.items():
        fn = namespace.get(name)
        if fn is None:
            results[name] = CheckResult(name, "not implemented", f"no function named `{name}` was defined.")
            if show:
                _show(results[name])
        else:
            results[name] = check(fn, seed=seed, show=show)
    return results


# --------------------------------------------------------------------------
# Random inputs in the course convention
# --------------------------------------------------------------------------


def _rnn_params(rng, D, H, dtype=np.float64, scale=0.5):
    Wx = (scale * rng.standard_normal((D, H))).astype(dtype)
    Wh = (scale * rng.standard_normal((H, H))).astype(dtype)
    b = (scale * rng.standard_normal(H)).astype(dtype)
    return Wx, Wh, b


# Sizes are all different, so a wrong axis or a wrong factor has nowhere to hide.
_STEP_SIZES = [(3, 5, 4), (2, 3, 6), (4, 2, 3)]  # (N, D, H)
_SEQ_SIZES = [(2, 4, 3, 5), (3, 5, 4, 3)]  # (N, T, D, H)


# --------------------------------------------------------------------------
# 1. rnn_step_forward
# --------------------------------------------------------------------------


@exercise("rnn_step_forward", "(h_next, cache)")
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
        return (x, h_prev, *_rnn_params(rng, D, H, dtype, scale=0.7))

    N, D, H = _STEP_SIZES[0]
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
        except _Failed as f:
            if "right shape but wrong values" in f.message:
                raise _Failed(f"{label} is wrong: with every other input zero, h_next disagrees with "
                              f"tanh of that term alone.") from None
            raise

    for N, D, H in _STEP_SIZES:
        args = case_inputs(N, D, H)
        got = student_h(*args, case=f"N={N}, D={D}, H={H}")
        x, h_prev, Wx, Wh, b = args
        ctx.compare("h_next", got, rnn_step_forward(*args)[0], letters="(N, H)",
                    known=[(x @ Wx + h_prev @ Wh + b, no_tanh)])

    args32 = case_inputs(3, 5, 4, np.float32)
    got = student_h(*args32, case="float32 inputs")
    ctx.compare("h_next", got, rnn_step_forward(*args32)[0], letters="(N, H)", tol=TOL32)
    return (f"h_next agrees with rnnlab on {len(_STEP_SIZES)} random cases, on each term of "
            f"a = x @ Wx + h_prev @ Wh + b alone, and on a float32 case.")


# --------------------------------------------------------------------------
# 2. rnn_step_backward
# --------------------------------------------------------------------------

_STEP_GRADS = ["dx", "dh_prev", "dWx", "dWh", "db"]


def _step_letters(N, D, H):
    return {"dx": ((N, D), "(N, D)"), "dh_prev": ((N, H), "(N, H)"), "dWx": ((D, H), "(D, H)"),
            "dWh": ((H, H), "(H, H)"), "db": ((H,), "(H,)")}


def _wrong_step_grads(da, x, h_prev, Wx, Wh):
    """The five gradients computed from a given da (used to name a wrong da)."""
    return {"dx": da @ Wx.T, "dh_prev": da @ Wh.T, "dWx": x.T @ da, "dWh": h_prev.T @ da, "db": da.sum(0)}


@exercise("rnn_step_backward", "(dx, dh_prev, dWx, dWh, db)")
def check_rnn_step_backward(fn, rng, ctx):
    """Check ``rnn_step_backward(dh_next, cache) -> (dx, dh_prev, dWx, dWh, db)``.

    cache comes from rnnlab's rnn_step_forward (tanh): (x, h_prev, Wx, Wh, h_next, activation).
    Compared with numerical gradients of rnn_step_forward and with rnnlab's rnn_step_backward.
    """

    def run(N, D, H, dtype=np.float64):
        x = rng.standard_normal((N, D)).astype(dtype)
        h_prev = rng.standard_normal((N, H)).astype(dtype)
        Wx, Wh, b = _rnn_params(rng, D, H, dtype, scale=0.7)
        h_next, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
        dh_next = rng.standard_normal((N, H)).astype(dtype)
        case = f"N={N}, D={D}, H={H}" + (", float32" if dtype == np.float32 else "")
        out = ctx.call(fn, dh_next, cache, names=["dh_next", "cache"], case=case)
        grads = dict(zip(_STEP_GRADS, ctx.outputs(out, _STEP_GRADS)))
        shapes = _step_letters(N, D, H)
        for k in _STEP_GRADS:
            ctx.array(k, grads[k], *shapes[k], shape_hints={(N, H): "Sum db over the batch axis (axis=0)."} if k == "db" else None)
        return x, h_prev, Wx, Wh, b, h_next, cache, dh_next, grads

    N, D, H = _STEP_SIZES[0]
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

    for first, (N, D, H) in enumerate(_STEP_SIZES):
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
    return (f"all five gradients agree with numerical gradients and with rnnlab on {len(_STEP_SIZES)} "
            f"random cases and a float32 case; calling twice gives the same result.")


# --------------------------------------------------------------------------
# 3. rnn_backward (BPTT)
# --------------------------------------------------------------------------

_SEQ_GRADS = ["dx", "dh0", "dWx", "dWh", "db"]


def _seq_letters(N, T, D, H):
    return {"dx": ((N, T, D), "(N, T, D)"), "dh0": ((N, H), "(N, H)"), "dWx": ((D, H), "(D, H)"),
            "dWh": ((H, H), "(H, H)"), "db": ((H,), "(H,)")}


@exercise("rnn_backward", "(dx, dh0, dWx, dWh, db)")
def check_rnn_backward(fn, rng, ctx):
    """Check ``rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)``.

    dh: (N, T, H), the gradient from the layer above only; cache comes from
    rnnlab's rnn_forward (tanh): (x, h0, Wx, Wh, h, activation).
    Probes send a gradient into the first or the last step alone, to check
    that gradients flow backwards in time and that later steps contribute.
    """

    def make(N, T, D, H, dtype=np.float64):
        x = rng.standard_normal((N, T, D)).astype(dtype)
        h0 = rng.standard_normal((N, H)).astype(dtype)
        Wx, Wh, b = _rnn_params(rng, D, H, dtype, scale=0.6)
        h, cache = rnn_forward(x, h0, Wx, Wh, b)
        dh = rng.standard_normal((N, T, H)).astype(dtype)
        return dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b), h, cache, dh

    def student(dh, cache, case):
        out = ctx.call(fn, dh, cache, names=["dh", "cache"], case=case,
                       mutation_hint="Add the carried gradient into a new array (`dh_t = dh[:, t] + dh_next`), "
                                     "not into dh itself.")
        grads = dict(zip(_SEQ_GRADS, ctx.outputs(out, _SEQ_GRADS)))
        N, T, H = dh.shape
        D = cache[0].shape[2]
        hints = {"db": {(N, H): "Sum db over the batch and time axes.", (T, H): "Sum db over the batch axis too.",
                        (N, T, H): "Sum db over the batch and time axes."},
                 "dh0": {(N, T, H): "dh0 is the gradient for the initial state h0 only."}}
        for k in _SEQ_GRADS:
            ctx.array(k, grads[k], *_seq_letters(N, T, D, H)[k], shape_hints=hints.get(k))
        return grads

    N, T, D, H = _SEQ_SIZES[0]
    case = f"N={N}, T={T}, D={D}, H={H}"
    inputs, h, cache, dh = make(N, T, D, H)
    grads = student(dh, cache, case)
    again = student(dh, cache, case)
    ctx.repeatable([grads[k] for k in _SEQ_GRADS], [again[k] for k in _SEQ_GRADS], _SEQ_GRADS)

    # Probe 1: a gradient only at the first step may reach x_0 and h0, never later inputs.
    dh_first = np.zeros_like(dh)
    dh_first[:, 0] = dh[:, 0]
    got = student(dh_first, cache, case + ", dh nonzero only at t=0")
    if np.any(got["dx"][:, 1:]):
        reversed_read = rnn_backward(dh_first[:, ::-1], cache)[0]
        if rel_error(got["dx"], reversed_read) < MATCH:
            raise _Failed("dh is read in reversed time order: the step that handles h_t must add dh[:, t] "
                          "(a gradient given only at t=0 showed up at the last step).")
        raise _Failed("time runs the wrong way: a gradient given only at step 0 changed dx at later steps. "
                      "Backpropagation through time goes from t = T-1 down to 0 (`reversed(range(T))`).")
    # Probe 2: a gradient only at the last step must reach every earlier step through Wh.
    dh_last = np.zeros_like(dh)
    dh_last[:, -1] = dh[:, -1]
    got = student(dh_last, cache, case + ", dh nonzero only at t=T-1")
    if not np.any(got["dx"][:, :-1]) or not np.any(got["dh0"]):
        raise _Failed("the gradient from later time steps is missing: the total gradient on h_t is dh[:, t] "
                      "plus dh_next, carried back from step t+1 (a gradient given only at the last step "
                      "never reached the earlier steps).")

    # Ground truth: numerical gradients of rnnlab's rnn_forward on the first case.
    numeric = {}
    for k, v in inputs.items():
        def f(z, k=k):
            return rnn_forward(**{**inputs, k: z})[0]
        numeric["dh0" if k == "h0" else "d" + k] = numerical_gradient(f, v, df=dh)

    for i, (N, T, D, H) in enumerate(_SEQ_SIZES):
        if i:
            inputs, h, cache, dh = make(N, T, D, H)
            grads = student(dh, cache, f"N={N}, T={T}, D={D}, H={H}")
        ref = numeric if i == 0 else dict(zip(_SEQ_GRADS, rnn_backward(dh, cache)))
        x, h0, Wx, Wh = cache[:4]
        no_transpose = dict(zip(_SEQ_GRADS, rnn_backward(dh, (x, h0, Wx, Wh.T, *cache[4:]))))
        reversed_read = dict(zip(_SEQ_GRADS, rnn_backward(dh[:, ::-1], cache)))
        letters = _seq_letters(N, T, D, H)
        for k in _SEQ_GRADS:
            known = [
                (no_transpose[k], "the gradient carried back to the previous step misses the transpose on Wh: "
                                  "dh_prev = da @ Wh.T (Wh is square, so the shape cannot catch this)."),
                (reversed_read[k], "dh is read in reversed time order: the step that handles h_t must add "
                                   "dh[:, t]."),
            ]
            if k == "dWh":
                known.append((ref["dWh"].T, "dWh is transposed: each step adds h_prev.T @ da, and (H, H) hides "
                                            "the mistake."))
            ctx.compare(k, grads[k], ref[k], letters=letters[k][1], known=known,
                        factors={"N (the batch size)": N, "T (the sequence length)": T,
                                 "N*T (the number of positions)": N * T})

    inputs, h, cache, dh = make(2, 3, 4, 5, np.float32)
    grads = student(dh, cache, "float32 inputs")
    ref = dict(zip(_SEQ_GRADS, rnn_backward(dh, cache)))
    for k in _SEQ_GRADS:
        ctx.compare(k, grads[k], ref[k], letters=_seq_letters(2, 3, 4, 5)[k][1], tol=TOL32)
    return (f"all five gradients agree with numerical gradients and rnnlab on {len(_SEQ_SIZES)} random "
            f"sequences and a float32 one; gradients flow backwards in time from every step, and calling "
            f"twice gives the same result.")


# --------------------------------------------------------------------------
# 4. temporal_softmax_loss
# --------------------------------------------------------------------------


@exercise("temporal_softmax_loss", "(loss, dscores)")
def check_temporal_softmax_loss(fn, rng, ctx):
    """Check ``temporal_softmax_loss(scores, y, mask=None) -> (loss, dscores)``.

    scores: (N, T, V), y: (N, T) ints in [0, V), mask: (N, T) bool or None.
    loss is the mean cross-entropy over the (unmasked) positions; dscores: (N, T, V).
    """

    def student(scores, y, mask, case):
        args = (scores, y) if mask is None else (scores, y, mask)
        out = ctx.call(fn, *args, names=["scores", "y", "mask"], case=case)
        loss, dscores = ctx.outputs(out, ["loss", "dscores"])
        if np.ndim(loss) != 0:
            raise _Failed(f"loss should be one number (the mean over the positions), but has shape "
                          f"{np.shape(loss)}.")
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            raise _Failed(f"loss should be a number, but is a {type(loss).__name__}.") from None
        ctx.array("dscores", dscores, scores.shape, "(N, T, V)")
        return loss, dscores

    def diagnose(scores, y, mask, case):
        N, T, V = scores.shape
        loss, dscores = student(scores, y, mask, case)
        ref_loss, ref_d = temporal_softmax_loss(scores, y, mask)
        onehot = np.eye(V, dtype=scores.dtype)[y]
        w = np.ones((N, T)) if mask is None else mask.astype(np.float64)
        count = w.sum()
        p = softmax(scores)
        p2 = softmax(p)
        factors = {"N (the batch size)": N, "T (the sequence length)": T,
                   "N*T (the number of positions)": N * T}
        twice = "softmax is applied twice: the scores are turned into probabilities once, then softmax'd again."
        known_d = [
            (-ref_d, "dscores has the wrong sign: it is softmax(scores) minus one_hot(y) (probabilities minus "
                     "targets), not the other way round."),
            ((scores - onehot) * (w / count)[..., None],
             "dscores uses the raw scores where the softmax probabilities belong: apply softmax to the scores "
             "first (the gradient is probabilities minus one_hot(y))."),
            ((p2 - onehot) * (w / count)[..., None], twice),
        ]
        if mask is not None:
            known_d.append(((p - onehot) / (N * T), "the mask is ignored: masked positions must get zero gradient "
                                                   "and not count in the mean."))
            known_d.append(((p - onehot) * (w / (N * T))[..., None],
                            "with a mask, divide by the number of unmasked positions, not by N*T."))
        ctx.compare("dscores", dscores, ref_d, letters="(N, T, V)", known=known_d, factors=factors)
        logp_y = np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
        logp2_y = np.log(np.take_along_axis(p2, y[..., None], -1)[..., 0])
        known_l = [(np.array(-(w * logp2_y).sum() / count), twice)]
        if mask is not None:
            known_l.append((np.array(-logp_y.mean()), "the mask is ignored in the loss: only unmasked "
                                                       "positions count."))
            known_l.append((np.array(-(w * logp_y).sum() / (N * T)),
                            "with a mask, divide the loss by the number of unmasked positions, not by N*T."))
        ctx.compare("the loss", np.array(loss), np.array(ref_loss), letters="()", known=known_l,
                    factors=factors)
        if scores.dtype == np.float32 and dscores.dtype != np.float32:
            raise _Failed("dscores should keep the dtype of scores (float32 here).")

    for N, T, V in [(3, 4, 6), (2, 5, 7)]:
        scores = rng.standard_normal((N, T, V))
        y = rng.integers(0, V, size=(N, T))
        diagnose(scores, y, None, f"N={N}, T={T}, V={V}")
    N, T, V = 4, 3, 5
    scores = rng.standard_normal((N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.6
    mask[0, 0] = True
    diagnose(scores, y, mask, "a mask")

    # Large scores: exp(1000) overflows unless the row max is subtracted first.
    scores = 1000 + 5 * rng.standard_normal((2, 3, 4))
    y = rng.integers(0, 4, size=(2, 3))
    loss, dscores = student(scores, y, None, "scores around 1000")
    if not (np.isfinite(loss) and np.all(np.isfinite(dscores))):
        raise _Failed("with large scores (around 1000) the loss or dscores is nan or inf: exp overflows. "
                      "Subtract each row's max before exp; softmax does not change when you shift the scores.")
    diagnose(scores, y, None, "scores around 1000")

    scores32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = rng.integers(0, 4, size=(2, 3))
    loss, dscores = student(scores32, y, None, "float32 scores")
    ctx.compare("dscores", dscores, temporal_softmax_loss(scores32, y)[1], letters="(N, T, V)", tol=TOL32)
    return ("loss and dscores agree with rnnlab on 3 random cases (one with a mask), with scores around 1000 "
            "(no overflow) and with float32 scores.")


# --------------------------------------------------------------------------
# 5. numerical_gradient
# --------------------------------------------------------------------------


@exercise("numerical_gradient", "grad, an array shaped like x")
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
        (2 * exact, "grad is 2 times too large: the centred difference divides by 2 * eps, the distance "
                    "between x + eps and x - eps."),
        (np.zeros_like(x), "grad is all zeros: f must be called with the perturbed array (if you perturb a "
                           "copy, pass that copy to f)."),
    ]
    err = rel_error(got, exact)
    if TOL <= err < 1e-3 and all(rel_error(got, cand) >= MATCH for cand, _ in known):
        raise _Failed(f"grad is close but not accurate enough (relative error {err:.1e}, needs < 1e-7): "
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
    ])

    # A real layer: the gradient of rnn_forward with respect to Wh.
    N, T, D, H = 2, 3, 3, 4
    xs = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx, Wh, b = _rnn_params(rng, D, H)
    h, cache = rnn_forward(xs, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    got = student(lambda W: rnn_forward(xs, h0, Wx, W, b)[0], Wh, dh, case="rnn_forward as a function of Wh")
    ctx.compare("grad", got, rnn_backward(dh, cache)[3], letters="x.shape")
    return "agrees with exact gradients of 4 functions (scalar and array-valued, one of them rnn_forward) to < 1e-7."


# --------------------------------------------------------------------------
# 6. clip_grad_norm
# --------------------------------------------------------------------------


@exercise("clip_grad_norm", "total_norm, the global norm before clipping")
def check_clip_grad_norm(fn, rng, ctx):
    """Check ``clip_grad_norm(grads, max_norm) -> total_norm``.

    grads: dict name -> array, scaled IN PLACE by one common factor so that the
    global norm sqrt(sum of all squares) is at most max_norm; returns the norm before clipping.
    """

    def make(shapes, scale, dtype=np.float64):
        return {k: (scale * rng.standard_normal(s)).astype(dtype) for k, s in shapes.items()}

    def run(grads, max_norm, case):
        original = {k: v.copy() for k, v in grads.items()}
        theirs = {k: v.copy() for k, v in grads.items()}
        ours = {k: v.copy() for k, v in grads.items()}
        total_ref = clip_grad_norm(ours, max_norm)
        total = ctx.call(fn, theirs, max_norm, names=["grads", "max_norm"], case=case, may_change=("grads",))
        if set(theirs) != set(ours):
            raise _Failed(f"the keys of grads changed: expected {sorted(ours)}, got {sorted(theirs)}.")
        for k in ours:
            g0 = original[k]
            own = g0 * (max_norm / np.linalg.norm(g0)) if np.linalg.norm(g0) > max_norm else g0
            known = [
                (np.clip(g0, -max_norm, max_norm),
                 "each entry was clipped separately, which changes the direction of the update. Scale all "
                 "gradients by one common factor, max_norm / global_norm."),
                (own, "each array was scaled by its own norm: clipping uses one global norm over all arrays "
                      "together, sqrt(sum of the squares of every entry of every gradient)."),
            ]
            if total_ref > max_norm:
                known.append((g0, f"grads[{k!r}] was not changed: scale the arrays in place (`g *= scale`); "
                                  f"`g = g * scale` only rebinds a local name."))
            else:
                known.append((g0 * (max_norm / total_ref),
                              "gradients whose global norm is already below max_norm must be left unchanged "
                              "(they were scaled up to max_norm)."))
            ctx.compare(f"grads[{k!r}]", theirs[k], ours[k], letters=str(g0.shape), known=known)
        if total is None:
            raise _Failed("it returned None: return the global norm before clipping (useful to plot).")
        try:
            total = float(total)
        except (TypeError, ValueError):
            raise _Failed(f"it should return one number, the global norm before clipping, got a "
                          f"{type(total).__name__}.") from None
        if abs(total - total_ref) > 1e-6 * total_ref:
            if total_ref > max_norm and abs(total - max_norm) < 1e-6 * max_norm:
                raise _Failed("it returned the norm after clipping: return the global norm before clipping.")
            if abs(total - total_ref**2) < 1e-6 * total_ref**2:
                raise _Failed("it returned the squared norm: take the square root of the sum of squares.")
            raise _Failed(f"it returned {total:.4g}, which is not the global norm of the gradients before "
                          f"clipping.")

    shapes = {"Wx": (3, 4), "Wh": (4, 4), "b": (4,)}
    run(make(shapes, 2.0), 1.0, "a global norm above max_norm")
    run(make({"W_out": (4, 6), "b_out": (6,), "Wh": (4, 4)}, 0.5), 50.0, "a global norm below max_norm")
    run(make({"a": (5,), "B": (2, 3)}, 3.0), 2.5, "other parameter names")
    run(make(shapes, 2.0, np.float32), 1.0, "float32 gradients")
    return ("clips by one global norm, in place, leaves small gradients alone and returns the norm before "
            "clipping (4 cases, including float32 and other parameter names).")


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
            raise _Failed(f"it should return one int index, but returned a {type(out).__name__}{shape}"
                          + (" (rng.choice(V, p=probs) without a size returns one index)." if shape else "."))
        if not 0 <= out < len(s):
            raise _Failed(f"it returned {out}, outside [0, V) = [0, {len(s)}).")
        return int(out)

    gen_a, gen_b = np.random.default_rng(seed), np.random.default_rng(seed)
    seq_a = [draw(scores, 1.0, gen_a, "temperature 1") for _ in range(40)]
    seq_b = [draw(scores, 1.0, gen_b, "temperature 1") for _ in range(40)]
    if seq_a != seq_b:
        raise _Failed("it does not use the rng argument: two generators with the same seed gave different "
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
            raise _Failed(message)
        raise _Failed(f"the sample frequencies at temperature {temperature} do not follow "
                      f"softmax(scores / temperature) (total variation distance {tv:.2f} over {n} draws).")

    # exp(1000) overflows unless the max is subtracted first.
    big = scores + 1000
    gen = np.random.default_rng(seed)
    try:
        freq = np.bincount([draw(big, 1.0, gen, "scores around 1000") for _ in range(500)], minlength=V) / 500
    except _Failed as f:
        raise _Failed("with large scores (around 1000) it failed: exp overflows. Subtract the max score before "
                      f"exp; softmax does not change when you shift the scores. (The error: {f.message})") from None
    if 0.5 * np.abs(freq - softmax(big)).sum() > 0.08:
        raise _Failed("with large scores (around 1000) the samples no longer follow the softmax: subtract the "
                      "max score before exp to avoid overflow.")

    gen = np.random.default_rng(seed)
    try:
        greedy = {draw(scores, 0.0, gen, "temperature 0") for _ in range(5)}
    except _Failed as f:
        raise _Failed("temperature 0 should mean greedy decoding, return argmax(scores), instead of dividing by "
                      f"zero. (The error: {f.message})") from None
    if greedy != {int(np.argmax(scores))}:
        raise _Failed("at temperature 0 it should always return the most likely index, argmax(scores).")
    return (f"uses rng reproducibly and its {n}-draw frequencies follow softmax(scores / temperature) at "
            f"temperatures 0.5, 1 and 2; no overflow for large scores; temperature 0 is greedy.")


# --------------------------------------------------------------------------
# 8. lstm_step_forward and 9. lstm_step_backward
# --------------------------------------------------------------------------

_GATES = "ifgo"  # the blocks of Wx, Wh, b, gates and da, in rnnlab's (and PyTorch's) order
_GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o"}
_sigmoid = ACTIVATIONS["sigmoid"]


# what compare() says when no known mistake matched (after shape, dtype and nan checks)
_GENERIC_VALUE_MESSAGES = ("right shape but wrong values", "is all zeros", "has the wrong sign", "is transposed",
                           "off by a constant factor", "proportional to the correct value")


def _joint_match(got, ref, wrong):
    """Name the mistake whose outputs match ALL of got (some mistakes agree on one output of a probe).

    got, ref: sequences of arrays already checked for shape; wrong: [(candidate arrays, message)].
    Does nothing when got is right or has another dtype (compare() reports that), or when nothing matches.
    """
    if all(g.dtype == r.dtype for g, r in zip(got, ref)) and any(rel_error(g, r) >= TOL for g, r in zip(got, ref)):
        for cands, message in wrong:
            if all(rel_error(g, c) < MATCH for g, c in zip(got, cands)):
                raise _Failed(message)


def _lstm_params(rng, D, H, dtype=np.float64, scale=0.6):
    Wx = (scale * rng.standard_normal((D, 4 * H))).astype(dtype)
    Wh = (scale * rng.standard_normal((H, 4 * H))).astype(dtype)
    b = (scale * rng.standard_normal(4 * H)).astype(dtype)
    return Wx, Wh, b


def _block(H, gate):
    k = _GATES.index(gate)
    return slice(k * H, (k + 1) * H)


def _order_text(order):
    return "[" + ", ".join(order) + "]"


def _wrong_lstm_forward(x, h_prev, c_prev, Wx, Wh, b, *, order=_GATES, g_act="tanh", gate_act="sigmoid",
                        out_tanh=True, forget=True):
    """(h_next, c_next) as computed by a student with the given mistakes; only used to NAME a wrong answer.

    order: the gate each block is read as, e.g. "figo" = the first block is used as f.
    With every switch at its default this is the correct step (tests/test_checks.py checks it
    against rnnlab's lstm_step_forward, which is what students are compared with).
    """
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    pre = {gate: a[:, k * H:(k + 1) * H] for k, gate in enumerate(order)}
    s = _sigmoid if gate_act == "sigmoid" else np.tanh
    i, f, o = s(pre["i"]), s(pre["f"]), s(pre["o"])
    g = np.tanh(pre["g"]) if g_act == "tanh" else _sigmoid(pre["g"])
    c_next = (f * c_prev if forget else c_prev) + i * g
    h_next = o * (np.tanh(c_next) if out_tanh else c_next)
    return h_next, c_next


def _wrong_lstm_backward(dh_next, dc_next, cache, *, order=_GATES, use_dc_next=True, h_path=True,
                         h_path_tanh_grad=True, dc_prev_total=True, g_grad="tanh"):
    """The six gradients of a student with the given mistakes, as a dict; only used to NAME a wrong answer.

    cache is rnnlab's (x, h_prev, c_prev, Wx, Wh, gates, tanh_c).  Defaults give the correct
    gradients (checked against rnnlab's lstm_step_backward in tests/test_checks.py).
    """
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    H = tanh_c.shape[1]
    blocks = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(order)}
    i, f, g, o = (gates[:, blocks[gate]] for gate in _GATES)
    dc = dc_next if use_dc_next else np.zeros_like(dc_next)
    if h_path:
        dc = dc + dh_next * o * ((1 - tanh_c**2) if h_path_tanh_grad else 1)
    da = np.empty_like(gates)
    da[:, blocks["i"]] = dc * g * i * (1 - i)
    da[:, blocks["f"]] = dc * c_prev * f * (1 - f)
    da[:, blocks["g"]] = dc * i * ((1 - g**2) if g_grad == "tanh" else g * (1 - g))
    da[:, blocks["o"]] = dh_next * tanh_c * o * (1 - o)
    dc_prev = (dc if dc_prev_total else dc_next) * f
    return {"dx": da @ Wx.T, "dh_prev": da @ Wh.T, "dc_prev": dc_prev, "dWx": x.T @ da, "dWh": h_prev.T @ da,
            "db": da.sum(axis=0)}


_ORDER_MESSAGES = {
    "figo": ("the input and forget gates are swapped: either the blocks are sliced as [f, i, g, o], or f "
             "multiplies the candidate and i the old memory. The blocks are [i, f, g, o] and "
             "c_next = f * c_prev + i * g."),
    "ifog": ("the candidate and output blocks are swapped (sliced as [i, f, o, g]): the blocks are "
             "[i, f, g, o], so g = tanh(a[:, 2H:3H]) and o = sigmoid(a[:, 3H:4H])."),
}


def _order_message(order):
    return _ORDER_MESSAGES.get(order, (
        f"the gate blocks are read in the order {_order_text(order)}; the course's order is [i, f, g, o]: "
        f"i = a[:, 0:H], f = a[:, H:2H], g = a[:, 2H:3H], o = a[:, 3H:4H]."))


def _wrong_orders():
    """Every wrong order of the four blocks, the two classic swaps first."""
    rest = ["".join(p) for p in permutations(_GATES) if "".join(p) not in (_GATES, "figo", "ifog")]
    return ["figo", "ifog", *rest]


_LSTM_FWD_MISTAKES = [
    ({"out_tanh": False}, "the tanh of the cell state is missing on the output path: h_next = o * tanh(c_next), "
                          "not o * c_next."),
    ({"g_act": "sigmoid"}, "the candidate g uses a sigmoid: g = tanh(a[:, 2H:3H]), values in (-1, 1), so the "
                           "memory can also decrease. The sigmoid is for the gates i, f, o."),
    ({"gate_act": "tanh"}, "the gates i, f, o use tanh: they are fractions in (0, 1), so they use the sigmoid "
                           "(tanh is for the candidate g and for the cell state on the output path)."),
    ({"forget": False}, "the forget gate is missing: c_next = f * c_prev + i * g (without f the old memory can "
                        "never be erased)."),
] + [({"order": order}, _order_message(order)) for order in _wrong_orders()]


@exercise("lstm_step_forward", "(h_next, c_next, cache)")
def check_lstm_step_forward(fn, rng, ctx):
    """Check ``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h_next, c_next, cache)``.

    x: (N, D), h_prev, c_prev: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,), blocks [i, f, g, o];
    h_next, c_next: (N, H).  Probes isolate the memory write (c_prev = 0, so c_next = i * g) and the
    memory kept (the candidate's block zeroed, so g = 0 and c_next = f * c_prev) before random cases.
    """
    names = ["x", "h_prev", "c_prev", "Wx", "Wh", "b"]
    shapes_hint = "Shapes: Wx is (D, 4H), Wh is (H, 4H), so a = x @ Wx + h_prev @ Wh + b is (N, 4H)."

    def student(args, case):
        out = ctx.call(fn, *args, names=names, case=case, error_hint=shapes_hint,
                       mutation_hint="Compute c_next as a new array (`c_next = f * c_prev + i * g`), "
                                     "not by updating c_prev in place (`c_prev *= f`).")
        h_next, c_next, _ = ctx.outputs(out, ["h_next", "c_next", "cache"])
        N, H = args[1].shape
        ctx.array("h_next", h_next, (N, H), "(N, H)")
        ctx.array("c_next", c_next, (N, H), "(N, H)")
        return h_next, c_next

    def case_inputs(N, D, H, dtype=np.float64):
        x = rng.standard_normal((N, D)).astype(dtype)
        h_prev = rng.standard_normal((N, H)).astype(dtype)
        c_prev = (1.5 * rng.standard_normal((N, H))).astype(dtype)
        return [x, h_prev, c_prev, *_lstm_params(rng, D, H, dtype)]

    def diagnose(args, case, c_hint=None, h_hint=None):
        h_next, c_next = student(args, case)
        ref_h, ref_c, _ = lstm_step_forward(*args)
        wrong = [(_wrong_lstm_forward(*args, **kw), msg) for kw, msg in _LSTM_FWD_MISTAKES]
        _joint_match((h_next, c_next), (ref_h, ref_c), wrong)
        for name, got, ref, k, hint in (("c_next", c_next, ref_c, 1, c_hint), ("h_next", h_next, ref_h, 0, h_hint)):
            try:
                ctx.compare(name, got, ref, letters="(N, H)", known=[(w[k], m) for w, m in wrong])
            except _Failed as f:
                # a generic "wrong values" becomes a sentence about the part of the step this probe isolates
                if hint and any(m in f.message for m in _GENERIC_VALUE_MESSAGES):
                    raise _Failed(hint) from None
                raise

    N, D, H = _STEP_SIZES[0]
    args = case_inputs(N, D, H)
    student(args, f"N={N}, D={D}, H={H}")  # structure, shapes and changed inputs first

    # The memory write alone: with c_prev = 0, c_next = i * g.
    out_hint = ("c_next is right but h_next is not: h_next = o * tanh(c_next) with the output gate "
                "o = sigmoid(a[:, 3H:4H]).")
    write = [*args[:2], np.zeros_like(args[2]), *args[3:]]
    diagnose(write, "c_prev = 0", h_hint=out_hint, c_hint=(
        "with c_prev = 0, c_next should be the new memory i * g alone, and it is not: check the input gate "
        "i = sigmoid(a[:, 0:H]) and the candidate g = tanh(a[:, 2H:3H])."))
    # The memory kept alone: zero the candidate's block of Wx, Wh and b, so g = tanh(0) = 0 and c_next = f * c_prev.
    keep = [a.copy() for a in args]
    for W in keep[3:]:
        W[..., _block(H, "g")] = 0
    diagnose(keep, "the candidate's block of Wx, Wh and b zero", h_hint=out_hint, c_hint=(
        "with g = 0 (its block of Wx, Wh and b zero), c_next should be f * c_prev, the memory kept, and it is "
        "not: check the forget gate f = sigmoid(a[:, H:2H]) and that it multiplies c_prev."))

    for j, (N, D, H) in enumerate(_STEP_SIZES):
        diagnose(args if j == 0 else case_inputs(N, D, H), f"N={N}, D={D}, H={H}", h_hint=out_hint)

    args32 = case_inputs(3, 5, 4, np.float32)
    h32, c32 = student(args32, "float32 inputs")
    ref_h, ref_c, _ = lstm_step_forward(*args32)
    ctx.compare("c_next", c32, ref_c, letters="(N, H)", tol=TOL32)
    ctx.compare("h_next", h32, ref_h, letters="(N, H)", tol=TOL32)
    return (f"h_next and c_next agree with rnnlab with c_prev = 0, with the candidate's block zeroed, on "
            f"{len(_STEP_SIZES)} random cases and on a float32 case.")


_LSTM_GRADS = ["dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"]
# Compared in this order: the weight gradients show the gate blocks of da directly.
_LSTM_COMPARE_ORDER = ["db", "dWx", "dWh", "dx", "dh_prev", "dc_prev"]
_GATE_GRAD_HINTS = {
    "i": "di = dc * g, then * i * (1 - i)",
    "f": "df = dc * c_prev, then * f * (1 - f)",
    "g": "dg = dc * i, then * (1 - g**2)",
    "o": "do = dh_next * tanh(c_next), then * o * (1 - o)",
}

_LSTM_BWD_MISTAKES = [  # dc_prev_total first: with dc_next = 0 its dc_prev is also what "h_path" gives
    ({"dc_prev_total": False}, "dc_prev uses dc_next alone: it is dc * f with the total "
                               "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)."),
    ({"use_dc_next": False}, "dc_next is ignored: c_next also reaches the loss through later steps, so the "
                             "gradient on it is dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)."),
    ({"h_path": False}, "the h path is missing from dc: h_next = o * tanh(c_next), so the gradient on c_next is "
                        "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2), not dc_next alone."),
    ({"h_path_tanh_grad": False}, "the h path into dc skips tanh': h_next = o * tanh(c_next), so "
                                  "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)."),
    ({"g_grad": "sigmoid"}, "dg uses the sigmoid derivative g * (1 - g), but g = tanh(.): its derivative is "
                            "1 - g**2."),
] + [({"order": order}, _order_message(order)) for order in _wrong_orders()]


def _lstm_letters(N, D, H):
    return {"dx": ((N, D), "(N, D)"), "dh_prev": ((N, H), "(N, H)"), "dc_prev": ((N, H), "(N, H)"),
            "dWx": ((D, 4 * H), "(D, 4H)"), "dWh": ((H, 4 * H), "(H, 4H)"), "db": ((4 * H,), "(4H,)")}


def _lstm_shape_hints(N, D, H):
    return {
        "dh_prev": {(H, N): "dh_prev looks transposed: with row vectors it is da @ Wh.T, shape (N, H) "
                            "(Wh @ da.T is the column-vector formula)."},
        "dx": {(D, N): "dx looks transposed: with row vectors it is da @ Wx.T, shape (N, D)."},
        "dWh": {(4 * H, H): "dWh looks transposed: a = ... + h_prev @ Wh gives dWh = h_prev.T @ da, shape (H, 4H)."},
        "dWx": {(4 * H, D): "dWx looks transposed: a = x @ Wx + ... gives dWx = x.T @ da, shape (D, 4H)."},
        "db": {(N, 4 * H): "Sum db over the batch axis (axis=0)."},
    }


@exercise("lstm_step_backward", "(dx, dh_prev, dc_prev, dWx, dWh, db)")
def check_lstm_step_backward(fn, rng, ctx):
    """Check ``lstm_step_backward(dh_next, dc_next, cache) -> (dx, dh_prev, dc_prev, dWx, dWh, db)``.

    cache comes from rnnlab's lstm_step_forward: (x, h_prev, c_prev, Wx, Wh, gates, tanh_c), gates (N, 4H)
    holding the values of [i, f, g, o].  Probes send a gradient through the cell state alone (dh_next = 0)
    and through h_next alone (dc_next = 0), then random cases are compared with numerical gradients of
    lstm_step_forward and with rnnlab's lstm_step_backward.
    """
    names = ["dh_next", "dc_next", "cache"]
    shapes_hint = "Shapes: Wx is (D, 4H), Wh is (H, 4H), so dx = da @ Wx.T and dh_prev = da @ Wh.T."

    def make(N, D, H, dtype=np.float64):
        x = rng.standard_normal((N, D)).astype(dtype)
        h_prev = rng.standard_normal((N, H)).astype(dtype)
        c_prev = (1.5 * rng.standard_normal((N, H))).astype(dtype)
        inputs = dict(x=x, h_prev=h_prev, c_prev=c_prev, **dict(zip(("Wx", "Wh", "b"), _lstm_params(rng, D, H, dtype))))
        _, _, cache = lstm_step_forward(**inputs)
        dh_next = rng.standard_normal((N, H)).astype(dtype)
        dc_next = rng.standard_normal((N, H)).astype(dtype)
        return inputs, cache, dh_next, dc_next

    def student(dh_next, dc_next, cache, case):
        out = ctx.call(fn, dh_next, dc_next, cache, names=names, case=case, error_hint=shapes_hint,
                       mutation_hint="Add into a new array (`dc = dc_next + ...`), not into dc_next, dh_next "
                                     "or the cache.")
        grads = dict(zip(_LSTM_GRADS, ctx.outputs(out, _LSTM_GRADS)))
        N, D = cache[0].shape
        H = cache[1].shape[1]
        letters, hints = _lstm_letters(N, D, H), _lstm_shape_hints(N, D, H)
        for k in _LSTM_GRADS:
            ctx.array(k, grads[k], *letters[k], shape_hints=hints.get(k))
        return grads

    def diagnose(grads, ref, dh_next, dc_next, cache, probe=""):
        N, D = cache[0].shape
        H = cache[1].shape[1]
        wrong = [(_wrong_lstm_backward(dh_next, dc_next, cache, **kw), msg) for kw, msg in _LSTM_BWD_MISTAKES]
        _joint_match([grads[k] for k in _LSTM_GRADS], [ref[k] for k in _LSTM_GRADS],
                     [([w[k] for k in _LSTM_GRADS], m) for w, m in wrong])
        letters = _lstm_letters(N, D, H)
        for k in _LSTM_COMPARE_ORDER:
            try:
                ctx.compare(k, grads[k], ref[k], letters=letters[k][1], known=[(w[k], m) for w, m in wrong],
                            factors={"N (the batch size)": N})
            except _Failed as f:
                if "right shape but wrong values" not in f.message:
                    raise
                where = f"with {probe}, " if probe else ""
                if k in ("db", "dWx", "dWh"):  # name the gate blocks that are wrong
                    bad = [gate for gate in _GATES
                           if rel_error(grads[k][..., _block(H, gate)], ref[k][..., _block(H, gate)]) >= TOL]
                    if 0 < len(bad) < 4:
                        raise _Failed(f"{where}{k} is wrong in the block of the "
                                      f"{' and '.join(_GATE_NAMES[gate] for gate in bad)} (blocks [i, f, g, o]): "
                                      f"check {'; '.join(_GATE_GRAD_HINTS[gate] for gate in bad)}.") from None
                raise _Failed(f"{where}{f.message}") from None

    N, D, H = _STEP_SIZES[0]
    inputs, cache, dh_next, dc_next = make(N, D, H)
    case = f"N={N}, D={D}, H={H}"
    grads = student(dh_next, dc_next, cache, case)
    again = student(dh_next, dc_next, cache, case)
    ctx.repeatable([grads[k] for k in _LSTM_GRADS], [again[k] for k in _LSTM_GRADS], _LSTM_GRADS)

    # The cell-state path alone: no gradient on h_next, only on c_next.
    zeros = np.zeros_like(dh_next)
    for probe, dh, dc in (("dh_next = 0 (a gradient on c_next only)", zeros, dc_next),
                          ("dc_next = 0 (a gradient on h_next only)", dh_next, zeros)):
        got = student(dh, dc, cache, probe)
        ref = dict(zip(_LSTM_GRADS, lstm_step_backward(dh, dc, cache)))
        diagnose(got, ref, dh, dc, cache, probe)

    # Ground truth for the first case: numerical gradients of rnnlab's forward step (h_next and c_next).
    def both(**kw):
        h, c, _ = lstm_step_forward(**kw)
        return np.concatenate([h, c], axis=1)

    upstream = np.concatenate([dh_next, dc_next], axis=1)
    numeric = {}
    for k, v in inputs.items():
        numeric["d" + k] = numerical_gradient(lambda z, k=k: both(**{**inputs, k: z}), v, df=upstream)

    for j, (N, D, H) in enumerate(_STEP_SIZES):
        if j:
            inputs, cache, dh_next, dc_next = make(N, D, H)
            grads = student(dh_next, dc_next, cache, f"N={N}, D={D}, H={H}")
            ref = dict(zip(_LSTM_GRADS, lstm_step_backward(dh_next, dc_next, cache)))
        else:
            ref = numeric
        diagnose(grads, ref, dh_next, dc_next, cache)

    _, cache, dh_next, dc_next = make(3, 5, 4, np.float32)
    grads32 = student(dh_next, dc_next, cache, "float32 inputs")
    ref32 = dict(zip(_LSTM_GRADS, lstm_step_backward(dh_next, dc_next, cache)))
    for k in _LSTM_COMPARE_ORDER:
        ctx.compare(k, grads32[k], ref32[k], letters=_lstm_letters(3, 5, 4)[k][1], tol=TOL32)
    return (f"all six gradients agree with rnnlab with a gradient on c_next only and on h_next only, and with "
            f"numerical gradients and rnnlab on {len(_STEP_SIZES)} random cases and a float32 case; calling "
            f"twice gives the same result.")
