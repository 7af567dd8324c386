"""Solution: the centred-difference numerical gradient (notebook 01)."""

import numpy as np


def numerical_gradient(f, x, df=None, eps=1e-5):
    """Two-sided numerical gradient of sum(f(x) * df) with respect to x.  x: any shape -> grad: x.shape"""
    ### BEGIN SOLUTION
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus = x.copy()  # perturb copies: the caller's x stays intact
        x_plus[i] += eps
        x_minus = x.copy()
        x_minus[i] -= eps
        diff = np.asarray(f(x_plus)) - np.asarray(f(x_minus))
        grad[i] = np.sum(diff * (1.0 if df is None else df)) / (2 * eps)
    return grad
    ### END SOLUTION
