"""Interactive explorers for notebooks 01 and 02, and the pure functions they plot.

The pure functions (``one_unit_trajectory``, ``gradient_norms_over_time``,
``clipping_effect``, ``truncation_error``) call the layer functions in
``rnnlab.layers`` and return arrays, so they are tested like any other code.
The ``plot_*`` functions draw them on a matplotlib Figure, and the
``*_explorer`` functions wrap a plot in ipywidgets controls.

A widget shows its plot in a ``widgets.Image`` (PNG bytes rendered with the Agg
backend), not through ``interact``: the image changes whenever a control
changes, in JupyterLab and in a headless test alike, and nothing leaks into
pyplot's global state.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..layers import ACTIVATIONS, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from ..optim import clip_grad_norm

INPUT_KINDS = ("pulse", "step")


# --------------------------------------------------------------------------
# One hidden unit: how a single recurrent weight remembers or forgets
# --------------------------------------------------------------------------


def one_unit_input(T, input_kind="pulse"):
    """The input sequence of the one-unit explorer.  Returns x: (T,).

    "pulse": 1 at t = 1, then 0 (does the unit remember it?);
    "step":  1 at every step (where does the unit settle?).
    """
    if not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"one_unit_input: T must be a positive int, got {T!r}")
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"one_unit_input: input_kind must be one of {INPUT_KINDS}, got {input_kind!r}")
    x = np.zeros(T)
    if input_kind == "pulse":
        x[0] = 1.0
    else:
        x[:] = 1.0
    return x


def one_unit_trajectory(w_x=1.0, w_h=0.8, b=0.0, activation="tanh", T=30, input_kind="pulse"):
    """Hidden state of a one-unit RNN (D = H = 1) started at h_0 = 0.

    h_t = f(x_t * w_x + h_{t-1} * w_h + b), computed by rnnlab.rnn_forward with
    Wx = [[w_x]], Wh = [[w_h]], b = [b].

    Returns:
        x: (T,) the input, h: (T,) the hidden states h_1 .. h_T
    """
    x = one_unit_input(T, input_kind)
    if activation not in ACTIVATIONS:
        raise ValueError(f"one_unit_trajectory: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    h, _ = rnn_forward(x.reshape(1, T, 1), np.zeros((1, 1)), np.array([[float(w_x)]]),
                       np.array([[float(w_h)]]), np.array([float(b)]), activation)
    return x, h[0, :, 0]


def _term(value, symbol, first=False):
    """One term of a sum as it is written by hand: "0.80 h_(t-1)", "+ 0.80 h_(t-1)", "- 1.50"."""
    sign = "-" if value < 0 else "+"
    body = f"{abs(value):.2f}" + (f" {symbol}" if symbol else "")
    if first:
        return ("-" if value < 0 else "") + body
    return f"{sign} {body}"


def one_unit_equation(w_x, w_h, b):
    """The one-unit step with its numbers, signs merged: 'h_t = f(1.00 x_t + 0.80 h_(t-1) - 1.50)'."""
    return (f"h_t = f({_term(w_x, 'x_t', first=True)} {_term(w_h, 'h_(t-1)')} {_term(b, '')})")


def format_number(value):
    """A number in at most 4 significant digits: 0.7616, 0.001526, 1.355e+18 (never 19 digits)."""
    return f"{value:.4g}"


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def plot_one_unit(w_x=1.0, w_h=0.8, b=0.0, activation="tanh", T=30, input_kind="pulse"):
    """Figure of the input and the hidden state over time for one_unit_trajectory's arguments."""
    x, h = one_unit_trajectory(w_x, w_h, b, activation, T, input_kind)
    t = np.arange(1, T + 1)
    fig = Figure(figsize=(7.5, 3.6), dpi=90)
    FigureCanvasAgg(fig)
    ax_x, ax_h = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2.4]})
    ax_x.bar(t, x, color="#4a90c2", width=0.6)
    ax_x.set_ylabel("$x_t$")
    ax_x.set_ylim(0, 1.3)
    ax_h.plot(t, h, "o-", color="#d35400", ms=3.5, lw=1.5)
    ax_h.axhline(0, color="#999999", lw=0.8)
    ax_h.set_ylabel("$h_t$")
    ax_h.set_xlabel("time step t")
    ax_x.set_title(f"{activation}:  {one_unit_equation(w_x, w_h, b)}", fontsize=10)
    fig.tight_layout()
    return fig


