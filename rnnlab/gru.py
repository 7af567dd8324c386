"""The GRU cell: forward and backward passes as pure functions.

Same convention as the vanilla cell in ``rnnlab.layers`` (batch-first row
vectors), with three gate blocks side by side in one weight matrix:

    x    : (N, T, D)   inputs
    h    : (N, T, H)   hidden states (the GRU has no separate cell state)
    Wx   : (D, 3H)     input-to-gates weights, blocks [r | z | n]
    Wh   : (H, 3H)     hidden-to-gates weights, same blocks
    b    : (3H,)       biases of the three blocks
    b_hn : (H,)        a second bias for the candidate, inside the reset gate

One step (``*`` is the elementwise product, sigma the logistic sigmoid;
[:, r] means the block of H columns belonging to r):

    r_t = sigma(x_t @ Wx[:, r] + h_{t-1} @ Wh[:, r] + b[r])     reset gate
    z_t = sigma(x_t @ Wx[:, z] + h_{t-1} @ Wh[:, z] + b[z])     update gate
    n_t = tanh (x_t @ Wx[:, n] + b[n] + r_t * (h_{t-1} @ Wh[:, n] + b_hn))   candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

z_t near 1 keeps the old state (h_t = h_{t-1}, and the gradient flows back
unchanged, like the LSTM's forget gate near 1); z_t near 0 replaces it with
the candidate.  The reset gate r_t decides how much of the old state the
candidate may look at.

Why b_hn exists
---------------
The reset gate multiplies the whole recurrent term of the candidate,
including its bias: r * (h @ W_hn + b_hn).  A bias there is not the same as a
bias outside (b[n]), because it is scaled by r, so the two cannot be folded
into one vector.  PyTorch's GRU has this form, so to match it exactly (and
tests/core/test_cells.py checks that we do) the GRU carries b_hn as a fifth parameter.

Gate order and PyTorch
----------------------
The blocks are in PyTorch's order [r, z, n], so ``torch.nn.GRU`` maps onto ours
with transposes (torch stores column vectors, W @ x; we store row vectors,
x @ W):

    Wx        = weight_ih_l0.T                          (3H, D) -> (D, 3H)
    Wh        = weight_hh_l0.T                          (3H, H) -> (H, 3H)
    b[:2H]    = bias_ih_l0[:2H] + bias_hh_l0[:2H]       r and z: the two biases just add
    b[2H:]    = bias_ih_l0[2H:]                         the candidate's input-side bias
    b_hn      = bias_hh_l0[2H:]                         the candidate's recurrent bias, inside r *

``gru_params_from_torch`` does exactly this.

This file is the reference path: gru_forward and gru_backward loop over the
step functions.  Models train with the same maths from ``rnnlab.fast.gru``
unless asked for ``path="reference"``.

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

GATES = 3  # blocks in Wx, Wh, b: [r, z, n]


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _check_gru_params(where, D, Wx, Wh, b, b_hn):
    H = check_cell_params(where, D, Wx, Wh, b, gates=GATES)
    as_float_array(where, "b_hn", b_hn)
    check_shape(where, "b_hn", b_hn, (H,), "(H,)")
    return H


def _check_forward_inputs(where, x, h0, Wx, Wh, b, b_hn):
    """Checks of gru_forward (both paths); returns N, T, D, H."""
    as_float_array(where, "x", x)
    check_ndim(where, "x", x, 3, "(N, T, D)")
    check_nonempty(where, "x", x, "(N, T, D)")
    N, T, D = x.shape
    H = _check_gru_params(where, D, Wx, Wh, b, b_hn)
    as_float_array(where, "h0", h0)
    check_shape(where, "h0", h0, (N, H), "(N, H)")
    check_same_dtype(where, x=x, h0=h0, Wx=Wx, Wh=Wh, b=b, b_hn=b_hn)
    return N, T, D, H


def _check_backward_inputs(where, dh, cache):
    as_float_array(where, "dh", dh)
    check_shape(where, "dh", dh, cache.h.shape, "(N, T, H)")
    check_same_dtype(where, dh=dh, h=cache.h)


# --------------------------------------------------------------------------
# One step
# --------------------------------------------------------------------------


def gru_step_forward(x, h_prev, Wx, Wh, b, b_hn):
    """One time step of a GRU.

    Args:
        x:      (N, D)  input at this step
        h_prev: (N, H)  hidden state from the previous step
        Wx:     (D, 3H) input-to-gates weights, blocks [r, z, n]
        Wh:     (H, 3H) hidden-to-gates weights
        b:      (3H,)   biases
        b_hn:   (H,)    recurrent bias of the candidate (inside the reset gate)

    Returns:
        h_next: (N, H)  (1 - z) * n + z * h_prev
        cache:  what gru_step_backward needs
    """
    where = "gru_step_forward"
    as_float_array(where, "x", x)
    check_ndim(where, "x", x, 2, "(N, D)")
    check_nonempty(where, "x", x, "(N, D)")
    N, D = x.shape
    H = _check_gru_params(where, D, Wx, Wh, b, b_hn)
    as_float_array(where, "h_prev", h_prev)
    check_shape(where, "h_prev", h_prev, (N, H), "(N, H)")
    check_same_dtype(where, x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, b=b, b_hn=b_hn)

    a_x = x @ Wx + b  # (N, 3H): the input side of all three blocks
    a_h = h_prev @ Wh  # (N, 3H): the recurrent side
    r = _sigmoid(a_x[:, 0 * H:1 * H] + a_h[:, 0 * H:1 * H])  # reset gate
    z = _sigmoid(a_x[:, 1 * H:2 * H] + a_h[:, 1 * H:2 * H])  # update gate
    hn = a_h[:, 2 * H:3 * H] + b_hn  # the recurrent term the reset gate scales
    n = np.tanh(a_x[:, 2 * H:3 * H] + r * hn)  # candidate
    h_next = (1 - z) * n + z * h_prev
    gates = np.concatenate([r, z, n], axis=1)  # (N, 3H), blocks [r, z, n]
    cache = (x, h_prev, Wx, Wh, gates, hn)
    return h_next, cache


def gru_step_backward(dh_next, cache):
    """Backward pass of one GRU step.

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next
        cache:   from gru_step_forward

    Returns:
        dx: (N, D), dh_prev: (N, H), dWx: (D, 3H), dWh: (H, 3H), db: (3H,), db_hn: (H,)
    """
    x, h_prev, Wx, Wh, gates, hn = cache
    where = "gru_step_backward"
    as_float_array(where, "dh_next", dh_next)
    check_shape(where, "dh_next", dh_next, h_prev.shape, "(N, H)")
    check_same_dtype(where, dh_next=dh_next, h_prev=h_prev)

    r, z, n = np.split(gates, GATES, axis=1)
    dn = dh_next * (1 - z)  # h_t = (1 - z) * n + z * h_{t-1}
    dz = dh_next * (h_prev - n)
    da_n = dn * _dtanh(n)  # gradient on n's pre-activation  a_x[n] + r * hn
    dr = da_n * hn
    dhn = da_n * r
    # r and z see x and h through one sum, so both sides get the same gradient;
    # n sees x directly but h only through r * hn
    da_x = np.concatenate([dr * _dsigmoid(r), dz * _dsigmoid(z), da_n], axis=1)  # on x @ Wx + b
    da_h = np.concatenate([dr * _dsigmoid(r), dz * _dsigmoid(z), dhn], axis=1)  # on h_prev @ Wh (+ b_hn)
    dx = da_x @ Wx.T
    dh_prev = dh_next * z + da_h @ Wh.T  # the direct path through z * h_{t-1}, and through the gates
    dWx = x.T @ da_x
    dWh = h_prev.T @ da_h
    db = da_x.sum(axis=0)
    db_hn = dhn.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db, db_hn


# --------------------------------------------------------------------------
# A whole sequence
# --------------------------------------------------------------------------


class GRUCache(NamedTuple):
    """What gru_forward keeps for the backward pass: O(N*T*H) memory."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    gates: np.ndarray  # (N, T, 3H) values of [r, z, n] at every step
    hn: np.ndarray  # (N, T, H) h_{t-1} @ Wh[:, n] + b_hn, what r scaled
    h: np.ndarray  # (N, T, H) hidden states


