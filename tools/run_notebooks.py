"""Execute notebooks top to bottom in a fresh kernel and store their outputs in place.

    python tools/run_notebooks.py notebooks/01_rnn_cell.ipynb [more.ipynb ...]
    python tools/run_notebooks.py            # every notebook under notebooks/

Stores outputs exactly as nbval will re-create them: execution counts 1..n,
no per-cell timing metadata, and no saved widget state (random model ids that
would change on every run; the widgets themselves are re-created when a
student runs the cell).  Cells tagged ``raises-exception`` may raise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                # stack frames carry absolute paths of this machine; keep the message only
                out["traceback"] = [f"\x1b[31m{out['ename']}\x1b[39m: {out['evalue']}"]
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv):
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").rglob("*.ipynb"))
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    for p in paths:
        print(f"{p}: executed in {run(p.resolve()):.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
