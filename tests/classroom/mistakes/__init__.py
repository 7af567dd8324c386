"""An independent corpus of wrong (and correct-but-different) student implementations.

Written from how students really fail the classic RNN assignments (CS231n's rnn_layers.py,
DeepLearning.AI's "Building your RNN step by step", forum threads about them), NOT from the
checkers' internal candidates: each entry is a plausible hand-in with the phrase its feedback
must contain.  tests/classroom/test_mistake_corpus.py asserts every entry and reports the named
fraction by exercise.

    @mistake("rnn_step_backward", "dh_prev")       # exercise, phrase the feedback must contain
    def forgets_transpose(dh_next, cache): ...

    @correct("rnn_step_backward")                 # must pass
    def einsum_version(dh_next, cache): ...
"""

MISTAKES = []  # (exercise, function, phrase)
CORRECT = []  # (exercise, function)
KNOWN_MISSES = []  # (exercise, function, phrase): not named yet; the test expects them to fail (strict xfail)


def mistake(exercise, phrase):
    def wrap(fn):
        MISTAKES.append((exercise, fn, phrase))
        return fn
    return wrap


def known_miss(exercise, phrase):
    """A realistic mistake the checkers do not name yet (reported honestly, tested as strict xfail)."""
    def wrap(fn):
        KNOWN_MISSES.append((exercise, fn, phrase))
        return fn
    return wrap


def correct(exercise):
    def wrap(fn):
        CORRECT.append((exercise, fn))
        return fn
    return wrap


def load():
    from . import bptt, clipping, gru, holdout, holdout2, loss, lstm, numgrad, rnn_step, sampling  # noqa: F401
    return MISTAKES, CORRECT
