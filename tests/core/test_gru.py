"""rnnlab.gru, what only the GRU has: the update gate that keeps the state, why b_hn
is needed, the torch mapping and its error messages (both paths where a sequence
function runs).  Gradients, step/sequence agreement and dtypes of every cell: test_cells.py."""

import numpy as np
import pytest
from cell_specs import MODULES, PATHS

from rnnlab.gradcheck import rel_error
from rnnlab.gru import (
    gru_params_from_torch,
    gru_step_backward,
    gru_step_forward,
)

N, T, D, H = 3, 5, 4, 6


def _params(rng, dtype=np.float64):
    return (
        (rng.standard_normal((D, 3 * H)) * 0.5).astype(dtype),
        (rng.standard_normal((H, 3 * H)) * 0.5).astype(dtype),
        (rng.standard_normal(3 * H) * 0.5).astype(dtype),
        (rng.standard_normal(H) * 0.5).astype(dtype),
    )


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=PATHS)
def mod(request):
    """The module with the sequence functions on one path: rnnlab.gru or rnnlab.fast."""
    return MODULES[request.param]["gru"]


def _sig(a):
    return 1 / (1 + np.exp(-a))


# --------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------


def test_update_gate_near_one_keeps_the_state(rng):
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    Wx[:, H:2 * H] = 0
    Wh[:, H:2 * H] = 0
    b[H:2 * H] = 30.0  # z = sigma(30) ~ 1
    h_next, _ = gru_step_forward(x, h_prev, Wx, Wh, b, b_hn)
    np.testing.assert_allclose(h_next, h_prev, atol=1e-9)


def test_b_hn_cannot_be_folded_into_b(rng, mod):
    # r * (h @ W_hn + b_hn) != r * (h @ W_hn) + b_hn when r != 1: the extra bias is a real parameter.
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    folded = b.copy()
    folded[2 * H:] += b_hn
    h_sep, cache = mod.gru_forward(x, h0, Wx, Wh, b, b_hn)
    h_fold, _ = mod.gru_forward(x, h0, Wx, Wh, folded, np.zeros(H))
    assert not np.allclose(h_sep, h_fold)
    # ...and they agree exactly when the reset gate is fully open (r = 1)
    b_open = b.copy()
    b_open[:H] = 40.0
    Wx[:, :H] = 0
    Wh[:, :H] = 0
    folded[:H] = 40.0
    h_sep, _ = mod.gru_forward(x, h0, Wx, Wh, b_open, b_hn)
    h_fold, _ = mod.gru_forward(x, h0, Wx, Wh, folded, np.zeros(H))
    np.testing.assert_allclose(h_sep, h_fold, atol=1e-12)


# --------------------------------------------------------------------------
# Backward: numerical gradients in float64
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# PyTorch autograd as the oracle
# --------------------------------------------------------------------------


def test_step_matches_torch_gru_cell(rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    params = gru_params_from_torch(
        *(getattr(cell, n).detach().numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    )
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    h_t = cell(torch.from_numpy(x), torch.from_numpy(h_prev))
    h_next, _ = gru_step_forward(x, h_prev, *params)
    assert rel_error(h_next, h_t.detach().numpy()) < 1e-12


def test_params_from_torch_mapping(rng):
    w_ih, w_hh = rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H))
    b_ih, b_hh = rng.standard_normal(3 * H), rng.standard_normal(3 * H)
    Wx, Wh, b, b_hn = gru_params_from_torch(w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_array_equal(Wx, w_ih.T)
    np.testing.assert_array_equal(Wh, w_hh.T)
    np.testing.assert_array_equal(b[:2 * H], b_ih[:2 * H] + b_hh[:2 * H])
    np.testing.assert_array_equal(b[2 * H:], b_ih[2 * H:])
    np.testing.assert_array_equal(b_hn, b_hh[2 * H:])
    with pytest.raises(ValueError, match=r"bias_hh must have shape \(3H,\) = \(18,\), got \(6,\)"):
        gru_params_from_torch(w_ih, w_hh, b_ih, b_hh[:H])


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------


def test_mixed_dtypes_raise_type_error(rng, mod):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    with pytest.raises(TypeError, match=r"gru_forward: all arrays must share one float dtype.*b_hn=float32"):
        mod.gru_forward(x, h0, Wx, Wh, b, b_hn.astype(np.float32))
    with pytest.raises(TypeError, match=r"gru_step_forward: all arrays must share one float dtype.*x=float32"):
        gru_step_forward(x[:, 0].astype(np.float32), h0, Wx, Wh, b, b_hn)
    _, cache = mod.gru_forward(x, h0, Wx, Wh, b, b_hn)
    with pytest.raises(TypeError, match=r"gru_backward: all arrays must share one float dtype.*dh=float32"):
        mod.gru_backward(np.zeros((N, T, H), np.float32), cache)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("change, exc, message", [
    (dict(x=np.zeros((N, D))), ValueError, r"gru_forward: x must be 3-D with shape \(N, T, D\), got shape \(3, 4\)"),
    (dict(x=np.zeros((0, T, D))), ValueError, r"gru_forward: x must not be empty"),
    (dict(x=[[[1.0]]]), TypeError, r"gru_forward: x must be a numpy array"),
    (dict(Wx=np.zeros((D, 4 * H))), ValueError, r"gru_forward: Wx must have shape \(D, 3H\) = \(4, 18\), got \(4, 24\)"),
    (dict(Wh=np.zeros((3 * H, H))), ValueError, r"gru_forward: Wh must have shape \(H, 3H\) = \(18, 54\), got \(18, 6\)"),
    (dict(b=np.zeros(H)), ValueError, r"gru_forward: b must have shape \(3H,\) = \(18,\), got \(6,\)"),
    (dict(b_hn=np.zeros(3 * H)), ValueError, r"gru_forward: b_hn must have shape \(H,\) = \(6,\), got \(18,\)"),
    (dict(b_hn=None), TypeError, r"gru_forward: b_hn must be a numpy array"),
    (dict(h0=np.zeros((N, H + 1))), ValueError, r"gru_forward: h0 must have shape \(N, H\) = \(3, 6\), got \(3, 7\)"),
])
def test_forward_rejects_bad_input(rng, change, exc, message, mod):
    Wx, Wh, b, b_hn = _params(rng)
    args = dict(x=np.zeros((N, T, D)), h0=np.zeros((N, H)), Wx=Wx, Wh=Wh, b=b, b_hn=b_hn)
    with pytest.raises(exc, match=message):
        mod.gru_forward(**{**args, **change})


def test_step_and_backward_reject_bad_input(rng, mod):
    params = _params(rng)
    x, h = np.zeros((N, D)), np.zeros((N, H))
    with pytest.raises(ValueError, match=r"gru_step_forward: h_prev must have shape \(N, H\) = \(3, 6\), got \(2, 6\)"):
        gru_step_forward(x, np.zeros((2, H)), *params)
    _, cache = gru_step_forward(x, h, *params)
    with pytest.raises(ValueError, match=r"gru_step_backward: dh_next must have shape \(N, H\) = \(3, 6\), got \(6,\)"):
        gru_step_backward(np.zeros(H), cache)
    _, cache = mod.gru_forward(np.zeros((N, T, D)), h, *params)
    with pytest.raises(ValueError, match=r"gru_backward: dh must have shape \(N, T, H\) = \(3, 5, 6\), got \(3, 6\)"):
        mod.gru_backward(h, cache)
