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


@pytest.mark.parametrize("fix, expected", [(0.1, "too slow"), (0.3, "slow"), (0.6, "quick"), (1.0, "in one turn"),
                                           (1.6, "bouncing"), (2.0, "bouncing forever"), (2.2, "flying off")])
def test_every_regime_is_reachable_with_the_slider(fix, expected):
    assert regime(fix) == expected
    game = GuessingGame(fix=fix)
    assert game.state.regime == expected
    assert expected.capitalize() in game.status


@pytest.mark.parametrize("fix, expected", [
    (0.2, "slow"), (0.2 - 1e-12, "slow"), (0.15000000000000002, "too slow"), (0.5, "quick"), (0.49999999999999994, "quick"),
    (0.45, "slow"), (1.0, "in one turn"), (0.9999999999999999, "in one turn"), (1.05, "bouncing"), (0.95, "quick"),
    (2.0, "bouncing forever"), (1.9999999999999998, "bouncing forever"), (1.95, "bouncing"), (2.05, "flying off"),
])
def test_each_edge_belongs_to_the_regime_it_starts_as_the_table_says(fix, expected):
    # the slider's 0.2 may arrive as 0.20000000000000004: an edge is an edge up to rounding
    assert regime(fix) == expected


def test_the_words_at_each_edge_agree_with_the_regime():
    below_half, half = GuessingGame(fix=0.45).status, GuessingGame(fix=0.5).status
    assert "less than half" in below_half and "half of the miss or more" in half
    assert "less than a fifth" in GuessingGame(fix=0.15).status and "less than a fifth" not in GuessingGame(fix=0.2).status
    one = GuessingGame(fix=1.0)
    assert one.state.found_at == 1 and "very first fix lands" in one.status
    assert "never jumps past" in GuessingGame(fix=0.95).status and "jumps past" in GuessingGame(fix=1.05).status
    assert "closer than before" in GuessingGame(fix=1.95).status
    assert "just as far away" in GuessingGame(fix=2.0).status and "never be found" in GuessingGame(fix=2.0).status
    assert "farther away" in GuessingGame(fix=2.05).status
    # "found" and "not found" never contradict the regime's words
    for fix in np.round(np.arange(0.05, 2.51, 0.05), 2):
        game = GuessingGame(fix=float(fix))
        if game.state.regime in ("bouncing forever", "flying off"):
            assert game.state.found_at is None and "never be found" in game.status
        elif game.state.found_at is None:
            assert f"not found in these {game.params['turns']} turns" in game.status


def test_nothing_to_fix_when_the_first_guess_is_the_hidden_number():
    for fix in (0.5, 2.0, 2.5):
        game = GuessingGame(fix=fix, start=70, hidden=70)
        assert "Nothing to fix" in game.status and "fly off" not in game.status


def test_no_unexplained_minus_sign_for_a_child():
    from bplab.explorers.guessing import kid_number

    assert kid_number(68.125) == "68.125" and kid_number(62.5) == "62.5" and kid_number(70.0) == "70"
    assert kid_number(70 - 60 / 4096) == "about 69.985"  # rounded numbers say so
    assert kid_number(-37.75) == "37.75 below zero"
    settling = GuessingGame(fix=0.5)
    assert list(settling.figure.layout.yaxis.range)[0] == 0  # no negative axis when no guess is negative
    assert "-" not in settling.status and "−" not in settling.status
    overshooting = GuessingGame(fix=1.5, hidden=10, start=70)  # settles, but bounces below zero on the way
    assert min(overshooting.state.guesses) < 0
    assert "below zero" in overshooting.status and "freezing" in overshooting.status
    assert overshooting.figure.layout.yaxis.range[0] < 0


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
    assert "write multiplication with *" in explorer._error_widget.value
    explorer._widgets["formula"].value = "x**3"
    assert explorer._error_widget.value == "" and explorer.state.exact_slope == pytest.approx(3.0)


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


# ------------------------------------------------------------------ apples vs oranges

from bplab import Value, compare  # noqa: E402
from bplab.explorers.line_classifier import LineClassifier, Scaler, decision_line, neuron_loss, train_line  # noqa: E402


