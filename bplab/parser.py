r"""Reading a formula a learner typed, safely: the security boundary between typed text and code.

Never calls ``eval``, ``exec``, ``sympify`` or ``parse_expr``. The text is parsed by Python's
``ast`` and one reader walks the tree, accepting only numbers, names, ``+ - * / ** ^``, unary
minus, parentheses and the typed functions of :data:`bplab.ops.FUNCTIONS`; everything else is
refused with a :class:`FormulaError` that points at the column the learner typed. Limits keep
a formula from costing much: its length, its number of parts, the size of every constant
(followed through powers and function calls) and of every exponent. ``^`` means power.

The reader hands each accepted piece to a *builder*: :class:`SympyBuilder` makes a SymPy
expression (:func:`parse`); :func:`bplab.symbolic.build_graph` passes one that makes Values,
so that the graph is built by the same reader, with the same checks.
"""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING, Any

from bplab.ops import FUNCTIONS, Function

if TYPE_CHECKING:
    import sympy


class FormulaError(ValueError):
    """A typed formula bplab will not read; the message points at the offending part."""

    def __init__(self, message: str, text: str = "", column: int | None = None) -> None:
        self.text = text
        self.column = column
        if column is not None and text:
            message = f"{message}\n    {text}\n    {' ' * (column - 1)}^"
        super().__init__(message)


#: The functions a learner may type, from the one registry of elementwise functions.
ALLOWED_FUNCTIONS = tuple(name for name, entry in FUNCTIONS.items() if entry.typed)
MAX_FORMULA_LENGTH = 500
MAX_FORMULA_NODES = 200
MAX_EXPONENT = 100
MAX_CONSTANT = 1e100
NAMED_CONSTANTS = {"pi": math.pi, "e": math.e, "E": math.e}
_ALLOWED_TEXT = f"numbers, variable names, + - * / ** ^, parentheses and the functions {', '.join(ALLOWED_FUNCTIONS)}"
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class SympyBuilder:
    """Builds SymPy expressions from the pieces the reader accepts (symbols are real)."""

    def __init__(self) -> None:
        import sympy

        self.sympy = sympy

    def number(self, value: int | float) -> Any:
        return self.sympy.Integer(value) if isinstance(value, int) else self.sympy.Float(value)

    def constant(self, name: str) -> Any:
        return self.sympy.pi if name == "pi" else self.sympy.E

    def variable(self, name: str) -> Any:
        return self.sympy.Symbol(name, real=True)

    def negate(self, operand: Any) -> Any:
        return -operand

    def binary(self, operator: str, left: Any, right: Any) -> Any:
        return apply_operator(operator, left, right)

    def call(self, function: Function, argument: Any) -> Any:
        return function.sympy_function()(argument)


def apply_operator(operator: str, left: Any, right: Any) -> Any:
    """``left <operator> right`` for one of ``+ - * / **`` (on SymPy expressions, Values or numbers)."""
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "/":
        return left / right
    return left**right


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


def _describe(node: ast.AST) -> str:
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


def _operator_symbol(op: ast.operator) -> str:
    symbols = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
               ast.BitOr: "|", ast.BitAnd: "&"}
    return f"'{symbols.get(type(op), type(op).__name__)}'"


