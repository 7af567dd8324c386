"""What every experiment script writes beside its numbers: how to re-run it and which rnnlab ran.

Imported by the scripts in this folder (run as ``python experiments/NAME.py``,
so this folder is on ``sys.path``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import rnnlab


def command_line(script, argv):
    """How to re-run this: the script and its options, without --out (where the result went)."""
    argv = list(argv)
    if "--out" in argv:
        i = argv.index("--out")
        del argv[i:i + 2]
    return " ".join(["python", f"experiments/{script}", *argv])


def rnnlab_version():
    """The git commit of the rnnlab that ran (and whether its files differed from it), for the record."""
    root = Path(rnnlab.__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "."], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with local changes)" if dirty else "")
