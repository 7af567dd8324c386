import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def make_rnn_inputs(rng, N=3, T=4, D=5, H=6, dtype=np.float64, scale=0.5):
    """Random (x, h0, Wx, Wh, b) in the course convention."""
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, H)).astype(dtype)
    Wx = (scale * rng.standard_normal((D, H))).astype(dtype)
    Wh = (scale * rng.standard_normal((H, H))).astype(dtype)
    b = (scale * rng.standard_normal(H)).astype(dtype)
    return x, h0, Wx, Wh, b
