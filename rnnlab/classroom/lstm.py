"""Checkers for one LSTM step: ``lstm_step_forward`` and ``lstm_step_backward``."""

from __future__ import annotations

import numpy as np

from itertools import permutations

from ..gradcheck import numerical_gradient, rel_error
from ..layers import ACTIVATIONS
from ..lstm import lstm_step_backward, lstm_step_forward
from . import probes
from .context import MATCH, TOL, TOL32, compare_parts, exercise
from .feedback import Failed
from .inputs import STEP_SIZES

# --------------------------------------------------------------------------
# 8. lstm_step_forward and 9. lstm_step_backward
# --------------------------------------------------------------------------

_GATES = "ifgo"  # the blocks of Wx, Wh, b, gates and da, in rnnlab's (and PyTorch's) order
_GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o"}
_sigmoid = ACTIVATIONS["sigmoid"]


# what compare() says when no known mistake matched (after shape, dtype and nan checks)
_GENERIC_VALUE_MESSAGES = ("right shape but", "is all zeros", "has the wrong sign", "is transposed",
                           "off by a constant factor", "right direction but the wrong size")


def _joint_match(got, ref, wrong):
    """Name the mistake whose outputs match ALL of got (some mistakes agree on one output of a probe).

    got, ref: sequences of arrays already checked for shape; wrong: [(candidate arrays, message)].
    Does nothing when got is right or has another dtype (compare() reports that), or when nothing matches.
    """
    if all(g.dtype == r.dtype for g, r in zip(got, ref)) and any(rel_error(g, r) >= TOL for g, r in zip(got, ref)):
        for cands, message in wrong:
            if all(rel_error(g, c) < MATCH for g, c in zip(got, cands)):
                raise Failed(message)


def _lstm_params(rng, D, H, dtype=np.float64, scale=0.6):
    Wx = (scale * rng.standard_normal((D, 4 * H))).astype(dtype)
    Wh = (scale * rng.standard_normal((H, 4 * H))).astype(dtype)
    b = (scale * rng.standard_normal(4 * H)).astype(dtype)
    return Wx, Wh, b


def _block(H, gate):
    k = _GATES.index(gate)
    return slice(k * H, (k + 1) * H)


def _order_text(order):
    return "[" + ", ".join(order) + "]"


def _wrong_lstm_forward(x, h_prev, c_prev, Wx, Wh, b, *, order=_GATES, g_act="tanh", gate_act="sigmoid",
                        out_tanh=True, forget=True, bias=True, recurrent=True):
    """(h_next, c_next) as computed by a student with the given mistakes; only used to NAME a wrong answer.

    order: the gate each block is read as, e.g. "figo" = the first block is used as f.
    With every switch at its default this is the correct step (tests/test_checks.py checks it
    against rnnlab's lstm_step_forward, which is what students are compared with).
    """
    H = h_prev.shape[1]
    a = x @ Wx + (h_prev @ Wh if recurrent else 0) + (b if bias else 0)
    pre = {gate: a[:, k * H:(k + 1) * H] for k, gate in enumerate(order)}
    s = _sigmoid if gate_act == "sigmoid" else np.tanh
    i, f, o = s(pre["i"]), s(pre["f"]), s(pre["o"])
    g = np.tanh(pre["g"]) if g_act == "tanh" else _sigmoid(pre["g"])
    c_next = (f * c_prev if forget else c_prev) + i * g
    h_next = o * (np.tanh(c_next) if out_tanh else c_next)
    return h_next, c_next


