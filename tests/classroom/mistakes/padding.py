"""gather_last_forward(h, lengths) -> (h_last, cache) and gather_last_backward(dh_last, cache) -> dh.

From how students handle padded batches (d2l's and PyTorch forum threads on "pack_padded_sequence
last hidden state", "output[:, -1] with padding", "gather last relevant output").
"""

import numpy as np

from . import correct, mistake

F = "gather_last_forward"
B = "gather_last_backward"


@mistake(F, "LAST PADDED step")  # h[:, -1]
def last_padded_step(h, lengths):
    return h[:, -1], (lengths, h.shape)


@mistake(F, "one step too far")  # h[n, lengths[n]], clipped so it does not raise
def off_by_one_far(h, lengths):
    return h[np.arange(h.shape[0]), np.minimum(lengths, h.shape[1] - 1)], (lengths, h.shape)


@mistake(F, "one step too early")  # lengths - 2
def off_by_one_early(h, lengths):
    return h[np.arange(h.shape[0]), np.maximum(lengths - 2, 0)], (lengths, h.shape)


@mistake(F, "N x N pairs")  # h[:, lengths - 1]
def outer_indexing(h, lengths):
    return h[:, lengths - 1], (lengths, h.shape)


@mistake(F, "SUM of the real states")
def sums_real_states(h, lengths):
    mask = np.arange(h.shape[1])[None, :] < lengths[:, None]
    return (h * mask[..., None]).sum(axis=1), (lengths, h.shape)


@mistake(F, "MEAN of the real states")
def mean_pooling(h, lengths):
    mask = np.arange(h.shape[1])[None, :] < lengths[:, None]
    return (h * mask[..., None]).sum(axis=1) / lengths[:, None], (lengths, h.shape)


@mistake(F, "max(lengths) - 1")
def longest_for_all(h, lengths):
    return h[:, lengths.max() - 1], (lengths, h.shape)


@mistake(F, "mixes up the rows")  # sorted by length (as for packing) and never unsorted
def sorted_rows(h, lengths):
    order = np.argsort(-lengths, kind="stable")
    return h[order, lengths[order] - 1], (lengths, h.shape)


@mistake(F, "dtype float64")
def loop_float64(h, lengths):
    out = np.zeros((h.shape[0], h.shape[2]))
    for n in range(h.shape[0]):
        out[n] = h[n, lengths[n] - 1]
    return out, (lengths, h.shape)


@mistake(F, "changed its input `h` in place")  # zeroes the padding of the caller's array
def zeroes_padding_in_place(h, lengths):
    for n in range(h.shape[0]):
        h[n, lengths[n]:] = 0
    return h[np.arange(h.shape[0]), lengths - 1], (lengths, h.shape)


@correct(F)
def loop_version(h, lengths):
    return np.stack([h[n, L - 1] for n, L in enumerate(lengths)]), (lengths, h.shape)


@correct(F)
def take_along_axis(h, lengths):
    idx = (lengths - 1)[:, None, None]
    return np.take_along_axis(h, np.broadcast_to(idx, (h.shape[0], 1, h.shape[2])), axis=1)[:, 0], (lengths, h.shape)


@mistake(B, "LAST PADDED step")
def scatter_to_last(dh_last, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dh_last.dtype)
    dh[:, -1] = dh_last
    return dh


@mistake(B, "one step too far")
def scatter_off_by_one(dh_last, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dh_last.dtype)
    dh[np.arange(shape[0]), np.minimum(lengths, shape[1] - 1)] = dh_last
    return dh


@mistake(B, "one step too early")
def scatter_early(dh_last, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dh_last.dtype)
    dh[np.arange(shape[0]), np.maximum(lengths - 2, 0)] = dh_last
    return dh


@mistake(B, "EVERY real step")  # the backward of "the last step" written as a broadcast over the mask
def copies_to_real_steps(dh_last, cache):
    lengths, shape = cache
    mask = np.arange(shape[1])[None, :] < lengths[:, None]
    return (mask[..., None] * dh_last[:, None, :]).astype(dh_last.dtype)


@mistake(B, "padding included")
def copies_everywhere(dh_last, cache):
    lengths, shape = cache
    return np.repeat(dh_last[:, None, :], shape[1], axis=1)


@mistake(B, "backward of a MEAN")
def spreads_evenly(dh_last, cache):
    lengths, shape = cache
    mask = np.arange(shape[1])[None, :] < lengths[:, None]
    return (mask[..., None] * (dh_last / lengths[:, None])[:, None, :]).astype(dh_last.dtype)


@mistake(B, "rows are mixed up")  # dh[:, lengths - 1] = dh_last broadcasts row-wise wrongly
def outer_scatter(dh_last, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dh_last.dtype)
    for n in range(shape[0]):
        dh[n, lengths[n] - 1] = dh_last[shape[0] - 1 - n]
    return dh


@mistake(B, "max(lengths) - 1")
def scatter_longest(dh_last, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dh_last.dtype)
    dh[:, lengths.max() - 1] = dh_last
    return dh


@mistake(B, "dtype float64")
def scatter_float64(dh_last, cache):
    lengths, shape = cache
    dh = np.zeros(shape)
    dh[np.arange(shape[0]), lengths - 1] = dh_last
    return dh


@mistake(B, "wrong shape")  # returns (N, H): forgot to scatter at all
def returns_dh_last(dh_last, cache):
    return dh_last.copy()


@correct(B)
def scatter_loop(dh_last, cache):
    lengths, shape = cache
    dh = np.zeros(shape, dtype=dh_last.dtype)
    for n, L in enumerate(lengths):
        dh[n, L - 1] += dh_last[n]
    return dh


@correct(B)
def one_hot_product(dh_last, cache):
    lengths, shape = cache
    onehot = (np.arange(shape[1])[None, :] == (lengths - 1)[:, None]).astype(dh_last.dtype)
    return onehot[:, :, None] * dh_last[:, None, :]
