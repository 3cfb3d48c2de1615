"""What copying and resetting a course folder report and record, exactly, through a course's life.

Each step checks the report's lists, its lines as the learner reads them, and the manifest written:
mutation testing (bench/mutation.py) showed that a report or manifest entry could go wrong unseen.
"""

from __future__ import annotations

import errno
import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from bplab.app.course_copy import MANIFEST_NAME, copy_course, reset_notebook
from bplab.app.hints import bplab_command, shell_word
from bplab.app.safe_files import CourseCopyError

START, ONE = "00_start_here.ipynb", "2_high_school/03_one_weight_network.ipynb"
NEW, NEW_2, NEW_3 = (f"2_high_school/03_one_weight_network.{tag}.ipynb" for tag in ("new", "new-2", "new-3"))
NOW = datetime(2026, 11, 30, 9, 5, 7)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    shipped = tmp_path / "shipped"
    (shipped / "2_high_school").mkdir(parents=True)
    (shipped / START).write_bytes(b"start v1")
    (shipped / ONE).write_bytes(b"one v1")
    return shipped


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text())


def test_a_course_through_copies_updates_edits_and_offers(tmp_path, source):
    folder = tmp_path / "course"
    first = copy_course(folder, source=source, version="9.9")
    assert (first.added, first.updated, first.unchanged, first.kept, first.offered) == ([START, ONE], [], [], [], [])
    assert first.folder == folder.absolute()
    assert first.lines() == [f"2 course files in {folder.absolute()}: 2 added, 0 updated, 0 unchanged, "
                             "0 kept as you edited them"]
    written = manifest_of(folder)
    assert written["bplab_version"] == "9.9"
    assert written["files"] == written["shipped"] == {START: digest(b"start v1"), ONE: digest(b"one v1")}

    again = copy_course(folder, source=source, version="9.9")
    assert (again.added, again.unchanged) == ([], [START, ONE])
    assert manifest_of(folder)["files"] == written["files"]

    (source / ONE).write_bytes(b"one v2")  # a new release; the learner never touched the notebook
    updated = copy_course(folder, source=source, version="9.9")
    assert (updated.updated, updated.unchanged) == ([ONE], [START])
    assert (folder / ONE).read_bytes() == b"one v2"
    assert manifest_of(folder)["files"][ONE] == manifest_of(folder)["shipped"][ONE] == digest(b"one v2")

    (folder / ONE).write_bytes(b"my notes")  # the learner edits it; the course has nothing new
    kept = copy_course(folder, source=source, version="9.9")
    assert (kept.kept, kept.offered) == ([ONE], [])
    # files still holds what bplab last wrote there (so the edit is seen as the learner's); shipped, what was shipped
    assert manifest_of(folder)["files"][ONE] == manifest_of(folder)["shipped"][ONE] == digest(b"one v2")

    (source / ONE).write_bytes(b"one v3")  # the course changes under the learner's edit
    offered = copy_course(folder, source=source, version="9.9")
    new = "2_high_school/03_one_weight_network.new.ipynb"
    assert offered.offered == [(ONE, new)] and (folder / new).read_bytes() == b"one v3"
    assert offered.lines() == [
        f"kept your edited {ONE}; the course changed since your copy, so its new version is beside it: {new}",
        f"2 course files in {folder.absolute()}: 0 added, 0 updated, 1 unchanged, 1 kept as you edited them"]
    assert manifest_of(folder)["files"][new] == digest(b"one v3")


def test_a_count_adds_every_kind(tmp_path, source):
    from bplab.app.course_copy import CopyReport

    report = CopyReport(folder=tmp_path, added=["a"], updated=["b", "c"], unchanged=["d", "e", "f"],
                        kept=["g"], offered=[("h", "h.new")])
    assert report.lines()[-1] == (f"8 course files in {tmp_path}: 1 added, 2 updated, 3 unchanged, "
                                  "2 kept as you edited them")


def test_a_reset_saves_the_learners_version_and_clears_bplabs_new_files(tmp_path, source):
    folder = edited_then_offered(tmp_path, source)  # one v2 offered as .new
    (folder / "2_high_school/03_one_weight_network.backup-20261130-090507.ipynb").write_bytes(b"older backup")
    report = reset_notebook(folder, "03_one_weight_network", source=source, version="2", now=NOW)
    backup = "2_high_school/03_one_weight_network.backup-20261130-090507-2.ipynb"  # the first name was taken
    assert (report.notebook, report.backup, report.removed, report.left) == (
        ONE, backup, ["2_high_school/03_one_weight_network.new.ipynb"], [])
    assert (folder / backup).read_bytes() == b"my notes" and (folder / ONE).read_bytes() == b"one v2"
    assert report.lines() == [
        f"saved your version of {ONE} as {backup}",
        f"restored {ONE} from the shipped course",
        "removed 2_high_school/03_one_weight_network.new.ipynb: an older copy bplab had put beside it, not needed "
        "any more"]
    written = manifest_of(folder)
    assert written["bplab_version"] == "2" and written["files"][ONE] == written["shipped"][ONE] == digest(b"one v2")
    assert "2_high_school/03_one_weight_network.new.ipynb" not in written["files"]


