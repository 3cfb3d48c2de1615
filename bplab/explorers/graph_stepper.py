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
DEFAULT_VALUE = 1.0  # what a variable the values box does not mention starts at
INTERMEDIATE_NAMES = "uvwpqrstabcdeghjklmnoz"  # the text's names for intermediate results: u, v, w, ...
KINKS = {"abs": 0.0, "relu": 0.0, "step": 0.0, "sign": 0.0}  # where these have no slope

#: CS231n's gate patterns: what each kind of node does to the gradient on its way back.
GATE_PATTERNS = {
    "add": "an add gate distributes: each input gets the gradient unchanged",
    "sub": "a subtract gate distributes, the second input with a minus sign",
    "mul": "a multiply gate swaps: each input gets the gradient times the other input",
    "max": "a max gate routes: the larger input gets all the gradient, the other none",
}


@dataclass(frozen=True)
class StepperState:
    formula: str
    output: Value
    leaves: dict[str, Value]
    forward: list[Value]  # operations, in the order they are computed
    backward: list[Value]  # nodes that need a gradient, in the order the backward pass visits them
    step: int
    comparison: Comparison
    names: dict[int, str]  # each node's name in the text: its variable, or u, v, w ... for results, f for the output
    defaulted: tuple[str, ...] = ()  # variables the values box did not give, set to DEFAULT_VALUE

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
            # Mutation testing leaves two changes here that give the same numbers: the stepper's formulas are
            # scalars (np.ones_like(None) is an object 1, which float() reads as 1.0) of ops that take no
            # params (leaving out **node.params changes nothing). Both are kept for any graph's correctness.
            one = np.ones_like(node.data)
            result.append((parent, float(node.op.vjps[k](one, node.data, *arrays, **node.params))))
    return result


def node_names(output: Value) -> dict[int, str]:
    """Names as the text gives them: a variable keeps its own, results are u, v, w ... in the order they are
    computed (skipping the formula's variable names), and the output is f."""
    order = output.topological_order()
    taken = {n.name for n in order if n.op is None and n.name}
    free = [c for c in INTERMEDIATE_NAMES if c not in taken] + [f"u{k}" for k in range(1, MAX_STEPS)]
    names: dict[int, str] = {}
    for node in order:
        if node.op is None:
            names[id(node)] = node_title(node)
        elif node is output:
            names[id(node)] = "f"
        else:
            names[id(node)] = free.pop(0)
    return names


def _number(x: float) -> str:
    return f"{x:.4g}".replace("-", "−")


def domain_problem(output: Value, names: dict[int, str]) -> str | None:
    """What went wrong where a value or a gradient stops being a finite number, said in the lesson's words."""
    for node in output.topological_order():
        if node.op is None or np.all(np.isfinite(node.data)):
            continue
        inputs = [float(p.data) for p in node.parents]
        name, op = names[id(node)], node.op.name
        if op == "log":
            return (f"{name} = log({_number(inputs[0])}): the logarithm needs a positive number "
                    "(log 0 is −∞, and a negative number has no real logarithm). Choose a positive value.")
        if op == "div" and inputs[1] == 0:
            return f"{name} divides by zero (the divisor is 0 here). Choose values that keep it away from 0."
        if op == "pow" and inputs[0] < 0 and not float(inputs[1]).is_integer():
            return (f"{name} = ({_number(inputs[0])})^{_number(inputs[1])}: a square root (or other fractional power) "
                    "of a negative number is not a real number. Choose a positive value.")
        if op == "pow" and inputs[0] == 0 and inputs[1] < 0:
            return f"{name} = 0^{_number(inputs[1])}: a negative power of 0 divides by zero. Choose a value that is not 0."
        if op in ("exp", "cosh", "sinh") or np.any(np.isinf(node.data)):
            return (f"{name} = {node.op.label}(…) overflows: the result is larger than the largest number a computer "
                    "float holds (about 1.8 × 10³⁰⁸). Choose smaller values.")
        return f"{name} = {node.op.label} of ({', '.join(map(_number, inputs))}) is not a number. Choose other values."
    for node in output.topological_order():
        if node.requires_grad and not np.all(np.isfinite(node.grad)):
            return (f"The values are fine, but the slope at {names[id(node)]} is infinite (like √x at x = 0, which "
                    "is vertical there): backprop has no finite gradient to send. Choose values away from that point.")
    return None


def kinks_hit(output: Value, names: dict[int, str]) -> list[str]:
    """The nodes evaluated exactly at a kink (abs or relu at 0), where there is no slope."""
    return [f"{names[id(n)]} = {n.op.label}({_number(float(n.parents[0].data))})" for n in output.topological_order()
            if n.op is not None and n.op.name in KINKS and float(n.parents[0].data) == KINKS[n.op.name]]


