"""The layers around the cell (embedding, affine, loss, activations) against numerical
gradients (float64, rel error < 1e-7), and dtypes through the whole layer chain.
The recurrent cells: test_cells.py."""

import numpy as np
import pytest

import rnnlab as R
from rnn_inputs import make_rnn_inputs

TOL = 1e-7


def _num_grads(forward, args, dout, which):
    """Numerical gradient of sum(forward(*args)[0] * dout) w.r.t. args[i] for i in which."""
    out = []
    for i in which:
        def f(v, i=i):
            a = list(args)
            a[i] = v
            return forward(*a)[0]
        out.append(R.numerical_gradient(f, args[i], dout))
    return out
ACTS = ["tanh", "sigmoid", "relu"]


def test_embedding_backward_matches_numerical_with_repeats(rng):
    W = rng.standard_normal((7, 3))
    idx = np.array([[0, 3, 3, 6], [3, 0, 1, 1]])  # repeats must add up
    out, cache = R.embedding_forward(idx, W)
    np.testing.assert_array_equal(out, np.eye(7)[idx] @ W)
    dout = rng.standard_normal(out.shape)
    dW = R.embedding_backward(dout, cache)
    num = R.numerical_gradient(lambda w: R.embedding_forward(idx, w)[0], W, dout)
    assert R.rel_error(dW, num) < TOL
    assert np.all(dW[[2, 4, 5]] == 0)  # rows never read get no gradient


def test_temporal_affine_backward_matches_numerical(rng):
    h = rng.standard_normal((2, 3, 4))
    W = rng.standard_normal((4, 5))
    b = rng.standard_normal(5)
    scores, cache = R.temporal_affine_forward(h, W, b)
    ds = rng.standard_normal(scores.shape)
    dh, dW, db = R.temporal_affine_backward(ds, cache)
    fwd = R.temporal_affine_forward
    for a, n in zip((dh, dW, db), _num_grads(fwd, (h, W, b), ds, range(3))):
        assert R.rel_error(a, n) < TOL


