"""Every forward and backward pass of the vanilla RNN course, as pure functions.

Read this file top to bottom: it is the maths of the course in code.

Convention (the same in every notebook and diagram):

    x : (N, T, D)   N sequences in a batch, T time steps, D input features
    h : (N, T, H)   hidden states, one row vector per sequence and step
    Wx: (D, H)      input-to-hidden weights
    Wh: (H, H)      hidden-to-hidden (recurrent) weights
    b : (H,)        hidden bias

    one step:  a_t = x_t @ Wx + h_{t-1} @ Wh + b,    h_t = f(a_t)

Every layer is a pair: ``*_forward(inputs, params) -> (out, cache)`` and
``*_backward(dout, cache) -> grads``.  The cache holds only what the backward
pass needs.  Arrays keep their dtype: a float32 input gives float32 outputs
and gradients, a float64 input float64 ones; mixing the two is an error.

Two paths, one truth
--------------------
The sequence functions here loop over the step functions, one time step at a
time, exactly as the notebooks derive them: this is the REFERENCE path, the
one to read.  Models and training use a fast path by default
(``rnnlab.fast``): the same maths with preallocated time-major buffers and
fused matrix products, tested to agree with this file to round-off
(tests/core/test_fast_agrees.py).  ``SequenceModel(..., path="reference")``
trains with this file instead.

The output layer and the loss accept any memory layout.  They look the
arrays up time-major (``_time_major``), because the fast path returns its
hidden states as (N, T, H) views of (T, N, H) memory; for arrays from this
file that costs one copy.  The embedding gradient and the softmax loss each
keep one vectorised form (a sorted scatter-add, a fused softmax and
cross-entropy), explained where they happen.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .validation import (
    as_float_array,
    check_axis,
    check_cell_params,
    check_activation,
    check_int_indices,
    check_ndim,
    check_nonempty,
    check_same_dtype,
    check_shape,
)


def _time_major(a: np.ndarray) -> np.ndarray:
    """(N, T, K) -> the same numbers as a contiguous (T, N, K) array.

    Free (a view) when ``a`` came from one of this module's functions, which
    return transposed views of time-major memory; one copy otherwise.
    """
    return np.ascontiguousarray(a.transpose(1, 0, 2))


# --------------------------------------------------------------------------
# Activations.  Each derivative is written through the activation's OUTPUT
# h = f(a), so the backward pass needs to cache only h, never a.
# --------------------------------------------------------------------------


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-a)) overflows for a << 0.  With e = exp(-|a|) <= 1 nothing
    # overflows: for a >= 0, sigma = 1 / (1 + e); for a < 0, sigma = e / (1 + e).
    # Both forms keep full relative precision (and run 3x faster than logaddexp).
    e = np.exp(-np.abs(a))
    r = 1 / (1 + e)
    return np.where(a >= 0, r, e * r)


ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda a: np.maximum(a, 0),
}

# f'(a) expressed through h = f(a)
ACTIVATION_GRADS = {
    "tanh": lambda h: 1 - h * h,
    "sigmoid": lambda h: h * (1 - h),
    "relu": lambda h: (h > 0).astype(h.dtype),
}


def activate(a: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """Apply the named activation elementwise.  a: any shape, float32/float64 -> same shape and dtype."""
    check_activation("activate", activation, ACTIVATIONS)
    as_float_array("activate", "a", a)
    return ACTIVATIONS[activation](a)


def activation_grad_from_output(h: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """f'(a) computed from h = f(a).  h: any shape, float32/float64 -> same shape and dtype."""
    check_activation("activation_grad_from_output", activation, ACTIVATION_GRADS)
    as_float_array("activation_grad_from_output", "h", h)
    return ACTIVATION_GRADS[activation](h)


# --------------------------------------------------------------------------
# One RNN step
# --------------------------------------------------------------------------


def _check_rnn_params(where, D, Wx, Wh, b):
    return check_cell_params(where, D, Wx, Wh, b, gates=1)


