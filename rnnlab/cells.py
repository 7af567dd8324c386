"""The recurrent cells a model can be built from, behind one small interface.

A model never calls rnn_forward (or lstm_forward, gru_forward) directly: it
looks its cell up here, so a new cell is one more entry in ``CELLS`` and every
model, the training loop and the widgets can use it.

Interface of a cell (H is the hidden size, G the number of gate blocks):
    params:   Wx (D, G*H), Wh (H, G*H), b (G*H,), plus one (H,) vector per name
              in ``extra_params`` (the GRU's b_hn)
    state:    what is carried from one window to the next:
              "rnn", "gru": h of shape (N, H);  "lstm": the tuple (h, c), both (N, H)
    forward(x, state0, Wx, Wh, b, activation, *extra) -> (h (N, T, H), state_last, cache)
    backward(dh (N, T, H), cache) -> (dx (N, T, D), dstate0, dWx, dWh, db, *dextra)
              (dstate0 has the structure of the state; dextra follows extra_params)
    init_bias(H, dtype) -> b (G*H,): the bias a fresh model starts from

Cells:
    "rnn"   G = 1, h_t = f(x_t @ Wx + h_{t-1} @ Wh + b)        rnnlab.layers
    "lstm"  G = 4, blocks [i, f, g, o], state (h, c)            rnnlab.lstm
    "gru"   G = 3, blocks [r, z, n], extra parameter b_hn (H,)  rnnlab.gru

Paths: every cell exists twice, with the same maths and results.
    "fast"       (default) rnnlab.fast: time-major buffers, fused products
    "reference"  the modules above: sequence functions looping over step functions
``get_cell(name, path)`` picks one; ``SequenceModel(..., path=...)`` passes it on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import fast, gru, layers, lstm

PATHS = ("fast", "reference")


def _zero_state(N, H, dtype):
    return np.zeros((N, H), dtype)


@dataclass(frozen=True)
class Cell:
    name: str
    gates: int
    forward: Callable
    backward: Callable
    zero_state: Callable  # (N, H, dtype) -> state
    uses_activation: bool = True  # gated cells fix their own nonlinearities
    extra_params: tuple = ()  # names of parameters beyond Wx, Wh, b; each (H,), starting at zero
    init_bias: Callable | None = None  # (H, dtype) -> (G*H,); None: zeros
    path: str = "fast"  # "fast" (rnnlab.fast) or "reference" (rnnlab.layers, lstm, gru)

    def initial_bias(self, H, dtype):
        """The bias b (G*H,) a freshly built model starts from."""
        return np.zeros(self.gates * H, dtype) if self.init_bias is None else self.init_bias(H, dtype)


# Adapters from each module's functions to the interface above, for one path:
# ``m`` is the module that holds the sequence functions (rnnlab.fast or a reference module).


def _rnn_cell(m, path):
    def forward(x, h0, Wx, Wh, b, activation):
        h, cache = m.rnn_forward(x, h0, Wx, Wh, b, activation)
        return h, h[:, -1].copy(), cache

    return Cell("rnn", 1, forward, m.rnn_backward, _zero_state, path=path)


def _lstm_cell(m, path):
    def forward(x, state0, Wx, Wh, b, activation):
        # An array here would be unpacked row by row into "h0, c0": refuse it, loudly.
        if not (isinstance(state0, tuple) and len(state0) == 2):
            raise TypeError(
                "lstm: the state must be the tuple (h, c) of two (N, H) arrays, "
                f"got {type(state0).__name__}" + (f" of length {len(state0)}" if isinstance(state0, tuple) else "")
            )
        h0, c0 = state0
        h, cache = m.lstm_forward(x, h0, Wx, Wh, b, c0)
        return h, (h[:, -1].copy(), cache.c[:, -1].copy()), cache

    def backward(dh, cache):
        dx, dh0, dc0, dWx, dWh, db = m.lstm_backward_state(dh, cache)
        return dx, (dh0, dc0), dWx, dWh, db

    return Cell("lstm", 4, forward, backward, _lstm_zero_state, uses_activation=False,
                init_bias=_lstm_init_bias, path=path)


def _lstm_zero_state(N, H, dtype):
    return (np.zeros((N, H), dtype), np.zeros((N, H), dtype))


def _lstm_init_bias(H, dtype):
    # Forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015): sigma(1) = 0.73, so a
    # fresh LSTM keeps most of its memory and its gradient (0.73^k over k steps instead of
    # 0.5^k with bias 0) until it has learned what to forget.
    b = np.zeros(4 * H, dtype)
    b[H:2 * H] = 1
    return b


def _gru_cell(m, path):
    def forward(x, h0, Wx, Wh, b, activation, b_hn):
        h, cache = m.gru_forward(x, h0, Wx, Wh, b, b_hn)
        return h, h[:, -1].copy(), cache

    return Cell("gru", 3, forward, m.gru_backward, _zero_state, uses_activation=False,
                extra_params=("b_hn",), path=path)


# the fast path: what models use unless told otherwise
CELLS = {"rnn": _rnn_cell(fast, "fast"), "lstm": _lstm_cell(fast, "fast"), "gru": _gru_cell(fast, "fast")}
# the reference path: the same maths, looping over the step functions
REFERENCE_CELLS = {"rnn": _rnn_cell(layers, "reference"), "lstm": _lstm_cell(lstm, "reference"),
                   "gru": _gru_cell(gru, "reference")}


def get_cell(name: str, path: str = "fast") -> Cell:
    """The cell called ``name`` ("rnn", "lstm", "gru") on ``path`` ("fast" or "reference")."""
    if path not in PATHS:
        raise ValueError(f"path must be one of {list(PATHS)}, got {path!r}")
    if name not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {name!r}")
    return (CELLS if path == "fast" else REFERENCE_CELLS)[name]


def state_batch_size(state):
    """N of a carried state: an (N, H) array or a tuple of them."""
    return (state[0] if isinstance(state, tuple) else state).shape[0]
