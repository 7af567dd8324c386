"""rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db), cache = (x, h0, Wx, Wh, h, activation)."""

import numpy as np

from . import correct, mistake

E = "rnn_backward"


def _setup(cache):
    x, h0, Wx, Wh, h, _ = cache
    N, T, D = x.shape
    H = h0.shape[1]
    return x, h0, Wx, Wh, h, N, T, np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, x.dtype)


@mistake(E, "later time steps")  # CS231n: "forgot to add dprev_h to dh[:, t]"
def no_carry(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = dh[:, t] * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "later time steps")  # the carry is reset inside the loop
def carry_reset_in_loop(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh0 = None
    for t in reversed(range(T)):
        dh_next = np.zeros_like(h0)
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh0 = da @ Wh.T
    return dx, dh0, dWx, dWh, db


@mistake(E, "transpose on Wh")  # carry through Wh instead of Wh.T
def carry_no_transpose(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh
    return dx, dh_next, dWx, dWh, db


@mistake(E, "carried")  # carry skips Wh entirely: dh_next = da
def carry_skips_Wh(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da
    return dx, dh_next, dWx, dWh, db


@mistake(E, "carried")  # carry taken before the tanh derivative
def carry_before_tanh(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        dh_t = dh[:, t] + dh_next
        da = dh_t * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = dh_t @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "accumulate")  # DLAI: "dWax = ..." overwritten instead of += at every step
def weights_not_accumulated(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx = x[:, t].T @ da
        dWh = h_prev.T @ da
        db = da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "accumulate")  # only dWh forgotten
def dWh_not_accumulated(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh = h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "accumulate")  # only db forgotten
def db_not_accumulated(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db = da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "h0")  # DLAI: "a0 used for a_prev" at every step
def h0_for_every_prev(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h0.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "time step")  # dWh with the current state h_t instead of h_{t-1}
def dWh_current_state(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h[:, t].T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "h0")  # h[:, t-1] at t = 0 wraps around to the last state
def wraparound_prev(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "tanh'")  # derivative from the previous state
def deriv_wrong_state(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h_prev**2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "tanh'")  # no activation derivative anywhere
def no_tanh_deriv(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = dh[:, t] + dh_next
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "wrong way")  # loops forwards in time
def forward_loop(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in range(T):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "reversed time order")  # loop index reversed but dh read as dh[:, T-1-t]
def reads_dh_reversed(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, T - 1 - t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "dh0")  # returns the last da instead of carrying it through Wh
def dh0_is_da(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    da = None
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, da, dWx, dWh, db


@mistake(E, "dh0")  # dh0 left at zeros
def dh0_zero(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, np.zeros_like(h0), dWx, dWh, db


@mistake(E, "upstream")  # the layer above's gradient used at the last step only
def upstream_last_only(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = dh[:, -1]
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = dh_next * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "upstream")  # dh[:, -1] used as the initial carry AND added again at t = T-1
def upstream_last_twice(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = dh[:, -1].copy()
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "in place")  # adds the carry into dh itself
def mutates_dh(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        dh[:, t] += dh_next
        da = dh[:, t] * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "T (the sequence length) times too small")  # "average over time"
def averages_over_time(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx / T, dWh / T, db / T


@mistake(E, "dWh is transposed")
def dWh_transposed(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += da.T @ h_prev
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake(E, "accumulated across calls")  # module-level accumulators
def accumulates_across_calls(dh, cache, _acc={}):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    key = Wh.shape + x.shape
    acc = _acc.setdefault(key, np.zeros_like(Wh))
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        acc += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, acc.copy(), db


@mistake(E, "dtype")  # float64 accumulators for float32 inputs
def float64_accumulators(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dx, dWx, dWh, db = np.zeros(x.shape), np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


# ---------------------------------------------------------------- correct
@correct(E)
def vectorised_weights(dh, cache):
    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    das = np.zeros_like(h)
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        das[:, t] = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dh_next = das[:, t] @ Wh.T
    h_prevs = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    return (np.einsum("nth,dh->ntd", das, Wx), dh_next, np.einsum("ntd,nth->dh", x, das),
            np.einsum("ntk,nth->kh", h_prevs, das), das.sum(axis=(0, 1)))


@correct(E)
def via_step_function(dh, cache):
    from rnnlab.layers import rnn_step_backward

    x, h0, Wx, Wh, h, N, T, dx, dWx, dWh, db = _setup(cache)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        step = rnn_step_backward(dh[:, t] + dh_next, (x[:, t], h_prev, Wx, Wh, h[:, t], "tanh"))
        dx[:, t], dh_next = step[0], step[1]
        dWx, dWh, db = dWx + step[2], dWh + step[3], db + step[4]
    return dx, dh_next, dWx, dWh, db
