"""The autograder's hidden tests: grade an exercise on cases the student has not seen.

The check cell of every exercise ends with a hidden region (removed from the student notebooks,
put back by ``nbgrader autograde``) that is only::

    from rnnlab.classroom.hidden import grade
    grade("rnn_step_backward", rnn_step_backward)

so no seed or test logic is in any notebook.  ``grade`` runs the checker on the visible seed and
on the grading seeds below (an instructor can choose others with the environment variable
``RNNLAB_GRADING_SEEDS="11,12,13"`` on the grading machine) and returns the points earned, a
number that nbgrader reads as partial credit (the cell's last value).  It never raises and never
writes to stderr (nbgrader gives 0 points to a cell with stderr output).
"""

from __future__ import annotations

import os

from .context import CHECKERS
from .registry import BY_NAME

DEFAULT_SEEDS = (1013, 2027)


def seeds():
    """The grading seeds: RNNLAB_GRADING_SEEDS (comma-separated ints) or DEFAULT_SEEDS."""
    text = os.environ.get("RNNLAB_GRADING_SEEDS", "").strip()
    if not text:
        return DEFAULT_SEEDS
    try:
        return tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise ValueError(f"grade: RNNLAB_GRADING_SEEDS should be comma-separated ints, got {text!r}") from None


def results(name, fn):
    """The CheckResults of exercise ``name`` on the visible seed 0 and on every grading seed."""
    check = CHECKERS[name]
    return [check(fn, seed=s, show=False) for s in (0, *seeds())]


def grade(name, fn) -> float:
    """Points earned by ``fn`` for exercise ``name``: the smallest partial credit over all seeds.

    Full points only when every seed passes; otherwise the fraction of outputs that are right,
    times the exercise's points (rounded to a quarter point).
    """
    if name not in BY_NAME:
        raise KeyError(f"grade: unknown exercise {name!r}; known: {sorted(BY_NAME)}")
    total = BY_NAME[name].points
    if not callable(fn):
        return 0.0
    return float(min(r.points(total) for r in results(name, fn)))
