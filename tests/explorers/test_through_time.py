"""The time explorer (Level 4, lesson 12): BPTT's gradients three ways, the singular-value facts, clipping, its words."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from bplab.check import central_difference, relative_error
from bplab.explorers.through_time import (BATCH, HIDDEN, MATRICES, MAX_NORM, TimeExplorer, gradients_through_time,
                                          recurrent_matrix)
from bplab.validation import make_rng


def words(**settings) -> str:
    explorer = TimeExplorer(**settings)
    return explorer.describe(explorer.state)

SLOPES = {"tanh": lambda h: 1 - h ** 2, "linear": np.ones_like}


def small_problem(nonlinearity: str, steps: int = 4, hidden: int = 3, batch: int = 2, seed: int = 0):
    rng = make_rng(seed=seed)
    weight = 0.8 * rng.standard_normal((hidden, hidden))
    inputs = rng.standard_normal((steps, batch, hidden))
    readout = rng.standard_normal((batch, hidden))
    return weight, inputs, readout


def loss_by_hand(nonlinearity: str, weight: np.ndarray, inputs: np.ndarray, readout: np.ndarray) -> float:
    h = np.zeros(inputs.shape[1:])
    for x_t in inputs:
        h = h @ weight + x_t
        h = np.tanh(h) if nonlinearity == "tanh" else h
    return float(np.sum(readout * h))


@pytest.mark.parametrize("nonlinearity", ["tanh", "linear"])
def test_bptt_equals_the_sum_over_steps_written_out_and_central_differences(nonlinearity):
    weight, inputs, readout = small_problem(nonlinearity)
    states, pre, w = gradients_through_time(nonlinearity, weight, inputs, readout)
    # by hand: dL/dh_T = r; dL/dz_t = dL/dh_t * f'(z_t); dL/dh_{t-1} = dL/dz_t W^T; dL/dW = sum_t h_{t-1}^T dL/dz_t
    delta, total = readout, np.zeros_like(weight)
    for t in reversed(range(len(inputs))):
        np.testing.assert_allclose(states[t].grad, delta, rtol=1e-12, atol=1e-15)
        dz = delta * SLOPES[nonlinearity](states[t].data)
        np.testing.assert_allclose(pre[t].grad, dz, rtol=1e-12, atol=1e-15)
        before = states[t - 1].data if t > 0 else np.zeros_like(delta)
        total += before.T @ dz
        delta = dz @ weight.T
    np.testing.assert_allclose(w.grad, total, rtol=1e-12, atol=1e-15)
    numeric = central_difference(lambda W: loss_by_hand(nonlinearity, W, inputs, readout), weight)
    assert relative_error(numeric, w.grad) < 1e-7


def test_bptt_equals_sympys_derivative_for_a_scalar_recurrence():
    """h_t = tanh(w h_{t-1} + x_t) for three steps, one unit: SymPy's dL/dw against the explorer's backward pass."""
    w = sympy.Symbol("w")
    xs = [0.5, -1.0, 2.0]
    h = sympy.Integer(0)
    for x in xs:
        h = sympy.tanh(w * h + x)
    symbolic = float(sympy.diff(h, w).subs(w, 0.7))
    _, _, weight = gradients_through_time("tanh", np.array([[0.7]]), np.array(xs).reshape(3, 1, 1), np.ones((1, 1)))
    assert math.isclose(weight.grad.item(), symbolic, rel_tol=1e-12)


def test_a_planted_wrong_slope_fails_the_check():
    """The test's hand-written chain rule would catch a backward pass that forgot tanh's slope."""
    weight, inputs, readout = small_problem("tanh")
    states, _, _ = gradients_through_time("tanh", weight, inputs, readout)
    wrong = readout @ weight.T  # dL/dh_{T-1} without the slope f'(z_T)
    assert not np.allclose(states[-2].grad, wrong, rtol=1e-3)


@pytest.mark.parametrize("matrix", MATRICES)
@given(scale=st.floats(0.25, 4.0), seed=st.integers(0, 50))
@settings(max_examples=15, deadline=None)
def test_the_matrix_has_the_largest_singular_value_asked_for(matrix, scale, seed):
    weight = recurrent_matrix(matrix, scale, seed)
    singular_values = np.linalg.svd(weight, compute_uv=False)
    assert math.isclose(singular_values[0], scale, rel_tol=1e-10)
    if matrix == "scaled orthogonal":  # every singular value and every eigenvalue's modulus equal the scale
        np.testing.assert_allclose(singular_values, scale, rtol=1e-10)
        np.testing.assert_allclose(np.abs(np.linalg.eigvals(weight)), scale, rtol=1e-8)


@given(scale=st.floats(0.5, 1.5), steps=st.integers(5, 60))
@settings(max_examples=20, deadline=None)
def test_linear_orthogonal_gradient_is_exactly_the_scale_to_the_power_k(scale, steps):
    state = TimeExplorer(nonlinearity="linear", scale=scale, steps=steps).state
    np.testing.assert_allclose(state.gradient_norms, scale ** np.arange(steps), rtol=1e-9)


@given(scale=st.floats(0.25, 0.99), steps=st.integers(5, 80), size=st.floats(0.0, 3.0), seed=st.integers(0, 20))
@settings(max_examples=25, deadline=None)
def test_below_one_the_gradient_can_only_shrink_whatever_the_nonlinearity(scale, steps, size, seed):
    """Pascanu et al. (2013): sigma_max < 1 (and |f'| <= 1) is sufficient for vanishing: ||dL/dh_{T-k}|| <= sigma_max^k."""
    for nonlinearity in ("tanh", "linear"):
        for matrix in MATRICES:
            state = TimeExplorer(nonlinearity=nonlinearity, matrix=matrix, scale=scale, steps=steps, input_size=size,
                                 seed=seed).state
            assert np.all(state.gradient_norms <= scale ** np.arange(steps) * (1 + 1e-9))


def test_above_one_is_necessary_but_not_sufficient_for_exploding_with_tanh():
    saturated = TimeExplorer(nonlinearity="tanh", scale=1.5, input_size=1.0).state
    assert saturated.gradient_norms[-1] < 1e-2 * saturated.gradient_norms[0]  # above 1, and it vanishes
    assert saturated.mean_slope < 0.6
    gentle = TimeExplorer(nonlinearity="tanh", scale=1.5, input_size=0.1).state
    assert gentle.gradient_norms[-1] > 1.0  # the same matrix with small inputs: the slopes stay near 1
    assert "necessary for exploding, not sufficient" in words(scale=1.5)


def test_the_shares_sum_to_the_weight_gradient_and_clipping_scales_them_all_alike():
    weight = recurrent_matrix("random Gaussian", 3.0, 0)
    rng = make_rng(seed=1000)
    inputs, readout = rng.standard_normal((30, BATCH, HIDDEN)), rng.standard_normal((BATCH, HIDDEN))
    readout /= np.linalg.norm(readout, axis=1, keepdims=True)
    plain = TimeExplorer(matrix="random Gaussian", scale=3.0, steps=30).state
    clipped = TimeExplorer(matrix="random Gaussian", scale=3.0, steps=30, clip=True).state
    states, pre, w = gradients_through_time("tanh", weight, inputs, readout)
    assert math.isclose(plain.weight_gradient_norm, np.linalg.norm(w.grad), rel_tol=1e-12)
    assert clipped.clip_factor == pytest.approx(MAX_NORM / plain.weight_gradient_norm, rel=1e-12)
    np.testing.assert_allclose(clipped.contributions, plain.contributions * clipped.clip_factor, rtol=1e-12)
    shares = [(states[t - 1].data if t else np.zeros((BATCH, HIDDEN))).T @ pre[t].grad for t in range(30)]
    np.testing.assert_allclose(sum(shares), w.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(plain.contributions, [np.linalg.norm(s) for s in reversed(shares)], rtol=1e-12)


def test_clipping_never_enlarges_a_small_gradient():
    state = TimeExplorer(scale=0.5, clip=True).state
    assert state.weight_gradient_norm < MAX_NORM and state.clip_factor == 1.0
    assert "cannot cure vanishing" in words(scale=0.5, clip=True)


def test_the_description_names_what_happens():
    assert "<b>explodes</b>" in words(nonlinearity="linear", scale=1.5)
    assert "exactly 1.5" in words(nonlinearity="linear", scale=1.5)
    assert "<b>vanishes</b>" in words(nonlinearity="linear", scale=0.8)
    assert "spectral radius is below it" in words(nonlinearity="linear", matrix="random Gaussian",
                                                         scale=1.5)
    kept = words(nonlinearity="linear", scale=1.0)
    assert "×1 over 49 steps" in kept and "above 1" not in kept
    assert "It grows, ×" in words(scale=1.5, input_size=0.1)
    assert "It shrinks, ×" in words(nonlinearity="linear", scale=0.95)


def test_overflow_is_said_not_drawn_as_nonsense():
    explorer = TimeExplorer(nonlinearity="linear", scale=4.0, steps=200, input_size=3.0)
    assert np.isfinite(explorer.state.gradient_norms).all() or "overflowed" in explorer.description
    for trace in explorer.figure.data:
        assert all(v is None or np.isfinite(v) for v in trace.y)


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="matrix: expected one of"):
        recurrent_matrix("diagonal", 1.0, 0)
    with pytest.raises(ValueError, match="nonlinearity: expected one of"):
        gradients_through_time("relu", np.eye(2), np.zeros((2, 1, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="steps: expected a number between 5 and 200"):
        TimeExplorer(steps=1000)


def test_the_computation_keeps_its_settings_and_stays_quiet_when_it_explodes():
    import warnings

    explorer = TimeExplorer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow to inf and inf − inf are expected here: no warnings printed
        exploding = explorer.compute(nonlinearity="linear", matrix="random Gaussian", scale=40.0, steps=200, input_size=1.0,
                                     clip=True, seed=3)
    assert not math.isfinite(exploding.weight_gradient_norm)
    assert exploding.params == dict(nonlinearity="linear", matrix="random Gaussian", scale=40.0, steps=200, input_size=1.0,
                                    clip=True, seed=3)
    assert exploding.mean_slope == 1.0  # a linear layer's slope
    one_step = explorer.compute(nonlinearity="tanh", matrix="scaled orthogonal", scale=1.0, steps=1, input_size=1.0,
                                clip=False, seed=0)
    assert len(one_step.gradient_norms) == len(one_step.contributions) == 1
    silent = explorer.compute(nonlinearity="tanh", matrix="scaled orthogonal", scale=1.0, steps=5, input_size=0.0,
                              clip=True, seed=0)  # no input: every state, and so dL/dW, is 0; nothing to clip
    assert silent.weight_gradient_norm == 0.0 and silent.clip_factor == 1.0


def test_unknown_settings_are_named_with_the_choices():
    with pytest.raises(ValueError, match=r"^matrix: expected one of 'scaled orthogonal', 'random Gaussian', got 'eye'$"):
        recurrent_matrix("eye", 1.0, 0)
    inputs = np.zeros((2, BATCH, HIDDEN))
    with pytest.raises(ValueError, match=r"^nonlinearity: expected one of 'tanh', 'linear', got 'relu'$"):
        gradients_through_time("relu", np.eye(HIDDEN), inputs, np.ones((BATCH, HIDDEN)))
