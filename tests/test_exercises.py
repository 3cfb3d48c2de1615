"""The checkers behind "your turn" cells: equivalent answers pass, wrong ones say why, untouched ones run."""

from __future__ import annotations

import pytest

from bplab.exercises import CORRECT, NOT_ANSWERED, NOT_YET, UNREADABLE, check_choice, check_formula, check_number


def test_untouched_exercises_run_and_say_what_to_do():
    for feedback in (check_number(..., 2.1), check_formula(..., "2*x"), check_choice(..., "yes", ["yes", "no"])):
        assert feedback.verdict == NOT_ANSWERED and "replace the ..." in repr(feedback)


def test_numbers_within_tolerance():
    assert check_number(2.1000001, 2.1).correct
    assert check_number(0.59, 0.59).verdict == CORRECT
    wrong = check_number(2.5, 2.1, hint="multiply by i")
    assert wrong.verdict == NOT_YET and "too big" in wrong.message and "Hint: multiply by i" in wrong.message
    assert check_number("two", 2.0).verdict == UNREADABLE


@pytest.mark.parametrize("answer", ["2*i*(i*w - y)", "2*i**2*w - 2*i*y", "(i*w-y)*i*2", "2*i*(w*i) - 2*y*i"])
def test_equivalent_formulas_are_all_right(answer):
    assert check_formula(answer, "2*i*(i*w - y)").correct


def test_formulas_that_need_numeric_comparison():
    assert check_formula("sigmoid(x)*(1 - sigmoid(x))", "exp(-x)/(1 + exp(-x))**2").correct
    assert check_formula("log(x**2)", "2*log(x)").correct  # equal for x > 0, where the checker samples


def test_answers_are_checked_at_negative_points_too():
    assert not check_formula("6*abs(3*x + 1)", "6*(3*x + 1)").correct  # equal only where 3x + 1 > 0
    assert check_formula("3*x^2 + 2", "3*x**2 + 2").correct  # ^ is power, with power's precedence
    assert check_formula("sqrt(x**2)", "abs(x)").correct


def test_wrong_and_unreadable_formulas_never_raise():
    wrong = check_formula("2*(i*w - y)", "2*i*(i*w - y)", hint="the chain rule multiplies by da/dw = i")
    assert wrong.verdict == NOT_YET and "Hint: the chain rule" in wrong.message
    extra = check_formula("2*i*(i*w - y) + z", "2*i*(i*w - y)")
    assert extra.verdict == NOT_YET and "uses z" in extra.message
    broken = check_formula("2x", "2*x")
    assert broken.verdict == UNREADABLE and "multiplication with *" in broken.message
    assert check_formula(3, "2*x").verdict == UNREADABLE


def test_choice():
    assert check_choice("False", "false", ["true", "false"]).correct
    assert check_choice("true", "false", ["true", "false"], hint="try it").verdict == NOT_YET
    assert check_choice("maybe", "false", ["true", "false"]).verdict == UNREADABLE


def test_feedback_renders_in_notebooks():
    html = check_number(2.1, 2.1)._repr_html_()
    assert "Correct" in html and "#1b7837" in html


def test_whole_number_answers_must_be_exact():
    assert check_number(8256, 128 * 64 + 64).correct
    assert not check_number(8255, 128 * 64 + 64).correct
    assert not check_number(200.1, 200).correct
    assert check_number(0.4745, 0.4745).correct and check_number(0.47451, 0.4745).correct  # floats keep a tolerance


