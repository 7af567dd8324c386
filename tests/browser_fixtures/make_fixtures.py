"""Write the scratch notebooks that tests/test_browser.py drives in JupyterLab.

    python tests/browser_fixtures/make_fixtures.py

widget_demo.ipynb    working widgets: an ``interact`` slider redrawing a line plot,
                     a dropdown choosing printed text, a button appending text to an
                     Output widget. The browser test must pass on it.
broken_widgets.ipynb the same kinds of widget, each broken in one way the browser
                     test must catch (see the cell comments). The negative test runs
                     the checker on it and asserts every defect is reported.

Both are stored without outputs: the browser test runs them itself.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

SETUP = """\
%matplotlib inline
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from ipywidgets import interact

import rnnlab

# The browser test compares this line with the rnnlab it expects the kernel to use.
print(f"rnnlab from: {Path(rnnlab.__file__).resolve().parent}")"""

DEMO = [
    new_markdown_cell("# Widget demo (browser-test fixture)\n\n"
                      "A slider, a dropdown and a button, each visibly changing its output."),
    new_code_cell(SETUP),
    new_code_cell("""\
# NBVAL_IGNORE_OUTPUT
def plot_line(slope=1.0):
    x = np.linspace(-1.0, 1.0, 50)
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot(x, slope * x)
    ax.set_ylim(-3, 3)
    ax.set_title(f"y = {slope:.1f} x")
    plt.show()

interact(plot_line, slope=widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.5));"""),
    new_code_cell("""\
# NBVAL_IGNORE_OUTPUT
def describe(activation="tanh"):
    z = np.array([-2.0, 0.0, 2.0])
    print(activation, np.round(rnnlab.activate(z, activation), 4))

interact(describe, activation=["tanh", "sigmoid", "relu"]);"""),
    new_code_cell("""\
# NBVAL_IGNORE_OUTPUT
log = widgets.Output()
clicks = widgets.Button(description="Add a line")

def on_click(_button):
    with log:
        print(f"line {len(log.outputs) + 1}")

clicks.on_click(on_click)
display(widgets.VBox([clicks, log]))"""),
]

BROKEN = [
    new_markdown_cell("# Deliberately broken widgets (browser-test negative fixture)\n\n"
                      "Every cell below hides one defect the browser test must report."),
    new_code_cell(SETUP),
    new_code_cell("""\
# BROKEN: the callback ignores the slider, so moving it never changes the plot.
def frozen_plot(slope=1.0):
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot([0, 1], [0, 1])
    plt.show()

interact(frozen_plot, slope=widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.5));"""),
    new_code_cell("""\
# BROKEN: the callback raises for every value except the default one.
def fragile(n=2):
    if n != 2:
        raise ValueError(f"fragile: n={n} is not supported")
    print("n =", n)

interact(fragile, n=widgets.IntSlider(value=2, min=0, max=5));"""),
    new_code_cell("""\
# BROKEN: the button has no handler, so pressing it changes nothing.
display(widgets.VBox([widgets.Button(description="Does nothing"), widgets.Output()]))"""),
    new_code_cell("""\
# BROKEN: a widget view whose model does not exist in the kernel.
display({"application/vnd.jupyter.widget-view+json":
         {"model_id": "0123456789abcdef0123456789abcdef", "version_major": 2, "version_minor": 0}},
        raw=True)"""),
    new_code_cell("""\
# BROKEN: an ordinary cell that raises.
raise RuntimeError("deliberate error in a cell")"""),
]


def write(name, cells):
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC,
                                             "language_info": {"name": "python"}})
    nbformat.validate(nb)
    nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    write("widget_demo.ipynb", DEMO)
    write("broken_widgets.ipynb", BROKEN)
    print("wrote", HERE / "widget_demo.ipynb", HERE / "broken_widgets.ipynb")
