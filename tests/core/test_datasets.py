"""The shipped digits and the code-or-prose lines: pinned bytes, shapes, the labelling rule, splits."""

import hashlib
from importlib.resources import files

import numpy as np
import pytest

from rnnlab.datasets import (
    CODE,
    PROSE,
    code_or_prose,
    code_or_prose_splits,
    digits_as_sequences,
    label_line,
    load_digits,
    split_indices,
)


def test_digits_file_is_the_scikit_learn_copy():
    raw = files("rnnlab.corpora").joinpath("digits.csv.gz").read_bytes()
    assert len(raw) == 57_523
    assert hashlib.sha256(raw).hexdigest() == "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def test_load_digits_shapes_ranges_and_classes():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_digits_as_sequences_rows_and_pixels():
    images, _ = load_digits()
    rows = digits_as_sequences(images[:5], "rows")
    pixels = digits_as_sequences(images[:5], "pixels")
    assert rows.shape == (5, 8, 8) and pixels.shape == (5, 64, 1) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows[:, 2, :], images[:5, 2, :] / 16)          # step 2 reads row 2
    np.testing.assert_array_equal(pixels[:, 8 * 3 + 5, 0], images[:5, 3, 5] / 16)  # step 29 reads pixel (3, 5)
    with pytest.raises(ValueError, match="mode must be 'rows' or 'pixels', got 'cols'"):
        digits_as_sequences(images, "cols")


@pytest.mark.parametrize("line, expected", [
    (">>> print(sorted(d.items()))", ("print(sorted(d.items()))", CODE)),
    ("   ...     return x + y   ", ("    return x + y", CODE)),
    ("The first argument is the object to be hashed.", ("The first argument is the object to be hashed.", PROSE)),
    ("   An indented sentence about the class hierarchy.", None),   # indented: could be either
    ('The "__len__()" method is called first.', None),            # quotes: could be either
    ("| table cell | another cell |", None),
    (">>> x", None),                                              # too short
    ("Only two words.", None),                                    # prose needs several words
])
def test_label_line_rule(line, expected):
    assert label_line(line) == expected


def test_code_or_prose_is_balanced_unique_and_labelled_by_the_rule():
    texts, labels, vocab = code_or_prose()
    assert len(texts) == len(labels) == len(set(texts))
    assert np.bincount(labels)[CODE] == np.bincount(labels)[PROSE]
    for t, y in zip(texts[::7], labels[::7]):
        assert label_line(">>> " + t if y == CODE else t) == (t, y)
    assert all(c in vocab for t in texts for c in t)


def test_split_indices_is_deterministic_disjoint_and_complete():
    s1, s2 = split_indices(100, 0.2, 0.1, seed=4), split_indices(100, 0.2, 0.1, seed=4)
    np.testing.assert_array_equal(s1.test, s2.test)
    assert (len(s1.train), len(s1.val), len(s1.test)) == (70, 20, 10)
    assert sorted(np.concatenate([s1.train, s1.val, s1.test]).tolist()) == list(range(100))
    assert not np.array_equal(split_indices(100, 0.2, 0.1, seed=5).test, s1.test)
    with pytest.raises(ValueError, match="fractions must be in"):
        split_indices(100, 0.6, 0.5)


def test_code_or_prose_splits_pad_each_split_and_keep_every_line():
    (tr, va, te), vocab = code_or_prose_splits()
    texts, labels, _ = code_or_prose()
    assert len(tr[2]) + len(va[2]) + len(te[2]) == len(texts)
    for x, lengths, y in (tr, va, te):
        assert x.shape == (len(y), lengths.max()) and x.dtype == np.int64
        for n in range(0, len(y), 17):
            line = vocab.decode(x[n, :lengths[n]])
            assert line in texts and labels[texts.index(line)] == y[n]
            assert not x[n, lengths[n]:].any()  # padding is 0 after the end
