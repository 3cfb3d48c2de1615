r"""The exercise registry: each "your turn" exercise declared once, with its answer, hints and solution.

An :class:`Exercise` holds what the notebook cell must not show: the expected answer (and how
precisely it is asked for), graded hints (a nudge first, then more) and a worked solution. A
:class:`Catalog` holds them all and finds one by id, naming close ids when an id is mistyped.
The declarations themselves live in :mod:`bplab.exercises.catalog`, one file per level.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from bplab.exercises.answers import Precision
from bplab.exercises.checkers import check_choice, check_formula, check_gradients, check_number
from bplab.exercises.feedback import Feedback

KINDS = ("number", "formula", "choice", "gradients")
ID_PATTERN = re.compile(r"^\d\d\.[a-z][a-z0-9_]*$")
EXAMPLE_ID = "03.first_update"


class UnknownExerciseError(LookupError):
    """An exercise id that is not in the registry; the message names close ids."""


@dataclass(frozen=True)
class GradientProblem:
    """What a gradients exercise checks against: ``loss`` (a function of Values named like the keys
    of ``at``) at the point ``at``, failures reported in ``order`` (default: output layer first)."""

    loss: Callable[..., Any]
    at: Mapping[str, Any]
    order: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Exercise:
    r"""One exercise, declared once.

    * ``id``: the notebook's two-digit number, a dot, a name: ``"03.first_update"``;
    * ``title``: the question, in a few words (shown in hints, solutions and the progress view);
    * ``kind``: ``"number"``, ``"formula"``, ``"choice"`` or ``"gradients"``;
    * ``hints``: graded, a nudge first, then more (at least two);
    * ``solution``: the worked solution, shown only on request;
    * ``expected``: the answer (a number, a formula as text, an option); for ``"gradients"`` a
      function of no arguments returning the correct gradients, worked out by hand in NumPy;
    * ``precision`` (numbers): how precisely the question asks, and says so;
    * ``options`` (choices); ``names`` (formulas): the lesson's intermediate names, ``{"a": "i*w"}``;
    * ``problem`` (gradients): a function of no arguments returning the :class:`GradientProblem`.
    """

    id: str
    title: str
    kind: str
    hints: tuple[str, ...]
    solution: str
    expected: Any = None
    precision: Precision | None = None
    options: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    problem: Callable[[], GradientProblem] | None = None

    def __post_init__(self) -> None:
        where = f"exercise {self.id!r}"
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise ValueError(f"id: expected the notebook's two digits, a dot and a lower-case name, like "
                             f"{EXAMPLE_ID!r}, got {self.id!r}")
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if len(self.hints) < 2 or not all(isinstance(h, str) and h.strip() for h in self.hints):
            raise ValueError(f"{where}: hints: expected at least two graded hints (a nudge first, then more)")
        if not self.solution.strip() or not self.title.strip():
            raise ValueError(f"{where}: expected a title and a worked solution")
        if self.kind == "number" and (self.precision is None or self.expected is None):
            raise ValueError(f"{where}: a number exercise needs expected= and precision= (the question states it)")
        if self.kind == "choice" and (self.expected not in self.options):
            raise ValueError(f"{where}: expected={self.expected!r} is not one of options={self.options!r}")
        if self.kind == "formula" and not isinstance(self.expected, str):
            raise ValueError(f"{where}: a formula exercise needs expected= as text, like \"2*x\"")
        if self.kind == "gradients" and (self.problem is None or not callable(self.expected)):
            raise ValueError(f"{where}: a gradients exercise needs problem= and expected= (functions of no arguments)")

    @property
    def notebook(self) -> str:
        """The notebook's two-digit number, e.g. ``"03"``."""
        return self.id[:2]

    def correct_answer(self) -> Any:
        """The expected answer as a learner would give it (for the gradients kind: the dict of gradients)."""
        return self.expected() if self.kind == "gradients" else self.expected

    def judge(self, answer: Any) -> Feedback:
        """The checker's verdict on ``answer`` (no hint text: :func:`bplab.exercises.check` adds the offer)."""
        if self.kind == "number":
            return check_number(answer, self.expected, precision=self.precision)
        if self.kind == "formula":
            return check_formula(answer, self.expected, names=self.names)
        if self.kind == "choice":
            return check_choice(answer, self.expected, self.options)
        problem = self.problem()  # type: ignore[misc]  (checked in __post_init__)
        return check_gradients(answer, problem.loss, problem.at, order=problem.order)


class Catalog:
    """Every exercise, by id, in the order declared; ``notebooks`` maps "03" to the notebook's title."""

    def __init__(self, exercises: Iterable[Exercise], notebooks: Mapping[str, str]) -> None:
        self._by_id: dict[str, Exercise] = {}
        for exercise in exercises:
            if exercise.id in self._by_id:
                raise ValueError(f"exercise {exercise.id!r} is declared twice; each exercise is declared once")
            if exercise.notebook not in notebooks:
                raise ValueError(f"exercise {exercise.id!r}: no notebook {exercise.notebook!r} in the catalog's titles")
            self._by_id[exercise.id] = exercise
        self.notebooks = dict(notebooks)

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, exercise_id: object) -> bool:
        return exercise_id in self._by_id

    def ids(self) -> list[str]:
        """Every exercise id, in the order declared."""
        return list(self._by_id)

    def get(self, exercise_id: Any) -> Exercise:
        """The exercise with this id, or :class:`UnknownExerciseError` naming close ids."""
        if not isinstance(exercise_id, str):
            raise UnknownExerciseError(f"exercise_id: expected an exercise id in quotes, like {EXAMPLE_ID!r}, "
                                       f"got {type(exercise_id).__name__} {exercise_id!r}")
        found = self._by_id.get(exercise_id.strip())
        if found is not None:
            return found
        close = difflib.get_close_matches(exercise_id.strip(), self.ids(), n=4, cutoff=0.6)
        if close:
            suggestion = f"Did you mean {' or '.join(repr(c) for c in close)}?"
        else:
            same_notebook = [i for i in self.ids() if i[:2] == exercise_id.strip()[:2]]
            suggestion = f"The exercises are: {', '.join(same_notebook or self.ids())}."
        raise UnknownExerciseError(f"exercise_id: there is no exercise {exercise_id!r}. {suggestion} "
                                   "Copy the id from the exercise's own cell.")
