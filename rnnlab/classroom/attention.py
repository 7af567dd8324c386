"""Checkers for scaled dot-product attention with a source mask: ``dot_attention_forward`` and
``dot_attention_backward`` (rnnlab.attention's convention: softmax over the source axis, weight
exactly 0 at padding, scores divided by sqrt(d)).

The forward checker probes the weights the student computed instead of matching known wrong
answers: which axis sums to 1, whether masked positions get weight and whether the rows still
sum to 1, and which scale the scores were multiplied by (recovered from log alpha, which is the
score up to a constant per row).  The backward checker sends a gradient through one query at a
time and names what is missing (the softmax's backward, its row-sum term, the 1/sqrt(d) factor).
"""

from __future__ import annotations

import numpy as np

from ..attention import dot_attention_backward, dot_attention_forward
from . import probes
from .context import TOL32, compare_parts, exercise
from .feedback import Failed

_GRADS = ["dq", "dk", "dv"]


def _case(rng, N=2, Tq=3, Ts=5, d=9, dv=4, dtype=np.float64, full=False):
    q = rng.standard_normal((N, Tq, d)).astype(dtype)
    k = rng.standard_normal((N, Ts, d)).astype(dtype)
    v = rng.standard_normal((N, Ts, dv)).astype(dtype)
    lengths = np.full(N, Ts) if full else np.maximum(2, Ts - np.arange(N) * 2)
    mask = np.arange(Ts)[None, :] < lengths[:, None]
    return q, k, v, mask


def _softmax(e, axis=-1):
    e = e - e.max(axis=axis, keepdims=True)
    p = np.exp(e)
    return p / p.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------
# dot_attention_forward
# --------------------------------------------------------------------------


def _score_forward(fn, rng):
    q, k, v, mask = _case(rng)
    got = fn(q.copy(), k.copy(), v.copy(), mask.copy())
    ctx, alpha, _ = dot_attention_forward(q, k, v, mask)
    return compare_parts(got[:2], [ctx, alpha], ["ctx", "alpha"])


def _name_scale(alpha, e_true, mask_b):
    """The factor s with alpha = softmax(s * e_true) on the real positions, or None."""
    with np.errstate(all="ignore"):
        la = np.log(alpha)
    if not np.all(np.isfinite(la[mask_b])):
        return None
    # log alpha = s * e + c_row: centre both on the real positions of each row, then least squares
    la = np.where(mask_b, la, 0.0)
    e = np.where(mask_b, e_true, 0.0)
    cnt = mask_b.sum(axis=-1, keepdims=True)
    la_c = np.where(mask_b, la - la.sum(-1, keepdims=True) / cnt, 0.0)
    e_c = np.where(mask_b, e - e.sum(-1, keepdims=True) / cnt, 0.0)
    s, exact = probes.best_scale(la_c, e_c)
    return s if exact else None


