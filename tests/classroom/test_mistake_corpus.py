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
    by = {}
    for exercise, fn, phrase in MISTAKES:
        ok, result = named(exercise, fn, phrase)
        by.setdefault(exercise, []).append((fn.__name__, phrase, ok, str(result)))
    total = sum(ok for rows in by.values() for _, _, ok, _ in rows)
    print(f"{'exercise':26s} named / wrong implementations")
    for exercise in C.CHECKERS:
        rows = by.get(exercise, [])
        print(f"{exercise:26s} {sum(r[2] for r in rows):3d} / {len(rows):3d}")
    print(f"{'all':26s} {total:3d} / {len(MISTAKES):3d} = {total / len(MISTAKES):.1%}")
    print(f"known misses (not named yet, strict xfail): {len(KNOWN_MISSES)}")
    passed = sum(bool(diagnose(e, f)) for e, f in CORRECT)
    print(f"correct variants accepted: {passed} / {len(CORRECT)}")
    for exercise, rows in by.items():
        for name, phrase, ok, text in rows:
            if not ok:
                print(f"  MISSED {exercise}.{name} (wants {phrase!r}): {text[:220]}")


if __name__ == "__main__":
    report()
