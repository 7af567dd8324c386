"""PyTorch autograd as an independent oracle for rnnlab's gradients.

rnnlab never needs PyTorch; this module imports it only when one of its
functions is called, and raises an ImportError that says how to install it
when it is missing.

The weight mapping between rnnlab's batch-first row-vector convention and
``torch.nn.RNN`` / ``torch.nn.Linear`` (which store weights as (out, in) and
compute ``x @ W.T``):

    rnnlab                          torch
    Wx    (D, H)                    rnn.weight_ih_l0   (H, D)  = Wx.T
    Wh    (H, H)                    rnn.weight_hh_l0   (H, H)  = Wh.T
    b     (H,)                      rnn.bias_ih_l0 + rnn.bias_hh_l0   (we put b in bias_ih, 0 in bias_hh)
    W_out (H, V)                    out.weight         (V, H)  = W_out.T
    b_out (V,)                      out.bias           (V,)
    W_embed (V, E)                  nn.Embedding.weight (V, E)  (same layout)

The loss is ``F.cross_entropy`` on the LOGITS (scores) with its default mean
over all N*T positions: exactly rnnlab.temporal_softmax_loss.  (Seed 000 fed
probabilities to CrossEntropyLoss, a second softmax; see rnnlab.teaching.bugzoo.)
Everything runs in float64 so the comparison can be tight.
"""

from __future__ import annotations

import numpy as np

INSTALL_HINT = (
    "rnnlab.torch_reference needs PyTorch, which is not installed in this environment. "
    "Install the CPU build with `pip install -e \".[torch]\"` (torch==2.13.0), "
    "or skip the PyTorch cross-checks: rnnlab itself never needs torch."
)


