"""Data for the course: vocabularies, the alphabet task, an offline corpus, and
batches for truncated backpropagation through time.

Nothing here touches the network: the default corpus ships inside the package.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import numpy as np

from .validation import check_int, check_real

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------


def _check_symbol(s, pos):
    """A symbol a checkpoint can store exactly (JSON): a str or an int; numpy scalars become their Python twin."""
    if isinstance(s, str):
        return str(s)  # np.str_ -> str
    if isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)):
        return int(s)  # np.int64(3) -> 3: equal and the same hash, so lookups do not change
    raise TypeError(
        f"Vocab: every symbol must be a str or an int (so that a saved model can restore it exactly), "
        f"got {type(s).__name__} {s!r} at position {pos}"
        + ("; join a tuple into one str, e.g. ''.join(t)" if isinstance(s, tuple) else "")
    )


class Vocab:
    """A fixed, ordered set of symbols (usually characters) and their indices.

    >>> v = Vocab.from_text("hello")
    >>> v.symbols
    ['e', 'h', 'l', 'o']
    >>> v.decode(v.encode("hole"))
    'hole'
    """

    def __init__(self, symbols):
        if isinstance(symbols, (str, bytes)):
            raise TypeError(
                f"Vocab: symbols must be a list of distinct symbols, got the {type(symbols).__name__} "
                f"{symbols[:30]!r}; to use every distinct character of a text, call Vocab.from_text(text)"
            )
        if isinstance(symbols, np.ndarray) and symbols.ndim != 1:
            raise ValueError(f"Vocab: symbols must be 1-D, got an array of shape {symbols.shape}")
        try:
            symbols = [_check_symbol(s, i) for i, s in enumerate(symbols)]
        except TypeError as e:
            if "Vocab" in str(e):
                raise
            raise TypeError(f"Vocab: symbols must be an iterable of str or int, got {type(symbols).__name__}") from None
        if not symbols:
            raise ValueError("Vocab: symbols must not be empty")
        seen = set()
        dupes = [s for s in symbols if s in seen or seen.add(s)]
        if dupes:
            raise ValueError(f"Vocab: symbols must be unique, {dupes[:5]!r} appear more than once")
        self.symbols = symbols
        self.index = {s: i for i, s in enumerate(symbols)}
        self._lut = None  # code point -> index, built on the first encode of a text

    @classmethod
    def from_text(cls, text):
        """Every distinct character of ``text``, sorted, so the order does not depend on the text's order."""
        if not isinstance(text, str):
            raise TypeError(f"Vocab.from_text: text must be a str, got {type(text).__name__}")
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.symbols)

    @property
    def size(self):
        return len(self.symbols)

    def __contains__(self, symbol):
        return symbol in self.index

    def __repr__(self):
        preview = "".join(self.symbols[:20]) if all(isinstance(s, str) and len(s) == 1 for s in self.symbols) else self.symbols[:5]
        return f"Vocab(size={len(self)}, symbols={preview!r}{'...' if len(self) > 20 else ''})"

    @property
    def index_dtype(self):
        """The smallest unsigned integer dtype that holds every index 0..V-1 (uint8 for V <= 256).

        A 50 MB text encoded with it takes 50 MB instead of the 400 MB of int64:
        ``vocab.encode(text, dtype=vocab.index_dtype)`` for a whole corpus.
        """
        for dt in (np.uint8, np.uint16, np.uint32):
            if len(self) - 1 <= np.iinfo(dt).max:
                return np.dtype(dt)
        return np.dtype(np.int64)

    def encode(self, seq, dtype=np.int64):
        """Symbols -> integer indices.  seq: str or sequence of symbols, length L -> (L,) of ``dtype``.

        dtype: any integer dtype that holds V - 1; int64 (the default) is what the
        models index with, ``self.index_dtype`` the most compact for a long corpus.
        A str is encoded in chunks without a Python object per character.
        """
        dtype = np.dtype(dtype) if not isinstance(dtype, np.dtype) else dtype
        if not np.issubdtype(dtype, np.integer):
            raise TypeError(f"Vocab.encode: dtype must be an integer dtype, got {dtype}")
        if np.iinfo(dtype).max < len(self) - 1:
            raise ValueError(f"Vocab.encode: dtype {dtype} cannot hold index {len(self) - 1} "
                             f"(V = {len(self)}); use {self.index_dtype} or larger")
        if isinstance(seq, str) and self._single_chars():
            return self._encode_text(seq, dtype)
        if isinstance(seq, np.ndarray) and seq.ndim != 1:
            raise ValueError(f"Vocab.encode: seq must be 1-D, got an array of shape {seq.shape}")
        try:
            return np.fromiter((self.index[s] for s in seq), dtype=dtype, count=len(seq))
        except (KeyError, TypeError):  # TypeError: an unhashable symbol such as a list
            for pos, s in enumerate(seq):
                try:
                    known = s in self.index
                except TypeError:
                    known = False
                if not known:
                    raise ValueError(
                        f"Vocab.encode: unknown symbol {s!r} at position {pos}; "
                        f"the vocabulary has {len(self)} symbols (use Vocab.from_text on the text you will encode)"
                    ) from None
            raise

    def _single_chars(self):
        return all(isinstance(s, str) and len(s) == 1 for s in self.symbols)

    def _encode_text(self, text, dtype, chunk=1 << 16):
        # A table from code point to index, applied to the text's UTF-32 code
        # points chunk by chunk: memory is the output plus one small chunk.
        if self._lut is None:
            cps = np.array([ord(s) for s in self.symbols])
            lut = np.full(cps.max() + 1, -1, dtype=np.int32)
            lut[cps] = np.arange(len(cps))
            self._lut = lut
        lut = self._lut
        out = np.empty(len(text), dtype=dtype)
        for start in range(0, len(text), chunk):
            piece = text[start:start + chunk]
            cps = np.frombuffer(piece.encode("utf-32-le", "surrogatepass"), dtype="<u4")
            ids = lut[np.minimum(cps, np.uint32(len(lut) - 1))]
            bad = (ids < 0) | (cps >= len(lut))
            if bad.any():
                pos = int(np.argmax(bad))
                raise ValueError(
                    f"Vocab.encode: unknown symbol {piece[pos]!r} at position {start + pos}; "
                    f"the vocabulary has {len(self)} symbols (use Vocab.from_text on the text you will encode)"
                )
            out[start:start + len(piece)] = ids
        return out

    def decode(self, ids):
        """Indices -> str (when every symbol is a str) or list of symbols.  ids: (L,) ints."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"Vocab.decode: ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            bad = ids[(ids < 0) | (ids >= len(self))][0]
            raise ValueError(f"Vocab.decode: ids must be in [0, {len(self)}), found {int(bad)}")
        out = [self.symbols[i] for i in ids]
        return "".join(out) if all(isinstance(s, str) for s in out) else out

    def one_hot(self, ids, dtype=np.float64):
        """Indices -> one-hot rows.  ids: (...,) ints -> (..., V).  For teaching; models use lookups."""
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"Vocab.one_hot: ids must be integers, got dtype {ids.dtype}")
        if np.dtype(dtype).type not in (np.float32, np.float64):
            raise TypeError(f"Vocab.one_hot: dtype must be float32 or float64, got {np.dtype(dtype)}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"Vocab.one_hot: ids must be in [0, {len(self)}), got range [{ids.min()}, {ids.max()}]")
        return np.eye(len(self), dtype=dtype)[ids]


# --------------------------------------------------------------------------
# The alphabet task (seed 003)
# --------------------------------------------------------------------------

# Exactly as the seed wrote them.  Rows 1, 3, 4 map each letter to the next
# one; rows 2 and 5 do not, so no per-letter rule fits all five rows.
_ALPHABET_INPUTS = [
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ZYXWVUTSRQPONMLKJIHGFEDCBA",
    "BDFHJLNPRTVXZACEGIKMOQSUWY",
    "MNOPQRSTUVWXYZABCDEFGHIJKL",
    "HGFEDCBALKJIPONMUTSRQXWVZY",
]
_ALPHABET_EXPECTED = [
    "BCDEFGHIJKLMNOPQRSTUVWXYZA",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "CEGIKMOQSUWYABDFHJLNPRTVXZ",
    "NOPQRSTUVWXYZABCDEFGHIJKLM",
    "IJKLMNOPQRSTUVWXYZABCDEFGH",
]

ALPHABET = Vocab(list(string.ascii_uppercase))


def alphabet_shift_data():
    """The seed 003 task: five 26-letter sequences and the sequences expected from them.

    Returns:
        inputs:   (5, 26) array of single-letter str
        expected: (5, 26) array of single-letter str
    """
    return (np.array([list(r) for r in _ALPHABET_INPUTS]),
            np.array([list(r) for r in _ALPHABET_EXPECTED]))


def shift_letters(letters, k=1):
    """Each letter moved k places along the alphabet, wrapping Z -> A.  letters: (...) str -> same."""
    k = check_int("shift_letters", "k", k)
    letters = np.asarray(letters)
    bad = [s for s in letters.ravel().tolist() if s not in ALPHABET.index]
    if bad:
        raise ValueError(f"shift_letters: letters must be uppercase A-Z, found {bad[0]!r}")
    ids = np.vectorize(ALPHABET.index.__getitem__, otypes=[np.int64])(letters)
    return np.array(ALPHABET.symbols)[(ids + k) % 26]


# --------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------


# The course's default corpus ships inside the package, so every machine trains on
# the same bytes: the "topics" part of CPython 3.11.7's documentation
# (Lib/pydoc_data/topics.py, generated by Sphinx on 2023-12-04), the topics joined
# in sorted order with blank lines.  Python's documentation is released under the
# PSF License Version 2 (https://docs.python.org/3/license.html).
# 465,126 characters; tests/test_data.py pins its length and sha256.
_SHIPPED = {"python-docs": "python_docs.txt.xz"}


def _shipped_corpus(name):
    import lzma
    from importlib.resources import files

    return lzma.decompress(files("rnnlab.corpora").joinpath(_SHIPPED[name]).read_bytes()).decode("utf-8")


def _running_python_docs():
    # Changes with every Python release (459k chars on 3.10, 511k on 3.13):
    # fine to play with, never behind stored notebook outputs.
    from pydoc_data import topics

    return "\n\n".join(topics.topics[k] for k in sorted(topics.topics))


CORPORA = {
    "python-docs": lambda: _shipped_corpus("python-docs"),
    "running-python-docs": _running_python_docs,
}


def load_corpus(name_or_path=None):
    """Text to train a character model on, with no network.

    Args:
        name_or_path: None or "python-docs" for the course's corpus (465,126
            characters of Python 3.11.7's documentation topics, shipped with
            rnnlab, identical on every machine); "running-python-docs" for the
            same topics from the interpreter you are running (differs between
            Python releases); or the path of any UTF-8 text file.

    Returns:
        text: str, exactly the file's characters (line endings included)

    For a large corpus, encode it compactly: ``vocab.encode(text, dtype=vocab.index_dtype)``
    takes 1 byte per character (int64 takes 8), and SequenceBatcher does not copy it.
    """
    if name_or_path is None:
        name_or_path = "python-docs"
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"load_corpus: name_or_path must be a str or a path, got {type(name_or_path).__name__}")
    if isinstance(name_or_path, str) and name_or_path in CORPORA:
        return CORPORA[name_or_path]()
    path = Path(name_or_path)
    if not path.is_file():
        raise ValueError(
            f"load_corpus: {str(name_or_path)!r} is neither a built-in corpus "
            f"({', '.join(sorted(CORPORA))}) nor an existing file"
        )
    try:
        # read_bytes, not read_text: newline translation would turn \r\n into \n
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"load_corpus: {path} is not valid UTF-8 ({e})") from None
    if not text:
        raise ValueError(f"load_corpus: {path} is empty")
    return text


def train_val_split(ids, val_fraction=0.1):
    """Split a 1-D sequence into a leading train part and a trailing validation part.

    A contiguous split (not a shuffle) so that no validation window overlaps training text.
    ids: (L,) -> (train: (L - k,), val: (k,)) with k = round(L * val_fraction)
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"train_val_split: ids must be 1-D, got shape {ids.shape}")
    val_fraction = check_real("train_val_split", "val_fraction", val_fraction)
    if not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    k = int(round(len(ids) * val_fraction))
    if k < 2 or len(ids) - k < 2:
        raise ValueError(f"train_val_split: {len(ids)} symbols are too few to split with val_fraction={val_fraction}")
    return ids[: len(ids) - k], ids[len(ids) - k:]


