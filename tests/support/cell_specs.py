"""One uniform view of the three cells on both paths, for parametrised tests.

A cell's state is h (N, H) for the vanilla cell and the GRU and the pair (h, c)
for the LSTM; its parameters are [Wx, Wh, b] plus the GRU's b_hn.  Every
function here works on lists of arrays so a test can loop over "every input"
and "every gradient" without knowing which cell it has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnlab import fast, gru, layers, lstm

PATHS = ("reference", "fast")
MODULES = {  # path -> cell -> the module holding <cell>_forward / <cell>_backward
    "reference": {"rnn": layers, "lstm": lstm, "gru": gru},
    "fast": {"rnn": fast, "lstm": fast, "gru": fast},
}


@dataclass(frozen=True)
class Spec:
    cell: str  # "rnn", "lstm", "gru"
    activation: str = "tanh"  # vanilla cell only

    @property
    def gates(self):
        return {"rnn": 1, "lstm": 4, "gru": 3}[self.cell]

    @property
    def param_names(self):
        return ["Wx", "Wh", "b"] + (["b_hn"] if self.cell == "gru" else [])

    @property
    def state_names(self):
        return ["h0", "c0"] if self.cell == "lstm" else ["h0"]

    def __str__(self):
        return self.cell if self.cell != "rnn" else f"rnn-{self.activation}"

    # ---------------- random inputs ----------------

    def params(self, rng, D, H, dtype=np.float64, scale=None):
        """[Wx (D, GH), Wh (H, GH), b (GH,), (b_hn (H,))]; default scale: 1/sqrt(fan_in)."""
        G = self.gates
        sx = 1 / np.sqrt(D) if scale is None else scale
        sh = 1 / np.sqrt(H) if scale is None else scale
        p = [rng.standard_normal((D, G * H)) * sx, rng.standard_normal((H, G * H)) * sh,
             rng.standard_normal(G * H) * 0.5]
        if self.cell == "rnn" and self.activation == "relu":
            p[2] = p[2] + np.sign(p[2]) * 0.3  # keep pre-activations away from the kink at 0
        if self.cell == "gru":
            p.append(rng.standard_normal(H) * 0.5)
        return [a.astype(dtype) for a in p]

    def states(self, rng, N, H, dtype=np.float64):
        """[h0] or [h0, c0], each (N, H)."""
        return [rng.standard_normal((N, H)).astype(dtype) for _ in self.state_names]

    # ---------------- one step (reference modules only: there is one step function) ----------------

    def step_forward(self, x, states, params):
        """x (N, D) -> (h_next, [states_next], cache)."""
        if self.cell == "rnn":
            h, cache = layers.rnn_step_forward(x, *states, *params, activation=self.activation)
            return h, [h], cache
        if self.cell == "lstm":
            h, c, cache = lstm.lstm_step_forward(x, *states, *params)
            return h, [h, c], cache
        h, cache = gru.gru_step_forward(x, *states, *params)
        return h, [h], cache

    def step_backward(self, dstates, cache):
        """Gradients on the next states -> (dx, [dstates_prev], [dparams])."""
        if self.cell == "lstm":
            dx, dh, dc, *dp = lstm.lstm_step_backward(*dstates, cache)
            return dx, [dh, dc], dp
        mod = layers if self.cell == "rnn" else gru
        dx, dh, *dp = getattr(mod, f"{self.cell}_step_backward")(dstates[0], cache)
        return dx, [dh], dp

    # ---------------- a whole sequence, on a path ----------------

    def forward(self, path, x, states, params):
        """x (N, T, D) -> (h (N, T, H), [final states], cache)."""
        mod = MODULES[path][self.cell]
        if self.cell == "rnn":
            h, cache = mod.rnn_forward(x, *states, *params, activation=self.activation)
            return h, [h[:, -1]], cache
        if self.cell == "lstm":
            h0, c0 = states
            h, cache = mod.lstm_forward(x, h0, *params, c0=c0)
            return h, [h[:, -1], cache.c[:, -1]], cache
        h, cache = mod.gru_forward(x, *states, *params)
        return h, [h[:, -1]], cache

    def backward(self, path, dh, cache, dfinal=None):
        """Gradients of sum(h * dh) + sum(final_state * dfinal) -> (dx, [dstates0], [dparams])."""
        mod = MODULES[path][self.cell]
        dh = dh.copy()
        if dfinal is not None:
            dh[:, -1] += dfinal[0]  # h_T is also the final hidden state
        if self.cell == "lstm":
            dx, dh0, dc0, *dp = mod.lstm_backward_state(dh, cache, None if dfinal is None else dfinal[1])
            return dx, [dh0, dc0], dp
        dx, dh0, *dp = getattr(mod, f"{self.cell}_backward")(dh, cache)
        return dx, [dh0], dp

    def loss(self, path, x, states, params, dh, dfinal):
        """The scalar whose gradients backward() returns."""
        h, final, _ = self.forward(path, x, states, params)
        return float(np.sum(h * dh) + sum(np.sum(s * d) for s, d in zip(final, dfinal)))


SPECS = [Spec("rnn", "tanh"), Spec("rnn", "sigmoid"), Spec("rnn", "relu"), Spec("lstm"), Spec("gru")]
