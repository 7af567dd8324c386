import numpy as np
import pytest

import rnnlab as R


def _alphabet_xy():
    inputs, expected = R.alphabet_shift_data()
    return (np.stack([R.ALPHABET.encode(r) for r in inputs]),
            np.stack([R.ALPHABET.encode(r) for r in expected]))


def test_history_and_callbacks():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    seen = []
    hist = R.train(m, [(x, y)], epochs=7, progress=False, callbacks=[lambda info: seen.append(info.step)])
    assert seen == list(range(1, 8)) and hist.steps == 7
    assert len(hist.grad_norms) == 7 and all(g > 0 for g in hist.grad_norms)


def test_callback_returning_true_stops_and_keeps_model():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    hist = R.train(m, [(x, y)], epochs=100, progress=False, callbacks=lambda info: info.step == 5)
    assert hist.steps == 5 and hist.stopped_early


def test_max_steps_and_validation_history():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    hist = R.train(m, [(x, y)], epochs=100, max_steps=12, progress=False,
                   val_fn=lambda mod: R.evaluate(mod, [(x, y)]), val_every=5)
    assert hist.steps == 12 and hist.val_steps == [5, 10, 12]
    assert hist.val_losses[-1] < hist.val_losses[0]


def test_carry_state_passes_last_state_to_next_window():
    ids = np.arange(41) % 5
    batches = R.SequenceBatcher(ids, 2, 5)
    m = R.SequenceModel(5, 4, embed_dim=2, rng=np.random.default_rng(0))
    calls = []
    real_loss = m.loss

    def spy(x, y, state0=None, **kw):
        calls.append(None if state0 is None else state0.copy())
        return real_loss(x, y, state0, **kw)

    m.loss = spy
    R.train(m, batches, R.SGD(1e-9), epochs=2, progress=False)
    per_epoch = len(batches)
    assert calls[0] is None and calls[per_epoch] is None  # reset at each epoch
    assert all(c is not None for c in calls[1:per_epoch])
    R.train(m, batches, R.SGD(1e-9), epochs=1, progress=False, carry_state=False)
    assert all(c is None for c in calls[2 * per_epoch:])


def test_divergence_is_detected_with_step_and_advice():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, activation="relu", rng=np.random.default_rng(0))
    m.params["Wh"] *= 1e200  # the recurrence blows up to inf
    before = {k: v.copy() for k, v in m.params.items()}
    with np.errstate(all="ignore"), pytest.raises(R.TrainingDiverged, match=r"diverged at step 1 .*lower learning rate \(now 0.01; e.g. 0.001\)") as e:
        R.train(m, [(x, y)], epochs=3, progress=False)
    assert e.value.history.steps == 0
    for k in before:  # the bad update was never applied
        np.testing.assert_array_equal(m.params[k], before[k])


def test_one_shot_generator_is_rejected():
    m = R.SequenceModel(5, 4, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="re-iterable"):
        R.train(m, ((np.zeros((1, 2), int), np.zeros((1, 2), int)) for _ in range(2)), progress=False)


def test_clipping_bounds_the_update():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    before = {k: v.copy() for k, v in m.params.items()}
    R.train(m, [(x, y)], R.SGD(1.0), epochs=1, clip_norm=1e-3, progress=False)
    step = np.sqrt(sum(np.sum((m.params[k] - before[k]) ** 2) for k in before))
    assert step == pytest.approx(1e-3, rel=1e-6)


def test_sequence_regressor_learns_to_sum():
    """Many-to-one: predict the sum of a sequence (identity init makes h a running sum)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(64, 6, 1))
    y = x.sum(axis=1)
    m = R.SequenceRegressor(1, 8, 1, activation="tanh", rng=rng)
    first = m.eval_loss(x, y)[0]
    R.train(m, [(x, y)], R.Adam(1e-2), epochs=300, progress=False)
    assert m.eval_loss(x, y)[0] < first / 20
