r"""A small network drawn as TensorFlow Playground draws it: each neuron a small map of its output
over the plane, each connection coloured by its weight's sign and thickened by its size.

The diagram is columns of maps, left to right: the two inputs ($x_1$, $x_2$), each hidden layer,
the outputs. A neuron's map shows what it computes at every point of the plane, so a learner sees
the first layer cut the plane with lines and the later layers combine them. :func:`layer_maps`
computes the maps (one forward pass over a coarse grid, recording every layer's output);
:func:`diagram_traces` lays them out on one pair of axes.

Every column is one heatmap, its maps stacked with empty rows between them, given as a start and a
step (``x0``/``dx``): a few thousand numbers for the whole network, whatever its size. The
connections are at most eight line traces (two signs times four widths), each a run of segments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from bplab.engine import no_grad
from bplab.plain_figures import heatmap_z
from bplab.plots import PALETTE

MAP_POINTS = 10  # grid points per side of a neuron's map
CELL = 1 / 12  # one map cell in the diagram's units: a neuron's slot is 12 cells high, 10 of map and 2 of gap
MAP_SIZE = MAP_POINTS * CELL
COLUMN_PITCH = 3.0  # from one column of maps to the next: room for the connections
PLANE = 1.15  # the maps cover [-PLANE, PLANE]², as the decision regions do
#: A weight of size below each bound is drawn this many pixels wide (TensorFlow Playground's
#: thickness, in four steps so that a whole layer of connections is a few traces).
WIDTHS = ((0.25, 0.6), (0.75, 1.6), (1.5, 3.0), (math.inf, 4.6))
POSITIVE, NEGATIVE = PALETTE["orange"], PALETTE["blue"]  # as the maps (and TensorFlow Playground): orange +, blue -
#: The maps' colours: -1 blue, 0 white, +1 orange (values beyond the range show as its ends).
DIVERGING = [[0.0, "#0072B2"], [0.25, "#7FB8DA"], [0.5, "#F7F7F7"], [0.75, "#F1A340"], [1.0, "#B35806"]]


@dataclass(frozen=True)
class LayerMaps:
    """Every neuron's output over the plane: ``columns[c]`` is ``(MAP_POINTS, MAP_POINTS, nodes)``, row 0
    at the top of the plane (the largest x₂), column 0 at its left (the smallest x₁).

    ``columns[0]`` holds the inputs x₁ and x₂, the last the output probabilities, those between the
    hidden layers' activations. ``weights[l]`` is the ``(fan_in, fan_out)`` matrix from column ``l``
    to column ``l + 1``."""

    columns: list[np.ndarray]
    weights: list[np.ndarray]


def map_points() -> np.ndarray:
    """The grid the maps are computed on, ``(MAP_POINTS², 2)``, in image order (top row first)."""
    axis = np.linspace(-PLANE, PLANE, MAP_POINTS)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.stack([x1, x2], axis=-1).reshape(MAP_POINTS * MAP_POINTS, 2)


def layer_maps(layers: Sequence[Any], probabilities: Any) -> LayerMaps:
    """Run ``layers`` (linear layers, each but the last followed by an activation) on :func:`map_points`,
    keeping each activation's output; ``probabilities(logits)`` turns the last (linear) layer's output into
    the outputs' column."""
    points = map_points()
    columns, weights = [points], []
    h = points
    with no_grad():
        for layer in layers:
            h = layer(h).data
            weight = getattr(layer, "weight", None)
            if weight is not None:
                weights.append(weight.data)
            else:  # an activation: a hidden column (the last layer is linear)
                columns.append(h)
    columns.append(probabilities(h))
    shape = (MAP_POINTS, MAP_POINTS)
    return LayerMaps([c.reshape(*shape, c.shape[1]) for c in columns], weights)


def _slot_top(nodes: int, tallest: int, k: int) -> float:
    """The top of node ``k``'s map in a column of ``nodes``, the columns centred on the tallest."""
    return (tallest - nodes) / 2 + k + CELL


