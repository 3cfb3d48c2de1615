r"""Expression swell: how many operations a derivative takes, symbolically and by backprop.

The PhD lesson on symbolic against automatic differentiation measures three things for the same
derivative, on the same counting rule:

* **as a tree** (:func:`operation_count` with ``shared=False``): SymPy's formula written out, every
  repeated sub-expression counted each time it appears, as a printed formula or a naive
  code generator computes it;
* **after common-subexpression elimination** (:func:`cse_count`): the formula after ``sympy.cse``,
  each shared part computed once (``shared=True`` counts the ideal: every distinct part once);
* **by backprop** (:func:`backprop_count`): the operations of the recorded forward pass plus those
  of the backward pass, recorded as a graph (``create_graph=True``) so that they can be counted.

The counting rule: one operation per ``+``, ``−``, ``×``, ``÷``, power or function (sin, tanh, ...).
SymPy stores ``a + b + c`` as one sum of three terms: two operations. Each bplab node is one
operation on a single number here, because the families below use one Value per number.

The families are written once, on bplab Values; SymPy's formula is :func:`bplab.to_sympy` of the
same graph, so both sides differentiate the same function.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from bplab.engine import Value, gradients
from bplab.symbolic import to_sympy

if TYPE_CHECKING:
    import sympy

#: The input every family is evaluated at (any point in the functions' domain gives the same counts).
X0 = 0.3
#: Units in each hidden layer of the tanh network family.
NETWORK_WIDTH = 3
#: Backprop is timed as the best of this many runs (SymPy once: it caches what it derived, so a second run is not a run).
BACKPROP_REPEATS = 5


def sin_chain(x: Value, depth: int) -> Value:
    r"""$\sin(\sin(\cdots\sin(x)))$, ``depth`` times."""
    for _ in range(depth):
        x = x.sin()
    return x


def logistic_map(x: Value, depth: int) -> Value:
    r"""The logistic map $\ell_{k+1} = 4\,\ell_k (1 - \ell_k)$, $\ell_0 = x$, iterated ``depth`` times."""
    for _ in range(depth):
        x = 4 * x * (1 - x)
    return x


def tanh_network(depth: int, width: int = NETWORK_WIDTH, seed: int = 0) -> tuple[Value, list[Value]]:
    r"""A network of ``depth`` layers on one input (tanh hidden layers of ``width`` units, one linear output),
    one Value per weight and bias; returns $L = (y - 1)^2$ and its parameters."""
    rng = np.random.default_rng(seed)
    layer: list[Value] = [Value(0.5, name="x", requires_grad=False)]
    parameters: list[Value] = []
    for level in range(1, depth + 1):
        outputs = 1 if level == depth else width
        new_layer = []
        for j in range(1, outputs + 1):
            z = Value(0.1 * rng.normal(), name=f"b{level}_{j}")
            parameters.append(z)
            for i, h in enumerate(layer, start=1):
                w = Value(rng.normal() / np.sqrt(len(layer)), name=f"w{level}_{j}{i}")
                parameters.append(w)
                z = z + w * h
            new_layer.append(z if level == depth else z.tanh())
        layer = new_layer
    return (layer[0] - 1.0) ** 2, parameters


def _build_chain(function: Callable[[Value, int], Value]) -> Callable[[int], tuple[Value, list[Value]]]:
    def build(depth: int) -> tuple[Value, list[Value]]:
        x = Value(X0, name="x")
        return function(x, depth), [x]
    return build


#: family name -> (builder: depth -> (output, inputs), largest depth the lesson measures, what it is)
FAMILIES: dict[str, tuple[Callable[[int], tuple[Value, list[Value]]], int, str]] = {
    "sin chain": (_build_chain(sin_chain), 16, "sin(sin(...sin(x))): its derivative with respect to x"),
    "logistic map": (_build_chain(logistic_map), 10, "4·ℓ·(1 − ℓ) iterated: its derivative with respect to x"),
    "tanh network": (tanh_network, 5, f"a network with {NETWORK_WIDTH} tanh units per layer: its loss's gradient, "
                                      "all weights and biases"),
}


def build(family: str, depth: int) -> tuple[Value, list[Value]]:
    """The output and the inputs of ``family`` at ``depth`` (see :data:`FAMILIES`)."""
    if family not in FAMILIES:
        raise ValueError(f"family: expected one of {', '.join(map(repr, FAMILIES))}, got {family!r}")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not 1 <= depth <= FAMILIES[family][1]:
        raise ValueError(f"depth: expected a whole number from 1 to {FAMILIES[family][1]} for the {family}, got {depth!r}")
    return FAMILIES[family][0](int(depth))


# ---------------------------------------------------------------------------- counting


def _own_operations(node: "sympy.Basic") -> int:
    import sympy

    if node.is_Atom or isinstance(node, (sympy.Tuple, sympy.Symbol)):
        return 0
    if isinstance(node, (sympy.Add, sympy.Mul)):
        return len(node.args) - 1
    return 1  # a power or a function


def operation_count(exprs: "sympy.Basic | Iterable[sympy.Basic]", shared: bool = False) -> int:
    """Operations to compute ``exprs``: as trees (``shared=False``: a part counted wherever it appears),
    or with every distinct sub-expression computed once (``shared=True``: the ideal sharing).

    Both walk each distinct sub-expression once, so counting a tree of a million operations
    costs as little as counting its few hundred distinct parts.
    """
    import sympy

    items = [exprs] if isinstance(exprs, sympy.Basic) else list(exprs)
    if shared:
        seen: set[Any] = set()
        stack = list(items)
        total = 0
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            total += _own_operations(node)
            stack.extend(node.args)
        return total
    tree_sizes: dict[Any, int] = {}
    for item in items:  # children before parents, without recursion
        stack = [(item, False)]
        while stack:
            node, children_done = stack.pop()
            if node in tree_sizes:
                continue
            if children_done:
                tree_sizes[node] = _own_operations(node) + sum(tree_sizes[a] for a in node.args)
            else:
                stack.append((node, True))
                stack.extend((a, False) for a in node.args if a not in tree_sizes)
    return sum(tree_sizes[item] for item in items)


def cse_count(exprs: "sympy.Basic | Iterable[sympy.Basic]") -> int:
    """Operations after ``sympy.cse``: each replacement ``x_k = ...`` once, then the reduced expressions."""
    import sympy

    items = [exprs] if isinstance(exprs, sympy.Basic) else list(exprs)
    replacements, reduced = sympy.cse(items)
    return operation_count([rhs for _, rhs in replacements] + list(reduced))


def graph_operations(values: Iterable[Value]) -> int:
    """Operations (non-leaf nodes) of the graphs that compute ``values``, each node counted once."""
    seen: set[int] = set()
    total = 0
    for value in values:
        for node in value.topological_order():
            if id(node) not in seen:
                seen.add(id(node))
                total += not node.is_leaf
    return total


def backprop_count(output: Value, inputs: list[Value]) -> tuple[int, int]:
    """(forward operations, forward + backward operations) of backprop's gradient of ``output``.

    The backward pass is recorded as a graph (``create_graph=True``) so that its operations can be
    counted the same way as the forward pass's; the forward nodes it reuses count once.
    """
    found = gradients(output, inputs, create_graph=True)
    return graph_operations([output]), graph_operations([output, *found])


# ---------------------------------------------------------------------------- one measurement


@dataclass(frozen=True)
class SwellCount:
    """The derivative of one family at one depth, counted and timed every way."""

    family: str
    depth: int
    function_tree: int  # the function itself, as a SymPy tree
    tree: int  # SymPy's derivative as trees
    distinct: int  # SymPy's derivative, each distinct sub-expression once
    after_cse: int  # SymPy's derivative after sympy.cse
    backprop_forward: int  # backprop: the forward pass
    backprop_total: int  # backprop: forward and backward passes
    seconds_sympy: float  # sympy.diff of every input, once (machine-dependent)
    seconds_cse: float  # sympy.cse of the result (machine-dependent)
    seconds_backprop: float  # building the graph and one backward pass, best of BACKPROP_REPEATS (machine-dependent)


def symbolic_derivatives(output: Value, inputs: list[Value]) -> tuple["sympy.Expr", list["sympy.Expr"]]:
    """SymPy's formula of ``output`` and its derivative by each input (the same graph, through to_sympy)."""
    import sympy

    expr = to_sympy(output)
    expr = expr[()] if isinstance(expr, sympy.NDimArray) else expr
    by_name = {symbol.name: symbol for symbol in expr.free_symbols}
    return expr, [sympy.diff(expr, by_name[x.name]) if x.name in by_name else sympy.Integer(0) for x in inputs]


