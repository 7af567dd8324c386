"""Hostile inputs for models, training runs, checkpoints and widgets (issue 15), property-based.

As in tests/core/test_hostile_inputs.py: valid input gives a correct result, invalid
input a TypeError/ValueError naming the argument; never a silent cast, broadcast or
truncation, never data loss, never another exception type.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import rnnlab as R
from rnnlab import CheckpointError

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
CELLS = ["rnn", "lstm", "gru"]
VOCAB = R.Vocab.from_text("abcde ")


def _model(cell="rnn", dtype=np.float64, seed=0):
    return R.SequenceModel(VOCAB, 5, embed_dim=3, cell=cell, dtype=dtype, rng=np.random.default_rng(seed))


# --------------------------------------------------------------------------
# Model helpers: targets and start symbols are never wrapped, broadcast or truncated
# --------------------------------------------------------------------------

TARGET_DAMAGE = ["none", "negative", "too_big", "float", "fractional", "broadcast_row", "flat", "list", "bool",
                 "transposed"]


def _damage_targets(y, how, V):
    y = y.copy()
    if how == "negative":
        y[0, -1] = -1  # would silently read the last class
    elif how == "too_big":
        y[-1, 0] = V
    elif how == "float":
        y = y.astype(np.float64)
    elif how == "fractional":
        y = y + 0.5
    elif how == "broadcast_row":
        y = y[:1]
    elif how == "flat":
        y = y[0]
    elif how == "list":
        y = y.tolist()
    elif how == "bool":
        y = y > 0
    elif how == "transposed":
        y = y.T
    return y


@given(cell=st.sampled_from(CELLS), N=st.integers(2, 3), T=st.integers(2, 4), how=st.sampled_from(TARGET_DAMAGE),
       helper=st.sampled_from(["loss", "eval_loss", "accuracy", "log_likelihood"]), seed=st.integers(0, 2**16))
@FAST
def test_model_helpers_reject_bad_targets_by_name(cell, N, T, how, helper, seed):
    assume(not (how == "transposed" and N == T))
    m = _model(cell)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, (N, T))
    y = _damage_targets(rng.integers(0, 6, (N, T)), how, 6)
    before = {k: v.copy() for k, v in m.params.items()}
    call = getattr(m, helper)
    if how == "none":
        out = call(x, y)
        if helper == "loss":
            loss, grads, _ = out
            assert set(grads) == set(m.params) and np.isfinite(loss)
        elif helper == "log_likelihood":
            assert out.shape == (N, T) and np.all(out <= 0)
            np.testing.assert_allclose(-out.mean(), m.eval_loss(x, y)[0], rtol=1e-12)
        elif helper == "accuracy":
            assert 0 <= out <= 1
    else:
        with pytest.raises((TypeError, ValueError), match=rf"SequenceModel\.{helper}: y "):
            call(x, y)
    for k in before:
        np.testing.assert_array_equal(m.params[k], before[k])


@given(start=st.one_of(st.just(np.array([0.5, 1.7])), st.just(np.array([1.0, 2.0])), st.just(np.array([True])),
                       st.just(np.array([[0, 1]])), st.just(np.array([], dtype=int)), st.just(np.array([0, 6])),
                       st.just(np.array([-1, 2])), st.just([1, 2]), st.just("abz"), st.just("")),
       n=st.integers(0, 5))
@FAST
def test_sample_start_is_exact_symbols_or_an_error(start, n):
    m = _model()
    valid = isinstance(start, list) or (isinstance(start, np.ndarray) and start.dtype.kind in "iu"
                                        and start.ndim == 1 and start.size and start.min() >= 0 and start.max() < 6)
    if valid:
        out = m.sample(start, n, rng=np.random.default_rng(0))
        assert isinstance(out, str) and len(out) == n
    else:
        with pytest.raises((TypeError, ValueError), match=r"sample: start|Vocab.encode: unknown symbol 'z'"):
            m.sample(start, n, rng=np.random.default_rng(0))


@given(temperature=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none(), st.text(max_size=2),
                             st.integers(-3, 3), st.just(np.float32(0.5))),
       n=st.one_of(st.integers(-2, 4), st.floats(0, 3), st.none(), st.just("3")))
@FAST
def test_sample_temperature_and_length_are_valid_or_named(temperature, n):
    m = _model()
    t_ok = (isinstance(temperature, (int, float, np.floating)) and not isinstance(temperature, bool)
            and math.isfinite(temperature) and temperature >= 0)
    n_ok = isinstance(n, int) and not isinstance(n, bool) and n >= 0
    if t_ok and n_ok:
        with np.errstate(over="ignore"):  # a tiny positive temperature overflows exp: probabilities stay valid
            out = m.sample("ab", n, temperature=temperature, rng=np.random.default_rng(0))
        assert len(out) == n and set(out) <= set(VOCAB.symbols)
    else:
        with pytest.raises((TypeError, ValueError), match=r"sample: (n|temperature) must"):
            m.sample("ab", n, temperature=temperature, rng=np.random.default_rng(0))


@pytest.mark.parametrize("temperature", [5e-324, 1e-300, 1e-12])
def test_a_tiny_temperature_is_the_greedy_limit_not_an_overflow(temperature):
    m = _model()
    greedy = m.sample("ab", 12, temperature=0)
    assert m.sample("ab", 12, temperature=temperature, rng=np.random.default_rng(3)) == greedy


def test_a_model_with_nan_weights_cannot_be_sampled():
    m = _model()
    m.params["b_out"][0] = np.nan
    with pytest.raises(ValueError, match=r"sample: the model's scores are nan or inf"):
        m.sample("ab", 3)


@pytest.mark.parametrize("make", [lambda v: R.SequenceModel(VOCAB, v), lambda v: R.SequenceModel(VOCAB, 4, embed_dim=v),
                                  lambda v: R.SequenceRegressor(v, 4, 1), lambda v: R.SequenceRegressor(2, 4, v)])
@pytest.mark.parametrize("value", [0, -3, 2.0, "8", None, True, np.float64(3.0)])
def test_model_sizes_must_be_positive_ints(make, value):
    with pytest.raises((TypeError, ValueError), match=r"(hidden_size|embed_dim|input_dim|output_dim) must be"):
        make(value)


@given(dtype_x=st.sampled_from([np.float32, np.float64, np.int64]), dtype_m=st.sampled_from([np.float32, np.float64]),
       y_shape=st.sampled_from([(4, 1), (1, 1), (4,), (4, 2)]), cell=st.sampled_from(CELLS))
@FAST
def test_regressor_never_casts_or_broadcasts(dtype_x, dtype_m, y_shape, cell):
    r = R.SequenceRegressor(2, 3, 1, cell=cell, dtype=dtype_m, rng=np.random.default_rng(0))
    x = np.ones((4, 5, 2), dtype=dtype_x)
    y = np.ones(y_shape, dtype=dtype_m)
    if dtype_x != dtype_m or y_shape != (4, 1):
        with pytest.raises((TypeError, ValueError)):
            r.loss(x, y)
    else:
        loss, grads, _ = r.loss(x, y)
        assert all(g.dtype == dtype_m for g in grads.values())


# --------------------------------------------------------------------------
# Training: interrupts keep the model consistent; divergence never trains on
# --------------------------------------------------------------------------


@given(stop_at=st.integers(1, 6), exc=st.sampled_from([KeyboardInterrupt, RuntimeError, ValueError]),
       cell=st.sampled_from(CELLS))
@settings(max_examples=15, deadline=None)
def test_an_interrupt_in_a_callback_leaves_exactly_the_steps_taken(stop_at, exc, cell):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, (2, 4))
    y = rng.integers(0, 6, (2, 4))
    a, b = _model(cell), _model(cell)

    def boom(info):
        if info.step == stop_at:
            raise exc("stop")

    with pytest.raises(exc):
        R.train(a, [(x, y)], R.Adam(1e-2), epochs=10, progress=False, callbacks=boom)
    R.train(b, [(x, y)], R.Adam(1e-2), epochs=stop_at, progress=False)
    for k in a.params:  # the same state as an uninterrupted run of stop_at steps
        np.testing.assert_array_equal(a.params[k], b.params[k])
    R.train(a, [(x, y)], R.Adam(1e-2), epochs=1, progress=False)  # and it trains on


@given(bad=st.sampled_from(["adam", "sgd", 0.1, None.__class__, R.Adam, {"lr": 0.1}]),
       clip=st.sampled_from([5.0, 0, -1.0, math.nan, "5", None]))
@FAST
def test_train_validates_before_the_first_forward_pass(bad, clip):
    m = _model()
    calls = []
    real = m.loss
    m.loss = lambda *a, **k: calls.append(1) or real(*a, **k)
    x = np.zeros((1, 3), int)
    with pytest.raises((TypeError, ValueError), match=r"train: (optimizer|clip_norm)"):
        R.train(m, [(x, x)], bad, clip_norm=clip, progress=False)
    assert calls == []


@given(growth=st.floats(1.5, 4.0), lr=st.sampled_from([1e-3, 1e-2]))
@settings(max_examples=10, deadline=None)
def test_a_runaway_loss_is_stopped_while_still_finite(growth, lr):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 6, (2, 5)), rng.integers(0, 6, (2, 5))
    m = _model()

    def grow(info):
        info.model.params["W_out"] *= growth

    with pytest.raises(R.TrainingDiverged, match=r"diverged at step \d+ .* running away.*lower learning rate") as e:
        R.train(m, [(x, y)], R.SGD(lr), epochs=200, progress=False, callbacks=grow)
    losses = e.value.history.losses
    assert all(math.isfinite(v) for v in losses) and len(losses) < 200
    assert max(losses) <= 10 * max(losses[0], math.log(6))


# --------------------------------------------------------------------------
# Checkpoints: round trips are exact; any damage is one CheckpointError
# --------------------------------------------------------------------------


@given(cell=st.sampled_from(CELLS), dtype=st.sampled_from([np.float32, np.float64]),
       syms=st.lists(st.one_of(st.text(max_size=3), st.integers(-1000, 1000)), min_size=1, max_size=6, unique=True),
       H=st.integers(1, 4))
@FAST
def test_save_load_round_trips_exactly(tmp_path_factory, cell, dtype, syms, H):
    m = R.SequenceModel(R.Vocab(syms), H, embed_dim=2, cell=cell, dtype=dtype, rng=np.random.default_rng(1))
    path = m.save(tmp_path_factory.mktemp("ck") / "m")
    m2 = R.load_model(path)
    assert m2.vocab.symbols == m.vocab.symbols and m2.cell.name == cell and m2.dtype == dtype
    for k in m.params:
        assert m2.params[k].dtype == dtype
        np.testing.assert_array_equal(m2.params[k], m.params[k])


_GOOD = io.BytesIO()


def _good_checkpoint_bytes():
    if not _GOOD.getvalue():
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as d:
            _GOOD.write(Path(_model("gru").save(Path(d) / "g.npz")).read_bytes())
    return _GOOD.getvalue()


@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10**6)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_damaged_file_loads_correctly_or_raises_checkpoint_error(tmp_path, edits, cut):
    data = bytearray(_good_checkpoint_bytes())
    for at, xor in edits:
        data[at % len(data)] ^= xor
    if cut is not None:
        data = data[: cut % len(data)]
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(data))
    try:
        m = R.load_model(path)
    except CheckpointError as e:
        assert "damaged.npz" in str(e)
        return
    # a flip the format cannot detect (inside the float data: stored uncompressed, no
    # per-array checksum is checked by numpy) gives a model of the right shapes, finite
    ref = _model("gru")
    assert {k: v.shape for k, v in m.params.items()} == {k: v.shape for k, v in ref.params.items()}
    assert all(np.all(np.isfinite(v)) for v in m.params.values())


@given(fail_after=st.integers(0, 3000), exc=st.sampled_from([OSError, KeyboardInterrupt, MemoryError]))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_save_interrupted_anywhere_keeps_the_old_file(tmp_path, fail_after, exc):
    path = tmp_path / "keep.npz"
    old = _model("rnn", seed=1)
    old.save(path)
    before = path.read_bytes()
    real_savez = np.savez

    class Failing(io.RawIOBase):
        """A file object that fails after ``fail_after`` bytes, like a disk that fills up."""

        def __init__(self, f):
            self.f, self.n = f, 0

        def writable(self):
            return True

        def write(self, b):
            if self.n + len(b) > fail_after:
                raise exc("disk full")
            self.n += len(b)
            return self.f.write(b)

        def seek(self, *a):
            return self.f.seek(*a)

        def tell(self):
            return self.f.tell()

        def flush(self):
            return self.f.flush()

    def savez(f, **arrays):
        return real_savez(Failing(f), **arrays)

    np.savez = savez
    try:
        with pytest.raises(exc):
            _model("lstm", seed=2).save(path)
    finally:
        np.savez = real_savez
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.npz"]
    np.testing.assert_array_equal(R.load_model(path).params["Wh"], old.params["Wh"])


@given(member=st.sampled_from(["config.npy", "param/Wx.npy", "param/b.npy"]),
       payload=st.one_of(st.binary(max_size=64), st.sampled_from([b"\x93NUMPY\x01\x00\x10\x00{'descr': '|O'}\n",
                                                                  b"\x93NUMPY\x03\x00"])))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_replaced_entry_is_one_checkpoint_error(tmp_path, member, payload):
    src = io.BytesIO(_good_checkpoint_bytes())
    path = tmp_path / "swap.npz"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, payload if name == member else zin.read(name))
    with pytest.raises(CheckpointError, match="swap.npz"):
        R.load_model(path)


# --------------------------------------------------------------------------
# Widgets' callbacks (the cheap ones): every control value they allow works
# --------------------------------------------------------------------------


@given(prime=st.text(max_size=6), length=st.integers(10, 40), temperature=st.floats(0.0, 2.0), seed=st.integers(0, 10**6))
@settings(max_examples=25, deadline=None)
def test_sampler_widget_handles_any_control_values(prime, length, temperature, seed):
    pytest.importorskip("ipywidgets")
    from rnnlab.teaching.dashboard import SamplerWidget

    w = SamplerWidget(_model(), prime="ab", length=10, temperature=0.5, seed=0)
    with np.errstate(over="ignore"):
        w.length.value, w.temperature.value, w.seed.value = length, temperature, seed
        w.prime.value = prime
    if prime and set(prime) <= set(VOCAB.symbols):
        assert len(w.text) == w.length.value and set(w.text) <= set(VOCAB.symbols)
    else:  # an empty or unknown prime is explained in the widget, not raised in the kernel log
        assert w.text == "" and "prime text" in w.output.value


@given(w_x=st.floats(-2, 2), w_h=st.floats(-1.5, 1.5), b=st.floats(-1, 1), T=st.integers(5, 100),
       activation=st.sampled_from(["tanh", "sigmoid", "relu"]), input_kind=st.sampled_from(["pulse", "step"]))
@settings(max_examples=15, deadline=None)
def test_one_unit_trajectory_handles_every_slider_position(w_x, w_h, b, T, activation, input_kind):
    from rnnlab.teaching.explorers import INPUT_KINDS, one_unit_trajectory

    assume(input_kind in INPUT_KINDS)
    out = one_unit_trajectory(w_x, w_h, b, activation, T, input_kind)
    h = out[1] if isinstance(out, tuple) else out
    assert np.all(np.isfinite(np.asarray(h, dtype=float)))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("state0, error, text", [
    ([[0.0] * 5], TypeError, r"state0 must be None or the state a previous call returned .* got list"),
    (np.zeros(5), TypeError, r"got ndarray of shape \(5,\)"),
    (np.zeros((3, 5)), ValueError, r"the initial state is for 3 sequences, but the batch has N = 1"),
])
def test_a_bad_initial_state_is_named(cell, state0, error, text):
    m = _model(cell)
    if cell == "lstm" and isinstance(state0, np.ndarray) and state0.ndim == 2:
        state0 = (state0, state0)
    with pytest.raises(error, match=text):
        m.loss(np.zeros((1, 3), int), np.zeros((1, 3), int), state0)


def test_replacement_params_must_match_the_model():
    m = _model("gru")
    x = np.zeros((1, 3), int)
    p = {k: v.copy() for k, v in m.params.items()}
    assert m.loss(x, x, params=p)[0] == m.loss(x, x)[0]
    with pytest.raises(ValueError, match=r"SequenceModel.forward: params must be a dict with the keys"):
        m.loss(x, x, params={k: v for k, v in p.items() if k != "b_hn"})
    with pytest.raises(TypeError, match=r"params\['Wh'\] has dtype float32, the model is float64"):
        m.loss(x, x, params={**p, "Wh": p["Wh"].astype(np.float32)})
    with pytest.raises(ValueError, match=r"params\['b'\] must have shape"):
        m.loss(x, x, params={**p, "b": p["b"][:-1]})


@given(moves=st.lists(st.tuples(st.sampled_from(["spectral_radius", "activation", "T", "truncate"]),
                                st.floats(0, 1)), min_size=1, max_size=2))
@settings(max_examples=3, deadline=None)
def test_gradient_flow_explorer_redraws_for_any_slider_moves(moves):
    """Drive the widget's own controls (each change runs its redraw callback) anywhere in their ranges."""
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from rnnlab.teaching.explorers import gradient_flow_explorer

    box = gradient_flow_explorer()
    for name, where in moves:
        c = box.controls[name]
        before = box.image.value
        if name == "activation":
            new = c.options[int(where * (len(c.options) - 1))]
        else:
            new = c.min + round(where * (c.max - c.min) / c.step) * c.step
            new = type(c.value)(min(max(new, c.min), c.max))
        changed = new != c.value
        c.value = new
        assert box.image.value and ("<code>" in box.summary.value)
        if changed:
            assert box.image.value != before or name == "truncate"
