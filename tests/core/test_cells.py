"""The contract every recurrent cell keeps, on both paths: one parametrised test per behaviour.

Cells: the vanilla RNN (tanh, sigmoid, relu), the LSTM and the GRU (tests/support/
cell_specs.py gives them one interface).  Paths: "reference" (rnnlab.layers, lstm,
gru: loops over the step functions) and "fast" (rnnlab.fast).  Behaviour that
belongs to one cell (the LSTM's additive memory path, the GRU's b_hn) is tested
in test_lstm.py and test_gru.py; fast-versus-reference agreement on generated
shapes in test_fast_agrees.py.
"""

import numpy as np
import pytest

from cell_specs import PATHS, SPECS, Spec
from rnnlab.gradcheck import numerical_gradient, rel_error

# (N, T, D, H): ordinary, and every axis of length 1 in turn
SHAPES = [(3, 4, 5, 6), (1, 4, 3, 5), (3, 1, 4, 5), (2, 3, 1, 4), (2, 3, 4, 1), (1, 1, 1, 1)]
ids = [str(s) for s in SPECS]


def _inputs(spec, rng, N, T, D, H, dtype=np.float64):
    x = rng.standard_normal((N, T, D)).astype(dtype)
    return x, spec.states(rng, N, H, dtype), spec.params(rng, D, H, dtype)


# --------------------------------------------------------------------------
# One step follows the course's equations, written out independently here
# --------------------------------------------------------------------------


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _step_by_the_equations(spec, x, states, params):
    H = states[0].shape[1]
    h_prev = states[0]
    if spec.cell == "rnn":
        f = {"tanh": np.tanh, "sigmoid": _sig, "relu": lambda a: np.maximum(a, 0)}[spec.activation]
        return [f(x @ params[0] + h_prev @ params[1] + params[2])]
    if spec.cell == "lstm":
        a = x @ params[0] + h_prev @ params[1] + params[2]
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
        c = f * states[1] + i * g  # blocks [i, f, g, o]
        return [o * np.tanh(c), c]
    Wx, Wh, b, b_hn = params
    ax, ah = x @ Wx + b, h_prev @ Wh
    r = _sig(ax[:, :H] + ah[:, :H])  # blocks [r, z, n]
    z = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * (ah[:, 2 * H:] + b_hn))
    return [(1 - z) * n + z * h_prev]


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_step_forward_follows_the_equations(spec, rng):
    x, states, params = _inputs(spec, rng, 3, 1, 4, 6)
    h, nxt, _ = spec.step_forward(x[:, 0], states, params)
    want = _step_by_the_equations(spec, x[:, 0], states, params)
    for got, w in zip(nxt, want):
        assert rel_error(got, w) < 1e-12
    np.testing.assert_array_equal(h, nxt[0])


# --------------------------------------------------------------------------
# Gradients: numerical (float64) for steps and whole sequences
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=ids)
@pytest.mark.parametrize("shape", SHAPES)
def test_step_backward_matches_numerical_gradient(spec, shape, rng):
    N, _, D, H = shape
    x, states, params = _inputs(spec, rng, N, 1, D, H)
    x = x[:, 0]
    _, nxt, cache = spec.step_forward(x, states, params)
    dnext = [rng.standard_normal(s.shape) for s in nxt]
    dx, dstates, dparams = spec.step_backward(dnext, cache)
    inputs = [x, *states, *params]
    names = ["x", *spec.state_names, *spec.param_names]
    for k, (name, grad) in enumerate(zip(names, [dx, *dstates, *dparams])):
        def loss(v, k=k):
            args = list(inputs)
            args[k] = v
            _, out, _ = spec.step_forward(args[0], args[1:1 + len(states)], args[1 + len(states):])
            return sum(np.sum(o * d) for o, d in zip(out, dnext))
        num = numerical_gradient(loss, inputs[k])
        assert grad.shape == inputs[k].shape, name
        assert rel_error(num, grad) < 1e-7, f"{spec} step: d{name}"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_backward_matches_numerical_gradient(spec, path, shape, rng):
    """Every gradient, including those of a loss on the final state (the carried h, and c)."""
    x, states, params = _inputs(spec, rng, *shape)
    h, final, cache = spec.forward(path, x, states, params)
    dh = rng.standard_normal(h.shape)
    dfinal = [rng.standard_normal(s.shape) for s in final]
    dx, dstates, dparams = spec.backward(path, dh, cache, dfinal)
    inputs = [x, *states, *params]
    names = ["x", *spec.state_names, *spec.param_names]
    S = len(states)
    for k, (name, grad) in enumerate(zip(names, [dx, *dstates, *dparams])):
        def loss(v, k=k):
            args = list(inputs)
            args[k] = v
            return spec.loss(path, args[0], args[1:1 + S], args[1 + S:], dh, dfinal)
        num = numerical_gradient(loss, inputs[k])
        assert grad.shape == inputs[k].shape, name
        assert rel_error(num, grad) < 1e-7, f"{spec} {path} {shape}: d{name} ({rel_error(num, grad):.1e})"