def _one_unit_summary(w_x, w_h, b, activation, T, input_kind):
    x, h = one_unit_trajectory(w_x, w_h, b, activation, T, input_kind)
    return (f"h_1 = {format_number(h[0])}, h_T = {format_number(h[-1])}, "
            f"max |h_t| = {format_number(np.abs(h).max())}  "
            f"(T = {T}, {input_kind} input)")


def one_unit_explorer():
    """Sliders for w_x, w_h, b, the activation, T and the input; shows h_t over time.

    Returns an ipywidgets VBox; ``box.controls`` is a dict of its controls and
    ``box.image`` / ``box.summary`` the widgets that change when a control moves.
    """
    import ipywidgets as widgets

    style = {"description_width": "70px"}
    controls = {
        "w_x": widgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.05, description="w_x", style=style),
        "w_h": widgets.FloatSlider(value=0.8, min=-1.5, max=1.5, step=0.05, description="w_h", style=style),
        "b": widgets.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.05, description="b", style=style),
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value="tanh", description="activation",
                                       style=style),
        "T": widgets.IntSlider(value=30, min=5, max=100, step=1, description="T", style=style),
        "input_kind": widgets.ToggleButtons(options=list(INPUT_KINDS), value="pulse", description="input",
                                            style=style),
    }
    image = widgets.Image(format="png", layout=widgets.Layout(width="675px"))  # native size: no blurry scaling
    summary = widgets.HTML()

    def redraw(_change=None):
        kw = {k: c.value for k, c in controls.items()}
        image.value = _png(plot_one_unit(**kw))
        summary.value = f"<code>{_one_unit_summary(**kw)}</code>"

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    left = widgets.VBox([controls[k] for k in ("w_x", "w_h", "b")])
    right = widgets.VBox([controls[k] for k in ("activation", "T", "input_kind")])
    box = widgets.VBox([widgets.HBox([left, right]), summary, image])
    box.controls, box.image, box.summary = controls, image, summary
    return box


# --------------------------------------------------------------------------
# Gradient flow through time: vanishing, exploding, and the two remedies
# --------------------------------------------------------------------------


def recurrent_matrix(H, spectral_radius, rng):
    """Wh: (H, H) = spectral_radius * Q with Q a random orthogonal matrix.

    Every eigenvalue of Q has modulus 1, so every eigenvalue of Wh has modulus
    ``spectral_radius`` (and so does every singular value): one number sets
    how much the linear part of the recurrence stretches a vector per step.
    """
    if not spectral_radius >= 0:
        raise ValueError(f"recurrent_matrix: spectral_radius must be >= 0, got {spectral_radius}")
    q, r = np.linalg.qr(rng.standard_normal((H, H)))
    return spectral_radius * q * np.sign(np.diag(r))


