"""Tests for rnnlab.teaching.tasks: alphabet helpers, delay task, baselines and unit probes."""

import numpy as np
import pytest

from rnnlab import ALPHABET, Adam, SequenceModel, alphabet_shift_data, train
from rnnlab.teaching.tasks import (
    alphabet_ids,
    best_unit,
    delay_memory_curve,
    delay_task,
    indicator,
    lookup_table,
    lookup_table_accuracy,
    masked_accuracy,
    memory_task_curve,
    nats_to_bits,
    recall_task,
    shifted_sequences,
    unigram_bits_per_char,
    unit_correlations,
)


def brute_force_best_table(x, y, V):
    """Best accuracy over every table, by trying each target for each symbol independently."""
    correct = 0
    for s in range(V):
        hits = [np.sum((x == s) & (y == t)) for t in range(V)]
        correct += max(hits)
    return correct / x.size


def test_alphabet_ids_match_the_seed_letters():
    x, y = alphabet_ids()
    inputs, expected = alphabet_shift_data()
    assert x.shape == y.shape == (5, 26)
    assert "".join(ALPHABET.decode(x[1])) == "".join(inputs[1])
    assert "".join(ALPHABET.decode(y[4])) == "".join(expected[4])


def test_rows_1_3_4_follow_the_shift_and_rows_2_5_do_not():
    x, y = alphabet_ids()
    follows = ((x + 1) % 26 == y).all(axis=1)
    assert follows.tolist() == [True, False, True, True, False]


def test_lookup_table_is_majority_and_optimal_on_random_data():
    rng = np.random.default_rng(3)
    for _ in range(20):
        V = int(rng.integers(2, 6))
        x = rng.integers(0, V, size=(3, 7))
        y = rng.integers(0, V, size=(3, 7))
        assert lookup_table_accuracy(x, y, V) == pytest.approx(brute_force_best_table(x, y, V))


def test_lookup_table_on_the_alphabet_rows_is_below_one_and_is_the_shift():
    x, y = alphabet_ids()
    acc = lookup_table_accuracy(x, y)
    assert acc == pytest.approx(brute_force_best_table(x, y, 26))
    assert 0.6 < acc < 1.0  # three rows of 26 agree on the shift: at least 78/130
    assert (lookup_table(x, y) == (np.arange(26) + 1) % 26).all()


def test_lookup_table_ties_pick_the_smallest_and_unseen_map_to_themselves():
    x = np.array([[0, 0]])
    y = np.array([[2, 1]])
    assert lookup_table(x, y, V=3).tolist() == [1, 1, 2]


def test_lookup_table_rejects_bad_shapes_and_values():
    with pytest.raises(ValueError, match="y must have the shape of x"):
        lookup_table(np.zeros((2, 3), int), np.zeros((2, 4), int))
    with pytest.raises(ValueError, match=r"indices in \[0, 26\), found 26"):
        lookup_table(np.full((1, 2), 26), np.zeros((1, 2), int))


def test_shifted_sequences_are_permutations_and_shifted():
    x, y = shifted_sequences(10, np.random.default_rng(0), k=3)
    assert x.shape == (10, 26)
    assert all(sorted(r) == list(range(26)) for r in x)
    assert ((x + 3) % 26 == y).all()
    assert len({tuple(r) for r in x}) == 10
    with pytest.raises(ValueError, match="length must be in"):
        shifted_sequences(2, np.random.default_rng(0), length=27)


@pytest.mark.parametrize("k", [0, 1, 4])
def test_delay_task_targets(k):
    x, y, mask = delay_task(4, 9, k, np.random.default_rng(k), V=5, shift=1)
    assert x.shape == y.shape == mask.shape == (4, 9)
    assert (y[:, k:] == (x[:, : 9 - k] + 1) % 5).all()
    assert (y[:, :k] == 5).all()  # the blank symbol
    assert mask[:, k:].all() and not mask[:, :k].any()


def test_delay_task_rejects_k_out_of_range():
    with pytest.raises(ValueError, match=r"k must satisfy 0 <= k < T = 5, got k = 5"):
        delay_task(2, 5, 5, np.random.default_rng(0))


def test_masked_accuracy_counts_only_masked_positions():
    assert masked_accuracy(np.array([[1, 2]]), np.array([[0, 2]]), np.array([[False, True]])) == 1.0
    with pytest.raises(ValueError, match="selects no positions"):
        masked_accuracy(np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((1, 2), bool))


