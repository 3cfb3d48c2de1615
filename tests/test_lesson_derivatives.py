"""Every derivative the lessons 00-03, 06-07 and 10-19 show, three ways here too: SymPy, backprop, central differences.

``bplab.compare`` runs all three routes; each test also checks them against the closed form the
notebook states (its printed number or its formula), so a lesson and the package cannot drift apart.
The scalar engine of notebook 07 is taken from the notebook itself and checked against bplab.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy

from bplab import Value, compare, gradcheck, ops
from bplab.engine import apply

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TOLERANCE = 1e-6


def three_ways(formula, at: dict, expected: dict) -> None:
    """SymPy, backprop and central differences agree, and equal the lesson's closed form ``expected``."""
    result = compare(formula, at=at)
    assert result.ok, repr(result)
    for name, value in expected.items():
        row = result[name]
        for route in (row.symbolic, row.backprop, row.numeric):
            assert np.allclose(np.asarray(route, dtype=float), value, rtol=1e-6, atol=1e-9), (name, route, value)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ------------------------------------------------------------------ 00 and 03: the one-weight cost


def test_the_one_weight_cost_three_ways():
    i, w, y = 1.5, 0.8, 0.5
    three_ways("(i*w - y)**2", {"i": i, "w": w, "y": y},
               {"w": 2 * i * (i * w - y), "i": 2 * w * (i * w - y), "y": -2 * (i * w - y)})
    three_ways("(i*w - y)**2", {"i": i, "w": w, "y": y}, {"w": 2.1, "i": 1.12, "y": -1.4})  # the printed numbers


def test_the_nudge_chain_of_notebook_03():
    i, w, y, nudge = 1.5, 0.8, 0.5, 1e-3
    a = i * w
    three_ways("i*w", {"i": i, "w": w}, {"w": 1.5})  # a moves 1.5 times the nudge
    three_ways("(a - y)**2", {"a": a, "y": y}, {"a": 2 * (a - y)})  # C moves 2(a - y) = 1.4 times a's move
    a_nudged = i * (w + nudge)
    # the second link's measured ratio is 2(a - y) + Δa exactly, the 2x + Δx of the secants
    assert ((a_nudged - y) ** 2 - (a - y) ** 2) / (a_nudged - a) == pytest.approx(2 * (a - y) + (a_nudged - a), rel=1e-9)
    assert ((a_nudged - y) ** 2 - (a - y) ** 2) / nudge == pytest.approx(2.10225, rel=1e-9)


def test_the_loss_of_two_examples_and_its_best_weight():
    three_ways("((1.5*w - 0.5)**2 + (1.0*w - 0.4)**2) / 2", {"w": 0.8}, {"w": 1.45})
    best = (1.5 * 0.5 + 1.0 * 0.4) / (1.5**2 + 1.0**2)
    three_ways("((1.5*w - 0.5)**2 + (1.0*w - 0.4)**2) / 2", {"w": best}, {"w": 0.0})


def test_one_step_multiplies_the_distance_to_the_best_weight_by_one_minus_two_r_i_squared():
    i, y = 1.5, 0.5
    for r in (0.1, 0.3, 0.5):
        for w in (0.8, -0.2):
            w_grad = Value(w)
            ((i * w_grad - y) ** 2).backward()
            after = w - r * float(w_grad.grad)
            assert after - 1 / 3 == pytest.approx((1 - 2 * r * i**2) * (w - 1 / 3), abs=1e-12)


# ------------------------------------------------------------------ 02: slopes


def test_the_difference_quotient_of_x_squared_is_2x_plus_dx():
    x, dx = sympy.symbols("x Δx")
    quotient = ((x + dx) ** 2 - x**2) / dx
    assert sympy.simplify(quotient - (2 * x + dx)) == 0
    assert sympy.limit(quotient, dx, 0) == 2 * x
    for step, shown in ((1, 3), (sympy.Rational(1, 10), 2.1), (sympy.Rational(1, 100), 2.01)):
        assert float(quotient.subs({x: 1, dx: step})) == pytest.approx(shown, rel=1e-15)
    three_ways("x**2", {"x": 1.0}, {"x": 2.0})


@pytest.mark.parametrize("formula, point, derivative", [
    ("x**5", 1.2, lambda x: 5 * x**4),
    ("x**2 * sin(x)", 0.7, lambda x: 2 * x * math.sin(x) + x**2 * math.cos(x)),
    ("sin(x**2)", 1.3, lambda x: 2 * x * math.cos(x**2)),
    ("x**3 + 2*x", 0.9, lambda x: 3 * x**2 + 2),                    # exercise 02.power_rule
    ("x**2 * (3*x + 1)", -0.6, lambda x: 2 * x * (3 * x + 1) + 3 * x**2),  # exercise 02.product_rule
    ("(3*x + 1)**2", 0.4, lambda x: 6 * (3 * x + 1)),               # exercise 02.chain_rule
    ("sin(x)", 0.0, lambda x: math.cos(x)),                          # sin's slope at 0, per radian: 1
    ("sin(pi*x/180)", 0.0, lambda x: math.pi / 180 * math.cos(math.pi * x / 180)),  # per degree: π/180
])
def test_the_rules_of_notebook_02(formula, point, derivative):
    three_ways(formula, {"x": point}, {"x": derivative(point)})


