"""Bad input is rejected with a message naming the argument, the expected and the received value."""

import numpy as np
import pytest

import rnnlab as R
from rnn_inputs import make_rnn_inputs


def test_step_forward_wrong_h_prev_shape(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng, N=2, T=1, D=3, H=4)
    with pytest.raises(ValueError, match=r"rnn_step_forward: h_prev must have shape \(N, H\) = \(2, 4\), got \(2, 5\)"):
        R.rnn_step_forward(x[:, 0], np.zeros((2, 5)), Wx, Wh, b)


def test_forward_wrong_wx_rows(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng, N=2, T=3, D=3, H=4)
    with pytest.raises(ValueError, match=r"Wx must have shape \(D, H\) = \(3, 4\), got \(5, 4\)"):
        R.rnn_forward(x, h0, np.zeros((5, 4)), Wh, b)


def test_forward_wrong_bias(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng, N=2, T=3, D=3, H=4)
    with pytest.raises(ValueError, match=r"b must have shape \(H,\) = \(4,\), got \(1, 4\)"):
        R.rnn_forward(x, h0, Wx, Wh, b[None, :])  # no silent broadcasting


def test_forward_x_not_3d(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng)
    with pytest.raises(ValueError, match=r"x must be 3-D with shape \(N, T, D\), got shape \(3, 5\)"):
        R.rnn_forward(x[:, 0], h0, Wx, Wh, b)


def test_empty_sequence(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng, N=2, T=3, D=3, H=4)
    with pytest.raises(ValueError, match=r"x must not be empty, got shape \(2, 0, 3\)"):
        R.rnn_forward(x[:, :0], h0, Wx, Wh, b)


def test_integer_inputs_rejected(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng)
    with pytest.raises(TypeError, match=r"x must have dtype float32 or float64, got int64"):
        R.rnn_forward(x.astype(np.int64), h0, Wx, Wh, b)


def test_list_input_rejected(rng):
    x, h0, Wx, Wh, b = make_rnn_inputs(rng)
    with pytest.raises(TypeError, match=r"x must be a numpy array.*got list"):
        R.rnn_forward(x.tolist(), h0, Wx, Wh, b)


def test_unknown_activation(rng):
    with pytest.raises(ValueError, match=r"activation must be one of \['relu', 'sigmoid', 'tanh'\], got 'gelu'"):
        R.rnn_forward(*make_rnn_inputs(rng), activation="gelu")


def test_backward_wrong_dh_shape(rng):
    h, cache = R.rnn_forward(*make_rnn_inputs(rng, N=2, T=3, D=3, H=4))
    with pytest.raises(ValueError, match=r"rnn_backward: dh must have shape \(N, T, H\) = \(2, 3, 4\), got \(2, 4, 3\)"):
        R.rnn_backward(np.zeros((2, 4, 3)), cache)


def test_float_targets_rejected():
    with pytest.raises(TypeError, match=r"y must hold integer class indices, got dtype float64"):
        R.temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((2, 3)))


def test_out_of_range_targets():
    y = np.array([[0, 1, 4]])
    with pytest.raises(ValueError, match=r"y must hold indices in \[0, 4\), found 4"):
        R.temporal_softmax_loss(np.zeros((1, 3, 4)), y)


def test_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"y must have shape \(N, T\) = \(2, 3\), got \(3, 2\)"):
        R.temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((3, 2), dtype=int))


