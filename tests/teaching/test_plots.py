"""Tests for rnnlab.teaching.plots: loss curves, the LivePlot callback, hidden-unit pictures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnnlab import Adam, SequenceModel, train
from rnnlab.teaching.plots import (
    LivePlot,
    colored_text_html,
    concat_histories,
    draw_history,
    hidden_heatmap,
    plot_history,
)
from rnnlab.train import History

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def tiny_run(steps=12):
    rng = np.random.default_rng(0)
    model = SequenceModel(5, 8, rng=rng)
    x = rng.integers(0, 5, size=(2, 6))
    return model, [(x, (x + 1) % 5)], steps


def test_concat_histories_shifts_validation_steps():
    a = History(losses=[3.0, 2.0], grad_norms=[1.0, 1.0], val_steps=[2], val_losses=[2.5], seconds=1.0)
    b = History(losses=[1.0], grad_norms=[0.5], val_steps=[1], val_losses=[1.5], seconds=2.0)
    c = concat_histories(a, b)
    assert c.losses == [3.0, 2.0, 1.0]
    assert c.val_steps == [2, 3] and c.val_losses == [2.5, 1.5]
    assert c.seconds == 3.0


def test_draw_history_in_bits_scales_by_ln2():
    h = History(losses=[np.log(2) * 4] * 5, grad_norms=[1.0] * 5, val_steps=[5], val_losses=[np.log(2) * 3])
    fig, ax = plt.subplots()
    draw_history(ax, h, bits=True, smooth=1, baseline=4.5)
    ys = [line.get_ydata() for line in ax.get_lines()]
    assert np.allclose(ys[0], 4.0)  # raw train curve in bits
    assert np.allclose(ys[1], 3.0)  # validation in bits
    assert ax.get_ylabel() == "bits per char"
    plt.close(fig)


def test_plot_history_makes_axes_with_empty_history():
    ax = plot_history(History())
    assert ax.get_xlabel() == "step"
    plt.close(ax.figure)


def test_liveplot_redraws_every_k_steps_into_an_image():
    model, batches, steps = tiny_run()
    live = LivePlot(every=5)
    assert live.image.value == b""
    train(model, batches, optimizer=Adam(lr=1e-2), epochs=steps, callbacks=[live], progress=False)
    assert live.frames == steps // 5
    first = bytes(live.image.value)
    assert first.startswith(PNG_MAGIC)
    h2 = train(model, batches, optimizer=Adam(lr=1e-2), epochs=3, progress=False)
    live.update(h2)
    assert bytes(live.image.value) != first and live.frames == steps // 5 + 1


def test_liveplot_never_stops_training_and_validates_every():
    model, batches, steps = tiny_run()
    h = train(model, batches, epochs=steps, callbacks=[LivePlot(every=1)], progress=False)
    assert h.steps == steps and not h.stopped_early
    with pytest.raises(ValueError, match="every must be >= 1, got 0"):
        LivePlot(every=0)


def test_hidden_heatmap_shows_chosen_units_and_signal():
    text = "ab(c)"
    h = np.arange(15, dtype=float).reshape(5, 3)
    ax = hidden_heatmap(text, h, [2, 0], signal=np.array([0, 0, 1, 1, 0]))
    units_img, signal_img = ax.get_images()
    assert units_img.get_array().shape == (2, 5)
    assert np.allclose(units_img.get_array()[0], h[:, 2]) and np.allclose(units_img.get_array()[1], h[:, 0])
    assert np.allclose(signal_img.get_array()[0], [0, 0, 1, 1, 0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["indicator", "unit 2", "unit 0"]
    assert len(ax.figure.axes) == 2                                   # the heatmap and its colour bar
    assert min(t.get_fontsize() for t in ax.get_xticklabels()) >= 10   # characters readable
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"units must be in \[0, 3\), got \[3\]"):
        hidden_heatmap(text, h, [3])
    with pytest.raises(ValueError, match="T = len\\(text\\) = 5"):
        hidden_heatmap(text, h[:4], [0])


def test_colored_text_html_escapes_and_colours_by_sign():
    out = colored_text_html("<a\n", np.array([1.0, -0.5, 0.0]))
    assert "&lt;" in out and "<br>" in out
    spans = out.split("<span")[1:]
    assert "220,50,47,1.000" in spans[0]  # strongest positive: full red
    assert "38,139,210,0.500" in spans[1]  # half-strength negative: blue
    assert ",0.000)" in spans[2]
    with pytest.raises(ValueError, match=r"values must have shape \(T,\) = \(3,\)"):
        colored_text_html("abc", np.zeros(2))


def test_colored_text_html_centres_on_the_mean_and_adds_a_key():
    v = np.array([-0.9, -0.9, -0.5, -0.9])      # a unit that sits near -0.9 and moves once
    plain = colored_text_html("abcd", v)
    assert plain.count("38,139,210") == 4       # all blue: the movement hardly shows
    centred = colored_text_html("abcd", v, center="mean", key=True)
    spans = centred.split('<div style="font-family: monospace')[1].split("<span")[1:]
    assert "220,50,47,1.000" in spans[2]        # the one move is the strongest colour
    assert "below the mean (-0.80)" in centred and "0.30 or more" in centred
    with pytest.raises(ValueError, match="center must be None or 'mean'"):
        colored_text_html("abcd", v, center="median")


def test_colored_text_html_is_stable_under_tiny_noise():
    v = np.array([0.3, -0.7, 1.0])
    assert colored_text_html("abc", v) == colored_text_html("abc", v + 1e-12)
    # a value at the mean must not change colour when noise flips the sign of its tiny deviation
    w = np.array([0.2, 0.5, 0.8])
    assert colored_text_html("abc", w + [0, 1e-13, 0], center="mean") == colored_text_html(
        "abc", w - [0, 1e-13, 0], center="mean")


def test_history_legend_sits_outside_the_axes_and_raw_curve_is_coloured():
    h = History(losses=list(np.geomspace(3.0, 1e-3, 50)), grad_norms=[1.0] * 50)
    ax = plot_history(h, smooth=1, logy=True, baseline=2.0)
    fig = ax.figure
    fig.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    axes_box = ax.get_window_extent()
    assert legend_box.x0 > axes_box.x1          # right of the axes: cannot cover a curve or the baseline
    raw = ax.get_lines()[0]
    assert raw.get_color() == "C0" and raw.get_label() == "train (each step)"   # not a faint grey
    assert ax.get_yscale() == "log"
    plt.close(fig)
