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


# --------------------------------------------------------------------------
# Hardening (issue 15)
# --------------------------------------------------------------------------


def test_vocab_given_a_str_points_to_from_text():
    with pytest.raises(TypeError, match=r"Vocab: symbols must be a list of distinct symbols, got the str "
                                        r"'hello world'; to use every distinct character of a text, call Vocab.from_text"):
        R.Vocab("hello world")


def test_vocab_symbols_are_str_or_int_so_a_checkpoint_can_restore_them():
    with pytest.raises(TypeError, match=r"every symbol must be a str or an int .* got tuple \('a', 'b'\) at position 1"):
        R.Vocab(["x", ("a", "b")])
    for bad in (1.5, b"a", None, True):
        with pytest.raises(TypeError, match="every symbol must be a str or an int"):
            R.Vocab(["x", bad])
    v = R.Vocab(np.array([3, 1, 2]))  # numpy integers become Python ints: same values, same lookups
    assert v.symbols == [3, 1, 2] and all(type(s) is int for s in v.symbols)
    np.testing.assert_array_equal(v.encode([np.int64(2), 3]), [2, 0])
    assert type(R.Vocab(np.array(["a", "b"])).symbols[0]) is str


def test_encode_dtypes_and_index_dtype():
    v = R.Vocab.from_text("abc")
    assert v.index_dtype == np.uint8
    assert R.Vocab(list(range(300))).index_dtype == np.uint16
    assert R.Vocab(list(range(70_000))).index_dtype == np.uint32
    ids = v.encode("cab", dtype=v.index_dtype)
    assert ids.dtype == np.uint8 and ids.tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match=r"dtype uint8 cannot hold index 299 \(V = 300\); use uint16"):
        R.Vocab(list(range(300))).encode([1], dtype=np.uint8)
    with pytest.raises(TypeError, match="dtype must be an integer dtype, got float64"):
        v.encode("a", dtype=np.float64)


@pytest.mark.parametrize("chunk", [1, 3, 1 << 18])
def test_chunked_text_encoding_equals_symbol_by_symbol(chunk):
    text = "naïve ☃ — 𝄞 tab\there\r\n" * 5
    v = R.Vocab.from_text(text)
    expected = np.array([v.index[c] for c in text])
    np.testing.assert_array_equal(v._encode_text(text, np.dtype(np.int64), chunk=chunk), expected)
    with pytest.raises(ValueError, match=r"unknown symbol 'Z' at position 7"):
        v._encode_text(text[:7] + "Z", np.dtype(np.int64), chunk=chunk)


def test_batcher_keeps_views_of_compact_ids_and_yields_int64():
    ids = np.arange(101, dtype=np.uint8) % 7
    b = R.SequenceBatcher(ids, 4, 10)
    assert np.shares_memory(b.x_streams, ids) and np.shares_memory(b.y_streams, ids)
    assert b.x_streams.dtype == np.uint8 and not b.x_streams.flags.writeable
    x, y = next(iter(b))
    assert x.dtype == y.dtype == np.int64 and x.shape == (4, 10)
    x[:] = 0  # a window is the caller's own copy: the data are unchanged
    assert next(iter(b))[0].any()


@pytest.mark.parametrize("kwargs, error, text", [
    ({"batch_size": 2.0}, TypeError, "batch_size must be an int, got float 2.0"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
    ({"seq_len": "5"}, TypeError, "seq_len must be an int, got str '5'"),
    ({"seq_len": True}, TypeError, "seq_len must be an int, got bool"),
])
def test_batcher_rejects_bad_sizes(kwargs, error, text):
    args = {"batch_size": 2, "seq_len": 3, **kwargs}
    with pytest.raises(error, match=f"SequenceBatcher: {text}"):
        R.SequenceBatcher(np.arange(20), **args)


def test_batcher_rejects_negative_ids():
    with pytest.raises(ValueError, match="ids must be indices >= 0, found -1"):
        R.SequenceBatcher(np.array([0, 1, -1, 2, 3]), 1, 2)


def test_train_val_split_and_load_corpus_name_their_arguments():
    with pytest.raises(TypeError, match="val_fraction must be a real number, got str"):
        R.train_val_split(np.arange(10), "0.1")
    with pytest.raises(ValueError, match=r"ids must be 1-D, got shape \(2, 5\)"):
        R.train_val_split(np.zeros((2, 5), int))
    with pytest.raises(TypeError, match="load_corpus: name_or_path must be a str or a path, got int"):
        R.load_corpus(3)


def test_loading_and_batching_a_corpus_costs_a_few_times_its_size(tmp_path):
    """Issue 15: 50 MB of text once cost 1.24 GB (int64 ids copied twice by the batcher).

    The file repeats the shipped corpus (mostly ASCII, a few characters beyond Latin-1,
    so Python stores the text with 2 bytes per character).  Decoding it costs about 4x
    the file in CPython (bytes + a 1-byte buffer widened to a 2-byte one); encoding
    with ``index_dtype`` and batching must add little beyond the 1 byte per symbol.
    """
    import tracemalloc

    base = R.load_corpus().encode("utf-8")
    path = tmp_path / "big.txt"
    size = 5_000_000
    path.write_bytes((base * (size // len(base) + 1))[:size - 3] + b"end")
    tracemalloc.start()
    try:
        text = R.load_corpus(path)
        _, load_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        vocab = R.Vocab.from_text(text)
        ids = vocab.encode(text, dtype=vocab.index_dtype)
        train, val = R.train_val_split(ids, 0.1)
        batches = R.SequenceBatcher(train, 64, 100)
        for i, (x, y) in enumerate(batches):
            if i == 50:
                break
        _, batch_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ids.dtype == np.uint8 and len(ids) == len(text)
    assert load_peak < 4.2 * size
    # the uint8 ids (1x) plus one encoding chunk and small windows; int64 ids alone would be 8x
    assert batch_peak - before < 1.5 * size
    assert max(load_peak, batch_peak) < 4.2 * size


def test_batcher_docstring_example():
    ids = np.array([ord(c) - ord("a") for c in "abcdefghijklmn"])
    b = R.SequenceBatcher(ids, 2, 4)
    letters = [["".join(chr(ord("a") + i) for i in row) for row in a] for xy in b for a in xy]
    assert letters == [["abcd", "ghij"], ["bcde", "hijk"], ["ef", "kl"], ["fg", "lm"]]
    assert b.n_unused == 1
