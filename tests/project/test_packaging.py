"""The install routes agree: pyproject.toml, environment.yml, the Makefile, CI and the README."""

import re
import tomllib
from pathlib import Path

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
    assert re.search(r"^\s*(\w+=\S*\s+)*make test\b", ci, re.M), "CI must run the README's test command"


def test_pytest_runs_tests_and_notebooks_by_default():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "notebooks" in cfg["testpaths"] and "tests" in cfg["testpaths"]
    assert "--nbval" in cfg["addopts"] and "--nbval-current-env" in cfg["addopts"]
    assert ".*" in cfg["norecursedirs"]  # keeps .ipynb_checkpoints out
