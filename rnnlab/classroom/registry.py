"""The list of exercises: ONE line each.  Adding an exercise = a solution file in
classroom/solutions/, a checker module here (with ``@exercise``), and a line below.

Each line says which checker module defines ``check_<name>``, which notebook of the
assignment teaches it, its nbgrader points and the time a student needs (minutes).
These minutes are the only copy of the time estimates: the notebooks, docs/instructors.md
and the README are tested against them (tests/classroom/test_registry.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Exercise:
    name: str  # the function the student writes, e.g. "rnn_step_backward"
    module: str  # the checker module in rnnlab.classroom, e.g. "rnn_step"
    notebook: str  # the notebook of the assignment, e.g. "01_rnn_step"
    points: int  # nbgrader points of its autograded cell
    minutes: int  # time for a student who knows matrix calculus but has not written an RNN


ASSIGNMENT = "rnn_from_scratch"

EXERCISES = (
    Exercise("numerical_gradient", "numgrad", "01_rnn_step", points=2, minutes=15),
    Exercise("rnn_step_forward", "rnn_step", "01_rnn_step", points=1, minutes=10),
    Exercise("rnn_step_backward", "rnn_step", "01_rnn_step", points=3, minutes=20),
    Exercise("rnn_backward", "bptt", "02_bptt_and_loss", points=4, minutes=30),
    Exercise("temporal_softmax_loss", "loss", "02_bptt_and_loss", points=3, minutes=25),
    Exercise("clip_grad_norm", "clipping", "03_clipping_and_sampling", points=2, minutes=10),
    Exercise("sample_with_temperature", "sampling", "03_clipping_and_sampling", points=2, minutes=15),
    Exercise("lstm_step_forward", "lstm", "04_lstm_step", points=2, minutes=20),
    Exercise("lstm_step_backward", "lstm", "04_lstm_step", points=4, minutes=35),
    Exercise("gru_step_forward", "gru", "05_gru_step", points=2, minutes=20),
    Exercise("gru_step_backward", "gru", "05_gru_step", points=4, minutes=35),
)

BY_NAME = {e.name: e for e in EXERCISES}


def notebooks():
    """{notebook: [Exercise, ...]} in course order."""
    out = {}
    for e in EXERCISES:
        out.setdefault(e.notebook, []).append(e)
    return out


def minutes(notebook=None):
    """Total minutes of one notebook, or of the whole assignment."""
    return sum(e.minutes for e in EXERCISES if notebook is None or e.notebook == notebook)


def load():
    """Import every checker module; returns CHECKERS ordered as EXERCISES."""
    from .context import CHECKERS

    for module in dict.fromkeys(e.module for e in EXERCISES):
        import_module(f"{__package__}.{module}")
    missing = [e.name for e in EXERCISES if e.name not in CHECKERS]
    if missing:
        raise ImportError(f"registry lists exercises without a checker: {missing}")
    ordered = {e.name: CHECKERS[e.name] for e in EXERCISES}
    extra = {k: v for k, v in CHECKERS.items() if k not in ordered}
    CHECKERS.clear()
    CHECKERS.update(ordered)
    CHECKERS.update(extra)
    return CHECKERS
