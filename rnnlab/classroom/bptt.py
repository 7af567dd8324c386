"""Checker for backpropagation through time: ``rnn_backward``."""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..layers import rnn_backward, rnn_forward
from . import probes
from .context import MATCH, TOL32, compare_parts, exercise
from .feedback import Failed
from .inputs import SEQ_SIZES, rnn_params

# --------------------------------------------------------------------------
# 3. rnn_backward (BPTT)
# --------------------------------------------------------------------------

_SEQ_GRADS = ["dx", "dh0", "dWx", "dWh", "db"]


def _seq_letters(N, T, D, H):
    return {"dx": ((N, T, D), "(N, T, D)"), "dh0": ((N, H), "(N, H)"), "dWx": ((D, H), "(D, H)"),
            "dWh": ((H, H), "(H, H)"), "db": ((H,), "(H,)")}


def _score(fn, rng):
    N, T, D, H = 2, 4, 3, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    _, cache = rnn_forward(x, h0, *rnn_params(rng, D, H, scale=0.6))
    dh = rng.standard_normal((N, T, H))
    got = fn(dh.copy(), tuple(c.copy() if isinstance(c, np.ndarray) else c for c in cache))
    return compare_parts(got, rnn_backward(dh, cache), _SEQ_GRADS)


@exercise("rnn_backward", "(dx, dh0, dWx, dWh, db)", scorer=_score)
def check_rnn_backward(fn, rng, ctx):
    """Check ``rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)``.

    dh: (N, T, H), the gradient from the layer above only; cache comes from
    rnnlab's rnn_forward (tanh): (x, h0, Wx, Wh, h, activation).
    Probes send a gradient into the first or the last step alone, to check
    that gradients flow backwards in time and that later steps contribute.
    """

    def make(N, T, D, H, dtype=np.float64):
        x = rng.standard_normal((N, T, D)).astype(dtype)
        h0 = rng.standard_normal((N, H)).astype(dtype)
        Wx, Wh, b = rnn_params(rng, D, H, dtype, scale=0.6)
        h, cache = rnn_forward(x, h0, Wx, Wh, b)
        dh = rng.standard_normal((N, T, H)).astype(dtype)
        return dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b), h, cache, dh

    def student(dh, cache, case):
        out = ctx.call(fn, dh, cache, names=["dh", "cache"], case=case,
                       mutation_hint="Add the carried gradient into a new array (`dh_t = dh[:, t] + dh_next`), "
                                     "not into dh itself.")
        grads = dict(zip(_SEQ_GRADS, ctx.outputs(out, _SEQ_GRADS)))
        N, T, H = dh.shape
        D = cache[0].shape[2]
        hints = {"db": {(N, H): "Sum db over the batch and time axes.", (T, H): "Sum db over the batch axis too.",
                        (N, T, H): "Sum db over the batch and time axes."},
                 "dh0": {(N, T, H): "dh0 is the gradient for the initial state h0 only."}}
        for k in _SEQ_GRADS:
            ctx.array(k, grads[k], *_seq_letters(N, T, D, H)[k], shape_hints=hints.get(k))
        return grads

    N, T, D, H = SEQ_SIZES[0]
    case = f"N={N}, T={T}, D={D}, H={H}"
    inputs, h, cache, dh = make(N, T, D, H)
    grads = student(dh, cache, case)
    again = student(dh, cache, case)
    ctx.repeatable([grads[k] for k in _SEQ_GRADS], [again[k] for k in _SEQ_GRADS], _SEQ_GRADS)

    # Name the mistake when ONE structured variant of BPTT explains all five gradients.
    _name_variant(grads, dh, cache)

    # Probe 1: a gradient only at the first step may reach x_0 and h0, never later inputs.
    dh_first = np.zeros_like(dh)
    dh_first[:, 0] = dh[:, 0]
    got = student(dh_first, cache, case + ", dh nonzero only at t=0")
    if np.any(got["dx"][:, 1:]):
        reversed_read = rnn_backward(dh_first[:, ::-1], cache)[0]
        if rel_error(got["dx"], reversed_read) < MATCH:
            raise Failed("dh is read in reversed time order: the step that handles h_t must add dh[:, t] "
                          "(a gradient given only at t=0 showed up at the last step).")
        shifted = probes.time_shift("dx", got["dx"], rnn_backward(dh_first, cache)[0], t_axis=1)
        if shifted:
            raise Failed(shifted)
        raise Failed("time runs the wrong way: a gradient given only at step 0 changed dx at later steps. "
                      "Backpropagation through time goes from t = T-1 down to 0 (`reversed(range(T))`).")
    # Probe 2: a gradient only at the last step must reach every earlier step through Wh.
    dh_last = np.zeros_like(dh)
    dh_last[:, -1] = dh[:, -1]
    got = student(dh_last, cache, case + ", dh nonzero only at t=T-1")
    if not np.any(got["dx"][:, :-1]) and np.any(got["dh0"]):
        raise Failed("dx[:, t] misses the gradient carried back from later steps: dx[:, t] = da_t @ Wx.T with da_t "
                     "from the total gradient dh[:, t] + dh_next (a gradient given only at the last step reached "
                     "dh0 but no earlier dx).")
    if not np.any(got["dx"][:, :-1]):
        raise Failed("the gradient from later time steps is missing: the total gradient on h_t is dh[:, t] "
                      "plus dh_next, carried back from step t+1 (a gradient given only at the last step "
                      "never reached the earlier steps).")
    if not np.any(got["dh0"]):
        raise Failed("dh0 is all zeros: after the loop, the gradient carried back from step 0 is the gradient "
                     "on h0; return it as dh0.")

    # Ground truth: numerical gradients of rnnlab's rnn_forward on the first case.
    numeric = {}
    for k, v in inputs.items():
        def f(z, k=k):
            return rnn_forward(**{**inputs, k: z})[0]
        numeric["dh0" if k == "h0" else "d" + k] = numerical_gradient(f, v, df=dh)

    for i, (N, T, D, H) in enumerate(SEQ_SIZES):
        if i:
            inputs, h, cache, dh = make(N, T, D, H)
            grads = student(dh, cache, f"N={N}, T={T}, D={D}, H={H}")
        ref = numeric if i == 0 else dict(zip(_SEQ_GRADS, rnn_backward(dh, cache)))
        x, h0, Wx, Wh = cache[:4]
        no_transpose = dict(zip(_SEQ_GRADS, rnn_backward(dh, (x, h0, Wx, Wh.T, *cache[4:]))))
        reversed_read = dict(zip(_SEQ_GRADS, rnn_backward(dh[:, ::-1], cache)))
        letters = _seq_letters(N, T, D, H)
        for k in _SEQ_GRADS:
            known = [
                (no_transpose[k], "the gradient carried back to the previous step misses the transpose on Wh: "
                                  "dh_prev = da @ Wh.T (Wh is square, so the shape cannot catch this)."),
                (reversed_read[k], "dh is read in reversed time order: the step that handles h_t must add "
                                   "dh[:, t]."),
            ]
            if k == "dWh":
                known.append((ref["dWh"].T, "dWh is transposed: each step adds h_prev.T @ da, and (H, H) hides "
                                            "the mistake."))
            _name_variant(grads, dh, cache)
            ctx.compare(k, grads[k], ref[k], letters=letters[k][1], known=known,
                        factors={"N (the batch size)": N, "T (the sequence length)": T,
                                 "N*T (the number of positions)": N * T}, time_axis=1 if k == "dx" else None)

    inputs, h, cache, dh = make(2, 3, 4, 5, np.float32)
    grads = student(dh, cache, "float32 inputs")
    ref = dict(zip(_SEQ_GRADS, rnn_backward(dh, cache)))
    for k in _SEQ_GRADS:
        ctx.compare(k, grads[k], ref[k], letters=_seq_letters(2, 3, 4, 5)[k][1], tol=TOL32)
    return (f"all five gradients agree with numerical gradients and rnnlab on {len(SEQ_SIZES)} random "
            f"sequences and a float32 one; gradients flow backwards in time from every step, and calling "
            f"twice gives the same result.")



