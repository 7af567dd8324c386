"""lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h_next, c_next, cache) and
lstm_step_backward(dh_next, dc_next, cache) -> (dx, dh_prev, dc_prev, dWx, dWh, db),
cache = (x, h_prev, c_prev, Wx, Wh, gates [i|f|g|o] (N, 4H), tanh_c)."""

import numpy as np

from . import correct, mistake

F, B = "lstm_step_forward", "lstm_step_backward"


def sig(a):
    return 1 / (1 + np.exp(-a))


def _blocks(x, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    return [a[:, k * H:(k + 1) * H] for k in range(4)]


@mistake(F, "tanh of the cell state is missing")
def h_without_tanh(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * c, c, None


@mistake(F, "candidate g uses a sigmoid")
def g_sigmoid(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * sig(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "use tanh")  # all four with tanh
def gates_tanh(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = np.tanh(af) * c_prev + np.tanh(ai) * np.tanh(ag)
    return np.tanh(ao) * np.tanh(c), c, None


@mistake(F, "forget gate is missing")
def no_forget(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "input and forget gates are swapped")  # DLAI-style [f, i, ...] habit
def order_figo(x, h_prev, c_prev, Wx, Wh, b):
    af, ai, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "candidate and output blocks are swapped")  # [i, f, o, g] (CS231n's order)
def order_ifog(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ao, ag = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "order")  # Keras-like [i, f, c, o] read as [g, i, f, o]
def order_gifo(x, h_prev, c_prev, Wx, Wh, b):
    ag, ai, af, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "input gate")  # the write is not gated
def no_input_gate(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "input gate")  # coupled gate i = 1 - f (a GRU-like variant, not this course's)
def coupled_input_gate(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    f = sig(af)
    c = f * c_prev + (1 - f) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "c_next")  # h from the old cell state
def h_from_c_prev(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c_prev), c, None


@mistake(F, "o * tanh(c_next)")  # tanh around the product
def tanh_outside(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return np.tanh(sig(ao) * c), c, None


@mistake(F, "bias")
def no_bias(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, np.zeros_like(b))
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


@mistake(F, "in place")  # c_prev *= f
def c_prev_in_place(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c_prev *= sig(af)
    c = c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c.copy(), None


@mistake(F, "return 3 values")
def returns_two(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c


@correct(F)
def split_weights(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    parts = [x @ Wx[:, k * H:(k + 1) * H] + h_prev @ Wh[:, k * H:(k + 1) * H] + b[k * H:(k + 1) * H]
             for k in range(4)]
    i, f, o = (np.exp(-np.logaddexp(0, -p)) for p in (parts[0], parts[1], parts[3]))
    c = f * c_prev + i * np.tanh(parts[2])
    return o * np.tanh(c), c, None


@correct(F)
def overflowing_sigmoid_is_still_right(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c, None


# ---------------------------------------------------------------- backward
def _unpack(cache):
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    H = tanh_c.shape[1]
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    return x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c


def _finish(da, dc_prev, x, h_prev, Wx, Wh):
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(0)


def _da(dc, dh_next, i, f, g, o, c_prev, tanh_c):
    return np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                      dh_next * tanh_c * o * (1 - o)])


@mistake(B, "dc_next is ignored")
def ignores_dc_next(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dh_next * o * (1 - tc**2)
    return _finish(_da(dc, dh_next, i, f, g, o, c_prev, tc), dc * f, x, h_prev, Wx, Wh)


@mistake(B, "h path is missing")
def no_h_path(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next
    return _finish(_da(dc, dh_next, i, f, g, o, c_prev, tc), dc * f, x, h_prev, Wx, Wh)


@mistake(B, "skips tanh'")
def h_path_no_tanh_grad(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o
    return _finish(_da(dc, dh_next, i, f, g, o, c_prev, tc), dc * f, x, h_prev, Wx, Wh)


@mistake(B, "tanh'")  # tanh' at tanh(c) (tanh applied twice)
def h_path_tanh_twice(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - np.tanh(tc) ** 2)
    return _finish(_da(dc, dh_next, i, f, g, o, c_prev, tc), dc * f, x, h_prev, Wx, Wh)


@mistake(B, "dc_prev uses dc_next alone")
def dc_prev_from_dc_next(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return _finish(_da(dc, dh_next, i, f, g, o, c_prev, tc), dc_next * f, x, h_prev, Wx, Wh)


@mistake(B, "dc_prev")  # forgot the forget gate on the way back
def dc_prev_without_f(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    return _finish(_da(dc, dh_next, i, f, g, o, c_prev, tc), dc, x, h_prev, Wx, Wh)


@mistake(B, "dg uses the sigmoid derivative")
def dg_sigmoid(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    H = tc.shape[1]
    da[:, 2 * H:3 * H] = dc * i * g * (1 - g)
    return _finish(da, dc * f, x, h_prev, Wx, Wh)


@mistake(B, "input gate i")  # di without sigma'
def di_no_sigmoid_grad(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    H = tc.shape[1]
    da[:, :H] = dc * g
    return _finish(da, dc * f, x, h_prev, Wx, Wh)


@mistake(B, "input gate i")  # di = dc * i * sigma' (i where g belongs)
def di_uses_i(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    H = tc.shape[1]
    da[:, :H] = dc * i * i * (1 - i)
    return _finish(da, dc * f, x, h_prev, Wx, Wh)


@mistake(B, "forget gate f")  # df without sigma'
def df_no_sigmoid_grad(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    H = tc.shape[1]
    da[:, H:2 * H] = dc * c_prev
    return _finish(da, dc * f, x, h_prev, Wx, Wh)


@mistake(B, "output gate o")  # do from tanh(c_prev)
def do_from_c_prev(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    H = tc.shape[1]
    da[:, 3 * H:] = dh_next * np.tanh(c_prev) * o * (1 - o)
    return _finish(da, dc * f, x, h_prev, Wx, Wh)


@mistake(B, "output gate o")  # do uses dc instead of dh_next
def do_from_dc(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    H = tc.shape[1]
    da[:, 3 * H:] = dc * tc * o * (1 - o)
    return _finish(da, dc * f, x, h_prev, Wx, Wh)


@mistake(B, "input and forget gates are swapped")  # da blocks assembled as [f, i, g, o]
def da_order_figo(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = np.hstack([dc * c_prev * f * (1 - f), dc * g * i * (1 - i), dc * i * (1 - g**2),
                    dh_next * tc * o * (1 - o)])
    return _finish(da, dc * f, x, h_prev, Wx, Wh)


@mistake(B, "wrong sign")
def negated(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = -_da(dc, dh_next, i, f, g, o, c_prev, tc)
    return _finish(da, -dc * f, x, h_prev, Wx, Wh)


@mistake(B, "in place")  # dc_next += ...
def dc_next_in_place(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc_next += dh_next * o * (1 - tc**2)
    dc = dc_next
    return _finish(_da(dc, dh_next, i, f, g, o, c_prev, tc), dc * f, x, h_prev, Wx, Wh)


@mistake(B, "Sum db over the batch axis")
def db_not_summed(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    out = list(_finish(da, dc * f, x, h_prev, Wx, Wh))
    out[5] = da
    return tuple(out)


@mistake(B, "raised")  # column-vector formula Wh @ da.T
def column_formula(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    return da @ Wx.T, da @ Wh, dc * f, x.T @ da, h_prev.T @ da, da.sum(0)


@correct(B)
def per_gate_products(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    H = tc.shape[1]
    dc = dc_next + dh_next * o * (1 - tc) * (1 + tc)
    das = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), dh_next * tc * o * (1 - o)]
    dx = sum(d @ Wx[:, k * H:(k + 1) * H].T for k, d in enumerate(das))
    dh_prev = sum(d @ Wh[:, k * H:(k + 1) * H].T for k, d in enumerate(das))
    dWx = np.concatenate([x.T @ d for d in das], axis=1)
    dWh = np.concatenate([h_prev.T @ d for d in das], axis=1)
    db = np.concatenate([d.sum(0) for d in das])
    return dx, dh_prev, dc * f, dWx, dWh, db


@correct(B)
def einsum_version(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tc = _unpack(cache)
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = _da(dc, dh_next, i, f, g, o, c_prev, tc)
    return (np.einsum("nk,dk->nd", da, Wx), np.einsum("nk,hk->nh", da, Wh), dc * f,
            np.einsum("nd,nk->dk", x, da), np.einsum("nh,nk->hk", h_prev, da), np.einsum("nk->k", da))