def test_the_sigmoid_line_learns_to_separate_the_fruit():
    explorer = LineClassifier(epochs=100)
    assert explorer.state.accuracies[0] < 0.6 < 0.95 < explorer.state.accuracies[-1]
    assert explorer.state.losses[-1] < explorer.state.losses[0] / 5
    assert "sorts" in explorer.status


def test_a_step_output_cannot_be_trained_by_slopes():
    explorer = LineClassifier(output="step", epochs=50)
    assert np.array_equal(explorer.state.history[0], explorer.state.history[-1])
    assert "did not move" in explorer.status and "slope is 0" in explorer.status


def test_the_neuron_loss_gradient_three_ways():
    X = np.array([[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1]])
    y = np.array([1.0, 0.0, 1.0])
    result = compare(lambda w, b: neuron_loss(w, b, X, y, "sigmoid")[0], at={"w": np.array([0.4, -0.7]), "b": 0.2})
    assert result.ok, repr(result)
    w, b = Value(np.array([0.4, -0.7])), Value(0.2)
    neuron_loss(w, b, X, y, "sigmoid")[0].backward()
    p = 1 / (1 + np.exp(-(X @ w.data + b.data)))
    assert np.allclose(w.grad, X.T @ (p - y) / 3)  # cross-entropy + sigmoid: gradient (p - y) x


def test_decision_line_in_original_units():
    scaler = Scaler(mean=np.array([4.0, 0.5]), std=np.array([0.5, 0.2]))
    radius, colour = decision_line(np.array([1.0, 1.0, 0.0]), scaler)
    u = (radius - 4.0) / 0.5
    v = (colour - 0.5) / 0.2
    assert np.allclose(u + v, 0.0)
    vertical = decision_line(np.array([2.0, 0.0, -1.0]), scaler)  # w2 = 0: radius = mean + std * (-b / w1)
    assert np.allclose(vertical[0], [4.25, 4.25]) and np.allclose(vertical[1], [-0.05, 1.05])
    assert decision_line(np.array([0.0, 0.0, 1.0]), scaler) is None


def test_the_line_classifier_draws_the_current_line_at_every_epoch_count_and_says_its_equation():
    for epochs in range(6):
        explorer = LineClassifier(epochs=epochs)
        lines = [t for t in explorer.figure.data if t.name and t.name.startswith("line:")]
        now = [t for t in lines if t.line.width == 3.5]
        assert len(now) == 1, epochs  # the current line, thick and solid, is always there
        w1, w2, b = explorer.state.history[-1]
        u = (np.asarray(now[0].x) - explorer.state.scaler.mean[0]) / explorer.state.scaler.std[0]
        v = (np.asarray(now[0].y) - explorer.state.scaler.mean[1]) / explorer.state.scaler.std[1]
        assert np.allclose(w1 * u + w2 * v + b, 0.0, atol=1e-9)  # the drawn points lie on the model's line
        assert f"w₁ = {w1:.3g}" in explorer.status and "the line is colour =" in explorer.status
    vertical = LineClassifier(w2=0.0, epochs=0)
    drawn = [t for t in vertical.figure.data if t.name and t.name.startswith("line:") and t.line.width == 3.5][0]
    assert drawn.x[0] == drawn.x[1] and "vertical" in vertical.status


def test_the_shading_is_how_sure_the_model_is():
    explorer = LineClassifier(epochs=30)
    shading = next(t for t in explorer.figure.data if t.type == "heatmap")
    z = np.asarray(shading.z)
    assert 0.0 < z.min() < 0.5 < z.max() < 1.0  # graded, not yes/no
    w1, w2, b = explorer.state.history[-1]
    point = explorer.state.scaler(np.array([[shading.x[0], shading.y[0]]]))
    assert z[0, 0] == pytest.approx(1 / (1 + np.exp(-(point[0] @ np.array([w1, w2]) + b))))
    step = LineClassifier(epochs=3, output="step")
    assert set(np.unique(next(t for t in step.figure.data if t.type == "heatmap").z)) <= {0.0, 1.0}


def test_training_stops_and_records_divergence():
    with np.errstate(all="ignore"):
        history, losses, _ = train_line(np.array([[1e300, 1.0]]), np.array([0.0]), 1e10, 1.0, 1.0, 0.0, epochs=5)
    assert len(losses) == 2 and np.isnan(losses[-1])
    assert not np.all(np.isfinite(history[-1]))


