"""Solution: sampling the next symbol with a temperature (notebook 03)."""

import numpy as np


def sample_with_temperature(scores, temperature, rng):
    """scores: (V,), temperature >= 0, rng: numpy Generator -> int index in [0, V)"""
    ### BEGIN SOLUTION
    if temperature == 0:
        return int(np.argmax(scores))  # the limit tau -> 0: greedy
    z = scores / temperature
    p = np.exp(z - z.max())  # subtract the max: exp never overflows
    return int(rng.choice(len(scores), p=p / p.sum()))
    ### END SOLUTION
