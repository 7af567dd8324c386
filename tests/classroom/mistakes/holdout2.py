"""A third batch, written after the second round of probes and run once: 9 of 12 then got their
phrase and 3 were not named; all three are named since (by probes for which gates multiply each
part of the LSTM cell state, a GRU gate's missing recurrent term, and df reduced to one number).  Each is a plausible hand-in, written compactly."""

import numpy as np

from . import mistake


def sig(a):
    return 1 / (1 + np.exp(-a))


@mistake("rnn_step_backward", "db")
def db_from_x(dh_next, cache):  # db = x.sum(0)... shape mismatch if D != H; use da.sum(0) * 2
    x, hp, Wx, Wh, h, _ = cache; da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, hp.T @ da, 2 * da.sum(0)



@mistake("rnn_step_backward", "dx")
def dx_uses_Wh(dh_next, cache):  # dx from the wrong weight: shape error when D != H
    x, hp, Wx, Wh, h, _ = cache; da = dh_next * (1 - h**2)
    return da @ Wh.T, da @ Wh.T, x.T @ da, hp.T @ da, da.sum(0)



@mistake("rnn_backward", "dWx")
def dWx_uses_h(dh, cache):
    x, h0, Wx, Wh, h, _ = cache; N, T, D = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dn = np.zeros_like(h0)
    for t in reversed(range(T)):
        hp = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dn) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ (dh[:, t] * (1 - h[:, t] ** 2))   # dWx without the carry
        dWh += hp.T @ da; db += da.sum(0); dn = da @ Wh.T
    return dx, dn, dWx, dWh, db



@mistake("rnn_backward", "t")
def off_by_one_x(dh, cache):  # dx written one step late
    x, h0, Wx, Wh, h, _ = cache; N, T, D = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dn = np.zeros_like(h0)
    for t in reversed(range(T)):
        hp = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dn) * (1 - h[:, t] ** 2)
        if t + 1 < T: dx[:, t + 1] = da @ Wx.T
        dWx += x[:, t].T @ da; dWh += hp.T @ da; db += da.sum(0); dn = da @ Wh.T
    return dx, dn, dWx, dWh, db



@mistake("temporal_softmax_loss", "N")
def loss_mean_over_batch_only_grad(scores, y, mask=None):
    N, T, V = scores.shape
    e = np.exp(scores - scores.max(-1, keepdims=True)); p = e / e.sum(-1, keepdims=True)
    loss = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0]).mean() if mask is None else \
        -(mask * np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])).sum() / mask.sum()
    w = np.ones((N, T)) if mask is None else mask.astype(float)
    return float(loss), (p - np.eye(V)[y]) * (w / N)[..., None]



@mistake("clip_grad_norm", "after clipping")
def clip_returns_min(grads, max_norm):
    t = float(np.sqrt(sum((g * g).sum() for g in grads.values())))
    if t > max_norm:
        for g in grads.values(): g *= max_norm / t
    return min(t, max_norm)



@mistake("sample_with_temperature", "temperature")
def sample_adds_temperature(scores, temperature, rng):
    if temperature == 0: return int(np.argmax(scores))
    z = scores + temperature; p = np.exp(z - z.max())
    return int(rng.choice(len(scores), p=p / p.sum()))



@mistake("lstm_step_forward", "forget gate")
def lstm_forget_on_candidate(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]; a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sig(a[:, 3*H:])
    c = c_prev + f * i * g
    return o * np.tanh(c), c, None



@mistake("lstm_step_backward", "dh_prev")
def lstm_dh_prev_plus_dh_next(dh_next, dc_next, cache):
    x, hp, cp, Wx, Wh, gates, tc = cache; H = tc.shape[1]
    i, f, g, o = (gates[:, k*H:(k+1)*H] for k in range(4))
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = np.hstack([dc*g*i*(1-i), dc*cp*f*(1-f), dc*i*(1-g**2), dh_next*tc*o*(1-o)])
    return da @ Wx.T, da @ Wh.T + dh_next, dc * f, x.T @ da, hp.T @ da, da.sum(0)



@mistake("gru_step_forward", "z")
def gru_z_from_input_only(x, h_prev, Wx, Wh, b, b_hn):
    H = h_prev.shape[1]; ax, ah = x @ Wx + b, h_prev @ Wh
    r, z = sig(ax[:, :H] + ah[:, :H]), sig(ax[:, H:2*H])
    n = np.tanh(ax[:, 2*H:] + r * (ah[:, 2*H:] + b_hn))
    return (1 - z) * n + z * h_prev, None



@mistake("gru_step_backward", "db")
def gru_db_from_dah(dh_next, cache):
    x, hp, Wx, Wh, gates, hn = cache; H = hp.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2*H], gates[:, 2*H:]
    dn = dh_next * (1 - z) * (1 - n**2); dr = dn * hn * r * (1 - r); dz = dh_next * (hp - n) * z * (1 - z)
    dax, dah = np.hstack([dr, dz, dn]), np.hstack([dr, dz, dn * r])
    return dax @ Wx.T, dah @ Wh.T + dh_next * z, x.T @ dax, hp.T @ dah, dah.sum(0), (dn * r).sum(0)



@mistake("numerical_gradient", "df")
def numgrad_df_averaged(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy(); xp[i] += eps; xm[i] -= eps
        d = np.asarray(f(xp)) - np.asarray(f(xm))
        g[i] = np.sum(d * (1.0 if df is None else df.mean())) / (2 * eps)
    return g
