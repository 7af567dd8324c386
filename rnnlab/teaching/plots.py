"""Pictures of training and of hidden units.

* ``draw_history`` / ``plot_history``: the loss curve of a ``History`` (static).
* ``LivePlot``: a ``train`` callback that redraws the loss curve into an
  ``ipywidgets.Image`` every few steps.  It draws on a private matplotlib
  ``Figure`` (no pyplot), so it is safe to call from a background thread.
* ``hidden_heatmap`` and ``colored_text_html``: what chosen hidden units do
  over a passage of text.

Shapes: h (T, H) hidden states for one passage of T characters.
"""

from __future__ import annotations

import html
import io
import math

import numpy as np
from matplotlib.figure import Figure

from ..train import History

LN2 = math.log(2.0)


def concat_histories(*histories):
    """One History that runs the given ones back to back (validation steps shifted to match)."""
    out = History()
    offset = 0
    for h in histories:
        out.losses += list(h.losses)
        out.grad_norms += list(h.grad_norms)
        out.val_steps += [offset + s for s in h.val_steps]
        out.val_losses += list(h.val_losses)
        out.seconds += h.seconds
        offset += h.steps
    return out


def draw_history(ax, history, *, bits=False, smooth=20, baseline=None, baseline_label="baseline", title=None,
                 logy=False):
    """Draw a History's loss curve on ``ax``.

    Args:
        ax: a matplotlib Axes
        history: rnnlab.History (losses in nats per symbol)
        bits: show bits per symbol (nats / ln 2) instead of nats
        smooth: running-mean window for the training curve (1: raw, drawn as the main curve)
        baseline: optional horizontal line (same unit as the plot), e.g. a unigram model
        logy: logarithmic loss axis (for losses that fall by orders of magnitude)

    The legend sits outside the axes, on the right, so it never covers the curves or the baseline.
    """
    scale = 1 / LN2 if bits else 1.0
    steps = np.arange(1, history.steps + 1)
    if history.steps:
        if smooth > 1 and history.steps > 1:
            ax.plot(steps, np.asarray(history.losses) * scale, color="0.75", lw=0.8, label="train (each step)")
            ax.plot(steps, history.smoothed(smooth) * scale, color="C0", lw=1.5, label=f"train (mean of {smooth})")
        else:
            ax.plot(steps, np.asarray(history.losses) * scale, color="C0", lw=1.5, label="train (each step)")
    if history.val_losses:
        ax.plot(history.val_steps, np.asarray(history.val_losses) * scale, "o-", color="C1", ms=3, label="validation")
    if baseline is not None:
        ax.axhline(baseline, color="C3", ls="--", lw=1, label=baseline_label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    scale_note = ", log scale" if logy else ""
    ax.set_ylabel(f"bits per char{scale_note}" if bits else f"loss (nats{scale_note})")
    if title:
        ax.set_title(title)
    if history.steps or baseline is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, borderaxespad=0)
    ax.grid(alpha=0.3)
    return ax


def plot_history(history, ax=None, **kwargs):
    """Static loss curve with pyplot (for notebooks).  Returns the Axes; see draw_history."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3.2))
        fig.subplots_adjust(left=0.09, right=0.74, bottom=0.16)   # room for the legend on the right
    return draw_history(ax, history, **kwargs)


def figure_to_png(fig, dpi=80):
    """PNG bytes of a matplotlib Figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


class LivePlot:
    """A ``train`` callback that redraws the loss curve every ``every`` steps.

    The picture goes into ``self.image`` (an ipywidgets.Image, created if not
    given): display it once, and it changes in place while training runs, from
    the kernel's thread or from a background thread.

        live = LivePlot(every=20)
        display(live.image)
        history = train(model, batches, callbacks=[live])
        live.update(history)   # the final picture

    Args:
        every: redraw every this many steps
        image: an ipywidgets.Image to draw into (None: make one)
        previous: a History drawn before the current run (to continue a curve)
        **draw_kwargs: passed to draw_history (bits, smooth, baseline, title)

    Never stops training (returns None); ``frames`` counts the redraws.
    """

    def __init__(self, every=10, image=None, previous=None, figsize=(8.5, 3.2), **draw_kwargs):
        if every < 1:
            raise ValueError(f"LivePlot: every must be >= 1, got {every}")
        if image is None:
            import ipywidgets as widgets

            image = widgets.Image(format="png")
        self.every, self.image, self.previous = every, image, previous
        self.figsize, self.draw_kwargs = figsize, draw_kwargs
        self.frames = 0

    def __call__(self, info):
        if info.step % self.every == 0:
            self.update(info.history)

    def update(self, history):
        """Redraw now from ``history`` (plus ``previous``)."""
        if self.previous is not None:
            history = concat_histories(self.previous, history)
        fig = Figure(figsize=self.figsize)
        fig.subplots_adjust(left=0.08, right=0.76, bottom=0.15)   # the legend goes right of the axes
        draw_history(fig.add_subplot(), history, **self.draw_kwargs)
        self.image.value = figure_to_png(fig)
        self.frames += 1


# --------------------------------------------------------------------------
# Hidden units
# --------------------------------------------------------------------------


