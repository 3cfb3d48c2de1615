"""A pytest plugin: with ``CI=true`` a skipped test is a failure.

``.ci/run`` installs everything the tests need (Chromium, PyTorch's CPU build, the test extra), so
in CI a skip can only mean that something is missing or a test stopped running where it should:
either way the run must not pass. Outside CI a skip stays a skip (a learner's machine may lack
the browser or PyTorch, and each skip says how to add it). An expected failure (xfail) is not a skip.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _fail_a_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: no test may be skipped here, and this one was: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    _fail_a_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> object:
    """A whole module skipped while it is collected (``pytest.importorskip`` at its top) fails too."""
    outcome = yield
    _fail_a_skip(outcome.get_result())