def _wrong_lstm_backward(dh_next, dc_next, cache, *, order=_GATES, use_dc_next=True, h_path=True,
                         h_path_tanh_grad=True, dc_prev_total=True, g_grad="tanh", write_order=_GATES):
    """The six gradients of a student with the given mistakes, as a dict; only used to NAME a wrong answer.

    cache is rnnlab's (x, h_prev, c_prev, Wx, Wh, gates, tanh_c).  Defaults give the correct
    gradients (checked against rnnlab's lstm_step_backward in tests/test_checks.py).
    """
    x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
    H = tanh_c.shape[1]
    blocks = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(order)}
    i, f, g, o = (gates[:, blocks[gate]] for gate in _GATES)
    dc = dc_next if use_dc_next else np.zeros_like(dc_next)
    if h_path:
        deriv = {True: 1 - tanh_c**2, False: 1, "twice": 1 - np.tanh(tanh_c) ** 2}[h_path_tanh_grad]
        dc = dc + dh_next * o * deriv
    da = np.empty_like(gates)
    blocks = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(write_order)} if order == _GATES else blocks
    da[:, blocks["i"]] = dc * g * i * (1 - i)
    da[:, blocks["f"]] = dc * c_prev * f * (1 - f)
    da[:, blocks["g"]] = dc * i * ((1 - g**2) if g_grad == "tanh" else g * (1 - g))
    da[:, blocks["o"]] = dh_next * tanh_c * o * (1 - o)
    dc_prev = (dc if dc_prev_total else dc_next) * (f if dc_prev_total != "no f" else 1)
    return {"dx": da @ Wx.T, "dh_prev": da @ Wh.T, "dc_prev": dc_prev, "dWx": x.T @ da, "dWh": h_prev.T @ da,
            "db": da.sum(axis=0)}


_ORDER_MESSAGES = {
    "figo": ("the input and forget gates are swapped: either the blocks are sliced as [f, i, g, o], or f "
             "multiplies the candidate and i the old memory. The blocks are [i, f, g, o] and "
             "c_next = f * c_prev + i * g."),
    "ifog": ("the candidate and output blocks are swapped (sliced as [i, f, o, g]): the blocks are "
             "[i, f, g, o], so g = tanh(a[:, 2H:3H]) and o = sigmoid(a[:, 3H:4H])."),
}


def _order_message(order):
    return _ORDER_MESSAGES.get(order, (
        f"the gate blocks are read in the order {_order_text(order)}; the course's order is [i, f, g, o]: "
        f"i = a[:, 0:H], f = a[:, H:2H], g = a[:, 2H:3H], o = a[:, 3H:4H]."))


def _wrong_orders():
    """Every wrong order of the four blocks, the two classic swaps first."""
    rest = ["".join(p) for p in permutations(_GATES) if "".join(p) not in (_GATES, "figo", "ifog")]
    return ["figo", "ifog", *rest]


_LSTM_FWD_MISTAKES = [
    ({"out_tanh": False}, "the tanh of the cell state is missing on the output path: h_next = o * tanh(c_next), "
                          "not o * c_next."),
    ({"g_act": "sigmoid"}, "the candidate g uses a sigmoid: g = tanh(a[:, 2H:3H]), values in (-1, 1), so the "
                           "memory can also decrease. The sigmoid is for the gates i, f, o."),
    ({"gate_act": "tanh"}, "the gates i, f, o use tanh: they are fractions in (0, 1), so they use the sigmoid "
                           "(tanh is for the candidate g and for the cell state on the output path)."),
    ({"recurrent": False}, "the recurrent term h_prev @ Wh is missing from a = x @ Wx + h_prev @ Wh + b: without "
                           "it the gates cannot depend on the previous state."),
    ({"bias": False}, "the bias b is missing: a = x @ Wx + h_prev @ Wh + b, one bias per gate unit (4H)."),
    ({"forget": False}, "the forget gate is missing: c_next = f * c_prev + i * g (without f the old memory can "
                        "never be erased)."),
] + [({"order": order}, _order_message(order)) for order in _wrong_orders()]


def _case(rng, N=3, D=4, H=5):
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    return [x, h_prev, c_prev, *_lstm_params(rng, D, H)]


def _score_forward(fn, rng):
    args = _case(rng)
    got = fn(*[a.copy() for a in args])
    return compare_parts(got[:2], lstm_step_forward(*args)[:2], ["h_next", "c_next"])


def _score_backward(fn, rng):
    args = _case(rng)
    _, _, cache = lstm_step_forward(*args)
    dh, dc = rng.standard_normal(args[1].shape), rng.standard_normal(args[1].shape)
    got = fn(dh.copy(), dc.copy(), tuple(c.copy() for c in cache))
    return compare_parts(got, lstm_step_backward(dh, dc, cache), _LSTM_GRADS)


