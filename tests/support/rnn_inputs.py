"""Random inputs in the course convention, shared by several test modules.

(Not in conftest.py: another conftest.py lives in tests/browser/fixtures/, and
`from conftest import ...` would pick whichever pytest imported last.)
"""

import numpy as np


def make_rnn_inputs(rng, N=3, T=4, D=5, H=6, dtype=np.float64, scale=0.5):
    """Random (x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,))."""
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, H)).astype(dtype)
    Wx = (scale * rng.standard_normal((D, H))).astype(dtype)
    Wh = (scale * rng.standard_normal((H, H))).astype(dtype)
    b = (scale * rng.standard_normal(H)).astype(dtype)
    return x, h0, Wx, Wh, b
