"""The exercise registry: every exercise's own answer passes, a near miss fails, hints are graded, ids are checked."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from bplab.exercises import (
    CATALOG,
    CORRECT,
    NOT_ANSWERED,
    NOT_YET,
    UNREADABLE,
    DecimalPlaces,
    Exact,
    Exercise,
    Feedback,
    Note,
    SignificantFigures,
    UnknownExerciseError,
    check,
    hint,
    reset_hints,
    solution,
)
from bplab.exercises.catalog.graduate import THREE_LAYER_SOLUTION, three_layer_data

EXERCISES = list(CATALOG)
IDS = [e.id for e in EXERCISES]
NUMBERS = [e for e in EXERCISES if e.kind == "number"]
FORMULAS = [e for e in EXERCISES if e.kind == "formula"]
CHOICES = [e for e in EXERCISES if e.kind == "choice"]
GRADIENTS = [e for e in EXERCISES if e.kind == "gradients"]


@pytest.fixture(autouse=True)
def fresh_hints():
    reset_hints()
    yield
    reset_hints()


def test_the_catalog_covers_every_lesson_with_each_kind():
    assert {e.notebook for e in EXERCISES} == {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19"}
    assert NUMBERS and FORMULAS and CHOICES and GRADIENTS
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_each_exercise_accepts_its_own_answer(exercise):
    feedback = check(exercise.id, exercise.correct_answer())
    assert isinstance(feedback, Feedback) and feedback.verdict == CORRECT, feedback


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_each_exercise_is_declared_completely(exercise):
    assert exercise.title and len(exercise.hints) >= 2 and exercise.solution
    assert len(exercise.hints[0]) <= max(len(h) for h in exercise.hints[1:]) + 60, "a nudge first, then more"
    assert exercise.id in CATALOG.ids() and CATALOG.get(exercise.id) is exercise


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_an_untouched_exercise_says_what_to_do(exercise):
    untouched = None if exercise.kind == "gradients" else ...  # an unwritten function returns None
    feedback = check(exercise.id, untouched)
    assert feedback.verdict == NOT_ANSWERED and "Not answered yet" in feedback.message


# ------------------------------------------------------------------ numbers: the precision the question states


@pytest.mark.parametrize("exercise", NUMBERS, ids=[e.id for e in NUMBERS])
def test_numbers_pass_when_rounded_as_asked_and_fail_just_outside(exercise):
    expected, precision = float(exercise.expected), exercise.precision
    if isinstance(precision, SignificantFigures):
        rounded = float(f"{expected:.{precision.figures}g}")
    elif isinstance(precision, DecimalPlaces):
        rounded = round(expected, precision.places)
    else:
        rounded = expected
    assert check(exercise.id, rounded).correct
    assert check(exercise.id, f"{rounded}").correct  # in quotes too
    one_percent_off = expected * 1.01 if expected else 0.01
    assert check(exercise.id, one_percent_off).verdict == NOT_YET
    if isinstance(precision, Exact):
        assert check(exercise.id, expected + (1 if isinstance(exercise.expected, int) else 1e-3)).verdict == NOT_YET
    else:
        unit = precision.unit(expected)
        just_outside = expected + 1.2 * unit  # one figure off in the last place asked for
        assert check(exercise.id, just_outside).verdict == NOT_YET
        assert check(exercise.id, rounded + 0.45 * unit).correct  # more figures, which round to the right answer
        assert check(exercise.id, rounded + 0.55 * unit).verdict == NOT_YET  # more figures, which round to a wrong one


def test_a_tenth_of_a_percent_asked_means_one_percent_off_fails():
    # 03.best_weight asks for 3 significant figures of 1/3: 0.333 passes, 1% off (0.3367) fails, 0.334 fails
    assert check("03.best_weight", 0.333).correct and check("03.best_weight", "1/3").correct
    assert check("03.best_weight", 1 / 3 * 1.01).verdict == NOT_YET
    assert check("03.best_weight", 0.3333).correct and check("03.best_weight", 0.3336).verdict == NOT_YET  # rounds to 0.334
    near = check("03.best_weight", 0.334)
    assert near.verdict == NOT_YET and "close" in near.message and "3 significant figures" in near.message


def test_too_few_figures_is_said_as_such():
    short = check("03.best_weight", 0.33)
    assert short.verdict == NOT_YET and "2 significant figures" in short.message and "asks for 3" in short.message
    short = check("03.first_update", 0.47)
    assert short.verdict == NOT_YET and "2 decimal places" in short.message and "asks for 4" in short.message


def test_the_sign_and_the_size_of_a_miss_are_said():
    assert "wrong sign" in check("06.softmax_gradient", 0.119).message
    assert "too big" in check("07.parameter_count", 8257).message
    assert "not a whole number" in check("08.updates_per_epoch", 200.5).message


def test_whole_numbers_are_exact():
    assert check("07.parameter_count", 8256).correct and check("07.parameter_count", 8256.0).correct
    assert check("07.parameter_count", "8,256").correct
    assert not check("07.parameter_count", 8255).correct


def test_the_divergence_threshold_has_an_exact_answer():
    exercise = CATALOG.get("03.divergence_threshold")
    assert math.isclose(exercise.expected, 1 / 1.5**2)  # above 1/i² every step overshoots more
    assert check(exercise.id, "1/1.5**2").correct and check(exercise.id, 0.444).correct
    assert check(exercise.id, 0.4).verdict == NOT_YET


# ------------------------------------------------------------------ formulas, choices and gradients: near misses


@pytest.mark.parametrize("exercise", FORMULAS, ids=[e.id for e in FORMULAS])
def test_a_formula_off_by_one_percent_fails(exercise):
    assert check(exercise.id, f"({exercise.expected})*1.01").verdict == NOT_YET
    assert check(exercise.id, f"({exercise.expected}) + 1").verdict == NOT_YET


@pytest.mark.parametrize("exercise", FORMULAS, ids=[e.id for e in FORMULAS])
def test_a_formula_may_use_the_lessons_own_names(exercise):
    import sympy

    from bplab.symbolic import parse

    for name, meaning in exercise.names.items():
        written = sympy.sstr(parse(exercise.expected).subs(parse(meaning), parse(name)))
        if name in written:
            assert check(exercise.id, written).correct, written


@pytest.mark.parametrize("exercise", CHOICES, ids=[e.id for e in CHOICES])
def test_the_other_option_fails(exercise):
    for option in exercise.options:
        assert check(exercise.id, option).verdict == (CORRECT if option == exercise.expected else NOT_YET)


@pytest.mark.parametrize("exercise", GRADIENTS, ids=[e.id for e in GRADIENTS])
def test_gradients_a_hair_off_fail_and_are_named(exercise):
    right = exercise.correct_answer()
    for name in right:
        off = {**right, name: right[name] + 1e-4 * np.eye(1, right[name].size).reshape(right[name].shape)}
        feedback = check(exercise.id, off)
        assert feedback.verdict == NOT_YET and f"for {name} differs" in feedback.message


def test_gradient_failures_are_reported_output_layer_first():
    right = CATALOG.get("08.fixed_backward").correct_answer()
    feedback = check("08.fixed_backward", {**right, "W1": right["W1"] * 2, "b2": right["b2"] + 1})
    assert "2 of 4 gradients are wrong (output layer first)" in feedback.message
    assert feedback.message.index("for b2") < feedback.message.index("for W1")


def test_the_worked_solution_of_the_three_layer_backward_pass_runs_and_passes():
    X3, labels3, params3 = three_layer_data()
    code = textwrap.dedent("\n".join(line for line in THREE_LAYER_SOLUTION.splitlines() if line.startswith("    ")))
    namespace = {"np": np, "X3": X3, "labels3": labels3}
    exec(code, namespace)  # noqa: S102  (our own solution text, run as a learner would paste it)
    assert check("07.three_layer_backward", namespace["my_backward"](**params3)).correct


# ------------------------------------------------------------------ hints and solutions


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_hints_come_in_order_and_run_out_gracefully(exercise):
    notes = [hint(exercise.id) for _ in range(len(exercise.hints) + 2)]
    assert all(isinstance(n, Note) and n.kind == "hint" for n in notes)
    for number, (note, text) in enumerate(zip(notes, exercise.hints), start=1):
        assert note.title.startswith(f"Hint {number} of {len(exercise.hints)}") and text in note.text
    for extra in notes[len(exercise.hints):]:
        assert extra.title.startswith("No more hints") and exercise.hints[-1] in extra.text
        assert f'solution("{exercise.id}")' in extra.text


def test_not_yet_offers_the_next_hint_then_the_solution():
    first = check("03.first_update", 0.5)
    assert first.verdict == NOT_YET and first.message.endswith(
        'Stuck? Make a new cell under this one (press Esc, then B) and run hint("03.first_update") in it for a hint: '
        'your answer here stays as it is.')
    hint("03.first_update")
    assert 'run hint("03.first_update") in it for hint 2 of 3' in check("03.first_update", 0.5).message
    for _ in range(2):
        hint("03.first_update")
    assert check("03.first_update", 0.5).message.endswith(
        'Still stuck? In a new cell (Esc, then B), solution("03.first_update") shows the worked solution.')


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_solution_is_shown_only_on_request(exercise):
    shown = solution(exercise.id)
    assert shown.kind == "solution" and shown.text == exercise.solution and exercise.title in shown.title
    assert exercise.solution not in check(exercise.id, ...).message


def test_notes_and_feedback_render_as_html():
    html = hint("01.fix_size_one")._repr_html_()
    assert "Hint 1 of 3" in html and "white-space:pre-wrap" in html
    assert "#1b7837" in check("01.fix_size_one", 70)._repr_html_()


# ------------------------------------------------------------------ unknown ids


@pytest.mark.parametrize("function", [check, hint, solution], ids=["check", "hint", "solution"])
def test_an_unknown_id_names_close_ids(function):
    arguments = ("03.first_updat", 1) if function is check else ("03.first_updat",)
    with pytest.raises(UnknownExerciseError, match=r"exercise_id: there is no exercise '03.first_updat'\. "
                                                   r"Did you mean '03.first_update'\?"):
        function(*arguments)


def test_an_id_far_from_any_lists_the_notebooks_exercises():
    with pytest.raises(UnknownExerciseError, match=r"The exercises are: 03\.best_weight, 03\.slope_formula"):
        check("03.zzz", 1)
    with pytest.raises(UnknownExerciseError, match=r"expected an exercise id in quotes, like '03.first_update', got int 3"):
        hint(3)


def test_declarations_are_checked():
    common = dict(title="t", hints=("a", "b"), solution="s")
    with pytest.raises(ValueError, match="id: expected the notebook's two digits"):
        Exercise(id="first_update", kind="choice", expected="a", options=("a",), **common)
    with pytest.raises(ValueError, match="needs expected= and precision="):
        Exercise(id="09.x", kind="number", expected=1.0, **common)
    with pytest.raises(ValueError, match="at least two graded hints"):
        Exercise(id="09.x", kind="choice", expected="a", options=("a",), title="t", hints=("a",), solution="s")
    with pytest.raises(ValueError, match="kind: expected one of"):
        Exercise(id="09.x", kind="essay", **common)


def test_a_checker_failure_never_reaches_the_learner(monkeypatch):
    exercise = CATALOG.get("02.power_rule")

    def broken(answer):
        raise RuntimeError("a bug in a checker")

    monkeypatch.setattr(type(exercise), "judge", lambda self, answer: broken(answer))
    feedback = check("02.power_rule", "3*x**2 + 2")
    assert feedback.verdict == UNREADABLE and "RuntimeError" in feedback.message


def test_a_wrong_answer_with_few_figures_is_not_told_to_add_figures():
    """0.05 for 0.1 (3 figures asked) is wrong, not short: only the expected value rounded to the learner's
    figures (0.1) earns "give more figures"."""
    from bplab.exercises.answers import SignificantFigures
    from bplab.exercises.checkers import check_number

    for wrong in (0.05, 0.09, 0.099, 0.2):
        message = check_number(wrong, expected=0.1, precision=SignificantFigures(3)).message
        assert "Give more figures" not in message, (wrong, message)
    assert "Give more figures" in check_number(0.12, expected=0.1234, precision=SignificantFigures(3)).message
