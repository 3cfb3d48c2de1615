"""How answers are read (numbers, figures, choices) and what is said when they cannot be, word for word.

Written from the survivors of mutation testing (bench/mutation.py): each test pins a behaviour that a
one-character change to bplab/exercises/answers.py used to get past.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy

import bplab.symbolic
from bplab.exercises.answers import AnswerError, DecimalPlaces, Exact, SignificantFigures, read_choice, read_number
from bplab.exercises.checkers import check_number


@pytest.mark.parametrize("text, figures, places", [
    ("-0.120", 3, 3), ("+0.120", 3, 3), ("120", 2, 0), ("1200", 2, 0), ("5", 1, 0), ("0", 1, 0),
    ("1.5E3", 2, 0), ("1.25e-2", 3, 4), ("1.250", 4, 3),
])
def test_figures_and_places_of_a_typed_decimal(text, figures, places):
    reading = read_number(text)
    assert (reading.significant_figures, reading.decimal_places) == (figures, places)


def test_a_python_int_has_no_known_figures_and_a_float_has_its_own():
    assert read_number(5).significant_figures is None and read_number(5).decimal_places is None
    assert (read_number(0.25).significant_figures, read_number(0.25).decimal_places) == (2, 2)


def test_how_answers_are_shown_back():
    assert check_number(Fraction(1, 3), 1 / 3).message == "Correct: 1/3."
    assert check_number("0.5", 0.5).message == "Correct: 0.5."
    assert check_number("1/4", 0.25).message == "Correct: 1/4."
    assert check_number(2, 2.0).message == "Correct: 2."


@pytest.mark.parametrize("answer, message", [
    (1j, "Expected a number, got complex 1j."),
    (10**400, "Expected a number of a sensible size; that one is too large to work with."),
    (float("inf"), "Expected a finite number, got inf."),
    ("  ", 'Expected a number, got an empty text "". Type the number, e.g. answer = 0.5'),
    ("2*a*b", "Expected a number, but '2*a*b' contains the letter(s) a, b. Work the value out, or type it with "
              'numbers only, like "1/3".'),
    ("2*X", "Expected a number, but '2*X' contains the letter(s) X. Work the value out, or type it with "
           'numbers only, like "1/3".'),
    ("sqrt(-1)", "'sqrt(-1)' is not a real, finite number."),
    ("1 + sqrt(-4)", "'1 + sqrt(-4)' is not a real, finite number."),
])
def test_unreadable_numbers_say_what_was_expected(answer, message):
    with pytest.raises(AnswerError) as info:
        read_number(answer)
    assert str(info.value) == message


def test_a_formula_that_does_not_parse_gives_the_parsers_first_line():
    with pytest.raises(bplab.symbolic.FormulaError) as parsed:
        bplab.symbolic.parse("2 +")
    with pytest.raises(AnswerError) as info:
        read_number("2 +")
    assert str(info.value) == (f"I could not read '2 +' as a number: {str(parsed.value).splitlines()[0]}. "
                               'Type just the number, like 70 or 0.5 (or a fraction in quotes, like "1/3").')


@pytest.mark.parametrize("answer, message", [
    ("seventy", "'seventy' is words, and the answer is a number: type it with digits, like 70 or 0.5."),
    ("I don't know", "\"I don't know\" is words, and the answer is a number: type it with digits, like 70 or 0.5."),
    (None, "Expected a number, got None (no number at all). Type the number itself, e.g. answer = 0.5"),
])
def test_words_and_none_are_told_to_type_digits(answer, message):
    with pytest.raises(AnswerError) as info:
        read_number(answer)
    assert str(info.value) == message


def test_short_letters_and_functions_are_still_formulas_not_words():
    assert read_number("pi/2").value == pytest.approx(1.5707963)
    assert read_number("sqrt(4)").value == 2.0
    with pytest.raises(AnswerError, match="contains the letter"):
        read_number("x")


def test_a_value_sympy_cannot_work_out_is_named(monkeypatch):
    monkeypatch.setattr(bplab.symbolic, "parse", lambda text: sympy.Interval(0, 1))  # no number: complex() refuses
    with pytest.raises(AnswerError) as info:
        read_number("3 + 4")
    assert str(info.value) == "I could not work out '3 + 4' as a number."


def test_precision_units_and_tolerances():
    assert SignificantFigures(3).unit(0.0) == pytest.approx(0.001)
    assert DecimalPlaces(2).unit(5.0) == pytest.approx(0.01)
    assert Exact().unit(5.0) == 0.0
    assert check_number("0.0004", 0.0, precision=SignificantFigures(3)).correct
    assert not check_number("0.0006", 0.0, precision=SignificantFigures(3)).correct


@pytest.mark.parametrize("precision", [DecimalPlaces(2), SignificantFigures(2)])
@pytest.mark.parametrize("answer", ["0.12", "0.13"])
def test_either_rounding_of_an_exact_half_is_accepted(precision, answer):
    assert check_number(answer, 0.125, precision=precision).correct  # 0.13 - 0.125 is a hair above 0.005 in binary


def test_choices_read_quotes_case_and_yes_no():
    options = ("true", "false")
    assert read_choice("'TRUE'", options) == "true" and read_choice(' "no" ', options) == "false"
    with pytest.raises(AnswerError) as info:
        read_choice("trueX", options)
    assert str(info.value) == "Expected one of 'true', 'false', got 'trueX'."


def test_a_choice_that_is_not_text_says_what_came():
    with pytest.raises(AnswerError) as info:
        read_choice(math, ("true", "false"))
    assert str(info.value) == f"Expected one of 'true', 'false', got module {math!r}."
    assert read_choice(print, ("print", "input")) == "print"  # a function typed without quotes is its name


@pytest.mark.parametrize("answer, message", [
    (0.5000001, "Not yet: 0.5000001 is too big."),  # never "0.5 is too big": the number the learner gave
    (0.49999999, "Not yet: 0.49999999 is too small."),
    ("0,5", "'0,5' has a comma: write decimals with a point, 0.5."),
    ("2,5", "'2,5' has a comma: write decimals with a point, 2.5."),
])
def test_a_near_miss_is_shown_as_given_and_a_decimal_comma_is_explained(answer, message):
    assert check_number(answer, 0.5, precision=Exact()).message == message


def test_a_thousands_separator_is_still_read():
    assert check_number("1,000", 1000).correct and check_number("12,345.5", 12345.5).correct


def test_a_negative_decimal_comma_is_explained_too():
    with pytest.raises(AnswerError) as info:
        read_number("-0,500")  # also a valid thousands pattern: the leading 0 (after the sign) tells it apart
    assert str(info.value) == "'-0,500' has a comma: write decimals with a point, -0.500."
    assert read_number("-1,500").value == -1500.0


@pytest.mark.parametrize("value, shown", [
    (0.1234567891, "0.1234567891"),  # 12 characters: shown as given
    (0.12345678912, "0.123457"),  # 13: too long, 6 significant figures
    (0.5, "0.5"),
])
def test_a_number_is_shown_as_given_up_to_twelve_characters(value, shown):
    assert read_number(value).shown == shown
