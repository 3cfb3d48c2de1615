"""The playground's network diagram: each neuron's map is its real output over the plane, each connection
is drawn with its weight's sign and size, and the explained weight is the one highlighted."""

from __future__ import annotations

import numpy as np
import pytest

from bplab import kernels
from bplab.explorers.network_diagram import (CELL, COLUMN_PITCH, MAP_POINTS, MAP_SIZE, NEGATIVE, POSITIVE, WIDTHS,
                                             diagram_traces, layer_maps, map_points, node_name)
from bplab.explorers.playground import Playground

AXES, REFS = {"xaxis": "x2", "yaxis": "y2"}, {"xref": "x2", "yref": "y2"}


def small_playground(**settings):
    return Playground(**{"epochs": 10, "hidden_layers": 2, "neurons": 3, **settings})


def segments(trace):
    """The (x0, y0, x1, y1) segments of a connections trace (runs separated by None)."""
    xs, ys = list(trace["x"]), list(trace["y"])
    return [(xs[k], ys[k], xs[k + 1], ys[k + 1]) for k in range(0, len(xs), 3)]


def test_the_map_points_cover_the_plane_top_row_first():
    points = map_points().reshape(MAP_POINTS, MAP_POINTS, 2)
    assert points[0, 0].tolist() == [-1.15, 1.15]  # top left: smallest x1, largest x2
    assert points[-1, -1].tolist() == [1.15, -1.15]
    assert np.all(np.diff(points[:, 0, 1]) < 0) and np.all(np.diff(points[0, :, 0]) > 0)


def test_every_map_is_the_neurons_output_on_the_grid():
    playground = small_playground(activation_2="relu")
    model = playground.state.run.model
    maps = layer_maps(model.layers, lambda h: kernels.softmax(h, axis=1))
    W1, b1 = model.layers[0].weight.data, model.layers[0].bias.data
    W2, b2 = model.layers[2].weight.data, model.layers[2].bias.data
    W3, b3 = model.layers[4].weight.data, model.layers[4].bias.data
    x = map_points()
    hidden_1 = np.tanh(x @ W1 + b1)
    hidden_2 = np.maximum(hidden_1 @ W2 + b2, 0)
    logits = hidden_2 @ W3 + b3
    expected = [x, hidden_1, hidden_2, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)]
    assert [c.shape for c in maps.columns] == [(10, 10, 2), (10, 10, 3), (10, 10, 3), (10, 10, 2)]
    for column, want in zip(maps.columns, expected):
        assert np.allclose(column.reshape(-1, column.shape[2]), want, rtol=0, atol=1e-12)
    assert [w.shape for w in maps.weights] == [(2, 3), (3, 3), (3, 2)]


def test_each_connection_has_its_weights_sign_and_size():
    maps = layer_maps(small_playground().state.run.model.layers, lambda h: kernels.softmax(h, axis=1))
    maps.weights[0][0, 0], maps.weights[0][1, 2] = 2.0, -0.1  # one thick positive, one thin negative
    traces, _, _, _ = diagram_traces(maps, AXES, REFS, ["inputs", "h1", "h2", "out"], ["#000", "#111"])
    lines = [t for t in traces if "weights, |w| <" in t["name"]]
    drawn = sum(len(segments(t)) for t in lines)
    assert drawn == 2 * 3 + 3 * 3 + 3 * 2  # every weight once
    sizes = [2, 3, 3, 2]

    def centre(column, k):  # the columns are centred on the tallest (3 neurons)
        return (3 - sizes[column]) / 2 + k + CELL + MAP_SIZE / 2

    for layer, weight in enumerate(maps.weights):
        for i in range(weight.shape[0]):
            for j in range(weight.shape[1]):
                segment = (layer * COLUMN_PITCH + MAP_SIZE, centre(layer, i), (layer + 1) * COLUMN_PITCH, centre(layer + 1, j))
                (trace,) = [t for t in lines if segment in segments(t)]
                value = weight[i, j]
                assert trace["line"]["color"] == (POSITIVE if value >= 0 else NEGATIVE)
                bound, width = next(b for b in WIDTHS if abs(value) < b[0])
                assert trace["line"]["width"] == width, (value, trace["line"])
    assert WIDTHS[-1][1] > WIDTHS[0][1]  # the thick one and the thin one really differ


