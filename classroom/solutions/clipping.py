"""Solution: clipping by the global gradient norm (notebook 03)."""

import numpy as np


def clip_grad_norm(grads, max_norm):
    """grads: dict of arrays, scaled in place to global norm <= max_norm -> total_norm before clipping"""
    ### BEGIN SOLUTION
    total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    if total_norm > max_norm:
        scale = max_norm / total_norm
        for g in grads.values():
            g *= scale  # in place: the caller's arrays change
    return total_norm
    ### END SOLUTION
