"""Copy the shipped course into a learner's folder without ever losing the learner's work.

The folder keeps a manifest (:mod:`bplab.app.manifest`): the SHA-256 of each file as bplab wrote
it, and of the shipped version each copy was made from. On a later copy a file that still matches
what bplab wrote is bplab's and is updated; a file that differs is the learner's and stays as it
is. Beside it the shipped version is written as ``NAME.new.ipynb`` only when the course changed
since the learner's copy was made (the command says so); when it did not, nothing is written and
nothing alarming said. ``reset`` restores one notebook after saving the learner's version as a
timestamped backup, and removes the ``.new`` versions bplab left beside it (those the learner
edited stay). Files are written atomically with the permissions ``open()`` would give (the
umask); every filesystem error names the learner's path and says what to do
(:mod:`bplab.app.safe_files`). Standard library only.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from bplab.app.course import course_dir, list_course_files
from bplab.app.hints import bplab_command
from bplab.app.manifest import MANIFEST_NAME, Manifest, read_manifest, write_manifest
from bplab.app.safe_files import CourseCopyError, describe, move, read_bytes, remove, sha256_of, write_atomic

__all__ = [
    "MANIFEST_NAME",
    "CopyReport",
    "CourseCopyError",
    "ResetReport",
    "copy_course",
    "find_notebook",
    "read_manifest",
    "reset_notebook",
    "sha256_of",
    "write_manifest",
]


@dataclass
class CopyReport:
    """What a copy did, file by file (relative POSIX paths)."""

    folder: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the learner's edits; the course did not change: nothing written
    offered: list[tuple[str, str]] = field(default_factory=list)  # (learner's file, new shipped version beside it)

    def lines(self) -> list[str]:
        """Human-readable lines: one per notebook with a new version beside it, then a summary."""
        out = [
            f"kept your edited {mine}; the course changed since your copy, so its new version is beside it: {new}"
            for mine, new in self.offered
        ]
        edited = len(self.kept) + len(self.offered)
        total = len(self.added) + len(self.updated) + len(self.unchanged) + edited
        out.append(
            f"{total} course files in {self.folder}: {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{edited} kept as you edited them"
        )
        return out


@dataclass
class ResetReport:
    """What a reset did: the notebook restored, where the learner's version was saved, the ``.new`` files handled."""

    notebook: str
    backup: str | None
    removed: list[str] = field(default_factory=list)  # stale .new versions bplab had written
    left: list[str] = field(default_factory=list)  # .new versions the learner edited: kept

    def lines(self) -> list[str]:
        """Human-readable lines."""
        if self.backup is None:
            out = [f"restored {self.notebook} from the shipped course (nothing of yours to back up)"]
        else:
            out = [
                f"saved your version of {self.notebook} as {self.backup}",
                f"restored {self.notebook} from the shipped course",
            ]
        out += [f"removed {name}: an older copy bplab had put beside it, not needed any more" for name in self.removed]
        out += [f"left {name} as it is, since you changed it; delete it once you no longer need it" for name in self.left]
        return out


