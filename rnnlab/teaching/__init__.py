"""Teaching aids built on the core: widgets, plots, diagrams, experiments, the bug zoo.

Everything here imports ``rnnlab``'s core modules; nothing in the core imports
from here.
"""
