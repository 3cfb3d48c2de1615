"""Answer forms: every reasonable way of writing a right answer is accepted, and no answer raises."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from bplab import Value
from bplab.exercises import CATALOG, CORRECT, NOT_YET, UNREADABLE, Feedback, check, false, reset_hints, true
from bplab.exercises.answers import AnswerError, SignificantFigures, read_choice, read_number


@pytest.fixture(autouse=True)
def fresh_hints():
    reset_hints()


@pytest.mark.parametrize("answer", [true, false, True, False, "true", "False", " TRUE ", "yes", "no"])
def test_true_and_false_without_quotes(answer):
    assert check("04.sigmoid_range", answer).verdict in (CORRECT, NOT_YET)


def test_true_false_verdicts():
    assert check("04.sigmoid_range", false).correct and check("04.sigmoid_range", "no").correct
    assert check("04.sigmoid_range", true).verdict == NOT_YET
    assert true is True and false is False


def test_an_option_typed_without_quotes_that_python_knows():
    # input is a Python builtin: typed without quotes it is a function named "input"
    assert check("08.which_factor", input).correct
    assert check("08.which_factor", "Input").correct


@pytest.mark.parametrize("answer", [1 / 3, "1/3", " 1/3 ", Fraction(1, 3), np.float64(1 / 3), "0.333", "0.5/1.5",
                                    Value(1 / 3), np.array(1 / 3), np.array([1 / 3]), "'1/3'"])
def test_numbers_and_fractions_in_any_form(answer):
    assert check("03.best_weight", answer).correct, answer


@pytest.mark.parametrize("answer", ["2 + cos(1)", "2.54", 2.5403, "2.540"])
def test_arithmetic_in_quotes_is_worked_out_safely(answer):
    assert check("05.two_paths", answer).correct


@pytest.mark.parametrize("answer", ["−0.119", "-1/(e**2 + 1)", "-0.1192"])
def test_typographic_minus_and_constants(answer):
    assert check("06.softmax_gradient", answer).correct


@pytest.mark.parametrize("answer", ["2*(a-y)*i", "2*i*(a - y)", "2*i*(i*w - y)", "2*i**2*w - 2*i*y"])
def test_formulas_with_the_lessons_intermediate_names(answer):
    assert check("03.slope_formula", answer).correct


@pytest.mark.parametrize("answer", ["2*x*(3*x + 1) + 3*x**2", "9*x**2 + 2*x", "2*x*v + 3*u", "2*x*v + u*3",
                                    "x*(9*x + 2)", "(2*x)*(3*x+1) + x^2*3"])
def test_the_product_rule_in_its_forms(answer):
    assert check("02.product_rule", answer).correct


@pytest.mark.parametrize("answer", ["2*x*(3*x + 1)", "3*x**2", "2*x*3", "6*x**2 + 2*x", "u*v"])
def test_half_a_product_rule_is_not_yet(answer):
    assert check("02.product_rule", answer).verdict == NOT_YET


def test_the_scalar_engine_exercise_takes_numbers_from_a_learners_engine():
    right = CATALOG.get("07.scalar_engine").correct_answer()
    assert check("07.scalar_engine", {"w": float(right["w"]), "b": float(right["b"])}).correct
    assert check("07.scalar_engine", {"w": 0.0, "b": 0.0}).verdict == NOT_YET  # an empty backward closure
    solution_text = CATALOG.get("07.scalar_engine").solution  # its worked numbers are the real ones
    assert f"dL/dw = 2·dL/dz = {right['w']:.4f}".replace("-", "−") in solution_text
    assert f"dL/db = {right['b']:.4f}".replace("-", "−") in solution_text


def test_a_name_the_lesson_does_not_define_is_explained():
    feedback = check("03.slope_formula", "2*(b - y)*i")
    assert feedback.verdict == NOT_YET and "uses b" in feedback.message and "a (= i*w)" in feedback.message


@pytest.mark.parametrize("answer", ["1 - tanh(z)**2", "sech(z)**2", "1/cosh(z)**2", "(cosh(z)**2 - sinh(z)**2)/cosh(z)**2"])
def test_sech_cosh_and_sinh_are_understood(answer):
    assert check("06.tanh_derivative", answer).correct


@pytest.mark.parametrize("answer", ["p*(1 - p)", "sigmoid(z) - sigmoid(z)**2", "exp(-z)/(1 + exp(-z))**2"])
def test_the_sigmoid_derivative_in_its_forms(answer):
    assert check("04.sigmoid_derivative", answer).correct


STRANGE = [None, True, [], {}, "", "   ", "x", "2x", "__import__('os')", "open('f')", object(), float("nan"), "1e400",
           np.array([1.0, 2.0]), lambda: 0, "1/0", "log(0)", "sqrt(-1)", "'", b"1", 10**400, {"W1": "a"},
           {"W1": np.ones(3)}, "delta1 or input", 3 + 4j]


@pytest.mark.parametrize("exercise", list(CATALOG), ids=[e.id for e in CATALOG])
def test_no_answer_ever_raises(exercise):
    for answer in STRANGE:
        feedback = check(exercise.id, answer)
        assert isinstance(feedback, Feedback), (answer, feedback)
        assert feedback.verdict != CORRECT or answer is None, (answer, feedback)


def test_unreadable_answers_say_what_was_expected():
    assert "Expected a number, got True" in check("03.best_weight", True).message
    assert "contains the letter(s) x" in check("03.best_weight", "x/3").message
    assert check("03.best_weight", "1/0").verdict == UNREADABLE
    assert "Expected one of 'true', 'false'" in check("04.sigmoid_range", "maybe").message
    assert "text in quotes" in check("02.power_rule", 3).message


def test_read_number_reports_figures():
    assert read_number("0.120").significant_figures == 3 and read_number("0.120").decimal_places == 3
    assert read_number(0.33).significant_figures == 2
    assert read_number("8,256").value == 8256
    with pytest.raises(AnswerError, match="Expected one number, got 2 numbers"):
        read_number([1, 2])


def test_read_choice():
    assert read_choice(True, ("true", "false")) == "true"
    with pytest.raises(AnswerError, match="Expected one of 'a', 'b', got 'c'"):
        read_choice("c", ("a", "b"))


def test_significant_figures_tolerance_is_half_a_unit_in_the_last_place():
    three = SignificantFigures(3)
    assert three.unit(2.5403) == pytest.approx(0.01) and three.unit(-0.1192) == pytest.approx(0.001)
    assert three.tolerance(2.5403) == pytest.approx(0.005, rel=1e-6)
    assert three.phrase == "to 3 significant figures"
