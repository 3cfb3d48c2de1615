"""The CI plugin (tests/ci_skips.py): with CI=true a skip fails the run; outside CI it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = '''
import pytest

def test_passes():
    assert True

def test_skips():
    pytest.skip("no browser here")

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_failure():
    assert False
'''


MODULE_SKIP = '''
import pytest

pytest.importorskip("a_module_that_is_not_installed")


def test_never_collected():
    assert True
'''


def run_sample(tmp_path: Path, ci: str, source: str = SAMPLE) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(source)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.ci_skips", "-p", "no:cacheprovider",
                           "-q", "-rfs", str(tmp_path / "test_sample.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_with_ci_true_a_skip_fails_the_run(tmp_path):
    result = run_sample(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed, 1 xfailed" in result.stdout
    assert "CI=true: no test may be skipped here, and this one was: Skipped: no browser here" in result.stdout


def test_with_ci_true_a_module_skipped_while_collected_stops_the_run(tmp_path):
    result = run_sample(tmp_path, "true", MODULE_SKIP)
    assert result.returncode == 2, result.stdout  # a collection error: pytest stops
    said = "CI=true: no test may be skipped here, and this one was: Skipped: could not import 'a_module_that_is_not_installed'"
    assert said in result.stdout


def test_outside_ci_a_skip_stays_a_skip(tmp_path):
    result = run_sample(tmp_path, "")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped, 1 xfailed" in result.stdout
    assert run_sample(tmp_path, "", MODULE_SKIP).returncode == 5  # nothing collected, nothing failed
