"""Many-to-one sequence classification: read a (padded) sequence, predict one class.

    x (N, T) ids -> W_embed (V, E) ─┐            (or x (N, T, D) features)
                                    v
    layer 1: cell left-to-right [+ cell right-to-left on the row reversed within its length]
        -> h (N, T, dirs*H) -> inverted dropout -> layer 2 -> ... -> top layer
    features: each direction's state at ITS OWN last step (gather_last), concatenated (N, dirs*H)
        -> inverted dropout -> W_out (dirs*H, C), b_out (C,) -> scores (N, C) -> softmax cross-entropy

A thin class that owns ``params`` and exposes ``loss(x, y) -> (loss, grads, None)``,
so rnnlab.train, the optimisers and gradient_check work on it unchanged.  ``x`` is a
``PaddedBatch`` (x, lengths) for a variable-length batch, or a plain array when every
row is full length.

Parameter names: ``W_embed`` (if ids), then per layer l ``l{l}_fwd_Wx, l{l}_fwd_Wh, l{l}_fwd_b``
(+ ``l{l}_fwd_b_hn`` for the GRU) and, when bidirectional, the same with ``bwd``, then
``W_out, b_out``; the names of rnnlab.bidirectional, whose layer (each row reversed within its
own length for the right-to-left pass) the bidirectional model uses.  A left-to-right layer
is the cell itself (rnnlab.cells).
"""

from __future__ import annotations

import numpy as np

from .bidirectional import bidirectional_backward, bidirectional_forward
from .cells import get_cell
from .dropout import dropout_backward, dropout_forward
from .layers import ACTIVATIONS, embedding_backward, embedding_forward, softmax, temporal_softmax_loss
from .model import _check_dtype, init_weights
from .padding import PaddedBatch, gather_last_backward, gather_last_forward
from .validation import as_float_array, check_int_indices

RECURRENT_INITS = ("orthogonal", "lecun_normal")


def orthogonal_blocks(H, gates, rng, dtype=np.float32):
    """Recurrent weights Wh (H, G*H) made of G independent orthogonal (H, H) blocks.

    Each gate's block Q has Q.T @ Q = I: all singular values 1, so at the start the
    recurrence h_{t-1} @ Q neither grows nor shrinks any direction of h (Saxe et al. 2014).
    One orthogonal (H, 4H) matrix would only have orthonormal ROWS, not square blocks.
    """
    return np.concatenate([init_weights("orthogonal", (H, H), rng, dtype) for _ in range(gates)], axis=1)


