"""Solution: the temporal softmax cross-entropy loss (notebook 02)."""

import numpy as np


def temporal_softmax_loss(scores, y, mask=None):
    """scores: (N, T, V), y: (N, T) ints, mask: (N, T) or None -> loss: float, dscores: (N, T, V)"""
    ### BEGIN SOLUTION
    N, T, V = scores.shape
    w = np.ones((N, T), dtype=scores.dtype) if mask is None else mask.astype(scores.dtype)
    shifted = scores - scores.max(axis=-1, keepdims=True)  # no overflow in exp
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    log_p_y = np.take_along_axis(log_probs, y[..., None], axis=-1)[..., 0]
    count = w.sum()
    loss = -float((w * log_p_y).sum() / count)
    dscores = np.exp(log_probs)
    dscores[np.arange(N)[:, None], np.arange(T)[None, :], y] -= 1
    dscores *= (w / count)[..., None]
    return loss, dscores
    ### END SOLUTION
