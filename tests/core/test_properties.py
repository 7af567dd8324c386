"""Property tests over random shapes (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnlab as R

dims = st.integers(min_value=1, max_value=4)


@settings(max_examples=25, deadline=None)
@given(N=dims, T=dims, D=dims, H=dims, act=st.sampled_from(["tanh", "sigmoid", "relu"]),
       seed=st.integers(0, 2**31 - 1))
def test_rnn_backward_matches_numerical_for_any_shape(N, T, D, H, act, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx, Wh = 0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H))
    b = 0.5 * rng.standard_normal(H)
    h, cache = R.rnn_forward(x, h0, Wx, Wh, b, act)
    assert h.shape == (N, T, H)
    if act == "relu":
        # skip draws where a pre-activation sits within the finite-difference step of the kink
        a_pre = np.empty_like(h)
        hp = h0
        for t in range(T):
            a_pre[:, t] = x[:, t] @ Wx + hp @ Wh + b
            hp = h[:, t]
        if np.abs(a_pre).min() < 1e-4:
            return
    dh = rng.standard_normal(h.shape)
    grads = R.rnn_backward(dh, cache)
    for i, g in enumerate(grads):
        args = [x, h0, Wx, Wh, b]

        def f(v, i=i):
            a = list(args)
            a[i] = v
            return R.rnn_forward(*a, act)[0]

        assert g.shape == args[i].shape
        assert R.rel_error(g, R.numerical_gradient(f, args[i], dh)) < 1e-7


@settings(max_examples=25, deadline=None)
@given(N=dims, T=dims, V=st.integers(2, 6), seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([1.0, 1e3]))
def test_softmax_loss_gradient_rows_sum_to_zero(N, T, V, seed, scale):
    rng = np.random.default_rng(seed)
    scores = scale * rng.standard_normal((N, T, V))
    y = rng.integers(0, V, size=(N, T))
    loss, ds = R.temporal_softmax_loss(scores, y)
    assert np.isfinite(loss) and loss >= 0
    # softmax probabilities minus a one-hot: every row of the gradient sums to 0
    np.testing.assert_allclose(ds.sum(-1), 0, atol=1e-12)
    if scale == 1.0:
        num = R.numerical_gradient(lambda s: R.temporal_softmax_loss(s, y)[0], scores)
        assert R.rel_error(ds, num) < 1e-7


@settings(max_examples=30, deadline=None)
@given(text=st.text(min_size=1, max_size=50))
def test_vocab_round_trips_any_text(text):
    v = R.Vocab.from_text(text)
    assert v.decode(v.encode(text)) == text


@settings(max_examples=30, deadline=None)
@given(L=st.integers(2, 200), N=st.integers(1, 8), T=st.integers(1, 20))
def test_batcher_streams_are_contiguous(L, N, T):
    if (L - 1) // N < 1:
        return
    ids = np.arange(L)
    b = R.SequenceBatcher(ids, N, T)
    xs = np.concatenate([x for x, _ in b], axis=1)
    ys = np.concatenate([y for _, y in b], axis=1)
    assert np.all(np.diff(xs, axis=1) == 1) and np.all(ys == xs + 1)
    assert xs.size + b.n_unused == L - 1
