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

import contextlib
import json
import os
import secrets
import zipfile
import zlib
from pathlib import Path

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
from .validation import as_float_array, check_int, check_int_indices, check_ndim, check_real, check_shape

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
    where = "init_weights"
    if not (isinstance(shape, tuple) and len(shape) == 2):
        raise TypeError(f"{where}: shape must be a tuple (fan_in, fan_out), got {shape!r}")
    shape = tuple(check_int(where, "shape", n, minimum=1) for n in shape)
    _check_rng(where, rng)
    dtype = _check_dtype(where, dtype)
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


def _check_rng(where, rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")


def _check_dtype(where, dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype}")
    return dtype


class _RecurrentModel:
    """Shared by both models: the recurrent core (Wx, Wh, b) and save/load."""

    def _init_core(self, input_dim, hidden_size, activation, cell, input_init, recurrent_init, rng, dtype,
                   path="fast"):
        where = type(self).__name__
        check_int(where, "hidden_size", hidden_size, minimum=1)
        for name, value in (("cell", cell), ("path", path), ("activation", activation)):
            if not isinstance(value, str):
                raise TypeError(f"{where}: {name} must be a str, got {type(value).__name__} {value!r}")
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
        where = type(self).__name__
        parts = state0 if isinstance(state0, tuple) else (state0,)
        for part in parts:
            if not isinstance(part, np.ndarray) or part.ndim != 2:
                raise TypeError(
                    f"{where}: state0 must be None or the state a previous call returned "
                    f"(an (N, H) array; for the LSTM the tuple (h, c) of two), got "
                    f"{type(part).__name__}" + (f" of shape {part.shape}" if isinstance(part, np.ndarray) else "")
                )
        if state_batch_size(state0) != N:
            raise ValueError(
                f"{type(self).__name__}: the initial state is for {state_batch_size(state0)} sequences, "
                f"but the batch has N = {N}"
            )
        return state0

    def _params(self, where, params):
        """self.params, or a replacement dict with the same names, shapes and dtypes (gradient checks)."""
        if params is None:
            return self.params
        if not isinstance(params, dict) or set(params) != set(self.params):
            got = sorted(params) if isinstance(params, dict) else type(params).__name__
            raise ValueError(f"{where}: params must be a dict with the keys {sorted(self.params)}, got {got}")
        for k, ref in self.params.items():
            as_float_array(where, f"params[{k!r}]", params[k])
            check_shape(where, f"params[{k!r}]", params[k], ref.shape, "as in model.params")
            if params[k].dtype != ref.dtype:
                raise TypeError(f"{where}: params[{k!r}] has dtype {params[k].dtype}, the model is {ref.dtype}")
        return params

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
        """Write parameters and configuration to an .npz file (no pickles); returns the path written.

        ``.npz`` is appended when ``path`` does not end with it (as numpy does), and
        ``load_model`` looks for the same name.  The file is written next to its
        destination under a temporary name and then renamed over it, so a save that
        fails half-way (full disk, Ctrl-C) leaves the previous checkpoint intact.
        """
        path = _checkpoint_path("save", path)
        for k, v in self.params.items():
            if not np.all(np.isfinite(v)):
                raise ValueError(f"save: parameter {k!r} holds nan or inf (the run diverged?); "
                                 "such a model cannot be used, so it is not saved")
        arrays = {f"param/{k}": v for k, v in self.params.items()}
        config = {"format": FORMAT_VERSION, "class": type(self).__name__, **self._config()}
        arrays["config"] = np.array(json.dumps(config))
        _atomic_write(path, lambda f: np.savez(f, **arrays))
        return path

    @staticmethod
    def load(path):
        """Rebuild a model saved with ``save``.  Raises CheckpointError for a file that is not one."""
        return load_model(path)


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
        elif isinstance(vocab, (int, np.integer)) and not isinstance(vocab, (bool, np.bool_)) and vocab >= 1:
            self.vocab, V = None, int(vocab)
        else:
            raise TypeError(f"SequenceModel: vocab must be a Vocab or a positive int, got {vocab!r}")
        check_int("SequenceModel", "embed_dim", embed_dim, minimum=1)
        rng = np.random.default_rng() if rng is None else rng
        _check_rng("SequenceModel", rng)
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
        p = self._params("SequenceModel.forward", params)
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
        self._check_targets("SequenceModel.loss", x, y)
        scores, state_last, (emb_cache, core_cache, aff_cache) = self.forward(x, state0, p)
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
        self._check_targets("SequenceModel.eval_loss", x, y)
        scores, state_last, _ = self.forward(x, state0)
        return temporal_softmax_loss(scores, y)[0], state_last

    def predict(self, x, state0=None):
        """Most likely next symbol at every step.  x: (N, T) ints -> (N, T) ints."""
        scores, _, _ = self.forward(x, state0)
        return scores.argmax(axis=-1)

    def _check_targets(self, where, x, y):
        self._check_idx(where, "x", x)
        check_int_indices(where, "y", y, self.vocab_size)
        check_shape(where, "y", y, x.shape, "(N, T)")  # no broadcasting of a (1, T) or (T,) y

    def accuracy(self, x, y):
        """Fraction of steps where predict(x) equals y.  x, y: (N, T)."""
        self._check_targets("SequenceModel.accuracy", x, y)
        return float((self.predict(x) == y).mean())

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
        where = "sample"
        n = check_int(where, "n", n, minimum=0)
        temperature = check_real(where, "temperature", temperature, low=0, low_inclusive=True)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)), "
                            f"got {type(rng).__name__}")
        if isinstance(start, str):
            if self.vocab is None:
                raise TypeError("sample: a str start needs a model built with a Vocab; pass indices instead")
            ids = self.vocab.encode(start)
        else:
            ids = np.asarray(start)
            if not np.issubdtype(ids.dtype, np.integer):  # 1.7 must not become symbol 1
                raise TypeError(f"{where}: start must be a str or integer symbol indices, got dtype {ids.dtype}")
        if ids.ndim != 1 or len(ids) == 0:
            raise ValueError(f"sample: start must hold at least one symbol, got shape {ids.shape}")
        check_int_indices(where, "start", ids, self.vocab_size)
        rng = np.random.default_rng() if rng is None else rng
        # Read the prime in one pass, then feed back one symbol at a time.
        scores, state, _ = self.forward(ids[None, :].astype(np.int64))
        last = scores[0, -1]
        out = np.empty(n, dtype=np.int64)
        for i in range(n):
            if not np.all(np.isfinite(last)):
                raise ValueError("sample: the model's scores are nan or inf (did training diverge?); "
                                 "it cannot be sampled")
            if temperature == 0:
                nxt = int(np.argmax(last))
            else:
                # shifted so the largest is 0: a tiny temperature sends the others to -inf
                # (probability 0), which is the right limit, not an overflow to nan
                with np.errstate(over="ignore"):
                    z = (last.astype(np.float64) - last.max()) / temperature
                probs = softmax(z)
                nxt = int(rng.choice(self.vocab_size, p=probs))
            out[i] = nxt
            scores, state, _ = self.forward(np.array([[nxt]]), state)
            last = scores[0, -1]
        if self.vocab is not None and all(isinstance(s, str) for s in self.vocab.symbols):
            return self.vocab.decode(out)
        return out

    def log_likelihood(self, x, y, state0=None):
        """Log-probability of each target.  x, y: (N, T) -> (N, T) floats (nats, <= 0)."""
        self._check_targets("SequenceModel.log_likelihood", x, y)
        scores, _, _ = self.forward(x, state0)
        return np.take_along_axis(log_softmax(scores), y[..., None], axis=-1)[..., 0]

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
        # c has been validated by _check_config; lecun_normal is the cheapest initialiser
        # and every weight is replaced by the stored one
        vocab = Vocab(c["vocab"]) if c.get("vocab") is not None else c["vocab_size"]
        m = cls(vocab, c["hidden_size"], embed_dim=c["embed_dim"], activation=c["activation"],
                cell=c["cell"], input_init="lecun_normal", recurrent_init="lecun_normal",
                rng=np.random.default_rng(0), dtype=c["dtype"])
        m.input_init, m.recurrent_init = c["input_init"], c["recurrent_init"]
        return m


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
        check_int("SequenceRegressor", "input_dim", input_dim, minimum=1)
        check_int("SequenceRegressor", "output_dim", output_dim, minimum=1)
        rng = np.random.default_rng() if rng is None else rng
        _check_rng("SequenceRegressor", rng)
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
        p = self._params("SequenceRegressor.forward", params)
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
        m = cls(c["input_dim"], c["hidden_size"], c["output_dim"], activation=c["activation"], cell=c["cell"],
                input_init="lecun_normal", recurrent_init="lecun_normal",
                rng=np.random.default_rng(0), dtype=c["dtype"])
        m.input_init, m.recurrent_init = c["input_init"], c["recurrent_init"]
        return m


