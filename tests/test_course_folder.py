"""The course folder: its manifest, exactly as written and as read back when damaged, and notebooks found by name."""

from __future__ import annotations

import json

from bplab.app.manifest import MANIFEST_FORMAT, MANIFEST_NAME, Manifest, read_manifest, write_manifest


def test_the_manifest_file_word_for_word(tmp_path):
    manifest = Manifest(files={"b.ipynb": "2", "a.ipynb": "1"}, shipped={"a.ipynb": "9"})
    write_manifest(tmp_path, manifest, "1.2.3")
    expected = {"format": MANIFEST_FORMAT, "bplab_version": "1.2.3",
                "files": {"a.ipynb": "1", "b.ipynb": "2"}, "shipped": {"a.ipynb": "9"}}
    assert (tmp_path / MANIFEST_NAME).read_text(encoding="utf-8") == json.dumps(expected, indent=1) + "\n"
    assert read_manifest(tmp_path) == manifest


def test_forget_drops_a_file_from_both_tables_and_ignores_an_unknown_one():
    manifest = Manifest(files={"a.ipynb": "1"}, shipped={"a.ipynb": "9"})
    manifest.forget("a.ipynb")
    manifest.forget("never-there.ipynb")
    assert manifest == Manifest()


def test_a_manifest_that_is_not_a_table_is_read_as_empty(tmp_path):
    for text in ("[1, 2]", '{"files": [1], "shipped": "x"}', "not json"):
        (tmp_path / MANIFEST_NAME).write_text(text, encoding="utf-8")
        assert read_manifest(tmp_path) == Manifest()


# ----------------------------------------------------------------------------- finding a notebook by name


COURSE = ["00_start_here.ipynb", "1_kid/01_learning_from_mistakes.ipynb", "a/lesson.ipynb", "b/lesson.ipynb"]


def find(name: str, available: list[str] = COURSE) -> str:
    from bplab.app.course_copy import find_notebook

    return find_notebook(name, available)


def refused(name: str, available: list[str] = COURSE) -> str:
    import pytest

    from bplab.app.safe_files import CourseCopyError

    with pytest.raises(CourseCopyError) as info:
        find(name, available)
    return str(info.value)


def test_a_notebook_is_found_by_path_with_or_without_ipynb_and_by_a_unique_file_name():
    assert find("1_kid/01_learning_from_mistakes.ipynb") == "1_kid/01_learning_from_mistakes.ipynb"
    assert find("1_kid/01_learning_from_mistakes") == "1_kid/01_learning_from_mistakes.ipynb"
    assert find("././1_kid\\01_learning_from_mistakes ") == "1_kid/01_learning_from_mistakes.ipynb"
    assert find("01_learning_from_mistakes") == "1_kid/01_learning_from_mistakes.ipynb"
    assert find("01_learning_from_mistakes.ipynb") == "1_kid/01_learning_from_mistakes.ipynb"
    assert find("00_start_here") == "00_start_here.ipynb"


def test_an_ambiguous_name_lists_the_candidates():
    assert refused("lesson") == ("NOTEBOOK: 'lesson' names 2 notebooks: a/lesson.ipynb, b/lesson.ipynb. "
                                 "Give the path inside the course, e.g. a/lesson.ipynb")


def test_an_unknown_name_offers_close_matches_or_the_whole_course():
    assert refused("00_start_her.ipynb") == (
        "NOTEBOOK: '00_start_her.ipynb' is not a notebook of the course. Did you mean: 00_start_here.ipynb, "
        "a/lesson.ipynb?")  # each suggestion once (a top-level notebook's path is also its file name)
    assert refused("zzz") == ("NOTEBOOK: 'zzz' is not a notebook of the course. The course has: "
                              + ", ".join(COURSE) + ".")
    assert refused("zzz", []) == "NOTEBOOK: 'zzz' is not a notebook of the course. The course has: (no notebooks)."


def test_a_misspelt_name_gets_the_five_closest_suggestions():
    course = [f"lesson_{number}.ipynb" for number in range(1, 9)]  # eight close matches
    assert refused("lesson_0", course) == (
        "NOTEBOOK: 'lesson_0' is not a notebook of the course. Did you mean: lesson_8.ipynb, lesson_7.ipynb, "
        "lesson_6.ipynb, lesson_5.ipynb, lesson_4.ipynb?")  # equally close: difflib puts the later name first


def test_a_name_typed_with_ipynb_is_not_given_a_second_one():
    assert refused("notes.ipynb", ["notes.ipynb.ipynb"]) == (
        "NOTEBOOK: 'notes.ipynb' is not a notebook of the course. Did you mean: notes.ipynb.ipynb?")
