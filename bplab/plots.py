r"""Plotly figure builders for the course: pure functions from data to a ``go.Figure``.

No widgets here (explorers wrap these figures in a ``FigureWidget``). Colours come from the
Okabe-Ito palette, which stays distinguishable for colour-blind readers.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from bplab.engine import Value
from bplab.plain_figures import BASE_LAYOUT, Grid, plain_figure  # noqa: F401  (BASE_LAYOUT: public here too)

#: Okabe & Ito (2008): eight colours distinguishable with any common colour-vision deficiency.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
SEQUENCE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]



def base_layout(**overrides) -> dict:
    """The course's common layout, with ``overrides`` on top."""
    layout = dict(BASE_LAYOUT)
    layout.update(overrides)
    return layout


# ---------------------------------------------------------------------------- loss curves


def loss_curve_figure(
    losses: Sequence[float] | dict[str, Sequence[float]],
    title: str = "Loss during training",
    xaxis_title: str = "step",
    yaxis_title: str = "loss",
    log_y: bool = False,
    height: int = 360,
) -> go.Figure:
    """One line per named series of losses (a plain sequence is named "loss").

    Non-finite values (a run that diverged) are left out of the line, not drawn as spikes.
    """
    series = {"loss": losses} if not isinstance(losses, dict) else losses
    figure = go.Figure(layout=base_layout(
        title=title, height=height, xaxis_title=xaxis_title, yaxis_title=yaxis_title,
        yaxis_type="log" if log_y else "linear", legend=dict(orientation="h", y=-0.25),
        showlegend=len(series) > 1,
    ))
    for k, (name, values) in enumerate(series.items()):
        y = np.asarray(values, dtype=float)
        y = np.where(np.isfinite(y), y, np.nan)
        figure.add_trace(go.Scatter(
            x=np.arange(len(y)), y=y, mode="lines", name=name,
            line=dict(color=SEQUENCE[k % len(SEQUENCE)], width=2.5),
        ))
    return figure


# ---------------------------------------------------------------------------- computational graphs


def _describe(array: np.ndarray) -> str:
    array = np.asarray(array)
    if array.ndim == 0:
        return f"{float(array):.4g}"
    return f"shape {array.shape}, |·|={np.linalg.norm(array):.3g}"


def node_title(node: Value) -> str:
    """A node's label in the graph: a leaf's name, or its operation's label (``+``, ``×``, ``tanh`` ...)."""
    if node.is_leaf:
        if node.name is not None:
            return node.name
        return "constant" if not node.requires_grad else "input"
    return node.op.label


#: Half a node box's width and height in the graph's units (a column is 1 wide, a row 1 tall).
BOX_HALF_WIDTH, BOX_HALF_HEIGHT = 0.18, 0.4
EDGE_COLOUR = "grey"  # a neutral: the edges carry no category
#: Sweeps of the ordering heuristic (left to right, then right to left): enough for the course's graphs.
ORDERING_SWEEPS = 4


def _columns(order: list[Value]) -> dict[int, int]:
    """Each node's column: a result one right of its latest input; a leaf one left of its first use."""
    column: dict[int, int] = {}
    for node in order:
        column[id(node)] = 0 if node.is_leaf else 1 + max(column[id(p)] for p in node.parents)
    first_use: dict[int, int] = {}
    for node in order:
        for parent in node.parents:
            first_use[id(parent)] = min(first_use.get(id(parent), column[id(node)]), column[id(node)])
    for node in order:
        if node.is_leaf and id(node) in first_use:
            column[id(node)] = first_use[id(node)] - 1
    return column


