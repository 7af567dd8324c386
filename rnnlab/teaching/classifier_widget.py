"""A widget for notebook 08: pick the choices of a sequence classifier, train it, compare.

Controls: task (digits read by rows or by pixels, or corpus lines: code or prose,
of variable length), cell, depth, bidirectional,
dropout, recurrent initialisation, hidden size, steps, learning rate, seed.
"Train" trains synchronously for the chosen number of steps (a progress bar moves,
early stopping on the validation loss restores the best parameters), then shows the
training and validation curves and adds a row to a table of runs with the test
accuracy, so several choices can be compared side by side.

Like the other widgets, it is a small class: a test sets the control values, calls
``train_button.click()`` and reads ``runs``, ``model`` and ``history``.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..classifier import RECURRENT_INITS, SequenceClassifier, fit_classifier
from ..datasets import code_or_prose_splits, digits_splits
from ..padding import PaddedBatch, PaddedBatches
from .plots import figure_to_png
from .widget_layout import beside_plot


class ClassifierWidget:
    """Train sequence classifiers with chosen settings and compare their test accuracies.

    Args:
        steps: initial step budget per Train click; batch_size: examples per step
        val_every: steps between validation losses; patience: early-stopping patience
    After a click: ``model``, ``history``, ``runs`` (one dict per click, with "test_accuracy").
    """

    def __init__(self, *, steps=300, batch_size=32, val_every=25, patience=4):
        self.batch_size, self.val_every, self.patience = batch_size, val_every, patience
        self._data = {}
        self.model, self.history, self.runs = None, None, []
        style, lay = {"description_width": "110px"}, widgets.Layout(width="320px")

        def dd(options, value, label):
            return widgets.Dropdown(options=options, value=value, description=label, style=style, layout=lay)

        self.task = dd([("digits by rows (8 steps)", "rows"), ("digits by pixels (64 steps)", "pixels"),
                        ("code or prose (lines, 12-64 chars)", "code_or_prose")], "rows", "task")
        self.cell = dd([("vanilla RNN", "rnn"), ("GRU", "gru"), ("LSTM", "lstm")], "gru", "cell")
        self.layers = dd([1, 2, 3], 1, "layers")
        self.bidirectional = widgets.Checkbox(value=False, description="bidirectional", style=style, layout=lay)
        self.dropout = widgets.FloatSlider(value=0.0, min=0.0, max=0.7, step=0.1, description="dropout p",
                                           style=style, layout=lay)
        self.init = dd(list(RECURRENT_INITS), "orthogonal", "recurrent init")
        self.hidden = dd([8, 16, 32, 64], 32, "hidden size H")
        self.steps = widgets.IntSlider(value=steps, min=10, max=3000, step=10, description="max steps",
                                       style=style, layout=lay)
        self.lr = widgets.FloatLogSlider(value=1e-2, base=10, min=-4, max=-1, step=0.1, readout_format=".0e",
                                         description="learning rate", style=style, layout=lay)
        self.seed = widgets.IntText(value=0, description="seed", style=style, layout=lay)
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=steps, description="progress", style=style)
        self.status = widgets.HTML(value="<i>choose, then press Train</i>")
        self.plot = widgets.Image(format="png")
        self.table = widgets.HTML(value="")
        self.train_button.on_click(lambda _: self.train())
        controls = widgets.VBox([self.task, self.cell, self.layers, self.bidirectional, self.dropout, self.init,
                                 self.hidden, self.steps, self.lr, self.seed, self.train_button, self.progress,
                                 self.status])
        self.widget = widgets.VBox([beside_plot(controls, self.plot), self.table])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def settings(self):
        """The model options chosen in the controls, as SequenceClassifier keyword arguments."""
        return dict(cell=self.cell.value, num_layers=self.layers.value, bidirectional=self.bidirectional.value,
                    dropout=round(self.dropout.value, 2), recurrent_init=self.init.value)

    def _task(self, task):
        """(model keyword arguments, train batches maker, (val x, y), (test x, y)) of a task, cached."""
        if task not in self._data:
            if task == "code_or_prose":
                (tr, va, te), vocab = code_or_prose_splits()
                self._data[task] = (dict(num_classes=2, vocab_size=len(vocab), embed_dim=16), tr,
                                    (PaddedBatch(va[0], va[1]), va[2]), (PaddedBatch(te[0], te[1]), te[2]))
            else:
                (xtr, ytr), val, test = digits_splits(task)
                tr = (xtr, np.full(len(ytr), xtr.shape[1], np.int64), ytr)
                self._data[task] = (dict(num_classes=10, input_dim=xtr.shape[2]), tr, val, test)
        return self._data[task]

    def train(self):
        """Build a fresh model from the controls, train it, update plot, status and table; return its run dict."""
        kwargs, (xtr, ltr, ytr), (xva, yva), (xte, yte) = self._task(self.task.value)
        seed = int(self.seed.value)
        self.model = SequenceClassifier(hidden_size=self.hidden.value, rng=np.random.default_rng(seed),
                                        **kwargs, **self.settings())
        batches = PaddedBatches(xtr, ltr, ytr, self.batch_size, seed=seed)
        self.progress.max, self.progress.value = self.steps.value, 0
        self.status.value = "<b>training...</b>"
        self.train_button.disabled = True

        def on_step(info):
            if info.step % 5 == 0:
                self.progress.value = info.step

        try:
            self.history, es = fit_classifier(self.model, batches, xva, yva, steps=self.steps.value,
                                              lr=self.lr.value, val_every=self.val_every,
                                              patience=self.patience, callbacks=[on_step])
        finally:
            self.train_button.disabled = False
        self.progress.value = self.history.steps
        run = {"task": self.task.value, **self.settings(), "hidden": self.hidden.value, "seed": seed,
               "steps": self.history.steps, "best_step": es.best_step,
               "test_accuracy": self.model.accuracy(xte, yte)}
        self.runs.append(run)
        stop = " (stopped early)" if self.history.stopped_early else ""
        self.status.value = (f"{self.history.steps} steps{stop}; best validation at step {es.best_step}; "
                             f"<b>test accuracy {run['test_accuracy']:.3f}</b>")
        self.plot.value = figure_to_png(self.figure(es.best_step))
        self.table.value = self._table_html()
        return run

    def figure(self, best_step=None):
        """Training loss (smoothed) and validation loss against steps, as a matplotlib Figure."""
        fig = Figure(figsize=(5, 3.2))
        ax = fig.add_subplot()
        h = self.history
        ax.plot(np.arange(1, h.steps + 1), h.smoothed(20), label="training (mean of 20 steps)")
        ax.plot(h.val_steps, h.val_losses, "o-", label="validation")
        if best_step is not None:
            ax.axvline(best_step, color="grey", ls=":", label="best validation (kept)")
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy (nats)")
        ax.legend()
        fig.tight_layout()
        return fig

    def _table_html(self):
        cols = ["task", "cell", "num_layers", "bidirectional", "dropout", "recurrent_init", "hidden", "seed",
                "steps", "test_accuracy"]
        head = "".join(f"<th>{c}</th>" for c in cols)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(f'{r[c]:.3f}' if c == 'test_accuracy' else str(r[c]))}</td>"
                                        for c in cols) + "</tr>" for r in self.runs)
        return f"<table><tr>{head}</tr>{rows}</table>"
