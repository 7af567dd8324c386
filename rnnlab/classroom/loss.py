"""Checker for the temporal softmax loss: ``temporal_softmax_loss``."""

from __future__ import annotations

import numpy as np

from ..layers import softmax, temporal_softmax_loss
from . import probes
from .context import TOL32, compare_parts, exercise
from .feedback import Failed

# --------------------------------------------------------------------------
# 4. temporal_softmax_loss
# --------------------------------------------------------------------------


def _score(fn, rng):
    N, T, V = 3, 4, 5
    scores, y = rng.standard_normal((N, T, V)), rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.7
    parts = {}
    for label, m in (("loss", None), ("dscores", None), ("loss with a mask", mask), ("dscores with a mask", mask)):
        args = (scores.copy(), y.copy()) if m is None else (scores.copy(), y.copy(), m.copy())
        loss, d = fn(*args)
        ref = temporal_softmax_loss(scores, y, m)
        k = 0 if label.startswith("loss") else 1
        parts.update(compare_parts([np.asarray(loss) if k == 0 else d], [np.asarray(ref[k])], [label]))
    return parts


@exercise("temporal_softmax_loss", "(loss, dscores)", scorer=_score)
def check_temporal_softmax_loss(fn, rng, ctx):
    """Check ``temporal_softmax_loss(scores, y, mask=None) -> (loss, dscores)``.

    scores: (N, T, V), y: (N, T) ints in [0, V), mask: (N, T) bool or None.
    loss is the mean cross-entropy over the (unmasked) positions; dscores: (N, T, V).
    """

    def student(scores, y, mask, case):
        args = (scores, y) if mask is None else (scores, y, mask)
        out = ctx.call(fn, *args, names=["scores", "y", "mask"], case=case)
        loss, dscores = ctx.outputs(out, ["loss", "dscores"])
        if np.ndim(loss) != 0:
            raise Failed(f"loss should be one number (the mean over the positions), but has shape "
                          f"{np.shape(loss)}.")
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            raise Failed(f"loss should be a number, but is a {type(loss).__name__}.") from None
        ctx.array("dscores", dscores, scores.shape, "(N, T, V)")
        return loss, dscores

    def diagnose(scores, y, mask, case):
        N, T, V = scores.shape
        loss, dscores = student(scores, y, mask, case)
        ref_loss, ref_d = temporal_softmax_loss(scores, y, mask)
        onehot = np.eye(V, dtype=scores.dtype)[y]
        w = np.ones((N, T)) if mask is None else mask.astype(np.float64)
        count = w.sum()
        p = softmax(scores)
        p2 = softmax(p)
        factors = {"N (the batch size)": N, "T (the sequence length)": T,
                   "N*T (the number of positions)": N * T, "V (the vocabulary size)": V}
        if mask is not None:
            factors["the number of unmasked positions"] = float(count)
        twice = "softmax is applied twice: the scores are turned into probabilities once, then softmax'd again."
        known_d = [
            (-ref_d, "dscores has the wrong sign: it is softmax(scores) minus one_hot(y) (probabilities minus "
                     "targets), not the other way round."),
            ((scores - onehot) * (w / count)[..., None],
             "dscores uses the raw scores where the softmax probabilities belong: apply softmax to the scores "
             "first (the gradient is probabilities minus one_hot(y))."),
            ((p2 - onehot) * (w / count)[..., None], twice),
        ]
        for axis, what in ((0, "the batch axis (axis 0)"), (1, "the time axis (axis 1)")):
            e = np.exp(scores - scores.max(axis=axis, keepdims=True))
            p_axis = e / e.sum(axis=axis, keepdims=True)
            known_d.append(((p_axis - onehot) * (w / count)[..., None],
                            f"softmax is taken over the wrong axis, {what}: each position's scores are normalised "
                            f"over the vocabulary, the last axis (axis=-1, keepdims=True)."))
        known_d.append(((p - 1) * (w / count)[..., None],
                        "dscores subtracts 1 from every class: only the target class gets -1, i.e. probabilities "
                        "minus one_hot(y) (index with y, or use np.eye(V)[y])."))
        if mask is not None:
            known_d.append(((p - onehot) / (N * T), "the mask is ignored: masked positions must get zero gradient "
                                                   "and not count in the mean."))
            known_d.append(((p - onehot) * (w / (N * T))[..., None],
                            "with a mask, divide by the number of unmasked positions, not by N*T."))
        try:
            ctx.compare("dscores", dscores, ref_d, letters="(N, T, V)", known=known_d, factors=factors)
        except Failed as f:
            if mask is None or "right shape but" not in f.message:
                raise
            bad = ~np.isclose(dscores, ref_d, rtol=1e-7, atol=1e-12).all(axis=-1)
            loss_right = abs(float(loss) - float(ref_loss)) < 1e-7 * max(1.0, abs(float(ref_loss)))
            if loss_right and not bad[mask].any():
                raise Failed("the mask is used in the loss but not in its gradient: masked positions must get zero "
                             "gradient in dscores, as they get zero weight in the loss.") from None
            where = ("at masked positions (they must get zero gradient)" if not bad[mask].any()
                     else "at unmasked positions too" if bad[~mask].any() else "at unmasked positions only")
            raise Failed(f"with a mask, dscores is wrong {where}: the mask weights each position's loss term "
                         f"(1 counted, 0 ignored) and the mean divides by the number of counted positions; it does "
                         f"not change the scores.") from None
        logp_y = np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
        logp2_y = np.log(np.take_along_axis(p2, y[..., None], -1)[..., 0])
        known_l = [(np.array(-(w * logp2_y).sum() / count), twice),
                   (np.array(-(w * np.exp(logp_y)).sum() / count),
                    "the loss averages the probability of the target, not its log: the cross-entropy is "
                    "-log softmax(scores)[y], averaged over the positions.")]
        if mask is not None:
            known_l.append((np.array(-logp_y.mean()), "the mask is ignored in the loss: only unmasked "
                                                       "positions count."))
            known_l.append((np.array(-(w * logp_y).sum() / (N * T)),
                            "with a mask, divide the loss by the number of unmasked positions, not by N*T."))
        try:
            ctx.compare("the loss", np.array(loss), np.array(ref_loss), letters="()", known=known_l,
                        factors=factors)
        except Failed as f:
            if "right direction" not in f.message and "right shape" not in f.message:
                raise
            raise Failed("the loss is wrong while dscores is right: compute it from the same log-probabilities, "
                         "log_softmax = shifted - log(sum(exp(shifted))) with ONE shift, then -mean over the "
                         "positions of the target's entry.") from None
        if scores.dtype == np.float32 and dscores.dtype != np.float32:
            raise Failed("dscores should keep the dtype of scores (float32 here).")

    for N, T, V in [(3, 4, 6), (2, 5, 7)]:
        scores = rng.standard_normal((N, T, V))
        y = rng.integers(0, V, size=(N, T))
        diagnose(scores, y, None, f"N={N}, T={T}, V={V}")
    N, T, V = 4, 3, 5
    scores = rng.standard_normal((N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.6
    mask[0, 0] = True
    diagnose(scores, y, mask, "a mask")

    # Large scores: exp(1000) overflows unless the row max is subtracted first.
    scores = 1000 + 5 * rng.standard_normal((2, 3, 4))
    y = rng.integers(0, 4, size=(2, 3))
    loss, dscores = student(scores, y, None, "scores around 1000")
    if not (np.isfinite(loss) and np.all(np.isfinite(dscores))):
        raise Failed("with large scores (around 1000) the loss or dscores is nan or inf: exp overflows. "
                      "Subtract each row's max before exp; softmax does not change when you shift the scores.")
    diagnose(scores, y, None, "scores around 1000")

    scores32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = rng.integers(0, 4, size=(2, 3))
    loss, dscores = student(scores32, y, None, "float32 scores")
    ctx.compare("dscores", dscores, temporal_softmax_loss(scores32, y)[1], letters="(N, T, V)", tol=TOL32)
    return ("loss and dscores agree with rnnlab on 3 random cases (one with a mask), with scores around 1000 "
            "(no overflow) and with float32 scores.")

