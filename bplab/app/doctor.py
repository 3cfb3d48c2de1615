"""``bplab doctor``: is this Python ready to run the course? Each problem comes with its fix.

Two halves, so tests can simulate any missing piece:

- :func:`gather` looks at the real environment (package versions, JupyterLab's front-end
  extensions, a kernel that starts and creates a widget) and returns :class:`Findings`;
- :func:`diagnose` is pure: it turns :class:`Findings` into :class:`Check` rows, each with the
  exact command that fixes a failure.

Standard library only at import; jupyter_client is imported when the kernel is checked.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from bplab.app.hints import bplab_command, shell_word

MINIMUM_PYTHON = (3, 11)
KERNEL_NAME = "python3"
KERNEL_TIMEOUT = 90.0  # seconds: start + first FigureWidget (2-5 s) on a slow machine, with room
KERNEL_CODE = """\
import sys, bplab, ipywidgets
ipywidgets.IntSlider()
import plotly.graph_objects as go
go.FigureWidget()
print(sys.executable)
"""


@dataclass(frozen=True)
class Requirement:
    """A distribution the course needs, with the accepted version range ``[minimum, below)``."""

    name: str
    minimum: str
    below: str | None
    why: str

    @property
    def spec(self) -> str:
        """The pip requirement string, e.g. ``ipywidgets>=8.1,<9``."""
        return f"{self.name}>={self.minimum}" + (f",<{self.below}" if self.below else "")


# Keep in step with [project] dependencies in pyproject.toml (tests/test_doctor.py checks it).
REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("numpy", "2.0", "3", "the engine's arrays"),
    Requirement("sympy", "1.13", "2", "symbolic derivatives"),
    Requirement("ipywidgets", "8.1", "9", "the explorers' sliders"),
    Requirement("plotly", "6.0", "8", "the explorers' plots"),
    Requirement("anywidget", "0.9", None, "plotly's FigureWidget needs it"),
    Requirement("jupyterlab", "4.2", "5", "the course runs in JupyterLab"),
    Requirement("nbconvert", "7", "8", "bplab export renders the notebooks as HTML pages"),
    Requirement("jupyter-server-mathjax", "0.2.6", "1", "bplab export copies its MathJax beside the pages"),
)


@dataclass(frozen=True)
class Extension:
    """A JupyterLab front-end extension the course needs, and the package that ships it."""

    name: str
    package_spec: str
    why: str


EXTENSIONS: tuple[Extension, ...] = (
    Extension("@jupyter-widgets/jupyterlab-manager", "jupyterlab_widgets>=3,<4", "draws ipywidgets sliders"),
    Extension("anywidget", "anywidget>=0.9", "draws plotly FigureWidgets"),
    Extension("jupyterlab-plotly", "plotly>=6.0,<8", "draws plotly figures"),
)


@dataclass(frozen=True)
class ExtensionState:
    """What ``jupyter labextension list`` says of one extension."""

    version: str
    enabled: bool
    ok: bool


@dataclass(frozen=True)
class KernelResult:
    """Whether a kernel started and ran :data:`KERNEL_CODE`; ``detail`` says what went wrong or which Python ran."""

    ok: bool
    detail: str


@dataclass
class Findings:
    """Everything the doctor looked at. ``extensions`` is None when the list could not be read."""

    python: tuple[int, int, int]
    python_executable: str
    packages: dict[str, str | None]
    extensions: dict[str, ExtensionState] | None
    extensions_error: str = ""
    kernel: KernelResult | None = None
    course: str = ""  # the shipped course's folder, or "" when it was not found
    notebooks: int = 0
    course_error: str = ""


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report: what was checked, whether it passed, and the fix if not."""

    label: str
    ok: bool
    detail: str
    fix: str = ""


def version_tuple(text: str) -> tuple[int, ...]:
    """The leading numeric release of a version string: ``"8.1.9rc1"`` -> ``(8, 1, 9)``."""
    numbers = []
    for part in text.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match.group()))
        if match.end() != len(part):
            break
    return tuple(numbers)


def _at_least(found: str, minimum: str) -> bool:
    a, b = version_tuple(found), version_tuple(minimum)
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)) >= b + (0,) * (width - len(b))


def version_satisfies(found: str, requirement: Requirement) -> bool:
    """True when ``found`` lies in ``[requirement.minimum, requirement.below)``."""
    if not _at_least(found, requirement.minimum):
        return False
    return requirement.below is None or not _at_least(found, requirement.below)


def pip_command(python_executable: str, *specs: str, force: bool = False) -> str:
    """The shell command that installs ``specs`` into this Python: ``/path/python -m pip install "x>=1"``."""
    words = [python_executable, "-m", "pip", "install"] + (["--force-reinstall"] if force else []) + list(specs)
    return " ".join(shell_word(word) for word in words)


