"""Notebook 06's pictures: gradient norms through time, memory-task curves, the char-LM
comparison, and a diagram of one LSTM step.  Drawing only: the numbers come from
``gated_experiments``; every function draws into a matplotlib ``ax`` it is given
and returns it.
"""

from __future__ import annotations

import numpy as np

from .gated_experiments import CELL_COLORS, CELL_LABELS, TASK_XLABELS


def draw_gradient_norms(ax, curves, *, title=None):
    """Gradient norm against step on a log scale.

    curves: list of (label, t (T,), norms (T,)) or (label, t, norms, style-dict).
    """
    for item in curves:
        label, t, norms = item[:3]
        style = item[3] if len(item) > 3 else {}
        ax.semilogy(t, np.maximum(norms, 1e-300), label=label, **style)
    ax.set_xlabel("step t (the loss is on the last step only)")
    ax.set_ylabel("gradient norm (log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def draw_memory_comparison(ax, results, *, threshold=0.95, title=None, task=None):
    """Accuracy against k, one curve per cell, with chance and the threshold as lines.

    results: dict cell -> result of delay_accuracy / recall_accuracy.  task
    ("delay" or "recall") labels the k axis; None: read it from the results
    (the delay task when there are none).
    """
    chance = None
    for cell, r in results.items():
        ax.plot(r["k"], r["accuracy"], "o-", color=CELL_COLORS.get(cell), label=CELL_LABELS.get(cell, cell))
        chance = r["chance"]
        task = task or r.get("task")
    task = task or "delay"
    if task not in TASK_XLABELS:
        raise ValueError(f"draw_memory_comparison: task must be one of {list(TASK_XLABELS)}, got {task!r}")
    if chance is not None:
        ax.axhline(chance, color="0.5", ls="--", lw=1, label=f"chance (1/{round(1 / chance)})")
    ax.axhline(threshold, color="0.3", ls=":", lw=1, label=f"{threshold:.0%} (solved)")
    ax.set_xlabel(TASK_XLABELS[task])
    ax.set_ylabel("accuracy on fresh sequences")
    ax.set_ylim(-0.03, 1.03)
    ax.xaxis.get_major_locator().set_params(integer=True)  # k counts whole steps
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left" if task == "delay" else "lower left")
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------
# A diagram of one LSTM step
# --------------------------------------------------------------------------


def draw_lstm_cell(ax):
    """Draw one LSTM step: the cell-state line on top, the four gates below, h_t on the right.

    Every arrow is one term of the equations in rnnlab.lstm; the top line
    c_{t-1} -> (x f) -> (+ i*g) -> c_t is the additive path.  Returns ax.
    """
    from matplotlib.patches import FancyBboxPatch

    box = dict(boxstyle="round,pad=0.35", fc="white", ec="0.2")
    op = dict(boxstyle="circle,pad=0.25", fc="lightyellow", ec="0.2")

    def arrow(a, b, color="0.2", lw=1.2):
        ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle="->", color=color, lw=lw, shrinkA=9, shrinkB=9))

    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    ax.add_patch(FancyBboxPatch(
        (1.2, 0.9), 7.3, 4.5, boxstyle="round,pad=0.1", fc="0.96", ec="0.6"))
    # the cell-state (additive) path
    y_c = 4.8
    ax.text(0.4, y_c, "$c_{t-1}$", ha="center", va="center", fontsize=12)
    ax.text(9.5, y_c, "$c_t$", ha="center", va="center", fontsize=12)
    ax.text(3.0, y_c, r"$\times$", ha="center", va="center", bbox=op, fontsize=12)
    ax.text(5.0, y_c, "$+$", ha="center", va="center", bbox=op, fontsize=12)
    for a, b in (((0.4, y_c), (3.0, y_c)), ((3.0, y_c), (5.0, y_c)), ((5.0, y_c), (9.5, y_c))):
        arrow(a, b, color="tab:red", lw=2.2)
    ax.text(4.0, 5.6, r"additive path: $\partial L/\partial c_t \odot f_t$ flows back, no $W_h$, no $\tanh'$",
            color="tab:red", ha="center", fontsize=9)
    # the gates, from a_t = x_t Wx + h_{t-1} Wh + b
    y_g = 2.0
    gates = [(3.0, r"$f=\sigma$"), (4.4, r"$i=\sigma$"), (5.6, r"$g=\tanh$"), (7.0, r"$o=\sigma$")]
    for xg, label in gates:
        ax.text(xg, y_g, label, ha="center", va="center", bbox=box, fontsize=10)
    ax.text(5.0, 0.45, r"$a_t = x_t W_x + h_{t-1} W_h + b$, split into $[i, f, g, o]$",
            ha="center", va="center", fontsize=10)
    ax.text(0.4, 1.3, "$h_{t-1}$", ha="center", va="center", fontsize=12)
    ax.text(0.4, 0.45, "$x_t$", ha="center", va="center", fontsize=12)
    for xg, _ in gates:
        arrow((xg, 0.75), (xg, y_g))
    arrow((0.4, 1.3), (1.6, 0.6))
    arrow((0.4, 0.45), (1.6, 0.45))
    # f multiplies the old memory; i * g is added
    arrow((3.0, y_g), (3.0, y_c))
    ax.text(5.0, 3.4, r"$\times$", ha="center", va="center", bbox=op, fontsize=12)
    arrow((4.4, y_g), (5.0, 3.4))
    arrow((5.6, y_g), (5.0, 3.4))
    arrow((5.0, 3.4), (5.0, y_c))
    # h_t = o * tanh(c_t)
    ax.text(7.8, 4.0, r"$\tanh$", ha="center", va="center", bbox=box, fontsize=10)
    ax.text(7.8, 3.0, r"$\times$", ha="center", va="center", bbox=op, fontsize=12)
    arrow((7.8, y_c), (7.8, 4.0))
    arrow((7.8, 4.0), (7.8, 3.0))
    arrow((7.0, y_g), (7.8, 3.0))
    ax.text(9.5, 3.0, "$h_t$", ha="center", va="center", fontsize=12)
    arrow((7.8, 3.0), (9.5, 3.0))
    return ax


