"""The LSTM cell: forward and backward passes as pure functions.

Same convention as the vanilla cell in ``rnnlab.layers`` (batch-first row
vectors), with four gate blocks side by side in one weight matrix:

    x  : (N, T, D)    inputs
    h  : (N, T, H)    hidden states (what the layer above sees)
    c  : (N, T, H)    cell states (the LSTM's private memory)
    Wx : (D, 4H)      input-to-gates weights, blocks [i | f | g | o]
    Wh : (H, 4H)      hidden-to-gates weights, same blocks
    b  : (4H,)        gate biases, same blocks

One step (``*`` is the elementwise product, sigma the logistic sigmoid):

    a_t = x_t @ Wx + h_{t-1} @ Wh + b                  (N, 4H), split into four (N, H) blocks
    i_t = sigma(a_t[:, 0H:1H])    input gate:  how much of the candidate to write
    f_t = sigma(a_t[:, 1H:2H])    forget gate: how much of the old memory to keep
    g_t = tanh (a_t[:, 2H:3H])    candidate:   what could be written
    o_t = sigma(a_t[:, 3H:4H])    output gate: how much of the memory to show
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

Why the cell state keeps gradients alive
----------------------------------------
In the vanilla cell the only way back from h_t to h_{t-1} is through
``h_{t-1} @ Wh`` and the derivative of the activation, so the gradient reaching
step t-k is multiplied by k Jacobians ``diag(f'(a)) @ Wh.T``; their product
shrinks (or grows) geometrically in k.  In the LSTM the memory is updated by
ADDING: c_t = f_t * c_{t-1} + (new stuff).  Along this path

    dL/dc_{t-1} = dL/dc_t * f_t        (elementwise; no matrix, no tanh')

so k steps back the gradient is dL/dc_t times the product of k forget gates.
When the network keeps f near 1 the gradient arrives almost unchanged however
long the gap (the "constant error carousel" of Hochreiter & Schmidhuber, 1997);
when f is near 0 the cell has chosen to forget, and the gradient stops with
the memory.  Forgetting becomes something learned, not an accident of Wh.
(The path through h_{t-1} @ Wh still exists and can still vanish or explode;
the additive path is the one that need not.)  This is also why models start the forget
gate's bias at 1 (``rnnlab.cells``): sigma(1) = 0.73 instead of sigma(0) = 0.5,
so at initialisation the memory and its gradient decay as 0.73^k, not 0.5^k.

Gate order and PyTorch
----------------------
The blocks are in PyTorch's order [i, f, g, o], so ``torch.nn.LSTM`` maps onto
ours with transposes (torch stores column vectors, W @ x; we store row
vectors, x @ W) and one sum, because torch keeps two bias vectors that are
always added together:

    Wx = weight_ih_l0.T             (4H, D) -> (D, 4H)
    Wh = weight_hh_l0.T             (4H, H) -> (H, 4H)
    b  = bias_ih_l0 + bias_hh_l0    (4H,)

``lstm_params_from_torch`` does exactly this; tests/core/test_cells.py checks
outputs and every gradient against torch autograd.

This file is the reference path: lstm_forward and lstm_backward_state loop
over the step functions.  Models train with the same maths from
``rnnlab.fast.lstm`` unless asked for ``path="reference"``.

Every function keeps dtypes: float32 in gives float32 out, float64 gives
float64, and mixing the two raises TypeError.  Bad shapes raise ValueError
naming the argument.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .layers import ACTIVATION_GRADS, ACTIVATIONS
from .validation import as_float_array, check_cell_params, check_ndim, check_nonempty, check_same_dtype, check_shape

_sigmoid = ACTIVATIONS["sigmoid"]
_dsigmoid = ACTIVATION_GRADS["sigmoid"]  # sigma'(a) written through sigma(a)
_dtanh = ACTIVATION_GRADS["tanh"]  # tanh'(a) written through tanh(a)

GATES = 4  # blocks in Wx, Wh, b: [i, f, g, o]


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _check_lstm_params(where, D, Wx, Wh, b):
    return check_cell_params(where, D, Wx, Wh, b, gates=GATES)


def _check_forward_inputs(where, x, h0, Wx, Wh, b, c0):
    """Checks of lstm_forward (both paths); returns N, T, D, H and c0 (zeros if None)."""
    as_float_array(where, "x", x)
    check_ndim(where, "x", x, 3, "(N, T, D)")
    check_nonempty(where, "x", x, "(N, T, D)")
    N, T, D = x.shape
    H = _check_lstm_params(where, D, Wx, Wh, b)
    _check_state(where, "h0", h0, N, H)
    if c0 is None:
        c0 = np.zeros((N, H), dtype=x.dtype)
    _check_state(where, "c0", c0, N, H)
    check_same_dtype(where, x=x, h0=h0, c0=c0, Wx=Wx, Wh=Wh, b=b)
    return N, T, D, H, c0


def _check_backward_inputs(where, dh, cache, dc_last):
    """Checks of lstm_backward_state (both paths); returns dc_last (zeros if None)."""
    h = cache.h
    as_float_array(where, "dh", dh)
    check_shape(where, "dh", dh, h.shape, "(N, T, H)")
    check_same_dtype(where, dh=dh, h=h)
    N, _, H = h.shape
    if dc_last is None:
        dc_last = np.zeros((N, H), dtype=h.dtype)
    as_float_array(where, "dc_last", dc_last)
    check_shape(where, "dc_last", dc_last, (N, H), "(N, H)")
    check_same_dtype(where, dc_last=dc_last, h=h)
    return dc_last


def _check_state(where, name, s, N, H):
    as_float_array(where, name, s)
    check_shape(where, name, s, (N, H), "(N, H)")


# --------------------------------------------------------------------------
# One step
# --------------------------------------------------------------------------


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One time step of an LSTM.

    Args:
        x:      (N, D)  input at this step
        h_prev: (N, H)  hidden state from the previous step
        c_prev: (N, H)  cell state from the previous step
        Wx:     (D, 4H) input-to-gates weights, blocks [i, f, g, o]
        Wh:     (H, 4H) hidden-to-gates weights
        b:      (4H,)   gate biases

    Returns:
        h_next: (N, H)  o * tanh(c_next)
        c_next: (N, H)  f * c_prev + i * g
        cache:  what lstm_step_backward needs
    """
    where = "lstm_step_forward"
    as_float_array(where, "x", x)
    check_ndim(where, "x", x, 2, "(N, D)")
    check_nonempty(where, "x", x, "(N, D)")
    N, D = x.shape
    H = _check_lstm_params(where, D, Wx, Wh, b)
    _check_state(where, "h_prev", h_prev, N, H)
    _check_state(where, "c_prev", c_prev, N, H)
    check_same_dtype(where, x=x, h_prev=h_prev, c_prev=c_prev, Wx=Wx, Wh=Wh, b=b)

    a = x @ Wx + h_prev @ Wh + b  # (N, 4H): the four gates' pre-activations side by side
    i = _sigmoid(a[:, 0 * H:1 * H])  # input gate
    f = _sigmoid(a[:, 1 * H:2 * H])  # forget gate
    g = np.tanh(a[:, 2 * H:3 * H])  # candidate
    o = _sigmoid(a[:, 3 * H:4 * H])  # output gate
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    gates = np.concatenate([i, f, g, o], axis=1)  # (N, 4H), blocks [i, f, g, o]
    cache = (x, h_prev, c_prev, Wx, Wh, gates, tanh_c)
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward pass of one LSTM step.

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next
        dc_next: (N, H) gradient of the loss with respect to c_next
                 (zeros if nothing after this step reads c_next)
        cache:   from lstm_step_forward

    Returns:
        dx:      (N, D)
        dh_prev: (N, H)
        dc_prev: (N, H)  = dc * f: the additive path back to the previous memory
        dWx:     (D, 4H)
        dWh:     (H, 4H)
        db:      (4H,)
    """
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    where = "lstm_step_backward"
    for name, d in (("dh_next", dh_next), ("dc_next", dc_next)):
        as_float_array(where, name, d)
        check_shape(where, name, d, tanh_c.shape, "(N, H)")
    check_same_dtype(where, dh_next=dh_next, dc_next=dc_next, h_prev=h_prev)

    i, f, g, o = np.split(gates, GATES, axis=1)
    # c_t reaches the loss twice: through h_t = o * tanh(c_t) and through c_{t+1}
    dc = dc_next + dh_next * o * _dtanh(tanh_c)
    di = dc * g  # c_t = f * c_{t-1} + i * g
    df = dc * c_prev
    dg = dc * i
    do = dh_next * tanh_c  # h_t = o * tanh(c_t)
    # back through the nonlinearities to the pre-activations a = [a_i | a_f | a_g | a_o]
    da = np.concatenate([di * _dsigmoid(i), df * _dsigmoid(f), dg * _dtanh(g), do * _dsigmoid(o)], axis=1)
    dc_prev = dc * f  # the additive path: c_{t-1} reaches c_t only through f * c_{t-1}
    dx = da @ Wx.T  # a = x @ Wx + h_prev @ Wh + b
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dc_prev, dWx, dWh, db


# --------------------------------------------------------------------------
# A whole sequence
# --------------------------------------------------------------------------


class LSTMCache(NamedTuple):
    """What lstm_forward keeps for the backward pass: O(N*T*H) memory.

    The last cell state, for carrying to the next window, is ``cache.c[:, -1]``.
    """

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    c0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    gates: np.ndarray  # (N, T, 4H) values of [i, f, g, o] at every step
    c: np.ndarray  # (N, T, H) cell states
    tanh_c: np.ndarray  # (N, T, H)
    h: np.ndarray  # (N, T, H) hidden states


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """Run an LSTM over a whole sequence.

    Args:
        x:  (N, T, D) inputs
        h0: (N, H)    initial hidden state
        Wx: (D, 4H), Wh: (H, 4H), b: (4H,)  blocks [i, f, g, o]
        c0: (N, H)    initial cell state; None means zeros

    Returns:
        h:     (N, T, H) hidden state after every step
        cache: an LSTMCache; cache.c[:, -1] (N, H) is the final cell state
    """
    N, T, D, H, c0 = _check_forward_inputs("lstm_forward", x, h0, Wx, Wh, b, c0)

    gates = np.empty((N, T, GATES * H), dtype=x.dtype)
    c = np.empty((N, T, H), dtype=x.dtype)
    tanh_c = np.empty((N, T, H), dtype=x.dtype)
    h = np.empty((N, T, H), dtype=x.dtype)
    h_prev, c_prev = h0, c0
    for t in range(T):
        h_prev, c_prev, step_cache = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
        h[:, t], c[:, t] = h_prev, c_prev
        gates[:, t], tanh_c[:, t] = step_cache[5], step_cache[6]  # what the backward step needs
    return h, LSTMCache(x, h0, c0, Wx, Wh, gates, c, tanh_c, h)


def _lstm_step_cache(cache, t):
    """The cache lstm_step_forward returned at step t, rebuilt from an LSTMCache."""
    h_prev = cache.h0 if t == 0 else cache.h[:, t - 1]
    c_prev = cache.c0 if t == 0 else cache.c[:, t - 1]
    return (cache.x[:, t], h_prev, c_prev, cache.Wx, cache.Wh, cache.gates[:, t], cache.tanh_c[:, t])


def lstm_backward_state(dh, cache, dc_last=None):
    """Backpropagation through time for lstm_forward, including the cell state.

    Args:
        dh:      (N, T, H) gradient of the loss with respect to every hidden state
                 (from the layer above only; the recurrent part is added here)
        cache:   from lstm_forward
        dc_last: (N, H) gradient on the final cell state c_T from whatever read it
                 later; None means zeros (truncated BPTT: the next window does not
                 send gradients back)

    Returns:
        dx:  (N, T, D)
        dh0: (N, H)
        dc0: (N, H)
        dWx: (D, 4H)
        dWh: (H, 4H)
        db:  (4H,)
    """
    dc_last = _check_backward_inputs("lstm_backward", dh, cache, dc_last)
    x, Wx, Wh, h = cache.x, cache.Wx, cache.Wh, cache.h
    N, T, H = h.shape

    dx = np.empty_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(GATES * H, dtype=h.dtype)
    dh_next = np.zeros((N, H), dtype=h.dtype)  # gradient on h_t arriving from step t+1
    dc_next = dc_last  # gradient on c_t arriving from step t+1
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dh_next, dc_next, _lstm_step_cache(cache, t))
        # the weights are shared by every step, so their gradients add up over time
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dc_next, dWx, dWh, db


def lstm_backward(dh, cache):
    """Backpropagation through time for lstm_forward.

    Args:
        dh:    (N, T, H) gradient of the loss with respect to every hidden state
        cache: from lstm_forward

    Returns:
        dx: (N, T, D), dh0: (N, H), dWx: (D, 4H), dWh: (H, 4H), db: (4H,)
        (lstm_backward_state also returns dc0 and accepts a gradient on c_T)
    """
    dx, dh0, _, dWx, dWh, db = lstm_backward_state(dh, cache)
    return dx, dh0, dWx, dWh, db


def lstm_params_from_torch(weight_ih, weight_hh, bias_ih, bias_hh):
    """Our (Wx, Wh, b) from the arrays of a one-layer torch.nn.LSTM (no torch needed here).

    Args:
        weight_ih: (4H, D) weight_ih_l0 as a numpy array, rows in blocks [i, f, g, o]
        weight_hh: (4H, H) weight_hh_l0
        bias_ih:   (4H,)   bias_ih_l0
        bias_hh:   (4H,)   bias_hh_l0

    Returns:
        Wx (D, 4H) = weight_ih.T, Wh (H, 4H) = weight_hh.T, b (4H,) = bias_ih + bias_hh
    """
    where = "lstm_params_from_torch"
    for name, a in (("weight_ih", weight_ih), ("weight_hh", weight_hh), ("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        as_float_array(where, name, a)
    check_ndim(where, "weight_hh", weight_hh, 2, "(4H, H)")
    H = weight_hh.shape[1]
    check_shape(where, "weight_hh", weight_hh, (GATES * H, H), "(4H, H)")
    check_ndim(where, "weight_ih", weight_ih, 2, "(4H, D)")
    check_shape(where, "weight_ih", weight_ih, (GATES * H, weight_ih.shape[1]), "(4H, D)")
    check_shape(where, "bias_ih", bias_ih, (GATES * H,), "(4H,)")
    check_shape(where, "bias_hh", bias_hh, (GATES * H,), "(4H,)")
    check_same_dtype(where, weight_ih=weight_ih, weight_hh=weight_hh, bias_ih=bias_ih, bias_hh=bias_hh)
    return weight_ih.T.copy(), weight_hh.T.copy(), bias_ih + bias_hh