def _flow_problem(spectral_radius, activation, T, H, seed):
    """A fixed random sequence and weights: x (1, T, H), h0, Wx, Wh, b, g (the loss direction)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if not isinstance(T, (int, np.integer)) or T < 2:
        raise ValueError(f"T must be an int >= 2, got {T!r}")
    rng = np.random.default_rng(seed)
    Wh = recurrent_matrix(H, spectral_radius, rng)
    Wx = rng.standard_normal((H, H)) / np.sqrt(H)
    b = np.zeros(H)
    x = 0.5 * rng.standard_normal((1, T, H))
    g = rng.standard_normal((1, H))
    g /= np.linalg.norm(g)
    return x, np.zeros((1, H)), Wx, Wh, b, g


def gradient_norms_over_time(spectral_radius=1.0, activation="tanh", T=50, H=16, truncate=None, seed=0):
    """||dL/dh_t|| for every step t when the loss reads only the last state: L = g . h_T.

    Runs rnn_step_forward over T steps and then the loop of rnn_step_backward,
    recording the norm of the gradient that reaches each hidden state.

    Args:
        spectral_radius: of Wh (see recurrent_matrix)
        activation: "tanh", "sigmoid" or "relu"
        T: sequence length; H: hidden size
        truncate: None for full BPTT, or k >= 1 to stop after k steps back
                  (truncated BPTT); states never reached get NaN
        seed: fixes x, Wx, Wh and g

    Returns:
        norms: (T,) with norms[t-1] = ||dL/dh_t||, norms[-1] = ||g|| = 1
    """
    if truncate is not None and (not isinstance(truncate, (int, np.integer)) or truncate < 1):
        raise ValueError(f"gradient_norms_over_time: truncate must be None or an int >= 1, got {truncate!r}")
    x, h, Wx, Wh, b, g = _flow_problem(spectral_radius, activation, T, H, seed)
    caches = []
    for t in range(T):
        h, cache = rnn_step_forward(x[:, t], h, Wx, Wh, b, activation)
        caches.append(cache)
    norms = np.full(T, np.nan)
    dh = g.copy()  # dL/dh_T
    steps = T if truncate is None else min(T, truncate)
    for k in range(steps):
        t = T - 1 - k
        norms[t] = np.linalg.norm(dh)
        _, dh, _, _, _ = rnn_step_backward(dh, caches[t])
    return norms


def plot_gradient_flow(spectral_radius=1.0, activation="tanh", T=50, truncate=None, H=16, seed=0):
    """Figure: ||dL/dh_t|| against t on a log scale."""
    norms = gradient_norms_over_time(spectral_radius, activation, T, H, truncate, seed)
    t = np.arange(1, T + 1)
    fig = Figure(figsize=(7.5, 3.4), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    title = f"{activation}, spectral radius of Wh = {spectral_radius:.2f}, T = {T}"
    if truncate:
        # the full-BPTT curve underneath, so both share one axis and the lost part is visible
        full = gradient_norms_over_time(spectral_radius, activation, T, H, None, seed)
        ax.semilogy(t, np.where(full > 0, full, np.nan), "o-", ms=3, lw=1.2, color="#999999",
                    label="full BPTT", zorder=2)
        title += f", truncated after {truncate} steps"
        ax.axvspan(0.5, T - truncate + 0.5, color="#eeeeee", zorder=0)
    positive = np.where(norms > 0, norms, np.nan)  # log axis: an exact 0 (dead relu) is not drawn
    ax.semilogy(t, positive, "o-", ms=3, lw=1.4, color="#c0392b", zorder=3,
                label=f"truncated BPTT (k = {truncate})" if truncate else "full BPTT")
    ax.set_xlabel("time step t  (the loss reads h_T)")
    ax.set_ylabel("||dL/dh_t||")
    if truncate:
        ax.legend(loc="lower right", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0.5, T + 0.5)
    ax.grid(True, which="major", alpha=0.4)
    fig.tight_layout()
    return fig


def _flow_summary(spectral_radius, activation, T, truncate):
    norms = gradient_norms_over_time(spectral_radius, activation, T, truncate=truncate)
    first = np.flatnonzero(~np.isnan(norms))[0]
    return (f"||dL/dh_T|| = {norms[-1]:.3g},  ||dL/dh_{first + 1}|| = {norms[first]:.3g}  "
            f"(ratio {norms[first] / norms[-1]:.3g} over {T - 1 - first} steps back)")


def gradient_flow_explorer():
    """Sliders for the spectral radius of Wh, the activation, T and the truncation length.

    Returns an ipywidgets VBox with ``.controls``, ``.image`` and ``.summary``
    like one_unit_explorer.  truncate = 0 means full BPTT.
    """
    import ipywidgets as widgets

    style = {"description_width": "110px"}
    controls = {
        "spectral_radius": widgets.FloatSlider(value=1.0, min=0.5, max=1.5, step=0.05,
                                               description="spectral radius", style=style),
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value="tanh", description="activation",
                                       style=style),
        "T": widgets.IntSlider(value=50, min=10, max=200, step=5, description="T", style=style),
        "truncate": widgets.IntSlider(value=0, min=0, max=50, step=1, description="truncate (0: off)",
                                      style=style),
    }
    image = widgets.Image(format="png", layout=widgets.Layout(width="675px"))  # native size: no blurry scaling
    summary = widgets.HTML()

    def redraw(_change=None):
        kw = {k: c.value for k, c in controls.items()}
        kw["truncate"] = kw["truncate"] or None
        image.value = _png(plot_gradient_flow(**kw))
        summary.value = f"<code>{_flow_summary(**kw)}</code>"

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([widgets.VBox([controls["spectral_radius"], controls["activation"]]),
                                      widgets.VBox([controls["T"], controls["truncate"]])]),
                        summary, image])
    box.controls, box.image, box.summary = controls, image, summary
    return box


def weight_gradients(spectral_radius=1.0, activation="tanh", T=50, H=16, seed=0):
    """Full-BPTT gradients {"Wx", "Wh", "b"} of L = g . h_T (rnnlab.rnn_backward)."""
    x, h0, Wx, Wh, b, g = _flow_problem(spectral_radius, activation, T, H, seed)
    h, cache = rnn_forward(x, h0, Wx, Wh, b, activation)
    dh = np.zeros_like(h)
    dh[:, -1] = g
    _, _, dWx, dWh, db = rnn_backward(dh, cache)
    return {"Wx": dWx, "Wh": dWh, "b": db}


def clipping_effect(spectral_radii, max_norm=1.0, activation="relu", T=50, H=16, seed=0):
    """Global gradient norm before and after rnnlab.clip_grad_norm, for each spectral radius.

    Returns:
        before: (R,) norms before clipping, after: (R,) norms after (<= max_norm),
        cosine: (R,) cosine between the clipped and the raw gradient (1: same direction)
    """
    radii = np.asarray(spectral_radii, dtype=np.float64)
    before, after, cosine = (np.empty(len(radii)) for _ in range(3))
    for i, rho in enumerate(radii):
        grads = weight_gradients(rho, activation, T, H, seed)
        raw = np.concatenate([gr.ravel() for gr in grads.values()])
        before[i] = clip_grad_norm(grads, max_norm)
        clipped = np.concatenate([gr.ravel() for gr in grads.values()])
        after[i] = np.linalg.norm(clipped)
        cosine[i] = raw @ clipped / (np.linalg.norm(raw) * np.linalg.norm(clipped))
    return before, after, cosine


def truncation_error(ks, spectral_radius=1.0, activation="tanh", T=50, H=16, seed=0):
    """How far truncated BPTT's dWh is from the full one, for each truncation length k.

    Truncation keeps only the last k steps' terms of the sum dWh = sum_t h_{t-1}.T @ da_t.

    Returns:
        errors: (len(ks),) rnnlab.rel_error(dWh truncated after k steps, full dWh)
    """
    from ..gradcheck import rel_error

    x, h, Wx, Wh, b, g = _flow_problem(spectral_radius, activation, T, H, seed)
    caches = []
    for t in range(T):
        h, cache = rnn_step_forward(x[:, t], h, Wx, Wh, b, activation)
        caches.append(cache)
    # accumulate the sum step by step, recording the partial sum after k steps back
    partial = []
    dWh = np.zeros_like(Wh)
    dh = g.copy()
    for k in range(T):
        _, dh, _, dWh_t, _ = rnn_step_backward(dh, caches[T - 1 - k])
        dWh = dWh + dWh_t
        partial.append(dWh.copy())
    full = partial[-1]
    out = []
    for k in ks:
        if not 1 <= k <= T:
            raise ValueError(f"truncation_error: every k must be in [1, T={T}], got {k}")
        out.append(rel_error(partial[k - 1], full))
    return np.array(out)
