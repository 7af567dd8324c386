"""rnnlab.attention: the weights (softmax over the source axis, masked, scaled), every
gradient against numerical differences (float64) and torch autograd, dtypes and bad input."""

import numpy as np
import pytest

from rnnlab.attention import (
    additive_attention_backward,
    additive_attention_forward,
    dot_attention_backward,
    dot_attention_forward,
)
from rnnlab.gradcheck import numerical_gradient, rel_error

N, Tq, Ts, d, dv, A = 2, 3, 5, 4, 3, 6
MASK = np.array([[True] * 5, [True, True, True, False, False]])


def _inputs(rng, dtype=np.float64):
    return [rng.standard_normal(s).astype(dtype) for s in ((N, Tq, d), (N, Ts, d), (N, Ts, dv))]


def _additive_params(rng, dtype=np.float64):
    return [(rng.standard_normal(s) * 0.7).astype(dtype) for s in ((d, A), (d, A), (A,))]


# --------------------------------------------------------------------------
# Forward: the weights
# --------------------------------------------------------------------------


def test_dot_attention_follows_the_formula(rng):
    q, k, v = _inputs(rng)
    ctx, alpha, _ = dot_attention_forward(q, k, v, MASK)
    for n in range(N):
        L = MASK[n].sum()
        for t in range(Tq):
            e = k[n, :L] @ q[n, t] / np.sqrt(d)  # scaled by sqrt(d), not d, not 1
            a = np.exp(e - e.max())
            a /= a.sum()
            np.testing.assert_allclose(alpha[n, t, :L], a, rtol=1e-12)
            np.testing.assert_allclose(ctx[n, t], a @ v[n, :L], rtol=1e-12)
    assert not alpha[1, :, 3:].any(), "padded source steps must get weight exactly 0"
    np.testing.assert_allclose(alpha.sum(axis=-1), 1.0, rtol=1e-12)  # over the source axis


def test_additive_attention_follows_the_formula(rng):
    q, k, v = _inputs(rng)
    Wq, Wk, w = _additive_params(rng)
    ctx, alpha, _ = additive_attention_forward(q, k, v, Wq, Wk, w, MASK)
    n, t, L = 1, 2, 3
    e = np.array([np.tanh(q[n, t] @ Wq + k[n, j] @ Wk) @ w for j in range(L)])
    a = np.exp(e - e.max())
    a /= a.sum()
    np.testing.assert_allclose(alpha[n, t, :L], a, rtol=1e-12)
    np.testing.assert_allclose(ctx[n, t], a @ v[n, :L], rtol=1e-12)
    assert not alpha[1, :, 3:].any()


@pytest.mark.parametrize("kind", ["dot", "additive"])
def test_padding_values_change_nothing(kind, rng):
    q, k, v = _inputs(rng)
    k2, v2 = k.copy(), v.copy()
    k2[1, 3:], v2[1, 3:] = 50.0, -50.0
    extra = _additive_params(rng) if kind == "additive" else []
    f = additive_attention_forward if kind == "additive" else dot_attention_forward
    c1, a1, _ = f(q, k, v, *extra, mask=MASK)
    c2, a2, _ = f(q, k2, v2, *extra, mask=MASK)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_allclose(c1, c2, rtol=1e-13)


def test_a_query_that_matches_one_key_attends_to_it():
    # k_j = 10 * one-hot(j): a query equal to key 2 scores 100/2 there and 0 elsewhere
    k = np.zeros((1, 4, 4))
    k[0, np.arange(4), np.arange(4)] = 10.0
    v = np.arange(4.0).reshape(1, 4, 1)
    ctx, alpha, _ = dot_attention_forward(k[:, 2:3], k, v)
    assert alpha[0, 0].argmax() == 2 and alpha[0, 0, 2] > 0.999
    assert abs(ctx[0, 0, 0] - 2.0) < 1e-3


# --------------------------------------------------------------------------
# Gradients: numerical (float64)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [None, MASK], ids=["full", "masked"])
def test_dot_attention_gradients_match_numerical(mask, rng):
    q, k, v = _inputs(rng)
    G = rng.standard_normal((N, Tq, dv))
    _, _, cache = dot_attention_forward(q, k, v, mask)
    grads = dot_attention_backward(G, cache)
    for i, (name, arr) in enumerate((("q", q), ("k", k), ("v", v))):
        def f(a, i=i):
            args = [q, k, v]
            args[i] = a
            return dot_attention_forward(*args, mask)[0]
        assert rel_error(grads[i], numerical_gradient(f, arr, G)) < 1e-8, name


