"""Every bug in rnnlab.teaching.bugzoo is caught by rnnlab.gradient_check, and the correct versions pass."""

import inspect

import numpy as np
import pytest

import rnnlab
from rnnlab.teaching import bugzoo
from rnnlab.gradcheck import gradient_check, rel_error


@pytest.fixture(scope="module")
def problem():
    return bugzoo.make_problem(seed=0)


def test_correct_teaching_loop_passes_and_equals_the_real_layers(problem):
    params, x, y = problem
    report = gradient_check(lambda p: bugzoo.correct(p, x, y), params)
    assert report.passed and report.max_error < 1e-7
    loss_a, grads_a = bugzoo.correct(params, x, y)
    loss_b, grads_b = bugzoo.reference_loss(params, x, y)
    assert loss_a == pytest.approx(loss_b, rel=1e-14)
    for k in bugzoo.PARAM_NAMES:
        assert rel_error(grads_a[k], grads_b[k]) < 1e-12


def test_reference_loss_passes_the_gradient_check(problem):
    params, x, y = problem
    assert gradient_check(lambda p: bugzoo.reference_loss(p, x, y), params).passed


@pytest.mark.parametrize("name", sorted(bugzoo.BUGS))
def test_each_bug_is_caught(problem, name):
    params, x, y = problem
    report = bugzoo.check_bug(name, params, x, y)
    assert not report.passed
    assert report.max_error > 1e-3  # not a borderline miss: an order-one disagreement


@pytest.mark.parametrize("name", sorted(bugzoo.BUGS))
def test_each_bug_is_documented_with_its_seed_and_a_marked_line(name):
    bug = bugzoo.BUGS[name]
    assert bug.seed in {"000", "001", "-"}
    assert bug.spot.endswith(".") and len(bug.spot) > 30
    fn = bug.make()
    src = inspect.getsource(fn if inspect.isfunction(fn) else type(fn))
    assert "# BUG" in src
    if bug.seed != "-":
        assert f"seed {bug.seed}" in src.lower() or f"Seed {bug.seed}" in src


def test_sign_flip_is_exactly_minus_the_true_gradient(problem):
    params, x, y = problem
    _, good = bugzoo.correct(params, x, y)
    _, bad = bugzoo.seed001_sign_flip(params, x, y)
    for k in good:
        np.testing.assert_allclose(bad[k], -good[k], rtol=1e-13, atol=1e-15)
    assert bugzoo.check_bug("sign flip of dy", params, x, y).max_error == pytest.approx(1.0)


def test_missing_transpose_is_invisible_for_a_symmetric_Wh(problem):
    params, x, y = problem
    sym = dict(params, Wh=(params["Wh"] + params["Wh"].T) / 2)
    assert gradient_check(lambda p: bugzoo.seed001_missing_transpose(p, x, y), sym).passed
    _, good = bugzoo.correct(sym, x, y)
    _, bad = bugzoo.seed001_missing_transpose(sym, x, y)
    for k in good:
        assert rel_error(bad[k], good[k]) < 1e-13
    report = bugzoo.check_bug("missing transpose on Wh", params, x, y)
    assert report["W_out"].passed and report["b_out"].passed and not report["Wh"].passed


def test_reversed_targets_are_invisible_for_a_palindrome(problem):
    params, x, _ = problem
    y_pal = np.array([[1, 2, 2, 1], [0, 3, 3, 0]])
    assert gradient_check(lambda p: bugzoo.seed000_reversed_targets(p, x, y_pal), params).passed
    report = bugzoo.check_bug("targets in reversed time", *problem)
    assert report["b_out"].passed and not report["Wx"].passed


def test_accumulating_gradients_pass_when_fresh_and_fail_after_one_step(problem):
    params, x, y = problem
    fresh = bugzoo.Seed001AccumulatingGradients()
    assert gradient_check(lambda p: fresh(p, x, y), params).passed
    used = bugzoo.Seed001AccumulatingGradients()
    _, first = used(params, x, y)
    _, second = used(params, x, y)
    for k in first:
        np.testing.assert_allclose(second[k], 2 * first[k], rtol=1e-13)
    report = bugzoo.check_bug("gradients never reset", params, x, y)
    assert not report.passed and report.max_error == pytest.approx(1 / 3, rel=1e-6)


def test_double_softmax_squashes_the_loss_towards_log_V(problem):
    params, x, y = problem
    V = params["W_out"].shape[1]
    loss_single, _ = bugzoo.correct(params, x, y)
    loss_double, _ = bugzoo.seed000_double_softmax(params, x, y)
    # softmax of probabilities in [0, 1] is close to uniform: the loss sits near ln V
    assert abs(loss_double - np.log(V)) < abs(loss_single - np.log(V))
    assert abs(loss_double - np.log(V)) < 0.3


def test_forgetting_the_future_is_invisible_for_one_step_sequences(problem):
    params, x, y = problem
    assert gradient_check(lambda p: bugzoo.forgot_future_gradient(p, x[:, :1], y[:, :1]), params).passed
    report = bugzoo.check_bug("forgot the gradient from later steps", params, x, y)
    assert report["W_out"].passed and not report["Wh"].passed


def test_check_bug_rejects_an_unknown_name(problem):
    with pytest.raises(ValueError, match="bug must be one of .* got 'typo'"):
        bugzoo.check_bug("typo", *problem)


def test_bugzoo_is_not_in_the_real_code_path():
    import pathlib
    import re

    pkg = pathlib.Path(rnnlab.__file__).parent
    for py in pkg.glob("*.py"):
        if py.name != "bugzoo.py":
            imports = re.findall(r"^\s*(?:from|import)\s.*$", py.read_text(), flags=re.M)
            assert not [line for line in imports if "bugzoo" in line], f"{py.name} imports the bug zoo"
