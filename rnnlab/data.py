"""Data for the course: vocabularies, the alphabet task, an offline corpus, and
batches for truncated backpropagation through time.

Nothing here touches the network: the default corpus ships inside the package.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------


class Vocab:
    """A fixed, ordered set of symbols (usually characters) and their indices.

    >>> v = Vocab.from_text("hello")
    >>> v.symbols
    ['e', 'h', 'l', 'o']
    >>> v.decode(v.encode("hole"))
    'hole'
    """

    def __init__(self, symbols):
        symbols = list(symbols)
        if not symbols:
            raise ValueError("Vocab: symbols must not be empty")
        seen = set()
        dupes = [s for s in symbols if s in seen or seen.add(s)]
        if dupes:
            raise ValueError(f"Vocab: symbols must be unique, {dupes[:5]!r} appear more than once")
        self.symbols = symbols
        self.index = {s: i for i, s in enumerate(symbols)}

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

    def encode(self, seq):
        """Symbols -> int64 indices.  seq: str or sequence of symbols, length L -> (L,)."""
        try:
            return np.fromiter((self.index[s] for s in seq), dtype=np.int64, count=len(seq))
        except KeyError:
            for pos, s in enumerate(seq):
                if s not in self.index:
                    raise ValueError(
                        f"Vocab.encode: unknown symbol {s!r} at position {pos}; "
                        f"the vocabulary has {len(self)} symbols (use Vocab.from_text on the text you will encode)"
                    ) from None
            raise

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

ALPHABET = Vocab(string.ascii_uppercase)


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
    letters = np.asarray(letters)
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
        text: str
    """
    if name_or_path is None:
        name_or_path = "python-docs"
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

        ids = a b c d e f g h i j k l m    (N=2, T=3)
        stream 0: a b c d e f      stream 1: g h i j k l   (m unused: see n_unused)
        batch 0: x=[[a b c],[g h i]]  y=[[b c d],[h i j]]
        batch 1: x=[[d e],[j k]]      y=[[e f],[k l]]      (last window shorter)

    Args:
        ids: (L,) integer sequence
        batch_size: N
        seq_len: T

    Yields:
        (x, y): (N, T_k) int64 each, y[n, t] = the symbol after x[n, t]
    """

    def __init__(self, ids, batch_size, seq_len):
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"SequenceBatcher: ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
        if batch_size < 1 or seq_len < 1:
            raise ValueError(f"SequenceBatcher: batch_size and seq_len must be >= 1, got {batch_size} and {seq_len}")
        stream_len = (len(ids) - 1) // batch_size  # inputs per stream; targets need one more
        if stream_len < 1:
            raise ValueError(
                f"SequenceBatcher: {len(ids)} symbols are too few for batch_size={batch_size} "
                f"(need at least batch_size + 1)"
            )
        self.batch_size, self.seq_len = batch_size, seq_len
        self.stream_len = stream_len
        used = batch_size * stream_len
        self.x_streams = ids[:used].reshape(batch_size, stream_len).astype(np.int64)
        self.y_streams = ids[1:used + 1].reshape(batch_size, stream_len).astype(np.int64)
        # Symbols at the very end that fit no stream: reported, not hidden.
        self.n_unused = len(ids) - 1 - used

    def __len__(self):
        return -(-self.stream_len // self.seq_len)

    def __iter__(self):
        for start in range(0, self.stream_len, self.seq_len):
            stop = start + self.seq_len
            yield self.x_streams[:, start:stop], self.y_streams[:, start:stop]
