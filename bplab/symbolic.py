r"""The SymPy bridge: exact formulas for bplab graphs, and safe reading of typed formulas.

* :func:`to_sympy` turns a :class:`~bplab.engine.Value` graph into a SymPy expression.
* :func:`from_sympy` turns a SymPy expression into a Value graph (so backprop can run on it).
* :func:`parse` reads a formula a learner typed, **without** ``eval`` (it lives in
  :mod:`bplab.parser`, the security boundary, and is re-exported here);
* :func:`build_graph` builds the Value graph of a typed formula exactly as written, through the same reader.
* :func:`gradient`, :func:`lambdify` (with common-subexpression elimination) and
  :func:`expression_size` serve the three-way checks and the PhD lesson on expression swell.

SymPy is imported when one of these functions first runs, never by ``import bplab``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from bplab import ops
from bplab.engine import Value, apply, as_value
from bplab.parser import (  # noqa: F401  (re-exported: the parser is part of the bridge's public face)
    ALLOWED_FUNCTIONS,
    MAX_FORMULA_LENGTH,
    FormulaError,
    FormulaReader,
    apply_operator,
    parse,
    parse_values,
)

if TYPE_CHECKING:
    import sympy

# ---------------------------------------------------------------------------- Value -> SymPy


def _symbols_for(leaf: Value, name: str) -> np.ndarray:
    import sympy

    out = np.empty(leaf.data.shape, dtype=object)
    if leaf.data.ndim == 0:
        out[()] = sympy.Symbol(name, real=True)
        return out
    for index in np.ndindex(*leaf.data.shape):
        out[index] = sympy.Symbol(f"{name}[{','.join(map(str, index))}]", real=True)
    return out


def _constant_objects(data: np.ndarray) -> np.ndarray:
    import sympy

    out = np.empty(data.shape, dtype=object)
    for index in np.ndindex(*data.shape):
        number = float(data[index])
        out[index] = sympy.Integer(int(number)) if number.is_integer() and abs(number) < 2**53 else sympy.Float(number)
    return out


def symbolic_graph(value: Value) -> tuple[np.ndarray, dict[int, tuple[Value, np.ndarray]]]:
    """The SymPy form of ``value`` as an object array, and the symbols given to each leaf.

    Named leaves become symbols named after ``.name`` (array leaves: ``W[0,1]``...);
    unnamed leaves that need a gradient get stable generated names ``x0, x1, ...`` in
    graph order; unnamed constants become numbers. Returns ``(objects, {id(leaf): (leaf, symbols)})``.
    """
    order = value.topological_order()
    taken = {node.name for node in order if node.is_leaf and node.name is not None}
    counter = 0
    forms: dict[int, np.ndarray] = {}
    leaves: dict[int, tuple[Value, np.ndarray]] = {}
    for node in order:
        if node.is_leaf:
            if node.name is not None:
                forms[id(node)] = _symbols_for(node, node.name)
            elif node.requires_grad:
                while f"x{counter}" in taken:
                    counter += 1
                forms[id(node)] = _symbols_for(node, f"x{counter}")
                counter += 1
            else:
                forms[id(node)] = _constant_objects(node.data)
                continue
            leaves[id(node)] = (node, forms[id(node)])
        else:
            parents = [forms[id(p)] for p in node.parents]
            forms[id(node)] = ops.as_objects(node.op.to_sympy(*parents, **node.params))
    return forms[id(value)], leaves


def to_sympy(value: Value) -> "sympy.Expr | sympy.Array":
    """The exact SymPy formula that ``value`` computes (a ``sympy.Array`` for array Values)."""
    import sympy

    if not isinstance(value, Value):
        raise TypeError(f"value: expected a bplab Value, got {type(value).__name__}")
    objects, _ = symbolic_graph(value)
    if objects.ndim == 0:
        return objects[()]
    return sympy.Array(objects.tolist())


# ---------------------------------------------------------------------------- SymPy -> Value


def from_sympy(expr: "sympy.Expr", values: Mapping[Any, Any]) -> Value:
    """Build a Value graph that computes ``expr``, with its symbols taken from ``values``.

    ``values`` maps symbol names (or symbols) to numbers, arrays or Values; a Value is used
    as it is, so gradients flow back to it. Shared sub-expressions become shared nodes.
    """
    import sympy

    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        expr = sympy.Float(expr)
    if not isinstance(expr, sympy.Basic):
        raise TypeError(f"expr: expected a SymPy expression, got {type(expr).__name__}")
    by_name = {str(k): v for k, v in values.items()}
    missing = sorted(str(s) for s in expr.free_symbols if str(s) not in by_name)
    if missing:
        raise ValueError(
            f"values: no value for {', '.join(missing)}; the formula uses "
            f"{', '.join(sorted(str(s) for s in expr.free_symbols))} and values has "
            f"{', '.join(sorted(by_name)) or 'nothing'}"
        )
    leaves = {
        name: v if isinstance(v, Value) else Value(v, name=name) for name, v in by_name.items()
    }
    built: dict[Any, Any] = {}
    stack: list[tuple[Any, bool]] = [(expr, False)]
    while stack:
        node, args_done = stack.pop()
        if node in built:
            continue
        if not args_done and not node.is_Atom:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in built)
            continue
        built[node] = _build_node(node, built, leaves)
    result = built[expr]
    return result if isinstance(result, Value) else Value(result, requires_grad=False)


def _build_node(node, built, leaves):
    import sympy

    if node.is_Symbol:
        return leaves[str(node)]
    if node.is_number:
        value = complex(node.evalf())
        if value.imag != 0:
            raise ValueError(f"expr: the constant {node} is not a real number")
        return value.real
    args = [built[a] for a in node.args]
    if isinstance(node, sympy.Add):
        total = args[0]
        for a in args[1:]:
            total = total + a
        return total
    if isinstance(node, sympy.Mul):
        product = args[0]
        for a in args[1:]:
            product = product * a
        return product
    if isinstance(node, sympy.Pow):
        base, exponent = args
        if not isinstance(base, Value) and not isinstance(exponent, Value):
            return base**exponent
        return apply(ops.power, base, exponent)
    name = type(node).__name__
    function = ops.function_of_sympy(name)
    if function is not None and len(args) == 1 + len(function.sympy_extra_args):
        if tuple(args[1:]) != tuple(float(a) for a in function.sympy_extra_args):
            raise ValueError(f"expr: only {name}(x, {', '.join(map(str, function.sympy_extra_args))}) is supported, got {node}")
        return getattr(as_value(args[0], "expr"), function.name)()  # the Value method: fusions included
    supported = sorted(f.sympy_name for f in ops.FUNCTIONS.values() if f.exponent is None)
    raise ValueError(
        f"expr: bplab has no primitive for {name} (in {node}); "
        f"supported: + - * / **, {', '.join(supported)}"
    )


# ---------------------------------------------------------------------------- gradients and evaluation


def gradient(expr: "sympy.Expr", variables: Sequence[Any] | None = None) -> dict["sympy.Symbol", "sympy.Expr"]:
    r"""$\{v: \partial\,\text{expr}/\partial v\}$ for each variable (default: every free symbol, by name)."""
    import sympy

    if variables is None:
        variables = sorted(expr.free_symbols, key=lambda s: s.name)
    symbols = [v if isinstance(v, sympy.Symbol) else sympy.Symbol(str(v), real=True) for v in variables]
    return {s: sympy.diff(expr, s) for s in symbols}


def lambdify(variables: Sequence[Any], exprs: Any, cse: bool = True) -> Callable[..., Any]:
    """A fast NumPy function of ``variables`` computing ``exprs``, with shared parts computed once."""
    import sympy

    from bplab.sympy_functions import NUMPY_IMPLEMENTATIONS, elementwise_extrema

    return sympy.lambdify(
        list(variables), elementwise_extrema(exprs), modules=[NUMPY_IMPLEMENTATIONS, "numpy"], cse=cse
    )


def expression_size(exprs: "sympy.Expr | Iterable[sympy.Expr]", cse: bool = False) -> int:
    """How many operations it takes to compute ``exprs``: as written, or after ``sympy.cse``."""
    import sympy

    items = [exprs] if isinstance(exprs, sympy.Basic) else list(exprs)
    if not cse:
        return int(sum(sympy.count_ops(e) for e in items))
    replacements, reduced = sympy.cse(items)
    return int(sum(sympy.count_ops(rhs) for _, rhs in replacements) + sum(sympy.count_ops(e) for e in reduced))


def symbolic_gradients(output: Value, wrt: Sequence[Value]) -> list[np.ndarray]:
    """SymPy's exact gradient of a scalar ``output`` with respect to each leaf in ``wrt``, evaluated."""
    import sympy

    objects, leaves = symbolic_graph(output)
    if objects.ndim != 0:
        raise ValueError(f"output: expected a single number, got a Value of shape {objects.shape}")
    expr = objects[()]
    all_symbols: list[Any] = []
    all_data: list[float] = []
    for leaf, symbols in leaves.values():
        all_symbols.extend(symbols.ravel().tolist())
        all_data.extend(np.asarray(leaf.data, dtype=np.float64).ravel().tolist())
    results = []
    for target in wrt:
        if id(target) not in leaves:
            results.append(np.zeros_like(target.data, dtype=np.float64))
            continue
        symbols = leaves[id(target)][1]
        derivatives = [sympy.diff(expr, s) for s in symbols.ravel().tolist()]
        function = lambdify(all_symbols, derivatives)
        values = np.asarray(function(*all_data), dtype=np.float64)
        results.append(np.broadcast_to(values, (len(derivatives),)).reshape(target.data.shape).copy())
    return results


