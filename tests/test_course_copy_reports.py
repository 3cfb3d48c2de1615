"""What copying and resetting a course folder report and record, exactly, through a course's life.

Each step checks the report's lists, its lines as the learner reads them, and the manifest written:
mutation testing (bench/mutation.py) showed that a report or manifest entry could go wrong unseen.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from bplab.app.course_copy import MANIFEST_NAME, copy_course, reset_notebook
from bplab.app.hints import bplab_command
from bplab.app.safe_files import CourseCopyError

START, ONE = "00_start_here.ipynb", "2_high_school/03_one_weight_network.ipynb"
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
    folder = tmp_path / "course"
    copy_course(folder, source=source, version="1")
    (folder / ONE).write_bytes(b"my notes")
    (source / ONE).write_bytes(b"one v2")
    copy_course(folder, source=source, version="1")  # offers one v2 as .new
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
