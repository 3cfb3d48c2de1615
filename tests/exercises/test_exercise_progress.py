"""Progress: each check recorded in the learner's course folder (or BPLAB_PROGRESS), never raising, never in the repository."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bplab.exercises import check, progress, show_progress
from bplab.exercises.progress import MANIFEST_NAME, PROGRESS_ENV, PROGRESS_NAME

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def progress_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "kept" / "progress.json"
    monkeypatch.setenv(PROGRESS_ENV, str(path))
    progress._warned.clear()
    return path


def test_the_test_run_keeps_progress_outside_the_repository():
    chosen = Path(os.environ[PROGRESS_ENV])  # set by the root conftest.py at import, before any kernel starts
    assert REPO not in chosen.resolve().parents


def test_a_check_records_id_verdict_and_time_in_a_new_file(progress_file):
    assert not progress_file.exists()
    check("01.fix_size_one", 69)
    check("01.fix_size_one", 70)
    data = json.loads(progress_file.read_text())
    assert data["format"] == 1
    assert [(c["id"], c["verdict"]) for c in data["checks"]] == [("01.fix_size_one", "not yet"), ("01.fix_size_one", "correct")]
    assert datetime.fromisoformat(data["checks"][0]["time"]).tzinfo is not None
    assert list(data["solved"]) == ["01.fix_size_one"]


def test_an_untouched_exercise_is_no_attempt(progress_file):
    check("01.fix_size_one", ...)
    assert not progress_file.exists()


def test_bplab_progress_is_honoured_over_the_course_folder(progress_file, tmp_path, monkeypatch):
    course = tmp_path / "course"
    course.mkdir()
    (course / MANIFEST_NAME).write_text("{}")
    monkeypatch.chdir(course)
    check("02.power_rule", "3*x**2 + 2")
    assert progress_file.exists() and not (course / PROGRESS_NAME).exists()


def test_without_the_variable_progress_goes_to_the_course_folder_found_upwards(tmp_path, monkeypatch):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    course = tmp_path / "bplab-course"
    (course / "2_high_school").mkdir(parents=True)
    (course / MANIFEST_NAME).write_text("{}")
    monkeypatch.chdir(course / "2_high_school")  # a kernel's working directory is its notebook's folder
    assert progress.progress_path() == course / PROGRESS_NAME
    check("03.best_weight", "1/3")
    assert json.loads((course / PROGRESS_NAME).read_text())["solved"].keys() == {"03.best_weight"}


def test_outside_a_course_folder_progress_goes_to_the_users_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert progress.progress_path() == tmp_path / "data" / "bplab" / "progress.json"
    check("01.quarter_fix", 25)
    assert (tmp_path / "data" / "bplab" / "progress.json").exists()
    assert not any(p.name.startswith(".bplab-progress") for p in tmp_path.iterdir())


@pytest.mark.parametrize("corrupt", ["{not json", "[1, 2, 3]", '{"format": 99}', '{"format": 1, "checks": "x"}', "\x00\x01"])
def test_a_corrupt_file_is_replaced_with_a_one_line_warning(progress_file, capsys, corrupt):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(corrupt)
    feedback = check("01.fix_size_one", 70)
    assert feedback.correct  # the lesson goes on
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and "could not be read" in warning and "a new one is started" in warning
    assert json.loads(progress_file.read_text())["solved"].keys() == {"01.fix_size_one"}
    assert (progress_file.parent / "progress.json.corrupt").read_text() == corrupt  # the learner's bytes kept


def test_an_unwritable_place_never_stops_a_lesson(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv(PROGRESS_ENV, str(blocker / "progress.json"))  # a folder that cannot exist
    progress._warned.clear()
    assert check("01.fix_size_one", 70).correct
    assert check("01.fix_size_one", 70).correct
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and "could not save your progress" in warning  # once, not per check


def test_the_newest_checks_are_kept_and_solved_ones_never_forgotten(progress_file, monkeypatch):
    monkeypatch.setattr(progress, "MAX_CHECKS", 3)
    check("01.fix_size_one", 70)
    for _ in range(5):
        check("01.quarter_fix", 24)
    data = json.loads(progress_file.read_text())
    assert len(data["checks"]) == 3 and "01.fix_size_one" in data["solved"]


def test_record_takes_an_explicit_time_and_file(tmp_path):
    path = tmp_path / "p.json"
    progress.record("05.two_paths", "correct", when=datetime(2024, 5, 1, tzinfo=timezone.utc), path=path)
    assert json.loads(path.read_text())["solved"] == {"05.two_paths": "2024-05-01T00:00:00+00:00"}


def test_the_progress_view_shows_solved_tried_and_not_tried(progress_file):
    check("01.fix_size_one", 70)
    check("01.quarter_fix", 24)
    view = show_progress()
    text = repr(view)
    assert "Your progress: 1 of" in text and "01 · Learning from mistakes: 1 of 3 solved" in text
    assert "✔ 01.fix_size_one" in text and "✘ 01.quarter_fix" in text and "· 01.knobs_on_or_off" in text
    assert "the file BPLAB_PROGRESS names" in view.summary()
    html = view._repr_html_()
    assert "<table" in html and "1 of 3" in html


def test_the_manifest_name_is_the_course_copys():
    try:
        from bplab.app.manifest import MANIFEST_NAME as APP_MANIFEST
    except ImportError:
        from bplab.app.course_copy import MANIFEST_NAME as APP_MANIFEST
    assert MANIFEST_NAME == APP_MANIFEST


def test_the_progress_file_is_no_course_file():
    from bplab.app.course import list_course_files

    assert PROGRESS_NAME.startswith(".")  # hidden: a course copy never lists, copies or overwrites it
    assert not any(PROGRESS_NAME in name for name in list_course_files())


# ------------------------------------------------------------------ the bplab progress command


def test_bplab_progress_shows_a_course_folder(tmp_path, monkeypatch):
    from bplab.app.cli import main

    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    course = tmp_path / "bplab-course"
    course.mkdir()
    (course / MANIFEST_NAME).write_text("{}")
    progress.record("04.sigmoid_at_zero", "correct", path=course / PROGRESS_NAME)
    out = io.StringIO()
    assert main(["progress", str(course)], out=out) == 0
    assert "Your progress: 1 of" in out.getvalue() and "✔ 04.sigmoid_at_zero" in out.getvalue()
    monkeypatch.chdir(tmp_path)  # no folder named: ./bplab-course, the default of bplab lab
    out = io.StringIO()
    assert main(["progress"], out=out) == 0 and "✔ 04.sigmoid_at_zero" in out.getvalue()


def test_bplab_progress_with_a_folder_that_is_not_one(tmp_path, capsys):
    from bplab.app.cli import main

    assert main(["progress", str(tmp_path / "missing")], out=io.StringIO()) == 2
    assert "expected your course folder" in capsys.readouterr().err
