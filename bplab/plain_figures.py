r"""Explorer figures built from plain dicts: plotly's figure, without plotly's per-property checks.

Building a figure through ``go.Scatter(...)``, ``make_subplots`` and ``update_layout`` checks
every property as it is set; for the playground's eleven traces that took 110 ms, twice the
50 ms an explorer's whole update may take (design.md). The same figure written as dicts and
wrapped once with ``go.Figure(..., _validate=False)`` takes about 3 ms. The checks are not lost:
``tests/explorers/test_plain_figures.py`` rebuilds every explorer's figure with them on, so a
misspelt property still fails a test, only not on every slider move.

A drawing reads like plotly's own JSON::

    grid = Grid(rows=1, cols=2, titles=("Data", "Loss"))
    traces = [dict(type="scatter", x=x, y=y, mode="markers", **grid.axes(1, 1)),
              dict(type="scatter", x=steps, y=losses, mode="lines", **grid.axes(1, 2))]
    grid.xaxis(1, 2).update(title=dict(text="step"))
    return plain_figure(traces, grid.layout, height=400)
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

#: The course's common layout (bplab.plots re-exports it): every figure starts from it.
BASE_LAYOUT = dict(
    template="plotly_white",
    font=dict(family="DejaVu Sans, Arial, sans-serif", size=13),
    margin=dict(l=60, r=20, t=50, b=50),
    colorway=["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"],  # plots.SEQUENCE
)

_TITLE_MARK = "\x00title {}"  # a stand-in subplot title, replaced by the real one in each copy


@lru_cache(maxsize=None)
def _template(name: str) -> dict[str, Any]:
    """plotly's template ``name``, with tick labels that may overflow the figure's edge.

    plotly's default ("hide past div") measures every tick label's box on every redraw to hide
    those that would cross the edge; no course figure has such labels, and the measuring cost
    a four-panel explorer a fifth of its redraw (Chromium: 107 ms against 130 ms a frame).
    """
    template = pio.templates[name].to_plotly_json()
    for axis in ("xaxis", "yaxis"):
        template.setdefault("layout", {}).setdefault(axis, {})["ticklabeloverflow"] = "allow"
    return template


@lru_cache(maxsize=None)
def _named_colorscale(name: str) -> list[list[Any]]:
    from _plotly_utils.basevalidators import ColorscaleValidator

    return [list(stop) for stop in ColorscaleValidator("colorscale", "heatmap").validate_coerce(name)]


def _resolve_colorscales(trace: dict[str, Any]) -> dict[str, Any]:
    """``trace`` with a named colour scale ("Viridis") written out as stops, as plotly's check would."""
    resolved = dict(trace)
    for key, value in trace.items():
        if key == "colorscale" and isinstance(value, str):
            resolved[key] = _named_colorscale(value)
        elif key == "marker" and isinstance(value, dict) and isinstance(value.get("colorscale"), str):
            resolved[key] = {**value, "colorscale": _named_colorscale(value["colorscale"])}
    return resolved


