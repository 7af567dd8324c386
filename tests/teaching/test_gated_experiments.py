"""Tests for what notebook 06 added to rnnlab.teaching.gated_experiments and gated_plots: the FLOP count,
the CPU-seconds budget of compare_char_lm, loading a stored character model, the two new pictures,
and the stored results of the scripts in experiments/ that the notebook quotes."""

import json
from pathlib import Path

import numpy as np
import pytest

from rnnlab import SequenceModel
from rnnlab.teaching.gated_experiments import (CELL_NAMES, compare_char_lm, flops_per_char, load_char_model,
                                               matched_hidden_sizes, num_params)

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "experiments" / "results"


# ---------------- FLOPs per character ----------------


@pytest.mark.parametrize("cell", CELL_NAMES)
@pytest.mark.parametrize("V, H, E", [(103, 128, 32), (7, 5, 3)])
def test_flops_per_char_is_six_per_weight_of_the_three_matrices(cell, V, H, E):
    model = SequenceModel(V, H, embed_dim=E, cell=cell, rng=np.random.default_rng(0))
    weights = sum(model.params[k].size for k in ("Wx", "Wh", "W_out"))
    assert flops_per_char(cell, V, H, E) == 6 * weights


def test_flops_per_char_agrees_with_the_issue_figures_at_equal_parameters():
    # V = 103 at the vanilla H = 128: 202.0k, LSTM 200.6k, GRU 202.6k (the benchmark's formula)
    sizes = matched_hidden_sizes(103, 32, 128)
    got = {cell: round(flops_per_char(cell, 103, H, 32) / 1e3, 1) for cell, H in sizes.items()}
    assert got == {"rnn": 202.0, "lstm": 200.6, "gru": 202.6}


def test_flops_per_char_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"flops_per_char: cell must be one of .* got 'tree'"):
        flops_per_char("tree", 10, 4, 3)
    with pytest.raises(ValueError, match=r"flops_per_char: H must be a positive int, got 0"):
        flops_per_char("rnn", 10, 0, 3)


# ---------------- equal CPU time ----------------


def _tiny_data():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 6, size=4000)
    return ids[:3000], ids[3000:]


def test_compare_char_lm_on_the_cpu_clock_stops_after_the_budget():
    train_ids, val_ids = _tiny_data()
    res = compare_char_lm(train_ids, val_ids, 6, {"rnn": 8}, time_limit=0.2, clock="cpu", batch_size=4,
                          seq_len=10)
    r = res["rnn"]
    assert r["cpu_seconds"] >= 0.2 and r["steps"] >= 1
    assert r["cpu_seconds"] < 5  # it stopped soon after the budget (one step is milliseconds)


def test_compare_char_lm_rejects_an_unknown_clock():
    train_ids, val_ids = _tiny_data()
    with pytest.raises(ValueError, match=r"compare_char_lm: clock must be 'wall' or 'cpu', got 'gpu'"):
        compare_char_lm(train_ids, val_ids, 6, {"rnn": 8}, max_steps=1, clock="gpu")


# ---------------- a stored character model ----------------


def _store(tmp_path, model, cell, H):
    np.savez_compressed(tmp_path / "m.npz", **{k: v.astype(np.float32) for k, v in model.params.items()})
    (tmp_path / "m.json").write_text(json.dumps({"V": 9, "settings": {"cell": cell, "H": H, "embed_dim": 4}}))
    return tmp_path / "m.npz", tmp_path / "m.json"


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_load_char_model_gives_back_the_stored_parameters(tmp_path, cell):
    model = SequenceModel(9, 6, embed_dim=4, cell=cell, rng=np.random.default_rng(3))
    loaded, info = load_char_model(*_store(tmp_path, model, cell, 6))
    assert info["settings"]["cell"] == cell
    for name, value in model.params.items():
        np.testing.assert_allclose(loaded.params[name], value, rtol=1e-6, atol=1e-7)  # float32 storage
    x = np.random.default_rng(0).integers(0, 9, size=(2, 5))
    np.testing.assert_allclose(loaded.hidden_states(x), model.hidden_states(x), atol=1e-5)


