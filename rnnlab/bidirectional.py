"""Bidirectional and stacked recurrent layers over any cell in ``rnnlab.cells``.

A bidirectional layer runs two independent recurrent layers over the same
sequence, one left to right and one right to left, and puts their hidden
states side by side, so the vector at step t describes the whole sequence
around x_t, not only its past:

    h_fwd[t] = cell_fwd(x_t, h_fwd[t-1])             t = 0 .. L-1
    h_bwd[t] = cell_bwd(x_t, h_bwd[t+1])             t = L-1 .. 0
    h[t]     = [h_fwd[t] | h_bwd[t]]                  (N, T, 2H)

Shapes (batch-first row vectors, as everywhere in rnnlab):

    x       : (N, T, D)   inputs, padded to a common length T
    lengths : (N,)        ints in [1, T]: sequence n occupies steps 0 .. L_n - 1
    mask    : (N, T) bool the same information: True at steps t < L_n (give one of the two)
    h       : (N, T, 2H)  forward states in h[..., :H], backward states in h[..., H:];
                          zero at padded steps t >= L_n

Padding. The forward direction never sees a padded step before a real one,
but the backward direction would START on the padding and carry it into
every real step. So each sequence is reversed inside its own length,
``x_rev[n, t] = x[n, L_n - 1 - t]`` for t < L_n (the padding stays at the
end), the backward cell runs left to right over x_rev, and its states are put
back in the original order. The permutation is its own inverse, so the same
index array reverses the gradients on the way back. Outputs at padded steps
are set to zero (as PyTorch's packed sequences do) and receive no gradient,
so padded inputs get exactly zero gradient.

Parameters live in ONE flat dict, so optimisers and ``gradient_check`` see a
plain ``{name: array}``. A single layer reads ``fwd_Wx, fwd_Wh, fwd_b`` and
``bwd_Wx, bwd_Wh, bwd_b`` (plus ``fwd_b_hn, bwd_b_hn`` for the GRU); layer k of
a stack adds the prefix ``l{k}_`` (``l0_fwd_Wx`` ...). The names after the
direction are the cell's own (Wx (D, G*H), Wh (H, G*H), b (G*H,), ...), and a
direction has exactly the weights of ``torch.nn.RNN/GRU/LSTM``'s ``*_l{k}`` and
``*_l{k}_reverse`` (see ``params_from_torch``).

Every pair: ``*_forward(...) -> (h, cache)``, ``*_backward(dh, cache) -> (dx, grads)``,
grads keyed like the params. float32 in gives float32 out; mixing is an error.
"""

from __future__ import annotations

import numpy as np

from .cells import get_cell
from .validation import as_float_array, check_cell_params, check_ndim, check_nonempty, check_same_dtype, check_shape

DIRECTIONS = ("fwd", "bwd")


# --------------------------------------------------------------------------
# Lengths, masks and the in-length reversal
# --------------------------------------------------------------------------


def check_lengths(where, lengths, N, T):
    """lengths: None or (N,) ints in [1, T] -> an (N,) int64 array (None -> all T)."""
    if lengths is None:
        return np.full(N, T, dtype=np.int64)
    if not isinstance(lengths, np.ndarray):
        raise TypeError(f"{where}: lengths must be a numpy array of N = {N} integers, got {type(lengths).__name__}")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"{where}: lengths must hold integers, got dtype {lengths.dtype}")
    check_shape(where, "lengths", lengths, (N,), "(N,)")
    if lengths.min() < 1 or lengths.max() > T:
        bad = lengths[(lengths < 1) | (lengths > T)][0]
        raise ValueError(f"{where}: every length must be in [1, T] = [1, {T}], found {int(bad)}")
    return lengths.astype(np.int64)


def mask_from_lengths(lengths, T):
    """(N,) ints -> (N, T) bool, True at the real steps t < lengths[n]."""
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