class FormulaReader:
    """Walks a parsed formula once, refusing what is not allowed and tracking the size of constants.

    ``read(builder)`` returns what ``builder`` made of the whole formula.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise FormulaError(f"text: expected the formula as a string, got {type(text).__name__}")
        self.text = text.strip()
        if not self.text:
            raise FormulaError("text: the formula is empty; type something like x**2 + 3*x")
        if len(self.text) > MAX_FORMULA_LENGTH:
            raise FormulaError(f"text: the formula has {len(self.text)} characters; the limit is {MAX_FORMULA_LENGTH}")
        self.rewritten, self.origin = _power_spelled_out(self.text)
        try:
            self.tree = ast.parse(self.rewritten, mode="eval")
        except SyntaxError as exc:
            column = self.origin[min(max((exc.offset or 1) - 1, 0), len(self.origin) - 1)] + 1
            hint = ""
            if any(ch.isdigit() and nxt.isalpha() for ch, nxt in zip(self.text, self.text[1:])):
                hint = "; write multiplication with *, e.g. 2*x, not 2x"
            raise FormulaError(f"could not read the formula at column {column}{hint}", self.text, column) from None
        count = sum(1 for _ in ast.walk(self.tree))
        if count > MAX_FORMULA_NODES:
            raise FormulaError(f"text: the formula is too long ({count} parts; the limit is {MAX_FORMULA_NODES})")

    def read(self, builder: Any) -> Any:
        self.builder = builder
        built, _ = self._read(self.tree.body)
        return built

    # ------------------------------------------------------------------ errors that point at the text
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

    # ------------------------------------------------------------------ the walk
    def _read(self, node: ast.AST) -> tuple[Any, float | None]:
        """(what the builder made, the constant's value if this part is a constant, else None)."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                kind = "a string" if isinstance(node.value, str) else f"the constant {node.value!r}"
                raise self.fail(f"{kind} is not allowed", node)
            if abs(node.value) > MAX_CONSTANT:
                raise self.fail(f"the number {node.value} is too large (limit {MAX_CONSTANT:g})", node)
            return self.builder.number(node.value), float(node.value)
        if isinstance(node, ast.Name):
            return self._read_name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(f"the operator {type(node.op).__name__} is not allowed", node)
            operand, constant = self._read(node.operand)
            if isinstance(node.op, ast.USub):
                return self.builder.negate(operand), None if constant is None else -constant
            return operand, constant
        if isinstance(node, ast.BinOp):
            return self._read_binary(node)
        if isinstance(node, ast.Call):
            return self._read_call(node)
        raise self.fail(_describe(node), node)

    def _read_name(self, node: ast.Name) -> tuple[Any, float | None]:
        name = node.id
        if name.startswith("_"):
            raise self.fail(f"the name '{name}' is not allowed (names may not start with _)", node)
        if name in ALLOWED_FUNCTIONS:
            raise self.fail(f"'{name}' is a function: call it with parentheses, like {name}(x),", node)
        if name in NAMED_CONSTANTS:
            return self.builder.constant(name), NAMED_CONSTANTS[name]
        return self.builder.variable(name), None

    def _read_binary(self, node: ast.BinOp) -> tuple[Any, float | None]:
        op = node.op
        if type(op) not in _OPERATORS:
            raise self.fail(f"the operator {_operator_symbol(op)} is not allowed", node)
        left, left_constant = self._read(node.left)
        right, right_constant = self._read(node.right)
        constant = None
        if isinstance(op, ast.Pow):
            if right_constant is not None and abs(right_constant) > MAX_EXPONENT:
                raise self.fail(f"the exponent {right_constant:g} is too large (limit {MAX_EXPONENT})", node.right)
            if left_constant is not None and right_constant is not None:
                try:
                    constant = abs(left_constant) ** right_constant
                except (OverflowError, ZeroDivisionError):
                    constant = math.inf
                if isinstance(constant, complex) or constant > MAX_CONSTANT:
                    raise self.fail("this power is too large to compute", node)
        else:
            if left_constant is not None and right_constant is not None:
                constant = abs(left_constant) * abs(right_constant) + abs(left_constant) + abs(right_constant)
                if isinstance(op, ast.Div) and right_constant != 0:
                    constant = abs(left_constant / right_constant)
                if constant > MAX_CONSTANT:
                    raise self.fail("this constant is too large", node)
            if isinstance(op, ast.Div) and right_constant == 0:
                raise self.fail("division by zero", node.right)
        return self.builder.binary(_OPERATORS[type(op)], left, right), constant

    def _read_call(self, node: ast.Call) -> tuple[Any, float | None]:
        if not isinstance(node.func, ast.Name):
            raise self.fail(_describe(node.func), node.func)
        name = node.func.id
        if name not in ALLOWED_FUNCTIONS:
            raise self.fail(f"unknown function '{name}'", node)
        if node.keywords or len(node.args) != 1:
            raise self.fail(f"{name}() takes exactly one argument, like {name}(x)", node)
        function = FUNCTIONS[name]
        argument, constant = self._read(node.args[0])
        size = None if constant is None else function.bound(constant)  # how large f(constant) can be
        if size is not None and math.isfinite(size) and size > MAX_CONSTANT:
            raise self.fail(f"{name}() of this constant is too large", node)
        return self.builder.call(function, argument), size


def parse(text: str) -> "sympy.Expr":
    """Read a formula typed by a learner (e.g. ``"(i*w - y)**2"``) into a SymPy expression.

    Only numbers, names, ``+ - * / ** ^``, unary minus, parentheses and the functions
    sin cos tan exp log sqrt tanh sigmoid relu abs are accepted; ``^`` means power.
    Raises :class:`FormulaError` (a ``ValueError``) that points at the offending part.
    """
    import sympy

    expr = FormulaReader(text).read(SympyBuilder())
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError(f"the formula is infinite or undefined as written ({expr}); "
                           "look for a division by zero or a log(0)")
    return expr


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
