"""Input checks shared by every public function.

Each check raises a ``ValueError`` or ``TypeError`` whose message names the
function, the argument, what was expected and what was received, so a student
reading the traceback knows which array to look at.  Nothing here converts or
broadcasts: bad input is rejected, never repaired.
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(where: str, name: str, a) -> np.ndarray:
    """Return ``a`` unchanged if it is a float32/float64 ndarray, else raise TypeError."""
    if not isinstance(a, np.ndarray):
        raise TypeError(
            f"{where}: {name} must be a numpy array of float32 or float64, "
            f"got {type(a).__name__}"
        )
    if a.dtype.type not in FLOAT_DTYPES:
        raise TypeError(
            f"{where}: {name} must have dtype float32 or float64, got {a.dtype}"
        )
    return a


def check_ndim(where: str, name: str, a: np.ndarray, ndim: int, letters: str) -> None:
    """Raise ValueError unless ``a.ndim == ndim``; ``letters`` names the axes, e.g. '(N, T, D)'."""
    if a.ndim != ndim:
        raise ValueError(
            f"{where}: {name} must be {ndim}-D with shape {letters}, "
            f"got shape {a.shape}"
        )


def check_shape(where: str, name: str, a: np.ndarray, expected: tuple, letters: str) -> None:
    """Raise ValueError unless ``a.shape == expected``."""
    if a.shape != tuple(expected):
        raise ValueError(
            f"{where}: {name} must have shape {letters} = {tuple(expected)}, "
            f"got {a.shape}"
        )


def check_nonempty(where: str, name: str, a: np.ndarray, axis_names: str) -> None:
    """Raise ValueError if any axis of ``a`` has length zero (an empty batch or sequence)."""
    if a.size == 0:
        raise ValueError(
            f"{where}: {name} must not be empty, got shape {a.shape} {axis_names}"
        )


def check_same_dtype(where: str, **arrays: np.ndarray) -> np.dtype:
    """All float arrays must share one dtype: we never silently up- or down-cast."""
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listing = ", ".join(f"{n}={d}" for n, d in dtypes.items())
        raise TypeError(
            f"{where}: all arrays must share one float dtype (no silent casting), "
            f"got {listing}"
        )
    return next(iter(dtypes.values()))


def check_int_indices(where: str, name: str, idx, upper: int) -> np.ndarray:
    """Integer array with every entry in [0, upper); raises TypeError/ValueError otherwise."""
    if not isinstance(idx, np.ndarray):
        raise TypeError(
            f"{where}: {name} must be a numpy array of integers, got {type(idx).__name__}"
        )
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(
            f"{where}: {name} must hold integer class indices, got dtype {idx.dtype}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= upper):
        bad = idx[(idx < 0) | (idx >= upper)].flat[0]
        raise ValueError(
            f"{where}: {name} must hold indices in [0, {upper}), found {int(bad)}"
        )
    return idx


def check_activation(where: str, activation: str, allowed) -> None:
    if activation not in allowed:
        raise ValueError(
            f"{where}: activation must be one of {sorted(allowed)}, got {activation!r}"
        )


def check_cell_params(where: str, D: int, Wx, Wh, b, gates: int = 1) -> int:
    """Check a recurrent cell's weights; return H.

    A cell with G gate blocks has Wx (D, G*H), Wh (H, G*H), b (G*H,):
    G = 1 for the vanilla RNN, 3 for the GRU, 4 for the LSTM.
    """
    GH = "H" if gates == 1 else f"{gates}H"
    for name, a in (("Wx", Wx), ("Wh", Wh), ("b", b)):
        as_float_array(where, name, a)
    check_ndim(where, "Wh", Wh, 2, f"(H, {GH})")
    H = Wh.shape[0]
    check_shape(where, "Wh", Wh, (H, gates * H), f"(H, {GH})")
    check_shape(where, "Wx", Wx, (D, gates * H), f"(D, {GH})")
    check_shape(where, "b", b, (gates * H,), f"({GH},)")
    return H


def _type_name(value) -> str:
    return type(value).__name__


def check_real(where: str, name: str, value, *, low=None, low_inclusive=False, allow_none=False):
    """A finite real number (int or float, never bool/str/array) above ``low``; returns it as float.

    ``low=0`` asks for a positive number, ``low=0, low_inclusive=True`` for a non-negative one.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a real number, got {_type_name(value)} {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
    if low is not None and (v < low if low_inclusive else v <= low):
        if low == 0:
            what = "non-negative" if low_inclusive else "positive"
        else:
            what = f"{'>=' if low_inclusive else '>'} {low}"
        raise ValueError(f"{where}: {name} must be {what}, got {value!r}")
    return v


def check_fraction(where: str, name: str, value, *, closed_high=False) -> float:
    """A real number in [0, 1) (or [0, 1] with closed_high), e.g. a momentum or a beta."""
    v = check_real(where, name, value, low=0, low_inclusive=True)
    if v > 1 or (v == 1 and not closed_high):
        raise ValueError(f"{where}: {name} must be in [0, 1{']' if closed_high else ')'}, got {value!r}")
    return v


def check_int(where: str, name: str, value, *, minimum=None, maximum=None, allow_none=False):
    """A Python or numpy integer (never bool, never a float such as 2.0) in [minimum, maximum]; returns int."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {_type_name(value)} {value!r}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{where}: {name} must be <= {maximum}, got {v}")
    return v


def check_axis(where: str, a: np.ndarray, axis) -> int:
    """A valid axis of ``a`` along which ``a`` has at least one entry; returns it non-negative."""
    axis = check_int(where, "axis", axis)
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"{where}: axis must be in [{-a.ndim}, {a.ndim}) for an array of shape {a.shape}, got {axis}")
    axis %= a.ndim
    if a.shape[axis] == 0:
        raise ValueError(f"{where}: axis {axis} of the input is empty (shape {a.shape}); there is nothing to normalise over")
    return axis
