"""The install routes agree: pyproject.toml, environment.yml, the Makefile, CI and the README."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (the dev extra installs it there only)
    import tomli as tomllib

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _name(req):
    return re.split(r"[<>=!~ \[]", req, 1)[0].strip().lower()


def test_environment_yml_lists_every_pyproject_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    pip_part = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert "-e ." in pip_part  # rnnlab itself, editable
    assert wanted <= conda, f"missing from environment.yml: {sorted(wanted - conda)}"


def test_torch_extra_is_pinned_to_the_cpu_build():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["torch"] == ["torch==2.13.0"]


def test_readme_quick_start_commands_exist_in_makefile_and_ci_runs_them():
    readme = (ROOT / "README.md").read_text()
    make = (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for target in ("lab", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", make, re.M), target
    # `make test`, alone on a line or after && (env assignments allowed), not in a comment
    assert re.search(r"^\s*(&&\s*)?(\w+=\S*\s+)*make test\b", ci, re.M), "CI must run the README's test command"


def test_pytest_runs_tests_and_notebooks_by_default():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "notebooks" in cfg["testpaths"] and "tests" in cfg["testpaths"]
    assert "--nbval" in cfg["addopts"] and "--nbval-current-env" in cfg["addopts"]
    assert ".*" in cfg["norecursedirs"]  # keeps .ipynb_checkpoints out


# ---------------------------------------------------------------------------------------
# CI tests a second interpreter, and says so loudly when it cannot
# ---------------------------------------------------------------------------------------

def _ci_sandbox(tmp_path):
    """A copy of .ci/run beside stub `make` and tools/install_browser.sh that only log their arguments."""
    import shutil
    import stat

    (tmp_path / ".ci").mkdir(exist_ok=True)
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "tools").mkdir(exist_ok=True)
    (tmp_path / "tools" / "install_browser.sh").write_text("echo browser \"$@\" >> calls.log\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    make = bin_dir / "make"
    make.write_text("#!/bin/sh\necho make \"$@\" >> calls.log\n")
    make.chmod(make.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def _run_ci(tmp_path, **env_extra):
    import os
    import subprocess

    bin_dir = _ci_sandbox(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNNLAB_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", **env_extra)
    return subprocess.run(["bash", str(tmp_path / ".ci" / "run")], env=env, capture_output=True, text=True,
                          timeout=60)


def test_ci_fails_loudly_without_the_second_interpreter(tmp_path):
    r = _run_ci(tmp_path, RNNLAB_SECOND_PYTHON=str(tmp_path / "no-such-python"))
    assert r.returncode != 0
    assert "SECOND INTERPRETER MISSING" in r.stderr and "no-such-python" in r.stderr
    calls = (tmp_path / "calls.log").read_text()
    assert "make test WITH_BROWSER=1" in calls          # stage 1 still ran
    r = _run_ci(tmp_path, RNNLAB_SECOND_PYTHON=str(tmp_path / "no-such-python"), RNNLAB_ALLOW_NO_SECOND_PYTHON="1")
    assert r.returncode == 0 and "SECOND INTERPRETER MISSING" in r.stderr   # allowed, still loud


def test_ci_runs_unit_tests_and_nbval_under_the_second_interpreter(tmp_path):
    import sys

    # the running interpreter stands in for the second one; its venv's pytest is a stub that logs
    version = "%d.%d" % sys.version_info[:2]
    venv_bin = tmp_path / f".venv-{version}" / "bin"
    venv_bin.mkdir(parents=True)
    stub = venv_bin / "python"
    stub.write_text("#!/bin/sh\necho second-python \"$@\" >> calls.log\n")
    stub.chmod(0o755)
    r = _run_ci(tmp_path, RNNLAB_SECOND_PYTHON=sys.executable)
    assert r.returncode == 0, r.stdout + r.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert f"make setup PYTHON={sys.executable} VENV=.venv-{version} WITH_TORCH=0 WITH_CLASSROOM=1" in calls
    # the default pytest run: addopts carry --nbval, testpaths tests + notebooks + classroom/source
    assert "second-python -m pytest -m not browser" in calls


# ---------------------------------------------------------------------------------------
# make: no reinstall when nothing changed; `make lab` = tools/start_lab.py
# ---------------------------------------------------------------------------------------

def test_setup_reinstalls_only_when_pyproject_changes(tmp_path):
    import os
    import shutil
    import subprocess

    if shutil.which("make") is None:
        import pytest

        pytest.skip("make not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    args = ["make", "-C", str(ROOT), "-n", "setup", f"VENV={venv}", "WITH_TORCH=0", "WITH_BROWSER=0",
            "WITH_CLASSROOM=0"]
    # run from `make test`, the outer make's variables (WITH_BROWSER=1 ...) arrive through MAKEFLAGS
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    first = subprocess.run(args, capture_output=True, text=True, check=True, env=env).stdout
    assert "pip install" in first                       # never installed: install
    stamp = venv / ".installed-dev"
    stamp.write_text("")
    newer = (ROOT / "pyproject.toml").stat().st_mtime + 10
    os.utime(stamp, (newer, newer))
    again = subprocess.run(args, capture_output=True, text=True, check=True, env=env).stdout
    assert "pip install" not in again, again            # installed since pyproject.toml changed: nothing
    older = (ROOT / "pyproject.toml").stat().st_mtime - 10
    os.utime(stamp, (older, older))
    assert "pip install" in subprocess.run(args, capture_output=True, text=True, check=True, env=env).stdout


def test_make_lab_and_conda_route_start_the_course_through_one_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("start_lab", ROOT / "tools" / "start_lab.py")
    start_lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(start_lab)
    cmd = start_lab.lab_command(["--port=1"], python="py")
    assert cmd[:4] == ["py", "-m", "jupyter", "lab"] and cmd[-1] == "--port=1"
    assert f"--ServerApp.root_dir={ROOT}" in cmd              # ../images and classroom/ resolve
    assert "--ContentsManager.preferred_dir=notebooks" in cmd  # the file browser opens on the lessons
    make = (ROOT / "Makefile").read_text()
    lab_recipe = re.search(r"^lab:.*\n((\t.*\n)+)", make, re.M).group(1)
    assert "tools/start_lab.py" in lab_recipe and "jupyter lab" not in lab_recipe
    readme = (ROOT / "README.md").read_text()
    conda = readme[readme.index("conda env create"):][:600]
    assert "python tools/start_lab.py" in conda and "jupyter lab notebooks/" not in readme
    assert "python tools/start_lab.py" in (ROOT / "environment.yml").read_text()
