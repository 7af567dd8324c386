"""Small tasks and measurements for notebooks 04-06: the alphabet task, two memory
tasks (delay-k: hold k letters at once; long recall: hold one letter for k steps)
with one routine that trains and scores a model on them, baselines, and probes of
hidden units.

Everything here is a pure function of its arguments (randomness comes from a
numpy Generator you pass in), so each piece is tested on its own.

Shapes: symbol sequences are int arrays x (N, T); hidden states h (T, H) or (N, T, H).
"""

from __future__ import annotations

import math

import numpy as np

from ..data import ALPHABET, alphabet_shift_data
from ..validation import check_int_indices, check_ndim

# --------------------------------------------------------------------------
# The alphabet task (seed 003)
# --------------------------------------------------------------------------


def alphabet_ids():
    """The seed 003 rows as indices into ``rnnlab.ALPHABET`` (A=0 ... Z=25).

    Returns:
        x: (5, 26) int64, the input letters
        y: (5, 26) int64, the expected letters
    """
    inputs, expected = alphabet_shift_data()
    return (np.stack([ALPHABET.encode(r) for r in inputs]),
            np.stack([ALPHABET.encode(r) for r in expected]))


def _check_xy(where, x, y, V):
    check_int_indices(where, "x", x, V)
    check_int_indices(where, "y", y, V)
    check_ndim(where, "x", x, 2, "(N, T)")
    if y.shape != x.shape:
        raise ValueError(f"{where}: y must have the shape of x = {x.shape} (N, T), got {y.shape}")


def lookup_table(x, y, V=26):
    """The best memoryless predictor: for each input symbol, its most frequent target.

    A lookup table sees only the current symbol, so the best it can do for an
    input symbol s is to answer the target that follows s most often (ties: the
    smallest index).  Symbols never seen map to themselves.

    Args:
        x, y: (N, T) int indices in [0, V)
        V: vocabulary size

    Returns:
        table: (V,) int64, table[s] = predicted target for input s
    """
    _check_xy("lookup_table", x, y, V)
    counts = np.zeros((V, V), dtype=np.int64)
    np.add.at(counts, (x.ravel(), y.ravel()), 1)
    table = counts.argmax(axis=1)  # argmax returns the first maximum: ties -> smallest index
    unseen = counts.sum(axis=1) == 0
    table[unseen] = np.arange(V)[unseen]
    return table


def lookup_table_accuracy(x, y, V=26):
    """Highest accuracy ANY per-symbol lookup table (no memory) can reach on (x, y).

    Equal to sum over input symbols of (count of its most common target) / (N*T):
    the majority table is optimal because each input symbol is answered
    independently of every other.  x, y: (N, T) ints -> float in [0, 1].
    """
    table = lookup_table(x, y, V)
    return float((table[x] == y).mean())


def shifted_sequences(n, rng, k=1, length=26, V=26):
    """Fresh alphabet rows: ``n`` random orderings of V letters (first ``length`` of each),
    each target the input shifted k places (wrapping Z -> A).

    Returns:
        x: (n, length) int64;  y: (n, length) int64 = (x + k) % V
    """
    if not 1 <= length <= V:
        raise ValueError(f"shifted_sequences: length must be in [1, {V}], got {length}")
    if n < 1:
        raise ValueError(f"shifted_sequences: n must be >= 1, got {n}")
    x = np.stack([rng.permutation(V)[:length] for _ in range(n)]).astype(np.int64)
    return x, (x + k) % V


