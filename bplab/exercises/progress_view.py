"""The progress view: per notebook, which exercises are solved, tried or not tried yet.

The same view on the start page (``show_progress()``, an HTML table) and in a terminal
(``bplab progress``, plain text).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from bplab.exercises import progress
from bplab.exercises.catalog import CATALOG

_MARKS = {"solved": "✔", "tried": "✘", "not tried": "·"}
_COLOURS = {"solved": "#1b7837", "tried": "#B35806", "not tried": "#777777"}


@dataclass(frozen=True)
class ProgressView:
    """Every exercise's status, by notebook: ``rows`` is ``[(number, title, [(id, title, status)])]``."""

    path: Path
    rows: list[tuple[str, str, list[tuple[str, str, str]]]]

    @property
    def solved(self) -> int:
        """How many exercises are solved."""
        return sum(status == "solved" for _, _, exercises in self.rows for _, _, status in exercises)

    @property
    def total(self) -> int:
        """How many exercises the course has."""
        return sum(len(exercises) for _, _, exercises in self.rows)

    def summary(self) -> str:
        """One line: how many are solved, and where the record is kept."""
        return (f"{self.solved} of {self.total} exercises solved. Kept in {describe_location(self.path)}, "
                "only on this computer.")

    def __repr__(self) -> str:
        lines = [f"Your progress: {self.solved} of {self.total} exercises solved"]
        for number, title, exercises in self.rows:
            done = sum(status == "solved" for _, _, status in exercises)
            lines.append(f"\n{number} · {title}: {done} of {len(exercises)} solved")
            lines += [f"  {_MARKS[status]} {exercise_id:34s} {label} ({status})" for exercise_id, label, status in exercises]
        lines.append(f"\n✔ solved   ✘ tried, not solved yet   · not tried\n{self.summary()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<p><b>Your progress: {self.solved} of {self.total} exercises solved</b></p>",
                 '<table style="border-collapse:collapse">']
        for number, title, exercises in self.rows:
            done = sum(status == "solved" for _, _, status in exercises)
            marks = "".join(
                f'<span title="{html.escape(label)} ({status})" style="color:{_COLOURS[status]}; '
                f'font-size:1.2em; margin-right:0.3em">{_MARKS[status]}</span>'
                for _, label, status in exercises)
            parts.append(f"<tr><td style='padding-right:1em; text-align:left'>{number} · {html.escape(title)}</td>"
                         f"<td style='padding-right:1em'>{done} of {len(exercises)}</td><td>{marks}</td></tr>")
        parts.append("</table>")
        parts.append(f"<p style='color:#555'>✔ solved · ✘ tried, not solved yet · · not tried (hover for the question). "
                     f"{html.escape(self.summary())}</p>")
        return "".join(parts)


def describe_location(path: Path) -> str:
    """Where progress is kept, in words: the course folder, the file ``BPLAB_PROGRESS`` names, or the path."""
    chosen = os.environ.get(progress.PROGRESS_ENV, "").strip()
    if chosen and Path(chosen).expanduser() == path:
        return f"{path.name}, the file {progress.PROGRESS_ENV} names"
    if path.name == progress.PROGRESS_NAME:
        return f"{path.name} in your course folder {path.parent}"
    home = Path.home()
    shown = f"~/{path.relative_to(home).as_posix()}" if path.is_relative_to(home) else str(path)
    return f"{shown} ({progress.PROGRESS_ENV} chooses another file)"


def show_progress(path: str | Path | None = None) -> ProgressView:
    """The learner's progress, per notebook (``path``: a progress file; default: where checks record)."""
    where = progress.progress_path() if path is None else Path(path)
    kept = progress.load(where)
    rows = []
    for number, title in CATALOG.notebooks.items():
        exercises = [(e.id, e.title, kept.status(e.id)) for e in CATALOG if e.notebook == number]
        rows.append((number, title, exercises))
    return ProgressView(where, rows)