class SequenceClassifier:
    """Many-to-one classifier over padded variable-length sequences.

    Args:
        num_classes: C
        hidden_size: H per direction
        vocab_size: V for integer inputs (an embedding table W_embed (V, E) is learned);
            None for float features, then give input_dim
        embed_dim: E
        input_dim: D for float inputs x (N, T, D)
        cell: "rnn", "gru" or "lstm"
        num_layers: depth L >= 1 (stacked: layer l+1 reads the outputs of layer l at every step)
        bidirectional: add a right-to-left copy of every layer; features get 2H per layer
        dropout: p of inverted dropout on the input of every layer above the first and on
            the features before W_out (never on the recurrent connection: see rnnlab.dropout)
        recurrent_init: "orthogonal" (per gate block) or "lecun_normal" (N(0, 1/H))
        activation: of the vanilla cell ("tanh", "relu", "sigmoid")
        rng: numpy Generator for the weights; dropout masks come from ``dropout_rng``
            (default: a Generator seeded from rng) unless ``loss(..., rng=)`` is given
        dtype: float32 (default) or float64 (for gradient checks)
    """

    def __init__(self, num_classes, hidden_size=32, *, vocab_size=None, embed_dim=16, input_dim=None,
                 cell="gru", num_layers=1, bidirectional=False, dropout=0.0, recurrent_init="orthogonal",
                 activation="tanh", rng=None, dtype=np.float32):
        where = "SequenceClassifier"
        if (vocab_size is None) == (input_dim is None):
            raise ValueError(f"{where}: give exactly one of vocab_size (integer inputs) or input_dim "
                             f"(float inputs), got vocab_size={vocab_size!r}, input_dim={input_dim!r}")
        for name, v in (("num_classes", num_classes), ("hidden_size", hidden_size), ("num_layers", num_layers),
                        ("embed_dim", embed_dim), ("vocab_size", vocab_size), ("input_dim", input_dim)):
            if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1):
                raise ValueError(f"{where}: {name} must be a positive int, got {v!r}")
        if num_classes < 2:
            raise ValueError(f"{where}: num_classes must be >= 2, got {num_classes}")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{where}: dropout must be in [0, 1), got {dropout!r}")
        if recurrent_init not in RECURRENT_INITS:
            raise ValueError(f"{where}: recurrent_init must be one of {RECURRENT_INITS}, got {recurrent_init!r}")
        try:
            self.cell = get_cell(cell)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        if self.cell.uses_activation and activation not in ACTIVATIONS:
            raise ValueError(f"{where}: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.dtype = _check_dtype(where, dtype)
        rng = np.random.default_rng() if rng is None else rng
        self.num_classes, self.hidden_size = int(num_classes), int(hidden_size)
        self.vocab_size, self.embed_dim, self.input_dim = vocab_size, embed_dim, input_dim
        self.num_layers, self.bidirectional, self.dropout = int(num_layers), bool(bidirectional), float(dropout)
        self.recurrent_init, self.activation = recurrent_init, activation
        self.directions = ("fwd", "bwd") if bidirectional else ("fwd",)
        G, H = self.cell.gates, self.hidden_size
        p = {}
        if vocab_size is not None:
            p["W_embed"] = rng.standard_normal((vocab_size, embed_dim)).astype(self.dtype)
        for l in range(self.num_layers):
            D = (embed_dim if vocab_size is not None else input_dim) if l == 0 else H * len(self.directions)
            for d in self.directions:
                p[f"l{l}_{d}_Wx"] = init_weights("lecun_normal", (D, G * H), rng, self.dtype)
                p[f"l{l}_{d}_Wh"] = (orthogonal_blocks(H, G, rng, self.dtype) if recurrent_init == "orthogonal"
                                     else init_weights("lecun_normal", (H, G * H), rng, self.dtype))
                p[f"l{l}_{d}_b"] = self.cell.initial_bias(H, self.dtype)
                for name in self.cell.extra_params:
                    p[f"l{l}_{d}_{name}"] = np.zeros(H, self.dtype)
        F = H * len(self.directions)
        # small output weights: the first predictions are near uniform (loss near ln C)
        p["W_out"] = init_weights("lecun_normal", (F, num_classes), rng, self.dtype) * self.dtype.type(0.1)
        p["b_out"] = np.zeros(num_classes, self.dtype)
        self.params = p
        self.dropout_rng = np.random.default_rng(rng.integers(2**32))

    def __repr__(self):
        inp = f"V={self.vocab_size}, E={self.embed_dim}" if self.vocab_size is not None else f"D={self.input_dim}"
        return (f"SequenceClassifier({inp}, H={self.hidden_size}, C={self.num_classes}, cell={self.cell.name!r}, "
                f"layers={self.num_layers}, bidirectional={self.bidirectional}, dropout={self.dropout}, "
                f"recurrent_init={self.recurrent_init!r}, params={self.num_params():,})")

    def num_params(self):
        return int(sum(a.size for a in self.params.values()))

    # ------------------------------------------------------------------ inputs

    def _unpack(self, where, x):
        """(x, lengths) from a PaddedBatch or a full-length array, after checking both."""
        if isinstance(x, PaddedBatch):
            x, lengths = x.x, x.lengths
        elif isinstance(x, np.ndarray):
            lengths = np.full(x.shape[0] if x.ndim else 0, x.shape[1] if x.ndim > 1 else 0, np.int64)
        else:
            raise TypeError(f"{where}: x must be a PaddedBatch or a numpy array, got {type(x).__name__}")
        if self.vocab_size is not None:
            check_int_indices(where, "x", x, self.vocab_size)
            if x.ndim != 2:
                raise ValueError(f"{where}: x must hold ids with shape (N, T), got {x.shape}")
        else:
            as_float_array(where, "x", x)
            if x.ndim != 3 or x.shape[2] != self.input_dim:
                raise ValueError(f"{where}: x must have shape (N, T, D) with D = {self.input_dim}, got {x.shape}")
            if x.dtype != self.dtype:
                raise TypeError(f"{where}: x has dtype {x.dtype} but the model is {self.dtype} (no silent casting)")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{where}: x must not be empty, got shape {x.shape}")
        return x, lengths

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x, params=None, *, training=False, rng=None):
        """Class scores.  x: PaddedBatch or (N, T) / (N, T, D) -> scores (N, C), cache."""
        p = self.params if params is None else params
        x, lengths = self._unpack("SequenceClassifier.forward", x)
        rng = self.dropout_rng if rng is None else rng
        N = x.shape[0]
        emb_cache = None
        if self.vocab_size is not None:
            inp, emb_cache = embedding_forward(x, p["W_embed"])
        else:
            inp = x
        H, layers = self.hidden_size, []
        for l in range(self.num_layers):
            drop = None
            if l > 0:
                inp, drop = dropout_forward(inp, self.dropout, rng, training)
            if self.bidirectional:  # (N, T, 2H) = [left-to-right | right-to-left], zero at padded steps
                inp, layer_cache = bidirectional_forward(inp, p, self.cell.name, lengths=lengths,
                                                         activation=self.activation, prefix=f"l{l}_")
            else:
                names = ("Wx", "Wh", "b") + self.cell.extra_params
                inp, _, layer_cache = self.cell.forward(inp, self.cell.zero_state(N, H, self.dtype),
                                                        *(p[f"l{l}_fwd_{n}"] for n in names[:3]),
                                                        self.activation, *(p[f"l{l}_fwd_{n}"] for n in names[3:]))
            layers.append((drop, layer_cache))
        # Each direction has read its whole sequence at its OWN last step: left-to-right at
        # t = lengths - 1 (the gather), right-to-left at t = 0 (in the original order).
        last_f, gather_cache = gather_last_forward(inp[:, :, :H], lengths)
        feats = np.concatenate([last_f, inp[:, 0, H:]], axis=1) if self.bidirectional else last_f
        feats_drop, feat_drop_cache = dropout_forward(feats, self.dropout, rng, training)
        scores = feats_drop @ p["W_out"] + p["b_out"]
        return scores, (inp.shape, emb_cache, layers, gather_cache, feats_drop, feat_drop_cache)

    def loss(self, x, y, state0=None, params=None, *, training=True, rng=None):
        """Mean cross-entropy of the class scores and its gradient.

        Args:
            x: PaddedBatch (x (N, T) or (N, T, D), lengths (N,)) or a full-length array
            y: (N,) integer classes in [0, C)
            state0: must be None; every sequence starts from zeros (rnnlab.train passes it)
            params: optional dict to use instead of self.params (gradient checks)
            training: apply dropout (True for training steps)
            rng: Generator for the dropout masks (default self.dropout_rng); pass a freshly
                seeded one to make the loss a deterministic function of params

        Returns:
            loss (float, nats), grads (dict keyed like params), None (no state is carried)
        """
        where = "SequenceClassifier.loss"
        if state0 is not None:
            raise ValueError(f"{where}: a classifier reads each sequence from a zero state; state0 must be None "
                             "(train it with carry_state=False or keep the default: loss returns None as the state)")
        p = self.params if params is None else params
        scores, cache = self.forward(x, p, training=training, rng=rng)
        N = scores.shape[0]
        check_int_indices(where, "y", y, self.num_classes)
        if y.shape != (N,):
            raise ValueError(f"{where}: y must have shape (N,) = ({N},), got {y.shape}")
        loss, dscores = temporal_softmax_loss(scores[:, None, :], y[:, None])
        grads = self._backward(dscores[:, 0, :], cache, p)
        return loss, grads, None

    def _backward(self, dscores, cache, p):
        top_shape, emb_cache, layers, gather_cache, feats_drop, feat_drop_cache = cache
        H = self.hidden_size
        grads = {"W_out": feats_drop.T @ dscores, "b_out": dscores.sum(axis=0)}
        dfeats = dropout_backward(dscores @ p["W_out"].T, feat_drop_cache)
        # the top layer's only gradient comes back through the two reads of the final states
        dh = np.zeros(top_shape, dscores.dtype)
        dh[:, :, :H] = gather_last_backward(np.ascontiguousarray(dfeats[:, :H]), gather_cache)
        if self.bidirectional:
            dh[:, 0, H:] = dfeats[:, H:]
        for l in reversed(range(self.num_layers)):
            drop, layer_cache = layers[l]
            if self.bidirectional:
                dh, layer_grads = bidirectional_backward(dh, layer_cache)
                grads.update(layer_grads)
            else:
                dh, _, *dparams = self.cell.backward(dh, layer_cache)
                names = ("Wx", "Wh", "b") + self.cell.extra_params
                grads.update({f"l{l}_fwd_{n}": g for n, g in zip(names, dparams)})
            if l > 0:
                dh = dropout_backward(dh, drop)
        if self.vocab_size is not None:
            grads["W_embed"] = embedding_backward(dh, emb_cache)
        return {k: grads[k] for k in self.params}

    # ------------------------------------------------------------------ evaluation

    def predict_proba(self, x):
        """Class probabilities without dropout.  x as in loss -> (N, C)."""
        return softmax(self.forward(x)[0])

    def predict(self, x):
        """Most likely class.  x as in loss -> (N,) int64."""
        return self.forward(x)[0].argmax(axis=1)

    def eval_loss(self, x, y, state0=None):
        """Forward only, no dropout: (mean loss in nats, None).  Works with rnnlab.evaluate."""
        scores, _ = self.forward(x)
        return temporal_softmax_loss(scores[:, None, :], y[:, None])[0], None

    def accuracy(self, x, y):
        """Fraction of examples classified correctly.  x as in loss, y (N,)."""
        return float((self.predict(x) == y).mean())


