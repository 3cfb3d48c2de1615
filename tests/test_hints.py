"""Printed commands work as printed (no activated venv needed); PyTorch is offered as optional, CPU build."""

from __future__ import annotations

import importlib.util
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


def test_the_torch_hint_says_optional_and_installs_the_cpu_build() -> None:
    hint = torch_hint()
    assert "optional" in hint and "only adds comparisons" in hint
    command = torch_install_command()
    assert hint.endswith(command)
    assert shlex.split(command) == [sys.executable, "-m", "pip", "install", "torch", "--index-url", TORCH_CPU_INDEX]
    assert TORCH_CPU_INDEX == "https://download.pytorch.org/whl/cpu"


def test_the_network_tests_skip_with_the_torch_hint() -> None:
    spec = importlib.util.spec_from_file_location("network_routes", REPO / "tests" / "networks" / "network_routes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.needs_torch.kwargs["reason"] == torch_hint()


def test_shell_word_is_shared_with_the_doctor() -> None:
    assert doctor.shell_word is hints.shell_word
    assert hints.shell_word("jupyterlab>=4.2,<5") == '"jupyterlab>=4.2,<5"'
