"""rnnlab.dates: the generated task is deterministic, correct, split without leaks, and its filler
changes only the length."""

import datetime as dt

import numpy as np
import pytest

from rnnlab.dates import (
    FORMATS,
    SOURCE_VOCAB,
    TARGET_VOCAB,
    batches,
    date_splits,
    decode_target,
    exact_match,
    ordinal,
    with_filler,
)
from rnnlab.seq2seq import EOS, PAD


def test_every_format_writes_the_examples_of_the_brief():
    t = dt.date(1999, 5, 3)
    texts = {name: f(t) for name, f in FORMATS.items()}
    assert texts["m/d/yy"] == "05/03/99"
    assert texts["dth of month yyyy"] == "3rd of May 1999"
    assert texts["weekday, month d, yyyy"] == "Monday, May 3, 1999"
    assert texts["iso"] == "1999-05-03"
    assert len(set(texts.values())) == len(FORMATS), "two formats write the same text"


@pytest.mark.parametrize("d, s", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                  (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"), (31, "31st")])
def test_ordinals(d, s):
    assert ordinal(d) == s


def test_splits_are_deterministic_and_share_no_date():
    a, b = date_splits(300, 50, 60, seed=3), date_splits(300, 50, 60, seed=3)
    assert a["train"].human == b["train"].human and np.array_equal(a["test"].x, b["test"].x)
    assert date_splits(300, 50, 60, seed=4)["train"].human != a["train"].human
    sets = [set(a[k].iso) for k in ("train", "val", "test")]
    assert len(sets[0]) == 300 and not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])


def test_answers_are_right_and_decodable():
    sp = date_splits(200, 10, 10, seed=1)["train"]
    for h, iso, fmt, x, y in zip(sp.human, sp.iso, sp.fmt, sp.x, sp.y):
        assert FORMATS[fmt[0]](dt.date.fromisoformat(iso)) == h and len(fmt) == 1
        assert SOURCE_VOCAB.decode(x[x != PAD]) == h
        assert y[-1] == EOS and decode_target(y[:-1]) == iso
        assert "1950-01-01" <= iso <= "2049-12-31"  # so a two-digit year has one reading
    assert len(TARGET_VOCAB) == 15


def test_lists_of_dates():
    sp = date_splits(200, 20, 20, seed=5, max_dates=3)
    ks = [len(f) for f in sp["train"].fmt]
    assert set(ks) == {1, 2, 3}
    for h, iso, fmt in zip(sp["train"].human, sp["train"].iso, sp["train"].fmt):
        parts, dates = h.split("; "), iso.split(" ")
        assert len(parts) == len(dates) == len(fmt)
        assert all(FORMATS[f](dt.date.fromisoformat(d)) == p for f, d, p in zip(fmt, dates, parts))
    y = sp["train"].y
    assert y.shape[1] == 3 * 11 and all(decode_target(r[:list(r).index(EOS)]) == i for r, i in zip(y, sp["train"].iso))
    words = [set(sp[k].iso[i].split(" ")) for k in ("train", "test") for i in range(len(sp[k]))]
    train_days = set().union(*words[:200])
    assert not train_days & set().union(*words[200:]), "a date is in two splits"


def test_filler_changes_only_the_length():
    sp = date_splits(50, 5, 40, seed=2)["test"]
    long = with_filler(sp, 40, seed=0)
    assert long.iso == sp.iso and np.array_equal(long.y, sp.y)
    assert all(h in lh for h, lh in zip(sp.human, long.human)), "the date must appear unchanged"
    assert (long.lengths >= sp.lengths + 40).all()
    assert with_filler(sp, 40, seed=0).human == long.human


def test_batches_cover_the_split_once_and_trim_padding():
    sp = date_splits(130, 5, 5, seed=0, filler=30)["train"]
    bs = batches(sp, 32, np.random.default_rng(0))
    assert sum(len(x) for x, _ in bs) == 130
    seen = sorted(SOURCE_VOCAB.decode(x[i][x[i] != PAD]) for x, _ in bs for i in range(len(x)))
    assert seen == sorted(sp.human)
    assert all((x[:, -1] != PAD).any() for x, _ in bs), "a batch keeps a column of PAD only"


def test_exact_match():
    sp = date_splits(3, 1, 1, seed=0)["train"]
    acc, hits = exact_match([sp.iso[0], "1999-01-01", sp.iso[2]], sp)
    assert acc == pytest.approx(2 / 3) and hits.tolist() == [True, sp.iso[1] == "1999-01-01", True]


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown formats"):
        date_splits(10, 1, 1, formats=["yyyy.mm.dd"])
    with pytest.raises(ValueError, match="at most 36525"):
        date_splits(40000, 1, 1)
