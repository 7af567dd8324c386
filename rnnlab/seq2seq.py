"""An encoder-decoder (sequence to sequence) model, with or without attention.

    src (N, Ts) ints, padded with PAD at the end
      -> embedding E_src                                  (N, Ts, E)
      -> bidirectional encoder (rnnlab.bidirectional)     enc (N, Ts, 2He), zero at padding
    bridge: the encoder's summary starts the decoder
      s_0 = tanh([enc_fwd[L-1] | enc_bwd[0]] @ W_init + b_init)                (N, Hd)
    decoder, one step per target symbol (input: the previous symbol, BOS first)
      s_t = cell(E_tgt[y_{t-1}], s_{t-1})                                     (N, Td, Hd)
    attention (Luong et al. 2015: read the source AFTER the decoder step)
      ctx_t = sum_j alpha_tj enc_j,  alpha_t = softmax_j(score(s_t, enc_j))    (N, Td, 2He)
      "dot":      score = (s_t @ W_att) . enc_j / sqrt(2He)   W_att (Hd, 2He)
      "additive": score = tanh(s_t @ Wq + enc_j @ Wk) . w_att
      None:       ctx_t = summary at every step: the same vector whatever the decoder is
                  writing, everything it knows about the source (the bottleneck; Cho et al. 2014)
    output
      o_t = tanh([s_t | ctx_t] @ W_c + b_c)          (N, Td, Hd)
      scores_t = o_t @ W_out + b_out                 (N, Td, Vt)

Training uses TEACHER FORCING: the decoder reads the true previous symbol
y_{t-1}, so one pass over all Td steps gives every loss term.  At inference
the true symbols are unknown and the decoder reads its OWN previous output
(free running; ``encode`` + ``decode_step``, used by rnnlab.decoding).  The gap
between the two is exposure bias (notebook 07 shows it).

``loss(x, y) -> (loss, grads, None)`` with grads keyed like ``params``, so
``rnnlab.train``, the optimisers and ``gradient_check`` work unchanged.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .attention import (
    additive_attention_backward,
    additive_attention_forward,
    dot_attention_backward,
    dot_attention_forward,
)
from .bidirectional import init_bidirectional_params, stacked_bidirectional_backward, stacked_bidirectional_forward
from .cells import get_cell
from .layers import (
    embedding_backward,
    embedding_forward,
    log_softmax,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
)
from .model import init_weights
from .validation import check_int_indices, check_ndim

PAD, BOS, EOS = 0, 1, 2  # the first three target (and source) indices
ATTENTION = (None, "dot", "additive")


class Encoded(NamedTuple):
    """What the decoder needs from the source, for N sequences (rows can be selected for beams)."""

    enc: np.ndarray  # (N, Ts, 2He) encoder states
    mask: np.ndarray  # (N, Ts) bool, True at real source steps
    state0: object  # the decoder's initial state: (N, Hd), or (h, c) for the LSTM
    summary: np.ndarray  # (N, 2He) [enc_fwd[L-1] | enc_bwd[0]]: the whole source in one vector

    def take(self, rows):
        """The same for the sequences ``rows`` (ints), e.g. one row repeated per beam."""
        return Encoded(self.enc[rows], self.mask[rows], take_state(self.state0, rows), self.summary[rows])


def take_state(state, rows):
    """Rows of a decoder state: an (N, H) array or a tuple of them."""
    return tuple(s[rows] for s in state) if isinstance(state, tuple) else state[rows]


def _sub(params, prefix):
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


class Seq2Seq:
    """Encoder-decoder over symbol indices; PAD = 0, BOS = 1, EOS = 2 in both vocabularies.

    Args:
        src_vocab, tgt_vocab: sizes Vs, Vt (each > 3: PAD, BOS, EOS come first)
        embed_dim: E;  enc_hidden: He per direction;  dec_hidden: Hd
        cell: "rnn", "lstm" or "gru" (encoder and decoder)
        attention: None, "dot" or "additive";  attn_dim: A for "additive"
        enc_layers: stacked bidirectional encoder layers
        rng: numpy Generator;  dtype: float32 (default) or float64
    """

    def __init__(self, src_vocab, tgt_vocab, *, embed_dim=16, enc_hidden=32, dec_hidden=64, cell="gru",
                 attention="dot", attn_dim=32, enc_layers=1, activation="tanh", rng=None, dtype=np.float32):
        where = "Seq2Seq"
        for name, V in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab)):
            if not isinstance(V, (int, np.integer)) or V <= 3:
                raise ValueError(f"{where}: {name} must be an int > 3 (PAD, BOS, EOS and at least one symbol), got {V!r}")
        for name, val in (("embed_dim", embed_dim), ("enc_hidden", enc_hidden), ("dec_hidden", dec_hidden),
                          ("attn_dim", attn_dim), ("enc_layers", enc_layers)):
            if not isinstance(val, (int, np.integer)) or val < 1:
                raise ValueError(f"{where}: {name} must be an int >= 1, got {val!r}")
        if attention not in ATTENTION:
            raise ValueError(f"{where}: attention must be one of {ATTENTION}, got {attention!r}")
        self.cell = get_cell(cell)
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype}")
        rng = np.random.default_rng() if rng is None else rng
        self.src_vocab, self.tgt_vocab = int(src_vocab), int(tgt_vocab)
        self.embed_dim, self.enc_hidden, self.dec_hidden = embed_dim, enc_hidden, dec_hidden
        self.attention, self.attn_dim, self.enc_layers = attention, attn_dim, enc_layers
        self.activation, self.dtype = activation, dtype
        E, He, Hd, G = embed_dim, enc_hidden, dec_hidden, self.cell.gates

        def w(kind, shape, scale=1.0):
            return (init_weights(kind, shape, rng, dtype) * dtype.type(scale)).astype(dtype)

        p = {"E_src": rng.standard_normal((self.src_vocab, E)).astype(dtype)}
        p.update(init_bidirectional_params(E, He, cell, num_layers=enc_layers, rng=rng, dtype=dtype, prefix="enc_"))
        p["W_init"], p["b_init"] = w("lecun_normal", (2 * He, Hd)), np.zeros(Hd, dtype)
        p["E_tgt"] = rng.standard_normal((self.tgt_vocab, E)).astype(dtype)
        p["dec_Wx"], p["dec_Wh"] = w("lecun_normal", (E, G * Hd)), w("orthogonal", (Hd, G * Hd))
        p["dec_b"] = self.cell.initial_bias(Hd, dtype)
        for name in self.cell.extra_params:
            p["dec_" + name] = np.zeros(Hd, dtype)
        if attention == "dot":
            p["W_att"] = w("lecun_normal", (Hd, 2 * He))
        elif attention == "additive":
            p["Wq"], p["Wk"] = w("lecun_normal", (Hd, attn_dim)), w("lecun_normal", (2 * He, attn_dim))
            p["w_att"] = w("lecun_normal", (attn_dim, 1))[:, 0].copy()
        c_in = Hd + 2 * He  # [s_t | ctx_t]
        p["W_c"], p["b_c"] = w("lecun_normal", (c_in, Hd)), np.zeros(Hd, dtype)
        # small output weights: the first predictions are near uniform (loss near ln Vt)
        p["W_out"], p["b_out"] = w("lecun_normal", (Hd, self.tgt_vocab), 0.1), np.zeros(self.tgt_vocab, dtype)
        self.params = p

    def __repr__(self):
        return (f"Seq2Seq(Vs={self.src_vocab}, Vt={self.tgt_vocab}, E={self.embed_dim}, He={self.enc_hidden}, "
                f"Hd={self.dec_hidden}, cell={self.cell.name!r}, attention={self.attention!r}, "
                f"params={self.num_params():,})")

    def num_params(self):
        return int(sum(a.size for a in self.params.values()))

    # ---------------- encoder and bridge ----------------

    def _check_src(self, where, x):
        check_int_indices(where, "x", x, self.src_vocab)
        check_ndim(where, "x", x, 2, "(N, Ts)")
        if x.size == 0:
            raise ValueError(f"{where}: x must not be empty, got shape {x.shape}")
        mask = x != PAD
        lengths = mask.sum(axis=1)
        if lengths.min() == 0:
            raise ValueError(f"{where}: source row {int(np.argmin(lengths))} is all PAD (index {PAD}); "
                             "every source needs at least one symbol")
        if not np.array_equal(mask, np.arange(x.shape[1])[None, :] < lengths[:, None]):
            raise ValueError(f"{where}: PAD (index {PAD}) may only appear at the end of a source row")
        return mask, lengths

    def _encode(self, x, p):
        mask, lengths = self._check_src("Seq2Seq.encode", x)
        emb, emb_cache = embedding_forward(x, p["E_src"])
        enc, enc_cache = stacked_bidirectional_forward(np.ascontiguousarray(emb), _sub(p, "enc_"), self.cell.name,
                                                       lengths=lengths, activation=self.activation)
        He = self.enc_hidden
        rows = np.arange(x.shape[0])
        summary = np.concatenate([enc[rows, lengths - 1, :He], enc[:, 0, He:]], axis=1)  # (N, 2He)
        s0 = np.tanh(summary @ p["W_init"] + p["b_init"])
        state0 = (s0, np.zeros_like(s0)) if self.cell.name == "lstm" else s0
        cache = (emb_cache, enc_cache, lengths, summary, s0)
        return Encoded(enc, mask, state0, summary), cache

    def encode(self, x, params=None):
        """x: (N, Ts) source indices -> Encoded(enc (N, Ts, 2He), mask (N, Ts), decoder state0)."""
        return self._encode(x, self.params if params is None else params)[0]

    # ---------------- attention and output ----------------

    def _attend(self, s, e, p):
        """s: (N, Tq, Hd) decoder states -> ctx (N, Tq, 2He), alpha (N, Tq, Ts), cache."""
        if self.attention == "dot":
            q = s @ p["W_att"]
            ctx, alpha, cache = dot_attention_forward(q, e.enc, e.enc, e.mask)
            return ctx, alpha, (q, cache)
        ctx, alpha, cache = additive_attention_forward(s, e.enc, e.enc, p["Wq"], p["Wk"], p["w_att"], e.mask)
        return ctx, alpha, cache

    def _attend_backward(self, dctx, s, cache, p, grads):
        """-> ds (N, Tq, Hd), denc (N, Ts, 2He); adds the attention weights' gradients to grads."""
        if self.attention == "dot":
            q, att_cache = cache
            dq, dk, dv = dot_attention_backward(dctx, att_cache)
            grads["W_att"] = s.reshape(-1, s.shape[2]).T @ dq.reshape(-1, dq.shape[2])
            return dq @ p["W_att"].T, dk + dv
        ds, dk, dv, grads["Wq"], grads["Wk"], grads["w_att"] = additive_attention_backward(dctx, cache)
        return ds, dk + dv

    def _output(self, s, e, p):
        """Decoder states s (N, Tq, Hd) -> scores (N, Tq, Vt), alpha (or None), cache."""
        if self.attention:
            ctx, alpha, att_cache = self._attend(s, e, p)
            z = np.concatenate([s, ctx], axis=2)
        else:  # the bottleneck: one fixed vector for every step
            alpha, att_cache = None, None
            z = np.concatenate([s, np.broadcast_to(e.summary[:, None, :], s.shape[:2] + e.summary.shape[1:])], axis=2)
        o = np.tanh(z @ p["W_c"] + p["b_c"])
        scores, aff_cache = temporal_affine_forward(o, p["W_out"], p["b_out"])
        return scores, alpha, (att_cache, z, o, aff_cache)

    # ---------------- teacher forcing: the training pass ----------------

    def _check_tgt(self, where, y, N):
        check_int_indices(where, "y", y, self.tgt_vocab)
        check_ndim(where, "y", y, 2, "(N, Td)")
        if y.shape[0] != N or y.shape[1] == 0:
            raise ValueError(f"{where}: y must have shape (N, Td) with N = {N} (the sources) and Td >= 1, got {y.shape}")

    def forward(self, x, y, params=None):
        """Teacher-forced scores.  x: (N, Ts) source, y: (N, Td) target (ending in EOS, then PAD).

        The decoder reads [BOS, y_0, ..., y_{Td-2}] and predicts y.
        Returns: scores (N, Td, Vt), alpha (N, Td, Ts) or None, cache.
        """
        p = self.params if params is None else params
        e, enc_cache = self._encode(x, p)
        self._check_tgt("Seq2Seq.forward", y, x.shape[0])
        y_in = np.concatenate([np.full((y.shape[0], 1), BOS, dtype=y.dtype), y[:, :-1]], axis=1)
        emb, emb_cache = embedding_forward(y_in, p["E_tgt"])
        extra = [p["dec_" + n] for n in self.cell.extra_params]
        s, _, dec_cache = self.cell.forward(np.ascontiguousarray(emb), e.state0, p["dec_Wx"], p["dec_Wh"],
                                            p["dec_b"], self.activation, *extra)
        s = np.ascontiguousarray(s)
        scores, alpha, out_cache = self._output(s, e, p)
        return scores, alpha, (e, enc_cache, emb_cache, dec_cache, s, out_cache)

    def loss(self, x, y, state0=None, params=None):
        """Mean cross-entropy per target symbol (PAD positions do not count) and its gradient.

        Args:
            x: (N, Ts) source indices;  y: (N, Td) target indices (EOS, then PAD)
            state0: ignored (each pair is independent; kept so rnnlab.train can call it)
            params: optional dict instead of self.params (for gradient checks)

        Returns:
            loss (float, nats), grads (dict keyed like params), None
        """
        p = self.params if params is None else params
        scores, _, (e, enc_cache, emb_cache, dec_cache, s, out_cache) = self.forward(x, y, p)
        loss, dscores = temporal_softmax_loss(scores, y, y != PAD)
        grads = {}
        att_cache, z, o, aff_cache = out_cache
        do, grads["W_out"], grads["b_out"] = temporal_affine_backward(dscores, aff_cache)
        dzpre = do * (1 - o * o)
        Hd = self.dec_hidden
        grads["W_c"] = z.reshape(-1, z.shape[2]).T @ dzpre.reshape(-1, Hd)
        grads["b_c"] = dzpre.reshape(-1, Hd).sum(axis=0)
        dz = dzpre @ p["W_c"].T
        ds = np.ascontiguousarray(dz[:, :, :Hd])
        denc = np.zeros_like(e.enc)
        dsummary = np.zeros_like(e.summary)
        if self.attention:
            ds_att, denc_att = self._attend_backward(np.ascontiguousarray(dz[:, :, Hd:]), s, att_cache, p, grads)
            ds += ds_att
            denc += denc_att
        else:  # the summary was read at every step: its gradient is the sum over steps
            dsummary += dz[:, :, Hd:].sum(axis=1)
        demb, dstate0, grads["dec_Wx"], grads["dec_Wh"], grads["dec_b"], *dextra = self.cell.backward(ds, dec_cache)
        grads.update({"dec_" + n: g for n, g in zip(self.cell.extra_params, dextra)})
        grads["E_tgt"] = embedding_backward(demb, emb_cache)
        # the bridge: s_0 = tanh(summary @ W_init + b_init)
        ds0 = dstate0[0] if isinstance(dstate0, tuple) else dstate0  # the LSTM's c_0 is a constant 0
        src_emb_cache, enc_stack_cache, lengths, summary, s0 = enc_cache
        dpre = ds0 * (1 - s0 * s0)
        grads["W_init"], grads["b_init"] = summary.T @ dpre, dpre.sum(axis=0)
        dsummary += dpre @ p["W_init"].T
        He = self.enc_hidden
        denc[np.arange(len(lengths)), lengths - 1, :He] += dsummary[:, :He]
        denc[:, 0, He:] += dsummary[:, He:]
        dsrc, enc_grads = stacked_bidirectional_backward(denc, enc_stack_cache)
        grads.update({"enc_" + k: g for k, g in enc_grads.items()})
        grads["E_src"] = embedding_backward(dsrc, src_emb_cache)
        return loss, {k: grads[k] for k in p}, None

    def eval_loss(self, x, y, state0=None):
        """Forward only: (mean loss in nats, None)."""
        scores, _, _ = self.forward(x, y)
        return temporal_softmax_loss(scores, y, y != PAD)[0], None

    # ---------------- free running: one decoder step at a time ----------------

    def decode_step(self, y_prev, state, e, params=None):
        """One free-running decoder step for N hypotheses.

        Args:
            y_prev: (N,) ints, the previous output symbol (BOS at the start)
            state:  the decoder state (N, Hd), or (h, c) for the LSTM
            e:      Encoded for the same N rows

        Returns:
            logp:  (N, Vt) log-probabilities of the next symbol
            state: the new decoder state
            alpha: (N, Ts) attention weights, or None without attention
        """
        p = self.params if params is None else params
        check_int_indices("Seq2Seq.decode_step", "y_prev", y_prev, self.tgt_vocab)
        check_ndim("Seq2Seq.decode_step", "y_prev", y_prev, 1, "(N,)")
        if len(y_prev) != e.enc.shape[0]:
            raise ValueError(f"Seq2Seq.decode_step: y_prev has {len(y_prev)} rows but the encoded source has "
                             f"{e.enc.shape[0]}; select rows with Encoded.take")
        extra = [p["dec_" + n] for n in self.cell.extra_params]
        emb = p["E_tgt"][y_prev][:, None, :]  # (N, 1, E)
        s, state, _ = self.cell.forward(emb, state, p["dec_Wx"], p["dec_Wh"], p["dec_b"], self.activation, *extra)
        scores, alpha, _ = self._output(np.ascontiguousarray(s), e, p)
        return log_softmax(scores[:, 0]), state, (None if alpha is None else alpha[:, 0])
