"""Optimisers and gradient clipping, on dicts of arrays updated in place.

Every optimiser has ``step(params, grads)``: params and grads are dicts with the
same keys and shapes; params are changed in place, grads are left alone.
State (velocities, squared-gradient sums) is kept per parameter name.
"""

from __future__ import annotations

import numpy as np


def _check_pair(where, params, grads):
    if set(params) != set(grads):
        raise ValueError(
            f"{where}: params and grads must have the same keys, "
            f"params has {sorted(params)}, grads has {sorted(grads)}"
        )
    for k, p in params.items():
        g = grads[k]
        if np.shape(g) != p.shape:
            raise ValueError(f"{where}: grads[{k!r}] must have shape {p.shape}, got {np.shape(g)}")


def global_norm(grads) -> float:
    """sqrt of the sum of squares of every entry of every gradient.  grads: dict of arrays."""
    return float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so their global norm is at most max_norm.

    Scaling every gradient by the same factor keeps the update's direction and
    only shortens it (clipping each entry separately would change the direction).

    Args:
        grads:    dict name -> array, modified in place
        max_norm: positive float

    Returns:
        total_norm: the global norm BEFORE clipping (useful to plot)
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm: max_norm must be positive, got {max_norm}")
    total = global_norm(grads)
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for g in grads.values():
            g *= scale
    return total


class Optimizer:
    """Base class: subclasses implement ``_update(name, p, g)``."""

    def __init__(self, lr):
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: lr must be positive, got {lr}")
        self.lr = lr
        self.state = {}

    def step(self, params, grads):
        """Update every params[k] in place from grads[k]."""
        _check_pair(f"{type(self).__name__}.step", params, grads)
        for k, p in params.items():
            self._update(k, p, grads[k])

    def _slot(self, name, key, like):
        slots = self.state.setdefault(name, {})
        if key not in slots:
            slots[key] = np.zeros_like(like)
        return slots[key]

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """p <- p - lr * g"""

    def _update(self, name, p, g):
        p -= self.lr * g


class Momentum(Optimizer):
    """v <- mu v - lr g;  p <- p + v   (classical momentum)."""

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr)
        self.momentum = momentum

    def _update(self, name, p, g):
        v = self._slot(name, "v", p)
        v *= self.momentum
        v -= self.lr * g
        p += v


class Adagrad(Optimizer):
    """G <- G + g^2;  p <- p - lr g / sqrt(G + eps)   (as in min-char-rnn)."""

    def __init__(self, lr=0.1, eps=1e-8):
        super().__init__(lr)
        self.eps = eps

    def _update(self, name, p, g):
        G = self._slot(name, "G", p)
        G += g * g
        p -= self.lr * g / np.sqrt(G + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0

    def step(self, params, grads):
        self.t += 1  # one time step per call, shared by all parameters
        super().step(params, grads)

    def _update(self, name, p, g):
        m = self._slot(name, "m", p)
        v = self._slot(name, "v", p)
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * (g * g)
        m_hat_scale = 1 / (1 - self.beta1 ** self.t)
        v_hat_scale = 1 / (1 - self.beta2 ** self.t)
        p -= self.lr * (m * m_hat_scale) / (np.sqrt(v * v_hat_scale) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam}


def make_optimizer(name, lr):
    """Build an optimiser by name ('sgd', 'momentum', 'adagrad', 'adam')."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: name must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[key](lr=lr)
