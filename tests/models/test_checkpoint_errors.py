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


# --------------------------------------------------------------------------
# Hardening (issue 15): nothing lost, every broken file one clear error
# --------------------------------------------------------------------------

import errno  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402

from rnnlab import CheckpointError, SequenceRegressor  # noqa: E402


def _entries(path):
    """The raw .npy bytes of every entry of a checkpoint."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _npy(a):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a), allow_pickle=True)
    return buf.getvalue()


def _npy_with_header(shape, dtype, data=b""):
    """An .npy whose header claims ``shape`` / ``dtype`` whatever data follows."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                               "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue() + data


def _write(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def _config(path):
    return json.loads(str(np.load(io.BytesIO(_entries(path)["config.npy"]))))


def _with_config(path, out, **changes):
    entries = _entries(path)
    config = _config(path)
    config.update(changes)
    entries["config.npy"] = _npy(np.array(json.dumps(config)))
    return _write(out, entries)


def test_a_save_that_fails_half_way_keeps_the_previous_checkpoint(saved, tmp_path, monkeypatch):
    model, path = saved
    before = path.read_bytes()
    other = SequenceModel(Vocab.from_text("abc "), 8, rng=np.random.default_rng(5))

    def disk_full(file, **arrays):  # writes part of the archive, then the disk is full
        file.write(before[: len(before) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space left"):
        other.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the good checkpoint is untouched ...
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # ... and no temporary file is left
    x = np.array([[0, 1, 2, 3]])
    assert (load_model(path).predict(x) == model.predict(x)).all()


def test_ctrl_c_during_save_keeps_the_previous_checkpoint(saved, tmp_path, monkeypatch):
    _, path = saved
    before = path.read_bytes()

    def interrupted(file, **arrays):
        file.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        SequenceModel(4, 3, rng=np.random.default_rng(0)).save(path)
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def test_save_and_load_agree_on_the_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    m = SequenceModel(Vocab.from_text("xyz"), 4, rng=np.random.default_rng(0))
    written = m.save("ckpt")
    assert written.name == "ckpt.npz" and (tmp_path / "ckpt.npz").is_file()
    for name in ("ckpt", "ckpt.npz", tmp_path / "ckpt"):
        np.testing.assert_array_equal(load_model(name).params["Wh"], m.params["Wh"])
    with pytest.raises(CheckpointError, match=r"load: nothing\.npz is not a readable rnnlab checkpoint \(\.npz\): no such file"):
        load_model("nothing.npz")
    with pytest.raises(TypeError, match="load_model: path must be a str or a path, got int"):
        load_model(3)


@pytest.mark.parametrize("symbols", [[3, 1, 2], np.array([7, 8, 9]), ["<s>", "cat", 5]])
def test_vocabularies_of_ints_and_mixed_symbols_round_trip(symbols, tmp_path):
    m = SequenceModel(Vocab(symbols), 4, rng=np.random.default_rng(0))
    m2 = load_model(m.save(tmp_path / "v.npz"))
    assert m2.vocab.symbols == m.vocab.symbols
    assert [type(s) for s in m2.vocab.symbols] == [type(s) for s in m.vocab.symbols]


def test_save_refuses_a_diverged_model(tmp_path):
    m = SequenceModel(4, 3, rng=np.random.default_rng(0))
    m.params["Wh"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"save: parameter 'Wh' holds nan or inf"):
        m.save(tmp_path / "nan.npz")
    assert not list(tmp_path.iterdir())


def test_an_absurd_claimed_size_fails_before_anything_is_allocated(saved, tmp_path):
    """An LSTM claim of hidden_size=3000 once took two minutes to reach its error."""
    import tracemalloc

    _, path = saved
    for cell, H, G in (("rnn", 8000, 1), ("lstm", 3000, 4)):
        bad = _with_config(path, tmp_path / "huge.npz", hidden_size=H, cell=cell)
        tracemalloc.start()
        t = time.perf_counter()
        with pytest.raises(CheckpointError, match=rf"parameter 'Wx' in .*huge\.npz has shape \(32, 8\) dtype float64, "
                                                  rf"the configuration needs \(32, {G * H}\) float64"):
            load_model(bad)
        seconds = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert seconds < 1.0 and peak < 5_000_000  # the claimed model alone would be 300-500 MB


@pytest.mark.parametrize("changes, text", [
    ({"hidden_size": 10**9}, r"hidden_size must be an int in \[1, 1048576\], got 1000000000"),
    ({"hidden_size": 100_000}, r"it describes [\d,]+ parameters, more than the limit of 100,000,000"),
    ({"hidden_size": "8"}, r"hidden_size must be an int in \[1, 1048576\], got '8'"),
    ({"hidden_size": 8.0}, r"hidden_size must be an int .* got 8.0"),
    ({"hidden_size": True}, r"hidden_size must be an int .* got True"),
    ({"hidden_size": -1}, r"hidden_size must be an int .* got -1"),
    ({"hidden_size": None}, r"hidden_size must be an int .* got None"),
    ({"cell": "transformer"}, r"cell must be one of \['gru', 'lstm', 'rnn'\], got 'transformer'"),
    ({"cell": ["rnn"]}, r"cell must be one of .* got \['rnn'\]"),
    ({"activation": "gelu"}, r"activation must be one of"),
    ({"dtype": "float16"}, r"dtype must be one of \['float32', 'float64'\], got 'float16'"),
    ({"dtype": "object"}, r"dtype must be one of"),
    ({"input_init": "zeros"}, r"input_init must be one of"),
    ({"vocab": ["a", "b"]}, r"vocab must be null or a list of vocab_size = 4 symbols, got list of length 2"),
    ({"vocab": "abc "}, r"vocab must be null or a list .* got str"),
    ({"vocab": [["a"], "b", "c", " "]}, r"vocab: Vocab: every symbol must be a str or an int .* got list"),
    ({"vocab": ["a", "a", "c", " "]}, r"vocab: Vocab: symbols must be unique"),
    ({"vocab": [1.5, "b", "c", " "]}, r"vocab: Vocab: every symbol must be a str or an int"),
    ({"vocab_size": 0}, r"vocab_size must be an int in \[1, 1048576\], got 0"),
    ({"class": "Pickle"}, r"holds an unknown model class 'Pickle'"),
    ({"class": None}, r"holds an unknown model class None"),
    ({"format": 2}, r"has checkpoint format 2, expected 1"),
])
def test_every_broken_config_is_one_checkpoint_error(saved, tmp_path, changes, text):
    _, path = saved
    bad = _with_config(path, tmp_path / "bad.npz", **changes)
    with pytest.raises(CheckpointError, match=text) as e:
        load_model(bad)
    assert "bad.npz" in str(e.value) and isinstance(e.value, ValueError)


def test_missing_config_keys_are_named(saved, tmp_path):
    _, path = saved
    for key in ("hidden_size", "cell", "dtype", "embed_dim", "class", "format"):
        entries = _entries(path)
        config = _config(path)
        del config[key]
        entries["config.npy"] = _npy(np.array(json.dumps(config)))
        with pytest.raises(CheckpointError, match=key if key not in ("class", "format") else "class|format"):
            load_model(_write(tmp_path / "k.npz", entries))


@pytest.mark.parametrize("config_npy, text", [
    (_npy(np.array("not json {")), r"has a corrupt config \(JSONDecodeError"),
    (_npy(np.array("[" * 100_000 + "]" * 100_000)), r"has a corrupt config \(RecursionError|an invalid config"),
    (_npy(np.array("[1, 2]")), r"has an invalid config: expected a JSON object, got list"),
    (_npy(np.array("null")), r"expected a JSON object, got NoneType"),
    (_npy(np.arange(3)), r"has a corrupt config \(a int64 array of shape \(3,\)"),
    (_npy(np.array({"format": 1}, dtype=object)), r"has a corrupt config \(a object array"),
    (_npy_with_header((), "<U2000000"), r"has a corrupt config"),
    (b"\x93NUMPY\x09\x00garbage", r"is not a readable rnnlab checkpoint"),
    (b"", r"is not a readable rnnlab checkpoint"),
])
def test_a_broken_config_entry_is_one_checkpoint_error(saved, tmp_path, config_npy, text):
    _, path = saved
    entries = _entries(path)
    entries["config.npy"] = config_npy
    with pytest.raises(CheckpointError, match=text):
        load_model(_write(tmp_path / "c.npz", entries))


@pytest.mark.parametrize("name, data, text", [
    ("param/Wx.npy", _npy(np.zeros((32, 8), np.float32)), r"parameter 'Wx' .* dtype float32, the configuration needs \(32, 8\) float64"),
    ("param/Wx.npy", _npy(np.zeros((32, 8), ">f8")), r"parameter 'Wx' .* dtype >f8"),
    ("param/Wx.npy", _npy(np.zeros((32, 8), np.int64)), r"parameter 'Wx' .* dtype int64"),
    ("param/Wx.npy", _npy(np.empty((32, 8), dtype=object)), r"parameter 'Wx' .* dtype object"),
    ("param/Wx.npy", _npy(np.zeros((8, 32))), r"parameter 'Wx' .* has shape \(8, 32\)"),
    ("param/Wx.npy", _npy_with_header((32, 8), "<f8", b"\x00" * 100), r"parameter 'Wx' .* holds 100 bytes of data, its header needs 2048"),
    ("param/Wx.npy", _npy_with_header((32, 8), "<f8", b"\x00" * 4096), r"holds 4096 bytes of data, its header needs 2048"),
    ("param/Wx.npy", _npy(np.full((32, 8), np.nan)), r"parameter 'Wx' in .* holds nan or inf"),
    ("param/Wx.npy", b"not an npy file at all", r"is not a readable rnnlab checkpoint .*"),
    ("param/extra.npy", _npy(np.zeros(3)), r"has unexpected entries \['param/extra.npy'\]"),
    ("payload.pkl", b"\x80\x04", r"has unexpected entries \['payload.pkl'\]"),
])
def test_every_broken_array_is_one_checkpoint_error(saved, tmp_path, name, data, text):
    _, path = saved
    entries = _entries(path)
    entries[name] = data
    with pytest.raises(CheckpointError, match=text):
        load_model(_write(tmp_path / "a.npz", entries))


def test_missing_and_duplicated_entries(saved, tmp_path):
    _, path = saved
    entries = _entries(path)
    del entries["param/b_out.npy"]
    with pytest.raises(CheckpointError, match=r"is missing parameter 'b_out'"):
        load_model(_write(tmp_path / "m1.npz", entries))
    entries = _entries(path)
    with zipfile.ZipFile(tmp_path / "dup.npz", "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        for n, d in entries.items():
            z.writestr(n, d)
        z.writestr("param/Wx.npy", _npy(np.ones((32, 8))))
    with pytest.raises(CheckpointError, match="holds the same entry twice"):
        load_model(tmp_path / "dup.npz")


def test_a_compressed_checkpoint_loads_and_a_corrupted_one_is_one_error(saved, tmp_path):
    model, path = saved
    good = _write(tmp_path / "z.npz", _entries(path), zipfile.ZIP_DEFLATED)
    np.testing.assert_array_equal(load_model(good).params["W_out"], model.params["W_out"])
    data = bytearray(good.read_bytes())
    for at in range(200, len(data) - 200, max(1, len(data) // 25)):  # flip bytes all over the file
        broken = data.copy()
        broken[at] ^= 0xFF
        (tmp_path / "flip.npz").write_bytes(bytes(broken))
        try:
            m = load_model(tmp_path / "flip.npz")
        except CheckpointError as e:
            assert "flip.npz" in str(e)
        else:  # a flip the zip's CRC cannot see (e.g. in a name field) must still give a valid model
            assert all(np.isfinite(v).all() for v in m.params.values())


@pytest.mark.parametrize("content", [b"", b"PK", b"PK\x05\x06" + b"\x00" * 18, b"\x00" * 1000])
def test_empty_and_garbage_files(tmp_path, content):
    p = tmp_path / "g.npz"
    p.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"g\.npz is not a readable rnnlab checkpoint|g\.npz has no 'config' entry"):
        load_model(p)


def test_a_directory_is_not_a_checkpoint(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(CheckpointError, match="it is a directory"):
        load_model(tmp_path / "d.npz")


def test_a_fortran_ordered_array_loads_correctly(saved, tmp_path):
    model, path = saved
    entries = _entries(path)
    entries["param/Wh.npy"] = _npy(np.asfortranarray(model.params["Wh"]))
    m = load_model(_write(tmp_path / "f.npz", entries))
    np.testing.assert_array_equal(m.params["Wh"], model.params["Wh"])
    assert m.params["Wh"].flags.c_contiguous


def test_regressor_checkpoint_is_checked_too(tmp_path):
    r = SequenceRegressor(3, 4, 2, cell="gru", rng=np.random.default_rng(0))
    path = r.save(tmp_path / "r.npz")
    bad = _with_config(path, tmp_path / "r_bad.npz", output_dim=5)
    with pytest.raises(CheckpointError, match=r"parameter 'W_out' .* has shape \(4, 2\) .* needs \(4, 5\)"):
        load_model(bad)
    entries = _entries(path)
    del entries["param/b_hn.npy"]
    with pytest.raises(CheckpointError, match=r"missing parameter 'b_hn'"):
        load_model(_write(tmp_path / "r2.npz", entries))


def test_a_checkpoint_gets_the_usual_file_permissions(tmp_path):
    import os

    m = SequenceModel(4, 3, rng=np.random.default_rng(0))
    path = m.save(tmp_path / "perm.npz")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert (path.stat().st_mode & 0o777) == (plain.stat().st_mode & 0o777)
    assert sorted(os.listdir(tmp_path)) == ["perm.npz", "plain.txt"]


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_every_single_byte_flip_and_every_cut_is_handled(tmp_path, compression):
    """Over a small GRU checkpoint: every 5th byte flipped, every 5th length cut (all of them,
    once, in about 10 s: same result).

    Every variant either loads (a flip inside the float data the format cannot
    detect: the shapes are right and the weights finite) or raises CheckpointError.
    """
    m = SequenceModel(Vocab.from_text("ab"), 2, embed_dim=1, cell="gru", rng=np.random.default_rng(0))
    good = _write(tmp_path / "good.npz", _entries(m.save(tmp_path / "m.npz")), compression)
    data = good.read_bytes()
    shapes = {k: v.shape for k, v in m.params.items()}
    path = tmp_path / "v.npz"
    variants = [data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:] for at in range(0, len(data), 5)]
    variants += [data[:cut] for cut in range(0, len(data), 5)]
    loaded = 0
    for v in variants:
        path.write_bytes(v)
        try:
            got = load_model(path)
        except CheckpointError:
            continue
        loaded += 1
        assert {k: a.shape for k, a in got.params.items()} == shapes
        assert all(np.isfinite(a).all() for a in got.params.values())
    assert loaded < len(variants) // 4  # almost every damage is detected
