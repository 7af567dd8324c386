"""Start JupyterLab on the course: the ONE way `make lab`, the conda route and the browser test do it.

    python tools/start_lab.py [extra jupyter-lab options ...]

The server's root is the repository itself, so everything a notebook links or reads
resolves: `../images/rnn_cell.png` from `notebooks/`, and `classroom/` is one click away.
The file browser opens in `notebooks/` (the lessons).  Options given on the command
line are passed on to `jupyter lab` after these, so a later one wins (the browser test
adds a port, an empty token and --no-browser).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE_FOLDER = "notebooks"     # where the file browser opens, relative to ROOT


def lab_command(extra: list[str] | None = None, python: str | None = None) -> list[str]:
    """argv that starts JupyterLab with ROOT as the server root and notebooks/ opened.

    extra: further `jupyter lab` options, appended last.
    python: the interpreter whose JupyterLab runs (default: this one).
    """
    cmd = [python or sys.executable, "-m", "jupyter", "lab",
           f"--ServerApp.root_dir={ROOT}",
           # an API path relative to the root (jupyter-server 2; ServerApp.preferred_dir is deprecated)
           f"--ContentsManager.preferred_dir={COURSE_FOLDER}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")      # JupyterLab refuses root without it (containers, CI)
    return cmd + list(extra or [])


def main(argv: list[str]) -> int:
    cmd = lab_command(argv)
    print("starting:", " ".join(cmd), flush=True)
    if os.name == "nt":     # no exec on Windows: wait for the server instead
        return subprocess.call(cmd)
    os.execv(cmd[0], cmd)   # replace this process: Ctrl-C and signals reach JupyterLab itself
    return 0                # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
