"""SequenceClassifier: gradients (numerical, float64, with dropout, depth and both directions),
PyTorch autograd on packed variable-length batches, padding invariance, float32, errors,
and training through rnnlab.train with early stopping."""

import numpy as np
import pytest

from rnnlab.classifier import EarlyStopping, SequenceClassifier, fit_classifier, orthogonal_blocks
from rnnlab.gradcheck import gradient_check, rel_error
from rnnlab.padding import PaddedBatch, PaddedBatches, length_mask
from rnnlab.train import train

CELLS = ["rnn", "gru", "lstm"]


def _problem(rng, N=4, T=6, V=5, C=3):
    x = rng.integers(0, V, (N, T))
    lengths = np.array([6, 3, 1, 4])[:N]
    return PaddedBatch(x, lengths), rng.integers(0, C, N)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers, bidirectional, dropout", [(1, False, 0.0), (2, True, 0.4), (2, False, 0.3)])
def test_gradients_numerically(rng, cell, layers, bidirectional, dropout):
    m = SequenceClassifier(3, 4, vocab_size=5, embed_dim=3, cell=cell, num_layers=layers,
                           bidirectional=bidirectional, dropout=dropout, rng=np.random.default_rng(1),
                           dtype=np.float64)
    batch, y = _problem(rng)
    # the same dropout masks at every call: the loss is then a function of params only
    # (25 random entries of every array: every parameter is checked, in a few seconds)
    report = gradient_check(lambda p: m.loss(batch, y, params=p, rng=np.random.default_rng(5))[:2], m.params,
                            max_entries=25)
    assert report.passed, str(report)


def test_gradients_numerically_with_float_inputs(rng):
    m = SequenceClassifier(4, 5, input_dim=2, cell="gru", bidirectional=True, rng=np.random.default_rng(0),
                           dtype=np.float64)
    x = rng.standard_normal((3, 7, 2))
    batch = PaddedBatch(x, np.array([7, 2, 5]))
    y = np.array([0, 3, 1])
    report = gradient_check(lambda p: m.loss(batch, y, params=p)[:2], m.params)
    assert report.passed, str(report)


def _torch_classifier_loss(torch, m, batch, y):
    """The same classifier written with torch.nn.{RNN,GRU,LSTM}, a PackedSequence and
    F.cross_entropy; returns loss and grads keyed like m.params."""
    H, G = m.hidden_size, m.cell.gates
    cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[m.cell.name]
    net = cls(m.embed_dim, H, num_layers=m.num_layers, bidirectional=m.bidirectional, batch_first=True,
              dtype=torch.float64)
    P = m.params
    sfx = {"fwd": "", "bwd": "_reverse"}
    with torch.no_grad():
        for l in range(m.num_layers):
            for d in m.directions:
                s = f"_l{l}{sfx[d]}"
                getattr(net, "weight_ih" + s).copy_(torch.from_numpy(P[f"l{l}_{d}_Wx"].T.copy()))
                getattr(net, "weight_hh" + s).copy_(torch.from_numpy(P[f"l{l}_{d}_Wh"].T.copy()))
                getattr(net, "bias_ih" + s).copy_(torch.from_numpy(P[f"l{l}_{d}_b"]))
                bhh = np.zeros(G * H)
                if m.cell.name == "gru":
                    bhh[2 * H:] = P[f"l{l}_{d}_b_hn"]  # torch's b_hn sits in bias_hh, n block
                getattr(net, "bias_hh" + s).copy_(torch.from_numpy(bhh))
    W_embed = torch.tensor(P["W_embed"], requires_grad=True)
    W_out = torch.tensor(P["W_out"], requires_grad=True)
    b_out = torch.tensor(P["b_out"], requires_grad=True)
    emb = W_embed[torch.from_numpy(batch.x)]
    packed = torch.nn.utils.rnn.pack_padded_sequence(emb, torch.from_numpy(batch.lengths), batch_first=True,
                                                     enforce_sorted=False)
    _, h_n = net(packed)
    if m.cell.name == "lstm":
        h_n = h_n[0]
    top = h_n.view(m.num_layers, len(m.directions), len(y), H)[-1]  # (dirs, N, H) of the top layer
    feats = torch.cat(list(top), dim=1)
    loss = torch.nn.functional.cross_entropy(feats @ W_out + b_out, torch.from_numpy(y))
    loss.backward()
    g = {"W_embed": W_embed.grad, "W_out": W_out.grad, "b_out": b_out.grad}
    for l in range(m.num_layers):
        for d in m.directions:
            s = f"_l{l}{sfx[d]}"
            g[f"l{l}_{d}_Wx"] = getattr(net, "weight_ih" + s).grad.T
            g[f"l{l}_{d}_Wh"] = getattr(net, "weight_hh" + s).grad.T
            g[f"l{l}_{d}_b"] = getattr(net, "bias_ih" + s).grad
            if m.cell.name == "gru":
                g[f"l{l}_{d}_b_hn"] = getattr(net, "bias_hh" + s).grad[2 * H:]
    return loss.item(), {k: v.detach().numpy() for k, v in g.items()}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (1, True), (2, True)])