def test_the_power_rules_printed_number():
    three_ways("x**5", {"x": 1.2}, {"x": 10.368})


# ------------------------------------------------------------------ 06: activations and losses


@pytest.mark.parametrize("formula, point, derivative", [
    ("sigmoid(z)", 0.5, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    ("tanh(z)", 0.5, lambda z: 1 - math.tanh(z) ** 2),
    ("relu(z)", 0.5, lambda z: 1.0),
    ("relu(z)", -0.5, lambda z: 0.0),
])
def test_the_activations_of_notebook_06(formula, point, derivative):
    three_ways(formula, {"z": point}, {"z": derivative(point)})


def test_the_step_passes_back_nothing():
    three_ways(lambda z: apply(ops.step, z), {"z": 0.5}, {"z": 0.0})
    points = np.random.default_rng(0).uniform(-1, 1, size=(40, 2))
    labels = (points[:, 0] + 2 * points[:, 1] > 0.3).astype(float)
    W = Value(np.array([0.3, -0.2]))
    ((apply(ops.step, points @ W + 0.1) - labels) ** 2).mean().backward()
    assert np.array_equal(W.grad, [0.0, 0.0])


def test_the_softmax_jacobian_and_cross_entropy():
    scores = np.array([1.0, -0.5, 2.0])
    p = np.exp(scores) / np.exp(scores).sum()
    for k in range(3):  # row k of the Jacobian, diag(p) - p pᵀ, three ways (compare reads the names of all parameters)
        def output_k(z, k=k):
            return z.softmax()[k]
        three_ways(lambda z: output_k(z), {"z": scores}, {"z": (np.diag(p) - np.outer(p, p))[k]})
    three_ways(lambda z: -z.log_softmax()[2], {"z": scores}, {"z": p - np.eye(3)[2]})


@pytest.mark.parametrize("target", [[0.2, 0.1, 0.7], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.0]])
def test_cross_entropy_through_softmax_is_p_minus_y_only_when_the_targets_sum_to_one(target):
    scores, target = np.array([1.0, -0.5, 2.0]), np.array(target)
    p = np.exp(scores) / np.exp(scores).sum()
    three_ways(lambda z: -(target * z.log_softmax()).sum(), {"z": scores}, {"z": target.sum() * p - target})
    assert np.allclose(target.sum() * p - target, p - target) == math.isclose(target.sum(), 1.0)


def test_quadratic_and_cross_entropy_costs_of_a_sigmoid():
    z0, y0 = 0.7, 0.2
    a = sigmoid(z0)
    three_ways("(sigmoid(z) - y)**2 / 2", {"z": z0, "y": y0}, {"z": (a - y0) * a * (1 - a)})
    three_ways("-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))", {"z": z0, "y": y0}, {"z": a - y0})


@pytest.mark.parametrize("w1, b1", [(0.5, 0.0), (4.0, 4.0)])
def test_cross_entropy_cancels_the_output_slope_but_not_a_hidden_ones(w1, b1):
    x, w2, b2, y = 1.0, 1.0, 0.0, 0.0
    h = sigmoid(w1 * x + b1)
    a = sigmoid(w2 * h + b2)
    formula = "-(y*log(sigmoid(w2*sigmoid(w1*x + b1) + b2)) + (1 - y)*log(1 - sigmoid(w2*sigmoid(w1*x + b1) + b2)))"
    three_ways(formula, {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "y": y},
               {"w2": (a - y) * h, "b2": a - y, "w1": (a - y) * w2 * h * (1 - h) * x, "b1": (a - y) * w2 * h * (1 - h)})


def test_the_exercises_of_notebook_06():
    three_ways("tanh(z)", {"z": -0.8}, {"z": 1 - math.tanh(-0.8) ** 2})
    three_ways(lambda z: -z.log_softmax()[0], {"z": np.array([2.0, 0.0])},
               {"z": np.array([math.exp(2) / (math.exp(2) + 1) - 1, 1 / (math.exp(2) + 1)])})


# ------------------------------------------------------------------ 07: the output error, the scalar engine


@pytest.mark.parametrize("loss", ["cross-entropy", "squared error"])
def test_the_general_output_error_and_its_special_cases(loss):
    rng = np.random.default_rng(1)
    Z2, Y = rng.standard_normal((6, 1)), rng.integers(0, 2, size=(6, 1)).astype(float)
    Y_hat, N = sigmoid(Z2), len(Z2)
    if loss == "cross-entropy":
        fn = lambda Z: -(Y * Z.sigmoid().log() + (1 - Y) * (-Z).sigmoid().log()).mean()  # noqa: E731
        gradient_wrt_Y_hat, special = (-Y / Y_hat + (1 - Y) / (1 - Y_hat)) / N, (Y_hat - Y) / N
    else:
        fn = lambda Z: ((Z.sigmoid() - Y) ** 2).sum() / (2 * N)  # noqa: E731
        gradient_wrt_Y_hat, special = (Y_hat - Y) / N, (Y_hat - Y) * Y_hat * (1 - Y_hat) / N
    general = gradient_wrt_Y_hat * Y_hat * (1 - Y_hat)  # δ = ∇_Ŷ L ⊙ σ'(Z)
    assert np.allclose(general, special)
    three_ways(fn, {"Z": Z2}, {"Z": general})


