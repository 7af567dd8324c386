"""Every cell ("rnn", "lstm", "gru") end to end: model gradients, carried state,
training with a carried state, checkpoints, sampling, and the alphabet task."""

import numpy as np
import pytest

from rnnlab.cells import CELLS, get_cell
from rnnlab.data import ALPHABET, SequenceBatcher, alphabet_shift_data
from rnnlab.gradcheck import gradient_check
from rnnlab.model import SequenceModel, SequenceRegressor, load_model
from rnnlab.train import evaluate, train

ALL_CELLS = ["rnn", "lstm", "gru"]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def test_registry_holds_the_three_cells():
    assert sorted(CELLS) == sorted(ALL_CELLS)
    for name in ALL_CELLS:
        assert get_cell(name).gates == GATES[name]
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\], got 'transformer'"):
        get_cell("transformer")


def _randomise(model, rng, scale=0.5):
    # Away from the initial values (zero biases, tiny W_out) so every term of the gradient is exercised.
    for k, p in model.params.items():
        model.params[k] = (rng.standard_normal(p.shape) * scale).astype(p.dtype)


def _random_state(model, N, rng):
    s = model.zero_state(N)
    if isinstance(s, tuple):
        return tuple(rng.standard_normal(a.shape) for a in s)
    return rng.standard_normal(s.shape)


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_parameter_shapes_and_initial_biases(cell):
    V, E, H = 7, 3, 5
    G = GATES[cell]
    m = SequenceModel(V, H, embed_dim=E, cell=cell, rng=np.random.default_rng(0))
    expected = {"W_embed": (V, E), "Wx": (E, G * H), "Wh": (H, G * H), "b": (G * H,), "W_out": (H, V), "b_out": (V,)}
    if cell == "gru":
        expected["b_hn"] = (H,)
    assert {k: p.shape for k, p in m.params.items()} == expected
    b = m.params["b"]
    if cell == "lstm":  # forget-gate block [i, f, g, o][1] starts at 1, the rest at 0
        np.testing.assert_array_equal(b[H:2 * H], 1.0)
        np.testing.assert_array_equal(np.delete(b, np.s_[H:2 * H]), 0.0)
    else:
        np.testing.assert_array_equal(b, 0.0)
    r = SequenceRegressor(2, H, 1, cell=cell, rng=np.random.default_rng(0))
    assert r.params["Wx"].shape == (2, G * H) and r.params["Wh"].shape == (H, G * H)
    assert ("b_hn" in r.params) == (cell == "gru")


def test_bad_cell_name_is_named_with_the_model():
    with pytest.raises(ValueError, match=r"SequenceModel: cell must be one of \['gru', 'lstm', 'rnn'\], got 'LSTM'"):
        SequenceModel(5, 4, cell="LSTM")
    with pytest.raises(ValueError, match=r"SequenceRegressor: cell must be one of"):
        SequenceRegressor(2, 4, 1, cell="gru2")


# --------------------------------------------------------------------------
# Gradient checks of whole models (float64, every parameter)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_sequence_model_gradient_check(cell):
    rng = np.random.default_rng(1)
    m = SequenceModel(5, 4, embed_dim=3, cell=cell, rng=rng)
    _randomise(m, rng)
    x, y = rng.integers(0, 5, (2, 4)), rng.integers(0, 5, (2, 4))
    state0 = _random_state(m, 2, rng)
    report = gradient_check(lambda p: m.loss(x, y, state0, params=p)[:2], m.params)
    assert {r.name for r in report.rows} == set(m.params)
    assert report.passed, str(report)


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_sequence_regressor_gradient_check(cell):
    rng = np.random.default_rng(2)
    m = SequenceRegressor(3, 4, 2, cell=cell, rng=rng)
    _randomise(m, rng)
    x, y = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 2))
    state0 = _random_state(m, 2, rng)
    report = gradient_check(lambda p: m.loss(x, y, state0, params=p)[:2], m.params)
    assert {r.name for r in report.rows} == set(m.params)
    assert report.passed, str(report)


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_float32_model_gives_float32_gradients(cell):
    rng = np.random.default_rng(3)
    m = SequenceModel(5, 4, embed_dim=3, cell=cell, rng=rng, dtype=np.float32)
    loss, grads, state = m.loss(rng.integers(0, 5, (2, 4)), rng.integers(0, 5, (2, 4)))
    assert np.isfinite(loss)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert all(s.dtype == np.float32 for s in (state if isinstance(state, tuple) else (state,)))


# --------------------------------------------------------------------------
# Carried state
# --------------------------------------------------------------------------


