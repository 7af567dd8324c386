"""rnnlab: recurrent neural networks from scratch in NumPy, for teaching.

Shapes follow one convention everywhere: x (N, T, D), h (N, T, H),
Wx (D, H), Wh (H, H), b (H,), and h_t = f(x_t @ Wx + h_{t-1} @ Wh + b).
"""

from .cells import CELLS, Cell, get_cell
from .data import (
    ALPHABET,
    SequenceBatcher,
    Vocab,
    alphabet_shift_data,
    load_corpus,
    shift_letters,
    train_val_split,
)
from .gradcheck import GradCheckReport, gradient_check, numerical_gradient, rel_error
from .gru import (
    GRUCache,
    gru_backward,
    gru_forward,
    gru_params_from_torch,
    gru_step_backward,
    gru_step_forward,
)
from .layers import (
    ACTIVATIONS,
    activate,
    activation_grad_from_output,
    embedding_backward,
    embedding_forward,
    log_softmax,
    mse_loss,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    softmax,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
)
from .lstm import (
    LSTMCache,
    lstm_backward,
    lstm_backward_state,
    lstm_forward,
    lstm_params_from_torch,
    lstm_step_backward,
    lstm_step_forward,
)
from .model import CheckpointError, SequenceModel, SequenceRegressor, init_weights, load_model
from .optim import SGD, Adagrad, Adam, Momentum, clip_grad_norm, global_norm, make_optimizer
from .train import History, StepInfo, TrainingDiverged, evaluate, train

__version__ = "0.1.0"
