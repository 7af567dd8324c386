"""Fast LSTM: the maths of ``rnnlab.lstm.lstm_forward`` / ``lstm_backward_state``.

Same signatures, LSTMCache and results; see ``rnnlab.fast`` for the tricks.
Inside, every (N, T, K) array is time-major (T, N, K) and the gate blocks stay
in the course order [i | f | g | o].
"""

from __future__ import annotations

import numpy as np

from ..layers import _time_major
from ..lstm import GATES, LSTMCache, _check_backward_inputs, _check_forward_inputs


def _exp_scale(H, dtype):
    """(4H,) column scale: -1 on the sigmoid blocks i, f, o, -2 on the tanh block g.

    With the columns scaled, the products give -a (and -2a for g), so one
    exp, +1 and reciprocal over all four blocks give sigma(a) on i, f, o and
    sigma(2a) on g, and tanh(a) = 2 sigma(2a) - 1.  (Scaling by -1 and -2 is
    exact; NumPy's exp is about twice as fast as its tanh.)
    """
    s = np.full(GATES * H, -1, dtype=dtype)
    s[2 * H:3 * H] = -2
    return s


def _tanh_inplace(a, tmp):
    """a <- tanh(a) = 2 / (1 + exp(-2a)) - 1; tmp: scratch of a's shape and dtype."""
    np.multiply(a, -2, out=tmp)
    np.exp(tmp, out=tmp)
    tmp += 1
    np.divide(2, tmp, out=a)
    a -= 1
    return a


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """x: (N, T, D), h0: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,), c0: (N, H) or None -> h (N, T, H), cache."""
    N, T, D, H, c0 = _check_forward_inputs("lstm_forward", x, h0, Wx, Wh, b, c0)
    dt = x.dtype
    s = _exp_scale(H, dt)
    Wh_s = Wh * s

    gates = np.empty((T, N, GATES * H), dtype=dt)  # -a (and -2a on g), then gate values
    np.matmul(_time_major(x).reshape(T * N, D), Wx * s, out=gates.reshape(T * N, GATES * H))
    gates += b * s
    c = np.empty((T, N, H), dtype=dt)
    tanh_c = np.empty((T, N, H), dtype=dt)
    h = np.empty((T, N, H), dtype=dt)
    recurrent = np.empty((N, GATES * H), dtype=dt)
    tmp = np.empty((N, H), dtype=dt)
    h_prev, c_prev = h0, c0
    with np.errstate(over="ignore"):  # exp(-a) = inf for a << 0 gives sigma(a) = 1 / inf = 0, as it should
        for t in range(T):
            g_t = gates[t]
            g_t += np.matmul(h_prev, Wh_s, out=recurrent)
            np.exp(g_t, out=g_t)
            g_t += 1
            np.reciprocal(g_t, out=g_t)  # sigma(a) on i, f, o; sigma(2a) on g
            i, f, g, o = g_t[:, :H], g_t[:, H:2 * H], g_t[:, 2 * H:3 * H], g_t[:, 3 * H:]
            g *= 2
            g -= 1  # tanh(a) = 2 sigma(2a) - 1
            np.multiply(f, c_prev, out=c[t])  # c_t = f * c_{t-1} + i * g
            c[t] += np.multiply(i, g, out=tmp)
            tanh_c[t] = c[t]
            _tanh_inplace(tanh_c[t], tmp)
            np.multiply(o, tanh_c[t], out=h[t])  # h_t = o * tanh(c_t)
            h_prev, c_prev = h[t], c[t]
    bf = lambda a: a.transpose(1, 0, 2)  # noqa: E731  (N, T, K) views of the time-major memory
    return bf(h), LSTMCache(x, h0, c0, Wx, Wh, bf(gates), bf(c), bf(tanh_c), bf(h))


def lstm_backward_state(dh, cache, dc_last=None):
    """dh: (N, T, H), dc_last: (N, H) or None -> dx, dh0, dc0, dWx, dWh, db (as rnnlab.lstm)."""
    dc_last = _check_backward_inputs("lstm_backward", dh, cache, dc_last)
    x, h0, c0, Wx, Wh = cache.x, cache.h0, cache.c0, cache.Wx, cache.Wh
    N, T, D = x.shape
    H = h0.shape[1]
    dt = h0.dtype
    gates, c, tanh_c, h = (_time_major(a) for a in (cache.gates, cache.c, cache.tanh_c, cache.h))  # free
    i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(GATES))

    # Every factor that does not depend on the incoming gradient, for all steps at once:
    #   da_i = dc * g * i(1-i)   da_f = dc * c_{t-1} * f(1-f)   da_g = dc * i * (1-g^2)
    #   da_o = dh * tanh(c) * o(1-o)          dc = dc_next + dh * o * (1 - tanh(c)^2)
    # P holds the four bracketed factors; the loop multiplies them in place into da.
    P = np.subtract(1, gates)
    P *= gates  # sigma' = s(1-s) on i, f, o
    P_i, P_f, P_g, P_o = (P[..., k * H:(k + 1) * H] for k in range(GATES))
    np.multiply(g, g, out=P_g)
    np.subtract(1, P_g, out=P_g)
    P_i *= g
    P_f[0] *= c0
    P_f[1:] *= c[:-1]
    P_g *= i
    P_o *= tanh_c
    Q = np.multiply(tanh_c, tanh_c)
    np.subtract(1, Q, out=Q)
    Q *= o

    dh_tm = _time_major(dh)
    Wh_T = np.ascontiguousarray(Wh.T)  # BLAS is faster with a contiguous right operand
    dh_next = np.zeros((N, H), dtype=dt)
    dc_next = dc_last.copy()
    dh_t = np.empty((N, H), dtype=dt)
    dc = np.empty((N, H), dtype=dt)
    for t in reversed(range(T)):
        np.add(dh_tm[t], dh_next, out=dh_t)  # from the layer above and from step t+1
        np.multiply(dh_t, Q[t], out=dc)
        dc += dc_next
        da = P[t].reshape(N, GATES, H)
        da[:, :3] *= dc[:, None, :]  # i, f, g
        da[:, 3] *= dh_t  # o
        np.multiply(dc, f[t], out=dc_next)  # the additive path back to c_{t-1}
        np.matmul(P[t], Wh_T, out=dh_next)

    # weight gradients: sums over time, one product over the (T*N) axis each
    da = P.reshape(T * N, GATES * H)
    dWx = _time_major(x).reshape(T * N, D).T @ da
    dWh = h0.T @ P[0]
    if T > 1:
        dWh += h[:-1].reshape((T - 1) * N, H).T @ da[N:]
    db = da.sum(axis=0)
    dx = (da @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_next, dc_next, dWx, dWh, db


def lstm_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)."""
    dx, dh0, _, dWx, dWh, db = lstm_backward_state(dh, cache)
    return dx, dh0, dWx, dWh, db
