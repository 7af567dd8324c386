"""The autograder's hidden tests: points with partial credit, seeds from the environment."""

import numpy as np
import pytest

from rnnlab.classroom import hidden, registry
from rnnlab.layers import rnn_step_backward


def test_grade_gives_full_points_to_a_right_function():
    assert hidden.grade("rnn_step_backward", rnn_step_backward) == registry.BY_NAME["rnn_step_backward"].points


def test_grade_gives_partial_credit_per_output():
    def forgets_transpose(dh_next, cache):
        x, h_prev, Wx, Wh, h, _ = cache
        da = dh_next * (1 - h**2)
        return da @ Wx.T, da @ Wh, x.T @ da, h_prev.T @ da, da.sum(0)

    assert hidden.grade("rnn_step_backward", forgets_transpose) == 2.5  # 4 of 5 outputs of 3 points, to 1/4


def test_grade_gives_nothing_to_a_stub_or_a_non_function():
    def stub(dh_next, cache):
        raise NotImplementedError()

    assert hidden.grade("rnn_step_backward", stub) == 0.0
    assert hidden.grade("rnn_step_backward", np.zeros(3)) == 0.0


def test_grading_seeds_come_from_the_environment(monkeypatch):
    assert hidden.seeds() == hidden.DEFAULT_SEEDS
    monkeypatch.setenv("RNNLAB_GRADING_SEEDS", "11, 12")
    assert hidden.seeds() == (11, 12)
    monkeypatch.setenv("RNNLAB_GRADING_SEEDS", "eleven")
    with pytest.raises(ValueError, match="RNNLAB_GRADING_SEEDS"):
        hidden.seeds()


def test_no_grading_seed_is_in_any_notebook():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "classroom"
    for path in list(root.glob("source/*/*.ipynb")) + list(root.glob("release/*/*.ipynb")):
        text = path.read_text()
        assert not any(str(s) in text for s in hidden.DEFAULT_SEEDS), path.name


def test_grading_writes_nothing_to_stderr(capfd):
    import warnings

    """nbgrader gives 0 points to a cell with stderr output: an overflowing student function must not
    make the grader print a warning."""

    def overflowing(x, h_prev, Wx, Wh, b):
        a = 1000 * (x @ Wx + h_prev @ Wh + b)
        return 2 / (1 + np.exp(-2 * a)) - 1, None  # tanh written through exp: overflows, and is wrong scaled

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        points = hidden.grade("rnn_step_forward", overflowing)
    assert points == 0.0
    assert [str(w.message) for w in seen] == []  # a warning would be printed on stderr in a kernel
    assert capfd.readouterr().err == ""