def _diagnose_alpha(alpha, q, k, mask):
    """A sentence naming what is wrong with the weights alpha (N, Tq, Ts), or None if they are right."""
    d = q.shape[2]
    e = q @ k.transpose(0, 2, 1)  # unscaled scores
    ref = dot_attention_forward(q, k, mask=mask, v=np.zeros(k.shape[:2] + (1,), q.dtype))[1]
    if probes.close(alpha, ref, 1e-6):
        return None
    if not np.all(np.isfinite(alpha)):
        if np.any(np.isnan(alpha)):
            return ("alpha contains nan: a row where every score is -inf gives 0/0, or the mask was applied "
                    "with -inf AFTER exp. Put -inf into the masked SCORES, then subtract each row's max and "
                    "take exp.")
        return "alpha contains inf values: subtract each row's maximum score before np.exp."
    mask_b = np.broadcast_to(mask[:, None, :], alpha.shape)
    rows_q, rows_b = alpha.sum(axis=1), alpha.sum(axis=0)
    if not np.allclose(alpha.sum(axis=-1), 1, atol=1e-6):
        if np.allclose(rows_q, 1, atol=1e-6):
            return ("the softmax is taken over the wrong axis: alpha sums to 1 over the QUERY axis (axis 1). Each "
                    "query's weights over the source positions must sum to 1: normalise over the last axis (Ts).")
        if np.allclose(rows_b, 1, atol=1e-6):
            return ("the softmax is taken over the wrong axis: alpha sums to 1 over the batch axis (axis 0). "
                    "Normalise over the last axis, the source positions (Ts).")
        if np.allclose(alpha.sum(axis=(1, 2)), 1, atol=1e-6) or np.isclose(alpha.sum(), 1):
            return ("the softmax is normalised over more than one axis: each query's weights over the source "
                    "positions (the last axis) must sum to 1 on their own.")
        masked_zero = np.all(alpha[~mask_b] == 0)
        padded = ~mask.all(axis=1)  # rows with padding lose the weight the mask removed
        if masked_zero and np.all(alpha.sum(-1)[padded] < 1 - 1e-9) and np.allclose(alpha.sum(-1)[~padded], 1):
            return ("the mask is applied after the softmax: the padded positions get weight 0 but the rows no "
                    "longer sum to 1. Set the masked SCORES to -inf before the softmax, so the real positions "
                    "share all the weight.")
        return ("the rows of alpha do not sum to 1: alpha must be a softmax over the source positions (the "
                "last axis) of each query's scores.")
    if np.any(alpha[~mask_b] > 1e-9):
        unmasked = _softmax(e / np.sqrt(d))
        if probes.close(alpha, unmasked):
            return ("the mask is ignored: padded source positions (mask False) get weight. Set their scores to "
                    "-inf before the softmax so that they get weight exactly 0.")
        zero_filled = _softmax(np.where(mask_b, e / np.sqrt(d), 0.0))
        if probes.close(alpha, zero_filled):
            return ("masked scores are set to 0 instead of -inf: exp(0) = 1, so padded positions still get "
                    "weight. Use -inf (or a very large negative number).")
        padded = ~mask.all(axis=1)
        if np.any(padded) and np.all(alpha[padded][mask_b[padded]] < 1e-9):
            return ("the mask is inverted: the REAL positions (mask True) get weight 0 and the padding gets all "
                    "of it. mask is True at real source steps.")
        return ("padded source positions (mask False) get weight: they must get weight exactly 0. Set their "
                "scores to -inf before the softmax.")
    if alpha.shape[1] == alpha.shape[2]:
        t = _softmax(np.where(mask_b, (e / np.sqrt(d)).transpose(0, 2, 1), -np.inf))
        if probes.close(alpha, t):
            return ("alpha is transposed: alpha[n, t, j] must be the weight of source position j for query t, "
                    "computed from q[n, t] . k[n, j] (scores q @ k.transpose(0, 2, 1), not k @ q.T).")
    s = _name_scale(alpha, e, mask_b)
    if s is not None:
        named = {1.0: "the scores are not scaled: divide q . k by sqrt(d)",
                 np.sqrt(d): "the scores are multiplied by sqrt(d) instead of divided by it",
                 1 / d: "the scores are divided by d instead of sqrt(d)",
                 -1 / np.sqrt(d): "the scores have the wrong sign: the best-matching key must get the LARGEST weight",
                 1 / np.sqrt(alpha.shape[2]): "the scores are divided by sqrt(Ts), the square root of the source "
                                              "length: d is the size of the last axis of q and k"}
        for value, what in named.items():
            if abs(s - value) < 1e-6 * max(1, abs(value)):
                return (f"{what} (here d = {d}). The scale is read from the weights: log alpha is the score up "
                        f"to a constant per row.")
        if abs(s - 1 / np.sqrt(d)) > 1e-6:
            return (f"the weights are a softmax of the right scores times {s * np.sqrt(d):.3g}: check the "
                    f"scale, e = q . k / sqrt(d) with d = {d}, the size of the last axis of q.")
    return ("alpha sums to 1 over the source positions and is 0 at padding, but it is not softmax(q . k / "
            "sqrt(d)) of each query and key of the same batch row.")


