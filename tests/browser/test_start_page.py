"""The start page in a real browser: it runs without errors and its explorer's plot follows the slider."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import run_notebook

REPO = Path(__file__).resolve().parents[2]
START_PAGE = REPO / "notebooks" / "00_start_here.ipynb"


def test_start_page_in_the_browser(tmp_path: Path, chromium, lab_server, artifacts: Path) -> None:
    if not START_PAGE.exists():
        print(f"{START_PAGE} does not exist yet: nothing to open in the browser")
        pytest.skip(f"{START_PAGE.relative_to(REPO)} does not exist yet")
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(START_PAGE, root / START_PAGE.name)  # a copy: running in the browser must not touch the repo
    server = lab_server(root)
    run = run_notebook(chromium, server, START_PAGE.name, artifacts, "start-page")
    print(run.summary())
    for note in run.notes:
        print("  note:", note)
    problems = run.problems(require_explorer=True)
    assert not problems, "\n".join(problems) + "\n\nJupyterLab log:\n" + server.log_tail()
