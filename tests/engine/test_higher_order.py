"""Second derivatives: the backward pass, recorded, is differentiated again. Checked for every
registered primitive against finite differences of gradients, and against SymPy's Hessian."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from bplab import Value, func, nn, ops
from bplab.engine import gradients
from test_primitives import REGISTERED_CASES

EPS = 1e-5
NOT_TWICE = {"conv2d", "max_pool2d", "avg_pool2d"}  # their VJPs are NumPy-only: refused with a clear error


def scalar_of(fn, names, position, inputs):
    """A single-number function of input ``position`` (the others fixed): a fixed uneven weighting of fn's output."""
    def f(x):
        values = {n: (x if k == position else Value(inputs[n], requires_grad=False)) for k, n in enumerate(names)}
        out = fn(**values)
        weights = np.linspace(0.5, 1.5, out.data.size).reshape(out.data.shape)
        return (out * weights).sum()
    return f


@pytest.mark.parametrize("name", sorted(set(REGISTERED_CASES) - NOT_TWICE))
def test_hessian_vector_products_match_finite_differences_of_gradients(name):
    fn, inputs = REGISTERED_CASES[name]
    names = list(inputs)
    for position, input_name in enumerate(names):
        x0 = np.asarray(inputs[input_name], dtype=float)
        v = np.random.default_rng(position).standard_normal(x0.shape)
        f = scalar_of(fn, names, position, inputs)
        forward_over_reverse = func.hvp(f, x0, v).data

        def gradient_at(x):
            return func.grad(f)(x).data

        numeric = (gradient_at(x0 + EPS * v) - gradient_at(x0 - EPS * v)) / (2 * EPS)
        np.testing.assert_allclose(forward_over_reverse, numeric, rtol=1e-5, atol=1e-6, err_msg=f"{name}: {input_name}")
        # reverse over reverse gives the same product: the gradient of <grad f, v>
        reverse_over_reverse = func.grad(lambda x: (func.grad(f)(x) * v).sum())(x0).data
        np.testing.assert_allclose(reverse_over_reverse, forward_over_reverse, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(NOT_TWICE))
def test_second_derivatives_through_convolutions_are_refused_clearly(name):
    fn, inputs = REGISTERED_CASES[name]
    names = list(inputs)
    f = scalar_of(fn, names, 0, inputs)
    with pytest.raises(NotImplementedError, match=f"{name}: its VJP cannot itself be differentiated"):
        func.hvp(f, inputs[names[0]], np.ones_like(inputs[names[0]]))


def tiny_network(x, W1, W2):
    hidden = (x @ W1).tanh()
    return (hidden @ W2).sigmoid().sum() + (x @ W1).softmax(axis=-1)[0, 0]


def test_the_hessian_of_a_tanh_sigmoid_softmax_network_matches_sympy():
    x = np.array([[0.4, -0.3]])
    W1 = np.array([[0.5, -1.0], [0.8, 0.3]])
    W2 = np.array([[1.2], [-0.7]])
    hessian = func.jacfwd(func.grad(lambda w: tiny_network(x, w, W2)))(W1).data  # (2, 2, 2, 2)
    by_reverse = func.jacrev(func.grad(lambda w: tiny_network(x, w, W2)))(W1).data
    w = sympy.symbols("w0:4")
    M = sympy.Matrix(2, 2, w)
    xs = sympy.Matrix([[sympy.Rational(2, 5), sympy.Rational(-3, 10)]])
    z = xs * M
    hidden = z.applyfunc(sympy.tanh)
    out = hidden * sympy.Matrix(W2.tolist()).applyfunc(sympy.nsimplify)
    soft = sympy.exp(z[0]) / (sympy.exp(z[0]) + sympy.exp(z[1]))
    expr = 1 / (1 + sympy.exp(-out[0])) + soft
    exact = np.array(sympy.hessian(expr, w).subs(dict(zip(w, W1.ravel()))), dtype=float).reshape(2, 2, 2, 2)
    np.testing.assert_allclose(hessian, exact, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(by_reverse, exact, rtol=1e-10, atol=1e-12)


def test_known_values_and_the_check_catches_a_wrong_second_derivative():
    assert func.grad(func.grad(lambda x: x**3))(2.0).item() == pytest.approx(12.0)  # 6x
    assert func.hvp(lambda x: (x**2).sum() * 0.5, np.array([1.0, 2.0]), np.array([3.0, -1.0])).data.tolist() == [3.0, -1.0]
    wrong = ops.Primitive("square_wrong_twice", lambda x: x * x, (lambda g, out, x: g * 2.0 * numbers(x),),
                          lambda x: x * x, r"x^2,\quad d/dx = 2x", jvps=(lambda t, out, x: 2.0 * t * x,))
    from bplab.engine import apply
    # a VJP that reads the numbers (a constant) loses the second derivative: 0 instead of 2
    assert func.grad(func.grad(lambda x: apply(wrong, x)))(1.5).item() == 0.0


def numbers(x):
    return x.data if isinstance(x, Value) else x


def test_a_loss_hessian_through_cross_entropy_and_a_linear_layer():
    X = np.array([[0.3, -1.2], [2.0, 0.5], [1.0, 1.0]])
    classes = np.array([0, 2, 1])
    bias = np.array([0.1, -0.2, 0.3])

    def loss(W):
        return nn.cross_entropy(nn.linear(X, W, bias), classes)

    W0 = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.1]])
    v = np.ones_like(W0)
    numeric = (func.grad(loss)(W0 + EPS * v).data - func.grad(loss)(W0 - EPS * v).data) / (2 * EPS)
    np.testing.assert_allclose(func.hvp(loss, W0, v).data, numeric, rtol=1e-6, atol=1e-8)


def test_recorded_gradients_are_values_the_plain_ones_arrays():
    x = Value(np.array([1.0, 2.0]), name="x")
    y = (x * x).sum()
    (recorded,) = gradients(y, [x], create_graph=True)
    (plain,) = gradients(y, [x])
    assert isinstance(recorded, Value) and isinstance(plain, np.ndarray)
    np.testing.assert_array_equal(recorded.data, plain)
    (second,) = gradients(recorded.sum(), [x])
    np.testing.assert_array_equal(second, [2.0, 2.0])
