"""The reference solutions are real code: importable, linted, equal to rnnlab, passing their
checkers, and free of overflow (the LSTM/GRU sigmoids are written so that exp never overflows)."""

import ast
import importlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import rnnlab.classroom as C
from rnnlab import gradcheck, gru, layers, lstm, optim
from rnnlab.classroom import registry

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "classroom"))
SOLUTIONS = sorted((ROOT / "classroom" / "solutions").glob("[!_]*.py"))


def solution(name):
    return getattr(importlib.import_module(f"solutions.{registry.BY_NAME[name].module}"), name)


def test_every_exercise_has_one_solution_in_its_family_file():
    assert {p.stem for p in SOLUTIONS} == {e.module for e in registry.EXERCISES}
    for e in registry.EXERCISES:
        assert callable(solution(e.name))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_file_is_clean(path):
    """A small lint: it parses, every import is used, no line over 120 characters, every
    exercise function has a docstring and exactly one solution region."""
    text = path.read_text()
    tree = ast.parse(text)
    imported = {a.asname or a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert imported <= used, f"unused imports: {imported - used}"
    assert all(len(line) <= 120 for line in text.split("\n"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert ast.get_docstring(node), node.name
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION") == sum(
        isinstance(n, ast.FunctionDef) for n in tree.body)


@pytest.mark.parametrize("name", [e.name for e in registry.EXERCISES])
def test_solution_passes_its_checker_on_several_seeds(name):
    for seed in (0, 5):
        result = C.CHECKERS[name](solution(name), seed=seed, show=False)
        assert result and result.score == 1.0, str(result)


def test_solutions_equal_rnnlab():
    rng = np.random.default_rng(3)
    N, D, H = 3, 4, 5
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W4 = [rng.standard_normal(s) for s in ((D, 4 * H), (H, 4 * H), (4 * H,))]
    W3 = [rng.standard_normal(s) for s in ((D, 3 * H), (H, 3 * H), (3 * H,), (H,))]
    for mine, theirs in zip(solution("lstm_step_forward")(x, h, c, *W4)[:2], lstm.lstm_step_forward(x, h, c, *W4)[:2]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    np.testing.assert_allclose(solution("gru_step_forward")(x, h, *W3)[0], gru.gru_step_forward(x, h, *W3)[0],
                               rtol=1e-12)
    W1 = [rng.standard_normal(s) for s in ((D, H), (H, H), (H,))]
    np.testing.assert_allclose(solution("rnn_step_forward")(x, h, *W1)[0], layers.rnn_step_forward(x, h, *W1)[0])
    f = lambda z: np.sum(z**3)  # noqa: E731
    np.testing.assert_allclose(solution("numerical_gradient")(f, x), gradcheck.numerical_gradient(f, x), rtol=1e-9)
    g1 = {"a": 3 * rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    g2 = {k: v.copy() for k, v in g1.items()}
    assert solution("clip_grad_norm")(g1, 1.0) == pytest.approx(optim.clip_grad_norm(g2, 1.0))
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k])


@pytest.mark.parametrize("name", ["lstm_step_forward", "gru_step_forward"])
def test_gated_solutions_do_not_overflow(name):
    """Pre-activations of +-1000: the sigmoid must saturate quietly, not warn about exp overflow."""
    rng = np.random.default_rng(0)
    N, D, H = 2, 3, 4
    k = 4 if name.startswith("lstm") else 3
    x = 1000 * rng.standard_normal((N, D))
    args = [x, rng.standard_normal((N, H))] + ([rng.standard_normal((N, H))] if k == 4 else [])
    args += [rng.standard_normal((D, k * H)), rng.standard_normal((H, k * H)), np.zeros(k * H)]
    args += [np.zeros(H)] if k == 3 else []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = solution(name)(*args)
    assert np.all(np.isfinite(out[0]))