def lengths_from_mask(mask):
    """(N, T) bool prefix mask (True then False) -> (N,) int64 lengths; other masks are refused."""
    where = "lengths_from_mask"
    if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.ndim != 2:
        got = f"{type(mask).__name__}" + (f" {mask.dtype} {mask.shape}" if isinstance(mask, np.ndarray) else "")
        raise TypeError(f"{where}: mask must be an (N, T) bool array, got {got}")
    lengths = mask.sum(axis=1)
    if not np.array_equal(mask, mask_from_lengths(lengths, mask.shape[1])):
        raise ValueError(f"{where}: every row of mask must be True for a prefix and False after it (padding at the end)")
    return lengths.astype(np.int64)


def _lengths_or_mask(where, lengths, mask):
    if mask is None:
        return lengths
    if lengths is not None:
        raise ValueError(f"{where}: give lengths or mask, not both")
    try:
        return lengths_from_mask(mask)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{where}: {e}") from None


def reverse_index(lengths, T):
    """(N, T) index that reverses each row inside its length: idx[n, t] = L_n - 1 - t for t < L_n, else t.

    A permutation of 0..T-1 in every row and its own inverse: x[rows, idx] reverses, and doing it twice restores.
    """
    t = np.arange(T)[None, :]
    L = np.asarray(lengths)[:, None]
    return np.where(t < L, L - 1 - t, t)


def _gather(a, idx):
    """a: (N, T, K), idx: (N, T) -> a[n, idx[n, t]] (N, T, K)."""
    return a[np.arange(a.shape[0])[:, None], idx]


# --------------------------------------------------------------------------
# One direction = one cell over the sequence, with its padded outputs zeroed
# --------------------------------------------------------------------------


def _cell_params(cell, params, prefix, where):
    names = ("Wx", "Wh", "b") + cell.extra_params
    missing = [prefix + n for n in names if prefix + n not in params]
    if missing:
        raise KeyError(f"{where}: params has no {missing} (cell {cell.name!r} needs {[prefix + n for n in names]})")
    return [params[prefix + n] for n in names]


def _direction_forward(cell, x, p, activation, mask):
    Wx, Wh, b, *extra = p
    N = x.shape[0]
    H = Wh.shape[0]
    h, _, cache = cell.forward(x, cell.zero_state(N, H, x.dtype), Wx, Wh, b, activation, *extra)
    h = h * mask[:, :, None]  # padded steps output zero (a new array: the cell's h stays in its cache)
    return h, cache


def _direction_backward(cell, dh, cache, mask):
    dh = dh * mask[:, :, None]  # padded steps were not outputs: no gradient enters there
    dx, _, *dparams = cell.backward(np.ascontiguousarray(dh), cache)
    return dx, dparams


# --------------------------------------------------------------------------
# One bidirectional layer
# --------------------------------------------------------------------------


def _check_x(where, x):
    as_float_array(where, "x", x)
    check_ndim(where, "x", x, 3, "(N, T, D)")
    check_nonempty(where, "x", x, "(N, T, D)")
    return x.shape