def seed003_torch_recipe(x, y, lr=1e-3, max_steps=10, *, stop_at_100=False, hidden_size=128, seed=42):
    """Seed 003's PyTorch model and training loop, unchanged except for the step count and lr.

    The model is ``nn.RNN(26, hidden_size)`` on one-hot letters with a linear read-out, trained
    by full-batch Adam on the mean cross-entropy (PyTorch is imported here, only when called).

    Args:
        x, y: (N, T) int letters 0..25 (e.g. ``alphabet_ids()``)
        lr: Adam learning rate;  max_steps: optimiser steps
        stop_at_100: stop at the first step after which every letter of (x, y) is predicted right
        hidden_size: H of nn.RNN;  seed: torch.manual_seed before building the model

    Returns:
        net (a callable: (N, T, 26) one-hot float tensor -> (N, T, 26) scores), the last loss (float),
        the accuracy on (x, y) after the last step (float), the number of steps taken (int)
    """
    import torch

    _check_xy("seed003_torch_recipe", np.asarray(x), np.asarray(y), 26)

    class AlphabetRNN(torch.nn.Module):          # the seed's model
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.RNN(26, hidden_size, batch_first=True)
            self.fc = torch.nn.Linear(hidden_size, 26)

        def forward(self, X):
            return self.fc(self.rnn(X)[0])

    X = torch.eye(26)[torch.from_numpy(np.asarray(x))]     # one-hot, (N, T, 26)
    Y = torch.from_numpy(np.asarray(y))
    torch.manual_seed(seed)
    net = AlphabetRNN()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    step, loss, acc = 0, float("nan"), 0.0
    for step in range(1, max_steps + 1):
        opt.zero_grad()
        loss_t = torch.nn.functional.cross_entropy(net(X).reshape(-1, 26), Y.reshape(-1))
        loss_t.backward()
        opt.step()
        loss = loss_t.item()
        with torch.no_grad():
            acc = (net(X).argmax(-1) == Y).float().mean().item()
        if stop_at_100 and acc == 1.0:
            break
    return net, loss, acc, step


# --------------------------------------------------------------------------
# Delayed recall: a task that needs memory
# --------------------------------------------------------------------------


def delay_task(n, T, k, rng, V=26, shift=1):
    """Output the letter seen k steps earlier, shifted by ``shift``.

    Inputs are uniform random letters 0..V-1.  For t >= k the target is
    (x[t-k] + shift) % V; for t < k nothing has been seen k steps back, so the
    target is a blank symbol with index V (the model's vocabulary is V + 1).
    Only positions t >= k are scored (``mask``).  k = 0 needs no memory at all.

    Args:
        n: number of sequences N;  T: length;  k: delay (0 <= k < T)
        rng: numpy Generator

    Returns:
        x: (N, T) int64 in [0, V);  y: (N, T) int64 in [0, V];  mask: (N, T) bool, True where t >= k
    """
    if not 0 <= k < T:
        raise ValueError(f"delay_task: k must satisfy 0 <= k < T = {T}, got k = {k}")
    x = rng.integers(0, V, size=(n, T)).astype(np.int64)
    y = np.full((n, T), V, dtype=np.int64)
    y[:, k:] = (x[:, :T - k] + shift) % V
    mask = np.zeros((n, T), dtype=bool)
    mask[:, k:] = True
    return x, y, mask


