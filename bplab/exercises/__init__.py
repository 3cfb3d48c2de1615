r"""Exercises: checked "your turn" cells, with hidden answers, graded hints, solutions on request, and progress.

A "your turn" cell calls the checker by exercise id; the answer lives in the package, never in
the cell::

    from bplab.exercises import check, hint, solution

    answer = ...          # replace ... with your answer
    check("03.first_update", answer)

``check`` says correct / not yet (and what is wrong) / not answered, and records the verdict in
the learner's course folder; ``hint(id)`` gives the next graded hint; ``solution(id)`` the worked
solution. True/false questions import :data:`true` and :data:`false`, so that ``answer = true``
works without quotes. ``show_progress()`` shows what is solved, per notebook.

The package, one job a file: :mod:`~bplab.exercises.feedback` (what is shown),
:mod:`~bplab.exercises.answers` (reading answers; precision), :mod:`~bplab.exercises.checkers` (the
checkers, also usable directly), :mod:`~bplab.exercises.registry` (the Exercise declaration and the
catalog's lookup), :mod:`~bplab.exercises.catalog` (every exercise, one file per level),
:mod:`~bplab.exercises.session` (check, hint, solution), :mod:`~bplab.exercises.progress` (the
progress file) and :mod:`~bplab.exercises.progress_view` (the progress view).
"""

from bplab.exercises.answers import DecimalPlaces, Exact, SignificantFigures, false, true
from bplab.exercises.catalog import CATALOG
from bplab.exercises.checkers import check_choice, check_formula, check_gradients, check_number
from bplab.exercises.feedback import CORRECT, NOT_ANSWERED, NOT_YET, UNREADABLE, Feedback, Note
from bplab.exercises.progress_view import ProgressView, show_progress
from bplab.exercises.registry import Catalog, Exercise, GradientProblem, UnknownExerciseError
from bplab.exercises.session import check, hint, reset_hints, solution

__all__ = [
    "CATALOG", "CORRECT", "NOT_ANSWERED", "NOT_YET", "UNREADABLE",
    "Catalog", "DecimalPlaces", "Exact", "Exercise", "Feedback", "GradientProblem", "Note", "ProgressView",
    "SignificantFigures", "UnknownExerciseError",
    "check", "check_choice", "check_formula", "check_gradients", "check_number", "false", "hint", "reset_hints",
    "show_progress", "solution", "true",
]