def _char_label(c):
    return {"\n": "\u21b5", " ": "\u2423", "\t": "\u21e5"}.get(c, c)


def hidden_heatmap(text, h, units, ax=None, signal=None, signal_label="indicator", *, vmax=None, fontsize=11,
                   colorbar=True):
    """Heatmap of chosen hidden units (rows) over the characters of ``text`` (columns).

    Args:
        text: str of length T
        h: (T, H) hidden states, h[t] after reading text[t]
        units: list of unit indices to show
        ax: matplotlib Axes (None: a new pyplot figure sized for the text)
        signal: optional (T,) indicator drawn in grey as an extra top row, to compare by eye
        vmax: the |value| drawn at full colour (None: the largest |value| shown)
        fontsize: of the character and row labels
        colorbar: draw a colour bar for the unit values beside the Axes

    Returns:
        the Axes; ``ax.get_images()[0]`` holds the unit rows, ``[1]`` the signal row (if any)
    """
    h = np.asarray(h)
    if h.ndim != 2 or h.shape[0] != len(text):
        raise ValueError(f"hidden_heatmap: h must have shape (T, H) with T = len(text) = {len(text)}, got {h.shape}")
    units = [int(u) for u in units]
    bad = [u for u in units if not 0 <= u < h.shape[1]]
    if bad:
        raise ValueError(f"hidden_heatmap: units must be in [0, {h.shape[1]}), got {bad}")
    T, top = len(text), int(signal is not None)
    n_rows = len(units) + top
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(min(0.2 * T + 2.5, 16), 0.5 * n_rows + 1.2))
    values = np.array([h[:, u] for u in units])
    vmax = max(float(np.abs(values).max()), 1e-12) if vmax is None else float(vmax)
    image = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest",
                      extent=(-0.5, T - 0.5, n_rows - 0.5, top - 0.5))
    labels = [f"unit {u}" for u in units]
    if signal is not None:
        s = np.asarray(signal, dtype=float)
        span = np.abs(s).max() or 1.0
        # grey, not red/blue: the property of the text, not a unit's value
        ax.imshow((s / span)[None], aspect="auto", cmap="Greys", vmin=0, vmax=2.0, interpolation="nearest",
                  extent=(-0.5, T - 0.5, 0.5, -0.5))
        labels.insert(0, signal_label)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_yticks(range(n_rows), labels, fontsize=fontsize)
    ax.set_xticks(range(T), [_char_label(c) for c in text], fontsize=fontsize, fontfamily="monospace")
    ax.tick_params(axis="x", length=0)
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, pad=0.01, fraction=0.025)
        bar.set_label("unit value", fontsize=fontsize - 1)
        bar.ax.tick_params(labelsize=fontsize - 2)
    return ax


def colored_text_html(text, values, vmax=None, levels=8, *, center=None, key=False):
    """HTML for ``text`` with each character's background coloured by ``values``.

    Red for positive, blue for negative, stronger for larger |value|.  Colours are
    rounded to ``levels`` steps so tiny numerical noise does not change the HTML.

    Args:
        text: str of length T;  values: (T,) numbers, e.g. one hidden unit over the text
        vmax: the |value| drawn at full strength (None: the largest |value|, after centring)
        center: None, or "mean" to colour the deviation from the mean over the text (a unit
            that sits near -1 everywhere then shows where it moves, not one uniform blue)
        key: put a one-line colour key above the text

    Returns:
        str of HTML (display it with IPython.display.HTML)
    """
    values = np.asarray(values, dtype=float)
    if values.shape != (len(text),):
        raise ValueError(f"colored_text_html: values must have shape (T,) = ({len(text)},), got {values.shape}")
    if center not in (None, "mean"):
        raise ValueError(f"colored_text_html: center must be None or 'mean', got {center!r}")
    offset = float(values.mean()) if center == "mean" and values.size else 0.0
    values = values - offset
    vmax = float(np.abs(values).max()) if vmax is None else float(vmax)
    vmax = vmax if vmax > 0 else 1.0
    parts = []
    for c, v in zip(text, values):
        strength = round(min(abs(v) / vmax, 1.0) * levels) / levels
        rgb = "220,50,47" if v >= 0 or strength == 0 else "38,139,210"   # no colour: no sign to flip
        ch = "\u21b5<br>" if c == "\n" else html.escape(c)
        parts.append(f'<span style="background: rgba({rgb},{strength:.3f})">{ch}</span>')
    header = ""
    if key:
        ref = f"the mean ({offset:+.2f})" if center == "mean" else "0"
        header = ('<div style="font-family: sans-serif; font-size: 90%; margin-bottom: 4px">'
                  f'<span style="background: rgba(38,139,210,1)">&nbsp;blue&nbsp;</span> below {ref}, '
                  f'<span style="background: rgba(220,50,47,1)">&nbsp;red&nbsp;</span> above; '
                  f'full colour at a distance of {vmax:.2f} or more</div>')
    return (header + '<div style="font-family: monospace; white-space: pre-wrap; line-height: 1.5">'
            + "".join(parts) + "</div>")
