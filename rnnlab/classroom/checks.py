"""Compatibility: the checkers used to live in this one module; they are now split by exercise
family (see ``rnnlab/classroom/__init__.py``).  ``from rnnlab.classroom.checks import check_x`` works."""

import rnnlab.classroom as _pkg

globals().update({_n: getattr(_pkg, _n) for _n in _pkg.__all__})
__all__ = list(_pkg.__all__)
