import numpy as np
import pytest

import rnnlab as R


def test_sgd_step():
    p = {"w": np.array([1.0, -2.0])}
    R.SGD(0.5).step(p, {"w": np.array([2.0, 2.0])})
    np.testing.assert_allclose(p["w"], [0.0, -3.0])


def test_momentum_accumulates_velocity():
    p = {"w": np.array([0.0])}
    opt = R.Momentum(lr=1.0, momentum=0.5)
    for _ in range(3):
        opt.step(p, {"w": np.array([1.0])})
    # v: -1, -1.5, -1.75 -> w = -4.25
    np.testing.assert_allclose(p["w"], [-4.25])


def test_adagrad_first_steps():
    p = {"w": np.array([0.0, 0.0])}
    opt = R.Adagrad(lr=0.1)
    opt.step(p, {"w": np.array([2.0, -0.5])})
    np.testing.assert_allclose(p["w"], [-0.1, 0.1], rtol=1e-6)  # first step is lr * sign(g)
    opt.step(p, {"w": np.array([2.0, -0.5])})
    np.testing.assert_allclose(p["w"], [-0.1 - 0.1 / np.sqrt(2), 0.1 + 0.1 / np.sqrt(2)], rtol=1e-6)


def test_adam_bias_correction_first_step_is_lr_sign():
    p = {"w": np.array([1.0, 1.0, 1.0])}
    R.Adam(lr=0.01).step(p, {"w": np.array([3.0, -0.001, 50.0])})
    np.testing.assert_allclose(p["w"], [0.99, 1.01, 0.99], rtol=1e-5)


@pytest.mark.parametrize("opt", [R.SGD(0.1), R.Momentum(0.05), R.Adagrad(0.5), R.Adam(0.1)])
def test_each_optimizer_minimises_a_quadratic(opt):
    target = np.array([3.0, -1.0, 0.5])
    p = {"w": np.zeros(3)}
    for _ in range(500):
        opt.step(p, {"w": 2 * (p["w"] - target)})
    np.testing.assert_allclose(p["w"], target, atol=1e-2)


def test_optimizers_keep_float32():
    for opt in (R.SGD(0.1), R.Momentum(0.1), R.Adagrad(0.1), R.Adam(0.1)):
        p = {"w": np.ones(3, np.float32)}
        opt.step(p, {"w": np.ones(3, np.float32)})
        assert p["w"].dtype == np.float32


def test_clip_grad_norm_scales_globally_and_returns_norm_before():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0], [4.0]])}
    total = R.clip_grad_norm(g, 1.0)
    assert total == pytest.approx(5.0)
    assert R.global_norm(g) == pytest.approx(1.0)
    np.testing.assert_allclose(g["a"], [0.6, 0.0])  # direction kept: 3:4 ratio
    np.testing.assert_allclose(g["b"], [[0.0], [0.8]])


