"""Checkers for one GRU step: ``gru_step_forward`` and ``gru_step_backward``.

Blocks [r | z | n] as in rnnlab.gru and PyTorch:
r = sigma(a_r), z = sigma(a_z), n = tanh(x Wx_n + b_n + r * (h_prev Wh_n + b_hn)),
h_next = (1 - z) * n + z * h_prev.

The forward checker isolates the two ways into h_next (h_prev = 0 leaves the candidate path
alone) and compares with structured variants of the step (update gate the other way round,
reset gate applied before the matrix, b_hn outside the reset gate, an activation swapped, gate
blocks permuted).  The backward checker compares with the matching structured variants of the
gradient (the direct path z * dh missing, the reset gate missing on the candidate's recurrent
gradient, ...) and names the gate block that is wrong when none fits.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..gru import gru_step_backward, gru_step_forward
from . import probes
from .context import TOL, TOL32, compare_parts, exercise
from .feedback import Failed
from .inputs import STEP_SIZES, rnn_params

GATES = "rzn"
GATE_NAMES = {"r": "reset gate r", "z": "update gate z", "n": "candidate n"}
_NAMES = ["x", "h_prev", "Wx", "Wh", "b", "b_hn"]


def _sig(a):
    return 0.5 * (1 + np.tanh(0.5 * a))  # no overflow for large |a|


def _block(H, gate):
    k = GATES.index(gate)
    return slice(k * H, (k + 1) * H)


def gru_variant(x, h_prev, Wx, Wh, b, b_hn, *, order=GATES, update="pytorch", reset="after", bhn="inside",
                n_act="tanh", gate_act="sigmoid", use_bhn=True, no_rec=""):
    """h_next of a GRU step written with the given choices; defaults are the course's step.

    update: "pytorch" h = (1-z) n + z h_prev, "swapped" h = z n + (1-z) h_prev;
    reset: "after" r * (h_prev @ Wh_n + b_hn), "before" (r * h_prev) @ Wh_n + b_hn;
    bhn: "inside" the reset gate or "outside" it.
    """
    H = h_prev.shape[1]
    ax = x @ Wx + b
    ah = h_prev @ Wh
    blk = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(order)}
    act = _sig if gate_act == "sigmoid" else np.tanh
    r = act(ax[:, blk["r"]] + (0 if "r" in no_rec else ah[:, blk["r"]]))
    z = act(ax[:, blk["z"]] + (0 if "z" in no_rec else ah[:, blk["z"]]))
    bias = b_hn if use_bhn else 0
    if reset == "before":
        rec = (r * h_prev) @ Wh[:, blk["n"]] + bias
    elif reset == "none":
        rec = ah[:, blk["n"]] + bias
    elif bhn == "inside":
        rec = r * (ah[:, blk["n"]] + bias)
    elif bhn == "twice":
        rec = r * (ah[:, blk["n"]] + bias) + bias
    else:
        rec = r * ah[:, blk["n"]] + bias
    pre_n = ax[:, blk["n"]] + rec
    n = np.tanh(pre_n) if n_act == "tanh" else _sig(pre_n)
    return {"pytorch": (1 - z) * n + z * h_prev, "swapped": z * n + (1 - z) * h_prev,
            "no old state": (1 - z) * n, "no mix": n}[update]


def _order_text(order):
    return "[" + ", ".join(order) + "]"


_FWD_MISTAKES = [
    ({"update": "swapped"}, "the update gate is used the other way round: in this course (and PyTorch) "
                            "h_next = (1 - z) * n + z * h_prev, so z near 1 KEEPS the old state."),
    ({"no_rec": "z"}, "the update gate z misses its recurrent term: z = sigmoid(x @ Wx_z + b_z + h_prev @ Wh_z), "
                      "so the gate can depend on the previous state."),
    ({"no_rec": "r"}, "the reset gate r misses its recurrent term: r = sigmoid(x @ Wx_r + b_r + h_prev @ Wh_r)."),
    ({"no_rec": "rz"}, "the gates r and z miss their recurrent terms h_prev @ Wh_r and h_prev @ Wh_z."),
    ({"update": "no old state"}, "the old state is missing from the mix: h_next = (1 - z) * n + z * h_prev, so "
                                 "the term z * h_prev carries the memory forward."),
    ({"update": "no mix"}, "the update gate is not used: h_next is not the candidate n alone but the mix "
                           "(1 - z) * n + z * h_prev."),
    ({"reset": "before"}, "the reset gate is applied to h_prev before the matrix, (r * h_prev) @ Wh_n: here it "
                          "multiplies the whole recurrent term, r * (h_prev @ Wh_n + b_hn) (PyTorch's form)."),
    ({"reset": "none"}, "the reset gate is missing: the candidate's recurrent term is scaled by r, "
                        "n = tanh(x @ Wx_n + b_n + r * (h_prev @ Wh_n + b_hn))."),
    ({"bhn": "outside"}, "b_hn is added outside the reset gate: it belongs inside, r * (h_prev @ Wh_n + b_hn), "
                         "which is why it is a separate bias."),
    ({"bhn": "twice"}, "b_hn is added twice, inside and outside the reset gate: it belongs only inside, "
                       "r * (h_prev @ Wh_n + b_hn)."),
    ({"use_bhn": False}, "b_hn is missing: the candidate is n = tanh(x @ Wx_n + b_n + r * (h_prev @ Wh_n + b_hn))."),
    ({"n_act": "sigmoid"}, "the candidate n uses a sigmoid: it is tanh(...), values in (-1, 1); the sigmoid is "
                           "for the gates r and z."),
    ({"gate_act": "tanh"}, "the gates r and z use tanh: they are fractions in (0, 1), so they use the sigmoid."),
] + [({"order": "".join(p)},
      f"the gate blocks are read in the order {_order_text(''.join(p))}; the course's order is [r, z, n]: "
      f"r = a[:, 0:H], z = a[:, H:2H], n = a[:, 2H:3H].")
     for p in permutations(GATES) if "".join(p) != GATES]


def _inputs(rng, N, D, H, dtype=np.float64):
    x = rng.standard_normal((N, D)).astype(dtype)
    h_prev = rng.standard_normal((N, H)).astype(dtype)
    Wx, Wh, b = rnn_params(rng, D, H, dtype, scale=0.7, gates=3)
    b_hn = (0.7 * rng.standard_normal(H)).astype(dtype)
    return [x, h_prev, Wx, Wh, b, b_hn]


def _score_forward(fn, rng):
    args = _inputs(rng, 3, 4, 5)
    h = fn(*[a.copy() for a in args])[0]
    return compare_parts([h], [gru_step_forward(*args)[0]], ["h_next"])


@exercise("gru_step_forward", "(h_next, cache)", scorer=_score_forward)
def check_gru_step_forward(fn, rng, ctx):
    """Check ``gru_step_forward(x, h_prev, Wx, Wh, b, b_hn) -> (h_next, cache)``.

    x: (N, D), h_prev: (N, H), Wx: (D, 3H), Wh: (H, 3H), b: (3H,), b_hn: (H,); h_next: (N, H).
    """
    hint = "Shapes: Wx is (D, 3H), Wh is (H, 3H), so x @ Wx + b and h_prev @ Wh are (N, 3H), blocks [r, z, n]."

    def student(args, case):
        out = ctx.call(fn, *args, names=_NAMES, case=case, error_hint=hint)
        h_next = ctx.outputs(out, ["h_next", "cache"])[0]
        return ctx.array("h_next", h_next, args[1].shape, "(N, H)")

    def diagnose(args, case, generic=None):
        got = student(args, case)
        ref = gru_step_forward(*args)[0]
        if rel_error(got, ref) < TOL:
            return
        known = [(gru_variant(*args, **kw), msg) for kw, msg in _FWD_MISTAKES]
        fits = {msg for cand, msg in known if probes.close(got, cand)}
        if len(fits) > 1:
            return  # this probe cannot tell these mistakes apart: the random cases will
        try:
            ctx.compare("h_next", got, ref, letters="(N, H)", known=known)
        except Failed as f:
            if generic and ("right shape but" in f.message):
                raise Failed(generic) from None
            raise

    N, D, H = STEP_SIZES[0]
    args = _inputs(rng, N, D, H)
    student(args, f"N={N}, D={D}, H={H}")
    # The candidate path alone: with h_prev = 0, h_next = (1 - z) * tanh(x @ Wx_n + b_n + r * b_hn).
    zero_h = [args[0], np.zeros_like(args[1]), *args[2:]]
    diagnose(zero_h, "h_prev = 0", generic=(
        "with h_prev = 0 the step is h_next = (1 - z) * n with n = tanh(x @ Wx_n + b_n + r * b_hn), and yours "
        "differs: check the candidate n and how z weighs it."))
    for j, (N, D, H) in enumerate(STEP_SIZES):
        diagnose(args if j == 0 else _inputs(rng, N, D, H), f"N={N}, D={D}, H={H}")
    args32 = _inputs(rng, 3, 5, 4, np.float32)
    ctx.compare("h_next", student(args32, "float32 inputs"), gru_step_forward(*args32)[0], letters="(N, H)",
                tol=TOL32)
    return (f"h_next agrees with rnnlab with h_prev = 0, on {len(STEP_SIZES)} random cases and on a float32 "
            f"case.")


_GRADS = ["dx", "dh_prev", "dWx", "dWh", "db", "db_hn"]
_COMPARE_ORDER = ["db", "db_hn", "dWx", "dWh", "dx", "dh_prev"]
_GATE_HINTS = {
    "r": "dr = dn_pre * (h_prev @ Wh_n + b_hn), then * r * (1 - r)",
    "z": "dz = dh_next * (h_prev - n), then * z * (1 - z)",
    "n": "dn_pre = dh_next * (1 - z) * (1 - n**2)",
}


def gru_backward_variant(dh, cache, *, direct=True, dz_sign=1, reset_in_dh=True, n_grad="tanh", order=GATES,
                         bhn_from="h"):
    """The six gradients of a GRU step backward written with the given choices; defaults are right.

    direct: include the path h_next = ... + z * h_prev in dh_prev (True, False or "1 - z"); dz_sign: -1 for (n - h_prev);
    reset_in_dh: multiply the candidate's recurrent gradient by r; n_grad: "tanh" or "sigmoid";
    bhn_from: "h" (r * dn_pre, right) or "x" (dn_pre without r).
    """
    x, h_prev, Wx, Wh, gates, hn = cache
    H = h_prev.shape[1]
    blk = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(order)}
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    dn_pre = dh * (1 - z) * ((1 - n**2) if n_grad == "tanh" else n * (1 - n))
    da_x = np.empty_like(gates)
    da_h = np.empty_like(gates)
    da_x[:, blk["r"]] = dn_pre * hn * r * (1 - r)
    da_x[:, blk["z"]] = dz_sign * dh * (h_prev - n) * z * (1 - z)
    da_x[:, blk["n"]] = dn_pre
    da_h[:, blk["r"]] = da_x[:, blk["r"]]
    da_h[:, blk["z"]] = da_x[:, blk["z"]]
    da_h[:, blk["n"]] = dn_pre * r if reset_in_dh else dn_pre
    dh_prev = da_h @ Wh.T + {True: dh * z, False: 0, "1 - z": dh * (1 - z)}[direct]
    db_hn = (da_h[:, blk["n"]] if bhn_from == "h" else dn_pre).sum(axis=0)
    return {"dx": da_x @ Wx.T, "dh_prev": dh_prev, "dWx": x.T @ da_x, "dWh": h_prev.T @ da_h,
            "db": da_x.sum(axis=0), "db_hn": db_hn}


_BWD_MISTAKES = [
    ({"direct": False}, "dh_prev misses the direct path: h_next = (1 - z) * n + z * h_prev, so h_prev also gets "
                        "dh_next * z, besides what comes back through the matrices."),
    ({"direct": "1 - z"}, "the direct path into dh_prev uses (1 - z): h_next = (1 - z) * n + z * h_prev, so "
                          "h_prev gets dh_next * z directly."),
    ({"dz_sign": -1}, "dz has the wrong sign: h_next = (1 - z) * n + z * h_prev, so dz = dh_next * (h_prev - n), "
                      "not (n - h_prev)."),
    ({"reset_in_dh": False}, "the reset gate is missing on the candidate's recurrent path: n sees h_prev @ Wh_n "
                             "through r * (...), so that block of da_h is dn_pre * r."),
    ({"bhn_from": "x"}, "db_hn misses the reset gate: b_hn sits inside r * (h_prev @ Wh_n + b_hn), so "
                        "db_hn = sum(dn_pre * r)."),
    ({"n_grad": "sigmoid"}, "the candidate's derivative is the sigmoid's n * (1 - n), but n = tanh(.): its "
                            "derivative is 1 - n**2."),
] + [({"order": "".join(p)},
      f"the gate blocks are written in the order {_order_text(''.join(p))}; the course's order is [r, z, n].")
     for p in permutations(GATES) if "".join(p) != GATES]


def _letters(N, D, H):
    return {"dx": ((N, D), "(N, D)"), "dh_prev": ((N, H), "(N, H)"), "dWx": ((D, 3 * H), "(D, 3H)"),
            "dWh": ((H, 3 * H), "(H, 3H)"), "db": ((3 * H,), "(3H,)"), "db_hn": ((H,), "(H,)")}


def _score_backward(fn, rng):
    args = _inputs(rng, 3, 4, 5)
    _, cache = gru_step_forward(*args)
    dh = rng.standard_normal((3, 5))
    got = fn(dh.copy(), tuple(c.copy() for c in cache))
    return compare_parts(got, gru_step_backward(dh, cache), _GRADS)


@exercise("gru_step_backward", "(dx, dh_prev, dWx, dWh, db, db_hn)", scorer=_score_backward)
def check_gru_step_backward(fn, rng, ctx):
    """Check ``gru_step_backward(dh_next, cache) -> (dx, dh_prev, dWx, dWh, db, db_hn)``.

    cache comes from rnnlab's gru_step_forward: (x, h_prev, Wx, Wh, gates, hn), gates (N, 3H) the
    values of [r, z, n], hn (N, H) = h_prev @ Wh_n + b_hn.
    """

    def make(N, D, H, dtype=np.float64):
        args = _inputs(rng, N, D, H, dtype)
        _, cache = gru_step_forward(*args)
        return args, cache, rng.standard_normal((N, H)).astype(dtype)

    def student(dh, cache, case):
        out = ctx.call(fn, dh, cache, names=["dh_next", "cache"], case=case,
                       mutation_hint="Compute into new arrays, not into dh_next or the cache.")
        grads = dict(zip(_GRADS, ctx.outputs(out, _GRADS)))
        N, D = cache[0].shape
        H = cache[1].shape[1]
        for k in _GRADS:
            ctx.array(k, grads[k], *_letters(N, D, H)[k])
        return grads

    def diagnose(grads, ref, dh, cache):
        H = cache[1].shape[1]
        wrong = [(gru_backward_variant(dh, cache, **kw), m) for kw, m in _BWD_MISTAKES]
        bad = [k for k in _GRADS if grads[k].dtype == ref[k].dtype and rel_error(grads[k], ref[k]) >= TOL]
        if probes.all_negated([grads[k] for k in _GRADS], [ref[k] for k in _GRADS]):
            raise Failed("every gradient has the wrong sign: each is exactly the negative of the right one.")
        if bad:  # a variant is named only when it explains every output
            for cand, message in wrong:
                if all(probes.close(grads[k], cand[k]) for k in _GRADS):
                    raise Failed(message)
        for k in _COMPARE_ORDER:
            try:
                da_h_dx = _da_h_dx(dh, cache)
                extra = [(da_h_dx, "dx is built from the recurrent-side gradient (the candidate block scaled by "
                                   "r): x reaches the candidate without the reset gate, so dx = da_x @ Wx.T.")] \
                    if k == "dx" else []
                ctx.compare(k, grads[k], ref[k], letters=_letters(*cache[0].shape, H)[k][1],
                            known=extra + [(w[k], f"{k} is wrong: {m}") for w, m in wrong])
            except Failed as f:
                if k in ("db", "dWx", "dWh") and "right shape but" in f.message:
                    blocks = [g for g in GATES
                              if rel_error(grads[k][..., _block(H, g)], ref[k][..., _block(H, g)]) >= TOL]
                    if 0 < len(blocks) < 3:
                        raise Failed(f"{k} is wrong in the block of the "
                                     f"{' and '.join(GATE_NAMES[g] for g in blocks)} (blocks [r, z, n]): check "
                                     f"{'; '.join(_GATE_HINTS[g] for g in blocks)}.") from None
                raise

    N, D, H = STEP_SIZES[0]
    args, cache, dh = make(N, D, H)
    grads = student(dh, cache, f"N={N}, D={D}, H={H}")
    again = student(dh, cache, f"N={N}, D={D}, H={H}")
    ctx.repeatable([grads[k] for k in _GRADS], [again[k] for k in _GRADS], _GRADS)
    numeric = {}
    for name, v in zip(_NAMES, args):
        def f(zv, name=name):
            kw = dict(zip(_NAMES, args))
            kw[name] = zv
            return gru_step_forward(**kw)[0]
        numeric["d" + name] = numerical_gradient(f, v, df=dh)
    for j, (N, D, H) in enumerate(STEP_SIZES):
        if j:
            args, cache, dh = make(N, D, H)
            grads = student(dh, cache, f"N={N}, D={D}, H={H}")
            ref = dict(zip(_GRADS, gru_step_backward(dh, cache)))
        else:
            ref = numeric
        diagnose(grads, ref, dh, cache)
    _, cache, dh = make(3, 5, 4, np.float32)
    g32 = student(dh, cache, "float32 inputs")
    ref32 = dict(zip(_GRADS, gru_step_backward(dh, cache)))
    for k in _COMPARE_ORDER:
        ctx.compare(k, g32[k], ref32[k], letters=_letters(3, 5, 4)[k][1], tol=TOL32)
    return (f"all six gradients agree with numerical gradients and rnnlab on {len(STEP_SIZES)} random cases and "
            f"a float32 case; calling twice gives the same result.")


def _da_h_dx(dh, cache):
    """dx computed with the recurrent-side da (a classic slip), for naming it."""
    x, h_prev, Wx, Wh, gates, hn = cache
    H = h_prev.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    dn = dh * (1 - z) * (1 - n**2)
    da_h = np.hstack([dn * hn * r * (1 - r), dh * (h_prev - n) * z * (1 - z), dn * r])
    return da_h @ Wx.T
