"""The helpers behind notebook 03's checks: they must report real errors, not only pass."""

import numpy as np
import pytest

from rnnlab.layers import embedding_backward, embedding_forward, rnn_step_backward, rnn_step_forward
from rnnlab.teaching.gradcheck_demos import eps_sweep, layer_rel_errors, one_hot


def _step_problem(seed=0, N=2, D=3, H=4):
    rng = np.random.default_rng(seed)
    inp = dict(x=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)),
               Wx=rng.standard_normal((D, H)), Wh=rng.standard_normal((H, H)), b=rng.standard_normal(H))
    out, cache = rnn_step_forward(**inp)
    dout = rng.standard_normal(out.shape)
    grads = dict(zip(["x", "h_prev", "Wx", "Wh", "b"], rnn_step_backward(dout, cache)))
    return inp, grads, dout


def test_layer_rel_errors_passes_the_real_backward_and_catches_a_wrong_one():
    inp, grads, dout = _step_problem()
    errors = layer_rel_errors(lambda **kw: rnn_step_forward(**kw)[0], grads, inp, dout)
    assert list(errors) == ["x", "h_prev", "Wx", "Wh", "b"] and max(errors.values()) < 1e-8
    wrong = {**grads, "Wh": grads["Wh"].T}           # the missing-transpose kind of mistake
    errors = layer_rel_errors(lambda **kw: rnn_step_forward(**kw)[0], wrong, inp, dout)
    assert errors["Wh"] > 1e-2 and errors["Wx"] < 1e-8


def test_layer_rel_errors_names_unknown_gradients():
    inp, grads, dout = _step_problem()
    with pytest.raises(ValueError, match="layer_rel_errors.*'W'"):
        layer_rel_errors(lambda **kw: rnn_step_forward(**kw)[0], {"W": grads["Wx"]}, inp, dout)


def test_eps_sweep_shows_truncation_then_round_off():
    w = np.array([0.3, -1.2, 2.0])
    exact = np.cos(w)
    eps = 10.0 ** np.arange(-1, -13, -1.0)
    err = eps_sweep(lambda v: np.sin(v).sum(), w, exact, eps)
    assert err.shape == eps.shape
    assert err[0] > 1e-4 and err.min() < 1e-9 and err[-1] > err.min() * 100   # a V shape
    err32 = eps_sweep(lambda v: np.sin(v).sum(), w.astype(np.float32), exact, eps)
    assert err32.min() > 1e-6 and err32[-1] == 1.0     # float32: w + 1e-12 == w


def test_one_hot_row_times_W_is_the_lookup_and_its_transpose_the_scatter_add():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((5, 3))
    idx = np.array([[2, 0, 2, 4]])
    X = one_hot(idx, 5)
    assert X.shape == (1, 4, 5) and (X.sum(-1) == 1).all()
    out, cache = embedding_forward(idx, W)
    np.testing.assert_array_equal(X @ W, out)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(embedding_backward(dout, cache), X.reshape(-1, 5).T @ dout.reshape(-1, 3),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"one_hot: idx must be integers in \[0, V=5\)"):
        one_hot(np.array([0, 5]), 5)
    with pytest.raises(ValueError, match="one_hot"):
        one_hot(np.array([0.0, 1.0]), 5)
