"""Every primitive, three ways: SymPy, backprop and central differences agree (hypothesis).

Inputs are drawn inside each function's legal domain: positive for log, away from 0 for
the kinks of relu/abs and for division, without ties for max.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bplab import Value, compare, gradcheck

TOLERANCE = 1e-6
EXAMPLES = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SHAPES = st.sampled_from([(), (3,), (2, 3)])
BROADCAST_PAIRS = st.sampled_from([((), ()), ((3,), ()), ((), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((2, 3), (2, 3))])


def arrays(shape, low: float, high: float, away_from_zero: float = 0.0):
    """Float64 arrays in [low, high], with |x| >= away_from_zero when asked."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if away_from_zero:
        elements = elements.filter(lambda v: abs(v) >= away_from_zero)
    return hnp.arrays(np.float64, shape, elements=elements)


def cotangent(shape) -> np.ndarray:
    """A fixed, uneven weighting of the output, so every entry of the VJP is exercised."""
    size = int(np.prod(shape, dtype=int))
    return (np.arange(1, size + 1, dtype=np.float64) / size * (-1) ** np.arange(size)).reshape(shape) + 0.5


def assert_three_routes(fn, **at):
    """Scalarize fn's output with a fixed cotangent, then check SymPy = backprop = numeric."""

    def scalar(**values):
        out = fn(**values)
        return (out * cotangent(out.shape)).sum()

    scalar.__signature__ = inspect.Signature(  # compare() reads the variable names from it
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in at]
    )
    result = compare(scalar, at=at)
    assert result.max_rel_error <= TOLERANCE, repr(result)
    assert gradcheck(lambda *xs: scalar(**dict(zip(at, xs))), *at.values())


# ------------------------------------------------------------------ elementwise unary

