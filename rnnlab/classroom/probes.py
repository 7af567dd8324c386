"""Probes: name what a wrong array IS, instead of looking it up among known mutants.

Every function here compares a student's output with structured candidates built from the
correct value or from the inputs, and returns a plain sentence (or None when nothing fits):

- :func:`simple_transform` - the correct value negated, transposed, scaled by a named
  count (N, T, N*T, the mask count, 2), or scaled by a factor that is some other norm;
- :func:`time_shift` - a (N, T, ...) output moved by one time step, or right at one step only;
- :func:`which_activation` - the elementwise function a student applied to a known pre-activation;
- :func:`which_derivative` - the factor da / upstream a student used (1 - h**2, 1 - a**2, h(1-h), ...);
- :func:`locate` - when nothing fits: which rows / time steps / columns of an output are wrong.

The checkers pass the candidates a term-isolating probe makes meaningful (every input zero but
one, a gradient at one time step only); these helpers only do the comparing and the wording.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import rel_error

MATCH = 1e-6  # "the output equals this candidate"


def close(a, b, tol=MATCH) -> bool:
    """Same shape and relative error below tol (nan-safe)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            return False
        return bool(rel_error(a, b) < tol)


def best_scale(got, expected):
    """The s minimising |got - s * expected|, and whether got is exactly s * expected."""
    e2 = float(np.vdot(expected, expected))
    if e2 == 0:
        return None, False
    s = float(np.vdot(got, expected)) / e2
    return s, close(got, s * expected)


def factor_name(s, factors):
    """'N (the batch size) times too large' when s is about N (or 1/N); None otherwise."""
    for label, k in factors.items():
        if k in (0, 1):
            continue
        if abs(s - k) < 1e-6 * k:
            return f"{label} times too large"
        if abs(s - 1 / k) < 1e-6 / k:
            return f"{label} times too small"
    return None


def simple_transform(name, got, expected, factors=None):
    """Sentence naming got as a negated, transposed or rescaled copy of expected; or None."""
    if not np.any(got) and np.any(expected):
        return f"{name} is all zeros."
    if close(got, -expected):
        return f"{name} has the wrong sign: it is exactly the negative of the correct value."
    if got.ndim == 2 and got.shape[0] == got.shape[1] and close(got, expected.T) and not close(got, expected):
        return f"{name} is transposed (a square matrix, so the shape cannot show it)."
    s, exact = best_scale(got, expected)
    if exact and s is not None:
        named = factor_name(s, {**(factors or {}), "2": 2})
        if named:
            return f"{name} is off by a constant factor: it is {named}."
        return (f"{name} has the right direction but the wrong size (scaled by {s:.3g}): check which sum, "
                f"mean or norm you divide by.")
    return None


def all_negated(got, ref):
    """True when every output is exactly the negative of the right one (and not zero)."""
    return all(np.any(r) and close(g, -r) for g, r in zip(got, ref))


def time_shift(name, got, expected, t_axis=1):
    """For outputs with a time axis: shifted by one step, or right at only one step."""
    T = expected.shape[t_axis]
    if T < 2:
        return None
    fwd = np.zeros_like(expected)
    bwd = np.zeros_like(expected)
    sl = [slice(None)] * expected.ndim

    def at(s):
        idx = list(sl)
        idx[t_axis] = s
        return tuple(idx)

    fwd[at(slice(1, None))] = expected[at(slice(None, -1))]
    bwd[at(slice(None, -1))] = expected[at(slice(1, None))]
    if close(got, fwd) or close(got, bwd):
        return (f"{name} is shifted by one time step: the value of step t lands at step "
                f"{'t+1' if close(got, fwd) else 't-1'}. Check which step's state each term uses.")
    right = [t for t in range(T) if close(got[at(t)], expected[at(t)], 1e-7)]
    if len(right) == 1:
        return (f"{name} is right only at time step t = {right[0]} and wrong at the other {T - 1}: a "
                f"contribution is missing or added at all steps but one.")
    return None


_ACTIVATIONS = {
    "tanh": np.tanh,
    "the sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "ReLU": lambda a: np.maximum(a, 0),
    "no activation at all (the pre-activation itself)": lambda a: a,
    "tanh applied twice": lambda a: np.tanh(np.tanh(a)),
}


def which_activation(got, pre):
    """The name of the elementwise function f with got == f(pre), or None."""
    with np.errstate(all="ignore"):
        for label, f in _ACTIVATIONS.items():
            if close(got, f(pre)):
                return label
    return None


def derivative_candidates(h, a):
    """{phrase: factor} of the activation derivatives a student might multiply dh by, h = tanh(a).

    The first entry is the right one.  Used to build candidate gradients (factor * dh) and to name
    the factor a student used.
    """
    with np.errstate(all="ignore"):
        s = 1 / (1 + np.exp(-a))
        return {
            "1 - h**2 (correct)": 1 - h**2,
            "1 - a**2, the derivative taken from the pre-activation a instead of the output h": 1 - a**2,
            "1 - tanh(h)**2: tanh' evaluated at h_next, but h_next is already tanh(a)": 1 - np.tanh(h) ** 2,
            "h * (1 - h), the sigmoid's derivative": h * (1 - h),
            "1 - h instead of 1 - h**2": 1 - h,
            "1 (no activation derivative at all)": np.ones_like(h),
            "h**2 instead of 1 - h**2": h**2,
            "1 + h**2 instead of 1 - h**2": 1 + h**2,
            "the sigmoid's derivative of the pre-activation, s * (1 - s)": s * (1 - s),
        }


def which_derivative(ratio_got, h, a):
    """Name the activation derivative a student used from the factor da / dh they applied, or None."""
    for label, c in derivative_candidates(h, a).items():
        if close(ratio_got, c, 1e-5):
            return label
    return None


def locate(name, got, expected, letters, tol=1e-7):
    """'dx is wrong at time steps t = 0, 1 (right elsewhere)' - which slices of an output are wrong.

    letters: axis names like "(N, T, D)"; each axis is scanned, the most telling one is reported.
    """
    axes = [a.strip() for a in letters.strip("()").split(",") if a.strip()]
    if got.shape != expected.shape or got.ndim == 0:
        return f"{name} has the right shape but wrong values."
    err = np.abs(got - expected) > tol * (1 + np.abs(expected))
    if not err.any():
        return None
    axis_words = {"N": "rows (batch entries)", "T": "time steps t", "D": "input columns", "H": "columns",
                  "4H": "columns", "3H": "columns", "V": "vocabulary columns"}
    best = None
    for ax in range(got.ndim):
        others = tuple(i for i in range(got.ndim) if i != ax)
        bad = np.flatnonzero(err.any(axis=others) if others else err)
        n = got.shape[ax]
        if 0 < len(bad) < n:
            label = axes[ax] if ax < len(axes) else f"axis {ax}"
            if best is None or len(bad) < best[1]:
                best = (label, len(bad), bad, n)
    if best:
        label, _, bad, n = best
        word = axis_words.get(label, f"entries along {label}")
        shown = ", ".join(str(i) for i in bad[:8]) + (" ..." if len(bad) > 8 else "")
        return (f"{name} has the right shape but is wrong at {word} {shown} (of {n}) and right elsewhere.")
    frac = err.mean()
    return f"{name} has the right shape but wrong values in {frac:.0%} of its entries."
