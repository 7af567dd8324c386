"""The fast path (rnnlab.fast) computes what the reference path computes.

Hypothesis draws the shapes, the seed and the weight scale; every cell and
activation, a carried initial state (h0, and c0 for the LSTM) and a gradient
on the final state are exercised.  Tolerances, relative to the largest value
of each array: float64 1e-12, float32 1e-5.  At model level, the same for a
masked and an unmasked loss, and a model on each path.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnlab
from cell_specs import SPECS

TOL = {np.float64: 1e-12, np.float32: 1e-5}


def scaled_error(got, want, floor=0.0):
    """max |got - want| / max(max |want|, floor): round-off relative to the array's scale.

    The floor matters in float32 only: where tanh saturates, 1 - 6e-8 rounds to 1
    on one path and not on the other, so a gradient of size 1e-8 (whose true value
    neither float32 path can resolve) differs by 100 %.  Measured against the
    size of the upstream gradient (about 1) that is round-off, as it should be.
    """
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = max(np.abs(want).max(), floor)
    return float(np.abs(got - want).max() / scale) if scale > 0 else float(np.abs(got).max())


FLOOR = {np.float64: 0.0, np.float32: 1.0}


def _assert_close(got, want, dtype, what):
    assert got.shape == want.shape, what
    assert got.dtype == want.dtype == dtype, what
    err = scaled_error(got, want, FLOOR[dtype])
    assert err <= TOL[dtype], f"{what}: {err:.2e} > {TOL[dtype]:.0e}"


@settings(max_examples=60, deadline=None)
@given(spec=st.sampled_from(SPECS), dtype=st.sampled_from([np.float64, np.float32]),
       N=st.integers(1, 5), T=st.integers(1, 7), D=st.integers(1, 6), H=st.integers(1, 9),
       seed=st.integers(0, 2**31 - 1), scale=st.floats(0.3, 1.5), zero_state=st.booleans())
def test_fast_path_equals_reference_path(spec, dtype, N, T, D, H, seed, scale, zero_state):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D)).astype(dtype)
    states = spec.states(rng, N, H, dtype)
    if zero_state:
        states = [np.zeros_like(s) for s in states]
    params = [(p * scale).astype(dtype) for p in spec.params(rng, D, H, dtype)]
    h_ref, final_ref, cache_ref = spec.forward("reference", x, states, params)
    h_fast, final_fast, cache_fast = spec.forward("fast", x, states, params)
    _assert_close(h_fast, h_ref, dtype, f"{spec} h")
    for k, (a, b) in enumerate(zip(final_fast, final_ref)):
        _assert_close(a, b, dtype, f"{spec} final state {k}")
    assert type(cache_fast) is type(cache_ref)

    dh = rng.standard_normal(h_ref.shape).astype(dtype)
    dfinal = [rng.standard_normal(s.shape).astype(dtype) for s in final_ref]
    ref = spec.backward("reference", dh, cache_ref, dfinal)
    got = spec.backward("fast", dh, cache_fast, dfinal)
    names = ["dx", *("d" + n for n in spec.state_names), *("d" + n for n in spec.param_names)]
    for name, a, b in zip(names, [got[0], *got[1], *got[2]], [ref[0], *ref[1], *ref[2]]):
        _assert_close(a, b, dtype, f"{spec} {name}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_models_on_both_paths_give_the_same_loss_gradients_and_state(cell, masked, dtype):
    rng = np.random.default_rng(3)
    V, N, T = 11, 4, 6
    models = {path: rnnlab.SequenceModel(V, 7, embed_dim=5, cell=cell, dtype=dtype, path=path,
                                         rng=np.random.default_rng(0)) for path in ("reference", "fast")}
    x, y = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    mask = (rng.random((N, T)) > 0.4) if masked else None
    if masked:
        mask[0, 0] = True
    out = {}
    for path, m in models.items():
        _, _, state = m.loss(x, y)  # a first window, to carry a non-zero state into the second
        out[path] = m.loss(x, y, state, mask=mask) if masked else m.loss(x, y, state)
    (loss_r, grads_r, state_r), (loss_f, grads_f, state_f) = out["reference"], out["fast"]
    assert abs(loss_f - loss_r) <= TOL[dtype] * abs(loss_r)
    for k in grads_r:
        _assert_close(grads_f[k], grads_r[k], dtype, f"{cell} model d{k}")
    for a, b in zip(state_f if isinstance(state_f, tuple) else (state_f,),
                    state_r if isinstance(state_r, tuple) else (state_r,)):
        _assert_close(a, b, dtype, f"{cell} model state")


def test_model_path_is_checked_and_reported():
    assert rnnlab.SequenceModel(5, 3, path="reference").cell.path == "reference"
    assert rnnlab.SequenceModel(5, 3).cell.path == "fast"
    assert rnnlab.SequenceRegressor(2, 3, 1, cell="gru", path="reference").cell.path == "reference"
    with pytest.raises(ValueError, match=r"SequenceModel: path must be one of \['fast', 'reference'\], got 'quick'"):
        rnnlab.SequenceModel(5, 3, path="quick")


def test_fast_sigmoid_and_tanh_do_not_overflow_or_warn():
    """exp(-a) overflows to inf for a << 0; the fast path must still give 0 (sigmoid) and -1 (tanh)."""
    import warnings

    from rnnlab import fast
    x = np.full((1, 2, 1), -1.0, np.float32)
    h0 = np.zeros((1, 1), np.float32)
    Wx = np.array([[200.0]], np.float32)  # a = -200: exp(200) = inf in float32
    for act, want in (("sigmoid", 0.0), ("tanh", -1.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            h, _ = fast.rnn_forward(x, h0, Wx, np.zeros((1, 1), np.float32), np.zeros(1, np.float32), act)
        np.testing.assert_array_equal(h, want)
