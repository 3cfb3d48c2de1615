r"""The SymPy bridge: exact formulas for bplab graphs, and safe reading of typed formulas.

* :func:`to_sympy` turns a :class:`~bplab.engine.Value` graph into a SymPy expression.
* :func:`from_sympy` turns a SymPy expression into a Value graph (so backprop can run on it).
* :func:`parse` reads a formula a learner typed, **without** ``eval``: a whitelist over
  Python's ``ast``.
* :func:`gradient`, :func:`lambdify` (with common-subexpression elimination) and
  :func:`expression_size` serve the three-way checks and the PhD lesson on expression swell.

SymPy is imported when one of these functions first runs, never by ``import bplab``.
"""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from bplab import ops
from bplab.engine import Value, apply

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
            forms[id(node)] = ops._objects(node.op.to_sympy(*parents, **node.params))
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


def _function_primitives() -> dict[str, ops.Primitive]:
    return {
        "exp": ops.exp, "log": ops.log, "tanh": ops.tanh, "sin": ops.sin, "cos": ops.cos,
        "tan": ops.tan, "Abs": ops.absolute, "sigmoid": ops.sigmoid, "relu": ops.relu,
        "Heaviside": ops.step, "sign": ops.sign,
    }


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
    functions = _function_primitives()
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
        built[node] = _build_node(node, built, leaves, functions)
    result = built[expr]
    return result if isinstance(result, Value) else Value(result, requires_grad=False)


def _build_node(node, built, leaves, functions):
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
    if name in functions and len(args) in (1, 2):
        if name == "Heaviside" and len(args) == 2 and args[1] not in (0, 0.0):
            raise ValueError(f"expr: only Heaviside(x, 0) is supported, got {node}")
        operand = args[0]
        if not isinstance(operand, Value):
            operand = Value(operand, requires_grad=False)
        if name == "log" and operand.op is ops.sigmoid:
            return operand.log()
        return apply(functions[name], operand)
    raise ValueError(
        f"expr: bplab has no primitive for {name} (in {node}); "
        f"supported: + - * / **, {', '.join(sorted(functions))}"
    )


# ---------------------------------------------------------------------------- safe parsing


class FormulaError(ValueError):
    """A typed formula bplab will not read; the message points at the offending part."""

    def __init__(self, message: str, text: str = "", column: int | None = None) -> None:
        self.text = text
        self.column = column
        if column is not None and text:
            message = f"{message}\n    {text}\n    {' ' * (column - 1)}^"
        super().__init__(message)


ALLOWED_FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs")
MAX_FORMULA_LENGTH = 500
MAX_FORMULA_NODES = 200
MAX_EXPONENT = 100
MAX_CONSTANT = 1e100
_ALLOWED_TEXT = f"numbers, variable names, + - * / ** ^, parentheses and the functions {', '.join(ALLOWED_FUNCTIONS)}"


def _sympy_function(name: str):
    import sympy

    from bplab import sympy_functions

    table = {
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "exp": sympy.exp, "log": sympy.log,
        "sqrt": sympy.sqrt, "tanh": sympy.tanh, "abs": sympy.Abs,
        "sigmoid": sympy_functions.sigmoid, "relu": sympy_functions.relu,
    }
    return table[name]


def _power_spelled_out(text: str) -> tuple[str, list[int]]:
    """``text`` with each ``^`` written ``**``, and for each character of the result its column in ``text``.

    ``^`` is power, as on calculators; Python reads it as a looser-binding XOR, so that
    ``3*x^2 + 2`` would become ``(3*x)^(2 + 2)``. Spelling it ``**`` gives it power's precedence.
    """
    rewritten, origin = [], []
    for column, char in enumerate(text):
        piece = "**" if char == "^" else char
        rewritten.append(piece)
        origin.extend([column] * len(piece))
    return "".join(rewritten), origin


