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

from .validation import as_float_array


def rel_error(a, b) -> float:
    """Relative error ||a - b|| / (||a|| + ||b||) in the 2-norm; 0.0 when both are zero.

    a, b: arrays of the same shape (scalars allowed).  A value below about 1e-7
    (float64) means the two agree; above about 1e-2 something is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: a and b must have the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)


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
    as_float_array("numerical_gradient", "x", x)
    if eps <= 0:
        raise ValueError(f"numerical_gradient: eps must be positive, got {eps}")
    out0 = np.asarray(f(x.copy()))
    if df is None:
        if out0.size != 1:
            raise ValueError(
                "numerical_gradient: f(x) has shape "
                f"{out0.shape}; pass df with that shape (the upstream gradient) "
                "or make f return a scalar"
            )
        df = np.ones_like(out0, dtype=np.float64)
    else:
        df = np.asarray(df)
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
        grad[i] = np.sum((np.asarray(f(xp)) - np.asarray(f(xm))) * df) / (2 * eps)
    return grad


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
        return all(r.passed for r in self.rows)

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
    if not isinstance(params, dict) or not params:
        raise TypeError(f"gradient_check: params must be a non-empty dict of arrays, got {type(params).__name__}")
    loss, grads = fn(dict(params))
    missing = set(params) - set(grads)
    if missing:
        raise ValueError(f"gradient_check: fn returned no gradient for {sorted(missing)}")
    rng = np.random.default_rng(0) if rng is None else rng
    report = GradCheckReport(threshold=threshold)
    for name, p in params.items():
        as_float_array("gradient_check", f"params[{name!r}]", p)
        g = np.asarray(grads[name])
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
                values.append(fn({**params, name: q})[0])
            num[k] = (values[0] - values[1]) / (2 * eps)
        ana = np.array([g[i] for i in all_idx], dtype=np.float64)
        err = rel_error(num, ana)
        report.rows.append(GradCheckRow(name, p.shape, err, err < threshold, len(all_idx)))
    if verbose:
        print(report)
    return report
