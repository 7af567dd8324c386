"""Solution: inverted dropout between layers (notebook 07)."""


def dropout_forward(x, p, rng, training=True):
    """x: any shape, p: drop probability in [0, 1), rng: numpy Generator
    -> out: shape of x, cache: the scaled mask (0 or 1 / (1 - p)) or None when nothing was dropped"""
    ### BEGIN SOLUTION
    if not training or p == 0:
        return x, None  # test time: the identity; "inverted" dropout rescaled during training instead
    keep = rng.random(x.shape) >= p  # each unit kept with probability 1 - p
    mask = keep.astype(x.dtype) / x.dtype.type(1 - p)  # kept units scaled up: E[out] = x
    return x * mask, mask
    ### END SOLUTION