def _assert_same_state(a, b):
    assert isinstance(a, tuple) == isinstance(b, tuple)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_state_carried_across_two_windows_equals_one_pass(cell):
    rng = np.random.default_rng(4)
    m = SequenceModel(6, 5, embed_dim=3, cell=cell, rng=rng)
    _randomise(m, rng)
    x = rng.integers(0, 6, (3, 9))
    scores, state_full, _ = m.forward(x)
    s1, state_mid, _ = m.forward(x[:, :4])
    s2, state_end, _ = m.forward(x[:, 4:], state_mid)
    np.testing.assert_allclose(np.concatenate([s1, s2], axis=1), scores, rtol=1e-12, atol=1e-13)
    _assert_same_state(state_end, state_full)
    if cell == "lstm":
        assert isinstance(state_end, tuple) and len(state_end) == 2

    r = SequenceRegressor(2, 5, 1, cell=cell, rng=rng)
    _randomise(r, rng)
    xr = rng.standard_normal((3, 9, 2))
    y_full, state_full, _ = r.forward(xr)
    _, state_mid, _ = r.forward(xr[:, :4])
    y_two, state_end, _ = r.forward(xr[:, 4:], state_mid)
    np.testing.assert_allclose(y_two, y_full, rtol=1e-12, atol=1e-13)
    _assert_same_state(state_end, state_full)


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_train_carries_each_windows_final_state_into_the_next(cell):
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 6, 200)
    batches = SequenceBatcher(ids, batch_size=4, seq_len=10)
    m = SequenceModel(6, 5, embed_dim=3, cell=cell, rng=rng)
    seen, returned = [], []
    real_loss = m.loss

    def spy(x, y, state0=None, **kw):
        seen.append(state0)
        loss, grads, state = real_loss(x, y, state0, **kw)
        returned.append(state)
        return loss, grads, state

    m.loss = spy
    history = train(m, batches, epochs=2, progress=False, carry_state=True)
    per_epoch = len(batches)
    assert history.steps == 2 * per_epoch
    assert seen[0] is None and seen[per_epoch] is None  # reset at the start of every epoch
    for k in range(1, per_epoch):
        assert seen[k] is returned[k - 1]  # the state arrives unchanged, tuple and all
    m.loss = real_loss
    assert np.isfinite(evaluate(m, batches))


def test_lstm_state_must_be_the_pair_h_c():
    rng = np.random.default_rng(6)
    m = SequenceModel(5, 4, embed_dim=3, cell="lstm", rng=rng)
    x = rng.integers(0, 5, (2, 3))
    with pytest.raises(TypeError, match=r"lstm: the state must be the tuple \(h, c\) of two \(N, H\) arrays, got ndarray"):
        m.forward(x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"the initial state is for 3 sequences, but the batch has N = 2"):
        m.forward(x, m.zero_state(3))
    with pytest.raises(ValueError, match=r"lstm_forward: c0 must have shape \(N, H\) = \(2, 4\), got \(2, 5\)"):
        m.forward(x, (np.zeros((2, 4)), np.zeros((2, 5))))


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_save_load_round_trip(cell, tmp_path):
    rng = np.random.default_rng(7)
    m = SequenceModel(ALPHABET, 6, embed_dim=4, cell=cell, rng=rng)
    _randomise(m, rng)
    m.save(tmp_path / "m.npz")
    m2 = load_model(tmp_path / "m.npz")
    assert isinstance(m2, SequenceModel) and m2.cell.name == cell
    assert m2.params.keys() == m.params.keys()
    for k in m.params:
        np.testing.assert_array_equal(m2.params[k], m.params[k])
    x = rng.integers(0, 26, (2, 7))
    np.testing.assert_array_equal(m2.forward(x)[0], m.forward(x)[0])
    assert m2.sample("HELLO", 8, rng=np.random.default_rng(0)) == m.sample("HELLO", 8, rng=np.random.default_rng(0))

    r = SequenceRegressor(3, 4, 2, cell=cell, rng=rng, dtype=np.float32)
    _randomise(r, rng)
    r.save(tmp_path / "r.npz")
    r2 = load_model(tmp_path / "r.npz")
    assert isinstance(r2, SequenceRegressor) and r2.cell.name == cell and r2.dtype == np.float32
    xr = rng.standard_normal((2, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(r2.predict(xr), r.predict(xr))


def test_load_rejects_a_gru_checkpoint_without_b_hn(tmp_path):
    m = SequenceModel(5, 4, embed_dim=3, cell="gru", rng=np.random.default_rng(0))
    arrays = {f"param/{k}": v for k, v in m.params.items() if k != "b_hn"}
    m.save(tmp_path / "full.npz")
    with np.load(tmp_path / "full.npz") as f:
        arrays["config"] = f["config"]
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(ValueError, match=r"is missing parameter 'b_hn'"):
        load_model(tmp_path / "broken.npz")


# --------------------------------------------------------------------------
# The alphabet task (seed 003): needs memory, and the gated cells learn it
# --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_alphabet_task_reaches_100_percent(cell):
    inputs, expected = alphabet_shift_data()
    x = np.stack([ALPHABET.encode(row) for row in inputs])
    y = np.stack([ALPHABET.encode(row) for row in expected])
    m = SequenceModel(ALPHABET, cell=cell, rng=np.random.default_rng(0))
    assert m.accuracy(x, y) < 0.5  # not solved before training
    history = train(m, [(x, y)], epochs=40, progress=False)  # default optimiser, clipping, sizes
    assert history.losses[-1] < history.losses[0] / 100
    assert m.accuracy(x, y) == 1.0
    # Sampling feeds the model its own output: from "A", row 1 continues B C D E F.
    assert m.sample("A", 5, temperature=0) == "BCDEF"
    text = m.sample("ZY", 10, temperature=1.0, rng=np.random.default_rng(0))
    assert isinstance(text, str) and len(text) == 10 and set(text) <= set(ALPHABET.symbols)
