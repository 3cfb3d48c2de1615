"""The SymPy bridge and the safe parser."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from bplab import Value, from_sympy, parse, to_sympy
from bplab.symbolic import FormulaError, expression_size, gradient, lambdify
from bplab.sympy_functions import relu, sigmoid

x, y, w = sympy.symbols("x y w", real=True)


# ------------------------------------------------------------------ parse: what it accepts

@pytest.mark.parametrize(
    "text, expected",
    [
        ("x**2 + 3*x", x**2 + 3 * x),
        ("x^2", x**2),
        ("3*x^2 + 2", 3 * x**2 + 2),  # ^ binds like **, not like Python's XOR
        ("2^x^2", 2 ** (x**2)),
        ("-x^2", -(x**2)),
        ("-x", -x),
        ("(1.5*w - 0.5)**2", (sympy.Float(1.5) * w - sympy.Float(0.5)) ** 2),
        ("sigmoid(w*x)", sigmoid(w * x)),
        ("relu(x) + abs(y)", relu(x) + sympy.Abs(y)),
        ("exp(-x**2/2)", sympy.exp(-(x**2) / 2)),
        ("sqrt(x) * log(y)", sympy.sqrt(x) * sympy.log(y)),
        ("sin(x) + cos(x) + tan(x) + tanh(x)", sympy.sin(x) + sympy.cos(x) + sympy.tan(x) + sympy.tanh(x)),
        ("2*pi*x", 2 * sympy.pi * x),
        ("e**x", sympy.exp(x)),
    ],
)
def test_parse_reads_formulas(text, expected):
    assert sympy.simplify(parse(text) - expected) == 0


def test_parsed_symbols_are_real_so_abs_differentiates_to_sign():
    assert sympy.diff(parse("abs(x)"), x) == sympy.sign(x)


# ------------------------------------------------------------------ parse: what it refuses, quickly

@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os').getpid()", "attribute access .* is not allowed at column 1"),
        ("__import__('os')", "unknown function '__import__' at column 1"),
        ("open('f', 'w')", "unknown function 'open' at column 1; allowed: .*functions sin, cos"),
        ("x.real", "attribute access"),
        ("x.func", "attribute access"),  # attributes a SymPy symbol really has: the parser refuses them itself
        ("x.args", "attribute access"),
        ("x.__class__", "attribute access"),
        ("x.subs(x, 1)", "attribute access"),
        ("(1).__class__", "attribute access"),
        ("lambda x: x", "lambda"),
        ("[t for t in x]", "comprehension"),
        ("'abc'", "string"),
        ("9**9**9**9", "exponent .* too large"),
        ("x**1000", "exponent 1000 is too large"),
        ("x" * 600, "600 characters; the limit is 500"),
        ("+".join(["x"] * 150), "too long"),
        ("2x", "write multiplication with \\*"),
        ("x if y else w", "if/else"),
        ("x[0]", "indexing"),
        ("sin(x, y)", "exactly one argument"),
        ("exp(x=1)", "exactly one argument"),
        ("exp", "'exp' is a function"),
        ("x % 2", "'%'"),
        ("x == 1", "comparison"),
        ("_secret", "may not start with _"),
        ("(x, y)", "tuple"),
        ("1e300 * 1e300", "too large"),
        ("exp(1000)", "too large"),
        ("", "empty"),
        ("((abs(10**99)**100)**100)**100", "too large"),  # the size of a constant survives a function call
        ("sqrt(10**90)**100", "too large"),
        ("1/0", "division by zero at column 3"),
        ("x**(1/(2-2))", "division by zero"),
        ("log(0)", "infinite or undefined"),
    ],
)
def test_parse_rejects_with_a_pointed_message(text, message):
    with pytest.raises(FormulaError, match=message):  # 9**9**9**9 would hang if it were computed
        parse(text)


def test_parse_error_points_at_the_column():
    with pytest.raises(FormulaError) as info:
        parse("x + open(1)")
    assert info.value.column == 5
    assert "\n    x + open(1)\n        ^" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_never_runs_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text in ("open('pwned', 'w')", "__import__('os').system('touch pwned')", "exec('1')", "eval('1')"):
        with pytest.raises(FormulaError):
            parse(text)
    assert not (tmp_path / "pwned").exists()


def test_parse_rejects_non_text():
    with pytest.raises(FormulaError, match="expected the formula as a string, got int"):
        parse(3)


# ------------------------------------------------------------------ to_sympy / from_sympy

def test_to_sympy_names_leaves_and_keeps_constants_exact():
    w_value = Value(0.8, name="w")
    expr = to_sympy((1.5 * w_value - 0.5) ** 2)
    assert sympy.simplify(expr - (1.5 * w - 0.5) ** 2) == 0
    assert to_sympy(Value(2.0, name="x") ** 2) == x**2  # integer constants stay integers


def test_unnamed_leaves_get_stable_generated_names():
    a, b = Value(1.0), Value(2.0)
    expr = to_sympy(a * b + a)
    assert {s.name for s in expr.free_symbols} == {"x0", "x1"}
    assert to_sympy(a * b + a) == expr  # same graph, same names


def test_generated_names_avoid_learner_names():
    a = Value(1.0, name="x0")
    b = Value(2.0)
    assert {s.name for s in to_sympy(a + b).free_symbols} == {"x0", "x1"}


def test_to_sympy_of_arrays():
    W = Value(np.ones((2, 2)), name="W")
    v = Value(np.ones(2), name="v")
    result = to_sympy(W @ v)
    assert result.shape == (2,)
    W00, W01, v0, v1 = (sympy.Symbol(n, real=True) for n in ("W[0,0]", "W[0,1]", "v[0]", "v[1]"))
    assert sympy.expand(result[0] - (W00 * v0 + W01 * v1)) == 0


def test_from_sympy_builds_a_graph_that_backpropagates_to_given_values():
    w_value = Value(0.8, name="w")
    cost = from_sympy(parse("(i*w - y)**2"), {"i": 1.5, "w": w_value, "y": 0.5})
    cost.backward()
    assert cost.data == pytest.approx(0.49)
    assert w_value.grad == pytest.approx(2.1)


def test_from_sympy_shares_repeated_subexpressions():
    expr = sympy.tanh(x) * sympy.tanh(x) + sympy.tanh(x)
    out = from_sympy(expr, {"x": 0.3})
    tanh_nodes = [n for n in out.topological_order() if n.op is not None and n.op.name == "tanh"]
    assert len(tanh_nodes) == 1


def test_from_sympy_round_trips_every_function():
    expr = parse("sigmoid(x) + relu(x) + abs(x) + exp(x) + log(x) + tanh(x) + sin(x) + cos(x) + tan(x) + sqrt(x)")
    value = from_sympy(expr, {"x": 0.7}).item()
    assert value == pytest.approx(float(expr.subs(x, 0.7).evalf()))
    assert from_sympy(parse("log(sigmoid(x))"), {"x": -1000.0}).item() == pytest.approx(-1000.0)


def test_from_sympy_names_missing_values():
    with pytest.raises(ValueError, match="values: no value for y"):
        from_sympy(x + y, {"x": 1.0})


def test_from_sympy_refuses_unknown_functions():
    with pytest.raises(ValueError, match="no primitive for erf"):
        from_sympy(sympy.erf(x), {"x": 1.0})


# ------------------------------------------------------------------ gradients, lambdify, sizes

def test_gradient_and_lambdify():
    expr = parse("sigmoid(w*x)")
    grads = gradient(expr)
    assert set(grads) == {w, x}
    s = sigmoid(w * x)
    assert sympy.simplify(grads[w] - x * s * (1 - s)) == 0
    f = lambdify([w, x], grads[w])
    expected = 2.0 * (1 / (1 + np.exp(-1.0))) * (1 - 1 / (1 + np.exp(-1.0)))
    assert f(0.5, 2.0) == pytest.approx(expected)


def test_lambdify_handles_max_and_relu():
    f = lambdify([x, y], [sympy.Max(x, y), relu(x), sympy.diff(relu(x), x)])
    assert f(-1.0, 2.0) == [2.0, 0.0, 0.0]


def test_expression_swell_and_cse():
    """The PhD lesson's measurement: derivatives of deep compositions swell; CSE shrinks them."""
    expr = x
    for _ in range(4):
        expr = sympy.tanh(w * expr + 1)
    derivative = sympy.diff(expr, w)
    plain, shared = expression_size(derivative), expression_size(derivative, cse=True)
    assert shared < plain
    assert expression_size([expr, derivative], cse=True) < expression_size([expr, derivative])


def test_error_columns_count_what_the_learner_typed():
    with pytest.raises(FormulaError) as info:
        parse("x^2 + y.z")  # ^ is rewritten to ** internally; the caret must not shift
    assert info.value.column == 7 and "x^2 + y.z" in str(info.value)
    with pytest.raises(FormulaError) as info:
        parse("α*β + x.y")  # ast counts UTF-8 bytes; columns are characters
    assert info.value.column == 7


def test_small_constants_through_functions_are_fine():
    assert parse("tan(1)**2 + abs(-3)**2") == sympy.tan(1) ** 2 + 9
