"""The mode explorer (Level 5, lesson 15): its Jacobian by the chain rule written out and by central differences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplab.check import central_difference, relative_error
from bplab.engine import Value
from bplab.explorers.modes import HIDDEN, NOISE, ModeExplorer, small_network
from bplab.validation import make_rng


def weights(inputs: int, outputs: int):
    rng = make_rng(seed=0)  # the draws small_network makes, in its order
    return rng.standard_normal((inputs, HIDDEN)) / np.sqrt(inputs), rng.standard_normal((HIDDEN, outputs)) / np.sqrt(HIDDEN)


@given(inputs=st.integers(1, 12), outputs=st.integers(1, 12))
@settings(max_examples=15, deadline=None)
def test_the_jacobian_is_the_product_of_the_layers_jacobians(inputs, outputs):
    state = ModeExplorer(inputs=inputs, outputs=outputs).state
    W1, W2 = weights(inputs, outputs)
    x = make_rng(seed=1).standard_normal(inputs)
    h = np.tanh(x @ W1)
    y = np.tanh(h @ W2)
    by_hand = np.diag(1 - y ** 2) @ W2.T @ np.diag(1 - h ** 2) @ W1.T  # J = J_2 J_1, (outputs, inputs)
    np.testing.assert_allclose(state.jacobian, by_hand, rtol=1e-10, atol=1e-13)
    assert state.agree and state.column_matches and state.row_matches


def test_the_jacobian_against_central_differences():
    f = small_network(5, 3)
    x = make_rng(seed=1).standard_normal(5)
    numeric = np.stack([central_difference(lambda arrays, i=i: float(f(Value(arrays[0])).data[i]), [x])[0] for i in range(3)])
    assert relative_error(numeric, ModeExplorer(inputs=5, outputs=3).state.jacobian) < 1e-8


def test_the_verdict_respects_the_timing_noise():
    explorer = ModeExplorer(inputs=8, outputs=8)
    close = replace(explorer.state, forward_seconds=1.0e-3, reverse_seconds=1.1e-3)
    assert "about as fast" in explorer.describe(close)
    apart = replace(explorer.state, forward_seconds=1.0e-3, reverse_seconds=1.0e-3 * (NOISE + 0.5))
    assert "Forward mode was 1.8 times as fast" in explorer.describe(apart)
    wrong = replace(explorer.state, agree=False)
    assert "disagree" in explorer.describe(wrong)


def test_one_output_is_a_gradient():
    assert "J is a gradient" in ModeExplorer(inputs=10, outputs=1).status


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="inputs: expected a number between 1 and 64"):
        ModeExplorer(inputs=0)


def test_the_timings_are_of_the_two_jacobians():
    from bplab.explorers.modes import best_time

    nothing = best_time(lambda: None)
    assert 0 <= nothing < 0.01
    state = ModeExplorer(inputs=6, outputs=6).state
    # building a 6 x 6 Jacobian takes six passes of a small network: far longer than doing nothing
    assert state.forward_seconds > 20 * nothing and state.reverse_seconds > 20 * nothing
    assert state.agree and state.column_matches and state.row_matches
