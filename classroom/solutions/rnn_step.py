"""Solutions: one vanilla RNN step, forward and backward (notebook 01)."""

import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """x: (N, D), h_prev: (N, H), Wx: (D, H), Wh: (H, H), b: (H,) -> h_next: (N, H), cache"""
    ### BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    cache = (x, h_prev, Wx, Wh, h_next)
    return h_next, cache
    ### END SOLUTION


def rnn_step_backward(dh_next, cache):
    """dh_next: (N, H) -> dx: (N, D), dh_prev: (N, H), dWx: (D, H), dWh: (H, H), db: (H,)"""
    x, h_prev, Wx, Wh, h_next, activation = cache
    ### BEGIN SOLUTION
    da = dh_next * (1 - h_next**2)  # through the tanh
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db
    ### END SOLUTION
