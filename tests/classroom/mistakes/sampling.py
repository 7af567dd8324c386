"""sample_with_temperature(scores, temperature, rng) -> int in [0, V)."""

import numpy as np

from . import correct, mistake

E = "sample_with_temperature"


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@mistake(E, "multiplies the scores")
def multiplies(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    return int(rng.choice(len(scores), p=_softmax(scores * temperature)))


@mistake(E, "no effect")  # temperature applied after the softmax
def after_softmax(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    p = _softmax(scores) / temperature
    return int(rng.choice(len(scores), p=p / p.sum()))


@mistake(E, "multiplies the scores")  # p ** T, the power the wrong way round
def power_wrong_way(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    p = _softmax(scores) ** temperature
    return int(rng.choice(len(scores), p=p / p.sum()))


@mistake(E, "rng")  # the global numpy generator
def global_random(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    return int(np.random.choice(len(scores), p=_softmax(scores / temperature)))


@mistake(E, "most likely")  # greedy always
def greedy(scores, temperature, rng):
    return int(np.argmax(scores))


@mistake(E, "uniformly")
def uniform(scores, temperature, rng):
    return int(rng.integers(len(scores)))


@mistake(E, "exp overflows")
def no_shift(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    e = np.exp(scores / temperature)
    return int(rng.choice(len(scores), p=e / e.sum()))


@mistake(E, "in place")
def divides_in_place(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    scores /= temperature
    return int(rng.choice(len(scores), p=_softmax(scores)))


@mistake(E, "one int")  # returns the array rng.choice(V, 1, p)
def returns_array(scores, temperature, rng):
    if temperature == 0:
        return np.array([np.argmax(scores)])
    return rng.choice(len(scores), 1, p=_softmax(scores / temperature))


@mistake(E, "temperature 0")  # divides by zero at temperature 0
def no_greedy_case(scores, temperature, rng):
    return int(rng.choice(len(scores), p=_softmax(scores / temperature)))


@mistake(E, "sum to 1")  # unnormalised probabilities
def unnormalised(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    z = scores / temperature
    return int(rng.choice(len(scores), p=np.exp(z - z.max())))


@mistake(E, "least likely")  # softmax of the negated scores (a loss, not a score)
def negated(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    return int(rng.choice(len(scores), p=_softmax(-scores / temperature)))


@mistake(E, "one int")  # returns the probability vector
def returns_probs(scores, temperature, rng):
    return _softmax(scores / max(temperature, 1e-8))


# ---------------------------------------------------------------- correct
@correct(E)
def inverse_cdf(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    p = _softmax(scores / temperature)
    return int(min(np.searchsorted(np.cumsum(p), rng.random()), len(p) - 1))


@correct(E)
def power_of_probs(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    p = _softmax(scores) ** (1 / temperature)
    return int(rng.choice(len(scores), p=p / p.sum()))


@correct(E)
def gumbel_max(scores, temperature, rng):
    if temperature == 0:
        return int(np.argmax(scores))
    return int(np.argmax(scores / temperature + rng.gumbel(size=len(scores))))