def test_a_reset_of_an_untouched_notebook_backs_nothing_up(tmp_path, source):
    folder = tmp_path / "course"
    copy_course(folder, source=source, version="1")
    (folder / "2_high_school/03_one_weight_network.new-2.ipynb").write_bytes(b"the learner's own notes")
    report = reset_notebook(folder, ONE, source=source, version="1", now=NOW)
    assert report.backup is None
    assert report.lines() == [f"restored {ONE} from the shipped course (nothing of yours to back up)"]
    # a .new-2 file the manifest does not know is the learner's: left alone, not reported as bplab's


def test_a_learners_changed_new_file_is_left_and_said(tmp_path, source):
    folder = tmp_path / "course"
    copy_course(folder, source=source, version="1")
    (folder / ONE).write_bytes(b"my notes")
    (source / ONE).write_bytes(b"one v2")
    copy_course(folder, source=source, version="1")
    new = "2_high_school/03_one_weight_network.new.ipynb"
    (folder / new).write_bytes(b"edited the offered version too")
    report = reset_notebook(folder, ONE, source=source, version="1", now=NOW)
    assert report.left == [new] and report.removed == []
    assert report.lines()[-1] == f"left {new} as it is, since you changed it; delete it once you no longer need it"


def test_folders_that_cannot_hold_the_course_say_why(tmp_path, source):
    a_file = tmp_path / "taken"
    a_file.write_text("")
    with pytest.raises(CourseCopyError) as info:
        copy_course(a_file, source=source)
    assert str(info.value) == (f"DIR: expected a folder for the course, but {a_file} is a file. "
                               f"Choose another name, e.g. {bplab_command('copy', './bplab-course')}")
    with pytest.raises(CourseCopyError) as info:
        copy_course(a_file / "deeper" / "course", source=source)
    assert str(info.value) == (f"DIR: {a_file} is a file, so {a_file / 'deeper' / 'course'} cannot be created there. "
                               f"Choose another folder, e.g. {bplab_command('copy', './bplab-course')}")
    folder = tmp_path / "nested" / "deeper" / "course"  # parents are made
    copy_course(folder, source=source, version="1")
    (folder / START).unlink()
    (folder / START).mkdir()
    with pytest.raises(CourseCopyError) as info:
        copy_course(folder, source=source, version="1")
    assert str(info.value) == (f"{folder / START} is a folder, but the course has a file there. Rename that folder "
                               f"and run {bplab_command('copy', str(folder))} again.")
    with pytest.raises(CourseCopyError) as info:
        reset_notebook(folder, START, source=source, version="1", now=NOW)
    assert str(info.value) == f"{folder / START} is a folder, not a notebook. Rename it and run the reset again."


def test_a_course_folder_that_cannot_be_created_says_why_and_what_to_do(tmp_path, source, monkeypatch):
    folder = tmp_path / "course"

    def refused(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refused)
    with pytest.raises(CourseCopyError) as info:
        copy_course(folder, source=source, version="1")
    parent = shell_word(str(tmp_path))
    assert str(info.value) == (
        f"cannot create the course folder {folder}: Permission denied. Your user may not do that there. "
        f"Check who owns it (ls -ld {parent}) and give yourself access (chmod u+rwx {parent}), "
        f"or use a course folder of your own: {bplab_command('copy', '~/bplab-course')}")


def test_a_copy_records_what_it_wrote_and_what_was_shipped_even_for_a_file_already_in_place(tmp_path, source):
    folder = tmp_path / "course"
    copy_course(folder, source=source, version="1")
    (folder / MANIFEST_NAME).unlink()  # e.g. deleted with other hidden files: bplab's files look unknown
    again = copy_course(folder, source=source, version="1")
    assert again.unchanged == [START, ONE]
    written = manifest_of(folder)
    assert written["files"] == written["shipped"] == {START: digest(b"start v1"), ONE: digest(b"one v1")}

    # So bplab knows its files again: a release updates the untouched notebook, an edited one is kept quietly.
    (folder / START).write_bytes(b"my notes")
    (source / ONE).write_bytes(b"one v2")
    later = copy_course(folder, source=source, version="1")
    assert (later.updated, later.kept, later.offered) == ([ONE], [START], [])


def edited_then_offered(tmp_path: Path, source: Path) -> Path:
    """A course copied, ONE edited by the learner, then v2 of ONE shipped: the copy offers it as NEW."""
    folder = tmp_path / "course"
    copy_course(folder, source=source, version="1")
    (folder / ONE).write_bytes(b"my notes")
    (source / ONE).write_bytes(b"one v2")
    assert copy_course(folder, source=source, version="1").offered == [(ONE, NEW)]
    return folder


