"""Layout shared by the widgets: a controls column beside a plot that keeps its drawn shape."""

from __future__ import annotations

import ipywidgets as widgets

CONTROLS_WIDTH = "390px"


def beside_plot(controls, plot):
    """HBox of a controls column and a plot Image, the image at its drawn aspect ratio.

    A flex row stretches its children to the tallest one (the controls column), which
    would display the PNG taller than drawn; top-aligned, height auto and
    object-fit contain keep it as drawn.
    """
    plot.layout.height = "auto"
    plot.layout.object_fit = "contain"
    plot.layout.align_self = "flex-start"
    return widgets.HBox([controls, plot], layout=widgets.Layout(align_items="flex-start"))