# --------------------------------------------------------------------------
# Batches for truncated BPTT
# --------------------------------------------------------------------------


class SequenceBatcher:
    """Consecutive windows of a long sequence, for truncated BPTT with a carried state.

    The sequence is cut into N equal streams laid side by side (row n of every
    batch continues row n of the batch before), and each stream is read in
    windows of T steps.  Because window k+1 of row n starts exactly where
    window k ended, the hidden state at the end of one batch is the right
    initial state for the next.

        ids = a b c d e f g h i j k l m n    (L=14, N=2, T=4)
        inputs  stream 0: a b c d e f    stream 1: g h i j k l
        targets stream 0: b c d e f g    stream 1: h i j k l m   (n fits no stream: n_unused = 1)
        batch 0: x=[[a b c d],[g h i j]]  y=[[b c d e],[h i j k]]
        batch 1: x=[[e f],[k l]]          y=[[f g],[l m]]          (last window shorter)

    Memory: the streams are read-only views of ``ids`` (no copy, whatever its
    dtype), so ids encoded with ``vocab.index_dtype`` cost 1 byte per symbol;
    each window is handed out as a small int64 copy, the dtype the models index with.

    Args:
        ids: (L,) integer sequence (any integer dtype)
        batch_size: N
        seq_len: T

    Yields:
        (x, y): (N, T_k) int64 each, y[n, t] = the symbol after x[n, t]
    """

    def __init__(self, ids, batch_size, seq_len):
        where = "SequenceBatcher"
        if not isinstance(ids, np.ndarray):
            ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"{where}: ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
        batch_size = check_int(where, "batch_size", batch_size, minimum=1)
        seq_len = check_int(where, "seq_len", seq_len, minimum=1)
        if ids.size and np.issubdtype(ids.dtype, np.signedinteger) and ids.min() < 0:
            raise ValueError(f"{where}: ids must be indices >= 0, found {int(ids.min())}")
        stream_len = (len(ids) - 1) // batch_size  # inputs per stream; targets need one more
        if stream_len < 1:
            raise ValueError(
                f"{where}: {len(ids)} symbols are too few for batch_size={batch_size} "
                f"(need at least batch_size + 1)"
            )
        self.batch_size, self.seq_len = batch_size, seq_len
        self.stream_len = stream_len
        used = batch_size * stream_len
        # memory: VIEWS of ids (no copy, whatever its dtype; uint8 ids stay 1 byte
        # per symbol), read-only so that no caller can change the data through them
        self.x_streams = ids[:used].reshape(batch_size, stream_len)
        self.y_streams = ids[1:used + 1].reshape(batch_size, stream_len)
        for a in (self.x_streams, self.y_streams):
            a.flags.writeable = False
        # Symbols at the very end that fit no stream: reported, not hidden.
        self.n_unused = len(ids) - 1 - used

    def __len__(self):
        return -(-self.stream_len // self.seq_len)

    def __iter__(self):
        for start in range(0, self.stream_len, self.seq_len):
            stop = start + self.seq_len
            # one small int64 copy per window: the models index with int64
            yield (self.x_streams[:, start:stop].astype(np.int64),
                   self.y_streams[:, start:stop].astype(np.int64))