def bptt_variant(dh, cache, *, carry="Wh.T", summed=("dWx", "dWh", "db"), h_prev="h_{t-1}", deriv="h_t",
                 upstream="every step", dh0="carry", direction="backward", read="dh[:, t]"):
    """The five gradients of BPTT written with the given choices; the defaults are right.

    Only used to NAME a student's mistake (each switch is one classic mistake).
    """
    x, h0, Wx, Wh, h, _ = cache
    N, T, _ = x.shape
    dx = np.zeros_like(x)
    acc = {"dWx": np.zeros_like(Wx), "dWh": np.zeros_like(Wh), "db": np.zeros(Wh.shape[0], x.dtype)}
    dh_next = dh[:, -1].copy() if upstream == "last twice" else np.zeros_like(h0)
    da = np.zeros_like(h0)
    steps = reversed(range(T)) if direction == "backward" else range(T)
    for t in steps:
        prev = {"h_{t-1}": h0 if t == 0 else h[:, t - 1], "h0": h0, "h_t": h[:, t], "wrap": h[:, t - 1]}[h_prev]
        up = dh[:, t] if read == "dh[:, t]" else dh[:, T - 1 - t]
        if upstream == "last only":
            up = dh[:, t] if t == T - 1 else np.zeros_like(up)
        total = up + dh_next
        factor = {"h_t": 1 - h[:, t] ** 2, "h_{t-1}": 1 - (h0 if t == 0 else h[:, t - 1]) ** 2,
                  "none": 1.0}[deriv]
        da = total * factor
        dx[:, t] = da @ Wx.T
        for k, contrib in (("dWx", x[:, t].T @ da), ("dWh", prev.T @ da), ("db", da.sum(0))):
            acc[k] = acc[k] + contrib if k in summed else contrib
        dh_next = {"Wh.T": da @ Wh.T, "none": np.zeros_like(h0), "Wh": da @ Wh, "skip": da,
                   "before tanh'": total @ Wh.T}[carry]
    last = {"carry": dh_next, "da": da, "zero": np.zeros_like(h0)}[dh0]
    return {"dx": dx, "dh0": last, "dWx": acc["dWx"], "dWh": acc["dWh"], "db": acc["db"]}


