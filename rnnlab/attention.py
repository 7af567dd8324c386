"""Attention over encoder states: scaled dot-product (Luong-style) and additive (Bahdanau).

A decoder state asks a question (the query q) and every encoder state answers
with how well it matches (a score); a softmax over the source positions turns
the scores into weights, and the context is the weighted mean of the encoder
states (the values).  Shapes (batch-first; Tq query steps, Ts source steps):

    q     : (N, Tq, d)    queries, e.g. the decoder states s_t
    k     : (N, Ts, d)    keys, e.g. the (projected) encoder states
    v     : (N, Ts, dv)   values, e.g. the encoder states h_j
    mask  : (N, Ts) bool  True at real source steps, False at padding
    e     : (N, Tq, Ts)   scores
    alpha : (N, Tq, Ts)   weights: softmax of e over the SOURCE axis (the last one);
                          exactly 0 where mask is False, each row sums to 1
    ctx   : (N, Tq, dv)   ctx_t = sum_j alpha_tj v_j

Scores:
    dot (scaled):  e_tj = q_t . k_j / sqrt(d)          no parameters (Vaswani et al. 2017;
                   Luong et al. 2015's "general" score is this with k = h @ W)
    additive:      e_tj = tanh(q_t @ Wq + k_j @ Wk) . w   Wq (dq, A), Wk (dk, A), w (A,)
                   (Bahdanau et al. 2015)

Why divide by sqrt(d): with q and k of unit-variance entries, q . k is a sum of
d such products and has variance d, so the softmax saturates as d grows and
its gradient vanishes; dividing by sqrt(d) gives the scores variance 1.

Backward (derived in notebook 07, checked there and in tests/core/test_attention.py):
    dalpha_tj = dctx_t . v_j                      dv_j  = sum_t alpha_tj dctx_t
    de_tj     = alpha_tj (dalpha_tj - sum_i alpha_ti dalpha_ti)   (softmax; 0 where masked)
    dot:       dq_t = sum_j de_tj k_j / sqrt(d)   dk_j  = sum_t de_tj q_t / sqrt(d)
    additive:  u = tanh(q Wq + k Wk), du = de * w * (1 - u^2) summed as the shapes need

Every pair: ``*_forward(...) -> (ctx, alpha, cache)``, ``*_backward(dctx, cache) -> grads``.
float32 in gives float32 out; mixing dtypes is an error.
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_array, check_ndim, check_nonempty, check_same_dtype, check_shape


# --------------------------------------------------------------------------
# The masked softmax over the source axis, shared by both scores
# --------------------------------------------------------------------------


def check_source_mask(where, mask, N, Ts):
    """mask: None or (N, Ts) bool with at least one True per row -> (N, Ts) bool."""
    if mask is None:
        return np.ones((N, Ts), dtype=bool)
    if not isinstance(mask, np.ndarray) or mask.dtype != bool:
        got = type(mask).__name__ + (f" of dtype {mask.dtype}" if isinstance(mask, np.ndarray) else "")
        raise TypeError(f"{where}: mask must be an (N, Ts) bool array, got {got}")
    check_shape(where, "mask", mask, (N, Ts), "(N, Ts)")
    empty = np.flatnonzero(~mask.any(axis=1))
    if empty.size:
        raise ValueError(f"{where}: every row of mask needs at least one True (a source of length 0 "
                         f"has nothing to attend to), row {int(empty[0])} has none")
    return mask


def masked_softmax(e, mask):
    """Softmax of e (N, Tq, Ts) over the last axis, with weight exactly 0 where mask (N, Ts) is False."""
    e = np.where(mask[:, None, :], e, -np.inf)  # exp(-inf) = 0: padding gets no weight
    e = e - e.max(axis=-1, keepdims=True)  # finite: every row has a real step
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def masked_softmax_backward(dalpha, alpha):
    """de = alpha * (dalpha - sum_j alpha_j dalpha_j), row by row; 0 wherever alpha is 0 (the mask)."""
    return alpha * (dalpha - (alpha * dalpha).sum(axis=-1, keepdims=True))


def _check_qkv(where, q, k, v):
    for name, a, letters in (("q", q, "(N, Tq, d)"), ("k", k, "(N, Ts, d)"), ("v", v, "(N, Ts, dv)")):
        as_float_array(where, name, a)
        check_ndim(where, name, a, 3, letters)
        check_nonempty(where, name, a, letters)
    N, Ts = k.shape[:2]
    if q.shape[0] != N:
        raise ValueError(f"{where}: q and k must have the same batch size N, got q {q.shape} and k {k.shape}")
    check_shape(where, "v", v, (N, Ts, v.shape[2]), "(N, Ts, dv)")
    return N, q.shape[1], Ts


# --------------------------------------------------------------------------
# Scaled dot-product attention
# --------------------------------------------------------------------------


def dot_attention_forward(q, k, v, mask=None):
    """Scaled dot-product attention: e = q k^T / sqrt(d), alpha = softmax_j(e), ctx = alpha v.

    Args:
        q:    (N, Tq, d)   queries
        k:    (N, Ts, d)   keys
        v:    (N, Ts, dv)  values
        mask: (N, Ts) bool, True at real source steps; None: all real

    Returns:
        ctx:   (N, Tq, dv)
        alpha: (N, Tq, Ts) attention weights (rows sum to 1, 0 at padding)
        cache: for dot_attention_backward
    """
    where = "dot_attention_forward"
    N, Tq, Ts = _check_qkv(where, q, k, v)
    check_shape(where, "k", k, (N, Ts, q.shape[2]), "(N, Ts, d) with the d of q")
    check_same_dtype(where, q=q, k=k, v=v)
    mask = check_source_mask(where, mask, N, Ts)
    scale = q.dtype.type(1 / np.sqrt(q.shape[2]))
    e = (q @ k.transpose(0, 2, 1)) * scale  # (N, Tq, Ts)
    alpha = masked_softmax(e, mask)
    ctx = alpha @ v
    return ctx, alpha, (q, k, v, alpha, scale)


def dot_attention_backward(dctx, cache, dalpha=None):
    """Backward pass of dot_attention_forward.

    Args:
        dctx:   (N, Tq, dv) gradient on the context
        cache:  from dot_attention_forward
        dalpha: (N, Tq, Ts) optional extra gradient on the weights (e.g. from a penalty); None: zero

    Returns:
        dq: (N, Tq, d), dk: (N, Ts, d), dv: (N, Ts, dv)
    """
    q, k, v, alpha, scale = cache
    where = "dot_attention_backward"
    as_float_array(where, "dctx", dctx)
    check_shape(where, "dctx", dctx, alpha.shape[:2] + v.shape[2:], "(N, Tq, dv)")
    check_same_dtype(where, dctx=dctx, v=v)
    dv = alpha.transpose(0, 2, 1) @ dctx  # ctx = alpha v
    da = dctx @ v.transpose(0, 2, 1)  # dalpha_tj = dctx_t . v_j
    if dalpha is not None:
        check_shape(where, "dalpha", dalpha, alpha.shape, "(N, Tq, Ts)")
        da = da + dalpha
    de = masked_softmax_backward(da, alpha) * scale  # through the softmax, then e = scale * q k^T
    dq = de @ k
    dk = de.transpose(0, 2, 1) @ q
    return dq, dk, dv


# --------------------------------------------------------------------------
# Additive (Bahdanau) attention
# --------------------------------------------------------------------------


def additive_attention_forward(q, k, v, Wq, Wk, w, mask=None):
    """Additive attention: e_tj = tanh(q_t @ Wq + k_j @ Wk) . w, alpha = softmax_j(e), ctx = alpha v.

    Args:
        q:    (N, Tq, dq)  queries (decoder states)
        k:    (N, Ts, dk)  keys (encoder states)
        v:    (N, Ts, dv)  values (usually the same array as k)
        Wq:   (dq, A)      query projection
        Wk:   (dk, A)      key projection
        w:    (A,)         scoring vector
        mask: (N, Ts) bool, True at real source steps; None: all real

    Returns:
        ctx: (N, Tq, dv), alpha: (N, Tq, Ts), cache
    """
    where = "additive_attention_forward"
    N, Tq, Ts = _check_qkv(where, q, k, v)
    for name, a in (("Wq", Wq), ("Wk", Wk), ("w", w)):
        as_float_array(where, name, a)
    check_ndim(where, "w", w, 1, "(A,)")
    A = w.shape[0]
    check_shape(where, "Wq", Wq, (q.shape[2], A), "(dq, A)")
    check_shape(where, "Wk", Wk, (k.shape[2], A), "(dk, A)")
    check_same_dtype(where, q=q, k=k, v=v, Wq=Wq, Wk=Wk, w=w)
    mask = check_source_mask(where, mask, N, Ts)
    # (N, Tq, 1, A) + (N, 1, Ts, A): every query against every key, (N, Tq, Ts, A)
    u = np.tanh((q @ Wq)[:, :, None, :] + (k @ Wk)[:, None, :, :])
    e = u @ w
    alpha = masked_softmax(e, mask)
    ctx = alpha @ v
    return ctx, alpha, (q, k, v, Wq, Wk, w, u, alpha)


def additive_attention_backward(dctx, cache, dalpha=None):
    """Backward pass of additive_attention_forward.

    Args:
        dctx:   (N, Tq, dv);  cache: from additive_attention_forward
        dalpha: (N, Tq, Ts) optional extra gradient on the weights; None: zero

    Returns:
        dq (N, Tq, dq), dk (N, Ts, dk), dv (N, Ts, dv), dWq (dq, A), dWk (dk, A), dw (A,)
    """
    q, k, v, Wq, Wk, w, u, alpha = cache
    where = "additive_attention_backward"
    as_float_array(where, "dctx", dctx)
    check_shape(where, "dctx", dctx, alpha.shape[:2] + v.shape[2:], "(N, Tq, dv)")
    check_same_dtype(where, dctx=dctx, v=v)
    dv = alpha.transpose(0, 2, 1) @ dctx
    da = dctx @ v.transpose(0, 2, 1)
    if dalpha is not None:
        check_shape(where, "dalpha", dalpha, alpha.shape, "(N, Tq, Ts)")
        da = da + dalpha
    de = masked_softmax_backward(da, alpha)  # (N, Tq, Ts)
    A = w.shape[0]
    dw = (de[..., None] * u).reshape(-1, A).sum(axis=0)  # e = u . w
    dpre = de[..., None] * w * (1 - u * u)  # through tanh: (N, Tq, Ts, A)
    dqa = dpre.sum(axis=2)  # q @ Wq is shared by every key: sum over j -> (N, Tq, A)
    dka = dpre.sum(axis=1)  # k @ Wk is shared by every query: sum over t -> (N, Ts, A)
    dq = dqa @ Wq.T
    dk = dka @ Wk.T
    dWq = q.reshape(-1, q.shape[2]).T @ dqa.reshape(-1, A)
    dWk = k.reshape(-1, k.shape[2]).T @ dka.reshape(-1, A)
    return dq, dk, dv, dWq, dWk, dw