class _FormulaReader:
    """Turns a whitelisted Python ``ast`` into SymPy, tracking constant sizes as it goes."""

    def __init__(self, text: str, rewritten: str, origin: list[int]) -> None:
        self.text, self.rewritten, self.origin = text, rewritten, origin

    def column_of(self, node: ast.AST | None) -> int | None:
        """The 1-based column, in the text the learner typed, where ``node`` starts."""
        offset = getattr(node, "col_offset", None)
        if offset is None:
            return None
        characters = len(self.rewritten.encode()[:offset].decode(errors="ignore"))  # ast counts UTF-8 bytes
        return self.origin[min(characters, len(self.origin) - 1)] + 1

    def fail(self, message: str, node: ast.AST | None = None) -> FormulaError:
        column = self.column_of(node)
        return FormulaError(
            f"{message} at column {column}; allowed: {_ALLOWED_TEXT}" if column is not None
            else f"{message}; allowed: {_ALLOWED_TEXT}",
            self.text,
            column,
        )

    def read(self, node: ast.AST) -> tuple[Any, float | None]:
        """Return (SymPy expression, its value if it is a constant, else None)."""
        import sympy

        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                kind = "a string" if isinstance(node.value, str) else f"the constant {node.value!r}"
                raise self.fail(f"{kind} is not allowed", node)
            if abs(node.value) > MAX_CONSTANT:
                raise self.fail(f"the number {node.value} is too large (limit {MAX_CONSTANT:g})", node)
            number = sympy.Integer(node.value) if isinstance(node.value, int) else sympy.Float(node.value)
            return number, float(node.value)
        if isinstance(node, ast.Name):
            return self.read_name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(f"the operator {type(node.op).__name__} is not allowed", node)
            operand, constant = self.read(node.operand)
            if isinstance(node.op, ast.USub):
                return -operand, None if constant is None else -constant
            return operand, constant
        if isinstance(node, ast.BinOp):
            return self.read_binary(node)
        if isinstance(node, ast.Call):
            return self.read_call(node)
        raise self.fail(self.describe(node), node)

    def read_name(self, node: ast.Name) -> tuple[Any, float | None]:
        import sympy

        name = node.id
        if name.startswith("_"):
            raise self.fail(f"the name '{name}' is not allowed (names may not start with _)", node)
        if name in ALLOWED_FUNCTIONS:
            raise self.fail(f"'{name}' is a function: call it with parentheses, like {name}(x),", node)
        if name == "pi":
            return sympy.pi, math.pi
        if name in ("e", "E"):
            return sympy.E, math.e
        return sympy.Symbol(name, real=True), None

    def read_binary(self, node: ast.BinOp) -> tuple[Any, float | None]:
        left, left_constant = self.read(node.left)
        right, right_constant = self.read(node.right)
        op = node.op
        if isinstance(op, ast.Pow):
            if right_constant is not None and abs(right_constant) > MAX_EXPONENT:
                raise self.fail(f"the exponent {right_constant:g} is too large (limit {MAX_EXPONENT})", node.right)
            constant = None
            if left_constant is not None and right_constant is not None:
                try:
                    constant = abs(left_constant) ** right_constant
                except (OverflowError, ZeroDivisionError):
                    constant = math.inf
                if isinstance(constant, complex) or constant > MAX_CONSTANT:
                    raise self.fail("this power is too large to compute", node)
            return left**right, constant
        table = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
        if type(op) not in table:
            raise self.fail(f"the operator {self.operator_symbol(op)} is not allowed", node)
        constant = None
        if left_constant is not None and right_constant is not None:
            constant = abs(left_constant) * abs(right_constant) + abs(left_constant) + abs(right_constant)
            if isinstance(op, ast.Div) and right_constant != 0:
                constant = abs(left_constant / right_constant)
            if constant > MAX_CONSTANT:
                raise self.fail("this constant is too large", node)
        if isinstance(op, ast.Div) and right_constant == 0:
            raise self.fail("division by zero", node.right)
        if isinstance(op, ast.Add):
            return left + right, constant
        if isinstance(op, ast.Sub):
            return left - right, constant
        if isinstance(op, ast.Mult):
            return left * right, constant
        return left / right, constant

    def read_call(self, node: ast.Call) -> tuple[Any, float | None]:
        if not isinstance(node.func, ast.Name):
            raise self.fail(self.describe(node.func), node.func)
        name = node.func.id
        if name not in ALLOWED_FUNCTIONS:
            raise self.fail(f"unknown function '{name}'", node)
        if node.keywords or len(node.args) != 1:
            raise self.fail(f"{name}() takes exactly one argument, like {name}(x)", node)
        argument, constant = self.read(node.args[0])
        if constant is not None and name == "exp" and constant > 230:
            raise self.fail("exp() of this constant is too large", node)
        return _sympy_function(name)(argument), _constant_size(name, constant)

    @staticmethod
    def operator_symbol(op: ast.operator) -> str:
        symbols = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                   ast.BitOr: "|", ast.BitAnd: "&"}
        return f"'{symbols.get(type(op), type(op).__name__)}'"

    @staticmethod
    def describe(node: ast.AST) -> str:
        kinds = {
            ast.Attribute: "attribute access (a dot after a name)",
            ast.Subscript: "indexing with [ ]",
            ast.Lambda: "lambda",
            ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
            ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
            ast.Compare: "a comparison", ast.BoolOp: "and/or",
            ast.IfExp: "if/else", ast.List: "a list", ast.Tuple: "a tuple (a comma)",
            ast.Dict: "a dictionary", ast.Set: "a set", ast.JoinedStr: "a string",
            ast.NamedExpr: "':='", ast.Starred: "'*' unpacking",
        }
        return f"{kinds.get(type(node), type(node).__name__)} is not allowed"


