"""File operations on the learner's course folder: atomic, umask-honouring, and clear when they fail.

- :func:`write_atomic` writes through a temporary file in the same folder and a rename, so no
  half-written notebook is ever left behind. ``mkstemp`` creates that temporary file as 0600;
  before the rename it gets the mode a plain ``open()`` would have given: ``0o666 & ~umask`` for
  a new file (a shared class folder stays readable where the umask says so), the file's own
  mode when an existing file is replaced.
- Every :class:`OSError` becomes a :class:`CourseCopyError` whose message names the learner's
  path (never the temporary file), the reason, and what to do about it.

Standard library only.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from bplab.app.hints import bplab_command, shell_word


class CourseCopyError(Exception):
    """A copy or reset that cannot go ahead; the message says why and what to do."""


def current_umask() -> int:
    """This process's umask (read from /proc where it can be, so it is never changed even briefly)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # pragma: no mutate (any codec reads ASCII)
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # pragma: no mutate (any mask set for this instant is put back at once)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The permission bits ``open()`` gives a new file: ``0o666`` less the umask."""
    return 0o666 & ~current_umask()


def fix_for(exc: OSError, path: Path) -> str:
    """What the learner can do about ``exc`` raised for ``path`` (one or two sentences)."""
    folder = path.parent
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"Your user may not do that there. Check who owns it (ls -ld {shell_word(str(folder))}) "
            f"and give yourself access (chmod u+rwx {shell_word(str(folder))}"
            + (f"; chmod u+rw {shell_word(str(path))}" if os.path.isfile(path) else "")
            + f"), or use a course folder of your own: {bplab_command('copy', '~/bplab-course')}"
        )
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):  # pragma: no mutate (the default: no EDQUOT)
        return "The disk (or your quota) is full: free some space, then run the command again."
    if code == errno.EROFS:
        return f"That folder is on a read-only disk: use a course folder you can write to, e.g. {bplab_command('copy', '~/bplab-course')}"
    if code == errno.ENOENT:
        return f"{folder} vanished while bplab was working (moved by another program?): run the command again."
    if code in (errno.ENOTDIR, errno.EISDIR):
        return "A file stands where a folder should be, or a folder where a file should be: rename it, then run the command again."
    return "Check that the folder exists and that you may write in it, then run the command again."


def describe(exc: OSError, path: Path, action: str = "") -> CourseCopyError:
    """A :class:`CourseCopyError`: ``cannot <action>: <reason>. <fix>`` (``action`` defaults to ``write <path>``)."""
    reason = exc.strerror or type(exc).__name__
    return CourseCopyError(f"cannot {action or f'write {path}'}: {reason}. {fix_for(exc, Path(path))}")


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (raises :class:`CourseCopyError` naming ``path`` if unreadable)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):  # pragma: no mutate (any block size, one digest)
                digest.update(block)
    except OSError as exc:
        raise describe(exc, Path(path), f"read {path}") from None
    return digest.hexdigest()


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path`` (raises :class:`CourseCopyError` naming it if unreadable)."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise describe(exc, Path(path), f"read {path}") from None


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename, with ``open()``'s permissions.

    Raises :class:`CourseCopyError` naming ``target`` (never the temporary file) on any failure,
    and leaves no temporary file behind.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise describe(exc, target.parent, f"create the folder {target.parent}") from None
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = new_file_mode()
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise describe(exc, target) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)  # pragma: no mutate (the temporary file exists here)
        raise describe(exc, target) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def move(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target`` (the bytes are never rewritten); clear error naming both."""
    try:
        os.replace(source, target)
    except OSError as exc:
        raise describe(exc, Path(source), f"move {source} to {target}") from None


def remove(path: Path) -> None:
    """Delete the file ``path`` (gone already is fine); clear error naming it."""
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as exc:
        raise describe(exc, Path(path), f"remove {path}") from None
