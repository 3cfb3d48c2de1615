r"""The graph stepper: a typed formula becomes a graph; walk it forward, then backward, one node a step.

Forward, each operation computes its value from its inputs. Backward, in reverse order, each node
passes its gradient to its inputs, multiplied by the local derivative (the chain rule):
$\bar{x} \mathrel{+}= \bar{y}\,\partial y/\partial x$. At the end every variable holds
$\partial f/\partial x$, which SymPy's derivative and a finite difference confirm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from bplab.check import Comparison, compare
from bplab.engine import Value
from bplab.explorers.base import Explorer, FormulaBox, Slider, ValuesBox
from bplab.plots import graph_figure, node_title

MAX_STEPS = 400


@dataclass(frozen=True)
class StepperState:
    formula: str
    output: Value
    leaves: dict[str, Value]
    forward: list[Value]  # operations, in the order they are computed
    backward: list[Value]  # nodes that need a gradient, in the order the backward pass visits them
    step: int
    comparison: Comparison

    @property
    def total(self) -> int:
        return len(self.forward) + len(self.backward)


def local_derivatives(node: Value) -> list[tuple[Value, float]]:
    """For a scalar op node: each input needing a gradient, with the local derivative d node / d input."""
    if node.op is None:
        return []
    arrays = [p.data for p in node.parents]
    result = []
    for k, parent in enumerate(node.parents):
        if parent.requires_grad:
            one = np.ones_like(node.data)
            result.append((parent, float(node.op.vjps[k](one, node.data, *arrays, **node.params))))
    return result


@functools.lru_cache(maxsize=32)
def analyse(formula: str, values: str) -> tuple[Value, dict[str, Value], list[Value], list[Value], Comparison]:
    """The graph after its backward pass, the forward and backward visiting orders, and the three-way check.

    Cached: moving the step slider only changes which of these is shown.
    """
    from bplab.symbolic import build_graph, parse, parse_values

    numbers = parse_values(values)
    output, leaves = build_graph(formula, numbers)
    output.backward()
    order = output.topological_order()
    forward = [n for n in order if n.op is not None]
    backward = [n for n in reversed(order) if n.requires_grad]
    comparison = compare(parse(formula), at={name: numbers[name] for name in leaves})
    return output, leaves, forward, backward, comparison


def contributions(output: Value, node: Value) -> list[tuple[Value, float]]:
    """Each use of ``node``: the node that uses it, and the gradient share it sends back (ȳ · ∂y/∂node)."""
    shares = []
    for user in output.topological_order():
        for parent, local in local_derivatives(user):
            if parent is node:
                shares.append((user, float(user.grad) * local))
    return shares


class GraphStepper(Explorer):
    """``GraphStepper(formula="(i*w - y)**2", values="i=1.5, w=0.8, y=0.5", step=0)``."""

    title = "Step through the graph: forward, then backward"
    controls = {
        "formula": FormulaBox("formula f ="),
        "values": ValuesBox("values"),
        "step": Slider("step", 0, MAX_STEPS, integer=True),
    }
    defaults = {"formula": "(i*w - y)**2", "values": "i=1.5, w=0.8, y=0.5", "step": 0}

    def compute(self, formula: str, values: str, step: int) -> StepperState:
        output, leaves, forward, backward, comparison = analyse(formula, values)
        return StepperState(formula, output, leaves, forward, backward, min(step, len(forward) + len(backward)), comparison)

    def slider_limits(self, state: StepperState | None) -> dict[str, float]:
        return {} if state is None else {"step": state.total}

    def _known(self, s: StepperState) -> tuple[set[int], set[int], Value | None]:
        leaves = {id(n) for n in s.output.topological_order() if n.op is None}
        done_forward = s.forward[: min(s.step, len(s.forward))]
        done_backward = s.backward[: max(0, s.step - len(s.forward))]
        current = None
        if s.step:
            current = done_backward[-1] if done_backward else done_forward[-1]
        return leaves | {id(n) for n in done_forward}, {id(n) for n in done_backward}, current

    def draw(self, s: StepperState) -> go.Figure:
        known_values, known_grads, current = self._known(s)
        phase = "forward" if s.step <= len(s.forward) else "backward"
        title = f"f = {s.formula}: step {s.step} of {s.total}" + ("" if s.step == 0 else f" ({phase})")
        return graph_figure(s.output, title=title, highlight=current, known_values=known_values, known_grads=known_grads)

    def describe(self, s: StepperState) -> str:
        _, _, current = self._known(s)
        if s.step == 0:
            return (f"The graph has {len(s.forward)} operations. Move <b>step</b> to the right: first the forward pass "
                    f"computes each value, then the backward pass sends gradients back ({s.total} steps in all).")
        if s.step <= len(s.forward):
            inputs = ", ".join(f"{node_title(p)} = {float(p.data):.4g}" for p in current.parents)
            return f"<b>Forward:</b> {node_title(current)} of ({inputs}) gives <b>{float(current.data):.6g}</b>."
        if current.op is None:
            received = contributions(s.output, current)
            sum_text = " + ".join(f"{v:.4g}" for _, v in received).replace("+ -", "− ")
            if len(received) > 1:  # a variable used more than once: its gradient is the sum over its uses ("+=")
                sum_text = (f"{sum_text} (from {', '.join(node_title(n) for n, _ in received)}: one share per use) = ")
            else:
                sum_text = ""
            text = (f"<b>Backward:</b> {node_title(current)} has collected all its gradient: "
                    f"∂f/∂{node_title(current)} = {sum_text}<b>{float(current.grad):.6g}</b>.")
            if s.step == s.total and s.comparison.ok:
                text += (f" Done. Check: SymPy and a finite difference agree with backprop to "
                         f"{s.comparison.max_rel_error:.1e} (relative error).")
            elif s.step == s.total:
                text += (f" Done. Check: SymPy, backprop and a finite difference <b>disagree</b> (relative error "
                         f"{s.comparison.max_rel_error:.1e}): at a kink, like relu's or abs's at 0, there is no slope; "
                         "the finite difference averages the two sides while backprop takes one of them.")
            return text
        parts = [f"∂{node_title(current)}/∂{node_title(p)} = {d:.4g}, so {node_title(p)} receives "
                 f"{float(current.grad):.4g} × {d:.4g} = {float(current.grad) * d:.4g}" for p, d in local_derivatives(current)]
        start = "<b>Backward starts</b> at the output, with df/df = 1." if current is s.output else (
            f"<b>Backward:</b> {node_title(current)} holds gradient {float(current.grad):.6g}.")
        return f"{start} Local derivatives: " + "; ".join(parts) + "."
