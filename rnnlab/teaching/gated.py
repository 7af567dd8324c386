"""Notebook 06: the gated cells (LSTM, GRU) compared with the vanilla one.

Three kinds of tool, each a composition of the cells' own forward and backward
functions (the maths lives in ``rnnlab.layers``, ``rnnlab.lstm``, ``rnnlab.gru``):

* gradients through time: ``gradient_norms_through_time`` runs one cell over T
  steps, puts a loss on the last step only, and records how large the
  gradient is at every earlier step (||dL/dh_t||, and ||dL/dc_t|| for the LSTM);
* equal budgets: ``num_params`` / ``matched_hidden_sizes`` pick a hidden size
  per cell so that the models have (almost) the same number of parameters;
  ``compare_char_lm`` trains one character model per cell for the same wall
  time and reports validation bits per character;
* two memory tasks for every cell, trained and scored by one routine
  (``rnnlab.teaching.tasks.memory_task_curve``): notebook 04's delay-k task, which
  measures CAPACITY (hold k letters at once), and long recall, which measures
  SPAN (hold one letter for k steps): ``delay_accuracy``, ``recall_accuracy``,
  ``compare_delay``, ``compare_recall``, ``largest_solved_k`` and the
  ``GatedDelayWidget`` (with a task dropdown).

Shapes follow the course convention: x (N, T, D), h (N, T, H), Wx (D, G*H),
Wh (H, G*H), b (G*H,) with G = 1 (rnn), 4 (lstm: [i, f, g, o]), 3 (gru: [r, z, n]).
"""

from __future__ import annotations

import numpy as np

from ..cells import CELLS, get_cell
from ..gru import gru_step_backward, gru_step_forward
from ..layers import rnn_step_backward, rnn_step_forward
from ..lstm import lstm_step_backward, lstm_step_forward
from ..model import SequenceModel, init_weights
from ..optim import Adam
from .tasks import memory_task_curve, nats_to_bits
from ..train import evaluate, train

CELL_NAMES = ("rnn", "gru", "lstm")
CELL_LABELS = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}
CELL_COLORS = {"rnn": "tab:blue", "gru": "tab:green", "lstm": "tab:red"}


def _check_cell(where, cell):
    if cell not in CELLS:
        raise ValueError(f"{where}: cell must be one of {sorted(CELLS)}, got {cell!r}")
    return get_cell(cell)


