"""Write the student versions of the exercise notebooks, as nbgrader's generate_assignment does.

    python tools/release_exercises.py            # classroom/source/*/*.ipynb -> classroom/release/...
    python tools/release_exercises.py --check    # exit 1 if classroom/release is out of date
    python tools/release_exercises.py --out DIR  # write DIR/<assignment>/<nb>.ipynb instead

For every source notebook (the instructor's copy, with solutions and stored outputs):
- each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region becomes
  ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` at the same indentation
  (in a markdown cell: ``YOUR ANSWER HERE``), exactly as nbgrader's ClearSolutions;
- each ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region is removed
  (nbgrader's ClearHiddenTests);
- outputs and execution counts are cleared; nbgrader cell metadata is kept, so
  ``nbgrader autograde`` can still find the graded cells;
- cells are locked as nbgrader's LockCells does: solution cells cannot be deleted, check
  (graded) cells and read-only cells can be neither deleted nor edited (JupyterLab honours
  the ``deletable`` / ``editable`` cell metadata), so a student cannot drop a check cell.

The release notebooks are generated, never edited by hand; tests/test_release.py
checks that the committed ones match what this script writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "classroom" / "source"
RELEASE = ROOT / "classroom" / "release"

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]


def _replace_regions(source: str, begin: str, end: str, stub, where: str) -> str:
    """Replace every begin..end region (marker lines included) by stub lines at the marker's indentation."""
    out, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ValueError(f"{where}: nested '{begin}' before '{end}'")
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + s for s in stub)
        elif end in line:
            if not inside:
                raise ValueError(f"{where}: '{end}' without '{begin}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{begin}' without '{end}'")
    return "\n".join(out)


def lock(cell):
    """Set JupyterLab's deletable/editable cell metadata exactly as nbgrader's LockCells."""
    nbg = cell.metadata.get("nbgrader", {})
    if nbg.get("solution"):
        cell.metadata["deletable"] = False
    elif nbg.get("grade") or nbg.get("locked"):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False


def student_version(nb, name: str = "notebook"):
    """Return a new notebook: solutions stubbed, hidden tests removed, outputs cleared."""
    nb = nbformat.from_dict(nb)  # a deep copy
    for i, cell in enumerate(nb.cells):
        where = f"{name}, cell {i}"
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        cell.source = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub, where)
        cell.source = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [], where)
        cell.metadata.pop("execution", None)
        lock(cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def source_notebooks(source: Path = SOURCE):
    return sorted(p for p in source.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def release(out: Path = RELEASE, source: Path = SOURCE):
    """Write every student notebook under out/<assignment>/; return the written paths."""
    written = []
    for path in source_notebooks(source):
        nb = student_version(nbformat.read(path, as_version=4), str(path.relative_to(source)))
        target = out / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        written.append(target)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RELEASE, help="release folder (default classroom/release)")
    parser.add_argument("--check", action="store_true", help="only check that the release folder is up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = []
        for path in source_notebooks():
            want = student_version(nbformat.read(path, as_version=4))
            target = args.out / path.parent.name / path.name
            have = nbformat.read(target, as_version=4) if target.exists() else None
            if have is None or nbformat.writes(have) != nbformat.writes(want):
                stale.append(str(target))
        if stale:
            print("out of date (run python tools/release_exercises.py):\n  " + "\n  ".join(stale))
            return 1
        print("release notebooks are up to date")
        return 0
    for p in release(args.out):
        print(f"wrote {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