# --------------------------------------------------------------------------
# Checkpoint files: written atomically, read only after every header is checked
# --------------------------------------------------------------------------


class CheckpointError(ValueError):
    """A file that is not a loadable rnnlab checkpoint; the message names the file and what is wrong."""


INITIALISERS = ("lecun_normal", "lecun_uniform", "orthogonal", "identity")
MAX_DIM = 1 << 20  # any one size in a config (V, E, H, D, O)
MAX_PARAMS = 100_000_000  # 800 MB of float64: far beyond a course model, far below a hostile claim
MAX_CONFIG_BYTES = 1 << 22


def _checkpoint_path(where, path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: path must be a str or a path, got {type(path).__name__}")
    path = Path(path)
    return path if path.name.endswith(".npz") else path.with_name(path.name + ".npz")


def _atomic_write(path, write):
    """Call write(fileobj) on a temporary file beside ``path``, then rename it to ``path``."""
    # os.open with mode 0o666, not tempfile.mkstemp (0o600): the checkpoint gets the
    # same permissions (after the umask) as any file the user writes
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException:  # also KeyboardInterrupt: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _npy_header(zf, info, path):
    """(shape, dtype, fortran_order, data offset) of one .npy entry, without reading its data."""
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise CheckpointError(f"load: {path} is not a readable rnnlab checkpoint (.npz): "
                                  f"entry {info.filename!r} has unsupported .npy version {version}")
        return shape, dtype, fortran, f.tell()


def _check_config(config, path):
    """Every field load_model will use: types, allowed values, sizes.  Returns expected param shapes."""
    def bad(msg):
        return CheckpointError(f"load: {path} has an invalid config: {msg}")

    if not isinstance(config, dict):
        raise bad(f"expected a JSON object, got {type(config).__name__}")
    if config.get("format") != FORMAT_VERSION:
        raise CheckpointError(f"load: {path} has checkpoint format {config.get('format')!r}, expected {FORMAT_VERSION}")
    cls = config.get("class")
    if cls not in ("SequenceModel", "SequenceRegressor"):
        raise CheckpointError(f"load: {path} holds an unknown model class {cls!r}")
    dims = ("vocab_size", "hidden_size", "embed_dim") if cls == "SequenceModel" else (
        "input_dim", "hidden_size", "output_dim")
    for key in dims:
        v = config.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_DIM:
            raise bad(f"{key} must be an int in [1, {MAX_DIM}], got {v!r}")
    from .cells import CELLS
    from .layers import ACTIVATIONS

    choices = {"cell": sorted(CELLS), "activation": sorted(ACTIVATIONS), "input_init": INITIALISERS,
               "recurrent_init": INITIALISERS, "dtype": ("float32", "float64")}
    for key, allowed in choices.items():
        if not isinstance(config.get(key), str) or config[key] not in allowed:
            raise bad(f"{key} must be one of {list(allowed)}, got {config.get(key)!r}")
    G, H = CELLS[config["cell"]].gates, config["hidden_size"]
    if cls == "SequenceModel":
        V, E = config["vocab_size"], config["embed_dim"]
        vocab = config.get("vocab")
        if vocab is not None:
            if not isinstance(vocab, list) or len(vocab) != V:
                raise bad(f"vocab must be null or a list of vocab_size = {V} symbols, got "
                          f"{type(vocab).__name__}" + (f" of length {len(vocab)}" if isinstance(vocab, list) else ""))
            try:
                Vocab(vocab)
            except (TypeError, ValueError) as e:
                raise bad(f"vocab: {e}") from None
        shapes = {"W_embed": (V, E), "Wx": (E, G * H)}
    else:
        D, V = config["input_dim"], config["output_dim"]
        shapes = {"Wx": (D, G * H)}
    shapes.update({"Wh": (H, G * H), "b": (G * H,)})
    shapes.update({name: (H,) for name in CELLS[config["cell"]].extra_params})
    shapes.update({"W_out": (H, V), "b_out": (V,)})
    total = sum(int(np.prod(s)) for s in shapes.values())
    if total > MAX_PARAMS:
        raise bad(f"it describes {total:,} parameters, more than the limit of {MAX_PARAMS:,}")
    return shapes


def _read_checkpoint(path):
    """(config, params) from a checkpoint file, every check done before any parameter is read."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        raise CheckpointError(f"load: {path} is not a readable rnnlab checkpoint (.npz): {e}") from None
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise CheckpointError(f"load: {path} holds the same entry twice; it was not written by rnnlab's save()")
        entries = {i.filename: i for i in infos}
        if "config.npy" not in entries:
            raise CheckpointError(f"load: {path} has no 'config' entry; it was not written by rnnlab's save()")
        # config: a short 0-d unicode array, checked before its text is read
        info = entries["config.npy"]
        shape, dtype, _, offset = _npy_header(zf, info, path)
        if (shape != () or dtype.kind != "U" or info.file_size > MAX_CONFIG_BYTES
                or info.file_size != offset + dtype.itemsize):
            raise CheckpointError(f"load: {path} has a corrupt config (a {dtype} array of shape {shape}, "
                                  f"{info.file_size} bytes; expected one short string)")
        with zf.open(info) as f:
            text = str(np.lib.format.read_array(f, allow_pickle=False))
        try:
            config = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            raise CheckpointError(f"load: {path} has a corrupt config ({type(e).__name__}: {e})") from None
        shapes = _check_config(config, path)
        dtype = np.dtype(config["dtype"])
        expected = {f"param/{k}.npy" for k in shapes}
        extra = sorted(set(entries) - expected - {"config.npy"})
        if extra:
            raise CheckpointError(f"load: {path} has unexpected entries {extra[:5]}; it was not written by rnnlab's save()")
        # every header against the config BEFORE any data is read or allocated
        for k, want in shapes.items():
            info = entries.get(f"param/{k}.npy")
            if info is None:
                raise CheckpointError(f"load: {path} is missing parameter {k!r}")
            got_shape, got_dtype, _, offset = _npy_header(zf, info, path)
            if got_shape != want or got_dtype != dtype:
                raise CheckpointError(
                    f"load: parameter {k!r} in {path} has shape {got_shape} dtype {got_dtype}, "
                    f"the configuration needs {want} {dtype}"
                )
            if info.file_size != offset + int(np.prod(want)) * dtype.itemsize:
                raise CheckpointError(f"load: parameter {k!r} in {path} holds {info.file_size - offset} bytes of data, "
                                      f"its header needs {int(np.prod(want)) * dtype.itemsize}")
        params = {}
        for k in shapes:
            with zf.open(entries[f"param/{k}.npy"]) as f:
                a = np.ascontiguousarray(np.lib.format.read_array(f, allow_pickle=False))
            if not np.all(np.isfinite(a)):
                raise CheckpointError(f"load: parameter {k!r} in {path} holds nan or inf")
            params[k] = a
    return config, params


def load_model(path):
    """Load a SequenceModel or SequenceRegressor saved with ``model.save(path)``.

    ``path`` may omit the ``.npz`` that ``save`` appends.  Every way a file can be
    broken (not a zip, truncated, missing or extra entries, a config that is not
    valid or describes absurd sizes, arrays whose headers disagree with it, nan
    weights) raises ``CheckpointError`` (a ValueError) naming the file and the
    problem; the config and every array header are checked before anything is
    allocated, and no pickle is ever loaded.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_model: path must be a str or a path, got {type(path).__name__}")
    path = Path(path)
    if not path.exists() and not path.name.endswith(".npz") and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")  # what save(path) wrote
    if not path.is_file():
        raise CheckpointError(f"load: {path} is not a readable rnnlab checkpoint (.npz): "
                              f"{'it is a directory' if path.is_dir() else 'no such file'}")
    try:
        config, params = _read_checkpoint(path)
    except CheckpointError:
        raise
    except (OSError, ValueError, EOFError, KeyError, RuntimeError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, MemoryError) as e:  # e.g. a bad CRC, a damaged compressed entry
        raise CheckpointError(f"load: {path} is not a readable rnnlab checkpoint (.npz): "
                              f"{type(e).__name__}: {e}") from None
    cls = SequenceModel if config["class"] == "SequenceModel" else SequenceRegressor
    model = cls._from_config(config)
    if {k: v.shape for k, v in model.params.items()} != {k: v.shape for k, v in params.items()}:
        raise CheckpointError(f"load: {path}: the parameters {sorted(params)} do not fit a {cls.__name__}")
    model.params = {k: params[k] for k in model.params}
    return model