def draw_delay_by_hidden_size(ax, runs, *, chance=None, title=None):
    """Delay-k accuracy of the vanilla cell against k, one curve per (H, steps), a band across seeds.

    runs: list of dicts with "H", "steps", "k" (K,), "accuracy" (S seeds, K) and "mean" (K,), as stored by
    ``experiments/memory_tasks_cells.py`` under "delay_by_H".  chance: drawn as a dashed line when given.
    """
    colors = {8: "tab:orange", 32: "tab:blue", 128: "tab:purple"}
    for run in runs:
        acc = np.asarray(run["accuracy"], dtype=float)
        color = colors.get(run["H"], "0.4")
        ls = "-" if run["steps"] <= 200 else "--"
        ax.plot(run["k"], run["mean"], "o" + ls, color=color, ms=4, label=f"H = {run['H']}, {run['steps']} steps")
        ax.fill_between(run["k"], acc.min(axis=0), acc.max(axis=0), color=color, alpha=0.15, lw=0)
    if chance is not None:
        ax.axhline(chance, color="0.5", ls=":", lw=1, label="chance")
    ax.axhline(0.95, color="0.3", ls=":", lw=1)
    ax.set_xlabel("delay k (letters held at once)")
    ax.set_ylabel("accuracy on fresh sequences")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title or "vanilla RNN on delay-k: mean of 3 seeds, band = min to max")
    return ax


def draw_char_lm_comparison(axes, cells, *, unigram_bits=None, labels=None):
    """Two panels for the equal-time char-LM comparison: validation bits/char and the steps each cell took.

    axes: two matplotlib axes.  cells: dict cell -> {"runs": [{"val_bits", "steps"}, ...], "val_bits": {"mean",
    "std"}, "steps": {"mean", "std"}}, as stored by ``experiments/compare_cells_char_lm.py``.  Bars are means,
    error bars one standard deviation across seeds, dots the single seeds.
    """
    labels = labels or CELL_LABELS
    names = list(cells)
    xs = np.arange(len(names))
    colors = [CELL_COLORS.get(c, "0.5") for c in names]
    for ax, key, ylabel in ((axes[0], "val_bits", "validation bits per char"), (axes[1], "steps", "training steps")):
        means = [cells[c][key]["mean"] for c in names]
        stds = [cells[c][key]["std"] for c in names]
        ax.bar(xs, means, yerr=stds, capsize=6, color=colors, alpha=0.6)
        for x, c in zip(xs, names):
            vals = [r[key] for r in cells[c]["runs"]]
            ax.plot(np.full(len(vals), x) + np.linspace(-0.12, 0.12, len(vals)), vals, "k.", ms=6)
        ax.set_xticks(xs)
        ax.set_xticklabels([labels.get(c, c) for c in names])
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, axis="y")
    if unigram_bits is not None:
        axes[0].axhline(unigram_bits, color="0.3", ls="--", lw=1, label="unigram baseline")
        axes[0].legend(fontsize=8, loc="center right")
    lo = min(r["val_bits"] for c in names for r in cells[c]["runs"])
    axes[0].set_ylim(max(0.0, lo - 0.5), (unigram_bits or lo + 1) + 0.2)
    axes[0].set_title("bits per char (lower is better)")
    axes[1].set_title("steps in the same CPU time")
    return axes
