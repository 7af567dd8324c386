"""The layers around the recurrent cell still compute the same maths.

The embedding, the temporal affine layer, softmax and temporal_softmax_loss
were written for speed (time-major memory, a sorted scatter-add, a fused
softmax loss).  These tests pin what must not change: numerical gradients
(float64, rel_error < 1e-7) at small and degenerate shapes, agreement with
straightforward reference implementations, dtype behaviour, the error
messages, and the memory the caches keep.  The recurrent cells themselves, on
both paths: test_cells.py and test_fast_agrees.py.
"""

import tracemalloc

import numpy as np
import pytest

import rnnlab.layers as L
from rnnlab.gradcheck import gradient_check, numerical_gradient, rel_error
from rnnlab.model import SequenceModel

# --------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------


def add_at_reference(idx, dout, V):
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)
    np.add.at(dW, idx.ravel(), dout.reshape(-1, dout.shape[-1]))
    return dW


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["random", "all_same", "single", "unused_rows"])
def test_embedding_backward_equals_add_at(dtype, case):
    rng = np.random.default_rng(8)
    V, D = 7, 3
    idx = {
        "random": rng.integers(0, V, (4, 9)),  # many repeats
        "all_same": np.full((3, 5), 2),
        "single": np.array([[6]]),
        "unused_rows": np.array([[0, 0, 5], [5, 0, 5]]),
    }[case]
    W = rng.standard_normal((V, D)).astype(dtype)
    out, cache = L.embedding_forward(idx, W)
    np.testing.assert_array_equal(out, W[idx])
    dout = rng.standard_normal(out.shape).astype(dtype)
    dW = L.embedding_backward(dout, cache)
    assert dW.dtype == dtype and dW.shape == (V, D)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dW, add_at_reference(idx, dout, V), rtol=tol, atol=tol)
    # and the same for a time-major view of dout, as rnn_backward returns it
    dout_view = np.ascontiguousarray(dout.transpose(1, 0, 2)).transpose(1, 0, 2)
    np.testing.assert_allclose(L.embedding_backward(dout_view, cache), dW, rtol=tol, atol=tol)


def test_embedding_gradient_matches_numerical():
    rng = np.random.default_rng(9)
    idx = rng.integers(0, 4, (3, 5))
    W = rng.standard_normal((4, 2))
    dout = rng.standard_normal((3, 5, 2))
    _, cache = L.embedding_forward(idx, W)
    num = numerical_gradient(lambda w: L.embedding_forward(idx, w)[0], W, df=dout)
    assert rel_error(num, L.embedding_backward(dout, cache)) < 1e-7


# --------------------------------------------------------------------------
# Temporal affine, softmax, loss
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (1, 1, 1, 1), (2, 1, 3, 2), (1, 3, 1, 4)])
def test_temporal_affine_gradients_match_numerical(shape):
    N, T, H, V = shape
    rng = np.random.default_rng(10)
    h = rng.standard_normal((N, T, H))
    W = rng.standard_normal((H, V))
    b = rng.standard_normal(V)
    scores, cache = L.temporal_affine_forward(h, W, b)
    np.testing.assert_allclose(scores, np.einsum("nth,hv->ntv", h, W) + b, rtol=1e-12, atol=1e-12)
    ds = rng.standard_normal(scores.shape)
    dh, dW, db = L.temporal_affine_backward(ds, cache)
    for name, value, got in (("h", h, dh), ("W", W, dW), ("b", b, db)):
        args = {"h": h, "W": W, "b": b, name: None}

        def f(v, name=name):
            return L.temporal_affine_forward(**{**args, name: v})[0]

        assert rel_error(numerical_gradient(f, value, df=ds), got) < 1e-7, name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_temporal_affine_keeps_dtype_and_rejects_mixing(dtype):
    rng = np.random.default_rng(11)
    h = rng.standard_normal((2, 3, 4)).astype(dtype)
    W = rng.standard_normal((4, 5)).astype(dtype)
    b = np.zeros(5, dtype)
    scores, cache = L.temporal_affine_forward(h, W, b)
    assert scores.dtype == dtype
    assert all(g.dtype == dtype for g in L.temporal_affine_backward(np.ones_like(scores), cache))
    other = np.float64 if dtype == np.float32 else np.float32
    with pytest.raises(TypeError, match="temporal_affine_forward: all arrays must share one float dtype"):
        L.temporal_affine_forward(h, W.astype(other), b)
    with pytest.raises(TypeError, match="temporal_affine_backward: all arrays must share one float dtype"):
        L.temporal_affine_backward(np.ones(scores.shape, other), cache)


def reference_softmax_loss(scores, y, mask):
    """The unfused textbook version: log-softmax, pick the target, mean over counted positions."""
    logp = scores - scores.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    w = np.ones(y.shape) if mask is None else mask.astype(np.float64)
    picked = np.take_along_axis(logp, y[..., None], -1)[..., 0]
    loss = -(w * picked).sum() / w.sum()
    d = np.exp(logp)
    np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], -1) - 1, -1)
    return loss, d * (w / w.sum())[..., None]


