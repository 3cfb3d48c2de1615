"""What the exercise functions hand back to a notebook: a verdict on an answer, or a note (hint, solution).

Both render as a coloured box in JupyterLab (``_repr_html_``) and as one readable line or block
in a terminal (``repr``). Standard library only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

NOT_ANSWERED = "not answered"
CORRECT = "correct"
NOT_YET = "not yet"
UNREADABLE = "unreadable"
VERDICTS = (CORRECT, NOT_YET, NOT_ANSWERED, UNREADABLE)

_COLOURS = {CORRECT: "#1b7837", NOT_YET: "#B35806", NOT_ANSWERED: "#555555", UNREADABLE: "#B2182B"}
_ICONS = {CORRECT: "✔", NOT_YET: "✘", NOT_ANSWERED: "…", UNREADABLE: "?"}
_NOTE_COLOURS = {"hint": "#2166AC", "solution": "#762A83"}


@dataclass(frozen=True)
class Feedback:
    """What a checker says: ``verdict`` (correct / not yet / not answered / unreadable) and a message."""

    verdict: str
    message: str

    @property
    def correct(self) -> bool:
        """True when the answer was right."""
        return self.verdict == CORRECT

    def __repr__(self) -> str:
        return f"{_ICONS[self.verdict]} {self.message}"

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.verdict]
        return (f'<div style="border-left:4px solid {colour}; padding:0.3em 0.8em; color:{colour}">'
                f"<b>{_ICONS[self.verdict]}</b> {html.escape(self.message)}</div>")


@dataclass(frozen=True)
class Note:
    """A hint or a worked solution: ``kind`` ("hint" or "solution"), a short ``title`` and the ``text``."""

    kind: str
    title: str
    text: str

    def __repr__(self) -> str:
        return f"{self.title}\n{self.text}"

    def _repr_html_(self) -> str:
        colour = _NOTE_COLOURS.get(self.kind, "#555555")
        return (f'<div style="border-left:4px solid {colour}; padding:0.3em 0.8em">'
                f'<b style="color:{colour}">{html.escape(self.title)}</b>'
                f'<div style="white-space:pre-wrap; margin-top:0.3em">{html.escape(self.text)}</div></div>')


def not_answered(what: str) -> Feedback:
    """The feedback for an untouched exercise (the answer still ``...``)."""
    return Feedback(NOT_ANSWERED, f"Not answered yet: replace the ... with {what}, then run the cell again.")
