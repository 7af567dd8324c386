"""Deliberately wrong student solutions (the bug zoo) and correct alternative solutions.

Each mutant is what a student might hand in; tests/classroom/test_checks.py asserts that
the matching checker fails it with the right diagnosis.  The comment above each
mutant names the seed transcript (/work/shared/seeds/) its mistake comes from.
The correct variants compute the right values in a different way from rnnlab,
to show that the checkers compare values, not code.

All functions use the course convention: x (N, D) or (N, T, D), h (N, H),
Wx (D, H), Wh (H, H), b (H,), scores (N, T, V); for the LSTM Wx (D, 4H), Wh (H, 4H),
b (4H,) in blocks [i, f, g, o].  No seed has an LSTM, so the LSTM mutants' comments
say what they get wrong (and the seed a habit comes from, where one does).
"""

import numpy as np

# --------------------------------------------------------------------------
# rnn_step_forward(x, h_prev, Wx, Wh, b) -> (h_next, cache)
# --------------------------------------------------------------------------


# DeepLearning.AI C5W1 public_tests style: the bias is forgotten
def fwd_missing_bias(x, h_prev, Wx, Wh, b):
    h = np.tanh(x @ Wx + h_prev @ Wh)
    return h, None


# seed 001 (column layout `Whh @ h` carried into row layout): Wh used transposed
def fwd_transposed_Wh(x, h_prev, Wx, Wh, b):
    h = np.tanh(x @ Wx + h_prev @ Wh.T + b)
    return h, None


# seed 003 (a layered net with no memory): the recurrent term is left out
def fwd_missing_recurrent(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + b), None


# seed 001 (y_hat returned as raw logits; here the hidden layer skips its nonlinearity)
def fwd_no_tanh(x, h_prev, Wx, Wh, b):
    return x @ Wx + h_prev @ Wh + b, None


# not from a seed: a float64 buffer silently upcasts float32 inputs
def fwd_upcasts(x, h_prev, Wx, Wh, b):
    out = np.zeros((x.shape[0], Wx.shape[1]))
    out[:] = np.tanh(x @ Wx + h_prev @ Wh + b)
    return out, None


# seed 000 (`return hidden_state, y_hat if ... else hidden_state`): returns h alone
def fwd_returns_only_h(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)


# not from a seed: Wx transposed, which the shapes catch (an exception to report)
def fwd_transposed_Wx(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx.T + h_prev @ Wh + b), None


# --------------------------------------------------------------------------
# rnn_step_backward(dh_next, cache) -> (dx, dh_prev, dWx, dWh, db)
# --------------------------------------------------------------------------


def _step_grads(da, x, h_prev, Wx, Wh):
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


