"""Where the course's notebooks are: the same answer in a wheel and in an editable install.

A wheel carries the repository's ``notebooks/`` folder as package data, at
``bplab/app/notebooks/`` (``force-include`` in pyproject.toml). An editable install has no such
folder: there the course is the repository's ``notebooks/``, beside the ``bplab`` package.
Standard library only.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

START_PAGE = "00_start_here.ipynb"
SKIPPED_DIRS = frozenset({".ipynb_checkpoints", "__pycache__"})


class CourseNotFoundError(FileNotFoundError):
    """Neither the packaged course nor the repository's notebooks/ folder exists."""


def course_dir() -> Path:
    """The folder holding the shipped course (wheel: ``bplab/app/notebooks``; editable: ``notebooks/``).

    Raises :class:`CourseNotFoundError`, saying where it looked, when neither exists.
    """
    packaged = Path(str(importlib.resources.files("bplab.app"))) / "notebooks"
    if packaged.is_dir():
        return packaged
    package_dir = Path(str(importlib.resources.files("bplab")))
    beside = package_dir.parent / "notebooks"
    if beside.is_dir():
        return beside
    raise CourseNotFoundError(
        f"bplab's notebooks were not found: looked for {packaged} (a wheel install) "
        f"and {beside} (an editable install of the repository). Reinstall bplab "
        "(pip install --force-reinstall bplab) or, from a clone, pip install -e ."
    )


def _is_skipped(relative: Path) -> bool:
    """True for files inside checkpoint/cache folders and for hidden files or folders."""
    return any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts)


def list_course_files(root: Path | None = None) -> list[str]:
    """Relative POSIX paths of every file the course ships (notebooks and what they use), sorted.

    Hidden files and ``.ipynb_checkpoints``/``__pycache__`` folders are left out.
    """
    base = course_dir() if root is None else Path(root)
    found = []
    for path in base.rglob("*"):
        relative = path.relative_to(base)
        if path.is_file() and not _is_skipped(relative):
            found.append(relative.as_posix())
    return sorted(found)


def list_notebooks(root: Path | None = None) -> list[str]:
    """Relative POSIX paths of all shipped ``.ipynb`` files (checkpoints skipped), sorted."""
    return [name for name in list_course_files(root) if name.endswith(".ipynb")]