def layered_graph(output: Value) -> tuple[dict[int, tuple[float, float]], list[tuple[Value, Value, list[tuple[float, float]]]]]:
    r"""A layered drawing of the graph that computed ``output`` (Sugiyama's method, simplified).

    Returns ``(positions, edges)``: ``positions[id(node)] = (column, row)`` and, for every edge
    ``(parent, child, bends)``, the points an edge that skips columns bends through. Such an edge gets
    a slot of its own in each column it crosses, so that it never runs through another node's box;
    the slots of each column are ordered by sweeps that place each near its neighbours (fewer crossings).
    """
    order = output.topological_order()
    column = _columns(order)
    slots: dict[int, list[Any]] = {}  # column -> the nodes and bend points in it, top to bottom
    for node in order:
        slots.setdefault(column[id(node)], []).append(node)
    edges: list[tuple[Value, Value, list[tuple[int, int]]]] = []  # bends as (column, index into that column's slots)
    before: dict[int, list[Any]] = {}  # id(slot) -> the slots it is joined to one column left
    after: dict[int, list[Any]] = {}
    for node in order:
        for parent in node.parents:
            previous, bends = parent, []
            for c in range(column[id(parent)] + 1, column[id(node)]):
                bend = _Bend(c)
                slots[c].append(bend)
                bends.append(bend)
                before.setdefault(id(bend), []).append(previous)
                after.setdefault(id(previous), []).append(bend)
                previous = bend
            before.setdefault(id(node), []).append(previous)
            after.setdefault(id(previous), []).append(node)
            edges.append((parent, node, bends))
    index = {id(item): k for items in slots.values() for k, item in enumerate(items)}

    def sort_column(c: int, neighbours: dict[int, list[Any]]) -> None:
        def key(item: Any) -> float:
            near = neighbours.get(id(item))
            return float(np.mean([index[id(n)] for n in near])) if near else float(index[id(item)])
        slots[c].sort(key=key)
        index.update({id(item): k for k, item in enumerate(slots[c])})

    for _ in range(ORDERING_SWEEPS):
        for c in sorted(slots)[1:]:
            sort_column(c, before)
        for c in sorted(slots, reverse=True)[1:]:
            sort_column(c, after)
    place: dict[int, tuple[float, float]] = {}
    for c, items in slots.items():
        for row, item in enumerate(items):
            place[id(item)] = (float(c), float((len(items) - 1) / 2 - row))
    positions = {id(node): place[id(node)] for node in order}
    return positions, [(parent, child, [place[id(b)] for b in bends]) for parent, child, bends in edges]


class _Bend:
    """A point an edge bends through in a column it crosses (a slot with no box)."""

    def __init__(self, column: int) -> None:
        self.column = column


def graph_layout(output: Value) -> dict[int, tuple[float, float]]:
    """Positions for each node, ``id(node) -> (column, row)``: inputs left, the output right (see :func:`layered_graph`)."""
    return layered_graph(output)[0]