@pytest.mark.parametrize("mask", [None, MASK], ids=["full", "masked"])
def test_additive_attention_gradients_match_numerical(mask, rng):
    q, k, v = _inputs(rng)
    P = _additive_params(rng)
    G = rng.standard_normal((N, Tq, dv))
    _, _, cache = additive_attention_forward(q, k, v, *P, mask=mask)
    grads = additive_attention_backward(G, cache)
    inputs = [q, k, v, *P]
    for i, name in enumerate(("q", "k", "v", "Wq", "Wk", "w")):
        def f(a, i=i):
            args = list(inputs)
            args[i] = a
            return additive_attention_forward(*args, mask=mask)[0]
        assert rel_error(grads[i], numerical_gradient(f, inputs[i], G)) < 1e-8, name


def test_extra_gradient_on_the_weights_is_included(rng):
    q, k, v = _inputs(rng)
    Ga = rng.standard_normal((N, Tq, Ts))
    _, _, cache = dot_attention_forward(q, k, v, MASK)
    dq, _, _ = dot_attention_backward(np.zeros((N, Tq, dv)), cache, dalpha=Ga)
    num = numerical_gradient(lambda a: dot_attention_forward(a, k, v, MASK)[1], q, Ga)
    assert rel_error(dq, num) < 1e-8


# --------------------------------------------------------------------------
# Gradients: torch autograd
# --------------------------------------------------------------------------


def test_dot_attention_matches_torch_sdpa(rng):
    torch = pytest.importorskip("torch")
    q, k, v = _inputs(rng)
    G = rng.standard_normal((N, Tq, dv))
    ctx, alpha, cache = dot_attention_forward(q, k, v, MASK)
    dq, dk, dv_ = dot_attention_backward(G, cache)
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    # torch's own kernel (an implementation we did not write); its bool mask is True = attend
    out = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=torch.tensor(MASK)[:, None, :])
    (out * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(ctx, out.detach().numpy(), atol=1e-12)
    for ours, t in ((dq, qt), (dk, kt), (dv_, vt)):
        assert rel_error(ours, t.grad.numpy()) < 1e-10


def test_additive_attention_matches_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    q, k, v = _inputs(rng)
    P = _additive_params(rng)
    G = rng.standard_normal((N, Tq, dv))
    ctx, _, cache = additive_attention_forward(q, k, v, *P, mask=MASK)
    ours = additive_attention_backward(G, cache)
    T = [torch.tensor(a, requires_grad=True) for a in (q, k, v, *P)]
    qt, kt, vt, Wq, Wk, w = T
    e = torch.tanh((qt @ Wq)[:, :, None, :] + (kt @ Wk)[:, None, :, :]) @ w
    e = e.masked_fill(~torch.tensor(MASK)[:, None, :], float("-inf"))
    out = torch.softmax(e, dim=-1) @ vt
    (out * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(ctx, out.detach().numpy(), atol=1e-12)
    for name, g, t in zip(("q", "k", "v", "Wq", "Wk", "w"), ours, T):
        assert rel_error(g, t.grad.numpy()) < 1e-10, name


# --------------------------------------------------------------------------
# dtypes and bad input
# --------------------------------------------------------------------------


def test_float32_stays_float32(rng):
    q, k, v = _inputs(rng, np.float32)
    P = _additive_params(rng, np.float32)
    for ctx, alpha, cache, back in (
        (*dot_attention_forward(q, k, v, MASK), dot_attention_backward),
        (*additive_attention_forward(q, k, v, *P, mask=MASK), additive_attention_backward),
    ):
        assert ctx.dtype == alpha.dtype == np.float32
        assert all(g.dtype == np.float32 for g in back(np.ones_like(ctx), cache))


def test_bad_input_is_refused(rng):
    q, k, v = _inputs(rng)
    with pytest.raises(TypeError, match="dot_attention_forward.*one float dtype"):
        dot_attention_forward(q.astype(np.float32), k, v)
    with pytest.raises(TypeError, match="mask must be an \\(N, Ts\\) bool"):
        dot_attention_forward(q, k, v, MASK.astype(int))
    with pytest.raises(ValueError, match=r"mask must have shape \(N, Ts\)"):
        dot_attention_forward(q, k, v, MASK[:, :4])
    empty = MASK.copy()
    empty[1] = False
    with pytest.raises(ValueError, match="row 1 has none"):
        dot_attention_forward(q, k, v, empty)
    with pytest.raises(ValueError, match="d of q"):
        dot_attention_forward(q[:, :, :3].copy(), k, v)
    with pytest.raises(ValueError, match="same batch size"):
        dot_attention_forward(q[:1].copy(), k, v)
    Wq, Wk, w = _additive_params(rng)
    with pytest.raises(ValueError, match=r"additive_attention_forward: Wk must have shape"):
        additive_attention_forward(q, k, v, Wq, Wk[:, :3].copy(), w)
    _, _, cache = dot_attention_forward(q, k, v)
    with pytest.raises(ValueError, match=r"dot_attention_backward: dctx must have shape"):
        dot_attention_backward(np.ones((N, Tq, d + 1)), cache)
