"""The recurrent cells a model can be built from, behind one small interface.

A model never calls rnn_forward directly: it looks its cell up here, so a new
cell (LSTM, GRU) is one more entry in ``CELLS`` and every model, the training
loop and the widgets can use it.

Interface of a cell (H is the hidden size, G the number of gate blocks):
    params:   Wx (D, G*H), Wh (H, G*H), b (G*H,)
    state:    what is carried from one window to the next (vanilla: h of shape (N, H))
    forward(x, state0, Wx, Wh, b, activation) -> (h (N, T, H), state_last, cache)
    backward(dh (N, T, H), cache) -> (dx (N, T, D), dstate0, dWx, dWh, db)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .layers import rnn_backward, rnn_forward


@dataclass(frozen=True)
class Cell:
    name: str
    gates: int
    forward: Callable
    backward: Callable
    zero_state: Callable  # (N, H, dtype) -> state
    uses_activation: bool = True  # gated cells fix their own nonlinearities


def _rnn_forward(x, h0, Wx, Wh, b, activation):
    h, cache = rnn_forward(x, h0, Wx, Wh, b, activation)
    return h, h[:, -1].copy(), cache


def _rnn_backward(dh, cache):
    return rnn_backward(dh, cache)


CELLS = {
    "rnn": Cell("rnn", 1, _rnn_forward, _rnn_backward, lambda N, H, dtype: np.zeros((N, H), dtype)),
}


def get_cell(name: str) -> Cell:
    if name not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {name!r}")
    return CELLS[name]


def state_batch_size(state):
    """N of a carried state: an (N, H) array or a tuple of them."""
    return (state[0] if isinstance(state, tuple) else state).shape[0]
