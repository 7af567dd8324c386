"""Variable-length batches: padding, masks, each sequence's own last step, reversal.

Sequences of different lengths share one array by padding them at the END to the
longest length T.  ``lengths[n]`` says how many steps of row n are real.

Why padding at the end is harmless for a left-to-right recurrent layer: h_t depends
only on x_1..x_t, so the state at a sequence's own last step ``t = lengths[n] - 1``
never saw a padding step.  Two things must still be done right:

* read the final state at ``lengths[n] - 1``, NOT at ``T - 1`` (``gather_last_forward``);
  its backward puts the gradient back at that one step, zeros elsewhere, so no
  gradient ever reaches a padding step;
* a right-to-left layer must reverse each row WITHIN its own length
  (``reverse_padded``), so that it starts on real data, not on padding
  (rnnlab.bidirectional does this inside its layer, with the same ``reverse_index``).

Shapes: x (N, T, D) or (N, T) ids, h (N, T, H), lengths (N,) ints in [1, T].
"""

from __future__ import annotations

import numpy as np

from .bidirectional import check_lengths as _check_lengths
from .bidirectional import mask_from_lengths, reverse_index  # noqa: F401  (re-exported: one copy of each)
from .validation import as_float_array, check_ndim


def check_lengths(where, lengths, N, T):
    """Return ``lengths`` as int64 (N,) after checking 1 <= lengths[n] <= T; raise otherwise.

    The check of rnnlab.bidirectional, except that the lengths must be given (no None).
    """
    if lengths is None:
        raise TypeError(f"{where}: lengths must be a numpy array of N = {N} integers, got None")
    return _check_lengths(where, lengths, N, T)


def pad_sequences(seqs, pad_value=0):
    """Stack sequences of different lengths into one array, padded at the end.

    Args:
        seqs: a non-empty list of N arrays, each (L_n,) (ids) or (L_n, D) (features),
            all with the same dtype and trailing shape, every L_n >= 1
        pad_value: the value written after each sequence's end

    Returns:
        x: (N, T) or (N, T, D) with T = max L_n, the dtype of the inputs
        lengths: (N,) int64
    """
    where = "pad_sequences"
    if not isinstance(seqs, (list, tuple)) or not seqs:
        raise TypeError(f"{where}: seqs must be a non-empty list of arrays, got {type(seqs).__name__}")
    for i, s in enumerate(seqs):
        if not isinstance(s, np.ndarray) or s.ndim not in (1, 2):
            raise TypeError(f"{where}: seqs[{i}] must be a 1-D or 2-D numpy array, got "
                            f"{type(s).__name__}{getattr(s, 'shape', '')}")
        if len(s) == 0:
            raise ValueError(f"{where}: seqs[{i}] is empty; every sequence needs at least one step")
        if s.shape[1:] != seqs[0].shape[1:] or s.dtype != seqs[0].dtype:
            raise ValueError(f"{where}: seqs[{i}] has trailing shape {s.shape[1:]} dtype {s.dtype}, "
                             f"seqs[0] has {seqs[0].shape[1:]} {seqs[0].dtype}")
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    x = np.full((len(seqs), int(lengths.max())) + seqs[0].shape[1:], pad_value, dtype=seqs[0].dtype)
    for n, s in enumerate(seqs):
        x[n, : len(s)] = s
    return x, lengths


def length_mask(lengths, T):
    """mask[n, t] = t < lengths[n]: True at real steps.  lengths (N,) -> (N, T) bool."""
    lengths = check_lengths("length_mask", lengths, len(lengths) if isinstance(lengths, np.ndarray) else -1, T)
    return mask_from_lengths(lengths, T)


def gather_last_forward(h, lengths):
    """The hidden state at each sequence's own last step.

    Args:
        h: (N, T, H) hidden states of a left-to-right layer over a padded batch
        lengths: (N,) ints in [1, T]

    Returns:
        h_last: (N, H) with h_last[n] = h[n, lengths[n] - 1]
        cache: (lengths, h.shape)
    """
    where = "gather_last_forward"
    as_float_array(where, "h", h)
    check_ndim(where, "h", h, 3, "(N, T, H)")
    N, T, _ = h.shape
    lengths = check_lengths(where, lengths, N, T)
    return h[np.arange(N), lengths - 1], (lengths, h.shape)