def test_check_gradients_compares_hand_written_gradients_with_backprop():
    import numpy as np

    from bplab.exercises import check_gradients

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    at = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}

    def loss(W, b):
        return ((X @ W + b - Y) ** 2).mean()

    def by_hand(W, b):
        delta = 2 * (X @ W + b - Y) / Y.size
        return {"W": X.T @ delta, "b": delta.sum(axis=0)}

    right = by_hand(**at)
    assert check_gradients(right, loss, at).correct
    assert check_gradients(None, loss, at).verdict == NOT_ANSWERED
    assert check_gradients(..., loss, at).verdict == NOT_ANSWERED
    wrong_shape = check_gradients({**right, "W": right["W"].T}, loss, at, hint="X transposed")
    assert wrong_shape.verdict == NOT_YET and "shape of W, (3, 2)" in wrong_shape.message and "Hint: X transposed" in wrong_shape.message
    off = {**right, "b": right["b"] * 2}
    assert check_gradients(off, loss, at).verdict == NOT_YET and "for b differs" in check_gradients(off, loss, at).message
    assert check_gradients({"W": off["W"]}, loss, at).verdict == NOT_YET
    assert check_gradients([1, 2], loss, at).verdict == UNREADABLE


def test_check_formula_never_raises_or_hangs_on_strange_answers():
    assert check_formula("x/0", "x").verdict == UNREADABLE  # refused by the parser: division by zero
    assert check_formula("log(0)", "x").verdict == UNREADABLE
    assert check_formula("(sigmoid(x) + tanh(x) + exp(x))**40", "x").verdict == NOT_YET  # decided by numbers, fast
    assert check_formula("abs(10**99)**100", "x").verdict == UNREADABLE


def test_the_checkers_stay_importable_where_they_were():
    import bplab.exercises as exercises
    from bplab.exercises import checkers

    for name in ("check_number", "check_formula", "check_choice", "check_gradients", "Feedback"):
        assert getattr(exercises, name) is getattr(checkers, name, getattr(exercises, name))


def test_check_number_with_a_stated_precision():
    from bplab.exercises import DecimalPlaces, SignificantFigures

    assert check_number("1/3", 1 / 3, precision=SignificantFigures(3)).correct
    assert check_number(0.333, 1 / 3, precision=SignificantFigures(3)).correct
    assert not check_number(0.3367, 1 / 3, precision=SignificantFigures(3)).correct  # 1% off, 0.1% asked
    assert check_number(0.4745, 0.4745, precision=DecimalPlaces(4)).correct
    assert "close" in check_number(0.4746, 0.4745, precision=DecimalPlaces(4)).message


def test_check_formula_with_the_lessons_names():
    assert check_formula("2*(a - y)*i", "2*i*(i*w - y)", names={"a": "i*w"}).correct
    assert check_formula("2*v", "2*(w*x + b)", names={"u": "w*x", "v": "u + b"}).correct  # names in names
    assert not check_formula("2*(a - y)", "2*i*(i*w - y)", names={"a": "i*w"}).correct


def test_check_gradients_reports_every_failing_gradient_output_layer_first():
    import numpy as np

    from bplab.exercises import check_gradients
    from bplab.exercises.checkers import output_layer_first

    assert output_layer_first(["W1", "b1", "W2", "b2", "scale"]) == ["W2", "b2", "W1", "b1", "scale"]
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 3))
    at = {"W1": rng.standard_normal((3, 4)), "b1": np.zeros(4), "W2": rng.standard_normal((4, 1)), "b2": np.zeros(1)}

    def loss(W1, b1, W2, b2):
        return (((X @ W1 + b1).tanh() @ W2 + b2) ** 2).mean()

    def by_hand(W1, b1, W2, b2):
        A1 = np.tanh(X @ W1 + b1)
        delta2 = 2 * (A1 @ W2 + b2) / len(X)
        delta1 = (delta2 @ W2.T) * (1 - A1**2)
        return {"W1": X.T @ delta1, "b1": delta1.sum(axis=0), "W2": A1.T @ delta2, "b2": delta2.sum(axis=0)}

    right = by_hand(**at)
    assert check_gradients(right, loss, at).correct
    wrong = check_gradients({**right, "W1": right["W1"].T, "b1": right["b1"] * 0, "b2": right["b2"] + 1}, loss, at)
    message = wrong.message
    assert "3 of 4 gradients are wrong (output layer first)" in message
    assert message.index("for b2") < message.index("for W1") < message.index("for b1")
    assert "shape of W1, (3, 4)" in message
