import numpy as np
import pytest

import rnnlab as R


def _alphabet_xy():
    inputs, expected = R.alphabet_shift_data()
    x = np.stack([R.ALPHABET.encode(r) for r in inputs])
    y = np.stack([R.ALPHABET.encode(r) for r in expected])
    return x, y


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
def test_sequence_model_gradient_check(act):
    rng = np.random.default_rng(0)
    m = R.SequenceModel(6, 5, embed_dim=4, activation=act, rng=rng)
    x = rng.integers(0, 6, size=(3, 7))
    y = rng.integers(0, 6, size=(3, 7))
    h0 = rng.standard_normal((3, 5)) * 0.5
    mask = rng.random((3, 7)) > 0.3
    report = R.gradient_check(lambda p: m.loss(x, y, h0, mask=mask, params=p)[:2], m.params)
    assert report.passed, str(report)
    assert {r.name for r in report.rows} == {"W_embed", "Wx", "Wh", "b", "W_out", "b_out"}


@pytest.mark.parametrize("outputs", [1, 5])
def test_sequence_regressor_gradient_check(outputs):
    """Seed 002's two cases: a single and several output units."""
    rng = np.random.default_rng(1)
    m = R.SequenceRegressor(5, 10, outputs, rng=rng)
    np.testing.assert_array_equal(m.params["Wh"], np.eye(10))  # identity recurrent init
    lim = np.sqrt(3 / 5)
    assert np.abs(m.params["Wx"]).max() <= lim  # LeCun uniform
    x = rng.random((4, 5, 5))
    y = rng.standard_normal((4, outputs))
    report = R.gradient_check(lambda p: m.loss(x, y, params=p)[:2], m.params)
    assert report.passed, str(report)


def test_initial_loss_is_near_ln_V_and_falls_on_default_corpus():
    text = R.load_corpus()[:30_000]
    v = R.Vocab.from_text(text)
    tr, va = R.train_val_split(v.encode(text))
    m = R.SequenceModel(v, 48, rng=np.random.default_rng(0))
    batches = R.SequenceBatcher(tr, 16, 32)
    val = R.SequenceBatcher(va, 4, 32)
    first = R.evaluate(m, val)
    assert abs(first - np.log(len(v))) < 0.1
    R.train(m, batches, R.Adam(5e-3), epochs=2, progress=False)
    assert R.evaluate(m, val) < first - 1.0


def test_alphabet_task_reaches_100_percent_with_defaults():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, rng=np.random.default_rng(0))
    done = lambda info: info.model.accuracy(x, y) == 1.0
    hist = R.train(m, [(x, y)], epochs=300, progress=False, callbacks=done)
    assert m.accuracy(x, y) == 1.0
    assert hist.losses[-1] < hist.losses[0] / 10
    np.testing.assert_array_equal(m.predict(x), y)


def test_sampling_is_reproducible_and_zero_temperature_is_argmax():
    v = R.Vocab.from_text("abcde ")
    m = R.SequenceModel(v, 8, rng=np.random.default_rng(0))
    a = m.sample("ab", 30, rng=np.random.default_rng(5))
    b = m.sample("ab", 30, rng=np.random.default_rng(5))
    c = m.sample("ab", 30, rng=np.random.default_rng(6))
    assert a == b and a != c and len(a) == 30 and set(a) <= set(v.symbols)
    greedy = m.sample("ab", 20, temperature=0)
    # the argmax path, built by hand one step at a time
    ids = list(v.encode("ab"))
    for _ in range(20):
        ids.append(int(m.predict(np.array([ids]))[0, -1]))
    assert greedy == v.decode(np.array(ids[2:]))
    assert m.sample("ab", 20, temperature=1e-6, rng=np.random.default_rng(1)) == greedy


def test_sampling_temperature_changes_diversity():
    v = R.Vocab.from_text("abcdefghij")
    m = R.SequenceModel(v, 16, rng=np.random.default_rng(0))
    m.params["W_out"] *= 20  # make the model opinionated
    cold = m.sample("a", 300, temperature=0.2, rng=np.random.default_rng(0))
    hot = m.sample("a", 300, temperature=5.0, rng=np.random.default_rng(0))
    top_share = lambda s: max(s.count(c) for c in set(s)) / len(s)
    assert top_share(cold) > top_share(hot) + 0.2  # cold sampling sticks to favourites
    assert len(set(hot)) > len(set(cold))


def test_carried_state_equals_one_long_pass():
    rng = np.random.default_rng(0)
    m = R.SequenceModel(7, 6, embed_dim=3, rng=rng)
    x = rng.integers(0, 7, size=(2, 10))
    full, _, _ = m.forward(x)
    s1, state, _ = m.forward(x[:, :4])
    s2, _, _ = m.forward(x[:, 4:], state)
    np.testing.assert_allclose(np.concatenate([s1, s2], 1), full, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_load_round_trip_exact(tmp_path, dtype):
    v = R.Vocab.from_text("hello there")
    m = R.SequenceModel(v, 12, embed_dim=5, activation="relu", dtype=dtype, rng=np.random.default_rng(3))
    path = tmp_path / "m.npz"
    m.save(path)
    m2 = R.load_model(path)
    assert type(m2) is R.SequenceModel and m2.vocab.symbols == v.symbols and m2.activation == "relu"
    for k in m.params:
        assert m2.params[k].dtype == dtype
        np.testing.assert_array_equal(m2.params[k], m.params[k])
    assert m2.sample("he", 15, rng=np.random.default_rng(0)) == m.sample("he", 15, rng=np.random.default_rng(0))
    r = R.SequenceRegressor(3, 4, 2, rng=np.random.default_rng(0))
    r.save(tmp_path / "r.npz")
    r2 = R.load_model(tmp_path / "r.npz")
    x = np.random.default_rng(0).random((2, 5, 3))
    np.testing.assert_array_equal(r2.predict(x), r.predict(x))


def test_load_rejects_corrupt_and_mismatched_checkpoints(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="not a readable rnnlab checkpoint"):
        R.load_model(bad)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(ValueError, match="no 'config' entry"):
        R.load_model(other)
    m = R.SequenceModel(5, 4, embed_dim=2, rng=np.random.default_rng(0))
    good = tmp_path / "good.npz"
    m.save(good)
    with np.load(good) as f:
        data = dict(f)
    data["param/Wh"] = np.zeros((3, 3))
    np.savez(tmp_path / "mismatch.npz", **data)
    with pytest.raises(ValueError, match=r"parameter 'Wh' .* has shape \(3, 3\) dtype float64, the configuration needs \(4, 4\) float64"):
        R.load_model(tmp_path / "mismatch.npz")


def test_float32_model_trains_in_float32():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, dtype=np.float32, rng=np.random.default_rng(0))
    loss, grads, state = m.loss(x, y)
    assert all(g.dtype == np.float32 for g in grads.values()) and state.dtype == np.float32
    R.train(m, [(x, y)], epochs=5, progress=False)
    assert all(p.dtype == np.float32 for p in m.params.values())


def test_init_weights_kinds():
    rng = np.random.default_rng(0)
    q = R.init_weights("orthogonal", (8, 8), rng)
    np.testing.assert_allclose(q.T @ q, np.eye(8), atol=1e-12)
    w = R.init_weights("lecun_normal", (400, 300), rng)
    assert abs(w.std() - 1 / 20) < 0.002
    with pytest.raises(ValueError, match="kind must be one of"):
        R.init_weights("he", (2, 2), rng)
