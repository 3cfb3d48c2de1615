"""The course as a whole: links resolve, and every lesson keeps the notebook conventions of design.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(p for p in NOTEBOOKS.glob("[1-5]_*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
LINK = re.compile(r"\]\(([^)#\s]+\.ipynb)(#[^)]*)?\)")


def cells(path: Path, kind: str) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == kind]


def test_there_are_lessons():
    assert len(LESSONS) >= 4


@pytest.mark.parametrize("path", [NOTEBOOKS / "00_start_here.ipynb", *LESSONS], ids=lambda p: p.name)
def test_every_link_to_a_notebook_resolves(path):
    for text in cells(path, "markdown"):
        for target, _ in LINK.findall(text):
            if target.startswith("http"):
                continue
            assert (path.parent / target).resolve().is_file(), f"{path.name} links to missing {target}"


def test_the_start_page_links_every_lesson():
    start = "\n".join(cells(NOTEBOOKS / "00_start_here.ipynb", "markdown"))
    for lesson in LESSONS:
        assert str(lesson.relative_to(NOTEBOOKS)) in start, f"the course map does not link {lesson.name}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_conventions(path):
    markdown, code = cells(path, "markdown"), cells(path, "code")
    opening = markdown[0]
    assert "Who this is for" in opening and "What you will be able to do" in opening
    assert "Assumes" in opening or "What you need" in opening
    closing = markdown[-1]
    assert "What you learned" in closing and "00_start_here.ipynb" in closing
    joined = "\n".join(code)
    assert re.search(r"from bplab\.explorers\.\w+ import \w+", joined), "no explorer"
    assert re.search(r'\bcheck\("\d\d\.\w+", ', joined) and "from bplab.exercises import" in joined, "no checked exercise"
    assert "answer = ..." in joined, "exercises start untouched"
    assert "sys.path" not in joined


def test_no_stored_errors_and_cells_ran_in_order():
    for path in [NOTEBOOKS / "00_start_here.ipynb", *LESSONS]:
        nb = json.loads(path.read_text())
        counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1)), path.name
        for c in nb["cells"]:
            for output in c.get("outputs", []):
                assert output["output_type"] != "error", f"{path.name}: stored error {output.get('ename')}"
        assert "widgets" not in nb["metadata"], f"{path.name}: widget state stored; rebuild with .ci/build-notebooks"
