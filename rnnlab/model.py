"""Models built from the layer functions: thin classes that own parameters.

* ``SequenceModel``: many-to-many over symbols (the char LM, the alphabet task):
  idx (N, T) -> embedding -> recurrent cell -> affine -> scores (N, T, V).
* ``SequenceRegressor``: many-to-one regression (seed 002):
  x (N, T, D) -> recurrent cell -> last hidden state -> affine -> y_hat (N, O).

Both expose ``params`` (a dict of arrays) and
``loss(...) -> (loss, grads, h_last)`` with grads keyed like params, so the
optimisers, ``gradient_check`` and ``train`` work on either.  ``loss`` accepts
``params=`` to evaluate other parameter values without touching the model's.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np

from .cells import get_cell, state_batch_size
from .data import Vocab
from .layers import (
    embedding_backward,
    embedding_forward,
    log_softmax,
    mse_loss,
    softmax,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
)
from .validation import as_float_array, check_int_indices, check_ndim, check_shape

FORMAT_VERSION = 1


# --------------------------------------------------------------------------
# Initialisers: fan_in is the number of inputs each output unit sums over.
# --------------------------------------------------------------------------


def init_weights(kind, shape, rng, dtype=np.float64):
    """A weight matrix of ``shape`` = (fan_in, fan_out).

    kind: "lecun_normal"  N(0, 1/fan_in): keeps the variance of x @ W near that of x
          "lecun_uniform" U(-sqrt(3/fan_in), sqrt(3/fan_in)): same variance (seed 002)
          "orthogonal"    all singular values 1: the recurrence neither grows nor shrinks at first
          "identity"      I (square only): h_t starts as a running sum of its inputs (seed 002)
    """
    fan_in = shape[0]
    if kind == "lecun_normal":
        w = rng.standard_normal(shape) / np.sqrt(fan_in)
    elif kind == "lecun_uniform":
        limit = np.sqrt(3.0 / fan_in)
        w = rng.uniform(-limit, limit, size=shape)
    elif kind == "orthogonal":
        a = rng.standard_normal((max(shape), min(shape)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the result uniformly distributed
        w = q if shape[0] >= shape[1] else q.T
    elif kind == "identity":
        if shape[0] != shape[1] and shape[1] % shape[0] != 0:
            raise ValueError(f"init_weights: identity needs a square (or stacked square) shape, got {shape}")
        w = np.tile(np.eye(shape[0]), (1, shape[1] // shape[0]))
    else:
        raise ValueError(
            f"init_weights: kind must be one of 'lecun_normal', 'lecun_uniform', 'orthogonal', 'identity', got {kind!r}"
        )
    return w.astype(dtype)


def _check_dtype(where, dtype):
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype}")
    return dtype


class _RecurrentModel:
    """Shared by both models: the recurrent core (Wx, Wh, b) and save/load."""

    def _init_core(self, input_dim, hidden_size, activation, cell, input_init, recurrent_init, rng, dtype,
                   path="fast"):
        where = type(self).__name__
        if hidden_size < 1:
            raise ValueError(f"{where}: hidden_size must be >= 1, got {hidden_size}")
        try:
            self.cell = get_cell(cell, path)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        if self.cell.uses_activation:
            from .layers import ACTIVATIONS

            if activation not in ACTIVATIONS:
                raise ValueError(f"{where}: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.hidden_size = hidden_size
        self.activation = activation
        self.dtype = _check_dtype(where, dtype)
        self.input_init, self.recurrent_init = input_init, recurrent_init
        G, H = self.cell.gates, hidden_size
        self.params = {
            "Wx": init_weights(input_init, (input_dim, G * H), rng, self.dtype),
            "Wh": init_weights(recurrent_init, (H, G * H), rng, self.dtype),
            # zeros, except the LSTM's forget-gate block starts at 1 (see rnnlab.cells)
            "b": self.cell.initial_bias(H, self.dtype),
        }
        for name in self.cell.extra_params:  # e.g. the GRU's b_hn (H,)
            self.params[name] = np.zeros(H, dtype=self.dtype)

    def zero_state(self, N):
        """The initial state for N sequences: zeros (N, H); for the LSTM the tuple (h, c) of two."""
        return self.cell.zero_state(N, self.hidden_size, self.dtype)

    def _state0(self, state0, N):
        if state0 is None:
            return self.zero_state(N)
        if state_batch_size(state0) != N:
            raise ValueError(
                f"{type(self).__name__}: the initial state is for {state_batch_size(state0)} sequences, "
                f"but the batch has N = {N}"
            )
        return state0

    def _run_core(self, x, state0, p):
        extra = [p[name] for name in self.cell.extra_params]
        return self.cell.forward(x, state0, p["Wx"], p["Wh"], p["b"], self.activation, *extra)

    def _core_grads(self, dh, core_cache):
        """Backward through the cell: (dx, {"Wx": ..., "Wh": ..., "b": ..., extras})."""
        dx, _, dWx, dWh, db, *dextra = self.cell.backward(dh, core_cache)
        return dx, {"Wx": dWx, "Wh": dWh, "b": db, **dict(zip(self.cell.extra_params, dextra))}

    def _activation_repr(self):
        return f", activation={self.activation!r}" if self.cell.uses_activation else ""

    def num_params(self):
        """Total number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    # ---------------- checkpoints ----------------

    def _config(self):
        raise NotImplementedError

    def save(self, path):
        """Write parameters and configuration to an .npz file (no pickles)."""
        arrays = {f"param/{k}": v for k, v in self.params.items()}
        config = {"format": FORMAT_VERSION, "class": type(self).__name__, **self._config()}
        arrays["config"] = np.array(json.dumps(config))
        np.savez(path, **arrays)

    @staticmethod
    def load(path):
        """Rebuild a model saved with ``save``.  Raises ValueError for a file that is not one."""
        try:
            with np.load(path, allow_pickle=False) as f:
                data = {k: f[k] for k in f.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:  # BadZipFile: a cut-short .npz
            raise ValueError(f"load: {path} is not a readable rnnlab checkpoint (.npz): {e}") from None
        if "config" not in data:
            raise ValueError(f"load: {path} has no 'config' entry; it was not written by rnnlab's save()")
        try:
            config = json.loads(str(data["config"]))
        except json.JSONDecodeError as e:
            raise ValueError(f"load: {path} has a corrupt config ({e})") from None
        if config.get("format") != FORMAT_VERSION:
            raise ValueError(f"load: {path} has checkpoint format {config.get('format')}, expected {FORMAT_VERSION}")
        classes = {"SequenceModel": SequenceModel, "SequenceRegressor": SequenceRegressor}
        cls = classes.get(config.get("class"))
        if cls is None:
            raise ValueError(f"load: {path} holds an unknown model class {config.get('class')!r}")
        model = cls._from_config(config)
        for k, p in model.params.items():
            key = f"param/{k}"
            if key not in data:
                raise ValueError(f"load: {path} is missing parameter {k!r}")
            if data[key].shape != p.shape or data[key].dtype != p.dtype:
                raise ValueError(
                    f"load: parameter {k!r} in {path} has shape {data[key].shape} dtype {data[key].dtype}, "
                    f"the configuration needs {p.shape} {p.dtype}"
                )
            model.params[k] = data[key].copy()
        return model


class SequenceModel(_RecurrentModel):
    """Many-to-many model over a vocabulary of V symbols.

    Shapes: idx (N, T) ints -> W_embed (V, E) -> cell (Wx (E, G*H), Wh (H, G*H), b (G*H,))
            -> W_out (H, V), b_out (V,) -> scores (N, T, V)
    (G = 1 for "rnn", 4 for "lstm", 3 for "gru")

    Args:
        vocab: a Vocab (then ``sample`` returns text) or the vocabulary size V
        hidden_size: H
        embed_dim: E, the size of each symbol's learned vector
        activation: "tanh", "sigmoid" or "relu" (vanilla cell only; gated cells fix their own)
        cell: "rnn", "lstm" or "gru" (any name in rnnlab.cells.CELLS); the GRU adds
            a parameter b_hn (H,), the LSTM carries the state (h, c)
        input_init, recurrent_init: see init_weights
        rng: numpy Generator (seeded for reproducible weights)
        dtype: float64 (default) or float32
        path: "fast" (default, rnnlab.fast) or "reference" (the step-function loops of
            rnnlab.layers / lstm / gru): the same numbers, at different speeds
    """

    def __init__(self, vocab, hidden_size=128, *, embed_dim=32, activation="tanh", cell="rnn",
                 input_init="lecun_normal", recurrent_init="orthogonal", rng=None, dtype=np.float64,
                 path="fast"):
        if isinstance(vocab, Vocab):
            self.vocab, V = vocab, len(vocab)
        elif isinstance(vocab, (int, np.integer)) and vocab >= 1:
            self.vocab, V = None, int(vocab)
        else:
            raise TypeError(f"SequenceModel: vocab must be a Vocab or a positive int, got {vocab!r}")
        if embed_dim < 1:
            raise ValueError(f"SequenceModel: embed_dim must be >= 1, got {embed_dim}")
        rng = np.random.default_rng() if rng is None else rng
        self.vocab_size, self.embed_dim = V, embed_dim
        self._init_core(embed_dim, hidden_size, activation, cell, input_init, recurrent_init, rng, dtype, path)
        self.params = {
            "W_embed": rng.standard_normal((V, embed_dim)).astype(self.dtype),
            **self.params,
            # small output weights: the first predictions are near uniform, so the
            # loss starts near ln(V), the cost of guessing among V symbols
            "W_out": init_weights("lecun_normal", (hidden_size, V), rng, self.dtype) * self.dtype.type(0.1),
            "b_out": np.zeros(V, dtype=self.dtype),
        }

    def __repr__(self):
        return (f"SequenceModel(V={self.vocab_size}, E={self.embed_dim}, H={self.hidden_size}, "
                f"cell={self.cell.name!r}{self._activation_repr()}, dtype={self.dtype}, "
                f"params={self.num_params():,})")

    def _check_idx(self, where, name, idx):
        check_int_indices(where, name, idx, self.vocab_size)
        check_ndim(where, name, idx, 2, "(N, T)")
        if idx.size == 0:
            raise ValueError(f"{where}: {name} must not be empty, got shape {idx.shape}")

    def forward(self, x, state0=None, params=None):
        """Scores for every step.  x: (N, T) ints -> scores (N, T, V), state_last, caches."""
        p = self.params if params is None else params
        self._check_idx("SequenceModel.forward", "x", x)
        state0 = self._state0(state0, x.shape[0])
        emb, emb_cache = embedding_forward(x, p["W_embed"])
        h, state_last, core_cache = self._run_core(emb, state0, p)
        scores, aff_cache = temporal_affine_forward(h, p["W_out"], p["b_out"])
        return scores, state_last, (emb_cache, core_cache, aff_cache)

    def hidden_states(self, x, state0=None):
        """Every hidden state, to look inside the model.  x: (N, T) ints -> h (N, T, H)."""
        _, _, (_, _, (h, _)) = self.forward(x, state0)
        return h

    def loss(self, x, y, state0=None, mask=None, params=None):
        """Mean cross-entropy per symbol and its gradient.

        Args:
            x: (N, T) input indices;  y: (N, T) target indices
            state0: initial state (None: zeros), e.g. the state_last of the previous window
            mask: (N, T) optional, positions that count
            params: optional dict to use instead of self.params (for gradient checks)

        Returns:
            loss (float, nats), grads (dict keyed like params), state_last
        """
        p = self.params if params is None else params
        scores, state_last, (emb_cache, core_cache, aff_cache) = self.forward(x, state0, p)
        check_shape("SequenceModel.loss", "y", np.asarray(y), x.shape, "(N, T)")
        loss, dscores = temporal_softmax_loss(scores, y, mask)
        dh, dW_out, db_out = temporal_affine_backward(dscores, aff_cache)
        demb, core_grads = self._core_grads(dh, core_cache)
        grads = {
            "W_embed": embedding_backward(demb, emb_cache),
            **core_grads,
            "W_out": dW_out, "b_out": db_out,
        }
        return loss, grads, state_last

    def eval_loss(self, x, y, state0=None):
        """Forward only: (mean loss in nats, state_last).  x, y: (N, T) ints."""
        scores, state_last, _ = self.forward(x, state0)
        return temporal_softmax_loss(scores, y)[0], state_last

    def predict(self, x, state0=None):
        """Most likely next symbol at every step.  x: (N, T) ints -> (N, T) ints."""
        scores, _, _ = self.forward(x, state0)
        return scores.argmax(axis=-1)

    def accuracy(self, x, y):
        """Fraction of steps where predict(x) equals y.  x, y: (N, T)."""
        return float((self.predict(x) == np.asarray(y)).mean())

    def sample(self, start, n, temperature=1.0, rng=None):
        """Generate n symbols after reading ``start``.

        Args:
            start: a str (needs a Vocab) or a 1-D array of indices, at least one symbol
            n: number of symbols to generate
            temperature: > 0 divides the scores before the softmax (low: safer,
                high: more varied); 0 means always take the most likely symbol
            rng: numpy Generator, for reproducible samples

        Returns:
            the generated continuation: str when the model has a Vocab of strs, else (n,) ints
        """
        if temperature < 0:
            raise ValueError(f"sample: temperature must be >= 0, got {temperature}")
        if isinstance(start, str):
            if self.vocab is None:
                raise TypeError("sample: a str start needs a model built with a Vocab; pass indices instead")
            ids = self.vocab.encode(start)
        else:
            ids = np.asarray(start)
        if ids.ndim != 1 or len(ids) == 0:
            raise ValueError(f"sample: start must hold at least one symbol, got shape {ids.shape}")
        rng = np.random.default_rng() if rng is None else rng
        # Read the prime in one pass, then feed back one symbol at a time.
        scores, state, _ = self.forward(ids[None, :].astype(np.int64))
        last = scores[0, -1]
        out = np.empty(n, dtype=np.int64)
        for i in range(n):
            if temperature == 0:
                nxt = int(np.argmax(last))
            else:
                probs = softmax(last.astype(np.float64) / temperature)
                nxt = int(rng.choice(self.vocab_size, p=probs))
            out[i] = nxt
            scores, state, _ = self.forward(np.array([[nxt]]), state)
            last = scores[0, -1]
        if self.vocab is not None and all(isinstance(s, str) for s in self.vocab.symbols):
            return self.vocab.decode(out)
        return out

    def log_likelihood(self, x, y, state0=None):
        """Log-probability of each target.  x, y: (N, T) -> (N, T) floats (nats, <= 0)."""
        scores, _, _ = self.forward(x, state0)
        return np.take_along_axis(log_softmax(scores), np.asarray(y)[..., None], axis=-1)[..., 0]

    def _config(self):
        return {
            "vocab_size": self.vocab_size,
            "vocab": None if self.vocab is None else self.vocab.symbols,
            "hidden_size": self.hidden_size, "embed_dim": self.embed_dim,
            "activation": self.activation, "cell": self.cell.name,
            "input_init": self.input_init, "recurrent_init": self.recurrent_init,
            "dtype": self.dtype.name,
        }

    @classmethod
    def _from_config(cls, c):
        vocab = Vocab(c["vocab"]) if c.get("vocab") is not None else c["vocab_size"]
        return cls(vocab, c["hidden_size"], embed_dim=c["embed_dim"], activation=c["activation"],
                   cell=c["cell"], input_init=c["input_init"], recurrent_init=c["recurrent_init"],
                   rng=np.random.default_rng(0), dtype=c["dtype"])


class SequenceRegressor(_RecurrentModel):
    """Many-to-one regression: read a sequence, predict a vector from the last hidden state.

    Shapes: x (N, T, D) -> cell (Wx (D, G*H), Wh (H, G*H), b (G*H,)) -> h_T (N, H)
            -> W_out (H, O), b_out (O,) -> y_hat (N, O);  loss = 0.5 * mean_n ||y_hat - y||^2

    Defaults follow seed 002: LeCun-uniform input and output weights and an
    identity-initialised recurrent matrix.  cell: "rnn", "lstm" or "gru" as in
    SequenceModel (activation applies to "rnn" only); path: "fast" or "reference" as in
    SequenceModel.
    """

    def __init__(self, input_dim, hidden_size, output_dim, *, activation="tanh", cell="rnn",
                 input_init="lecun_uniform", recurrent_init="identity", rng=None, dtype=np.float64,
                 path="fast"):
        if input_dim < 1 or output_dim < 1:
            raise ValueError(f"SequenceRegressor: input_dim and output_dim must be >= 1, got {input_dim}, {output_dim}")
        rng = np.random.default_rng() if rng is None else rng
        self.input_dim, self.output_dim = input_dim, output_dim
        self._init_core(input_dim, hidden_size, activation, cell, input_init, recurrent_init, rng, dtype, path)
        self.params["W_out"] = init_weights(input_init, (hidden_size, output_dim), rng, self.dtype)
        self.params["b_out"] = np.zeros(output_dim, dtype=self.dtype)

    def __repr__(self):
        return (f"SequenceRegressor(D={self.input_dim}, H={self.hidden_size}, O={self.output_dim}, "
                f"cell={self.cell.name!r}{self._activation_repr()}, params={self.num_params():,})")

    def _check_x(self, where, x):
        as_float_array(where, "x", x)
        check_ndim(where, "x", x, 3, "(N, T, D)")
        if x.shape[2] != self.input_dim:
            raise ValueError(f"{where}: x must have shape (N, T, D) with D = {self.input_dim}, got {x.shape}")

    def forward(self, x, state0=None, params=None):
        """x: (N, T, D) -> y_hat (N, O), state_last, caches."""
        p = self.params if params is None else params
        self._check_x("SequenceRegressor.forward", x)
        state0 = self._state0(state0, x.shape[0])
        h, state_last, core_cache = self._run_core(x, state0, p)
        h_last = h[:, -1, :]
        y_hat = h_last @ p["W_out"] + p["b_out"]
        return y_hat, state_last, (core_cache, h)

    def eval_loss(self, x, y, state0=None):
        """Forward only: (loss, state_last).  x: (N, T, D), y: (N, O)."""
        y_hat, state_last, _ = self.forward(x, state0)
        return mse_loss(y_hat, y)[0], state_last

    def predict(self, x, state0=None):
        """x: (N, T, D) -> y_hat (N, O)."""
        return self.forward(x, state0)[0]

    def loss(self, x, y, state0=None, params=None):
        """Half mean squared error of the prediction from the last step.

        Args:
            x: (N, T, D); y: (N, O) targets; state0: initial state or None
            params: optional dict to use instead of self.params

        Returns:
            loss (float), grads (dict keyed like params), state_last
        """
        p = self.params if params is None else params
        y_hat, state_last, (core_cache, h) = self.forward(x, state0, p)
        loss, dy_hat = mse_loss(y_hat, y)
        h_last = h[:, -1, :]
        dh = np.zeros_like(h)
        dh[:, -1, :] = dy_hat @ p["W_out"].T  # only the last step feeds the output
        _, core_grads = self._core_grads(dh, core_cache)
        grads = {**core_grads, "W_out": h_last.T @ dy_hat, "b_out": dy_hat.sum(axis=0)}
        return loss, grads, state_last

    def _config(self):
        return {
            "input_dim": self.input_dim, "hidden_size": self.hidden_size, "output_dim": self.output_dim,
            "activation": self.activation, "cell": self.cell.name,
            "input_init": self.input_init, "recurrent_init": self.recurrent_init, "dtype": self.dtype.name,
        }

    @classmethod
    def _from_config(cls, c):
        return cls(c["input_dim"], c["hidden_size"], c["output_dim"], activation=c["activation"], cell=c["cell"],
                   input_init=c["input_init"], recurrent_init=c["recurrent_init"],
                   rng=np.random.default_rng(0), dtype=c["dtype"])


def load_model(path):
    """Load a SequenceModel or SequenceRegressor saved with ``model.save(path)``."""
    return _RecurrentModel.load(path)
