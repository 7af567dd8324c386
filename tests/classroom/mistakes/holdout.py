"""A second batch, written AFTER the checkers were improved on the first one and run once
before any further change, to measure how the diagnosis generalises (see the report in
docs/instructors.md).  Same rules: a plausible hand-in and the phrase its feedback must contain."""

import numpy as np

from . import mistake


def _sig(a):
    return 1 / (1 + np.exp(-a))


@mistake("rnn_step_forward", "sign")  # a = x @ Wx - h_prev @ Wh + b
def h_fwd_minus_recurrent(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx - h_prev @ Wh + b), None


@mistake("rnn_step_forward", "twice")  # the input term added twice (copy-paste)
def h_fwd_input_twice(x, h_prev, Wx, Wh, b):
    return np.tanh(2 * (x @ Wx) + h_prev @ Wh + b), None


@mistake("rnn_step_backward", "dh_prev")  # dh_prev skips tanh': dh_next @ Wh.T
def h_bwd_dh_prev_no_deriv(dh_next, cache):
    x, h_prev, Wx, Wh, h, _ = cache
    da = dh_next * (1 - h**2)
    return da @ Wx.T, dh_next @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake("rnn_step_backward", "1 + h**2")  # sign slip in the derivative
def h_bwd_one_plus(dh_next, cache):
    x, h_prev, Wx, Wh, h, _ = cache
    da = dh_next * (1 + h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake("rnn_step_backward", "dWh")  # dWh = h_prev.T @ dh_next (before the tanh)
def h_bwd_dWh_no_deriv(dh_next, cache):
    x, h_prev, Wx, Wh, h, _ = cache
    da = dh_next * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ dh_next, da.sum(0)


@mistake("rnn_backward", "h0")  # dWh skips the t = 0 term (loop stops at 1)
def h_bptt_skips_step0_dWh(dh, cache):
    x, h0, Wx, Wh, h, _ = cache
    N, T, D = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        if t > 0:
            dWh += h[:, t - 1].T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake("rnn_backward", "N (the batch size)")  # averages the weight gradients over the batch
def h_bptt_mean_over_batch(dh, cache):
    x, h0, Wx, Wh, h, _ = cache
    N, T, D = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da / N
        dWh += h_prev.T @ da / N
        db += da.mean(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake("rnn_backward", "dx")  # dx[:, t] from the upstream gradient only (no carry)
def h_bptt_dx_no_carry(dh, cache):
    x, h0, Wx, Wh, h, _ = cache
    N, T, D = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = (dh[:, t] * (1 - h[:, t] ** 2)) @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


@mistake("temporal_softmax_loss", "log")  # loss without the log (probability of the target)
def h_loss_no_log(scores, y, mask=None):
    e = np.exp(scores - scores.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    N, T, V = scores.shape
    w = np.ones((N, T)) if mask is None else mask.astype(float)
    loss = -(w * np.take_along_axis(p, y[..., None], -1)[..., 0]).sum() / w.sum()
    return float(loss), (p - np.eye(V)[y]) * (w / w.sum())[..., None]


@mistake("temporal_softmax_loss", "mask")  # mask multiplies the scores instead of the loss terms
def h_loss_mask_on_scores(scores, y, mask=None):
    N, T, V = scores.shape
    s = scores if mask is None else scores * mask[..., None]
    e = np.exp(s - s.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    loss = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0]).mean()
    return float(loss), (p - np.eye(V)[y]) / (N * T)


@mistake("numerical_gradient", "eps")  # eps applied as a relative step x * (1 + eps)
def h_numgrad_relative_step(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        step = eps * abs(x[i])
        xp[i] += step
        xm[i] -= step
        g[i] = np.sum((np.asarray(f(xp)) - np.asarray(f(xm))) * (1.0 if df is None else df)) / (2 * eps)
    return g


@mistake("clip_grad_norm", "own norm")  # clips only the arrays whose own norm is large
def h_clip_only_large(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    for g in grads.values():
        n = float(np.linalg.norm(g))
        if n > max_norm:
            g *= max_norm / n
    return total


@mistake("clip_grad_norm", "left unchanged")  # "normalises" to unit norm whatever max_norm is
def h_clip_normalise(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    for g in grads.values():
        g *= max_norm / total
    return total


@mistake("sample_with_temperature", "multiplies")  # softmax(scores) ** temperature ... via exp(T * log p)
def h_sample_exp_T_logp(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    z = scores - scores.max()
    logp = z - np.log(np.exp(z).sum())
    p = np.exp(temperature * logp)
    return int(rng.choice(len(scores), p=p / p.sum()))


@mistake("sample_with_temperature", "most likely")  # greedy whenever temperature < 1
def h_sample_greedy_below_one(scores, temperature, rng):
    if temperature < 1:
        return int(np.argmax(scores))
    z = scores / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(scores), p=p / p.sum()))


@mistake("lstm_step_forward", "output gate")  # h = tanh(c) (no output gate)
def h_lstm_no_output_gate(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    return np.tanh(c), c, None


@mistake("lstm_step_forward", "Wh")  # recurrent term missing
def h_lstm_no_recurrent(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + b
    i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, None


@mistake("lstm_step_backward", "forget gate f")  # df from dh_next instead of dc
def h_lstm_df_from_dh(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, gates, tc = cache
    H = tc.shape[1]
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = np.hstack([dc * g * i * (1 - i), dh_next * c_prev * f * (1 - f), dc * i * (1 - g**2),
                    dh_next * tc * o * (1 - o)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(0)


@mistake("lstm_step_backward", "dWh")  # dWh built from x (shape error when D != H)
def h_lstm_dWh_from_x(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, gates, tc = cache
    H = tc.shape[1]
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    dc = dc_next + dh_next * o * (1 - tc**2)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                    dh_next * tc * o * (1 - o)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, x.T @ da, da.sum(0)


@mistake("gru_step_forward", "b_hn")  # b_hn added to the input side (b_n + b_hn outside r)
def h_gru_bhn_twice(x, h_prev, Wx, Wh, b, b_hn):
    H = h_prev.shape[1]
    ax, ah = x @ Wx + b, h_prev @ Wh
    r, z = _sig(ax[:, :H] + ah[:, :H]), _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + b_hn + r * (ah[:, 2 * H:] + b_hn))
    return (1 - z) * n + z * h_prev, None


@mistake("gru_step_backward", "dWh")  # dWh from da_x (the reset gate forgotten only there)
def h_gru_dWh_from_dax(dh_next, cache):
    x, h_prev, Wx, Wh, gates, hn = cache
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    dn = dh_next * (1 - z) * (1 - n**2)
    dr = dn * hn * r * (1 - r)
    dz = dh_next * (h_prev - n) * z * (1 - z)
    da_x, da_h = np.hstack([dr, dz, dn]), np.hstack([dr, dz, dn * r])
    return (da_x @ Wx.T, da_h @ Wh.T + dh_next * z, x.T @ da_x, h_prev.T @ da_x, da_x.sum(0),
            (dn * r).sum(0))


@mistake("gru_step_backward", "dx")  # dx from da_h (r applied on the input side too)
def h_gru_dx_from_dah(dh_next, cache):
    x, h_prev, Wx, Wh, gates, hn = cache
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    dn = dh_next * (1 - z) * (1 - n**2)
    dr = dn * hn * r * (1 - r)
    dz = dh_next * (h_prev - n) * z * (1 - z)
    da_x, da_h = np.hstack([dr, dz, dn]), np.hstack([dr, dz, dn * r])
    return (da_h @ Wx.T, da_h @ Wh.T + dh_next * z, x.T @ da_x, h_prev.T @ da_h, da_x.sum(0),
            (dn * r).sum(0))
