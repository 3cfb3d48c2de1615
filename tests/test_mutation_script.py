"""bench/mutation.py's own refusals and the mutants it asks mutmut for (the script is not part of CI: too slow)."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "mutation.py"


@pytest.fixture(scope="module")
def mutation():
    spec = importlib.util.spec_from_file_location("bench_mutation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_files_without_a_target_are_refused_with_an_example(mutation, capsys):
    with pytest.raises(SystemExit) as stopped:
        mutation.main(["--files", "playground.py"])
    assert stopped.value.code == 2
    assert ("--files playground.py: name the target too, e.g. python bench/mutation.py 'explorer compute steps' "
            "--files playground.py") in capsys.readouterr().err


def test_only_the_counted_functions_mutants_are_asked_for(mutation):
    explorers = mutation.only_files(mutation.TARGETS["explorer compute steps"], ["playground.py"])
    patterns = mutation.mutant_patterns(explorers)
    assert "bplab.explorers.playground.xǁPlaygroundǁcompute_steps__mutmut_*" in patterns
    assert "bplab.explorers.playground.x_make_dataset__mutmut_*" in patterns  # a module-level function
    assert not any("ǁdraw__" in pattern for pattern in patterns)  # drawing is not counted


def test_a_target_with_no_counted_function_stops_before_mutmut_runs_everything(mutation):
    nothing = dataclasses.replace(mutation.TARGETS["optimizers"], functions="no_such_function")
    with pytest.raises(SystemExit, match=r"^'optimizers': no counted function in bplab/optim\.py; nothing to run$"):
        mutation.run_target("optimizers", nothing, jobs=1, show_changes=False)
