"""The whole nbgrader round trip, as an instructor runs it (docs/instructors.md, "Grading"):
generate the assignment, autograde three fake students (solved, one bug, untouched), generate
their feedback; the scores are the right partial credits and no hidden test reaches a student.

Needs nbgrader (`pip install -e ".[classroom]"`, which `make test` installs).  Skipped without it
on a laptop, but a failure under CI (CI=true): "tested" must mean tested.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnnlab.classroom import registry

ROOT = Path(__file__).resolve().parents[2]
A = registry.ASSIGNMENT

if importlib.util.find_spec("nbgrader") is None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("nbgrader is not installed but CI=true: install the 'classroom' extra "
                    "(pip install -e '.[classroom]')", pytrace=False)
    pytest.skip("nbgrader is not installed (pip install -e '.[classroom]')", allow_module_level=True)

spec = importlib.util.spec_from_file_location("generate", ROOT / "classroom" / "generate.py")
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)

# What a student must never see: the hidden region, the grading module, its seeds.
HIDDEN_TEXT = ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "rnnlab.classroom.hidden", "grade(",
               *(str(s) for s in __import__("rnnlab.classroom.hidden", fromlist=["x"]).DEFAULT_SEEDS)]
ONE_BUG = ("rnn_step_backward", "dh_prev = da @ Wh.T", "dh_prev = da @ Wh")  # a forgotten transpose


def nbgrader(course, *args):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def solved_source(name, bug=None):
    """The body a student would type: the solution function without the nbgrader markers."""
    text = generate.solution_source(name)
    text = "\n".join(line for line in text.split("\n") if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line)
    if bug and bug[0] == name:
        assert bug[1] in text
        text = text.replace(bug[1], bug[2])
    return text


def submit(course, student, fill):
    """Copy the student notebooks into submitted/<student>/; fill(name) gives a solution cell's source."""
    out = course / "submitted" / student / A
    out.mkdir(parents=True)
    for path in sorted((course / "nbgrader_release" / A).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            nbg = cell.metadata.get("nbgrader", {})
            if nbg.get("solution") and fill is not None:
                cell.source = fill(nbg["grade_id"])
        nbformat.write(nb, out / path.name)


@pytest.mark.slow
def test_generate_autograde_feedback_with_partial_credit_and_no_hidden_tests(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "classroom", course, ignore=shutil.ignore_patterns(
        "release", "nbgrader_release", "*.db", "submitted", "autograded", "feedback", "__pycache__"))
    nbgrader(course, "generate_assignment", A, "--force")
    release = course / "nbgrader_release" / A
    assert sorted(p.stem for p in release.glob("*.ipynb")) == sorted(registry.notebooks())
    for path in release.glob("*.ipynb"):
        assert not any(h in path.read_text() for h in HIDDEN_TEXT[:3])

    submit(course, "solved", solved_source)
    submit(course, "onebug", lambda name: solved_source(name, ONE_BUG))
    submit(course, "untouched", None)
    nbgrader(course, "autograde", A)
    nbgrader(course, "generate_feedback", A)

    from nbgrader.api import Gradebook

    total = sum(e.points for e in registry.EXERCISES)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(A, s).score for s in ("solved", "onebug", "untouched")}
        bug_cell = gb.find_grade(f"test_{ONE_BUG[0]}", "01_rnn_step", A, "onebug")
        bug_points = bug_cell.score
    # One wrong output (dh_prev) of five: 4/5 of the exercise's points, rounded to a quarter point.
    points = registry.BY_NAME[ONE_BUG[0]].points
    expected_bug = round(4 * points * 4 / 5) / 4
    assert bug_points == expected_bug
    assert scores == {"solved": total, "onebug": total - points + expected_bug, "untouched": 0}

    feedback = sorted((course / "feedback").rglob("*.html"))
    assert len(feedback) == 3 * len(registry.notebooks())
    for path in feedback:
        text = path.read_text()
        leaked = [h for h in HIDDEN_TEXT if h in text]
        assert not leaked, f"{path.relative_to(course)} shows hidden test text {leaked}"
    bug_html = (course / "feedback" / "onebug" / A / "01_rnn_step.html").read_text()
    assert "dh_prev" in bug_html and "NOT PASSED" in bug_html  # the student does see the diagnosis
