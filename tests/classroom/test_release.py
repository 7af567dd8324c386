"""The committed student notebooks are exactly what tools/release_exercises.py writes, and leak nothing."""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "classroom" / "source"
RELEASE = ROOT / "classroom" / "release"

spec = importlib.util.spec_from_file_location("release_exercises", ROOT / "tools" / "release_exercises.py")
release_exercises = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release_exercises)

SOURCES = release_exercises.source_notebooks(SOURCE)


def _solution_lines(source):
    """The non-blank lines inside BEGIN/END SOLUTION and HIDDEN TESTS regions of one cell."""
    lines, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def test_the_notebooks_and_exercises_are_those_of_the_registry():
    from rnnlab.classroom import registry

    assert [p.stem for p in SOURCES] == list(registry.notebooks())
    for p in SOURCES:
        cells = nbformat.read(p, 4).cells
        solved = [c.metadata["nbgrader"]["grade_id"] for c in cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert solved == [e.name for e in registry.notebooks()[p.stem]]
        points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in cells
                  if c.metadata.get("nbgrader", {}).get("grade")}
        assert points == {f"test_{e.name}": e.points for e in registry.notebooks()[p.stem]}


def test_every_checker_has_an_exercise_and_every_exercise_a_graded_check():
    """A checker added to rnnlab.classroom.checks must be taught somewhere, and each exercise is graded by its checker."""
    from rnnlab.classroom.checks import CHECKERS

    cells = [c for p in SOURCES for c in nbformat.read(p, 4).cells]
    solved = [c.metadata["nbgrader"]["grade_id"] for c in cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert sorted(solved) == sorted(CHECKERS)
    for name in solved:
        graded = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"test_{name}"]
        assert len(graded) == 1 and f"result = check_{name}({name})" in graded[0].source
        assert graded[0].metadata["nbgrader"]["grade"] and graded[0].metadata["nbgrader"]["points"] > 0


def test_release_is_in_sync_with_sources(tmp_path):
    """The committed release is byte for byte what the script writes (sources, metadata, locks)."""
    written = release_exercises.release(tmp_path, SOURCE)
    assert len(written) == len(SOURCES) == 5
    for path in written:
        committed = RELEASE / path.parent.name / path.name
        assert committed.read_text() == path.read_text(), f"{path.name} is stale: run python tools/release_exercises.py"
    assert release_exercises.main(["--check"]) == 0


def test_release_check_notices_a_changed_release(tmp_path, capsys):
    release_exercises.release(tmp_path, SOURCE)
    victim = tmp_path / "rnn_from_scratch" / "01_rnn_step.ipynb"
    nb = nbformat.read(victim, as_version=4)
    nb.cells[-1].metadata["nbgrader"]["points"] = 99  # what nbgrader's own metadata writing would do
    nbformat.write(nb, victim)
    assert release_exercises.main(["--check", "--out", str(tmp_path)]) == 1
    assert "01_rnn_step.ipynb" in capsys.readouterr().out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_check_and_read_only_cells_are_locked(path):
    """A student cannot delete or edit a check cell (it would silently lose its points)."""
    student = nbformat.read(RELEASE / path.parent.name / path.name, as_version=4)
    for c in student.cells:
        nbg = c.metadata["nbgrader"]
        if nbg.get("grade") or nbg.get("locked"):
            assert c.metadata["deletable"] is False and c.metadata["editable"] is False, c.source[:60]
        if nbg.get("solution"):
            assert c.metadata["deletable"] is False and c.metadata.get("editable", True)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_solution_text_leaks(path):
    source = nbformat.read(path, as_version=4)
    student = nbformat.read(RELEASE / path.parent.name / path.name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    secret = [line for c in source.cells for line in _solution_lines(c.source)]
    assert secret, "the source notebook has no solution regions"
    # A few lines are also legitimately elsewhere (e.g. `return grad` is not); compare whole lines.
    visible = {line.strip() for c in student.cells for line in c.source.split("\n")}
    leaked = [line for line in secret if line in visible and not line.startswith("#")]
    assert not leaked, f"solution lines visible to students: {leaked}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_student_version_is_stubbed_and_cleared(path):
    student = nbformat.read(RELEASE / path.parent.name / path.name, as_version=4)
    solutions = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions
    for c in solutions:
        assert re.search(r"\n    # YOUR CODE HERE\n    raise NotImplementedError\(\)$", c.source), c.source
    for c in student.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    graded = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded) == len(solutions)
    assert all(c.metadata["nbgrader"]["points"] > 0 and c.metadata["nbgrader"]["locked"] for c in graded)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_sources_are_stored_with_outputs_in_order(path):
    """Strict nbval silently passes cells without an execution count: make sure all ran, in order."""
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(grade_ids) == len(set(grade_ids)) == len(nb.cells)


def test_release_regions_follow_nbgrader_rules():
    f = release_exercises.student_version
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        nbformat.v4.new_code_cell("r = check(f)\n### BEGIN HIDDEN TESTS\nassert r\n### END HIDDEN TESTS"),
        nbformat.v4.new_markdown_cell("Q?\n### BEGIN SOLUTION\nsecret\n### END SOLUTION"),
    ])
    out = f(nb)
    assert out.cells[0].source == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert out.cells[1].source == "r = check(f)"
    assert out.cells[2].source == "Q?\nYOUR ANSWER HERE"
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1")])
    with pytest.raises(ValueError, match="BEGIN SOLUTION' without 'END SOLUTION"):
        f(bad, "bad.ipynb")


def test_nbgrader_generates_the_same_sources(tmp_path):
    """Where nbgrader is installed, its generate_assignment agrees with the script cell by cell."""
    pytest.importorskip("nbgrader")
    import shutil
    import subprocess
    import sys

    course = tmp_path / "course"
    shutil.copytree(ROOT / "classroom", course, ignore=shutil.ignore_patterns("release", "*.db", "nbgrader_release"))
    bindir = str(Path(sys.executable).parent)
    env = {**__import__("os").environ, "PATH": bindir + ":" + __import__("os").environ.get("PATH", "")}
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "rnn_from_scratch"],
                   cwd=course, check=True, env=env, capture_output=True)
    for path in SOURCES:
        theirs = nbformat.read(course / "nbgrader_release" / "rnn_from_scratch" / path.name, as_version=4)
        ours = nbformat.read(RELEASE / "rnn_from_scratch" / path.name, as_version=4)
        assert [c.source for c in theirs.cells] == [c.source for c in ours.cells]
        assert [(c.metadata.get("deletable"), c.metadata.get("editable")) for c in theirs.cells] == [
            (c.metadata.get("deletable"), c.metadata.get("editable")) for c in ours.cells]
    assert not (course / "release" / "rnn_from_scratch").exists()  # nbgrader leaves the committed release alone