def check_python(version: tuple[int, int, int], executable: str) -> Check:
    """Python must be at least :data:`MINIMUM_PYTHON`."""
    shown = ".".join(map(str, version))
    if version[:2] >= MINIMUM_PYTHON:
        return Check(f"Python {shown}", True, executable)
    need = ".".join(map(str, MINIMUM_PYTHON))
    return Check(
        f"Python {shown}",
        False,
        f"bplab needs Python {need} or newer (numpy 2.4 does too); this is {shown} at {executable}",
        f"install Python {need}+ (https://www.python.org/downloads/), then: python{need} -m venv bplab-env "
        f'&& bplab-env/bin/python -m pip install bplab',
    )


def check_packages(packages: dict[str, str | None], executable: str) -> list[Check]:
    """One check per :data:`REQUIREMENTS` entry: installed, and in the accepted range."""
    checks = []
    for requirement in REQUIREMENTS:
        found = packages.get(requirement.name)
        if found is None:
            checks.append(
                Check(
                    requirement.name,
                    False,
                    f"not installed ({requirement.why})",
                    pip_command(executable, requirement.spec),
                )
            )
        elif not version_satisfies(found, requirement):
            checks.append(
                Check(
                    f"{requirement.name} {found}",
                    False,
                    f"expected {requirement.spec}, found {found} ({requirement.why})",
                    pip_command(executable, requirement.spec),
                )
            )
        else:
            checks.append(Check(f"{requirement.name} {found}", True, requirement.why))
    return checks


def check_extensions(
    extensions: dict[str, ExtensionState] | None, executable: str, error: str = ""
) -> list[Check]:
    """One check per :data:`EXTENSIONS` entry: installed, enabled and OK in JupyterLab."""
    if extensions is None:
        return [
            Check(
                "JupyterLab extensions",
                False,
                f"could not list them: {error or 'jupyter labextension list failed'}",
                pip_command(executable, "jupyterlab>=4.2,<5", force=True),
            )
        ]
    checks = []
    for extension in EXTENSIONS:
        state = extensions.get(extension.name)
        reinstall = pip_command(executable, extension.package_spec, force=True)
        if state is None:
            checks.append(
                Check(f"extension {extension.name}", False, f"not installed in JupyterLab ({extension.why})", reinstall)
            )
        elif not state.enabled:
            checks.append(
                Check(
                    f"extension {extension.name} v{state.version}",
                    False,
                    f"installed but disabled ({extension.why})",
                    f"{shell_word(executable)} -m jupyter labextension enable {extension.name}",
                )
            )
        elif not state.ok:
            checks.append(
                Check(
                    f"extension {extension.name} v{state.version}",
                    False,
                    "installed but JupyterLab reports it broken (version mismatch?)",
                    reinstall,
                )
            )
        else:
            checks.append(Check(f"extension {extension.name} v{state.version}", True, extension.why))
    return checks


def check_kernel(kernel: KernelResult, executable: str) -> Check:
    """The kernel started and created an ipywidgets slider and a plotly FigureWidget."""
    if kernel.ok:
        ran = kernel.detail.strip()
        detail = f"started; created a slider and a FigureWidget (kernel Python: {ran})"
        if ran and os.path.realpath(ran) != os.path.realpath(executable):
            return Check(
                "kernel",
                True,
                detail + f"; note: not this Python ({executable}), JupyterLab may run a different environment",
            )
        return Check("kernel", True, detail)
    return Check(
        "kernel",
        False,
        kernel.detail,
        f"{pip_command(executable, 'ipykernel>=6')}  "
        f"(then: {shell_word(executable)} -m ipykernel install --user --name {KERNEL_NAME})",
    )


def check_course(folder: str, notebooks: int, error: str, executable: str) -> Check:
    """The course's notebooks ship with the package (``bplab copy`` and ``bplab lab`` need them)."""
    if folder and notebooks:
        return Check(f"course: {notebooks} notebooks", True, folder)
    why = error or f"no notebooks in {folder}"
    return Check("course", False, why, pip_command(executable, "bplab", force=True))


def diagnose(findings: Findings) -> list[Check]:
    """All checks for ``findings`` (pure: no probing)."""
    checks = [check_python(findings.python, findings.python_executable)]
    checks.append(check_course(findings.course, findings.notebooks, findings.course_error, findings.python_executable))
    checks += check_packages(findings.packages, findings.python_executable)
    checks += check_extensions(findings.extensions, findings.python_executable, findings.extensions_error)
    if findings.kernel is not None:
        checks.append(check_kernel(findings.kernel, findings.python_executable))
    return checks


# --- probing the real environment ------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXTENSION_LINE = re.compile(
    r"^\s+(?P<name>\S+)\s+v(?P<version>\S+)\s+(?P<enabled>enabled|disabled)\s+(?P<status>OK|X)\b"
)