_VARIANTS = [
    ({"carry": "none"}, "the gradient from later time steps is missing: the total gradient on h_t is dh[:, t] plus "
                        "dh_next, carried back from step t+1."),
    ({"carry": "Wh"}, "the gradient carried back to the previous step misses the transpose on Wh: "
                      "dh_next = da @ Wh.T (Wh is square, so the shape cannot catch this)."),
    ({"carry": "skip"}, "the gradient carried back to the previous step skips Wh: h_{t-1} reaches a_t through "
                        "h_{t-1} @ Wh, so dh_next = da @ Wh.T, not da itself."),
    ({"carry": "before tanh'"}, "the gradient carried back to the previous step skips tanh': carry da @ Wh.T with "
                                "da = (dh[:, t] + dh_next) * (1 - h_t**2), not the total before the tanh."),
    ({"summed": ("dWh", "db")}, "dWx is not accumulated over time: it is overwritten at every step, so only step "
                                "0's contribution is left. Use dWx += ... (the weight is shared by all steps)."),
    ({"summed": ("dWx", "db")}, "dWh is not accumulated over time: it is overwritten at every step, so only step "
                                "0's contribution is left. Use dWh += ... (the weight is shared by all steps)."),
    ({"summed": ("dWx", "dWh")}, "db is not accumulated over time: it is overwritten at every step, so only step "
                                 "0's contribution is left. Use db += ... (the bias is shared by all steps)."),
    ({"summed": ()}, "dWx, dWh and db are not accumulated over time: each is overwritten at every step, so only "
                     "step 0's contribution is left. Use += (the parameters are shared by all steps)."),
    ({"h_prev": "h0"}, "dWh uses h0 at every step: at step t it needs h_{t-1}, the previous state (h0 only at "
                       "t = 0)."),
    ({"h_prev": "h_t"}, "dWh uses h_t, the state of the same time step: Wh multiplied the previous state, so "
                        "each step adds h_{t-1}.T @ da (h0 at t = 0)."),
    ({"h_prev": "wrap"}, "at t = 0 dWh uses h[:, -1] (the last state, since index -1 wraps around): the state "
                         "before step 0 is h0."),
    ({"deriv": "h_{t-1}"}, "tanh' is taken from the wrong time step: da_t = (dh[:, t] + dh_next) * (1 - h_t**2) "
                           "with h_t, the output of step t, not h_{t-1}."),
    ({"deriv": "none"}, "the gradient skips the tanh (tanh' is missing): da_t = (dh[:, t] + dh_next) * (1 - h_t**2)."),
    ({"upstream": "last only"}, "the upstream gradient from the layer above, dh[:, t], is added only at the last "
                                "step: every step gets dh[:, t] plus the carried dh_next."),
    ({"upstream": "last twice"}, "the upstream gradient at the last step is counted twice (as the initial dh_next "
                                 "and again as dh[:, T-1]): start the carry from zeros."),
    ({"dh0": "da"}, "dh0 is the last da: the gradient on h0 is carried through Wh like every other step, "
                    "dh0 = da_0 @ Wh.T."),
    ({"dh0": "zero"}, "dh0 is all zeros: after the loop, the carried gradient is the gradient on h0."),
    ({"direction": "forward"}, "time runs the wrong way: backpropagation through time goes from t = T-1 down to 0 "
                               "(`reversed(range(T))`)."),
    ({"read": "dh[:, T-1-t]"}, "dh is read in reversed time order: the step that handles h_t must add dh[:, t]."),
]


