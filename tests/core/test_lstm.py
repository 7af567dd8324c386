"""rnnlab.lstm, what only the LSTM has: the memory kept by an open forget gate, the
additive cell-state path for gradients, c0, lstm_backward vs lstm_backward_state,
the torch mapping, and its error messages (both paths where a sequence function runs).
Gradients, step/sequence agreement and dtypes of every cell: test_cells.py."""

import numpy as np
import pytest
from cell_specs import MODULES, PATHS

from rnnlab.gradcheck import rel_error
from rnnlab.layers import rnn_backward, rnn_forward
from rnnlab.lstm import (
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


@pytest.fixture(params=PATHS)
def mod(request):
    """The module with the sequence functions on one path: rnnlab.lstm or rnnlab.fast."""
    return MODULES[request.param]["lstm"]


# --------------------------------------------------------------------------
# Forward: the equations, piece by piece
# --------------------------------------------------------------------------


def _sig(a):
    return 1 / (1 + np.exp(-a))


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


def test_c0_defaults_to_zeros(rng, mod):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    h_default, _ = mod.lstm_forward(x, h0, Wx, Wh, b)
    h_zero, _ = mod.lstm_forward(x, h0, Wx, Wh, b, np.zeros((N, H)))
    h_other, _ = mod.lstm_forward(x, h0, Wx, Wh, b, np.ones((N, H)))
    np.testing.assert_array_equal(h_default, h_zero)
    assert not np.allclose(h_default, h_other)


# --------------------------------------------------------------------------
# Backward: numerical gradients in float64
# --------------------------------------------------------------------------


def test_lstm_backward_is_lstm_backward_state_without_dc0(rng, mod):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    dh = rng.standard_normal((N, T, H))
    _, cache = mod.lstm_forward(x, h0, Wx, Wh, b)
    short = mod.lstm_backward(dh, cache)
    full = mod.lstm_backward_state(dh, cache)
    assert len(short) == 5
    for a, b_ in zip(short, full[:2] + full[3:]):
        np.testing.assert_array_equal(a, b_)


def test_cell_state_path_keeps_the_gradient_where_the_vanilla_cell_loses_it(rng, mod):
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
    _, cache = mod.lstm_forward(x, np.zeros((1, Hs)), Wx, Wh, b)
    dc_last = np.ones((1, Hs))
    _, _, dc0, _, _, _ = mod.lstm_backward_state(np.zeros((1, T_long, Hs)), cache, dc_last)
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


def test_mixed_dtypes_raise_type_error(rng, mod):
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _params(rng)
    with pytest.raises(TypeError, match=r"lstm_forward: all arrays must share one float dtype.*c0=float32"):
        mod.lstm_forward(x, h0, Wx, Wh, b, c0.astype(np.float32))
    with pytest.raises(TypeError, match=r"lstm_step_forward: all arrays must share one float dtype.*Wx=float32"):
        lstm_step_forward(x[:, 0], h0, c0, Wx.astype(np.float32), Wh, b)
    _, cache = mod.lstm_forward(x, h0, Wx, Wh, b, c0)
    with pytest.raises(TypeError, match=r"lstm_backward: all arrays must share one float dtype.*dh=float32"):
        mod.lstm_backward(np.zeros((N, T, H), np.float32), cache)


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
def test_forward_rejects_bad_input(rng, change, exc, message, mod):
    Wx, Wh, b = _params(rng)
    args = dict(x=np.zeros((N, T, D)), h0=np.zeros((N, H)), Wx=Wx, Wh=Wh, b=b, c0=np.zeros((N, H)))
    with pytest.raises(exc, match=message):
        mod.lstm_forward(**{**args, **change})


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


def test_backward_rejects_bad_input(rng, mod):
    Wx, Wh, b = _params(rng)
    _, cache = mod.lstm_forward(np.zeros((N, T, D)), np.zeros((N, H)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"lstm_backward: dh must have shape \(N, T, H\) = \(3, 5, 6\), got \(3, 6\)"):
        mod.lstm_backward(np.zeros((N, H)), cache)
    with pytest.raises(ValueError, match=r"lstm_backward: dc_last must have shape \(N, H\) = \(3, 6\), got \(3, 5, 6\)"):
        mod.lstm_backward_state(np.zeros((N, T, H)), cache, np.zeros((N, T, H)))
