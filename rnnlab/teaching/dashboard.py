"""Widgets for notebooks 04 and 05: a training dashboard, a sampler and the delay-k experiment.

Each widget is a small class holding its controls and its results, so a test
can set control values, call ``.click()`` on a button and look at what changed.
Display one with ``display(w.widget)`` (or just put ``w`` last in a cell).

Threading: the dashboard trains in a background thread so that the Stop
button can be clicked while it runs (a click is only handled while the kernel
is free).  The thread only sets widget *values* (an Image's bytes, a
progress bar, an HTML label): ipywidgets sends those to the browser from any
thread, unlike an ``Output`` widget's ``with`` block, which captures output
by the kernel's current cell and loses text written from another thread.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..data import SequenceBatcher
from ..layers import ACTIVATIONS
from ..model import SequenceModel
from ..optim import make_optimizer
from .widget_layout import CONTROLS_WIDTH, beside_plot
from .plots import LivePlot, concat_histories, figure_to_png
from .tasks import delay_memory_curve, nats_to_bits
from ..train import History, TrainingDiverged, evaluate, train

# --------------------------------------------------------------------------
# The status line: two lines that never wrap
# --------------------------------------------------------------------------


def _two_lines(first, second, title=""):
    # nowrap + ellipsis: a long error message is cut on screen (whole in its tooltip)
    # rather than wrapping and pushing the plot
    line = "white-space: nowrap; overflow: hidden; text-overflow: ellipsis"
    tip = f" title='{html.escape(title, quote=True)}'" if title else ""
    return f"<div style='{line}'{tip}>{first}</div><div style='{line}'>{second}</div>"


# --------------------------------------------------------------------------
# Training dashboard
# --------------------------------------------------------------------------

DEFAULTS = dict(hidden_size=128, seq_len=50, batch_size=32, lr=3e-3, optimizer="adam",
                clip_norm=5.0, activation="tanh", steps=2000)


def char_lm_config(**overrides):
    """The default char-LM settings (notebook 05 and the dashboard share them), with overrides."""
    bad = set(overrides) - set(DEFAULTS)
    if bad:
        raise ValueError(f"char_lm_config: unknown settings {sorted(bad)}; known: {sorted(DEFAULTS)}")
    return {**DEFAULTS, **overrides}


def make_val_fn(val_ids, batch_size=32, seq_len=100, max_chars=20_000):
    """A ``train`` val_fn: mean validation loss (nats per char) with the state carried across windows.

    Only the first ``max_chars`` validation characters are used, to keep it quick.
    """
    batches = SequenceBatcher(np.asarray(val_ids)[:max_chars], batch_size, seq_len)
    return lambda model: evaluate(model, batches, carry_state=True)


class TrainingDashboard:
    """Train a character model with live controls.

    Args:
        train_ids, val_ids: (L,) int sequences (e.g. from rnnlab.train_val_split)
        vocab: the Vocab the ids index
        model: optional model to start from (its hidden size and activation then
            set the controls); None builds one on the first Start
        baseline_bits: optional horizontal line on the plot (e.g. the unigram baseline)
        seed: seeds the weights of every newly built model
        **settings: initial control values, see ``DEFAULTS``

    After (or during) training: ``model``, ``history`` (all runs back to back),
    ``running`` (bool), ``wait(timeout)`` joins the training thread.
    """

    def __init__(self, train_ids, val_ids, vocab, *, model=None, baseline_bits=None, seed=0,
                 val_every=50, plot_every=10, **settings):
        s = char_lm_config(**settings)
        if model is not None:
            s["hidden_size"], s["activation"] = model.hidden_size, model.activation
        self.train_ids, self.vocab = np.asarray(train_ids), vocab
        self.val_fn = make_val_fn(val_ids)
        self.seed, self.val_every, self.plot_every = seed, val_every, plot_every
        self.model, self.history = model, History()
        self._optimizer, self._opt_key = None, None
        self._thread, self._stop = None, threading.Event()
        self.error = None

        # Labels wide enough for the longest ("clip norm (0: off)") at JupyterLab's font: never cut off.
        style = {"description_width": "140px"}
        lay = widgets.Layout(width=CONTROLS_WIDTH)
        sizes = sorted({16, 32, 64, 128, 256, 512, s["hidden_size"]})
        self.hidden = widgets.Dropdown(options=sizes, value=s["hidden_size"], description="hidden size H", style=style, layout=lay)
        self.seq_len = widgets.IntSlider(value=s["seq_len"], min=5, max=200, step=5, description="sequence length T", style=style, layout=lay)
        self.batch = widgets.IntSlider(value=s["batch_size"], min=1, max=128, description="batch size N", style=style, layout=lay)
        self.lr = widgets.FloatLogSlider(value=s["lr"], base=10, min=-4, max=0, step=0.1, readout_format=".1e",
                                         description="learning rate", style=style, layout=lay)
        self.optimizer = widgets.Dropdown(options=[("SGD", "sgd"), ("Adagrad", "adagrad"), ("Adam", "adam")],
                                          value=s["optimizer"], description="optimiser", style=style, layout=lay)
        self.clip = widgets.FloatSlider(value=s["clip_norm"] or 0.0, min=0.0, max=20.0, step=0.5,
                                        description="clip norm (0: off)", style=style, layout=lay)
        self.activation = widgets.Dropdown(options=sorted(ACTIVATIONS), value=s["activation"], description="activation",
                                           style=style, layout=lay)
        self.steps = widgets.IntSlider(value=s["steps"], min=10, max=20_000, step=10, description="steps per Start",
                                       style=style, layout=lay)
        self.start_button = widgets.Button(description="Start", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.reset_button = widgets.Button(description="New model", icon="refresh")
        self.progress = widgets.IntProgress(value=0, min=0, max=s["steps"], description="progress", style=style,
                                            layout=lay)
        # Two fixed lines (see _describe) in the controls' width: the status never wraps or
        # widens the column, so the plot beside it never moves.
        self.status = widgets.HTML(value=self._describe(), layout=lay)
        self.live = LivePlot(every=plot_every, bits=True, baseline=baseline_bits, baseline_label="unigram baseline",
                             title="character model")
        self.plot = self.live.image
        self.live.update(self.history)

        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        controls = widgets.VBox([self.hidden, self.activation, self.seq_len, self.batch, self.lr, self.optimizer,
                                 self.clip, self.steps,
                                 widgets.HBox([self.start_button, self.stop_button, self.reset_button]),
                                 self.progress, self.status],
                               layout=widgets.Layout(width=CONTROLS_WIDTH, flex="0 0 auto"))
        self.widget = beside_plot(controls, self.plot)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # ---------------- state ----------------

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def _describe(self, state="", run=None, title=""):
        """The status text: two lines, always (so its height never changes).

        Line 1: model, steps taken (including the steps of a run still going) and ``state``
        ("training...", "stopped", an error).  Line 2: the latest train / validation loss.
        run: the History of the run in progress (None: no run going).
        """
        if self.model is None:
            return _two_lines("<i>no model yet: press Start</i>", "&nbsp;")
        h = self.history if run is None else concat_histories(self.history, run)
        first = f"H = {self.model.hidden_size}, {self.model.activation}; {h.steps} steps"
        if state:
            first += f" &mdash; {state}"
        losses = []
        if h.losses:
            losses.append(f"train {nats_to_bits(float(np.mean(h.losses[-20:]))):.3f}")
        if h.val_losses:
            losses.append(f"validation {nats_to_bits(h.val_losses[-1]):.3f}")
        second = "; ".join(losses) + " bits/char" if losses else "&nbsp;"
        return _two_lines(first, second, title)

    def _needs_new_model(self):
        return (self.model is None or self.model.hidden_size != self.hidden.value
                or self.model.activation != self.activation.value)

    def _build_model(self):
        return SequenceModel(self.vocab, self.hidden.value, activation=self.activation.value,
                             rng=np.random.default_rng(self.seed))

    def reset(self):
        """Replace the model by a fresh, untrained one with the current settings, and clear the history.

        (A fresh model rather than none, so a sampler attached to the dashboard
        shows what an untrained model writes: noise.)
        """
        if self.running:
            return
        self.model, self.history, self._optimizer, self._opt_key = self._build_model(), History(), None, None
        self.live.update(self.history)
        self.progress.value = 0
        self.status.value = self._describe()

    # ---------------- training ----------------

    def start(self):
        """Start training in a background thread with the current control values."""
        if self.running:
            return
        if self._needs_new_model():
            self.model = self._build_model()
            self.history, self._optimizer, self._opt_key = History(), None, None
        key = (self.optimizer.value, self.lr.value)
        if self._optimizer is None or key != self._opt_key:
            self._optimizer, self._opt_key = make_optimizer(self.optimizer.value, self.lr.value), key
        batches = SequenceBatcher(self.train_ids, self.batch.value, self.seq_len.value)
        clip = self.clip.value if self.clip.value > 0 else None
        self.live.previous = self.history
        self.progress.max, self.progress.value = self.steps.value, 0
        self.error = None
        self._stop.clear()
        self.start_button.disabled, self.stop_button.disabled = True, False
        for w in (self.hidden, self.activation, self.reset_button):
            w.disabled = True
        self.status.value = self._describe("<b>training...</b>")
        self._thread = threading.Thread(target=self._run, args=(batches, clip, self.steps.value), daemon=True)
        self._thread.start()

    def _on_step(self, info):
        if info.step % 5 == 0 or info.step == 1:
            self.progress.value = info.step
            self.status.value = self._describe("<b>training...</b>", run=info.history)
        return self._stop.is_set()  # True stops train() after this step

    def _run(self, batches, clip, steps):
        run = None
        try:
            run = train(self.model, batches, optimizer=self._optimizer, epochs=10**9, max_steps=steps,
                        clip_norm=clip, carry_state=True, callbacks=[self._on_step, self.live],
                        val_fn=self.val_fn, val_every=self.val_every, progress=False)
        except TrainingDiverged as e:
            run, self.error = e.history, str(e)
        except Exception as e:  # show, don't lose, an unexpected failure in the thread
            self.error = f"{type(e).__name__}: {e}"
        finally:
            if run is not None:
                self.history = concat_histories(self.history, run)
                self.live.previous = None
                self.live.update(self.history)
                self.progress.value = run.steps
            note = "stopped" if run is not None and run.stopped_early else "done"
            if self.error:
                note = f"<b style='color:#c00'>{html.escape(self.error)}</b>"
            self.status.value = self._describe(note, title=self.error or "")
            self.start_button.disabled, self.stop_button.disabled = False, True
            for w in (self.hidden, self.activation, self.reset_button):
                w.disabled = False

    def stop(self):
        """Ask the training thread to stop after its current step; the model keeps what it learned."""
        self._stop.set()

    def wait(self, timeout=None):
        """Block until the training thread ends (or ``timeout`` seconds pass); returns not running."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running


