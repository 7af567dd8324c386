"""The bug zoo: deliberately WRONG copies of an RNN's backward pass, for teaching.

NOTHING in rnnlab imports this module.  Every function here except
``reference_loss`` contains one mistake copied from the seed notebooks
(``/work/shared/seeds``), marked with a ``# BUG`` comment, so notebook 03 can
show what a gradient check says about it.

The model is the smallest many-to-many classifier, in the course convention
(tanh cell, batch-first row vectors):

    x (N, T, D) -> h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)     h (N, T, H)
                -> scores = h @ W_out + b_out                   (N, T, V)
                -> L = mean over (n, t) of cross-entropy(softmax(scores), y)

Every loss function has the signature ``fn(params, x, y) -> (loss, grads)``
with params and grads dicts keyed ``Wx, Wh, b, W_out, b_out``, so it can be
handed to ``rnnlab.gradient_check`` as ``lambda p: fn(p, x, y)``.

The forward pass is always the real one (rnnlab.layers); only the backward
pass (or, for the double softmax, the loss) is a teaching copy.  The correct
loop, ``teaching_backward``, is written out once so that each bug is a one-line
difference from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..gradcheck import gradient_check
from ..layers import (
    rnn_backward,
    rnn_forward,
    softmax,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
)

PARAM_NAMES = ("Wx", "Wh", "b", "W_out", "b_out")


def make_problem(seed=0, N=2, T=4, D=3, H=5, V=4):
    """A tiny float64 problem: params (dict), x (N, T, D), y (N, T) integer targets.

    The targets are a fixed non-palindromic pattern, so reading them in reversed
    time order changes the loss.
    """
    rng = np.random.default_rng(seed)
    params = {
        "Wx": 0.5 * rng.standard_normal((D, H)),
        "Wh": 0.5 * rng.standard_normal((H, H)),  # not symmetric: Wh and Wh.T differ
        "b": 0.1 * rng.standard_normal(H),
        "W_out": 0.5 * rng.standard_normal((H, V)),
        "b_out": 0.1 * rng.standard_normal(V),
    }
    x = rng.standard_normal((N, T, D))
    y = (np.arange(N * T).reshape(N, T) * 3 + 1) % V  # e.g. 1, 0, 3, 2 (never a palindrome)
    return params, x, y


def _forward(params, x, y):
    """The real forward pass: loss, probabilities (N, T, V), h (N, T, H), h0 (N, H), count."""
    N = x.shape[0]
    H = params["Wh"].shape[0]
    h0 = np.zeros((N, H), dtype=x.dtype)
    h, _ = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"], "tanh")
    scores, _ = temporal_affine_forward(h, params["W_out"], params["b_out"])
    loss, _ = temporal_softmax_loss(scores, y)
    return loss, scores, softmax(scores), h, h0


def _one_hot(y, V):
    return np.eye(V)[y]  # (N, T, V)


def reference_loss(params, x, y):
    """The correct loss and gradients, composed from rnnlab's layer functions only.

    Works in float32 or float64 (x and every parameter must share the dtype).
    """
    N, H = x.shape[0], params["Wh"].shape[0]
    h, rnn_cache = rnn_forward(x, np.zeros((N, H), dtype=x.dtype), params["Wx"], params["Wh"], params["b"], "tanh")
    scores, aff_cache = temporal_affine_forward(h, params["W_out"], params["b_out"])
    loss, dscores = temporal_softmax_loss(scores, y)
    dh, dW_out, db_out = temporal_affine_backward(dscores, aff_cache)
    _, _, dWx, dWh, db = rnn_backward(dh, rnn_cache)
    return loss, {"Wx": dWx, "Wh": dWh, "b": db, "W_out": dW_out, "b_out": db_out}


def teaching_backward(params, x, h0, h, dscores):
    """BPTT written out as one loop (CORRECT).  Each bug below changes one line of it.

    Args:
        x: (N, T, D), h0: (N, H), h: (N, T, H), dscores: (N, T, V) = dL/dscores
    Returns:
        grads: dict keyed like params
    """
    N, T, H = h.shape
    V = dscores.shape[2]
    Wh, W_out = params["Wh"], params["W_out"]
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["W_out"] = h.reshape(N * T, H).T @ dscores.reshape(N * T, V)
    grads["b_out"] = dscores.sum(axis=(0, 1))
    dh = dscores @ W_out.T  # (N, T, H): the local term of dL/dh_t
    dh_next = np.zeros((N, H))  # what step t+1 sends back to h_t
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        grads["Wx"] += x[:, t].T @ da
        grads["Wh"] += h_prev.T @ da
        grads["b"] += da.sum(axis=0)
        dh_next = da @ Wh.T
    return grads


def correct(params, x, y):
    """The teaching loop with nothing wrong: passes the gradient check."""
    loss, scores, probs, h, h0 = _forward(params, x, y)
    N, T, V = scores.shape
    dscores = (probs - _one_hot(y, V)) / (N * T)
    return loss, teaching_backward(params, x, h0, h, dscores)


# ---------------------------------------------------------------------------
# The bugs
# ---------------------------------------------------------------------------


def seed001_sign_flip(params, x, y):
    """Seed 001: ``dy = y - y_hat``, the gradient of the loss with the wrong sign.

    Following it would climb the loss instead of descending it.
    """
    loss, scores, probs, h, h0 = _forward(params, x, y)
    N, T, V = scores.shape
    dscores = (_one_hot(y, V) - probs) / (N * T)  # BUG (seed 001): y - y_hat, should be y_hat - y
    return loss, teaching_backward(params, x, h0, h, dscores)


def seed001_raw_logits(params, x, y):
    """Seed 001: ``y_hat`` are the raw scores (logits); the softmax is commented out.

    For softmax + cross-entropy, dL/dscores = softmax(scores) - y, not scores - y.
    """
    loss, scores, probs, h, h0 = _forward(params, x, y)
    N, T, V = scores.shape
    dscores = (scores - _one_hot(y, V)) / (N * T)  # BUG (seed 001): logits used as probabilities
    return loss, teaching_backward(params, x, h0, h, dscores)


def seed001_missing_transpose(params, x, y):
    """Seed 001: ``Whh @ dnext_h`` sends the gradient back through Wh instead of its transpose.

    a_t = ... + h_{t-1} @ Wh, so dL/dh_{t-1} = da_t @ Wh.T.  Invisible when Wh is symmetric.
    """
    loss, scores, probs, h, h0 = _forward(params, x, y)
    N, T, V = scores.shape
    dscores = (probs - _one_hot(y, V)) / (N * T)
    Wh = params["Wh"]
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["W_out"] = h.reshape(N * T, -1).T @ dscores.reshape(N * T, V)
    grads["b_out"] = dscores.sum(axis=(0, 1))
    dh = dscores @ params["W_out"].T
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        grads["Wx"] += x[:, t].T @ da
        grads["Wh"] += h_prev.T @ da
        grads["b"] += da.sum(axis=0)
        dh_next = da @ Wh  # BUG (seed 001): should be da @ Wh.T
    return loss, grads


def seed000_reversed_targets(params, x, y):
    """Seed 000: ``for t, cache in enumerate(self.caches[::-1])`` reads ``y_true[:, :, t]``.

    The caches are walked backwards but the targets forwards, so step T-1 is
    paired with target 0: the gradient belongs to a different loss.
    """
    loss, scores, probs, h, h0 = _forward(params, x, y)
    N, T, V = scores.shape
    y_backwards = y[:, ::-1]  # BUG (seed 000): targets in reversed time order
    dscores = (probs - _one_hot(y_backwards, V)) / (N * T)
    return loss, teaching_backward(params, x, h0, h, dscores)


class Seed001AccumulatingGradients:
    """Seed 001: ``self.gradients[...] += ...`` with buffers created once in ``__init__``.

    The buffers are never reset, so the second call returns the sum of two
    calls' gradients, the third of three, ...  The FIRST call is correct, which
    is why a gradient check on a fresh model passes; check after one training
    step (or call twice and compare) to catch it.
    """

    def __init__(self):
        self.gradients = None
        self.calls = 0

    def __call__(self, params, x, y):
        loss, fresh = correct(params, x, y)
        if self.gradients is None:
            self.gradients = {k: np.zeros_like(v) for k, v in params.items()}
        for k, g in fresh.items():
            self.gradients[k] += g  # BUG (seed 001): never reset to zero between calls
        self.calls += 1
        return loss, {k: g.copy() for k, g in self.gradients.items()}


def seed000_double_softmax(params, x, y):
    """Seed 000's PyTorch comparison: probabilities fed to a loss that applies softmax itself.

    ``nn.CrossEntropyLoss`` expects logits; giving it softmax outputs computes
    cross-entropy(softmax(softmax(scores))).  The loss reported here is that
    doubly-squashed one, while the gradient is the correct gradient of the
    ordinary loss: the two no longer belong together.
    """
    _, scores, probs, h, h0 = _forward(params, x, y)
    N, T, V = scores.shape
    loss, _ = temporal_softmax_loss(probs, y)  # BUG (seed 000): probs where logits belong
    dscores = (probs - _one_hot(y, V)) / (N * T)
    return loss, teaching_backward(params, x, h0, h, dscores)


def forgot_future_gradient(params, x, y):
    """dL/dh_t taken from the loss at step t only: the dh_next term from step t+1 is dropped.

    This is backpropagation through ONE step, not through time.
    """
    loss, scores, probs, h, h0 = _forward(params, x, y)
    N, T, V = scores.shape
    dscores = (probs - _one_hot(y, V)) / (N * T)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["W_out"] = h.reshape(N * T, -1).T @ dscores.reshape(N * T, V)
    grads["b_out"] = dscores.sum(axis=(0, 1))
    dh = dscores @ params["W_out"].T
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        da = dh[:, t] * (1 - h[:, t] ** 2)  # BUG: should be (dh[:, t] + dh_next) * ...
        grads["Wx"] += x[:, t].T @ da
        grads["Wh"] += h_prev.T @ da
        grads["b"] += da.sum(axis=0)
    return loss, grads


# ---------------------------------------------------------------------------
# The catalogue used by notebook 03 and tests/test_bugzoo.py
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bug:
    name: str
    seed: str
    make: Callable  # () -> fn(params, x, y) -> (loss, grads); a fresh object each time
    spot: str  # one sentence: how to recognise this bug
    calls_before_check: int = 0  # calls made before the check (a "training step")


BUGS = {
    "sign flip of dy": Bug(
        "sign flip of dy", "001", lambda: seed001_sign_flip,
        "Every parameter fails with relative error exactly 1: the analytic gradient is the numerical one times -1."),
    "raw logits in dy": Bug(
        "raw logits in dy", "001", lambda: seed001_raw_logits,
        "Every parameter fails; check that dscores sums to 0 over the classes, as softmax(scores) - y does."),
    "missing transpose on Wh": Bug(
        "missing transpose on Wh", "001", lambda: seed001_missing_transpose,
        "W_out and b_out pass but Wx, Wh, b fail, and the error vanishes if you make Wh symmetric."),
    "targets in reversed time": Bug(
        "targets in reversed time", "000", lambda: seed000_reversed_targets,
        "Every parameter but b_out fails (its gradient sums over time, so order cannot matter), "
        "and the error disappears when the target sequence is a palindrome."),
    "gradients never reset": Bug(
        "gradients never reset", "001", Seed001AccumulatingGradients,
        "Passes on a fresh model, fails after one training step with relative error exactly 1/3 (2g against g): "
        "call it twice on the same input and the gradients double.",
        calls_before_check=1),
    "double softmax (seed 000 vs PyTorch)": Bug(
        "double softmax (seed 000 vs PyTorch)", "000", lambda: seed000_double_softmax,
        "Every parameter fails and the loss stays near ln(V) whatever the weights: softmax was applied twice."),
    "forgot the gradient from later steps": Bug(
        "forgot the gradient from later steps", "-", lambda: forgot_future_gradient,
        "W_out and b_out pass, Wx, Wh, b fail, and a sequence of length T = 1 passes."),
}


def check_bug(bug, params, x, y, **kwargs):
    """Gradient-check one bug: a Bug (or its name in BUGS) -> rnnlab GradCheckReport.

    A fresh loss function is made, called ``calls_before_check`` times first,
    then handed to rnnlab.gradient_check.  kwargs go to gradient_check.
    """
    if isinstance(bug, str):
        if bug not in BUGS:
            raise ValueError(f"check_bug: bug must be one of {sorted(BUGS)}, got {bug!r}")
        bug = BUGS[bug]
    fn = bug.make()
    for _ in range(bug.calls_before_check):
        fn(params, x, y)
    return gradient_check(lambda p: fn(p, x, y), params, **kwargs)
