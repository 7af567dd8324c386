"""Numbers to report about a model: perplexity next to bits per char, accuracy, confusion.

A mean cross-entropy L in nats per symbol can be said three ways:
    bits per char = L / ln 2          (the cost of coding each symbol)
    perplexity    = exp(L) = 2^bits   (the model is as unsure as a uniform choice among
                                       that many symbols: V for a model that knows nothing)
"""

from __future__ import annotations

import math

import numpy as np


def _check_loss(where, loss_nats):
    if isinstance(loss_nats, bool) or not isinstance(loss_nats, (int, float, np.floating, np.integer)):
        raise TypeError(f"{where}: loss_nats must be a number (mean cross-entropy in nats), got {type(loss_nats).__name__}")
    if not math.isfinite(loss_nats) or loss_nats < 0:
        raise ValueError(f"{where}: loss_nats must be finite and >= 0, got {loss_nats}")
    return float(loss_nats)


def bits_per_char(loss_nats):
    """Mean cross-entropy in nats -> bits per symbol (divide by ln 2)."""
    return _check_loss("bits_per_char", loss_nats) / math.log(2)


def perplexity(loss_nats):
    """Mean cross-entropy in nats -> perplexity exp(loss) (= 2 ** bits_per_char)."""
    return math.exp(_check_loss("perplexity", loss_nats))


def _check_labels(where, name, a, C):
    if not isinstance(a, np.ndarray) or a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"{where}: {name} must be a 1-D numpy array of integer classes, got "
                        f"{type(a).__name__}{getattr(a, 'shape', '')} {getattr(a, 'dtype', '')}")
    if a.size and (a.min() < 0 or a.max() >= C):
        raise ValueError(f"{where}: {name} must hold classes in [0, {C}), found {int(a[(a < 0) | (a >= C)][0])}")


def confusion_matrix(y_true, y_pred, num_classes):
    """counts[i, j] = how many examples of true class i were predicted as j.  (N,), (N,) -> (C, C) int64."""
    _check_labels("confusion_matrix", "y_true", y_true, num_classes)
    _check_labels("confusion_matrix", "y_pred", y_pred, num_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: y_true {y_true.shape} and y_pred {y_pred.shape} must have the same shape")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts
