"""The primitive table's helpers, one by one: what mutation testing found no test of (bench/mutation.py).

The three-route tests in test_primitives.py check each primitive's derivatives; these check the
pieces around them: the registry, the SymPy wrapping, axis handling, the parser's size bounds and
the overflow-free sech.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from bplab import Value, ops
from bplab.parser import FormulaError, parse


# ------------------------------------------------------------------ the registry


def test_register_names_the_argument_and_the_type_it_got():
    with pytest.raises(TypeError, match=r"^primitive: expected a bplab.ops.Primitive, got str$"):
        ops.register("add")


def test_register_adds_a_new_primitive_and_accepts_the_same_one_again():
    double = ops.Primitive("test_double", lambda x: 2 * x, (lambda g, out, x: 2 * g,), lambda x: 2 * x, r"2x")
    try:
        assert ops.register(double) is double and ops.PRIMITIVES["test_double"] is double
        assert ops.register(double) is double  # the same object again: no clash
        twin = ops.Primitive("test_double", double.forward, double.vjps, double.to_sympy, double.formula)
        assert ops.register(twin) is twin  # the same definition run again (a module reloaded)
        other = ops.Primitive("test_double", np.negative, double.vjps, double.to_sympy, double.formula)
        with pytest.raises(ValueError, match="name 'test_double' is taken"):
            ops.register(other)  # the same formula with a forward defined elsewhere: a clash
        reworded = ops.Primitive("test_double", double.forward, double.vjps, double.to_sympy, r"x + x")
        with pytest.raises(ValueError, match="name 'test_double' is taken"):
            ops.register(reworded)  # the same forward with another formula: a clash
        assert ops.PRIMITIVES["test_double"] is twin
    finally:
        ops.PRIMITIVES.pop("test_double", None)


# ------------------------------------------------------------------ SymPy results as object arrays


def test_as_objects_wraps_scalars_and_arrays_and_keeps_object_arrays():
    x = sympy.Symbol("x")
    scalar = ops.as_objects(x + 1)
    assert scalar.shape == () and scalar.dtype == object and scalar[()] == x + 1
    floats = ops.as_objects(np.array([[1.5, 2.0]]))
    assert floats.shape == (1, 2) and floats.dtype == object and floats.tolist() == [[1.5, 2.0]]
    already = np.array([x, 2 * x], dtype=object)
    assert ops.as_objects(already) is already


# ------------------------------------------------------------------ axes


@pytest.mark.parametrize("axis, ndim, expected", [
    (None, 3, (0, 1, 2)), (-1, 3, (2,)), ((2, 0), 3, (0, 2)), (np.int64(1), 2, (1,)),
    (None, 0, ()), (0, 0, (0,)), (-1, 0, (0,)),  # a 0-d array: every axis names the only "place"
])
def test_normalize_axis(axis, ndim, expected):
    assert ops.normalize_axis(axis, ndim) == expected


@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "logsumexp"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_backward_keep_the_input_shape_for_either_keepdims(reduction, keepdims):
    x = Value(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))
    out = getattr(x, reduction)(axis=1, keepdims=keepdims)
    assert out.data.shape == ((2, 1) if keepdims else (2,))
    (out * np.arange(1.0, 3.0).reshape(out.data.shape)).sum().backward()
    weights = np.array([[1.0], [2.0]])
    expected = {"sum": np.ones((2, 3)), "mean": np.full((2, 3), 1 / 3),
                "max": np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
                "logsumexp": np.exp(x.data) / np.exp(x.data).sum(axis=1, keepdims=True)}[reduction]
    assert np.allclose(x.grad, weights * expected, rtol=1e-12)


# ------------------------------------------------------------------ the parser's size bounds


@pytest.mark.parametrize("name, constant, size", [
    ("exp", 1.0, math.e), ("exp", -2.0, math.exp(-2.0)), ("exp", 1e6, math.exp(700.0)),
    ("log", math.e, 1.0), ("log", -math.e ** 2, 2.0), ("log", 0.0, math.inf),
    ("cosh", -2.0, math.cosh(2.0)), ("sinh", 2.0, math.cosh(2.0)), ("cosh", 1e6, math.cosh(700.0)),
    ("tanh", 50.0, 1.0), ("sigmoid", -50.0, 1.0), ("abs", -3.0, 3.0), ("sqrt", -9.0, 3.0),
])
def test_each_function_bounds_its_value_at_a_constant(name, constant, size):
    assert ops.FUNCTIONS[name].bound(constant) == pytest.approx(size, rel=1e-12)


@pytest.mark.parametrize("text", ["exp(231)", "cosh(231)", "cosh(-231)", "sinh(300)"])
def test_the_parser_refuses_a_constant_too_large_to_compute(text):
    with pytest.raises(FormulaError, match="too large"):
        parse(text)


@pytest.mark.parametrize("text", ["exp(230)", "cosh(-230)", "log(0.000001)", "tanh(1000)"])
def test_the_parser_accepts_large_but_finite_constants(text):
    parse(text)


# ------------------------------------------------------------------ sech without overflow


def test_sech_of_a_large_argument_is_zero_without_overflow():
    with np.errstate(over="raise", invalid="raise"):  # underflow to 0 is the point
        out = Value(np.array([-800.0, 0.0, 800.0])).sech()
    assert np.array_equal(out.data, [0.0, 1.0, 0.0])


# ------------------------------------------------------------------ each rule's own defaults


def test_reduction_rules_called_without_settings_reduce_everything():
    """A primitive's rules have defaults of their own (PyTorch's: all axes, no kept dims): they must agree."""
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    for name in ("sum", "mean", "max", "logsumexp"):
        primitive = ops.PRIMITIVES[name]
        out = primitive.forward(x)
        assert np.shape(out) == (), name
        explicit = primitive.vjps[0](np.float64(1.0), out, x, axis=None, keepdims=False)
        assert np.allclose(primitive.vjps[0](np.float64(1.0), out, x), explicit), name
        tangent = np.ones_like(x)
        assert np.shape(primitive.jvps[0](tangent, out, x)) == (), name
    symbols = np.array(sympy.symbols("a b c"), dtype=object)
    assert np.shape(ops.PRIMITIVES["max"].to_sympy(symbols)) == ()


def test_standardize_rules_default_to_the_last_axis_and_eps_1e_5():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    primitive = ops.PRIMITIVES["standardize"]
    out = primitive.forward(x)
    centred = x - x.mean(axis=-1, keepdims=True)
    assert np.allclose(out, centred / np.sqrt((centred ** 2).mean(axis=-1, keepdims=True) + 1e-5), rtol=1e-12)
    g = np.arange(6.0).reshape(2, 3)
    assert np.allclose(primitive.vjps[0](g, out, x), primitive.vjps[0](g, out, x, axis=-1, eps=1e-5))
    twin = primitive.to_sympy(x.astype(object))
    assert np.allclose(np.array(twin, dtype=float), out, rtol=1e-9)


@pytest.mark.parametrize("axis", [-1, 1, 0, (0, 1)])
def test_standardize_on_every_axis_three_routes(axis):
    """Layer norm standardizes the last axis of a batch: a (2, 3) input, where a reduced axis must be kept."""
    from bplab import compare, gradcheck
    from bplab.engine import apply

    weights = np.array([[1.0, -2.0, 0.5], [3.0, 1.5, -1.0]])

    def scalar(x):
        return (apply(ops.standardize, x, axis=axis, eps=1e-5) * weights).sum()

    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    result = compare(scalar, at={"x": x})
    assert result.max_rel_error <= 1e-6, repr(result)
    assert gradcheck(scalar, x)


# ---------------------------------------------------------------------------- the last survivors of the table's run


def test_a_primitive_refuses_the_wrong_number_of_operands():
    from bplab.engine import apply

    with pytest.raises(TypeError, match=r"^add\(\): expected 2 operand\(s\), got 1$"):
        apply(ops.add, Value(1.0))


def test_a_new_primitives_arity_is_its_number_of_vjps_or_none_for_every_input():
    from bplab.engine import apply

    def forward(a, b):
        return a * b

    pair = ops.Primitive("test_pair", forward, (lambda g, out, a, b: g * b, lambda g, out, a, b: g * a),
                         lambda a, b: a * b, r"a b")  # made in the test, so its arity is computed here
    assert pair.arity == 2
    with pytest.raises(TypeError, match=r"^test_pair\(\): expected 2 operand\(s\), got 3$"):
        apply(pair, Value(1.0), Value(2.0), Value(3.0))
    assert apply(pair, Value(2.0), Value(3.0)).item() == 6.0
    many = ops.Primitive("test_many", lambda *xs: sum(xs), ops.EveryInput(lambda k, g, out, *xs: g),
                         lambda *xs: sum(xs), r"\sum x")
    assert many.arity is None


def test_a_transpose_with_negative_axes_sends_the_gradient_back_through_the_inverse_order():
    rng = np.random.default_rng(0)
    x = Value(rng.normal(size=(2, 3, 4)))
    g = rng.normal(size=(4, 2, 3))
    x.transpose(-1, 0, 1).backward(g)  # axes (2, 0, 1): the inverse order is (1, 2, 0)
    np.testing.assert_array_equal(x.grad, np.transpose(g, (1, 2, 0)))


def test_scatter_add_keeps_the_gradients_dtype_and_starts_from_zero_in_both_routes():
    added = ops.scatter_add.forward(np.ones(2, dtype=np.float32), (4,), ([0, 0],))
    assert added.dtype == np.float32 and added.tolist() == [2.0, 0.0, 0.0, 0.0]  # an entry picked twice gets both
    x = sympy.Symbol("x")
    formula = ops.scatter_add.to_sympy(np.array([x, x], dtype=object), (3,), ([1, 1],))
    assert list(formula) == [0, 2 * x, 0]


def test_the_maximums_tangent_keeps_the_reduced_axis_when_asked():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    t = np.ones_like(x)
    out = np.max(x, axis=1, keepdims=True)
    tangent = ops.reduce_max.jvps[0](t, out, x, axis=1, keepdims=True)
    assert tangent.shape == (2, 1) and tangent.tolist() == [[1.0], [1.0]]  # a tie shares the tangent: ½ + ½


def test_a_vector_times_a_matrix_gives_the_vector_a_vector_gradient():
    a, b = Value(np.array([1.0, 2.0, 3.0])), Value(np.arange(6.0).reshape(3, 2))
    (a @ b).sum().backward()
    assert a.grad.shape == (3,) and a.grad.tolist() == [1.0, 5.0, 9.0]  # each row of b summed
    assert b.grad.tolist() == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