def notebook_cell(notebook: str, start: str) -> str:
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    [source] = ["".join(c["source"]) for c in cells if c["cell_type"] == "code" and "".join(c["source"]).startswith(start)]
    return source


def scalar_engine() -> type:
    """Notebook 07's scalar engine, exactly as the lesson shows it."""
    namespace: dict = {}
    exec(notebook_cell("3_graduate/07_backprop_in_a_network.ipynb", "import math\n\nclass Value:"), namespace)  # noqa: S102
    return namespace["Value"]


def test_the_lessons_scalar_engine_agrees_with_bplab_and_sympy():
    Engine = scalar_engine()
    point = {"x1": 1.5, "x2": -0.5, "w1": 0.8, "w2": -1.2, "b": 0.1}
    ours = {name: Engine(value) for name, value in point.items()}
    miss = (ours["x1"] * ours["w1"] + ours["x2"] * ours["w2"] + ours["b"]).tanh() - 0.5
    (miss * miss).backward()
    three_ways("(tanh(x1*w1 + x2*w2 + b) - 0.5)**2", point, {name: ours[name].grad for name in point})


@pytest.mark.parametrize("seed", range(5))
def test_the_scalar_engine_on_random_expressions_with_shared_nodes(seed):
    Engine = scalar_engine()
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.5, 1.5, size=3)

    def build(a, b, c):
        shared = a * b + c          # used three times below: the += rule
        return (shared * shared + 3.0 * a - b * shared).tanh() * c + shared - 2.0

    ours = [Engine(v) for v in values]
    build(*ours).backward()
    leaves = [Value(v) for v in values]
    build(*leaves).backward()
    assert np.allclose([o.grad for o in ours], [float(leaf.grad) for leaf in leaves], rtol=1e-12, atol=1e-14)
    assert gradcheck(build, *values)


def test_the_sigmoid_exercise_passes_when_written_and_not_before():
    from bplab.exercises import CORRECT, NOT_YET, check

    source = notebook_cell("3_graduate/07_backprop_in_a_network.ipynb", "def sigmoid(self):")
    for line, verdict in (("...", NOT_YET), ("self.grad += s * (1 - s) * out.grad", CORRECT)):
        namespace: dict = {"Value": scalar_engine(), "math": math}
        exec(re.sub(r"\.\.\.( +#[^\n]*)?", line, source, count=1), namespace)  # noqa: S102
        assert check("07.scalar_engine", namespace["my_gradients"]()).verdict == verdict


def test_our_row_layout_is_nielsens_and_pytorchs_column_layout_transposed():
    rng = np.random.default_rng(4)
    A, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)  # W: inputs × outputs
    weight = W.T  # Nielsen's W and PyTorch's `weight`: outputs × inputs
    assert np.allclose(A @ W + b, (weight @ A.T).T + b) and np.allclose(A @ W + b, A @ weight.T + b)
    delta_next, slope = rng.standard_normal((5, 3)), rng.uniform(0, 0.25, size=(5, 4))
    ours = (delta_next @ W.T) * slope  # δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ f'(Z_l), one row per example
    nielsen = ((weight.T @ delta_next.T) * slope.T).T  # δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), one column per example
    assert np.allclose(ours, nielsen)
    # and the row form is the engine's gradient with respect to the layer's input, times the slope
    A_value = Value(A)
    ((A_value @ W) * delta_next).sum().backward()
    assert np.allclose(A_value.grad * slope, ours)


# ------------------------------------------------------------------ 10: initialization and depth


def test_equal_hidden_units_get_equal_gradients():
    """Notebook 10's symmetry: at a = b, dL/da = dL/db, by the closed form and the printed number."""
    a = b = v = 0.3
    x = 0.8
    error = v * np.tanh(a * x) + v * np.tanh(b * x) - 1
    same = 2 * error * v * x * (1 - np.tanh(a * x) ** 2)
    three_ways("(v*tanh(a*x) + v*tanh(b*x) - 1)**2", {"a": a, "b": b, "v": v, "x": x},
               {"a": same, "b": same, "v": 2 * error * (np.tanh(a * x) + np.tanh(b * x))})
    three_ways("(v*tanh(a*x) + v*tanh(b*x) - 1)**2", {"a": a, "b": b, "v": v, "x": x},
               {"a": -0.3893186, "b": -0.3893186})  # the printed numbers
    unequal = compare("(v*tanh(a*x) + v*tanh(b*x) - 1)**2", at={"a": 0.3, "b": -0.5, "v": v, "x": x})
    assert abs(unequal["a"].backprop - unequal["b"].backprop) > 0.01  # the test of the test: unequal units differ


@pytest.mark.parametrize("z, slope", [(0.0, 1.0), (3.0, 0.0098660372)])
def test_the_slope_of_tanh_where_it_passes_and_where_it_saturates(z, slope):
    three_ways("tanh(z)", {"z": z}, {"z": 1 - np.tanh(z) ** 2})
    three_ways("tanh(z)", {"z": z}, {"z": slope})


