"""Hostile inputs for the whole public API (issue 15), property-based.

Every property has the same shape: throw a value, array, file or interrupt at a
public function and accept exactly two outcomes,

* the input was valid: a correct result (dtype kept, nothing else changed), or
* a ``TypeError``/``ValueError`` whose message names the function's argument,

and nothing else: no other exception type, no silent cast or broadcast, no
change to the caller's arrays, no data loss.  Models, checkpoints and training
runs are in tests/models/test_hostile_models.py.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import rnnlab as R

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------
# Scalars: one strategy of hostile values, one validity rule per argument
# --------------------------------------------------------------------------

hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10**6, 10**6),
    st.sampled_from([0, 1, -1, 2**63 - 1, -2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, math.nan, math.inf, -math.inf, 0.5, 2.5]),
    st.text(max_size=4),
    st.sampled_from(["0.1", "1", "", "nan"]),
    st.lists(st.integers(0, 3), max_size=2),
    st.tuples(st.floats(0, 1)),
    st.builds(np.float32, st.floats(-1e3, 1e3, width=32)),
    st.builds(np.int64, st.integers(-5, 100)),
    st.sampled_from([np.array(0.5), np.array([0.1]), np.bool_(True), 1 + 0j, np.float64(np.nan)]),
)


def _is_real(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def positive(v):
    return _is_real(v) and math.isfinite(float(v)) and float(v) > 0


def non_negative(v):
    return _is_real(v) and math.isfinite(float(v)) and float(v) >= 0


def small_step(v):  # (0, 1]
    return positive(v) and float(v) <= 1


def fraction(v):  # [0, 1)
    return non_negative(v) and float(v) < 1


def int_at_least(k):
    return lambda v: _is_int(v) and int(v) >= k


def _expect(call, valid, name):
    """Run call(); valid -> it must succeed; invalid -> TypeError/ValueError naming ``name``."""
    if valid:
        return call()
    with pytest.raises((TypeError, ValueError)) as e:
        call()
    assert name in str(e.value), f"the message does not name {name!r}: {e.value}"
    return None


def _grads():
    return {"W": np.array([[3.0, -4.0]]), "b": np.array([12.0])}


SCALAR_ARGS = {
    # name: (call(value), validity, the argument's name in messages)
    "SGD.lr": (lambda v: R.SGD(lr=v), positive, "lr"),
    "Momentum.lr": (lambda v: R.Momentum(lr=v), positive, "lr"),
    "Momentum.momentum": (lambda v: R.Momentum(lr=0.1, momentum=v), fraction, "momentum"),
    "Adagrad.eps": (lambda v: R.Adagrad(eps=v), positive, "eps"),
    "Adam.lr": (lambda v: R.Adam(lr=v), positive, "lr"),
    "Adam.beta1": (lambda v: R.Adam(beta1=v), fraction, "beta1"),
    "Adam.beta2": (lambda v: R.Adam(beta2=v), fraction, "beta2"),
    "make_optimizer.lr": (lambda v: R.make_optimizer("sgd", v), positive, "lr"),
    "clip_grad_norm.max_norm": (lambda v: R.clip_grad_norm(_grads(), v), positive, "max_norm"),
    "numerical_gradient.eps": (lambda v: R.numerical_gradient(lambda x: float(np.sum(x ** 2)), np.ones(2), eps=v),
                               small_step, "eps"),
    "gradient_check.eps": (lambda v: R.gradient_check(lambda p: (float(np.sum(3 * p["a"])), {"a": 3 + 0 * p["a"]}),
                                                      {"a": np.ones(2)}, eps=v), small_step, "eps"),
    "gradient_check.threshold": (lambda v: R.gradient_check(lambda p: (0.0, {"a": 0 * p["a"]}),
                                                            {"a": np.ones(2)}, threshold=v), positive, "threshold"),
    "gradient_check.max_entries": (lambda v: R.gradient_check(lambda p: (0.0, {"a": 0 * p["a"]}),
                                                              {"a": np.ones(3)}, max_entries=v),
                                   lambda v: v is None or int_at_least(1)(v), "max_entries"),
    "SequenceBatcher.batch_size": (lambda v: R.SequenceBatcher(np.arange(50), v, 4),
                                   lambda v: int_at_least(1)(v) and int(v) <= 49, "batch_size"),
    "SequenceBatcher.seq_len": (lambda v: R.SequenceBatcher(np.arange(50), 2, v), int_at_least(1), "seq_len"),
    "train_val_split.val_fraction": (lambda v: R.train_val_split(np.arange(100), v),
                                     lambda v: _is_real(v) and 0.02 <= float(v) <= 0.98, "val_fraction"),
    "softmax.axis": (lambda v: R.softmax(np.zeros((2, 3)), axis=v),
                     lambda v: _is_int(v) and -2 <= int(v) < 2, "axis"),
    "log_softmax.axis": (lambda v: R.log_softmax(np.zeros((2, 3)), axis=v),
                         lambda v: _is_int(v) and -2 <= int(v) < 2, "axis"),
    "Vocab.decode.ids": (lambda v: R.Vocab.from_text("abc").decode(v),
                         lambda v: isinstance(v, list) and all(0 <= i < 3 for i in v) and len(v) > 0, "ids"),
}


@pytest.mark.parametrize("arg", sorted(SCALAR_ARGS))
@settings(max_examples=60, deadline=None)
@given(value=hostile_scalars)
def test_every_scalar_argument_is_valid_or_named(arg, value):
    call, valid, name = SCALAR_ARGS[arg]
    _expect(lambda: call(value), valid(value), name)


@given(max_norm=st.floats(1e-3, 1e3), scale=st.sampled_from([1e-30, 1.0, 1e20, 1e35]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
@FAST
def test_clip_grad_norm_is_correct_at_any_scale(max_norm, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    grads = {"a": (scale * rng.standard_normal((3, 2))).astype(dtype), "b": (scale * rng.standard_normal(4)).astype(dtype)}
    assume(all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads.values()))
    raw = {k: v.astype(np.float64) for k, v in grads.items()}
    exact = math.sqrt(sum(float(np.sum((v / scale) ** 2)) for v in raw.values())) * scale
    total = R.clip_grad_norm(grads, max_norm)
    assert total == pytest.approx(exact, rel=1e-5)
    assert all(g.dtype == dtype for g in grads.values())
    after = R.global_norm(grads)
    assert after == pytest.approx(min(exact, max_norm), rel=1e-4)
    # the direction is kept: every entry scaled by one factor
    factor = min(1.0, max_norm / exact)
    for k in grads:
        np.testing.assert_allclose(grads[k].astype(np.float64), raw[k] * factor, rtol=1e-4, atol=0)


# --------------------------------------------------------------------------
# Arrays: layer functions given one wrong argument at a time
# --------------------------------------------------------------------------

MUTATIONS = ["none", "dtype32", "int", "bool", "object", "float16", "list", "extra_dim", "wrong_size", "nan_ok"]


def _mutate(a, how, rng):
    """One kind of damage to array ``a``.  Returns (new, expected_error or None)."""
    if how == "none":
        return a, None
    if how == "nan_ok":  # nan values are valid input (they propagate; training catches them)
        b = a.copy()
        b.flat[0] = np.nan
        return b, None
    if how == "dtype32":
        return a.astype(np.float32 if a.dtype == np.float64 else np.float64), TypeError
    if how == "int":
        return a.astype(np.int64), TypeError
    if how == "bool":
        return a > 0, TypeError
    if how == "object":
        return a.astype(object), TypeError
    if how == "float16":
        return a.astype(np.float16), TypeError
    if how == "list":
        return a.tolist(), TypeError
    if how == "extra_dim":
        return a[None], ValueError
    if how == "wrong_size":
        shape = list(a.shape)
        shape[int(rng.integers(len(shape)))] += 1
        return rng.standard_normal(shape).astype(a.dtype), ValueError
    raise AssertionError(how)


def _rnn_args(rng, N, T, D, H, dtype):
    return {"x": rng.standard_normal((N, T, D)).astype(dtype), "h0": rng.standard_normal((N, H)).astype(dtype),
            "Wx": rng.standard_normal((D, H)).astype(dtype), "Wh": 0.5 * rng.standard_normal((H, H)).astype(dtype),
            "b": rng.standard_normal(H).astype(dtype)}


def _lstm_args(rng, N, T, D, H, dtype):
    a = _rnn_args(rng, N, T, D, 4 * H, dtype)
    a["h0"] = a["h0"][:, :H].copy()
    a["Wh"] = a["Wh"][:H].copy()
    return a


def _gru_args(rng, N, T, D, H, dtype):
    a = _lstm_args(rng, N, T, D, H, dtype)
    a["Wx"], a["Wh"], a["b"] = a["Wx"][:, :3 * H].copy(), a["Wh"][:, :3 * H].copy(), a["b"][:3 * H].copy()
    a["b_hn"] = rng.standard_normal(H).astype(dtype)
    return a


FORWARDS = {
    "rnn_forward": (R.rnn_forward, _rnn_args),
    "lstm_forward": (R.lstm_forward, _lstm_args),
    "gru_forward": (R.gru_forward, _gru_args),
}


@pytest.mark.parametrize("fn_name", sorted(FORWARDS))
@given(N=st.integers(1, 3), T=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 3),
       dtype=st.sampled_from([np.float32, np.float64]), how=st.sampled_from(MUTATIONS), which=st.integers(0, 5),
       seed=st.integers(0, 2**16))
@FAST
def test_recurrent_forwards_reject_one_bad_argument_by_name(fn_name, N, T, D, H, dtype, how, which, seed):
    fn, make = FORWARDS[fn_name]
    rng = np.random.default_rng(seed)
    args = make(rng, N, T, D, H, dtype)
    name = sorted(args)[which % len(args)]
    if name == "x" and how in ("extra_dim", "wrong_size"):
        # x sets N, T and D, so another size of x is reported as the OTHER array that
        # disagrees with it; a 2-D x is the shape error that belongs to x itself
        args["x"], error = args["x"][:, 0], ValueError
    else:
        args[name], error = _mutate(args[name], how, rng)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    order = ["x", "h0", "Wx", "Wh", "b", "b_hn"]
    call = lambda: fn(*[args[k] for k in order if k in args])  # noqa: E731
    if error is None:
        with np.errstate(invalid="ignore"):
            h, cache = call()
        assert h.shape == (N, T, H) and h.dtype == dtype
    else:
        with pytest.raises(error) as e:
            call()
        assert re.search(rf"\b{name}\b", str(e.value)) and fn_name in str(e.value), str(e.value)
    for k, v in before.items():  # nothing the caller passed was changed
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(args[k], v)


@given(N=st.integers(1, 3), T=st.integers(1, 3), H=st.integers(1, 3), V=st.integers(1, 4),
       dtype=st.sampled_from([np.float32, np.float64]), how=st.sampled_from(MUTATIONS), which=st.integers(0, 2),
       seed=st.integers(0, 2**16))
@FAST
def test_temporal_affine_rejects_one_bad_argument_by_name(N, T, H, V, dtype, how, which, seed):
    rng = np.random.default_rng(seed)
    args = {"h": rng.standard_normal((N, T, H)).astype(dtype), "W": rng.standard_normal((H, V)).astype(dtype),
            "b": rng.standard_normal(V).astype(dtype)}
    name = ["h", "W", "b"][which]
    if name == "h" and how in ("extra_dim", "wrong_size"):  # h sets N, T, H (see the recurrent test)
        args["h"], error = args["h"][:, 0], ValueError
    elif name == "W" and how == "wrong_size":  # W sets V: one more row, so W itself disagrees with h
        args["W"], error = np.vstack([args["W"], args["W"][:1]]), ValueError
    else:
        args[name], error = _mutate(args[name], how, rng)
    call = lambda: R.temporal_affine_forward(args["h"], args["W"], args["b"])  # noqa: E731
    if error is None:
        out, _ = call()
        assert out.shape == (N, T, V) and out.dtype == dtype
    else:
        with pytest.raises(error, match=rf"temporal_affine_forward: .*\b{name}\b"):
            call()


@given(N=st.integers(1, 3), T=st.integers(1, 3), V=st.integers(1, 5), dtype=st.sampled_from([np.float32, np.float64]),
       y_kind=st.sampled_from(["ok", "negative", "too_big", "float", "broadcast_row", "flat", "list", "bool"]),
       seed=st.integers(0, 2**16))
@FAST
def test_softmax_loss_targets_are_never_broadcast_or_wrapped(N, T, V, dtype, y_kind, seed):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((N, T, V)).astype(dtype)
    y = rng.integers(0, V, (N, T))
    bad = {"ok": None, "negative": ValueError, "too_big": ValueError, "float": TypeError, "broadcast_row": ValueError,
           "flat": ValueError, "list": TypeError, "bool": TypeError}[y_kind]
    if y_kind == "negative":
        y[0, 0] = -1
    elif y_kind == "too_big":
        y[-1, -1] = V
    elif y_kind == "float":
        y = y + 0.5
    elif y_kind == "broadcast_row":
        y = y[:1]
        assume(N > 1)
    elif y_kind == "flat":
        y = y.ravel()
        assume(y.ndim != 2)
    elif y_kind == "list":
        y = y.tolist()
    elif y_kind == "bool":
        y = y > 0
    if bad is None:
        loss, d = R.temporal_softmax_loss(scores, y)
        assert d.dtype == dtype and np.isfinite(loss)
        p = R.softmax(scores.astype(np.float64))
        expected = -np.mean(np.log(np.take_along_axis(p, y[..., None], -1)))
        assert loss == pytest.approx(expected, rel=1e-4 if dtype == np.float32 else 1e-10)
    else:
        with pytest.raises(bad, match=r"temporal_softmax_loss: y "):
            R.temporal_softmax_loss(scores, y)


@given(N=st.integers(1, 3), T=st.integers(1, 4), V=st.integers(2, 5), seed=st.integers(0, 2**16),
       junk=st.sampled_from([np.nan, np.inf, -np.inf, 1e308]))
@FAST
def test_masked_positions_never_reach_the_loss_or_gradient(N, T, V, seed, junk):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((N, T, V))
    y = rng.integers(0, V, (N, T))
    mask = rng.random((N, T)) < 0.6
    assume(mask.any() and not mask.all())
    dirty = scores.copy()
    dirty[~mask] = junk
    clean_loss, clean_d = R.temporal_softmax_loss(scores, y, mask)
    loss, d = R.temporal_softmax_loss(dirty, y, mask)
    assert loss == pytest.approx(clean_loss, rel=1e-12)
    np.testing.assert_array_equal(d[~mask], 0)
    np.testing.assert_allclose(d, clean_d, rtol=1e-12, atol=1e-300)


@given(shape=st.lists(st.integers(0, 3), min_size=0, max_size=3), kind=st.sampled_from(["f32", "f64", "int", "list", "bool"]),
       fn=st.sampled_from(["softmax", "log_softmax", "activate", "activation_grad_from_output"]))
@FAST
def test_elementwise_helpers_take_float_arrays_only(shape, kind, fn):
    a = np.linspace(-2, 2, int(np.prod(shape))).reshape(shape)
    a = {"f32": a.astype(np.float32), "f64": a, "int": a.astype(np.int64), "list": a.tolist(), "bool": a > 0}[kind]
    f = getattr(R, fn)
    arg = {"softmax": "z", "log_softmax": "z", "activate": "a", "activation_grad_from_output": "h"}[fn]
    if kind not in ("f32", "f64"):
        with pytest.raises(TypeError, match=rf"{fn}: {arg} must"):
            f(a)
        return
    needs_axis = fn in ("softmax", "log_softmax")
    if needs_axis and (len(shape) == 0 or shape[-1] == 0):
        with pytest.raises(ValueError, match=rf"{fn}: axis"):
            f(a)
        return
    out = f(a)
    assert out.shape == a.shape and out.dtype == a.dtype
    if fn == "softmax" and a.size:
        np.testing.assert_allclose(out.sum(-1), 1, rtol=1e-5)


@given(V=st.integers(1, 6), D=st.integers(1, 3), N=st.integers(1, 3), T=st.integers(1, 3),
       w_dtype=st.sampled_from([np.float32, np.float64]), d_dtype=st.sampled_from([np.float32, np.float64]),
       idx_dtype=st.sampled_from([np.int64, np.int32, np.uint8, np.int8]), seed=st.integers(0, 2**16))
@FAST
def test_embedding_pair_keeps_one_dtype_and_any_integer_indices(V, D, N, T, w_dtype, d_dtype, idx_dtype, seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((V, D)).astype(w_dtype)
    idx = rng.integers(0, V, (N, T)).astype(idx_dtype)
    out, cache = R.embedding_forward(idx, W)
    np.testing.assert_array_equal(out, W[idx.astype(np.int64)])
    dout = rng.standard_normal((N, T, D)).astype(d_dtype)
    if w_dtype != d_dtype:
        with pytest.raises(TypeError, match="embedding_backward: dout has dtype"):
            R.embedding_backward(dout, cache)
        return
    dW = R.embedding_backward(dout, cache)
    expected = np.zeros((V, D))
    np.add.at(expected, idx.astype(np.int64), dout.astype(np.float64))
    assert dW.dtype == w_dtype
    np.testing.assert_allclose(dW, expected, rtol=1e-5 if w_dtype == np.float32 else 1e-12, atol=1e-6)


# --------------------------------------------------------------------------
# Optimisers: a rejected step changes nothing at all
# --------------------------------------------------------------------------

OPTIMIZERS = [lambda: R.SGD(0.1), lambda: R.Momentum(0.1), lambda: R.Adagrad(0.1), lambda: R.Adam(0.1)]
GRAD_DAMAGE = ["none", "dtype", "shape", "list", "object", "int", "missing_key", "extra_key", "not_dict", "readonly"]


@given(opt_i=st.integers(0, 3), damage=st.sampled_from(GRAD_DAMAGE), dtype=st.sampled_from([np.float32, np.float64]),
       warm=st.integers(0, 2), seed=st.integers(0, 2**16))
@FAST
def test_a_rejected_optimizer_step_changes_nothing(opt_i, damage, dtype, warm, seed):
    rng = np.random.default_rng(seed)
    opt = OPTIMIZERS[opt_i]()
    params = {"W": rng.standard_normal((2, 3)).astype(dtype), "b": rng.standard_normal(3).astype(dtype)}
    for _ in range(warm):
        opt.step(params, {k: rng.standard_normal(v.shape).astype(dtype) for k, v in params.items()})
    grads = {k: rng.standard_normal(v.shape).astype(dtype) for k, v in params.items()}
    if damage == "dtype":
        grads["b"] = grads["b"].astype(np.float32 if dtype == np.float64 else np.float64)
    elif damage == "shape":
        grads["b"] = grads["b"][None]
    elif damage == "list":
        grads["b"] = grads["b"].tolist()
    elif damage == "object":
        grads["b"] = grads["b"].astype(object)
    elif damage == "int":
        grads["b"] = grads["b"].astype(np.int64)
    elif damage == "missing_key":
        del grads["b"]
    elif damage == "extra_key":
        grads["c"] = np.zeros(1, dtype)
    elif damage == "not_dict":
        grads = list(grads.values())
    elif damage == "readonly":
        params["b"].flags.writeable = False
    snapshot = ({k: v.copy() for k, v in params.items()},
                {k: {s: a.copy() for s, a in d.items()} for k, d in opt.state.items()}, getattr(opt, "t", None))
    if damage == "none":
        opt.step(params, grads)
        assert all(v.dtype == dtype for v in params.values())
        assert all(a.dtype == dtype for d in opt.state.values() for a in d.values())
        return
    with pytest.raises((TypeError, ValueError), match=r"\.step: (params|grads)"):
        opt.step(params, grads)
    for k, v in snapshot[0].items():
        np.testing.assert_array_equal(params[k], v)
    assert set(opt.state) == set(snapshot[1])
    for k, d in snapshot[1].items():
        for s, a in d.items():
            np.testing.assert_array_equal(opt.state[k][s], a)
    assert getattr(opt, "t", None) == snapshot[2]


# --------------------------------------------------------------------------
# Gradient checks and numerical gradients
# --------------------------------------------------------------------------


@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=2), max_entries=st.one_of(st.none(), st.integers(-2, 8)),
       wrong=st.booleans(), seed=st.integers(0, 2**16))
@FAST
def test_gradient_check_never_passes_what_it_did_not_check(shape, max_entries, wrong, seed):
    rng = np.random.default_rng(seed)
    p = {"a": rng.standard_normal(shape)}

    def fn(q):
        g = 2 * q["a"]
        if wrong:
            g = g + 1.0  # every entry wrong: any subset shows it
        return float(np.sum(q["a"] ** 2)), {"a": g}

    if max_entries is not None and max_entries < 1:
        with pytest.raises(ValueError, match=r"gradient_check: max_entries must be >= 1"):
            R.gradient_check(fn, p, max_entries=max_entries)
        return
    report = R.gradient_check(fn, p, max_entries=max_entries)
    size = int(np.prod(shape))
    assert report["a"].checked == (size if max_entries is None else min(size, max_entries)) >= 1
    assert report.passed is (not wrong)


@given(out=st.sampled_from([None, "text", [1.0, "a"], {"loss": 1.0}, True]))
@FAST
def test_numerical_gradient_names_a_function_that_returns_no_number(out):
    with pytest.raises(TypeError, match=r"numerical_gradient: f (returned None|must return numbers)"):
        R.numerical_gradient(lambda v: out, np.ones(2))


# --------------------------------------------------------------------------
# Data: vocabularies, corpora, batches
# --------------------------------------------------------------------------

symbols = st.one_of(st.text(max_size=3), st.integers(-10**6, 10**6))


@given(syms=st.lists(symbols, min_size=1, max_size=12, unique=True), seed=st.integers(0, 2**16))
@FAST
def test_any_vocab_of_str_and_int_symbols_round_trips(syms, seed):
    v = R.Vocab(syms)
    rng = np.random.default_rng(seed)
    seq = [syms[i] for i in rng.integers(0, len(syms), 10)]
    ids = v.encode(seq)
    assert ids.dtype == np.int64 and [v.symbols[i] for i in ids] == seq
    compact = v.encode(seq, dtype=v.index_dtype)
    np.testing.assert_array_equal(compact, ids)


@given(bad=st.one_of(st.text(min_size=1, max_size=5), st.binary(min_size=1, max_size=3), st.integers(), st.floats(),
                     st.none(), st.lists(st.one_of(st.floats(), st.tuples(st.text()), st.binary(), st.booleans()),
                                         min_size=1, max_size=3)))
@FAST
def test_vocab_rejects_what_it_could_not_save(bad):
    with pytest.raises((TypeError, ValueError), match=r"Vocab: "):
        R.Vocab(bad)


@given(text=st.text(min_size=1, max_size=60), extra=st.characters())
@FAST
def test_text_encoding_is_exact_and_names_unknown_symbols(text, extra):
    v = R.Vocab.from_text(text)
    ids = v.encode(text)
    assert v.decode(ids) == text and ids.dtype == np.int64
    if extra not in v:
        with pytest.raises(ValueError, match=rf"unknown symbol {re.escape(repr(extra))} at position {len(text)}"):
            v.encode(text + extra)


@given(content=st.text(min_size=1, max_size=80))
@settings(max_examples=25, deadline=None)
def test_load_corpus_returns_exactly_the_file(tmp_path_factory, content):
    try:
        raw = content.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be written as UTF-8
        return
    path = tmp_path_factory.mktemp("c") / "t.txt"
    path.write_bytes(raw)
    assert R.load_corpus(path) == content  # \r\n, \r and every other character kept


@given(L=st.integers(2, 300), N=st.integers(1, 9), T=st.integers(1, 30),
       dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.int64]), seed=st.integers(0, 2**16))
@FAST
def test_batcher_covers_the_stream_without_copying_it(L, N, T, dtype, seed):
    ids = np.random.default_rng(seed).integers(0, 200, L).astype(dtype)
    if (L - 1) // N < 1:
        with pytest.raises(ValueError, match="too few for batch_size"):
            R.SequenceBatcher(ids, N, T)
        return
    b = R.SequenceBatcher(ids, N, T)
    assert np.shares_memory(b.x_streams, ids)
    xs = np.concatenate([x for x, _ in b], axis=1)
    ys = np.concatenate([y for _, y in b], axis=1)
    used = N * ((L - 1) // N)
    np.testing.assert_array_equal(xs.ravel(), ids[:used])
    np.testing.assert_array_equal(ys.ravel(), ids[1:used + 1])
    assert xs.dtype == np.int64 and len(b) == -(-((L - 1) // N) // T)


@given(ids=st.one_of(st.just(np.zeros(10)), st.just(np.zeros((2, 5), int)), st.just(np.array(["a", "b", "c"])),
                     st.just(np.array([True, False, True])), st.just(np.array([1, 2, -3, 4]))))
@FAST
def test_batcher_rejects_non_index_data(ids):
    with pytest.raises((TypeError, ValueError), match=r"SequenceBatcher: ids must"):
        R.SequenceBatcher(ids, 1, 2)
