"""experiments/seq2seq_dates.py runs and writes every field notebook 07 reads (a 2-step run)."""

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_experiment_writes_what_the_notebook_reads(tmp_path):
    spec = importlib.util.spec_from_file_location("seq2seq_dates", ROOT / "experiments" / "seq2seq_dates.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "r.json"
    mod.main(["--steps", "2", "--beam-examples", "2", "--out", str(out)])
    r = json.loads(out.read_text())
    assert r["command"].endswith("--steps 2 --beam-examples 2 --out " + str(out)) and r["settings"]["steps"] == 2
    stored = json.loads((ROOT / "experiments" / "results" / "seq2seq_dates.json").read_text())
    assert stored["command"] == "python experiments/seq2seq_dates.py"  # the defaults reproduce the stored run
    default = re.search(r'"--steps", type=int, default=(\d+)', (ROOT / "experiments" / "seq2seq_dates.py").read_text())
    assert stored["settings"]["steps"] == int(default.group(1))
    for res in (r, stored):
        for name in ("no_attention", "attention"):
            m = res["models"][name]
            assert {"exact_match", "by_dates", "by_length"} <= set(m)
            assert sum(b["n"] for b in m["by_dates"]) == res["settings"]["n_test"] == sum(b["n"] for b in m["by_length"])
        gb = res["models"]["attention"]["greedy_vs_beam"]
        assert {"examples", "greedy", "beam", "outputs_differ", "cases"} <= set(gb)