def test_clip_grad_norm_leaves_small_gradients_alone():
    g = {"a": np.array([0.3, 0.4])}
    assert R.clip_grad_norm(g, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(g["a"], [0.3, 0.4])
    with pytest.raises(ValueError, match="max_norm must be positive, got 0"):
        R.clip_grad_norm(g, 0)


def test_make_optimizer_by_name():
    assert isinstance(R.make_optimizer("Adam", 0.1), R.Adam)
    with pytest.raises(ValueError, match=r"name must be one of \['adagrad', 'adam', 'momentum', 'sgd'\], got 'rmsprop'"):
        R.make_optimizer("rmsprop", 0.1)


# --------------------------------------------------------------------------
# Hardening (issue 15): overflow-safe norms, the dtype rule, checks before any change
# --------------------------------------------------------------------------


def test_global_norm_does_not_overflow_for_large_finite_float32():
    g = {"a": np.full(4, 1e20, np.float32), "b": np.array([3e20, -4e20], np.float32)}
    expected = np.sqrt(4 * 1e40 + 9e40 + 16e40)  # computed in float64: finite
    assert R.global_norm(g) == pytest.approx(expected, rel=1e-6)
    R.clip_grad_norm(g, 1.0)
    assert R.global_norm(g) == pytest.approx(1.0, rel=1e-5)
    assert np.all(g["a"] > 0)  # scaled, not zeroed
    assert g["a"].dtype == np.float32


def test_global_norm_of_tiny_gradients_is_not_zero():
    g = {"a": np.full(3, 1e-200)}
    assert R.global_norm(g) == pytest.approx(np.sqrt(3) * 1e-200, rel=1e-12)


def test_global_norm_reports_inf_and_nan_and_clip_refuses_them():
    assert R.global_norm({"a": np.array([1.0, np.inf])}) == np.inf
    assert np.isnan(R.global_norm({"a": np.array([1.0, np.nan])}))
    g = {"a": np.array([1.0, np.inf])}
    with pytest.raises(ValueError, match="clip_grad_norm: the gradients contain inf or nan"):
        R.clip_grad_norm(g, 1.0)


@pytest.mark.parametrize("max_norm", [0, -1.0, float("nan"), float("inf"), "1", None, True])
def test_clip_grad_norm_rejects_bad_max_norm(max_norm):
    g = {"a": np.ones(2)}
    with pytest.raises((TypeError, ValueError), match="clip_grad_norm: max_norm must be"):
        R.clip_grad_norm(g, max_norm)
    np.testing.assert_array_equal(g["a"], 1.0)


@pytest.mark.parametrize("Opt", [R.SGD, R.Momentum, R.Adagrad, R.Adam])
@pytest.mark.parametrize("lr, error, text", [
    ("0.1", TypeError, r"lr must be a real number, got str '0.1'"),
    (None, TypeError, r"lr must be a real number, got NoneType None"),
    (True, TypeError, r"lr must be a real number, got bool"),
    (float("nan"), ValueError, r"lr must be a finite number, got nan"),
    (float("inf"), ValueError, r"lr must be a finite number, got inf"),
    (-0.1, ValueError, r"lr must be positive, got -0.1"),
    (0, ValueError, r"lr must be positive, got 0"),
    (np.array([0.1]), TypeError, r"lr must be a real number, got ndarray"),
])
def test_optimizers_reject_bad_learning_rates(Opt, lr, error, text):
    with pytest.raises(error, match=rf"{Opt.__name__}: {text}"):
        Opt(lr=lr)


@pytest.mark.parametrize("kwargs, text", [
    ({"beta1": 1.0}, r"beta1 must be in \[0, 1\), got 1.0"),
    ({"beta2": -0.1}, r"beta2 must be non-negative"),
    ({"eps": 0}, r"eps must be positive"),
])
def test_adam_rejects_bad_hyperparameters(kwargs, text):
    with pytest.raises(ValueError, match=text):
        R.Adam(**kwargs)


@pytest.mark.parametrize("Opt", [R.SGD, R.Momentum, R.Adagrad, R.Adam])
def test_optimizers_reject_mixed_float32_float64(Opt):
    opt = Opt(lr=0.1)
    p = {"w": np.ones(3, np.float32)}
    with pytest.raises(TypeError, match=r"grads\['w'\] has dtype float64 but params\['w'\] has float32"):
        opt.step(p, {"w": np.ones(3)})
    np.testing.assert_array_equal(p["w"], 1.0)
    assert opt.state == {}


@pytest.mark.parametrize("Opt", [R.SGD, R.Momentum, R.Adagrad, R.Adam])
@pytest.mark.parametrize("bad, text", [
    ([1.0, 2.0], r"grads\['w'\] must be a numpy array of float32 or float64, got list"),
    (np.array([1.0, 2.0], dtype=object), r"grads\['w'\] must have dtype float32 or float64, got object"),
    (np.array([1, 2]), r"grads\['w'\] must have dtype float32 or float64, got int64"),
])
def test_optimizers_reject_lists_and_object_arrays(Opt, bad, text):
    p = {"w": np.zeros(2)}
    with pytest.raises(TypeError, match=text):
        Opt(lr=0.1).step(p, {"w": bad})
    with pytest.raises(TypeError, match=text.replace("grads", "params")):
        Opt(lr=0.1).step({"w": bad}, {"w": np.zeros(2)})


def test_rejected_adam_step_changes_nothing():
    opt = R.Adam(lr=0.1)
    p = {"a": np.ones(2), "b": np.ones(3)}
    opt.step(p, {"a": np.ones(2), "b": np.ones(3)})
    t, before = opt.t, {k: v.copy() for k, v in p.items()}
    state = {k: {s: v.copy() for s, v in d.items()} for k, d in opt.state.items()}
    # the second key is wrong: nothing may be updated, not even the first
    with pytest.raises(ValueError, match=r"grads\['b'\] must have shape \(3,\), got \(2,\)"):
        opt.step(p, {"a": np.ones(2), "b": np.ones(2)})
    assert opt.t == t
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])
        for s in state[k]:
            np.testing.assert_array_equal(opt.state[k][s], state[k][s])


def test_optimizer_state_from_another_model_is_refused():
    opt = R.Momentum(lr=0.1)
    opt.step({"w": np.zeros(2)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match=r"this optimiser's state for 'w' is \(2,\) float64"):
        opt.step({"w": np.zeros(3)}, {"w": np.ones(3)})


def test_make_optimizer_rejects_non_str_name():
    with pytest.raises(TypeError, match="make_optimizer: name must be a str"):
        R.make_optimizer(R.Adam, 0.1)
