"""Stored notebooks are what nbval re-runs: executed in order, no absolute paths, no stale state.

nbval silently skips cells that were never executed, so a notebook committed
without outputs would pass strict nbval while testing nothing; these checks
close that hole.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for d in ("notebooks", "classroom/source") for p in (ROOT / d).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def test_the_course_notebooks_exist():
    names = {p.name[:2] for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert {"01", "02", "03", "04", "05"} <= names


@pytest.fixture(params=NOTEBOOKS, ids=IDS)
def nb(request):
    return request.param, json.loads(request.param.read_text())


def test_every_code_cell_executed_in_order(nb):
    path, data = nb
    counts = [c.get("execution_count") for c in data["cells"] if c["cell_type"] == "code"]
    assert counts, f"{path.name} has no code cells"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts}"


def test_no_absolute_paths_or_saved_widget_state(nb):
    path, data = nb
    text = path.read_text()
    found = re.findall(r"(?:/work/|/tmp/|/home/|/root/|[A-Z]:\\\\)[^\s\"']*", text)
    assert not found, f"{path.name} contains absolute paths: {found[:3]}"
    assert "widgets" not in data.get("metadata", {}), "saved widget state (random model ids) must be stripped"
    assert data["metadata"]["kernelspec"]["name"] == "python3"
    # what JupyterLab writes on open: anything else marks the notebook modified
    assert data["metadata"]["kernelspec"]["display_name"] == "Python 3 (ipykernel)"


def test_no_error_outputs_except_tagged_cells(nb):
    path, data = nb
    for i, c in enumerate(data["cells"]):
        if c["cell_type"] != "code":
            continue
        errors = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
        tagged = "raises-exception" in c.get("metadata", {}).get("tags", [])
        assert not errors or tagged, f"{path.name} cell {i} stored an error: {errors[0].get('ename')}"
        if tagged:
            assert errors, f"{path.name} cell {i} is tagged raises-exception but stored no error"


def test_course_notebooks_do_not_redefine_package_maths(nb):
    """The maths lives in rnnlab; a notebook may not carry a second, untested copy."""
    path, data = nb
    if "classroom" in path.parts:
        return  # exercise notebooks hold student copies by design, checked by rnnlab.classroom.checks
    names = ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
             "temporal_softmax_loss", "numerical_gradient", "clip_grad_norm", "embedding_backward")
    for c in data["cells"]:
        if c["cell_type"] == "code":
            src = "".join(c["source"])
            for n in names:
                assert not re.search(rf"^def {n}\(", src, re.M), f"{path.name} redefines {n}"


COURSE = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]


@pytest.mark.parametrize("path", COURSE, ids=[p.name for p in COURSE])
def test_course_notebook_opens_with_goals_and_ends_with_self_check(path):
    """Every lesson states its learning goal first and ends with at least three questions."""
    md = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]
    assert re.search(r"learning goal", md[0], re.I), f"{path.name}: the first text cell states no learning goal"
    last = md[-1]
    assert re.search(r"self-check|check yourself", last, re.I), f"{path.name}: no self-check section at the end"
    questions = re.findall(r"^\s*\d+\.\s.*?\?", last, re.M | re.S)
    assert len(questions) >= 3, f"{path.name}: {len(questions)} numbered questions at the end, expected 3"
