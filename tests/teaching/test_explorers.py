"""Behaviour of the explorers' pure functions, and that each widget redraws when a control moves."""

import re

import numpy as np
import pytest

from rnnlab.teaching.explorers import (
    clipping_effect,
    format_number,
    gradient_flow_explorer,
    gradient_norms_over_time,
    one_unit_equation,
    one_unit_explorer,
    one_unit_input,
    one_unit_trajectory,
    plot_gradient_flow,
    recurrent_matrix,
    truncation_error,
    weight_gradients,
)
from rnnlab.layers import rnn_step_forward


def test_one_unit_trajectory_follows_the_step_equation():
    x, h = one_unit_trajectory(w_x=0.7, w_h=-0.4, b=0.1, activation="tanh", T=6, input_kind="step")
    prev = 0.0
    for t in range(6):
        prev = np.tanh(0.7 * x[t] - 0.4 * prev + 0.1)
        assert h[t] == pytest.approx(prev, rel=1e-12)


@pytest.mark.parametrize("w_h", [0.3, 0.6, 0.9, -0.9])
def test_tanh_memory_of_a_pulse_fades_when_abs_w_h_below_one(w_h):
    _, h = one_unit_trajectory(w_x=1.0, w_h=w_h, b=0.0, activation="tanh", T=60, input_kind="pulse")
    assert abs(h[0]) > 0.5
    assert abs(h[-1]) < 0.05 * abs(h[0])
    # and it fades monotonically in magnitude
    assert np.all(np.abs(h[1:]) <= np.abs(h[:-1]) + 1e-15)


def test_tanh_with_w_h_above_one_keeps_the_pulse_saturated():
    _, h = one_unit_trajectory(w_x=1.0, w_h=1.3, b=0.0, activation="tanh", T=60, input_kind="pulse")
    assert abs(h[-1]) > 0.5  # a non-zero fixed point: memory that never fades
    assert np.all(np.abs(h) < 1)  # but tanh keeps it bounded


def test_relu_with_w_h_above_one_grows_without_bound():
    _, h = one_unit_trajectory(w_x=1.0, w_h=1.2, b=0.0, activation="relu", T=40, input_kind="pulse")
    assert h[-1] == pytest.approx(1.2 ** 39, rel=1e-9)  # h_t = w_h^(t-1) after a unit pulse
    assert np.all(np.diff(h) > 0)


def test_sigmoid_step_input_settles_to_a_fixed_point():
    _, h = one_unit_trajectory(w_x=1.0, w_h=0.5, b=0.0, activation="sigmoid", T=80, input_kind="step")
    fixed = h[-1]
    assert fixed == pytest.approx(1 / (1 + np.exp(-(1.0 + 0.5 * fixed))), abs=1e-10)


def test_one_unit_input_and_bad_arguments():
    assert one_unit_input(4, "pulse").tolist() == [1, 0, 0, 0]
    assert one_unit_input(3, "step").tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="input_kind must be one of"):
        one_unit_input(3, "ramp")
    with pytest.raises(ValueError, match="T must be a positive int"):
        one_unit_input(0)
    with pytest.raises(ValueError, match="activation must be one of"):
        one_unit_trajectory(activation="gelu")


def test_recurrent_matrix_has_the_requested_spectral_radius():
    W = recurrent_matrix(12, 0.85, np.random.default_rng(0))
    assert np.abs(np.linalg.eigvals(W)).max() == pytest.approx(0.85, rel=1e-10)
    assert np.allclose(np.linalg.svd(W, compute_uv=False), 0.85)


def test_gradient_norms_match_a_direct_backward_pass():
    # the recorded norms are those of the vector rnn_step_backward hands back
    rho, T = 0.9, 8
    norms = gradient_norms_over_time(rho, "tanh", T, H=5, seed=3)
    rng = np.random.default_rng(3)
    from rnnlab.teaching.explorers import _flow_problem

    x, h, Wx, Wh, b, g = _flow_problem(rho, "tanh", T, 5, 3)
    hs = [h]
    for t in range(T):
        hs.append(rnn_step_forward(x[:, t], hs[-1], Wx, Wh, b, "tanh")[0])
    # dL/dh_{T-1} = (g * (1 - h_T^2)) @ Wh.T, computed by hand
    expected = np.linalg.norm((g * (1 - hs[T] ** 2)) @ Wh.T)
    assert norms[-1] == pytest.approx(1.0)
    assert norms[-2] == pytest.approx(expected, rel=1e-12)
    del rng


def test_small_spectral_radius_makes_gradients_vanish_and_relu_large_one_explode():
    vanish = gradient_norms_over_time(0.6, "tanh", T=60)
    assert vanish[0] < 1e-8 * vanish[-1]
    explode = gradient_norms_over_time(1.5, "relu", T=60)
    assert explode[0] > 1e4 * explode[-1]


def test_sigmoid_vanishes_even_for_spectral_radius_one_point_five():
    n = gradient_norms_over_time(1.5, "sigmoid", T=60)
    assert n[0] < 1e-10  # f' <= 1/4 shrinks every step by at least 1.5/4


