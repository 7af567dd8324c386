"""Solutions: one GRU step, forward and backward, blocks [r, z, n] and the bias b_hn (notebook 05)."""

import numpy as np


def gru_step_forward(x, h_prev, Wx, Wh, b, b_hn):
    """x: (N, D), h_prev: (N, H), Wx: (D, 3H), Wh: (H, 3H), b: (3H,), b_hn: (H,) -> h_next: (N, H), cache"""
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    ax = x @ Wx + b  # (N, 3H), blocks [r, z, n]
    ah = h_prev @ Wh

    def sigmoid(a):
        return 0.5 * (1 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow

    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    hn = ah[:, 2 * H:] + b_hn  # the recurrent part of the candidate, scaled by r as a whole
    n = np.tanh(ax[:, 2 * H:] + r * hn)
    h_next = (1 - z) * n + z * h_prev  # z near 1 keeps the old state
    cache = (x, h_prev, Wx, Wh, np.concatenate([r, z, n], axis=1), hn)
    return h_next, cache
    ### END SOLUTION


def gru_step_backward(dh_next, cache):
    """dh_next: (N, H) -> dx: (N, D), dh_prev: (N, H), dWx: (D, 3H), dWh: (H, 3H), db: (3H,), db_hn: (H,)"""
    x, h_prev, Wx, Wh, gates, hn = cache
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    dn_pre = dh_next * (1 - z) * (1 - n**2)  # through h = (1 - z) n + z h_prev, then tanh
    dr_pre = dn_pre * hn * r * (1 - r)
    dz_pre = dh_next * (h_prev - n) * z * (1 - z)
    da_x = np.concatenate([dr_pre, dz_pre, dn_pre], axis=1)  # gradient on x @ Wx + b
    da_h = np.concatenate([dr_pre, dz_pre, dn_pre * r], axis=1)  # on h_prev @ Wh (+ b_hn in its n block)
    dx = da_x @ Wx.T
    dh_prev = da_h @ Wh.T + dh_next * z  # through the matrices, and directly through z * h_prev
    dWx = x.T @ da_x
    dWh = h_prev.T @ da_h
    db = da_x.sum(axis=0)
    db_hn = (dn_pre * r).sum(axis=0)
    return dx, dh_prev, dWx, dWh, db, db_hn
    ### END SOLUTION