@exercise("dot_attention_forward", "(ctx, alpha, cache)", scorer=_score_forward)
def check_dot_attention_forward(fn, rng, ctx):
    """Check ``dot_attention_forward(q, k, v, mask) -> (ctx, alpha, cache)``.

    q: (N, Tq, d), k: (N, Ts, d), v: (N, Ts, dv), mask: (N, Ts) bool, True at real source steps;
    alpha = softmax over the source axis of q k^T / sqrt(d), 0 where mask is False; ctx = alpha v.
    """
    names = ["q", "k", "v", "mask"]

    def run(q, k, v, mask, case):
        out = ctx.call(fn, q, k, v, mask, names=names, case=case,
                       error_hint="A shape error here often means the mask (N, Ts) is broadcast along the wrong "
                                  "axis: against the scores (N, Tq, Ts) it is mask[:, None, :].")
        c, alpha = ctx.outputs(out, ["ctx", "alpha", "cache"])[:2]
        N, Tq, Ts = q.shape[0], q.shape[1], k.shape[1]
        hints = {(N, Ts, Tq): "It looks transposed: alpha[n, t, j] is the weight of source step j for query t."}
        ctx.array("alpha", alpha, (N, Tq, Ts), "(N, Tq, Ts)", shape_hints=hints)
        ctx.array("ctx", c, (N, Tq, v.shape[2]), "(N, Tq, dv)", shape_hints={
            (N, Tq, k.shape[2]): "It has the size of the keys: ctx is a weighted sum of the KEYS here, but the "
                                 "context is the weighted sum of the values, alpha @ v."})
        return c, alpha

    for sizes, case in (((2, 3, 5, 9, 4), "a padded batch (mask with False entries)"),
                        ((3, 4, 4, 4, 2), "as many queries as source steps"),
                        ((2, 2, 6, 16, 3), "d = 16 and a padded batch")):
        q, k, v, mask = _case(rng, *sizes)
        c, alpha = run(q, k, v, mask, case)
        ref_ctx, ref_alpha, _ = dot_attention_forward(q, k, v, mask)
        message = _diagnose_alpha(np.asarray(alpha, dtype=np.float64), q, k, mask)
        if message:
            raise Failed(message)
        ctx.compare("alpha", alpha, ref_alpha, letters="(N, Tq, Ts)")
        known = [(alpha @ k if k.shape == v.shape else None,
                  "ctx is a weighted sum of the KEYS: the context is the weighted sum of the values, alpha @ v."),
                 (np.repeat(v.mean(axis=1, keepdims=True), q.shape[1], axis=1),
                  "ctx is the plain mean of the values: weight them by alpha, ctx = alpha @ v."),
                 (np.repeat((ref_alpha.sum(axis=1)[..., None] * v).sum(axis=1, keepdims=True), q.shape[1], axis=1),
                  "ctx sums over the queries: each query t has its own context, ctx[:, t] = alpha[:, t] @ v.")]
        ctx.compare("ctx", c, ref_ctx, letters="(N, Tq, dv)", known=known)
    # large scores: exp overflows unless the row max is subtracted
    q, k, v, mask = _case(rng, 2, 3, 4, 4, 2, full=True)
    q = q * 1000
    c, alpha = run(q, k, v, mask, "large scores (around 1000)")
    if not np.all(np.isfinite(alpha)):
        raise Failed("with large scores (around 1000) alpha contains nan or inf: exp overflows. Subtract each "
                     "row's maximum score before np.exp (the softmax does not change).")
    ctx.compare("alpha", alpha, dot_attention_forward(q, k, v, mask)[1], letters="(N, Tq, Ts)")
    q, k, v, mask = _case(rng, dtype=np.float32)
    c, alpha = run(q, k, v, mask, "float32 inputs")
    ref_ctx, ref_alpha, _ = dot_attention_forward(q, k, v, mask)
    ctx.compare("alpha", alpha, ref_alpha, letters="(N, Tq, Ts)", tol=TOL32)
    ctx.compare("ctx", c, ref_ctx, letters="(N, Tq, dv)", tol=TOL32)
    return ("the weights are a softmax over the source positions of q . k / sqrt(d), exactly 0 at padding, and "
            "ctx = alpha @ v (4 cases, including large scores and float32).")


# --------------------------------------------------------------------------
# dot_attention_backward
# --------------------------------------------------------------------------


def _score_backward(fn, rng):
    q, k, v, mask = _case(rng)
    _, _, cache = dot_attention_forward(q, k, v, mask)
    dctx = rng.standard_normal((q.shape[0], q.shape[1], v.shape[2]))
    got = fn(dctx.copy(), tuple(a.copy() if isinstance(a, np.ndarray) else a for a in cache))
    return compare_parts(got, dot_attention_backward(dctx, cache), _GRADS)