def test_delay_memory_curve_short_delays_are_learned_and_long_ones_fall_to_chance():
    r = delay_memory_curve([0, 1, 9], hidden_size=32, steps=150, T=12)
    acc = dict(zip(r["k"], r["accuracy"]))
    assert acc[0] > 0.9 and acc[1] > 0.9
    assert acc[9] < 0.2  # far beyond what 150 steps teach a vanilla RNN
    assert r["chance"] == pytest.approx(1 / 26)


def test_delay_memory_curve_takes_any_cell_and_says_which():
    r = delay_memory_curve([0], hidden_size=8, steps=5, T=6, cell="gru")
    assert r["cell"] == "gru" and r["task"] == "delay" and r["k"] == [0]
    with pytest.raises(ValueError, match=r"memory_task_curve: cell must be one of .* got 'tcn'"):
        delay_memory_curve([0], steps=1, cell="tcn")


@pytest.mark.parametrize("k", [0, 1, 7])
def test_recall_task_asks_for_the_first_letter_at_the_last_step_only(k):
    x, y, mask = recall_task(50, k, np.random.default_rng(k), V=7)
    assert x.shape == y.shape == mask.shape == (50, k + 1)
    assert x.dtype == y.dtype == np.int64 and mask.dtype == bool
    assert x.min() >= 0 and x.max() < 7
    assert (y[:, -1] == x[:, 0]).all()  # the answer is the first letter ...
    assert mask[:, -1].all() and not mask[:, :-1].any()  # ... and only the last step is scored
    assert (y[:, :-1] == 0).all()  # placeholders under the mask


def test_recall_task_letters_are_random_and_reproducible():
    x, _, _ = recall_task(200, 5, np.random.default_rng(0))
    assert len(np.unique(x[:, 0])) > 20  # every letter can be the one to remember
    np.testing.assert_array_equal(x, recall_task(200, 5, np.random.default_rng(0))[0])


def test_recall_task_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"recall_task: N must be an int >= 1, got 0"):
        recall_task(0, 3, rng)
    with pytest.raises(ValueError, match=r"recall_task: k must be an int >= 0, got -1"):
        recall_task(4, -1, rng)
    with pytest.raises(ValueError, match=r"recall_task: k must be an int >= 0, got 2.5"):
        recall_task(4, 2.5, rng)
    with pytest.raises(ValueError, match=r"recall_task: V must be an int >= 2, got 1"):
        recall_task(4, 3, rng, V=1)
    with pytest.raises(TypeError, match=r"recall_task: rng must be a numpy Generator .* got int"):
        recall_task(4, 3, 0)


def test_memory_task_curve_rejects_bad_tasks_and_k():
    with pytest.raises(ValueError, match=r"task must be one of \['delay', 'recall'\], got 'copy'"):
        memory_task_curve("copy", [1])
    with pytest.raises(ValueError, match=r"ks must hold at least one k, got \[\]"):
        memory_task_curve("recall", [])
    with pytest.raises(ValueError, match=r"every k must be >= 0 for the recall task, got k = -2"):
        memory_task_curve("recall", [-2])
    with pytest.raises(ValueError, match=r"0 <= k < T = 16, got k = 16"):
        memory_task_curve("delay", [16])


def test_recall_needs_no_memory_at_k0_and_is_at_chance_without_training():
    # k = 0: the answer is the letter being read; a short training learns it
    r = memory_task_curve("recall", [0], hidden_size=16, steps=150)
    assert r["accuracy"][0] > 0.95
    # no training: the last step is scored among the 26 letters, so about 1/26
    r = memory_task_curve("recall", [6], hidden_size=16, steps=0)
    assert r["accuracy"][0] < 0.15 and r["chance"] == pytest.approx(1 / 26)


def test_recall_trains_on_the_last_step_only():
    """The recall loss counts the last step only: the placeholder targets under the mask change nothing."""
    from rnnlab import SequenceModel
    from rnnlab.teaching.tasks import _MaskedLoss

    model = SequenceModel(5, 4, embed_dim=3, cell="lstm", rng=np.random.default_rng(0))
    x, y, mask = recall_task(6, 3, np.random.default_rng(1), V=5)
    y_other = y.copy()
    y_other[:, :-1] = 4  # change every target the mask drops
    a = _MaskedLoss(model).loss(x, (y, mask))
    b = _MaskedLoss(model).loss(x, (y_other, mask))
    assert a[0] == pytest.approx(b[0])
    for name in model.params:
        np.testing.assert_allclose(a[1][name], b[1][name])
    assert a[0] == pytest.approx(model.loss(x, y, mask=mask)[0])
    assert a[0] != pytest.approx(model.loss(x, y)[0])  # the unmasked loss is a different number


