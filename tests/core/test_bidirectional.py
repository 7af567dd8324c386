"""rnnlab.bidirectional: the two directions, padding that must not leak, stacks,
gradients against numerical differences (float64) and torch autograd, dtypes and bad input."""

import numpy as np
import pytest

from rnnlab.bidirectional import (
    bidirectional_backward,
    bidirectional_forward,
    init_bidirectional_params,
    lengths_from_mask,
    mask_from_lengths,
    num_layers_in,
    params_from_torch,
    reverse_index,
    stacked_bidirectional_backward,
    stacked_bidirectional_forward,
)
from rnnlab.cells import get_cell
from rnnlab.gradcheck import gradient_check, numerical_gradient, rel_error

CELL_NAMES = ["rnn", "lstm", "gru"]
N, T, D, H = 3, 5, 4, 3
LENGTHS = np.array([5, 2, 3])


def _params(cell, rng, dtype=np.float64, num_layers=None):
    p = init_bidirectional_params(D, H, cell, num_layers=num_layers, rng=rng, dtype=dtype)
    # non-zero biases and extras, so a gradient that forgets them shows
    for k in p:
        if k.endswith("_b") or k.endswith("_b_hn"):
            p[k] = (p[k] + 0.3 * rng.standard_normal(p[k].shape)).astype(dtype)
    return p


def _run_cell(cell, x, p, prefix):
    c = get_cell(cell)
    extra = [p[prefix + n] for n in c.extra_params]
    h, _, _ = c.forward(x, c.zero_state(x.shape[0], H, x.dtype), p[prefix + "Wx"], p[prefix + "Wh"], p[prefix + "b"],
                        "tanh", *extra)
    return np.asarray(h)


# --------------------------------------------------------------------------
# Forward: what the two halves are
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_halves_are_the_cell_left_to_right_and_right_to_left(cell, rng):
    x = rng.standard_normal((N, T, D))
    p = _params(cell, rng)
    h, _ = bidirectional_forward(x, p, cell)
    assert h.shape == (N, T, 2 * H)
    np.testing.assert_allclose(h[:, :, :H], _run_cell(cell, x, p, "fwd_"), atol=1e-12)
    np.testing.assert_allclose(h[:, :, H:], _run_cell(cell, x[:, ::-1].copy(), p, "bwd_")[:, ::-1], atol=1e-12)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_each_padded_sequence_equals_its_unpadded_run(cell, rng):
    x = rng.standard_normal((N, T, D))
    p = _params(cell, rng)
    h, _ = bidirectional_forward(x, p, cell, lengths=LENGTHS)
    for n, L in enumerate(LENGTHS):
        alone, _ = bidirectional_forward(x[n:n + 1, :L].copy(), p, cell)
        np.testing.assert_allclose(h[n, :L], alone[0], atol=1e-12,
                                   err_msg=f"sequence {n} (length {L}) sees its padding")
        assert not h[n, L:].any(), "padded steps must output zero"


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_padding_values_do_not_leak_into_the_backward_direction(cell, rng):
    x = rng.standard_normal((N, T, D))
    p = _params(cell, rng)
    h1, _ = bidirectional_forward(x, p, cell, lengths=LENGTHS)
    x2 = x.copy()
    x2[~mask_from_lengths(LENGTHS, T)] = 100.0  # garbage in the padding
    h2, _ = bidirectional_forward(x2, p, cell, lengths=LENGTHS)
    np.testing.assert_array_equal(h1, h2)


def test_reverse_index_reverses_inside_the_length_and_is_its_own_inverse():
    idx = reverse_index(np.array([5, 2, 3]), 5)
    np.testing.assert_array_equal(idx, [[4, 3, 2, 1, 0], [1, 0, 2, 3, 4], [2, 1, 0, 3, 4]])
    rows = np.arange(3)[:, None]
    np.testing.assert_array_equal(idx[rows, idx], np.broadcast_to(np.arange(5), (3, 5)))


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_a_mask_gives_the_same_result_as_lengths(cell, rng):
    x = rng.standard_normal((N, T, D))
    p = _params(cell, rng, num_layers=2)
    h1, _ = stacked_bidirectional_forward(x, p, cell, lengths=LENGTHS)
    h2, _ = stacked_bidirectional_forward(x, p, cell, mask=mask_from_lengths(LENGTHS, T))
    np.testing.assert_array_equal(h1, h2)
    with pytest.raises(ValueError, match="lengths or mask, not both"):
        stacked_bidirectional_forward(x, p, cell, lengths=LENGTHS, mask=mask_from_lengths(LENGTHS, T))
    with pytest.raises(TypeError, match="stacked_bidirectional_forward: .*bool"):
        stacked_bidirectional_forward(x, p, cell, mask=mask_from_lengths(LENGTHS, T).astype(int))


