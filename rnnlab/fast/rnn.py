"""Fast vanilla RNN: the maths of ``rnnlab.layers.rnn_forward`` / ``rnn_backward``.

Same signatures, cache and results; see ``rnnlab.fast`` for the tricks.
"""

from __future__ import annotations

import numpy as np

from ..layers import ACTIVATIONS, _check_sequence_inputs, _time_major
from ..validation import as_float_array, check_activation, check_same_dtype, check_shape


# The weights are scaled so that the products give a' = SCALE * a (exact: powers of 2);
# then f(a) comes from exp, which NumPy computes faster than tanh:
#   tanh(a) = 2 / (1 + exp(-2a)) - 1,   sigma(a) = 1 / (1 + exp(-a))
SCALE = {"tanh": -2, "sigmoid": -1, "relu": 1}


def _activate_inplace(a, activation):
    """Overwrite a' = SCALE[activation] * a with f(a): the time loop needs no new array per step."""
    if activation == "relu":
        np.maximum(a, 0, out=a)
        return a
    np.exp(a, out=a)
    a += 1
    if activation == "tanh":
        np.divide(2, a, out=a)
        a -= 1
    else:
        np.reciprocal(a, out=a)
    return a


def rnn_forward(x, h0, Wx, Wh, b, activation="tanh"):
    """x: (N, T, D), h0: (N, H), Wx: (D, H), Wh: (H, H), b: (H,) -> h (N, T, H), cache."""
    where = "rnn_forward"
    check_activation(where, activation, ACTIVATIONS)
    N, T, D, H = _check_sequence_inputs(where, x, h0, Wx, Wh, b)

    k = x.dtype.type(SCALE[activation])
    x_tm = _time_major(x)  # (T, N, D); free when x came from embedding_forward
    h_tm = np.empty((T, N, H), dtype=x.dtype)  # holds a'_t, then h_t
    np.matmul(x_tm.reshape(T * N, D), Wx * k, out=h_tm.reshape(T * N, H))  # every step's x_t @ Wx at once
    h_tm += b * k
    Wh_k = Wh * k
    recurrent = np.empty((N, H), dtype=x.dtype)
    h_prev = h0
    with np.errstate(over="ignore"):  # exp(...) = inf gives tanh = -1, sigma = 0, as it should
        for t in range(T):
            a_t = h_tm[t]
            a_t += np.matmul(h_prev, Wh_k, out=recurrent)
            h_prev = _activate_inplace(a_t, activation)  # a'_t becomes h_t where it stands
    h = h_tm.transpose(1, 0, 2)  # (N, T, H) view of the time-major memory
    return h, (x, h0, Wx, Wh, h, activation)


def rnn_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,)."""
    x, h0, Wx, Wh, h, activation = cache
    where = "rnn_backward"
    as_float_array(where, "dh", dh)
    check_shape(where, "dh", dh, h.shape, "(N, T, H)")
    check_same_dtype(where, dh=dh, h=h)
    N, T, D = x.shape
    H = h.shape[2]
    dh_tm = _time_major(dh)
    h_tm = _time_major(h)  # free: h is rnn_forward's view

    # f'(a_t) of every step in one vectorised pass; the same buffer then becomes da
    if activation == "tanh":
        da = h_tm * h_tm
        np.subtract(1, da, out=da)
    elif activation == "sigmoid":
        da = 1 - h_tm
        da *= h_tm
    else:
        da = (h_tm > 0).astype(h.dtype)
    # BLAS multiplies by a contiguous copy of Wh.T faster than by the transposed view
    Wh_T = np.ascontiguousarray(Wh.T)
    dh_next = np.zeros((N, H), dtype=h.dtype)
    for t in reversed(range(T)):
        dh_next += dh_tm[t]
        da[t] *= dh_next
        np.matmul(da[t], Wh_T, out=dh_next)

    # the weight gradients are sums over time: one matmul over the (T*N) axis each
    da_flat = da.reshape(T * N, H)
    dWx = _time_major(x).reshape(T * N, D).T @ da_flat
    dWh = h0.T @ da[0]  # h_{t-1} is h0 at t = 0 and h_tm[t-1] after
    if T > 1:
        dWh += h_tm[:-1].reshape((T - 1) * N, H).T @ da[1:].reshape((T - 1) * N, H)
    db = da_flat.sum(axis=0)
    dx = (da_flat @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_next, dWx, dWh, db
