"""rnnlab.seq2seq and rnnlab.decoding: gradients of the whole encoder-decoder (float64,
numerical), teacher forcing = free running fed the truth, training works, greedy and
beam search (beam search against exhaustive search on a tiny model), bad input."""

import itertools

import numpy as np
import pytest

from rnnlab.decoding import beam_search, exhaustive_search, greedy_decode
from rnnlab.gradcheck import gradient_check
from rnnlab.optim import Adam
from rnnlab.seq2seq import BOS, EOS, PAD, Seq2Seq
from rnnlab.train import train

Vs, Vt = 7, 6
ATTN = [None, "dot", "additive"]


def _batch(rng, N=3, Ts=6, Td=4):
    lengths = np.array([Ts, 2, 4][:N])
    x = rng.integers(3, Vs, size=(N, Ts))
    x[np.arange(Ts)[None, :] >= lengths[:, None]] = PAD
    y = rng.integers(3, Vt, size=(N, Td))
    y[:, -1] = EOS
    y[1, 2], y[1, 3] = EOS, PAD  # a shorter target: PAD after EOS does not count
    return x, y


@pytest.mark.parametrize("cell, attention", [("gru", "dot"), ("lstm", "additive"), ("rnn", None), ("gru", "additive"),
                                             ("lstm", None)])
def test_gradients_match_numerical(cell, attention, rng):
    m = Seq2Seq(Vs, Vt, embed_dim=3, enc_hidden=3, dec_hidden=4, cell=cell, attention=attention, attn_dim=3,
                enc_layers=2 if attention == "additive" else 1, rng=rng, dtype=np.float64)
    for k in m.params:  # non-zero biases everywhere, so a forgotten term shows
        m.params[k] = m.params[k] + 0.2 * rng.standard_normal(m.params[k].shape)
        if k in ("W_att", "Wq", "Wk", "w_att"):
            m.params[k] *= 3  # sharper attention: its gradients are ~1e-6 otherwise, all round-off
    x, y = _batch(rng)
    # eps 1e-4: truncation error ~eps^2 is still below round-off ~1e-16/eps on these small gradients
    report = gradient_check(lambda p: m.loss(x, y, params=p)[:2], m.params, max_entries=10, eps=1e-4)
    assert report.passed, str(report)


def test_teacher_forcing_equals_free_running_fed_the_truth(rng):
    for attention in ATTN:
        m = Seq2Seq(Vs, Vt, cell="lstm", attention=attention, rng=rng, dtype=np.float64)
        x, y = _batch(rng)
        scores, alpha, _ = m.forward(x, y)
        e = m.encode(x)
        state, prev = e.state0, np.full(len(x), BOS)
        for t in range(y.shape[1]):
            logp, state, a = m.decode_step(prev, state, e)
            np.testing.assert_allclose(logp, scores[:, t] - np.log(np.exp(scores[:, t]).sum(1, keepdims=True)),
                                       atol=1e-12)
            if attention:
                np.testing.assert_allclose(a, alpha[:, t], atol=1e-12)
                assert not a[x == PAD].any(), "attention on padding"
            prev = y[:, t]


def test_padding_of_the_source_changes_nothing(rng):
    m = Seq2Seq(Vs, Vt, attention="dot", rng=rng, dtype=np.float64)
    x, y = _batch(rng)
    wide = np.concatenate([x, np.zeros((3, 4), dtype=x.dtype)], axis=1)  # four more PAD columns
    np.testing.assert_allclose(m.forward(x, y)[0], m.forward(wide, y)[0], atol=1e-12)
    assert m.loss(x, y)[0] == pytest.approx(m.loss(wide, y)[0], abs=1e-12)


def test_training_learns_to_reverse_short_sequences():
    rng = np.random.default_rng(0)
    m = Seq2Seq(Vs, Vt, embed_dim=8, enc_hidden=16, dec_hidden=32, attention="dot", rng=rng)
    batches = []
    for _ in range(20):
        x = rng.integers(3, 6, size=(32, 4))
        y = np.concatenate([x[:, ::-1], np.full((32, 1), EOS)], axis=1)
        batches.append((x, y))
    hist = train(m, batches, Adam(lr=0.02), epochs=10, progress=False)
    assert hist.losses[-1] < 0.2 * hist.losses[0]
    x, y = batches[0]
    out, _ = greedy_decode(m, x[:8], max_len=6)
    assert sum(o == list(r[:-1]) for o, r in zip(out, y[:8])) >= 6


def test_float32_model_keeps_float32(rng):
    m = Seq2Seq(Vs, Vt, attention="additive", rng=rng)
    x, y = _batch(rng)
    loss, grads, _ = m.loss(x, y)
    assert all(g.dtype == np.float32 for g in grads.values()) and set(grads) == set(m.params)


