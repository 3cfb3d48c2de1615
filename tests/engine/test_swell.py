"""Expression swell (lesson 16): the counting rule, the three families, and backprop's linear count."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from bplab import Value
from bplab.engine import gradients
from bplab.swell import (
    backprop_count, build, cse_count, graph_operations, measure, operation_count, symbolic_derivatives,
)

x, y = sympy.symbols("x y", real=True)


def naive_tree_count(expr: sympy.Basic) -> int:
    """The counting rule written as plainly as possible (recursive, no memory): the reference."""
    if expr.is_Atom:
        return 0
    own = len(expr.args) - 1 if isinstance(expr, (sympy.Add, sympy.Mul)) else 1
    return own + sum(naive_tree_count(a) for a in expr.args)


# ---------------------------------------------------------------------------- the counting rule


@pytest.mark.parametrize("expr, tree, shared", [
    (x + y, 1, 1),
    (x * y * sympy.sin(x), 3, 3),  # two multiplications and a sine
    (sympy.sin(x) + sympy.sin(x) ** 2, 4, 3),  # sin, sin, power, sum as a tree; the sine once when shared
    (sympy.cos(x) * sympy.cos(sympy.sin(x)) * sympy.cos(sympy.sin(sympy.sin(x))), 8, 7),  # d/dx sin(sin(sin x))
])
def test_hand_counted_expressions(expr, tree, shared):
    assert operation_count(expr) == tree == naive_tree_count(expr)
    assert operation_count(expr, shared=True) == shared


def test_the_lessons_exercise_counts_eight_operations():
    _, [derivative] = symbolic_derivatives(*build("sin chain", 3))
    assert operation_count(derivative) == 8 and operation_count(derivative, shared=True) == 7


@st.composite
def expressions(draw, depth: int = 4) -> sympy.Expr:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from([x, y, sympy.Integer(2)]))
    kind = draw(st.sampled_from(["add", "mul", "pow", "sin", "tanh"]))
    left = draw(expressions(depth=depth - 1))
    if kind in ("sin", "tanh"):
        return getattr(sympy, kind)(left)
    if kind == "pow":
        return left ** 3
    right = draw(expressions(depth=depth - 1))
    return left + right if kind == "add" else left * right


@settings(max_examples=60, deadline=None)
@given(expressions(), expressions())
def test_the_fast_count_is_the_plain_recursive_count(first, second):
    for expr in (first, second, first * sympy.sin(first) + second):
        assert operation_count(expr) == naive_tree_count(expr)
        distinct = {node for node in sympy.preorder_traversal(expr)}
        assert operation_count(expr, shared=True) == sum(naive_tree_count(n) - sum(naive_tree_count(a) for a in n.args)
                                                         for n in distinct)
        assert operation_count(expr, shared=True) <= operation_count(expr)
    # several expressions: as trees each counts in full; shared, a part common to both counts once
    assert operation_count([first, second]) == naive_tree_count(first) + naive_tree_count(second)
    assert operation_count([first, first], shared=True) == operation_count(first, shared=True)


def test_cse_computes_a_repeated_part_once():
    part = sympy.tanh(x * y + 1)
    expr = part * sympy.sin(part) + part ** 2
    assert operation_count(expr) == 3 * 3 + 4  # the part (3 operations) three times, then ×, sin, power, +
    assert cse_count(expr) == 3 + 4
    replacements, reduced = sympy.cse([expr])
    assert sympy.simplify(reduced[0].subs(replacements[::-1]) - expr) == 0  # the CSE form computes the same


# ---------------------------------------------------------------------------- backprop's count


def test_a_shared_sub_expression_is_one_node_and_its_gradient_accumulates():
    a = Value(1.5, name="a")
    out = (a * a + a * a)  # two separate products, then their sum
    forward, total = backprop_count(out, [a])
    assert forward == 3
    shared_product = a * a
    doubled = shared_product + shared_product  # one product used twice
    assert backprop_count(doubled, [a])[0] == 2
    (g,) = gradients(doubled, [a])
    assert g == pytest.approx(4 * 1.5)


def test_graph_operations_count_each_node_once_and_leaves_not_at_all():
    a, b = Value(0.5, name="a"), Value(2.0, name="b")
    c = a * b
    assert graph_operations([c, c.sin(), c]) == 2


@pytest.mark.parametrize("depth", [1, 2, 5, 9])
def test_backprop_is_linear_in_depth(depth):
    # per step: sin chain 1 forward (sin) + 2 backward (cos, ×); logistic map 3 forward + 5 backward
    assert backprop_count(*build("sin chain", depth)) == (depth, 3 * depth)
    assert backprop_count(*build("logistic map", depth)) == (3 * depth, 8 * depth)


def test_the_swell_shapes_the_lesson_states():
    for depth in range(1, 9):
        sines, logistic = measure("sin chain", depth), measure("logistic map", depth)
        assert sines.tree == (depth * depth + 3 * depth) // 2 - 1  # quadratic: cos(s_k) holds the whole chain below
        assert sines.distinct == 3 * depth - 2  # shared, as cheap as backprop's 3 per step
        assert logistic.function_tree == 3 * 2 ** depth - 2  # ℓ appears twice in 4ℓ(1 − ℓ): the tree doubles
    deep = [measure("logistic map", d) for d in (8, 9, 10)]
    assert all(c.tree > 2 * b.tree for b, c in zip(deep, deep[1:]))  # the tree more than doubles a step
    assert all(c.after_cse - b.after_cse > c.backprop_total - b.backprop_total for b, c in zip(deep, deep[1:]))
    network = [measure("tanh network", d) for d in (2, 3, 4)]
    assert [c.backprop_total for c in network] == [39, 93, 147]  # 54 more a hidden layer of 3
    assert [c.tree for c in network] == [236, 2117, 12659]


def test_measurements_are_kept():
    assert measure("sin chain", 4) is measure("sin chain", 4)


# ---------------------------------------------------------------------------- three routes


def central_gradient(family: str, depth: int, step: float = 1e-6) -> np.ndarray:
    _, inputs = build(family, depth)
    return np.array([(_rerun(family, depth, k, step) - _rerun(family, depth, k, -step)) / (2 * step)
                     for k in range(len(inputs))])


def _rerun(family: str, depth: int, k: int, shift: float) -> float:
    """The family's output with input ``k`` moved by ``shift`` (built again: a graph records its inputs' values)."""
    if family == "tanh network":
        from bplab.swell import tanh_network

        loss, params = tanh_network(depth)
        values = [float(p.data) for p in params]
        values[k] += shift
        return _network_loss(depth, values)
    from bplab.swell import X0, logistic_map, sin_chain

    function = {"sin chain": sin_chain, "logistic map": logistic_map}[family]
    return float(function(Value(X0 + shift), depth).data)


def _network_loss(depth: int, values: list[float]) -> float:
    from bplab.swell import NETWORK_WIDTH

    it = iter(values)
    layer = [0.5]
    for level in range(1, depth + 1):
        outputs = 1 if level == depth else NETWORK_WIDTH
        new_layer = []
        for _ in range(outputs):
            z = next(it)
            for h in layer:
                z += next(it) * h
            new_layer.append(z if level == depth else np.tanh(z))
        layer = new_layer
    return (layer[0] - 1.0) ** 2


@pytest.mark.parametrize("family, depth", [("sin chain", 5), ("logistic map", 4), ("tanh network", 3)])
def test_sympy_backprop_and_central_differences_agree(family, depth):
    output, inputs = build(family, depth)
    backprop = np.array([float(g) for g in gradients(output, inputs)])
    expr, derivatives = symbolic_derivatives(output, inputs)
    leaves = {node.name: float(node.data) for node in output.topological_order() if node.is_leaf and node.name}
    at = {symbol: leaves[symbol.name] for symbol in expr.free_symbols}
    symbolic = np.array([float(d.subs(at)) for d in derivatives])
    numeric = central_gradient(family, depth)
    np.testing.assert_allclose(symbolic, backprop, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(numeric, backprop, rtol=1e-6, atol=1e-8)
    planted = backprop.copy()
    planted[0] *= 1.01  # a derivative 1% off must fail the same check
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(numeric, planted, rtol=1e-6, atol=1e-8)


def test_the_network_loss_rewritten_in_numpy_is_the_familys():
    loss, params = build("tanh network", 3)
    assert _network_loss(3, [float(p.data) for p in params]) == pytest.approx(float(loss.data), rel=1e-14)


# ---------------------------------------------------------------------------- bad input


def test_a_wrong_family_or_depth_says_what_is_expected():
    with pytest.raises(ValueError, match=r"family: expected one of 'sin chain', 'logistic map', 'tanh network', got 'sine'"):
        build("sine", 3)
    with pytest.raises(ValueError, match=r"depth: expected a whole number from 1 to 5 for the tanh network, got 9"):
        build("tanh network", 9)
    with pytest.raises(ValueError, match=r"depth: expected a whole number .* got 2.5"):
        build("sin chain", 2.5)
