"""Learning rules besides backprop (lesson 18): the estimators are unbiased, feedback alignment differs where it should."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from bplab import data
from bplab.alternatives import (
    HIDDEN, RULES, SIZE, backprop_gradient, cosine, es_estimate, feedback_matrix, forward_gradient_estimate,
    initial_parameters, logits, loss, manual_gradient, spsa_estimate, train, unpack,
)


@pytest.fixture(scope="module")
def task():
    X, y = data.moons(200, noise=0.15, seed=0)
    return data.train_test_split(X, y, test_fraction=0.3, seed=0)


def central_gradient(theta, X, y, step=1e-6):
    return np.array([(loss(theta + step * e, X, y) - loss(theta - step * e, X, y)) / (2 * step) for e in np.eye(SIZE)])


def test_the_written_out_backward_pass_three_ways(task):
    X, _, y, _ = task
    theta = initial_parameters(3) + 0.1 * np.random.default_rng(0).standard_normal(SIZE)
    by_hand, by_bplab = manual_gradient(theta, X, y), backprop_gradient(theta, X, y)
    np.testing.assert_allclose(by_hand, by_bplab, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(central_gradient(theta, X, y), by_bplab, rtol=1e-5, atol=1e-8)
    # SymPy on three of the points: the loss written as a formula, differentiated by every parameter
    symbols = sympy.symbols(f"t0:{SIZE}", real=True)
    split = 2 * HIDDEN  # the layout unpack gives the flat vector: W1, b1, w2, b2
    W1 = np.array(symbols[:split], dtype=object).reshape(2, HIDDEN)
    b1, w2, b2 = symbols[split:split + HIDDEN], symbols[split + HIDDEN:split + 2 * HIDDEN], symbols[-1]
    few_X, few_y = X[:3], y[:3]
    z = [sum(sympy.tanh(sum(few_X[n, i] * W1[i, j] for i in range(2)) + b1[j]) * w2[j] for j in range(HIDDEN)) + b2
         for n in range(3)]
    formula = sum(sympy.log(1 + sympy.exp(zn)) - few_y[n] * zn for n, zn in enumerate(z)) / 3
    exact = sympy.lambdify(symbols, [sympy.diff(formula, s) for s in symbols])(*theta)
    np.testing.assert_allclose(np.array(exact, dtype=float), backprop_gradient(theta, few_X, few_y), rtol=1e-9, atol=1e-12)
    wrong = by_bplab.copy()
    wrong[5] *= 1.01  # a planted error in one entry fails the comparison
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(central_gradient(theta, X, y), wrong, rtol=1e-5, atol=1e-8)


def test_logits_and_loss_are_the_networks(task):
    X, _, y, _ = task
    theta = initial_parameters(1)
    W1, b1, w2, b2 = unpack(theta)
    z = np.tanh(X @ W1 + b1) @ w2 + b2
    assert np.allclose(logits(theta, X), z)
    assert loss(theta, X, y) == pytest.approx(float(np.mean(np.log(1 + np.exp(z)) - y * z)), rel=1e-12)


DRAWS = 3000


@pytest.mark.parametrize("estimator", [
    lambda t, X, y, rng: forward_gradient_estimate(t, X, y, rng),
    lambda t, X, y, rng: spsa_estimate(t, X, y, rng),
    lambda t, X, y, rng: es_estimate(t, X, y, rng, probes=1, sigma=1e-3),
], ids=["forward gradient", "SPSA", "evolution strategies"])
def test_the_estimators_average_to_the_gradient(task, estimator):
    """One draw's error has size about sqrt(n + 1) |g| (n = 65 parameters), so the mean of N draws is off by about
    sqrt((n + 1)/N) |g| = 0.15 |g|; twice that is the bound. A biased rule (twice the gradient, a wrong sign) is off
    by |g| or more."""
    X, _, y, _ = task
    theta = initial_parameters(2)
    rng = np.random.default_rng(11)
    mean = np.mean([estimator(theta, X, y, rng) for _ in range(DRAWS)], axis=0)
    g = backprop_gradient(theta, X, y)
    assert np.linalg.norm(mean - g) / np.linalg.norm(g) < 2 * math.sqrt((SIZE + 1) / DRAWS)
    assert cosine(mean, g) > 0.95


def test_one_random_direction_points_at_the_gradient_as_random_directions_do(task):
    """E|cos(v, g)| for a Gaussian v in n dimensions is about sqrt(2/(pi n)): 0.10 for the 65 parameters."""
    X, _, y, _ = task
    theta = initial_parameters(2)
    rng = np.random.default_rng(5)
    g = backprop_gradient(theta, X, y)
    cosines = [abs(cosine(forward_gradient_estimate(theta, X, y, rng), g)) for _ in range(2000)]
    assert np.mean(cosines) == pytest.approx(math.sqrt(2 / (math.pi * SIZE)), rel=0.08)
    es = [cosine(es_estimate(theta, X, y, rng, probes=16, sigma=1e-3), g) for _ in range(200)]
    assert np.mean(es) > 2.5 * np.mean(cosines)  # 16 probes average: closer to the gradient


def test_feedback_alignment_changes_only_the_hidden_layers_part(task):
    X, _, y, _ = task
    theta = initial_parameters(4)
    true, aligned = manual_gradient(theta, X, y), manual_gradient(theta, X, y, feedback_matrix(4))
    output_part = slice(2 * HIDDEN + HIDDEN, SIZE)  # w2 and b2: the output error reaches them directly
    np.testing.assert_allclose(aligned[output_part], true[output_part], rtol=1e-12)
    assert not np.allclose(aligned[:2 * HIDDEN + HIDDEN], true[:2 * HIDDEN + HIDDEN])
    _, _, w2, _ = unpack(theta)
    np.testing.assert_allclose(manual_gradient(theta, X, y, w2), true, rtol=1e-12)  # B = w2 is backprop


def test_training_records_and_the_rules_learn(task):
    X, X_test, y, y_test = task
    for rule in RULES:
        run = train(rule, X, y, X_test, y_test, steps=60, rate=0.5, probes=4)
        assert len(run.train_loss) == len(run.test_accuracy) == len(run.evaluations) == 61
        assert len(run.cosine_to_gradient) == 60 and run.evaluations[0] == 0
        assert run.train_loss[-1] < run.train_loss[0], rule
    backprop = train("backprop", X, y, X_test, y_test, steps=30)
    assert np.allclose(backprop.cosine_to_gradient, 1.0)
    assert train("evolution strategies", X, y, X_test, y_test, steps=5, probes=7).evaluations[-1] == 5 * 14


@pytest.mark.parametrize("kwargs, message", [
    (dict(rule="backpropagation"), r"rule: expected one of 'backprop', .* got 'backpropagation'"),
    (dict(rule="SPSA", steps=0), r"steps: expected a whole number of at least 1, got 0"),
    (dict(rule="SPSA", rate=-1.0), r"rate: expected a positive number, got -1.0"),
])
def test_bad_settings_say_what_is_expected(task, kwargs, message):
    X, X_test, y, y_test = task
    with pytest.raises(ValueError, match=message):
        train(X=X, y=y, X_test=X_test, y_test=y_test, **kwargs)
    with pytest.raises(ValueError, match=r"theta: expected a flat vector of 65 parameters, got shape \(3,\)"):
        loss(np.zeros(3), X, y)
