"""The optimised layers still compute the same maths.

rnn_forward/backward, the embedding, the temporal affine layer, softmax and
temporal_softmax_loss were rewritten for speed (time-major memory, in-place
time loops, a sorted scatter-add, a fused softmax loss).  These tests pin what
must not change: numerical gradients (float64, rel_error < 1e-7) at small and
degenerate shapes, agreement with straightforward reference implementations,
dtype behaviour, untouched inputs, the error messages, and the memory the
caches keep.  They stand on their own (no shared fixtures).
"""

import tracemalloc

import numpy as np
import pytest

import rnnlab.layers as L
from rnnlab.gradcheck import gradient_check, numerical_gradient, rel_error
from rnnlab.model import SequenceModel

# (N, T, D, H): ordinary, and every axis of length 1 in turn
SHAPES = [(3, 4, 5, 6), (1, 5, 3, 4), (2, 1, 3, 4), (2, 3, 1, 4), (2, 3, 4, 1), (1, 1, 1, 1)]


def rnn_inputs(rng, N, T, D, H, dtype=np.float64):
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, H)).astype(dtype)
    Wx = (rng.standard_normal((D, H)) / np.sqrt(D)).astype(dtype)
    Wh = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype)
    b = (0.1 * rng.standard_normal(H)).astype(dtype)
    return x, h0, Wx, Wh, b


def reference_rnn_forward(x, h0, Wx, Wh, b, activation):
    """The plain batch-first loop the course teaches, for comparison."""
    f = L.ACTIVATIONS[activation]
    h, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = f(x[:, t] @ Wx + h_prev @ Wh + b)
        h.append(h_prev)
    return np.stack(h, axis=1)


# --------------------------------------------------------------------------
# rnn_forward / rnn_backward
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_rnn_gradients_match_numerical(shape, activation):
    rng = np.random.default_rng(sum(shape))
    x, h0, Wx, Wh, b = rnn_inputs(rng, *shape)
    h, cache = L.rnn_forward(x, h0, Wx, Wh, b, activation)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dWx, dWh, db = L.rnn_backward(dh, cache)
    args = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}
    analytic = {"x": dx, "h0": dh0, "Wx": dWx, "Wh": dWh, "b": db}
    for name, value in args.items():
        def f(v, name=name):
            return L.rnn_forward(**{**args, name: v}, activation=activation)[0]

        num = numerical_gradient(f, value, df=dh)
        assert rel_error(num, analytic[name]) < 1e-7, f"d{name} at shape {shape}, {activation}"


def test_rnn_relu_gradients_match_numerical():
    rng = np.random.default_rng(7)
    x, h0, Wx, Wh, b = rnn_inputs(rng, 2, 4, 3, 5)
    h, cache = L.rnn_forward(x, h0, Wx, Wh, b, "relu")
    assert (h == 0).any() and (h > 0).any()  # both sides of the kink are exercised
    dh = rng.standard_normal(h.shape)
    dx, dh0, dWx, dWh, db = L.rnn_backward(dh, cache)
    num = numerical_gradient(lambda w: L.rnn_forward(x, h0, Wx, w, b, "relu")[0], Wh, df=dh)
    assert rel_error(num, dWh) < 1e-7


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_rnn_forward_matches_plain_loop(activation):
    rng = np.random.default_rng(1)
    x, h0, Wx, Wh, b = rnn_inputs(rng, 3, 6, 4, 5)
    h, _ = L.rnn_forward(x, h0, Wx, Wh, b, activation)
    assert h.shape == (3, 6, 5)
    np.testing.assert_allclose(h, reference_rnn_forward(x, h0, Wx, Wh, b, activation), rtol=1e-12, atol=1e-12)


def test_rnn_backward_matches_per_step_backward():
    """BPTT as one function equals chaining rnn_step_backward by hand."""
    rng = np.random.default_rng(2)
    x, h0, Wx, Wh, b = rnn_inputs(rng, 2, 5, 3, 4)
    h, cache = L.rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dWx, dWh, db = L.rnn_backward(dh, cache)
    caches, h_prev = [], h0
    for t in range(5):
        h_prev, c = L.rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        caches.append(c)
    dh_next = np.zeros_like(h0)
    sums = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    for t in reversed(range(5)):
        dx_t, dh_next, *g = L.rnn_step_backward(dh[:, t] + dh_next, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-10, atol=1e-12)
        sums = [s + gi for s, gi in zip(sums, g)]
    np.testing.assert_allclose(dh0, dh_next, rtol=1e-10, atol=1e-12)
    for got, want in zip((dWx, dWh, db), sums):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_rnn_accepts_any_memory_layout():
    """Contiguous batch-first arrays and time-major views give identical results."""
    rng = np.random.default_rng(3)
    x, h0, Wx, Wh, b = rnn_inputs(rng, 3, 4, 2, 5)
    x_view = np.ascontiguousarray(x.transpose(1, 0, 2)).transpose(1, 0, 2)  # same values, time-major memory
    h1, c1 = L.rnn_forward(x, h0, Wx, Wh, b)
    h2, c2 = L.rnn_forward(x_view, h0, Wx, Wh, b)
    np.testing.assert_array_equal(h1, h2)
    dh = rng.standard_normal(h1.shape)
    for g1, g2 in zip(L.rnn_backward(dh, c1), L.rnn_backward(np.ascontiguousarray(dh), c2)):
        np.testing.assert_allclose(g1, g2, rtol=1e-13, atol=1e-14)


def test_rnn_leaves_inputs_and_cache_untouched():
    rng = np.random.default_rng(4)
    args = rnn_inputs(rng, 2, 3, 4, 5)
    copies = [a.copy() for a in args]
    h, cache = L.rnn_forward(*args)
    h_copy = h.copy()
    dh = rng.standard_normal(h.shape)
    dh_copy = dh.copy()
    first = L.rnn_backward(dh, cache)
    second = L.rnn_backward(dh, cache)  # the cache can be used twice
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(h, h_copy)
    np.testing.assert_array_equal(dh, dh_copy)
    for g1, g2 in zip(first, second):
        np.testing.assert_array_equal(g1, g2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rnn_keeps_dtype(dtype):
    rng = np.random.default_rng(5)
    x, h0, Wx, Wh, b = rnn_inputs(rng, 2, 3, 4, 5, dtype)
    h, cache = L.rnn_forward(x, h0, Wx, Wh, b)
    assert h.dtype == dtype
    for g in L.rnn_backward(np.ones_like(h), cache):
        assert g.dtype == dtype


def test_rnn_mixed_dtypes_raise():
    rng = np.random.default_rng(6)
    x, h0, Wx, Wh, b = rnn_inputs(rng, 2, 3, 4, 5)
    with pytest.raises(TypeError, match=r"rnn_forward: all arrays must share one float dtype.*x=float32"):
        L.rnn_forward(x.astype(np.float32), h0, Wx, Wh, b)
    h, cache = L.rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(TypeError, match=r"rnn_backward: all arrays must share one float dtype"):
        L.rnn_backward(np.ones(h.shape, np.float32), cache)
    with pytest.raises(ValueError, match=r"rnn_backward: dh must have shape \(N, T, H\) = \(2, 3, 5\), got \(2, 5, 3\)"):
        L.rnn_backward(np.ones((2, 5, 3)), cache)


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
