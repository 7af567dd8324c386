"""dot_attention_forward(q, k, v, mask) -> (ctx, alpha, cache) and dot_attention_backward(dctx, cache) -> (dq, dk, dv).

Written from how students get attention wrong (CS231n's and d2l's attention exercises, forum threads
about "masked_softmax", "weights don't sum to one", "attention gradient check fails").
"""

import numpy as np

from . import correct, mistake

F = "dot_attention_forward"
B = "dot_attention_backward"


def _softmax(e, axis=-1):
    e = e - e.max(axis=axis, keepdims=True)
    p = np.exp(e)
    return p / p.sum(axis=axis, keepdims=True)


def _scores(q, k):
    return q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1]).astype(q.dtype)


def _finish(q, k, v, alpha):
    alpha = alpha.astype(q.dtype)
    return alpha @ v, alpha, (q, k, v, alpha, q.dtype.type(1 / np.sqrt(q.shape[-1])))


@mistake(F, "wrong axis")  # softmax over axis 1 (the queries)
def softmax_query_axis(q, k, v, mask):
    e = np.where(mask[:, None, :], _scores(q, k), -1e9)
    return _finish(q, k, v, _softmax(e, axis=1))


@mistake(F, "mask is ignored")
def ignores_mask(q, k, v, mask):
    return _finish(q, k, v, _softmax(_scores(q, k)))


@mistake(F, "mask is applied after the softmax")  # multiplies the weights by the mask
def mask_after_softmax(q, k, v, mask):
    return _finish(q, k, v, _softmax(_scores(q, k)) * mask[:, None, :])


@mistake(F, "instead of -inf")  # e * mask: padded scores become 0, exp(0) = 1
def mask_with_zero(q, k, v, mask):
    return _finish(q, k, v, _softmax(_scores(q, k) * mask[:, None, :]))


@mistake(F, "not scaled")
def no_scaling(q, k, v, mask):
    e = np.where(mask[:, None, :], q @ k.transpose(0, 2, 1), -np.inf)
    return _finish(q, k, v, _softmax(e))


@mistake(F, "divided by d instead of sqrt(d)")
def divides_by_d(q, k, v, mask):
    e = np.where(mask[:, None, :], q @ k.transpose(0, 2, 1) / q.shape[-1], -np.inf)
    return _finish(q, k, v, _softmax(e))


@mistake(F, "multiplied by sqrt(d)")
def multiplies_by_sqrt_d(q, k, v, mask):
    e = np.where(mask[:, None, :], q @ k.transpose(0, 2, 1) * np.sqrt(q.shape[-1]), -np.inf)
    return _finish(q, k, v, _softmax(e))


@mistake(F, "transposed")  # k @ q^T: weights indexed [source, query]
def transposed_scores(q, k, v, mask):
    e = k @ q.transpose(0, 2, 1) / np.sqrt(q.shape[-1])  # (N, Ts, Tq)
    e = np.where(mask[:, :, None], e, -np.inf)
    alpha = _softmax(e, axis=1)  # each query's column sums to 1
    return alpha.transpose(0, 2, 1) @ v, alpha, None


@mistake(F, "mask is inverted")  # ~mask: thinks True marks padding
def inverted_mask(q, k, v, mask):
    e = np.where(mask[:, None, :], -np.inf, _scores(q, k))
    with np.errstate(all="ignore"):
        a = _softmax(np.where(np.isfinite(e).any(-1, keepdims=True), e, 0.0))
    return _finish(q, k, v, np.nan_to_num(a))


@mistake(F, "exp overflows")  # no max subtraction
def no_max_shift(q, k, v, mask):
    e = np.where(mask[:, None, :], _scores(q, k), -np.inf)
    a = np.exp(e)
    return _finish(q, k, v, a / a.sum(-1, keepdims=True))


@mistake(F, "weighted sum of the KEYS")
def context_from_keys(q, k, v, mask):
    e = np.where(mask[:, None, :], _scores(q, k), -np.inf)
    alpha = _softmax(e)
    return alpha @ k, alpha, None


@mistake(F, "dtype float64")  # np.float64 scale upcasts a float32 batch
def upcasts(q, k, v, mask):
    e = np.where(mask[:, None, :], (q @ k.transpose(0, 2, 1)) * (1 / np.sqrt(np.float64(q.shape[-1]))), -np.inf)
    alpha = _softmax(e.astype(np.float64))
    return alpha @ v, alpha, None


@mistake(F, "normalised over more than one axis")  # one softmax over the whole (Tq, Ts) block
def softmax_over_block(q, k, v, mask):
    N, Tq, Ts = q.shape[0], q.shape[1], k.shape[1]
    e = np.where(mask[:, None, :], _scores(q, k), -np.inf).reshape(N, Tq * Ts)
    return _finish(q, k, v, _softmax(e).reshape(N, Tq, Ts))


@correct(F)
def einsum_large_negative(q, k, v, mask):
    e = np.einsum("ntd,nsd->nts", q, k) / np.sqrt(q.shape[-1]).astype(q.dtype)
    e = np.where(mask[:, None, :], e, q.dtype.type(-1e30))
    alpha = _softmax(e)
    return np.einsum("nts,nsv->ntv", alpha, v), alpha, None


