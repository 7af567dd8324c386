"""Two small, real, offline classification data sets, with deterministic splits.

* ``code_or_prose()``: lines of the course corpus (rnnlab.load_corpus(), Python's
  documentation), labelled by their own formatting; variable length.
* ``load_digits()``: the 1,797 8x8 handwritten digits of the UCI "Optical
  Recognition of Handwritten Digits" data set (the copy scikit-learn ships), read
  as a sequence of 8 rows (8 steps of 8 pixels) or of 64 single pixels.

The digits file ``rnnlab/corpora/digits.csv.gz`` is byte for byte
``sklearn/datasets/data/digits.csv.gz`` from the scikit-learn 1.9.1 wheel on PyPI
(sha256 09f66e6d...aa22, 57,523 bytes): 1,797 lines of 64 pixel values in 0..16 and
the label.  Creator: E. Alpaydin and C. Kaynak (1998), UCI Machine Learning
Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/).  scikit-learn is not needed.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass

import numpy as np

from .data import Vocab, load_corpus

DIGITS_FILE = "digits.csv.gz"

# ---------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Indices of train / validation / test examples (disjoint, together all of them)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def split_indices(n, val_fraction=0.2, test_fraction=0.2, seed=0):
    """Shuffle range(n) with ``seed`` and cut it into train / val / test (deterministic).

    Returns a Split whose parts are sorted, so an example's position never depends on the shuffle.
    """
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(f"split_indices: fractions must be in (0, 1) with a sum < 1, got "
                         f"val_fraction={val_fraction}, test_fraction={test_fraction}")
    n_val, n_test = int(round(n * val_fraction)), int(round(n * test_fraction))
    if min(n_val, n_test, n - n_val - n_test) < 1:
        raise ValueError(f"split_indices: {n} examples are too few to split")
    perm = np.random.default_rng(seed).permutation(n)
    return Split(np.sort(perm[n_val + n_test:]), np.sort(perm[:n_val]), np.sort(perm[n_val:n_val + n_test]))


# ---------------------------------------------------------------------------
# Handwritten digits
# ---------------------------------------------------------------------------


def load_digits():
    """The 1,797 8x8 digits.  Returns images (1797, 8, 8) uint8 in 0..16 and labels (1797,) int64 in 0..9."""
    from importlib.resources import files

    raw = gzip.decompress(files("rnnlab.corpora").joinpath(DIGITS_FILE).read_bytes())
    table = np.array([line.split(",") for line in raw.decode("ascii").split()], dtype=np.int64)
    return table[:, :64].reshape(-1, 8, 8).astype(np.uint8), table[:, 64]


def digits_as_sequences(images, mode="rows", dtype=np.float32):
    """Turn images into sequences scaled to [0, 1].

    Args:
        images: (N, 8, 8) ints in 0..16
        mode: "rows" -> x (N, 8, 8): step t reads row t (8 pixels);
              "pixels" -> x (N, 64, 1): step t reads one pixel, row by row (a long-memory test:
              the first rows are 56+ steps behind when the answer is read)
        dtype: float32 (default) or float64

    Returns:
        x: float array as above
    """
    if mode not in ("rows", "pixels"):
        raise ValueError(f"digits_as_sequences: mode must be 'rows' or 'pixels', got {mode!r}")
    if not isinstance(images, np.ndarray) or images.ndim != 3 or images.shape[1:] != (8, 8):
        raise ValueError(f"digits_as_sequences: images must have shape (N, 8, 8), got {getattr(images, 'shape', type(images))}")
    x = (images.astype(np.float64) / 16.0).astype(dtype)
    return x if mode == "rows" else x.reshape(len(x), 64, 1)


def digits_splits(mode="rows", dtype=np.float32):
    """The digits task of notebook 08: ((x, y) train, val, test), split 60/20/20 with seed 0.

    mode: "rows" (x (N, 8, 8)) or "pixels" (x (N, 64, 1)); 1,079 / 359 / 359 images.
    """
    images, labels = load_digits()
    x = digits_as_sequences(images, mode, dtype)
    s = split_indices(len(labels), 0.2, 0.2, seed=0)
    return tuple((x[i], labels[i]) for i in (s.train, s.val, s.test))


# ---------------------------------------------------------------------------
# Code or prose
# ---------------------------------------------------------------------------

CODE, PROSE = 0, 1
CODE_OR_PROSE_CLASSES = ("code", "prose")

_PROMPT = re.compile(r"^\s*(>>>|\.\.\.) (.*)$")
_PROSE_CHARS = re.compile(r"^[A-Za-z][A-Za-z ,.;:'()\-\u2019]*$")


def label_line(line, min_len=12, max_len=64):
    """The labelling rule, applied to one line of the corpus.

    * "code" (0): an interactive example, i.e. a line whose first non-blank text is the
      prompt ">>> " or "... ".  The prompt is REMOVED (the code's own indentation after
      it stays): the model sees only the code, so it cannot just read the prompt.
    * "prose" (1): an unindented line that starts with a letter and holds only letters,
      spaces and the punctuation , . ; : ' ( ) - ; with at least 3 spaces (several words).
    * None (dropped): anything else (indented text, tables, headings, lines with quotes
      or symbols that could be either) and every text shorter than ``min_len`` or longer
      than ``max_len`` characters.

    Returns (text, label) or None.
    """
    m = _PROMPT.match(line)
    if m:
        text, label = m.group(2).rstrip(), CODE
    elif line[:1].isalpha() and _PROSE_CHARS.match(line.rstrip()) and line.count(" ") >= 3:
        text, label = line.rstrip(), PROSE
    else:
        return None
    if not min_len <= len(text) <= max_len:
        return None
    return text, label


def code_or_prose(max_per_class=None, min_len=12, max_len=64):
    """Lines of the course corpus labelled "code" (0) or "prose" (1) by ``label_line``.

    Duplicate texts are kept once (a line in two splits would leak the answer), then
    the classes are balanced by keeping the first ``max_per_class`` of each (default:
    the size of the smaller class) in corpus order.

    Returns:
        texts: list of str;  labels: (M,) int64;  vocab: Vocab of every character in texts
    """
    seen, kept = set(), {CODE: [], PROSE: []}
    for line in load_corpus().split("\n"):
        r = label_line(line, min_len, max_len)
        if r is None or r[0] in seen:
            continue
        seen.add(r[0])
        kept[r[1]].append(r[0])
    k = min(len(kept[CODE]), len(kept[PROSE])) if max_per_class is None else max_per_class
    texts = kept[CODE][:k] + kept[PROSE][:k]
    labels = np.array([CODE] * len(kept[CODE][:k]) + [PROSE] * len(kept[PROSE][:k]), dtype=np.int64)
    return texts, labels, Vocab.from_text("".join(texts))


def code_or_prose_splits(seed=0):
    """The code-or-prose task, padded and split 60/20/20 with ``seed`` (as in notebook 08).

    Returns:
        splits: ((x, lengths, y) train, val, test) with x (M, T) int64 ids padded with 0 at the end
            to that split's longest line (0 is a real id; harmless, since a classifier never
            reads past a line's length), lengths (M,), y (M,)
        vocab: the Vocab of the ids
    """
    texts, labels, vocab = code_or_prose()
    s = split_indices(len(texts), 0.2, 0.2, seed=seed)
    parts = []
    for idx in (s.train, s.val, s.test):
        ids = [vocab.encode(texts[i]) for i in idx]
        lengths = np.array([len(a) for a in ids], dtype=np.int64)
        x = np.zeros((len(ids), int(lengths.max())), dtype=np.int64)
        for n, a in enumerate(ids):
            x[n, :len(a)] = a
        parts.append((x, lengths, labels[idx]))
    return tuple(parts), vocab