def _centre(nodes: int, tallest: int, k: int) -> float:
    return _slot_top(nodes, tallest, k) + MAP_SIZE / 2


def _stacked(maps: np.ndarray, decimals: int = 2) -> np.ndarray | list:
    """A column's maps ``(P, P, nodes)`` as one heatmap's rows: each map, then two empty rows between maps."""
    gap = np.full((2, MAP_POINTS), np.nan)
    rows = np.concatenate([part for k in range(maps.shape[2]) for part in ((gap,) if k else ()) + (maps[:, :, k],)])
    return heatmap_z(rows, decimals)  # empty rows and NaN (a blown-up run) as gaps


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def column_names(hidden_activations: Sequence[str]) -> list[str]:
    return ["inputs", *(f"hidden {k}<br>{name}" for k, name in enumerate(hidden_activations, start=1)), "outputs<br>P(class)"]


def node_name(column: int, k: int, columns: int) -> str:
    """How the lesson names node ``k`` (from 0) of column ``column``: x₁, neuron 3 of hidden layer 2, output 1."""
    if column == 0:
        return "x" + str(k + 1).translate(_SUBSCRIPTS)
    if column == columns - 1:
        return f"output {k + 1} (class {k})"
    return f"neuron {k + 1} of hidden layer {column}"


