"""Levels 1 and 2 explorers: their numbers, their regimes and their messages, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from bplab.explorers.guessing import GuessingGame, play, regime
from bplab.explorers.one_weight import BEST_WEIGHT, OneWeightExplorer, cost_and_slope, descend
from bplab.explorers.secant import SecantExplorer, backprop_slope, difference_quotients


# ------------------------------------------------------------------ the guessing game

def test_each_turn_fixes_part_of_the_miss():
    assert list(play(hidden=70, start=10, fix=0.5, turns=3)) == [10, 40, 55, 62.5]


@pytest.mark.parametrize("fix, expected", [(0.1, "too slow"), (0.6, "quick"), (1.0, "quick"), (1.6, "bouncing"),
                                           (2.0, "bouncing forever"), (2.2, "flying off")])
def test_every_regime_is_reachable_with_the_slider(fix, expected):
    assert regime(fix) == expected
    game = GuessingGame(fix=fix)
    assert game.state.regime == expected
    assert expected.capitalize() in game.status


def test_flying_off_keeps_the_picture_readable():
    game = GuessingGame(fix=2.5, turns=30)
    assert "fly off" in game.status and "far, far away" in game.status
    assert list(game.figure.layout.yaxis.range) == [-60, 180]


def test_found_turn_is_reported():
    assert GuessingGame(fix=1.0).state.found_at == 1


# ------------------------------------------------------------------ secant to tangent

def test_difference_quotients_approach_the_derivative():
    rows = difference_quotients("x**2", 1.0)
    assert rows[0][1] == pytest.approx(3.0)  # ((1+1)^2 - 1) / 1
    gaps = [abs(gap) for _, _, gap in rows]
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 1e-4


def test_secant_explorer_three_slopes():
    explorer = SecantExplorer(formula="x**3 - 2*x", x0=1.5, dx=1e-4)
    s = explorer.state
    assert s.exact_slope == pytest.approx(3 * 1.5**2 - 2)
    assert s.backprop_slope == pytest.approx(s.exact_slope)
    assert s.secant_slope == pytest.approx(s.exact_slope, abs=1e-3)
    assert "3*x**2 - 2" in explorer.status
    assert backprop_slope("sigmoid(x)", 0.0) == pytest.approx(0.25)


def test_secant_explorer_rejects_bad_formulas_clearly():
    with pytest.raises(ValueError, match="use one variable"):
        SecantExplorer(formula="x*y")
    with pytest.raises(ValueError, match="unknown function 'open'"):
        SecantExplorer(formula="open('f')")
    with pytest.raises(ValueError, match="not defined .* at x₀ = -1"):
        SecantExplorer(formula="log(x)", x0=-1.0)


def test_secant_explorer_typed_formula_error_shows_in_the_widget():
    explorer = SecantExplorer()
    box = explorer.widget()
    explorer._widgets["formula"].value = "2x"
    assert "write multiplication with *" in box.children[3].value
    explorer._widgets["formula"].value = "x**3"
    assert box.children[3].value == "" and explorer.state.exact_slope == pytest.approx(3.0)


# ------------------------------------------------------------------ the one-weight network

def test_the_worked_example_is_exact():
    cost, slope = cost_and_slope(0.8)
    assert cost == pytest.approx(0.49) and slope == pytest.approx(2.1)
    weights, _, diverged = descend(w0=0.8, rate=0.1, steps=3)
    assert weights[1] == pytest.approx(0.59) and weights[2] == pytest.approx(0.4745)
    assert diverged is None
    weights, _, _ = descend(w0=0.8, rate=0.1, steps=200)
    assert weights[-1] == pytest.approx(1 / 3, abs=1e-12)


def test_divergence_above_one_over_i_squared_gets_a_message_not_a_broken_plot():
    explorer = OneWeightExplorer(rate=0.5, steps=60)
    assert explorer.state.diverged_at is not None
    assert "Diverging" in explorer.status and "1/i² = 0.444" in explorer.status
    for trace in explorer.figure.data:
        assert np.all(np.isfinite(np.asarray(trace.y, dtype=float)))
    assert "Diverging" not in OneWeightExplorer(rate=0.4).status  # just below the limit still converges


def test_zigzag_between_the_two_limits():
    explorer = OneWeightExplorer(rate=0.3, steps=40)
    assert "zig-zag" in explorer.status
    assert explorer.state.weights[-1] == pytest.approx(BEST_WEIGHT, abs=1e-9)