def test_a_tanh_layers_jacobian_is_diag_slope_times_w_transpose_three_ways():
    """J = diag(1 - tanh(z)²) Wᵀ for h = tanh(x W): the formula, bplab's reverse mode, and central differences."""
    from bplab.check import central_difference
    from bplab.func import jacrev

    rng = np.random.default_rng(3)
    width = 6
    x, W = rng.standard_normal(width), rng.standard_normal((width, width)) / np.sqrt(width)
    formula = (1 - np.tanh(x @ W) ** 2)[:, None] * W.T
    reverse = jacrev(lambda v: (v @ W).tanh())(x).data
    numeric = np.array([central_difference(lambda arrays, i=i: float(np.tanh(arrays[0] @ W)[i]), [x])[0]
                        for i in range(width)])
    np.testing.assert_allclose(reverse, formula, rtol=1e-12)
    np.testing.assert_allclose(numeric, formula, rtol=1e-6, atol=1e-9)
    planted = W.T  # the slope left out: must fail
    assert not np.allclose(planted, reverse, rtol=1e-3)


def test_backprop_is_r_transposed_times_the_product_of_layer_jacobians():
    rng = np.random.default_rng(5)
    width, depth = 8, 6
    weights = [rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(depth)]
    x0, r = rng.standard_normal(width), rng.standard_normal(width)
    h, product = x0, np.eye(width)
    for W in weights:
        h = np.tanh(h @ W)
        product = ((1 - h ** 2)[:, None] * W.T) @ product
    x_value = Value(x0)
    h_value = x_value
    for W in weights:
        h_value = (h_value @ W).tanh()
    (h_value * r).sum().backward()
    np.testing.assert_allclose(x_value.grad, r @ product, rtol=1e-10)


# ------------------------------------------------------------------ 11: normalization and residuals


def test_the_residual_plus_one_three_ways():
    x, w = 0.5, 3.0
    three_ways("x + tanh(w*x)", {"x": x, "w": w}, {"x": 1 + w * (1 - np.tanh(w * x) ** 2), "w": x * (1 - np.tanh(w * x) ** 2)})
    three_ways("x + tanh(w*x)", {"x": x, "w": w}, {"x": 1.5421199, "w": 0.090353319})  # the printed numbers


def test_batch_norms_printed_gradient_is_the_fused_formula():
    """Notebook 11's batch of three, weights (1, 2, 4): backprop through the primitive, the fused formula in closed
    form, and the printed numbers."""
    from bplab import nn

    z, w = np.array([[3.0], [7.0], [2.0]]), np.array([[1.0], [2.0], [4.0]])
    s = np.sqrt(z.var() + 1e-5)
    z_hat = (z - z.mean()) / s
    fused = (w - w.mean() - z_hat * (w * z_hat).mean()) / s
    result = compare(lambda z: (nn.batch_norm(z, None, None, training=True) * w).sum(), at={"z": z})
    assert result.ok
    for route in (result["z"].symbolic, result["z"].backprop, result["z"].numeric):
        np.testing.assert_allclose(np.asarray(route, dtype=float), fused, rtol=1e-6)
    np.testing.assert_allclose(fused.ravel(), [-0.716407, 0.143281, 0.573127], atol=1e-6)


# ------------------------------------------------------------------ 12: backpropagation through time


RNN_INPUTS = (0.5, -1.0, 2.0)


def three_step_rnn(w, u):
    h = 0.0
    for x_t in RNN_INPUTS:
        h = (w * h + u * x_t).tanh()
    return h


def test_the_unrolled_rnns_gradient_is_the_sum_of_the_steps_shares_three_ways():
    """Notebook 12: h_t = tanh(w h_{t-1} + u x_t), L = h_3; dL/dw = sum_t h_{t-1} dL/dz_t, dL/du = sum_t x_t dL/dz_t."""
    w, u, xs = 0.8, 0.5, RNN_INPUTS
    states = [0.0]
    for x_t in xs:
        states.append(math.tanh(w * states[-1] + u * x_t))
    dL_dh, dL_dw, dL_du = 1.0, 0.0, 0.0
    for t in range(3, 0, -1):
        dL_dz = dL_dh * (1 - states[t] ** 2)
        dL_dw += states[t - 1] * dL_dz
        dL_du += xs[t - 1] * dL_dz
        dL_dh = dL_dz * w
    three_ways(three_step_rnn, {"w": w, "u": u}, {"w": dL_dw, "u": dL_du})
    three_ways(three_step_rnn, {"w": w, "u": u}, {"w": -0.068064828, "u": 0.90496272})  # the printed numbers


def test_the_linear_recurrence_exercise_three_ways():
    """12.linear_three_steps: h_3 = w(w x1 + x2) + x3, so dL/dw = 2 w x1 + x2."""
    at = {"w": 0.7, "x1": 1.3, "x2": -0.4, "x3": 2.0}
    three_ways("w*(w*x1 + x2) + x3", at, {"w": 2 * 0.7 * 1.3 - 0.4, "x1": 0.49, "x2": 0.7, "x3": 1.0})


def lstm_step(x, h, c, W_ih, W_hh, b):
    """The notebook's LSTM step in NumPy (gates in the order input, forget, cell, output)."""
    gates = x @ W_ih + h @ W_hh + b
    i, f, g, o = np.split(gates, 4, axis=1)
    c_next = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_next), c_next