UNARY = {
    "exp": (lambda x: x.exp(), -3.0, 3.0, 0.0),
    "log": (lambda x: x.log(), 0.1, 10.0, 0.0),
    "tanh": (lambda x: x.tanh(), -4.0, 4.0, 0.0),
    "sigmoid": (lambda x: x.sigmoid(), -6.0, 6.0, 0.0),
    "log_sigmoid": (lambda x: x.sigmoid().log(), -6.0, 6.0, 0.0),
    "relu": (lambda x: x.relu(), -3.0, 3.0, 0.1),
    "abs": (lambda x: x.abs(), -3.0, 3.0, 0.1),
    "sin": (lambda x: x.sin(), -4.0, 4.0, 0.0),
    "cos": (lambda x: x.cos(), -4.0, 4.0, 0.0),
    "tan": (lambda x: x.tan(), -1.2, 1.2, 0.0),
    "sinh": (lambda x: x.sinh(), -3.0, 3.0, 0.0),
    "cosh": (lambda x: x.cosh(), -3.0, 3.0, 0.0),
    "sech": (lambda x: x.sech(), -4.0, 4.0, 0.0),
    "sqrt": (lambda x: x.sqrt(), 0.1, 9.0, 0.0),
    "neg": (lambda x: -x, -3.0, 3.0, 0.0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@EXAMPLES
@given(data=st.data())
def test_unary_primitive_three_routes(name, data):
    fn, low, high, gap = UNARY[name]
    x = data.draw(SHAPES.flatmap(lambda s: arrays(s, low, high, gap)))
    assert_three_routes(lambda x: fn(x), x=x)


def test_step_and_sign_have_zero_gradient_away_from_zero():
    from bplab import ops
    from bplab.engine import apply

    x = Value(np.array([-2.0, -0.5, 0.5, 2.0]), name="x")
    out = (apply(ops.step, x) + apply(ops.sign, x) * 3.0).sum()
    out.backward()
    assert np.array_equal(x.grad, np.zeros(4))
    assert np.array_equal(apply(ops.step, x).data, [0.0, 0.0, 1.0, 1.0])


# ------------------------------------------------------------------ binary, with broadcasting

BINARY = {
    "add": (lambda a, b: a + b, (-3, 3, 0.0), (-3, 3, 0.0)),
    "sub": (lambda a, b: a - b, (-3, 3, 0.0), (-3, 3, 0.0)),
    "mul": (lambda a, b: a * b, (-3, 3, 0.0), (-3, 3, 0.0)),
    "div": (lambda a, b: a / b, (-3, 3, 0.0), (-3, 3, 0.5)),
    "pow (Value exponent)": (lambda a, b: a**b, (0.2, 3, 0.0), (-2, 2, 0.0)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@EXAMPLES
@given(data=st.data())
def test_binary_primitive_three_routes_with_broadcasting(name, data):
    fn, (a_low, a_high, a_gap), (b_low, b_high, b_gap) = BINARY[name]
    shape_a, shape_b = data.draw(BROADCAST_PAIRS)
    a = data.draw(arrays(shape_a, a_low, a_high, a_gap))
    b = data.draw(arrays(shape_b, b_low, b_high, b_gap))
    assert_three_routes(fn, a=a, b=b)


@EXAMPLES
@given(data=st.data(), exponent=st.sampled_from([2, 3, -1, 0.5, 1.5, -2.5]))
def test_power_with_a_number_exponent(data, exponent):
    x = data.draw(SHAPES.flatmap(lambda s: arrays(s, 0.3, 3.0)))
    assert_three_routes(lambda x: x**exponent, x=x)


@EXAMPLES
@given(data=st.data())
def test_constants_mix_in_from_both_sides(data):
    x = data.draw(arrays((2, 3), -2.0, 2.0))
    c = np.array([1.5, -2.0, 0.5])
    assert_three_routes(lambda x: (c - x) * 2.0 + c / (x * x + 1.0) - 3.0 / (1.0 + x * x), x=x)


# ------------------------------------------------------------------ reductions

AXES = st.sampled_from([None, 0, 1, -1, (0, 1)])


@pytest.mark.parametrize("reduction", ["sum", "mean", "logsumexp"])
@EXAMPLES
@given(data=st.data(), axis=AXES, keepdims=st.booleans())
def test_reductions_three_routes(reduction, data, axis, keepdims):
    x = data.draw(arrays((2, 3), -2.0, 2.0))
    assert_three_routes(lambda x: getattr(x, reduction)(axis=axis, keepdims=keepdims), x=x)


@EXAMPLES
@given(axis=AXES, keepdims=st.booleans(), seed=st.integers(0, 10_000))
def test_max_three_routes_without_ties(axis, keepdims, seed):
    x = np.random.default_rng(seed).permutation(6).reshape(2, 3) * 0.5 - 1.0  # distinct entries
    assert_three_routes(lambda x: x.max(axis=axis, keepdims=keepdims), x=x)


def test_max_shares_the_gradient_among_ties():
    x = Value(np.array([1.0, 3.0, 3.0, 2.0]))
    x.max().backward()
    assert np.array_equal(x.grad, [0.0, 0.5, 0.5, 0.0])


@EXAMPLES
@given(data=st.data(), axis=st.sampled_from([0, 1, -1]))
def test_softmax_and_log_softmax_three_routes(data, axis):
    x = data.draw(arrays((2, 3), -3.0, 3.0))
    assert_three_routes(lambda x: x.softmax(axis=axis), x=x)
    assert_three_routes(lambda x: x.log_softmax(axis=axis), x=x)


# ------------------------------------------------------------------ linear algebra and shape

MATMUL_SHAPES = st.sampled_from([((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)), ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 1))])


@EXAMPLES
@given(data=st.data(), shapes=MATMUL_SHAPES)
def test_matmul_three_routes(data, shapes):
    a = data.draw(arrays(shapes[0], -2.0, 2.0))
    b = data.draw(arrays(shapes[1], -2.0, 2.0))
    assert_three_routes(lambda a, b: a @ b, a=a, b=b)


@EXAMPLES
@given(data=st.data())
def test_reshape_transpose_and_indexing_three_routes(data):
    x = data.draw(arrays((2, 3), -2.0, 2.0))
    assert_three_routes(lambda x: x.reshape(3, 2) * x.T, x=x)
    assert_three_routes(lambda x: x.reshape((6,))[1:5], x=x)
    assert_three_routes(lambda x: x[1], x=x)
    assert_three_routes(lambda x: x[:, np.array([0, 2, 2])], x=x)  # a repeated pick adds up
    x3 = data.draw(arrays((2, 3, 2), -2.0, 2.0))
    assert_three_routes(lambda x: x.transpose(2, 0, 1), x=x3)


# ------------------------------------------------------------------ random compositions

UNARY_SAFE = [
    lambda v: v.tanh(),
    lambda v: v.sigmoid(),
    lambda v: v.sin(),
    lambda v: v.cos(),
    lambda v: v * v,
    lambda v: (v * v + 1.0).log(),
    lambda v: v.tanh().exp(),
    lambda v: 1.0 / (1.0 + v * v),
]  # no relu/abs here: x - x is exactly 0, where a kink makes the central difference wrong
BINARY_SAFE = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (1.0 + b * b),
]


@st.composite
def compositions(draw):
    """A random program over x and y: a list of steps, each unary or binary over earlier results."""
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            steps.append(("unary", draw(st.integers(0, len(UNARY_SAFE) - 1)), draw(st.integers(0, 10))))
        else:
            steps.append(("binary", draw(st.integers(0, len(BINARY_SAFE) - 1)), draw(st.integers(0, 10)), draw(st.integers(0, 10))))
    return steps


def run_program(steps, x, y):
    results = [x, y]
    for step in steps:
        if step[0] == "unary":
            results.append(UNARY_SAFE[step[1]](results[step[2] % len(results)]))
        else:
            results.append(BINARY_SAFE[step[1]](results[step[2] % len(results)], results[step[3] % len(results)]))
    total = results[-1]
    for extra in results[2:-1]:  # every intermediate reaches the output: shared sub-expressions
        total = total + extra * 0.25
    return total


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=compositions(), data=st.data(), shapes=BROADCAST_PAIRS)
def test_random_compositions_three_routes(program, data, shapes):
    x = data.draw(arrays(shapes[0], -1.5, 1.5))
    y = data.draw(arrays(shapes[1], -1.5, 1.5))
    assert_three_routes(lambda x, y: run_program(program, x, y), x=x, y=y)


