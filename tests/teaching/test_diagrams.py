"""The committed diagrams are the ones rnnlab.teaching.diagrams draws, and every image a notebook uses exists."""

import re
import struct
from pathlib import Path

import pytest

from rnnlab.teaching import diagrams

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) read from the IHDR chunk; raises if the file is not a PNG."""
    data = Path(path).read_bytes()[:24]
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("images")
    return {p.name: p for p in diagrams.save_all(out)}


@pytest.mark.parametrize("name", sorted(diagrams.DIAGRAMS))
def test_regenerated_diagram_is_a_png_of_the_committed_size(regenerated, name):
    committed = ROOT / "images" / name
    assert committed.exists(), f"images/{name} is not committed; run python -m rnnlab.teaching.diagrams"
    assert png_size(regenerated[name]) == png_size(committed)
    assert regenerated[name].stat().st_size > 10_000  # a drawing, not an empty canvas


def test_command_line_writes_every_diagram(tmp_path, capsys):
    diagrams.main([str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(diagrams.DIAGRAMS)
    assert capsys.readouterr().out.count(".png") == len(diagrams.DIAGRAMS)
    with pytest.raises(SystemExit, match="usage"):
        diagrams.main(["a", "b"])


def test_unrolled_diagram_rejects_fewer_than_two_steps():
    with pytest.raises(ValueError, match="steps must be >= 2, got 1"):
        diagrams.rnn_unrolled(steps=1)


def _notebook_image_refs():
    import nbformat

    refs = []
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for ref in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]*src=\"([^\"]+)\"", cell.source):
                    refs.append((nb_path, next(r for r in ref if r)))
    return refs


def test_every_image_a_notebook_references_exists():
    refs = _notebook_image_refs()
    assert refs, "no notebook references an image"
    for nb_path, ref in refs:
        assert not ref.startswith(("/", "http")), f"{nb_path.name}: image path {ref} must be relative and local"
        assert (nb_path.parent / ref).resolve().is_file(), f"{nb_path.name} references missing image {ref}"


def test_every_diagram_is_used_by_a_notebook():
    used = {Path(ref).name for _, ref in _notebook_image_refs()}
    assert set(diagrams.DIAGRAMS) <= used
