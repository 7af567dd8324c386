"""rnnlab.gru: gradients against numerical differences (float64) and torch autograd,
the step/sequence agreement, why b_hn is needed, dtypes and bad input."""

import numpy as np
import pytest

from rnnlab.gradcheck import numerical_gradient, rel_error
from rnnlab.gru import (
    gru_backward,
    gru_forward,
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


def _sig(a):
    return 1 / (1 + np.exp(-a))


# --------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------


def test_step_forward_follows_the_gate_equations(rng):
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    h_next, _ = gru_step_forward(x, h_prev, Wx, Wh, b, b_hn)
    ax, ah = x @ Wx + b, h_prev @ Wh
    r = _sig(ax[:, :H] + ah[:, :H])
    z = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * (ah[:, 2 * H:] + b_hn))
    assert rel_error(h_next, (1 - z) * n + z * h_prev) < 1e-12, "h = (1 - z) * n + z * h_prev, blocks [r, z, n]"


def test_update_gate_near_one_keeps_the_state(rng):
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    Wx[:, H:2 * H] = 0
    Wh[:, H:2 * H] = 0
    b[H:2 * H] = 30.0  # z = sigma(30) ~ 1
    h_next, _ = gru_step_forward(x, h_prev, Wx, Wh, b, b_hn)
    np.testing.assert_allclose(h_next, h_prev, atol=1e-9)


def test_b_hn_cannot_be_folded_into_b(rng):
    # r * (h @ W_hn + b_hn) != r * (h @ W_hn) + b_hn when r != 1: the extra bias is a real parameter.
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    folded = b.copy()
    folded[2 * H:] += b_hn
    h_sep, cache = gru_forward(x, h0, Wx, Wh, b, b_hn)
    h_fold, _ = gru_forward(x, h0, Wx, Wh, folded, np.zeros(H))
    assert not np.allclose(h_sep, h_fold)
    # ...and they agree exactly when the reset gate is fully open (r = 1)
    b_open = b.copy()
    b_open[:H] = 40.0
    Wx[:, :H] = 0
    Wh[:, :H] = 0
    folded[:H] = 40.0
    h_sep, _ = gru_forward(x, h0, Wx, Wh, b_open, b_hn)
    h_fold, _ = gru_forward(x, h0, Wx, Wh, folded, np.zeros(H))
    np.testing.assert_allclose(h_sep, h_fold, atol=1e-12)


def test_sequence_forward_equals_repeated_steps(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = _params(rng)
    h, _ = gru_forward(x, h0, *params)
    h_t = h0
    for t in range(T):
        h_t, _ = gru_step_forward(x[:, t], h_t, *params)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-14)