def graph_figure(output: Value, title: str = "Computational graph", show_grad: bool = True,
                 highlight: Value | None = None, height: int | None = None,
                 known_values: set[int] | None = None, known_grads: set[int] | None = None,
                 names: dict[int, str] | None = None) -> go.Figure:
    r"""Draw the graph that computed ``output``: one box per node with its operation, value and gradient.

    Arrows run from inputs to outputs (the forward pass); gradients flow back along them. An edge that
    skips columns bends around the boxes in between. ``highlight`` marks one node (the graph stepper's
    current node). ``known_values`` and ``known_grads`` (sets of ``id(node)``) show "?" for what is not
    computed yet; None shows all. ``names`` (``id(node) -> name``) labels results as the text does,
    ``u = ×``. Plotly only, no Graphviz.
    """
    order = output.topological_order()
    positions, edges = layered_graph(output)
    all_y = [y for _, y in positions.values()] + [y for _, _, bends in edges for _, y in bends]
    slots_per_column: dict[float, int] = {}  # boxes and bends: each takes a row's height
    for x, _ in [*positions.values(), *(point for _, _, bends in edges for point in bends)]:
        slots_per_column[x] = slots_per_column.get(x, 0) + 1
    rows = max(slots_per_column.values())
    arrows, line_x, line_y = [], [], []
    for parent, child, bends in edges:
        (x0, y0), (x1, y1) = positions[id(parent)], positions[id(child)]
        start = (x0 + BOX_HALF_WIDTH, y0)
        if bends:  # a line from the parent's box through the bends; the arrow's head on the last stretch
            points = [start, *bends]
            line_x += [x for x, _ in points] + [None]
            line_y += [y for _, y in points] + [None]
            start = bends[-1]
        arrows.append(dict(x=x1 - BOX_HALF_WIDTH, y=y1, ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.5, arrowcolor=EDGE_COLOUR, text=""))
    xs, ys, texts, colours, hovers = [], [], [], [], []
    for node in order:
        x, y = positions[id(node)]
        xs.append(x)
        ys.append(y)
        value_known = known_values is None or id(node) in known_values
        label = node_title(node)
        if names is not None and not node.is_leaf:
            label = f"{names[id(node)]} = {label}"
        lines = [f"<b>{label}</b>", f"value {_describe(node.data) if value_known else '?'}"]
        if show_grad and node.requires_grad:
            grad_known = known_grads is None or id(node) in known_grads
            lines.append(f"grad {_describe(node.grad) if grad_known else '?'}")
        texts.append("<br>".join(lines))
        if node is highlight:
            colours.append(PALETTE["orange"])
        elif node.is_leaf:
            colours.append(PALETTE["sky"] if node.requires_grad else "#DDDDDD")
        else:
            colours.append("#FFFFFF")
        formula = node.op.formula if node.op is not None else ("a variable" if node.requires_grad else "a constant")
        hovers.append(f"{node_title(node)}: {formula}")
    traces = [
        dict(type="scatter", x=xs, y=ys, mode="markers+text", text=texts, textposition="middle center",
             marker=dict(symbol="square", size=[78] * len(xs), color=colours, line=dict(color="#333333", width=1.5)),
             hovertext=hovers, hoverinfo="text", textfont=dict(size=11), name="the graph's nodes"),
        dict(type="scatter", x=line_x, y=line_y, mode="lines", line=dict(color=EDGE_COLOUR, width=1.5), hoverinfo="skip",
             name="edges that skip a column"),
    ]
    return plain_figure(traces, dict(
        title=dict(text=title), showlegend=False, height=height or max(300, 95 * rows + 120), plot_bgcolor="white",
        xaxis=dict(visible=False, range=[-0.6, max(x for x, _ in positions.values()) + 0.6]),
        yaxis=dict(visible=False, range=[min(all_y) - 0.7, max(all_y) + 0.7]),
        annotations=arrows,
    ))


# ---------------------------------------------------------------------------- curves with a tangent


def function_with_tangent_figure(
    xs: np.ndarray, ys: np.ndarray, x0: float, y0: float, slope: float,
    title: str, xaxis_title: str = "x", yaxis_title: str = "f(x)", height: int = 380,
) -> go.Figure:
    """A curve, a point on it, and the tangent line of the given slope through that point."""
    span = (xs.max() - xs.min()) / 4
    tangent_x = np.array([x0 - span, x0 + span])
    traces = [
        dict(type="scatter", x=xs, y=ys, mode="lines", name="the curve", line=dict(color=PALETTE["blue"], width=3)),
        dict(type="scatter", x=tangent_x, y=y0 + slope * (tangent_x - x0), mode="lines", name=f"tangent, slope {slope:.3g}",
             line=dict(color=PALETTE["vermillion"], width=2.5, dash="dash")),
        dict(type="scatter", x=[x0], y=[y0], mode="markers", name="the point",
             marker=dict(color=PALETTE["orange"], size=14, line=dict(color="black", width=1))),
    ]
    return plain_figure(traces, dict(
        title=dict(text=title), height=height, xaxis=dict(title=dict(text=xaxis_title)),
        yaxis=dict(title=dict(text=yaxis_title), range=[float(ys.min()) - 0.1 * np.ptp(ys), float(ys.max()) + 0.1 * np.ptp(ys)]),
        legend=dict(orientation="h", y=-0.25),
    ))