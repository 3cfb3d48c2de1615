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


# ------------------------------------------------------------------ the layered layout: no edge through a box

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bplab.plots import BOX_HALF_HEIGHT, BOX_HALF_WIDTH, layered_graph, node_title  # noqa: E402


def boxes_crossed(output) -> list[str]:
    """Every (edge, box) pair where an edge's drawn path passes through a box that is not one of its ends."""
    positions, edges = layered_graph(output)
    nodes = output.topological_order()
    found = []
    for parent, child, bends in edges:
        path = [positions[id(parent)], *bends, positions[id(child)]]
        for (x0, y0), (x1, y1) in zip(path, path[1:]):
            for t in np.linspace(0, 1, 400):
                x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
                for node in nodes:
                    if node is parent or node is child:
                        continue
                    nx, ny = positions[id(node)]
                    if abs(x - nx) < BOX_HALF_WIDTH and abs(y - ny) < BOX_HALF_HEIGHT:
                        found.append(f"{node_title(parent)} -> {node_title(child)} crosses {node_title(node)}")
    return sorted(set(found))


def lesson_graphs():
    a, b, x, w = (Value(v, name=n) for v, n in ((2.0, "a"), (3.0, "b"), (0.5, "x"), (0.8, "w")))
    i, y = Value(1.5, name="i", requires_grad=False), Value(0.5, name="y", requires_grad=False)
    u = a * b
    return {
        "one weight": (i * w - y) ** 2,
        "shared product": ((u + a) * u).tanh() + a,
        "difference of squares": (a + b) * (a - b) + a,
        "logistic": (1 + (w * x).exp()).log() - y * w * x,
        "a + a": a + a,
    }


def test_no_edge_runs_through_a_box_in_the_lessons_graphs():
    for name, output in lesson_graphs().items():
        assert not boxes_crossed(output), (name, boxes_crossed(output))


def test_the_crossing_check_sees_a_planted_crossing():
    """Test the tester: the old layout (every leaf in column 0) sent y's edge through the × box."""
    w, cost = one_weight_cost()
    positions, edges = layered_graph(cost)
    y_leaf = next(n for n in cost.topological_order() if n.name == "y")
    times = next(n for n in cost.topological_order() if not n.is_leaf and n.op.label == "×")
    positions[id(y_leaf)] = (positions[id(times)][0] - 1, positions[id(times)][1])  # behind the × box, same row
    for parent, child, bends in edges:
        if parent is y_leaf:
            path = [positions[id(parent)], *bends, positions[id(child)]]
            (x0, y0), (x1, y1) = path[0], path[-1]
            xs, ys = np.linspace(x0, x1, 400), np.linspace(y0, y1, 400)
            tx, ty = positions[id(times)]
            assert np.any((np.abs(xs - tx) < BOX_HALF_WIDTH) & (np.abs(ys - ty) < BOX_HALF_HEIGHT))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.sampled_from(["+", "*", "-"])), min_size=1, max_size=10))
def test_no_edge_runs_through_a_box_in_random_graphs(steps):
    """Random graphs with shared sub-expressions (each operation takes any two earlier nodes)."""
    nodes = [Value(float(k + 1), name=name) for k, name in enumerate("abc")]
    for left, right, op in steps:
        p, q = nodes[left % len(nodes)], nodes[right % len(nodes)]
        nodes.append(p + q if op == "+" else p * q if op == "*" else p - q)
    assert not boxes_crossed(nodes[-1])


def test_the_figure_is_tall_enough_for_every_box_and_bend():
    """95 pixels a row: a column of three slots (one box, two bends) must not squeeze boxes of 78 pixels together."""
    a, b = Value(2.0, name="a"), Value(3.0, name="b")
    u = a * b
    out = ((u + a) * u).tanh() + a
    positions, edges = layered_graph(out)
    per_column: dict[float, int] = {}
    for x, _ in [*positions.values(), *(p for _, _, bends in edges for p in bends)]:
        per_column[x] = per_column.get(x, 0) + 1
    assert max(per_column.values()) == 3
    assert graph_figure(out).layout.height >= 95 * 3 + 120
