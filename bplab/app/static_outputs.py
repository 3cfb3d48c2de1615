"""Live outputs turned into static HTML for the static edition (``bplab export``).

A notebook stores two kinds of output that need a kernel or a notebook front end to show:

* a plotly figure (``application/vnd.plotly.v1+json``): written out as a ``<div>`` and a call
  to ``Plotly.newPlot`` (plotly.js itself is loaded once per page, from the exported folder);
* a widget view (``application/vnd.jupyter.widget-view+json``): only a model id, no picture.
  When the cell shows an explorer, the explorer is built here with the cell's settings (its
  constructor runs the pure ``update()``) and its figure, title, settings and status line are
  written out, with a note to open the live notebook to move the controls.

Which explorer a cell shows is read from the cell's source, never by running it. The
convention the course follows: the cell's last statement is a call of an explorer class with
literal keyword arguments, the class imported by name from ``bplab.explorers`` in that cell or
an earlier one::

    from bplab.explorers.one_weight import OneWeightExplorer

    OneWeightExplorer(rate=0.1)          # also: OneWeightExplorer(...).widget(), display(...)

A widget cell that does not follow it (or whose explorer fails to build) becomes a note that
names the cell, and the export's report lists it. Reading the source with :mod:`ast` needs no
kernel, runs none of the notebook's code (nothing is trained twice, no exercise is recorded),
and is fast. plotly is imported where used; bplab's explorers when a widget cell is found.
"""

from __future__ import annotations

import ast
import html
import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PLOT_CONFIG = {"responsive": True, "displaylogo": False}
COLUMN_MIN_WIDTH = 300  # px: a figure of side-by-side panels scrolls sideways on a phone rather than squash


@dataclass(frozen=True)
class ExplorerCall:
    """An explorer a cell shows: ``module.name(**settings)``."""

    module: str
    name: str
    settings: dict[str, Any]

    def __str__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.settings.items())
        return f"{self.name}({arguments})"


@dataclass
class PageOutputs:
    """What one page's outputs became: figure and explorer counts, and the cells left as a note."""

    figures: int = 0
    explorers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- which explorer a cell shows


