"""Batch and layer normalization: the fused backward pass three ways, the graph of small steps, PyTorch's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from network_routes import assert_gradcheck, assert_three_routes, needs_torch, to_torch, torch

from bplab import Value, nn, ops
from bplab.engine import apply

RNG = np.random.default_rng(0)
X = RNG.normal(1.0, 2.0, size=(6, 3))


def step_by_step(x: Value, axis, eps: float) -> Value:
    """Standardization as the lesson draws it: a graph of mean, subtract, square, mean, add, square root, divide."""
    mean = x.mean(axis=axis, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=axis, keepdims=True)
    return centred / (variance + eps) ** 0.5


@pytest.mark.parametrize("axis", [0, 1, (0, 1)])
def test_the_fused_backward_pass_equals_the_graph_of_small_steps(axis):
    weights = RNG.normal(size=X.shape)
    fused, steps = Value(X), Value(X)
    (apply(ops.standardize, fused, axis=axis, eps=1e-5) * weights).sum().backward()
    (step_by_step(steps, axis, 1e-5) * weights).sum().backward()
    np.testing.assert_allclose(fused.grad, steps.grad, rtol=1e-9, atol=1e-12)


def test_batch_norm_three_routes():
    """SymPy, backprop and central differences on a small batch norm: input, scale and shift."""
    assert_three_routes(lambda x, g, b: nn.batch_norm(x, None, None, g, b, training=True, eps=1e-3),
                        x=X[:4, :2], g=np.array([1.5, -0.5]), b=np.array([0.2, 0.1]))


def test_layer_norm_three_routes():
    assert_three_routes(lambda x, g, b: nn.layer_norm(x, (3,), g, b, eps=1e-3),
                        x=X[:3], g=np.array([1.5, -0.5, 2.0]), b=np.array([0.2, 0.1, -0.3]))


def test_the_check_catches_a_planted_wrong_backward_pass():
    """Test the tester: dropping the last term of the fused formula must fail a gradient check."""
    original = ops.standardize.vjps

    def wrong(g, out, x, axis=-1, eps=1e-5):
        centred = x - x.mean(axis=axis, keepdims=True)
        s = ((centred * centred).mean(axis=axis, keepdims=True) + eps) ** 0.5
        return (g - g.mean(axis=axis, keepdims=True)) / s

    object.__setattr__(ops.standardize, "vjps", (wrong,))
    try:
        with pytest.raises(AssertionError):
            assert_gradcheck(lambda x: nn.layer_norm(x, (3,)) * np.array([1.0, 2.0, 3.0]), x=X[:3])
    finally:
        object.__setattr__(ops.standardize, "vjps", original)


def test_known_values_of_a_two_example_batch():
    """Two examples: each feature standardizes to -1 and +1 (up to eps), whatever their values."""
    out = nn.batch_norm(np.array([[1.0, 10.0], [3.0, 30.0]]), None, None, training=True, eps=0.0 + 1e-12)
    np.testing.assert_allclose(out.data, [[-1.0, -1.0], [1.0, 1.0]], atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (5, 3), elements=st.floats(-50, 50, allow_nan=False)).filter(lambda a: np.all(a.std(axis=0) > 1e-2)))
def test_standardized_columns_have_mean_0_and_the_gradient_is_orthogonal_to_both_directions(x):
    """Each column of x̂ has mean 0 and mean square σ²/(σ² + ε). The backward pass's result sums to 0 in each column
    (shifting a column's inputs does not change its outputs) and, scaled by x̂, to (1/s)·Σ ḡx̂·ε/(σ² + ε): zero but
    for ε (scaling a column's inputs changes its outputs only through ε)."""
    value = Value(x)
    out = apply(ops.standardize, value, axis=0, eps=1e-5)
    np.testing.assert_allclose(out.data.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose((out.data ** 2).mean(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5), rtol=1e-9)
    g = np.arange(15.0).reshape(5, 3)
    (out * g).sum().backward()
    scale = 1 + np.abs(value.grad).max()
    np.testing.assert_allclose(value.grad.sum(axis=0), 0.0, atol=1e-8 * scale)
    variance = x.var(axis=0)
    expected = (g * out.data).sum(axis=0) * 1e-5 / (variance + 1e-5) / np.sqrt(variance + 1e-5)
    np.testing.assert_allclose((value.grad * out.data).sum(axis=0), expected, atol=1e-8 * scale)


def test_running_statistics_and_evaluation_mode():
    layer = nn.BatchNorm1d(3, momentum=0.5)
    layer(X)
    np.testing.assert_allclose(layer.running_mean, 0.5 * X.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.5 + 0.5 * X.var(axis=0, ddof=1))  # unbiased, as PyTorch
    layer.eval()
    one = layer(X[:1]).data  # evaluation: one example alone gets the same output as inside any batch
    np.testing.assert_allclose(one, layer(X).data[:1])
    np.testing.assert_allclose(one, (X[:1] - layer.running_mean) / np.sqrt(layer.running_var + 1e-5))


def test_train_and_eval_reach_every_sub_module():
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.BatchNorm1d(4), nn.Tanh())
    assert model.eval() is model and not any(layer.training for layer in model.layers)
    model.train()
    assert all(layer.training for layer in model.layers)
    with pytest.raises(TypeError, match="mode: expected True or False"):
        model.train("no")


@pytest.mark.parametrize("make, x, message", [
    (lambda: nn.BatchNorm1d(3), np.ones((4, 2)), r"expected shape \(N, 3\)"),
    (lambda: nn.BatchNorm1d(3), np.ones((1, 3)), "more than 1 example"),
    (lambda: nn.LayerNorm(4), np.ones((2, 3)), r"last axes to have shape \(4,\)"),
])
def test_bad_inputs_are_refused_by_name(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


@pytest.mark.parametrize("setting, message", [({"momentum": 1.5}, "momentum"), ({"eps": 0.0}, "eps"),
                                              ({"num_features": 0}, "num_features")])
def test_bad_settings_are_refused_by_name(setting, message):
    with pytest.raises(ValueError, match=message):
        nn.BatchNorm1d(**{"num_features": 3, **setting})


@needs_torch
def test_batch_norm_equals_pytorchs_over_three_training_steps_and_in_evaluation():
    ours, theirs = nn.BatchNorm1d(3, momentum=0.2), torch.nn.BatchNorm1d(3, momentum=0.2).double()
    ours.weight.data[:] = theirs.weight.data.numpy()[:] = [1.5, -0.5, 2.0]
    ours.bias.data[:] = theirs.bias.data.numpy()[:] = [0.1, 0.2, -0.3]
    for step in range(3):
        batch = RNG.normal(size=(8, 3)) * (step + 1)
        weights = RNG.normal(size=(8, 3))
        x_ours, x_theirs = Value(batch), to_torch(batch, requires_grad=True)
        ours.zero_grad()
        theirs.zero_grad()
        (ours(x_ours) * weights).sum().backward()
        (theirs(x_theirs) * to_torch(weights)).sum().backward()
        np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    test = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(ours(test).data, theirs(to_torch(test)).detach().numpy(), rtol=1e-10)


@needs_torch
def test_layer_norm_equals_pytorchs():
    ours, theirs = nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3)).double()
    gamma, beta = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    ours.weight.data[:] = gamma
    ours.bias.data[:] = beta
    with torch.no_grad():
        theirs.weight.copy_(to_torch(gamma))
        theirs.bias.copy_(to_torch(beta))
    batch, weights = RNG.normal(size=(4, 2, 3)), RNG.normal(size=(4, 2, 3))
    x_ours, x_theirs = Value(batch), to_torch(batch, requires_grad=True)
    (ours(x_ours) * weights).sum().backward()
    (theirs(x_theirs) * to_torch(weights)).sum().backward()
    np.testing.assert_allclose(ours(batch).data, theirs(to_torch(batch)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-9)
