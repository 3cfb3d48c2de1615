r"""Plotly figure builders for the course: pure functions from data to a ``go.Figure``.

No widgets here (explorers wrap these figures in a ``FigureWidget``). Colours come from the
Okabe-Ito palette, which stays distinguishable for colour-blind readers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from bplab.engine import Value

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

BASE_LAYOUT = dict(
    template="plotly_white",
    font=dict(family="DejaVu Sans, Arial, sans-serif", size=13),
    margin=dict(l=60, r=20, t=50, b=50),
    colorway=SEQUENCE,
)


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


def graph_layout(output: Value) -> dict[int, tuple[float, float]]:
    """Positions for each node: columns by depth (leaves left, output right), rows by parents' rows."""
    order = output.topological_order()
    depth: dict[int, int] = {}
    for node in order:
        depth[id(node)] = 0 if node.is_leaf else 1 + max(depth[id(p)] for p in node.parents)
    columns: dict[int, list[Value]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    positions: dict[int, tuple[float, float]] = {}
    for column in sorted(columns):
        nodes = columns[column]
        if column > 0:  # place each node near its parents: fewer crossing edges
            nodes.sort(key=lambda n: np.mean([positions[id(p)][1] for p in n.parents]))
        count = len(nodes)
        for row, node in enumerate(nodes):
            positions[id(node)] = (float(column), float((count - 1) / 2 - row))
    return positions


def graph_figure(output: Value, title: str = "Computational graph", show_grad: bool = True,
                 highlight: Value | None = None, height: int | None = None,
                 known_values: set[int] | None = None, known_grads: set[int] | None = None,
                 names: dict[int, str] | None = None) -> go.Figure:
    r"""Draw the graph that computed ``output``: one box per node with its operation, value and gradient.

    Arrows run from inputs to outputs (the forward pass); gradients flow back along them.
    ``highlight`` marks one node (the graph stepper's current node). ``known_values`` and
    ``known_grads`` (sets of ``id(node)``) show "?" for what is not computed yet; None shows all.
    ``names`` (``id(node) -> name``) labels results as the text does, ``u = ×``. Plotly only, no Graphviz.
    """
    order = output.topological_order()
    positions = graph_layout(output)
    figure = go.Figure(layout=base_layout(
        title=title, showlegend=False, height=height or max(300, 95 * _max_rows(positions) + 120),
        xaxis=dict(visible=False, range=[-0.6, max(x for x, _ in positions.values()) + 0.6]),
        yaxis=dict(visible=False, range=[min(y for _, y in positions.values()) - 0.7, max(y for _, y in positions.values()) + 0.7]),
        plot_bgcolor="white",
    ))
    for node in order:
        x1, y1 = positions[id(node)]
        for parent in node.parents:
            x0, y0 = positions[id(parent)]
            figure.add_annotation(
                x=x1 - 0.18, y=y1, ax=x0 + 0.18, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.5, arrowcolor="#888888", text="",
            )
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
    figure.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=texts, textposition="middle center",
        marker=dict(symbol="square", size=[78] * len(xs), color=colours, line=dict(color="#333333", width=1.5)),
        hovertext=hovers, hoverinfo="text", textfont=dict(size=11),
    ))
    return figure


def _max_rows(positions: dict[int, tuple[float, float]]) -> int:
    counts: dict[float, int] = {}
    for x, _ in positions.values():
        counts[x] = counts.get(x, 0) + 1
    return max(counts.values())


# ---------------------------------------------------------------------------- curves with a tangent


def function_with_tangent_figure(
    xs: np.ndarray, ys: np.ndarray, x0: float, y0: float, slope: float,
    title: str, xaxis_title: str = "x", yaxis_title: str = "f(x)", height: int = 380,
) -> go.Figure:
    """A curve, a point on it, and the tangent line of the given slope through that point."""
    span = (xs.max() - xs.min()) / 4
    tangent_x = np.array([x0 - span, x0 + span])
    figure = go.Figure(layout=base_layout(
        title=title, height=height, xaxis_title=xaxis_title, yaxis_title=yaxis_title,
        yaxis=dict(range=[float(ys.min()) - 0.1 * np.ptp(ys), float(ys.max()) + 0.1 * np.ptp(ys)]),
        legend=dict(orientation="h", y=-0.25),
    ))
    figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="the curve", line=dict(color=PALETTE["blue"], width=3)))
    figure.add_trace(go.Scatter(
        x=tangent_x, y=y0 + slope * (tangent_x - x0), mode="lines", name=f"tangent, slope {slope:.3g}",
        line=dict(color=PALETTE["vermillion"], width=2.5, dash="dash"),
    ))
    figure.add_trace(go.Scatter(
        x=[x0], y=[y0], mode="markers", name="the point", marker=dict(color=PALETTE["orange"], size=14, line=dict(color="black", width=1)),
    ))
    return figure