def test_carrying_h_across_two_windows_equals_one_pass(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = _params(rng)
    h_full, _ = gru_forward(x, h0, *params)
    h1, _ = gru_forward(x[:, :3], h0, *params)
    h2, _ = gru_forward(x[:, 3:], h1[:, -1], *params)
    np.testing.assert_allclose(np.concatenate([h1, h2], axis=1), h_full, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------
# Backward: numerical gradients in float64
# --------------------------------------------------------------------------


def test_step_backward_matches_numerical_gradient(rng):
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    dh = rng.standard_normal((N, H))
    args = dict(x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, b=b, b_hn=b_hn)
    _, cache = gru_step_forward(**args)
    grads = dict(zip(args, gru_step_backward(dh, cache)))
    for name, value in args.items():
        num = numerical_gradient(lambda v, name=name: gru_step_forward(**{**args, name: v})[0], value, dh)
        assert rel_error(num, grads[name]) < 1e-7, name


def test_sequence_backward_matches_numerical_gradient(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    dh = rng.standard_normal((N, T, H))
    args = dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b, b_hn=b_hn)
    _, cache = gru_forward(**args)
    grads = dict(zip(args, gru_backward(dh, cache)))
    for name, value in args.items():
        num = numerical_gradient(lambda v, name=name: gru_forward(**{**args, name: v})[0], value, dh)
        assert rel_error(num, grads[name]) < 1e-7, name


def test_sequence_backward_equals_chained_step_backwards(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    params = _params(rng)
    dh = rng.standard_normal((N, T, H))
    _, cache = gru_forward(x, h0, *params)
    dx, dh0, *dparams = gru_backward(dh, cache)
    caches, h_t = [], h0
    for t in range(T):
        h_t, step_cache = gru_step_forward(x[:, t], h_t, *params)
        caches.append(step_cache)
    dh_next = np.zeros((N, H))
    sums = [np.zeros_like(p) for p in params]
    for t in reversed(range(T)):
        dx_t, dh_next, *dW = gru_step_backward(dh[:, t] + dh_next, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-10, atol=1e-12)
        sums = [s + d for s, d in zip(sums, dW)]
    for got, want in zip((dh0, *dparams), (dh_next, *sums)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------
# PyTorch autograd as the oracle
# --------------------------------------------------------------------------


def test_matches_torch_gru_outputs_and_every_gradient(rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    gru = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # non-zero biases so a wrong bias mapping shows
        gru.bias_ih_l0.copy_(torch.from_numpy(rng.standard_normal(3 * H)))
        gru.bias_hh_l0.copy_(torch.from_numpy(rng.standard_normal(3 * H)))
    Wx, Wh, b, b_hn = gru_params_from_torch(
        *(getattr(gru, n).detach().numpy() for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    )
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    dh = rng.standard_normal((N, T, H))

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, _ = gru(xt, h0t)
    torch.sum(out * torch.from_numpy(dh)).backward()

    h, cache = gru_forward(x, h0, Wx, Wh, b, b_hn)
    dx, dh0, dWx, dWh, db, db_hn = gru_backward(dh, cache)
    g_bih, g_bhh = gru.bias_ih_l0.grad.numpy(), gru.bias_hh_l0.grad.numpy()
    assert rel_error(h, out.detach().numpy()) < 1e-12
    assert rel_error(dx, xt.grad.numpy()) < 1e-10
    assert rel_error(dh0, h0t.grad[0].numpy()) < 1e-10
    assert rel_error(dWx, gru.weight_ih_l0.grad.numpy().T) < 1e-10
    assert rel_error(dWh, gru.weight_hh_l0.grad.numpy().T) < 1e-10
    assert rel_error(db, g_bih) < 1e-10  # b holds every input-side bias
    assert rel_error(db[:2 * H], g_bhh[:2 * H]) < 1e-10  # r and z: the two biases add
    assert rel_error(db_hn, g_bhh[2 * H:]) < 1e-10  # the candidate's recurrent bias


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


def test_float32_stays_float32(rng):
    f32 = np.float32
    x, h0 = rng.standard_normal((N, T, D)).astype(f32), rng.standard_normal((N, H)).astype(f32)
    params = _params(rng, f32)
    h, cache = gru_forward(x, h0, *params)
    assert h.dtype == f32
    assert all(g.dtype == f32 for g in gru_backward(rng.standard_normal((N, T, H)).astype(f32), cache))
    h_s, step_cache = gru_step_forward(x[:, 0], h0, *params)
    assert h_s.dtype == f32
    assert all(g.dtype == f32 for g in gru_step_backward(h_s, step_cache))
    h64, _ = gru_forward(x.astype(np.float64), h0.astype(np.float64), *(p.astype(np.float64) for p in params))
    assert rel_error(h, h64) < 1e-5


def test_mixed_dtypes_raise_type_error(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b, b_hn = _params(rng)
    with pytest.raises(TypeError, match=r"gru_forward: all arrays must share one float dtype.*b_hn=float32"):
        gru_forward(x, h0, Wx, Wh, b, b_hn.astype(np.float32))
    with pytest.raises(TypeError, match=r"gru_step_forward: all arrays must share one float dtype.*x=float32"):
        gru_step_forward(x[:, 0].astype(np.float32), h0, Wx, Wh, b, b_hn)
    _, cache = gru_forward(x, h0, Wx, Wh, b, b_hn)
    with pytest.raises(TypeError, match=r"gru_backward: all arrays must share one float dtype.*dh=float32"):
        gru_backward(np.zeros((N, T, H), np.float32), cache)


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
def test_forward_rejects_bad_input(rng, change, exc, message):
    Wx, Wh, b, b_hn = _params(rng)
    args = dict(x=np.zeros((N, T, D)), h0=np.zeros((N, H)), Wx=Wx, Wh=Wh, b=b, b_hn=b_hn)
    with pytest.raises(exc, match=message):
        gru_forward(**{**args, **change})


def test_step_and_backward_reject_bad_input(rng):
    params = _params(rng)
    x, h = np.zeros((N, D)), np.zeros((N, H))
    with pytest.raises(ValueError, match=r"gru_step_forward: h_prev must have shape \(N, H\) = \(3, 6\), got \(2, 6\)"):
        gru_step_forward(x, np.zeros((2, H)), *params)
    _, cache = gru_step_forward(x, h, *params)
    with pytest.raises(ValueError, match=r"gru_step_backward: dh_next must have shape \(N, H\) = \(3, 6\), got \(6,\)"):
        gru_step_backward(np.zeros(H), cache)
    _, cache = gru_forward(np.zeros((N, T, D)), h, *params)
    with pytest.raises(ValueError, match=r"gru_backward: dh must have shape \(N, T, H\) = \(3, 5, 6\), got \(3, 6\)"):
        gru_backward(h, cache)
