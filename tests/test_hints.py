"""Printed commands work as printed (no activated venv needed); PyTorch is offered as optional, CPU build."""

from __future__ import annotations

import importlib.util
import inspect
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import bplab
from bplab.app import cli, doctor, hints
from bplab.app.hints import TORCH_CPU_INDEX, bplab_command, torch_hint, torch_install_command

REPO = Path(__file__).resolve().parents[1]


def fake_python(folder: Path, with_script: bool) -> str:
    """A bin folder holding a ``python`` (and, if asked, a ``bplab`` script); the python's path."""
    folder.mkdir(parents=True)
    (folder / "python").write_text("")
    if with_script:
        (folder / "bplab").write_text("#!/bin/sh\n")
    return str(folder / "python")


def test_the_hint_names_the_venvs_script_by_its_absolute_path(tmp_path: Path) -> None:
    python = fake_python(tmp_path / "venv" / "bin", with_script=True)
    assert bplab_command("lab", executable=python) == f"{tmp_path}/venv/bin/bplab lab"


def test_without_a_script_the_hint_runs_the_module(tmp_path: Path) -> None:
    python = fake_python(tmp_path / "src" / "bin", with_script=False)
    assert bplab_command("doctor", executable=python) == f"{python} -m bplab.app.cli doctor"


def test_paths_with_spaces_are_quoted(tmp_path: Path) -> None:
    python = fake_python(tmp_path / "my course" / "bin", with_script=True)
    command = bplab_command("copy", "~/bplab-course", executable=python)
    assert shlex.split(command) == [f"{tmp_path}/my course/bin/bplab", "copy", "~/bplab-course"]


def test_the_printed_command_runs_without_an_activated_venv(tmp_path: Path) -> None:
    """Run the hint exactly as printed, from elsewhere, with a PATH that knows no venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env["PATH"] = "/usr/bin:/bin"
    done = subprocess.run(
        shlex.split(bplab_command("--version")), cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"bplab {bplab.__version__}"


def test_help_and_doctor_print_the_working_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert bplab_command("lab") in capsys.readouterr().out.splitlines()[-1]  # on a line of its own, unwrapped
    from test_doctor import healthy, run_doctor

    code, said = run_doctor(healthy())
    assert code == 0 and f"Start the course with: {bplab_command('lab')}" in said
    findings = healthy()
    findings.packages["plotly"] = None
    code, said = run_doctor(findings)
    assert code == 1 and said.rstrip().endswith(f"then again: {bplab_command('doctor')}")


def test_the_torch_hint_says_who_needs_it_and_installs_the_cpu_build() -> None:
    hint = torch_hint()
    assert "the course runs without it" in hint and "the tests and benchmarks compare against it" in hint
    command = torch_install_command()
    assert hint.endswith(command)
    assert shlex.split(command) == [sys.executable, "-m", "pip", "install", "torch", "--index-url", TORCH_CPU_INDEX]
    assert TORCH_CPU_INDEX == "https://download.pytorch.org/whl/cpu"


def _network_routes():
    spec = importlib.util.spec_from_file_location("network_routes", REPO / "tests" / "networks" / "network_routes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_pytorch_the_network_tests_skip_with_the_torch_hint_and_fail_in_ci() -> None:
    needs_torch = _network_routes().needs_torch

    def compares_with_pytorch(name: str) -> str:
        return name

    assert needs_torch(compares_with_pytorch, available=True, in_ci=True) is compares_with_pytorch
    skipped = needs_torch(compares_with_pytorch, available=False, in_ci=False)
    (mark,) = skipped.pytestmark
    assert mark.name == "skip" and mark.kwargs["reason"] == torch_hint()
    failing = needs_torch(compares_with_pytorch, available=False, in_ci=True)
    assert inspect.signature(failing) == inspect.signature(compares_with_pytorch)  # pytest still sees the fixtures
    with pytest.raises(pytest.fail.Exception, match="CI=true: the PyTorch comparisons must run"):
        failing("adam")


def test_shell_word_is_shared_with_the_doctor() -> None:
    assert doctor.shell_word is hints.shell_word
    assert hints.shell_word("jupyterlab>=4.2,<5") == '"jupyterlab>=4.2,<5"'


def test_the_test_environment_includes_pytorchs_cpu_build() -> None:
    """The README's test command and .ci/run both install PyTorch's CPU build, unconditionally."""
    readme = (REPO / "README.md").read_text()
    assert f'pip install -e ".[test]" && .venv/bin/pip install torch --index-url {TORCH_CPU_INDEX}' in readme
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    installs = [line for line in ci_lines if "pip install" in line and "torch" in line and not line.startswith("#")]
    assert installs == ['python -m pip install -q "torch==2.13.0"'], installs  # at the top level: not behind an `if`
