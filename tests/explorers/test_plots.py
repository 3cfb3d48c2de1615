"""Figure builders: graphs drawn from bplab's own graph, loss curves that survive divergence."""

from __future__ import annotations

import numpy as np

from bplab import Value
from bplab.plots import PALETTE, graph_figure, graph_layout, loss_curve_figure


def one_weight_cost():
    w = Value(0.8, name="w")
    cost = (Value(1.5, name="i", requires_grad=False) * w - Value(0.5, name="y", requires_grad=False)) ** 2
    cost.backward()
    return w, cost


def test_graph_figure_labels_each_node_with_operation_value_and_gradient():
    w, cost = one_weight_cost()
    figure = graph_figure(cost)
    texts = list(figure.data[0].text)
    assert len(texts) == len(cost.topological_order()) == 7  # i, w, y, the constant 2, ×, −, ^
    joined = " | ".join(texts)
    assert "<b>w</b><br>value 0.8<br>grad 2.1" in joined
    assert "<b>×</b><br>value 1.2<br>grad 1.4" in joined
    assert "<b>^</b><br>value 0.49" in joined
    assert len(figure.layout.annotations) == 6  # one arrow per edge


def test_graph_layout_puts_inputs_left_of_outputs():
    w, cost = one_weight_cost()
    positions = graph_layout(cost)
    assert positions[id(w)][0] == 0.0
    assert positions[id(cost)][0] == max(x for x, _ in positions.values())


def test_graph_highlights_the_current_node():
    w, cost = one_weight_cost()
    colours = list(graph_figure(cost, highlight=w).data[0].marker.color)
    assert colours.count(PALETTE["orange"]) == 1


def test_loss_curve_leaves_out_non_finite_values():
    figure = loss_curve_figure({"train": [1.0, 0.5, np.inf, np.nan], "test": [1.2, 0.7, 0.6, 0.5]})
    assert len(figure.data) == 2
    assert np.isnan(figure.data[0].y[2]) and figure.layout.showlegend