# ---------------------------------------------------------------------------- typed text -> Value graph, as written


class _ValueBuilder:
    """Builds Values from the pieces the formula reader accepts: one node per operation typed."""

    def __init__(self, leaves: Mapping[str, Value]) -> None:
        self.leaves = leaves

    def number(self, value: int | float) -> float:
        return float(value)

    def constant(self, name: str) -> float:
        return math.pi if name == "pi" else math.e

    def variable(self, name: str) -> Value:
        return self.leaves[name]

    def negate(self, operand: Any) -> Any:
        return -operand

    def binary(self, operator: str, left: Any, right: Any) -> Any:
        return apply_operator(operator, left, right)

    def call(self, function: ops.Function, argument: Any) -> Value:
        return getattr(as_value(argument), function.name)()


def build_graph(text: str, values: Mapping[str, Any]) -> tuple[Value, dict[str, Value]]:
    """The Value graph of a typed formula, operation by operation as the learner wrote it.

    Unlike ``from_sympy(parse(text), ...)``, nothing is rearranged: ``a - y`` stays one
    subtraction (SymPy would store ``a + (-1)*y``). The same reader as :func:`parse` walks the
    text, so the same whitelist and limits apply. Returns the output and the leaf Value of each variable.
    """
    names = sorted(s.name for s in parse(text).free_symbols)
    missing = [n for n in names if n not in values]
    if missing:
        raise ValueError(
            f"values: no value for {', '.join(missing)}; the formula uses {', '.join(names)}; "
            f"add {', '.join(f'{n}=...' for n in missing)}"
        )
    leaves = {n: Value(float(values[n]), name=n) for n in names}
    output = as_value(FormulaReader(text).read(_ValueBuilder(leaves)))
    return output, leaves