def _parse(source: str) -> ast.Module | None:
    """``source`` parsed, IPython magics and shell lines blanked out; None if it is not Python."""
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _imported_names(tree: ast.Module, found: dict[str, str]) -> None:
    """Add to ``found`` each ``local name -> dotted path`` that ``tree`` imports from bplab (any depth)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("bplab"):
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bplab"):
                    if alias.asname:
                        found[alias.asname] = alias.name
                    else:
                        found[alias.name.split(".")[0]] = alias.name.split(".")[0]


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _shown_call(tree: ast.Module) -> ast.Call | None:
    """The call a cell leaves last (what the notebook displays), unwrapping ``.widget()`` and ``display()``."""
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    node = tree.body[-1].value
    while isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "widget" and not node.args and not node.keywords:
            node = func.value
        elif isinstance(func, ast.Name) and func.id == "display" and len(node.args) == 1 and not node.keywords:
            node = node.args[0]
        else:
            return node
    return None


def find_explorer(sources: Sequence[str], index: int) -> ExplorerCall | None:
    """The explorer that code cell ``sources[index]`` shows, read from the sources up to it; else None.

    ``sources`` are the notebook's code cells in order. The cell must end with a call of a class
    imported from ``bplab.explorers`` (in it or an earlier cell), with literal keyword arguments only.
    """
    imported: dict[str, str] = {}
    tree = None
    for source in sources[: index + 1]:
        tree = _parse(source)
        if tree is not None:
            _imported_names(tree, imported)
    call = _shown_call(tree) if tree is not None else None
    if call is None or call.args:
        return None
    name = _dotted(call.func)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    path = imported.get(head, head) + (f".{rest}" if rest else "")
    if not path.startswith("bplab.explorers."):
        return None
    settings: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg is None:  # **options: not readable without running the notebook
            return None
        try:
            settings[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError):  # a name or an expression: needs the kernel
            return None
    module, _, attribute = path.rpartition(".")
    return ExplorerCall(module, attribute, settings)


# ---------------------------------------------------------------------------- static HTML


def _columns(layout: dict[str, Any]) -> int:
    """How many panels a figure has side by side (distinct left edges of its x axes)."""
    lefts = {round(float(axis.get("domain", [0, 1])[0]), 2)
             for key, axis in layout.items() if re.fullmatch(r"xaxis\d*", key) and isinstance(axis, dict)}
    return max(1, len(lefts))


def figure_html(figure: Any, div_id: str) -> str:
    """A plotly figure (a ``go.Figure`` or its JSON dict) as a ``<div>`` drawn by the page's plotly.js.

    Figures of two or more panels side by side keep a minimum width and scroll sideways on a phone.
    """
    import plotly.io as pio

    layout = figure.get("layout", {}) if isinstance(figure, dict) else figure.layout.to_plotly_json()
    columns = _columns(layout)
    drawn = pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=div_id,
                        config=PLOT_CONFIG, validate=False)
    if columns < 2:
        return f'<div class="bplab-figure">{drawn}</div>'
    return (f'<div class="bplab-figure bplab-figure-wide">'
            f'<div style="min-width:{columns * COLUMN_MIN_WIDTH}px">{drawn}</div></div>')


def _setting_text(control: Any, name: str, value: Any) -> str:
    """``label = <b>value</b>`` for one setting (HTML)."""
    label = getattr(control, "label", name).strip()
    shown = f"{value:.4g}" if isinstance(value, float) else (str(value) if value != "" else "(empty)")
    sign = " " if label.endswith(("=", ":")) else " = "  # "formula f =" is a label that says it already
    return f"{html.escape(label)}{sign}<b>{html.escape(shown)}</b>"


def explorer_html(call: ExplorerCall, div_id: str, live_note: str) -> str:
    """The explorer's picture at its settings: title, settings, status line, figure and ``live_note``.

    Raises whatever building the explorer raises (a wrong setting, an explorer that fails).
    """
    from bplab.explorers.base import Explorer

    cls = getattr(importlib.import_module(call.module), call.name)
    if not (isinstance(cls, type) and issubclass(cls, Explorer)):
        raise TypeError(f"{call.module}.{call.name}: expected an Explorer class, got {cls!r}")
    explorer = cls(**call.settings)  # the constructor computes the picture through update()
    settings = "; ".join(_setting_text(explorer.controls.get(name), name, value)
                         for name, value in explorer.params.items())
    return (
        f'<div class="bplab-explorer">'
        f'<h4 class="bplab-explorer-title">{html.escape(explorer.title)}</h4>'
        f'<p class="bplab-explorer-settings">Shown at: {settings}</p>'
        f'<div class="bplab-explorer-status">{explorer.status}</div>'
        f"{figure_html(explorer.figure, div_id)}"
        f'<p class="bplab-live-note">{live_note}</p>'
        f"</div>"
    )


def _note(text: str) -> str:
    """A widget that could not be pictured: ``text`` in a note box (HTML)."""
    return f'<div class="bplab-live-note bplab-widget-missing">{text}</div>'


def make_static(notebook: Any, page_id: str, live_note: str) -> PageOutputs:
    """Rewrite ``notebook``'s plotly and widget outputs in place as ``text/html`` (an nbformat node).

    ``page_id`` makes the figures' element ids unique and stable; ``live_note`` (HTML) is put
    under each explorer and in place of any widget that cannot be pictured.
    """
    result = PageOutputs()
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    sources = [cell.source for cell in code_cells]
    figure_number = 0
    for index, cell in enumerate(code_cells):
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            if PLOTLY_MIME in data:
                figure_number += 1
                output["data"] = {"text/html": figure_html(data[PLOTLY_MIME], f"{page_id}-figure-{figure_number}")}
                result.figures += 1
            elif WIDGET_MIME in data:
                call = find_explorer(sources, index)
                if call is None:
                    result.problems.append(f"code cell {index + 1}: a widget, but no explorer call this export can read")
                    output["data"] = {"text/html": _note(f"An interactive widget is here. {live_note}")}
                    continue
                figure_number += 1
                try:
                    shown = explorer_html(call, f"{page_id}-figure-{figure_number}", live_note)
                except Exception as exc:  # noqa: BLE001 - any failure of the explorer: a note, and reported
                    result.problems.append(f"code cell {index + 1}: {call} could not be built: {exc}")
                    output["data"] = {"text/html": _note(f"The explorer {html.escape(str(call))} is here. {live_note}")}
                    continue
                output["data"] = {"text/html": shown}
                result.figures += 1
                result.explorers.append(str(call))
    return result


def slug(text: str) -> str:
    """``text`` made safe for an HTML id: letters, digits and dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "page"
