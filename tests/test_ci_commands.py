""".ci/run runs exactly the README's test commands, so what a contributor runs is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def pytest_arguments(text: str) -> list[str]:
    """The arguments of every ``python -m pytest`` call in ``text``, in order."""
    return [match.strip() for match in re.findall(r"python -m pytest([^&|\n]*)", text)]


def test_ci_runs_the_readmes_test_commands_in_order() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme[readme.index("make the test environment, then run them:"):]
    block = block[block.index("```bash") + 7:]
    block = block[:block.index("```")]
    commands = pytest_arguments(block.splitlines()[-1])
    assert commands == ['-m "not browser" -n 2 --dist loadfile', "-m browser"], commands
    ci = (REPO / ".ci" / "run").read_text()
    assert pytest_arguments(ci) == commands
    assert 'exit "$status"' in ci  # a failure in the first run is not hidden by a green second one

