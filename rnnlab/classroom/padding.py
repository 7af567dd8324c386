"""Checkers for each sequence's final state in a padded batch: ``gather_last_forward`` and
``gather_last_backward`` (rnnlab.padding).

Probe: every hidden state h[n, t] is filled with a code of its own (n, t), so the step a student
read (or wrote a gradient to) is read back from the output itself: the last padded step T - 1,
the step lengths[n] (one too far), lengths[n] - 2 (one too early), a sum or mean over steps, or
the rows mixed up.
"""

from __future__ import annotations

import numpy as np

from ..padding import gather_last_backward, gather_last_forward
from .context import TOL32, compare_parts, exercise
from .feedback import Failed


def _coded(N, T, H, dtype=np.float64):
    """h[n, t, :] = 1000 + 100 n + t (+ 0.001 j): the value says where it came from."""
    n = np.arange(N)[:, None, None]
    t = np.arange(T)[None, :, None]
    j = np.arange(H)[None, None, :]
    return (1000 + 100 * n + t + 0.001 * j).astype(dtype)


def _lengths(rng, N, T, full=True):
    """Different lengths, one short; one full (T) when full, else all below T - 1."""
    lengths = rng.integers(1, T - 1, size=N)
    lengths[0] = T if full else T - 2
    lengths[-1] = max(1, T // 2)
    return lengths.astype(np.int64)


def _which_steps(got, N, T, H):
    """The step t each row of a coded gather read, or None per row when it is not one step."""
    steps = []
    for n in range(N):
        t = got[n, 0] - 1000 - 100 * n
        if abs(t - round(t)) < 1e-6 and 0 <= round(t) < T and np.allclose(got[n] - got[n, 0], 0.001 * np.arange(H)):
            steps.append(int(round(t)))
        else:
            steps.append(None)
    return steps


def _name_steps(steps, lengths, T, what):
    """A sentence for a gather (or scatter) that used the wrong step in every row, or None."""
    if any(s is None for s in steps):
        return None
    steps = np.array(steps)
    if np.all(steps == T - 1):
        return (f"{what} the LAST PADDED step T - 1 for every row: a shorter sequence ends earlier. Use each "
                f"row's own last step, lengths[n] - 1.")
    if np.all(steps == np.minimum(lengths, T - 1)) or np.all(steps[lengths < T] == lengths[lengths < T]):
        return (f"{what} step lengths[n], one step too far (off by one): a sequence of length L has steps 0 .. "
                f"L - 1, so its last real step is lengths[n] - 1.")
    if np.all(steps == np.maximum(lengths - 2, 0)) or np.all(steps[lengths > 1] == lengths[lengths > 1] - 2):
        return f"{what} step lengths[n] - 2, one step too early: the last real step is lengths[n] - 1."
    if np.all(steps == lengths.max() - 1):
        return f"{what} step max(lengths) - 1 for every row: each row needs its own last step, lengths[n] - 1."
    return None


# --------------------------------------------------------------------------
# gather_last_forward
# --------------------------------------------------------------------------


def _score_forward(fn, rng):
    N, T, H = 4, 6, 3
    h = rng.standard_normal((N, T, H))
    lengths = _lengths(rng, N, T)
    return compare_parts([fn(h.copy(), lengths.copy())[0]], [gather_last_forward(h, lengths)[0]], ["h_last"])


@exercise("gather_last_forward", "(h_last, cache)", scorer=_score_forward)
def check_gather_last_forward(fn, rng, ctx):
    """Check ``gather_last_forward(h, lengths) -> (h_last, cache)``: h (N, T, H), lengths (N,) in [1, T],
    h_last[n] = h[n, lengths[n] - 1]."""

    def run(h, lengths, case):
        out = ctx.call(fn, h, lengths, names=["h", "lengths"], case=case)
        h_last = ctx.outputs(out, ["h_last", "cache"])[0]
        N, T, H = h.shape
        hints = {(N, N, H): "h[:, lengths - 1] takes EVERY row's step for every sequence (N x N pairs): index "
                            "rows and steps together, h[np.arange(N), lengths - 1]."}
        return ctx.array("h_last", h_last, (N, H), "(N, H)", shape_hints=hints)

    for N, T, H, full in ((4, 6, 3, False), (3, 5, 2, True)):
        lengths = _lengths(rng, N, T, full)
        h = _coded(N, T, H)
        got = run(h, lengths, "a padded batch whose every state is labelled with its (row, step)")
        ref = gather_last_forward(h, lengths)[0]
        if not np.allclose(got, ref, rtol=1e-12, atol=0):
            if np.all(np.isfinite(got)):
                message = _name_steps(_which_steps(got, N, T, H), lengths, T, "h_last reads")
                if message:
                    raise Failed(message)
                mask = np.arange(T)[None, :] < lengths[:, None]
                summed = (h * mask[..., None]).sum(axis=1)
                if np.allclose(got, summed):
                    raise Failed("h_last is the SUM of the real states of each row: take only the state at the "
                                 "row's last real step, lengths[n] - 1.")
                if np.allclose(got, summed / lengths[:, None]):
                    raise Failed("h_last is the MEAN of the real states of each row (mean pooling): this function "
                                 "takes only the state at the row's last real step, lengths[n] - 1.")
                steps = _which_steps(got, N, T, H)
                if any(s is None for s in steps):
                    rows = [int(round((got[n, 0] - 1000) // 100)) for n in range(N)]
                    if sorted(rows) == list(range(N)) and rows != list(range(N)):
                        raise Failed("h_last mixes up the rows: row n must come from sequence n.")
            ctx.compare("h_last", got, ref, letters="(N, H)")
    h = rng.standard_normal((3, 4, 5)).astype(np.float32)
    lengths = np.array([4, 1, 2])
    got = run(h, lengths, "float32 states and a sequence of length 1")
    ctx.compare("h_last", got, gather_last_forward(h, lengths)[0], letters="(N, H)", tol=TOL32)
    return "h_last[n] is the state at each row's own last real step, lengths[n] - 1 (3 cases, float32 too)."


# --------------------------------------------------------------------------
# gather_last_backward
# --------------------------------------------------------------------------


def _score_backward(fn, rng):
    N, T, H = 4, 6, 3
    lengths = _lengths(rng, N, T)
    dh_last = rng.standard_normal((N, H))
    cache = (lengths, (N, T, H))
    got = fn(dh_last.copy(), (lengths.copy(), (N, T, H)))
    return compare_parts([got], [gather_last_backward(dh_last, cache)], ["dh"])


@exercise("gather_last_backward", "dh of shape (N, T, H)", scorer=_score_backward)
def check_gather_last_backward(fn, rng, ctx):
    """Check ``gather_last_backward(dh_last, cache) -> dh``: cache = (lengths, (N, T, H)) from rnnlab's forward;
    dh is zero except dh[n, lengths[n] - 1] = dh_last[n]."""

    def run(dh_last, lengths, shape, case):
        out = ctx.call(fn, dh_last, (lengths, shape), names=["dh_last", "cache"], case=case)
        if isinstance(out, tuple) and len(out) == 1:
            out = out[0]
        return ctx.array("dh", out, shape, "(N, T, H)")

    for N, T, H, full in ((4, 6, 3, False), (3, 5, 2, True)):
        lengths = _lengths(rng, N, T, full)
        dh_last = 1000 + 100 * np.arange(N)[:, None] + 0.001 * np.arange(H)[None, :]  # row n's gradient says n
        got = run(dh_last, lengths, (N, T, H), "a padded batch")
        ref = gather_last_backward(dh_last, (lengths, (N, T, H)))
        if np.allclose(got, ref, rtol=1e-12, atol=0):
            continue
        if not np.all(np.isfinite(got)):
            raise Failed("dh contains nan or inf values: start from np.zeros(shape).")
        nonzero = np.abs(got).sum(axis=2) > 0  # (N, T)
        one_step = nonzero.sum(axis=1) == 1
        if np.all(one_step):
            steps = nonzero.argmax(axis=1)
            rows_right = all(np.allclose(got[n, steps[n]], dh_last[n]) for n in range(N))
            message = _name_steps(list(steps), lengths, T, "dh puts the gradient at")
            if message and rows_right:
                raise Failed(message)
            if np.all(steps == lengths - 1) and not rows_right:
                raise Failed("dh puts a gradient at the right step of each row, but not dh_last[n] of the same "
                             "row n (the rows are mixed up, or the values changed).")
        at = [set(np.flatnonzero(nonzero[n])) for n in range(N)]
        if len(set(lengths - 1)) > 1 and all(a == set(lengths - 1) for a in at):
            raise Failed("dh puts a gradient at every row's last step in every row: dh[:, lengths - 1] selects N "
                         "steps of each row. Index rows and steps together, dh[np.arange(N), lengths - 1].")
        mask = np.arange(T)[None, :] < lengths[:, None]
        if np.allclose(got, mask[..., None] * dh_last[:, None, :]):
            raise Failed("dh copies dh_last to EVERY real step of the row: the forward read one step, so only "
                         "that step, lengths[n] - 1, gets the gradient.")
        if np.allclose(got, np.broadcast_to(dh_last[:, None, :], got.shape)):
            raise Failed("dh copies dh_last to every step (padding included): only step lengths[n] - 1 of row n "
                         "gets the gradient; every other entry is zero.")
        if np.allclose(got, mask[..., None] * (dh_last / lengths[:, None])[:, None, :]):
            raise Failed("dh spreads dh_last evenly over the real steps: that is the backward of a MEAN. The "
                         "forward read one step, so all of the gradient goes to lengths[n] - 1.")
        ctx.compare("dh", got, ref, letters="(N, T, H)", time_axis=1)
    dh_last = rng.standard_normal((3, 5)).astype(np.float32)
    lengths = np.array([2, 4, 1])
    got = run(dh_last, lengths, (3, 4, 5), "float32 gradients")
    ctx.compare("dh", got, gather_last_backward(dh_last, (lengths, (3, 4, 5))), letters="(N, T, H)", tol=TOL32)
    return ("dh is zero except at each row's own last real step, lengths[n] - 1, where it is dh_last[n] "
            "(3 cases, float32 too).")
