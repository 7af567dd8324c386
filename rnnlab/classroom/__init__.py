"""Checkers for the classroom exercises: run a student's function, say what is wrong, score it.

Layout (one job per module):

- ``feedback``: :class:`CheckResult` (verdict, message, partial-credit score) and its display;
- ``context``: calling the student's code safely, comparing outputs, the ``@exercise`` decorator;
- ``probes``: naming what a wrong array is (negated, transposed, scaled by a named count, shifted
  by one time step, which activation or derivative was applied, which rows are wrong);
- ``inputs``: random inputs in the course convention;
- one checker module per exercise family: ``numgrad``, ``rnn_step``, ``bptt``, ``loss``,
  ``clipping``, ``sampling``, ``lstm``, ``gru``;
- ``registry``: the one-line-per-exercise list (module, notebook, points, minutes);
- ``hidden``: the autograder's hidden tests (seeds that are not in the notebooks).

Every ``check_<name>`` is importable from here: ``from rnnlab.classroom import check_rnn_backward``.
"""

from .context import CHECKERS, run_all_checks
from .feedback import CheckResult
from .registry import EXERCISES, load as _load

_load()
for _name in CHECKERS:
    globals()[f"check_{_name}"] = CHECKERS[_name]

__all__ = ["CHECKERS", "CheckResult", "EXERCISES", "run_all_checks", *(f"check_{n}" for n in CHECKERS)]