@lru_cache(maxsize=64)
def _grid_layout(rows: int, cols: int, titled: int, options: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    from plotly.subplots import make_subplots  # checked once per grid shape, then copied

    grid = make_subplots(rows=rows, cols=cols, subplot_titles=[_TITLE_MARK.format(k) for k in range(titled)],
                         **{key: list(value) if isinstance(value, tuple) else value for key, value in options})
    layout = grid.to_plotly_json()["layout"]
    layout.pop("template", None)  # plotly's default one: the figure takes the course's (see plain_figure)
    return layout


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``overrides`` in place, nested dicts merged key by key; returns ``base``."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


class Grid:
    """The layout of ``make_subplots(rows, cols, subplot_titles=titles, **options)``, as a dict to fill in.

    Cells are numbered as in plotly: the cell at ``(row, col)`` draws on axes ``x{n}``/``y{n}``
    with ``n = (row - 1) * cols + col`` (plain ``x``/``y`` for the first).
    """

    def __init__(self, rows: int, cols: int, titles: Sequence[str] = (), **options: Any) -> None:
        if rows < 1 or cols < 1:
            raise ValueError(f"Grid: rows and cols must be at least 1; got rows={rows!r}, cols={cols!r}")
        frozen = tuple(sorted((key, tuple(value) if isinstance(value, list) else value) for key, value in options.items()))
        self.rows, self.cols = rows, cols
        self.layout = copy.deepcopy(_grid_layout(rows, cols, len(titles), frozen))
        for annotation in self.layout.get("annotations", []):
            text = annotation.get("text", "")
            if text.startswith("\x00title "):
                annotation["text"] = titles[int(text.split()[-1])]

    def _number(self, row: int, col: int) -> str:
        if not (1 <= row <= self.rows and 1 <= col <= self.cols):
            raise ValueError(f"Grid: no cell ({row}, {col}) in a grid of {self.rows} rows and {self.cols} columns")
        n = (row - 1) * self.cols + col
        return "" if n == 1 else str(n)

    def axes(self, row: int, col: int) -> dict[str, str]:
        """The trace properties that put a trace in cell ``(row, col)``: ``{"xaxis": "x2", "yaxis": "y2"}``."""
        n = self._number(row, col)
        return {"xaxis": "x" + n, "yaxis": "y" + n}

    def xaxis(self, row: int, col: int) -> dict[str, Any]:
        """The layout's x axis of cell ``(row, col)``, to update in place."""
        return self.layout.setdefault("xaxis" + self._number(row, col), {})

    def yaxis(self, row: int, col: int) -> dict[str, Any]:
        """The layout's y axis of cell ``(row, col)``, to update in place."""
        return self.layout.setdefault("yaxis" + self._number(row, col), {})

    def fix_margins(self) -> None:
        """Axes that keep the figure's margins as given (set them wide enough for the tick labels and titles).

        By default plotly measures every tick label on each redraw and widens a margin that is too
        narrow, then draws again: in a live explorer whose axis ranges move with each frame, that cost
        the depth explorer a third of its redraw (Chromium: 61 ms a frame, 39 ms with fixed margins).
        """
        for row in range(1, self.rows + 1):
            for col in range(1, self.cols + 1):
                self.xaxis(row, col)["automargin"] = False
                self.yaxis(row, col)["automargin"] = False


class Panels:
    """Axes placed by hand, for a figure whose panels differ in size (one large panel, small ones around it).

    ``domains`` maps each panel's name to its ``(x_domain, y_domain)`` as fractions of the plotting
    area; ``titles`` puts a title above a panel, as ``make_subplots`` does. The first panel draws on
    axes ``x``/``y``, the next on ``x2``/``y2``, and so on. Margins stay as the figure sets them
    (no ``automargin``: see :meth:`Grid.fix_margins`).
    """

    TITLE_SIZE = 14

    def __init__(self, domains: dict[str, tuple[Sequence[float], Sequence[float]]],
                 titles: dict[str, str] | None = None) -> None:
        titles = titles or {}
        unknown = sorted(set(titles) - set(domains))
        if unknown:
            raise ValueError(f"Panels: titles name no panel: {', '.join(map(repr, unknown))}; the panels are {', '.join(domains)}")
        self._suffix: dict[str, str] = {}
        self.layout: dict[str, Any] = {"annotations": []}
        for n, (name, (x_domain, y_domain)) in enumerate(domains.items(), start=1):
            for axis, domain in (("x", x_domain), ("y", y_domain)):
                if len(domain) != 2 or not 0 <= domain[0] < domain[1] <= 1:
                    raise ValueError(f"Panels: the {axis} domain of panel {name!r} must be two fractions "
                                     f"0 <= start < end <= 1; got {list(domain)!r}")
            suffix = "" if n == 1 else str(n)
            self._suffix[name] = suffix
            self.layout["xaxis" + suffix] = {"domain": list(x_domain), "anchor": "y" + suffix, "automargin": False}
            self.layout["yaxis" + suffix] = {"domain": list(y_domain), "anchor": "x" + suffix, "automargin": False}
            if name in titles:
                self.layout["annotations"].append(dict(
                    text=titles[name], x=(x_domain[0] + x_domain[1]) / 2, y=y_domain[1], xref="paper", yref="paper",
                    xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=self.TITLE_SIZE)))

    def _of(self, name: str) -> str:
        if name not in self._suffix:
            raise ValueError(f"Panels: no panel {name!r}; the panels are {', '.join(self._suffix)}")
        return self._suffix[name]

    def axes(self, name: str) -> dict[str, str]:
        """The trace properties that put a trace in panel ``name``: ``{"xaxis": "x2", "yaxis": "y2"}``."""
        suffix = self._of(name)
        return {"xaxis": "x" + suffix, "yaxis": "y" + suffix}

    def refs(self, name: str) -> dict[str, str]:
        """The annotation properties that place an annotation in panel ``name``'s data coordinates."""
        suffix = self._of(name)
        return {"xref": "x" + suffix, "yref": "y" + suffix}

    def xaxis(self, name: str) -> dict[str, Any]:
        """The layout's x axis of panel ``name``, to update in place."""
        return self.layout["xaxis" + self._of(name)]

    def yaxis(self, name: str) -> dict[str, Any]:
        """The layout's y axis of panel ``name``, to update in place."""
        return self.layout["yaxis" + self._of(name)]

    def note(self, name: str, text: str) -> None:
        """A message in the middle of panel ``name`` (an empty panel says why it is empty)."""
        x_domain, y_domain = self.xaxis(name)["domain"], self.yaxis(name)["domain"]
        self.layout["annotations"].append(dict(
            text=text, x=(x_domain[0] + x_domain[1]) / 2, y=(y_domain[0] + y_domain[1]) / 2, xref="paper", yref="paper",
            xanchor="center", yanchor="middle", showarrow=False, font=dict(size=12, color="#444444"),
            bgcolor="rgba(255,255,255,0.85)"))