def _check_folder(folder: Path) -> Path:
    """The course folder as an absolute path; creates it; clear errors when it cannot be one."""
    folder = Path(folder).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise CourseCopyError(
            f"DIR: expected a folder for the course, but {folder} is a file. "
            f"Choose another name, e.g. {bplab_command('copy', './bplab-course')}"
        )
    for parent in folder.parents:
        if parent.exists() and not parent.is_dir():
            raise CourseCopyError(
                f"DIR: {parent} is a file, so {folder} cannot be created there. "
                f"Choose another folder, e.g. {bplab_command('copy', './bplab-course')}"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise describe(exc, folder, f"create the course folder {folder}") from None
    return folder


def _sibling(relative: str, tag: str) -> str:
    """``a/b.ipynb`` with ``tag`` before the suffix: ``a/b.<tag>.ipynb``."""
    path = PurePosixPath(relative)
    return str(path.with_name(f"{path.stem}.{tag}{path.suffix}"))


def _free_sibling(
    folder: Path, relative: str, tag: str, reusable: Callable[[Path], bool] = lambda path: False
) -> str:
    """A sibling name with ``tag`` where writing destroys nothing of the learner's.

    The first candidate is ``name.<tag>.ext``; when that exists and ``reusable(path)`` says it
    may not be replaced, a counter is added (``name.<tag>-2.ext``, ...).
    """
    candidate = _sibling(relative, tag)
    counter = 2
    while (folder / candidate).exists() and not reusable(folder / candidate):
        candidate = _sibling(relative, f"{tag}-{counter}")
        counter += 1
    return candidate


def _is_new_version_of(name: str, relative: str) -> bool:
    """True for ``a/b.new.ipynb`` and ``a/b.new-2.ipynb`` (...) when ``relative`` is ``a/b.ipynb``."""
    path, original = PurePosixPath(name), PurePosixPath(relative)
    pattern = re.escape(original.stem) + r"\.new(-\d+)?" + re.escape(original.suffix)
    return path.parent == original.parent and re.fullmatch(pattern, path.name) is not None


def _write_beside(folder: Path, relative: str, shipped: bytes, manifest: Manifest) -> str:
    """Write the shipped version next to the learner's file as ``name.new.ext``; its relative path.

    An existing ``.new`` file is replaced only if bplab wrote it and nobody changed it since
    (its hash is in the manifest) or it already holds these bytes; otherwise a free
    ``name.new-2.ext`` (``-3``, ...) is used.
    """
    shipped_hash = hashlib.sha256(shipped).hexdigest()

    def reusable(path: Path) -> bool:
        digest = sha256_of(path)
        return digest == shipped_hash or digest == manifest.files.get(path.relative_to(folder).as_posix())

    new_name = _free_sibling(folder, relative, "new", reusable=reusable)
    target = folder / new_name
    if not target.exists() or sha256_of(target) != shipped_hash:
        write_atomic(target, shipped)
    manifest.files[new_name] = shipped_hash  # bplab's until someone edits it
    return new_name


def _already_offered(folder: Path, relative: str, manifest: Manifest, shipped_hash: str) -> bool:
    """True when the learner's copy of ``relative`` was made from this shipped version, or was offered it.

    Offered: the ``.new`` file bplab wrote beside it still holds exactly this version (how a
    folder copied by bplab 0.1.0, whose manifest has no ``shipped`` map, shows it).
    """
    if manifest.shipped_at_copy(relative) == shipped_hash:
        return True
    new_name = _sibling(relative, "new")
    new_path = folder / new_name
    return (
        manifest.files.get(new_name) == shipped_hash and new_path.is_file() and sha256_of(new_path) == shipped_hash
    )


def copy_course(folder: Path, source: Path | None = None, version: str | None = None) -> CopyReport:
    """Copy every shipped course file into ``folder``; never overwrite a file the learner changed.

    ``source`` defaults to the shipped course (:func:`bplab.app.course.course_dir`). A learner's
    changed file stays as it is; the shipped version is written beside it as ``*.new.*`` only
    when the course changed since the learner's copy was made.
    """
    folder = _check_folder(folder)
    source = course_dir() if source is None else Path(source)
    version = version or _bplab_version()
    manifest = read_manifest(folder)
    report = CopyReport(folder=folder)
    for relative in list_course_files(source):
        shipped = read_bytes(source / relative)
        shipped_hash = hashlib.sha256(shipped).hexdigest()
        target = folder / relative
        if target.exists() and not target.is_file():
            raise CourseCopyError(
                f"{target} is a folder, but the course has a file there. Rename that folder and "
                f"run {bplab_command('copy', str(folder))} again."
            )
        if not target.exists():
            write_atomic(target, shipped)
            manifest.record(relative, shipped_hash, shipped_hash)
            report.added.append(relative)
            continue
        current_hash = sha256_of(target)
        if current_hash == shipped_hash:
            manifest.record(relative, shipped_hash, shipped_hash)
            report.unchanged.append(relative)
        elif manifest.files.get(relative) == current_hash:
            # Still exactly what bplab copied last time: bplab's to update.
            write_atomic(target, shipped)
            manifest.record(relative, shipped_hash, shipped_hash)
            report.updated.append(relative)
        elif _already_offered(folder, relative, manifest, shipped_hash):
            # The learner's, and the course has nothing new for it: write nothing.
            manifest.record(relative, None, shipped_hash)
            report.kept.append(relative)
        else:
            # The learner's, and the course changed since: the new version goes beside it.
            report.offered.append((relative, _write_beside(folder, relative, shipped, manifest)))
            manifest.record(relative, None, shipped_hash)
    write_manifest(folder, manifest, version)
    return report


def find_notebook(name: str, available: list[str]) -> str:
    """The course path that ``name`` means: an exact path, a path without ``.ipynb``, or a unique file name.

    Raises :class:`CourseCopyError` listing close matches when there is none, or the candidates
    when the name is ambiguous.
    """
    wanted = name.replace("\\", "/").strip()
    while wanted.startswith("./"):
        wanted = wanted[2:]
    variants = [wanted] if wanted.endswith(".ipynb") else [wanted, wanted + ".ipynb"]
    for variant in variants:
        if variant in available:
            return variant
    by_file = [path for path in available if PurePosixPath(path).name in variants]
    if len(by_file) == 1:
        return by_file[0]
    if by_file:  # two or more: a single one was returned above
        raise CourseCopyError(
            f"NOTEBOOK: {name!r} names {len(by_file)} notebooks: {', '.join(by_file)}. "
            "Give the path inside the course, e.g. " + by_file[0]
        )
    names = list(dict.fromkeys(available + sorted({PurePosixPath(path).name for path in available})))  # no repeats
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    listing = "" if close else f" The course has: {', '.join(available) or '(no notebooks)'}."
    raise CourseCopyError(f"NOTEBOOK: {name!r} is not a notebook of the course.{hint}{listing}")


def _clear_new_versions(folder: Path, relative: str, manifest: Manifest, shipped_hash: str) -> tuple[list[str], list[str]]:
    """Remove the ``.new`` versions of ``relative`` that bplab wrote and nobody changed; (removed, left).

    A ``.new`` file that holds the shipped version itself is removed too (nothing is lost: the
    restored notebook has the same bytes); one the learner changed is left, and reported.
    """
    candidates = {_sibling(relative, "new")} | {name for name in manifest.files if _is_new_version_of(name, relative)}
    removed, left = [], []
    for name in sorted(candidates):
        path = folder / name
        if not path.is_file():
            manifest.forget(name)
            continue
        digest = sha256_of(path)
        if digest in (shipped_hash, manifest.files.get(name)):
            remove(path)
            manifest.forget(name)
            removed.append(name)
        else:
            left.append(name)
    return removed, left


def reset_notebook(
    folder: Path, name: str, source: Path | None = None, version: str | None = None, now: datetime | None = None
) -> ResetReport:
    """Restore one notebook from the shipped course, saving the learner's version as a backup first.

    The backup is ``name.backup-YYYYMMDD-HHMMSS.ipynb`` beside the notebook (never overwriting
    anything). The ``name.new.ipynb`` versions bplab had written beside it are removed, unless
    the learner changed them. Raises :class:`CourseCopyError` for a name that is not in the course.
    """
    source = course_dir() if source is None else Path(source)
    relative = find_notebook(name, [path for path in list_course_files(source) if path.endswith(".ipynb")])
    folder = _check_folder(folder)
    version = version or _bplab_version()
    shipped = read_bytes(source / relative)
    shipped_hash = hashlib.sha256(shipped).hexdigest()
    target = folder / relative
    backup: str | None = None
    if target.is_dir():
        raise CourseCopyError(f"{target} is a folder, not a notebook. Rename it and run the reset again.")
    if target.exists() and sha256_of(target) != shipped_hash:
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = _free_sibling(folder, relative, f"backup-{stamp}")
        move(target, folder / backup)  # a rename: the learner's bytes are never rewritten
    write_atomic(target, shipped)
    manifest = read_manifest(folder)
    removed, left = _clear_new_versions(folder, relative, manifest, shipped_hash)
    manifest.record(relative, shipped_hash, shipped_hash)
    write_manifest(folder, manifest, version)
    return ResetReport(notebook=relative, backup=backup, removed=removed, left=left)


def _bplab_version() -> str:
    """The running bplab's version."""
    from bplab.version import __version__

    return __version__