# ------------------------------------------------------------------ every registered primitive, wherever defined

from bplab import nn, ops  # noqa: E402  (bplab.nn registers the losses, convolution, pooling and stack primitives)
from bplab.conv import avg_pool2d, conv2d, max_pool2d  # noqa: E402
from bplab.engine import apply  # noqa: E402
from bplab.recurrent import stack  # noqa: E402

_RNG = np.random.default_rng(7)
_PROBABILITIES = np.array([[0.2, 0.7], [0.9, 0.4]])
_TARGETS = np.array([[0.0, 1.0], [1.0, 0.0]])
_CLASSES = np.array([2, 0])
_IMAGE = np.arange(2 * 1 * 4 * 4, dtype=float).reshape(2, 1, 4, 4) / 7.0 - 1.0  # distinct: no ties in max pooling
_KERNEL = _RNG.normal(size=(2, 1, 2, 2))

#: One three-route case per registered primitive: (function of named Values, the inputs).
#: A primitive registered without a case here fails test_every_registered_primitive_has_a_case.
REGISTERED_CASES = {
    "add": (lambda a, b: a + b, {"a": np.array([1.0, -2.0]), "b": np.array(0.5)}),
    "sub": (lambda a, b: a - b, {"a": np.array([1.0, -2.0]), "b": np.array([0.5, 3.0])}),
    "mul": (lambda a, b: a * b, {"a": np.array([1.0, -2.0]), "b": np.array([0.5, 3.0])}),
    "div": (lambda a, b: a / b, {"a": np.array([1.0, -2.0]), "b": np.array([0.5, 3.0])}),
    "neg": (lambda x: -x, {"x": np.array([1.0, -2.0])}),
    "pow": (lambda a, b: a**b, {"a": np.array([1.5, 0.7]), "b": np.array([2.5, -1.0])}),
    "exp": (lambda x: x.exp(), {"x": np.array([0.3, -1.2])}),
    "log": (lambda x: x.log(), {"x": np.array([0.3, 4.0])}),
    "tanh": (lambda x: x.tanh(), {"x": np.array([0.3, -1.2])}),
    "sigmoid": (lambda x: x.sigmoid(), {"x": np.array([0.3, -1.2])}),
    "log_sigmoid": (lambda x: x.sigmoid().log(), {"x": np.array([0.3, -1.2])}),
    "relu": (lambda x: x.relu(), {"x": np.array([0.3, -1.2])}),
    "abs": (lambda x: x.abs(), {"x": np.array([0.3, -1.2])}),
    "sin": (lambda x: x.sin(), {"x": np.array([0.3, -1.2])}),
    "cos": (lambda x: x.cos(), {"x": np.array([0.3, -1.2])}),
    "tan": (lambda x: x.tan(), {"x": np.array([0.3, -1.2])}),
    "step": (lambda x: x.step() + x, {"x": np.array([0.3, -1.2])}),
    "sign": (lambda x: x.sign() * 2.0 + x, {"x": np.array([0.3, -1.2])}),
    "sinh": (lambda x: x.sinh(), {"x": np.array([0.3, -1.2])}),
    "cosh": (lambda x: x.cosh(), {"x": np.array([0.3, -1.2])}),
    "sech": (lambda x: x.sech(), {"x": np.array([0.3, -1.2])}),
    "sum": (lambda x: x.sum(axis=0), {"x": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "mean": (lambda x: x.mean(axis=1), {"x": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "max": (lambda x: x.max(axis=1), {"x": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "logsumexp": (lambda x: x.logsumexp(axis=1), {"x": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "matmul": (lambda a, b: a @ b, {"a": np.array([[0.3, -1.2], [2.0, 0.5]]), "b": np.array([[1.0], [-0.5]])}),
    "reshape": (lambda x: x.reshape(4) * np.arange(4.0), {"x": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "transpose": (lambda x: x.T * np.array([[1.0, 2.0], [3.0, 4.0]]), {"x": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "getitem": (lambda x: x[:, np.array([1, 1, 0])], {"x": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "binary_cross_entropy_with_logits": (lambda z: nn.binary_cross_entropy_with_logits(z, _TARGETS),
                                         {"z": np.array([[0.3, -1.2], [2.0, 0.5]])}),
    "binary_cross_entropy": (lambda p: nn.binary_cross_entropy(p, _TARGETS), {"p": _PROBABILITIES}),
    "cross_entropy": (lambda z: nn.cross_entropy(z, _CLASSES), {"z": np.array([[0.3, -1.2, 0.1], [2.0, 0.5, -0.3]])}),
    "linear": (lambda x, W, b: nn.linear(x, W, b), {"x": np.array([[0.3, -1.2], [2.0, 0.5], [1.0, 1.0]]),
                                                     "W": np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.1]]),
                                                     "b": np.array([0.1, -0.2, 0.3])}),
    "conv2d": (lambda x, k: conv2d(x, k, stride=1, padding=1), {"x": _IMAGE, "k": _KERNEL}),
    "max_pool2d": (lambda x: max_pool2d(x, 2), {"x": _IMAGE}),
    "avg_pool2d": (lambda x: avg_pool2d(x, 2), {"x": _IMAGE}),
    "stack": (lambda a, b: stack([a, b, a * b], axis=1), {"a": np.array([0.3, -1.2]), "b": np.array([2.0, 0.5])}),
    "where": (lambda a, b: apply(ops.where, a * a, b, condition=np.array([True, False, True])) * np.array([1.0, 2.0, 3.0]),
              {"a": np.array([0.3, -1.2, 2.0]), "b": np.array([2.0, 0.5, -0.7])}),
    "scatter_add": (lambda x: apply(ops.scatter_add, x * x, shape=(2, 3), index=(np.array([0, 1, 0]), np.array([2, 2, 2])))
                    * np.arange(1.0, 7.0).reshape(2, 3), {"x": np.array([0.3, -1.2, 2.0])}),
    "identity": (lambda x: apply(ops.identity, x) * x, {"x": np.array([0.3, -1.2])}),
    "standardize": (lambda x: apply(ops.standardize, x, axis=0, eps=1e-3) * np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 2.5]]),
                    {"x": np.array([[0.3, -1.2], [2.0, 0.5], [-0.7, 1.1]])}),
}


def test_every_registered_primitive_has_a_case():
    assert set(ops.PRIMITIVES) == set(REGISTERED_CASES)


@pytest.mark.parametrize("name", sorted(REGISTERED_CASES))
def test_every_registered_primitive_three_routes(name):
    fn, inputs = REGISTERED_CASES[name]
    assert_three_routes(fn, **inputs)


@pytest.mark.parametrize("name", sorted(REGISTERED_CASES))
def test_every_registered_primitive_states_its_formula_and_derivative(name):
    primitive = ops.PRIMITIVES[name]
    assert primitive.name == name
    assert any(mark in primitive.formula for mark in ("d/dx", "\\partial", "\\bar", "gradient")), name
    assert (primitive.arity is None or primitive.arity >= 1) and callable(primitive.to_sympy)


def test_a_case_runs_its_own_primitive():
    """The case table tests what it names: each case's graph contains the primitive of that name."""
    for name, (fn, inputs) in REGISTERED_CASES.items():
        out = fn(**{k: Value(v, name=k) for k, v in inputs.items()})
        assert name in {node.op.name for node in out.topological_order() if node.op is not None}, name


# ------------------------------------------------------------------ the function registry: one entry, read by every part

@pytest.mark.parametrize("name", sorted(ops.FUNCTIONS))
def test_each_function_entry_reaches_engine_parser_bridge_and_graph(name):
    from bplab.parser import ALLOWED_FUNCTIONS
    from bplab.plots import node_title
    from bplab.symbolic import from_sympy, parse

    entry = ops.FUNCTIONS[name]
    x = Value(0.7, name="x")
    out = getattr(x, name)()  # the engine's method
    assert getattr(Value, name).__doc__ == entry.doc
    assert out.op is entry.primitive
    assert node_title(out) == entry.primitive.label
    expected = entry.primitive.forward(np.array(0.7), *(() if entry.exponent is None else (np.array(entry.exponent),)))
    assert out.item() == pytest.approx(float(expected))
    formula = entry.sympy_function()(parse("x"))  # the SymPy bridge, both ways
    assert float(from_sympy(formula, {"x": 0.7}).item()) == pytest.approx(out.item())
    assert (name in ALLOWED_FUNCTIONS) == entry.typed  # the parser
    if entry.typed:
        assert float(from_sympy(parse(f"{name}(x)"), {"x": 0.7}).item()) == pytest.approx(out.item())


def test_log_of_sigmoid_is_fused_by_the_registry_alone():
    from bplab.symbolic import from_sympy, parse

    z = Value(-1000.0, name="z")
    assert z.sigmoid().log().item() == -1000.0
    assert from_sympy(parse("log(sigmoid(z))"), {"z": z}).op is ops.log_sigmoid


def test_register_refuses_a_second_primitive_with_a_taken_name():
    clash = ops.Primitive("add", np.add, (lambda g, out, a, b: g,) * 2, lambda a, b: a + b, r"\partial")
    with pytest.raises(ValueError, match="name 'add' is taken"):
        ops.register(clash)
    assert ops.PRIMITIVES["add"] is ops.add