def test_bad_input_is_refused(rng):
    m = Seq2Seq(Vs, Vt, rng=rng)
    x, y = _batch(rng)
    bad = x.copy()
    bad[0, 1] = PAD
    with pytest.raises(ValueError, match="PAD .* only appear at the end"):
        m.loss(bad, y)
    with pytest.raises(ValueError, match="row 0 is all PAD"):
        m.loss(np.zeros_like(x), y)
    with pytest.raises(ValueError, match=r"y must have shape \(N, Td\) with N = 3"):
        m.loss(x, y[:2])
    with pytest.raises(ValueError, match=r"indices in \[0, 7\)"):
        m.loss(x + 5, y)
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2Seq(Vs, Vt, attention="multihead")
    with pytest.raises(ValueError, match="enc_hidden must be an int >= 1"):
        Seq2Seq(Vs, Vt, enc_hidden=0)
    with pytest.raises(ValueError, match="src_vocab must be an int > 3"):
        Seq2Seq(3, Vt)
    e = m.encode(x)
    with pytest.raises(ValueError, match="y_prev has 2 rows but the encoded source has 3"):
        m.decode_step(np.array([BOS, BOS]), e.state0, e)
    with pytest.raises(ValueError, match=r"y_prev must hold indices in \[0, 6\)"):
        m.decode_step(np.array([BOS, BOS, 9]), e.state0, e)
    with pytest.raises(ValueError, match="beam_width must be an int >= 1"):
        beam_search(m, x[:1], beam_width=0)
    with pytest.raises(ValueError, match="one source"):
        beam_search(m, x, beam_width=2)


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------


def _peaky_model(seed, attention="dot"):
    """A random model with large output weights: confident, varied, EOS sometimes likely."""
    rng = np.random.default_rng(seed)
    m = Seq2Seq(Vs, 5, embed_dim=4, enc_hidden=4, dec_hidden=6, attention=attention, rng=rng, dtype=np.float64)
    m.params["W_out"] *= 25
    m.params["b_out"] = rng.standard_normal(5)
    m.params["b_out"][[PAD, BOS]] = -60.0  # as after training: PAD and BOS are never targets
    return m, rng.integers(3, Vs, size=(1, 5))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("penalty", [0.0, 1.0])
def test_beam_as_wide_as_the_vocabulary_is_exhaustive_for_two_steps(seed, penalty):
    m, x = _peaky_model(seed)
    V_out = 5 - 2  # symbols that may be emitted: 3, 4 and EOS (PAD and BOS never)
    best = exhaustive_search(m, x, max_len=2, length_penalty=penalty)
    beams = beam_search(m, x, beam_width=V_out, max_len=2, length_penalty=penalty)
    assert beams[0].tokens == best[0].tokens and beams[0].score == pytest.approx(best[0].score, abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("penalty", [0.0, 0.6, 1.0])
def test_beam_covering_every_prefix_equals_exhaustive_search(seed, penalty):
    m, x = _peaky_model(seed, attention="additive")
    best = exhaustive_search(m, x, max_len=4, length_penalty=penalty)
    beams = beam_search(m, x, beam_width=3 ** 3, max_len=4, length_penalty=penalty)
    assert [(h.tokens, round(h.score, 9)) for h in beams[:5]] == [(h.tokens, round(h.score, 9)) for h in best[:5]]


def test_exhaustive_search_enumerates_every_output():
    m, x = _peaky_model(0)
    hyps = exhaustive_search(m, x, max_len=3)
    expected = {(EOS,)} | {(a, EOS) for a in (3, 4)} | {(a, b, c) for a, b, c in itertools.product((3, 4, EOS), repeat=3)
                                                          if a != EOS and b != EOS}
    assert {tuple(h.tokens) for h in hyps} == expected
    assert np.exp([h.logp for h in hyps]).sum() == pytest.approx(1.0), "the outputs' probabilities sum to 1"


def test_beam_of_one_is_greedy_and_wider_beams_never_score_worse_here():
    for seed in range(8):
        m, x = _peaky_model(seed)
        g, g_logp = greedy_decode(m, x, max_len=4)
        b1 = beam_search(m, x, beam_width=1, max_len=4, length_penalty=0.0)[0]
        assert b1.symbols == g[0] and b1.logp == pytest.approx(g_logp[0], abs=1e-10)
        b_all = beam_search(m, x, beam_width=27, max_len=4, length_penalty=0.0)[0]
        assert b_all.logp >= g_logp[0] - 1e-12


def test_finished_hypotheses_are_kept_and_never_extended():
    m, x = _peaky_model(3)
    hyps = beam_search(m, x, beam_width=3, max_len=5)
    for h in hyps:
        assert EOS not in h.tokens[:-1], "a finished hypothesis was extended"
        assert h.finished == (h.tokens[-1] == EOS)
    scores = [h.score for h in hyps]
    assert scores == sorted(scores, reverse=True)
