"""Level 3 explorers that stand on the engine alone: the graph stepper and the learning slowdown."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplab import compare
from bplab.explorers.graph_stepper import GraphStepper, local_derivatives
from bplab.explorers.slowdown import SlowdownExplorer, neuron_cost, train_neuron
from bplab.symbolic import build_graph, parse_values


# ------------------------------------------------------------------ the typed graph, as written

def test_build_graph_keeps_the_learners_operations():
    output, leaves = build_graph("(i*w - y)**2", {"i": 1.5, "w": 0.8, "y": 0.5})
    ops = [n.op.name for n in output.topological_order() if n.op is not None]
    assert ops == ["mul", "sub", "pow"]  # SymPy would have stored a - y as a + (-1)*y
    output.backward()
    assert leaves["w"].grad == pytest.approx(2.1)


def test_build_graph_refuses_what_parse_refuses_and_names_missing_values():
    with pytest.raises(ValueError, match="unknown function 'open'"):
        build_graph("open(x)", {"x": 1.0})
    with pytest.raises(ValueError, match=r"no value for y.*add y=\.\.\."):
        build_graph("x*y", {"x": 1.0})


def test_parse_values():
    assert parse_values("x=1.5, y = -2, t=pi/2") == pytest.approx({"x": 1.5, "y": -2.0, "t": np.pi / 2})
    for bad, message in [("x 1", "write name=number"), ("x=", "no number after"), ("x=y", "must be a number"),
                         ("_x=1", "write name=number"), ("x=open(1)", "unknown function")]:
        with pytest.raises(ValueError, match=message):
            parse_values(bad)


# ------------------------------------------------------------------ the stepper

def test_stepper_walks_forward_then_backward():
    stepper = GraphStepper()
    assert stepper.state.total == 3 + 6  # 3 operations; 6 nodes need a gradient (3 ops + i, w, y)
    stepper.update(step=1)
    assert "u = × of (i = 1.5, w = 0.8) = <b>1.2</b>" in stepper.status  # results named as the text names them
    stepper.update(step=6)
    assert "∂u/∂w = 1.5, so w receives 1.4 × 1.5 = 2.1" in stepper.status
    assert "a multiply gate swaps" in stepper.status  # CS231n's gate patterns, said where they happen
    labels = [text for trace in stepper.figure.data if trace.text for text in trace.text]
    assert sum("<b>u = ×</b>" in t for t in labels) == 1 and any("<b>f = ^</b>" in t or "<b>f = " in t for t in labels)
    stepper.update(step=9)
    assert "Done" in stepper.status and stepper.state.comparison.ok


def test_stepper_hides_what_is_not_computed_yet():
    stepper = GraphStepper(step=1)
    texts = " | ".join(stepper.figure.data[0].text)
    assert texts.count("value ?") == 2 and "grad 2.1" not in texts
    stepper.update(step=stepper.state.total)
    texts = " | ".join(stepper.figure.data[0].text)
    assert "?" not in texts and "grad 2.1" in texts


def test_stepper_slider_follows_the_formula():
    stepper = GraphStepper(formula="sigmoid(w*x + b)", values="w=2, x=0.5, b=-1", step=400)
    assert stepper.state.step == stepper.state.total == stepper.slider_limits(stepper.state)["step"]
    box = stepper.widget()
    assert stepper._widgets["step"].max == stepper.state.total
    stepper._widgets["formula"].value = "w*x"
    assert stepper._widgets["step"].max == stepper.state.total == 1 + 3
    assert stepper._error_widget.value == ""


def test_local_derivatives_are_the_vjp_of_one():
    output, leaves = build_graph("x*y", {"x": 3.0, "y": 5.0})
    assert [(p.name, d) for p, d in local_derivatives(output)] == [("x", 5.0), ("y", 3.0)]


# ------------------------------------------------------------------ learning slowdown

def test_cross_entropy_removes_the_sigma_prime_factor():
    from bplab import Value

    for cost, expected in [("quadratic", "(a - y) * s'(z)"), ("cross-entropy", "(a - y)")]:
        w, b = Value(2.0), Value(2.0)
        value, a = neuron_cost(w, b, cost)
        value.backward()
        prime = a * (1 - a)
        assert float(w.grad) == pytest.approx(a * prime if cost == "quadratic" else a), expected


def test_both_costs_three_ways():
    for cost in ("quadratic", "cross-entropy"):
        assert compare(lambda w, b: neuron_cost(w, b, cost)[0], at={"w": 2.0, "b": 2.0}).ok


def test_the_saturated_start_learns_slowly_under_the_quadratic_cost():
    explorer = SlowdownExplorer()
    quadratic, cross_entropy = explorer.state.outputs["quadratic"], explorer.state.outputs["cross-entropy"]
    assert quadratic[-1] > 0.5 > 0.05 > cross_entropy[-1]
    assert explorer.state.slopes["quadratic"][0] < explorer.state.slopes["cross-entropy"][0] / 20
    assert "σ′(z) = 0.0177" in explorer.status


def test_train_neuron_lengths():
    outputs, costs, slopes = train_neuron(0.0, 0.0, 0.1, 5, "quadratic")
    assert len(outputs) == len(costs) == len(slopes) == 6 and outputs[0] == pytest.approx(0.5)


@pytest.mark.parametrize("formula", ["relu(x)", "abs(x)"])
def test_stepper_treats_every_kink_alike(formula):
    stepper = GraphStepper(formula=formula, values="x=0")
    stepper.update(step=stepper.state.total)
    # relu's routes disagree at 0 (the finite difference says 0.5), abs's happen to agree (all 0): the lesson is the same
    assert "sits exactly on a kink" in stepper.status and "no slope" in stepper.status


def test_stepper_takes_a_new_formula_with_new_variables_in_one_go():
    stepper = GraphStepper()
    stepper.widget()
    stepper._widgets["formula"].value = "a*b + c"  # the values box still names i, w, y
    assert not stepper._error_widget.value, stepper._error_widget.value
    assert sorted(stepper.state.leaves) == ["a", "b", "c"]
    assert all(leaf.item() == 1.0 for leaf in stepper.state.leaves.values())
    assert "a, b, c had no value, so they start at 1" in stepper.status
    stepper._widgets["values"].value = "a=2, b=3, c=4"
    assert stepper.state.output.item() == 10.0 and "had no value" not in stepper.status


@pytest.mark.parametrize("formula, values, said", [
    ("log(x)", "x=0", "the logarithm needs a positive number"),
    ("1/x", "x=0", "divides by zero"),
    ("sqrt(x)", "x=-1", "square root .* of a negative number"),
    ("exp(x)", "x=1000", "overflows"),
    ("sqrt(x)", "x=0", "slope at x is infinite"),
])
def test_domain_errors_say_what_happened(formula, values, said):
    stepper = GraphStepper()
    stepper.widget()
    stepper._widgets["values"].value = values
    stepper._widgets["formula"].value = formula
    assert re.search(said, stepper._error_widget.value), stepper._error_widget.value
    assert "Could not update: </div>" not in stepper._error_widget.value


def test_a_shrinking_slider_limit_does_not_run_a_second_update():
    stepper = GraphStepper(step=9)
    stepper.widget()
    calls = []
    original = stepper.compute
    stepper.compute = lambda **params: calls.append(params) or original(**params)
    stepper._widgets["formula"].value = "i*w"  # 2 operations fewer: the step slider's max drops to 4
    assert len(calls) == 1
    assert stepper.params["step"] == stepper.state.step == 4 == stepper._widgets["step"].value


def test_a_variable_used_three_times_shows_its_three_shares():
    stepper = GraphStepper(formula="x*x + x", values="x=3", step=400)
    assert "∂f/∂x = 3 + 3 + 1 (from u, u, f: one share per use) = <b>7</b>" in stepper.status


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_neuron_cost_is_the_textbook_formula_away_from_the_defaults(cost):
    from bplab import Value

    w, b, x, y = 0.7, -0.2, 2.0, 0.25  # x and y not 1 and 0, so that w·x and a − y are what they say
    value, a = neuron_cost(Value(w), Value(b), cost, x=x, y=y)
    expected_a = 1 / (1 + math.exp(-(w * x + b)))
    expected = 0.5 * (expected_a - y) ** 2 if cost == "quadratic" else \
        -(y * math.log(expected_a) + (1 - y) * math.log(1 - expected_a))
    assert a == pytest.approx(expected_a, rel=1e-12) and value.item() == pytest.approx(expected, rel=1e-12)


def test_the_slowdown_explorer_keeps_each_costs_run():
    explorer = SlowdownExplorer(w0=1.5, b0=-0.5, rate=0.3, epochs=20)
    s = explorer.state
    assert s.z0 == pytest.approx(1.0)
    for cost in ("quadratic", "cross-entropy"):
        outputs, costs, slopes = train_neuron(1.5, -0.5, 0.3, 20, cost)
        np.testing.assert_array_equal(s.outputs[cost], outputs)
        np.testing.assert_array_equal(s.costs[cost], costs)
        np.testing.assert_array_equal(s.slopes[cost], slopes)
        # the target is 0: the costs are ½a² and −ln(1 − a) of the outputs
        expected = 0.5 * outputs**2 if cost == "quadratic" else -np.log1p(-outputs)
        np.testing.assert_allclose(costs, expected, rtol=1e-10)


def test_the_stepper_state_keeps_the_formula_and_highlights_nothing_before_the_first_step():
    stepper = GraphStepper(formula="x*y + x", values="x=2, y=3", step=0)
    assert stepper.state.formula == "x*y + x"
    known_values, known_grads, current = stepper._known(stepper.state)
    assert current is None and known_grads == set()
    assert known_values == {id(leaf) for leaf in stepper.state.leaves.values()}
    stepper.update(step=1)
    assert stepper._known(stepper.state)[2] is stepper.state.forward[0]