# ------------------------------------------------------------------ the line classifier's buttons and rates


def test_line_classifier_buttons_train_one_and_twenty_more_epochs():
    from bplab.explorers.line_classifier import LineClassifier

    explorer = LineClassifier(epochs=5)
    explorer.step()
    assert explorer.params["epochs"] == 6 and len(explorer.state.losses) == 7
    explorer.train_more()
    assert explorer.params["epochs"] == 26
    explorer = LineClassifier(epochs=195)
    explorer.train_more()
    assert explorer.params["epochs"] == 200  # the slider's end, not beyond


def test_line_classifier_says_why_a_rate_is_too_slow_or_why_a_large_one_holds():
    from bplab.explorers.line_classifier import LineClassifier

    slow = LineClassifier(rate=0.001)
    assert "Too slow" in slow.status and "moved by at most" in slow.status
    fast = LineClassifier(rate=10.0)
    assert "does not blow up" in fast.status and "(p − y)·x" in fast.status
    assert np.all(np.diff(fast.state.losses) <= 1e-12)  # the claim holds: the loss only falls, even at rate 10
    middle = LineClassifier(rate=0.5)
    assert "Too slow" not in middle.status and "blow up" not in middle.status
    assert "Too slow" not in LineClassifier(rate=0.001, epochs=0).status  # nothing trained, nothing to blame


@pytest.mark.parametrize("settings, advice", [
    (dict(fix=1.9), "It was not found in these 12 turns: give it more turns, or try a fix closer to 1."),
    (dict(fix=1.9, turns=30), "It was not found in 30 turns, the most there are: try a fix closer to 1."),
    (dict(fix=0.1), "It was not found in these 12 turns: give it more turns, or try a bigger fix (up to 1)."),
    (dict(fix=0.5, turns=3), "It was not found in these 3 turns: give it more turns, or try a fix closer to 1."),
])
def test_the_advice_when_the_number_is_not_found_fits_the_fix(settings, advice):
    status = GuessingGame(**settings).status
    assert advice in status
    if settings["fix"] > 1:
        assert "bigger fix" not in status  # a bigger fix would only bounce more


def test_guesses_and_misses_that_leave_the_picture_are_said_to():
    status = GuessingGame(fix=2.5).status
    assert "The ones far below zero leave the picture at −60." in status
    assert "The misses grow past the top of the right picture (250) and keep growing." in status
    calm = GuessingGame(fix=0.5).status
    assert "leave the picture" not in calm and "past the top" not in calm


def test_the_start_page_near_the_bottom_explains_why_the_slope_is_not_zero():
    from bplab.explorers.welcome import WelcomeExplorer

    near = WelcomeExplorer(w=0.33).status
    assert "the cost is 0.000025 and backprop says its slope is <b>-0.0150</b>" in near
    assert "the best weight is w = 1/3 = 0.333…" in near
    far = WelcomeExplorer(w=0.8).status
    assert "the cost is 0.4900" in far and "next to the bottom" not in far


def test_the_secant_explains_sign_and_the_corner_of_abs():
    at_corner = SecantExplorer(formula="abs(x)", x0=0).status
    assert "sign(x) is −1 for negative x, +1 for positive x and 0 at 0" in at_corner
    assert "At x₀ = 0 the graph has a corner" in at_corner
    aside = SecantExplorer(formula="abs(x)", x0=1).status
    assert "sign(x) is −1" in aside and "corner" not in aside
    assert "sign(x)" not in SecantExplorer().status  # x²: no corner, nothing to explain


def test_one_step_and_one_epoch_are_singular_and_the_last_epoch_is_said():
    assert "After 1 step w =" in OneWeightExplorer(steps=1).status
    classifier = LineClassifier(epochs=1)
    assert "After 1 epoch the line" in classifier.status
    at_end = LineClassifier(epochs=200).status
    assert "200 epochs is as far as this explorer trains: the buttons stop here" in at_end
    assert "as far as" not in LineClassifier(epochs=60).status


def test_a_small_rate_that_leaves_the_fruit_unsorted_is_called_too_slow():
    assert "Too slow" in LineClassifier(rate=0.0112).status  # one notch above the smallest: 56% sorted after 60 epochs
    assert "Too slow" not in LineClassifier(rate=0.1).status
    apples, oranges = [t for t in LineClassifier().figure.data if t.name in ("apples", "oranges")]
    assert (apples.marker.color, oranges.marker.color) == ("#0072B2", "#E69F00")  # the shading's blue and orange


