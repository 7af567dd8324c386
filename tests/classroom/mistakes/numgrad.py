"""numerical_gradient(f, x, df=None, eps=1e-5) -> grad shaped like x."""

import numpy as np

from . import correct, mistake

E = "numerical_gradient"


def _w(df):
    return 1.0 if df is None else df


@mistake(E, "one-sided")  # forward difference
def forward_difference(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    fx = np.asarray(f(x.copy()))
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += eps
        g[i] = np.sum((np.asarray(f(xp)) - fx) * _w(df)) / eps
    return g


@mistake(E, "one-sided")  # backward difference
def backward_difference(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    fx = np.asarray(f(x.copy()))
    for i in np.ndindex(x.shape):
        xm = x.copy()
        xm[i] -= eps
        g[i] = np.sum((fx - np.asarray(f(xm))) * _w(df)) / eps
    return g


@mistake(E, "2 times too large")  # divides by eps, not 2 eps
def divides_by_eps(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = np.sum((np.asarray(f(xp)) - np.asarray(f(xm))) * _w(df)) / eps
    return g


@mistake(E, "in place")  # perturbs x itself and never restores it
def no_restore(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        fp = np.asarray(f(x))
        x[i] -= 2 * eps
        fm = np.asarray(f(x))
        g[i] = np.sum((fp - fm) * _w(df)) / (2 * eps)
    return g


@mistake(E, "df is ignored")
def ignores_df(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = np.sum(np.asarray(f(xp)) - np.asarray(f(xm))) / (2 * eps)
    return g


@mistake(E, "eps argument is ignored")  # hard-coded step
def ignores_eps(f, x, df=None, eps=1e-5):
    h = 1e-5
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = np.sum((np.asarray(f(xp)) - np.asarray(f(xm))) * _w(df)) / (2 * h)
    return g


@mistake(E, "one entry at a time")  # perturbs every entry at once
def perturbs_all_at_once(f, x, df=None, eps=1e-5):
    d = np.sum((np.asarray(f(x + eps)) - np.asarray(f(x - eps))) * _w(df)) / (2 * eps)
    return np.full_like(x, d)


@mistake(E, "sum")  # mean instead of sum of diff * df
def mean_not_sum(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = np.mean((np.asarray(f(xp)) - np.asarray(f(xm))) * _w(df)) / (2 * eps)
    return g


@mistake(E, "perturbed array")  # perturbs a copy but calls f on x
def calls_f_on_x(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += eps
        g[i] = np.sum((np.asarray(f(x)) - np.asarray(f(x))) * _w(df)) / (2 * eps)
    return g


@mistake(E, "shape")  # returns the flat gradient
def returns_flat(f, x, df=None, eps=1e-5):
    g = np.zeros(x.size)
    for k, i in enumerate(np.ndindex(x.shape)):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[k] = np.sum((np.asarray(f(xp)) - np.asarray(f(xm))) * _w(df)) / (2 * eps)
    return g


@mistake(E, "2 * eps")  # divides by eps**2 ("second-order")
def divides_by_eps_squared(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = np.sum((np.asarray(f(xp)) - np.asarray(f(xm))) * _w(df)) / (2 * eps**2)
    return g


@mistake(E, "wrong sign")  # f(x - eps) - f(x + eps)
def reversed_difference(f, x, df=None, eps=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = np.sum((np.asarray(f(xm)) - np.asarray(f(xp))) * _w(df)) / (2 * eps)
    return g


# ---------------------------------------------------------------- correct
@correct(E)
def nditer_restore(f, x, df=None, eps=1e-5):
    x = x.copy()
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = np.array(f(x), copy=True)
        x[i] = old - eps
        fm = np.array(f(x), copy=True)
        x[i] = old
        g[i] = np.sum((fp - fm) * _w(df)) / (2 * eps)
        it.iternext()
    return g


@correct(E)
def flat_index(f, x, df=None, eps=1e-5):
    g = np.zeros(x.size, dtype=x.dtype)
    for k in range(x.size):
        e = np.zeros(x.size, dtype=x.dtype)
        e[k] = eps
        e = e.reshape(x.shape)
        g[k] = np.vdot(np.asarray(f(x + e)) - np.asarray(f(x - e)), np.broadcast_to(_w(df), np.shape(f(x)))) / (2 * eps)
    return g.reshape(x.shape)