def test_load_char_model_names_a_shape_mismatch(tmp_path):
    model = SequenceModel(9, 6, embed_dim=4, cell="lstm", rng=np.random.default_rng(3))
    npz, js = _store(tmp_path, model, "lstm", 7)  # the record says H = 7, the arrays are H = 6
    with pytest.raises(ValueError, match=r"load_char_model: parameter 'Wx' in .* has shape \(4, 24\), .* needs \(4, 28\)"):
        load_char_model(npz, js)


# ---------------- pictures ----------------


def test_char_lm_picture_shows_means_spreads_and_every_seed():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from rnnlab.teaching.gated_plots import draw_char_lm_comparison

    cells = {c: {"runs": [{"val_bits": 2.0 + i / 10 + j / 100, "steps": 100 * (i + 1) + j} for j in range(3)],
                 "val_bits": {"mean": 2.0 + i / 10 + 0.01, "std": 0.01},
                 "steps": {"mean": 100 * (i + 1) + 1, "std": 1.0}} for i, c in enumerate(CELL_NAMES)}
    fig = Figure()
    axes = draw_char_lm_comparison([fig.add_subplot(121), fig.add_subplot(122)], cells, unigram_bits=4.67)
    for ax, key in zip(axes, ("val_bits", "steps")):
        heights = [p.get_height() for p in ax.patches]
        assert heights == pytest.approx([cells[c][key]["mean"] for c in CELL_NAMES])
        dots = [ln for ln in ax.get_lines() if ln.get_marker() == "."]
        assert sum(len(ln.get_xdata()) for ln in dots) == 9  # one dot per cell and seed
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["vanilla RNN", "GRU", "LSTM"]


def test_delay_by_hidden_size_picture_draws_one_curve_and_band_per_run():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from rnnlab.teaching.gated_plots import draw_delay_by_hidden_size

    runs = [{"H": H, "steps": 200, "k": [0, 1, 2], "accuracy": [[1, 0.5, 0.1], [1, 0.7, 0.1]], "mean": [1, 0.6, 0.1]}
            for H in (8, 32)]
    ax = draw_delay_by_hidden_size(Figure().add_subplot(), runs, chance=1 / 26)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert "H = 8, 200 steps" in labels and "H = 32, 200 steps" in labels and "chance" in labels
    assert len(ax.collections) == 2  # the min-max bands


# ---------------- the stored results notebook 06 quotes ----------------


def test_stored_char_lm_comparison_has_three_seeds_and_equal_budgets():
    data = json.loads((RESULTS / "compare_cells_char_lm.json").read_text())
    assert data["command"].startswith("python experiments/compare_cells_char_lm.py")
    V = data["V"]
    for cell, c in data["cells"].items():
        assert len(c["runs"]) >= 3
        assert c["params"] == num_params(cell, V, c["H"], 32)
        assert c["flops_per_char"] == flops_per_char(cell, V, c["H"], 32)
        budget = data["settings"]["cpu_seconds_per_run"]
        assert all(budget <= r["cpu_seconds"] < budget * 1.2 for r in c["runs"])
        bits = [r["val_bits"] for r in c["runs"]]
        assert c["val_bits"]["mean"] == pytest.approx(np.mean(bits), abs=1e-3)
        assert c["val_bits"]["std"] == pytest.approx(np.std(bits, ddof=1), abs=1e-3)


def test_stored_gated_char_model_loads_and_beats_the_unigram_baseline():
    model, info = load_char_model(RESULTS / "gated_char_model.npz", RESULTS / "gated_char_model.json")
    assert info["val_bits"] < info["unigram_bits"] - 1
    assert (RESULTS / "gated_char_model.npz").stat().st_size < 1_000_000  # small enough to ship
    assert model.hidden_size == info["settings"]["H"]
