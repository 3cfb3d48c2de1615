"""Course copies that behave: a ``.new`` file only when the course changed, ``--reset`` clears it,
modes follow the umask, filesystem errors name the learner's path, old manifests keep working."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import stat
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import bplab.app.course_copy
from bplab.app import cli
from bplab.app.course_copy import MANIFEST_NAME, copy_course, reset_notebook
from bplab.app.hints import bplab_command
from bplab.app.safe_files import CourseCopyError, current_umask

ONE_WEIGHT = "2_high_school/03_one_weight_network.ipynb"
NEW = "2_high_school/03_one_weight_network.new.ipynb"


def notebook(text: str) -> bytes:
    """A small valid notebook whose one markdown cell says ``text``."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [text]}]
    return (json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n").encode()


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in shipped course, used by the copy code in place of bplab's own."""
    source = tmp_path / "shipped"
    (source / "2_high_school").mkdir(parents=True)
    (source / "00_start_here.ipynb").write_bytes(notebook("start here v1"))
    (source / ONE_WEIGHT).write_bytes(notebook("one weight v1"))
    monkeypatch.setattr(bplab.app.course_copy, "course_dir", lambda: source)
    return source


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "course"


def run(*argv: str) -> tuple[int, str]:
    """``bplab ARGV`` in this process: (exit code, stdout)."""
    out = io.StringIO()
    return cli.main(list(argv), out=out), out.getvalue()


def ship(source: Path, text: str) -> None:
    """A new release of the one-weight notebook."""
    (source / ONE_WEIGHT).write_bytes(notebook(text))


# --- a .new file only when the course changed -------------------------------------------------


def test_no_new_file_while_the_course_did_not_change(shipped: Path, folder: Path) -> None:
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    for _ in range(3):
        code, said = run("copy", str(folder))
        assert code == 0
        assert not (folder / NEW).exists()
        assert "kept your edited" not in said and "changed since" not in said and ".new." not in said
        assert "1 kept as you edited them" in said
    assert (folder / ONE_WEIGHT).read_bytes() == notebook("my notes")


def test_a_changed_course_is_offered_once_beside_the_edited_notebook(shipped: Path, folder: Path) -> None:
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    ship(shipped, "one weight v2")
    code, said = run("copy", str(folder))
    assert code == 0
    assert (folder / ONE_WEIGHT).read_bytes() == notebook("my notes")  # never overwritten
    assert (folder / NEW).read_bytes() == notebook("one weight v2")
    assert f"kept your edited {ONE_WEIGHT}; the course changed since your copy" in said and NEW in said

    # Told once: the next copies of the same course stay quiet, and a .new the learner deleted stays deleted.
    code, said = run("copy", str(folder))
    assert "changed since" not in said and (folder / NEW).exists()
    (folder / NEW).unlink()
    code, said = run("copy", str(folder))
    assert "changed since" not in said and not (folder / NEW).exists()

    # A further release is offered again, in the same place.
    ship(shipped, "one weight v3")
    code, said = run("copy", str(folder))
    assert (folder / NEW).read_bytes() == notebook("one weight v3")
    assert "changed since your copy" in said


def test_an_untouched_new_file_is_refreshed_by_the_next_release(shipped: Path, folder: Path) -> None:
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    ship(shipped, "v2")
    run("copy", str(folder))
    ship(shipped, "v3")
    run("copy", str(folder))
    assert (folder / NEW).read_bytes() == notebook("v3")
    assert not (folder / "2_high_school" / "03_one_weight_network.new-2.ipynb").exists()


# --- --reset removes the stale .new file --------------------------------------------------------


def test_reset_removes_the_new_file_bplab_wrote(shipped: Path, folder: Path) -> None:
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    ship(shipped, "v2")
    run("copy", str(folder))
    assert (folder / NEW).exists()
    code, said = run("copy", str(folder), "--reset", ONE_WEIGHT)
    assert code == 0
    assert not (folder / NEW).exists()
    assert f"removed {NEW}" in said
    assert (folder / ONE_WEIGHT).read_bytes() == notebook("v2")
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert NEW not in manifest["files"] and NEW not in manifest["shipped"]
    code, said = run("copy", str(folder))
    assert "0 kept as you edited them" in said and not (folder / NEW).exists()


def test_reset_keeps_a_new_file_the_learner_edited(shipped: Path, folder: Path) -> None:
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    ship(shipped, "v2")
    run("copy", str(folder))
    (folder / NEW).write_bytes(notebook("merged by hand"))
    code, said = run("copy", str(folder), "--reset", ONE_WEIGHT)
    assert code == 0
    assert (folder / NEW).read_bytes() == notebook("merged by hand")
    assert f"left {NEW} as it is, since you changed it" in said


# --- manifests written by bplab 0.1.0 (format 1: "files" only) ----------------------------------


def format_1_manifest(folder: Path, files: dict[str, bytes]) -> None:
    """The manifest the previous version wrote: the hash of each file as it copied it."""
    import hashlib

    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    payload = {"format": 1, "bplab_version": "0.1.0", "files": hashes}
    (folder / MANIFEST_NAME).write_text(json.dumps(payload, indent=1) + "\n")


def test_a_folder_copied_by_the_previous_version_is_quiet_when_nothing_changed(shipped: Path, folder: Path) -> None:
    (folder / "2_high_school").mkdir(parents=True)
    (folder / "00_start_here.ipynb").write_bytes(notebook("start here v1"))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    format_1_manifest(folder, {"00_start_here.ipynb": notebook("start here v1"), ONE_WEIGHT: notebook("one weight v1")})
    code, said = run("copy", str(folder))
    assert code == 0, said
    assert not (folder / NEW).exists() and "changed since" not in said
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert manifest["format"] == 2 and ONE_WEIGHT in manifest["shipped"]


def test_a_folder_copied_by_the_previous_version_with_a_new_file_is_not_told_twice(shipped: Path, folder: Path) -> None:
    ship(shipped, "v2")
    (folder / "2_high_school").mkdir(parents=True)
    (folder / "00_start_here.ipynb").write_bytes(notebook("start here v1"))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    (folder / NEW).write_bytes(notebook("v2"))  # what 0.1.0 wrote beside it
    format_1_manifest(
        folder, {"00_start_here.ipynb": notebook("start here v1"), ONE_WEIGHT: notebook("one weight v1"), NEW: notebook("v2")}
    )
    code, said = run("copy", str(folder))
    assert code == 0 and "changed since" not in said
    assert sorted(p.name for p in (folder / "2_high_school").iterdir()) == [
        "03_one_weight_network.ipynb",
        "03_one_weight_network.new.ipynb",
    ]


@pytest.mark.parametrize("learner_did", ["deleted", "edited"])
def test_a_folder_copied_by_the_previous_version_is_offered_again_a_new_file_that_no_longer_holds_it(
    shipped: Path, folder: Path, learner_did: str
) -> None:
    ship(shipped, "v2")
    (folder / "2_high_school").mkdir(parents=True)
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    if learner_did == "edited":
        (folder / NEW).write_bytes(notebook("v2 with my notes"))
    # 0.1.0 wrote v2 beside the edited notebook and listed it; since then the learner deleted or edited it
    format_1_manifest(folder, {ONE_WEIGHT: notebook("one weight v1"), NEW: notebook("v2")})
    code, said = run("copy", str(folder))
    offered = NEW if learner_did == "deleted" else "2_high_school/03_one_weight_network.new-2.ipynb"
    assert code == 0 and f"so its new version is beside it: {offered}" in said
    assert (folder / offered).read_bytes() == notebook("v2")
    if learner_did == "edited":
        assert (folder / NEW).read_bytes() == notebook("v2 with my notes")


def test_a_folder_copied_by_the_previous_version_gets_a_real_update(shipped: Path, folder: Path) -> None:
    (folder / "2_high_school").mkdir(parents=True)
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    format_1_manifest(folder, {ONE_WEIGHT: notebook("one weight v1")})
    ship(shipped, "v2")
    code, said = run("copy", str(folder))
    assert (folder / NEW).read_bytes() == notebook("v2") and "changed since your copy" in said


# --- file modes follow the umask --------------------------------------------------------------


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set this process's umask for the test; restored afterwards."""
    original = os.umask(0o022)
    os.umask(original)
    yield os.umask
    os.umask(original)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_created_files_follow_the_umask(shipped: Path, folder: Path, umask, mask: int) -> None:
    umask(mask)
    assert current_umask() == mask
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    ship(shipped, "v2")
    run("copy", str(folder))
    expected = 0o666 & ~mask
    for name in ("00_start_here.ipynb", NEW, MANIFEST_NAME):  # all written by bplab
        assert mode(folder / name) == expected, (name, oct(mode(folder / name)))
    run("copy", str(folder), "--reset", ONE_WEIGHT)
    assert mode(folder / ONE_WEIGHT) == expected
    assert mode(folder / "2_high_school") == 0o777 & ~mask


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_an_updated_file_keeps_the_mode_it_had(shipped: Path, folder: Path, umask) -> None:
    umask(0o022)
    run("copy", str(folder))
    os.chmod(folder / ONE_WEIGHT, 0o660)  # e.g. an instructor shared it with a group
    ship(shipped, "v2")
    code, said = run("copy", str(folder))
    assert "1 updated" in said
    assert (folder / ONE_WEIGHT).read_bytes() == notebook("v2")
    assert mode(folder / ONE_WEIGHT) == 0o660


# --- filesystem errors name the learner's path and say what to do ----------------------------


def fail_renames(monkeypatch: pytest.MonkeyPatch, code: int, strerror: str) -> None:
    """Make every rename fail the way the OS reports it: naming the *temporary* file first."""

    def failing(source, target, *args, **kwargs):
        raise OSError(code, strerror, str(source), None, str(target))

    monkeypatch.setattr(os, "replace", failing)


def test_a_permission_error_during_reset_names_the_notebook_and_the_fix(
    shipped: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))
    fail_renames(monkeypatch, errno.EACCES, "Permission denied")
    code, _ = run("copy", str(folder), "--reset", ONE_WEIGHT)
    error = capsys.readouterr().err
    assert code == 2
    assert str(folder / ONE_WEIGHT) in error
    assert ".tmp" not in error
    assert "Permission denied" in error and "chmod" in error
    assert bplab_command("copy", "~/bplab-course") in error
    assert (folder / ONE_WEIGHT).read_bytes() == notebook("my notes")  # nothing of the learner's lost


