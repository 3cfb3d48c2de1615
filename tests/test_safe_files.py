"""What the course-copy file operations say when the file system refuses, word for word, for each cause.

The learner reads these messages when their course folder cannot be written; mutation testing
(bench/mutation.py) showed that most of them could change without any test noticing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from bplab.app import safe_files
from bplab.app.hints import bplab_command, shell_word
from bplab.app.safe_files import CourseCopyError, current_umask, describe, fix_for, new_file_mode


def refusal(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def test_the_umask_is_read_without_being_changed():
    mask = os.umask(0o027)
    try:
        assert current_umask() == 0o027
        assert new_file_mode() == 0o640
    finally:
        os.umask(mask)


def test_the_umask_is_read_from_proc_without_setting_it(monkeypatch):
    def never(*args):
        raise AssertionError("os.umask was called: for an instant every file would get that mask")

    mask = os.umask(0o027)
    try:
        monkeypatch.setattr(safe_files.os, "umask", never)
        assert current_umask() == 0o027
    finally:
        monkeypatch.undo()
        os.umask(mask)


def test_without_proc_the_umask_is_still_found(monkeypatch):
    def no_proc(*args, **kwargs):
        raise OSError(errno.ENOENT, "no /proc here")

    mask = os.umask(0o077)
    try:
        monkeypatch.setattr("builtins.open", no_proc)
        assert current_umask() == 0o077
        assert os.umask(0o077) == 0o077  # and it was put back
    finally:
        os.umask(mask)


def test_permission_denied_says_how_to_check_and_fix_it(tmp_path):
    existing = tmp_path / "a b" / "lesson.ipynb"
    existing.parent.mkdir()
    existing.write_text("{}")
    folder = shell_word(str(existing.parent))
    copy = bplab_command("copy", "~/bplab-course")
    assert fix_for(refusal(errno.EACCES), existing) == (
        f"Your user may not do that there. Check who owns it (ls -ld {folder}) and give yourself access "
        f"(chmod u+rwx {folder}; chmod u+rw {shell_word(str(existing))}), or use a course folder of your own: {copy}")
    missing = existing.parent / "new.ipynb"
    assert fix_for(refusal(errno.EPERM), missing) == (
        f"Your user may not do that there. Check who owns it (ls -ld {folder}) and give yourself access "
        f"(chmod u+rwx {folder}), or use a course folder of your own: {copy}")


@pytest.mark.parametrize("code, fix", [
    (errno.ENOSPC, "The disk (or your quota) is full: free some space, then run the command again."),
    (errno.EDQUOT, "The disk (or your quota) is full: free some space, then run the command again."),
    (errno.ENOTDIR, "A file stands where a folder should be, or a folder where a file should be: rename it, then "
                    "run the command again."),
    (errno.EISDIR, "A file stands where a folder should be, or a folder where a file should be: rename it, then "
                   "run the command again."),
    (errno.EIO, "Check that the folder exists and that you may write in it, then run the command again."),
])
def test_each_cause_has_its_fix(code, fix, tmp_path):
    assert fix_for(refusal(code), tmp_path / "lesson.ipynb") == fix


def test_a_read_only_disk_and_a_vanished_folder(tmp_path):
    assert fix_for(refusal(errno.EROFS), tmp_path / "x.ipynb") == (
        "That folder is on a read-only disk: use a course folder you can write to, e.g. "
        f"{bplab_command('copy', '~/bplab-course')}")
    assert fix_for(refusal(errno.ENOENT), tmp_path / "x.ipynb") == (
        f"{tmp_path} vanished while bplab was working (moved by another program?): run the command again.")


def test_describe_names_the_action_the_reason_and_the_fix(tmp_path):
    target = tmp_path / "lesson.ipynb"
    error = describe(refusal(errno.ENOSPC), target)
    assert isinstance(error, CourseCopyError)
    assert str(error) == (f"cannot write {target}: {os.strerror(errno.ENOSPC)}. The disk (or your quota) is full: "
                          "free some space, then run the command again.")
    assert str(describe(OSError(), target, "move a to b")).startswith("cannot move a to b: OSError. ")


def test_a_file_is_hashed_in_full(tmp_path):
    big = tmp_path / "big.bin"
    data = os.urandom(200_000)  # more than one 64 KiB block
    big.write_bytes(data)
    assert safe_files.sha256_of(big) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("operation", ["sha256_of", "read_bytes"])
def test_an_unreadable_file_is_named(operation, tmp_path):
    missing = tmp_path / "gone.ipynb"
    with pytest.raises(CourseCopyError) as info:
        getattr(safe_files, operation)(missing)
    assert str(info.value) == (f"cannot read {missing}: {os.strerror(errno.ENOENT)}. {tmp_path} vanished while "
                               "bplab was working (moved by another program?): run the command again.")


def test_write_atomic_keeps_an_existing_files_mode_and_gives_a_new_one_open_s(tmp_path):
    target = tmp_path / "deep" / "deeper" / "lesson.ipynb"  # folders made as needed
    safe_files.write_atomic(target, b"first")
    assert target.read_bytes() == b"first" and stat.S_IMODE(target.stat().st_mode) == new_file_mode()
    target.chmod(0o600)
    safe_files.write_atomic(target, b"second")
    assert target.read_bytes() == b"second" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["lesson.ipynb"]  # no temporary file left


def test_write_atomic_names_the_target_never_the_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "lesson.ipynb"

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(safe_files.os, "replace", full)
    with pytest.raises(CourseCopyError) as info:
        safe_files.write_atomic(target, b"data")
    assert str(info.value).startswith(f"cannot write {target}: {os.strerror(errno.ENOSPC)}. The disk")
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_write_atomic_cannot_make_its_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CourseCopyError) as info:
        safe_files.write_atomic(blocker / "sub" / "lesson.ipynb", b"x")
    assert str(info.value).startswith(f"cannot create the folder {blocker / 'sub'}: ")


def test_move_and_remove_name_their_paths(tmp_path):
    source, target = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    with pytest.raises(CourseCopyError) as info:
        safe_files.move(source, target)
    assert str(info.value).startswith(f"cannot move {source} to {target}: {os.strerror(errno.ENOENT)}. ")
    safe_files.remove(source)  # gone already is fine
    folder = tmp_path / "folder.ipynb"
    folder.mkdir()
    with pytest.raises(CourseCopyError) as info:
        safe_files.remove(folder)
    assert str(info.value).startswith(f"cannot remove {folder}: ")


def test_the_temporary_file_sits_beside_the_target_and_goes_on_any_interruption(tmp_path, monkeypatch):
    target = tmp_path / "lesson.ipynb"
    renamed = []
    real_replace = os.replace

    def replace(source, destination):
        renamed.append(Path(source))
        real_replace(source, destination)

    monkeypatch.setattr(safe_files.os, "replace", replace)
    safe_files.write_atomic(target, b"data")
    (temporary,) = renamed
    assert temporary.parent == tmp_path and temporary.name.startswith(".lesson.ipynb.") and temporary.suffix == ".tmp"

    def interrupted(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(safe_files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        safe_files.write_atomic(target, b"more")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.ipynb"] and target.read_bytes() == b"data"


def test_an_interruption_just_after_the_rename_is_still_reported_as_the_interruption(tmp_path, monkeypatch):
    target = tmp_path / "lesson.ipynb"
    real_replace = os.replace

    def renamed_then_interrupted(source, destination):
        real_replace(source, destination)  # the temporary file is gone: it is the target now
        raise KeyboardInterrupt  # Ctrl-C arriving before write_atomic returns

    monkeypatch.setattr(safe_files.os, "replace", renamed_then_interrupted)
    with pytest.raises(KeyboardInterrupt):  # not a FileNotFoundError about the temporary file
        safe_files.write_atomic(target, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.ipynb"] and target.read_bytes() == b"data"
