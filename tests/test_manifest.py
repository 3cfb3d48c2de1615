"""The course folder's manifest: exactly what is written, and what is read back from a damaged one."""

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
