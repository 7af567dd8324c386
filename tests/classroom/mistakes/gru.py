"""gru_step_forward(x, h_prev, Wx, Wh, b, b_hn) -> (h_next, cache) and
gru_step_backward(dh_next, cache) -> (dx, dh_prev, dWx, dWh, db, db_hn),
cache = (x, h_prev, Wx, Wh, gates [r|z|n] (N, 3H), hn = h_prev @ Wh_n + b_hn)."""

import numpy as np

from . import correct, mistake

F, B = "gru_step_forward", "gru_step_backward"


def sig(a):
    return 1 / (1 + np.exp(-a))


def _parts(x, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x @ Wx + b, h_prev @ Wh
    return H, [ax[:, k * H:(k + 1) * H] for k in range(3)], [ah[:, k * H:(k + 1) * H] for k in range(3)]


@mistake(F, "other way round")  # Cho et al.'s / Keras-docs mix: h = z * n + (1 - z) * h_prev
def update_swapped(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * (hn + b_hn))
    return z * n + (1 - z) * h_prev, None


@mistake(F, "before the matrix")  # reset applied to h_prev first (the "reset_after=False" GRU)
def reset_before(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + (r * h_prev) @ Wh[:, 2 * H:] + b_hn)
    return (1 - z) * n + z * h_prev, None


@mistake(F, "outside")  # b_hn outside the reset gate
def bhn_outside(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn + b_hn)
    return (1 - z) * n + z * h_prev, None


@mistake(F, "b_hn is missing")
def no_bhn(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h_prev, None


@mistake(F, "candidate n uses a sigmoid")
def n_sigmoid(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = sig(xn + r * (hn + b_hn))
    return (1 - z) * n + z * h_prev, None


@mistake(F, "gates r and z use tanh")
def gates_tanh(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = np.tanh(xr + hr), np.tanh(xz + hz)
    n = np.tanh(xn + r * (hn + b_hn))
    return (1 - z) * n + z * h_prev, None


@mistake(F, "order")  # blocks read as [z, r, n]
def order_zrn(x, h_prev, Wx, Wh, b, b_hn):
    H, (xz, xr, xn), (hz, hr, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * (hn + b_hn))
    return (1 - z) * n + z * h_prev, None


@mistake(F, "reset gate")  # no reset gate at all
def no_reset(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    z = sig(xz + hz)
    n = np.tanh(xn + hn + b_hn)
    return (1 - z) * n + z * h_prev, None


@mistake(F, "z * h_prev")  # the old state is dropped from the mix
def no_old_state(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * (hn + b_hn))
    return (1 - z) * n, None


@mistake(F, "update gate")  # h = n, no mixing
def no_update_gate(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r = sig(xr + hr)
    return np.tanh(xn + r * (hn + b_hn)), None


@mistake(F, "in place")
def h_prev_in_place(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * (hn + b_hn))
    h_prev *= z
    return h_prev + (1 - z) * n, None


@correct(F)
def interpolation_form(x, h_prev, Wx, Wh, b, b_hn):
    H, (xr, xz, xn), (hr, hz, hn) = _parts(x, h_prev, Wx, Wh, b)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * (hn + b_hn))
    return n + z * (h_prev - n), None


@correct(F)
def per_block_weights(x, h_prev, Wx, Wh, b, b_hn):
    H = h_prev.shape[1]

    def blk(W, k):
        return W[..., k * H:(k + 1) * H]

    r = sig(x @ blk(Wx, 0) + blk(b, 0) + h_prev @ blk(Wh, 0))
    z = sig(x @ blk(Wx, 1) + blk(b, 1) + h_prev @ blk(Wh, 1))
    n = np.tanh(x @ blk(Wx, 2) + blk(b, 2) + r * (h_prev @ blk(Wh, 2) + b_hn))
    return z * h_prev + (1 - z) * n, None


# ---------------------------------------------------------------- backward
def _unpack(cache):
    x, h_prev, Wx, Wh, gates, hn = cache
    H = h_prev.shape[1]
    return x, h_prev, Wx, Wh, gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:], hn


def _grads(dh, x, h_prev, Wx, Wh, r, z, n, hn, *, dn=None, dr=None, dz=None, n_rec=None, direct=None,
           dbhn=None):
    dn = dh * (1 - z) * (1 - n**2) if dn is None else dn
    dr = dn * hn * r * (1 - r) if dr is None else dr
    dz = dh * (h_prev - n) * z * (1 - z) if dz is None else dz
    n_rec = dn * r if n_rec is None else n_rec
    da_x = np.hstack([dr, dz, dn])
    da_h = np.hstack([dr, dz, n_rec])
    direct = dh * z if direct is None else direct
    dbhn = n_rec.sum(0) if dbhn is None else dbhn
    return da_x @ Wx.T, da_h @ Wh.T + direct, x.T @ da_x, h_prev.T @ da_h, da_x.sum(0), dbhn


@mistake(B, "direct path")  # forgets h_next's z * h_prev term
def no_direct_path(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, direct=0)


@mistake(B, "dh_next * z")  # direct path with (1 - z)
def direct_path_one_minus_z(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, direct=dh_next * (1 - z))


@mistake(B, "dz has the wrong sign")
def dz_sign(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, dz=dh_next * (n - h_prev) * z * (1 - z))


@mistake(B, "reset gate is missing")
def no_r_on_recurrent_n(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    dn = dh_next * (1 - z) * (1 - n**2)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, n_rec=dn, dbhn=(dn * r).sum(0))


@mistake(B, "db_hn")  # db_hn from the input-side candidate gradient
def dbhn_without_r(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    dn = dh_next * (1 - z) * (1 - n**2)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, dbhn=dn.sum(0))


@mistake(B, "db_hn")  # forgot db_hn
def dbhn_zero(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, dbhn=np.zeros(h_prev.shape[1]))


@mistake(B, "sigmoid")  # candidate derivative n(1 - n)
def n_sigmoid_grad(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, dn=dh_next * (1 - z) * n * (1 - n))


@mistake(B, "reset gate r")  # dr forgets hn
def dr_without_hn(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    dn = dh_next * (1 - z) * (1 - n**2)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, dr=dn * r * (1 - r))


@mistake(B, "update gate z")  # dz without sigma'
def dz_no_sigmoid_grad(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, dz=dh_next * (h_prev - n))


@mistake(B, "candidate n")  # dn forgets (1 - z)
def dn_without_one_minus_z(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn, dn=dh_next * (1 - n**2))


@mistake(B, "order")  # blocks of da assembled as [z, r, n]
def order_zrn(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    dn = dh_next * (1 - z) * (1 - n**2)
    dr = dn * hn * r * (1 - r)
    dz = dh_next * (h_prev - n) * z * (1 - z)
    da_x, da_h = np.hstack([dz, dr, dn]), np.hstack([dz, dr, dn * r])
    return (da_x @ Wx.T, da_h @ Wh.T + dh_next * z, x.T @ da_x, h_prev.T @ da_h, da_x.sum(0), (dn * r).sum(0))


@mistake(B, "wrong sign")
def negated(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    return tuple(-g for g in _grads(dh_next, x, h_prev, Wx, Wh, r, z, n, hn))


@correct(B)
def blockwise(dh_next, cache):
    x, h_prev, Wx, Wh, r, z, n, hn = _unpack(cache)
    H = h_prev.shape[1]
    dn = dh_next * (1 - z) * (1 - n) * (1 + n)
    dr = dn * hn * r * (1 - r)
    dz = dh_next * (h_prev - n) * z * (1 - z)
    Wxr, Wxz, Wxn = (Wx[:, k * H:(k + 1) * H] for k in range(3))
    Whr, Whz, Whn = (Wh[:, k * H:(k + 1) * H] for k in range(3))
    dx = dr @ Wxr.T + dz @ Wxz.T + dn @ Wxn.T
    dh_prev = dr @ Whr.T + dz @ Whz.T + (dn * r) @ Whn.T + dh_next * z
    dWx = np.hstack([x.T @ dr, x.T @ dz, x.T @ dn])
    dWh = np.hstack([h_prev.T @ dr, h_prev.T @ dz, h_prev.T @ (dn * r)])
    db = np.concatenate([dr.sum(0), dz.sum(0), dn.sum(0)])
    return dx, dh_prev, dWx, dWh, db, (dn * r).sum(0)
