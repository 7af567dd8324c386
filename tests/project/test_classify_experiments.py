"""The experiment scripts behind notebook 08's tables: they run, and the stored results are theirs."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXP = ROOT / "experiments"
sys.path.insert(0, str(EXP))

import classify_choices  # noqa: E402


def test_classify_choices_runs_and_writes_the_table(tmp_path):
    out = tmp_path / "choices.json"
    subprocess.run([sys.executable, str(EXP / "classify_choices.py"), "--steps", "10", "--seeds", "2",
                    "--out", str(out)], check=True, capture_output=True, timeout=600)
    r = json.loads(out.read_text())
    assert r["command"].endswith("--steps 10 --seeds 2")
    assert [row["choice"] for row in r["rows"]] == [name for name, _ in classify_choices.CHOICES]
    for row in r["rows"]:
        acc = [x["test_accuracy"] for x in row["runs"]]
        assert len(acc) == 2 and row["mean"] == pytest.approx(np.mean(acc))
        assert row["std"] == pytest.approx(np.std(acc, ddof=1))


def _stored(name):
    return json.loads((EXP / "results" / f"{name}.json").read_text())


def test_stored_choices_match_the_script():
    r = _stored("classify_choices")
    assert r["command"] == "OMP_NUM_THREADS=1 python experiments/classify_choices.py"  # the defaults
    assert r["seeds"] == [0, 1, 2, 3, 4]
    for row, (name, change) in zip(r["rows"], classify_choices.CHOICES, strict=True):
        assert row["choice"] == name and row["config"] == {**classify_choices.BASELINE, **change}
        acc = [x["test_accuracy"] for x in row["runs"]]
        assert [x["seed"] for x in row["runs"]] == r["seeds"]
        assert row["mean"] == pytest.approx(np.mean(acc)) and row["std"] == pytest.approx(np.std(acc, ddof=1))
        # accuracies are counts out of the 359 test images
        assert all(abs(a * 359 - round(a * 359)) < 1e-9 for a in acc)


def test_stored_long_memory_results_match_the_script():
    r = _stored("classify_long_memory")
    assert r["command"] == "OMP_NUM_THREADS=1 python experiments/classify_long_memory.py"
    assert set(r["results"]) == {"rows", "pixels"}
    for rows in r["results"].values():
        assert [x["cell"] for x in rows] == ["rnn", "gru", "lstm"]
        for x in rows:
            acc = [run["test_accuracy"] for run in x["runs"]]
            assert len(acc) == 3 and x["mean"] == pytest.approx(np.mean(acc))
            assert all(run["steps_run"] <= 1500 for run in x["runs"])
