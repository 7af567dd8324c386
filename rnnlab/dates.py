"""A translation task generated on the spot: human-written dates -> ISO 8601.

    "3rd of May 1999", "05/03/99", "Monday, May 3, 1999"  ->  "1999-05-03"

Dates are drawn uniformly from 1950-01-01 .. 2049-12-31 so that a two-digit
year is never ambiguous (50-99 -> 19yy, 00-49 -> 20yy).  Numeric formats
follow two fixed conventions: slashes are month first (US, "05/03/99") and dots
day first (European, "03.05.1999"), so every input has exactly one answer.

The formats range from 6 to over 50 characters, and the longer ones put the
day, the month and the year far apart ("on Monday, the 3rd day of May in the
year 1999"): a model that must squeeze the whole input into one vector before
writing the output feels the length, a model with attention can look back.

Everything is generated from a seed with numpy (no downloads, no files), the
same on every machine.  PAD = 0, BOS = 1, EOS = 2 in both vocabularies
(rnnlab.seq2seq).
"""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple

import numpy as np

from .data import Vocab
from .seq2seq import EOS, PAD

SPECIALS = ["<pad>", "<s>", "</s>"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SOURCE_CHARS = " (),./-:;" + "0123456789" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SOURCE_VOCAB = Vocab(SPECIALS + list(SOURCE_CHARS))
TARGET_VOCAB = Vocab(SPECIALS + list("0123456789- "))  # space: between the dates of a list
FIRST_DAY, DAYS = _dt.date(1950, 1, 1).toordinal(), (_dt.date(2049, 12, 31) - _dt.date(1950, 1, 1)).days + 1
TARGET_LEN = 11  # "1999-05-03" + EOS
SEPARATOR = "; "  # between the dates of one input ("3rd of May 1999; 05/06/01")


def ordinal(d):
    """3 -> '3rd', 11 -> '11th', 22 -> '22nd'."""
    suffix = "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{d}{suffix}"


# Each format: date -> text.  Ordered roughly from short to long.
FORMATS = {
    "m/d/yy": lambda t: f"{t.month:02d}/{t.day:02d}/{t.year % 100:02d}",
    "m/d/yyyy": lambda t: f"{t.month}/{t.day}/{t.year}",
    "iso": lambda t: t.isoformat(),
    "dd.mm.yyyy": lambda t: f"{t.day:02d}.{t.month:02d}.{t.year}",
    "d mon yy": lambda t: f"{t.day} {MONTHS[t.month - 1][:3].lower()} {t.year % 100:02d}",
    "d month yyyy": lambda t: f"{t.day} {MONTHS[t.month - 1]} {t.year}",
    "MONTH D, YYYY": lambda t: f"{MONTHS[t.month - 1].upper()} {t.day}, {t.year}",
    "month d, yyyy": lambda t: f"{MONTHS[t.month - 1]} {t.day}, {t.year}",
    "dth of month yyyy": lambda t: f"{ordinal(t.day)} of {MONTHS[t.month - 1]} {t.year}",
    "wkd d mon yyyy": lambda t: f"{WEEKDAYS[t.weekday()][:3]} {t.day} {MONTHS[t.month - 1][:3]} {t.year}",
    "weekday, month d, yyyy": lambda t: f"{WEEKDAYS[t.weekday()]}, {MONTHS[t.month - 1]} {t.day}, {t.year}",
    "weekday the dth of month yyyy": lambda t: f"{WEEKDAYS[t.weekday()]} the {ordinal(t.day)} of {MONTHS[t.month - 1]} {t.year}",
    "on weekday, the dth day of month in the year yyyy":
        lambda t: f"on {WEEKDAYS[t.weekday()]}, the {ordinal(t.day)} day of {MONTHS[t.month - 1]} in the year {t.year}",
    "it was a weekday, the dth of month, in the year yyyy":
        lambda t: f"it was a {WEEKDAYS[t.weekday()]}, the {ordinal(t.day)} of {MONTHS[t.month - 1]}, in the year {t.year}",
}


# Words around the date in the long inputs ("see the minutes of 3rd of May 1999 as agreed").
FILLER_WORDS = ["see", "the", "minutes", "of", "as", "agreed", "by", "all", "note", "from", "meeting", "held",
                "on", "our", "ref", "file", "copy", "sent", "to", "you", "and", "please", "confirm", "receipt"]


def add_filler(text, n_chars, rng):
    """Surround text with about n_chars of filler words, split at random between before and after.

    The date itself is unchanged, so the answer is too: only the distance the information
    must travel through the encoder grows.
    """
    if n_chars <= 0:
        return text
    words = []
    while sum(len(w) + 1 for w in words) < n_chars:
        words.append(FILLER_WORDS[rng.integers(len(FILLER_WORDS))])
    k = int(rng.integers(len(words) + 1))
    return " ".join(words[:k] + [text] + words[k:])


class DateSplit(NamedTuple):
    """One split: the strings and their padded index arrays."""

    human: list  # N input strings
    iso: list  # N answers "yyyy-mm-dd" (several dates: "yyyy-mm-dd yyyy-mm-dd")
    x: np.ndarray  # (N, Ts) source indices, PAD at the end
    y: np.ndarray  # (N, Td) target indices: the answer's characters, EOS, then PAD
    fmt: list  # N tuples of format names, one per date

    def __len__(self):
        return len(self.human)

    @property
    def lengths(self):
        """(N,) input lengths in characters."""
        return np.array([len(h) for h in self.human])

    def subset(self, rows):
        rows = np.asarray(rows)
        return DateSplit([self.human[i] for i in rows], [self.iso[i] for i in rows], self.x[rows], self.y[rows],
                         [self.fmt[i] for i in rows])


def encode_sources(texts, width=None):
    """Strings -> (N, Ts) source indices padded with PAD (Ts = longest, or ``width``)."""
    width = max(len(t) for t in texts) if width is None else width
    x = np.full((len(texts), width), PAD, dtype=np.int64)
    for i, t in enumerate(texts):
        if len(t) > width:
            raise ValueError(f"encode_sources: text {i} has {len(t)} characters, more than width={width}")
        x[i, :len(t)] = SOURCE_VOCAB.encode(t)
    return x


def encode_targets(isos):
    """Answers -> (N, Td) target indices: each answer's characters, EOS, then PAD (Td = longest + 1)."""
    y = np.full((len(isos), max(len(s) for s in isos) + 1), PAD, dtype=np.int64)
    for i, s in enumerate(isos):
        y[i, :len(s)] = TARGET_VOCAB.encode(s)
        y[i, len(s)] = EOS
    return y


def decode_target(ids):
    """Target indices (no EOS) -> the string the model wrote."""
    return "".join(TARGET_VOCAB.symbols[i] for i in ids if i >= len(SPECIALS))


def _write(dates, names):
    """One input and its answer: the dates in their formats joined by SEPARATOR, ISO joined by spaces."""
    return SEPARATOR.join(FORMATS[f](t) for f, t in zip(names, dates)), " ".join(t.isoformat() for t in dates)


def make_split(groups, formats, rng=None, filler=0):
    """Groups of dates (lists of datetime.date) -> a DateSplit, each date in a format drawn from ``formats``.

    filler: the most filler characters added around an input (drawn uniformly in [0, filler]).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    names = [tuple(formats[i] for i in rng.integers(len(formats), size=len(g))) for g in groups]
    human, iso = (list(a) for a in zip(*(_write(g, n) for g, n in zip(groups, names))))
    if filler:
        human = [add_filler(h, int(n), rng) for h, n in zip(human, rng.integers(filler + 1, size=len(human)))]
    return DateSplit(human, iso, encode_sources(human), encode_targets(iso), names)


def date_splits(n_train=6000, n_val=500, n_test=1000, seed=0, formats=None, filler=0, max_dates=1):
    """Train / validation / test splits with NO date in two splits.

    Args:
        n_train, n_val, n_test: sizes
        seed: every draw comes from np.random.default_rng(seed)
        formats: names from FORMATS (default: all), drawn uniformly for every example
        filler: up to this many characters of filler words around each input (see add_filler)
        max_dates: each input lists between 1 and max_dates dates (uniformly), the answer
            lists them in order: more to remember as the input grows (the bottleneck experiment)

    Returns:
        dict "train", "val", "test" -> DateSplit
    """
    formats = list(FORMATS) if formats is None else list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"date_splits: unknown formats {unknown}; choose from {list(FORMATS)}")
    total = n_train + n_val + n_test
    if min(n_train, n_val, n_test) < 1 or total > DAYS:
        raise ValueError(f"date_splits: sizes must be >= 1 and add up to at most {DAYS} (distinct dates), "
                         f"got {n_train}, {n_val}, {n_test}")
    if max_dates < 1:
        raise ValueError(f"date_splits: max_dates must be >= 1, got {max_dates}")
    rng = np.random.default_rng(seed)
    days = rng.permutation(DAYS)
    # each split draws from its own pool of days, so no date is in two splits
    cut = [0, n_train, n_train + n_val, total]
    pools = [days[a:b] for a, b in zip(cut, cut[1:])]
    if max_dates > 1:  # the rest of the days go to the pools in proportion, for the extra dates
        rest = np.array_split(days[total:], np.cumsum([n_train, n_val])[:2] * (DAYS - total) // total)
        pools = [np.concatenate([p, r]) for p, r in zip(pools, rest)]
    out = {}
    for name, n, pool in zip(("train", "val", "test"), (n_train, n_val, n_test), pools):
        ks = rng.integers(1, max_dates + 1, size=n)
        firsts = pool[:n]  # every example's first date is distinct
        groups = [[int(f)] + [int(d) for d in rng.choice(pool, size=k - 1)] for f, k in zip(firsts, ks)]
        groups = [[_dt.date.fromordinal(FIRST_DAY + d) for d in g] for g in groups]
        out[name] = make_split(groups, formats, rng, filler)
    return out


def with_filler(split, n_chars, seed=0):
    """The same dates in the same formats, each with about n_chars of filler words around it.

    Only the length changes: the controlled experiment behind "accuracy against input length".
    """
    rng = np.random.default_rng(seed)
    base = [_write([_dt.date.fromisoformat(d) for d in t.split(" ")], f)[0] for f, t in zip(split.fmt, split.iso)]
    human = [add_filler(h, n_chars, rng) for h in base]
    return DateSplit(human, list(split.iso), encode_sources(human), split.y.copy(), list(split.fmt))


def batches(split, batch_size, rng=None, by_length=True):
    """A list of (x, y) batches covering the split once, each x trimmed to its longest source.

    by_length: put inputs of similar length together (speed: a batch costs as many encoder
    steps as its LONGEST input), then shuffle the order of the batches; rng shuffles (None: fixed order).
    """
    order = np.arange(len(split)) if rng is None else rng.permutation(len(split))
    if by_length:
        order = order[np.argsort(split.lengths[order], kind="stable")]
    chunks = [order[a:a + batch_size] for a in range(0, len(split), batch_size)]
    if rng is not None:
        chunks = [chunks[i] for i in rng.permutation(len(chunks))]
    out = []
    for rows in chunks:
        x = split.x[rows]
        width = int((x != PAD).sum(axis=1).max())
        out.append((np.ascontiguousarray(x[:, :width]), split.y[rows]))
    return out


def exact_match(predicted, split):
    """Fraction of outputs equal to the answer.  predicted: N strings -> (mean, (N,) bool)."""
    hits = np.array([p == t for p, t in zip(predicted, split.iso)])
    return float(hits.mean()), hits