def require_torch():
    """Import and return torch, or raise ImportError with INSTALL_HINT."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(INSTALL_HINT) from e
    return torch


def _recurrent_core(torch, D, H, Wx, Wh, b, activation):
    """nn.RNN for tanh/relu (an implementation we did not write); a manual loop for sigmoid."""
    if activation in ("tanh", "relu"):
        rnn = torch.nn.RNN(D, H, nonlinearity=activation, batch_first=True, dtype=torch.float64)
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(Wx.T)))
            rnn.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(Wh.T)))
            rnn.bias_ih_l0.copy_(torch.from_numpy(b))
            rnn.bias_hh_l0.zero_()

        def run(x, h0):
            return rnn(x, h0[None])[0]

        def grads():
            return {"Wx": rnn.weight_ih_l0.grad.T, "Wh": rnn.weight_hh_l0.grad.T, "b": rnn.bias_ih_l0.grad}

        return run, grads
    if activation == "sigmoid":
        P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in
             (("Wx", Wx), ("Wh", Wh), ("b", b))}

        def run(x, h0):
            h, out = h0, []
            for t in range(x.shape[1]):
                h = torch.sigmoid(x[:, t] @ P["Wx"] + h @ P["Wh"] + P["b"])
                out.append(h)
            return torch.stack(out, dim=1)

        return run, lambda: {k: v.grad for k, v in P.items()}
    raise ValueError(f"torch_reference: activation must be 'tanh', 'sigmoid' or 'relu', got {activation!r}")


def _to_numpy(grads):
    return {k: v.detach().numpy().astype(np.float64).copy() for k, v in grads.items()}


def torch_rnn_softmax_loss(params, x, y, h0=None, activation="tanh"):
    """Loss and gradients of the dense-input classifier by PyTorch autograd.

    The same model as rnnlab.teaching.bugzoo.reference_loss: x (N, T, D) -> RNN -> scores
    (N, T, V) -> mean cross-entropy against y (N, T).

    Args:
        params: dict with Wx (D, H), Wh (H, H), b (H,), W_out (H, V), b_out (V,)
        x: (N, T, D) float array;  y: (N, T) integer targets
        h0: (N, H) or None (zeros)

    Returns:
        loss (float), grads (dict of float64 numpy arrays keyed like params)
    """
    torch = require_torch()
    F = torch.nn.functional
    x = np.asarray(x, dtype=np.float64)
    N, T, D = x.shape
    H = params["Wh"].shape[0]
    V = params["W_out"].shape[1]
    run, core_grads = _recurrent_core(torch, D, H, *(np.asarray(params[k], np.float64) for k in ("Wx", "Wh", "b")),
                                      activation)
    W_out = torch.tensor(params["W_out"], dtype=torch.float64, requires_grad=True)
    b_out = torch.tensor(params["b_out"], dtype=torch.float64, requires_grad=True)
    h0_t = torch.zeros(N, H, dtype=torch.float64) if h0 is None else torch.tensor(h0, dtype=torch.float64)
    h = run(torch.from_numpy(x), h0_t)
    scores = h @ W_out + b_out
    loss = F.cross_entropy(scores.reshape(N * T, V), torch.as_tensor(np.asarray(y).reshape(-1), dtype=torch.long))
    loss.backward()
    grads = {**core_grads(), "W_out": W_out.grad, "b_out": b_out.grad}
    return float(loss.detach()), _to_numpy(grads)


def torch_sequence_model_loss(model, x, y, state0=None):
    """PyTorch's loss and gradients for an rnnlab.SequenceModel (vanilla cell) at its current params.

    x, y: (N, T) integer arrays.  Returns loss (float) and grads keyed like model.params.
    """
    torch = require_torch()
    F = torch.nn.functional
    if model.cell.name != "rnn":
        raise ValueError(f"torch_sequence_model_loss: only the vanilla 'rnn' cell is mapped, got {model.cell.name!r}")
    p = {k: np.asarray(v, dtype=np.float64) for k, v in model.params.items()}
    N, T = x.shape
    E, H, V = model.embed_dim, model.hidden_size, model.vocab_size
    embed = torch.nn.Embedding.from_pretrained(torch.from_numpy(p["W_embed"].copy()), freeze=False)
    run, core_grads = _recurrent_core(torch, E, H, p["Wx"], p["Wh"], p["b"], model.activation)
    out = torch.nn.Linear(H, V, dtype=torch.float64)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(np.ascontiguousarray(p["W_out"].T)))
        out.bias.copy_(torch.from_numpy(p["b_out"]))
    h0 = torch.zeros(N, H, dtype=torch.float64) if state0 is None else torch.tensor(state0, dtype=torch.float64)
    idx = torch.as_tensor(np.asarray(x), dtype=torch.long)
    scores = out(run(embed(idx), h0))
    loss = F.cross_entropy(scores.reshape(N * T, V), torch.as_tensor(np.asarray(y).reshape(-1), dtype=torch.long))
    loss.backward()
    grads = {"W_embed": embed.weight.grad, **core_grads(), "W_out": out.weight.grad.T, "b_out": out.bias.grad}
    return float(loss.detach()), _to_numpy(grads)


def torch_regressor_loss(model, x, y):
    """PyTorch's loss and gradients for an rnnlab.SequenceRegressor: 0.5 * mean_n ||y_hat_n - y_n||^2.

    x: (N, T, D), y: (N, O).  Returns loss (float) and grads keyed like model.params.
    """
    torch = require_torch()
    p = {k: np.asarray(v, dtype=np.float64) for k, v in model.params.items()}
    x = np.asarray(x, dtype=np.float64)
    N, T, D = x.shape
    H = model.hidden_size
    run, core_grads = _recurrent_core(torch, D, H, p["Wx"], p["Wh"], p["b"], model.activation)
    W_out = torch.tensor(p["W_out"], requires_grad=True)
    b_out = torch.tensor(p["b_out"], requires_grad=True)
    h = run(torch.from_numpy(x), torch.zeros(N, H, dtype=torch.float64))
    y_hat = h[:, -1] @ W_out + b_out
    loss = 0.5 * ((y_hat - torch.from_numpy(np.asarray(y, np.float64))) ** 2).sum() / N
    loss.backward()
    return float(loss.detach()), _to_numpy({**core_grads(), "W_out": W_out.grad, "b_out": b_out.grad})
