"""Forward mode: every primitive's JVP agrees with its VJP (dot-product identity) and with central
differences; the torch.func-shaped transforms agree with each other, with SymPy and with known values."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from bplab import Value, func, nn, ops
from bplab.engine import apply, forward_mode, gradients
from test_primitives import REGISTERED_CASES

EPS = 1e-6


def random_like(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def check_jvp(fn, inputs: dict[str, np.ndarray], seed: int = 0, rtol: float = 1e-6) -> None:
    """One random tangent per input, one random cotangent for the output:
    (1) ⟨u, J v⟩ from forward mode equals ⟨Jᵀu, v⟩ from reverse mode;
    (2) J v equals the central difference (f(x + εv) − f(x − εv)) / 2ε."""
    names = list(inputs)
    primals = [inputs[n] for n in names]
    tangents = [random_like(np.shape(p), seed + k) for k, p in enumerate(primals)]

    def f(*values):
        return fn(**dict(zip(names, values)))

    output, tangent = func.jvp(f, primals, tangents)
    u = random_like(output.data.shape, seed + 100)
    _, vjp_fn = func.vjp(f, *primals)
    pulled = vjp_fn(u)
    forward = float(np.sum(u * tangent.data))
    reverse = float(sum(np.sum(g.data * v) for g, v in zip(pulled, tangents)))
    assert forward == pytest.approx(reverse, rel=rtol, abs=1e-9), (forward, reverse)

    def at(sign: float) -> np.ndarray:
        shifted = [Value(p + sign * EPS * v) for p, v in zip(primals, tangents)]
        return f(*shifted).data

    numeric = (at(1.0) - at(-1.0)) / (2 * EPS)
    np.testing.assert_allclose(tangent.data, numeric, rtol=1e-5, atol=1e-6)


def test_every_registered_primitive_has_a_jvp():
    missing = [name for name, primitive in ops.PRIMITIVES.items() if primitive.jvps is None]
    assert missing == []


@pytest.mark.parametrize("name", sorted(REGISTERED_CASES))
def test_every_registered_primitive_jvp_matches_its_vjp_and_finite_differences(name):
    fn, inputs = REGISTERED_CASES[name]
    for seed in (0, 1):
        check_jvp(fn, inputs, seed=seed)


def test_the_check_catches_a_planted_wrong_jvp():
    wrong = ops.Primitive("wrong_cube", lambda x: x**3, (lambda g, out, x: g * 3 * x**2,), lambda x: x**3,
                          r"x^3,\quad d/dx = 3x^2", jvps=(lambda t, out, x: t * 3 * x,))  # should be 3x^2
    with pytest.raises(AssertionError):
        check_jvp(lambda x: apply(wrong, x), {"x": np.array([0.5, -1.5, 2.0])})
    right = ops.Primitive("right_cube", lambda x: x**3, (lambda g, out, x: g * 3 * x**2,), lambda x: x**3,
                          r"x^3,\quad d/dx = 3x^2", jvps=(lambda t, out, x: t * 3 * x**2,))
    check_jvp(lambda x: apply(right, x), {"x": np.array([0.5, -1.5, 2.0])})


def test_known_values():
    output, tangent = func.jvp(lambda x: x**2, (3.0,), (1.0,))
    assert output.item() == 9.0 and tangent.item() == 6.0
    _, tangent = func.jvp(lambda x, y: x * y + y.exp(), (2.0, 0.0), (1.0, 1.0))  # y + x + e^y = 0 + 2 + 1
    assert tangent.item() == pytest.approx(3.0)
    w = 0.8  # the one-weight network: dC/dw = 2 (1.5 w - 0.5) 1.5 = 2.1
    assert func.grad(lambda w: (1.5 * w - 0.5) ** 2)(w).item() == pytest.approx(2.1)
    assert func.jvp(lambda w: (1.5 * w - 0.5) ** 2, (w,), (1.0,))[1].item() == pytest.approx(2.1)


def test_a_broadcast_input_tangent_reaches_every_output_entry():
    _, tangent = func.jvp(lambda a, b: a + b, (np.zeros(3), 0.0), (np.zeros(3), 1.0))
    np.testing.assert_array_equal(tangent.data, np.ones(3))


def test_jacobians_by_forward_and_reverse_mode_agree_with_sympy():
    def f(x):
        return (x * x[::-1]).tanh() + x.sum().sin()

    x0 = np.array([0.3, -0.7, 1.1])
    forward, reverse = func.jacfwd(f)(x0).data, func.jacrev(f)(x0).data
    symbols = sympy.symbols("x0:3")
    exprs = [sympy.tanh(symbols[i] * symbols[2 - i]) + sympy.sin(sum(symbols)) for i in range(3)]
    exact = np.array(sympy.Matrix(exprs).jacobian(symbols).subs(dict(zip(symbols, x0))), dtype=float)
    np.testing.assert_allclose(forward, exact, rtol=1e-12)
    np.testing.assert_allclose(reverse, exact, rtol=1e-12)


def test_jacobian_shape_is_output_shape_then_input_shape():
    W = np.arange(6.0).reshape(2, 3)
    jac = func.jacrev(lambda x: x @ W)(np.ones((4, 2))).data
    assert jac.shape == (4, 3, 4, 2)
    assert func.jacfwd(lambda x: x @ W)(np.ones((4, 2))).data.shape == (4, 3, 4, 2)
    np.testing.assert_allclose(jac[1, 2, 1, 0], W[0, 2])
    assert jac[1, 2, 0, 0] == 0.0


def test_grad_of_a_network_loss_matches_backward():
    model = nn.MLP([2, 5, 3], activation="tanh", seed=1)
    X = np.random.default_rng(0).standard_normal((6, 2))
    y = np.array([0, 1, 2, 0, 1, 2])
    W = model.linear_layers[0].weight
    loss = nn.cross_entropy(model(X), y)
    loss.backward()
    by_backward = W.grad.copy()

    def loss_of(first_weight):  # the same network, its first weight an argument
        hidden = (Value(X) @ first_weight + model.linear_layers[0].bias).tanh()
        return nn.cross_entropy(model.linear_layers[1](hidden), y)

    np.testing.assert_allclose(func.grad(loss_of)(W.data).data, by_backward, rtol=1e-12)


def test_gradients_touches_no_grad_field():
    w = Value(np.array([1.0, 2.0]), name="w")
    loss = (w * w).sum()
    (g,) = gradients(loss, [w])
    np.testing.assert_array_equal(g, [2.0, 4.0])
    assert not w.has_grad
    unrelated = Value(1.0)
    assert gradients(loss, [unrelated])[0] == 0.0


@settings(max_examples=25, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 2), st.floats(0.2, 3.0))
def test_forward_and_reverse_agree_on_random_points(a, b, c):
    def f(x, y, z):
        return (x * y).sigmoid() * z.log() + (x - y).tanh() / z

    _, tangent = func.jvp(f, (a, b, c), (1.0, -2.0, 0.5))
    gx, gy, gz = func.grad(f, argnums=(0, 1, 2))(a, b, c)
    assert tangent.item() == pytest.approx(gx.item() - 2.0 * gy.item() + 0.5 * gz.item(), rel=1e-9, abs=1e-12)


def test_clear_errors():
    with pytest.raises(ValueError, match=r"jvp: tangents\[0\]: tangent: expected shape \(3,\)"):
        func.jvp(lambda x: x * 2.0, (np.ones(3),), (np.ones(2),))
    with pytest.raises(ValueError, match="one tangent per primal"):
        func.jvp(lambda x: x, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="f must return a Value"):
        func.grad(lambda x: 3.0)(1.0)
    with pytest.raises(ValueError, match="single number"):
        func.grad(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(ValueError, match=r"argnums: expected positions of f's arguments \(0 to 0\), got 2"):
        func.grad(lambda x: x, argnums=2)(1.0)
    no_jvp = ops.Primitive("no_jvp_square", lambda x: x * x, (lambda g, out, x: 2 * g * x,), lambda x: x * x,
                           r"x^2,\quad d/dx = 2x")
    with pytest.raises(NotImplementedError, match="no_jvp_square: this primitive has no Jacobian-vector product"):
        func.jvp(lambda x: apply(no_jvp, x), (1.0,), (1.0,))
    with forward_mode():
        with pytest.raises(RuntimeError, match="nested forward mode"):
            with forward_mode():
                pass
    with pytest.raises(ZeroDivisionError), forward_mode():  # the mode ends with its block, even after an error
        raise ZeroDivisionError
    assert func.jvp(lambda x: x * 3.0, (1.0,), (1.0,))[1].item() == 3.0