@exercise("lstm_step_forward", "(h_next, c_next, cache)", scorer=_score_forward)
def check_lstm_step_forward(fn, rng, ctx):
    """Check ``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h_next, c_next, cache)``.

    x: (N, D), h_prev, c_prev: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,), blocks [i, f, g, o];
    h_next, c_next: (N, H).  Probes isolate the memory write (c_prev = 0, so c_next = i * g) and the
    memory kept (the candidate's block zeroed, so g = 0 and c_next = f * c_prev) before random cases.
    """
    names = ["x", "h_prev", "c_prev", "Wx", "Wh", "b"]
    shapes_hint = "Shapes: Wx is (D, 4H), Wh is (H, 4H), so a = x @ Wx + h_prev @ Wh + b is (N, 4H)."

    def student(args, case):
        out = ctx.call(fn, *args, names=names, case=case, error_hint=shapes_hint,
                       mutation_hint="Compute c_next as a new array (`c_next = f * c_prev + i * g`), "
                                     "not by updating c_prev in place (`c_prev *= f`).")
        h_next, c_next, _ = ctx.outputs(out, ["h_next", "c_next", "cache"])
        N, H = args[1].shape
        ctx.array("h_next", h_next, (N, H), "(N, H)")
        ctx.array("c_next", c_next, (N, H), "(N, H)")
        return h_next, c_next

    def case_inputs(N, D, H, dtype=np.float64):
        x = rng.standard_normal((N, D)).astype(dtype)
        h_prev = rng.standard_normal((N, H)).astype(dtype)
        c_prev = (1.5 * rng.standard_normal((N, H))).astype(dtype)
        return [x, h_prev, c_prev, *_lstm_params(rng, D, H, dtype)]

    def diagnose(args, case, c_hint=None, h_hint=None):
        h_next, c_next = student(args, case)
        ref_h, ref_c, _ = lstm_step_forward(*args)
        wrong = [(_wrong_lstm_forward(*args, **kw), msg) for kw, msg in _LSTM_FWD_MISTAKES]
        _joint_match((h_next, c_next), (ref_h, ref_c), wrong)
        for name, got, ref, k, hint in (("c_next", c_next, ref_c, 1, c_hint), ("h_next", h_next, ref_h, 0, h_hint)):
            try:
                ctx.compare(name, got, ref, letters="(N, H)", known=[(w[k], m) for w, m in wrong])
            except Failed as f:
                # a generic "wrong values" becomes a sentence about the part of the step this probe isolates
                if hint and any(m in f.message for m in _GENERIC_VALUE_MESSAGES):
                    if name == "c_next":
                        _name_gates_on_c(c_next, args)
                    raise Failed(hint) from None
                raise

    N, D, H = STEP_SIZES[0]
    args = case_inputs(N, D, H)
    student(args, f"N={N}, D={D}, H={H}")  # structure, shapes and changed inputs first

    # The memory write alone: with c_prev = 0, c_next = i * g.
    out_hint = ("c_next is right but h_next is not: h_next = o * tanh(c_next) with the output gate "
                "o = sigmoid(a[:, 3H:4H]).")
    write = [*args[:2], np.zeros_like(args[2]), *args[3:]]
    diagnose(write, "c_prev = 0", h_hint=out_hint, c_hint=(
        "with c_prev = 0, c_next should be the new memory i * g alone, and it is not: check the input gate "
        "i = sigmoid(a[:, 0:H]) and the candidate g = tanh(a[:, 2H:3H])."))
    # The memory kept alone: zero the candidate's block of Wx, Wh and b, so g = tanh(0) = 0 and c_next = f * c_prev.
    keep = [a.copy() for a in args]
    for W in keep[3:]:
        W[..., _block(H, "g")] = 0
    diagnose(keep, "the candidate's block of Wx, Wh and b zero", h_hint=out_hint, c_hint=(
        "with g = 0 (its block of Wx, Wh and b zero), c_next should be f * c_prev, the memory kept, and it is "
        "not: check the forget gate f = sigmoid(a[:, H:2H]) and that it multiplies c_prev."))

    for j, (N, D, H) in enumerate(STEP_SIZES):
        diagnose(args if j == 0 else case_inputs(N, D, H), f"N={N}, D={D}, H={H}", h_hint=out_hint)

    args32 = case_inputs(3, 5, 4, np.float32)
    h32, c32 = student(args32, "float32 inputs")
    ref_h, ref_c, _ = lstm_step_forward(*args32)
    ctx.compare("c_next", c32, ref_c, letters="(N, H)", tol=TOL32)
    ctx.compare("h_next", h32, ref_h, letters="(N, H)", tol=TOL32)
    return (f"h_next and c_next agree with rnnlab with c_prev = 0, with the candidate's block zeroed, on "
            f"{len(STEP_SIZES)} random cases and on a float32 case.")


