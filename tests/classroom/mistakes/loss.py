"""temporal_softmax_loss(scores, y, mask=None) -> (loss, dscores); scores (N, T, V), y (N, T)."""

import numpy as np

from . import correct, mistake

E = "temporal_softmax_loss"


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _w(scores, mask):
    N, T, _ = scores.shape
    return np.ones((N, T), scores.dtype) if mask is None else mask.astype(scores.dtype)


def _onehot(y, V, dtype):
    return np.eye(V, dtype=dtype)[y]


def _pick(p, y):
    return np.take_along_axis(p, y[..., None], -1)[..., 0]


def _right(scores, y, mask):
    p = _softmax(scores)
    w = _w(scores, mask)
    return p, w, w.sum()


@mistake(E, "axis")  # softmax over the batch axis
def softmax_over_batch(scores, y, mask=None):
    p = _softmax(scores, axis=0)
    w = _w(scores, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / w.sum()
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / w.sum())[..., None]


@mistake(E, "axis")  # softmax over the time axis
def softmax_over_time(scores, y, mask=None):
    p = _softmax(scores, axis=1)
    w = _w(scores, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / w.sum()
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / w.sum())[..., None]


@mistake(E, "exp overflows")  # no max subtraction
def no_shift(scores, y, mask=None):
    e = np.exp(scores)
    p = e / e.sum(-1, keepdims=True)
    w = _w(scores, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / w.sum()
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / w.sum())[..., None]


@mistake(E, "N*T (the number of positions) times too large")  # gradient of the sum, loss the mean
def grad_not_divided(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * w[..., None]


@mistake(E, "T (the sequence length) times too large")  # CS231n convention: divide by N only
def divide_by_N(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    N = scores.shape[0]
    loss = -(w * np.log(_pick(p, y))).sum() / N
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * w[..., None] / N


@mistake(E, "V (the vocabulary size) times too small")  # np.mean over the whole (N, T, V) array
def mean_over_vocab_too(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    V = scores.shape[2]
    loss = -(w * np.log(_pick(p, y))).sum() / (n * V)
    return float(loss), (p - _onehot(y, V, scores.dtype)) * (w / (n * V))[..., None]


@mistake(E, "mask")  # mask in the loss but not in the gradient
def mask_loss_only(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) / n


@mistake(E, "mask")  # mask in the gradient but not in the loss
def mask_grad_only(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = -np.log(_pick(p, y)).mean()
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / n)[..., None]


@mistake(E, "mask")  # mask ignored everywhere
def mask_ignored(scores, y, mask=None):
    p = _softmax(scores)
    N, T, V = scores.shape
    return float(-np.log(_pick(p, y)).mean()), (p - _onehot(y, V, scores.dtype)) / (N * T)


@mistake(E, "unmasked positions")  # masked positions zeroed but the mean still over N*T
def mask_wrong_count(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    N, T, V = scores.shape
    loss = -(w * np.log(_pick(p, y))).sum() / (N * T)
    return float(loss), (p - _onehot(y, V, scores.dtype)) * (w / (N * T))[..., None]


@mistake(E, "wrong sign")  # targets minus probabilities
def grad_sign(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (_onehot(y, scores.shape[2], scores.dtype) - p) * (w / n)[..., None]


@mistake(E, "loss")  # forgot the minus sign in the cross-entropy
def loss_sign(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = (w * np.log(_pick(p, y))).sum() / n
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / n)[..., None]


@mistake(E, "one_hot")  # subtracts 1 from every class
def subtract_one_everywhere(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (p - 1) * (w / n)[..., None]


@mistake(E, "raw scores")  # gradient from the scores, not the probabilities
def grad_from_scores(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (scores - _onehot(y, scores.shape[2], scores.dtype)) * (w / n)[..., None]


@mistake(E, "softmax is applied twice")
def double_softmax(scores, y, mask=None):
    p = _softmax(_softmax(scores))
    w = _w(scores, mask)
    n = w.sum()
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / n)[..., None]


@mistake(E, "one number")  # per-position losses returned
def loss_not_reduced(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    return -w * np.log(_pick(p, y)), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / n)[..., None]


@mistake(E, "in place")  # scores -= max in place
def shifts_in_place(scores, y, mask=None):
    scores -= scores.max(-1, keepdims=True)
    p, w, n = _right(scores, y, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / n)[..., None]


@mistake(E, "loss")  # log-sum-exp of the unshifted scores mixed with the shifted ones
def logsumexp_mixed_shift(scores, y, mask=None):
    shifted = scores - scores.max(-1, keepdims=True)
    logp = shifted - np.log(np.exp(scores).sum(-1, keepdims=True))
    p, w, n = _right(scores, y, mask)
    loss = -(w * _pick(logp, y)).sum() / n
    return float(loss), (p - _onehot(y, scores.shape[2], scores.dtype)) * (w / n)[..., None]


@mistake(E, "dtype")  # float64 one-hot for float32 scores
def float64_onehot(scores, y, mask=None):
    p, w, n = _right(scores, y, mask)
    loss = -(w * np.log(_pick(p, y))).sum() / n
    return float(loss), (p - np.eye(scores.shape[2])[y]) * (w / n)[..., None]


# ---------------------------------------------------------------- correct
@correct(E)
def logsumexp_version(scores, y, mask=None):
    m = scores.max(-1, keepdims=True)
    lse = m + np.log(np.exp(scores - m).sum(-1, keepdims=True))
    logp = scores - lse
    w = _w(scores, mask)
    n = w.sum()
    d = np.exp(logp)
    N, T, V = scores.shape
    for i in range(N):
        for t in range(T):
            d[i, t, y[i, t]] -= 1
    return float(-(w * _pick(logp, y)).sum() / n), d * (w / n)[..., None]


@correct(E)
def flattened_version(scores, y, mask=None):
    N, T, V = scores.shape
    s = scores.reshape(N * T, V)
    yy = y.reshape(N * T)
    w = np.ones(N * T, scores.dtype) if mask is None else mask.reshape(N * T).astype(scores.dtype)
    p = _softmax(s)
    loss = -np.sum(w * np.log(p[np.arange(N * T), yy])) / np.sum(w)
    d = p.copy()
    d[np.arange(N * T), yy] -= 1
    d *= (w / w.sum())[:, None]
    return float(loss), d.reshape(N, T, V)
