"""Type a date, see what a trained encoder-decoder writes: greedy output, the beam's candidates with
their scores, and the attention map (notebook 07).

``translate(model, text)`` does the work and returns plain data (tested without widgets);
``Seq2SeqWidget`` shows it: a Text box, a beam-width slider, an HTML table and a PNG heatmap.
"""

from __future__ import annotations

import html
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..dates import SOURCE_VOCAB, decode_target, encode_sources
from ..decoding import beam_search, greedy_decode

MAX_CHARS = 120


def check_text(where, text):
    """A date string the source vocabulary can encode -> the string, else ValueError naming the bad character."""
    if not isinstance(text, str):
        raise TypeError(f"{where}: text must be a str, got {type(text).__name__}")
    if not text or len(text) > MAX_CHARS:
        raise ValueError(f"{where}: text must have 1 to {MAX_CHARS} characters, got {len(text)}")
    bad = [c for c in text if c not in SOURCE_VOCAB.index or SOURCE_VOCAB.index[c] < 3]
    if bad:
        raise ValueError(f"{where}: the model cannot read {bad[0]!r}; use letters, digits and ' (),./-:;'")
    return text


def translate(model, text, beam_width=4, max_len=11, length_penalty=1.0):
    """Everything the widget shows, as data.

    Returns dict:
        greedy: str;  greedy_logp: float
        beams: list of (output str, log-probability, normalised score, finished), best first
        alpha: (steps, Ts) attention weights of the best beam (None without attention)
        source: the input string
    """
    check_text("translate", text)
    x = encode_sources([text])
    g, g_logp = greedy_decode(model, x, max_len=max_len)
    hyps = beam_search(model, x, beam_width=beam_width, max_len=max_len, length_penalty=length_penalty)
    best = hyps[0]
    alpha = np.array(best.alphas) if best.alphas else None
    return {"source": text, "greedy": decode_target(g[0]), "greedy_logp": float(g_logp[0]),
            "beams": [(decode_target(h.symbols), h.logp, h.score, h.finished) for h in hyps[:beam_width]],
            "alpha": alpha, "best_tokens": best.tokens}


def attention_figure(source, output_tokens, alpha, title=None, ax=None):
    """Heatmap of alpha (steps, Ts): one row per output symbol, one column per input character."""
    from ..dates import TARGET_VOCAB

    if ax is None:
        fig = Figure(figsize=(max(4.0, 0.16 * len(source) + 1.5), 0.25 * alpha.shape[0] + 1.2), dpi=90)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
    ax.imshow(alpha, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(source)))
    ax.set_xticklabels(list(source), fontsize=7, family="monospace")
    labels = [TARGET_VOCAB.symbols[t] if t >= 3 else "</s>" for t in output_tokens[:alpha.shape[0]]]
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7, family="monospace")
    ax.set_xlabel("input character")
    ax.set_ylabel("output symbol")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
    return buf.getvalue()


def _table(r):
    rows = "".join(
        f"<tr><td><code>{html.escape(s)}</code></td><td>{lp:.3f}</td><td>{sc:.3f}</td><td>{'' if fin else 'cut'}</td></tr>"
        for s, lp, sc, fin in r["beams"])
    return (f"<p>greedy: <code>{html.escape(r['greedy'])}</code> (log p = {r['greedy_logp']:.3f})</p>"
            "<table><tr><th>beam candidate</th><th>log p</th><th>score</th><th></th></tr>" + rows + "</table>")


class Seq2SeqWidget:
    """Text box + beam width -> greedy output, beam candidates with scores, attention heatmap.

    ``text`` and ``beam_width`` are the controls, ``table`` (HTML) and ``image`` (PNG) the outputs,
    ``result`` the last translate() dict; ``box`` is the widget to display.
    """

    def __init__(self, model, text="Monday the 3rd of May 1999", beam_width=4):
        import ipywidgets as widgets

        self.model = model
        self.text = widgets.Text(value=text, description="date", continuous_update=False,
                                 layout=widgets.Layout(width="520px"))
        self.beam_width = widgets.IntSlider(value=beam_width, min=1, max=8, description="beam width")
        self.table = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.result = None
        self.text.observe(self.update, names="value")
        self.beam_width.observe(self.update, names="value")
        self.box = widgets.VBox([widgets.HBox([self.text, self.beam_width]), self.table, self.image])
        self.update()

    def update(self, _change=None):
        try:
            r = translate(self.model, self.text.value, beam_width=self.beam_width.value)
        except (TypeError, ValueError) as e:
            self.table.value = f"<p style='color:#b00'>{html.escape(str(e))}</p>"
            return
        self.result = r
        self.table.value = _table(r)
        if r["alpha"] is not None:
            ax = attention_figure(r["source"], r["best_tokens"], r["alpha"], title="attention of the best beam")
            self.image.value = _png(ax.figure)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)
