"""Solutions: each sequence's final state in a padded batch, forward and backward (notebook 07)."""

import numpy as np


def gather_last_forward(h, lengths):
    """h: (N, T, H), lengths: (N,) ints in [1, T] -> h_last: (N, H) with h_last[n] = h[n, lengths[n] - 1], cache"""
    ### BEGIN SOLUTION
    N = h.shape[0]
    h_last = h[np.arange(N), lengths - 1]  # one (row, step) pair per sequence: its own last REAL step
    return h_last, (lengths, h.shape)
    ### END SOLUTION


def gather_last_backward(dh_last, cache):
    """dh_last: (N, H), cache: (lengths, (N, T, H)) -> dh: (N, T, H), zero except at each row's last real step"""
    lengths, shape = cache
    ### BEGIN SOLUTION
    dh = np.zeros(shape, dtype=dh_last.dtype)
    dh[np.arange(shape[0]), lengths - 1] = dh_last  # the gradient goes back where the value came from
    return dh
    ### END SOLUTION
