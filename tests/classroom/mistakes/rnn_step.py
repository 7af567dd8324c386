"""rnn_step_forward(x, h_prev, Wx, Wh, b) -> (h_next, cache) and
rnn_step_backward(dh_next, cache) -> (dx, dh_prev, dWx, dWh, db), cache = (x, h_prev, Wx, Wh, h_next, act)."""

import numpy as np

from . import correct, mistake

F, B = "rnn_step_forward", "rnn_step_backward"


# ---------------------------------------------------------------- forward: wrong
@mistake(F, "bias")  # DLAI: "forgot ba in a_next"
def fwd_no_bias(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh), None


@mistake(F, "sigmoid")  # activation mixed up with the output layer / gates
def fwd_sigmoid(x, h_prev, Wx, Wh, b):
    return 1 / (1 + np.exp(-(x @ Wx + h_prev @ Wh + b))), None


@mistake(F, "relu")  # "tanh or relu, it said nonlinearity"
def fwd_relu(x, h_prev, Wx, Wh, b):
    return np.maximum(0, x @ Wx + h_prev @ Wh + b), None


@mistake(F, "missing the tanh")  # returns the pre-activation
def fwd_linear(x, h_prev, Wx, Wh, b):
    return x @ Wx + h_prev @ Wh + b, None


@mistake(F, "Wh transposed")  # column-vector habit Whh @ h carried to rows
def fwd_wh_T(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh.T + b), None


@mistake(F, "h_prev @ Wh is missing")  # a feed-forward layer, no memory
def fwd_no_recurrence(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + b), None


@mistake(F, "input term")  # x forgotten, only the recurrence
def fwd_no_input(x, h_prev, Wx, Wh, b):
    return np.tanh(h_prev @ Wh + b), None


@mistake(F, "twice")  # the bias added twice (once in each "linear layer")
def fwd_bias_twice(x, h_prev, Wx, Wh, b):
    return np.tanh((x @ Wx + b) + (h_prev @ Wh + b)), None


@mistake(F, "tanh applied twice")  # tanh inside and outside
def fwd_double_tanh(x, h_prev, Wx, Wh, b):
    return np.tanh(np.tanh(x @ Wx + h_prev @ Wh + b)), None


@mistake(F, "bias")  # bias added after the tanh
def fwd_bias_outside(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh) + b, None


@mistake(F, "bias")  # bias summed into a scalar
def fwd_bias_scalar(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b.sum()), None


@mistake(F, "dtype")  # float64 buffer
def fwd_float64_buffer(x, h_prev, Wx, Wh, b):
    out = np.zeros((x.shape[0], Wx.shape[1]))
    out[:] = np.tanh(x @ Wx + h_prev @ Wh + b)
    return out, None


@mistake(F, "return 2 values")  # forgot the cache
def fwd_no_cache(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)


@mistake(F, "in place")  # h_prev updated in place to "save memory"
def fwd_inplace(x, h_prev, Wx, Wh, b):
    h_prev[:] = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_prev, None


@mistake(F, "h_prev @ Wh is missing")  # uses a zero state (a0 for a_prev, DLAI)
def fwd_zero_state(x, h_prev, Wx, Wh, b):
    h0 = np.zeros_like(h_prev)
    return np.tanh(x @ Wx + h0 @ Wh + b), None


# ---------------------------------------------------------------- forward: correct
@correct(F)
def fwd_einsum(x, h_prev, Wx, Wh, b):
    return np.tanh(np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b), None


@correct(F)
def fwd_stacked(x, h_prev, Wx, Wh, b):
    W = np.vstack([Wx, Wh])
    return np.tanh(np.hstack([x, h_prev]) @ W + b), None