# --------------------------------------------------------------------------
# Sampler
# --------------------------------------------------------------------------


class SamplerWidget:
    """Generate text from a model; regenerates whenever a control changes.

    Args:
        model: a SequenceModel with a Vocab, or a function returning one (e.g.
            ``lambda: dashboard.model`` to always sample the dashboard's latest model)
        prime, length, temperature, seed: initial control values

    ``text`` holds the last sample; ``output`` is the HTML widget showing it.
    """

    def __init__(self, model, prime="The ", length=300, temperature=0.8, seed=0):
        self._get_model = model if callable(model) else (lambda: model)
        style = {"description_width": "initial"}    # the label's own width: never "temperat..."
        self.prime = widgets.Text(value=prime, description="prime text", style=style)
        self.length = widgets.IntSlider(value=length, min=10, max=1000, step=10, description="length", style=style)
        self.temperature = widgets.FloatSlider(value=temperature, min=0.0, max=2.0, step=0.05, description="temperature",
                                               style=style)
        self.seed = widgets.IntText(value=seed, description="seed", style=style)
        self.button = widgets.Button(description="New seed", icon="random")
        self.output = widgets.HTML()
        self.text = ""
        for w in (self.prime, self.length, self.temperature, self.seed):
            w.observe(lambda change: self.update(), names="value")
        self.button.on_click(lambda _: setattr(self.seed, "value", self.seed.value + 1))
        self.widget = widgets.VBox([widgets.HBox([self.prime, self.seed, self.button]),
                                    widgets.HBox([self.temperature, self.length]), self.output])
        self.update()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def update(self):
        """Sample again with the current control values."""
        model = self._get_model()
        if model is None:
            self.text, self.output.value = "", "<i>no model yet: train one first</i>"
            return
        prime = self.prime.value
        unknown = sorted({c for c in prime if c not in model.vocab})
        if not prime or unknown:
            why = "type at least one character" if not prime else f"not in the vocabulary: {unknown!r}"
            self.text, self.output.value = "", f"<i>prime text: {html.escape(why)}</i>"
            return
        self.text = model.sample(prime, self.length.value, temperature=self.temperature.value,
                                 rng=np.random.default_rng(self.seed.value))
        self.output.value = (f"<pre style='white-space: pre-wrap'><b>{html.escape(prime)}</b>"
                             f"{html.escape(self.text)}</pre>")


