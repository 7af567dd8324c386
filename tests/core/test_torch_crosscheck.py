"""rnnlab's forward and backward against PyTorch autograd (runs wherever torch imports)."""

import numpy as np
import pytest

import rnnlab as R
from rnn_inputs import make_rnn_inputs

torch = pytest.importorskip("torch")

TORCH_ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("with_mask", [False, True])
def test_rnn_affine_loss_match_autograd(rng, act, with_mask):
    N, T, D, H, V = 3, 5, 4, 6, 7
    x, h0, Wx, Wh, b = make_rnn_inputs(rng, N, T, D, H)
    W_out = rng.standard_normal((H, V))
    b_out = rng.standard_normal(V)
    y = rng.integers(0, V, size=(N, T))
    mask = (rng.random((N, T)) > 0.3) if with_mask else np.ones((N, T), bool)
    mask[0, 0] = True

    # rnnlab
    h, c1 = R.rnn_forward(x, h0, Wx, Wh, b, act)
    scores, c2 = R.temporal_affine_forward(h, W_out, b_out)
    loss, dscores = R.temporal_softmax_loss(scores, y, mask if with_mask else None)
    dh, dW_out, db_out = R.temporal_affine_backward(dscores, c2)
    dx, dh0, dWx, dWh, db = R.rnn_backward(dh, c1)

    # torch, written independently: an explicit loop and F.cross_entropy
    tx, th0, tWx, tWh, tb, tWo, tbo = map(_t, (x, h0, Wx, Wh, b, W_out, b_out))
    f = TORCH_ACT[act]
    hs, hp = [], th0
    for t in range(T):
        hp = f(tx[:, t] @ tWx + hp @ tWh + tb)
        hs.append(hp)
    th = torch.stack(hs, 1)
    tscores = th @ tWo + tbo
    per_pos = torch.nn.functional.cross_entropy(
        tscores.reshape(N * T, V), torch.tensor(y.reshape(-1)), reduction="none")
    tm = torch.tensor(mask.reshape(-1), dtype=torch.float64)
    tloss = (per_pos * tm).sum() / tm.sum()
    tloss.backward()

    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(h, th.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, ours, theirs in [("dx", dx, tx), ("dh0", dh0, th0), ("dWx", dWx, tWx), ("dWh", dWh, tWh),
                               ("db", db, tb), ("dW_out", dW_out, tWo), ("db_out", db_out, tbo)]:
        assert R.rel_error(ours, theirs.grad.numpy()) < 1e-10, name


def test_rnn_matches_torch_nn_rnn_module(rng):
    """The same numbers as torch.nn.RNN once its (H, D) weights are transposed to our (D, H)."""
    N, T, D, H = 2, 6, 3, 5
    rnn = torch.nn.RNN(D, H, batch_first=True, nonlinearity="tanh").double()
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx = rnn.weight_ih_l0.detach().numpy().T.copy()
    Wh = rnn.weight_hh_l0.detach().numpy().T.copy()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy()
    ours, cache = R.rnn_forward(x, h0, Wx, Wh, b)
    tx = torch.tensor(x, requires_grad=True)
    theirs, _ = rnn(tx, torch.tensor(h0)[None])
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-12)
    dh = rng.standard_normal(ours.shape)
    theirs.backward(torch.tensor(dh))
    dx, _, dWx, dWh, db = R.rnn_backward(dh, cache)
    assert R.rel_error(dx, tx.grad.numpy()) < 1e-10
    assert R.rel_error(dWx, rnn.weight_ih_l0.grad.numpy().T) < 1e-10
    assert R.rel_error(dWh, rnn.weight_hh_l0.grad.numpy().T) < 1e-10
    assert R.rel_error(db, rnn.bias_ih_l0.grad.numpy()) < 1e-10


def test_sequence_model_loss_matches_torch(rng):
    m = R.SequenceModel(9, 6, embed_dim=4, rng=rng)
    x = rng.integers(0, 9, size=(3, 8))
    y = rng.integers(0, 9, size=(3, 8))
    loss, grads, _ = m.loss(x, y)
    p = {k: _t(v) for k, v in m.params.items()}
    e = p["W_embed"][torch.tensor(x)]
    hp = torch.zeros(3, 6, dtype=torch.float64)
    hs = []
    for t in range(8):
        hp = torch.tanh(e[:, t] @ p["Wx"] + hp @ p["Wh"] + p["b"])
        hs.append(hp)
    scores = torch.stack(hs, 1) @ p["W_out"] + p["b_out"]
    tl = torch.nn.functional.cross_entropy(scores.reshape(-1, 9), torch.tensor(y.reshape(-1)))
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-12)
    for k in m.params:
        assert R.rel_error(grads[k], p[k].grad.numpy()) < 1e-10, k