def test_descent_costs_and_divergence_step_for_any_input_and_target():
    i, y = 2.0, 1.0  # not the lesson's 1.5 and 0.5: the path must use the i and y it is given
    weights, costs, diverged = descend(w0=0.2, rate=0.05, steps=30, i=i, y=y)
    assert diverged is None and len(weights) == len(costs) == 31
    np.testing.assert_allclose(costs, (i * weights - y) ** 2, rtol=1e-12)  # the last cost is the last weight's
    assert weights[-1] == pytest.approx(y / i, abs=1e-6)
    # rate 1.111…: each step multiplies the distance to 1/3 by 1 − 2·r·i² = −4, so |w| first passes 1,000 at step 6
    weights, costs, diverged = descend(w0=0.8, rate=5 / 4.5, steps=60)
    distances = np.abs(weights)
    assert diverged == 6 and len(weights) == 7 and len(costs) == 7
    assert distances[6] > 1000 >= distances[:6].max()
    assert costs[-1] == pytest.approx((1.5 * weights[-1] - 0.5) ** 2, rel=1e-12)


def test_each_regime_edge_belongs_to_the_regime_it_starts_even_a_rounding_away():
    from bplab.explorers.guessing import EDGE

    expected = {0.2: "slow", 0.5: "quick", 1.0: "in one turn", 2.0: "bouncing forever"}
    below = {0.2: "too slow", 0.5: "slow", 1.0: "quick", 2.0: "bouncing"}
    above = {0.2: "slow", 0.5: "quick", 1.0: "bouncing", 2.0: "flying off"}
    for edge, name in expected.items():
        # within EDGE of an edge counts as the edge (the slider's 0.2 may arrive as 0.20000000000000004) ...
        assert regime(edge - EDGE) == regime(edge) == regime(edge + EDGE) == name, edge
        # ... and a thousandth away does not
        assert regime(edge - 1e-3) == below[edge] and regime(edge + 1e-3) == above[edge], edge


def test_the_game_is_found_at_the_first_guess_less_than_one_away():
    game = GuessingGame(fix=0.5, start=14, hidden=10, turns=6)
    assert game.state.fix == 0.5
    assert list(np.abs(game.state.guesses[:4] - 10)) == [4.0, 2.0, 1.0, 0.5]
    assert game.state.found_at == 3  # exactly 1 away (turn 2) is not yet less than 1 away


def test_the_start_page_curve_passes_through_every_slider_position():
    from bplab.explorers.welcome import W_RANGE, WelcomeExplorer

    explorer = WelcomeExplorer(w=0.5)
    s, slider = explorer.state, explorer.controls["w"]
    assert (s.curve_w[0], s.curve_w[-1]) == W_RANGE == (slider.low, slider.high)
    np.testing.assert_allclose(np.diff(s.curve_w), slider.step)  # one curve point per slider step
    np.testing.assert_allclose(s.curve_cost, (1.5 * s.curve_w - 0.5) ** 2, rtol=1e-12)
    assert (s.cost, s.slope) == pytest.approx((0.0625, 0.75))  # C = (1.5·0.5 − 0.5)², C′ = 2·1.5·0.25