def _candidates(dctx, cache):
    """{phrase: (dq, dk)} for the usual ways the gradient through the softmax goes wrong."""
    q, k, v, alpha, scale = cache
    dalpha = dctx @ v.transpose(0, 2, 1)
    d = q.shape[2]
    out = {}

    def grads(de):
        return de @ k, de.transpose(0, 2, 1) @ q

    out["the softmax's backward is missing: de = dalpha was used as if the scores were the weights. Go back "
        "through the softmax row by row, de = alpha * (dalpha - sum_j alpha_j dalpha_j)"] = grads(dalpha * scale)
    out["the softmax's backward misses its second term: de = alpha * dalpha is only the diagonal of the "
        "softmax's Jacobian; subtract alpha * sum_j alpha_j dalpha_j (each row sums to 1, so one weight's gain is "
        "the others' loss)"] = grads(alpha * dalpha * scale)
    wrong_axis = alpha * (dalpha - (alpha * dalpha).sum(axis=1, keepdims=True))
    out["the softmax's backward sums over the wrong axis: the sum_j alpha_j dalpha_j runs over the source "
        "positions (the last axis), the axis the softmax normalised"] = grads(wrong_axis * scale)
    out["the softmax's backward subtracts alpha * dalpha elementwise where the row sum sum_j alpha_j dalpha_j "
        "belongs"] = grads(alpha * (dalpha - alpha * dalpha) * scale)
    right = alpha * (dalpha - (alpha * dalpha).sum(axis=-1, keepdims=True))
    out[f"dq and dk miss the factor 1/sqrt(d) of the scores (here d = {d}): e = q . k / sqrt(d), so both "
        f"gradients are scaled by it too"] = grads(right)
    out[f"dq and dk are divided by d instead of sqrt(d) (here d = {d})"] = grads(right / d)
    out["dalpha is taken from the keys instead of the values: dalpha_tj = dctx_t . v_j"] = (
        grads(alpha * ((dctx @ k.transpose(0, 2, 1)) - (alpha * (dctx @ k.transpose(0, 2, 1))).sum(
            -1, keepdims=True)) * scale) if k.shape == v.shape else (None, None))
    return out