@functools.lru_cache(maxsize=32)
def analyse(formula: str, values: str) -> tuple[Value, dict[str, Value], list[Value], list[Value], Comparison,
                                               dict[int, str], tuple[str, ...]]:
    """The graph after its backward pass, the forward and backward visiting orders, the three-way check, the
    nodes' names and the variables given the default value. Raises ValueError saying what went wrong where.

    Cached: moving the step slider only changes which of these is shown.
    """
    from bplab.symbolic import build_graph, parse, parse_values

    numbers = parse_values(values)
    used = sorted(symbol.name for symbol in parse(formula).free_symbols)
    defaulted = tuple(name for name in used if name not in numbers)  # a new variable: a value to start from
    numbers.update({name: DEFAULT_VALUE for name in defaulted})
    with np.errstate(all="ignore"):
        output, leaves = build_graph(formula, numbers)
        output.backward()
    names = node_names(output)
    problem = domain_problem(output, names)
    if problem:
        raise ValueError(problem)
    order = output.topological_order()
    forward = [n for n in order if n.op is not None]
    backward = [n for n in reversed(order) if n.requires_grad]
    try:
        with np.errstate(all="ignore"):
            comparison = compare(parse(formula), at={name: numbers[name] for name in leaves})
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ValueError(f"SymPy could not check this formula at these values ({type(exc).__name__}: "
                         f"{exc or 'no real value'}); try values inside the formula's domain.") from None
    return output, leaves, forward, backward, comparison, names, defaulted


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
        output, leaves, forward, backward, comparison, names, defaulted = analyse(formula, values)
        return StepperState(formula, output, leaves, forward, backward, min(step, len(forward) + len(backward)),
                            comparison, names, defaulted)

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
        return graph_figure(s.output, title=title, highlight=current, known_values=known_values, known_grads=known_grads,
                            names=s.names)

    def describe(self, s: StepperState) -> str:
        _, _, current = self._known(s)
        name = lambda node: s.names[id(node)]  # noqa: E731
        note = ""
        if s.defaulted:
            note = (f" ({', '.join(s.defaulted)} had no value, so {'it starts' if len(s.defaulted) == 1 else 'they start'} "
                    f"at {DEFAULT_VALUE:g}: type {', '.join(f'{v}=...' for v in s.defaulted)} in <b>values</b> to change that.)")
        if s.step == 0:
            return (f"The graph has {len(s.forward)} operations; the results are named "
                    f"{', '.join(name(n) for n in s.forward)}. Move <b>step</b> to the right: first the forward pass "
                    f"computes each value, then the backward pass sends gradients back ({s.total} steps in all).{note}")
        if s.step <= len(s.forward):
            inputs = ", ".join(f"{name(p)} = {float(p.data):.4g}" for p in current.parents)
            return (f"<b>Forward:</b> {name(current)} = {current.op.label} of ({inputs}) = "
                    f"<b>{float(current.data):.6g}</b>.{note}")
        if current.op is None:
            received = contributions(s.output, current)
            sum_text = " + ".join(f"{v:.4g}" for _, v in received).replace("+ -", "− ")
            if len(received) > 1:  # a variable used more than once: its gradient is the sum over its uses ("+=")
                sum_text = (f"{sum_text} (from {', '.join(name(n) for n, _ in received)}: one share per use) = ")
            else:
                sum_text = ""
            text = (f"<b>Backward:</b> {name(current)} has collected all its gradient: "
                    f"∂f/∂{name(current)} = {sum_text}<b>{float(current.grad):.6g}</b>.")
            if s.step == s.total:
                text += self._verdict(s)
            return text + note
        parts = [f"∂{name(current)}/∂{name(p)} = {d:.4g}, so {name(p)} receives "
                 f"{float(current.grad):.4g} × {d:.4g} = {float(current.grad) * d:.4g}" for p, d in local_derivatives(current)]
        start = "<b>Backward starts</b> at the output, with df/df = 1." if current is s.output else (
            f"<b>Backward:</b> {name(current)} holds gradient {float(current.grad):.6g}.")
        pattern = GATE_PATTERNS.get(current.op.name)
        return f"{start} Local derivatives: " + "; ".join(parts) + "." + (f" ({pattern}.)" if pattern else "") + note

    @staticmethod
    def _verdict(s: StepperState) -> str:
        kinks = kinks_hit(s.output, s.names)
        if kinks:  # abs and relu alike: no slope at the kink, whatever the three routes happen to print
            return (f" Done. But {', '.join(kinks)} sits exactly on a kink, where there is <b>no slope</b>: backprop "
                    "uses 0 there (as PyTorch does), SymPy's formula gives its own convention, and a finite difference "
                    "averages the two sides (0 for abs, 0.5 for relu), so they need not agree. Move the value off the "
                    f"kink to compare them (relative error now {s.comparison.max_rel_error:.1e}).")
        if s.comparison.ok:
            return (f" Done. Check: SymPy and a finite difference agree with backprop to "
                    f"{s.comparison.max_rel_error:.1e} (relative error).")
        return (f" Done. Check: SymPy, backprop and a finite difference <b>disagree</b> (relative error "
                f"{s.comparison.max_rel_error:.1e}).")
