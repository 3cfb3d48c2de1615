"""The lowest layer: numeric kernels, argument checks and the divergence rule, each written once."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bplab import divergence, kernels
from bplab.validation import as_float_array, as_number_array, make_rng, whole_number

MODERATE = hnp.arrays(np.float64, st.sampled_from([(3,), (2, 4)]), elements=st.floats(-30, 30))


@settings(max_examples=40, deadline=None)
@given(x=MODERATE)
def test_kernels_match_their_textbook_formulas_where_those_do_not_overflow(x):
    assert np.allclose(kernels.sigmoid(x), 1.0 / (1.0 + np.exp(-x)), rtol=1e-12, atol=0)
    assert np.allclose(kernels.log_sigmoid(x), -np.log1p(np.exp(-x)), rtol=1e-12, atol=0)
    assert np.allclose(kernels.logsumexp(x), np.log(np.sum(np.exp(x))), rtol=1e-12)
    assert np.allclose(kernels.logsumexp(x, axis=-1, keepdims=True), np.log(np.sum(np.exp(x), axis=-1, keepdims=True)))
    softmax = kernels.softmax(x, axis=-1)
    assert np.allclose(softmax, np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True), rtol=1e-10, atol=1e-300)
    assert np.allclose(softmax.sum(axis=-1), 1.0) and np.all(softmax >= 0)
    assert np.allclose(kernels.log_softmax(x, axis=-1), np.log(softmax), rtol=1e-10, atol=1e-12)


def test_kernels_stay_finite_where_the_textbook_formulas_overflow():
    with np.errstate(over="raise"):  # an overflow anywhere inside fails the test
        assert kernels.sigmoid(np.array(-1000.0)) == 0.0 and kernels.sigmoid(np.array(1000.0)) == 1.0
        assert kernels.log_sigmoid(np.array(-1000.0)) == -1000.0
        assert kernels.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000.0 + math.log(2.0))
        assert np.allclose(kernels.softmax(np.array([[1000.0, 0.0, -1000.0]])), [[1.0, 0.0, 0.0]])
        assert kernels.log_softmax(np.array([0.0, -2000.0]))[1] == pytest.approx(-2000.0)
    assert kernels.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf  # an empty sum: log 0


def test_as_number_array_keeps_integers_and_as_float_array_converts_them():
    labels = as_number_array([0, 2, 1], "y")
    assert labels.dtype.kind == "i" and as_float_array([0, 2, 1], "y").dtype == np.float64
    same = np.zeros(3, dtype=np.float32)
    assert as_float_array(same) is same  # a float array passes unchanged: no copy, no promotion
    with pytest.raises(TypeError, match=r"X: expected a number or an array of real numbers, got str 'abc'"):
        as_float_array("abc", "X")
    with pytest.raises(TypeError, match=r"z: .*complex numbers are not supported"):
        as_float_array(1 + 2j, "z")
    with pytest.raises(TypeError, match=r"data: expected a number or a rectangular array"):
        as_number_array([[1, 2], [3]])


@pytest.mark.parametrize("value, message", [
    (0, r"n: expected a whole number of at least 1, got 0"),
    (2.0, r"n: expected a whole number of at least 1, got 2.0"),
    (True, r"n: expected a whole number of at least 1, got True"),
])
def test_whole_number_refuses_what_is_not_a_count(value, message):
    with pytest.raises(ValueError, match=message):
        whole_number(value, "n")


def test_whole_number_says_the_range_the_meaning_and_what_none_means():
    assert whole_number(np.int64(3), "k") == 3 and isinstance(whole_number(np.int64(3), "k"), int)
    with pytest.raises(ValueError, match=r"points: expected a whole number from 2 to 9 \(examples\), got 10"):
        whole_number(10, "points", minimum=2, maximum=9, meaning="examples")
    with pytest.raises(ValueError, match=r"batch_size: expected None \(full batch\) or a whole number of at least 1, got 0"):
        whole_number(0, "batch_size", none_means="full batch")


def test_make_rng_one_rule_for_every_function_that_draws():
    generator = np.random.default_rng(5)
    assert make_rng(generator) is generator
    assert make_rng(3).integers(1000) == make_rng(seed=3).integers(1000) == np.random.default_rng(3).integers(1000)
    assert make_rng(default_seed=0).integers(1000) == np.random.default_rng(0).integers(1000)
    with pytest.raises(ValueError, match="rng, seed: pass one of them, not both"):
        make_rng(generator, seed=1)
    with pytest.raises(TypeError, match=r"rng: expected a numpy.random.Generator .* got str"):
        make_rng("0")
    with pytest.raises(ValueError, match="seed: expected a whole number of at least 0, got -1"):
        make_rng(seed=-1)


@pytest.mark.parametrize("value, start, factor, expected", [
    (150.0, 1.0, 100.0, True),
    (99.0, 1.0, 100.0, False),
    (-150.0, 1.0, 100.0, True),  # the size counts, not the sign
    (0.05, 0.0, 100.0, False),  # a start near 0: the floor 1e-3 keeps a small wobble from counting
    (0.2, 0.0, 100.0, True),
    (float("nan"), 1.0, 100.0, True),
    (float("inf"), 1.0, math.inf, True),
    (1e300, 1.0, math.inf, False),  # factor inf: finiteness only
])
def test_blew_up(value, start, factor, expected):
    assert divergence.blew_up(value, start, factor) is expected


def test_divergence_reason_says_what_and_why():
    message = divergence.reason("step 7", float("nan"), 0.7, lr=3.0, batch_size=1)
    assert message.startswith("diverged at step 7: the loss became NaN")
    assert "lr=3" in message and "try lr=0.3" in message and "larger batch" in message
    assert "blew up to 120, from 0.5" in divergence.reason("epoch 2", 120.0, 0.5, lr=None)