@exercise("dot_attention_backward", "(dq, dk, dv)", scorer=_score_backward)
def check_dot_attention_backward(fn, rng, ctx):
    """Check ``dot_attention_backward(dctx, cache) -> (dq, dk, dv)`` with rnnlab's forward cache
    ``(q, k, v, alpha, scale)``: alpha (N, Tq, Ts) the weights (0 at padding), scale = 1/sqrt(d)."""

    def run(cache, dctx, case):
        out = ctx.call(fn, dctx, cache, names=["dctx", "cache"], case=case)
        return ctx.outputs(out, _GRADS)

    # the square case first: a missing transpose gives values to diagnose instead of a shape error
    for sizes, case in (((3, 4, 4, 4, 4), "Tq = Ts and d = dv"), ((2, 3, 5, 9, 4), "a padded batch"),
                        ((2, 2, 6, 16, 3), "d = 16 and a padded batch")):
        q, k, v, mask = _case(rng, *sizes)
        N, Tq, Ts, d, dv_ = q.shape[0], q.shape[1], k.shape[1], q.shape[2], v.shape[2]
        _, alpha, cache = dot_attention_forward(q, k, v, mask)
        dctx = rng.standard_normal((N, Tq, dv_))
        got = run(cache, dctx, case)
        ref = dot_attention_backward(dctx, cache)
        ctx.array("dq", got[0], (N, Tq, d), "(N, Tq, d)")
        ctx.array("dk", got[1], (N, Ts, d), "(N, Ts, d)",
                  shape_hints={(N, Tq, d): "dk has one row per SOURCE step: dk = de.transpose(0, 2, 1) @ q."})
        ctx.array("dv", got[2], (N, Ts, dv_), "(N, Ts, dv)",
                  shape_hints={(N, Tq, dv_): "dv has one row per source step: "
                                             "dv = alpha.transpose(0, 2, 1) @ dctx."})
        ctx.compare("dv", got[2], ref[2], letters="(N, Ts, dv)",
                    known=[(alpha @ dctx if Tq == Ts else None,
                            "dv uses alpha where its transpose belongs: dv has one row per source step, "
                            "dv_j = sum_t alpha_tj dctx_t, alpha.transpose(0, 2, 1) @ dctx.")])
        dq, dk = got[0], got[1]
        if not np.any(dq) and not np.any(dk):
            raise Failed("dq and dk are all zeros: the weights alpha were treated as constants. They depend on q "
                         "and k through the scores, so the gradient must also go back through the softmax.")
        right_q, right_k = probes.close(dq, ref[0], 1e-7), probes.close(dk, ref[1], 1e-7)
        if not (right_q and right_k):
            for phrase, (cq, ck) in _candidates(dctx, cache).items():
                if cq is None:
                    continue
                if (probes.close(dq, cq) or right_q) and (probes.close(dk, ck) or right_k):
                    if right_q or right_k:  # one of the two is right: say which one the phrase is about
                        wrong, ok = ("dk", "dq") if right_q else ("dq", "dk")
                        phrase = (phrase.replace("dq and dk miss", f"{wrong} misses")
                                  .replace("dq and dk are", f"{wrong} is")
                                  .replace("so both gradients are scaled by it too", f"so {wrong} is scaled by it too"))
                        if not phrase.startswith(wrong):
                            phrase = f"{wrong} is wrong ({ok} is right): " + phrase
                    raise Failed(phrase + ".")
            de_sw = alpha * ((dctx @ v.transpose(0, 2, 1)) - (alpha * (dctx @ v.transpose(0, 2, 1))).sum(
                -1, keepdims=True)) * cache[4]
            if Tq == Ts and probes.close(dq, de_sw.transpose(0, 2, 1) @ q) and probes.close(dk, de_sw @ k):
                raise Failed("dq and dk are swapped: dq_t = sum_j de_tj k_j (de @ k) comes from the KEYS, and "
                             "dk_j = sum_t de_tj q_t (de.transpose(0, 2, 1) @ q) from the queries.")
            de_ref = alpha * ((dctx @ v.transpose(0, 2, 1)) - (alpha * (dctx @ v.transpose(0, 2, 1))).sum(
                -1, keepdims=True)) * cache[4]
            known_k = [(de_ref @ q if Tq == Ts else None,
                        "dk uses de where its transpose belongs: dk has one row per SOURCE step, "
                        "dk_j = sum_t de_tj q_t, de.transpose(0, 2, 1) @ q."),
                       (de_ref.transpose(0, 2, 1) @ k if Tq == Ts else None,
                        "dk is built from the keys: dk_j = sum_t de_tj q_t uses the QUERIES.")]
            known_q = [(de_ref.transpose(0, 2, 1) @ k if Tq == Ts else None,
                        "dq uses de transposed: dq_t = sum_j de_tj k_j, de @ k."),
                       (de_ref @ q if q.shape == k.shape else None,
                        "dq is built from the queries: dq_t = sum_j de_tj k_j uses the KEYS.")]
            ctx.compare("dq", dq, ref[0], letters="(N, Tq, d)", known=known_q,
                        factors={"sqrt(d)": np.sqrt(d)})
            ctx.compare("dk", dk, ref[1], letters="(N, Ts, d)", known=known_k,
                        factors={"sqrt(d)": np.sqrt(d)})
        masked = ~np.broadcast_to(mask[:, :, None], dk.shape)
        if np.any(np.abs(dk[masked]) > 1e-12):
            raise Failed("dk is not zero at padded source steps: they got weight 0, so they get no gradient.")
    q, k, v, mask = _case(rng, dtype=np.float32)
    _, _, cache = dot_attention_forward(q, k, v, mask)
    dctx = rng.standard_normal((q.shape[0], q.shape[1], v.shape[2])).astype(np.float32)
    got = run(cache, dctx, "float32 inputs")
    for name, g, r, letters in zip(_GRADS, got, dot_attention_backward(dctx, cache),
                                   ("(N, Tq, d)", "(N, Ts, d)", "(N, Ts, dv)")):
        ctx.compare(name, g, r, letters=letters, tol=TOL32)
    return ("dq, dk and dv match rnnlab's backward (and so numerical gradients) through the masked softmax and the "
            "1/sqrt(d) scale (4 cases, including float32).")