def test_matches_torch_packed_sequences(rng, cell, layers, bidirectional):
    torch = pytest.importorskip("torch")
    m = SequenceClassifier(3, 4, vocab_size=5, embed_dim=3, cell=cell, num_layers=layers,
                           bidirectional=bidirectional, rng=np.random.default_rng(2), dtype=np.float64)
    batch, y = _problem(rng)
    loss, grads, _ = m.loss(batch, y)
    t_loss, t_grads = _torch_classifier_loss(torch, m, batch, y)
    assert abs(loss - t_loss) < 1e-12
    for k in m.params:
        assert rel_error(grads[k], t_grads[k]) < 1e-10, k


@pytest.mark.parametrize("cell", CELLS)
def test_padding_values_change_nothing(rng, cell):
    """Whatever sits in the padding, the scores and every gradient stay the same."""
    m = SequenceClassifier(3, 4, vocab_size=5, embed_dim=3, cell=cell, num_layers=2, bidirectional=True,
                           rng=np.random.default_rng(3), dtype=np.float64)
    batch, y = _problem(rng)
    other = batch.x.copy()
    pad = ~length_mask(batch.lengths, batch.x.shape[1])
    other[pad] = rng.integers(0, 5, pad.sum())
    l1, g1, _ = m.loss(batch, y)
    l2, g2, _ = m.loss(PaddedBatch(other, batch.lengths), y)
    assert l1 == l2 and all(np.array_equal(g1[k], g2[k]) for k in g1)
    # and each row scores as it would alone, unpadded
    for n in range(len(y)):
        alone = m.forward(batch.x[n:n + 1, :batch.lengths[n]])[0]
        np.testing.assert_allclose(alone, m.forward(batch)[0][n:n + 1], rtol=1e-12, atol=1e-12)


def test_reading_the_state_at_T_instead_of_the_own_length_would_differ(rng):
    """The gather matters: the state at the padded last step is not the state at the real end."""
    m = SequenceClassifier(3, 4, vocab_size=5, embed_dim=3, cell="gru", rng=np.random.default_rng(3),
                           dtype=np.float64)
    batch, y = _problem(rng)
    full = m.forward(batch.x)[0]  # as if every row had length T
    short = batch.lengths < batch.x.shape[1]
    assert np.abs(full[short] - m.forward(batch)[0][short]).min() > 1e-6


def test_float32_in_float32_out_and_no_mixing(rng):
    m = SequenceClassifier(3, 4, input_dim=2, cell="lstm", dropout=0.2, rng=np.random.default_rng(0))
    x = rng.standard_normal((3, 5, 2)).astype(np.float32)
    loss, grads, state = m.loss(x, np.array([0, 1, 2]))
    assert state is None and all(g.dtype == np.float32 for g in grads.values())
    assert m.predict_proba(x).dtype == np.float32
    with pytest.raises(TypeError, match=r"x has dtype float64 but the model is float32 \(no silent casting\)"):
        m.loss(x.astype(np.float64), np.array([0, 1, 2]))


def test_dropout_only_while_training(rng):
    m = SequenceClassifier(3, 8, input_dim=2, cell="gru", num_layers=2, dropout=0.5, rng=np.random.default_rng(0),
                           dtype=np.float64)
    x = rng.standard_normal((4, 5, 2))
    np.testing.assert_array_equal(m.forward(x)[0], m.forward(x)[0])  # evaluation is deterministic
    a = m.forward(x, training=True)[0]
    b = m.forward(x, training=True)[0]
    assert not np.allclose(a, b)


