import numpy as np
import pytest

import rnnlab as R


def test_numerical_gradient_of_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    g = R.numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8)


def test_numerical_gradient_with_upstream_df():
    x = np.array([0.3, -1.2, 2.0])
    df = np.array([1.0, -2.0, 0.5])
    g = R.numerical_gradient(np.sin, x, df)
    np.testing.assert_allclose(g, np.cos(x) * df, rtol=1e-8)


def test_numerical_gradient_leaves_x_untouched_and_needs_f_to_read_it():
    x = np.array([1.0, 2.0])
    before = x.copy()
    captured = x.copy()
    g = R.numerical_gradient(lambda v: np.sum(captured ** 2), x)  # ignores its argument
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(g, 0)  # so a wrong lambda shows up as a zero gradient


def test_rel_error_values():
    a = np.array([1.0, 2.0])
    assert R.rel_error(a, a) == 0.0
    assert R.rel_error(np.zeros(2), np.zeros(2)) == 0.0
    assert R.rel_error(a, -a) == pytest.approx(1.0)
    assert R.rel_error(a, a * (1 + 1e-6)) == pytest.approx(5e-7, rel=1e-3)


def _quadratic(params):
    A, b = params["A"], params["b"]
    loss = float(np.sum(A ** 2) + np.sum(np.sin(b)))
    return loss, {"A": 2 * A, "b": np.cos(b)}


def test_gradient_check_passes_a_correct_gradient_and_reports_each_param():
    rng = np.random.default_rng(0)
    params = {"A": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)}
    report = R.gradient_check(_quadratic, params)
    assert report.passed and bool(report)
    assert [r.name for r in report.rows] == ["A", "b"]
    assert report.max_error < 1e-8
    text = str(report)
    assert "A" in text and "(3, 2)" in text and "pass" in text and "all passed" in text


def test_gradient_check_fails_a_wrong_gradient_and_names_it():
    def wrong(params):
        loss, g = _quadratic(params)
        g["b"] = -g["b"]  # sign flipped
        return loss, g

    rng = np.random.default_rng(0)
    report = R.gradient_check(wrong, {"A": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)})
    assert not report
    assert report["A"].passed and not report["b"].passed
    assert report["b"].rel_error == pytest.approx(1.0)
    assert "FAIL" in str(report)


def test_gradient_check_does_not_modify_params_and_subsamples():
    rng = np.random.default_rng(0)
    params = {"A": rng.standard_normal((20, 20)), "b": rng.standard_normal(3)}
    copy = {k: v.copy() for k, v in params.items()}
    report = R.gradient_check(_quadratic, params, max_entries=10)
    assert report["A"].checked == 10 and report["b"].checked == 3
    for k in params:
        np.testing.assert_array_equal(params[k], copy[k])


def test_gradient_check_missing_gradient():
    with pytest.raises(ValueError, match=r"no gradient for \['b'\]"):
        R.gradient_check(lambda p: (0.0, {"A": p["A"]}), {"A": np.ones(2), "b": np.ones(2)})


# --------------------------------------------------------------------------
# Hardening (issue 15): a check of nothing is not a pass; bad arguments are named
# --------------------------------------------------------------------------


@pytest.mark.parametrize("max_entries, error, text", [
    (0, ValueError, r"max_entries must be >= 1, got 0"),
    (-3, ValueError, r"max_entries must be >= 1, got -3"),
    (2.5, TypeError, r"max_entries must be an int, got float 2.5"),
])
def test_gradient_check_refuses_to_check_nothing(max_entries, error, text):
    params = {"A": np.ones((2, 2)), "b": np.ones(3)}
    with pytest.raises(error, match=rf"gradient_check: {text}"):
        R.gradient_check(_quadratic, params, max_entries=max_entries)


def test_gradient_check_with_one_entry_checks_one_entry():
    report = R.gradient_check(_quadratic, {"A": np.ones((4, 4)), "b": np.ones(3)}, max_entries=1)
    assert [r.checked for r in report.rows] == [1, 1] and report.passed


def test_empty_report_does_not_pass():
    assert not R.GradCheckReport()


def test_gradient_check_rejects_empty_params_and_bad_returns():
    with pytest.raises(ValueError, match=r"params\['A'\] is empty"):
        R.gradient_check(_quadratic, {"A": np.ones((0, 2)), "b": np.ones(1)})
    with pytest.raises(TypeError, match=r"fn must return the pair \(loss, grads\)"):
        R.gradient_check(lambda p: 1.0, {"A": np.ones(2)})
    with pytest.raises(TypeError, match=r"grads\['A'\] must be a float array, got list"):
        R.gradient_check(lambda p: (0.0, {"A": [1.0, 2.0]}), {"A": np.ones(2)})
    with pytest.raises(TypeError, match=r"params\['A'\] must have dtype float32 or float64, got int64"):
        R.gradient_check(_quadratic, {"A": np.ones(2, dtype=int)})


@pytest.mark.parametrize("eps, error", [(float("nan"), ValueError), (0.0, ValueError), (-1e-5, ValueError),
                                        (float("inf"), ValueError), ("1e-5", TypeError), (None, TypeError)])
def test_numerical_gradient_rejects_bad_eps(eps, error):
    with pytest.raises(error, match="numerical_gradient: eps must be"):
        R.numerical_gradient(lambda v: np.sum(v ** 2), np.ones(2), eps=eps)


def test_numerical_gradient_names_a_function_that_returns_none():
    with pytest.raises(TypeError, match="numerical_gradient: f returned None; it must return the value"):
        R.numerical_gradient(lambda v: print(v.sum()) if False else None, np.ones(2))
    with pytest.raises(TypeError, match="f must return numbers, got ndarray of dtype <U"):
        R.numerical_gradient(lambda v: "loss", np.ones(2))
    with pytest.raises(TypeError, match="numerical_gradient: f must be a function"):
        R.numerical_gradient(3.0, np.ones(2))
    with pytest.raises(TypeError, match="numerical_gradient: df must be a numpy array"):
        R.numerical_gradient(lambda v: v * 2, np.ones(2), df=[1.0, 1.0])