def test_mask_and_lengths_round_trip():
    m = mask_from_lengths(LENGTHS, T)
    assert m.sum() == LENGTHS.sum() and m[1].tolist() == [True, True, False, False, False]
    np.testing.assert_array_equal(lengths_from_mask(m), LENGTHS)
    bad = m.copy()
    bad[0, 2] = False  # a hole in the middle is not padding at the end
    with pytest.raises(ValueError, match="prefix"):
        lengths_from_mask(bad)


# --------------------------------------------------------------------------
# Gradients: numerical, float64
# --------------------------------------------------------------------------


def _loss_fn(forward, backward, x, G, cell, lengths):
    def fn(p):
        h, cache = forward(x, p, cell, lengths=lengths)
        _, grads = backward(G, cache)
        return float((h * G).sum()), grads
    return fn


@pytest.mark.parametrize("cell", CELL_NAMES)
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
def test_single_layer_gradients_match_numerical(cell, lengths, rng):
    x = rng.standard_normal((N, T, D))
    p = _params(cell, rng)
    G = rng.standard_normal((N, T, 2 * H))
    report = gradient_check(_loss_fn(bidirectional_forward, bidirectional_backward, x, G, cell, lengths), p)
    assert report.passed, str(report)
    h, cache = bidirectional_forward(x, p, cell, lengths=lengths)
    dx, _ = bidirectional_backward(G, cache)
    dx_num = numerical_gradient(lambda xx: bidirectional_forward(xx, p, cell, lengths=lengths)[0], x, G)
    assert rel_error(dx, dx_num) < 1e-8


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_stacked_gradients_match_numerical(cell, rng):
    x = rng.standard_normal((N, T, D))
    p = _params(cell, rng, num_layers=2)
    assert num_layers_in(p) == 2 and p["l1_fwd_Wx"].shape[0] == 2 * H
    G = rng.standard_normal((N, T, 2 * H))
    fn = _loss_fn(stacked_bidirectional_forward, stacked_bidirectional_backward, x, G, cell, LENGTHS)
    report = gradient_check(fn, p, max_entries=12)
    assert report.passed, str(report)
    _, cache = stacked_bidirectional_forward(x, p, cell, lengths=LENGTHS)
    dx, _ = stacked_bidirectional_backward(G, cache)
    dx_num = numerical_gradient(lambda xx: stacked_bidirectional_forward(xx, p, cell, lengths=LENGTHS)[0], x, G)
    assert rel_error(dx, dx_num) < 1e-8
    assert not dx[~mask_from_lengths(LENGTHS, T)].any(), "padded inputs must get exactly zero gradient"


# --------------------------------------------------------------------------
# Gradients: torch autograd, nn.RNN/GRU/LSTM(bidirectional=True, num_layers=2)
# --------------------------------------------------------------------------


