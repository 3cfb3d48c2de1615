r"""The learner's progress: each answer checked, kept in a small JSON file on the learner's own computer.

Where the file is (:func:`progress_path`):

1. the environment variable ``BPLAB_PROGRESS``, a file path, when it is set (the tests and nbval
   runs point it at a temporary folder);
2. else ``.bplab-progress.json`` in the course folder the learner works in: the first folder,
   from the notebook's working directory upwards, that holds the course copy's manifest
   (``.bplab-manifest.json``, written by ``bplab copy`` and ``bplab lab``);
3. else (the course run from a clone of the repository, say) ``bplab/progress.json`` in the
   user's data folder, never inside the repository.

The file: ``{"format": 1, "solved": {id: first time solved}, "checks": [{"id", "verdict", "time"}]}``
(the newest :data:`MAX_CHECKS` checks). A missing file is created; a corrupt one is moved aside
(``*.corrupt``) and replaced, with a one-line warning. Nothing here ever raises into a lesson,
and nothing is sent anywhere. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bplab.exercises.feedback import CORRECT, NOT_ANSWERED, VERDICTS

PROGRESS_ENV = "BPLAB_PROGRESS"
PROGRESS_NAME = ".bplab-progress.json"
#: The course copy's manifest; the same name as ``bplab.app``'s (a test keeps them equal).
MANIFEST_NAME = ".bplab-manifest.json"
FORMAT = 1
MAX_CHECKS = 2000

_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Print ``message`` on one line of stderr, once per session (progress never interrupts a lesson)."""
    if message not in _warned:
        _warned.add(message)
        print(f"bplab: {message}", file=sys.stderr)


def course_folder(start: Path | None = None) -> Path | None:
    """The course folder holding ``start`` (default: the working directory): the nearest with a manifest."""
    here = Path(start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder
    return None


def user_data_file() -> Path:
    """The progress file outside any course folder: in the user's data folder."""
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "bplab" / "progress.json"


def progress_path(start: Path | None = None) -> Path:
    """Where progress is kept: ``$BPLAB_PROGRESS``, else the course folder's file, else the user's data folder."""
    chosen = os.environ.get(PROGRESS_ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    folder = course_folder(start)
    return folder / PROGRESS_NAME if folder is not None else user_data_file()


@dataclass
class Progress:
    """What the progress file holds: every exercise ever solved (and when), and the newest checks."""

    solved: dict[str, str] = field(default_factory=dict)
    checks: list[dict[str, str]] = field(default_factory=list)

    def status(self, exercise_id: str) -> str:
        """``"solved"``, ``"tried"`` (checked, not solved yet) or ``"not tried"``."""
        if exercise_id in self.solved:
            return "solved"
        if any(check["id"] == exercise_id for check in self.checks):
            return "tried"
        return "not tried"

    def to_json(self) -> str:
        """The file's text: one line per solved exercise and per check (the newest :data:`MAX_CHECKS`)."""
        solved = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in self.solved.items()]
        checks = [json.dumps(check, ensure_ascii=False) for check in self.checks[-MAX_CHECKS:]]
        return f'{{"format": {FORMAT},\n "solved": {_block(solved, "{}")},\n "checks": {_block(checks, "[]")}}}\n'


def _block(items: list[str], brackets: str) -> str:
    """``items`` between ``brackets``, one a line (``{}`` or ``[]`` when there are none)."""
    if not items:
        return brackets
    return brackets[0] + "\n  " + ",\n  ".join(items) + "\n " + brackets[1]


def _parse(text: str) -> Progress:
    """The progress in a file's text; ValueError when it is not a progress file."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a bplab progress file of format 1")
    solved, checks = data.get("solved", {}), data.get("checks", [])
    if not isinstance(solved, dict) or not isinstance(checks, list):
        raise ValueError("its 'solved' or 'checks' entry has the wrong type")
    good = [c for c in checks if isinstance(c, dict) and isinstance(c.get("id"), str) and c.get("verdict") in VERDICTS]
    return Progress({str(k): str(v) for k, v in solved.items()}, [{k: str(v) for k, v in c.items()} for c in good])


def load(path: Path | None = None) -> Progress:
    """The progress kept at ``path`` (default: :func:`progress_path`); empty when there is none.

    A corrupt file is moved aside as ``<name>.corrupt`` (a new one starts at the next check),
    with a one-line warning. Never raises.
    """
    path = progress_path() if path is None else Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # nothing kept there yet
        return Progress()
    except OSError as exc:
        warn_once(f"could not read your progress file {path} ({exc.strerror or exc}); progress is not shown.")
        return Progress()
    try:
        return _parse(text)
    except ValueError as exc:
        backup = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, backup)
            kept = f"kept as {backup.name}"
        except OSError:
            kept = "left as it was"
        warn_once(f"your progress file {path} could not be read ({str(exc).splitlines()[0]}); "
                  f"it was {kept} and a new one is started.")
        return Progress()


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename): never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record(exercise_id: str, verdict: str, when: datetime | None = None, path: Path | None = None) -> None:
    """Add one check, ``(exercise_id, verdict, time)``, to the progress file. Never raises.

    An untouched exercise (verdict "not answered", e.g. from *Run All*) is no attempt and is not kept.
    """
    if verdict == NOT_ANSWERED:
        return
    try:
        path = progress_path() if path is None else Path(path)
        stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="seconds")
        progress = load(path)
        progress.checks.append({"id": exercise_id, "verdict": verdict, "time": stamp})
        if verdict == CORRECT:
            progress.solved.setdefault(exercise_id, stamp)
        _write(path, progress.to_json())
    except OSError as exc:  # progress never stops a lesson
        warn_once(f"could not save your progress in {path} ({exc.strerror or exc}); the lesson goes on. "
                  f"Set {PROGRESS_ENV} to a file you can write to keep it.")
    except Exception as exc:  # noqa: BLE001
        warn_once(f"could not save your progress ({type(exc).__name__}: {exc}); the lesson goes on.")