def test_the_secant_state_holds_the_worked_numbers_and_the_whole_curve():
    import warnings

    explorer = SecantExplorer(formula="x**2", x0=1.0, dx=0.5)
    s = explorer.state
    assert (s.formula, s.derivative_text) == ("x**2", "2*x")
    assert (s.y0, s.y1, s.secant_slope, s.exact_slope, s.backprop_slope) == pytest.approx((1.0, 2.25, 2.5, 2.0, 2.0))
    assert len(s.curve_x) == 301 and (s.curve_x[0], s.curve_x[-1]) == pytest.approx((-1.5, 3.5))
    np.testing.assert_allclose(s.curve_y, s.curve_x**2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log of the negative half of the curve: gaps, not warnings
        logarithm = explorer.compute("log(x)", 1.0, 0.5).curve_y
    assert np.isnan(logarithm[:91]).all() and np.isfinite(logarithm[91:]).all()  # x ≤ 0 up to index 90 (log 0 = −∞)
    # the far end of the secant (x₀ + Δx) outside the function's domain is refused, not drawn
    with pytest.raises(ValueError, match=r"not defined \(or infinite\) at x₀ = 0.5 or x₀ \+ Δx = -0.5; "
                                         "move x₀ to where the function is defined"):
        explorer.compute("log(x)", 0.5, -1.0)


def test_the_neuron_and_its_line_on_hand_made_points():
    from bplab import data

    X, y = np.array([[1.0, 0.0], [0.0, 0.5], [-1.0, 0.0]]), np.array([1.0, 1.0, 0.0])
    weights, bias = Value(np.array([0.5, 0.0])), Value(0.0)  # z = 0.5, 0 and −0.5
    loss, predictions = neuron_loss(weights, bias, X, y, "step")
    assert list(predictions) == [1, 0, 0]  # z = 0 is not above the line
    assert loss.item() == pytest.approx(((1 - 1) ** 2 + (0 - 1) ** 2 + (0 - 0) ** 2) / 3)
    # a step too large to stay finite: the run stops, its last loss is NaN and its accuracy is kept
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow is the lesson's divergence, said in the status line: no warning
        history, losses, accuracies = train_line(X * 1e300, y, 1e10, 1.0, -1.0, 0.0, epochs=5)
    assert len(history) == len(losses) == len(accuracies) < 7
    assert np.isnan(losses[-1]) and accuracies[-1] == accuracies[-2] and not np.isfinite(history[-1]).all()
    scaler = Scaler(mean=np.zeros(2), std=np.ones(2))
    radius, colour = decision_line(np.array([1.0, 2.0, 0.5]), scaler)  # x₂ = −(x₁ + 0.5)/2
    assert len(radius) == 2 and colour == pytest.approx(-(radius + 0.5) / 2)
    vertical = decision_line(np.array([2.0, 0.9e-12, 1.0]), scaler)  # w₂ below 1e-12 counts as 0: x₁ = −b/w₁
    assert list(vertical[0]) == [-0.5, -0.5]
    assert decision_line(np.array([2.0, 1e-12, 1.0]), scaler)[0][0] != decision_line(np.array([2.0, 1e-12, 1.0]), scaler)[0][1]
    assert decision_line(np.array([0.9e-12, 0.0, 1.0]), scaler) is None and decision_line(np.array([1e-12, 0.0, 1.0]), scaler) is not None
    classifier = LineClassifier(output="step", epochs=3)
    assert np.array_equal(classifier.state.y, data.apples_vs_oranges(80, seed=0)[1])
    np.testing.assert_array_equal(classifier.state.X, data.apples_vs_oranges(80, seed=0)[0])
    assert (classifier.state.history == classifier.state.history[0]).all()  # a step output: no gradient, no move
    assert len(LineClassifier(points=2).state.X) == 2
    with pytest.raises(ValueError, match="points: expected a whole number of at least 2, got 1"):
        LineClassifier(points=1)


def test_the_shading_is_sure_only_above_the_line_for_a_step_output():
    from bplab.explorers.line_classifier import answer_probability

    score = np.array([-1.0, 0.0, 0.5, 2.0])
    assert answer_probability(score, "step").tolist() == [0.0, 0.0, 1.0, 1.0]
    np.testing.assert_allclose(answer_probability(score, "sigmoid"), 1 / (1 + np.exp(-score)))


def test_the_line_classifiers_predictions_are_whole_classes_and_its_data_follows_the_seed():
    from bplab import data
    from bplab.explorers.line_classifier import answer_probability

    X, y = data.apples_vs_oranges(12, seed=5)
    _, predictions = neuron_loss(Value(np.array([1.0, -1.0])), Value(0.5), X, y.astype(float), "sigmoid")
    assert predictions.dtype.kind == "i" and set(predictions.tolist()) <= {0, 1}
    step = answer_probability(np.array([-2.0, 0.0, 3.0]), "step")
    assert step.dtype == np.float64 and step.tolist() == [0.0, 0.0, 1.0]
    seeded = LineClassifier(points=12, seed=5)
    np.testing.assert_array_equal(seeded._X, X)
    assert not np.array_equal(LineClassifier(points=12)._X, X)  # the default seed is another draw