def rnn_step_forward(x, h_prev, Wx, Wh, b, activation="tanh"):
    """One time step of a vanilla RNN.

    Args:
        x:      (N, D) input at this step
        h_prev: (N, H) hidden state from the previous step
        Wx:     (D, H) input-to-hidden weights
        Wh:     (H, H) hidden-to-hidden weights
        b:      (H,)   bias
        activation: "tanh", "sigmoid" or "relu"

    Returns:
        h_next: (N, H) = f(x @ Wx + h_prev @ Wh + b)
        cache:  what rnn_step_backward needs
    """
    where = "rnn_step_forward"
    check_activation(where, activation, ACTIVATIONS)
    as_float_array(where, "x", x)
    check_ndim(where, "x", x, 2, "(N, D)")
    check_nonempty(where, "x", x, "(N, D)")
    N, D = x.shape
    H = _check_rnn_params(where, D, Wx, Wh, b)
    as_float_array(where, "h_prev", h_prev)
    check_shape(where, "h_prev", h_prev, (N, H), "(N, H)")
    check_same_dtype(where, x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, b=b)

    a = x @ Wx + h_prev @ Wh + b
    h_next = ACTIVATIONS[activation](a)
    cache = (x, h_prev, Wx, Wh, h_next, activation)
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    """Backward pass of one RNN step.

    Args:
        dh_next: (N, H) gradient of the loss with respect to this step's output h_next
        cache:   from rnn_step_forward

    Returns:
        dx:      (N, D)
        dh_prev: (N, H)  what flows back to the previous step
        dWx:     (D, H)
        dWh:     (H, H)
        db:      (H,)
    """
    x, h_prev, Wx, Wh, h_next, activation = cache
    as_float_array("rnn_step_backward", "dh_next", dh_next)
    check_shape("rnn_step_backward", "dh_next", dh_next, h_next.shape, "(N, H)")
    check_same_dtype("rnn_step_backward", dh_next=dh_next, h_next=h_next)

    da = dh_next * ACTIVATION_GRADS[activation](h_next)  # (N, H): through f
    dx = da @ Wx.T
    dh_prev = da @ Wh.T  # a = ... + h_prev @ Wh, so the transpose carries it back
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db


# --------------------------------------------------------------------------
# A whole sequence
# --------------------------------------------------------------------------


def _check_sequence_inputs(where, x, h0, Wx, Wh, b):
    as_float_array(where, "x", x)
    check_ndim(where, "x", x, 3, "(N, T, D)")
    check_nonempty(where, "x", x, "(N, T, D)")
    N, T, D = x.shape
    H = _check_rnn_params(where, D, Wx, Wh, b)
    as_float_array(where, "h0", h0)
    check_shape(where, "h0", h0, (N, H), "(N, H)")
    check_same_dtype(where, x=x, h0=h0, Wx=Wx, Wh=Wh, b=b)
    return N, T, D, H


def rnn_forward(x, h0, Wx, Wh, b, activation="tanh"):
    """Run a vanilla RNN over a whole sequence: rnn_step_forward once per time step.

    Args:
        x:  (N, T, D) inputs
        h0: (N, H)    initial hidden state
        Wx: (D, H), Wh: (H, H), b: (H,)
        activation: "tanh", "sigmoid" or "relu"

    Returns:
        h:     (N, T, H) hidden state after every step
        cache: (x, h0, Wx, Wh, h, activation), what rnn_backward needs (O(N*T*H) memory)
    """
    where = "rnn_forward"
    check_activation(where, activation, ACTIVATIONS)
    N, T, D, H = _check_sequence_inputs(where, x, h0, Wx, Wh, b)

    h = np.empty((N, T, H), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b, activation)
        h[:, t] = h_prev
    # Every step cache can be rebuilt from x, h0 and h (see _rnn_step_cache), so
    # one (N, T, H) array is all the sequence cache adds to the inputs.
    cache = (x, h0, Wx, Wh, h, activation)
    return h, cache


def _rnn_step_cache(cache, t):
    """The cache rnn_step_forward returned at step t, rebuilt from rnn_forward's cache."""
    x, h0, Wx, Wh, h, activation = cache
    h_prev = h0 if t == 0 else h[:, t - 1]
    return (x[:, t], h_prev, Wx, Wh, h[:, t], activation)


def rnn_backward(dh, cache):
    """Backpropagation through time for rnn_forward: rnn_step_backward once per step, last step first.

    Args:
        dh:    (N, T, H) gradient of the loss with respect to every hidden state
               (from the layer above only; the recurrent part is added here)
        cache: from rnn_forward

    Returns:
        dx:  (N, T, D)
        dh0: (N, H)
        dWx: (D, H)
        dWh: (H, H)
        db:  (H,)
    """
    x, h0, Wx, Wh, h, activation = cache
    where = "rnn_backward"
    as_float_array(where, "dh", dh)
    check_shape(where, "dh", dh, h.shape, "(N, T, H)")
    check_same_dtype(where, dh=dh, h=h)
    N, T, H = h.shape

    dx = np.empty_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, dtype=h.dtype)
    dh_next = np.zeros((N, H), dtype=h.dtype)  # gradient on h_t arriving from step t+1
    for t in reversed(range(T)):
        # h_t reaches the loss twice: through the layer above (dh[:, t]) and through h_{t+1}
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, _rnn_step_cache(cache, t))
        # the weights are shared by every step, so their gradients add up over time
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db


