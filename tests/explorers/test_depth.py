"""The depth explorer (Level 4, lesson 10): its gradients three ways, its predictions, and what it tells the learner."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from bplab.check import central_difference, relative_error
from bplab.explorers.depth import (BATCH, INITS, SCHEME_VARIANCE, DepthExplorer, log_range, predicted_gain,
                                   signal_through_depth)
from bplab.validation import make_rng

DERIVATIVES = {"tanh": lambda z: 1 - np.tanh(z) ** 2, "relu": lambda z: (z > 0).astype(float),
               "sigmoid": lambda z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))), "linear": np.ones_like}
FUNCTIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
             "linear": lambda z: z}


def same_draws(depth: int, width: int, scheme: str, scale: float, seed: int, batch: int):
    """The weights, inputs and top gradient signal_through_depth draws, drawn again in the same order."""
    from bplab import init

    rng = make_rng(seed=seed)
    weights = [init.scaled(scheme, scale)((width, width), rng) for _ in range(depth)]
    return weights, rng.standard_normal((batch, width)), rng.standard_normal((batch, width))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_backward_pass_equals_the_chain_rule_written_out_and_central_differences(activation):
    depth, width, batch = 4, 5, 3
    hs, dhs, dws = signal_through_depth(depth, width, activation, "xavier_normal", 1.3, seed=2, batch=batch)
    weights, x, r = same_draws(depth, width, "xavier_normal", 1.3, 2, batch)
    f, df = FUNCTIONS[activation], DERIVATIVES[activation]
    h, inputs, pre = x, [], []
    for W in weights:  # forward, by hand
        inputs.append(h)
        pre.append(h @ W)
        h = f(pre[-1])
    delta = r  # backward, by hand: dL/dh_depth = r, dL/dz = dL/dh * f'(z), dL/dh_prev = dL/dz W^T, dL/dW = h_prev^T dL/dz
    for layer in reversed(range(depth)):
        np.testing.assert_allclose(dhs[layer], delta, rtol=1e-12, atol=1e-14)
        dz = delta * df(pre[layer])
        np.testing.assert_allclose(dws[layer], inputs[layer].T @ dz, rtol=1e-12, atol=1e-14)
        delta = dz @ weights[layer].T

    def loss(arrays):
        h = x
        for W in arrays:
            h = f(h @ W)
        return float(np.sum(h * r))

    if activation != "relu":  # a central difference across a kink is not a derivative
        numeric = central_difference(loss, weights)
        assert relative_error(np.concatenate([g.ravel() for g in numeric]), np.concatenate([g.ravel() for g in dws])) < 1e-6


def test_backward_pass_equals_sympys_derivative_on_a_two_layer_tanh_net():
    hs, dhs, dws = signal_through_depth(2, 2, "tanh", "normal", 0.7, seed=5, batch=1)
    weights, x, r = same_draws(2, 2, "normal", 0.7, 5, 1)
    W1, W2 = sympy.Matrix(2, 2, sympy.symbols("a:4")), sympy.Matrix(2, 2, sympy.symbols("b:4"))
    h1 = (sympy.Matrix(x) @ W1).applyfunc(sympy.tanh)
    loss = sum(((h1 @ W2).applyfunc(sympy.tanh))[0, j] * r[0, j] for j in range(2))
    values = {**dict(zip(W1, weights[0].ravel())), **dict(zip(W2, weights[1].ravel()))}
    for symbols, backprop in ((W1, dws[0]), (W2, dws[1])):
        symbolic = np.array([float(sympy.diff(loss, s).subs(values)) for s in symbols]).reshape(2, 2)
        np.testing.assert_allclose(backprop, symbolic, rtol=1e-10)


def test_the_check_catches_a_planted_wrong_derivative():
    """Test the tester: a backward pass that forgot tanh's derivative fails the hand-written chain rule."""
    depth, width, batch = 3, 4, 2
    _, _, dws = signal_through_depth(depth, width, "tanh", "xavier_normal", 1.0, seed=1, batch=batch)
    weights, x, r = same_draws(depth, width, "xavier_normal", 1.0, 1, batch)
    inputs, h = [], x
    for W in weights:
        inputs.append(h)
        h = np.tanh(h @ W)
    wrong = inputs[-1].T @ r  # f'(z) left out
    assert relative_error(wrong, dws[-1]) > 1e-3


def test_known_values_at_the_default_setting():
    explorer = DepthExplorer()
    s = explorer.state
    assert s.activation_rms.shape == s.gradient_rms.shape == s.weight_gradient_norms.shape == (10,)
    # Standard init U(±1/√n) gives Var W = 1/(3n): each tanh layer shrinks the signal by about √(1/3) ≈ 0.577
    ratios = s.activation_rms[1:] / s.activation_rms[:-1]
    assert np.all((0.5 < ratios) & (ratios < 0.62)), ratios
    assert s.gradient_rms[-1] == pytest.approx(1.0, abs=0.05)  # the top's gradient is r ~ N(0, 1)
    assert "fades" in explorer.status and "vanishes" in explorer.status


