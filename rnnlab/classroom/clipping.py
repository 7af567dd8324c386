"""Checker for clipping by the global norm: ``clip_grad_norm``."""

from __future__ import annotations

import numpy as np

from ..optim import clip_grad_norm
from . import probes
from .context import compare_parts, exercise
from .feedback import Failed

# --------------------------------------------------------------------------
# 6. clip_grad_norm
# --------------------------------------------------------------------------


def _score(fn, rng):
    grads = {"W": 3 * rng.standard_normal((3, 4)), "b": 3 * rng.standard_normal(4)}
    theirs, ours = ({k: v.copy() for k, v in grads.items()} for _ in range(2))
    total_ref = clip_grad_norm(ours, 1.0)
    total = fn(theirs, 1.0)
    parts = compare_parts([np.concatenate([theirs[k].ravel() for k in ours])],
                          [np.concatenate([ours[k].ravel() for k in ours])], ["clipped gradients"])
    parts["returned norm"] = bool(total is not None and abs(float(total) - total_ref) < 1e-6 * total_ref)
    return parts


@exercise("clip_grad_norm", "total_norm, the global norm before clipping", scorer=_score)
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
            raise Failed(f"the keys of grads changed: expected {sorted(ours)}, got {sorted(theirs)}.")
        _name_norm(theirs, original, max_norm, total)
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
            raise Failed("it returned None: return the global norm before clipping (useful to plot).")
        try:
            total = float(total)
        except (TypeError, ValueError):
            raise Failed(f"it should return one number, the global norm before clipping, got a "
                          f"{type(total).__name__}.") from None
        if abs(total - total_ref) > 1e-6 * total_ref:
            if total_ref > max_norm and abs(total - max_norm) < 1e-6 * max_norm:
                raise Failed("it returned the norm after clipping: return the global norm before clipping.")
            if abs(total - total_ref**2) < 1e-6 * total_ref**2:
                raise Failed("it returned the squared norm: take the square root of the sum of squares.")
            _name_norm(None, original, max_norm, total)
            raise Failed(f"it returned {total:.4g}, which is not the global norm of the gradients before "
                          f"clipping.")

    shapes = {"Wx": (3, 4), "Wh": (4, 4), "b": (4,)}
    run(make(shapes, 2.0), 1.0, "a global norm above max_norm")
    run(make({"W_out": (4, 6), "b_out": (6,), "Wh": (4, 4)}, 0.5), 50.0, "a global norm below max_norm")
    run(make({"a": (5,), "B": (2, 3)}, 3.0), 2.5, "other parameter names")
    run(make(shapes, 2.0, np.float32), 1.0, "float32 gradients")
    return ("clips by one global norm, in place, leaves small gradients alone and returns the norm before "
            "clipping (4 cases, including float32 and other parameter names).")



def candidate_norms(grads):
    """{description: value} of the norms a student might compute instead of the global L2 norm."""
    flat = np.concatenate([g.ravel() for g in grads.values()])
    two_d = [g.ravel() for g in grads.values() if g.ndim >= 2]
    out = {
        "the sum of the arrays' norms, sum(norm(g)), instead of one norm over all entries":
            float(sum(np.linalg.norm(g) for g in grads.values())),
        "the sum of absolute values (the L1 norm) instead of the square root of the sum of squares":
            float(np.abs(flat).sum()),
        "the largest absolute entry (the max norm) instead of the square root of the sum of squares":
            float(np.abs(flat).max()),
        "the root mean square of the entries (a mean where the sum belongs) instead of sqrt(sum of squares)":
            float(np.sqrt(np.mean(flat**2))),
        "the squared norm (no square root)": float(np.sum(flat**2)),
    }
    if two_d and len(two_d) < len(grads):
        out["the norm of the matrices only: the global norm includes every array, the biases too"] = float(
            np.linalg.norm(np.concatenate(two_d)))
    return out


def _name_norm(theirs, original, max_norm, total):
    """Name the norm behind a wrong common scale (theirs vs original) or a wrong returned total."""
    right = float(np.sqrt(sum(np.sum(g * g) for g in original.values())))
    norms = candidate_norms(original)
    if theirs is not None:
        scales = []
        for k, g0 in original.items():
            s, exact = probes.best_scale(theirs[k], g0)
            if s is None or not exact:
                return
            scales.append(s)
        s = scales[0]
        if not all(abs(t - s) <= 1e-9 * max(1, abs(s)) for t in scales) or s <= 0:
            return
        want = min(1.0, max_norm / right)
        if abs(s - want) < 1e-9:
            return
        if right > max_norm and abs(s - right / max_norm) < 1e-9 * s:
            raise Failed("the scale factor is upside down: multiply by max_norm / global_norm (a number below 1 "
                         "when clipping), not global_norm / max_norm.")
        for label, value in norms.items():
            if value > max_norm and abs(s - max_norm / value) < 1e-9 * s:
                raise Failed(f"the gradients are scaled with {label}: the global norm is "
                             f"sqrt(sum over every array of the sum of its squared entries).")
        return
    if total is not None:
        for label, value in norms.items():
            if abs(total - value) < 1e-9 * max(1.0, value):
                raise Failed(f"the returned norm is {label}: the global norm is sqrt(sum over every array of the "
                             f"sum of its squared entries).")
