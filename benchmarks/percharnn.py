"""A per-sample character RNN, the baseline the benchmark compares rnnlab with.

Written in the style of the classic ~100-line NumPy char-RNN that many people
learn from: one sequence at a time (batch size 1), column vectors, one-hot
inputs multiplied by a dense matrix, a Python loop over the 25 steps of each
window, a loss SUMMED over the window, Adagrad, and every gradient entry
clipped to [-5, 5].  It is deliberately not optimised: it is what "a NumPy RNN"
costs when it is written the straightforward way, one character at a time.

Shapes (column convention, unlike rnnlab's row vectors):
    x_t (V, 1) one-hot, h_t (H, 1), Wxh (H, V), Whh (H, H), Why (V, H), bh (H, 1), by (V, 1)
    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh),  p_t = softmax(Why h_t + by)
"""

from __future__ import annotations

import numpy as np


class PerCharRNN:
    def __init__(self, vocab_size, hidden_size=100, seq_len=25, lr=0.1, seed=0):
        rng = np.random.default_rng(seed)
        V, H = vocab_size, hidden_size
        self.V, self.H, self.seq_len, self.lr = V, H, seq_len, lr
        self.params = {
            "Wxh": rng.standard_normal((H, V)) * 0.01,
            "Whh": rng.standard_normal((H, H)) * 0.01,
            "Why": rng.standard_normal((V, H)) * 0.01,
            "bh": np.zeros((H, 1)),
            "by": np.zeros((V, 1)),
        }
        self.memory = {k: np.zeros_like(v) for k, v in self.params.items()}  # Adagrad sums
        self.h = np.zeros((H, 1))
        self.pos = 0

    def loss_and_grads(self, inputs, targets, h_prev):
        """inputs, targets: lists of ints (one window).  Returns summed loss, grads, last h."""
        p = self.params
        xs, hs, ps = {}, {-1: h_prev}, {}
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((self.V, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(p["Wxh"] @ xs[t] + p["Whh"] @ hs[t - 1] + p["bh"])
            logits = p["Why"] @ hs[t] + p["by"]
            e = np.exp(logits - logits.max())
            ps[t] = e / e.sum()
            loss -= np.log(ps[t][targets[t], 0])
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        dh_next = np.zeros((self.H, 1))
        for t in reversed(range(len(inputs))):
            dy = ps[t].copy()
            dy[targets[t]] -= 1  # softmax + cross-entropy
            grads["Why"] += dy @ hs[t].T
            grads["by"] += dy
            dh = p["Why"].T @ dy + dh_next
            da = (1 - hs[t] * hs[t]) * dh  # through tanh
            grads["bh"] += da
            grads["Wxh"] += da @ xs[t].T
            grads["Whh"] += da @ hs[t - 1].T
            dh_next = p["Whh"].T @ da
        return loss, grads, hs[len(inputs) - 1]

    def step(self, ids):
        """Train on the next window of the 1-D int array ``ids`` (the training text)."""
        if self.pos + self.seq_len + 1 > len(ids):
            self.pos, self.h = 0, np.zeros((self.H, 1))  # new pass over the text
        inputs = ids[self.pos:self.pos + self.seq_len].tolist()
        targets = ids[self.pos + 1:self.pos + self.seq_len + 1].tolist()
        loss, grads, self.h = self.loss_and_grads(inputs, targets, self.h)
        for k, p in self.params.items():
            g = np.clip(grads[k], -5, 5)
            self.memory[k] += g * g
            p -= self.lr * g / np.sqrt(self.memory[k] + 1e-8)
        self.pos += self.seq_len
        return loss / self.seq_len

    def eval_loss(self, x, y, from_zero=False):
        """Mean cross-entropy (nats) on (S, L) int streams, all S streams at once (columns).

        Every stream starts from the last training state, not from zeros: trained
        the classic way, the state is reset only once per pass over the text, so
        the model never learns to start from h = 0 and from there it falls into a
        state where it predicts badly for the whole stream (about 14 nats per
        character early in training).  ``from_zero=True`` shows that.
        """
        p = self.params
        S, L = x.shape
        h = np.zeros((self.H, S)) if from_zero else np.repeat(self.h, S, axis=1)
        total = 0.0
        for t in range(L):
            h = np.tanh(p["Wxh"][:, x[:, t]] + p["Whh"] @ h + p["bh"])  # one-hot product as a lookup
            logits = p["Why"] @ h + p["by"]
            logits -= logits.max(axis=0)
            logp = logits - np.log(np.exp(logits).sum(axis=0))
            total -= logp[y[:, t], np.arange(S)].sum()
        return total / (S * L)

    def matmul_shapes(self):
        """(m, k, n) of every matrix product in one window, for the FLOP count."""
        V, H, T = self.V, self.H, self.seq_len
        per_step = [(H, V, 1), (H, H, 1), (V, H, 1),  # forward: Wxh x, Whh h, Why h
                    (V, 1, H), (H, V, 1), (H, 1, V), (H, 1, H), (H, H, 1)]  # backward
        return per_step * T