# --------------------------------------------------------------------------
# Embedding (character lookup)
# --------------------------------------------------------------------------


def embedding_forward(idx, W):
    """Look up one row of W per index: the same as one_hot(idx) @ W, without the one-hot.

    Args:
        idx: (N, T) integer indices in [0, V)
        W:   (V, D) embedding table

    Returns:
        out:   (N, T, D) = W[idx]
        cache: (idx, W.shape, W.dtype)
    """
    where = "embedding_forward"
    as_float_array(where, "W", W)
    check_ndim(where, "W", W, 2, "(V, D)")
    check_int_indices(where, "idx", idx, W.shape[0])
    check_ndim(where, "idx", idx, 2, "(N, T)")
    check_nonempty(where, "idx", idx, "(N, T)")
    out = W[idx.T]  # (T, N, D): looked up time-major, see the module docstring
    return out.transpose(1, 0, 2), (idx, W.shape, W.dtype)


def embedding_backward(dout, cache):
    """Gradient of the lookup: rows of dout are added into the rows they were read from.

    Args:
        dout:  (N, T, D)
        cache: from embedding_forward

    Returns:
        dW: (V, D); a row used k times receives the sum of its k gradients
    """
    idx, (V, D), dtype = cache
    as_float_array("embedding_backward", "dout", dout)
    check_shape("embedding_backward", "dout", dout, idx.shape + (D,), "(N, T, D)")
    if dout.dtype != dtype:  # dW takes W's dtype: a float64 dout would be cast down silently
        raise TypeError(f"embedding_backward: dout has dtype {dout.dtype} but the embedding table W has {dtype}; "
                        "mixing float32 and float64 is an error")
    rows = _time_major(dout).reshape(-1, D)  # one gradient row per looked-up index
    ids = idx.T.ravel()  # the same (time-major) order as rows
    # A repeated index must add up, not overwrite, so dW[ids] += rows is wrong.
    # The plain correct way, np.add.at(dW, ids, rows), handles one row at a
    # time: about 3x slower than this (0.55 ms against 0.18 ms for 2048 rows of
    # 32).  speed: sort the rows by index (stable, so each sum adds in the
    # original order) and add each group of equal indices with one vectorised
    # np.add.reduceat.
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # first row of each group
    dW = np.zeros((V, D), dtype=dtype)
    dW[sorted_ids[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return dW


# --------------------------------------------------------------------------
# Output layer and loss
# --------------------------------------------------------------------------


def temporal_affine_forward(h, W, b):
    """The same affine map applied at every time step.

    Args:
        h: (N, T, H)
        W: (H, V)
        b: (V,)

    Returns:
        scores: (N, T, V) = h @ W + b
        cache:  (h, W)
    """
    where = "temporal_affine_forward"
    as_float_array(where, "h", h)
    as_float_array(where, "W", W)
    as_float_array(where, "b", b)
    check_ndim(where, "h", h, 3, "(N, T, H)")
    check_nonempty(where, "h", h, "(N, T, H)")
    check_ndim(where, "W", W, 2, "(H, V)")
    N, T, H = h.shape
    V = W.shape[1]
    check_shape(where, "W", W, (H, V), "(H, V)")
    check_shape(where, "b", b, (V,), "(V,)")
    check_same_dtype(where, h=h, W=W, b=b)
    # time-major like the RNN, so h from rnn_forward needs no copy
    scores = (_time_major(h).reshape(T * N, H) @ W).reshape(T, N, V)
    scores += b
    return scores.transpose(1, 0, 2), (h, W)


def temporal_affine_backward(dscores, cache):
    """Backward pass of temporal_affine_forward.

    Args:
        dscores: (N, T, V)
        cache:   from temporal_affine_forward

    Returns:
        dh: (N, T, H), dW: (H, V), db: (V,)
    """
    h, W = cache
    N, T, H = h.shape
    V = W.shape[1]
    as_float_array("temporal_affine_backward", "dscores", dscores)
    check_shape("temporal_affine_backward", "dscores", dscores, (N, T, V), "(N, T, V)")
    check_same_dtype("temporal_affine_backward", dscores=dscores, h=h)
    ds = _time_major(dscores).reshape(T * N, V)
    dh = (ds @ W.T).reshape(T, N, H).transpose(1, 0, 2)
    dW = _time_major(h).reshape(T * N, H).T @ ds  # the sum over all steps in one matmul
    db = ds.sum(axis=0)
    return dh, dW, db


def softmax(z, axis=-1):
    """Numerically stable softmax along ``axis``.  z: any shape, float -> same shape and dtype, rows sum to 1."""
    as_float_array("softmax", "z", z)
    axis = check_axis("softmax", z, axis)
    e = z - z.max(axis=axis, keepdims=True)  # exp never overflows
    np.exp(e, out=e)  # speed: in place, one array instead of three
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z, axis=-1):
    """log(softmax(z)) without ever computing a log of 0.  z: any shape, float -> same shape and dtype."""
    as_float_array("log_softmax", "z", z)
    axis = check_axis("log_softmax", z, axis)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _check_mask(where, mask, shape):
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{where}: mask must be a numpy array of bool or 0/1, got {type(mask).__name__}")
    check_shape(where, "mask", mask, shape, "(N, T)")
    if mask.dtype != bool:
        if not (np.issubdtype(mask.dtype, np.number)) or not np.isin(mask, (0, 1)).all():
            raise ValueError(f"{where}: mask must hold only 0/1 or True/False, got values {np.unique(mask)[:5]}")
    m = mask.astype(bool)
    if not m.any():
        raise ValueError(f"{where}: mask selects no position; the mean loss over zero positions is undefined")
    return m


def temporal_softmax_loss(scores, y, mask=None):
    """Mean cross-entropy (nats) of a softmax over V classes at every unmasked step.

    Args:
        scores: (N, T, V) unnormalised log-probabilities
        y:      (N, T) integer targets in [0, V)
        mask:   (N, T) bool or 0/1, optional; positions where mask is 0 do not count

    Returns:
        loss:    float, mean over the unmasked positions (bits per char = loss / ln 2)
        dscores: (N, T, V) gradient of loss with respect to scores, same dtype as scores
    """
    where = "temporal_softmax_loss"
    as_float_array(where, "scores", scores)
    check_ndim(where, "scores", scores, 3, "(N, T, V)")
    check_nonempty(where, "scores", scores, "(N, T, V)")
    N, T, V = scores.shape
    check_int_indices(where, "y", y, V)
    check_shape(where, "y", y, (N, T), "(N, T)")
    m = None if mask is None else _check_mask(where, mask, (N, T))

    # Fused softmax + cross-entropy (speed): one (N*T, V) array is allocated,
    # it holds exp(s - max), then the probabilities, then the gradient.
    # With s the scores of one position, p = softmax(s) and y its target:
    #   loss = -log p_y = log(sum_j exp(s_j - max)) - (s_y - max)
    #   dloss/ds = p - one_hot(y)
    flat = _time_major(scores).reshape(T * N, V)  # time-major, like the layers below
    y_flat = y.T.ravel()  # the same order as the rows of flat
    rows = np.arange(T * N)
    # A masked-out position may hold inf or nan scores (padding): its inf - inf
    # must not warn, and np.where below keeps its nan out of the loss.
    with (np.errstate(invalid="ignore") if m is not None else contextlib.nullcontext()):
        shift = flat.max(axis=1)
        dflat = flat - shift[:, None]
        s_y = dflat[rows, y_flat]  # s_y - max, read before exp overwrites it
        np.exp(dflat, out=dflat)
        sum_exp = dflat.sum(axis=1)
        loss_each = np.log(sum_exp) - s_y  # -log p_y at every position, (T*N,)
    if m is None:
        count = T * N
        loss = float(loss_each.sum() / count)
        # p / count, minus 1/count at the target: the mean weighs each position 1/count
        dflat *= (1 / (count * sum_exp)).astype(scores.dtype)[:, None]
        dflat[rows, y_flat] -= scores.dtype.type(1 / count)
    else:
        keep = m.T.ravel()  # True where the position counts
        count = int(keep.sum())
        # np.where, not weight * loss: 0 * nan is nan, and a masked-out position
        # (padding) may hold anything, even nan or inf scores
        loss = float(np.where(keep, loss_each, 0).sum() / count)
        with np.errstate(invalid="ignore"):
            dflat /= sum_exp[:, None]  # softmax probabilities
        dflat[rows, y_flat] -= 1
        dflat *= scores.dtype.type(1 / count)
        dflat[~keep] = 0
    return loss, dflat.reshape(T, N, V).transpose(1, 0, 2)


def mse_loss(y_hat, y):
    """Half the mean over the batch of the squared error: 0.5 * mean_n ||y_hat_n - y_n||^2.

    Args:
        y_hat: (N, O) predictions
        y:     (N, O) targets

    Returns:
        loss: float; dy_hat: (N, O)
    """
    where = "mse_loss"
    as_float_array(where, "y_hat", y_hat)
    as_float_array(where, "y", y)
    check_ndim(where, "y_hat", y_hat, 2, "(N, O)")
    check_shape(where, "y", y, y_hat.shape, "(N, O)")
    check_same_dtype(where, y_hat=y_hat, y=y)
    N = y_hat.shape[0]
    diff = y_hat - y
    return float(0.5 * (diff * diff).sum() / N), diff / N