# --------------------------------------------------------------------------
# Delayed recall: where does a vanilla RNN stop remembering?
# --------------------------------------------------------------------------


def draw_delay_curves(ax, runs, chance):
    """Accuracy against delay k for each run in ``runs`` (list of (label, result dict))."""
    for label, r in runs:
        ax.plot(r["k"], r["accuracy"], "o-", label=label)
    ax.axhline(chance, color="0.5", ls="--", lw=1, label="chance (1/26)")
    ax.set_xlabel("delay k (output the letter seen k steps earlier, shifted by one)")
    ax.set_ylabel("accuracy on fresh sequences")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    return ax


class DelayMemoryWidget:
    """Train one small RNN per delay k = 0..k_max and plot accuracy against k.

    Press Train to add a curve for the current settings (earlier curves stay,
    to compare e.g. identity against orthogonal initialisation); Clear removes them.
    ``runs`` is the list of (label, result) drawn; ``plot`` the Image widget.
    """

    def __init__(self, k_max=6, hidden_size=32, steps=200, recurrent_init="orthogonal", clip_norm=0.0, seed=0):
        style = {"description_width": "140px"}
        self.k_max = widgets.IntSlider(value=k_max, min=1, max=12, description="largest delay k", style=style)
        self.hidden = widgets.Dropdown(options=[8, 16, 32, 64, 128], value=hidden_size, description="hidden size H", style=style)
        self.steps = widgets.IntSlider(value=steps, min=50, max=2000, step=50, description="training steps", style=style)
        self.init = widgets.Dropdown(options=["orthogonal", "identity", "lecun_normal"], value=recurrent_init,
                                     description="Wh initialisation", style=style)
        self.clip = widgets.FloatSlider(value=clip_norm, min=0.0, max=10.0, step=0.5, description="clip norm (0: off)",
                                        style=style)
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.clear_button = widgets.Button(description="Clear", icon="eraser")
        self.status = widgets.HTML("<i>press Train (a few seconds)</i>")
        self.plot = widgets.Image(format="png")
        self.seed = seed
        self.runs = []
        self.train_button.on_click(lambda _: self.run())
        self.clear_button.on_click(lambda _: self.clear())
        self.widget = beside_plot(
            widgets.VBox([self.k_max, self.hidden, self.steps, self.init, self.clip,
                          widgets.HBox([self.train_button, self.clear_button]), self.status],
                         layout=widgets.Layout(width=CONTROLS_WIDTH, flex="0 0 auto")),
            self.plot)
        self._redraw()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _redraw(self):
        fig = Figure(figsize=(6.5, 3.4))
        draw_delay_curves(fig.add_subplot(), self.runs, 1 / 26)
        self.plot.value = figure_to_png(fig)

    def run(self):
        """Train and add one curve for the current control values."""
        self.train_button.disabled = True
        self.status.value = "<b>training...</b>"
        clip = self.clip.value if self.clip.value > 0 else None
        try:
            r = delay_memory_curve(range(self.k_max.value + 1), self.hidden.value, self.steps.value,
                                   recurrent_init=self.init.value, clip_norm=clip, seed=self.seed)
        finally:
            self.train_button.disabled = False
        label = f"H={self.hidden.value}, {self.steps.value} steps, {self.init.value}" + (f", clip {clip:g}" if clip else "")
        self.runs.append((label, r))
        self._redraw()
        remembered = [k for k, a in zip(r["k"], r["accuracy"]) if a >= 0.9]
        self.status.value = (f"{label}: accuracy &ge; 90 % up to k = {max(remembered) if remembered else 'none'}")
        return r

    def clear(self):
        self.runs = []
        self._redraw()
        self.status.value = "<i>cleared</i>"