def test_unigram_bits_match_entropy_of_known_distribution():
    # train counts 3:1 (no smoothing): eval on the same text = entropy of (3/4, 1/4)
    ids = np.array([0, 0, 0, 1])
    H = -(0.75 * np.log2(0.75) + 0.25 * np.log2(0.25))
    assert unigram_bits_per_char(ids, ids, 2, smoothing=0) == pytest.approx(H)
    # uniform counts -> log2(V) bits for any eval text
    assert unigram_bits_per_char(np.arange(8), np.array([3, 3, 5]), 8, smoothing=0) == pytest.approx(3.0)


def test_unigram_smoothing_keeps_unseen_symbols_finite():
    bits = unigram_bits_per_char(np.array([0, 0]), np.array([1]), 2, smoothing=1)
    assert bits == pytest.approx(np.log2(4))  # p(1) = (0 + 1) / (2 + 2)
    with pytest.raises(ValueError, match="smoothing must be >= 0"):
        unigram_bits_per_char(np.array([0]), np.array([0]), 2, smoothing=-1)


def test_nats_to_bits():
    assert nats_to_bits(np.log(8)) == pytest.approx(3.0)


def test_indicators_on_a_small_text():
    s = 'a (b "c") \nd'
    assert indicator(s, "inside (...)").tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert indicator(s, 'inside "..."').tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert indicator(s, "line start").tolist() == [1] + [0] * 10 + [1]
    assert indicator(s, "position in line")[-1] == 0 and indicator(s, "position in line")[-2] == 10
    with pytest.raises(ValueError, match="kind must be one of"):
        indicator(s, "vowels")


def test_unit_correlations_and_best_unit_find_the_planted_unit():
    rng = np.random.default_rng(0)
    signal = (rng.random(200) < 0.3).astype(float)
    h = rng.standard_normal((200, 6)) * 0.5
    h[:, 4] = -signal + 0.1 * rng.standard_normal(200)  # negatively tracks the signal
    h[:, 2] = 1.0  # constant unit: correlation defined as 0
    r = unit_correlations(h, signal)
    assert r.shape == (6,)
    assert r[2] == 0.0
    assert r[4] == pytest.approx(np.corrcoef(h[:, 4], signal)[0, 1])
    unit, r_best = best_unit(h, signal)
    assert unit == 4 and r_best < -0.9


def test_unit_correlations_rejects_length_mismatch():
    with pytest.raises(ValueError, match=r"signal must have shape \(T,\) = \(5,\), got \(4,\)"):
        unit_correlations(np.zeros((5, 3)), np.zeros(4))


def test_default_alphabet_setup_fits_all_five_rows_and_beats_the_lookup_table():
    """Behaviour of notebook 04's default set-up: 100 % on every row, which no table reaches."""
    x, y = alphabet_ids()
    model = SequenceModel(ALPHABET, 64, rng=np.random.default_rng(0))
    train(model, [(x, y)], optimizer=Adam(lr=1e-2), epochs=300, progress=False)
    per_row = (model.predict(x) == y).mean(axis=1)
    assert (per_row == 1.0).all()
    assert model.accuracy(x, y) > lookup_table_accuracy(x, y)


def test_seed003_torch_recipe_barely_moves_in_10_steps_and_fits_with_more():
    torch = pytest.importorskip("torch")
    from rnnlab.teaching.tasks import alphabet_ids, seed003_torch_recipe

    torch.set_num_threads(1)
    x, y = alphabet_ids()
    _, loss, acc, steps = seed003_torch_recipe(x, y, 1e-3, 10)
    assert steps == 10 and 3.0 < loss < np.log(26) + 0.05 and acc < 1.0
    net, loss, acc, steps = seed003_torch_recipe(x, y, 1e-2, 200, stop_at_100=True)
    assert acc == 1.0 and steps < 200
    with torch.no_grad():
        pred = net(torch.eye(26)[torch.from_numpy(x)]).argmax(-1).numpy()
    assert (pred == y).all()
    with pytest.raises(ValueError, match="seed003_torch_recipe"):
        seed003_torch_recipe(x[0], y[0])