# --------------------------------------------------------------------------
# The sequence functions are the step functions, looped
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_sequence_forward_equals_repeated_steps(spec, path, rng):
    x, states, params = _inputs(spec, rng, 3, 5, 4, 6)
    h, final, _ = spec.forward(path, x, states, params)
    s = states
    for t in range(x.shape[1]):
        h_t, s, _ = spec.step_forward(x[:, t], s, params)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-12, atol=1e-14)
    for got, want in zip(final, s):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_sequence_backward_equals_chained_step_backwards(spec, path, rng):
    x, states, params = _inputs(spec, rng, 3, 5, 4, 6)
    T = x.shape[1]
    h, final, cache = spec.forward(path, x, states, params)
    dh = rng.standard_normal(h.shape)
    dx, dstates0, dparams = spec.backward(path, dh, cache)
    caches, s = [], states
    for t in range(T):
        _, s, c = spec.step_forward(x[:, t], s, params)
        caches.append(c)
    dnext = [np.zeros_like(a) for a in states]  # nothing after the last step
    sums = [np.zeros_like(p) for p in params]
    for t in reversed(range(T)):
        dnext[0] = dnext[0] + dh[:, t]  # h_t: from the layer above and from step t+1
        dx_t, dnext, dp = spec.step_backward(dnext, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-10, atol=1e-12)
        sums = [a + b for a, b in zip(sums, dp)]
    for got, want in zip([*dstates0, *dparams], [*dnext, *sums]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_carrying_the_state_across_two_windows_equals_one_pass(spec, path, rng):
    x, states, params = _inputs(spec, rng, 3, 5, 4, 6)
    h_full, final_full, _ = spec.forward(path, x, states, params)
    h1, final1, _ = spec.forward(path, x[:, :2], states, params)
    h2, final2, _ = spec.forward(path, x[:, 2:], final1, params)
    np.testing.assert_allclose(np.concatenate([h1, h2], axis=1), h_full, rtol=1e-12, atol=1e-14)
    for a, b in zip(final2, final_full):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------
# Memory layout, side effects, cache size
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_any_memory_layout_gives_the_same_numbers(spec, path, rng):
    """Batch-first arrays and (N, T, K) views of time-major memory are the same input."""
    x, states, params = _inputs(spec, rng, 3, 4, 2, 5)
    x_view = np.ascontiguousarray(x.transpose(1, 0, 2)).transpose(1, 0, 2)
    h1, _, c1 = spec.forward(path, x, states, params)
    h2, _, c2 = spec.forward(path, x_view, states, params)
    np.testing.assert_array_equal(h1, h2)
    dh = rng.standard_normal(h1.shape)
    dh_view = np.ascontiguousarray(dh.transpose(1, 0, 2)).transpose(1, 0, 2)
    g1 = spec.backward(path, dh, c1)
    g2 = spec.backward(path, dh_view, c2)
    for a, b in zip([g1[0], *g1[1], *g1[2]], [g2[0], *g2[1], *g2[2]]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_inputs_and_cache_are_left_untouched(spec, path, rng):
    x, states, params = _inputs(spec, rng, 2, 3, 4, 5)
    inputs = [x, *states, *params]
    copies = [a.copy() for a in inputs]
    h, _, cache = spec.forward(path, x, states, params)
    h_copy = h.copy()
    dh = rng.standard_normal(h.shape)
    dh_copy = dh.copy()
    first = spec.backward(path, dh, cache)
    second = spec.backward(path, dh, cache)  # a cache can be used twice
    for a, c in zip(inputs, copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(h, h_copy)
    np.testing.assert_array_equal(dh, dh_copy)
    for a, b in zip([first[0], *first[1], *first[2]], [second[0], *second[1], *second[2]]):
        np.testing.assert_array_equal(a, b)


def _arrays(obj):
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, tuple):
        for o in obj:
            yield from _arrays(o)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_cache_is_o_nth(spec, path, rng):
    """Nothing cached is larger than the inputs or G*N*T*H (the gate values)."""
    N, T, D, H = 4, 6, 3, 5
    x, states, params = _inputs(spec, rng, N, T, D, H)
    _, _, cache = spec.forward(path, x, states, params)
    for a in _arrays(cache):
        assert a.size <= max(N * T * max(D, spec.gates * H), params[1].size), a.shape


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_float32_stays_float32_and_agrees_with_float64(spec, path, rng):
    f32 = np.float32
    x, states, params = _inputs(spec, rng, 3, 5, 4, 6, f32)
    h, final, cache = spec.forward(path, x, states, params)
    assert h.dtype == f32 and all(s.dtype == f32 for s in final)
    dx, dstates, dparams = spec.backward(path, rng.standard_normal(h.shape).astype(f32), cache)
    assert all(g.dtype == f32 for g in [dx, *dstates, *dparams])
    h_s, s_s, step_cache = spec.step_forward(x[:, 0], states, params)
    assert h_s.dtype == f32
    dx_s, ds_s, dp_s = spec.step_backward(s_s, step_cache)
    assert all(g.dtype == f32 for g in [dx_s, *ds_s, *dp_s])
    up = lambda arrs: [a.astype(np.float64) for a in arrs]  # noqa: E731
    h64, _, _ = spec.forward(path, x.astype(np.float64), up(states), up(params))
    assert rel_error(h, h64) < 1e-5


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_mixing_float32_and_float64_raises(spec, path, rng):
    x, states, params = _inputs(spec, rng, 3, 5, 4, 6)
    fwd = f"{spec.cell}_forward"
    with pytest.raises(TypeError, match=rf"{fwd}: all arrays must share one float dtype.*Wh=float32"):
        spec.forward(path, x, states, [params[0], params[1].astype(np.float32), *params[2:]])
    h, _, cache = spec.forward(path, x, states, params)
    with pytest.raises(TypeError, match=rf"{spec.cell}_backward: all arrays must share one float dtype.*dh=float32"):
        spec.backward(path, np.zeros(h.shape, np.float32), cache)
    with pytest.raises(ValueError, match=rf"{spec.cell}_backward: dh must have shape \(N, T, H\) = \(3, 5, 6\)"):
        spec.backward(path, np.zeros((3, 6, 5)), cache)


# --------------------------------------------------------------------------
# PyTorch autograd as the oracle: outputs, final states and every gradient
# --------------------------------------------------------------------------


def _torch_module(torch, spec, D, H, rng):
    torch.manual_seed(0)
    if spec.cell == "rnn":
        m = torch.nn.RNN(D, H, nonlinearity=spec.activation, batch_first=True, dtype=torch.float64)
    else:
        m = getattr(torch.nn, spec.cell.upper())(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # non-zero biases so a wrong bias mapping shows
        m.bias_ih_l0.copy_(torch.from_numpy(rng.standard_normal(m.bias_ih_l0.shape)))
        m.bias_hh_l0.copy_(torch.from_numpy(rng.standard_normal(m.bias_hh_l0.shape)))
    return m


def _our_params(spec, m):
    """Our parameters from a torch module, and the map back from our gradients to torch's."""
    w_ih, w_hh, b_ih, b_hh = (getattr(m, n).detach().numpy() for n in ("weight_ih_l0", "weight_hh_l0",
                                                                         "bias_ih_l0", "bias_hh_l0"))
    if spec.cell == "gru":
        import rnnlab
        return list(rnnlab.gru_params_from_torch(w_ih, w_hh, b_ih, b_hh))
    return [w_ih.T.copy(), w_hh.T.copy(), b_ih + b_hh]  # vanilla and LSTM: the biases add


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("spec", [s for s in SPECS if s.activation != "sigmoid"], ids=lambda s: str(s))
def test_matches_torch_autograd(spec, path, rng):
    torch = pytest.importorskip("torch")
    N, T, D, H = 3, 5, 4, 6
    m = _torch_module(torch, spec, D, H, rng)
    params = _our_params(spec, m)
    x = rng.standard_normal((N, T, D))
    states = spec.states(rng, N, H)
    h, final, cache = spec.forward(path, x, states, params)
    dh = rng.standard_normal(h.shape)
    dfinal = [rng.standard_normal(s.shape) for s in final]
    dx, dstates, dparams = spec.backward(path, dh, cache, dfinal)

    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s[None], requires_grad=True) for s in states]
    out, last = m(xt, tuple(st) if spec.cell == "lstm" else st[0])
    last = list(last) if spec.cell == "lstm" else [last]
    loss = torch.sum(out * torch.from_numpy(dh)) + sum(torch.sum(s[0] * torch.from_numpy(d))
                                                      for s, d in zip(last, dfinal))
    loss.backward()
    assert rel_error(h, out.detach().numpy()) < 1e-12
    for ours, theirs in zip(final, last):
        assert rel_error(ours, theirs[0].detach().numpy()) < 1e-12
    assert rel_error(dx, xt.grad.numpy()) < 1e-10
    for ours, theirs in zip(dstates, st):
        assert rel_error(ours, theirs.grad[0].numpy()) < 1e-10
    assert rel_error(dparams[0], m.weight_ih_l0.grad.numpy().T) < 1e-10
    assert rel_error(dparams[1], m.weight_hh_l0.grad.numpy().T) < 1e-10
    if spec.cell == "gru":  # r, z: the two biases add; n: b_ih is our b[n], b_hh our b_hn
        Hh = H
        assert rel_error(dparams[2], m.bias_ih_l0.grad.numpy()) < 1e-10
        assert rel_error(dparams[2][:2 * Hh], m.bias_hh_l0.grad.numpy()[:2 * Hh]) < 1e-10
        assert rel_error(dparams[3], m.bias_hh_l0.grad.numpy()[2 * Hh:]) < 1e-10
    else:  # the two torch biases are added, so each receives our db
        assert rel_error(dparams[2], m.bias_ih_l0.grad.numpy()) < 1e-10
        assert rel_error(dparams[2], m.bias_hh_l0.grad.numpy()) < 1e-10


def test_specs_cover_every_cell_and_activation():
    from rnnlab.cells import CELLS
    from rnnlab.layers import ACTIVATIONS
    assert {s.cell for s in SPECS} == set(CELLS)
    assert {s.activation for s in SPECS if s.cell == "rnn"} == set(ACTIVATIONS)
    assert str(Spec("rnn", "relu")) == "rnn-relu"


@pytest.mark.parametrize("spec", [Spec("rnn"), Spec("lstm"), Spec("gru")], ids=str)
def test_reference_sequence_functions_loop_over_the_step_functions(spec, rng, monkeypatch):
    """What students read: the reference forward calls the step forward once per step, and
    the reference backward the step backward once per step (that is the point of the path)."""
    from cell_specs import MODULES
    mod = MODULES["reference"][spec.cell]
    calls = {"forward": 0, "backward": 0}
    for kind in calls:
        name = f"{spec.cell}_step_{kind}"
        original = getattr(mod, name)

        def counted(*args, _original=original, _kind=kind, **kwargs):
            calls[_kind] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(mod, name, counted)
    T = 4
    x, states, params = _inputs(spec, rng, 2, T, 3, 5)
    h, _, cache = spec.forward("reference", x, states, params)
    spec.backward("reference", np.ones_like(h), cache)
    assert calls == {"forward": T, "backward": T}