_LSTM_GRADS = ["dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"]
# Compared in this order: the weight gradients show the gate blocks of da directly.
_LSTM_COMPARE_ORDER = ["db", "dWx", "dWh", "dx", "dh_prev", "dc_prev"]
_GATE_GRAD_HINTS = {
    "i": "di = dc * g, then * i * (1 - i)",
    "f": "df = dc * c_prev, then * f * (1 - f)",
    "g": "dg = dc * i, then * (1 - g**2)",
    "o": "do = dh_next * tanh(c_next), then * o * (1 - o)",
}

_LSTM_BWD_MISTAKES = [  # dc_prev_total first: with dc_next = 0 its dc_prev is also what "h_path" gives
    ({"dc_prev_total": False}, "dc_prev uses dc_next alone: it is dc * f with the total "
                               "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)."),
    ({"use_dc_next": False}, "dc_next is ignored: c_next also reaches the loss through later steps, so the "
                             "gradient on it is dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)."),
    ({"h_path": False}, "the h path is missing from dc: h_next = o * tanh(c_next), so the gradient on c_next is "
                        "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2), not dc_next alone."),
    ({"h_path_tanh_grad": False}, "the h path into dc skips tanh': h_next = o * tanh(c_next), so "
                                  "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)."),
    ({"dc_prev_total": "no f"}, "dc_prev misses the forget gate: c_next = f * c_prev + i * g, so dc_prev = dc * f."),
    ({"h_path_tanh_grad": "twice"}, "the h path into dc applies tanh' to tanh(c_next) (tanh twice): tanh_c in "
                                    "the cache is already tanh(c_next), so tanh' is 1 - tanh_c**2."),
    ({"write_order": "figo"}, "the input and forget gates are swapped in da: the gradients of the blocks go back in "
                              "the order [i, f, g, o], di first, then df."),
    ({"write_order": "ifog"}, "the candidate and output blocks are swapped in da: the gradients go back in the "
                              "order [i, f, g, o], dg third, do last."),
    ({"g_grad": "sigmoid"}, "dg uses the sigmoid derivative g * (1 - g), but g = tanh(.): its derivative is "
                            "1 - g**2."),
] + [({"order": order}, _order_message(order)) for order in _wrong_orders()]


def _lstm_letters(N, D, H):
    return {"dx": ((N, D), "(N, D)"), "dh_prev": ((N, H), "(N, H)"), "dc_prev": ((N, H), "(N, H)"),
            "dWx": ((D, 4 * H), "(D, 4H)"), "dWh": ((H, 4 * H), "(H, 4H)"), "db": ((4 * H,), "(4H,)")}


def _lstm_shape_hints(N, D, H):
    return {
        "dh_prev": {(H, N): "dh_prev looks transposed: with row vectors it is da @ Wh.T, shape (N, H) "
                            "(Wh @ da.T is the column-vector formula)."},
        "dx": {(D, N): "dx looks transposed: with row vectors it is da @ Wx.T, shape (N, D)."},
        "dWh": {(4 * H, H): "dWh looks transposed: a = ... + h_prev @ Wh gives dWh = h_prev.T @ da, shape (H, 4H)."},
        "dWx": {(4 * H, D): "dWx looks transposed: a = x @ Wx + ... gives dWx = x.T @ da, shape (D, 4H)."},
        "db": {(N, 4 * H): "Sum db over the batch axis (axis=0)."},
    }