def test_truncation_stops_the_backward_pass_after_k_steps():
    full = gradient_norms_over_time(1.1, "tanh", T=30)
    cut = gradient_norms_over_time(1.1, "tanh", T=30, truncate=7)
    assert np.isnan(cut[:-7]).all()
    np.testing.assert_allclose(cut[-7:], full[-7:], rtol=1e-12)
    with pytest.raises(ValueError, match="truncate must be None or an int >= 1"):
        gradient_norms_over_time(1.0, truncate=0)


def test_clipping_bounds_the_norm_and_keeps_the_direction():
    before, after, cosine = clipping_effect([0.8, 1.2, 1.5], max_norm=2.0, activation="relu", T=40)
    assert before[-1] > 100 * 2.0  # exploding without clipping
    assert np.all(after <= 2.0 + 1e-9)
    np.testing.assert_allclose(after[before > 2.0], 2.0, rtol=1e-9)
    np.testing.assert_allclose(after[before <= 2.0], before[before <= 2.0], rtol=1e-12)
    np.testing.assert_allclose(cosine, 1.0, atol=1e-12)


def test_truncation_error_falls_to_zero_at_full_length_and_faster_for_small_radius():
    ks = [1, 5, 10, 40]
    small = truncation_error(ks, spectral_radius=0.7, T=40)
    large = truncation_error(ks, spectral_radius=1.3, activation="relu", T=40)
    assert small[-1] == 0 and large[-1] == 0
    assert np.all(np.diff(small) <= 1e-15)
    assert small[2] < large[2]  # forgetting the far past costs more when gradients do not vanish


def test_weight_gradients_agree_with_the_step_loop():
    grads = weight_gradients(1.0, "tanh", T=12, H=4, seed=1)
    err = truncation_error([12], 1.0, "tanh", T=12, H=4, seed=1)
    assert err[0] == 0
    assert set(grads) == {"Wx", "Wh", "b"} and grads["Wh"].shape == (4, 4)


def test_one_unit_explorer_redraws_when_a_control_changes():
    box = one_unit_explorer()
    png0, text0 = box.image.value, box.summary.value
    assert png0[:8] == b"\x89PNG\r\n\x1a\n"
    box.controls["w_h"].value = 1.2
    assert box.image.value != png0 and box.summary.value != text0
    text1 = box.summary.value
    box.controls["activation"].value = "relu"
    assert box.summary.value != text1
    _, h = one_unit_trajectory(1.0, 1.2, 0.0, "relu", 30, "pulse")
    assert f"h_T = {h[-1]:.4g}" in box.summary.value


def test_one_unit_texts_merge_signs_and_keep_numbers_short():
    # A negative term reads "- 1.50", never "+ -1.50"; a first negative weight keeps its minus.
    assert one_unit_equation(1.0, 0.8, -1.5) == "h_t = f(1.00 x_t + 0.80 h_(t-1) - 1.50)"
    assert one_unit_equation(-0.5, -1.2, 0.25) == "h_t = f(-0.50 x_t - 1.20 h_(t-1) + 0.25)"
    # relu blowing up: 1.5^99 has 18 digits before the point; the summary must not print them
    box = one_unit_explorer()
    box.controls["activation"].value = "relu"
    box.controls["w_h"].value = 1.5
    box.controls["T"].value = 100
    text = box.summary.value
    assert "e+17" in text and not re.search(r"\d{6,}", text), text
    assert format_number(1.5 ** 99) == "2.71e+17" and format_number(0.76159) == "0.7616"


def test_gradient_flow_explorer_redraws_when_a_control_changes():
    box = gradient_flow_explorer()
    png0, text0 = box.image.value, box.summary.value
    box.controls["spectral_radius"].value = 1.4
    assert box.image.value != png0 and box.summary.value != text0
    png1 = box.image.value
    box.controls["truncate"].value = 10
    assert box.image.value != png1
    assert "over 9 steps back" in box.summary.value


def test_truncated_gradient_plot_overlays_the_full_curve_on_the_same_axis():
    full_fig = plot_gradient_flow(1.0, "tanh", T=30)
    trunc_fig = plot_gradient_flow(1.0, "tanh", T=30, truncate=8)
    (full_ax,), (trunc_ax,) = full_fig.axes, trunc_fig.axes
    assert len(full_ax.get_lines()) == 1 and len(trunc_ax.get_lines()) == 2
    full_line, trunc_line = trunc_ax.get_lines()
    np.testing.assert_array_equal(full_line.get_ydata(), full_ax.get_lines()[0].get_ydata())
    assert np.isnan(trunc_line.get_ydata()[:30 - 8]).all()          # never reached by the truncated gradient
    np.testing.assert_allclose(trunc_line.get_ydata()[-8:], full_line.get_ydata()[-8:])
    assert trunc_ax.get_ylim() == full_ax.get_ylim()
    assert [t.get_text() for t in trunc_ax.get_legend().get_texts()] == ["full BPTT", "truncated BPTT (k = 8)"]
