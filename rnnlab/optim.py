"""Optimisers and gradient clipping, on dicts of arrays updated in place.

Every optimiser has ``step(params, grads)``: params and grads are dicts with the
same keys and shapes; params are changed in place, grads are left alone.
State (velocities, squared-gradient sums) is kept per parameter name.

Every step is checked completely BEFORE anything is changed: a rejected step
leaves the parameters, the optimiser's state and Adam's step counter as they were.
"""

from __future__ import annotations

import numpy as np

from .validation import FLOAT_DTYPES, check_fraction, check_real


def _check_grads_dict(where, grads, name="grads"):
    if not isinstance(grads, dict):
        raise TypeError(f"{where}: {name} must be a dict name -> float array, got {type(grads).__name__}")
    for k, g in grads.items():
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{where}: {name}[{k!r}] must be a numpy array of float32 or float64, got {type(g).__name__}")
        if g.dtype.type not in FLOAT_DTYPES:
            raise TypeError(f"{where}: {name}[{k!r}] must have dtype float32 or float64, got {g.dtype}")


def _check_pair(where, params, grads):
    _check_grads_dict(where, params, "params")
    _check_grads_dict(where, grads, "grads")
    if set(params) != set(grads):
        raise ValueError(
            f"{where}: params and grads must have the same keys, "
            f"params has {sorted(params, key=str)}, grads has {sorted(grads, key=str)}"
        )
    for k, p in params.items():
        g = grads[k]
        if g.shape != p.shape:
            raise ValueError(f"{where}: grads[{k!r}] must have shape {p.shape}, got {g.shape}")
        if g.dtype != p.dtype:  # no silent up- or down-cast of the update
            raise TypeError(f"{where}: grads[{k!r}] has dtype {g.dtype} but params[{k!r}] has {p.dtype}; "
                            "mixing float32 and float64 is an error")
        if not p.flags.writeable:
            raise ValueError(f"{where}: params[{k!r}] is read-only; the optimiser updates parameters in place")


def global_norm(grads) -> float:
    """sqrt of the sum of squares of every entry of every gradient.  grads: dict of float arrays.

    Computed as m * sqrt(sum((g / m)^2)) with m the largest |entry|, so large
    but finite gradients (1e20 in float32, whose squares overflow) give their
    true norm instead of inf.  Returns inf or nan if an entry is inf or nan.
    """
    _check_grads_dict("global_norm", grads)
    m = 0.0
    for g in grads.values():
        if g.size:
            a = float(np.max(np.abs(g)))
            if not np.isfinite(a):
                return a
            m = max(m, a)
    if m == 0.0:
        return 0.0
    # float64 accumulation: the sum of squares of (g / m) <= number of entries
    total = sum(float(np.vdot(s, s)) for s in (g.astype(np.float64) / m for g in grads.values()))
    return m * float(np.sqrt(total))


def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so their global norm is at most max_norm.

    Scaling every gradient by the same factor keeps the update's direction and
    only shortens it (clipping each entry separately would change the direction).

    Args:
        grads:    dict name -> float array, modified in place
        max_norm: positive finite number

    Returns:
        total_norm: the global norm BEFORE clipping (useful to plot)
    """
    max_norm = check_real("clip_grad_norm", "max_norm", max_norm, low=0)
    total = global_norm(grads)
    if not np.isfinite(total):
        raise ValueError(f"clip_grad_norm: the gradients contain inf or nan (global norm {total}); "
                         "clipping cannot repair them")
    if total > max_norm:
        scale = max_norm / total
        for g in grads.values():
            g *= g.dtype.type(scale)
    return total


class Optimizer:
    """Base class: subclasses implement ``_update(name, p, g)``."""

    def __init__(self, lr):
        self.lr = check_real(type(self).__name__, "lr", lr, low=0)
        self.state = {}

    def step(self, params, grads):
        """Update every params[k] in place from grads[k] (all checked first)."""
        self._check_step(params, grads)
        self._apply(params, grads)

    def _check_step(self, params, grads):
        where = f"{type(self).__name__}.step"
        _check_pair(where, params, grads)
        for k, p in params.items():  # state kept from earlier steps must still fit
            for slot in self.state.get(k, {}).values():
                if slot.shape != p.shape or slot.dtype != p.dtype:
                    raise ValueError(
                        f"{where}: params[{k!r}] has shape {p.shape} dtype {p.dtype}, but this optimiser's state "
                        f"for {k!r} is {slot.shape} {slot.dtype}; use a new optimiser for a new model"
                    )

    def _apply(self, params, grads):
        for k, p in params.items():
            self._update(k, p, grads[k])

    def _slot(self, name, key, like):
        slots = self.state.setdefault(name, {})
        if key not in slots:
            slots[key] = np.zeros_like(like)
        return slots[key]

    def _lr(self, p):
        return p.dtype.type(self.lr)  # a float32 parameter gets a float32 update

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """p <- p - lr * g"""

    def _update(self, name, p, g):
        p -= self._lr(p) * g


class Momentum(Optimizer):
    """v <- mu v - lr g;  p <- p + v   (classical momentum)."""

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr)
        self.momentum = check_fraction("Momentum", "momentum", momentum)

    def _update(self, name, p, g):
        v = self._slot(name, "v", p)
        v *= p.dtype.type(self.momentum)
        v -= self._lr(p) * g
        p += v


class Adagrad(Optimizer):
    """G <- G + g^2;  p <- p - lr g / sqrt(G + eps)   (as in min-char-rnn)."""

    def __init__(self, lr=0.1, eps=1e-8):
        super().__init__(lr)
        self.eps = check_real("Adagrad", "eps", eps, low=0)

    def _update(self, name, p, g):
        G = self._slot(name, "G", p)
        G += g * g
        p -= self._lr(p) * g / np.sqrt(G + p.dtype.type(self.eps))


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1 = check_fraction("Adam", "beta1", beta1)
        self.beta2 = check_fraction("Adam", "beta2", beta2)
        self.eps = check_real("Adam", "eps", eps, low=0)
        self.t = 0

    def step(self, params, grads):
        self._check_step(params, grads)  # a rejected step must not advance t
        self.t += 1  # one time step per call, shared by all parameters
        self._apply(params, grads)

    def _update(self, name, p, g):
        f = p.dtype.type
        m = self._slot(name, "m", p)
        v = self._slot(name, "v", p)
        m *= f(self.beta1)
        m += f(1 - self.beta1) * g
        v *= f(self.beta2)
        v += f(1 - self.beta2) * (g * g)
        m_hat_scale = f(1 / (1 - self.beta1 ** self.t))
        v_hat_scale = f(1 / (1 - self.beta2 ** self.t))
        p -= self._lr(p) * (m * m_hat_scale) / (np.sqrt(v * v_hat_scale) + f(self.eps))


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam}


def make_optimizer(name, lr):
    """Build an optimiser by name ('sgd', 'momentum', 'adagrad', 'adam')."""
    if not isinstance(name, str):
        raise TypeError(f"make_optimizer: name must be a str, one of {sorted(OPTIMIZERS)}, got {type(name).__name__}")
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: name must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[key](lr=lr)
