"""Interactive explorers: each a pure ``update(**params)`` inside a thin ipywidgets shell.

Importing this package imports plotly; ipywidgets is imported when a widget is first shown.
The first FigureWidget's slowest import is deferred first (see :mod:`bplab.explorers.fast_start`).
"""

from bplab.explorers.fast_start import defer_iri_grammar

defer_iri_grammar()

from bplab.explorers.base import Choice, Explorer, FormulaBox, Slider, Toggle, ValuesBox
from bplab.explorers.welcome import WelcomeExplorer

__all__ = ["Choice", "Explorer", "FormulaBox", "Slider", "Toggle", "ValuesBox", "WelcomeExplorer"]