def test_an_offered_version_is_recorded_so_a_new_file_deleted_at_once_stays_deleted(tmp_path, source):
    folder = edited_then_offered(tmp_path, source)
    written = manifest_of(folder)
    # files: what bplab last wrote at ONE (v1; the learner's notes are theirs); shipped: the version just offered
    assert (written["files"][ONE], written["shipped"][ONE]) == (digest(b"one v1"), digest(b"one v2"))

    (folder / NEW).unlink()  # the learner does not want it
    quiet = copy_course(folder, source=source, version="1")
    assert (quiet.kept, quiet.offered) == ([ONE], []) and not (folder / NEW).exists()


def test_each_release_goes_beside_the_edited_notebook_without_touching_the_learners_new_files(tmp_path, source):
    folder = edited_then_offered(tmp_path, source)
    (folder / NEW).write_bytes(b"my notes on v2")
    (source / ONE).write_bytes(b"one v3")
    assert copy_course(folder, source=source, version="1").offered == [(ONE, NEW_2)]
    (folder / NEW_2).write_bytes(b"my notes on v3")
    (source / ONE).write_bytes(b"one v4")
    assert copy_course(folder, source=source, version="1").offered == [(ONE, NEW_3)]
    assert [(folder / name).read_bytes() for name in (ONE, NEW, NEW_2, NEW_3)] == [
        b"my notes", b"my notes on v2", b"my notes on v3", b"one v4"]


def test_a_reset_clears_the_untouched_new_versions_of_that_notebook_and_of_no_other(tmp_path):
    source = tmp_path / "shipped"  # two notebooks of the same name, in two folders
    for part in ("a", "b"):
        (source / part).mkdir(parents=True)
        (source / part / "lesson.ipynb").write_bytes(b"v1")
    folder = tmp_path / "course"
    copy_course(folder, source=source, version="1")
    for part in ("a", "b"):
        (folder / part / "lesson.ipynb").write_bytes(b"my notes")
        (source / part / "lesson.ipynb").write_bytes(b"v2")
    copy_course(folder, source=source, version="1")
    (folder / "a/lesson.new.ipynb").write_bytes(b"my notes on v2")
    for part in ("a", "b"):
        (source / part / "lesson.ipynb").write_bytes(b"v3")
    offered = copy_course(folder, source=source, version="1").offered
    assert offered == [("a/lesson.ipynb", "a/lesson.new-2.ipynb"), ("b/lesson.ipynb", "b/lesson.new.ipynb")]

    report = reset_notebook(folder, "a/lesson", source=source, version="1", now=NOW)
    assert (report.removed, report.left) == (["a/lesson.new-2.ipynb"], ["a/lesson.new.ipynb"])
    assert not (folder / "a/lesson.new-2.ipynb").exists()
    assert (folder / "a/lesson.new.ipynb").read_bytes() == b"my notes on v2"
    assert (folder / "b/lesson.new.ipynb").read_bytes() == b"v3"  # another notebook's: untouched, still bplab's
    assert manifest_of(folder)["files"]["b/lesson.new.ipynb"] == digest(b"v3")


def test_a_reset_removes_a_new_file_holding_the_restored_version_even_when_the_manifest_is_lost(tmp_path, source):
    folder = edited_then_offered(tmp_path, source)  # one v2 offered as .new
    (folder / MANIFEST_NAME).unlink()
    report = reset_notebook(folder, ONE, source=source, version="1", now=NOW)
    assert (report.removed, report.left) == ([NEW], []) and not (folder / NEW).exists()
    assert (folder / ONE).read_bytes() == b"one v2"  # the same bytes: nothing lost


def test_a_reset_removes_bplabs_untouched_new_file_from_an_earlier_release(tmp_path, source):
    folder = edited_then_offered(tmp_path, source)  # one v2 offered as .new
    (source / ONE).write_bytes(b"one v3")  # bplab is upgraded, and the learner resets without copying first
    report = reset_notebook(folder, ONE, source=source, version="1", now=NOW)
    assert (report.removed, report.left) == ([NEW], []) and not (folder / NEW).exists()
    assert (folder / ONE).read_bytes() == b"one v3"


def test_a_reset_forgets_a_new_file_the_learner_deleted_and_still_checks_the_next(tmp_path, source):
    folder = tmp_path / "course"
    copy_course(folder, source=source, version="1")
    (folder / ONE).write_bytes(b"my notes")
    (source / ONE).write_bytes(b"one v2")
    copy_course(folder, source=source, version="1")  # .new
    (folder / NEW).write_bytes(b"my notes on v2")
    (source / ONE).write_bytes(b"one v3")
    copy_course(folder, source=source, version="1")  # .new-2, which sorts before .new
    (folder / NEW_2).unlink()
    report = reset_notebook(folder, ONE, source=source, version="1", now=NOW)
    assert (report.removed, report.left) == ([], [NEW])
    assert NEW_2 not in manifest_of(folder)["files"] and NEW in manifest_of(folder)["files"]
