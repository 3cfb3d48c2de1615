"""What each checker says, word for word, and where exactly its tolerances end.

Mutation testing (bench/mutation.py) showed that the checkers' verdicts were tested but many of their
messages and boundaries were not: a checker that tells a learner "too big" for a too-small answer,
or that accepts 1.0000000000015 for a whole number, passed every test. These pin them down.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from bplab.exercises import checkers
from bplab.exercises.answers import DecimalPlaces, Exact, SignificantFigures
from bplab.exercises.checkers import check_choice, check_formula, check_gradients, check_number, output_layer_first
from bplab.exercises.feedback import CORRECT, NOT_ANSWERED, NOT_YET, UNREADABLE
from bplab.symbolic import parse


def said(feedback) -> tuple[str, str]:
    return feedback.verdict, feedback.message


# ----------------------------------------------------------------------------- numbers


def test_number_messages_word_for_word():
    assert said(check_number(..., 2.0)) == (
        NOT_ANSWERED, "Not answered yet: replace the ... with a number, then run the cell again.")
    assert said(check_number(5, 2.0)) == (NOT_YET, "Not yet: 5 is too big.")
    assert said(check_number(1, 2.0)) == (NOT_YET, "Not yet: 1 is too small.")
    assert said(check_number(1, 2.0, hint="double it")) == (NOT_YET, "Not yet: 1 is too small. Hint: double it")
    assert said(check_number(2, 2.0)) == (CORRECT, "Correct: 2.")


@pytest.mark.parametrize("answer, expected", [(-1, 1), (1, -1), (-0.5, 2), (3, -0.25)])
def test_the_wrong_sign_is_named(answer, expected):
    assert said(check_number(answer, expected)) == (NOT_YET, f"Not yet: {answer} has the wrong sign.")


@pytest.mark.parametrize("answer, expected, word", [(0, 5.0, "small"), (0.5, 1.0, "small"), (0, -5.0, "big"), (2, 0.0, "big")])
def test_zero_and_same_signed_misses_are_sizes_not_signs(answer, expected, word):
    assert said(check_number(answer, expected)) == (NOT_YET, f"Not yet: {answer} is too {word}.")


def test_the_default_tolerance_is_relative_for_large_answers_and_absolute_near_zero():
    assert check_number(1000.5, 1000.0).correct  # 0.1% of 1000 is 1
    assert not check_number(1001.5, 1000.0).correct
    assert check_number(1e-6, 0.0).correct  # exactly at the absolute tolerance
    assert not check_number(2e-6, 0.0).correct


def test_a_whole_number_allows_round_off_only():
    assert check_number(1_000_000.0000001, 1_000_000).correct  # 1e-12 of a million
    assert not check_number(1.0000000000015, 1).correct
    assert Exact().tolerance(1e6) == pytest.approx(1e-6) and Exact().tolerance(0.5) == pytest.approx(1e-12)


@pytest.mark.parametrize("answer, given", [("0.3", 1), ("0.33", 2)])
def test_too_few_significant_figures_are_counted(answer, given):
    figures = "figure" if given == 1 else "figures"
    assert said(check_number(answer, 1 / 3, precision=SignificantFigures(3))) == (
        NOT_YET, f"Not yet: {answer} has {given} significant {figures}; the question asks for 3. Give more figures.")


@pytest.mark.parametrize("answer, given", [("0.1", 1), ("0.12", 2)])  # 0.125 to 2 places is 0.12 (half to even)
def test_too_few_decimal_places_are_counted(answer, given):
    places = "place" if given == 1 else "places"
    assert said(check_number(answer, 0.125, precision=DecimalPlaces(3))) == (
        NOT_YET, f"Not yet: {answer} has {given} decimal {places}; the question asks for 3. Give more decimals.")


def test_fewer_decimals_far_from_the_answer_is_a_size_miss():
    assert said(check_number("7.5", 0.125, precision=DecimalPlaces(3))) == (NOT_YET, "Not yet: 7.5 is too big.")


def test_a_close_miss_asks_to_round_and_ends_at_one_and_a_half_units():
    close = ("Not yet: 1.01 is close, but not right to 3 significant figures. Check the last figure: "
             "round it (5 or more rounds up), don't cut it off.")
    assert said(check_number("1.01", 1.0, precision=SignificantFigures(3))) == (NOT_YET, close)
    assert said(check_number("1.02", 1.0, precision=SignificantFigures(3))) == (NOT_YET, "Not yet: 1.02 is too big.")
    # one and a half units exactly (units of 100: exact in binary) is still close; beyond it is not
    assert "is close" in check_number(250, 100.0, precision=SignificantFigures(1)).message
    assert check_number(251, 100.0, precision=SignificantFigures(1)).message == "Not yet: 251 is too big."


# ----------------------------------------------------------------------------- formulas


def test_formula_messages_word_for_word():
    assert said(check_formula(..., "2*x")) == (
        NOT_ANSWERED, 'Not answered yet: replace the ... with a formula in quotes, like "2*x", then run the cell again.')
    assert said(check_formula("x + x", "2*x")) == (CORRECT, "Correct: x + x is right.")
    assert said(check_formula(" 2*x ", "2*x")) == (CORRECT, "Correct: 2*x is right.")
    assert said(check_formula("3*x", "2*x")) == (NOT_YET, "Not yet: that formula gives different values.")
    assert said(check_formula("3*x", "2*x", hint="add x to x")) == (
        NOT_YET, "Not yet: that formula gives different values. Hint: add x to x")
    assert said(check_formula(5, "x")) == (
        UNREADABLE, "I could not read your formula: expected the formula as text in quotes, got int 5")


def test_a_sympy_expression_may_be_the_answer_or_the_expected_formula():
    twice = parse("2*x")
    assert said(check_formula(parse("x + x"), "2*x")) == (CORRECT, "Correct: 2*x is right.")  # shown as SymPy prints it
    assert check_formula("x + x", twice).correct and isinstance(twice, sympy.Basic)


def test_an_extra_letter_is_named_with_what_may_be_used():
    assert said(check_formula("2*(a - y)*z", "2*i*(i*w - y)", names={"a": "i*w"}, hint="h")) == (
        NOT_YET, "Not yet: your formula uses z, which the answer does not need. It may use i, w, y, a (= i*w). Hint: h")
    assert said(check_formula("q*r", "x*y", names={"u": "x", "v": "y"})) == (
        NOT_YET, "Not yet: your formula uses q, r, which the answer does not need. It may use x, y, u (= x), v (= y).")


def test_a_formula_missing_a_letter_is_wrong_not_unreadable():
    assert said(check_formula("x", "x*y")) == (NOT_YET, "Not yet: that formula gives different values, and it has no y. "
                                                         "The answer is a formula in the letters x, y: keep each letter "
                                                         "where you may have put its number.")


def test_where_the_answer_is_rarely_defined_sympy_decides():
    # sqrt(x - 5) is real only for x >= 5: no random point (|x| <= 2) lands there, so simplify() judges
    assert check_formula("sqrt(-5 + x)", "sqrt(x - 5)").correct
    assert not check_formula("sqrt(x - 5) + 1", "sqrt(x - 5)").correct


def test_a_formula_that_cannot_be_evaluated_says_so(monkeypatch):
    def broken(*args):
        raise ValueError("no")

    monkeypatch.setattr(checkers, "_agree_at_random_points", broken)
    assert said(check_formula("2*x", "2*x")) == (
        UNREADABLE, "I could not evaluate your formula (ValueError); try writing it more simply.")


def test_formulas_must_agree_to_nine_digits_and_near_zero_to_1e12():
    assert not check_formula("x*(1 + 1e-6)", "x").correct  # numpy's default rtol (1e-5) would accept it
    assert not check_formula("x**2 + 1e-9", "x**2").correct  # numpy's default atol (1e-8) would accept it
    assert check_formula("x**2 + 1e-13", "x**2").correct


# ----------------------------------------------------------------------------- gradients


def loss(w, b):
    return (w * w).sum() + 3.0 * b


AT = {"w": np.array([1.0, 2.0, 3.0]), "b": 0.5}
RIGHT = {"w": [2.0, 4.0, 6.0], "b": 3.0}


def test_gradient_messages_word_for_word():
    assert said(check_gradients(None, loss, AT)) == (
        NOT_ANSWERED, "Not answered yet: write the body of your function so that it returns a dict of gradients "
                      "with the keys w, b, then run the cell again.")
    assert said(check_gradients([1], loss, AT)) == (
        UNREADABLE, "Expected a dict of gradients with the keys w, b, got list.")
    assert said(check_gradients({}, loss, AT)) == (NOT_YET, "Not yet: your dict has no gradient for w, b.")
    assert said(check_gradients({"w": "abc", "b": 3.0}, loss, AT)) == (
        UNREADABLE, "The gradient for w is not an array of numbers: str.")
    assert said(check_gradients(RIGHT, loss, AT)) == (CORRECT, "Correct: all 2 gradients match bplab's backward pass.")


def test_every_wrong_gradient_is_listed_with_where_it_is_most_wrong():
    one = {"w": [2.0, 40.0, 6.0], "b": 3.0}
    assert said(check_gradients(one, loss, AT)) == (
        NOT_YET, "Not yet: your gradient for w differs from backprop's, most at index (1,).")
    both = {"w": [2.0, float("nan"), 6.0], "b": 5.0}
    assert said(check_gradients(both, loss, AT, hint="h")) == (
        NOT_YET, "Not yet: 2 of 2 gradients are wrong (output layer first): your gradient for w differs from "
                 "backprop's, most at index (1,); your gradient for b differs from backprop's, most at index (). Hint: h")


def test_the_gradient_tolerance_is_relative_to_the_largest_gradient_but_never_below_one():
    half = lambda w: (w * w).sum() / 4.0  # noqa: E731 - gradient w/2 = 0.5 at w = 1
    assert not check_gradients({"w": 0.5 + 1.5e-6}, half, {"w": 1.0}).correct  # 1e-6 of 1, not of 2
    # the edge itself: gradient 2 at w = 1, so rtol 0.25 allows 0.25 * 2 = 0.5 exactly
    square = lambda w: w * w  # noqa: E731
    assert check_gradients({"w": 2.5}, square, {"w": 1.0}, rtol=0.25).correct
    assert not check_gradients({"w": 2.5000001}, square, {"w": 1.0}, rtol=0.25).correct
    assert not check_gradients({"w": 2.3}, square, {"w": 1.0}, rtol=0.125).correct


def test_an_empty_parameter_is_checked_without_raising():
    at = {"w": np.zeros(0), "b": 1.0}
    assert said(check_gradients({"w": np.zeros(0), "b": 3.0}, loss, at)) == (
        CORRECT, "Correct: all 2 gradients match bplab's backward pass.")


def test_unnumbered_names_come_after_the_numbered_layers():
    assert output_layer_first(["a", "W0", "W2", "b"]) == ["W2", "W0", "a", "b"]


# ----------------------------------------------------------------------------- choices


def test_choice_messages_word_for_word():
    options = ("true", "false")
    assert said(check_choice(..., "true", options)) == (
        NOT_ANSWERED, "Not answered yet: replace the ... with one of 'true', 'false', then run the cell again.")
    assert said(check_choice(True, "true", options)) == (CORRECT, "Correct.")
    assert said(check_choice(False, "true", options)) == (NOT_YET, "Not yet: the answer is not 'false'.")
    assert said(check_choice("no", "true", options, hint="look again")) == (
        NOT_YET, "Not yet: the answer is not 'false'. Hint: look again")


def test_a_formula_with_a_letter_replaced_by_its_number_is_told_to_keep_the_letter():
    replaced = check_formula("2*(1.5*w - y)*1.5", "2*i*(i*w - y)", names={"a": "i*w"})
    assert replaced.verdict == NOT_YET and replaced.message == (
        "Not yet: that formula gives different values, and it has no i. The answer is a formula in the letters i, w, y: "
        "keep each letter where you may have put its number.")
    wrong = check_formula("2*(i*w - y)", "2*i*(i*w - y)")  # every letter there, and still wrong: no such advice
    assert wrong.message == "Not yet: that formula gives different values."
    assert check_formula("2*(a - y)*i", "2*i*(i*w - y)", names={"a": "i*w"}).correct


def test_every_missing_letter_is_named_and_the_hint_follows():
    feedback = check_formula("2*w", "2*i*w*y", hint="Use the chain rule.")
    assert feedback.message == ("Not yet: that formula gives different values, and it has no i, y. The answer is a formula "
                                "in the letters i, w, y: keep each letter where you may have put its number. Hint: Use "
                                "the chain rule.")
