"""Solutions: one LSTM step, forward and backward, blocks [i, f, g, o] (notebook 04)."""

import numpy as np


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """x: (N, D), h_prev, c_prev: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,) -> h_next, c_next: (N, H), cache"""
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b  # (N, 4H), blocks [i, f, g, o]

    def sigmoid(z):
        return 0.5 * (1 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow for large -z

    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    c_next = f * c_prev + i * g  # keep part of the old memory, write part of the candidate
    h_next = o * np.tanh(c_next)
    cache = (x, h_prev, c_prev, Wx, Wh, np.concatenate([i, f, g, o], axis=1), np.tanh(c_next))
    return h_next, c_next, cache
    ### END SOLUTION


def lstm_step_backward(dh_next, dc_next, cache):
    """dh_next, dc_next: (N, H) -> dx: (N, D), dh_prev, dc_prev: (N, H), dWx: (D, 4H), dWh: (H, 4H), db: (4H,)"""
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    ### BEGIN SOLUTION
    H = tanh_c.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    dc = dc_next + dh_next * o * (1 - tanh_c**2)  # both paths into c_next
    da = np.concatenate([
        dc * g * i * (1 - i),  # input gate
        dc * c_prev * f * (1 - f),  # forget gate
        dc * i * (1 - g**2),  # candidate
        dh_next * tanh_c * o * (1 - o),  # output gate
    ], axis=1)
    dc_prev = dc * f  # the additive path: no matrix, no tanh'
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dc_prev, dWx, dWh, db
    ### END SOLUTION
