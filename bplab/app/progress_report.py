"""``bplab progress [DIR]``: which exercises are solved, per notebook, read from the learner's progress file.

The file is found as the notebooks find it (:func:`bplab.exercises.progress.progress_path`):
``$BPLAB_PROGRESS``, else the course folder around the working directory; here also the course
folder named on the command line, or the default ``./bplab-course``. Reading only: nothing is
written, nothing is sent anywhere. The exercise registry is imported when the command runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO


class ProgressCommandError(Exception):
    """A course folder that cannot be read; the message says what to give instead."""


def progress_file(folder: str | None, default_folder: str, cwd: Path | None = None) -> tuple[Path, str]:
    """The progress file to show, and a note on where it was found (empty when nothing needs saying)."""
    from bplab.exercises import progress

    cwd = Path.cwd() if cwd is None else cwd
    if folder is not None:
        chosen = Path(folder).expanduser()
        if chosen.is_file() and chosen.suffix == ".json":
            return chosen, ""
        if not chosen.is_dir():
            raise ProgressCommandError(f"DIR: expected your course folder (made by bplab copy or bplab lab), but "
                                       f"{chosen} is not a folder. Example: bplab progress ./{default_folder}")
        note = "" if (chosen / progress.MANIFEST_NAME).is_file() else (
            f"note: {chosen} has no {progress.MANIFEST_NAME}, so it is not a course folder made by bplab copy; "
            "the notebooks there record progress elsewhere")
        return chosen / progress.PROGRESS_NAME, note
    if os.environ.get(progress.PROGRESS_ENV, "").strip():
        return progress.progress_path(cwd), ""
    if progress.course_folder(cwd) is None and (cwd / default_folder / progress.MANIFEST_NAME).is_file():
        return cwd / default_folder / progress.PROGRESS_NAME, ""
    return progress.progress_path(cwd), ""


def run(folder: str | None, out: TextIO, default_folder: str = "bplab-course") -> int:
    """Print the progress view; 0 on success (2, with the reason, for a folder that is not one)."""
    import sys

    from bplab.exercises import show_progress

    try:
        path, note = progress_file(folder, default_folder)
    except ProgressCommandError as exc:
        print(f"bplab progress: error: {exc}", file=sys.stderr)
        return 2
    if note:
        print(note, file=out)
    print(repr(show_progress(path)), file=out)
    return 0
