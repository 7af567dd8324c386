"""clip_grad_norm(grads, max_norm) -> total_norm; grads scaled in place by one common factor."""

import numpy as np

from . import correct, mistake

E = "clip_grad_norm"


def _norm(grads):
    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


def _scale_all(grads, s):
    for g in grads.values():
        g *= s


@mistake(E, "each entry was clipped separately")  # np.clip on each array
def per_entry(grads, max_norm):
    total = _norm(grads)
    for g in grads.values():
        np.clip(g, -max_norm, max_norm, out=g)
    return total


@mistake(E, "own norm")  # per-parameter clipping (PyTorch clip_grad_norm_ on each param in a loop)
def per_array(grads, max_norm):
    total = _norm(grads)
    for g in grads.values():
        n = np.linalg.norm(g)
        if n > max_norm:
            g *= max_norm / n
    return total


@mistake(E, "rebinds")  # g = g * s
def rebinds(grads, max_norm):
    total = _norm(grads)
    if total > max_norm:
        for g in grads.values():
            g = g * (max_norm / total)  # noqa: F841
    return total


@mistake(E, "after clipping")
def returns_after(grads, max_norm):
    total = _norm(grads)
    if total > max_norm:
        _scale_all(grads, max_norm / total)
    return _norm(grads)


@mistake(E, "left unchanged")  # always rescales to max_norm
def always_rescales(grads, max_norm):
    total = _norm(grads)
    _scale_all(grads, max_norm / total)
    return total


@mistake(E, "squared")  # forgot the square root
def squared_norm(grads, max_norm):
    sq = float(sum(np.sum(g * g) for g in grads.values()))
    if np.sqrt(sq) > max_norm:
        _scale_all(grads, max_norm / np.sqrt(sq))
    return sq


@mistake(E, "sum of the arrays' norms")  # adds the per-array norms
def sum_of_norms(grads, max_norm):
    total = float(sum(np.linalg.norm(g) for g in grads.values()))
    if total > max_norm:
        _scale_all(grads, max_norm / total)
    return total


@mistake(E, "absolute values")  # L1 norm
def l1_norm(grads, max_norm):
    total = float(sum(np.abs(g).sum() for g in grads.values()))
    if total > max_norm:
        _scale_all(grads, max_norm / total)
    return total


@mistake(E, "largest")  # max-abs norm
def max_norm_instead(grads, max_norm):
    total = float(max(np.abs(g).max() for g in grads.values()))
    if total > max_norm:
        _scale_all(grads, max_norm / total)
    return total


@mistake(E, "max_norm / global_norm")  # factor upside down
def inverted_factor(grads, max_norm):
    total = _norm(grads)
    if total > max_norm:
        _scale_all(grads, total / max_norm)
    return total


@mistake(E, "None")  # forgot to return
def returns_none(grads, max_norm):
    total = _norm(grads)
    if total > max_norm:
        _scale_all(grads, max_norm / total)


@mistake(E, "every array")  # only the weight matrices, biases (1-D) left out of the norm
def matrices_only(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values() if g.ndim == 2)))
    if total > max_norm:
        _scale_all(grads, max_norm / total)
    return total


@mistake(E, "root mean square")  # norm of the mean square entry
def rms_norm(grads, max_norm):
    allg = np.concatenate([g.ravel() for g in grads.values()])
    total = float(np.sqrt(np.mean(allg**2)))
    if total > max_norm:
        _scale_all(grads, max_norm / total)
    return total


# ---------------------------------------------------------------- correct
@correct(E)
def concatenated(grads, max_norm):
    total = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()])))
    s = min(1.0, max_norm / (total + 0.0)) if total > 0 else 1.0
    if s < 1.0:
        for k in grads:
            grads[k][...] = grads[k] * s
    return total


@correct(E)
def with_multiply_out(grads, max_norm):
    total = np.sqrt(np.sum([np.vdot(g, g) for g in grads.values()]))
    if total > max_norm:
        for g in grads.values():
            np.multiply(g, max_norm / total, out=g)
    return float(total)
