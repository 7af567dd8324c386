"""Drive the notebook-08 classifier widget as a student would: set controls, click Train."""

import numpy as np

from rnnlab.datasets import digits_splits
from rnnlab.teaching.classifier_widget import ClassifierWidget


def test_digits_splits_are_the_experiment_splits():
    (xtr, ytr), (xva, yva), (xte, yte) = digits_splits("rows")
    assert (len(ytr), len(yva), len(yte)) == (1079, 359, 359)
    assert xtr.shape[1:] == (8, 8) and digits_splits("pixels")[0][0].shape[1:] == (64, 1)


def test_clicking_train_builds_the_chosen_model_trains_it_and_reports():
    w = ClassifierWidget(steps=60, val_every=20)
    w.cell.value, w.layers.value, w.bidirectional.value, w.dropout.value = "lstm", 2, True, 0.2
    w.hidden.value = 16
    w.train_button.click()
    m = w.model
    assert (m.cell.name, m.num_layers, m.bidirectional, m.dropout, m.hidden_size) == ("lstm", 2, True, 0.2, 16)
    assert len(w.runs) == 1 and 0 < w.history.steps <= 60
    assert w.progress.value == w.history.steps
    acc = w.runs[0]["test_accuracy"]
    assert acc > 0.3  # far above the 0.1 of guessing after 60 steps
    assert f"{acc:.3f}" in w.status.value and f"{acc:.3f}" in w.table.value
    assert w.plot.value[:4] == b"\x89PNG"
    assert w.history.val_losses[0] < np.log(10) + 0.1 and min(w.history.val_losses) < w.history.val_losses[0]


def test_a_second_click_adds_a_row_and_the_same_seed_repeats_the_result():
    w = ClassifierWidget(steps=30, val_every=10)
    w.cell.value = "rnn"
    first = w.train()
    w.train_button.click()
    assert len(w.runs) == 2 and w.runs[1]["test_accuracy"] == first["test_accuracy"]
    assert w.table.value.count("<tr>") == 3  # header and two runs


def test_the_code_or_prose_task_trains_an_embedding_model_on_padded_lines():
    w = ClassifierWidget(steps=40, val_every=10)
    w.task.value, w.bidirectional.value = "code_or_prose", True
    run = w.train()
    m = w.model
    assert m.vocab_size is not None and m.num_classes == 2 and m.bidirectional
    assert run["task"] == "code_or_prose" and run["test_accuracy"] > 0.6  # chance is 0.5