def bidirectional_forward(x, params, cell="rnn", *, lengths=None, mask=None, activation="tanh", prefix=""):
    """One bidirectional recurrent layer.

    Args:
        x:       (N, T, D) inputs
        params:  dict with ``{prefix}fwd_Wx`` (D, G*H), ``{prefix}fwd_Wh`` (H, G*H), ``{prefix}fwd_b`` (G*H,),
                 the same for ``bwd_``, and the cell's extras (GRU: ``fwd_b_hn``, ``bwd_b_hn`` (H,))
        cell:    "rnn", "lstm" or "gru" (any name in rnnlab.cells.CELLS)
        lengths: (N,) ints in [1, T], or None (every sequence fills all T steps)
        mask:    (N, T) bool, True at the real steps (padding at the end): another way to give lengths
        activation: for the vanilla cell ("tanh", "sigmoid", "relu"); gated cells ignore it
        prefix:  prepended to every parameter name (a stack uses "l0_", "l1_", ...)

    Returns:
        h:     (N, T, 2H) = [forward states | backward states], zero at padded steps
        cache: what bidirectional_backward needs
    """
    where = "bidirectional_forward"
    N, T, D = _check_x(where, x)
    try:
        c = get_cell(cell)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    lengths = check_lengths(where, _lengths_or_mask(where, lengths, mask), N, T)
    mask = mask_from_lengths(lengths, T).astype(x.dtype)
    pf = _cell_params(c, params, prefix + "fwd_", where)
    pb = _cell_params(c, params, prefix + "bwd_", where)
    Hs = {}
    for d, p in (("fwd", pf), ("bwd", pb)):
        names = ("Wx", "Wh", "b") + c.extra_params
        try:
            Hs[d] = check_cell_params(where, D, *p[:3], gates=c.gates)
        except (TypeError, ValueError) as e:  # say which direction's weights are wrong
            raise type(e)(f"{e} (in {prefix}{d}_)") from None
        for name, a in zip(c.extra_params, p[3:]):
            as_float_array(where, f"{prefix}{d}_{name}", a)
            check_shape(where, f"{prefix}{d}_{name}", a, (Hs[d],), "(H,)")
        check_same_dtype(where, x=x, **{f"{prefix}{d}_{n}": a for n, a in zip(names, p)})
    if Hs["fwd"] != Hs["bwd"]:
        raise ValueError(f"{where}: the two directions must have the same hidden size H, "
                         f"got {Hs['fwd']} ({prefix}fwd_) and {Hs['bwd']} ({prefix}bwd_)")

    idx = reverse_index(lengths, T)
    h_f, cache_f = _direction_forward(c, x, pf, activation, mask)
    h_r, cache_b = _direction_forward(c, _gather(x, idx), pb, activation, mask)
    h = np.concatenate([h_f, _gather(h_r, idx)], axis=2)
    cache = (c, prefix, idx, mask, cache_f, cache_b, h_f.shape[2])
    return h, cache


def bidirectional_backward(dh, cache):
    """Backward pass of bidirectional_forward.

    Args:
        dh:    (N, T, 2H) gradient of the loss with respect to h
        cache: from bidirectional_forward

    Returns:
        dx:    (N, T, D), zero at padded steps
        grads: dict keyed like the layer's params (``{prefix}fwd_Wx`` ...)
    """
    c, prefix, idx, mask, cache_f, cache_b, H = cache
    where = "bidirectional_backward"
    as_float_array(where, "dh", dh)
    N, T = mask.shape
    check_shape(where, "dh", dh, (N, T, 2 * H), "(N, T, 2H)")
    check_same_dtype(where, dh=dh, mask=mask)
    dx_f, g_f = _direction_backward(c, dh[:, :, :H], cache_f, mask)
    dx_r, g_b = _direction_backward(c, _gather(dh[:, :, H:], idx), cache_b, mask)
    dx = dx_f + _gather(dx_r, idx)
    names = ("Wx", "Wh", "b") + c.extra_params
    grads = {f"{prefix}fwd_{n}": g for n, g in zip(names, g_f)}
    grads.update({f"{prefix}bwd_{n}": g for n, g in zip(names, g_b)})
    return dx, grads


# --------------------------------------------------------------------------
# A stack: layer k reads layer k-1's (N, T, 2H) output
# --------------------------------------------------------------------------


def num_layers_in(params):
    """How many layers a stacked params dict holds (keys l0_..., l1_..., ...)."""
    k = 0
    while f"l{k}_fwd_Wx" in params:
        k += 1
    return k


def stacked_bidirectional_forward(x, params, cell="rnn", *, lengths=None, mask=None, activation="tanh"):
    """num_layers bidirectional layers on top of each other (as torch's num_layers with bidirectional=True).

    Args:
        x:       (N, T, D) inputs
        params:  flat dict, layer k's parameters prefixed ``l{k}_`` (see bidirectional_forward);
                 layer 0's Wx is (D, G*H), every later layer's Wx is (2H, G*H)
        cell, lengths, mask, activation: as in bidirectional_forward

    Returns:
        h:     (N, T, 2H) the top layer's states, zero at padded steps
        cache: list of the layers' caches
    """
    where = "stacked_bidirectional_forward"
    _check_x(where, x)
    lengths = _lengths_or_mask(where, lengths, mask)
    L = num_layers_in(params)
    if L == 0:
        raise KeyError(f"{where}: params has no layer: expected keys 'l0_fwd_Wx', 'l0_bwd_Wx', ..., got {sorted(params)[:6]}")
    caches, h = [], x
    for k in range(L):
        h, layer_cache = bidirectional_forward(h, params, cell, lengths=lengths, activation=activation,
                                               prefix=f"l{k}_")
        caches.append(layer_cache)
    return h, caches


