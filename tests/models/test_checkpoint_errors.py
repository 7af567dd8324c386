"""A damaged checkpoint must raise a clear ValueError (notebook 05 shows both cases)."""

import json

import numpy as np
import pytest

from rnnlab import SequenceModel, Vocab, load_model


@pytest.fixture
def saved(tmp_path):
    model = SequenceModel(Vocab.from_text("abc "), 8, rng=np.random.default_rng(0))
    path = tmp_path / "m.npz"
    model.save(path)
    return model, path


def test_truncated_checkpoint_raises_valueerror_not_badzipfile(saved, tmp_path):
    _, path = saved
    cut = tmp_path / "cut.npz"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="is not a readable rnnlab checkpoint"):
        load_model(cut)


def test_checkpoint_whose_config_disagrees_with_its_arrays_names_the_parameter(saved, tmp_path):
    _, path = saved
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    config = json.loads(str(arrays["config"]))
    config["hidden_size"] = 4
    arrays["config"] = np.array(json.dumps(config))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match=r"parameter 'Wx' .* has shape \(32, 8\).* needs \(32, 4\)"):
        load_model(bad)


def test_round_trip_still_works(saved):
    model, path = saved
    x = np.array([[0, 1, 2, 3]])
    assert (load_model(path).predict(x) == model.predict(x)).all()
