"""The forward-forward algorithm: each layer's objective, its local gradient three ways, and that it learns."""

from __future__ import annotations

import numpy as np
import pytest

from bplab import Value, data, func
from bplab.forward_forward import (
    LABEL_SCALE, LAYERS, RATE, THRESHOLD, ForwardForwardNet, layer_loss, make_optimizers, train, train_step, with_label,
)


@pytest.fixture(scope="module")
def task():
    X, y = data.moons(300, noise=0.15, seed=0)
    return data.train_test_split(X, y, test_fraction=0.3, seed=0)


def numpy_layer_loss(flat, positive, negative, inputs, units):
    W, b = flat[:inputs * units].reshape(inputs, units), flat[inputs * units:]
    g_pos = np.mean(np.maximum(positive @ W + b, 0) ** 2, axis=1)
    g_neg = np.mean(np.maximum(negative @ W + b, 0) ** 2, axis=1)
    return float(np.mean(np.logaddexp(0, THRESHOLD - g_pos) + np.logaddexp(0, g_neg - THRESHOLD)))


def test_the_label_is_written_into_the_input():
    X = np.array([[0.5, -1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(with_label(X, [1, 0]), [[0.5, -1.0, 0.0, LABEL_SCALE], [2.0, 3.0, LABEL_SCALE, 0.0]])


def test_a_layers_objective_and_its_local_gradient_three_ways(task):
    """The layer's loss as written in NumPy; its gradient by bplab's backprop (inside the layer) and by central
    differences; and SymPy's, on a handful of points."""
    import sympy

    X, _, y, _ = task
    net = ForwardForwardNet.create(seed=1)
    pos, neg = net.layer_inputs(with_label(X[:6], y[:6]))[1], net.layer_inputs(with_label(X[:6], 1 - y[:6]))[1]
    W, b = net.weights[1], net.biases[1]
    flat = np.concatenate([W.ravel(), b]) + 0.01  # away from ReLU kinks at exactly zero
    inputs, units = W.shape
    objective = lambda p: layer_loss(p, pos, neg, inputs, units)  # noqa: E731
    assert objective(Value(flat)).item() == pytest.approx(numpy_layer_loss(flat, pos, neg, inputs, units), rel=1e-12)
    by_backprop = func.grad(objective)(flat).data
    step = 1e-6
    numeric = np.array([(numpy_layer_loss(flat + step * e, pos, neg, inputs, units)
                         - numpy_layer_loss(flat - step * e, pos, neg, inputs, units)) / (2 * step) for e in np.eye(len(flat))])
    np.testing.assert_allclose(numeric, by_backprop, rtol=1e-5, atol=1e-8)
    # SymPy on 2 units of the first layer: the same objective as a formula
    small = ForwardForwardNet.create(seed=2)
    U_pos, U_neg = with_label(X[:3], y[:3]), with_label(X[:3], 1 - y[:3])
    symbols = sympy.symbols("p0:10", real=True)
    Ws = np.array(symbols[:8], dtype=object).reshape(4, 2)
    bs = symbols[8:]

    def goodness(U):
        return [sum(sympy.Max(0, sum(U[n, i] * Ws[i, j] for i in range(4)) + bs[j]) ** 2 for j in range(2)) / 2
                for n in range(len(U))]
    softplus = lambda t: sympy.log(1 + sympy.exp(t))  # noqa: E731
    formula = sum(softplus(THRESHOLD - gp) + softplus(gn - THRESHOLD) for gp, gn in zip(goodness(U_pos), goodness(U_neg))) / 3
    values = np.concatenate([small.weights[0][:, :2].ravel(), [0.05, 0.07]])
    exact = [float(sympy.diff(formula, s).subs(dict(zip(symbols, values)))) for s in symbols]
    ours = func.grad(lambda p: layer_loss(p, U_pos, U_neg, 4, 2))(values).data
    np.testing.assert_allclose(ours, exact, rtol=1e-9, atol=1e-12)


def test_no_error_crosses_layers(task):
    """A step changes a layer only through its own objective: the first layer's update is the same whatever the
    second layer's weights are."""
    X, _, y, _ = task
    one, two = ForwardForwardNet.create(seed=3), ForwardForwardNet.create(seed=3)
    two.params[1] = Value(two.params[1].data * 5.0)  # a very different upper layer
    train_step(one, X, y, make_optimizers(one))
    train_step(two, X, y, make_optimizers(two))
    np.testing.assert_array_equal(one.weights[0], two.weights[0])
    assert not np.array_equal(one.weights[1], two.weights[1] / 5.0)


def test_three_steps_match_a_numpy_forward_forward_with_adam(task):
    """An independent NumPy version: hand-written local gradients of each layer's objective, and Adam's update."""
    X, _, y, _ = task
    net = ForwardForwardNet.create(seed=4)
    W = [w.copy() for w in net.weights]
    b = [c.copy() for c in net.biases]
    moments = [[np.zeros_like(a) for a in (w, c)] for w, c in zip(W, b)]
    squares = [[np.zeros_like(a) for a in (w, c)] for w, c in zip(W, b)]
    optimizers = make_optimizers(net)
    for t in range(1, 4):
        ins = {}
        for sign, labels in ((-1.0, y), (1.0, 1 - y)):
            u = [with_label(X, labels)]
            for k in range(len(W) - 1):
                h = np.maximum(u[-1] @ W[k] + b[k], 0)
                u.append(h / (np.linalg.norm(h, axis=1, keepdims=True) + 1e-8))
            ins[sign] = u
        for k in range(len(W)):
            grads = [np.zeros_like(W[k]), np.zeros_like(b[k])]
            for sign, u in ins.items():
                h = np.maximum(u[k] @ W[k] + b[k], 0)
                a = sign * ((h ** 2).mean(axis=1) - THRESHOLD)  # the softplus argument
                dz = (sign / (1 + np.exp(-a)) / len(X))[:, None] * 2 * h / h.shape[1]
                grads[0] += u[k].T @ dz
                grads[1] += dz.sum(axis=0)
            for i, (param, g) in enumerate(zip((W, b), grads)):
                moments[k][i] = 0.9 * moments[k][i] + 0.1 * g
                squares[k][i] = 0.999 * squares[k][i] + 0.001 * g * g
                param[k] = param[k] - RATE / (1 - 0.9 ** t) * moments[k][i] / (np.sqrt(squares[k][i] / (1 - 0.999 ** t)) + 1e-8)
        train_step(net, X, y, optimizers)
        for k in range(len(W)):
            np.testing.assert_allclose(net.weights[k], W[k], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(net.biases[k], b[k], rtol=1e-9, atol=1e-12)
    assert LAYERS == (4, 32, 32)


def test_it_learns_the_task_and_separates_the_goodness(task):
    X, X_test, y, y_test = task
    run = train(X, y, X_test, y_test, steps=300)
    assert run.test_accuracy[-1] >= 0.88 and run.test_accuracy[-1] > run.test_accuracy[0]
    good_pos = run.net.goodness(with_label(X, y)).mean(axis=1)
    good_neg = run.net.goodness(with_label(X, 1 - y)).mean(axis=1)
    assert np.all(good_pos > good_neg)
    assert run.layer_losses.shape == (300, 2) and run.evaluations[-1] == 300 * 6


def test_bad_settings_say_what_is_expected(task):
    X, X_test, y, y_test = task
    with pytest.raises(ValueError, match=r"steps: expected a whole number of at least 1, got 0"):
        train(X, y, X_test, y_test, steps=0)
    with pytest.raises(ValueError, match=r"rate: expected a positive number, got nan"):
        train(X, y, X_test, y_test, rate=float("nan"))