# seed 001: `Whh @ dnext_h` misses the transpose on the recurrent weights
def step_bwd_missing_transpose(dh_next, cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    da = dh_next * (1 - h_next**2)
    dx, _, dWx, dWh, db = _step_grads(da, x, h_prev, Wx, Wh)
    return dx, da @ Wh, dWx, dWh, db


# seed 000 (`dL_dWhh += dL_dtanh @ hidden_state_prev.T`, column layout) in row layout: dWh transposed
def step_bwd_dWh_transposed(dh_next, cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    da = dh_next * (1 - h_next**2)
    dx, dh_prev, dWx, dWh, db = _step_grads(da, x, h_prev, Wx, Wh)
    return dx, dh_prev, dWx, dWh.T, db


def _make_accumulating_step_backward():
    # seed 001: self.gradients[...] += ... and the sums are never reset between calls
    state = {}

    def step_bwd_accumulates(dh_next, cache):
        x, h_prev, Wx, Wh, h_next, _ = cache
        da = dh_next * (1 - h_next**2)
        dx, dh_prev, dWx, dWh, db = _step_grads(da, x, h_prev, Wx, Wh)
        for k, g in (("dWx", dWx), ("dWh", dWh), ("db", db)):
            if k in state and state[k].shape == g.shape:
                state[k] += g
            else:
                state[k] = g.copy()
        return dx, dh_prev, state["dWx"].copy(), state["dWh"].copy(), state["db"].copy()

    return step_bwd_accumulates


step_bwd_accumulates = _make_accumulating_step_backward()


# seed 001 (dL_d_h_ used without its tanh factor): the tanh derivative is skipped
def step_bwd_no_tanh_derivative(dh_next, cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    return _step_grads(dh_next, x, h_prev, Wx, Wh)


# seed 001 (`dy = y - y_hat`): every gradient with the wrong sign
def step_bwd_sign_flip(dh_next, cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    da = -dh_next * (1 - h_next**2)
    return _step_grads(da, x, h_prev, Wx, Wh)


# seed 001 (`self.gradients["bh"] += dL_d_h_`, no sum over the batch): db keeps the batch axis
def step_bwd_db_not_summed(dh_next, cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    da = dh_next * (1 - h_next**2)
    dx, dh_prev, dWx, dWh, _ = _step_grads(da, x, h_prev, Wx, Wh)
    return dx, dh_prev, dWx, dWh, da


# seed 004 (sigmoid derivative h*(1-h) written for tanh): applying tanh' to tanh(h_next)
def step_bwd_tanh_twice(dh_next, cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    da = dh_next * (1 - np.tanh(h_next) ** 2)
    return _step_grads(da, x, h_prev, Wx, Wh)


# not from a seed: gradient buffers created with np.zeros(shape) are float64
def step_bwd_upcasts(dh_next, cache):
    x, h_prev, Wx, Wh, h_next, _ = cache
    da = np.zeros(dh_next.shape)
    da[:] = dh_next * (1 - h_next**2)
    return _step_grads(da, x, h_prev, Wx, Wh)


# --------------------------------------------------------------------------
# rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db); cache from rnnlab.rnn_forward
# --------------------------------------------------------------------------


def _bptt(dh, cache, *, order="backward", carry=True, transpose=True, read_reversed=False,
          dWh_transposed=False, scale=1.0, in_place=False):
    """A loop BPTT with switches for each mistake (all off = a correct loop version)."""
    x, h0, Wx, Wh, h, _ = cache
    N, T, D = x.shape
    H = h.shape[2]
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, dtype=x.dtype)
    dh_next = np.zeros((N, H), dtype=x.dtype)
    steps = reversed(range(T)) if order == "backward" else range(T)
    for t in steps:
        h_prev = h0 if t == 0 else h[:, t - 1]
        upstream = dh[:, T - 1 - t] if read_reversed else dh[:, t]
        if in_place:
            dh[:, t] += dh_next  # changes the caller's array
            da = dh[:, t] * (1 - h[:, t] ** 2)
        else:
            da = ((upstream + dh_next) if carry else upstream) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += (da.T @ h_prev) if dWh_transposed else (h_prev.T @ da)
        db += da.sum(axis=0)
        dh_next = da @ (Wh.T if transpose else Wh)
    return dx * scale, dh_next * scale, dWx * scale, dWh * scale, db * scale


# seed 000 (`bptt` loops with the caches reversed but reads the targets forward): dh read in reversed order
def bptt_reads_dh_reversed(dh, cache):
    return _bptt(dh, cache, read_reversed=True)


# seed 000 / 003 (time direction confused): the loop runs forward in time
def bptt_forward_loop(dh, cache):
    return _bptt(dh, cache, order="forward")


# seed 001 (`dnext_h` carries the wrong quantity): the gradient from later steps is forgotten
def bptt_no_later_gradient(dh, cache):
    return _bptt(dh, cache, carry=False)


# seed 001: `Whh @ dnext_h` misses the transpose
def bptt_missing_transpose(dh, cache):
    return _bptt(dh, cache, transpose=False)


# seed 000 (column-layout `dL_dtanh @ hidden_state_prev.T` in row layout): dWh transposed
def bptt_dWh_transposed(dh, cache):
    return _bptt(dh, cache, dWh_transposed=True)


def _make_accumulating_bptt():
    # seed 001: gradients accumulate across calls and are never reset
    sums = {}

    def bptt_accumulates(dh, cache):
        dx, dh0, dWx, dWh, db = _bptt(dh, cache)
        for k, g in (("dWx", dWx), ("dWh", dWh), ("db", db)):
            sums[k] = sums[k] + g if k in sums and sums[k].shape == g.shape else g
        return dx, dh0, sums["dWx"], sums["dWh"], sums["db"]

    return bptt_accumulates


bptt_accumulates = _make_accumulating_bptt()


# seed 004 (`dh_next += dh[:, t-1, :]`, in place): here the carried gradient is added into dh itself
def bptt_mutates_dh(dh, cache):
    return _bptt(dh, cache, in_place=True)


# seed 004 (loss divided by N at every step): the gradients divided by T
def bptt_divides_by_T(dh, cache):
    return _bptt(dh, cache, scale=1.0 / dh.shape[1])


# --------------------------------------------------------------------------
# temporal_softmax_loss(scores, y, mask=None) -> (loss, dscores)
# --------------------------------------------------------------------------


def _stable_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _loss_parts(scores, y, mask):
    N, T, V = scores.shape
    w = np.ones((N, T), dtype=scores.dtype) if mask is None else mask.astype(scores.dtype)
    onehot = np.eye(V, dtype=scores.dtype)[y]
    return N, T, V, w, onehot


# seed 001 (`dy = y - y_hat`): the gradient with the wrong sign
def loss_sign_flip(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    p = _stable_softmax(scores)
    loss = -(w * np.log((p * onehot).sum(-1))).sum() / w.sum()
    return loss, (onehot - p) * (w / w.sum())[..., None]


# seed 001 (`y_hat` are raw logits, no softmax)
def loss_raw_logits(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    with np.errstate(invalid="ignore"):
        loss = -(w * np.log((scores * onehot).sum(-1))).sum() / w.sum()
    return loss, (scores - onehot) * (w / w.sum())[..., None]


# seed 000 (probabilities fed into CrossEntropyLoss, a second softmax)
def loss_double_softmax(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    p2 = _stable_softmax(_stable_softmax(scores))
    loss = -(w * np.log((p2 * onehot).sum(-1))).sum() / w.sum()
    return loss, (p2 - onehot) * (w / w.sum())[..., None]


# seed 004 (the printed loss divides by N twice): loss N times too small, gradient right
def loss_divided_by_N_twice(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    p = _stable_softmax(scores)
    loss = -(w * np.log((p * onehot).sum(-1))).sum() / w.sum() / N
    return loss, (p - onehot) * (w / w.sum())[..., None]


# seed 004 (`loss = ... / N`, `dtheta /= N`): a mean over the batch only, summed over time
def loss_mean_over_N_only(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    p = _stable_softmax(scores)
    loss = -(w * np.log((p * onehot).sum(-1))).sum() / N
    return loss, (p - onehot) * (w / N)[..., None]


# seed 000 / min-char-rnn (a summed loss that grows with the window): summed instead of mean
def loss_summed(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    p = _stable_softmax(scores)
    loss = -(w * np.log((p * onehot).sum(-1))).sum()
    return loss, (p - onehot) * w[..., None]


# seed 004 (`np.exp(theta) / np.sum(np.exp(theta))`): softmax without max subtraction overflows
def loss_no_max_subtraction(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    e = np.exp(scores)
    p = e / e.sum(-1, keepdims=True)
    loss = -(w * np.log((p * onehot).sum(-1))).sum() / w.sum()
    return loss, (p - onehot) * (w / w.sum())[..., None]


# seed 004 (the softmax that shifts by the max in place): the caller's scores are changed
def loss_mutates_scores(scores, y, mask=None):
    scores -= scores.max(axis=-1, keepdims=True)
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    p = _stable_softmax(scores)
    loss = -(w * np.log((p * onehot).sum(-1))).sum() / w.sum()
    return loss, (p - onehot) * (w / w.sum())[..., None]


# seed 004 (the mask multiplies the loss but the mean still counts all positions)
def loss_mask_wrong_count(scores, y, mask=None):
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    p = _stable_softmax(scores)
    loss = -(w * np.log((p * onehot).sum(-1))).sum() / (N * T)
    return loss, (p - onehot) * (w / (N * T))[..., None]


# --------------------------------------------------------------------------
# numerical_gradient(f, x, df=None, eps=1e-5) -> grad
# --------------------------------------------------------------------------


def _numgrad(f, x, df=None, eps=1e-5, *, sided=2, divide=None, restore=True, use_df=True,
             use_eps=True):
    eps = eps if use_eps else 1e-5
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = np.asarray(f(x)).copy()
        x[i] = old - eps if sided == 2 else old
        fm = np.asarray(f(x)).copy()
        if restore:
            x[i] = old
        w = df if (df is not None and use_df) else np.ones_like(fp)
        denom = divide if divide is not None else (2 * eps if sided == 2 else eps)
        grad[i] = np.sum((fp - fm) * w) / denom
    return grad


# seed 004 / CS231n eval_grad done with a one-sided difference (error O(eps) instead of O(eps^2))
def numgrad_one_sided(f, x, df=None, eps=1e-5):
    return _numgrad(f, x, df, eps, sided=1)


# seed 002 (the 2 * eps of its formula dropped): divides by eps instead of 2 * eps
def numgrad_divides_by_eps(f, x, df=None, eps=1e-5):
    return _numgrad(f, x, df, eps, divide=eps)


# seed 004 (eval_grad perturbs x in place) without its restoring line
def numgrad_no_restore(f, x, df=None, eps=1e-5):
    return _numgrad(f, x, df, eps, restore=False)


# seed 004 (eval_grad multiplies by df): the upstream gradient df forgotten
def numgrad_ignores_df(f, x, df=None, eps=1e-5):
    return _numgrad(f, x, df, eps, use_df=False)


# seed 002 (`eps: float=1e-7` hard-wired): the eps argument is ignored
def numgrad_ignores_eps(f, x, df=None, eps=1e-5):
    return _numgrad(f, x, df, eps, use_eps=False)


# CS231n gradient_check weak spot (a lambda that ignores its argument): f sees the unperturbed x
def numgrad_perturbs_unused_copy(f, x, df=None, eps=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += eps
        xm = x.copy()
        xm[i] -= eps
        w = 1.0 if df is None else df
        grad[i] = np.sum((np.asarray(f(x)) - np.asarray(f(x))) * w) / (2 * eps)
    return grad


# --------------------------------------------------------------------------
# clip_grad_norm(grads, max_norm) -> total_norm before clipping
# --------------------------------------------------------------------------


# seed 004 (`np.clip(dz, -5, 5, out=dz)`, from min-char-rnn): per-entry clipping instead of the global norm
def clip_per_entry(grads, max_norm):
    total = np.sqrt(sum((g**2).sum() for g in grads.values()))
    for g in grads.values():
        np.clip(g, -max_norm, max_norm, out=g)
    return total


# not from a seed (a common reading of "clip each gradient"): each array clipped by its own norm
def clip_per_array(grads, max_norm):
    total = np.sqrt(sum((g**2).sum() for g in grads.values()))
    for g in grads.values():
        n = np.linalg.norm(g)
        if n > max_norm:
            g *= max_norm / n
    return total


# not from a seed: `g = g * scale` rebinds a local name, the caller's arrays stay unclipped
def clip_rebinds(grads, max_norm):
    total = np.sqrt(sum((g**2).sum() for g in grads.values()))
    if total > max_norm:
        for g in grads.values():
            g = g * (max_norm / total)  # noqa: F841 - the mistake
    return total


# not from a seed: returns the norm after clipping
def clip_returns_after(grads, max_norm):
    total = np.sqrt(sum((g**2).sum() for g in grads.values()))
    if total > max_norm:
        for g in grads.values():
            g *= max_norm / total
    return np.sqrt(sum((g**2).sum() for g in grads.values()))


# not from a seed: "normalise to max_norm" also scales small gradients up
def clip_scales_up(grads, max_norm):
    total = np.sqrt(sum((g**2).sum() for g in grads.values()))
    for g in grads.values():
        g *= max_norm / total
    return total


# --------------------------------------------------------------------------
# sample_with_temperature(scores, temperature, rng) -> int
# --------------------------------------------------------------------------


# seed 004 (sampling has no temperature) filled in wrongly: the temperature multiplies the scores
def sample_multiplies_temperature(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    return int(rng.choice(len(scores), p=_stable_softmax(scores * temperature)))


# seed 004 (temperature applied wrongly): probabilities divided by T, then renormalised (no effect)
def sample_temperature_on_probs(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    p = _stable_softmax(scores) / temperature
    return int(rng.choice(len(scores), p=p / p.sum()))


# seed 004 (`p = np.exp(theta) / np.sum(np.exp(theta))`): no max subtraction, overflows
def sample_no_max_subtraction(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    e = np.exp(scores / temperature)
    return int(rng.choice(len(scores), p=e / e.sum()))


# seed 004 (`np.random.choice`): the global generator, the rng argument ignored
def sample_global_random(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    return int(np.random.choice(len(scores), p=_stable_softmax(scores / temperature)))


# seed 003 / d2l weak spot (greedy-only decoding): always the argmax
def sample_greedy(scores, temperature, rng):
    return int(np.argmax(scores))


# not from a seed: `scores /= temperature` changes the caller's array
def sample_mutates_scores(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    scores /= temperature
    return int(rng.choice(len(scores), p=_stable_softmax(scores)))


# not from a seed: rng.choice(V, 1, p=...) returns an array of one index
def sample_returns_array(scores, temperature, rng):
    if temperature == 0:
        return np.array([np.argmax(scores)])
    return rng.choice(len(scores), 1, p=_stable_softmax(scores / temperature))


# --------------------------------------------------------------------------
# lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h_next, c_next, cache)
# blocks of Wx (D, 4H), Wh (H, 4H), b (4H,) in the order [i, f, g, o]
# (no seed has an LSTM: these are the usual mistakes of the first LSTM a student writes)
# --------------------------------------------------------------------------


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, *, order="ifgo", g_act=np.tanh, gate_act=_sig, out_act=np.tanh,
              update="f*c_prev + i*g"):
    """A student's step with switches for each mistake (all defaults = correct)."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
    i, f, o = gate_act(blocks["i"]), gate_act(blocks["f"]), gate_act(blocks["o"])
    g = g_act(blocks["g"])
    c_next = {"f*c_prev + i*g": f * c_prev + i * g,
              "i*c_prev + f*g": i * c_prev + f * g,
              "c_prev + i*g": c_prev + i * g}[update]
    h_next = o * out_act(c_next)
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, np.hstack([i, f, g, o]), np.tanh(c_next))


# gate order wrong: the first two blocks read as [f, i, ...] (the order of some textbooks)
def lstm_fwd_order_figo(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, order="figo")


# gate order wrong: the last two blocks read as [..., o, g] (Keras' order is [i, f, c, o]; [i, f, o, g] is
# the order of some hand-written derivations)
def lstm_fwd_order_ifog(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, order="ifog")


# the tanh of the cell state is missing on the output path: h = o * c
def lstm_fwd_no_tanh_on_c(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, out_act=lambda c: c)


# sigmoid and tanh swapped on the candidate: g = sigmoid(.), so the memory can only grow
def lstm_fwd_sigmoid_candidate(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, g_act=_sig)


# tanh used for the gates i, f, o too: gates in (-1, 1) instead of fractions in (0, 1)
def lstm_fwd_tanh_gates(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, gate_act=np.tanh)


# the forget gate applied to the candidate instead of c_prev (and i to the old memory)
def lstm_fwd_forget_on_candidate(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, update="i*c_prev + f*g")


# the forget gate left out: c = c_prev + i * g, the memory can never be erased
def lstm_fwd_no_forget(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b, update="c_prev + i*g")


# the cell state updated in place: `c_prev *= f` changes the caller's memory
def lstm_fwd_mutates_c_prev(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), _sig(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c_prev *= f
    c_prev += i * g
    return o * np.tanh(c_prev), c_prev, None


# dtype changed: a float64 buffer silently upcasts float32 inputs
def lstm_fwd_upcasts(x, h_prev, c_prev, Wx, Wh, b):
    h, c, cache = _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b)
    h64, c64 = np.zeros(h.shape), np.zeros(c.shape)
    h64[:], c64[:] = h, c
    return h64, c64, cache


# wrong number of returns: the cache forgotten
def lstm_fwd_returns_two(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b)[:2]


# seed 001's column-layout habit: Wh used transposed, which the (H, 4H) shape catches (an exception)
def lstm_fwd_transposed_Wh(x, h_prev, c_prev, Wx, Wh, b):
    return _lstm_fwd(x, h_prev, c_prev, Wx, Wh.T, b)


# the GRU habit of coupled gates: i taken as 1 - f (an unknown mistake: named by the c_prev = 0 probe)
def lstm_fwd_coupled_input_gate(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    f, o, g = _sig(a[:, H:2 * H]), _sig(a[:, 3 * H:]), np.tanh(a[:, 2 * H:3 * H])
    c_next = f * c_prev + (1 - f) * g
    return o * np.tanh(c_next), c_next, None


# f read as the fraction to forget: c = (1 - f) * c_prev + i * g (named by the g = 0 probe)
def lstm_fwd_forget_inverted(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
    c_next = (1 - f) * c_prev + i * g
    return o * np.tanh(c_next), c_next, None


# the output reads the old memory: h = o * tanh(c_prev) (c_next right, h_next wrong)
def lstm_fwd_output_from_c_prev(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    h_next, c_next, cache = _lstm_fwd(x, h_prev, c_prev, Wx, Wh, b)
    o = _sig((x @ Wx + h_prev @ Wh + b)[:, 3 * H:])
    return o * np.tanh(c_prev), c_next, cache


# --------------------------------------------------------------------------
# lstm_step_backward(dh_next, dc_next, cache) -> (dx, dh_prev, dc_prev, dWx, dWh, db)
# cache from rnnlab.lstm.lstm_step_forward: (x, h_prev, c_prev, Wx, Wh, gates, tanh_c)
# --------------------------------------------------------------------------


def _lstm_bwd(dh_next, dc_next, cache, *, order="ifgo", use_dc_next=True, h_path=True, h_path_dtanh=True,
              dc_prev_from="dc", dg_from_sigmoid=False):
    """A student's backward step with switches for each mistake (all defaults = correct); returns a dict."""
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    H = tanh_c.shape[1]
    cols = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
    i, f, g, o = (gates[:, cols[name]] for name in "ifgo")
    dc = dc_next.copy() if use_dc_next else np.zeros_like(dc_next)
    if h_path:
        dc += dh_next * o * ((1 - tanh_c**2) if h_path_dtanh else 1)
    da = np.zeros_like(gates)
    da[:, cols["i"]] = dc * g * i * (1 - i)
    da[:, cols["f"]] = dc * c_prev * f * (1 - f)
    da[:, cols["g"]] = dc * i * (g * (1 - g) if dg_from_sigmoid else 1 - g**2)
    da[:, cols["o"]] = dh_next * tanh_c * o * (1 - o)
    dc_prev = (dc if dc_prev_from == "dc" else dc_next) * f
    return dict(dx=da @ Wx.T, dh_prev=da @ Wh.T, dc_prev=dc_prev, dWx=x.T @ da, dWh=h_prev.T @ da,
                db=da.sum(axis=0), da=da)


def _lstm_out(g):
    return g["dx"], g["dh_prev"], g["dc_prev"], g["dWx"], g["dWh"], g["db"]


# forgetting the dc carried from the next step: dc_next ignored
def lstm_bwd_ignores_dc_next(dh_next, dc_next, cache):
    return _lstm_out(_lstm_bwd(dh_next, dc_next, cache, use_dc_next=False))


# forgetting the dc that comes through h_next = o * tanh(c_next): dc = dc_next only
def lstm_bwd_no_h_path_in_dc(dh_next, dc_next, cache):
    return _lstm_out(_lstm_bwd(dh_next, dc_next, cache, h_path=False))


# the total dc used for the gates, but dc_prev = dc_next * f (the h path missing from dc_prev only)
def lstm_bwd_dc_prev_from_dc_next(dh_next, dc_next, cache):
    return _lstm_out(_lstm_bwd(dh_next, dc_next, cache, dc_prev_from="dc_next"))


# the h path into dc without tanh': dc = dc_next + dh_next * o (the backward of h = o * c)
def lstm_bwd_no_tanh_grad_on_h_path(dh_next, dc_next, cache):
    return _lstm_out(_lstm_bwd(dh_next, dc_next, cache, h_path_dtanh=False))


# the candidate's derivative taken as a sigmoid's: g * (1 - g) instead of 1 - g**2
def lstm_bwd_sigmoid_grad_for_g(dh_next, dc_next, cache):
    return _lstm_out(_lstm_bwd(dh_next, dc_next, cache, dg_from_sigmoid=True))


# gate order wrong: gates (and da) sliced as [f, i, g, o]
def lstm_bwd_order_figo(dh_next, dc_next, cache):
    return _lstm_out(_lstm_bwd(dh_next, dc_next, cache, order="figo"))


# gate order wrong: gates (and da) sliced as [i, f, o, g]
def lstm_bwd_order_ifog(dh_next, dc_next, cache):
    return _lstm_out(_lstm_bwd(dh_next, dc_next, cache, order="ifog"))


# seed 001 (`Whh @ dnext_h`): the transpose on Wh missing in dh_prev; Wh is (H, 4H), so numpy raises
def lstm_bwd_dh_prev_no_transpose(dh_next, dc_next, cache):
    g = _lstm_bwd(dh_next, dc_next, cache)
    Wh = cache[4]
    return g["dx"], g["da"] @ Wh, g["dc_prev"], g["dWx"], g["dWh"], g["db"]


# seed 001 (`Whh @ dnext_h`) kept in column layout: dh_prev = Wh @ da.T, shape (H, N)
def lstm_bwd_dh_prev_column_layout(dh_next, dc_next, cache):
    g = _lstm_bwd(dh_next, dc_next, cache)
    Wh = cache[4]
    return g["dx"], Wh @ g["da"].T, g["dc_prev"], g["dWx"], g["dWh"], g["db"]


# seed 000 (`dL_dWhh += dL_dtanh @ hidden_state_prev.T`, column layout): dWh transposed, (4H, H)
def lstm_bwd_dWh_transposed(dh_next, dc_next, cache):
    g = _lstm_bwd(dh_next, dc_next, cache)
    return g["dx"], g["dh_prev"], g["dc_prev"], g["dWx"], g["da"].T @ cache[1], g["db"]


def _make_accumulating_lstm_backward():
    # seed 001: weight gradients summed into buffers that are never reset between calls
    state = {}

    def lstm_bwd_accumulates(dh_next, dc_next, cache):
        g = _lstm_bwd(dh_next, dc_next, cache)
        for k in ("dWx", "dWh", "db"):
            if k in state and state[k].shape == g[k].shape:
                state[k] += g[k]
            else:
                state[k] = g[k].copy()
        return g["dx"], g["dh_prev"], g["dc_prev"], state["dWx"].copy(), state["dWh"].copy(), state["db"].copy()

    return lstm_bwd_accumulates


lstm_bwd_accumulates = _make_accumulating_lstm_backward()


# dtype changed: da built with np.zeros(shape), float64 whatever the inputs
def lstm_bwd_upcasts(dh_next, dc_next, cache):
    g = _lstm_bwd(dh_next, dc_next, cache)
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    da = np.zeros(gates.shape)
    da[:] = g["da"]
    return da @ Wx.T, da @ Wh.T, g["dc_prev"], x.T @ da, h_prev.T @ da, da.sum(axis=0)


# inputs mutated: `dc_next += ...` adds the h path into the caller's array
def lstm_bwd_mutates_dc_next(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    o = gates[:, 3 * tanh_c.shape[1]:]
    g = _lstm_bwd(dh_next, dc_next, cache)
    dc_next += dh_next * o * (1 - tanh_c**2)
    return _lstm_out(g)


# wrong number of returns: dc_prev left out (the vanilla step's five gradients)
def lstm_bwd_returns_five(dh_next, dc_next, cache):
    g = _lstm_bwd(dh_next, dc_next, cache)
    return g["dx"], g["dh_prev"], g["dWx"], g["dWh"], g["db"]


# wrong shape of a return: db not summed over the batch, (N, 4H)
def lstm_bwd_db_not_summed(dh_next, dc_next, cache):
    g = _lstm_bwd(dh_next, dc_next, cache)
    return g["dx"], g["dh_prev"], g["dc_prev"], g["dWx"], g["dWh"], g["da"]


# sigma' forgotten on one gate: di = dc * g (an unknown mistake: the i block of db/dWx is named)
def lstm_bwd_no_sigmoid_grad_on_i(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    H = tanh_c.shape[1]
    g = _lstm_bwd(dh_next, dc_next, cache)
    da = g["da"].copy()
    o = gates[:, 3 * H:]
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    da[:, :H] = dc * gates[:, 2 * H:3 * H]
    return da @ Wx.T, da @ Wh.T, g["dc_prev"], x.T @ da, h_prev.T @ da, da.sum(axis=0)


# --------------------------------------------------------------------------
# Correct solutions written differently from rnnlab (must PASS)
# --------------------------------------------------------------------------


def ok_step_forward_loop(x, h_prev, Wx, Wh, b):
    """One row at a time, einsum instead of @."""
    h = np.empty((x.shape[0], Wx.shape[1]), dtype=x.dtype)
    for n in range(x.shape[0]):
        h[n] = np.tanh(np.einsum("d,dh->h", x[n], Wx) + np.einsum("k,kh->h", h_prev[n], Wh) + b)
    return h, (x, h_prev, Wx, Wh, h)


def ok_step_backward_factored(dh_next, cache):
    """(1 - h)(1 + h) instead of 1 - h**2, and sums written with einsum."""
    x, h_prev, Wx, Wh, h_next, _ = cache
    da = dh_next * (1 - h_next) * (1 + h_next)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh),
            np.einsum("nd,nh->dh", x, da), np.einsum("nk,nh->kh", h_prev, da), np.einsum("nh->h", da))


def ok_bptt_loop(dh, cache):
    """Per-step accumulation instead of one big matmul."""
    return _bptt(dh, cache)


def ok_loss_logsumexp(scores, y, mask=None):
    """log-sum-exp written out, with an explicit loop over positions."""
    N, T, V, w, onehot = _loss_parts(scores, y, mask)
    count = w.sum()
    loss = 0.0
    dscores = np.zeros_like(scores)
    for n in range(N):
        for t in range(T):
            if not w[n, t]:
                continue
            s = scores[n, t]
            m = s.max()
            lse = m + np.log(np.exp(s - m).sum())
            loss += (lse - s[y[n, t]]) / count
            dscores[n, t] = np.exp(s - lse) / count
            dscores[n, t, y[n, t]] -= 1 / count
    return loss, dscores


def ok_numgrad_nditer(f, x, df=None, eps=1e-5):
    """seed 004's eval_grad (CS231n): perturb x in place with nditer and restore it."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = np.asarray(f(x)).copy()
        x[i] = old - eps
        fm = np.asarray(f(x)).copy()
        x[i] = old
        grad[i] = np.sum((fp - fm) * (1.0 if df is None else df)) / (2 * eps)
        it.iternext()
    return grad


def ok_clip_reassign(grads, max_norm):
    """Replaces the dict entries instead of scaling the arrays in place."""
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    if total > max_norm:
        for k in grads:
            grads[k] = grads[k] * (max_norm / total)
    return total


def ok_sample_inverse_cdf(scores, temperature, rng):
    """Inverse-CDF sampling with rng.random(): other draws than rng.choice, same distribution."""
    if temperature == 0:
        return int(np.argmax(scores))
    z = scores / temperature
    p = np.exp(z - z.max())
    cdf = np.cumsum(p / p.sum())
    return int(min(np.searchsorted(cdf, rng.random(), side="right"), len(scores) - 1))


def ok_sample_probs_power(scores, temperature, rng):
    """softmax(scores) ** (1 / T), renormalised: the same distribution as softmax(scores / T)."""
    if temperature == 0:
        return int(np.argmax(scores))
    logp = scores - scores.max()
    logp = logp - np.log(np.exp(logp).sum())
    q = np.exp(logp / temperature)
    return int(rng.choice(len(scores), p=q / q.sum()))


def ok_lstm_forward_split_weights(x, h_prev, c_prev, Wx, Wh, b):
    """Each gate from its own slice of the weights; sigmoid written as (1 + tanh(z / 2)) / 2."""
    H = h_prev.shape[1]

    def pre(k):
        cols = slice(k * H, (k + 1) * H)
        return x @ Wx[:, cols] + h_prev @ Wh[:, cols] + b[cols]

    i, f, o = ((1 + np.tanh(pre(k) / 2)) / 2 for k in (0, 1, 3))
    g = np.tanh(pre(2))
    c_next = c_prev * f + g * i
    return o * np.tanh(c_next), c_next, None


def ok_lstm_forward_stacked(x, h_prev, c_prev, Wx, Wh, b):
    """One product of [x, h_prev] with the stacked [Wx; Wh], np.split into the four gates."""
    a = np.concatenate([x, h_prev], axis=1) @ np.concatenate([Wx, Wh], axis=0) + b
    ai, af, ag, ao = np.split(a, 4, axis=1)
    i, f, o = (1 / (1 + np.exp(-z)) for z in (ai, af, ao))
    c_next = f * c_prev + i * np.tanh(ag)
    return o * np.tanh(c_next), c_next, {"a": a}


def ok_lstm_backward_per_gate(dh_next, dc_next, cache):
    """Gate by gate with np.hstack; (1 - t)(1 + t) for tanh', weight gradients with einsum."""
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    i, f, g, o = np.split(gates, 4, axis=1)
    dc = dc_next + dh_next * o * (1 - tanh_c) * (1 + tanh_c)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g) * (1 + g),
                    dh_next * tanh_c * o * (1 - o)])
    return (np.einsum("nk,dk->nd", da, Wx), np.einsum("nk,hk->nh", da, Wh), dc * f,
            np.einsum("nd,nk->dk", x, da), np.einsum("nh,nk->hk", h_prev, da), np.einsum("nk->k", da))


def ok_lstm_backward_per_example(dh_next, dc_next, cache):
    """One example at a time with np.outer; the weight gradients start from zeros of the weights' dtype."""
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    H = tanh_c.shape[1]
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H, dtype=Wx.dtype)
    dx, dh_prev, dc_prev = np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(c_prev)
    for n in range(x.shape[0]):
        i, f, g, o = gates[n, :H], gates[n, H:2 * H], gates[n, 2 * H:3 * H], gates[n, 3 * H:]
        do = dh_next[n] * tanh_c[n]
        dc = dc_next[n] + dh_next[n] * o * (1 - tanh_c[n] ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev[n] * f * (1 - f), dc * i * (1 - g**2),
                             do * o * (1 - o)])
        dx[n], dh_prev[n], dc_prev[n] = Wx @ da, Wh @ da, dc * f
        dWx += np.outer(x[n], da)
        dWh += np.outer(h_prev[n], da)
        db += da
    return dx, dh_prev, dc_prev, dWx, dWh, db