def parse(text: str) -> "sympy.Expr":
    """Read a formula typed by a learner (e.g. ``"(i*w - y)**2"``) into a SymPy expression.

    Never calls ``eval``, ``sympify`` or ``parse_expr``: the text is parsed by Python's
    ``ast`` and only numbers, names, ``+ - * / ** ^``, unary minus, parentheses and the
    functions sin cos tan exp log sqrt tanh sigmoid relu abs are accepted. ``^`` means power.
    Raises :class:`FormulaError` (a ``ValueError``) that points at the offending part.
    """
    if not isinstance(text, str):
        raise FormulaError(f"text: expected the formula as a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise FormulaError("text: the formula is empty; type something like x**2 + 3*x")
    if len(stripped) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"text: the formula has {len(stripped)} characters; the limit is {MAX_FORMULA_LENGTH}"
        )
    expr, _ = _checked_tree(stripped)
    return expr


def _checked_tree(stripped: str) -> tuple[Any, ast.Expression]:
    """The SymPy expression of a formula and its checked ``ast`` (with ``^`` already spelled ``**``)."""
    import sympy

    rewritten, origin = _power_spelled_out(stripped)
    try:
        tree = ast.parse(rewritten, mode="eval")
    except SyntaxError as exc:
        column = origin[min(max((exc.offset or 1) - 1, 0), len(origin) - 1)] + 1
        hint = ""
        if any(ch.isdigit() and nxt.isalpha() for ch, nxt in zip(stripped, stripped[1:])):
            hint = "; write multiplication with *, e.g. 2*x, not 2x"
        raise FormulaError(f"could not read the formula at column {column}{hint}", stripped, column) from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_FORMULA_NODES:
        raise FormulaError(f"text: the formula is too long ({count} parts; the limit is {MAX_FORMULA_NODES})")
    expr, _ = _FormulaReader(stripped, rewritten, origin).read(tree.body)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError(f"the formula is infinite or undefined as written ({expr}); "
                           "look for a division by zero or a log(0)")
    return expr, tree


def _constant_size(name: str, constant: float | None) -> float | None:
    """How large f(constant) can be, so that a power of it is still checked (None: not a constant)."""
    if constant is None:
        return None
    sizes = {
        "abs": abs(constant), "relu": abs(constant), "sqrt": math.sqrt(abs(constant)),
        "exp": math.exp(min(constant, 230.0)), "log": abs(math.log(abs(constant))) if constant else math.inf,
        "tan": abs(math.tan(constant)),
    }
    return sizes.get(name, 1.0)  # sin, cos, tanh, sigmoid stay within [-1, 1]


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


def _value_function(name: str):
    methods = {"sin": Value.sin, "cos": Value.cos, "tan": Value.tan, "exp": Value.exp, "log": Value.log,
               "sqrt": Value.sqrt, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu, "abs": Value.abs}
    return methods[name]


def build_graph(text: str, values: Mapping[str, Any]) -> tuple[Value, dict[str, Value]]:
    """The Value graph of a typed formula, operation by operation as the learner wrote it.

    Unlike ``from_sympy(parse(text), ...)``, nothing is rearranged: ``a - y`` stays one
    subtraction (SymPy would store ``a + (-1)*y``). The text is first checked by :func:`parse`,
    so the same whitelist and limits apply. Returns the output and the leaf Value of each variable.
    """
    if not isinstance(text, str) or not text.strip():
        parse(text)  # raises the usual FormulaError
    expr, tree = _checked_tree(text.strip()) if len(text.strip()) <= MAX_FORMULA_LENGTH else (parse(text), None)
    names = sorted(s.name for s in expr.free_symbols)
    missing = [n for n in names if n not in values]
    if missing:
        raise ValueError(
            f"values: no value for {', '.join(missing)}; the formula uses {', '.join(names)}; "
            f"add {', '.join(f'{n}=...' for n in missing)}"
        )
    leaves = {n: Value(float(values[n]), name=n) for n in names}
    constants = {"pi": math.pi, "e": math.e, "E": math.e}
    binary = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
              ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b}

    def build(node: ast.AST) -> Any:  # depth is bounded by parse()'s node limit
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return constants[node.id] if node.id in constants else leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return binary[type(node.op)](build(node.left), build(node.right))
        if isinstance(node, ast.Call):
            argument = build(node.args[0])
            return _value_function(node.func.id)(argument if isinstance(argument, Value) else Value(argument, requires_grad=False))
        raise FormulaError(f"unexpected part {type(node).__name__}")  # parse() has already refused it

    output = build(tree.body)
    if not isinstance(output, Value):
        output = Value(output, requires_grad=False)
    return output, leaves


def parse_values(text: str) -> dict[str, float]:
    """Read ``"i=1.5, w=0.8, y=0.5"`` into numbers; each value may be a constant formula like ``pi/4``."""
    result: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number_text = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or name.startswith("_"):
            raise FormulaError(f"values: could not read '{part}'; write name=number, separated by commas, like x=1.5, y=-2")
        if not number_text.strip():
            raise FormulaError(f"values: {name} has no number after '='; write {name}=1.5, for example")
        number = parse(number_text)
        if number.free_symbols:
            raise FormulaError(f"values: the value of {name} must be a number, got '{number_text.strip()}'")
        result[name] = float(number.evalf())
    return result