@pytest.mark.parametrize("with_mask", [False, True])
def test_temporal_softmax_loss_gradient(rng, with_mask):
    N, T, V = 3, 4, 6
    scores = rng.standard_normal((N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) > 0.4 if with_mask else None
    if with_mask:
        mask[0, 0] = True
    loss, dscores = R.temporal_softmax_loss(scores, y, mask)
    num = R.numerical_gradient(lambda s: R.temporal_softmax_loss(s, y, mask)[0], scores)
    assert R.rel_error(dscores, num) < TOL
    if with_mask:
        assert np.all(dscores[~mask] == 0)


def test_temporal_softmax_loss_is_mean_over_unmasked_positions(rng):
    N, T, V = 2, 5, 4
    scores = rng.standard_normal((N, T, V))
    y = rng.integers(0, V, size=(N, T))
    logp = scores - np.log(np.exp(scores).sum(-1, keepdims=True))
    per_pos = -np.take_along_axis(logp, y[..., None], -1)[..., 0]
    loss, _ = R.temporal_softmax_loss(scores, y)
    assert loss == pytest.approx(per_pos.mean(), rel=1e-12)
    mask = np.zeros((N, T), dtype=int)
    mask[1, 2:] = 1
    loss_m, _ = R.temporal_softmax_loss(scores, y, mask)
    assert loss_m == pytest.approx(per_pos[1, 2:].mean(), rel=1e-12)
    # mean, not sum: doubling T with the same per-step losses keeps the loss
    loss2, _ = R.temporal_softmax_loss(np.concatenate([scores, scores], 1), np.concatenate([y, y], 1))
    assert loss2 == pytest.approx(loss, rel=1e-12)


def test_uniform_scores_give_ln_V():
    V = 37
    loss, _ = R.temporal_softmax_loss(np.zeros((2, 3, V)), np.zeros((2, 3), dtype=int))
    assert loss == pytest.approx(np.log(V), rel=1e-12)


def test_softmax_loss_is_stable_for_huge_scores():
    scores = np.array([[[1e4, 0.0, -1e4], [-1e6, 1e6, 0.0]]])
    y = np.array([[0, 0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, ds = R.temporal_softmax_loss(scores, y)
    assert np.isfinite(loss) and np.all(np.isfinite(ds))
    assert loss == pytest.approx(0.5 * 2e6, rel=1e-9)  # step 2 misses by 1e6 nats
    p = R.softmax(np.array([1000.0, 1000.0, -1000.0]))
    np.testing.assert_allclose(p, [0.5, 0.5, 0.0])


def test_sigmoid_is_stable_and_correct():
    a = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = R.activate(a, "sigmoid")
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-a[1:4])), rtol=1e-12)
    assert s[0] < 1e-300 and s[-1] == 1.0


@pytest.mark.parametrize("act", ACTS)
def test_activation_grad_from_output_matches_derivative(act):
    a = np.linspace(-3, 3, 13) + 0.05  # avoid the relu kink
    h = R.activate(a, act)
    num = R.numerical_gradient(lambda z: R.activate(z, act), a, np.ones_like(a))
    np.testing.assert_allclose(R.activation_grad_from_output(h, act), num, atol=1e-8)


def test_mse_loss_gradient(rng):
    y_hat, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss, d = R.mse_loss(y_hat, y)
    assert loss == pytest.approx(0.5 * ((y_hat - y) ** 2).sum() / 4)
    assert R.rel_error(d, R.numerical_gradient(lambda v: R.mse_loss(v, y)[0], y_hat)) < TOL


# ---------------- dtype: float32 stays float32, mixing is an error ----------------


def test_float32_stays_float32_end_to_end(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng, dtype=np.float32)
    h, cache = R.rnn_forward(x, h0, Wx, Wh, b)
    assert h.dtype == np.float32
    grads = R.rnn_backward(np.ones_like(h), cache)
    assert all(g.dtype == np.float32 for g in grads)
    W = rng.standard_normal((6, 4)).astype(np.float32)
    bo = np.zeros(4, np.float32)
    scores, c2 = R.temporal_affine_forward(h, W, bo)
    assert scores.dtype == np.float32
    _, ds = R.temporal_softmax_loss(scores, np.zeros(scores.shape[:2], dtype=int))
    assert ds.dtype == np.float32
    assert all(g.dtype == np.float32 for g in R.temporal_affine_backward(ds, c2))
    E = rng.standard_normal((5, 3)).astype(np.float32)
    out, ec = R.embedding_forward(np.zeros((2, 2), dtype=int), E)
    assert out.dtype == np.float32 and R.embedding_backward(out, ec).dtype == np.float32


def test_float32_matches_float64_closely(rng):
    args64 = make_rnn_inputs(rng)
    args32 = [a.astype(np.float32) for a in args64]
    h64, _ = R.rnn_forward(*args64)
    h32, _ = R.rnn_forward(*args32)
    np.testing.assert_allclose(h32, h64, atol=1e-5)


def test_mixed_dtypes_raise(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng)
    with pytest.raises(TypeError, match=r"one float dtype.*Wh=float32"):
        R.rnn_forward(x, h0, Wx, Wh.astype(np.float32), b)


# --------------------------------------------------------------------------
# Hardening (issue 15): helpers take float arrays only; masked nan stays out
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [R.softmax, R.log_softmax])
def test_softmax_helpers_reject_ints_lists_and_empty_axes(fn):
    name = fn.__name__
    with pytest.raises(TypeError, match=rf"{name}: z must have dtype float32 or float64, got int64"):
        fn(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match=rf"{name}: z must be a numpy array.*got list"):
        fn([1.0, 2.0])
    with pytest.raises(ValueError, match=rf"{name}: axis 1 of the input is empty \(shape \(2, 0\)\)"):
        fn(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=rf"{name}: axis must be in \[-2, 2\) for an array of shape \(2, 3\), got 2"):
        fn(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match=rf"{name}: axis must be an int, got float"):
        fn(np.zeros((2, 3)), axis=1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_helpers_keep_dtype_and_are_right(dtype):
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1000.0]], dtype)
    p = R.softmax(z)
    assert p.dtype == dtype and R.log_softmax(z).dtype == dtype
    np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-6)
    np.testing.assert_allclose(np.exp(R.log_softmax(z)), p, rtol=1e-5, atol=1e-30)


def test_activate_rejects_non_float_input():
    with pytest.raises(TypeError, match=r"activate: a must have dtype float32 or float64, got int64"):
        R.activate(np.array([-1, 2]), "relu")
    with pytest.raises(TypeError, match=r"activate: a must be a numpy array.*got list"):
        R.activate([0.5], "tanh")
    with pytest.raises(TypeError, match=r"activation_grad_from_output: h must be a numpy array.*got float"):
        R.activation_grad_from_output(0.5, "tanh")


def test_embedding_backward_refuses_to_mix_dtypes():
    W = np.ones((5, 3), np.float32)
    _, cache = R.embedding_forward(np.array([[0, 1]]), W)
    with pytest.raises(TypeError, match=r"embedding_backward: dout has dtype float64 but the embedding table W has float32"):
        R.embedding_backward(np.ones((1, 2, 3)), cache)
    assert R.embedding_backward(np.ones((1, 2, 3), np.float32), cache).dtype == np.float32


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_scores_at_masked_positions_do_not_reach_the_loss(bad):
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((2, 3, 4))
    y = rng.integers(0, 4, (2, 3))
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    clean_loss, clean_d = R.temporal_softmax_loss(scores, y, mask)
    dirty = scores.copy()
    dirty[0, 2] = bad
    dirty[1, 1, 0] = bad
    loss, d = R.temporal_softmax_loss(dirty, y, mask)
    assert loss == pytest.approx(clean_loss, rel=1e-12)
    np.testing.assert_allclose(d, clean_d, rtol=1e-12)
    assert np.all(d[~mask] == 0)
    # the masked loss equals the plain loss over the kept positions only
    kept = [R.temporal_softmax_loss(scores[n:n + 1, t:t + 1], y[n:n + 1, t:t + 1])[0] for n, t in zip(*np.nonzero(mask))]
    assert loss == pytest.approx(np.mean(kept), rel=1e-12)