def test_the_maps_are_stacked_one_heatmap_per_column_with_gaps():
    playground = small_playground(neurons=4)
    figure = playground.figure
    (hidden_1,) = [t for t in figure.data if t.name == "maps of hidden 1"]
    z = np.array([[np.nan if v is None else v for v in row] for row in hidden_1.z], dtype=float)
    assert z.shape == (4 * 12 - 2, MAP_POINTS)
    first_layer = playground.state.maps.columns[1]
    for k in range(4):
        assert np.allclose(z[12 * k:12 * k + 10], np.round(first_layer[:, :, k], 2))
        if k < 3:
            assert np.all(np.isnan(z[12 * k + 10:12 * k + 12]))  # the gap between two maps
    assert hidden_1.dx == hidden_1.dy == CELL and hidden_1.zmin == -1 and hidden_1.zmax == 1
    outputs = [t for t in figure.data if t.name and t.name.startswith("map of output")]
    assert len(outputs) == 2 and outputs[1].colorscale[-1][1] == "#E69F00"  # class 1 is orange, as in the regions


def test_the_explained_weight_is_highlighted_where_it_is():
    playground = small_playground(weight_layer=2, weight_from=3, weight_to=1)
    (highlight,) = [t for t in playground.figure.data if t.name == "the explained weight"]
    assert list(highlight.text) == ["", "<b>w</b>", ""]
    start, end = (highlight.x[0], highlight.y[0]), (highlight.x[-1], highlight.y[-1])
    assert start == (COLUMN_PITCH + MAP_SIZE, 2 + CELL + MAP_SIZE / 2)  # neuron 3 of hidden layer 1 (from 0: 2)
    assert end == (2 * COLUMN_PITCH, 0 + CELL + MAP_SIZE / 2)  # neuron 1 of hidden layer 2
    weight = playground.state.run.model.layers[2].weight.data[2, 0]
    assert highlight.line.color == (POSITIVE if weight >= 0 else NEGATIVE)


@pytest.mark.parametrize("column, k, columns, name", [
    (0, 0, 4, "x₁"), (0, 1, 4, "x₂"), (1, 2, 4, "neuron 3 of hidden layer 1"), (2, 0, 4, "neuron 1 of hidden layer 2"),
    (3, 1, 4, "output 2 (class 1)"),
])
def test_nodes_are_named_as_the_lesson_names_them(column, k, columns, name):
    assert node_name(column, k, columns) == name


def test_every_neuron_has_a_hover_name():
    figure = small_playground().figure
    (nodes,) = [t for t in figure.data if t.name == "neurons"]
    assert len(nodes.hovertext) == 2 + 3 + 3 + 2
    assert nodes.hovertext[2] == "neuron 1 of hidden layer 1: its output over the plane"


def test_the_mapped_neuron_is_framed_in_the_diagram():
    playground = small_playground(neuron=2)
    (frame,) = [t for t in playground.figure.data if t.name == "the mapped neuron"]
    top = 0 + 1 + CELL  # neuron 2 of 3 in the tallest column: its slot starts 1 below the first
    assert min(frame.x) == COLUMN_PITCH - CELL / 2 and max(frame.x) == COLUMN_PITCH + MAP_SIZE + CELL / 2
    assert min(frame.y) == top - CELL / 2 and max(frame.y) == top + MAP_SIZE + CELL / 2
    playground.update(neuron=3)
    (frame,) = [t for t in playground.figure.data if t.name == "the mapped neuron"]
    assert min(frame.y) == 2 + CELL - CELL / 2


def test_columns_and_inputs_are_named_in_full():
    from bplab.explorers.network_diagram import column_names

    assert column_names(["tanh", "relu"]) == ["inputs", "hidden 1<br>tanh", "hidden 2<br>relu", "outputs<br>P(class)"]
    assert [node_name(0, k, 4) for k in range(3)] == ["x₁", "x₂", "x₃"]  # a third input, should a dataset have one
    assert node_name(0, 11, 4) == "x₁₂"


def test_every_activation_is_a_column_and_the_last_linear_layer_feeds_the_outputs():
    from bplab import nn

    layers = [nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 2, seed=1)]
    maps = layer_maps(layers, lambda h: kernels.softmax(h, axis=1))
    assert [c.shape[2] for c in maps.columns] == [2, 3, 2] and len(maps.weights) == 2
