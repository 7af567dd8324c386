"""Random inputs in the course convention (batch-first row vectors), shared by the checkers."""

from __future__ import annotations

import numpy as np

# Sizes are all different, so a wrong axis or a wrong factor has nowhere to hide.
STEP_SIZES = [(3, 5, 4), (2, 3, 6), (4, 2, 3)]  # (N, D, H)
SEQ_SIZES = [(2, 4, 3, 5), (3, 5, 4, 3)]  # (N, T, D, H)


def rnn_params(rng, D, H, dtype=np.float64, scale=0.5, gates=1):
    """Wx: (D, gates*H), Wh: (H, gates*H), b: (gates*H,)."""
    Wx = (scale * rng.standard_normal((D, gates * H))).astype(dtype)
    Wh = (scale * rng.standard_normal((H, gates * H))).astype(dtype)
    b = (scale * rng.standard_normal(gates * H)).astype(dtype)
    return Wx, Wh, b
