"""rnnlab.lstm: gradients against numerical differences (float64) and torch autograd,
the step/sequence agreement, the additive cell-state path, dtypes and bad input."""

import numpy as np
import pytest

from rnnlab.gradcheck import numerical_gradient, rel_error
from rnnlab.layers import rnn_backward, rnn_forward
from rnnlab.lstm import (
    lstm_backward,
    lstm_backward_state,
    lstm_forward,
    lstm_params_from_torch,
    lstm_step_backward,
    lstm_step_forward,
)

N, T, D, H = 3, 5, 4, 6


def _params(rng, dtype=np.float64, D=D, H=H):
    return (
        (rng.standard_normal((D, 4 * H)) * 0.5).astype(dtype),
        (rng.standard_normal((H, 4 * H)) * 0.5).astype(dtype),
        (rng.standard_normal(4 * H) * 0.5).astype(dtype),
    )


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --------------------------------------------------------------------------
# Forward: the equations, piece by piece
# --------------------------------------------------------------------------


def _sig(a):
    return 1 / (1 + np.exp(-a))


def test_step_forward_follows_the_gate_equations(rng):
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    h_next, c_next, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
    assert rel_error(c_next, f * c_prev + i * g) < 1e-12, "c_next = f * c_prev + i * g, blocks [i, f, g, o]"
    assert rel_error(h_next, o * np.tanh(c_next)) < 1e-12, "h_next = o * tanh(c_next)"


def test_open_forget_gate_and_closed_input_gate_keep_the_memory(rng):
    # f = sigma(+30) ~ 1, i = sigma(-30) ~ 0: the cell copies c_prev, whatever x and h say.
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, _ = _params(rng)
    Wx[:, :2 * H] = 0
    Wh[:, :2 * H] = 0
    b = np.zeros(4 * H)
    b[:H], b[H:2 * H] = -30.0, 30.0
    _, c_next, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    np.testing.assert_allclose(c_next, c_prev, atol=1e-9)


def test_sequence_forward_equals_repeated_steps(rng):
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    h_t, c_t = h0, c0
    for t in range(T):
        h_t, c_t, _ = lstm_step_forward(x[:, t], h_t, c_t, Wx, Wh, b)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cache.c[:, t], c_t, rtol=1e-12, atol=1e-14)


