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