class EarlyStopping:
    """A callback for rnnlab.train: stop when the validation loss has not improved for
    ``patience`` validations in a row, and remember the best parameters.

    Use with ``train(..., val_fn=..., val_every=k, callbacks=[es])``, then ``es.restore(model)``.
    """

    def __init__(self, patience=5, min_delta=0.0):
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be >= 1, got {patience}")
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_step, self.best_params = float("inf"), None, None
        self.bad, self._seen = 0, 0

    def __call__(self, info):
        h = info.history
        if len(h.val_losses) == self._seen:  # no new validation at this step
            return False
        self._seen = len(h.val_losses)
        if h.val_losses[-1] < self.best - self.min_delta:
            self.best, self.best_step, self.bad = h.val_losses[-1], h.val_steps[-1], 0
            self.best_params = {k: v.copy() for k, v in info.model.params.items()}
            return False
        self.bad += 1
        return self.bad >= self.patience

    def restore(self, model):
        """Put the best parameters seen back into ``model`` (no-op if none was seen)."""
        if self.best_params is not None:
            model.params = {k: v.copy() for k, v in self.best_params.items()}


def fit_classifier(model, batches, val_x, val_y, *, steps, lr=1e-2, clip_norm=5.0, val_every=50,
                   patience=None, progress=False, callbacks=()):
    """Train with Adam for at most ``steps`` steps, validating every ``val_every`` steps.

    With ``patience`` set, stop early when the validation loss has not improved for that
    many validations, and put the best parameters back.  This is the one training recipe
    shared by notebook 08, its experiments and its widget.

    Args:
        model: a SequenceClassifier;  batches: re-iterable of (x, y), e.g. PaddedBatches
        val_x: PaddedBatch or array;  val_y: (M,) ints
    Returns:
        history (rnnlab.train.History, val_losses in nats), early_stopping (or None)
    """
    from .optim import Adam
    from .train import train

    es = EarlyStopping(patience) if patience else None
    history = train(model, batches, Adam(lr=lr), epochs=10**9, max_steps=steps, clip_norm=clip_norm,
                    carry_state=False, val_fn=lambda m: m.eval_loss(val_x, val_y)[0], val_every=val_every,
                    callbacks=([es] if es else []) + list(callbacks), progress=progress)
    if es is not None:
        es.restore(model)
    return history, es
