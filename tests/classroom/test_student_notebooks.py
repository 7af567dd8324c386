"""Run the notebooks as a student would: stubs report 'not implemented', solutions pass every check."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "classroom" / "source").glob("*/*.ipynb"))
RELEASES = sorted((ROOT / "classroom" / "release").glob("*/*.ipynb"))


def execute(path):
    nb = nbformat.read(path, as_version=4)
    parts = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(ROOT) not in parts:  # the kernel must import this checkout's rnnlab
        os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, parts)])
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def check_outputs(nb):
    """The text/plain of every check result shown, one per graded cell."""
    shown = []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            texts = [o["data"]["text/plain"] for o in cell.outputs if o.output_type == "display_data"]
            assert len(texts) == 1, f"expected one feedback display in {cell.source!r}, got {cell.outputs}"
            shown.append(texts[0])
    return shown


def errors(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", RELEASES, ids=lambda p: p.name)
def test_student_notebook_with_stubs_runs_and_reports_not_implemented(path):
    nb = execute(path)
    assert errors(nb) == []
    shown = check_outputs(nb)
    assert shown and all(s.startswith("[NOT IMPLEMENTED]") and "not implemented yet" in s for s in shown), shown


@pytest.mark.slow
@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_source_solutions_pass_every_check_and_hidden_test(path):
    nb = execute(path)  # hidden tests assert, so an error output would mean a failed check
    assert errors(nb) == []
    shown = check_outputs(nb)
    assert shown and all(s.startswith("[PASSED]") for s in shown), shown


@pytest.mark.slow
def test_a_wrong_solution_shows_its_diagnosis_and_the_notebook_goes_on(tmp_path):
    """Fill one stub with a classic mistake: its check explains it, later cells still run."""
    src = next(p for p in RELEASES if p.name == "01_rnn_step.ipynb")
    nb = nbformat.read(src, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_backward")
    cell.source = cell.source.replace(
        "    # YOUR CODE HERE\n    raise NotImplementedError()",
        "    da = dh_next * (1 - h_next**2)\n"
        "    return da @ Wx.T, da @ Wh, x.T @ da, h_prev.T @ da, da.sum(axis=0)",
    )
    path = tmp_path / src.name
    nbformat.write(nb, path)
    out = execute(path)
    assert errors(out) == []
    shown = check_outputs(out)
    assert shown[-1].startswith("[NOT PASSED] rnn_step_backward:") and "transpose on Wh" in shown[-1]


@pytest.mark.slow
def test_lstm_notebook_names_a_forgotten_dc_next_and_goes_on(tmp_path):
    """The LSTM backward stub filled with the classic mistake (dc_next ignored): the check says so."""
    src = next(p for p in RELEASES if p.name == "04_lstm_step.ipynb")
    nb = nbformat.read(src, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lstm_step_backward")
    cell.source = cell.source.replace(
        "    # YOUR CODE HERE\n    raise NotImplementedError()",
        "    H = tanh_c.shape[1]\n"
        "    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))\n"
        "    dc = dh_next * o * (1 - tanh_c**2)  # forgets dc_next\n"
        "    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),\n"
        "                    dh_next * tanh_c * o * (1 - o)])\n"
        "    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)",
    )
    path = tmp_path / src.name
    nbformat.write(nb, path)
    out = execute(path)
    assert errors(out) == []
    shown = check_outputs(out)
    assert shown[0].startswith("[NOT IMPLEMENTED] lstm_step_forward:")
    assert shown[1].startswith("[NOT PASSED] lstm_step_backward:") and "dc_next is ignored" in shown[1]
    # the demo cells after the exercise use rnnlab's LSTM, so they still ran
    assert "forget bias +5" in "".join(o.get("text", "") for o in out.cells[-2].outputs)


@pytest.mark.slow
def test_a_check_as_last_expression_is_shown_once(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from rnnlab.classroom.checks import check_clip_grad_norm\n"
                                  "from rnnlab.optim import clip_grad_norm"),
        nbformat.v4.new_code_cell("r = check_clip_grad_norm(clip_grad_norm)\nr"),
        nbformat.v4.new_code_cell("r"),
    ])
    path = tmp_path / "once.ipynb"
    nbformat.write(nb, path)
    out = execute(path)
    assert len(out.cells[1].outputs) == 1  # displayed by the checker, not again as Out[]
    assert len(out.cells[2].outputs) == 1  # but shown when asked for in a later cell
    assert out.cells[2].outputs[0]["data"]["text/plain"].startswith("[PASSED] clip_grad_norm")
