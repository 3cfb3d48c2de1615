"""Copy the shipped course into a learner's folder without ever losing the learner's work.

The folder keeps a manifest, ``.bplab-manifest.json``, with the SHA-256 of each file as it was
copied. On a later copy a file whose content still matches the manifest is bplab's and is
updated; a file that differs is the learner's: it stays, and the shipped version is written
beside it (``name.new.ipynb``). ``reset`` restores one notebook after saving the learner's
version as a timestamped backup. Standard library only.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from bplab.app.course import course_dir, list_course_files

MANIFEST_NAME = ".bplab-manifest.json"
MANIFEST_FORMAT = 1


class CourseCopyError(Exception):
    """A copy or reset that cannot go ahead; the message says why and what to do."""


@dataclass
class CopyReport:
    """What a copy did, file by file (relative POSIX paths)."""

    folder: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (learner's file, shipped copy beside it)

    def lines(self) -> list[str]:
        """Human-readable lines: one per kept file, then a summary."""
        out = [
            f"kept your edited {mine}; the shipped version is beside it: {new}"
            for mine, new in self.kept
        ]
        total = len(self.added) + len(self.updated) + len(self.unchanged) + len(self.kept)
        out.append(
            f"{total} course files in {self.folder}: {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.kept)} kept as you edited them"
        )
        return out


@dataclass
class ResetReport:
    """What a reset did: the notebook restored and where the learner's version was saved."""

    notebook: str
    backup: str | None

    def lines(self) -> list[str]:
        """Human-readable lines."""
        if self.backup is None:
            return [f"restored {self.notebook} from the shipped course (nothing of yours to back up)"]
        return [
            f"saved your version of {self.notebook} as {self.backup}",
            f"restored {self.notebook} from the shipped course",
        ]


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename (no half-written file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _check_folder(folder: Path) -> Path:
    """The course folder as an absolute path; creates it; clear errors when it cannot be one."""
    folder = Path(folder).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise CourseCopyError(
            f"DIR: expected a folder for the course, but {folder} is a file. "
            "Choose another name, e.g. bplab copy ./bplab-course"
        )
    for parent in folder.parents:
        if parent.exists() and not parent.is_dir():
            raise CourseCopyError(f"DIR: {parent} is a file, so {folder} cannot be created there.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CourseCopyError(f"DIR: cannot create {folder}: {exc.strerror}") from None
    return folder


def read_manifest(folder: Path) -> dict[str, str]:
    """The recorded SHA-256 of each copied file (empty when there is no readable manifest)."""
    path = Path(folder) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        # An unreadable manifest: trust nothing, so every differing file counts as the learner's.
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(name): str(digest) for name, digest in files.items()}


def write_manifest(folder: Path, files: dict[str, str], version: str) -> None:
    """Record the SHA-256 of each copied file (atomically)."""
    payload = {"format": MANIFEST_FORMAT, "bplab_version": version, "files": dict(sorted(files.items()))}
    _write_atomic(Path(folder) / MANIFEST_NAME, (json.dumps(payload, indent=1) + "\n").encode("utf-8"))


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


def _write_beside(folder: Path, relative: str, shipped: bytes, manifest: dict[str, str]) -> str:
    """Write the shipped version next to the learner's file as ``name.new.ext``; its relative path.

    An existing ``.new`` file is replaced only if bplab wrote it and nobody changed it since
    (its hash is in the manifest) or it already holds these bytes; otherwise a free
    ``name.new-2.ext`` (``-3``, ...) is used.
    """
    shipped_hash = hashlib.sha256(shipped).hexdigest()

    def reusable(path: Path) -> bool:
        digest = sha256_of(path)
        return digest == shipped_hash or digest == manifest.get(path.relative_to(folder).as_posix())

    new_name = _free_sibling(folder, relative, "new", reusable=reusable)
    target = folder / new_name
    if not target.exists() or sha256_of(target) != shipped_hash:
        _write_atomic(target, shipped)
    manifest[new_name] = shipped_hash
    return new_name


def copy_course(folder: Path, source: Path | None = None, version: str | None = None) -> CopyReport:
    """Copy every shipped course file into ``folder``; never overwrite a file the learner changed.

    ``source`` defaults to the shipped course (:func:`bplab.app.course.course_dir`). A learner's
    changed file stays as it is and the shipped version is written beside it as ``*.new.*``.
    """
    folder = _check_folder(folder)
    source = course_dir() if source is None else Path(source)
    version = version or _bplab_version()
    manifest = read_manifest(folder)
    report = CopyReport(folder=folder)
    for relative in list_course_files(source):
        shipped = (source / relative).read_bytes()
        shipped_hash = hashlib.sha256(shipped).hexdigest()
        target = folder / relative
        if target.exists() and not target.is_file():
            raise CourseCopyError(
                f"{target} is a folder, but the course has a file there. Rename that folder and "
                "run bplab copy again."
            )
        if not target.exists():
            _write_atomic(target, shipped)
            manifest[relative] = shipped_hash
            report.added.append(relative)
            continue
        current_hash = sha256_of(target)
        if current_hash == shipped_hash:
            manifest[relative] = shipped_hash
            report.unchanged.append(relative)
        elif manifest.get(relative) == current_hash:
            # Still exactly what bplab copied last time: bplab's to update.
            _write_atomic(target, shipped)
            manifest[relative] = shipped_hash
            report.updated.append(relative)
        else:
            # The learner's: leave it; write the shipped version beside it.
            report.kept.append((relative, _write_beside(folder, relative, shipped, manifest)))
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
    if len(by_file) > 1:
        raise CourseCopyError(
            f"NOTEBOOK: {name!r} names {len(by_file)} notebooks: {', '.join(by_file)}. "
            "Give the path inside the course, e.g. " + by_file[0]
        )
    names = available + sorted({PurePosixPath(path).name for path in available})
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    listing = "" if close else f" The course has: {', '.join(available) or '(no notebooks)'}."
    raise CourseCopyError(f"NOTEBOOK: {name!r} is not a notebook of the course.{hint}{listing}")


def reset_notebook(
    folder: Path, name: str, source: Path | None = None, version: str | None = None, now: datetime | None = None
) -> ResetReport:
    """Restore one notebook from the shipped course, saving the learner's version as a backup first.

    The backup is ``name.backup-YYYYMMDD-HHMMSS.ipynb`` beside the notebook (never overwriting
    anything). Raises :class:`CourseCopyError` for a name that is not in the course.
    """
    source = course_dir() if source is None else Path(source)
    relative = find_notebook(name, [path for path in list_course_files(source) if path.endswith(".ipynb")])
    folder = _check_folder(folder)
    version = version or _bplab_version()
    shipped = (source / relative).read_bytes()
    target = folder / relative
    backup: str | None = None
    if target.is_dir():
        raise CourseCopyError(f"{target} is a folder, not a notebook. Rename it and run the reset again.")
    if target.exists() and target.read_bytes() != shipped:
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = _free_sibling(folder, relative, f"backup-{stamp}")
        os.replace(target, folder / backup)  # a rename: the learner's bytes are never rewritten
    _write_atomic(target, shipped)
    manifest = read_manifest(folder)
    manifest[relative] = hashlib.sha256(shipped).hexdigest()
    write_manifest(folder, manifest, version)
    return ResetReport(notebook=relative, backup=backup)


def _bplab_version() -> str:
    """The running bplab's version."""
    from bplab.version import __version__

    return __version__