def test_an_lstm_cells_backward_pass_three_ways_and_against_the_numpy_step():
    from bplab import nn
    from bplab.check import central_difference, relative_error

    rng = np.random.default_rng(0)
    cell = nn.LSTMCell(3, 2, seed=0)
    x, h0, c0 = rng.normal(size=(1, 3)), rng.normal(size=(1, 2)), rng.normal(size=(1, 2))
    read_h, read_c = np.array([[1.0, -2.0]]), np.array([[0.5, 1.0]])
    W_ih, W_hh, b = cell.weight_ih.data.copy(), cell.weight_hh.data.copy(), cell.bias_ih.data + cell.bias_hh.data

    def loss(h, c, W_ih, W_hh):
        cell.weight_ih, cell.weight_hh = W_ih, W_hh
        h_next, c_next = cell(x, (h, c))
        return (h_next * read_h).sum() + (c_next * read_c).sum()

    result = compare(loss, at={"h": h0, "c": c0, "W_ih": W_ih, "W_hh": W_hh})
    assert result.ok, repr(result)

    def numpy_loss(arrays):
        h_next, c_next = lstm_step(x, arrays[0], arrays[1], arrays[2], arrays[3], b)
        return float((h_next * read_h).sum() + (c_next * read_c).sum())

    numeric = central_difference(numpy_loss, [h0, c0, W_ih, W_hh])
    for name, by_numpy in zip(("h", "c", "W_ih", "W_hh"), numeric):
        assert relative_error(by_numpy, result[name].backprop) < 1e-7, name


def test_the_lstm_cell_path_passes_the_forget_gate():
    """With W_hh = 0 (no path through h), dc'/dc is diag(f): the additive path's local derivative is the gate."""
    from bplab import nn

    rng = np.random.default_rng(1)
    cell = nn.LSTMCell(2, 3, seed=1)
    cell.weight_hh.data[:] = 0.0
    x, c = rng.normal(size=(1, 2)), Value(rng.normal(size=(1, 3)))
    _, c_next = cell(x, (np.zeros((1, 3)), c))
    c_next.sum().backward()
    gates = x @ cell.weight_ih.data + cell.bias_ih.data + cell.bias_hh.data
    np.testing.assert_allclose(c.grad, sigmoid(gates[:, 3:6]), rtol=1e-12)


def test_a_gru_cells_backward_pass_three_ways():
    from bplab import nn

    rng = np.random.default_rng(0)
    gru = nn.GRUCell(3, 2, seed=0)
    x = rng.normal(size=(1, 3))

    def loss(h, W_hh):
        gru.weight_hh = W_hh
        return (gru(x, h) * np.array([[1.0, -2.0]])).sum()

    result = compare(loss, at={"h": rng.normal(size=(1, 2)), "W_hh": gru.weight_hh.data.copy()})
    assert result.ok, repr(result)


def test_the_forget_path_exercise_number():
    from bplab.exercises.catalog.postgraduate import EXERCISES

    [exercise] = [e for e in EXERCISES if e.id == "12.forget_path"]
    assert round(exercise.expected, 3) == 0.129 and math.isclose(exercise.expected, math.prod([0.95] * 40))


# ------------------------------------------------------------------ 13: convolutions


def test_a_1d_convolutions_input_gradient_is_the_full_correlation_with_the_flipped_kernel():
    """Notebook 13's SymPy derivation, and bplab's conv2d on a 1×6 image agreeing with it at a random point."""
    from bplab.conv import conv2d

    x, k, g = sympy.symbols("x0:6"), sympy.symbols("k0:3"), sympy.symbols("g0:4")
    loss = sum(g[i] * sum(x[i + u] * k[u] for u in range(3)) for i in range(4))
    padded = [0, 0, *g, 0, 0]
    for j in range(6):
        assert sympy.expand(sympy.diff(loss, x[j]) - sum(padded[j + u] * k[2 - u] for u in range(3))) == 0
    for u in range(3):
        assert sympy.expand(sympy.diff(loss, k[u]) - sum(x[i + u] * g[i] for i in range(4))) == 0
    rng = np.random.default_rng(3)
    xv, kv, gv = rng.normal(size=6), rng.normal(size=3), rng.normal(size=4)
    values = dict(zip(x, xv)) | dict(zip(k, kv)) | dict(zip(g, gv))
    expected = np.array([float(sympy.diff(loss, x[j]).subs(values)) for j in range(6)]).reshape(1, 1, 1, 6)
    three_ways(lambda image: (conv2d(image, kv.reshape(1, 1, 1, 3)) * gv.reshape(1, 1, 1, 4)).sum(),
               {"image": xv.reshape(1, 1, 1, 6)}, {"image": expected})


def test_the_corner_exercise_three_ways():
    """13.corner_gradient: K = 1..9, L = the sum of the 6×6 outputs; dL/dx at (0, 7) is K[0, 2] = 3."""
    from bplab.conv import conv2d

    kernel = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    image = np.random.default_rng(0).random((1, 1, 8, 8))
    result = compare(lambda image: conv2d(image, kernel).sum(), at={"image": image})
    assert result.ok
    for route in (result["image"].symbolic, result["image"].backprop, result["image"].numeric):
        assert np.asarray(route, dtype=float)[0, 0, 0, 7] == pytest.approx(3.0)
        assert np.asarray(route, dtype=float)[0, 0, 0, 0] == pytest.approx(1.0)  # the other corner: K[0, 0]


