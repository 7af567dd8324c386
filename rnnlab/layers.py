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
"""

from __future__ import annotations

import numpy as np

from .validation import (
    as_float_array,
    check_activation,
    check_int_indices,
    check_ndim,
    check_nonempty,
    check_same_dtype,
    check_shape,
)

# --------------------------------------------------------------------------
# Activations.  Each derivative is written through the activation's OUTPUT
# h = f(a), so the backward pass needs to cache only h, never a.
# --------------------------------------------------------------------------


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # exp(-log(1 + e^-a)) never overflows, unlike 1 / (1 + exp(-a)) for a << 0
    return np.exp(-np.logaddexp(0, -a))


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
    """Apply the named activation elementwise.  a: any shape -> same shape."""
    check_activation("activate", activation, ACTIVATIONS)
    return ACTIVATIONS[activation](a)


def activation_grad_from_output(h: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """f'(a) computed from h = f(a).  h: any shape -> same shape."""
    check_activation("activation_grad_from_output", activation, ACTIVATION_GRADS)
    return ACTIVATION_GRADS[activation](h)


# --------------------------------------------------------------------------
# One RNN step
# --------------------------------------------------------------------------


def _check_rnn_params(where, D, Wx, Wh, b):
    as_float_array(where, "Wx", Wx)
    as_float_array(where, "Wh", Wh)
    as_float_array(where, "b", b)
    check_ndim(where, "Wx", Wx, 2, "(D, H)")
    H = Wx.shape[1]
    check_shape(where, "Wx", Wx, (D, H), "(D, H)")
    check_shape(where, "Wh", Wh, (H, H), "(H, H)")
    check_shape(where, "b", b, (H,), "(H,)")
    return H


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
    """Run a vanilla RNN over a whole sequence.

    Args:
        x:  (N, T, D) inputs
        h0: (N, H)    initial hidden state
        Wx: (D, H), Wh: (H, H), b: (H,)
        activation: "tanh", "sigmoid" or "relu"

    Returns:
        h:     (N, T, H) hidden state after every step
        cache: what rnn_backward needs (O(N*T*H) memory)
    """
    where = "rnn_forward"
    check_activation(where, activation, ACTIVATIONS)
    N, T, D, H = _check_sequence_inputs(where, x, h0, Wx, Wh, b)
    f = ACTIVATIONS[activation]

    # The input term does not depend on h, so do it for all steps in one matmul.
    a_in = (x.reshape(N * T, D) @ Wx).reshape(N, T, H)
    a_in += b
    h = np.empty((N, T, H), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        h[:, t] = f(a_in[:, t] + h_prev @ Wh)
        h_prev = h[:, t]
    cache = (x, h0, Wx, Wh, h, activation)
    return h, cache


def rnn_backward(dh, cache):
    """Backpropagation through time for rnn_forward.

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
    N, T, D = x.shape
    H = h.shape[2]
    fprime = ACTIVATION_GRADS[activation]

    da = np.empty_like(h)  # dL/da_t for every step
    dh_next = np.zeros((N, H), dtype=h.dtype)  # gradient arriving from step t+1
    for t in reversed(range(T)):
        # total gradient on h_t = from the layer above + from the future
        da[:, t] = (dh[:, t] + dh_next) * fprime(h[:, t])
        dh_next = da[:, t] @ Wh.T

    # Each weight is shared by all steps, so its gradient is a sum over time:
    # one big matmul over the flattened (N*T) axis does the whole sum at once.
    da_flat = da.reshape(N * T, H)
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1, :]], axis=1)
    dWx = x.reshape(N * T, D).T @ da_flat
    dWh = h_prev.reshape(N * T, H).T @ da_flat
    db = da_flat.sum(axis=0)
    dx = (da_flat @ Wx.T).reshape(N, T, D)
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
    return W[idx], (idx, W.shape, W.dtype)


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
    dW = np.zeros((V, D), dtype=dtype)
    # add.at, not dW[idx] += ...: a repeated index must add up, not overwrite
    np.add.at(dW, idx.ravel(), dout.reshape(-1, D))
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
    scores = (h.reshape(N * T, H) @ W).reshape(N, T, V)
    scores += b
    return scores, (h, W)


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
    ds = dscores.reshape(N * T, V)
    dh = (ds @ W.T).reshape(N, T, H)
    dW = h.reshape(N * T, H).T @ ds
    db = ds.sum(axis=0)
    return dh, dW, db


def softmax(z, axis=-1):
    """Numerically stable softmax along ``axis``.  z: any shape -> same shape, rows sum to 1."""
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)  # exp never overflows
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """log(softmax(z)) without ever computing a log of 0.  z: any shape -> same shape."""
    z = np.asarray(z)
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

    flat = scores.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    logp = log_softmax(flat, axis=1)
    logp_y = logp[np.arange(N * T), y_flat]
    weight = np.ones(N * T, dtype=scores.dtype) if m is None else m.reshape(-1).astype(scores.dtype)
    count = weight.sum()
    loss = -float((weight * logp_y).sum() / count)

    dflat = np.exp(logp)  # softmax probabilities
    dflat[np.arange(N * T), y_flat] -= 1
    dflat *= (weight / count)[:, None]  # the mean: each position weighs 1/count
    return loss, dflat.reshape(N, T, V)


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
