r"""A fast first explorer: defer the one import that costs seconds and that no lesson uses.

The first ``plotly.graph_objects.FigureWidget`` of a kernel imports plotly's renderers, which
import nbformat, which imports jsonschema's format checkers. One of those checkers,
``rfc3987_syntax`` (pulled in by ``jsonschema[format-nongpl]``, which JupyterLab's event schemas
require), compiles an IRI grammar with lark when it is imported: 1.5-3.5 s on a 2-core machine,
more than everything else the first explorer needs together (``bench/explorers.py`` prints the chain).

Nothing in a lesson validates an IRI. :func:`defer_iri_grammar` puts a light stand-in for
``rfc3987_syntax`` in ``sys.modules`` before plotly is imported: jsonschema registers its
``iri`` checks against the stand-in's ``is_valid_syntax``, and the first time anything calls
that (or reads any other name of the module), the real module is imported and used. Behaviour is
unchanged; only the cost moves to the first IRI check, which in a lesson's kernel never comes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

DEFERRED_MODULE = "rfc3987_syntax"


def _real_module() -> types.ModuleType:
    """Import the real module in place of the stand-in (once) and return it."""
    current = sys.modules.get(DEFERRED_MODULE)
    if isinstance(current, _StandIn):
        del sys.modules[DEFERRED_MODULE]
        current = importlib.import_module(DEFERRED_MODULE)
    return current


class _StandIn(types.ModuleType):
    """``rfc3987_syntax`` until first use: every attribute comes from the real module, imported then."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(_real_module(), name)


def _is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
    """The real ``rfc3987_syntax.is_valid_syntax``, imported on the first call."""
    return _real_module().is_valid_syntax(*args, **kwargs)


def defer_iri_grammar() -> bool:
    """Install the stand-in for ``rfc3987_syntax``; True when it was installed.

    Does nothing when the module is already imported, not installed, or when jsonschema's format
    checkers were imported already (they hold the real function then).
    """
    if DEFERRED_MODULE in sys.modules or "jsonschema._format" in sys.modules:
        return False
    if importlib.util.find_spec(DEFERRED_MODULE) is None:
        return False
    stand_in = _StandIn(DEFERRED_MODULE, "stand-in for rfc3987_syntax, imported on first use (bplab.explorers.fast_start)")
    stand_in.is_valid_syntax = _is_valid_syntax
    sys.modules[DEFERRED_MODULE] = stand_in
    return True