def test_average_pooling_spreads_and_max_pooling_routes_three_ways():
    from bplab.conv import avg_pool2d, max_pool2d

    window = np.array([[1.0, 5.0], [3.0, 2.0]]).reshape(1, 1, 2, 2)
    three_ways(lambda m: 2 * avg_pool2d(m, 2).sum(), {"m": window}, {"m": np.full((1, 1, 2, 2), 0.5)})
    three_ways(lambda m: 2 * max_pool2d(m, 2).sum(), {"m": window}, {"m": np.array([[0.0, 2.0], [0.0, 0.0]]).reshape(1, 1, 2, 2)})


# ------------------------------------------------------------------ 15: forward and reverse mode


def test_the_lessons_dual_numbers_agree_with_sympy_backprop_and_central_differences():
    """Notebook 15's Dual class, taken from the notebook, on f(x) = x sin x + exp(x/2) at 1.2, against the three routes."""
    namespace: dict = {}
    exec(notebook_cell("5_phd/15_forward_and_reverse_mode.ipynb", "import math\n\nclass Dual:"), namespace)  # noqa: S102
    dual = namespace["f"](namespace["Dual"](1.2, 1.0))
    x = sympy.Symbol("x")
    exact = float(sympy.diff(x * sympy.sin(x) + sympy.exp(x / 2), x).subs(x, 1.2))
    assert dual.tangent == pytest.approx(exact, rel=1e-12)
    three_ways("x*sin(x) + exp(0.5*x)", {"x": 1.2}, {"x": exact})


def test_the_dual_quotient_exercise_is_the_quotient_rule():
    from bplab import func
    from bplab.exercises.catalog.phd import EXERCISES

    [exercise] = [e for e in EXERCISES if e.id == "15.dual_quotient"]
    _, tangent = func.jvp(lambda t: (6 + 2 * t) / (2 + t), (0.0,), (1.0,))  # the same dual numbers, by bplab's forward mode
    assert tangent.item() == pytest.approx(exercise.expected) == pytest.approx((2 * 2 - 6 * 1) / 2 ** 2)


def test_forward_over_reverse_is_the_hessian_times_v():
    from bplab import func

    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 3))

    def loss(x):
        return ((x.reshape(2, 4) @ W).tanh() ** 2).sum()

    x, v = rng.normal(size=8), rng.normal(size=8)
    H = func.jacfwd(func.grad(loss))(x).data
    np.testing.assert_allclose(func.hvp(loss, x, v).data, H @ v, rtol=1e-10, atol=1e-12)
    grad_at = lambda point: func.grad(loss)(point).data  # noqa: E731
    numeric = np.stack([(grad_at(x + 1e-5 * e) - grad_at(x - 1e-5 * e)) / 2e-5 for e in np.eye(8)], axis=1)
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ 16: symbolic against automatic


def test_the_sine_chains_derivative_three_ways_and_the_printed_value():
    three_ways("sin(sin(sin(x)))", {"x": 0.3},
               {"x": math.cos(0.3) * math.cos(math.sin(0.3)) * math.cos(math.sin(math.sin(0.3)))})
    three_ways("sin(sin(sin(x)))", {"x": 0.3}, {"x": 0.875437398633863})


def test_the_softplus_derivative_three_ways_and_its_stable_form():
    for x in (-3.0, 0.5, 4.0):
        three_ways("log(1 + exp(x))", {"x": x}, {"x": 1 / (1 + math.exp(-x))})
        three_ways("x + log(1 + exp(-x))", {"x": x}, {"x": 1 / (1 + math.exp(-x))})  # the rewritten program
    t = sympy.Symbol("t", real=True)
    assert sympy.simplify(sympy.diff(sympy.log(1 + sympy.exp(t)), t) - 1 / (1 + sympy.exp(-t))) == 0
    big = Value(800.0)
    stable = big + (1 + (-big).exp()).log()
    stable.backward()
    assert big.grad == 1.0 and stable.item() == 800.0
    naive_input = Value(800.0)
    with np.errstate(over="ignore", invalid="ignore"):
        (1 + naive_input.exp()).log().backward()
    assert np.isnan(naive_input.grad)  # the naive program's fault, as the lesson shows


def test_backprop_through_newtons_loop_is_the_derivative_of_the_square_root():
    for a_value in (2.0, 0.3, 10.0):
        a = Value(a_value)
        guess = Value(1.0, requires_grad=False)
        while abs(guess.item() ** 2 - a.item()) > 1e-12:
            guess = 0.5 * (guess + a / guess)
        guess.backward()
        three_ways("sqrt(a)", {"a": a_value}, {"a": 1 / (2 * math.sqrt(a_value))})
        assert a.grad == pytest.approx(1 / (2 * math.sqrt(a_value)), rel=1e-10)


def test_the_swell_exercises_answers_are_the_packages_counts():
    from bplab.exercises.catalog.phd import EXERCISES
    from bplab.swell import measure

    expected = {e.id: e.expected for e in EXERCISES}
    assert expected["16.sin_chain_tree"] == measure("sin chain", 5).tree == 19
    counts = [measure("logistic map", d).function_tree for d in range(1, 11)]
    assert all(later == 2 * earlier + 2 for earlier, later in zip(counts, counts[1:]))  # the hinted recurrence
    closed_form = lambda k: 3 * 2 ** k - 2  # noqa: E731
    assert counts == [closed_form(k) for k in range(1, 11)] and expected["16.logistic_function_tree"] == closed_form(20)


