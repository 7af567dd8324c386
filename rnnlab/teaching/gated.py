"""Notebook 06's widget: train the three cells on a memory task and plot accuracy against k.

The experiments it runs are ``gated_experiments.compare_tasks``; the plot is
``gated_plots.draw_memory_comparison``.
"""

from __future__ import annotations

from .gated_experiments import CELL_LABELS, CELL_NAMES, TASK_LABELS, compare_tasks, solved_summary
from .gated_plots import draw_memory_comparison


# What the widget starts from for each task: (k_max, k_step, steps, largest k the slider allows)
WIDGET_TASK_SETTINGS = {"delay": (3, 1, 100, 14), "recall": (12, 4, 600, 24)}


class GatedDelayWidget:
    """Train a vanilla RNN, a GRU and an LSTM on a memory task and plot accuracy against k.

    The task dropdown picks the delay-k task (capacity) or long recall (span);
    changing it loads that task's settings (``WIDGET_TASK_SETTINGS``) and clears
    the plot.  Press Train: one model per cell and per k in ``ks()`` is trained
    with the current settings, and the curves replace the plot.  ``results``
    holds the last run (dict cell -> result), ``plot`` is the Image widget and
    ``status`` an HTML line naming the largest k each cell solved.

    k_max, k_step, steps: None takes the task's settings.
    """

    def __init__(self, k_max=None, k_step=None, hidden_size=32, steps=None, seed=0, threshold=0.95, task="delay"):
        import ipywidgets as widgets

        if task not in WIDGET_TASK_SETTINGS:
            raise ValueError(f"GatedDelayWidget: task must be one of {list(WIDGET_TASK_SETTINGS)}, got {task!r}")
        d_kmax, d_kstep, d_steps, k_limit = WIDGET_TASK_SETTINGS[task]
        style = {"description_width": "120px"}
        self.task = widgets.Dropdown(options=[(TASK_LABELS[t], t) for t in WIDGET_TASK_SETTINGS], value=task,
                                     description="task", style=style)
        self.k_max = widgets.IntSlider(value=d_kmax if k_max is None else k_max, min=1, max=k_limit,
                                       description="largest k", style=style)
        self.k_step = widgets.Dropdown(options=[1, 2, 3, 4], value=d_kstep if k_step is None else k_step,
                                       description="k in steps of", style=style)
        self.hidden = widgets.Dropdown(options=[8, 16, 32, 64], value=hidden_size, description="hidden size H",
                                       style=style)
        self.steps = widgets.IntSlider(value=d_steps if steps is None else steps, min=50, max=1000, step=50,
                                       description="training steps", style=style)
        self.cells = widgets.SelectMultiple(options=[(CELL_LABELS[c], c) for c in CELL_NAMES],
                                            value=CELL_NAMES, description="cells", style=style, rows=3)
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.status = widgets.HTML("<i>press Train (a few seconds at the default settings)</i>")
        self.plot = widgets.Image(format="png")
        self.seed, self.threshold = seed, threshold
        self.results = {}
        self.train_button.on_click(lambda _: self.run())
        self.task.observe(self._task_changed, names="value")
        from .widget_layout import CONTROLS_WIDTH, beside_plot

        self.widget = beside_plot(
            widgets.VBox([self.task, self.k_max, self.k_step, self.hidden, self.steps, self.cells,
                          self.train_button, self.status],
                         layout=widgets.Layout(width=CONTROLS_WIDTH, flex="0 0 auto")),
            self.plot)
        self._redraw()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def ks(self):
        """The k a click trains: delay 0, k_step, 2 k_step, ... up to k_max; recall the same without
        k = 0 (a one-letter sequence: nothing to remember)."""
        first = 0 if self.task.value == "delay" else self.k_step.value
        return list(range(first, self.k_max.value + 1, self.k_step.value)) or [self.k_max.value]

    def _task_changed(self, change):
        k_max, k_step, steps, k_limit = WIDGET_TASK_SETTINGS[change["new"]]
        self.k_max.max = max(k_limit, self.k_max.min)
        self.k_max.value, self.k_step.value, self.steps.value = k_max, k_step, steps
        self.results = {}  # curves of the other task would be mislabelled
        self._redraw()
        self.status.value = f"<i>{TASK_LABELS[change['new']]}: press Train</i>"

    def _redraw(self):
        from matplotlib.figure import Figure

        from .plots import figure_to_png

        fig = Figure(figsize=(6.5, 3.4))
        draw_memory_comparison(fig.add_subplot(), self.results, threshold=self.threshold, task=self.task.value)
        self.plot.value = figure_to_png(fig)

    def run(self):
        """Train every selected cell at the current settings and redraw.  Returns the results."""
        self.train_button.disabled = True
        self.status.value = "<b>training...</b>"
        try:
            self.results = compare_tasks(self.task.value, self.ks(), cells=tuple(self.cells.value),
                                         hidden_size=self.hidden.value, steps=self.steps.value, seed=self.seed)
        finally:
            self.train_button.disabled = False
        self._redraw()
        self.status.value = "<br>".join(solved_summary(self.results, self.threshold).splitlines())
        return self.results
