"""Solution: backpropagation through time for a vanilla RNN (notebook 02)."""

import numpy as np


def rnn_backward(dh, cache):
    """dh: (N, T, H) -> dx: (N, T, D), dh0: (N, H), dWx: (D, H), dWh: (H, H), db: (H,)"""
    x, h0, Wx, Wh, h, activation = cache
    ### BEGIN SOLUTION
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0], dtype=x.dtype)
    dh_next = np.zeros_like(h0)  # nothing comes from after the last step
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db
    ### END SOLUTION
