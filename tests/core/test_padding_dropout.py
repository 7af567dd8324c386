"""Padding, masks, the own-last-step gather, the within-length reversal, inverted dropout and
the report metrics: numerically in float64, against PyTorch, and with clear errors."""

import math

import numpy as np
import pytest

from rnnlab.dropout import dropout_backward, dropout_forward
from rnnlab.gradcheck import numerical_gradient, rel_error
from rnnlab.metrics import bits_per_char, confusion_matrix, perplexity
from rnnlab.padding import (
    PaddedBatch,
    PaddedBatches,
    gather_last_backward,
    gather_last_forward,
    length_mask,
    pad_sequences,
    reverse_index,
    reverse_padded,
)

# ---------------------------------------------------------------- padding and masks


def test_pad_sequences_pads_at_the_end_and_keeps_dtype():
    seqs = [np.array([3, 1, 4]), np.array([1]), np.array([5, 9])]
    x, lengths = pad_sequences(seqs, pad_value=-1)
    assert x.dtype == seqs[0].dtype and x.shape == (3, 3)
    np.testing.assert_array_equal(x, [[3, 1, 4], [1, -1, -1], [5, 9, -1]])
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    f32 = [np.ones((2, 4), np.float32), np.ones((5, 4), np.float32)]
    xf, lf = pad_sequences(f32)
    assert xf.shape == (2, 5, 4) and xf.dtype == np.float32 and xf[0, 2:].sum() == 0


def test_length_mask_marks_real_steps():
    m = length_mask(np.array([3, 1, 2]), 4)
    np.testing.assert_array_equal(m, [[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0]])
    assert m.dtype == bool


@pytest.mark.parametrize("bad, err, msg", [
    ([np.array([1, 2]), np.array([], dtype=np.int64)], ValueError, r"seqs\[1\] is empty"),
    ([np.array([1, 2]), np.array([1.0])], ValueError, r"seqs\[1\].*dtype"),
    ([], TypeError, "non-empty list"),
    ([[1, 2]], TypeError, r"seqs\[0\] must be a 1-D or 2-D numpy array"),
])
def test_pad_sequences_rejects_bad_input(bad, err, msg):
    with pytest.raises(err, match=msg):
        pad_sequences(bad)


# ---------------------------------------------------------------- gather at the own last step


def test_gather_last_reads_each_rows_own_last_step(rng):
    h = rng.standard_normal((3, 5, 2))
    lengths = np.array([5, 1, 3])
    out, _ = gather_last_forward(h, lengths)
    np.testing.assert_array_equal(out, np.stack([h[0, 4], h[1, 0], h[2, 2]]))


def test_gather_last_backward_numerically(rng):
    h = rng.standard_normal((4, 6, 3))
    lengths = np.array([6, 2, 1, 4])
    dout = rng.standard_normal((4, 3))
    _, cache = gather_last_forward(h, lengths)
    dh = gather_last_backward(dout, cache)
    num = numerical_gradient(lambda a: gather_last_forward(a, lengths)[0], h, dout)
    assert rel_error(dh, num) < 1e-9
    # no gradient ever reaches a padding step
    assert np.all(dh[~length_mask(lengths, 6)] == 0)


def test_gather_last_keeps_float32(rng):
    h = rng.standard_normal((2, 3, 4)).astype(np.float32)
    out, cache = gather_last_forward(h, np.array([1, 3]))
    assert out.dtype == np.float32
    assert gather_last_backward(out, cache).dtype == np.float32


@pytest.mark.parametrize("lengths, err, msg", [
    (np.array([0, 2]), ValueError, r"gather_last_forward: every length must be in \[1, T\] = \[1, 3\], found 0"),
    (np.array([4, 2]), ValueError, "found 4"),
    (np.array([1, 2, 3]), ValueError, r"lengths must have shape \(N,\) = \(2,\), got \(3,\)"),
    (np.array([1.0, 2.0]), TypeError, "lengths must hold integers"),
    ([1, 2], TypeError, "lengths must be a numpy array"),
])
def test_gather_last_rejects_bad_lengths(lengths, err, msg):
    with pytest.raises(err, match=msg):
        gather_last_forward(np.zeros((2, 3, 4)), lengths)