@pytest.mark.parametrize("scheme, activation, gain", [
    ("xavier_normal", "linear", 1.0), ("kaiming_normal", "linear", math.sqrt(2)), ("kaiming_normal", "relu", 1.0),
    ("xavier_normal", "relu", math.sqrt(0.5)), ("pytorch_default", "linear", math.sqrt(1 / 3)),
])
def test_each_layer_multiplies_the_signal_by_the_predicted_gain(scheme, activation, gain):
    assert predicted_gain(200, scheme, 1.0, activation) == pytest.approx(gain)
    s = DepthExplorer(depth=12, width=200, activation=activation, init_scheme=scheme).state
    measured_up = (s.activation_rms[-1] / s.activation_rms[0]) ** (1 / 11)
    measured_down = (s.gradient_rms[0] / s.gradient_rms[-1]) ** (1 / 11)
    assert measured_up == pytest.approx(gain, rel=0.06)
    assert measured_down == pytest.approx(gain, rel=0.06)


def test_scheme_variances_are_the_schemes_own():
    rng = np.random.default_rng(0)
    from bplab import init

    for scheme in INITS:
        draws = init.get_scheme(scheme)((300, 300), rng)
        assert np.var(draws) == pytest.approx(SCHEME_VARIANCE[scheme](300), rel=0.03, abs=1e-12), scheme


def test_the_status_names_what_happened():
    assert "cannot even start" in DepthExplorer(init_scheme="zeros").status
    assert "vanishes" in DepthExplorer(activation="sigmoid").status
    balanced = DepthExplorer(activation="relu", init_scheme="kaiming_normal").status
    assert "Both keep their size" in balanced and "going up" in balanced and "×" in balanced
    exploding = DepthExplorer(activation="linear", init_scheme="normal", depth=50, width=200, init_scale=10.0)
    assert "explodes" in exploding.status or "overflowed" in exploding.status


def test_zero_weights_give_zero_weight_gradients_everywhere():
    s = DepthExplorer(init_scheme="zeros", activation="tanh").state
    assert np.all(s.weight_gradient_norms == 0) and np.all(s.activation_rms == 0)


def test_zero_weights_with_sigmoid_leave_only_the_last_layer_a_gradient():
    explorer = DepthExplorer(init_scheme="zeros", activation="sigmoid")
    norms = explorer.state.weight_gradient_norms
    assert norms[-1] > 0 and np.all(norms[:-1] == 0)
    assert "0.5" in explorer.status and "reaches no layer below" in explorer.status


def test_one_layer_is_described_as_one_layer():
    status = DepthExplorer(depth=1).status
    assert status.startswith("One layer") and "(layer 1) to" not in status


def test_histograms_are_scaled_to_their_peaks_and_keep_every_value():
    s = DepthExplorer(activation="linear", init_scheme="normal", depth=5).state  # exploding: values beyond the axis
    assert s.activation_histograms.shape == (5, len(s.activation_edges) - 1)
    assert np.allclose(s.activation_histograms.max(axis=1), 1.0)
    hs, _, _ = signal_through_depth(5, 100, "linear", "normal", 1.0, seed=0, batch=BATCH)
    beyond = np.mean(np.abs(hs[-1]) > s.activation_edges[-1])
    assert beyond > 0.9  # most of layer 5 lies beyond layer 1's axis: piled into the end bins, which hold the peak
    assert max(s.activation_histograms[-1, 0], s.activation_histograms[-1, -1]) == 1.0


def test_figure_has_one_trace_per_view_and_finite_axes():
    figure = DepthExplorer(depth=50, activation="sigmoid").figure
    names = [trace.name for trace in figure.data]
    assert names[:2] == ["activations: histogram of each layer", "gradients: histogram of each layer"]
    assert figure.layout.yaxis4.range is not None and all(np.isfinite(figure.layout.yaxis4.range))
    assert all(y is None or y > 0 for trace in figure.data[2:] for y in (trace.y or []))  # log axes: no zeros


def test_log_range_spans_at_least_two_decades():
    low, high = log_range(np.array([2.9, 3.3]))
    assert high - low >= 2.0 and low < math.log10(2.9) and high > math.log10(3.3)
    assert log_range(np.array([0.0, np.nan])) is None