def decade_ticks(values: Any, most_labels: int = 8) -> dict[str, int]:
    """A log axis's tick settings for the positive finite ``values`` (None and NaN left out): none (plotly's own
    ticks, such as 2, 3, 5) when they span under 2 decades, where whole decades would leave one label or none;
    ``dtick`` 1 (every power of ten) up to ``most_labels`` decades; beyond, the smallest whole step that keeps at
    most that many steps, so that a blown-up run spanning 30 decades gets 10⁰, 10⁴, 10⁸ … and no stacked labels."""
    shown = np.asarray([v for v in np.ravel(np.asarray(values, dtype=object)) if v is not None], dtype=float)
    shown = shown[np.isfinite(shown) & (shown > 0)]
    if shown.size == 0:
        return {"dtick": 1}
    span = math.log10(shown.max()) - math.log10(shown.min())
    if span < 2:
        return {}
    return {"dtick": max(1, math.ceil(span / most_labels))}


def log_axis_values(values: Any) -> list[float | None]:
    """``values`` for a log axis: zeros, negative and non-finite numbers as gaps (None), not drawn as spikes."""
    return [float(v) if np.isfinite(v) and v > 0 else None for v in np.asarray(values, dtype=float)]


def heatmap_z(values: np.ndarray, decimals: int) -> np.ndarray | list:
    """A heatmap's ``z`` that JSON can carry: values rounded to ``decimals``, NaN and infinities as gaps (``None``)."""
    rounded = np.round(values, decimals)
    if np.isfinite(rounded).all():
        return rounded
    return np.where(np.isfinite(rounded), rounded, None).tolist()


def plain_figure(traces: Sequence[dict[str, Any]], layout: dict[str, Any] | None = None, **overrides: Any) -> go.Figure:
    """A ``go.Figure`` of ``traces`` (dicts with a ``type``) on the course's common layout,
    then ``layout``, then ``overrides`` (nested dicts merged), without plotly's per-property checks."""
    for k, trace in enumerate(traces):
        if not isinstance(trace, dict) or "type" not in trace:
            raise TypeError(f"plain_figure: trace {k} must be a dict with a 'type' (e.g. type='scatter'); got {trace!r:.80}")
    full = copy.deepcopy({key: value for key, value in BASE_LAYOUT.items() if key != "template"})
    merge(full, layout or {})
    merge(full, overrides)
    template = full.pop("template", BASE_LAYOUT.get("template"))
    if isinstance(template, str):
        template = _template(template)
    full["template"] = template
    return go.Figure(data=[_resolve_colorscales(trace) for trace in traces], layout=full, _validate=False)