@exercise("lstm_step_backward", "(dx, dh_prev, dc_prev, dWx, dWh, db)", scorer=_score_backward)
def check_lstm_step_backward(fn, rng, ctx):
    """Check ``lstm_step_backward(dh_next, dc_next, cache) -> (dx, dh_prev, dc_prev, dWx, dWh, db)``.

    cache comes from rnnlab's lstm_step_forward: (x, h_prev, c_prev, Wx, Wh, gates, tanh_c), gates (N, 4H)
    holding the values of [i, f, g, o].  Probes send a gradient through the cell state alone (dh_next = 0)
    and through h_next alone (dc_next = 0), then random cases are compared with numerical gradients of
    lstm_step_forward and with rnnlab's lstm_step_backward.
    """
    names = ["dh_next", "dc_next", "cache"]
    shapes_hint = "Shapes: Wx is (D, 4H), Wh is (H, 4H), so dx = da @ Wx.T and dh_prev = da @ Wh.T."

    def make(N, D, H, dtype=np.float64):
        x = rng.standard_normal((N, D)).astype(dtype)
        h_prev = rng.standard_normal((N, H)).astype(dtype)
        c_prev = (1.5 * rng.standard_normal((N, H))).astype(dtype)
        inputs = dict(x=x, h_prev=h_prev, c_prev=c_prev, **dict(zip(("Wx", "Wh", "b"), _lstm_params(rng, D, H, dtype))))
        _, _, cache = lstm_step_forward(**inputs)
        dh_next = rng.standard_normal((N, H)).astype(dtype)
        dc_next = rng.standard_normal((N, H)).astype(dtype)
        return inputs, cache, dh_next, dc_next

    def student(dh_next, dc_next, cache, case):
        out = ctx.call(fn, dh_next, dc_next, cache, names=names, case=case, error_hint=shapes_hint,
                       mutation_hint="Add into a new array (`dc = dc_next + ...`), not into dc_next, dh_next "
                                     "or the cache.")
        grads = dict(zip(_LSTM_GRADS, ctx.outputs(out, _LSTM_GRADS)))
        N, D = cache[0].shape
        H = cache[1].shape[1]
        letters, hints = _lstm_letters(N, D, H), _lstm_shape_hints(N, D, H)
        for k in _LSTM_GRADS:
            ctx.array(k, grads[k], *letters[k], shape_hints=hints.get(k))
        return grads

    def diagnose(grads, ref, dh_next, dc_next, cache, probe=""):
        N, D = cache[0].shape
        H = cache[1].shape[1]
        wrong = [(_wrong_lstm_backward(dh_next, dc_next, cache, **kw), msg) for kw, msg in _LSTM_BWD_MISTAKES]
        if probes.all_negated([grads[k] for k in _LSTM_GRADS], [ref[k] for k in _LSTM_GRADS]):
            raise Failed("every gradient has the wrong sign: each is exactly the negative of the right one (the "
                         "sign error is in dc or in the upstream gradients, before the gate blocks).")
        _joint_match([grads[k] for k in _LSTM_GRADS], [ref[k] for k in _LSTM_GRADS],
                     [([w[k] for k in _LSTM_GRADS], m) for w, m in wrong])
        letters = _lstm_letters(N, D, H)
        for k in _LSTM_COMPARE_ORDER:
            try:
                ctx.compare(k, grads[k], ref[k], letters=letters[k][1], known=[(w[k], m) for w, m in wrong],
                            factors={"N (the batch size)": N})
            except Failed as f:
                if "right shape but" not in f.message:
                    raise
                where = f"with {probe}, " if probe else ""
                if k in ("db", "dWx", "dWh"):  # name the gate blocks that are wrong
                    bad = [gate for gate in _GATES
                           if rel_error(grads[k][..., _block(H, gate)], ref[k][..., _block(H, gate)]) >= TOL]
                    if 0 < len(bad) < 4:
                        raise Failed(f"{where}{k} is wrong in the block of the "
                                      f"{' and '.join(_GATE_NAMES[gate] for gate in bad)} (blocks [i, f, g, o]): "
                                      f"check {'; '.join(_GATE_GRAD_HINTS[gate] for gate in bad)}.") from None
                raise Failed(f"{where}{f.message}") from None

    N, D, H = STEP_SIZES[0]
    inputs, cache, dh_next, dc_next = make(N, D, H)
    case = f"N={N}, D={D}, H={H}"
    grads = student(dh_next, dc_next, cache, case)
    again = student(dh_next, dc_next, cache, case)
    ctx.repeatable([grads[k] for k in _LSTM_GRADS], [again[k] for k in _LSTM_GRADS], _LSTM_GRADS)

    # The cell-state path alone: no gradient on h_next, only on c_next.
    zeros = np.zeros_like(dh_next)
    for probe, dh, dc in (("dh_next = 0 (a gradient on c_next only)", zeros, dc_next),
                          ("dc_next = 0 (a gradient on h_next only)", dh_next, zeros)):
        got = student(dh, dc, cache, probe)
        ref = dict(zip(_LSTM_GRADS, lstm_step_backward(dh, dc, cache)))
        diagnose(got, ref, dh, dc, cache, probe)

    # Ground truth for the first case: numerical gradients of rnnlab's forward step (h_next and c_next).
    def both(**kw):
        h, c, _ = lstm_step_forward(**kw)
        return np.concatenate([h, c], axis=1)

    upstream = np.concatenate([dh_next, dc_next], axis=1)
    numeric = {}
    for k, v in inputs.items():
        numeric["d" + k] = numerical_gradient(lambda z, k=k: both(**{**inputs, k: z}), v, df=upstream)

    for j, (N, D, H) in enumerate(STEP_SIZES):
        if j:
            inputs, cache, dh_next, dc_next = make(N, D, H)
            grads = student(dh_next, dc_next, cache, f"N={N}, D={D}, H={H}")
            ref = dict(zip(_LSTM_GRADS, lstm_step_backward(dh_next, dc_next, cache)))
        else:
            ref = numeric
        diagnose(grads, ref, dh_next, dc_next, cache)

    _, cache, dh_next, dc_next = make(3, 5, 4, np.float32)
    grads32 = student(dh_next, dc_next, cache, "float32 inputs")
    ref32 = dict(zip(_LSTM_GRADS, lstm_step_backward(dh_next, dc_next, cache)))
    for k in _LSTM_COMPARE_ORDER:
        ctx.compare(k, grads32[k], ref32[k], letters=_lstm_letters(3, 5, 4)[k][1], tol=TOL32)
    return (f"all six gradients agree with rnnlab with a gradient on c_next only and on h_next only, and with "
            f"numerical gradients and rnnlab on {len(STEP_SIZES)} random cases and a float32 case; calling "
            f"twice gives the same result.")