@pytest.mark.parametrize("values", [[1.0, 1000.0], [0.02, 0.05], [3e-7, 4e5], [10.0, 10.0]])
def test_log_range_ends_on_its_grid_clear_of_the_powers_of_ten(values):
    low, high = log_range(np.array(values))
    assert low <= math.log10(min(values)) - 0.2 and high >= math.log10(max(values)) + 0.2
    for end in (low, high):
        assert (end - 0.25) / 0.5 == pytest.approx(round((end - 0.25) / 0.5))  # on the half-decade grid
        assert abs(end - round(end)) >= 0.25 - 1e-9  # never on a power of ten, where a tick label would sit


def test_a_small_change_keeps_the_log_axes_as_they_were():
    assert log_range(np.array([1.0, 100.0])) == log_range(np.array([1.05, 97.0]))


@pytest.mark.parametrize("setting, value, message", [
    ("depth", 0, "depth"), ("depth", 51, "depth"), ("width", 5, "width"), ("activation", "softplus", "activation"),
    ("init_scheme", "orthogonal", "init_scheme"), ("init_scale", -1.0, "init_scale"),
])
def test_bad_settings_are_refused_by_name(setting, value, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DepthExplorer(**{setting: value})


# ------------------------------------------------------------------ lesson 11: residual and batch-normalized layers


def numpy_forward(weights, x, layer, activation="tanh"):
    f = FUNCTIONS[activation]
    h = x
    for W in weights:
        z = h @ W
        if "batch norm" in layer:
            z = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5)
        h = h + f(z) if "residual" in layer else f(z)
    return h


@pytest.mark.parametrize("layer", ["residual", "batch norm", "batch norm + residual"])
def test_residual_and_normalized_layers_backward_pass_equals_central_differences(layer):
    depth, width, batch = 3, 4, 5
    _, _, dws = signal_through_depth(depth, width, "tanh", "xavier_normal", 1.0, seed=2, batch=batch, layer=layer)
    weights, x, r = same_draws(depth, width, "xavier_normal", 1.0, 2, batch)
    numeric = central_difference(lambda arrays: float(np.sum(numpy_forward(arrays, x, layer) * r)), weights)
    assert relative_error(np.concatenate([g.ravel() for g in numeric]), np.concatenate([g.ravel() for g in dws])) < 1e-6


def test_a_residual_stack_passes_the_gradient_down_where_a_plain_one_loses_it():
    plain = DepthExplorer(depth=30, init_scale=0.3).state
    residual = DepthExplorer(depth=30, init_scale=0.3, layer="residual").state
    assert plain.gradient_rms[0] < 1e-10  # the plain stack: gone
    assert residual.gradient_rms[0] >= residual.gradient_rms[-1] * 0.99  # never below what came from the top
    assert "straight down" in DepthExplorer(depth=30, init_scale=0.3, layer="residual").status


def test_batch_norm_makes_the_signal_independent_of_the_weights_scale():
    small = DepthExplorer(depth=20, init_scale=0.2, layer="batch norm").state
    large = DepthExplorer(depth=20, init_scale=5.0, layer="batch norm").state
    np.testing.assert_allclose(small.activation_rms, large.activation_rms, rtol=1e-3)
    assert 0.5 < small.activation_rms[-1] < 0.8  # tanh of a standardized pre-activation: about 0.63
    assert DepthExplorer(depth=20, init_scale=0.2).state.activation_rms[-1] < 1e-10  # without it: nothing left


def test_zero_weights_in_residual_branches_still_learn():
    """The identity path carries signal and gradient, so zero-initialized branches get gradients (tanh'(0) = 1)."""
    s = DepthExplorer(init_scheme="zeros", layer="residual").state
    assert np.all(s.weight_gradient_norms > 0) and "cannot even start" not in DepthExplorer(init_scheme="zeros", layer="residual").status


def test_an_unknown_layer_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="layer"):
        signal_through_depth(2, 4, "tanh", "xavier_normal", 1.0, seed=0, layer="dense")
    with pytest.raises(ValueError, match="layer"):
        DepthExplorer(layer="dense")


def test_zero_weights_before_batch_norm_are_described_without_nan():
    plain = DepthExplorer(init_scheme="zeros", layer="batch norm")
    assert np.all(plain.state.weight_gradient_norms == 0) and "nan" not in plain.status and "no weight gets" in plain.status
    residual = DepthExplorer(init_scheme="zeros", layer="batch norm + residual")
    assert np.all(residual.state.weight_gradient_norms > 100) and "1/√ε" in residual.status


