"""Every wrong implementation of the independent corpus (tests/classroom/mistakes/) fails with
feedback that names its mistake, and every correct-but-different one passes.

`python tests/classroom/test_mistake_corpus.py` prints the named fraction by exercise.
"""

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rnnlab.classroom as C  # noqa: E402
from mistakes import KNOWN_MISSES, load  # noqa: E402

MISTAKES, CORRECT = load()


def diagnose(exercise, fn):
    return C.CHECKERS[exercise](fn, show=False)


def named(exercise, fn, phrase):
    result = diagnose(exercise, fn)
    return (not result) and phrase.lower() in result.message.lower(), result


def test_the_corpus_is_large_and_covers_every_exercise():
    assert len(MISTAKES) >= 150
    counts = Counter(e for e, _, _ in MISTAKES)
    assert set(counts) == set(C.CHECKERS), set(C.CHECKERS) - set(counts)
    assert all(n >= 10 for n in counts.values()), counts
    assert {e for e, _ in CORRECT} == set(C.CHECKERS)


@pytest.mark.parametrize("exercise, fn, phrase", MISTAKES, ids=[f"{e}-{f.__name__}" for e, f, _ in MISTAKES])
def test_mistake_is_named(exercise, fn, phrase):
    ok, result = named(exercise, fn, phrase)
    assert ok, f"expected {phrase!r} in: {result}"
    # short plain sentences, never an array of values
    assert len(result.message) < 500 and "[[" not in result.message and "array(" not in result.message
    assert 0 <= result.score < 1  # partial credit, never full points for a wrong function


@pytest.mark.xfail(strict=True, reason="a known miss: the feedback does not name this mistake yet")
@pytest.mark.parametrize("exercise, fn, phrase", KNOWN_MISSES, ids=[f"{e}-{f.__name__}" for e, f, _ in KNOWN_MISSES])
def test_known_miss_is_still_not_named(exercise, fn, phrase):
    ok, result = named(exercise, fn, phrase)
    assert ok, f"expected {phrase!r} in: {result}"


@pytest.mark.parametrize("exercise, fn", CORRECT, ids=[f"{e}-{f.__name__}" for e, f in CORRECT])
def test_correct_variant_passes(exercise, fn):
    result = diagnose(exercise, fn)
    assert result, str(result)
    assert result.score == 1.0


def report():
    """Named fraction by exercise, the known misses counted as not named."""
    by = {}
    for exercise, fn, phrase in MISTAKES + KNOWN_MISSES:
        ok, result = named(exercise, fn, phrase)
        by.setdefault(exercise, []).append((fn.__name__, phrase, ok, result.message))
    rows = [r for rs in by.values() for r in rs]
    total = sum(r[2] for r in rows)
    print(f"{'exercise':26s} named / wrong implementations")
    for exercise in C.CHECKERS:
        rs = by.get(exercise, [])
        print(f"{exercise:26s} {sum(r[2] for r in rs):3d} / {len(rs):3d}")
    print(f"{'all':26s} {total:3d} / {len(rows):3d} = {total / len(rows):.1%}")
    passed = sum(bool(diagnose(e, f)) for e, f in CORRECT)
    print(f"correct variants accepted: {passed} / {len(CORRECT)}")
    for exercise, rs in by.items():
        for name, phrase, ok, text in rs:
            if not ok:
                print(f"  NOT NAMED {exercise}.{name} (wants {phrase!r}): {text[:200]}")


if __name__ == "__main__":
    report()
