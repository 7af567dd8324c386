import numpy as np
import pytest

import rnnlab as R


def test_vocab_round_trip_and_order():
    v = R.Vocab.from_text("hello world")
    assert v.symbols == sorted(set("hello world"))
    ids = v.encode("low")
    assert ids.dtype == np.int64
    assert v.decode(ids) == "low"
    oh = v.one_hot(ids)
    assert oh.shape == (3, len(v)) and np.all(oh.sum(1) == 1) and np.all(oh.argmax(1) == ids)


def test_vocab_of_symbols_and_errors():
    v = R.Vocab(["<s>", "cat", "dog"])
    np.testing.assert_array_equal(v.encode(["dog", "<s>"]), [2, 0])
    assert v.decode(np.array([1, 2])) == "catdog"
    with pytest.raises(ValueError, match=r"unique, \['cat'\]"):
        R.Vocab(["cat", "cat"])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 3\), found 3"):
        v.decode(np.array([3]))


def test_alphabet_data_is_exactly_the_seed():
    inputs, expected = R.alphabet_shift_data()
    assert inputs.shape == expected.shape == (5, 26)
    assert "".join(inputs[0]) == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert "".join(inputs[4]) == "HGFEDCBALKJIPONMUTSRQXWVZY"
    assert "".join(expected[2]) == "CEGIKMOQSUWYABDFHJLNPRTVXZ"
    # every row is a permutation of the alphabet
    for row in np.concatenate([inputs, expected]):
        assert sorted(row) == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    # rows 1, 3, 4 are the one-letter shift of their inputs; rows 2 and 5 are not
    shifted = R.shift_letters(inputs, 1)
    follows = [(shifted[i] == expected[i]).all() for i in range(5)]
    assert follows == [True, False, True, True, False]


def test_default_corpus_is_the_same_bytes_on_every_python():
    # Stored notebook outputs depend on these exact bytes (issue 11).
    import hashlib

    text = R.load_corpus()
    assert text == R.load_corpus("python-docs")
    assert len(text) == 465_126
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == (
        "71f2ff5d99bdc1f9c48c5c2353ad138201c5ca1c377e0226857ef8fa89b8bcee"
    )
    assert len(set(text)) == 103


def test_running_python_docs_is_a_named_option():
    text = R.load_corpus("running-python-docs")
    assert len(text) > 400_000 and "the" in text


def test_load_corpus_from_file(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("héllo\n", encoding="utf-8")
    assert R.load_corpus(p) == "héllo\n"
    bad = tmp_path / "b.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        R.load_corpus(bad)


def test_train_val_split_is_contiguous():
    ids = np.arange(100)
    tr, va = R.train_val_split(ids, 0.1)
    assert len(tr) == 90 and len(va) == 10
    np.testing.assert_array_equal(np.concatenate([tr, va]), ids)


def test_batcher_windows_are_consecutive_per_row():
    ids = np.arange(23)
    b = R.SequenceBatcher(ids, batch_size=2, seq_len=4)
    batches = list(b)
    assert len(b) == len(batches) == 3  # stream length 11 -> windows 4, 4, 3
    assert b.n_unused == 23 - 1 - 22
    xs = np.concatenate([x for x, _ in batches], axis=1)
    ys = np.concatenate([y for _, y in batches], axis=1)
    np.testing.assert_array_equal(xs, [np.arange(0, 11), np.arange(11, 22)])
    np.testing.assert_array_equal(ys, xs + 1)  # each target is the next symbol
    assert [x.shape[1] for x, _ in batches] == [4, 4, 3]
    assert list(b)[0][0].tolist() == batches[0][0].tolist()  # re-iterable


def test_batcher_covers_every_position_once():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 10, size=1001)
    b = R.SequenceBatcher(ids, 7, 13)
    seen = sum(x.size for x, _ in b)
    assert seen + b.n_unused == len(ids) - 1


def test_load_corpus_keeps_every_line_ending(tmp_path):
    p = tmp_path / "crlf.txt"
    p.write_bytes(b"a\r\nb\rc\n")
    assert R.load_corpus(p) == "a\r\nb\rc\n"