# ------------------------------------------------------------------ 17: memory and higher order


def lesson_17_network(points: int = 40):
    from bplab import func

    rng = np.random.default_rng(0)
    X = np.linspace(-2, 2, points).reshape(-1, 1)
    Y = np.sin(1.5 * X) + 0.1 * rng.standard_normal(X.shape)

    def loss_of(theta):
        W1, b1, W2, b2 = theta[0:8].reshape(1, 8), theta[8:16], theta[16:24].reshape(8, 1), theta[24:25]
        return ((((X @ W1 + b1).tanh() @ W2 + b2) - Y) ** 2).mean()

    return loss_of, 0.5 * rng.standard_normal(25), func


def test_the_lessons_hessian_vector_product_three_ways():
    """Reverse over reverse, forward over reverse, SymPy's Hessian, and central differences of gradients agree
    (the lesson's network on 4 of its points: SymPy's Hessian of all 40 takes minutes)."""
    from bplab.engine import gradients
    from bplab.symbolic import symbolic_graph

    loss_of, theta, func = lesson_17_network(points=4)
    v = np.random.default_rng(3).standard_normal(25)
    t = Value(theta)
    (g,) = gradients(loss_of(t), [t], create_graph=True)
    (reverse,) = gradients((g * Value(v, requires_grad=False)).sum(), [t])
    forward = func.hvp(loss_of, theta, v).data
    step = 1e-5
    numeric = (func.grad(loss_of)(theta + step * v).data - func.grad(loss_of)(theta - step * v).data) / (2 * step)
    symbols = sympy.symbols("t0:25", real=True)
    objects, leaves = symbolic_graph(loss_of(Value(theta, name="t")))
    [(_, leaf_symbols)] = leaves.values()
    expr = objects[()].subs(dict(zip(leaf_symbols.ravel().tolist(), symbols)))
    hessian = sympy.lambdify(symbols, sympy.hessian(expr, symbols))(*theta)
    np.testing.assert_allclose(reverse, forward, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(np.asarray(hessian, dtype=float) @ v, forward, rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(numeric, forward, rtol=1e-5, atol=1e-8)


def test_the_curvature_step_and_power_iteration_on_a_quadratic():
    """On L = ½ θᵀAθ the quadratic model is exact: 1/c is the best step along -g, power iteration finds λ_max."""
    from bplab import func

    rng = np.random.default_rng(4)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    A = Q @ np.diag([0.5, 1, 2, 3, 5, 9.0]) @ Q.T
    loss = lambda theta: 0.5 * (theta * (Value(A, requires_grad=False) @ theta)).sum()  # noqa: E731
    theta = rng.standard_normal(6)
    g = A @ theta
    c = g @ func.hvp(loss, theta, g).data / (g @ g)
    step_losses = lambda eta: 0.5 * (theta - eta * g) @ A @ (theta - eta * g)  # noqa: E731
    assert step_losses(1 / c) < min(step_losses(1 / c * (1 + d)) for d in (-1e-3, 1e-3))
    u = np.ones(6)
    for _ in range(200):
        u = func.hvp(loss, theta, u).data
        u /= np.linalg.norm(u)
    assert u @ func.hvp(loss, theta, u).data == pytest.approx(9.0, rel=1e-9)


# ------------------------------------------------------------------ 18: beyond backprop


def lesson_18_namespace() -> dict:
    """Notebook 18's written-out backward pass and its forward gradient, exactly as the lesson shows them."""
    namespace: dict = {"np": np}
    from bplab import alternatives
    namespace.update(alternatives=alternatives, SIZE=alternatives.SIZE)
    source = notebook_cell("5_phd/18_beyond_backprop.ipynb", "def updates(theta, X, y, backward):")
    exec(source[:source.index("\ntheta = ")], namespace)  # noqa: S102 - the definition, without the cell's checks
    source = notebook_cell("5_phd/18_beyond_backprop.ipynb", "from bplab import Value, func\n\ndef forward_gradient")
    exec(source[:source.index("\nprint(")], namespace)  # noqa: S102 - the definition, without the cell's printing
    return namespace


def test_the_lessons_written_out_backward_pass_is_the_gradient_three_ways():
    """With backward = w2 the notebook's update is the gradient: SymPy on three points, bplab's backprop, central differences;
    with a random B it differs, and only in the hidden layer's part."""
    from bplab import alternatives, func
    from bplab.alternatives import HIDDEN, SIZE

    namespace = lesson_18_namespace()
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((3, 2)), np.array([0.0, 1.0, 1.0])
    theta = alternatives.initial_parameters(2)
    w2 = alternatives.unpack(theta)[2]
    ours = namespace["updates"](theta, X, y, w2)
    symbols = sympy.symbols(f"t0:{SIZE}", real=True)
    W1 = np.array(symbols[:2 * HIDDEN], dtype=object).reshape(2, HIDDEN)
    b1, v2, b2 = symbols[2 * HIDDEN:3 * HIDDEN], symbols[3 * HIDDEN:4 * HIDDEN], symbols[-1]
    z = [sum(sympy.tanh(sum(X[n, i] * W1[i, j] for i in range(2)) + b1[j]) * v2[j] for j in range(HIDDEN)) + b2 for n in range(3)]
    formula = sum(sympy.log(1 + sympy.exp(zn)) - y[n] * zn for n, zn in enumerate(z)) / 3
    exact = np.array(sympy.lambdify(symbols, [sympy.diff(formula, s) for s in symbols])(*theta), dtype=float)
    by_backprop = func.grad(lambda t: alternatives.loss_value(t, X, y))(theta).data
    step = 1e-6
    numeric = np.array([(alternatives.loss(theta + step * e, X, y) - alternatives.loss(theta - step * e, X, y)) / (2 * step)
                        for e in np.eye(SIZE)])
    np.testing.assert_allclose(ours, exact, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(by_backprop, exact, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(numeric, exact, rtol=1e-5, atol=1e-8)
    feedback = namespace["updates"](theta, X, y, alternatives.feedback_matrix(0))
    hidden = slice(0, 3 * HIDDEN)
    assert not np.allclose(feedback[hidden], exact[hidden])
    np.testing.assert_allclose(feedback[3 * HIDDEN:], exact[3 * HIDDEN:], rtol=1e-9, atol=1e-12)


def test_the_lessons_forward_gradient_is_the_slope_along_v_times_v():
    """One JVP gives g.v exactly: against backprop's gradient dotted with v and a central difference along v."""
    from bplab import alternatives

    namespace = lesson_18_namespace()
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((20, 2)), (rng.random(20) > 0.5).astype(float)
    theta = alternatives.initial_parameters(1)
    estimate = namespace["forward_gradient"](theta, X, y, np.random.default_rng(7))
    v = np.random.default_rng(7).standard_normal(alternatives.SIZE)
    slope = alternatives.backprop_gradient(theta, X, y) @ v
    numeric = (alternatives.loss(theta + 1e-6 * v, X, y) - alternatives.loss(theta - 1e-6 * v, X, y)) / 2e-6
    np.testing.assert_allclose(estimate, slope * v, rtol=1e-10)
    assert numeric == pytest.approx(slope, rel=1e-6)


# ------------------------------------------------------------------ 19: reproducing the 1986 paper


def test_the_lessons_sweep_gradients_three_ways():
    """Notebook 19's four equations, taken from the notebook: against bplab's backprop of the same summed error, central
    differences and SymPy (the 8-3-8 encoder, and the symmetry network on a few of its cases); a planted wrong
    derivative (y(1 - y) left out) is caught by the same comparison."""
    from bplab import func
    from bplab import rumelhart1986 as paper

    namespace: dict = {"np": np}
    exec(notebook_cell("5_phd/19_reproducing_rumelhart_hinton_williams_1986.ipynb", "import numpy as np\n\ndef logistic"),  # noqa: S102
         namespace)
    sweep_gradients = namespace["sweep_gradients"]
    for task in (paper.encoder_task(), paper.symmetry_task()):
        params = paper.initial_params(task, [2], init_range=1.0)
        weights, biases = [W[0] for W in params.weights], [b[0, 0] for b in params.biases]
        grad_W, grad_b = sweep_gradients(weights, biases, task.inputs, task.targets)
        ours = np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in zip(grad_W, grad_b)])
        flat = paper.flatten(params)
        by_backprop = func.grad(lambda theta: paper.engine_error(theta, task))(flat).data
        error_at = lambda theta: paper.engine_error(Value(theta), task).item()  # noqa: E731
        numeric = np.array([(error_at(flat + 1e-6 * e) - error_at(flat - 1e-6 * e)) / 2e-6 for e in np.eye(len(flat))])
        np.testing.assert_allclose(ours, by_backprop, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(numeric, ours, rtol=1e-6, atol=1e-8)
    few = paper.Task("few", task.inputs[[3, 12, 45]], task.targets[[3, 12, 45]], task.sizes)
    w = sympy.symbols("w0:17")
    hidden = [[1 / (1 + sympy.exp(-(sum(float(c[i]) * w[2 * i + j] for i in range(6)) + w[12 + j]))) for j in range(2)]
              for c in few.inputs]
    E = sum((1 / (1 + sympy.exp(-(h[0] * w[14] + h[1] * w[15] + w[16]))) - float(d)) ** 2 / 2
            for h, d in zip(hidden, few.targets[:, 0]))
    exact = np.array(sympy.lambdify(w, [sympy.diff(E, s) for s in w])(*flat), dtype=float)
    grad_W, grad_b = sweep_gradients(weights, biases, few.inputs, few.targets)
    ours = np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in zip(grad_W, grad_b)])
    np.testing.assert_allclose(ours, exact, rtol=1e-10, atol=1e-13)
    source = notebook_cell("5_phd/19_reproducing_rumelhart_hinton_williams_1986.ipynb", "import numpy as np\n\ndef logistic")
    planted: dict = {"np": np}
    exec(source.replace("dE_dx = dE_dy * y * (1 - y)", "dE_dx = dE_dy"), planted)  # noqa: S102
    wrong_W, wrong_b = planted["sweep_gradients"](weights, biases, few.inputs, few.targets)
    wrong = np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in zip(wrong_W, wrong_b)])
    assert not np.allclose(wrong, exact, rtol=1e-3)