def test_a_failed_write_names_the_target_never_the_temporary_file(
    shipped: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_renames(monkeypatch, errno.ENOSPC, "No space left on device")
    with pytest.raises(CourseCopyError) as failed:
        copy_course(folder)
    message = str(failed.value)
    assert str(folder / "00_start_here.ipynb") in message
    assert ".tmp" not in message and "free some space" in message
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")], "temporary files left behind"


def test_a_folder_that_cannot_be_written_names_it(
    shipped: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(CourseCopyError) as failed:
        reset_notebook(folder, ONE_WEIGHT)
    message = str(failed.value)
    assert f"cannot write {folder / ONE_WEIGHT}" in message and "chmod u+rwx" in message


def as_if_not_root(function: Callable[[], object]) -> object:
    """``function()``, where permission bits hold: as root, in a forked child without the capabilities that
    let root ignore them (Linux's CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH); its result comes back pickled."""
    if os.geteuid() != 0:
        return function()
    import ctypes
    import pickle
    import signal
    import traceback

    libc = ctypes.CDLL(None, use_errno=True)
    reader, writer = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork() in a process with threads (xdist's)
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and always exits at once
        status = 1
        try:
            signal.alarm(60)  # a child stuck (a lock held by another thread at the fork) ends, and the parent sees why
            os.close(reader)
            try:
                header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
                data = (ctypes.c_uint32 * 6)()  # two words of (effective, permitted, inheritable)
                if libc.capget(header, data) != 0:
                    raise OSError(ctypes.get_errno(), "capget")
                data[0] &= ~((1 << 1) | (1 << 2))  # effective: no DAC_OVERRIDE (1), no DAC_READ_SEARCH (2)
                if libc.capset(header, data) != 0:
                    raise OSError(ctypes.get_errno(), "capset")
                outcome = ("returned", function())
            except BaseException:  # noqa: BLE001 - sent to the parent, which raises it
                outcome = ("raised", traceback.format_exc())
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(pickle.dumps(outcome))
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        received = pipe.read()
    _, wait_status = os.waitpid(child, 0)
    if not received:
        raise AssertionError(f"the child without root's permission override sent nothing "
                             f"(exit code {os.waitstatus_to_exitcode(wait_status)})")
    kind, value = pickle.loads(received)
    if kind == "raised":
        raise AssertionError(f"the child without root's permission override raised:\n{value}")
    return value


LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux permission bits and capabilities")


@LINUX_ONLY
def test_as_if_not_root_really_respects_permission_bits(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        def try_to_write() -> str:
            try:
                (locked / "file").write_text("x")
            except PermissionError:
                return "refused"
            return "written"
        assert as_if_not_root(try_to_write) == "refused"
    finally:
        os.chmod(locked, 0o755)
    assert not (locked / "file").exists()


@LINUX_ONLY
def test_a_real_read_only_folder(shipped: Path, folder: Path) -> None:
    run("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook("my notes"))

    def reset_in_read_only_folder() -> tuple[int, str]:
        errors = io.StringIO()
        with contextlib.redirect_stderr(errors):
            code, _ = run("copy", str(folder), "--reset", ONE_WEIGHT)
        return code, errors.getvalue()

    os.chmod(folder / "2_high_school", 0o555)
    try:
        code, error = as_if_not_root(reset_in_read_only_folder)
    finally:
        os.chmod(folder / "2_high_school", 0o755)
    assert code == 2 and str(folder / ONE_WEIGHT) in error and ".tmp" not in error and "chmod" in error
    assert (folder / ONE_WEIGHT).read_bytes() == notebook("my notes")  # nothing the learner wrote is lost
