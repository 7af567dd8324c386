"""What a checker hands back: a verdict, a score for partial credit, and plain-language feedback.

A :class:`CheckResult` is truthy exactly when the student's function passed.  ``str(result)`` is
the feedback shown in the notebook; ``result.score`` (0 to 1) is the fraction of the function's
outputs that are right on fresh random cases, and ``result.parts`` says which.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


class Failed(Exception):
    """Raised inside a checker to stop at the first diagnosis."""

    def __init__(self, message, status="failed"):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class CheckResult:
    """Outcome of one checker.

    exercise: the function's name, e.g. "rnn_step_backward"
    status:   "passed", "failed", "not implemented" or "error" (the student's code raised)
    message:  the feedback sentences (without the exercise name)
    score:    fraction in [0, 1] of the outputs that are right (1.0 when passed)
    parts:    {output name: right?} behind the score, e.g. {"dx": True, "dWh": False}
    """

    exercise: str
    status: str
    message: str
    score: float = 0.0
    parts: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def points(self, total) -> float:
        """The partial credit out of ``total`` points, rounded to a quarter point."""
        return round(4 * total * (1.0 if self.passed else self.score)) / 4

    def __str__(self) -> str:
        verdict = {"passed": "PASSED", "not implemented": "NOT IMPLEMENTED"}.get(self.status, "NOT PASSED")
        text = f"[{verdict}] {self.exercise}: {self.message}"
        if self.status != "passed" and self.parts and any(self.parts.values()):
            right = [k for k, ok in self.parts.items() if ok]
            text += f" (Right on fresh cases: {', '.join(right)}.)"
        return text

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "not implemented": "#9a6700"}.get(self.status, "#cf222e")
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 4px 10px; margin: 2px 0">'
            f"{html.escape(str(self))}</div>"
        )

    def _bundle(self):
        return {"text/plain": str(self), "text/html": self._repr_html_()}

    # The checker already displayed the result; when the same cell also ends
    # with the call (``check_x(f)`` without ``result =``), don't show it twice.
    _shown_in_cell: object = field(default=None, repr=False, compare=False)

    def _ipython_display_(self):
        from IPython import get_ipython
        from IPython.display import display

        ip = get_ipython()
        if ip is not None and self._shown_in_cell == ip.execution_count:
            return
        display(self._bundle(), raw=True)


def show(result: CheckResult) -> None:
    """Rich display inside a Jupyter kernel, print otherwise."""
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # IPython is not a runtime dependency
        ip = None
    if ip is not None and getattr(ip, "kernel", None) is not None:
        from IPython.display import display

        display(result._bundle(), raw=True)
        result._shown_in_cell = ip.execution_count
    else:
        print(result)