def masked_accuracy(pred, y, mask):
    """Fraction of positions with mask True where pred == y.  pred, y, mask: (N, T)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise ValueError("masked_accuracy: mask selects no positions")
    return float((np.asarray(pred) == np.asarray(y))[mask].mean())


def recall_task(N, k, rng, V=26):
    """Long recall: read k + 1 random letters, then name the FIRST one.

    Only the last step is scored, and its answer is the letter seen k steps
    earlier at t = 0.  Unlike ``delay_task`` the model has to hold ONE letter
    (no capacity needed) for k steps while k distracting letters arrive: the
    task measures memory SPAN, how far back a gradient can teach the cell to
    look.  k = 0 is a one-letter sequence whose answer is that letter.

    Args:
        N: number of sequences (>= 1);  k: gap between the letter and the question (>= 0)
        rng: numpy Generator;  V: number of letters (>= 2)

    Returns:
        x: (N, k + 1) int64 letters in [0, V)
        y: (N, k + 1) int64; y[:, -1] = x[:, 0], and 0 elsewhere (placeholders the mask drops)
        mask: (N, k + 1) bool, True at the last step only
    """
    where = "recall_task"
    for name, value, low in (("N", N, 1), ("k", k, 0), ("V", V, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{where}: {name} must be an int >= {low}, got {value!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    x = rng.integers(0, V, size=(N, k + 1)).astype(np.int64)
    y = np.zeros_like(x)
    y[:, -1] = x[:, 0]
    mask = np.zeros(x.shape, dtype=bool)
    mask[:, -1] = True
    return x, y, mask


MEMORY_TASKS = ("delay", "recall")


class _MaskedLoss:
    """Lets ``train`` (which hands the model (x, y) pairs) use a loss mask: each batch's y is the pair (y, mask).

    The wrapped model's ``params`` dict is shared, so the optimiser updates the model itself.
    """

    def __init__(self, model):
        self.model, self.params = model, model.params

    def loss(self, x, y_and_mask, state0=None):
        y, mask = y_and_mask
        return self.model.loss(x, y, state0, mask=mask)


def memory_task_curve(task, ks, *, cell="rnn", hidden_size=32, steps=200, T=16, batch_size=32, lr=1e-2,
                      clip_norm=None, embed_dim=16, activation="tanh", recurrent_init="orthogonal", seed=0,
                      V=26, n_test=512):
    """Train one small ``SequenceModel`` per k on a memory task and score it on fresh sequences.

    The one training/evaluation routine behind notebook 04's delay curve and
    notebook 06's cell comparisons.  For every k: a Generator seeded with
    (seed, k) initialises the model and then draws ``steps`` fresh batches (no
    sample is reused, so a high accuracy means the model remembers, not that it
    memorised); 512 new sequences, seeded with (seed, k, 1), are scored where
    the task's mask is True, choosing among the V letters only (so a model that
    remembers nothing scores chance, 1/V).  Every cell sees the same data.

    task:
      "delay"  ``delay_task(batch_size, T, k)``: output the letter seen k steps earlier, shifted
               by one (capacity: k letters held at once).  Vocabulary V + 1 (a blank before t = k),
               trained on every position, the state carried from batch to batch (as notebook 04 did).
      "recall" ``recall_task(batch_size, k)``: name the first of k + 1 letters at the last step
               (span: one letter held for k steps).  Vocabulary V, trained on the last step only
               (masked loss), every sequence starts from a zero state.  T is not used.

    Args:
        task: "delay" or "recall";  ks: iterable of ints (delay: 0 <= k < T; recall: k >= 0)
        cell: "rnn", "lstm" or "gru";  hidden_size: H;  steps: optimiser steps per model
        T: delay sequence length;  batch_size, lr (Adam), clip_norm (None: no clipping)
        embed_dim, activation (vanilla cell), recurrent_init: passed to SequenceModel
        seed: seeds everything;  V: number of letters;  n_test: test sequences per k

    Returns:
        dict with "task", "cell", "k" (list of ints), "accuracy" (list of floats),
        "chance" (1 / V), "seconds" (wall time of the whole call)
    """
    import time

    from ..cells import CELLS
    from ..model import SequenceModel
    from ..optim import Adam
    from ..train import train

    where = "memory_task_curve"
    if task not in MEMORY_TASKS:
        raise ValueError(f"{where}: task must be one of {list(MEMORY_TASKS)}, got {task!r}")
    if cell not in CELLS:
        raise ValueError(f"{where}: cell must be one of {sorted(CELLS)}, got {cell!r}")
    ks = [int(k) for k in ks]
    if not ks:
        raise ValueError(f"{where}: ks must hold at least one k, got {ks}")
    for k in ks:
        if task == "delay" and not 0 <= k < T:
            raise ValueError(f"{where}: every k must satisfy 0 <= k < T = {T}, got k = {k}")
        if task == "recall" and k < 0:
            raise ValueError(f"{where}: every k must be >= 0 for the recall task, got k = {k}")

    def batch(n, k, rng):
        return delay_task(n, T, k, rng, V) if task == "delay" else recall_task(n, k, rng, V)

    start = time.perf_counter()
    accs = []
    for k in ks:
        rng = np.random.default_rng([seed, k])
        model = SequenceModel(V + 1 if task == "delay" else V, hidden_size, embed_dim=embed_dim, cell=cell,
                              activation=activation, recurrent_init=recurrent_init, rng=rng)
        if task == "delay":
            batches = [batch(batch_size, k, rng)[:2] for _ in range(steps)]
            train(model, batches, optimizer=Adam(lr=lr), clip_norm=clip_norm, progress=False)
        else:
            batches = [(x, (y, mask)) for x, y, mask in (batch(batch_size, k, rng) for _ in range(steps))]
            train(_MaskedLoss(model), batches, optimizer=Adam(lr=lr), clip_norm=clip_norm, carry_state=False,
                  progress=False)
        x, y, mask = batch(n_test, k, np.random.default_rng([seed, k, 1]))
        scores, _, _ = model.forward(x)
        # Scored positions always have a letter as target: pick among letters only.
        accs.append(masked_accuracy(scores[..., :V].argmax(axis=-1), y, mask))
    return {"task": task, "cell": cell, "k": ks, "accuracy": accs, "chance": 1.0 / V,
            "seconds": time.perf_counter() - start}


def delay_memory_curve(ks, hidden_size=32, steps=200, *, T=16, batch_size=32, lr=1e-2,
                       recurrent_init="orthogonal", clip_norm=None, activation="tanh", seed=0, V=26,
                       cell="rnn", embed_dim=16):
    """Train one small SequenceModel per delay k and measure its accuracy on fresh data.

    ``memory_task_curve("delay", ...)`` with notebook 04's defaults (200 steps, no
    clipping, the vanilla cell).  Each model sees ``steps`` fresh random batches
    (no sample is reused, so a high accuracy means the model remembers, not that
    it memorised).  ``cell`` picks "rnn", "lstm" or "gru".

    Returns:
        dict with "k" (list of ints), "accuracy" (list of floats on 512 fresh
        sequences, scored only where t >= k), "chance" (1 / V), and "task",
        "cell", "seconds"
    """
    return memory_task_curve("delay", ks, cell=cell, hidden_size=hidden_size, steps=steps, T=T,
                             batch_size=batch_size, lr=lr, clip_norm=clip_norm, embed_dim=embed_dim,
                             activation=activation, recurrent_init=recurrent_init, seed=seed, V=V)


# --------------------------------------------------------------------------
# Character language models: units and baselines
# --------------------------------------------------------------------------

LN2 = math.log(2.0)


def nats_to_bits(loss):
    """A cross-entropy in nats per symbol -> bits per symbol (divide by ln 2)."""
    return loss / LN2


def unigram_bits_per_char(train_ids, eval_ids, V, smoothing=1.0):
    """Cross-entropy (bits per symbol) of ``eval_ids`` under symbol frequencies counted on ``train_ids``.

    The baseline any character model must beat: it knows how common each
    character is and nothing about order.  Add-``smoothing`` counts keep a
    character unseen in training from costing infinitely many bits.

    Args:
        train_ids: (L,) ints in [0, V);  eval_ids: (M,) ints in [0, V)
        V: vocabulary size;  smoothing: pseudo-count added to every symbol (>= 0)

    Returns:
        float, bits per symbol
    """
    train_ids, eval_ids = np.asarray(train_ids), np.asarray(eval_ids)
    check_int_indices("unigram_bits_per_char", "train_ids", train_ids, V)
    check_int_indices("unigram_bits_per_char", "eval_ids", eval_ids, V)
    if smoothing < 0:
        raise ValueError(f"unigram_bits_per_char: smoothing must be >= 0, got {smoothing}")
    if eval_ids.size == 0:
        raise ValueError("unigram_bits_per_char: eval_ids must not be empty")
    counts = np.bincount(train_ids.ravel(), minlength=V) + float(smoothing)
    p = counts / counts.sum()
    with np.errstate(divide="ignore"):
        return float(-np.log2(p[eval_ids.ravel()]).mean())


def _inside(text, open_ch, close_ch):
    """1.0 for characters strictly between an opening and its closing mark (nesting counted)."""
    out = np.zeros(len(text))
    depth = 0
    for i, c in enumerate(text):
        if c == close_ch and depth > 0:
            depth -= 1
        out[i] = float(depth > 0)
        if c == open_ch:
            depth += 1
    return out


def _inside_quotes(text, q):
    out = np.zeros(len(text))
    inside = False
    for i, c in enumerate(text):
        if c == q:
            inside = not inside
            out[i] = 0.0  # the quote marks themselves are visible, not "inside"
        else:
            out[i] = float(inside)
    return out


def _line_position(text):
    out = np.zeros(len(text))
    col = 0
    for i, c in enumerate(text):
        out[i] = col
        col = 0 if c == "\n" else col + 1
    return out


INDICATORS = {
    "space": lambda s: np.array([c == " " for c in s], dtype=float),
    "newline": lambda s: np.array([c == "\n" for c in s], dtype=float),
    "line start": lambda s: np.array([i == 0 or s[i - 1] == "\n" for i in range(len(s))], dtype=float),
    "position in line": _line_position,
    "uppercase": lambda s: np.array([c.isupper() for c in s], dtype=float),
    "digit": lambda s: np.array([c.isdigit() for c in s], dtype=float),
    "inside (...)": lambda s: _inside(s, "(", ")"),
    "inside [...]": lambda s: _inside(s, "[", "]"),
    'inside "..."': lambda s: _inside_quotes(s, '"'),
    "inside '...'": lambda s: _inside_quotes(s, "'"),
}


def indicator(text, kind):
    """A number per character of ``text`` describing something visible in it.

    kind: one of ``INDICATORS`` ("space", "newline", "line start", "position in
    line", "uppercase", "digit", "inside (...)", "inside [...]", 'inside "..."',
    "inside '...'").  Returns (len(text),) float.
    """
    if kind not in INDICATORS:
        raise ValueError(f"indicator: kind must be one of {list(INDICATORS)}, got {kind!r}")
    return INDICATORS[kind](text)


def unit_correlations(h, signal):
    """Pearson correlation of every hidden unit with ``signal`` over time.

    Args:
        h: (T, H) hidden states for one passage
        signal: (T,) numbers, e.g. an indicator

    Returns:
        r: (H,) floats in [-1, 1]; 0 for a unit (or signal) that never changes
    """
    h = np.asarray(h, dtype=float)
    signal = np.asarray(signal, dtype=float)
    check_ndim("unit_correlations", "h", h, 2, "(T, H)")
    if signal.shape != (h.shape[0],):
        raise ValueError(f"unit_correlations: signal must have shape (T,) = ({h.shape[0]},), got {signal.shape}")
    hc = h - h.mean(axis=0)
    sc = signal - signal.mean()
    denom = np.sqrt((hc ** 2).sum(axis=0) * (sc ** 2).sum())
    num = sc @ hc
    return np.divide(num, denom, out=np.zeros_like(num), where=denom > 1e-12)


def best_unit(h, signal):
    """The unit whose activation tracks ``signal`` best.  h: (T, H), signal: (T,) -> (unit, r).

    'Best' is the largest |r|: a unit that is strongly negative inside quotes
    tracks quotes just as well as one that is positive.
    """
    r = unit_correlations(h, signal)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])