@correct(F)
def fwd_exp_formula(x, h_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    return (1 - np.exp(-2 * a)) / (1 + np.exp(-2 * a)), None


# ---------------------------------------------------------------- backward: wrong
def _unpack(cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    return x, h_prev, Wx, Wh, h_next


@mistake(B, "1 - a**2")  # CS231n forum: tanh' taken from a quantity that is not h... here the
def bwd_deriv_from_pre(dh_next, cache):  # student recomputes a and uses 1 - a**2
    x, h_prev, Wx, Wh, h = _unpack(cache)
    a = np.arctanh(h)
    da = dh_next * (1 - a**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "already tanh(a)")  # "derivative of tanh is 1 - tanh^2" applied to h itself
def bwd_tanh_of_h(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - np.tanh(h) ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "sigmoid")  # sigmoid derivative h(1-h)
def bwd_sigmoid_deriv(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * h * (1 - h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "skips the tanh")  # no derivative at all
def bwd_no_deriv(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "1 - h")  # forgot the square
def bwd_one_minus_h(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "dh_prev")  # missing transpose on Wh (square, no shape error)
def bwd_no_transpose(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "dWh is transposed")  # da.T @ h_prev
def bwd_dWh_T(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, da.T @ h_prev, da.sum(0)


@mistake(B, "h_next")  # dWh from the new state instead of h_prev
def bwd_dWh_wrong_state(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h.T @ da, da.sum(0)


@mistake(B, "db")  # bias gradient summed over the wrong axis
def bwd_db_axis1(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    db = da.sum(axis=1)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, db


@mistake(B, "db")  # mean instead of sum over the batch
def bwd_db_mean(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.mean(0)


@mistake(B, "db")  # db from dh_next (before the tanh), the rest right
def bwd_db_before_tanh(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, dh_next.sum(0)


@mistake(B, "dx")  # dx skips the tanh derivative, the rest right
def bwd_dx_from_dh(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return dh_next @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "N (the batch size) times too small")  # averaged over the batch
def bwd_divide_N(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    N = x.shape[0]
    da = dh_next * (1 - h**2) / N
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "wrong sign")  # gradient ascent
def bwd_negated(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = -dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "dWx")  # dWx = x.T @ dh_next (skips the tanh only there)
def bwd_dWx_no_deriv(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ dh_next, h_prev.T @ da, da.sum(0)


@mistake(B, "dh_prev")  # dh_prev = dh_next passed through unchanged ("identity skip")
def bwd_dh_prev_identity(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, dh_next, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "dWx and dWh are swapped")  # returned in the wrong order (shapes differ when D != H)
def bwd_swapped_returns(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, h_prev.T @ da, x.T @ da, da.sum(0)


@mistake(B, "accumulated across calls")  # global accumulator never reset
def bwd_accumulates(dh_next, cache, _state={}):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    key = x.shape + Wh.shape
    _state[key] = _state.get(key, 0) + h_prev.T @ da
    return da @ Wx.T, da @ Wh.T, x.T @ da, _state[key], da.sum(0)


@mistake(B, "in place")  # dh_next *= (1 - h**2)
def bwd_inplace(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    dh_next *= 1 - h**2
    da = dh_next
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake(B, "transposed")  # column-vector formula Wx @ da.T: a transposed dx
def bwd_column_formula(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h**2)
    return Wx @ da.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


# ---------------------------------------------------------------- backward: correct
@correct(B)
def bwd_einsum(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    da = dh_next * (1 - h) * (1 + h)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh), np.einsum("nd,nh->dh", x, da),
            np.einsum("nk,nh->kh", h_prev, da), np.einsum("nh->h", da))


@correct(B)
def bwd_recomputed_tanh(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    a = x @ Wx + h_prev @ Wh + np.arctanh(h) - (x @ Wx + h_prev @ Wh)  # = a, recomputed
    da = dh_next / np.cosh(a) ** 2
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@correct(B)
def bwd_per_example_loop(dh_next, cache):
    x, h_prev, Wx, Wh, h = _unpack(cache)
    dx, dh_prev = np.zeros_like(x), np.zeros_like(h_prev)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0], dtype=x.dtype)
    for n in range(x.shape[0]):
        da = dh_next[n] * (1 - h[n] ** 2)
        dx[n], dh_prev[n] = Wx @ da, Wh @ da
        dWx += np.outer(x[n], da)
        dWh += np.outer(h_prev[n], da)
        db += da
    return dx, dh_prev, dWx, dWh, db