_measured: dict[tuple[str, int], SwellCount] = {}


def is_measured(family: str, depth: int) -> bool:
    """Whether :func:`measure` has ``(family, depth)`` already (then it returns at once)."""
    return (family, depth) in _measured


def measure(family: str, depth: int) -> SwellCount:
    """Every count of :class:`SwellCount` for ``family`` at ``depth`` (kept: SymPy takes seconds at the deepest)."""
    if (family, depth) not in _measured:
        _measured[family, depth] = _measure(family, depth)
    return _measured[family, depth]


def _measure(family: str, depth: int) -> SwellCount:
    if not _measured:  # SymPy's first derivative and first cse load code: not part of any depth's time
        import sympy

        t = sympy.Symbol("t")
        sympy.cse([sympy.diff(sympy.sin(t) * sympy.tanh(t) ** 2, t)])
        warm = Value(X0, name="x")
        gradients(logistic_map(warm, 2), [warm])
    output, inputs = build(family, depth)
    started = time.perf_counter()
    expr, derivatives = symbolic_derivatives(output, inputs)
    seconds_sympy = time.perf_counter() - started
    started = time.perf_counter()
    after_cse = cse_count(derivatives)
    seconds_cse = time.perf_counter() - started
    forward, total = backprop_count(output, inputs)
    seconds_backprop = float("inf")
    for _ in range(BACKPROP_REPEATS):  # cheap, so the best of a few: the least disturbed by the rest of the machine
        started = time.perf_counter()
        fresh_output, fresh_inputs = build(family, depth)
        gradients(fresh_output, fresh_inputs)
        seconds_backprop = min(seconds_backprop, time.perf_counter() - started)
    return SwellCount(family=family, depth=depth, function_tree=operation_count(expr),
                      tree=operation_count(derivatives), distinct=operation_count(derivatives, shared=True),
                      after_cse=after_cse, backprop_forward=forward, backprop_total=total,
                      seconds_sympy=seconds_sympy, seconds_cse=seconds_cse, seconds_backprop=seconds_backprop)