def test_gather_last_backward_rejects_wrong_shape():
    _, cache = gather_last_forward(np.zeros((2, 3, 4)), np.array([1, 2]))
    with pytest.raises(ValueError, match=r"dh_last must have shape \(N, H\) = \(2, 4\), got \(2, 3\)"):
        gather_last_backward(np.zeros((2, 3)), cache)


def test_gather_last_matches_torch_packed_sequence(rng):
    """The final state of a padded batch at each row's own length equals torch's h_n of a
    PackedSequence (which never runs past a row's end), in value and in gradient."""
    torch = pytest.importorskip("torch")
    from rnnlab.layers import rnn_backward, rnn_forward

    N, T, D, H = 4, 6, 3, 5
    x = rng.standard_normal((N, T, D))
    lengths = np.array([6, 2, 5, 1])
    Wx, Wh, b = rng.standard_normal((D, H)) * 0.5, rng.standard_normal((H, H)) * 0.5, rng.standard_normal(H)
    dlast = rng.standard_normal((N, H))
    h, c1 = rnn_forward(x, np.zeros((N, H)), Wx, Wh, b)
    last, c2 = gather_last_forward(h, lengths)
    dx = rnn_backward(gather_last_backward(dlast, c2), c1)[0]

    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(Wx.T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(Wh.T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b))
        rnn.bias_hh_l0.zero_()
    tx = torch.tensor(x, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    _, h_n = rnn(packed)
    (h_n[0] * torch.from_numpy(dlast)).sum().backward()
    assert rel_error(last, h_n[0].detach().numpy()) < 1e-12
    assert rel_error(dx, tx.grad.numpy()) < 1e-12


# ---------------------------------------------------------------- reversal within each length


def test_reverse_padded_reverses_within_length_and_is_its_own_inverse(rng):
    x = np.array([[1, 2, 3, 4], [5, 6, 0, 0], [7, 0, 0, 0]])
    lengths = np.array([4, 2, 1])
    r = reverse_padded(x, lengths)
    np.testing.assert_array_equal(r, [[4, 3, 2, 1], [6, 5, 0, 0], [7, 0, 0, 0]])
    np.testing.assert_array_equal(reverse_padded(r, lengths), x)
    f = rng.standard_normal((3, 4, 2))
    np.testing.assert_array_equal(reverse_padded(reverse_padded(f, lengths), lengths), f)
    # a permutation of every row
    idx = reverse_index(lengths, 4)
    assert all(sorted(row) == list(range(4)) for row in idx)


def test_reverse_padded_backward_is_the_same_permutation(rng):
    x = rng.standard_normal((3, 5, 2))
    lengths = np.array([5, 3, 2])
    dout = rng.standard_normal(x.shape)
    num = numerical_gradient(lambda a: reverse_padded(a, lengths), x, dout)
    assert rel_error(reverse_padded(dout, lengths), num) < 1e-9


def test_reverse_padded_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="lengths must be an array with one entry per row, x has N = 3 rows"):
        reverse_padded(np.zeros((3, 4)), np.array([1, 2]))


# ---------------------------------------------------------------- batches


def test_padded_batches_are_reproducible_trimmed_and_cover_every_example(rng):
    x, lengths = pad_sequences([np.arange(1, k + 1) for k in (3, 7, 2, 5, 1)])
    y = np.arange(5)
    b1 = PaddedBatches(x, lengths, y, 2, seed=3)
    b2 = PaddedBatches(x, lengths, y, 2, seed=3)
    assert len(b1) == 3
    e1, e2 = list(b1), list(b2)
    assert [yy.tolist() for _, yy in e1] == [yy.tolist() for _, yy in e2]
    assert sorted(np.concatenate([yy for _, yy in e1]).tolist()) == list(range(5))
    for pb, yy in e1:
        assert isinstance(pb, PaddedBatch) and pb.x.shape[1] == pb.lengths.max()
        np.testing.assert_array_equal(pb.lengths, lengths[yy])
    # the next pass is shuffled differently, and still reproducible
    assert [yy.tolist() for _, yy in b1] == [yy.tolist() for _, yy in b2]