def _name_gates_on_c(c_next, args):
    """Which gates multiply each part of c_next: c_next = (gates) * c_prev + (gates) * g, for every subset
    of the gates {i, f, o}; raise a sentence when exactly one split fits and it is not [f] and [i]."""
    from itertools import combinations

    x, h_prev, c_prev, Wx, Wh, b = args
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    gate = {"i": _sigmoid(a[:, :H]), "f": _sigmoid(a[:, H:2 * H]), "o": _sigmoid(a[:, 3 * H:])}
    g = np.tanh(a[:, 2 * H:3 * H])
    subsets = [c for r in range(4) for c in combinations("ifo", r)]

    def prod(names):
        out = np.ones_like(g)
        for n in names:
            out = out * gate[n]
        return out

    keeps = subsets if np.any(c_prev) else [("f",)]  # with c_prev = 0 only the write can be seen
    fits = [(keep, write) for keep in keeps for write in subsets
            if probes.close(c_next, prod(keep) * c_prev + prod(write) * g)]
    if len(fits) != 1 or fits[0] == (("f",), ("i",)):
        return

    def text(names, what):
        return " * ".join([*names, what]) if names else what

    keep, write = fits[0]
    if not np.any(c_prev):
        raise Failed(f"with c_prev = 0, c_next is {text(write, 'g')}: the new memory is i * g, the input gate "
                     f"times the candidate (the forget gate f scales only the old memory, c_next = f * c_prev + "
                     f"i * g).")
    raise Failed(f"c_next is computed as {text(keep, 'c_prev')} + {text(write, 'g')}: the forget gate f scales "
                 f"the old memory and the input gate i the candidate, c_next = f * c_prev + i * g.")