@correct(F)
def loop_over_batch(q, k, v, mask):
    alpha = np.zeros((q.shape[0], q.shape[1], k.shape[1]), dtype=q.dtype)
    for n in range(q.shape[0]):
        real = np.flatnonzero(mask[n])
        e = q[n] @ k[n, real].T / np.sqrt(q.shape[-1]).astype(q.dtype)
        alpha[n][:, real] = _softmax(e)
    return alpha @ v, alpha, None


def _de(dctx, cache):
    q, k, v, alpha, scale = cache
    dalpha = dctx @ v.transpose(0, 2, 1)
    return alpha, dalpha, alpha * (dalpha - (alpha * dalpha).sum(-1, keepdims=True)) * scale


@mistake(B, "alpha were treated as constants")  # only dv
def weights_constant(dctx, cache):
    q, k, v, alpha, scale = cache
    return np.zeros_like(q), np.zeros_like(k), alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "backward is missing")  # de = dalpha * scale
def no_softmax_backward(dctx, cache):
    q, k, v, alpha, scale = cache
    de = (dctx @ v.transpose(0, 2, 1)) * scale
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "misses its second term")  # de = alpha * dalpha
def softmax_diagonal_only(dctx, cache):
    q, k, v, alpha, scale = cache
    de = alpha * (dctx @ v.transpose(0, 2, 1)) * scale
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "sums over the wrong axis")
def softmax_backward_axis1(dctx, cache):
    q, k, v, alpha, scale = cache
    dalpha = dctx @ v.transpose(0, 2, 1)
    de = alpha * (dalpha - (alpha * dalpha).sum(axis=1, keepdims=True)) * scale
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "miss the factor 1/sqrt(d)")
def forgets_scale(dctx, cache):
    q, k, v, alpha, scale = cache
    dalpha = dctx @ v.transpose(0, 2, 1)
    de = alpha * (dalpha - (alpha * dalpha).sum(-1, keepdims=True))
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "dv has one row per source step")  # alpha @ dctx
def dv_not_transposed(dctx, cache):
    q, k, v, alpha, scale = cache
    _, _, de = _de(dctx, cache)
    return de @ k, de.transpose(0, 2, 1) @ q, alpha @ dctx


@mistake(B, "dk has one row per SOURCE step")  # de @ q
def dk_not_transposed(dctx, cache):
    q, k, v, alpha, scale = cache
    _, _, de = _de(dctx, cache)
    return de @ k, de @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "from the keys instead of the values")  # dalpha = dctx . k
def dalpha_from_keys(dctx, cache):
    q, k, v, alpha, scale = cache
    dalpha = dctx @ k.transpose(0, 2, 1)
    de = alpha * (dalpha - (alpha * dalpha).sum(-1, keepdims=True)) * scale
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "dk is built from the keys")  # dk = de^T k
def dk_from_keys(dctx, cache):
    q, k, v, alpha, scale = cache
    _, _, de = _de(dctx, cache)
    return de @ k, de.transpose(0, 2, 1) @ k, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "elementwise")  # forgot the sum: alpha * (dalpha - alpha * dalpha)
def softmax_backward_no_sum(dctx, cache):
    q, k, v, alpha, scale = cache
    dalpha = dctx @ v.transpose(0, 2, 1)
    de = alpha * (dalpha - alpha * dalpha) * scale
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "divided by d instead of sqrt(d)")
def divides_by_d(dctx, cache):
    q, k, v, alpha, scale = cache
    dalpha = dctx @ v.transpose(0, 2, 1)
    de = alpha * (dalpha - (alpha * dalpha).sum(-1, keepdims=True)) / q.shape[-1]
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx


@mistake(B, "dtype float64")
def upcasts(dctx, cache):
    q, k, v, alpha, scale = cache
    _, _, de = _de(dctx.astype(np.float64), tuple(c.astype(np.float64) if isinstance(c, np.ndarray) else c
                                                   for c in cache))
    return de @ k.astype(np.float64), de.transpose(0, 2, 1) @ q.astype(np.float64), alpha.transpose(0, 2, 1) @ dctx


@correct(B)
def einsum_backward(dctx, cache):
    q, k, v, alpha, scale = cache
    dv = np.einsum("nts,ntv->nsv", alpha, dctx)
    dalpha = np.einsum("ntv,nsv->nts", dctx, v)
    de = alpha * (dalpha - np.einsum("nts,nts->nt", alpha, dalpha)[..., None])
    return np.einsum("nts,nsd->ntd", de, k) * scale, np.einsum("nts,ntd->nsd", de, q) * scale, dv


@correct(B)
def jacobian_per_row(dctx, cache):
    q, k, v, alpha, scale = cache
    de = np.zeros_like(alpha)
    dalpha = dctx @ v.transpose(0, 2, 1)
    for n in range(alpha.shape[0]):
        for t in range(alpha.shape[1]):
            a = alpha[n, t]
            de[n, t] = (np.diag(a) - np.outer(a, a)) @ dalpha[n, t]
    de = de * scale
    return de @ k, de.transpose(0, 2, 1) @ q, alpha.transpose(0, 2, 1) @ dctx
