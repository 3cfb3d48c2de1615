"""What a "your turn" cell calls: ``check(id, answer)``, ``hint(id)`` and ``solution(id)``.

``check`` judges the answer with the exercise's checker, records the verdict in the progress file
and, when the answer is not right yet, says what is wrong and that ``hint(id)`` is there. Hints are
graded: each call of ``hint(id)`` gives the next one (a nudge first), counted in this kernel session.
``solution(id)`` shows the worked solution. A learner's answer never raises.
"""

from __future__ import annotations

from typing import Any

from bplab.exercises import progress
from bplab.exercises.catalog import CATALOG
from bplab.exercises.feedback import NOT_YET, UNREADABLE, Feedback, Note
from bplab.exercises.registry import Exercise

_hints_given: dict[str, int] = {}


def check(exercise_id: str, answer: Any) -> Feedback:
    """Judge ``answer`` to the exercise ``exercise_id`` (e.g. ``"03.first_update"``) and record the verdict.

    Returns a :class:`Feedback` (shown as a coloured box). An unknown id raises
    :class:`~bplab.exercises.registry.UnknownExerciseError` naming close ids; the answer never raises.
    """
    exercise = CATALOG.get(exercise_id)
    try:
        feedback = exercise.judge(answer)
    except Exception as exc:  # a checker's own failure must not reach the learner as a traceback  # noqa: BLE001
        feedback = Feedback(UNREADABLE, f"I could not check this answer ({type(exc).__name__}). "
                                        "Try writing it more simply, or see solution() for the expected form.")
    if feedback.verdict == NOT_YET:
        feedback = Feedback(NOT_YET, f"{feedback.message} {_offer(exercise)}")
    progress.record(exercise.id, feedback.verdict)
    return feedback


def _offer(exercise: Exercise) -> str:
    """The sentence after "not yet": the next hint, or the solution once every hint was given."""
    given = _hints_given.get(exercise.id, 0)
    if given < len(exercise.hints):
        which = "a hint" if given == 0 else f"hint {given + 1} of {len(exercise.hints)}"
        return f'Stuck? Make a new cell under this one (press Esc, then B) and run hint("{exercise.id}") in it for {which}: your answer here stays as it is.'
    return f'Still stuck? In a new cell (Esc, then B), solution("{exercise.id}") shows the worked solution.'


def hint(exercise_id: str) -> Note:
    """The next hint for ``exercise_id``: a nudge first, then more; after the last, the last again."""
    exercise = CATALOG.get(exercise_id)
    total = len(exercise.hints)
    given = _hints_given.get(exercise.id, 0)
    if given >= total:
        return Note("hint", f"No more hints for {exercise.title} ({total} of {total} given). The last one again:",
                    f'{exercise.hints[-1]}\n\nThe worked solution: solution("{exercise.id}")')
    _hints_given[exercise.id] = given + 1
    more = (f'Run hint("{exercise.id}") again for a bigger hint.' if given + 1 < total
            else f'That was the last hint. The worked solution: solution("{exercise.id}")')
    return Note("hint", f"Hint {given + 1} of {total}: {exercise.title}", f"{exercise.hints[given]}\n\n{more}")


def solution(exercise_id: str) -> Note:
    """The worked solution of ``exercise_id`` (only on request: no cell shows it)."""
    exercise = CATALOG.get(exercise_id)
    return Note("solution", f"Worked solution: {exercise.title}", exercise.solution)


def reset_hints(exercise_id: str | None = None) -> None:
    """Start the hints of one exercise (or of all) from the first again."""
    if exercise_id is None:
        _hints_given.clear()
    else:
        _hints_given.pop(CATALOG.get(exercise_id).id, None)


__all__ = ["check", "hint", "reset_hints", "solution"]
