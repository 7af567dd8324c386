"""rnnlab.teaching.seq2seq_widget: translate() against the decoders it wraps, and the widget
driven as a student would (type, move the slider, see the outputs change)."""

import numpy as np
import pytest

from rnnlab.dates import SOURCE_VOCAB, TARGET_VOCAB, encode_sources
from rnnlab.decoding import beam_search, greedy_decode
from rnnlab.seq2seq import Seq2Seq
from rnnlab.teaching.seq2seq_widget import Seq2SeqWidget, attention_figure, translate


@pytest.fixture(scope="module")
def model():
    # untrained but confident: large output weights make the beam's candidates differ
    m = Seq2Seq(len(SOURCE_VOCAB), len(TARGET_VOCAB), embed_dim=8, enc_hidden=8, dec_hidden=16, cell="rnn",
                attention="dot", rng=np.random.default_rng(3))
    m.params["W_out"] *= np.float32(40)
    return m


def test_translate_reports_what_the_decoders_find(model):
    r = translate(model, "3rd of May 1999", beam_width=3)
    x = encode_sources(["3rd of May 1999"])
    g, g_logp = greedy_decode(model, x, max_len=11)
    hyps = beam_search(model, x, beam_width=3, max_len=11)
    assert r["greedy_logp"] == pytest.approx(float(g_logp[0]))
    assert [b[2] for b in r["beams"]] == pytest.approx([h.score for h in hyps[:3]])
    assert r["alpha"].shape == (len(hyps[0].tokens), len("3rd of May 1999"))
    np.testing.assert_allclose(r["alpha"].sum(axis=1), 1.0, rtol=1e-5)
    ax = attention_figure(r["source"], r["best_tokens"], r["alpha"])
    assert [t.get_text() for t in ax.get_xticklabels()] == list("3rd of May 1999")


def test_translate_refuses_what_the_model_cannot_read(model):
    with pytest.raises(ValueError, match="cannot read '€'"):
        translate(model, "3 May 1999 €")
    with pytest.raises(ValueError, match="1 to 120 characters"):
        translate(model, "")
    with pytest.raises(TypeError, match="text must be a str"):
        translate(model, 1999)


def test_widget_follows_the_text_and_the_beam_width(model):
    pytest.importorskip("ipywidgets")
    w = Seq2SeqWidget(model, text="3rd of May 1999", beam_width=2)
    first_table, first_image = w.table.value, w.image.value
    assert len(w.result["beams"]) <= 2 and first_image[:4] == b"\x89PNG"
    w.text.value = "on Friday, the 21st day of November in the year 2031"
    assert w.result["source"] == w.text.value
    assert w.table.value != first_table and w.image.value != first_image
    assert w.result["alpha"].shape[1] == len(w.text.value)
    w.beam_width.value = 5
    assert len(w.result["beams"]) == 5 and w.table.value.count("<tr>") == 6
    w.text.value = "3 May 1999 €"  # an unreadable character: an error message, the last result kept
    assert "cannot read" in w.table.value and w.result["beams"] and len(w.result["beams"]) == 5
