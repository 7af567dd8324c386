"""rnnlab's gradients agree with PyTorch autograd, through the weight mapping in rnnlab.torch_reference."""

import builtins
import importlib

import numpy as np
import pytest

from rnnlab.teaching import bugzoo
from rnnlab.gradcheck import rel_error
from rnnlab.model import SequenceModel, SequenceRegressor


def test_missing_torch_gives_an_install_hint(monkeypatch):
    import rnnlab.torch_reference as tr

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match=r"needs PyTorch.*pip install"):
        tr.require_torch()
    with pytest.raises(ImportError, match="needs PyTorch"):
        tr.torch_rnn_softmax_loss(*bugzoo.make_problem())


def test_module_imports_torch_only_inside_functions():
    import rnnlab.torch_reference as tr

    importlib.reload(tr)  # importing the module itself must not need torch
    src = open(tr.__file__).read()
    assert "\nimport torch" not in src and "\nfrom torch" not in src


from rnnlab.torch_reference import (  # noqa: E402  (importing the module never needs torch)
    torch_regressor_loss,
    torch_rnn_softmax_loss,
    torch_sequence_model_loss,
)


@pytest.fixture
def torch():
    """Tests that compare with autograd take this fixture: skipped (not passed) without torch."""
    return pytest.importorskip("torch")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_classifier_matches_torch(torch, seed):
    params, x, y = bugzoo.make_problem(seed=seed, N=3, T=5, D=4, H=6, V=5)
    loss, grads = bugzoo.reference_loss(params, x, y)
    loss_t, grads_t = torch_rnn_softmax_loss(params, x, y)
    assert loss == pytest.approx(loss_t, rel=1e-12)
    for k in bugzoo.PARAM_NAMES:
        assert rel_error(grads[k], grads_t[k]) < 1e-10, k


def test_seed000_sized_problem_matches_torch_in_every_parameter(torch):
    # seed 000: batch 2, 3 steps, 4 inputs, 5 hidden units, 3 classes, targets at all 3 steps
    params, x, y = bugzoo.make_problem(seed=42, N=2, T=3, D=4, H=5, V=3)
    _, grads = bugzoo.reference_loss(params, x, y)
    _, grads_t = torch_rnn_softmax_loss(params, x, y)
    assert all(np.allclose(grads[k], grads_t[k], rtol=1e-9, atol=1e-12) for k in bugzoo.PARAM_NAMES)


def test_double_softmax_disagrees_with_torch(torch):
    params, x, y = bugzoo.make_problem()
    loss_bug, _ = bugzoo.seed000_double_softmax(params, x, y)
    loss_t, _ = torch_rnn_softmax_loss(params, x, y)
    assert abs(loss_bug - loss_t) > 1e-3


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_sequence_model_matches_torch(torch, activation):
    rng = np.random.default_rng(7)
    model = SequenceModel(7, 6, embed_dim=4, activation=activation, rng=np.random.default_rng(0))
    x = rng.integers(0, 7, (3, 5))
    y = rng.integers(0, 7, (3, 5))
    h0 = 0.3 * rng.standard_normal((3, 6))
    loss, grads, _ = model.loss(x, y, state0=h0)
    loss_t, grads_t = torch_sequence_model_loss(model, x, y, state0=h0)
    assert loss == pytest.approx(loss_t, rel=1e-12)
    assert set(grads_t) == set(model.params)
    for k in grads:
        assert rel_error(grads[k], grads_t[k]) < 1e-10, k


@pytest.mark.parametrize("output_dim", [1, 5])
def test_regressor_matches_torch(torch, output_dim):
    rng = np.random.default_rng(3)
    model = SequenceRegressor(5, 10, output_dim, rng=np.random.default_rng(0))
    x = rng.random((4, 5, 5))
    y = rng.standard_normal((4, output_dim))
    loss, grads, _ = model.loss(x, y)
    loss_t, grads_t = torch_regressor_loss(model, x, y)
    assert loss == pytest.approx(loss_t, rel=1e-12)
    for k in grads:
        assert rel_error(grads[k], grads_t[k]) < 1e-10, k


def test_torch_reference_rejects_an_unknown_activation(torch):
    params, x, y = bugzoo.make_problem()
    with pytest.raises(ValueError, match="activation must be 'tanh', 'sigmoid' or 'relu', got 'gelu'"):
        torch_rnn_softmax_loss(params, x, y, activation="gelu")
