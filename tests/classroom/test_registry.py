"""One source of truth: the registry's exercises, points and minutes are what the notebooks, the
instructor notes and the README say; the committed source notebooks are what the generator writes."""

import importlib.util
import re
from pathlib import Path

import nbformat

from rnnlab.classroom import registry

ROOT = Path(__file__).resolve().parents[2]

spec = importlib.util.spec_from_file_location("generate", ROOT / "classroom" / "generate.py")
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)


def test_committed_source_notebooks_are_what_the_generator_writes():
    assert generate.stale() == [], "run python classroom/generate.py, then tools/run_notebooks.py on them"
    assert list(generate.NOTEBOOKS) == [f"{nb}.ipynb" for nb in registry.notebooks()]


def test_generator_notices_a_hand_edit(tmp_path):
    import shutil

    for name in generate.NOTEBOOKS:
        shutil.copy(generate.ASSIGNMENT / name, tmp_path / name)
    path = tmp_path / "01_rnn_step.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata["nbgrader"].get("solution"))
    cell.source = cell.source.replace("grad = np.zeros_like(x)", "grad = np.zeros(x.shape)")
    nbformat.write(nb, path)
    assert generate.stale(tmp_path) == ["01_rnn_step.ipynb"]


def test_solution_cells_are_the_solution_files_verbatim():
    text = (ROOT / "classroom" / "solutions" / "rnn_step.py").read_text()
    cell = generate.solution_source("rnn_step_backward")
    assert cell in text and cell.startswith("def rnn_step_backward(") and cell.endswith("### END SOLUTION")


def test_instructor_table_is_the_registry():
    text = (ROOT / "docs" / "instructors.md").read_text()
    rows = re.findall(r"^\| (\w+) \| `(\w+)\(.*?\| (\d+) \| (\d+) \|$", text, flags=re.M)
    assert rows == [(e.notebook, e.name, str(e.points), str(e.minutes)) for e in registry.EXERCISES]
    total_points = sum(e.points for e in registry.EXERCISES)
    assert f"{total_points} points, {registry.minutes()} minutes in all" in text
    words = {5: "five", 11: "Eleven"}
    assert words[len(registry.EXERCISES)] in text and words[len(registry.notebooks())] in text


def test_readme_counts_are_the_registry():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## For instructors"):text.index("## Speed")]
    assert "five exercise\nnotebooks" in section or "five exercise notebooks" in section.replace("\n", " ")
    assert len(registry.notebooks()) == 5 and len(registry.EXERCISES) == 11
    assert "eleven functions" in section.replace("\n", " ")
    assert f"about {registry.minutes()} minutes" in section.replace("\n", " ")


def test_notebook_headings_show_the_registry_minutes():
    for nb_name, exercises in registry.notebooks().items():
        nb = nbformat.read(generate.ASSIGNMENT / f"{nb_name}.ipynb", as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert f"about {registry.minutes(nb_name)} minutes" in text.replace("\n", " ")
        for e in exercises:
            assert f"({e.minutes} min)" in text.replace("\n", " "), (nb_name, e.name)