def test_c0_defaults_to_zeros(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    h_default, _ = lstm_forward(x, h0, Wx, Wh, b)
    h_zero, _ = lstm_forward(x, h0, Wx, Wh, b, np.zeros((N, H)))
    h_other, _ = lstm_forward(x, h0, Wx, Wh, b, np.ones((N, H)))
    np.testing.assert_array_equal(h_default, h_zero)
    assert not np.allclose(h_default, h_other)


def test_carrying_h_and_c_across_two_windows_equals_one_pass(rng):
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    h_full, _ = lstm_forward(x, h0, Wx, Wh, b, c0)
    h1, cache1 = lstm_forward(x[:, :2], h0, Wx, Wh, b, c0)
    h2, _ = lstm_forward(x[:, 2:], h1[:, -1], Wx, Wh, b, cache1.c[:, -1])
    np.testing.assert_allclose(np.concatenate([h1, h2], axis=1), h_full, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------
# Backward: numerical gradients in float64
# --------------------------------------------------------------------------


def test_step_backward_matches_numerical_gradient(rng):
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    args = dict(x=x, h_prev=h_prev, c_prev=c_prev, Wx=Wx, Wh=Wh, b=b)
    _, _, cache = lstm_step_forward(**args)
    grads = dict(zip(["x", "h_prev", "c_prev", "Wx", "Wh", "b"], lstm_step_backward(dh, dc, cache)))

    def loss(name, value):
        h_next, c_next, _ = lstm_step_forward(**{**args, name: value})
        return np.sum(h_next * dh) + np.sum(c_next * dc)

    for name, value in args.items():
        num = numerical_gradient(lambda v, name=name: loss(name, v), value)
        assert rel_error(num, grads[name]) < 1e-7, name


def test_sequence_backward_matches_numerical_gradient(rng):
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    dh, dc_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    args = dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b, c0=c0)
    _, cache = lstm_forward(**args)
    grads = dict(zip(["x", "h0", "c0", "Wx", "Wh", "b"], lstm_backward_state(dh, cache, dc_last)))

    def loss(name, value):
        h, cache = lstm_forward(**{**args, name: value})
        return np.sum(h * dh) + np.sum(cache.c[:, -1] * dc_last)  # c_T read by a later window

    for name, value in args.items():
        num = numerical_gradient(lambda v, name=name: loss(name, v), value)
        assert rel_error(num, grads[name]) < 1e-7, name


def test_lstm_backward_is_lstm_backward_state_without_dc0(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    dh = rng.standard_normal((N, T, H))
    _, cache = lstm_forward(x, h0, Wx, Wh, b)
    short = lstm_backward(dh, cache)
    full = lstm_backward_state(dh, cache)
    assert len(short) == 5
    for a, b_ in zip(short, full[:2] + full[3:]):
        np.testing.assert_array_equal(a, b_)


def test_sequence_backward_equals_chained_step_backwards(rng):
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    dh = rng.standard_normal((N, T, H))
    _, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    dx, dh0, dc0, dWx, dWh, db = lstm_backward_state(dh, cache)
    caches, h_t, c_t = [], h0, c0
    for t in range(T):
        h_t, c_t, step_cache = lstm_step_forward(x[:, t], h_t, c_t, Wx, Wh, b)
        caches.append(step_cache)
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    sums = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, *dW = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-10, atol=1e-12)
        sums = [s + d for s, d in zip(sums, dW)]
    for got, want in zip((dh0, dc0, dWx, dWh, db), (dh_next, dc_next, *sums)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_cell_state_path_keeps_the_gradient_where_the_vanilla_cell_loses_it(rng):
    # With the forget gate held open (bias +20) the gradient on c_0 from a loss on c_T
    # arrives whole after T = 60 steps: dc_{t-1} = dc_t * f_t, nothing else.  (Wh = 0 removes
    # the second route, c_t -> h_t -> gates at t+1, so the additive path is seen alone.)
    # The vanilla cell's dh0 from a loss on h_T, through 60 Jacobians, vanishes.
    T_long, Hs = 60, 4
    x = rng.standard_normal((1, T_long, 2))
    Wx, Wh, b = _params(rng, D=2, H=Hs)
    Wx[:, Hs:2 * Hs] = 0
    Wh[:] = 0
    b[Hs:2 * Hs] = 20.0
    _, cache = lstm_forward(x, np.zeros((1, Hs)), Wx, Wh, b)
    dc_last = np.ones((1, Hs))
    _, _, dc0, _, _, _ = lstm_backward_state(np.zeros((1, T_long, Hs)), cache, dc_last)
    np.testing.assert_allclose(dc0, dc_last, rtol=1e-6)

    Wx_r, Wh_r = rng.standard_normal((2, Hs)) * 0.5, rng.standard_normal((Hs, Hs)) * 0.5
    h, rcache = rnn_forward(x, np.zeros((1, Hs)), Wx_r, Wh_r, np.zeros(Hs))
    dh = np.zeros_like(h)
    dh[:, -1] = 1
    _, dh0, _, _, _ = rnn_backward(dh, rcache)
    assert np.abs(dh0).max() < 1e-6


# --------------------------------------------------------------------------
# PyTorch autograd as the oracle
# --------------------------------------------------------------------------


def test_matches_torch_lstm_outputs_and_every_gradient(rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # non-zero biases so a wrong bias mapping shows
        lstm.bias_ih_l0.copy_(torch.from_numpy(rng.standard_normal(4 * H)))
        lstm.bias_hh_l0.copy_(torch.from_numpy(rng.standard_normal(4 * H)))
    Wx, Wh, b = lstm_params_from_torch(
        *(getattr(lstm, n).detach().numpy() for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    )
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dh, dc_last = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    c0t = torch.tensor(c0[None], requires_grad=True)
    out, (hT, cT) = lstm(xt, (h0t, c0t))
    (torch.sum(out * torch.from_numpy(dh)) + torch.sum(cT[0] * torch.from_numpy(dc_last))).backward()

    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    dx, dh0, dc0, dWx, dWh, db = lstm_backward_state(dh, cache, dc_last)
    assert rel_error(h, out.detach().numpy()) < 1e-12
    assert rel_error(cache.c[:, -1], cT[0].detach().numpy()) < 1e-12
    assert rel_error(dx, xt.grad.numpy()) < 1e-10
    assert rel_error(dh0, h0t.grad[0].numpy()) < 1e-10
    assert rel_error(dc0, c0t.grad[0].numpy()) < 1e-10
    assert rel_error(dWx, lstm.weight_ih_l0.grad.numpy().T) < 1e-10
    assert rel_error(dWh, lstm.weight_hh_l0.grad.numpy().T) < 1e-10
    # torch's two biases are added, so each receives the same gradient: our db
    assert rel_error(db, lstm.bias_ih_l0.grad.numpy()) < 1e-10
    assert rel_error(db, lstm.bias_hh_l0.grad.numpy()) < 1e-10


def test_step_matches_torch_lstm_cell(rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    Wx, Wh, b = lstm_params_from_torch(
        *(getattr(cell, n).detach().numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    )
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h_t, c_t = cell(torch.from_numpy(x), (torch.from_numpy(h_prev), torch.from_numpy(c_prev)))
    h_next, c_next, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    assert rel_error(h_next, h_t.detach().numpy()) < 1e-12
    assert rel_error(c_next, c_t.detach().numpy()) < 1e-12


def test_params_from_torch_is_transpose_and_bias_sum(rng):
    w_ih, w_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
    Wx, Wh, b = lstm_params_from_torch(w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_array_equal(Wx, w_ih.T)
    np.testing.assert_array_equal(Wh, w_hh.T)
    np.testing.assert_array_equal(b, b_ih + b_hh)
    with pytest.raises(ValueError, match=r"weight_hh must have shape \(4H, H\)"):
        lstm_params_from_torch(w_ih, w_hh.T, b_ih, b_hh)


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------


def test_float32_stays_float32(rng):
    f32 = np.float32
    x, h0, c0 = (rng.standard_normal(s).astype(f32) for s in ((N, T, D), (N, H), (N, H)))
    Wx, Wh, b = _params(rng, f32)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    assert h.dtype == f32 and cache.c.dtype == f32
    grads = lstm_backward_state(rng.standard_normal((N, T, H)).astype(f32), cache)
    assert all(g.dtype == f32 for g in grads)
    h_s, c_s, step_cache = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    assert h_s.dtype == f32 and c_s.dtype == f32
    assert all(g.dtype == f32 for g in lstm_step_backward(h_s, c_s, step_cache))
    # and it computes the same thing as float64, to float32 precision
    h64, _ = lstm_forward(*(a.astype(np.float64) for a in (x, h0, Wx, Wh, b, c0)))
    assert rel_error(h, h64) < 1e-5


def test_mixed_dtypes_raise_type_error(rng):
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    with pytest.raises(TypeError, match=r"lstm_forward: all arrays must share one float dtype.*c0=float32"):
        lstm_forward(x, h0, Wx, Wh, b, c0.astype(np.float32))
    with pytest.raises(TypeError, match=r"lstm_step_forward: all arrays must share one float dtype.*Wx=float32"):
        lstm_step_forward(x[:, 0], h0, c0, Wx.astype(np.float32), Wh, b)
    _, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    with pytest.raises(TypeError, match=r"lstm_backward: all arrays must share one float dtype.*dh=float32"):
        lstm_backward(np.zeros((N, T, H), np.float32), cache)


# --------------------------------------------------------------------------
# Bad input: the message names the function, the argument and the shapes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("change, exc, message", [
    (dict(x=np.zeros((N, D))), ValueError, r"lstm_forward: x must be 3-D with shape \(N, T, D\), got shape \(3, 4\)"),
    (dict(x=np.zeros((N, 0, D))), ValueError, r"lstm_forward: x must not be empty"),
    (dict(x=[[[1.0]]]), TypeError, r"lstm_forward: x must be a numpy array"),
    (dict(x=np.zeros((N, T, D), dtype=int)), TypeError, r"lstm_forward: x must have dtype float32 or float64"),
    (dict(Wx=np.zeros((D, H))), ValueError, r"lstm_forward: Wx must have shape \(D, 4H\) = \(4, 24\), got \(4, 6\)"),
    (dict(Wh=np.zeros((4 * H, H))), ValueError, r"lstm_forward: Wh must have shape \(H, 4H\) = \(24, 96\), got \(24, 6\)"),
    (dict(b=np.zeros(H)), ValueError, r"lstm_forward: b must have shape \(4H,\) = \(24,\), got \(6,\)"),
    (dict(h0=np.zeros((N + 1, H))), ValueError, r"lstm_forward: h0 must have shape \(N, H\) = \(3, 6\), got \(4, 6\)"),
    (dict(c0=np.zeros((N, H + 1))), ValueError, r"lstm_forward: c0 must have shape \(N, H\) = \(3, 6\), got \(3, 7\)"),
])
def test_forward_rejects_bad_input(rng, change, exc, message):
    Wx, Wh, b = _params(rng)
    args = dict(x=np.zeros((N, T, D)), h0=np.zeros((N, H)), Wx=Wx, Wh=Wh, b=b, c0=np.zeros((N, H)))
    with pytest.raises(exc, match=message):
        lstm_forward(**{**args, **change})


def test_step_functions_reject_bad_input(rng):
    Wx, Wh, b = _params(rng)
    x, h, c = np.zeros((N, D)), np.zeros((N, H)), np.zeros((N, H))
    with pytest.raises(ValueError, match=r"lstm_step_forward: x must be 2-D with shape \(N, D\)"):
        lstm_step_forward(np.zeros((N, 1, D)), h, c, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"lstm_step_forward: c_prev must have shape \(N, H\) = \(3, 6\), got \(6,\)"):
        lstm_step_forward(x, h, np.zeros(H), Wx, Wh, b)
    _, _, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"lstm_step_backward: dc_next must have shape \(N, H\) = \(3, 6\), got \(3, 5\)"):
        lstm_step_backward(h, np.zeros((N, H - 1)), cache)


def test_backward_rejects_bad_input(rng):
    Wx, Wh, b = _params(rng)
    _, cache = lstm_forward(np.zeros((N, T, D)), np.zeros((N, H)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"lstm_backward: dh must have shape \(N, T, H\) = \(3, 5, 6\), got \(3, 6\)"):
        lstm_backward(np.zeros((N, H)), cache)
    with pytest.raises(ValueError, match=r"lstm_backward: dc_last must have shape \(N, H\) = \(3, 6\), got \(3, 5, 6\)"):
        lstm_backward_state(np.zeros((N, T, H)), cache, np.zeros((N, T, H)))
