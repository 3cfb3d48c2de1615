"""The delta equations of a two-layer network equal the engine's backward pass."""

from __future__ import annotations

import numpy as np
import pytest

from bplab import delta_equations as delta


def problem(loss: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 3))
    if loss == "cross_entropy":
        return X, rng.integers(0, 4, size=7), delta.init_params(3, 5, 4, seed=seed)
    if loss == "bce":
        return X, (rng.random((7, 1)) < 0.5).astype(float), delta.init_params(3, 5, 1, seed=seed)
    return X, rng.normal(size=(7, 2)), delta.init_params(3, 5, 2, seed=seed)


@pytest.mark.parametrize("activation", delta.ACTIVATIONS)
@pytest.mark.parametrize("loss", delta.LOSSES)
def test_delta_equations_equal_the_engine(activation, loss):
    X, y, params = problem(loss)
    by_hand = delta.gradients(params, X, y, activation, loss)
    by_engine = delta.engine_gradients(params, X, y, activation, loss)
    for name in params:
        assert np.allclose(by_hand[name], by_engine[name], rtol=1e-12, atol=1e-14), name


def test_deltas_have_the_layer_shapes_and_loss_decreases():
    X, y, params = problem("bce")
    cache = delta.forward(params, X, "sigmoid", "bce")
    result = delta.backward(params, cache, X, y, "bce")
    assert result.delta2.shape == (7, 1) and result.delta1.shape == (7, 5)
    before = delta.loss_value(params, X, y, "sigmoid", "bce")
    after = delta.loss_value(delta.sgd_step(params, X, y, 0.5, "sigmoid", "bce"), X, y, "sigmoid", "bce")
    assert after < before


def test_updating_too_early_is_not_gradient_descent():
    X, y, params = problem("cross_entropy")
    right = delta.sgd_step(params, X, y, 2.0, "tanh", "cross_entropy")
    wrong = delta.step_updating_too_early(params, X, y, 2.0, "tanh", "cross_entropy")
    assert np.allclose(right["W2"], wrong["W2"]) and np.allclose(right["b2"], wrong["b2"])
    assert not np.allclose(right["W1"], wrong["W1"])  # delta1 used the already-moved W2


@pytest.mark.parametrize("activation", delta.ACTIVATIONS)
@pytest.mark.parametrize("loss", delta.LOSSES)
def test_updating_a_layer_once_the_error_below_it_is_computed_is_exact(activation, loss):
    # a layer's weights may change once the error below it has been computed from them: W2 after delta1
    X, y, params = problem(loss)
    right = delta.sgd_step(params, X, y, 2.0, activation, loss)
    just_in_time = delta.step_updating_just_in_time(params, X, y, 2.0, activation, loss)
    for name in params:
        assert np.array_equal(right[name], just_in_time[name]), name
