"""Fixtures for the real-browser tests: one Chromium per session, one JupyterLab per test.

Each fixture stops what it started, by process id, in its finalizer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import harness
from harness import Chromium, LabServer, NotebookRun, require_browser, run_notebook

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what each notebook run in the browser measured (slider-to-plot latency included)."""
    if harness.SUMMARIES:
        terminalreporter.section("browser runs")
        for line in harness.SUMMARIES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ at the repository root (gitignored): screenshots and JSON records."""
    folder = REPO / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """Headless Debian Chromium under Playwright (skipped, or failed when CI=true, if missing).

    One per test module, stopped at its end: Playwright's sync API allows one running instance per
    thread, and the static-export tests outside this folder start their own after these.
    """
    executable = require_browser()
    browser = Chromium(tmp_path_factory.mktemp("chromium"), executable).start()
    try:
        yield browser
    finally:
        browser.stop()


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[Callable[[Path], LabServer]]:
    """A factory: ``lab_server(root)`` starts JupyterLab over ``root``; all are stopped after the test."""
    started: list[LabServer] = []

    def start(root: Path) -> LabServer:
        work = tmp_path / f"lab-{len(started)}"
        work.mkdir()
        server = LabServer(root, work)
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in started:
            server.stop()


#: Key presses on the start page's slider: the reference every lesson's latency is divided by.
REFERENCE_PRESSES = 15


@pytest.fixture(scope="module")
def start_page_run(chromium: Chromium, artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> NotebookRun:
    """The start page run once in the browser: its trivial explorer is every lesson's reference for latency."""
    start_page = REPO / "notebooks" / "00_start_here.ipynb"
    root = tmp_path_factory.mktemp("start-course")
    shutil.copy2(start_page, root / start_page.name)  # a copy: running in the browser must not touch the repo
    server = LabServer(root, tmp_path_factory.mktemp("start-lab")).start()
    try:
        # fifteen presses: the start page has one slider; a median of three samples made every lesson's ratio
        # swing by a quarter (a lesson's median is over its sliders' 9-30 samples)
        run = run_notebook(chromium, server, start_page.name, artifacts, "start-page", presses=REFERENCE_PRESSES)
        run.notes.append("JupyterLab log:\n" + server.log_tail())
    finally:
        server.stop()
    return run
