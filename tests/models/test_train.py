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


# --------------------------------------------------------------------------
# Hardening (issue 15): runaway losses stop the run; arguments checked up front
# --------------------------------------------------------------------------


class _SpyModel:
    """A SequenceModel whose loss calls are counted."""

    def __init__(self):
        self.inner = R.SequenceModel(R.ALPHABET, 8, rng=np.random.default_rng(0))
        self.params, self.calls = self.inner.params, 0

    def loss(self, x, y, state0=None):
        self.calls += 1
        return self.inner.loss(x, y, state0)


@pytest.mark.parametrize("kwargs, error, text", [
    ({"optimizer": "adam"}, TypeError, r"optimizer must be an optimiser object .* got str 'adam'; build one with make_optimizer\('adam', lr\)"),
    ({"optimizer": R.Adam}, TypeError, r"optimizer must be an optimiser object"),
    ({"clip_norm": 0}, ValueError, r"clip_norm must be positive, got 0 \(use clip_norm=None for no clipping\)"),
    ({"clip_norm": -1.0}, ValueError, r"clip_norm must be positive, got -1.0"),
    ({"clip_norm": float("nan")}, ValueError, r"clip_norm must be a finite number"),
    ({"epochs": 0}, ValueError, r"epochs must be >= 1, got 0"),
    ({"epochs": 2.0}, TypeError, r"epochs must be an int, got float"),
    ({"max_steps": -1}, ValueError, r"max_steps must be >= 0"),
    ({"callbacks": [print, 3]}, TypeError, r"every callback must be a function"),
    ({"val_fn": 1.0}, TypeError, r"val_fn must be a function"),
    ({"val_every": 0}, ValueError, r"val_every must be >= 1"),
    ({"time_limit": "60"}, TypeError, r"time_limit must be a real number"),
    ({"diverge_factor": 0.5}, ValueError, r"diverge_factor must be > 1"),
])
def test_train_checks_every_argument_before_any_forward_pass(kwargs, error, text):
    x, y = _alphabet_xy()
    m = _SpyModel()
    with pytest.raises(error, match=rf"train: {text}"):
        R.train(m, [(x, y)], progress=False, **kwargs)
    assert m.calls == 0


def test_train_rejects_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="train: model must have a params dict and a loss"):
        R.train(object(), [(1, 2)], progress=False)


def test_a_loss_that_climbs_far_past_its_start_is_divergence():
    """The issue's run: the loss climbed from 4.1 to 2,500 nats and was never stopped."""
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    hist_ok = R.train(m, [(x, y)], R.SGD(1e-3), epochs=3, progress=False)  # a healthy run is not stopped
    assert hist_ok.steps == 3

    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    grow = {"scale": 1.0}

    def blow_up(info):  # simulate a run that goes wrong: the output weights grow each step
        grow["scale"] *= 3
        info.model.params["W_out"] *= 3

    with pytest.raises(R.TrainingDiverged, match=r"diverged at step (\d+) \(epoch \1\): the loss is [\d.]+, "
                                                 r"more than 10 x its reference [\d.]+ .*lower learning rate "
                                                 r"\(now 0.001; e.g. 0.0001\) or a smaller clip_norm") as e:
        R.train(m, [(x, y)], R.SGD(1e-3), epochs=50, callbacks=blow_up, progress=False)
    hist = e.value.history
    first = hist.losses[0]
    assert all(np.isfinite(hist.losses)) and hist.losses[-1] <= 10 * max(first, np.log(26))
    step = int(str(e.value).split("step ")[1].split(" ")[0])
    assert step == hist.steps + 1 and 2 < step < 50  # stopped long before 50 steps, loss still finite


def test_diverge_factor_none_stops_only_on_nan():
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    def blow_up(info):
        info.model.params["W_out"] *= 3

    hist = R.train(m, [(x, y)], R.SGD(1e-3), epochs=8, progress=False, diverge_factor=None, callbacks=blow_up)
    assert hist.steps == 8 and hist.losses[-1] > 10 * np.log(26)


def test_ln_v_is_the_reference_when_the_run_starts_low():
    """A trained model (loss 0.05) that wobbles to 2 nats has not diverged: the reference is ln V."""
    x, y = _alphabet_xy()
    m = R.SequenceModel(R.ALPHABET, 16, rng=np.random.default_rng(0))
    R.train(m, [(x, y)], R.Adam(3e-2), epochs=150, progress=False)
    first = m.eval_loss(x, y)[0]
    assert first < 0.5
    noise = np.random.default_rng(1)

    def wobble(info):  # a jolt to the output weights: the loss jumps by a few nats
        info.model.params["W_out"] += noise.standard_normal(info.model.params["W_out"].shape)

    hist = R.train(m, [(x, y)], R.Adam(3e-2), epochs=3, progress=False, callbacks=wobble)
    assert hist.steps == 3 and max(hist.losses) > 10 * first  # far above its start, below 10 ln V


@pytest.mark.parametrize("batches, error, text", [
    ([(np.zeros((1, 2), int),)], TypeError, r"train: every batch must be a pair \(x, y\), got tuple of length 1"),
    ([np.zeros((2, 1, 2), int)], TypeError, r"train: every batch must be a pair \(x, y\), got ndarray"),
])
def test_batches_that_are_not_pairs_are_named(batches, error, text):
    m = R.SequenceModel(5, 4, rng=np.random.default_rng(0))
    with pytest.raises(error, match=text):
        R.train(m, batches, progress=False)
    with pytest.raises(TypeError, match=r"evaluate: every batch must be a pair"):
        R.evaluate(m, batches)


def test_no_batches_is_zero_steps_for_train_and_an_error_for_evaluate():
    m = R.SequenceModel(5, 4, rng=np.random.default_rng(0))
    assert R.train(m, [], progress=False).steps == 0  # e.g. an untrained baseline with steps=0
    with pytest.raises(ValueError, match="evaluate: batches yielded nothing"):
        R.evaluate(m, [])