def gru_forward(x, h0, Wx, Wh, b, b_hn):
    """Run a GRU over a whole sequence.

    Args:
        x:  (N, T, D) inputs
        h0: (N, H)    initial hidden state
        Wx: (D, 3H), Wh: (H, 3H), b: (3H,)  blocks [r, z, n]
        b_hn: (H,)    recurrent bias of the candidate

    Returns:
        h:     (N, T, H) hidden state after every step
        cache: a GRUCache, what gru_backward needs
    """
    N, T, D, H = _check_forward_inputs("gru_forward", x, h0, Wx, Wh, b, b_hn)

    gates = np.empty((N, T, GATES * H), dtype=x.dtype)
    hn = np.empty((N, T, H), dtype=x.dtype)
    h = np.empty((N, T, H), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        h_prev, step_cache = gru_step_forward(x[:, t], h_prev, Wx, Wh, b, b_hn)
        h[:, t] = h_prev
        gates[:, t], hn[:, t] = step_cache[4], step_cache[5]  # what the backward step needs
    return h, GRUCache(x, h0, Wx, Wh, gates, hn, h)


def _gru_step_cache(cache, t):
    """The cache gru_step_forward returned at step t, rebuilt from a GRUCache."""
    h_prev = cache.h0 if t == 0 else cache.h[:, t - 1]
    return (cache.x[:, t], h_prev, cache.Wx, cache.Wh, cache.gates[:, t], cache.hn[:, t])


def gru_backward(dh, cache):
    """Backpropagation through time for gru_forward.

    Args:
        dh:    (N, T, H) gradient of the loss with respect to every hidden state
               (from the layer above only; the recurrent part is added here)
        cache: from gru_forward

    Returns:
        dx:    (N, T, D)
        dh0:   (N, H)
        dWx:   (D, 3H)
        dWh:   (H, 3H)
        db:    (3H,)
        db_hn: (H,)
    """
    _check_backward_inputs("gru_backward", dh, cache)
    x, Wx, Wh, h = cache.x, cache.Wx, cache.Wh, cache.h
    N, T, H = h.shape

    dx = np.empty_like(x)
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    db, db_hn = np.zeros(GATES * H, dtype=h.dtype), np.zeros(H, dtype=h.dtype)
    dh_next = np.zeros((N, H), dtype=h.dtype)  # gradient on h_t arriving from step t+1
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t, db_hn_t = gru_step_backward(
            dh[:, t] + dh_next, _gru_step_cache(cache, t))
        # the weights are shared by every step, so their gradients add up over time
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
        db_hn += db_hn_t
    return dx, dh_next, dWx, dWh, db, db_hn


def gru_params_from_torch(weight_ih, weight_hh, bias_ih, bias_hh):
    """Our (Wx, Wh, b, b_hn) from the arrays of a one-layer torch.nn.GRU (no torch needed here).

    Args:
        weight_ih: (3H, D) weight_ih_l0 as a numpy array, rows in blocks [r, z, n]
        weight_hh: (3H, H) weight_hh_l0
        bias_ih:   (3H,)   bias_ih_l0
        bias_hh:   (3H,)   bias_hh_l0

    Returns:
        Wx (D, 3H) = weight_ih.T
        Wh (H, 3H) = weight_hh.T
        b  (3H,)   = bias_ih + [bias_hh[r], bias_hh[z], 0]
        b_hn (H,)  = bias_hh[n]
    """
    where = "gru_params_from_torch"
    for name, a in (("weight_ih", weight_ih), ("weight_hh", weight_hh), ("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        as_float_array(where, name, a)
    check_ndim(where, "weight_hh", weight_hh, 2, "(3H, H)")
    H = weight_hh.shape[1]
    check_shape(where, "weight_hh", weight_hh, (GATES * H, H), "(3H, H)")
    check_ndim(where, "weight_ih", weight_ih, 2, "(3H, D)")
    check_shape(where, "weight_ih", weight_ih, (GATES * H, weight_ih.shape[1]), "(3H, D)")
    check_shape(where, "bias_ih", bias_ih, (GATES * H,), "(3H,)")
    check_shape(where, "bias_hh", bias_hh, (GATES * H,), "(3H,)")
    check_same_dtype(where, weight_ih=weight_ih, weight_hh=weight_hh, bias_ih=bias_ih, bias_hh=bias_hh)
    b = bias_ih.copy()
    b[:2 * H] += bias_hh[:2 * H]
    return weight_ih.T.copy(), weight_hh.T.copy(), b, bias_hh[2 * H:].copy()
