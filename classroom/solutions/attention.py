"""Solutions: scaled dot-product attention with a source mask, forward and backward (notebook 06)."""

import numpy as np


def dot_attention_forward(q, k, v, mask):
    """q: (N, Tq, d), k: (N, Ts, d), v: (N, Ts, dv), mask: (N, Ts) bool
    -> ctx: (N, Tq, dv), alpha: (N, Tq, Ts), cache"""
    ### BEGIN SOLUTION
    scale = q.dtype.type(1 / np.sqrt(q.shape[2]))  # a float32 q keeps float32 scores
    e = (q @ k.transpose(0, 2, 1)) * scale  # (N, Tq, Ts): every query against every key
    e = np.where(mask[:, None, :], e, -np.inf)  # exp(-inf) = 0: padding gets no weight
    e = e - e.max(axis=2, keepdims=True)  # softmax over the SOURCE axis, shifted against overflow
    alpha = np.exp(e)
    alpha = alpha / alpha.sum(axis=2, keepdims=True)
    ctx = alpha @ v
    return ctx, alpha, (q, k, v, alpha, scale)
    ### END SOLUTION


def dot_attention_backward(dctx, cache):
    """dctx: (N, Tq, dv) -> dq: (N, Tq, d), dk: (N, Ts, d), dv: (N, Ts, dv)"""
    q, k, v, alpha, scale = cache
    ### BEGIN SOLUTION
    dv = alpha.transpose(0, 2, 1) @ dctx  # ctx = alpha v
    dalpha = dctx @ v.transpose(0, 2, 1)  # (N, Tq, Ts)
    de = alpha * (dalpha - (alpha * dalpha).sum(axis=2, keepdims=True))  # through the softmax, row by row
    de = de * scale  # e = scale * q k^T
    dq = de @ k
    dk = de.transpose(0, 2, 1) @ q
    return dq, dk, dv
    ### END SOLUTION
