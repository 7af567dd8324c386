"""The course's diagrams, drawn with matplotlib only.

    python -m rnnlab.teaching.diagrams [outdir]      # writes every diagram (default: images/)

Each diagram is one function returning a matplotlib ``Figure`` of a fixed
pixel size, so the committed PNGs in ``images/`` can be regenerated and
compared.  Labels use the course notation letter for letter: maths symbols
($x_t$, $h_{t-1}$, $h_t$, $L_t$) in italics, names from the code (Wx, Wh, b,
W_out, scores, dh_next) in a monospace font, exactly as they are spelled in
``rnnlab/layers.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

DPI = 100

# One palette for every diagram: inputs, hidden state, outputs/loss, backward pass.
C_INPUT = "#dbe9f6"
C_HIDDEN = "#fde9c9"
C_OUTPUT = "#e2f0d9"
C_LOSS = "#f8d7da"
C_BACK = "#c0392b"
C_EDGE = "#333333"
MONO = "DejaVu Sans Mono"


def _new_figure(width_in, height_in):
    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width_in)
    ax.set_ylim(0, height_in)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _box(ax, x, y, text, *, w=1.0, h=0.55, color=C_HIDDEN, size=13, mono=False, round_=True):
    """A labelled box centred at (x, y); returns its (x, y, w, h) for the arrows."""
    style = "round,pad=0.02,rounding_size=0.12" if round_ else "square,pad=0.02"
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style,
                                facecolor=color, edgecolor=C_EDGE, linewidth=1.3))
    ax.text(x, y, text, ha="center", va="center", fontsize=size,
            family=MONO if mono else None)
    return (x, y, w, h)


def _edge_point(box, toward):
    """Where the straight line from a box's centre toward a point leaves the box."""
    x, y, w, h = box
    dx, dy = toward[0] - x, toward[1] - y
    if dx == 0 and dy == 0:
        return x, y
    sx = (w / 2 + 0.04) / abs(dx) if dx else float("inf")
    sy = (h / 2 + 0.04) / abs(dy) if dy else float("inf")
    s = min(sx, sy)
    return x + dx * s, y + dy * s


