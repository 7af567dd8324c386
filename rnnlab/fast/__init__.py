"""The fast path: the reference cells' maths, rearranged for speed.

``rnnlab.layers``, ``rnnlab.lstm`` and ``rnnlab.gru`` are what students read:
sequence functions that loop over step functions.  This package computes the
same thing with the same signatures, caches and results (tests/core/
test_fast_agrees.py: float64 within 1e-12, float32 within 1e-5 relative), and
is what models, training, widgets and the benchmark use by default
(``rnnlab.cells``).  How it is faster, in every cell:

* time-major memory: (N, T, K) arrays live as (T, N, K), so one step's (N, K)
  slice is one contiguous block; the functions still take and return (N, T, K)
  arrays (transposed views of that memory);
* the input term x_t @ Wx + b of every step is ONE (T*N, D) x (D, G*H) matrix
  product before the time loop; inside the loop only h_{t-1} @ Wh is left;
* preallocated buffers and ``out=``: the loops allocate no arrays;
* activations from exp, which NumPy computes faster than tanh:
  sigma(a) = 1 / (1 + exp(-a)), tanh(a) = 2 / (1 + exp(-2a)) - 1.  The weight
  columns are scaled by -1 or -2 once per call (exact in floating point), so
  the products already give -a or -2a, and one in-place exp, + 1 and
  reciprocal cover all gate blocks of a step;
* the backward pass computes every factor that does not depend on the
  incoming gradient for all steps at once, before its loop; inside the loop
  a step is a few in-place products and one (N, G*H) x (G*H, H) product;
* the weight gradients are sums over time: ONE (G*H, T*N) x (T*N, ...) product
  each, after the loop.
"""

from .gru import gru_backward, gru_forward
from .lstm import lstm_backward, lstm_backward_state, lstm_forward
from .rnn import rnn_backward, rnn_forward

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "lstm_backward_state",
           "gru_forward", "gru_backward"]
