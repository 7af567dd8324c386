"""nbval_sanitize.cfg masks round-off only where a gradient check prints it.

A generated notebook is stored with one set of outputs and re-run by strict nbval with
the project's sanitize file, while its cells print slightly different numbers:
  - a fixed-value cell whose printed number grew from 6.48e-19 to 6.48e-09 must FAIL
    (a regression, not round-off),
  - a gradient-check table (rnnlab.gradcheck's own report) whose round-off digits differ
    must PASS,
  - the same table with an error grown from 2.92e-09 to 2.92e-06 must FAIL.
"""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnnlab.gradcheck import GradCheckReport, GradCheckRow

ROOT = Path(__file__).resolve().parents[2]
SANITIZE = ROOT / "nbval_sanitize.cfg"


def report(errors):
    """A gradient-check report as rnnlab.gradcheck prints it, with the given errors."""
    names = [("W_embed", (6, 4)), ("Wh", (5, 5)), ("b", (5,))]
    return str(GradCheckReport([GradCheckRow(n, s, e, e < 1e-7, 1) for (n, s), e in zip(names, errors)]))


def layer_row(err):
    """A row of notebook 03's layer table (layer, gradient, shape, rel error)."""
    return f"{'rnn_step (tanh)':22s} {'dWh':9s} {str((5, 5)):12s} {err:10.1e}"


def cell(code, stored_text):
    c = nbformat.v4.new_code_cell(code)
    c.execution_count = None
    c.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_text)]
    return c


# (what the cell prints now, what was stored, must nbval pass?)
CASES = {
    "fixed value grew e-19 -> e-09": ('print(f"gradient norm after 30 steps: {6.48e-09:.2e}")',
                                      "gradient norm after 30 steps: 6.48e-19\n", False),
    "fixed value unchanged": ('print(f"gradient norm after 30 steps: {6.48e-19:.2e}")',
                              "gradient norm after 30 steps: 6.48e-19\n", True),
    "gradcheck round-off differs": (f"print({report([4.50e-09, 2.92e-09, 1.50e-09])!r})",
                                    report([4.31e-09, 3.07e-09, 1.62e-09]) + "\n", True),
    "gradcheck error grew to 1e-6": (f"print({report([4.50e-09, 2.92e-06, 1.50e-09])!r})",
                                     report([4.50e-09, 2.92e-09, 1.50e-09]) + "\n", False),
    "layer table round-off differs": (f"print({layer_row(5.2e-11)!r})", layer_row(4.9e-11) + "\n", True),
    "rel error in parentheses differs": ('print("Gradient for Wx  Allclose: True   (rel error 1.3e-16)")',
                                         "Gradient for Wx  Allclose: True   (rel error 2.2e-16)\n", True),
    "same number outside a gradient check": ('print("ratio 5.79e-22")', "ratio 5.80e-22\n", False),
}


@pytest.mark.slow
def test_sanitizer_masks_gradient_check_round_off_and_nothing_else(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [cell(code, stored) for code, stored, _ in CASES.values()]
    for i, c in enumerate(nb.cells, start=1):
        c.execution_count = i
    path = tmp_path / "sanitize_check.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")     # not the project's addopts
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--nbval",
                        "--nbval-current-env", f"--nbval-sanitize-with={SANITIZE}", str(path)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    outcome = {int(m.group(2)): m.group(1) for m in
               re.finditer(r"^(PASSED|FAILED) \S*::Cell (\d+)", r.stdout, re.M)}
    assert len(outcome) == len(CASES), r.stdout[-3000:]
    for i, (name, (_, _, should_pass)) in enumerate(CASES.items()):
        assert outcome[i] == ("PASSED" if should_pass else "FAILED"), f"{name}: {outcome[i]}\n{r.stdout[-3000:]}"
