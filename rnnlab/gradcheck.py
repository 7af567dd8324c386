"""Numerical gradients and gradient checks.

A gradient check compares an analytic gradient with the two-sided difference

    df/dx_i  ~  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),

whose error is O(eps^2) from truncation plus O(machine_eps / eps) from
round-off.  In float64 with eps = 1e-5 both are around 1e-10, which is why
checks are done in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .validation import as_float_array, check_int, check_real


def rel_error(a, b) -> float:
    """Relative error ||a - b|| / (||a|| + ||b||) in the 2-norm; 0.0 when both are zero.

    a, b: arrays of the same shape (scalars allowed).  A value below about 1e-7
    (float64) means the two agree; above about 1e-2 something is wrong.
    """
    a, b = _as_numbers("a", a), _as_numbers("b", b)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: a and b must have the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)


def _as_numbers(name, v):
    """v as a float64 array, if it holds numbers (bool, str, None and objects are refused)."""
    arr = np.asarray(v)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"rel_error: {name} must be a number or an array of numbers, "
                        f"got {type(v).__name__}" + (f" of dtype {arr.dtype}" if isinstance(v, np.ndarray) else ""))
    return arr.astype(np.float64)


def numerical_gradient(f, x, df=None, eps=1e-5):
    """Two-sided numerical gradient of sum(f(x) * df) with respect to x.

    f is called with a perturbed COPY of x each time, never with x itself, so
    f must use its argument (a lambda that ignores it would return zeros) and
    x is left unchanged.

    Args:
        f:   function mapping an array shaped like x to a scalar or an array
        x:   (any shape) float array where the gradient is evaluated
        df:  upstream gradient, shaped like f(x); required when f(x) is not a scalar
        eps: step size

    Returns:
        grad: array shaped like x, same dtype
    """
    where = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of x, got {type(f).__name__}")
    as_float_array(where, "x", x)
    eps = _check_eps(where, eps)
    out0 = _call_f(f, x.copy())
    if df is None:
        if out0.size != 1:
            raise ValueError(
                "numerical_gradient: f(x) has shape "
                f"{out0.shape}; pass df with that shape (the upstream gradient) "
                "or make f return a scalar"
            )
        df = np.ones_like(out0, dtype=np.float64)
    else:
        as_float_array(where, "df", df)
        if df.shape != out0.shape:
            raise ValueError(
                f"numerical_gradient: df must have the shape of f(x), {out0.shape}, got {df.shape}"
            )

    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += eps
        xm = x.copy()
        xm[i] -= eps
        grad[i] = np.sum((_call_f(f, xp) - _call_f(f, xm)) * df) / (2 * eps)
    return grad


def _check_eps(where, eps):
    eps = check_real(where, "eps", eps, low=0)
    if eps > 1:  # f(x +- eps) would not say anything about the slope at x
        raise ValueError(f"{where}: eps must be a small step in (0, 1] (1e-5 is usual in float64), got {eps!r}")
    return eps


def _call_f(f, x):
    """f(x) as a float array; a function that returns None or text is named, not multiplied."""
    out = f(x)
    if out is None:
        raise TypeError("numerical_gradient: f returned None; it must return the value (a number or an "
                        "array), e.g. `lambda v: np.sum(v ** 2)`, not print it or update something in place")
    out = np.asarray(out)
    if not (np.issubdtype(out.dtype, np.floating) or np.issubdtype(out.dtype, np.integer)) or out.dtype == bool:
        raise TypeError(f"numerical_gradient: f must return numbers, got {type(out).__name__} of dtype {out.dtype}")
    return out


@dataclass
class GradCheckRow:
    name: str
    shape: tuple
    rel_error: float
    passed: bool
    checked: int  # how many entries were perturbed


@dataclass
class GradCheckReport:
    """Per-parameter result of gradient_check; truthy when every parameter passed."""

    rows: list = field(default_factory=list)
    threshold: float = 1e-7

    @property
    def passed(self) -> bool:
        # a report that checked nothing has passed nothing
        return bool(self.rows) and all(r.passed and r.checked > 0 for r in self.rows)

    @property
    def max_error(self) -> float:
        return max((r.rel_error for r in self.rows), default=0.0)

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> GradCheckRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        width = max([9] + [len(r.name) for r in self.rows])
        lines = [f"{'parameter':<{width}}  {'shape':<14} {'rel error':>10}  result"]
        for r in self.rows:
            verdict = "pass" if r.passed else "FAIL"
            lines.append(f"{r.name:<{width}}  {str(r.shape):<14} {r.rel_error:>10.2e}  {verdict}")
        lines.append(f"threshold {self.threshold:.0e}: {'all passed' if self.passed else 'FAILED'}")
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle):  # IPython shows the table, not a dataclass dump
        p.text(str(self))


def gradient_check(fn, params, *, threshold=1e-7, eps=1e-5, max_entries=None, rng=None, verbose=False):
    """Check the analytic gradient of every parameter against a numerical one.

    Args:
        fn:     function ``fn(params) -> (loss, grads)``; params and grads are dicts
                of arrays with the same keys and shapes; fn must read its argument
        params: dict name -> float array (not modified)
        threshold:   relative error above which a parameter fails
        eps:         finite-difference step
        max_entries: check at most this many randomly chosen entries per parameter
                     (None: all); useful for large matrices
        rng:         numpy Generator used to choose the entries
        verbose:     print the table

    Returns:
        GradCheckReport: one row per parameter (name, shape, rel error, pass/fail)
    """
    where = "gradient_check"
    if not callable(fn):
        raise TypeError(f"{where}: fn must be a function fn(params) -> (loss, grads), got {type(fn).__name__}")
    if not isinstance(params, dict) or not params:
        raise TypeError(f"gradient_check: params must be a non-empty dict of arrays, got {type(params).__name__}")
    for name, p in params.items():
        as_float_array(where, f"params[{name!r}]", p)
        if p.size == 0:
            raise ValueError(f"{where}: params[{name!r}] is empty (shape {p.shape}); there is nothing to check")
    threshold = check_real(where, "threshold", threshold, low=0)
    eps = _check_eps(where, eps)
    # 0 entries would check nothing and report PASS: at least one is required
    max_entries = check_int(where, "max_entries", max_entries, minimum=1, allow_none=True)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    out = fn(dict(params))
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        raise TypeError(f"{where}: fn must return the pair (loss, grads) with grads a dict, got {type(out).__name__}")
    loss, grads = out
    missing = set(params) - set(grads)
    if missing:
        raise ValueError(f"gradient_check: fn returned no gradient for {sorted(missing)}")
    rng = np.random.default_rng(0) if rng is None else rng
    report = GradCheckReport(threshold=threshold)
    for name, p in params.items():
        as_float_array("gradient_check", f"params[{name!r}]", p)
        g = grads[name]
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"{where}: grads[{name!r}] must be a float array, got {type(g).__name__}"
                            + (f" of dtype {g.dtype}" if isinstance(g, np.ndarray) else ""))
        if g.shape != p.shape:
            raise ValueError(
                f"gradient_check: grads[{name!r}] must have shape {p.shape}, got {g.shape}"
            )
        all_idx = list(np.ndindex(p.shape))
        if max_entries is not None and len(all_idx) > max_entries:
            pick = rng.choice(len(all_idx), size=max_entries, replace=False)
            all_idx = [all_idx[i] for i in sorted(pick)]
        num = np.empty(len(all_idx))
        for k, i in enumerate(all_idx):
            values = []
            for sign in (+1, -1):
                q = p.copy()
                q[i] += sign * eps
                values.append(_loss_value(fn({**params, name: q})[0]))
            num[k] = (values[0] - values[1]) / (2 * eps)
        ana = np.array([g[i] for i in all_idx], dtype=np.float64)
        err = rel_error(num, ana)
        report.rows.append(GradCheckRow(name, p.shape, err, err < threshold, len(all_idx)))
    if verbose:
        print(report)
    return report


def _loss_value(loss):
    if isinstance(loss, (bool, np.bool_)) or np.ndim(loss) != 0 or not np.isreal(loss):
        raise TypeError(f"gradient_check: fn must return a scalar loss, got {type(loss).__name__} {np.shape(loss)}")
    return float(loss)