def _check_positive_int(where, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------
# Parameters the way a fresh model starts
# --------------------------------------------------------------------------


def cell_params(cell, D, H, rng, *, forget_bias=None, dtype=np.float64):
    """Fresh parameters of one cell, initialised as ``SequenceModel`` does.

    Wx (D, G*H) LeCun-normal, Wh (H, G*H) orthogonal, b (G*H,) from the cell
    (zeros; the LSTM's forget block starts at 1), plus b_hn (H,) zeros for the GRU.

    Args:
        cell: "rnn", "lstm" or "gru";  D: input size;  H: hidden size
        rng: numpy Generator
        forget_bias: LSTM only: the value of the forget-gate block of b (None: the default, 1)

    Returns:
        dict with "Wx", "Wh", "b" (and "b_hn" for the GRU)
    """
    where = "cell_params"
    c = _check_cell(where, cell)
    D = _check_positive_int(where, "D", D)
    H = _check_positive_int(where, "H", H)
    if forget_bias is not None and cell != "lstm":
        raise ValueError(f"{where}: forget_bias applies to cell='lstm' only, got cell={cell!r}")
    p = {
        "Wx": init_weights("lecun_normal", (D, c.gates * H), rng, dtype),
        "Wh": init_weights("orthogonal", (H, c.gates * H), rng, dtype),
        "b": c.initial_bias(H, dtype),
    }
    if forget_bias is not None:
        p["b"][H:2 * H] = forget_bias  # blocks [i, f, g, o]: f is the second
    for name in c.extra_params:
        p[name] = np.zeros(H, dtype)
    return p


# --------------------------------------------------------------------------
# Gradients through time
# --------------------------------------------------------------------------


def gradient_norms_through_time(cell, T=50, *, H=32, D=16, N=4, seed=0, forget_bias=None, params=None):
    """How large the gradient is at every step when only the LAST step has a loss.

    Runs the cell's step function T times on random inputs x (N, T, D) from
    h_0 = 0 (and c_0 = 0), puts the loss L = sum(h_{T-1} * w) on the last hidden
    state only (w: a fixed random (N, H) array of unit norm), then walks back
    with the cell's step backward function and records the gradient norms.

    Args:
        cell: "rnn", "lstm" or "gru"
        T: sequence length;  H, D, N: sizes
        seed: seeds x, w and (unless ``params`` is given) the weights
        forget_bias: LSTM only, the forget-gate bias (None: the default 1)
        params: optional dict from ``cell_params`` to use instead of fresh weights

    Returns:
        dict with
          "t":  (T,) step indices 0..T-1
          "dh": (T,) ||dL/dh_t|| (Frobenius norm over the batch)
          and for the LSTM also
          "dc": (T,) ||dL/dc_t||, the total gradient on the cell state c_t
          "additive_only": (T,) ||dL/dc_{T-1} * f_{T-1} * ... * f_{t+1}||, what dL/dc_t would be
                if the additive path c_t -> c_{t+1} -> ... were the only way back
    """
    where = "gradient_norms_through_time"
    _check_cell(where, cell)
    T = _check_positive_int(where, "T", T)
    if params is not None:
        if forget_bias is not None:
            raise ValueError(f"{where}: give forget_bias or params, not both")
        H, D = params["Wh"].shape[0], params["Wx"].shape[0]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    w = rng.standard_normal((N, H))
    w /= np.linalg.norm(w)
    if params is None:
        params = cell_params(cell, D, H, rng, forget_bias=forget_bias)

    # Forward, one step at a time, keeping every step's cache.
    h = np.zeros((N, H))
    c = np.zeros((N, H))
    caches = []
    for t in range(T):
        if cell == "rnn":
            h, cache = rnn_step_forward(x[:, t], h, params["Wx"], params["Wh"], params["b"])
        elif cell == "lstm":
            h, c, cache = lstm_step_forward(x[:, t], h, c, params["Wx"], params["Wh"], params["b"])
        else:
            h, cache = gru_step_forward(x[:, t], h, params["Wx"], params["Wh"], params["b"], params["b_hn"])
        caches.append(cache)

    # Backward: dL/dh_{T-1} = w; no loss anywhere else.
    dh_norm = np.empty(T)
    dc_norm = np.empty(T)
    dh = w.copy()  # total gradient on h_t
    dc_future = np.zeros((N, H))  # gradient on c_t arriving from c_{t+1}
    for t in reversed(range(T)):
        dh_norm[t] = np.linalg.norm(dh)
        if cell == "rnn":
            _, dh, *_ = rnn_step_backward(dh, caches[t])
        elif cell == "lstm":
            # c_t reaches the loss through h_t = o_t * tanh(c_t) and through c_{t+1};
            # cache = (x, h_prev, c_prev, Wx, Wh, gates [i f g o], tanh_c)
            gates, tanh_c = caches[t][5], caches[t][6]
            o = gates[:, 3 * H:]
            dc_norm[t] = np.linalg.norm(dc_future + dh * o * (1 - tanh_c ** 2))
            _, dh, dc_future, *_ = lstm_step_backward(dh, dc_future, caches[t])
        else:
            _, dh, *_ = gru_step_backward(dh, caches[t])

    out = {"t": np.arange(T), "dh": dh_norm}
    if cell == "lstm":
        # Follow only the additive path back from the last step: multiply by one forget gate per step.
        dc_last = w * caches[-1][5][:, 3 * H:] * (1 - caches[-1][6] ** 2)  # dL/dc_{T-1} (via h_{T-1} only)
        additive = np.empty(T)
        for t in reversed(range(T)):
            additive[t] = np.linalg.norm(dc_last)
            dc_last = dc_last * caches[t][5][:, H:2 * H]  # times f_t: now the gradient on c_{t-1}
        out["dc"] = dc_norm
        out["additive_only"] = additive
    return out


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


# --------------------------------------------------------------------------
# Equal parameter counts
# --------------------------------------------------------------------------


def num_params(cell, V, H, E):
    """Parameters of ``SequenceModel(V, H, embed_dim=E, cell=cell)``, counted without building it.

    W_embed V*E + Wx E*G*H + Wh H*G*H + b G*H (+ b_hn H for the GRU) + W_out H*V + b_out V.
    """
    c = _check_cell("num_params", cell)
    for name, v in (("V", V), ("H", H), ("E", E)):
        _check_positive_int("num_params", name, v)
    G = c.gates
    return V * E + E * G * H + H * G * H + G * H + len(c.extra_params) * H + H * V + V


def matched_hidden_sizes(V, E, reference_H, reference_cell="rnn", cells=CELL_NAMES):
    """For each cell, the hidden size whose model has the parameter count closest to the reference model's.

    Args:
        V: vocabulary size;  E: embedding size
        reference_H: hidden size of the reference model
        reference_cell: the cell of the reference model
        cells: cells to size

    Returns:
        dict cell -> H (the reference cell gets reference_H)
    """
    target = num_params(reference_cell, V, reference_H, E)
    sizes = {}
    for cell in cells:
        _check_cell("matched_hidden_sizes", cell)
        # The count grows with H, so scan up to the first H that overshoots.
        best, H = 1, 1
        while True:
            if abs(num_params(cell, V, H, E) - target) < abs(num_params(cell, V, best, E) - target):
                best = H
            if num_params(cell, V, H, E) >= target:
                break
            H += 1
        sizes[cell] = best
    return sizes


# --------------------------------------------------------------------------
# Character language model at equal parameters and equal time
# --------------------------------------------------------------------------


def compare_char_lm(train_ids, val_ids, V, hidden_sizes, *, time_limit=None, max_steps=None, embed_dim=32,
                    batch_size=32, seq_len=50, lr=3e-3, clip_norm=5.0, val_chars=20_000, seed=0):
    """Train one character model per cell on the same data for the same budget.

    Args:
        train_ids, val_ids: (L,) int sequences in [0, V)
        V: vocabulary size
        hidden_sizes: dict cell -> H, e.g. from matched_hidden_sizes
        time_limit: seconds of training per cell (equal wall time), or
        max_steps: optimiser steps per cell (give at least one of the two)
        embed_dim, batch_size, seq_len, lr, clip_norm: as in notebook 05 (Adam)
        val_chars: validation uses the first this many characters, state carried across windows
        seed: seeds every model's weights

    Returns:
        dict cell -> {"H", "params", "steps", "seconds", "val_bits", "history"}
    """
    from ..data import SequenceBatcher

    if time_limit is None and max_steps is None:
        raise ValueError("compare_char_lm: give time_limit (seconds) or max_steps, got neither")
    if not isinstance(hidden_sizes, dict) or not hidden_sizes:
        raise TypeError(f"compare_char_lm: hidden_sizes must be a non-empty dict cell -> H, got {hidden_sizes!r}")
    batches = SequenceBatcher(np.asarray(train_ids), batch_size, seq_len)
    val_batches = SequenceBatcher(np.asarray(val_ids)[:val_chars], batch_size, 100)
    results = {}
    for cell, H in hidden_sizes.items():
        _check_cell("compare_char_lm", cell)
        model = SequenceModel(V, H, embed_dim=embed_dim, cell=cell, rng=np.random.default_rng(seed))
        history = train(model, batches, optimizer=Adam(lr=lr), epochs=1000, clip_norm=clip_norm,
                        carry_state=True, progress=False, time_limit=time_limit, max_steps=max_steps)
        val = evaluate(model, val_batches, carry_state=True)
        results[cell] = {"H": H, "params": model.num_params(), "steps": history.steps,
                         "seconds": history.seconds, "val_bits": nats_to_bits(val), "history": history}
    return results


# --------------------------------------------------------------------------
# Two memory tasks for every cell: delay-k (capacity) and long recall (span)
# --------------------------------------------------------------------------

TASK_LABELS = {"delay": "delay k (capacity)", "recall": "long recall (span)"}
TASK_XLABELS = {"delay": "delay k (output the letter seen k steps earlier, shifted by one)",
                "recall": "gap k (name the first of k + 1 letters at the last step)"}


def _memory_accuracy(task, cell, ks, **settings):
    """The routine behind both tasks: ``rnnlab.teaching.tasks.memory_task_curve``, errors named after the caller."""
    where = f"{task}_accuracy"
    _check_cell(where, cell)
    try:
        return memory_task_curve(task, ks, cell=cell, **settings)
    except ValueError as e:  # name the function the student called
        raise ValueError(str(e).replace("memory_task_curve", where)) from None


def delay_accuracy(cell, ks, *, hidden_size=32, steps=300, T=16, batch_size=32, lr=1e-2, clip_norm=None,
                   embed_dim=16, V=26, seed=0):
    """Train one small model with ``cell`` per delay k on the delay-k task and score it on fresh data.

    The task is ``rnnlab.teaching.tasks.delay_task``: output the letter seen k steps
    earlier, shifted by one.  A CAPACITY task: at every step the model must hold
    the last k letters at once.  Trained on every position of sequences of T
    (the first k have a blank target); accuracy on 512 new sequences, scored
    where t >= k, choosing among the V letters only (chance 1/V).  Every cell
    sees the same data (seeded by k).  Same routine as notebook 04's
    ``delay_memory_curve``.

    Args:
        cell: "rnn", "lstm" or "gru";  ks: delays, 0 <= k < T
        hidden_size, steps (Adam steps, one fresh batch each), T, batch_size, lr,
        clip_norm (None: no clipping), embed_dim, V, seed: see memory_task_curve

    Returns:
        dict with "task", "cell", "k" (list), "accuracy" (list of floats), "chance", "seconds"
    """
    return _memory_accuracy("delay", cell, ks, hidden_size=hidden_size, steps=steps, T=T, batch_size=batch_size,
                            lr=lr, clip_norm=clip_norm, embed_dim=embed_dim, V=V, seed=seed)


def recall_accuracy(cell, ks, *, hidden_size=32, steps=600, batch_size=32, lr=1e-2, clip_norm=5.0, embed_dim=16,
                    V=26, seed=0):
    """Train one small model with ``cell`` per gap k on long recall and score it on fresh data.

    The task is ``rnnlab.teaching.tasks.recall_task``: read k + 1 letters, name the first
    at the last step.  A SPAN task: one letter must survive k steps of
    distracting letters, and the only training signal is at the last step
    (masked loss), so the gradient has to reach back k steps to teach the cell
    to keep it.  Accuracy on 512 new sequences at the last step (chance 1/V).
    Every cell sees the same data (seeded by k).

    Args:
        cell: "rnn", "lstm" or "gru";  ks: gaps, k >= 0
        hidden_size, steps (Adam steps, one fresh batch each), batch_size, lr,
        clip_norm (None: no clipping), embed_dim, V, seed: see memory_task_curve

    Returns:
        dict with "task", "cell", "k" (list), "accuracy" (list of floats), "chance", "seconds"
    """
    return _memory_accuracy("recall", cell, ks, hidden_size=hidden_size, steps=steps, batch_size=batch_size,
                            lr=lr, clip_norm=clip_norm, embed_dim=embed_dim, V=V, seed=seed)


TASK_FUNCTIONS = {"delay": delay_accuracy, "recall": recall_accuracy}


def compare_tasks(task, ks, cells=CELL_NAMES, **settings):
    """``delay_accuracy`` or ``recall_accuracy`` (``task`` = "delay" or "recall") for every cell with the
    same settings.  Returns dict cell -> result."""
    if task not in TASK_FUNCTIONS:
        raise ValueError(f"compare_tasks: task must be one of {list(TASK_FUNCTIONS)}, got {task!r}")
    return {cell: TASK_FUNCTIONS[task](cell, ks, **settings) for cell in cells}


def compare_delay(ks, cells=CELL_NAMES, **settings):
    """``delay_accuracy`` for every cell with the same settings.  Returns dict cell -> result."""
    return compare_tasks("delay", ks, cells, **settings)


def compare_recall(ks, cells=CELL_NAMES, **settings):
    """``recall_accuracy`` for every cell with the same settings.  Returns dict cell -> result."""
    return compare_tasks("recall", ks, cells, **settings)


def largest_solved_k(result, threshold=0.95):
    """Largest k such that every k from the smallest tried up to it reached ``threshold``.

    result: a dict from delay_accuracy or recall_accuracy.  Returns an int, or
    None when even the smallest k misses the threshold.  (Counting only up to the
    first failure keeps a lucky success at a large k from hiding a failure at a
    smaller one.)
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"largest_solved_k: threshold must be in (0, 1], got {threshold}")
    best = None
    for k, a in sorted(zip(result["k"], result["accuracy"])):
        if a < threshold:
            break
        best = k
    return best


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


draw_delay_comparison = draw_memory_comparison  # the name notebook 06 first used


def solved_summary(results, threshold=0.95):
    """One line per cell: the largest k solved at >= threshold.  results: dict cell -> delay or recall result."""
    lines = []
    for cell, r in results.items():
        k = largest_solved_k(r, threshold)
        lines.append(f"{CELL_LABELS.get(cell, cell):12s} largest k solved at >= {threshold:.0%}: "
                     f"{'none' if k is None else k}")
    return "\n".join(lines)


# What the widget starts from for each task: (k_max, k_step, steps, largest k the slider allows)
WIDGET_TASK_SETTINGS = {"delay": (3, 1, 100, 14), "recall": (12, 4, 600, 24)}


class GatedDelayWidget:
    """Train a vanilla RNN, a GRU and an LSTM on a memory task and plot accuracy against k.

    The task dropdown picks the delay-k task (capacity) or long recall (span);
    changing it loads that task's settings (``WIDGET_TASK_SETTINGS``) and clears
    the plot.  Press Train: one model per cell and per k in ``ks()`` is trained
    with the current settings, and the curves replace the plot.  ``results``
    holds the last run (dict cell -> result), ``plot`` is the Image widget and
    ``status`` an HTML line naming the largest k each cell solved.

    k_max, k_step, steps: None takes the task's settings.
    """

    def __init__(self, k_max=None, k_step=None, hidden_size=32, steps=None, seed=0, threshold=0.95, task="delay"):
        import ipywidgets as widgets

        if task not in WIDGET_TASK_SETTINGS:
            raise ValueError(f"GatedDelayWidget: task must be one of {list(WIDGET_TASK_SETTINGS)}, got {task!r}")
        d_kmax, d_kstep, d_steps, k_limit = WIDGET_TASK_SETTINGS[task]
        style = {"description_width": "120px"}
        self.task = widgets.Dropdown(options=[(TASK_LABELS[t], t) for t in WIDGET_TASK_SETTINGS], value=task,
                                     description="task", style=style)
        self.k_max = widgets.IntSlider(value=d_kmax if k_max is None else k_max, min=1, max=k_limit,
                                       description="largest k", style=style)
        self.k_step = widgets.Dropdown(options=[1, 2, 3, 4], value=d_kstep if k_step is None else k_step,
                                       description="k in steps of", style=style)
        self.hidden = widgets.Dropdown(options=[8, 16, 32, 64], value=hidden_size, description="hidden size H",
                                       style=style)
        self.steps = widgets.IntSlider(value=d_steps if steps is None else steps, min=50, max=1000, step=50,
                                       description="training steps", style=style)
        self.cells = widgets.SelectMultiple(options=[(CELL_LABELS[c], c) for c in CELL_NAMES],
                                            value=CELL_NAMES, description="cells", style=style, rows=3)
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.status = widgets.HTML("<i>press Train (a few seconds at the default settings)</i>")
        self.plot = widgets.Image(format="png")
        self.seed, self.threshold = seed, threshold
        self.results = {}
        self.train_button.on_click(lambda _: self.run())
        self.task.observe(self._task_changed, names="value")
        from .dashboard import CONTROLS_WIDTH, beside_plot

        self.widget = beside_plot(
            widgets.VBox([self.task, self.k_max, self.k_step, self.hidden, self.steps, self.cells,
                          self.train_button, self.status],
                         layout=widgets.Layout(width=CONTROLS_WIDTH, flex="0 0 auto")),
            self.plot)
        self._redraw()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def ks(self):
        """The k a click trains: delay 0, k_step, 2 k_step, ... up to k_max; recall the same without
        k = 0 (a one-letter sequence: nothing to remember)."""
        first = 0 if self.task.value == "delay" else self.k_step.value
        return list(range(first, self.k_max.value + 1, self.k_step.value)) or [self.k_max.value]

    def _task_changed(self, change):
        k_max, k_step, steps, k_limit = WIDGET_TASK_SETTINGS[change["new"]]
        self.k_max.max = max(k_limit, self.k_max.min)
        self.k_max.value, self.k_step.value, self.steps.value = k_max, k_step, steps
        self.results = {}  # curves of the other task would be mislabelled
        self._redraw()
        self.status.value = f"<i>{TASK_LABELS[change['new']]}: press Train</i>"

    def _redraw(self):
        from matplotlib.figure import Figure

        from .plots import figure_to_png

        fig = Figure(figsize=(6.5, 3.4))
        draw_memory_comparison(fig.add_subplot(), self.results, threshold=self.threshold, task=self.task.value)
        self.plot.value = figure_to_png(fig)

    def run(self):
        """Train every selected cell at the current settings and redraw.  Returns the results."""
        self.train_button.disabled = True
        self.status.value = "<b>training...</b>"
        try:
            self.results = compare_tasks(self.task.value, self.ks(), cells=tuple(self.cells.value),
                                         hidden_size=self.hidden.value, steps=self.steps.value, seed=self.seed)
        finally:
            self.train_button.disabled = False
        self._redraw()
        self.status.value = "<br>".join(solved_summary(self.results, self.threshold).splitlines())
        return self.results


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