def test_padded_batches_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"y must be an integer array of shape \(M,\) = \(2,\)"):
        PaddedBatches(np.zeros((2, 3), np.int64), np.array([1, 3]), np.array([0.0, 1.0]), 1)


# ---------------------------------------------------------------- inverted dropout


def test_dropout_keeps_the_expected_value_and_is_identity_at_test_time():
    x = np.ones((400, 500), np.float32)
    out, mask = dropout_forward(x, 0.3, np.random.default_rng(0))
    assert out.dtype == np.float32
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.005                      # about 1 - p kept
    assert np.allclose(out[kept], 1 / 0.7)                     # survivors scaled by 1/(1-p)
    assert abs(out.mean() - 1.0) < 0.01                         # E[out] = x
    same, cache = dropout_forward(x, 0.3, np.random.default_rng(0), training=False)
    assert same is x and cache is None


def test_dropout_backward_numerically(rng):
    x = rng.standard_normal((3, 4, 5))
    dout = rng.standard_normal(x.shape)
    _, mask = dropout_forward(x, 0.5, np.random.default_rng(7))
    num = numerical_gradient(lambda a: dropout_forward(a, 0.5, np.random.default_rng(7))[0], x, dout)
    dx = dropout_backward(dout, mask)
    assert rel_error(dx, num) < 1e-9
    assert np.all(dx[mask == 0] == 0)


def test_dropout_matches_torch_given_the_same_mask(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((6, 7))
    dout = rng.standard_normal(x.shape)
    out, mask = dropout_forward(x, 0.25, np.random.default_rng(1))
    tx = torch.tensor(x, requires_grad=True)
    # torch.nn.functional.dropout is inverted dropout too: keep / (1 - p); reuse our keep pattern
    keep = torch.from_numpy(mask != 0)
    tout = torch.where(keep, tx / (1 - 0.25), torch.zeros_like(tx))
    (tout * torch.from_numpy(dout)).sum().backward()
    assert rel_error(out, tout.detach().numpy()) < 1e-12
    assert rel_error(dropout_backward(dout, mask), tx.grad.numpy()) < 1e-12
    # and torch's own dropout keeps the same expected value
    big = torch.ones(200_000, dtype=torch.float64)
    assert abs(torch.nn.functional.dropout(big, 0.25, training=True).mean().item() - 1) < 0.01


@pytest.mark.parametrize("p", [1.0, -0.1, "0.5"])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"dropout_forward: p must be a number in \[0, 1\)"):
        dropout_forward(np.ones(3), p, np.random.default_rng(0))


def test_dropout_rejects_int_input_and_missing_rng():
    with pytest.raises(TypeError, match="dropout_forward: x must have dtype float32 or float64"):
        dropout_forward(np.ones(3, np.int64), 0.5, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        dropout_forward(np.ones(3), 0.5, 0)


# ---------------------------------------------------------------- metrics


def test_perplexity_and_bits_per_char_agree():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(27)) == pytest.approx(27)          # uniform over 27 symbols
    assert bits_per_char(math.log(2)) == pytest.approx(1.0)
    for loss in (0.3, 1.1, 2.5):
        assert perplexity(loss) == pytest.approx(2 ** bits_per_char(loss))


@pytest.mark.parametrize("bad, err", [(-0.1, ValueError), (float("nan"), ValueError), ("1.0", TypeError),
                                      (True, TypeError)])
def test_perplexity_rejects_bad_loss(bad, err):
    with pytest.raises(err, match="perplexity: loss_nats"):
        perplexity(bad)


def test_confusion_matrix_counts():
    c = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    np.testing.assert_array_equal(c, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert c.sum() == 6
    with pytest.raises(ValueError, match=r"y_pred must hold classes in \[0, 3\), found 3"):
        confusion_matrix(np.array([0]), np.array([3]), 3)
