"""The machinery every checker uses: calling the student's function safely, checking the
structure of what it returns, comparing values, and the ``@exercise`` decorator that turns a
checker body into a public ``check_<name>`` function registered in :data:`CHECKERS`.

A checker body has the signature ``body(fn, rng, ctx) -> pass sentence`` and raises
``ctx.fail(message)`` (a :class:`~rnnlab.classroom.feedback.Failed`) at the first diagnosis.
"""

from __future__ import annotations

import os
import traceback
import warnings
from functools import wraps

import numpy as np

from ..gradcheck import rel_error
from . import probes
from .feedback import CheckResult, Failed, show as _show

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))

TOL = 1e-7  # float64 agreement, as for gradient checks
TOL32 = 1e-4  # float32 cases only check the dtype and loose agreement
MATCH = probes.MATCH  # "the output equals this known wrong answer"

CHECKERS = {}  # exercise name -> checker, in the order the modules are imported (registry.py)
SCORERS = {}  # exercise name -> scorer(fn, rng) -> {output: right?}


def describe_exception(e: BaseException) -> str:
    """'ValueError: ... (at `dh = da @ Wh`)' pointing at the student's own line."""
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


def copy_tree(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    if isinstance(a, (tuple, list)):
        return type(a)(copy_tree(v) for v in a)
    if isinstance(a, dict):
        return {k: copy_tree(v) for k, v in a.items()}
    return a


def same_tree(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_tree(a[k], b[k]) for k in a)
    return True


def quiet_call(fn, *args):
    """Call fn with numpy warnings silenced (overflow shows up as inf/nan in the output)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*args)


class Context:
    """What a checker body uses; every method raises Failed with a diagnosis."""

    def __init__(self, exercise):
        self.exercise = exercise

    @staticmethod
    def fail(message):
        return Failed(message)

    def call(self, fn, *args, names=None, case="", may_change=(), mutation_hint=None, error_hint=None):
        """Call the student's function; report its exceptions and any input it changed.

        may_change: names of arguments the function is meant to modify in place.
        error_hint: a sentence added when the function raises ValueError (usually a shape mismatch).
        """
        before = copy_tree(args)
        try:
            out = quiet_call(fn, *args)
        except NotImplementedError:
            raise Failed(
                "not implemented yet: the function still raises NotImplementedError. "
                "Replace `# YOUR CODE HERE` and `raise NotImplementedError()` with your code.",
                status="not implemented",
            ) from None
        except Exception as e:  # noqa: BLE001 - any error in student code is feedback
            suffix = f" on a case with {case}" if case else ""
            hint = f" {error_hint}" if error_hint and isinstance(e, ValueError) else ""
            raise Failed(f"your function raised {describe_exception(e)}{suffix}.{hint}", status="error") from None
        names = names or [f"argument {i + 1}" for i in range(len(args))]
        for name, a, b in zip(names, before, args):
            if name not in may_change and not same_tree(a, b):
                raise Failed(
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
            raise Failed(
                f"it should return {len(names)} values {want}, but returned one {type(out).__name__}. "
                f"End with `return {', '.join(names)}`."
            )
        if len(out) != len(names):
            raise Failed(f"it should return {len(names)} values {want}, but returned {len(out)}.")
        return list(out)

    def array(self, name, got, expected_shape, letters, shape_hints=None):
        """got must be an ndarray of expected_shape; letters like '(N, H)' name the axes."""
        if not isinstance(got, np.ndarray):
            raise Failed(f"{name} should be a numpy array of shape {letters}, but is a {type(got).__name__}.")
        if got.shape != tuple(expected_shape):
            msg = f"{name} has the wrong shape: expected {letters} = {tuple(expected_shape)}, got {got.shape}."
            hint = (shape_hints or {}).get(got.shape)
            if hint is None and got.shape == tuple(expected_shape)[::-1]:
                hint = "It looks transposed."
            raise Failed(f"{msg} {hint}" if hint else msg)
        return got

    def compare(self, name, got, expected, *, letters, known=(), factors=None, tol=TOL, shape_hints=None,
                time_axis=None):
        """Shape, dtype, finiteness, then the value; a mismatch is named as precisely as possible.

        known: (candidate array or None, message) pairs, structured wrong answers; tried first.
        factors: {"N (the batch size)": N, ...} names a scale error.
        time_axis: the axis of T, to name a shift by one step.
        When nothing fits, the message says which rows / time steps / columns are wrong.
        """
        self.array(name, got, expected.shape, letters, shape_hints)
        if got.dtype != expected.dtype:
            raise Failed(
                f"{name} has dtype {got.dtype} but the inputs were {expected.dtype}: keep the input dtype "
                f"(e.g. `np.zeros_like(h)` or `np.zeros(shape, dtype=x.dtype)`, not `np.zeros(shape)`)."
            )
        err = rel_error(got, expected)
        if err < tol:
            return
        if not np.all(np.isfinite(got)):
            raise Failed(f"{name} contains nan or inf values.")
        for cand, message in known:
            if cand is not None and np.shape(cand) == got.shape and probes.close(got, cand):
                raise Failed(message)
        message = probes.simple_transform(name, got, expected, factors)
        if message is None and time_axis is not None:
            message = probes.time_shift(name, got, expected, time_axis)
        if message is None:
            message = probes.locate(name, got, expected, letters)
        raise Failed(message)

    def repeatable(self, first, second, names):
        """The same call twice must give the same outputs (no state kept between calls)."""
        for name, a, b in zip(names, first, second):
            if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape:
                if not np.allclose(a, b, rtol=1e-12, atol=0):
                    raise Failed(
                        f"calling it twice with the same inputs gives a different {name}: gradients are "
                        f"accumulated across calls and never reset. Start every call from zeros."
                    )


def compare_parts(got, ref, names, tol=1e-6):
    """{name: right?} for the outputs of one call (used for partial credit)."""
    parts = {}
    for k, g, r in zip(names, got, ref):
        try:
            g = np.asarray(g, dtype=np.float64)
            parts[k] = bool(g.shape == np.shape(r) and np.all(np.isfinite(g)) and rel_error(g, np.asarray(r)) < tol)
        except (TypeError, ValueError):
            parts[k] = False
    return parts


def exercise(name, returns, scorer=None):
    """Decorator that turns ``body(fn, rng, ctx) -> pass sentence`` into a public checker.

    scorer(fn, rng) -> {output: right?} gives partial credit when the check fails: the fraction of
    the outputs that are right on a fresh random case.
    """

    def wrap(body):
        @wraps(body)
        def check(fn, *, seed=0, show=True):
            ctx = Context(name)
            if not callable(fn):
                result = CheckResult(
                    name, "failed",
                    f"pass the function itself (`check_{name}({name})`), not the result of calling it; "
                    f"got a {type(fn).__name__}.",
                )
            else:
                try:
                    passed_msg = body(fn, np.random.default_rng(seed), ctx)
                    result = CheckResult(name, "passed", passed_msg, score=1.0)
                except Failed as f:
                    result = CheckResult(name, f.status, f.message)
                except Exception as e:  # noqa: BLE001 - e.g. an output of an unexpected type
                    result = CheckResult(
                        name, "error",
                        f"the checker could not use what your function returned ({describe_exception(e)}). "
                        f"It should return {returns}.",
                    )
                if not result.passed and result.status != "not implemented" and scorer is not None:
                    try:
                        # quietly: a warning on stderr would cost the whole cell its points under nbgrader
                        parts = quiet_call(scorer, fn, np.random.default_rng(seed + 1000))
                    except Exception:  # noqa: BLE001 - a function that raises earns nothing
                        parts = {}
                    if parts and all(parts.values()):
                        # the values are right, but the check failed on something else: that counts as one part
                        parts["the rest of the check (inputs unchanged, dtype, no overflow, repeatable)"] = False
                    if parts:
                        result.parts = parts
                        result.score = sum(parts.values()) / len(parts)
            if show:
                _show(result)
            return result

        check.__doc__ = (body.__doc__ or "") + (
            "\n\n    Returns a CheckResult (truthy when passed, .score for partial credit); shows the\n"
            "    feedback unless show=False. seed selects the random cases.\n"
        )
        CHECKERS[name] = check
        if scorer is not None:
            SCORERS[name] = scorer
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
