"""Every lesson in a real browser: all cells run without error, and every explorer's plot follows its sliders."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from harness import LabServer, ReferencePage, run_notebook

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(p.relative_to(NOTEBOOKS) for p in NOTEBOOKS.glob("[1-5]_*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


#: An explorer's slider-to-plot median is at most this many times the start page's trivial update, measured
#: in the same run (absolute times swing with the machine; the ratio does not): design.md's budget. Since the
#: live figure is sent only what changed, a loaded run measured 04, 07 and 08 at 1.14-1.35x.
LATENCY_RATIO_LIMIT = 2.0
#: Key presses on the start page just before and again just after each lesson: that lesson's reference.
#: (One reference for the whole module swung from 121 to 178 ms between runs, and every ratio with it; the
#: median of 8 presses around a lesson still swung from 62 to 91 ms between two runs of lesson 07.)
REFERENCE_PRESSES_AROUND = 6


def relative_spread(times_ms: list[float]) -> float:
    """The interquartile range of ``times_ms`` over their median: how far one median of such times may wander."""
    low, high = np.percentile(times_ms, [25, 75])
    return float((high - low) / np.median(times_ms))


def ratio_limit(lesson_ms: list[float], reference_ms: list[float]) -> float:
    r"""The budget with both measurements' noise: a ratio of two noisy medians is uncertain by the sum of their
    relative errors, $\frac{\Delta(a/b)}{a/b} \approx \frac{\Delta a}{a} + \frac{\Delta b}{b}$, each taken as its
    interquartile range over its median. (The reference's alone gave 2.73x in a CI run that measured lesson 07 at
    2.94x, against 2.17x of a limit of 2.58x in the next run on the same machine: the start page's median moved.)"""
    return LATENCY_RATIO_LIMIT * (1 + relative_spread(reference_ms) + relative_spread(lesson_ms))


@pytest.fixture(scope="module")
def course_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """One JupyterLab over one copy of the course for every lesson (a server per lesson cost ~10 s each)."""
    root = tmp_path_factory.mktemp("lessons") / "course"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))  # a copy: the repo stays untouched
    server = LabServer(root, tmp_path_factory.mktemp("lessons-lab")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def reference_page(chromium, course_server: LabServer) -> Iterator[ReferencePage]:
    """The start page, open for the whole module in the lessons' JupyterLab: measured around each lesson."""
    page = ReferencePage(chromium, course_server).open()
    try:
        yield page
    finally:
        page.close()


def shut_down_kernels(server: LabServer, keep: str = "") -> None:
    """Stop every kernel but ``keep``'s: a lesson's explorers must not still be working while the next is measured."""
    for session in server.api("/api/sessions"):
        if session.get("path") != keep:
            server.api(f"/api/sessions/{session['id']}", method="DELETE")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_in_the_browser(lesson: Path, chromium, course_server: LabServer, artifacts: Path,
                               reference_page: ReferencePage) -> None:
    server = course_server
    reference = reference_page.measure(REFERENCE_PRESSES_AROUND)
    try:
        run = run_notebook(chromium, server, lesson.as_posix(), artifacts, lesson.stem)
    finally:
        shut_down_kernels(server, keep=reference_page.relative)
    reference += reference_page.measure(REFERENCE_PRESSES_AROUND)
    print(run.summary())
    for note in run.notes:
        print("  note:", note)
    problems = run.problems(require_explorer=True)
    trivial = float(np.median(reference))
    if run.median_latency_ms is not None and trivial:
        ratio = run.median_latency_ms / trivial
        # over budget only beyond the two medians' noise (a run judged at exactly 2x swung between 1.9x and 2.1x)
        limit = ratio_limit(run.latencies_ms, reference)
        print(f"  slider-to-plot median {run.median_latency_ms:.0f} ms = {ratio:.2f}x the start page's {trivial:.0f} ms "
              f"(measured just before and after: {', '.join(f'{ms:.0f}' for ms in reference)}); "
              f"90th percentile {run.p90_latency_ms:.0f} ms"
              f" (budget {LATENCY_RATIO_LIMIT:.0f}x; fails above {limit:.2f}x, the budget plus both medians' noise)")
        if ratio > limit:
            problems.append(f"slider-to-plot median {run.median_latency_ms:.0f} ms is {ratio:.2f}x the start page's "
                            f"trivial update ({trivial:.0f} ms); the budget is {LATENCY_RATIO_LIMIT:.0f}x, "
                            f"{limit:.2f}x with both medians' spread")
    assert not problems, "\n".join(problems) + "\n\nJupyterLab log:\n" + server.log_tail()


def test_ratio_limit_adds_both_medians_spreads() -> None:
    steady_reference, steady_lesson = [100.0] * 8, [200.0] * 36
    assert ratio_limit(steady_lesson, steady_reference) == LATENCY_RATIO_LIMIT  # no noise: the budget itself
    spread = [80.0, 90.0, 100.0, 110.0, 120.0]  # interquartile range 20 around a median of 100: 0.2
    assert relative_spread(spread) == pytest.approx(0.2)
    assert ratio_limit(steady_lesson, spread) == pytest.approx(LATENCY_RATIO_LIMIT * 1.2)
    assert ratio_limit([2 * ms for ms in spread], spread) == pytest.approx(LATENCY_RATIO_LIMIT * 1.4)
