"""Fast GRU: the maths of ``rnnlab.gru.gru_forward`` / ``gru_backward``.

Same signatures, GRUCache and results; see ``rnnlab.fast`` for the tricks.
Inside, every (N, T, K) array is time-major (T, N, K); blocks [r | z | n].
"""

from __future__ import annotations

import numpy as np

from ..gru import GATES, GRUCache, _check_backward_inputs, _check_forward_inputs
from ..layers import _time_major


def gru_forward(x, h0, Wx, Wh, b, b_hn):
    """x: (N, T, D), h0: (N, H), Wx: (D, 3H), Wh: (H, 3H), b: (3H,), b_hn: (H,) -> h (N, T, H), cache."""
    N, T, D, H = _check_forward_inputs("gru_forward", x, h0, Wx, Wh, b, b_hn)
    dt = x.dtype
    # Columns scaled by -1 (r, z) and -2 (n), exactly: the products give -a and -2a, and
    # sigma(a) = 1 / (1 + exp(-a)), tanh(a) = 2 / (1 + exp(-2a)) - 1 (NumPy's exp is
    # faster than its tanh).
    s = np.full(GATES * H, -1, dtype=dt)
    s[2 * H:] = -2
    Wh_s = Wh * s
    b_hn_s = b_hn * dt.type(-2)

    gates = np.empty((T, N, GATES * H), dtype=dt)  # scaled x_t @ Wx + b, then [r, z, n]
    np.matmul(_time_major(x).reshape(T * N, D), Wx * s, out=gates.reshape(T * N, GATES * H))
    gates += b * s
    a_h = np.empty((T, N, GATES * H), dtype=dt)  # scaled h_{t-1} @ Wh (+ b_hn on n): -2 hn there
    h = np.empty((T, N, H), dtype=dt)
    tmp = np.empty((N, H), dtype=dt)
    h_prev = h0
    with np.errstate(over="ignore"):  # exp(...) = inf gives sigma = 0 and tanh = -1, as it should
        for t in range(T):
            ah, g_t = a_h[t], gates[t]
            np.matmul(h_prev, Wh_s, out=ah)
            ah[:, 2 * H:] += b_hn_s
            rz = g_t[:, :2 * H]
            rz += ah[:, :2 * H]
            np.exp(rz, out=rz)
            rz += 1
            np.reciprocal(rz, out=rz)  # r, z
            r, z, n = g_t[:, :H], g_t[:, H:2 * H], g_t[:, 2 * H:]
            n += np.multiply(r, ah[:, 2 * H:], out=tmp)  # -2 (a_n + r * hn)
            np.exp(n, out=n)
            n += 1
            np.divide(2, n, out=n)
            n -= 1  # n = tanh(a_n + r * hn)
            np.subtract(h_prev, n, out=tmp)  # h_t = n + z * (h_{t-1} - n)
            tmp *= z
            np.add(n, tmp, out=h[t])
            h_prev = h[t]
    hn = np.multiply(a_h[..., 2 * H:], dt.type(-0.5))  # undo the -2: exact
    bf = lambda a: a.transpose(1, 0, 2)  # noqa: E731  (N, T, K) views of the time-major memory
    return bf(h), GRUCache(x, h0, Wx, Wh, bf(gates), bf(hn), bf(h))


def gru_backward(dh, cache):
    """dh: (N, T, H) -> dx (N, T, D), dh0 (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,), db_hn (H,)."""
    _check_backward_inputs("gru_backward", dh, cache)
    x, h0, Wx, Wh = cache.x, cache.h0, cache.Wx, cache.Wh
    N, T, D = x.shape
    H = h0.shape[1]
    dt = h0.dtype
    gates, h = _time_major(cache.gates), _time_major(cache.h)  # free
    hn = _time_major(cache.hn)  # free
    r, z, n = (gates[..., k * H:(k + 1) * H] for k in range(GATES))

    # Every factor that does not depend on the incoming gradient dh_t, for all steps:
    #   da_n = dh_t * Pn,  Pn = (1 - z)(1 - n^2)      (n's pre-activation)
    #   da_r = dh_t * Pn * hn * r(1-r)   da_z = dh_t * (h_{t-1} - n) * z(1-z)
    #   d(hn) = dh_t * Pn * r            dh_{t-1} = dh_t * z + da_h @ Wh.T
    Pn = np.multiply(n, n)
    np.subtract(1, Pn, out=Pn)
    Pn *= 1 - z
    PH = np.empty((T, N, GATES * H), dtype=dt)  # factors of da_h = [da_r, da_z, d(hn)]
    P_r, P_z, P_hn = (PH[..., k * H:(k + 1) * H] for k in range(GATES))
    np.subtract(1, r, out=P_r)
    P_r *= r
    P_r *= hn
    P_r *= Pn
    np.subtract(1, z, out=P_z)
    P_z *= z
    P_z[0] *= h0 - n[0]
    P_z[1:] *= h[:-1] - n[1:]
    np.multiply(Pn, r, out=P_hn)

    dh_tm = _time_major(dh)
    Wh_T = np.ascontiguousarray(Wh.T)
    dh_total = np.empty((T, N, H), dtype=dt)  # dh_t of every step, for da_n after the loop
    dh_next = np.zeros((N, H), dtype=dt)
    tmp = np.empty((N, H), dtype=dt)
    for t in reversed(range(T)):
        dh_t = np.add(dh_tm[t], dh_next, out=dh_total[t])
        PH[t].reshape(N, GATES, H)[...] *= dh_t[:, None, :]  # PH[t] is now da_h at step t
        np.matmul(PH[t], Wh_T, out=dh_next)
        dh_next += np.multiply(dh_t, z[t], out=tmp)  # the direct path z * h_{t-1}

    # da_x = [da_r, da_z, da_n]: r and z see x and h through one sum
    da_h = PH.reshape(T * N, GATES * H)
    da_x = PH.copy()
    np.multiply(Pn, dh_total, out=da_x[..., 2 * H:])
    da_x = da_x.reshape(T * N, GATES * H)
    dWx = _time_major(x).reshape(T * N, D).T @ da_x
    dWh = h0.T @ PH[0]
    if T > 1:
        dWh += h[:-1].reshape((T - 1) * N, H).T @ da_h[N:]
    db = da_x.sum(axis=0)
    db_hn = da_h[:, 2 * H:].sum(axis=0)
    dx = (da_x @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_next, dWx, dWh, db, db_hn
