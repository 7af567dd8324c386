"""Notebook 06's experiments: the gated cells (LSTM, GRU) measured against the vanilla one.

Every function is a composition of the cells' own forward and backward
functions (the maths lives in ``rnnlab.layers``, ``rnnlab.lstm``, ``rnnlab.gru``):

* gradients through time: ``gradient_norms_through_time`` runs one cell over T
  steps, puts a loss on the last step only, and records how large the
  gradient is at every earlier step (||dL/dh_t||, and ||dL/dc_t|| for the LSTM);
* equal budgets: ``num_params`` / ``matched_hidden_sizes`` pick a hidden size
  per cell so that the models have (almost) the same number of parameters;
  ``flops_per_char`` counts what one training character costs;
  ``compare_char_lm`` trains one character model per cell for the same budget
  and reports validation bits per character;
* two memory tasks for every cell, trained and scored by one routine
  (``rnnlab.teaching.tasks.memory_task_curve``, notebook 04's
  ``delay_memory_curve`` with a choice of cell): delay-k, which measures
  CAPACITY (hold k letters at once), and long recall, which measures SPAN
  (hold one letter for k steps): ``delay_accuracy``, ``recall_accuracy``,
  ``compare_delay``, ``compare_recall``, ``largest_solved_k``, ``solved_summary``.

The drawing is in ``gated_plots``, the widget in ``gated``.

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
from ..train import evaluate, train
from .tasks import memory_task_curve, nats_to_bits

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


def flops_per_char(cell, V, H, E):
    """Matrix-product FLOPs of one training character of ``SequenceModel(V, H, embed_dim=E, cell=cell)``.

    Every weight matrix W (m, n) is used three times per character: once forward
    (x W) and twice backward (dx = da W^T, dW += x^T da), 2 m n FLOPs each.  The
    matrices are Wx (E, G*H), Wh (H, G*H) and W_out (H, V); the embedding is a
    lookup, no product.  So

        flops_per_char = 6 (E G H + H G H + H V)

    the benchmark's formula (``benchmarks/run.py``).  Elementwise work (gates,
    softmax) is O(G H + V) per character and left out.
    """
    c = _check_cell("flops_per_char", cell)
    for name, v in (("V", V), ("H", H), ("E", E)):
        _check_positive_int("flops_per_char", name, v)
    G = c.gates
    return 6 * (E * G * H + H * G * H + H * V)


def compare_char_lm(train_ids, val_ids, V, hidden_sizes, *, time_limit=None, max_steps=None, embed_dim=32,
                    batch_size=32, seq_len=50, lr=3e-3, clip_norm=5.0, val_chars=20_000, seed=0, clock="wall",
                    path=None):
    """Train one character model per cell on the same data for the same budget.

    Args:
        train_ids, val_ids: (L,) int sequences in [0, V)
        V: vocabulary size
        hidden_sizes: dict cell -> H, e.g. from matched_hidden_sizes
        time_limit: seconds of training per cell (equal time), and/or
        max_steps: optimiser steps per cell (give at least one of the two)
        embed_dim, batch_size, seq_len, lr, clip_norm: as in notebook 05 (Adam)
        val_chars: validation uses the first this many characters, state carried across windows
            (None: the whole validation split)
        seed: seeds every model's weights
        clock: what time_limit counts: "wall" (seconds on the clock) or "cpu" (CPU seconds of this
            process, which other programs on a shared machine do not eat into; use one BLAS thread)
        path: passed to SequenceModel as ``path=`` ("reference" or "fast") when given

    Returns:
        dict cell -> {"H", "params", "steps", "seconds", "cpu_seconds", "val_bits", "history"}
    """
    import time

    from ..data import SequenceBatcher

    where = "compare_char_lm"
    if time_limit is None and max_steps is None:
        raise ValueError(f"{where}: give time_limit (seconds) or max_steps, got neither")
    if not isinstance(hidden_sizes, dict) or not hidden_sizes:
        raise TypeError(f"{where}: hidden_sizes must be a non-empty dict cell -> H, got {hidden_sizes!r}")
    if clock not in ("wall", "cpu"):
        raise ValueError(f"{where}: clock must be 'wall' or 'cpu', got {clock!r}")
    batches = SequenceBatcher(np.asarray(train_ids), batch_size, seq_len)
    val = np.asarray(val_ids) if val_chars is None else np.asarray(val_ids)[:val_chars]
    val_batches = SequenceBatcher(val, batch_size, 100)
    extra = {} if path is None else {"path": path}
    results = {}
    for cell, H in hidden_sizes.items():
        _check_cell(where, cell)
        model = SequenceModel(V, H, embed_dim=embed_dim, cell=cell, rng=np.random.default_rng(seed), **extra)
        cpu_start = time.process_time()
        callbacks = ()
        wall_limit = time_limit
        if clock == "cpu" and time_limit is not None:
            wall_limit = None
            callbacks = (lambda info: time.process_time() - cpu_start > time_limit,)
        history = train(model, batches, optimizer=Adam(lr=lr), epochs=1000, clip_norm=clip_norm,
                        carry_state=True, progress=False, time_limit=wall_limit, max_steps=max_steps,
                        callbacks=callbacks)
        cpu_seconds = time.process_time() - cpu_start
        val_loss = evaluate(model, val_batches, carry_state=True)
        results[cell] = {"H": H, "params": model.num_params(), "steps": history.steps,
                         "seconds": history.seconds, "cpu_seconds": cpu_seconds, "val_bits": nats_to_bits(val_loss),
                         "history": history, "model": model}
    return results


def load_char_model(npz_path, json_path):
    """A character model stored by ``experiments/gated_char_model.py``.

    Args:
        npz_path: its parameters (``np.savez_compressed``, one array per name of ``model.params``)
        json_path: its record, whose "settings" give the cell, H and embed_dim, and "V" the vocabulary size

    Returns:
        (SequenceModel in float64 with the stored parameters, the record as a dict)
    """
    import json
    from pathlib import Path

    info = json.loads(Path(json_path).read_text())
    s = info["settings"]
    model = SequenceModel(info["V"], s["H"], embed_dim=s["embed_dim"], cell=s["cell"], rng=np.random.default_rng(0))
    with np.load(npz_path) as stored:
        missing = sorted(set(model.params) - set(stored.files))
        if missing:
            raise ValueError(f"load_char_model: {npz_path} lacks parameters {missing}")
        for name, value in model.params.items():
            if stored[name].shape != value.shape:
                raise ValueError(f"load_char_model: parameter {name!r} in {npz_path} has shape {stored[name].shape}, "
                                 f"the model in {json_path} needs {value.shape}")
            value[...] = stored[name]
    return model, info


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

def solved_summary(results, threshold=0.95):
    """One line per cell: the largest k solved at >= threshold.  results: dict cell -> delay or recall result."""
    lines = []
    for cell, r in results.items():
        k = largest_solved_k(r, threshold)
        lines.append(f"{CELL_LABELS.get(cell, cell):12s} largest k solved at >= {threshold:.0%}: "
                     f"{'none' if k is None else k}")
    return "\n".join(lines)