def test_a_residual_streams_histogram_axis_fits_its_top_layer():
    s = DepthExplorer(depth=30, layer="residual").state
    assert s.activation_histograms[-1, 0] < 1.0 and s.activation_histograms[-1, -1] < 1.0  # no pile-up at the ends


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("layer", ["plain", "residual", "batch norm"])
def test_the_histograms_bins_cover_what_each_layer_can_output(activation, layer):
    from bplab.explorers.depth import BINS, root_mean_square

    explorer = DepthExplorer(depth=6, width=16, activation=activation, init_scheme="xavier_normal", init_scale=1.0,
                             seed=2, layer=layer)
    s = explorer.state
    assert s.params == dict(depth=6, width=16, activation=activation, init_scheme="xavier_normal", init_scale=1.0,
                            seed=2, layer=layer)
    assert len(s.activation_edges) == len(s.gradient_edges) == BINS + 1
    assert s.activation_histograms.shape == s.gradient_histograms.shape == (6, BINS)
    np.testing.assert_allclose(s.gradient_edges[[0, -1]], [-3.0, 3.0])  # the top's gradient is N(0, 1)
    activations, _, _ = signal_through_depth(6, 16, activation, "xavier_normal", 1.0, 2, layer=layer)
    if activation in ("tanh", "sigmoid") and layer != "residual":  # bounded: the activation's own range
        expected = [-1.0 if activation == "tanh" else 0.0, 1.0]
    else:  # unbounded: three spreads of the first layer (the last one, where a residual stream has grown)
        reach = 3 * root_mean_square(activations[-1] if layer == "residual" else activations[0])
        expected = [0.0 if activation == "relu" else -reach, reach]
    np.testing.assert_allclose(s.activation_edges[[0, -1]], expected, rtol=1e-12)
    if layer == "plain":
        assert s.predicted_gain == predicted_gain(16, "xavier_normal", 1.0, activation)
    else:
        assert s.predicted_gain is None  # the prediction is for plain layers only


def test_a_blown_up_signal_is_computed_without_warnings_and_unknown_layers_are_named():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow to inf and inf − inf are expected here: no warnings printed
        activations, gradients, _ = signal_through_depth(200, 16, "linear", "normal", 50.0, 0)
    assert not np.isfinite(activations[-1]).all() and len(gradients) == 200
    with pytest.raises(ValueError, match=r"^layer: expected one of 'plain', 'residual', 'batch norm', "
                                         r"'batch norm \+ residual', got 'dense'$"):
        signal_through_depth(2, 4, "tanh", "normal", 1.0, 0, layer="dense")


def test_the_predicted_gain_is_the_square_root_of_n_var_w_c():
    assert predicted_gain(16, "normal", 1.0, "linear") == pytest.approx(4.0)  # √(16 · 1 · 1): variance exactly 1
    assert predicted_gain(16, "kaiming_normal", 2.0, "relu") == pytest.approx(2.0)  # √(16 · 2/16 · 4 · ½)
    assert predicted_gain(16, "xavier_normal", 3.0, "tanh") == pytest.approx(3.0)  # √(16 · 1/16 · 9)
    assert predicted_gain(16, "zeros", 1.0, "tanh") is None and predicted_gain(16, "normal", 1.0, "sigmoid") is None


def test_the_histograms_count_each_layer_in_its_bins_scaled_to_its_peak():
    import warnings

    from bplab.explorers.depth import _histograms

    rng = make_rng(seed=7)
    edges = np.linspace(-1.5, 2.5, 9)  # 8 bins of 0.5, not starting at 0
    first = np.r_[rng.normal(0.5, 1.5, size=299), 1e308]  # some beyond the edges: counted in the end bins
    second = np.r_[rng.normal(1.0, 0.3, size=297), np.nan, np.inf, -np.inf]  # non-finite: left out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = _histograms([first, second, np.full(300, np.nan)], edges)
    for row, values in zip(rows, (first, second)):
        finite = values[np.isfinite(values)]
        counts, _ = np.histogram(np.clip(finite, edges[0], edges[-1] - 1e-9), edges)
        np.testing.assert_allclose(row, counts / counts.max())
    assert rows[2].tolist() == [0.0] * 8  # a layer with no finite value: an empty row


def test_an_exploded_size_is_infinite_without_a_warning_and_a_signal_of_no_size_gets_a_unit_axis():
    from bplab.explorers.depth import BINS, root_mean_square

    with np.errstate(all="raise"):  # an overflow the explorer did not expect would raise here
        assert root_mean_square(np.array([1e200, 1.0])) == math.inf
        assert root_mean_square(np.array([3.0, -4.0])) == pytest.approx(math.sqrt(12.5))
    silent = DepthExplorer(activation="relu", init_scheme="zeros").state  # every activation 0: no spread
    np.testing.assert_array_equal(silent.activation_edges, np.linspace(0.0, 3.0, BINS + 1))
    linear = DepthExplorer(activation="linear", init_scheme="zeros").state
    np.testing.assert_array_equal(linear.activation_edges, np.linspace(-3.0, 3.0, BINS + 1))