def _name_variant(grads, dh, cache):
    """Raise the message of the one variant that explains every gradient (of the right dtype)."""
    ref = dict(zip(_SEQ_GRADS, rnn_backward(dh, cache)))
    if all(grads[k].dtype == ref[k].dtype and rel_error(grads[k], ref[k]) < 1e-7 for k in _SEQ_GRADS):
        return
    if any(grads[k].dtype != ref[k].dtype for k in _SEQ_GRADS):
        return
    for kw, message in _VARIANTS:
        cand = bptt_variant(dh, cache, **kw)
        if all(probes.close(grads[k], cand[k]) for k in _SEQ_GRADS):
            raise Failed(message)
    # One output alone built without the carried gradient (the others right).
    local = bptt_variant(dh, cache, carry="none")
    four = ("dx", "dWx", "dWh", "db")
    wrong = [k for k in four if not probes.close(grads[k], ref[k], 1e-7)]
    if wrong and all(probes.close(grads[k], local[k]) for k in wrong):
        if len(wrong) == len(four):
            raise Failed("the gradient from later time steps is missing: the total gradient on h_t is dh[:, t] "
                         "plus dh_next, carried back from step t+1.")
        raise Failed(f"{' and '.join(wrong)} {'misses' if len(wrong) == 1 else 'miss'} the gradient carried back "
                     f"from later steps: build {'it' if len(wrong) == 1 else 'them'} from the same total "
                     f"da_t = (dh[:, t] + dh_next) * (1 - h_t**2) as the other gradients.")
    # A shared parameter's gradient is a sum over steps: name a step that is missing or the only one kept.
    x, h0, Wx, Wh, h, _ = cache
    T = x.shape[1]
    das = _step_das(dh, cache)
    prevs = [h0] + [h[:, t - 1] for t in range(1, T)]
    contrib = {"dWx": [x[:, t].T @ das[t] for t in range(T)], "dWh": [prevs[t].T @ das[t] for t in range(T)],
               "db": [das[t].sum(0) for t in range(T)]}
    for k, parts in contrib.items():
        if probes.close(grads[k], ref[k], 1e-7):
            continue
        total = sum(parts)
        for t in range(T):
            first = " (the step whose previous state is h0)" if k == "dWh" and t == 0 else ""
            if probes.close(grads[k], total - parts[t]):
                raise Failed(f"{k} misses the contribution of time step {t}{first}: sum over every step "
                             f"t = 0 .. T-1.")
            if T > 1 and probes.close(grads[k], parts[t]):
                raise Failed(f"{k} holds the contribution of time step {t} only: accumulate it over every step "
                             f"(+=), the parameter is shared by all steps.")


def _step_das(dh, cache):
    """da_t of the correct BPTT, t = 0 .. T-1."""
    x, h0, Wx, Wh, h, _ = cache
    T = x.shape[1]
    das = [None] * T
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        das[t] = (dh[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dh_next = das[t] @ Wh.T
    return das