def _torch_grads(module, cell):
    """Our gradient names from torch's .grad fields (the same folding as params_from_torch)."""
    g = {}
    for k in range(module.num_layers):
        for d, suffix in (("fwd", ""), ("bwd", "_reverse")):
            w = {n: getattr(module, f"{n}_l{k}{suffix}").grad.numpy() for n in
                 ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            g[f"l{k}_{d}_Wx"] = w["weight_ih"].T
            g[f"l{k}_{d}_Wh"] = w["weight_hh"].T
            if cell == "gru":  # b[:2H] = bias_ih + bias_hh, b[2H:] = bias_ih[n], b_hn = bias_hh[n]
                g[f"l{k}_{d}_b"] = w["bias_ih"]
                g[f"l{k}_{d}_b_hn"] = w["bias_hh"][2 * H:]
            else:  # the two biases always add, so each receives the full gradient
                g[f"l{k}_{d}_b"] = w["bias_ih"]
    return g


@pytest.mark.parametrize("cell", CELL_NAMES)
@pytest.mark.parametrize("padded", [False, True], ids=["full", "packed"])
def test_matches_torch_two_layer_bidirectional(cell, padded, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    Module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = Module(D, H, num_layers=2, bidirectional=True, batch_first=True, dtype=torch.float64)
    p = params_from_torch(module, cell)
    x = rng.standard_normal((N, T, D))
    G = rng.standard_normal((N, T, 2 * H))
    lengths = LENGTHS if padded else None

    xt = torch.tensor(x, requires_grad=True)
    if padded:
        packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(LENGTHS), batch_first=True,
                                                         enforce_sorted=False)
        out, _ = module(packed)
        ht, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
    else:
        ht, _ = module(xt)
    (ht * torch.tensor(G)).sum().backward()

    h, cache = stacked_bidirectional_forward(x, p, cell, lengths=lengths)
    dx, grads = stacked_bidirectional_backward(G, cache)
    np.testing.assert_allclose(h, ht.detach().numpy(), atol=1e-12)
    assert rel_error(dx, xt.grad.numpy()) < 1e-10
    tg = _torch_grads(module, cell)
    assert set(tg) == set(grads)
    for name in grads:
        assert rel_error(grads[name], tg[name]) < 1e-10, name


# --------------------------------------------------------------------------
# dtypes and bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_float32_stays_float32(cell, rng):
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    p = _params(cell, rng, np.float32, num_layers=2)
    h, cache = stacked_bidirectional_forward(x, p, cell, lengths=LENGTHS)
    assert h.dtype == np.float32
    dx, grads = stacked_bidirectional_backward(np.ones_like(h), cache)
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    h64, _ = stacked_bidirectional_forward(x.astype(np.float64), p64, cell, lengths=LENGTHS)
    np.testing.assert_allclose(h, h64, atol=1e-5)


def test_mixed_dtypes_are_refused(rng):
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    with pytest.raises(TypeError, match="bidirectional_forward.*one float dtype"):
        bidirectional_forward(x, _params("gru", rng), "gru")


@pytest.mark.parametrize("lengths, err, msg", [
    (np.array([5, 0, 3]), ValueError, r"\[1, 5\].*found 0"),
    (np.array([5, 6, 3]), ValueError, "found 6"),
    (np.array([5, 3]), ValueError, r"lengths must have shape \(N,\)"),
    (np.array([5.0, 2, 3]), TypeError, "integers"),
    ([5, 2, 3], TypeError, "numpy array"),
])
def test_bad_lengths_are_refused(lengths, err, msg, rng):
    with pytest.raises(err, match=msg):
        bidirectional_forward(rng.standard_normal((N, T, D)), _params("rnn", rng), "rnn", lengths=lengths)


def test_bad_params_and_dh_are_refused(rng):
    x = rng.standard_normal((N, T, D))
    p = _params("gru", rng)
    with pytest.raises(KeyError, match="bwd_b_hn"):
        bidirectional_forward(x, {k: v for k, v in p.items() if k != "bwd_b_hn"}, "gru")
    with pytest.raises(ValueError, match=r"Wx must have shape.*\(in fwd_\)"):
        bidirectional_forward(x[:, :, :2].copy(), p, "gru")
    with pytest.raises(ValueError, match="cell must be one of"):
        bidirectional_forward(x, p, "transformer")
    with pytest.raises(ValueError, match="3-D"):
        bidirectional_forward(x[0], p, "gru")
    _, cache = bidirectional_forward(x, p, "gru")
    with pytest.raises(ValueError, match=r"bidirectional_backward: dh must have shape \(N, T, 2H\)"):
        bidirectional_backward(np.ones((N, T, H)), cache)
    with pytest.raises(KeyError, match="l0_fwd_Wx"):
        stacked_bidirectional_forward(x, p, "gru")