def gather_last_backward(dh_last, cache):
    """Gradient of the gather: dh_last goes back to step lengths[n] - 1 of row n, zeros elsewhere.

    Args:
        dh_last: (N, H)
        cache: from gather_last_forward

    Returns:
        dh: (N, T, H), the dtype of dh_last
    """
    lengths, shape = cache
    as_float_array("gather_last_backward", "dh_last", dh_last)
    if dh_last.shape != (shape[0], shape[2]):
        raise ValueError(f"gather_last_backward: dh_last must have shape (N, H) = {(shape[0], shape[2])}, "
                         f"got {dh_last.shape}")
    dh = np.zeros(shape, dtype=dh_last.dtype)
    dh[np.arange(shape[0]), lengths - 1] = dh_last
    return dh


def reverse_padded(x, lengths):
    """Reverse every row of a padded batch within its own length; padding stays at the end.

    x: (N, T) or (N, T, D) -> same shape.  Its own inverse, so it is also its own
    backward: ``dx = reverse_padded(dout, lengths)``.
    """
    if not isinstance(x, np.ndarray) or x.ndim not in (2, 3):
        raise TypeError(f"reverse_padded: x must be a numpy array of shape (N, T) or (N, T, D), "
                        f"got {type(x).__name__}{getattr(x, 'shape', '')}")
    if not isinstance(lengths, np.ndarray) or len(lengths) != x.shape[0]:
        raise ValueError(f"reverse_padded: lengths must be an array with one entry per row, x has N = {x.shape[0]} "
                         f"rows, got {type(lengths).__name__} of length {len(lengths)}")
    idx = reverse_index(check_lengths("reverse_padded", lengths, x.shape[0], x.shape[1]), x.shape[1])
    if x.ndim == 2:
        return np.take_along_axis(x, idx, axis=1)
    return np.take_along_axis(x, idx[:, :, None], axis=1)


class PaddedBatch:
    """A padded batch and its lengths, passed to a model as one ``x``.

    x: (N, T) ids or (N, T, D) features, padded at the end;  lengths: (N,) ints in [1, T].
    ``len(batch)`` is N, so rnnlab.train can treat it like an array.
    """

    def __init__(self, x, lengths):
        if not isinstance(x, np.ndarray) or x.ndim not in (2, 3):
            raise TypeError(f"PaddedBatch: x must be a numpy array (N, T) or (N, T, D), "
                            f"got {type(x).__name__}{getattr(x, 'shape', '')}")
        self.x = x
        self.lengths = check_lengths("PaddedBatch", lengths, x.shape[0], x.shape[1])

    def __len__(self):
        return self.x.shape[0]

    def __repr__(self):
        return f"PaddedBatch(x={self.x.shape} {self.x.dtype}, lengths {self.lengths.min()}..{self.lengths.max()})"


class PaddedBatches:
    """Re-iterable mini-batches ``(PaddedBatch, y)`` for rnnlab.train, in a reproducible order.

    Args:
        x: (M, T) or (M, T, D) padded examples;  lengths: (M,);  y: (M,) integer classes
        batch_size: B (the last batch of an epoch may be smaller)
        shuffle: reshuffle at every pass; pass k uses default_rng([seed, k]), so the
            order of every epoch is fixed by ``seed``
        trim: cut each batch to its own longest length (less work on padding)

    ``len()`` is the number of batches per pass.
    """

    def __init__(self, x, lengths, y, batch_size, *, shuffle=True, seed=0, trim=True):
        where = "PaddedBatches"
        if not isinstance(x, np.ndarray) or x.ndim not in (2, 3):
            raise TypeError(f"{where}: x must be a numpy array (M, T) or (M, T, D), got {type(x).__name__}")
        self.lengths = check_lengths(where, lengths, x.shape[0], x.shape[1])
        if not isinstance(y, np.ndarray) or y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{where}: y must be an integer array of shape (M,) = ({x.shape[0]},), "
                             f"got {getattr(y, 'shape', type(y).__name__)} {getattr(y, 'dtype', '')}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"{where}: batch_size must be a positive int, got {batch_size!r}")
        self.x, self.y, self.batch_size = x, y, int(batch_size)
        self.shuffle, self.seed, self.trim = shuffle, seed, trim
        self._passes = 0

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __iter__(self):
        M = len(self.y)
        order = (np.random.default_rng([self.seed, self._passes]).permutation(M)
                 if self.shuffle else np.arange(M))
        self._passes += 1
        for start in range(0, M, self.batch_size):
            rows = order[start:start + self.batch_size]
            lengths = self.lengths[rows]
            T = int(lengths.max()) if self.trim else self.x.shape[1]
            yield PaddedBatch(self.x[rows, :T], lengths), self.y[rows]
