"""Initialization schemes: fan rules, variances within sampling error, determinism, PyTorch's conv fans."""

from __future__ import annotations

import numpy as np
import pytest
from network_routes import needs_torch, torch

from bplab import init

SHAPES = [(256, 128), (128, 512), (64, 32, 3, 3)]


def variance_within_sampling_error(sample: np.ndarray, expected: float) -> bool:
    """The sample variance of n draws has standard error about expected * sqrt(2/n); allow 5 of them."""
    n = sample.size
    return abs(sample.var() - expected) <= 5 * expected * np.sqrt(2.0 / n) + 5 * expected / n


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scheme", [init.xavier_uniform, init.xavier_normal])
def test_xavier_variance_is_2_over_fan_in_plus_fan_out(scheme, shape):
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(shape)
    W = scheme(shape, np.random.default_rng(0))
    assert variance_within_sampling_error(W, 2.0 / (fan_in + fan_out))
    assert abs(W.mean()) < 5 * np.sqrt(2.0 / (fan_in + fan_out) / W.size)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scheme", [init.kaiming_uniform, init.kaiming_normal])
def test_he_variance_is_2_over_fan_in(scheme, shape):
    fan_in, _ = init.calculate_fan_in_and_fan_out(shape)
    W = scheme(shape, np.random.default_rng(1))
    assert variance_within_sampling_error(W, 2.0 / fan_in)


def test_fan_rules_follow_the_lesson_layout_and_pytorch_for_kernels():
    assert init.calculate_fan_in_and_fan_out((128, 64)) == (128, 64)  # (inputs, outputs): x @ W
    assert init.calculate_fan_in_and_fan_out((16, 3, 5, 5)) == (3 * 25, 16 * 25)  # (out, in, kh, kw)
    assert init.calculate_fan_in_and_fan_out((7,)) == (7, 7)


@needs_torch
def test_kernel_fans_match_pytorch():
    from torch.nn.init import _calculate_fan_in_and_fan_out

    for shape in [(16, 3, 5, 5), (8, 4, 3, 1), (32, 16, 1, 1)]:
        assert init.calculate_fan_in_and_fan_out(shape) == _calculate_fan_in_and_fan_out(torch.empty(shape))
    for name in ["linear", "sigmoid", "tanh", "relu"]:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))


def test_constant_schemes_and_bounds():
    rng = np.random.default_rng(0)
    assert np.array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(init.constant((2,), val=0.5), np.array([0.5, 0.5]))
    u = init.uniform((1000,), rng, a=-0.2, b=0.3)
    assert u.min() >= -0.2 and u.max() <= 0.3
    n = init.normal((20000,), rng, std=0.01)
    assert variance_within_sampling_error(n, 1e-4)
    bound = np.sqrt(6 / (30 + 20))
    assert np.abs(init.xavier_uniform((30, 20), rng)).max() <= bound
    assert np.abs(init.pytorch_default((30, 20), rng)).max() <= 1 / np.sqrt(30)


def test_same_rng_seed_same_numbers():
    for name, scheme in init.SCHEMES.items():
        a = scheme((4, 3), np.random.default_rng(42))
        b = scheme((4, 3), np.random.default_rng(42))
        assert np.array_equal(a, b), name


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(TypeError, match="rng: expected a numpy.random.Generator"):
        init.normal((2, 2), rng=0.5)
    with pytest.raises(ValueError, match="init: expected one of"):
        init.get_scheme("glorious")
    with pytest.raises(ValueError, match="mode: expected 'fan_in' or 'fan_out'"):
        init.kaiming_normal((3, 3), np.random.default_rng(0), mode="fan")
    with pytest.raises(ValueError, match=r"a, b: expected a <= b"):
        init.uniform((2,), np.random.default_rng(0), a=1.0, b=0.0)
