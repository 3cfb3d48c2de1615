"""``bplab doctor``: each missing piece is reported with its fix and a non-zero exit."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.requirements import Requirement as PackagingRequirement

from bplab.app import cli, doctor
from bplab.app.doctor import ExtensionState, Findings, KernelResult

REPO = Path(__file__).resolve().parents[1]
PYTHON = "/opt/env/bin/python"

LABEXTENSION_LIST = """\
JupyterLab v4.6.6
/opt/env/share/jupyter/labextensions
        jupyterlab_pygments v0.3.0 \x1b[32menabled\x1b[0m \x1b[32mOK\x1b[0m (python, jupyterlab_pygments)
        anywidget v0.11.0 \x1b[32menabled\x1b[0m \x1b[32mOK\x1b[0m
        jupyterlab-plotly v7.1.0 \x1b[32menabled\x1b[0m \x1b[32mOK\x1b[0m (python, plotly)
        @jupyter-widgets/jupyterlab-manager v5.0.16 \x1b[32menabled\x1b[0m \x1b[32mOK\x1b[0m (python, jupyterlab_widgets)
"""


def healthy() -> Findings:
    """What a working environment looks like."""
    return Findings(
        python=(3, 11, 7),
        python_executable=PYTHON,
        packages={
            "numpy": "2.4.6",
            "sympy": "1.14.0",
            "ipywidgets": "8.1.9",
            "plotly": "7.1.0",
            "anywidget": "0.11.0",
            "jupyterlab": "4.6.6",
            "nbconvert": "7.17.2",
            "jupyter-server-mathjax": "0.2.6",
        },
        extensions=doctor.parse_labextension_list(LABEXTENSION_LIST),
        kernel=KernelResult(True, PYTHON + "\n"),
        course="/opt/env/lib/python3.11/site-packages/bplab/app/notebooks",
        notebooks=12,
    )


def run_doctor(findings: Findings) -> tuple[int, str]:
    out = io.StringIO()
    code = doctor.run(out=out, probe=lambda kernel: findings)
    return code, out.getvalue()


def test_a_healthy_environment_passes() -> None:
    code, said = run_doctor(healthy())
    assert code == 0, said
    assert "All good" in said and "FAIL" not in said


def test_parse_labextension_list_reads_coloured_output() -> None:
    found = doctor.parse_labextension_list(LABEXTENSION_LIST)
    assert found["@jupyter-widgets/jupyterlab-manager"] == ExtensionState("5.0.16", True, True)
    assert found["anywidget"].enabled
    disabled = doctor.parse_labextension_list("        anywidget v0.11.0 disabled OK\n")
    assert disabled["anywidget"] == ExtensionState("0.11.0", False, True)
    broken = doctor.parse_labextension_list("        anywidget v0.9.0 enabled  X\n")
    assert broken["anywidget"].ok is False


def test_a_missing_package_is_reported_with_the_pip_command() -> None:
    findings = healthy()
    findings.packages["anywidget"] = None
    code, said = run_doctor(findings)
    assert code == 1
    assert "FAIL anywidget: not installed" in said
    assert f'fix: {PYTHON} -m pip install "anywidget>=0.9"' in said


def test_a_wrong_major_version_is_reported() -> None:
    findings = healthy()
    findings.packages["ipywidgets"] = "7.8.1"
    code, said = run_doctor(findings)
    assert code == 1
    assert "expected ipywidgets>=8.1,<9, found 7.8.1" in said
    assert '"ipywidgets>=8.1,<9"' in said


def test_a_missing_front_end_extension_is_reported() -> None:
    findings = healthy()
    assert findings.extensions is not None
    del findings.extensions["@jupyter-widgets/jupyterlab-manager"]
    code, said = run_doctor(findings)
    assert code == 1
    assert "FAIL extension @jupyter-widgets/jupyterlab-manager: not installed in JupyterLab" in said
    assert f'{PYTHON} -m pip install --force-reinstall "jupyterlab_widgets>=3,<4"' in said


def test_a_disabled_extension_is_reported_with_the_enable_command() -> None:
    findings = healthy()
    assert findings.extensions is not None
    findings.extensions["anywidget"] = ExtensionState("0.11.0", enabled=False, ok=True)
    code, said = run_doctor(findings)
    assert code == 1
    assert f"fix: {PYTHON} -m jupyter labextension enable anywidget" in said


def test_an_unreadable_extension_list_is_a_problem() -> None:
    code, said = run_doctor(replace(healthy(), extensions=None, extensions_error="No module named jupyter"))
    assert code == 1
    assert "could not list them: No module named jupyter" in said


def test_a_kernel_that_fails_is_reported() -> None:
    failing = KernelResult(False, "the kernel started but this failed in it: ModuleNotFoundError: No module named 'bplab'")
    code, said = run_doctor(replace(healthy(), kernel=failing))
    assert code == 1
    assert "No module named 'bplab'" in said
    assert "-m ipykernel install --user --name python3" in said


def test_a_missing_course_is_reported() -> None:
    code, said = run_doctor(replace(healthy(), course="", notebooks=0, course_error="bplab's notebooks were not found"))
    assert code == 1
    assert "FAIL course: bplab's notebooks were not found" in said
    assert f"fix: {PYTHON} -m pip install --force-reinstall bplab" in said


def test_an_old_python_is_reported() -> None:
    code, said = run_doctor(replace(healthy(), python=(3, 10, 12)))
    assert code == 1
    assert "bplab needs Python 3.11 or newer" in said


def test_version_checks() -> None:
    requirement = doctor.Requirement("x", "8.1", "9", "")
    assert doctor.version_satisfies("8.1.9", requirement)
    assert doctor.version_satisfies("8.1", requirement)
    assert not doctor.version_satisfies("8.0.7", requirement)
    assert not doctor.version_satisfies("9.0.0", requirement)
    assert not doctor.version_satisfies("9.0.0rc1", requirement)
    assert doctor.version_tuple("8.1.9rc1") == (8, 1, 9)


def test_requirements_match_pyproject() -> None:
    """The doctor's ranges are pyproject.toml's runtime dependencies, no more and no less."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {PackagingRequirement(text).name: PackagingRequirement(text).specifier for text in project["dependencies"]}
    checked = {r.name: PackagingRequirement(r.spec).specifier for r in doctor.REQUIREMENTS}
    assert checked == declared


def test_the_doctor_kernel_check_sees_a_failure_in_the_kernel() -> None:
    """A real kernel, real failure: the check must be able to fail."""
    result = doctor.start_kernel_and_run("import bplab_no_such_module", timeout=60)
    assert not result.ok
    assert "No module named 'bplab_no_such_module'" in result.detail


def test_doctor_through_the_cli_with_a_simulated_missing_piece(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = healthy()
    findings.packages["plotly"] = None
    monkeypatch.setattr(doctor, "gather", lambda kernel=True: findings)
    code = cli.main(["doctor", "--no-kernel"])
    assert code == 1
    assert "FAIL plotly: not installed" in capsys.readouterr().out


@pytest.mark.slow
def test_doctor_passes_on_this_environment() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bplab.app.cli", "doctor"], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All good" in done.stdout
    assert "ok   kernel: started; created a slider and a FigureWidget" in done.stdout
