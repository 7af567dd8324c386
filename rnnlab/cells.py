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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .gru import gru_backward, gru_forward
from .layers import rnn_backward, rnn_forward
from .lstm import lstm_backward_state, lstm_forward


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

    def initial_bias(self, H, dtype):
        """The bias b (G*H,) a freshly built model starts from."""
        return np.zeros(self.gates * H, dtype) if self.init_bias is None else self.init_bias(H, dtype)


# ---------------- vanilla ----------------


def _rnn_forward(x, h0, Wx, Wh, b, activation):
    h, cache = rnn_forward(x, h0, Wx, Wh, b, activation)
    return h, h[:, -1].copy(), cache


def _rnn_backward(dh, cache):
    return rnn_backward(dh, cache)


# ---------------- LSTM ----------------


def _lstm_forward(x, state0, Wx, Wh, b, activation):
    # An array here would be unpacked row by row into "h0, c0": refuse it, loudly.
    if not (isinstance(state0, tuple) and len(state0) == 2):
        raise TypeError(
            "lstm: the state must be the tuple (h, c) of two (N, H) arrays, "
            f"got {type(state0).__name__}" + (f" of length {len(state0)}" if isinstance(state0, tuple) else "")
        )
    h0, c0 = state0
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    return h, (h[:, -1].copy(), cache.c[:, -1].copy()), cache


def _lstm_backward(dh, cache):
    dx, dh0, dc0, dWx, dWh, db = lstm_backward_state(dh, cache)
    return dx, (dh0, dc0), dWx, dWh, db


def _lstm_zero_state(N, H, dtype):
    return (np.zeros((N, H), dtype), np.zeros((N, H), dtype))


def _lstm_init_bias(H, dtype):
    # Forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015): sigma(1) = 0.73, so a
    # fresh LSTM keeps most of its memory and its gradient (0.73^k over k steps instead of
    # 0.5^k with bias 0) until it has learned what to forget.
    b = np.zeros(4 * H, dtype)
    b[H:2 * H] = 1
    return b


# ---------------- GRU ----------------


def _gru_forward(x, h0, Wx, Wh, b, activation, b_hn):
    h, cache = gru_forward(x, h0, Wx, Wh, b, b_hn)
    return h, h[:, -1].copy(), cache


CELLS = {
    "rnn": Cell("rnn", 1, _rnn_forward, _rnn_backward, _zero_state),
    "lstm": Cell("lstm", 4, _lstm_forward, _lstm_backward, _lstm_zero_state,
                 uses_activation=False, init_bias=_lstm_init_bias),
    "gru": Cell("gru", 3, _gru_forward, gru_backward, _zero_state,
                uses_activation=False, extra_params=("b_hn",)),
}


def get_cell(name: str) -> Cell:
    if name not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {name!r}")
    return CELLS[name]


def state_batch_size(state):
    """N of a carried state: an (N, H) array or a tuple of them."""
    return (state[0] if isinstance(state, tuple) else state).shape[0]