def parse_labextension_list(text: str) -> dict[str, ExtensionState]:
    """Extensions from the output of ``jupyter labextension list`` (colour codes allowed)."""
    found = {}
    for line in _ANSI.sub("", text).splitlines():
        match = _EXTENSION_LINE.match(line)
        if match:
            found[match["name"]] = ExtensionState(
                version=match["version"], enabled=match["enabled"] == "enabled", ok=match["status"] == "OK"
            )
    return found


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def list_extensions(executable: str = sys.executable, timeout: float = 60.0) -> tuple[dict[str, ExtensionState] | None, str]:
    """Run ``jupyter labextension list`` with this Python; (extensions, error message)."""
    try:
        done = subprocess.run(
            [executable, "-m", "jupyter", "labextension", "list"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        return None, said[-1] if said else f"exit code {done.returncode}"
    return parse_labextension_list(done.stdout + "\n" + done.stderr), ""


def start_kernel_and_run(code: str = KERNEL_CODE, timeout: float = KERNEL_TIMEOUT) -> KernelResult:
    """Start the default Python kernel, run ``code``, shut it down; never raises."""
    try:
        from jupyter_client.manager import KernelManager
    except ImportError as exc:
        return KernelResult(False, f"jupyter_client is missing ({exc})")
    manager = KernelManager(kernel_name=KERNEL_NAME)
    client = None
    kernel_log = tempfile.TemporaryFile(mode="w+")  # the kernel's own stderr: shown only on failure
    try:
        manager.start_kernel(stdout=subprocess.DEVNULL, stderr=kernel_log)
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=timeout)
        printed: list[str] = []
        errors: list[str] = []

        def on_output(message: dict) -> None:
            kind = message["header"]["msg_type"]
            if kind == "stream" and message["content"].get("name") == "stdout":
                printed.append(message["content"]["text"])
            elif kind == "error":
                errors.append(f"{message['content']['ename']}: {message['content']['evalue']}")

        reply = client.execute_interactive(code, timeout=timeout, output_hook=on_output, allow_stdin=False)
        if reply["content"]["status"] != "ok" or errors:
            shown = "; ".join(errors) or str(reply["content"].get("evalue", "unknown error"))
            return KernelResult(False, f"the kernel started but this failed in it: {shown}")
        return KernelResult(True, "".join(printed))
    except TimeoutError:
        return KernelResult(False, f"the kernel did not answer within {timeout:.0f} s{_tail(kernel_log)}")
    except Exception as exc:  # noqa: BLE001 - any failure here is the doctor's finding, not a crash
        return KernelResult(False, f"the kernel did not start: {type(exc).__name__}: {exc}{_tail(kernel_log)}")
    finally:
        if client is not None:
            client.stop_channels()
        if manager.has_kernel:
            manager.shutdown_kernel(now=False)
        kernel_log.close()


def _tail(log: TextIO, lines: int = 5) -> str:
    """The last lines the kernel wrote to stderr, indented, or nothing."""
    log.seek(0)
    said = [line for line in log.read().splitlines() if line.strip()][-lines:]
    return ("\n         kernel said: " + "\n         ".join(said)) if said else ""


def gather(kernel: bool = True) -> Findings:
    """Look at this environment: Python, package versions, lab extensions and (optionally) a kernel."""
    extensions, error = list_extensions()
    from bplab.app.course import CourseNotFoundError, course_dir, list_notebooks

    try:
        folder, notebooks, course_error = str(course_dir()), len(list_notebooks()), ""
    except CourseNotFoundError as exc:
        folder, notebooks, course_error = "", 0, str(exc)
    return Findings(
        python=tuple(sys.version_info[:3]),
        python_executable=sys.executable,
        packages={requirement.name: installed_version(requirement.name) for requirement in REQUIREMENTS},
        extensions=extensions,
        extensions_error=error,
        kernel=start_kernel_and_run() if kernel else None,
        course=folder,
        notebooks=notebooks,
        course_error=course_error,
    )


def report(checks: list[Check], out: TextIO) -> int:
    """Print the checks; return the exit code (0 all good, 1 something to fix)."""
    failed = [check for check in checks if not check.ok]
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        print(f"  {mark} {check.label}: {check.detail}", file=out)
        if check.fix:
            print(f"       fix: {check.fix}", file=out)
    if failed:
        print(
            f"\n{len(failed)} problem(s) found. Run each 'fix' command above, then again: {bplab_command('doctor')}",
            file=out,
        )
        return 1
    print(f"\nAll good: {len(checks)} checks passed. Start the course with: {bplab_command('lab')}", file=out)
    return 0


def run(out: TextIO | None = None, kernel: bool = True, probe: Callable[..., Findings] | None = None) -> int:
    """``bplab doctor``: gather (or ``probe(kernel=...)``), diagnose, print; the exit code."""
    from bplab.version import __version__

    out = sys.stdout if out is None else out
    probe = gather if probe is None else probe

    print(f"bplab doctor: bplab {__version__}, Python at {sys.executable}", file=out)
    if kernel:
        print("  (starting a kernel to create a widget: a few seconds)", file=out, flush=True)
    return report(diagnose(probe(kernel=kernel)), out)