@pytest.mark.parametrize("shape", [(3, 4, 5), (1, 1, 2), (2, 1, 7), (1, 6, 3)])
@pytest.mark.parametrize("masked", [False, True])
def test_softmax_loss_matches_reference_and_numerical(shape, masked):
    rng = np.random.default_rng(12)
    N, T, V = shape
    scores = 3 * rng.standard_normal(shape)
    y = rng.integers(0, V, (N, T))
    mask = None
    if masked:
        mask = rng.random((N, T)) < 0.6
        mask.flat[0] = True  # at least one position counts
    loss, dscores = L.temporal_softmax_loss(scores, y, mask)
    ref_loss, ref_d = reference_softmax_loss(scores, y, mask)
    assert abs(loss - ref_loss) < 1e-12 * max(1, abs(ref_loss))
    np.testing.assert_allclose(dscores, ref_d, rtol=1e-10, atol=1e-14)
    num = numerical_gradient(lambda s: L.temporal_softmax_loss(s, y, mask)[0], scores)
    assert rel_error(num, dscores) < 1e-7


def test_softmax_loss_float32_and_large_scores():
    rng = np.random.default_rng(13)
    scores = (1000 * rng.standard_normal((2, 3, 4))).astype(np.float32)  # exp would overflow unshifted
    y = rng.integers(0, 4, (2, 3))
    loss, d = L.temporal_softmax_loss(scores, y)
    assert d.dtype == np.float32 and np.isfinite(loss) and np.isfinite(d).all()
    ref_loss, ref_d = reference_softmax_loss(scores.astype(np.float64), y, None)
    assert abs(loss - ref_loss) < 1e-3 * max(1, ref_loss)
    np.testing.assert_allclose(d, ref_d, atol=1e-6)


def test_softmax_leaves_input_untouched_and_normalises():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]])
    z_copy = z.copy()
    p = L.softmax(z)
    np.testing.assert_array_equal(z, z_copy)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[1], [0.5, 0.5, 0.0], atol=1e-300)
    assert L.softmax(z.astype(np.float32)).dtype == np.float32


def test_softmax_loss_error_messages_unchanged():
    scores = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"temporal_softmax_loss: y must hold indices in \[0, 4\), found 4"):
        L.temporal_softmax_loss(scores, np.full((2, 3), 4))
    with pytest.raises(ValueError, match=r"temporal_softmax_loss: y must have shape \(N, T\) = \(2, 3\), got \(3, 2\)"):
        L.temporal_softmax_loss(scores, np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="mask selects no position"):
        L.temporal_softmax_loss(scores, np.zeros((2, 3), dtype=int), np.zeros((2, 3), bool))


# --------------------------------------------------------------------------
# The whole model
# --------------------------------------------------------------------------


@pytest.mark.parametrize("N, T, H", [(2, 3, 4), (1, 1, 1), (1, 4, 2), (3, 1, 3)])
def test_sequence_model_gradient_check(N, T, H):
    rng = np.random.default_rng(14)
    V = 5
    model = SequenceModel(V, H, embed_dim=3, rng=rng)
    x = rng.integers(0, V, (N, T))
    y = rng.integers(0, V, (N, T))
    h0 = rng.standard_normal((N, H))

    def fn(params):
        loss, grads, _ = model.loss(x, y, h0, params=params)
        return loss, grads

    report = gradient_check(fn, model.params)
    assert report.passed, str(report)


def test_sequence_model_float32_stays_float32():
    rng = np.random.default_rng(15)
    model = SequenceModel(6, 5, embed_dim=3, rng=rng, dtype=np.float32)
    x = rng.integers(0, 6, (2, 4))
    loss, grads, state = model.loss(x, x)
    assert isinstance(loss, float) and state.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


def _arrays(obj):
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _arrays(o)


def test_caches_are_o_nth_and_keep_no_n_t_v_array():
    N, T, H, E, V = 4, 6, 5, 3, 50
    rng = np.random.default_rng(16)
    model = SequenceModel(V, H, embed_dim=E, rng=rng)
    x = rng.integers(0, V, (N, T))
    _, _, caches = model.forward(x)
    params = {id(p) for p in model.params.values()}
    for a in _arrays(caches):
        base = a if a.base is None else a.base
        if id(a) in params or id(base) in params:
            continue
        assert a.size <= N * T * max(H, E), f"a cached array of shape {a.shape} is larger than O(N*T*H)"


def test_training_step_peak_memory_is_two_score_arrays():
    """With V >> H, a loss call needs scores and dscores (N*T*V each) and little more."""
    N, T, H, E, V = 8, 16, 4, 2, 2000
    rng = np.random.default_rng(17)
    model = SequenceModel(V, H, embed_dim=E, rng=rng)
    x = rng.integers(0, V, (N, T))
    model.loss(x, x)  # warm up
    ntv_bytes = N * T * V * 8
    small = 40 * N * T * (H + E) * 8 + 4 * sum(p.nbytes for p in model.params.values())
    tracemalloc.start()
    try:
        model.loss(x, x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * ntv_bytes + small, f"peak {peak / ntv_bytes:.2f} x N*T*V*8 bytes"