def test_orthogonal_blocks_are_orthogonal_per_gate():
    W = orthogonal_blocks(6, 4, np.random.default_rng(0), np.float64)
    assert W.shape == (6, 24)
    for k in range(4):
        Q = W[:, 6 * k:6 * (k + 1)]
        np.testing.assert_allclose(Q.T @ Q, np.eye(6), atol=1e-12)
    m = SequenceClassifier(3, 6, input_dim=2, cell="gru", rng=np.random.default_rng(0))
    assert m.params["l0_fwd_Wh"].dtype == np.float32
    s = np.linalg.svd(m.params["l0_fwd_Wh"][:, :6].astype(np.float64), compute_uv=False)
    np.testing.assert_allclose(s, 1, atol=1e-5)
    m2 = SequenceClassifier(3, 6, input_dim=2, cell="gru", recurrent_init="lecun_normal",
                            rng=np.random.default_rng(0))
    assert np.ptp(np.linalg.svd(m2.params["l0_fwd_Wh"][:, :6], compute_uv=False)) > 0.5


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(vocab_size=5, input_dim=3), ValueError, "give exactly one of vocab_size"),
    (dict(input_dim=3, num_layers=0), ValueError, "num_layers must be a positive int, got 0"),
    (dict(input_dim=3, dropout=1.0), ValueError, r"dropout must be in \[0, 1\), got 1.0"),
    (dict(input_dim=3, cell="tcn"), ValueError, "cell must be one of"),
    (dict(input_dim=3, recurrent_init="zeros"), ValueError, "recurrent_init must be one of"),
    (dict(input_dim=3, dtype=np.int32), TypeError, "dtype must be float32 or float64"),
])
def test_constructor_errors(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        SequenceClassifier(3, 4, **kwargs)


def test_loss_errors(rng):
    m = SequenceClassifier(3, 4, vocab_size=5, rng=np.random.default_rng(0))
    batch, y = _problem(rng)
    with pytest.raises(ValueError, match=r"SequenceClassifier.loss: y must have shape \(N,\) = \(4,\), got \(3,\)"):
        m.loss(batch, y[:3])
    with pytest.raises(ValueError, match=r"y must hold indices in \[0, 3\), found 7"):
        m.loss(batch, np.array([0, 1, 2, 7]))
    with pytest.raises(ValueError, match="state0 must be None"):
        m.loss(batch, y, np.zeros((4, 4), np.float32))
    with pytest.raises(TypeError, match="x must be a PaddedBatch or a numpy array, got list"):
        m.loss([[1, 2]], y)
    with pytest.raises(ValueError, match=r"x must hold indices in \[0, 5\), found 9"):
        m.loss(np.full((4, 2), 9), y)


def _toy_task(rng, M=96):
    """Is there a 1 among the real symbols?  Lengths 2..8; a class the padding could fake."""
    lengths = rng.integers(2, 9, M)
    x = rng.integers(2, 4, (M, 8))
    y = rng.integers(0, 2, M)
    for n in np.flatnonzero(y):
        x[n, rng.integers(0, lengths[n])] = 1
    x[~length_mask(lengths, 8)] = 1  # padding full of 1s: a model that reads it would say "yes"
    return x, lengths, y


def test_trains_with_rnnlab_train_and_early_stopping_restores_the_best(rng):
    x, lengths, y = _toy_task(rng)
    m = SequenceClassifier(2, 16, vocab_size=4, embed_dim=4, cell="gru", rng=np.random.default_rng(0))
    batches = PaddedBatches(x, lengths, y, 16, seed=0)
    val = PaddedBatch(x, lengths)
    before = m.eval_loss(val, y)[0]
    history, es = fit_classifier(m, batches, val, y, steps=150, val_every=10, patience=3)
    assert history.steps <= 150 and es.best_step is not None
    assert m.eval_loss(val, y)[0] == pytest.approx(es.best, rel=1e-5)  # the best parameters are back
    assert es.best < before * 0.5
    assert m.accuracy(val, y) > 0.9


def test_early_stopping_stops_after_patience_validations_without_improvement():
    class Flat:
        params = {"w": np.zeros(1)}

        def loss(self, x, y, state0=None):
            return 1.0, {"w": np.zeros(1)}, None

    es = EarlyStopping(patience=2)
    h = train(Flat(), [(np.zeros((1, 1)), np.zeros(1))], epochs=100, val_fn=lambda m: 1.0, val_every=3,
              callbacks=[es], progress=False)
    assert h.stopped_early and h.steps == 9 and es.best_step == 3  # first val best, 2 more without gain