def diagram_traces(maps: LayerMaps, axes: dict[str, str], refs: dict[str, str], names: Sequence[str],
                   output_colours: Sequence[str], chosen: tuple[int, int, int] | None = None,
                   hidden_ranges: Sequence[tuple[float, float]] = (), outlined: tuple[int, int] | None = None
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[float], list[float]]:
    """The diagram's traces and annotations, and the x and y ranges that show it (the y axis runs down).

    ``chosen = (layer, i, j)`` (from 0) highlights the weight from node ``i`` of column ``layer`` to
    node ``j`` of the next column, labelled w. ``hidden_ranges[k]`` is the value range coloured purple to orange
    in hidden layer ``k + 1`` (default -1 to 1; a sigmoid layer's outputs lie in 0 to 1, white at 0.5).
    ``outlined = (column, k)`` draws a frame around that node's map (the neuron shown large elsewhere).
    """
    sizes = [c.shape[2] for c in maps.columns]
    tallest = max(sizes)
    last = len(sizes) - 1
    traces: list[dict[str, Any]] = []
    on_top: list[dict[str, Any]] = []
    if chosen is not None:  # drawn over the connections: a yellow halo, then the weight in its own colour, labelled w
        layer, i, j = chosen
        value = maps.weights[layer][i, j]
        x_from, x_to = layer * COLUMN_PITCH + MAP_SIZE, (layer + 1) * COLUMN_PITCH
        y_from, y_to = _centre(sizes[layer], tallest, i), _centre(sizes[layer + 1], tallest, j)
        xs, ys = [x_from, (x_from + x_to) / 2, x_to], [y_from, (y_from + y_to) / 2, y_to]
        on_top.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=PALETTE["yellow"], width=10),
                           name="the explained weight (halo)", hoverinfo="skip", showlegend=False, **axes))
        on_top.append(dict(type="scatter", x=xs, y=ys, mode="lines+text", text=["", "<b>w</b>", ""], textposition="top center",
                           textfont=dict(size=15, color="black"), hoverinfo="skip", showlegend=False,
                           line=dict(color=POSITIVE if value >= 0 else NEGATIVE, width=3), name="the explained weight", **axes))
    segments: dict[tuple[bool, int], tuple[list, list]] = {(sign, w): ([], []) for sign in (True, False) for w in range(len(WIDTHS))}
    for layer, weight in enumerate(maps.weights):
        x_from, x_to = layer * COLUMN_PITCH + MAP_SIZE, (layer + 1) * COLUMN_PITCH
        for i in range(weight.shape[0]):
            for j in range(weight.shape[1]):
                value = weight[i, j]
                if not math.isfinite(value):
                    continue
                width = next(k for k, (bound, _) in enumerate(WIDTHS) if abs(value) < bound)
                xs, ys = segments[(value >= 0, width)]
                xs += [x_from, x_to, None]
                ys += [_centre(sizes[layer], tallest, i), _centre(sizes[layer + 1], tallest, j), None]
    for (positive, width), (xs, ys) in segments.items():
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False, opacity=0.8,
                           name=f"{'positive' if positive else 'negative'} weights, |w| < {WIDTHS[width][0]:g}",
                           line=dict(color=POSITIVE if positive else NEGATIVE, width=WIDTHS[width][1]), **axes))
    traces += on_top
    for column, values in enumerate(maps.columns):
        x0 = column * COLUMN_PITCH + CELL / 2
        y0 = _slot_top(sizes[column], tallest, 0) + CELL / 2
        if column < last:
            low, high = hidden_ranges[column - 1] if 0 < column <= len(hidden_ranges) else (-1.0, 1.0)
            traces.append(dict(type="heatmap", x0=x0, dx=CELL, y0=y0, dy=CELL, z=_stacked(values),
                               zmin=low, zmax=high, colorscale=DIVERGING, showscale=False, hoverinfo="skip",
                               name=f"maps of {names[column].split('<br>')[0]}", **axes))
        else:  # each output its class's colour, from white (probability 0) to full (1)
            for k in range(sizes[column]):
                traces.append(dict(type="heatmap", x0=x0, dx=CELL, y0=_slot_top(sizes[column], tallest, k) + CELL / 2,
                                   dy=CELL, z=_stacked(values[:, :, k:k + 1]), zmin=0, zmax=1, showscale=False,
                                   colorscale=[[0.0, "#FFFFFF"], [1.0, output_colours[k]]], hoverinfo="skip",
                                   name=f"map of output {k + 1}", **axes))
    if outlined is not None:
        column, k = outlined
        left, top, pad = column * COLUMN_PITCH, _slot_top(sizes[column], tallest, k), CELL / 2
        xs = [left - pad, left + MAP_SIZE + pad, left + MAP_SIZE + pad, left - pad, left - pad]
        ys = [top - pad, top - pad, top + MAP_SIZE + pad, top + MAP_SIZE + pad, top - pad]
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=PALETTE["black"], width=1.5),
                           hoverinfo="skip", showlegend=False, name="the mapped neuron", **axes))
    centres_x = [column * COLUMN_PITCH + MAP_SIZE / 2 for column, n in enumerate(sizes) for _ in range(n)]
    centres_y = [_centre(n, tallest, k) for n in sizes for k in range(n)]
    hover = [f"{node_name(column, k, len(sizes))}: its output over the plane" for column, n in enumerate(sizes) for k in range(n)]
    traces.append(dict(type="scatter", x=centres_x, y=centres_y, mode="markers", marker=dict(size=14, opacity=0),
                       hovertext=hover, hoverinfo="text", showlegend=False, name="neurons", **axes))
    # the column names sit just above the panel (the caller's y axis shrinks toward its top: constraintoward="top")
    annotations = [dict(text=name, x=column * COLUMN_PITCH + MAP_SIZE / 2, y=1.0, xanchor="center", yanchor="bottom",
                        showarrow=False, font=dict(size=11), xref=refs["xref"], yref=refs["yref"] + " domain")
                   for column, name in enumerate(names)]
    annotations += [dict(text=node_name(0, k, len(sizes)), x=-0.12, y=_centre(sizes[0], tallest, k), xanchor="right",
                         yanchor="middle", showarrow=False, font=dict(size=12), **refs) for k in range(sizes[0])]
    x_range = [-0.7, last * COLUMN_PITCH + MAP_SIZE + 0.2]
    y_range = [tallest + 0.05, -0.05]  # reversed: the first neuron at the top
    return traces, annotations, x_range, y_range