def _arrow(ax, a, b, *, label=None, color=C_EDGE, style="-|>", dashed=False, label_offset=(0.0, 0.0),
           size=11, mono=True, rad=0.0, lw=1.4, label_color=None):
    """Arrow from box a to box b (either may be an (x, y) point), optional label at its middle."""
    pa = (a[0], a[1]) if len(a) == 2 else _edge_point(a, b[:2])
    pb = (b[0], b[1]) if len(b) == 2 else _edge_point(b, a[:2])
    ax.add_patch(FancyArrowPatch(pa, pb, arrowstyle=style, mutation_scale=14, color=color, lw=lw,
                                 linestyle=(0, (4, 3)) if dashed else "-",
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0))
    if label:
        mx = (pa[0] + pb[0]) / 2 + label_offset[0]
        my = (pa[1] + pb[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=size, color=label_color or color,
                family=MONO if mono else None,
                bbox=dict(facecolor="white", edgecolor="none", pad=1.0, alpha=0.9))


def rnn_cell():
    """One step of the vanilla RNN: x_t and h_{t-1} in, h_t out, and the per-step output and loss.

    Returns a 900 x 520 pixel Figure.
    """
    fig, ax = _new_figure(9.0, 5.2)
    # a cell boundary that groups the two operations
    ax.add_patch(FancyBboxPatch((2.55, 1.05), 3.9, 1.55, boxstyle="round,pad=0.02,rounding_size=0.2",
                                facecolor="#f7f7f7", edgecolor="#999999", linewidth=1.0, linestyle="--"))
    ax.text(4.0, 1.18, "RNN cell (rnn_step_forward)", fontsize=9, color="#666666", family=MONO, va="center")

    x_t = _box(ax, 3.4, 0.4, "$x_t$", color=C_INPUT, w=0.8)
    h_prev = _box(ax, 1.0, 1.75, "$h_{t-1}$", color=C_HIDDEN, w=0.9)
    a_t = _box(ax, 3.4, 1.75, "$a_t$", color="white", w=0.8)
    f = _box(ax, 5.4, 1.75, "f (tanh)", color="white", w=1.3, size=11, mono=True)
    h_t = _box(ax, 7.9, 1.75, "$h_t$", color=C_HIDDEN, w=0.8)
    scores = _box(ax, 5.4, 3.4, "scores", color=C_OUTPUT, w=1.2, size=11, mono=True)
    loss = _box(ax, 5.4, 4.65, "loss $L_t$", color=C_LOSS, w=1.3, size=12)

    _arrow(ax, x_t, a_t, label="Wx", label_offset=(0.3, 0.12))
    _arrow(ax, h_prev, a_t, label="Wh")
    _arrow(ax, (3.4, 2.75), a_t, label=None)
    ax.text(3.4, 2.9, "b", ha="center", va="bottom", fontsize=11, family=MONO)
    _arrow(ax, a_t, f)
    _arrow(ax, f, h_t)
    _arrow(ax, (7.9, 2.05), (6.0, 3.4), label="W_out, b_out", rad=0.25, label_offset=(0.55, 0.35))
    _arrow(ax, scores, loss, label="softmax +\ncross-entropy", size=9, label_offset=(1.1, 0))
    _arrow(ax, (8.3, 1.75), (8.85, 1.75))
    ax.text(8.85, 1.3, "to step t+1", ha="right", fontsize=9, color="#666666")

    ax.text(0.2, 4.85, "$a_t$ = $x_t$ @ Wx + $h_{t-1}$ @ Wh + b", fontsize=12, family=MONO)
    ax.text(0.2, 4.45, "$h_t$ = f($a_t$)", fontsize=12, family=MONO)
    ax.text(0.2, 3.9, "x_t: (N, D)    h_t: (N, H)\nWx: (D, H)     Wh: (H, H)\n"
                      "b: (H,)        W_out: (H, V)", fontsize=9.5, family=MONO, va="top", color="#333333")
    return fig


def rnn_unrolled(steps=4):
    """The same cell copied along time: the weights Wx, Wh, b are shared by every copy.

    Returns a 1080 x 500 pixel Figure (for steps=4).
    """
    if steps < 2:
        raise ValueError(f"rnn_unrolled: steps must be >= 2, got {steps}")
    width = 1.6 + 2.3 * steps
    fig, ax = _new_figure(width, 5.0)
    h0 = _box(ax, 0.7, 2.3, "$h_0$", color=C_HIDDEN, w=0.7)
    prev = h0
    for k in range(steps):
        t = k + 1
        cx = 2.3 + 2.3 * k
        cell = _box(ax, cx, 2.3, "$h_{%d}$" % t, color=C_HIDDEN, w=0.75)
        x = _box(ax, cx, 1.0, "$x_{%d}$" % t, color=C_INPUT, w=0.7)
        s = _box(ax, cx, 3.45, "scores", color=C_OUTPUT, w=1.1, size=10, mono=True)
        loss = _box(ax, cx, 4.45, "$L_{%d}$" % t, color=C_LOSS, w=0.7)
        _arrow(ax, x, cell, label="Wx", label_offset=(0.28, 0), size=10)
        _arrow(ax, prev, cell, label="Wh", label_offset=(0, 0.28), size=10)
        _arrow(ax, cell, s, label="W_out", label_offset=(0.42, 0), size=9)
        _arrow(ax, s, loss)
        prev = cell
    ax.text(width / 2, 0.25, "same Wx, Wh, b at every step:   $h_t$ = f($x_t$ @ Wx + $h_{t-1}$ @ Wh + b)",
            ha="center", fontsize=10.5, family=MONO, color="#333333")
    ax.text(width - 0.15, 4.75, "L = mean of $L_t$", ha="right", fontsize=10.5, family=MONO)
    ax.text(0.15, 4.75, "time $\\rightarrow$", fontsize=11, color="#666666")
    return fig


def bptt_graph():
    """The computational graph that backpropagation through time walks backwards.

    Three consecutive steps t-1, t, t+1 of a longer sequence.  Black arrows: the
    forward pass.  Red dashed arrows: gradients flowing back.  At every step
    dL/dh_t is the local term (from L_t, through scores) plus dh_next (from
    step t+1, through Wh.T).

    Returns a 1260 x 620 pixel Figure.
    """
    width = 12.6
    fig, ax = _new_figure(width, 6.2)
    xs = [2.2 + 3.5 * k for k in range(3)]
    prev = None
    for n, cx in zip(["t-1", "t", "t+1"], xs):
        a = _box(ax, cx, 2.2, "$a_{%s}$" % n, color="white", w=0.85)
        h = _box(ax, cx + 1.35, 2.2, "$h_{%s}$" % n, color=C_HIDDEN, w=0.85)
        x = _box(ax, cx, 0.6, "$x_{%s}$" % n, color=C_INPUT, w=0.85)
        s = _box(ax, cx + 1.35, 3.75, "scores", color=C_OUTPUT, w=1.1, size=10, mono=True)
        L = _box(ax, cx + 1.35, 5.15, "$L_{%s}$" % n, color=C_LOSS, w=0.85)
        _arrow(ax, x, a, label="Wx", label_offset=(0.3, 0), size=10)
        _arrow(ax, a, h, label="f", label_offset=(0, 0.22), size=10)
        _arrow(ax, h, s, label="W_out", label_offset=(-0.45, 0), size=9)
        _arrow(ax, s, L)
        # local gradient: from L_t down past scores into h_t
        _arrow(ax, (cx + 2.1, 4.9), (cx + 1.7, 2.5), color=C_BACK, dashed=True)
        ax.text(cx + 2.2, 4.45, "dL_t/dh_t", fontsize=8.5, family=MONO, color=C_BACK)
        if prev is None:
            # the graph continues to the left: h_{t-2} feeds a_{t-1}, and dh_next flows on back
            _arrow(ax, (0.25, 2.2), a, label="Wh", label_offset=(0, 0.25), size=10)
            ax.text(0.05, 2.1, "...", fontsize=14)
            _arrow(ax, (a[0] - 0.1, a[1] - 0.32), (0.3, 1.88), color=C_BACK, dashed=True, rad=-0.25)
        else:
            _arrow(ax, prev, a, label="Wh", label_offset=(0, 0.25), size=10)
            _arrow(ax, (a[0] - 0.1, a[1] - 0.32), (prev[0] + 0.1, prev[1] - 0.32), color=C_BACK, dashed=True,
                   rad=-0.35, label="dh_next = da @ Wh.T", size=8.5, label_offset=(0, -0.55))
        prev = h
    # the graph continues to the right
    _arrow(ax, prev, (width - 0.05, 2.2))
    _arrow(ax, (width - 0.1, 1.85), (xs[-1] + 1.8, 1.85), color=C_BACK, dashed=True)
    ax.text(width - 0.5, 1.45, "dh_next\nfrom t+2", fontsize=8.5, family=MONO, color=C_BACK, ha="center")
    ax.text(0.15, 5.95, "forward", fontsize=10, color=C_EDGE, family=MONO)
    ax.plot([1.05, 1.65], [6.02, 6.02], color=C_EDGE, lw=1.4)
    ax.text(1.85, 5.95, "backward", fontsize=10, color=C_BACK, family=MONO)
    ax.plot([2.9, 3.5], [6.02, 6.02], color=C_BACK, lw=1.4, linestyle=(0, (4, 3)))
    ax.text(0.15, 5.45, "dL/dh_t = dL_t/dh_t + dh_next", fontsize=10, family=MONO)
    ax.text(0.15, 5.05, "da_t = dL/dh_t * f'(a_t)", fontsize=10, family=MONO)
    ax.text(0.15, 4.65, "dWh += h_{t-1}.T @ da_t", fontsize=10, family=MONO)
    ax.text(0.15, 4.25, "(dWx, db: the same sum)", fontsize=9, family=MONO, color="#555555")
    return fig


DIAGRAMS = {
    "rnn_cell.png": rnn_cell,
    "rnn_unrolled.png": rnn_unrolled,
    "bptt_graph.png": bptt_graph,
}


def save_all(outdir="images"):
    """Write every diagram as PNG into outdir (created if missing); returns the paths written."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in DIAGRAMS.items():
        fig = make()
        path = out / name
        fig.savefig(path, dpi=DPI, facecolor="white", metadata={"Software": None})
        paths.append(path)
    return paths


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1:
        raise SystemExit("usage: python -m rnnlab.teaching.diagrams [outdir]")
    for p in save_all(argv[0] if argv else "images"):
        print(p)


if __name__ == "__main__":
    main()