def test_bad_mask_values_and_empty_mask():
    s, y = np.zeros((1, 2, 3)), np.zeros((1, 2), dtype=int)
    with pytest.raises(ValueError, match=r"mask must hold only 0/1"):
        R.temporal_softmax_loss(s, y, np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match=r"mask selects no position"):
        R.temporal_softmax_loss(s, y, np.zeros((1, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"mask must have shape \(N, T\) = \(1, 2\), got \(2,\)"):
        R.temporal_softmax_loss(s, y, np.ones(2, dtype=bool))


def test_embedding_out_of_range_and_negative():
    W = np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"idx must hold indices in \[0, 5\), found 5"):
        R.embedding_forward(np.array([[1, 5]]), W)
    with pytest.raises(ValueError, match=r"found -1"):
        R.embedding_forward(np.array([[-1, 2]]), W)  # would silently read the last row


def test_affine_shape_mismatch():
    with pytest.raises(ValueError, match=r"W must have shape \(H, V\) = \(4, 3\), got \(5, 3\)"):
        R.temporal_affine_forward(np.zeros((1, 2, 4)), np.zeros((5, 3)), np.zeros(3))


def test_vocab_unknown_symbol():
    v = R.Vocab.from_text("abc")
    with pytest.raises(ValueError, match=r"unknown symbol 'z' at position 2"):
        v.encode("abz")


def test_numerical_gradient_needs_df_for_array_output():
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(3,\); pass df"):
        R.numerical_gradient(lambda v: v * 2, np.ones(3))


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(1, 3\)"):
        R.rel_error(np.ones(3), np.ones((1, 3)))


def test_optimizer_key_and_shape_mismatch():
    p = {"W": np.zeros((2, 2))}
    with pytest.raises(ValueError, match=r"same keys"):
        R.SGD(0.1).step(p, {"V": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"grads\['W'\] must have shape \(2, 2\), got \(2,\)"):
        R.Adam().step(p, {"W": np.zeros(2)})
    with pytest.raises(ValueError, match=r"lr must be positive, got -1"):
        R.SGD(-1)


def test_model_rejects_wrong_input_and_state():
    m = R.SequenceModel(5, 4, embed_dim=3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"x must hold indices in \[0, 5\), found 7"):
        m.loss(np.array([[1, 7]]), np.array([[1, 2]]))
    with pytest.raises(ValueError, match=r"initial state is for 3 sequences, but the batch has N = 1"):
        m.loss(np.array([[1, 2]]), np.array([[1, 2]]), state0=np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"y must have shape \(N, T\) = \(1, 2\), got \(1, 3\)"):
        m.loss(np.array([[1, 2]]), np.array([[1, 2, 3]]))
    r = R.SequenceRegressor(3, 4, 1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\) with D = 3, got \(2, 5, 4\)"):
        r.loss(np.zeros((2, 5, 4)), np.zeros((2, 1)))


def test_batcher_rejects_tiny_data_and_bad_args():
    with pytest.raises(ValueError, match=r"3 symbols are too few for batch_size=4"):
        R.SequenceBatcher(np.arange(3), 4, 2)
    with pytest.raises(TypeError, match=r"1-D integer array"):
        R.SequenceBatcher(np.zeros(10), 2, 2)


def test_load_corpus_unknown_name():
    with pytest.raises(ValueError, match=r"'shakespeare' is neither a built-in corpus \(python-docs, running-python-docs\) nor an existing file"):
        R.load_corpus("shakespeare")


# --------------------------------------------------------------------------
# Issue 15: the last raw Python errors (KeyError, AttributeError, IndexError, nan)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, text", [
    (lambda: R.rel_error(None, None), TypeError, r"rel_error: a must be a number or an array of numbers, got NoneType"),
    (lambda: R.rel_error(np.ones(2), "b"), TypeError, r"rel_error: b must be a number"),
    (lambda: R.shift_letters(["a"]), ValueError, r"shift_letters: letters must be uppercase A-Z, found 'a'"),
    (lambda: R.shift_letters(["A"], 1.5), TypeError, r"shift_letters: k must be an int, got float 1.5"),
    (lambda: R.init_weights("orthogonal", (0, 3), np.random.default_rng(0)), ValueError, r"init_weights: shape must be >= 1, got 0"),
    (lambda: R.init_weights("orthogonal", [3, 3], np.random.default_rng(0)), TypeError, r"init_weights: shape must be a tuple"),
    (lambda: R.init_weights("orthogonal", (3, 3), 0), TypeError, r"init_weights: rng must be a numpy Generator"),
    (lambda: R.SequenceModel(5, 4, rng=5), TypeError, r"SequenceModel: rng must be a numpy Generator .*, got int"),
    (lambda: R.SequenceRegressor(2, 4, 1, rng="seed"), TypeError, r"SequenceRegressor: rng must be a numpy Generator"),
    (lambda: R.SequenceModel(5, 4, dtype="garbage"), TypeError, r"SequenceModel: dtype must be float32 or float64, got 'garbage'"),
    (lambda: R.SequenceModel(5, 4, dtype=np.float16), TypeError, r"SequenceModel: dtype must be float32 or float64, got float16"),
    (lambda: R.History(losses=[1.0, 2.0]).smoothed(0), ValueError, r"History.smoothed: window must be >= 1, got 0"),
    (lambda: R.Vocab.from_text("ab").one_hot([0, 1], dtype=int), TypeError, r"Vocab.one_hot: dtype must be float32 or float64"),
    (lambda: R.Vocab.from_text(["a", "b"]), TypeError, r"Vocab.from_text: text must be a str, got list"),
])
def test_no_raw_python_errors(call, error, text):
    with pytest.raises(error, match=text):
        call()