def stacked_bidirectional_backward(dh, cache):
    """Backward pass of stacked_bidirectional_forward.

    Args:
        dh:    (N, T, 2H) gradient on the top layer's states
        cache: from stacked_bidirectional_forward

    Returns:
        dx: (N, T, D);  grads: dict keyed like params
    """
    grads = {}
    for layer_cache in reversed(cache):
        dh, g = bidirectional_backward(dh, layer_cache)
        grads.update(g)
    return dh, grads


def init_bidirectional_params(D, H, cell="rnn", *, num_layers=1, rng=None, dtype=np.float64, prefix=""):
    """Fresh parameters for a stack of num_layers bidirectional layers.

    Wx: lecun_normal (variance 1/fan_in), Wh: orthogonal, b: the cell's initial bias
    (the LSTM's forget block at 1), extras at zero.  Keys ``{prefix}l{k}_{fwd|bwd}_{name}``;
    with num_layers=None the keys have no ``l{k}_`` (one layer, for bidirectional_forward).

    Returns: dict name -> array of dtype
    """
    from .model import init_weights  # model imports cells; import here keeps this module light

    c = get_cell(cell)
    rng = np.random.default_rng() if rng is None else rng
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"init_bidirectional_params: dtype must be float32 or float64, got {dtype}")
    if D < 1 or H < 1:
        raise ValueError(f"init_bidirectional_params: D and H must be >= 1, got D={D}, H={H}")
    params = {}
    layers = [None] if num_layers is None else range(num_layers)
    for k in layers:
        lp = prefix if k is None else f"{prefix}l{k}_"
        d_in = D if k in (None, 0) else 2 * H
        for d in DIRECTIONS:
            params[f"{lp}{d}_Wx"] = init_weights("lecun_normal", (d_in, c.gates * H), rng, dtype)
            params[f"{lp}{d}_Wh"] = init_weights("orthogonal", (H, c.gates * H), rng, dtype)
            params[f"{lp}{d}_b"] = c.initial_bias(H, dtype)
            for name in c.extra_params:
                params[f"{lp}{d}_{name}"] = np.zeros(H, dtype)
    return params


def params_from_torch(module, cell="rnn"):
    """Our flat stacked params from a ``torch.nn.RNN/GRU/LSTM(bidirectional=True)`` (float64 numpy copies).

    Layer k's forward direction comes from ``*_l{k}``, its backward one from ``*_l{k}_reverse``.
    Weights are converted with the single-layer helpers (transposes; the biases folded as in
    rnnlab.lstm / rnnlab.gru), so the numbers agree with torch's exactly.
    """
    from .gru import gru_params_from_torch
    from .lstm import lstm_params_from_torch

    get_cell(cell)
    params = {}
    for k in range(module.num_layers):
        for d, suffix in (("fwd", ""), ("bwd", "_reverse")):
            w = {n: getattr(module, f"{n}_l{k}{suffix}").detach().numpy().astype(np.float64)
                 for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            args = (w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
            if cell == "lstm":
                names, values = ("Wx", "Wh", "b"), lstm_params_from_torch(*args)
            elif cell == "gru":
                names, values = ("Wx", "Wh", "b", "b_hn"), gru_params_from_torch(*args)
            else:  # the vanilla cell: two biases that always add
                names, values = ("Wx", "Wh", "b"), (w["weight_ih"].T.copy(), w["weight_hh"].T.copy(),
                                                    w["bias_ih"] + w["bias_hh"])
            params.update({f"l{k}_{d}_{n}": v for n, v in zip(names, values)})
    return params
