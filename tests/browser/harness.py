"""A real-browser harness: JupyterLab on loopback with a token, driven in headless Chromium.

Reusable by any browser test of a notebook:

1. :class:`LabServer` starts ``python -m jupyter lab`` (this Python) on 127.0.0.1, a random free
   port and a random token, over a root folder holding the notebook(s) under test, with settings
   overrides that start the kernel without a dialog and silence the news prompt.
2. :class:`Chromium` launches Debian's ``/usr/bin/chromium`` through Playwright (sync API).
3. :func:`run_notebook` opens a notebook, runs all cells from the Run menu, waits for the
   kernel, collects error outputs, moves every explorer slider with the keyboard and measures
   how long the plot takes to change, and saves screenshots; :meth:`NotebookRun.problems`
   lists what is wrong.

Both :class:`LabServer` and :class:`Chromium` stop their processes by process id.
See ../../shared/notes/stack.md (or the repository's notes) for the facts this relies on.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# JupyterLab settings overrides (the same ones binder/postBuild writes), plus: render every cell
# (no windowing), so that all prompts and outputs are in the page.
SETTINGS_OVERRIDES: dict[str, dict[str, Any]] = {
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True, "windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
LATENCY_LIMIT_MS = 1500.0  # fails the test: the slider visibly does not drive the plot
LATENCY_BUDGET_MS = 150.0  # design.md's budget: reported, not failed (2-core CI timings swing)
SUMMARIES: list[str] = []  # one line per notebook run, printed at the end of the pytest session


# --- is a browser available? -----------------------------------------------------------------


def require_browser() -> str:
    """Chromium's path, or skip (fail when CI=true) naming what is missing and how to install it."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append('the Python package playwright (pip install -e ".[test]")')
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    if missing:
        reason = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: a missing browser is a failure, not a skip)", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


# --- processes, stopped by id ----------------------------------------------------------------


def _children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            children.append(int(entry.name))
    return children


def _descendants_of(pid: int) -> list[int]:
    """All descendants of ``pid``, children first."""
    found, queue = [], [pid]
    while queue:
        for child in _children_of(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop_pids(pids: list[int], grace: float = 5.0) -> None:
    """SIGTERM each pid, wait up to ``grace`` seconds, then SIGKILL the ones still alive."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the JupyterLab server -------------------------------------------------------------------


class LabServer:
    """JupyterLab of this Python, on 127.0.0.1:<random port> with a random token, over ``root``."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root = Path(root)
        self.work = Path(work)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.work / "jupyterlab.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, relative: str) -> str:
        """The page of a notebook, logged in with the token, with a fresh workspace."""
        return f"{self.base_url}/lab/tree/{quote(relative)}?token={self.token}&reset"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0) -> Any:
        """JSON from the server's REST API (token in the header)."""
        request = urllib.request.Request(
            f"{self.base_url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def _write_settings(self) -> dict[str, str]:
        """Settings overrides in a private app-settings folder, and private user settings/workspaces."""
        app_settings = self.work / "app-settings"
        shipped = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
        if shipped.is_dir():  # keep what the environment configures (page_config.json, ...)
            shutil.copytree(shipped, app_settings, dirs_exist_ok=True)
        app_settings.mkdir(parents=True, exist_ok=True)
        overrides_path = app_settings / "overrides.json"
        overrides = json.loads(overrides_path.read_text()) if overrides_path.exists() else {}
        for plugin, values in SETTINGS_OVERRIDES.items():
            overrides.setdefault(plugin, {}).update(values)
        overrides_path.write_text(json.dumps(overrides, indent=1))
        for name in ("user-settings", "workspaces", "runtime"):
            (self.work / name).mkdir(exist_ok=True)
        return {
            "app_settings_dir": str(app_settings),
            "JUPYTERLAB_SETTINGS_DIR": str(self.work / "user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.work / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(self.work / "runtime"),
        }

    def start(self, timeout: float = 90.0) -> LabServer:
        """Start the server; return when ``/api/status`` answers 200 (raise with its log otherwise)."""
        settings = self._write_settings()
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.app_settings_dir={settings.pop('app_settings_dir')}",
            "--LabApp.expose_app_in_browser=True",  # lets the harness read cell outputs from the model
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        env = dict(os.environ, JUPYTER_TOKEN=self.token, **settings)
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=self.root)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("/api/status", timeout=2)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines JupyterLab logged."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kernel_states(self, relative: str) -> list[str]:
        """Execution states of the kernels of the sessions open on ``relative``."""
        try:
            sessions = self.api("/api/sessions")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return []
        return [
            s["kernel"]["execution_state"]
            for s in sessions
            if s.get("kernel") and s.get("path", "").lstrip("/") == relative
        ]

    def stop(self) -> None:
        """Shut down (kernels too), by the API, then by process id for anything left."""
        if self.process is None:
            return
        pid = self.process.pid
        if self.process.poll() is None:
            try:
                self.api("/api/shutdown", method="POST", timeout=5)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                leftovers = _descendants_of(pid)
                _stop_pids([pid])
                _stop_pids(leftovers)
        _stop_pids([p for p in _descendants_of(pid) if _alive(p)])
        self.process.wait()
        self.log.close()
        self.process = None


# --- the browser -----------------------------------------------------------------------------


class Chromium:
    """Debian's Chromium under Playwright, in a private profile folder; stopped by process id."""

    def __init__(self, work: Path, executable: str = CHROMIUM) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="bplab-chromium-", dir=work))
        self.executable = executable
        self.playwright: Any = None
        self.context: Any = None

    def start(self) -> Chromium:
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.profile),
            executable_path=self.executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        return self

    def browser_pids(self) -> list[int]:
        """Process ids of the Chromium processes using this profile folder."""
        marker = str(self.profile).encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if marker in (entry / "cmdline").read_bytes():
                        pids.append(int(entry.name))
                except OSError:
                    continue
        return pids

    def stop(self) -> None:
        """Close the browser and Playwright's driver; kill, by id, any process of ours still there."""
        pids = self.browser_pids()
        try:
            if self.context is not None:
                self.context.close()
        finally:
            if self.playwright is not None:
                self.playwright.stop()
            _stop_pids([pid for pid in pids if _alive(pid)], grace=3)
            shutil.rmtree(self.profile, ignore_errors=True)
            self.context = self.playwright = None


# --- one notebook, run in the page -----------------------------------------------------------


@dataclass
class SliderResult:
    """One slider: its label, the presses made and the key-press to plot-change latencies."""

    index: int
    label: str
    has_plot: bool
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class ControlResult:
    """A control other than a slider (a dropdown, a checkbox, a text box, a button), used once."""

    kind: str
    label: str
    action: str
    latency_ms: float | None = None
    failure: str = ""


# What the browser tests type into each text box, by its label: a change its explorer must show.
TEXT_INPUTS = {
    "formula f =": "x*y + y",  # the graph stepper: a formula with a new variable, in one go
    "values": "x=2, y=-1",
    "f(x) =": "x**3 - x",  # the secant explorer
    "your guesses so far": "50, 25",  # the high-low game
}


@dataclass
class NotebookRun:
    """What happened when a notebook ran in the browser."""

    notebook: str
    seconds_to_kernel_idle: float = 0.0
    seconds_to_run_all: float = 0.0
    code_cells: int = 0
    executed_cells: int = 0
    error_outputs: list[str] = field(default_factory=list)
    kernel_errors: list[str] = field(default_factory=list)  # raised while the kernel handled a widget message
    sliders: list[SliderResult] = field(default_factory=list)
    controls: list[ControlResult] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def latencies_ms(self) -> list[float]:
        return [ms for slider in self.sliders for ms in slider.latencies_ms]

    @property
    def median_latency_ms(self) -> float | None:
        return statistics.median(self.latencies_ms) if self.latencies_ms else None

    @property
    def p90_latency_ms(self) -> float | None:
        """The 90th percentile of the slider-to-plot times (the slow presses a learner still notices)."""
        if not self.latencies_ms:
            return None
        return float(np.percentile(self.latencies_ms, 90)) if len(self.latencies_ms) > 1 else self.latencies_ms[0]

    def problems(self, require_explorer: bool = False) -> list[str]:
        """Everything wrong with this run (empty when the notebook works in the browser)."""
        found = [f"error output: {text[:800]}" for text in self.error_outputs]
        found += [f"kernel error while handling a widget message: {text[:800]}" for text in self.kernel_errors]
        if self.executed_cells < self.code_cells:
            found.append(f"only {self.executed_cells} of {self.code_cells} code cells ran")
        found += [f"browser console: {text[:800]}" for text in self.console_errors]
        for slider in self.sliders:
            found += [f"slider {slider.index} ({slider.label!r}): {failure}" for failure in slider.failures]
        found += [f"{c.kind} {c.label!r} ({c.action}): {c.failure}" for c in self.controls if c.failure]
        driven = [s for s in self.sliders if s.has_plot]
        if require_explorer and not driven:
            found.append("no explorer found: no slider with a plotly plot in its cell")
        median = self.median_latency_ms
        if median is not None and median > LATENCY_LIMIT_MS:
            found.append(f"median slider-to-plot latency {median:.0f} ms is above {LATENCY_LIMIT_MS:.0f} ms")
        return found

    def summary(self) -> str:
        median = self.median_latency_ms
        latency = "no slider measured" if median is None else (
            f"slider key press -> plot changed: median {median:.0f} ms, 90th percentile {self.p90_latency_ms:.0f} ms "
            f"over {len(self.latencies_ms)} presses (min {min(self.latencies_ms):.0f}, max {max(self.latencies_ms):.0f}; budget {LATENCY_BUDGET_MS:.0f} ms)"
        )
        return (
            f"{self.notebook}: kernel idle after {self.seconds_to_kernel_idle:.1f} s, run-all "
            f"{self.seconds_to_run_all:.1f} s, {self.executed_cells}/{self.code_cells} cells, "
            f"{len(self.sliders)} slider(s); {latency}{self.controls_summary()}"
        )

    def controls_summary(self) -> str:
        """The other controls used, by kind, with the slowest change each kind took."""
        kinds: dict[str, list[ControlResult]] = {}
        for control in self.controls:
            kinds.setdefault(control.kind, []).append(control)
        parts = []
        for kind, used in kinds.items():
            times = [c.latency_ms for c in used if c.latency_ms is not None]
            slowest = f", slowest {max(times):.0f} ms" if times else ""
            parts.append(f"{len(used)} {kind}(s){slowest}")
        return f"; other controls: {', '.join(parts)}" if parts else ""

    def save(self, path: Path) -> None:
        """Write the run as JSON (the artifact the CI keeps)."""
        data = asdict(self)
        data["median_latency_ms"] = self.median_latency_ms
        data["latency_budget_ms"] = LATENCY_BUDGET_MS
        path.write_text(json.dumps(data, indent=1))


# In-page helpers. They read the DOM (what the learner sees) and, where JupyterLab exposes it
# (--LabApp.expose_app_in_browser), the notebook model (error outputs that render like stderr).
_JS_CELL_STATE = """
() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  let pending = 0, executed = 0, nonEmpty = 0;
  for (const cell of cells) {
    const source = (cell.querySelector('.cm-content') || {}).textContent || '';
    const prompt = (cell.querySelector('.jp-InputPrompt') || {}).textContent || '';
    if (prompt.includes('*')) pending += 1;
    if (source.trim() === '') continue;
    nonEmpty += 1;
    if (/\\[\\d+\\]/.test(prompt)) executed += 1;
  }
  return {cells: cells.length, nonEmpty, pending, executed};
}
"""

_JS_ERRORS = """
() => {
  const errors = [];
  for (const node of document.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) {
    const text = node.textContent || '';
    if (text.includes('Traceback')) errors.push(text);
  }
  for (const node of document.querySelectorAll('.jp-OutputArea-output')) {
    const text = node.textContent || '';
    if (text.includes('Error displaying widget') || text.includes('Error rendering output'))
      errors.push(text);
  }
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  const model = panel && panel.content && panel.content.model;
  if (model && model.cells) {
    for (let i = 0; i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      if (cell.type !== 'code') continue;
      for (const output of cell.outputs.toJSON()) {
        if (output.output_type === 'error')
          errors.push(`${output.ename}: ${output.evalue} (cell ${i + 1})`);
      }
    }
  }
  return [...new Set(errors)];
}
"""

# Listens to the notebook kernel's iopub channel: an error raised while the kernel handles a widget
# (comm) message lands in JupyterLab's log console, never in a cell, so the DOM cannot show it.
_JS_LISTEN_KERNEL = """
() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) return false;
  window.__bplabKernelErrors = [];
  kernel.iopubMessage.connect((_, message) => {
    const parent = message.parent_header || {};
    const type = message.header.msg_type;
    if (parent.msg_type !== 'comm_msg') return;
    const content = message.content || {};
    if (type === 'error') {
      const trace = (content.traceback || []).join('\\n').replace(/\\u001b\\[[0-9;]*m/g, '');
      window.__bplabKernelErrors.push(`${content.ename}: ${content.evalue}\\n${trace.slice(-1500)}`);
    } else if (type === 'stream' && content.name === 'stderr'
               && /Traceback|Exception in comm_msg|Error:/.test(content.text || '')) {
      window.__bplabKernelErrors.push(content.text);
    }
  });
  return true;
}
"""

_JS_SLIDERS = """
() => [...document.querySelectorAll('.jp-Notebook .widget-slider')].map((slider, index) => {
  const cell = slider.closest('.jp-Cell');
  const label = slider.querySelector('.widget-label');
  return {index, label: label ? label.textContent.trim() : '',
          plots: cell ? cell.querySelectorAll('.js-plotly-plot').length : 0};
})
"""

# Starts watching the plots in the slider's cell; records when their data first differs. The data are compared
# by a weighted sum of every number and string in them, computed each animation frame: serializing them instead
# (JSON.stringify of two 60 x 60 heatmaps) cost the page under test several milliseconds a frame, more for
# larger figures, and so inflated exactly the latencies being compared.
_JS_SIGNATURE = """
  const sig = (v) => {
    if (v === null || v === undefined) return 0.5;
    if (typeof v === 'number') return Number.isFinite(v) ? v : 0.25;
    if (typeof v === 'boolean') return v ? 0.75 : 0.125;
    if (typeof v === 'string') { let h = v.length; for (let i = 0; i < v.length; i++) h = (h * 31 + v.charCodeAt(i)) % 1000003; return h; }
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      let total = v.length;
      for (let i = 0; i < v.length; i++) total += sig(v[i]) * ((i % 7) + 1.5);
      return total;
    }
    if (typeof v === 'object') { let total = 0; for (const k in v) total += sig(v[k]) * (sig(k) % 97 + 1); return total; }
    return 0;
  };
"""

# Given snapshot(): records in window.__bplabWatch when it first differs from now (checked every animation frame).
_JS_WATCH_SNAPSHOT = """
  const before = snapshot();
  const watch = {t0: performance.now(), t1: null};
  window.__bplabWatch = watch;
  const tick = () => {
    if (window.__bplabWatch !== watch) return;
    if (snapshot() !== before) { watch.t1 = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
"""

_JS_WATCH = """
(index) => {
  const slider = document.querySelectorAll('.jp-Notebook .widget-slider')[index];
  const plots = [...slider.closest('.jp-Cell').querySelectorAll('.js-plotly-plot')];
""" + _JS_SIGNATURE + """
  const snapshot = () => plots.map(p => sig(p.data || null)).join(',');
""" + _JS_WATCH_SNAPSHOT + """
  const handle = slider.querySelector('.noUi-handle');
  const now = Number(handle && handle.getAttribute('aria-valuenow'));
  const max = Number(handle && handle.getAttribute('aria-valuemax'));
  return {atMax: Number.isFinite(now) && Number.isFinite(max) && now >= max};
}
"""

# Watches the plots and the explorer's status and error lines in a control's cell; records when any first changes.
_JS_WATCH_CELL = """
(element) => {
  const cell = element.closest('.jp-Cell');
  const plots = [...cell.querySelectorAll('.js-plotly-plot')];
  const lines = () => [...cell.querySelectorAll('.widget-html')].map(h => h.textContent).join('|');
""" + _JS_SIGNATURE + """
  const snapshot = () => plots.map(p => sig(p.data || null)).join(',') + '#' + sig(lines());
""" + _JS_WATCH_SNAPSHOT + """
  return plots.length;
}
"""

_JS_A_JOB_RUNS = """
() => [...document.querySelectorAll('.jp-Notebook button.jupyter-button')]
  .some(b => b.textContent.trim() === 'stop' && b.offsetParent !== null)
"""

# Every control but sliders that a learner can use in an explorer's cell: kind, index among its kind, label.
_CONTROL_SELECTORS = {
    "dropdown": ".jp-Notebook .widget-dropdown select",
    "checkbox": ".jp-Notebook .widget-checkbox input[type=checkbox]",
    "text box": ".jp-Notebook .widget-text input[type=text]",
    "button": ".jp-Notebook button.jupyter-button",
}
_JS_CONTROL_LABEL = """
(element) => {
  const box = element.closest('.widget-dropdown, .widget-checkbox, .widget-text');
  const label = box && box.querySelector('.widget-label');
  const text = label && label.textContent.trim() ? label.textContent : (box || element).textContent;
  const cell = element.closest('.jp-Cell');
  return {label: text.trim(),
          plots: cell ? cell.querySelectorAll('.js-plotly-plot').length : 0,
          visible: element.offsetParent !== null};
}
"""


def _wait(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def _accept_dialogs(page: Any) -> None:
    """Accept any JupyterLab dialog (e.g. "Select Kernel") that is open."""
    for button in page.locator(".jp-Dialog .jp-mod-accept").all():
        try:
            button.click(timeout=2000)
        except Exception:  # noqa: BLE001 - the dialog closed by itself
            pass


def open_and_run(page: Any, server: LabServer, relative: str, run: NotebookRun, run_timeout: float = 300.0) -> None:
    """Open ``relative`` in ``page``, listen to its kernel, run all cells and wait until the widgets have rendered."""
    page.on("console", lambda message: message.type == "error" and run.console_errors.append(message.text))
    page.on("pageerror", lambda error: run.console_errors.append(f"uncaught: {error}"))
    started = time.monotonic()
    page.goto(server.notebook_url(relative), wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)

    def kernel_idle() -> bool:
        _accept_dialogs(page)
        return "idle" in server.kernel_states(relative)

    if not _wait(kernel_idle, timeout=90):
        raise AssertionError(f"the kernel of {relative} never became idle:\n{server.log_tail()}")
    run.seconds_to_kernel_idle = time.monotonic() - started
    if not page.evaluate(_JS_LISTEN_KERNEL):
        raise AssertionError(f"could not listen to the kernel of {relative}: JupyterLab's app is not exposed")

    started = time.monotonic()
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-InputPrompt')].some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))",
        timeout=30_000,
    )

    def finished() -> bool:
        state = page.evaluate(_JS_CELL_STATE)
        run.code_cells, run.executed_cells = state["nonEmpty"], state["executed"]
        if state["pending"]:
            return False
        if state["executed"] >= state["nonEmpty"] or page.evaluate(_JS_ERRORS):
            return "idle" in server.kernel_states(relative)
        return False

    if not _wait(finished, timeout=run_timeout, interval=0.3):
        run.notes.append(f"run-all did not finish within {run_timeout:.0f} s")
    run.seconds_to_run_all = time.monotonic() - started

    # Widgets render after their cell ran: wait until the count of plots and sliders settles.
    counts: list[tuple[int, int]] = []

    def settled() -> bool:
        counts.append(
            (page.locator(".jp-Notebook .js-plotly-plot").count(), page.locator(".jp-Notebook .widget-slider").count())
        )
        return len(counts) >= 4 and len(set(counts[-4:])) == 1

    _wait(settled, timeout=30, interval=0.5)
    run.error_outputs = page.evaluate(_JS_ERRORS)


def use_other_controls(page: Any, run: NotebookRun, change_timeout: float) -> None:
    """Use every dropdown, checkbox, text box and button in an explorer's cell once; each must change the cell's
    plots or its status line (a failure is recorded otherwise). Buttons go last, in page order, so "reset"
    follows the training buttons that give it something to reset."""
    for kind, selector in _CONTROL_SELECTORS.items():
        elements = page.locator(selector)
        for index in range(elements.count()):
            element = elements.nth(index)
            info = element.evaluate(_JS_CONTROL_LABEL)
            if not info["plots"] or not info["visible"] or (kind == "button" and info["label"] == "stop"):
                continue  # not an explorer's control, or the stop button (shown only while a job runs)
            if element.is_disabled():
                run.notes.append(f"{kind} {info['label']!r} is greyed out at these settings: not used")
                continue
            element.scroll_into_view_if_needed()
            result = ControlResult(kind=kind, label=info["label"], action="")
            if kind == "dropdown":
                options = element.evaluate("(s) => [...s.options].map(o => o.value)")
                current = element.input_value()
                others = [o for o in options if o != current]
                if not others:
                    continue
                result.action = f"chose {others[0]!r}"
                element.evaluate(_JS_WATCH_CELL)
                element.select_option(others[0])
            elif kind == "checkbox":
                result.action = "ticked" if not element.is_checked() else "unticked"
                element.evaluate(_JS_WATCH_CELL)
                element.click()
            elif kind == "text box":
                text = TEXT_INPUTS.get(info["label"])
                if text is None:
                    result.failure = f"no text to type: add its label to TEXT_INPUTS in {Path(__file__).name}"
                    run.controls.append(result)
                    continue
                result.action = f"typed {text!r} and Enter"
                element.fill(text)
                element.evaluate(_JS_WATCH_CELL)
                element.press("Enter")
            else:
                result.action = "clicked"
                element.evaluate(_JS_WATCH_CELL)
                element.click()
            try:
                page.wait_for_function("() => window.__bplabWatch && window.__bplabWatch.t1 !== null",
                                       timeout=change_timeout * 1000)
                times = page.evaluate("() => window.__bplabWatch")
                result.latency_ms = round(times["t1"] - times["t0"], 1)
            except Exception:  # noqa: BLE001 - playwright's TimeoutError: recorded as a failure
                result.failure = f"neither the plot nor the status line changed within {change_timeout:.0f} s"
            _wait(lambda: not page.evaluate(_JS_A_JOB_RUNS), 60)
            shown = element.evaluate("(e) => e.closest('.jp-Cell').innerText")
            if "Could not update" in shown:  # the explorer's error line: the change was refused or failed
                start = shown.index("Could not update")
                result.failure = f"the explorer showed an error: {shown[start:start + 300]!r}"
            run.controls.append(result)  # (a background job it started has finished: the next control cancels none)


def press_slider(page: Any, index: int, presses: int, change_timeout: float = 10.0) -> tuple[list[float], str]:
    """Press the arrow key on slider ``index`` (the ``index``-th in the page) ``presses`` times, right (left at its
    maximum); each press's key-to-plot-change time in ms, and a failure ("" if none; it ends the presses)."""
    handle = page.locator(".jp-Notebook .widget-slider").nth(index).locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    latencies: list[float] = []
    for _ in range(presses):
        watch = page.evaluate(_JS_WATCH, index)
        handle.press("ArrowLeft" if watch["atMax"] else "ArrowRight")
        try:
            page.wait_for_function(
                "() => window.__bplabWatch && window.__bplabWatch.t1 !== null", timeout=change_timeout * 1000
            )
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: recorded as a failure
            return latencies, f"the plot did not change within {change_timeout:.0f} s of a key press"
        times = page.evaluate("() => window.__bplabWatch")
        latencies.append(round(times["t1"] - times["t0"], 1))
    return latencies, ""


class ReferencePage:
    """The start page kept open beside the lessons in the same JupyterLab: its trivial explorer, measured
    just before and just after each lesson, is that lesson's reference for latency (measured alongside it,
    so a slower or quicker stretch of the run moves both)."""

    def __init__(self, chromium: Chromium, server: LabServer, relative: str = "00_start_here.ipynb") -> None:
        self.chromium, self.server, self.relative = chromium, server, relative
        self.run = NotebookRun(notebook=relative)
        self.page: Any = None

    def open(self, run_timeout: float = 120.0) -> ReferencePage:
        self.page = self.chromium.context.new_page()
        open_and_run(self.page, self.server, self.relative, self.run, run_timeout)
        problems = self.run.problems()
        if problems:
            raise AssertionError(f"the reference page {self.relative} does not work:\n" + "\n".join(problems))
        return self

    def measure(self, presses: int, change_timeout: float = 10.0) -> list[float]:
        """``presses`` key presses on the start page's slider: their key-to-plot times (ms)."""
        self.page.bring_to_front()
        latencies, failure = press_slider(self.page, 0, presses, change_timeout)
        if failure:
            raise AssertionError(f"the reference page {self.relative}: {failure}")
        return latencies

    def close(self) -> None:
        if self.page is not None:
            self.page.close()


def run_notebook(
    chromium: Chromium,
    server: LabServer,
    relative: str,
    artifacts: Path,
    name: str,
    presses: int = 3,
    run_timeout: float = 300.0,
    change_timeout: float = 10.0,
) -> NotebookRun:
    """Open ``relative`` in JupyterLab, run all cells, move every slider, screenshot; the record.

    Artifacts: ``<name>.png`` (the whole page with the first explorer scrolled into view),
    ``<name>-explorer.png`` (that explorer's cell) and ``<name>.json`` (this record).
    """
    artifacts.mkdir(parents=True, exist_ok=True)
    run = NotebookRun(notebook=relative)
    page = chromium.context.new_page()
    try:
        open_and_run(page, server, relative, run, run_timeout)
        for info in page.evaluate(_JS_SLIDERS):
            result = SliderResult(index=info["index"], label=info["label"], has_plot=info["plots"] > 0)
            run.sliders.append(result)
            if not result.has_plot:
                run.notes.append(f"slider {info['index']} ({info['label']!r}) has no plot in its cell: not moved")
                continue
            result.latencies_ms, failure = press_slider(page, info["index"], presses, change_timeout)
            if failure:
                result.failures.append(failure)
        use_other_controls(page, run, change_timeout)
        run.error_outputs = page.evaluate(_JS_ERRORS)  # a slider callback may have failed
        page.wait_for_timeout(500)  # a late error from the last press
        run.kernel_errors = list(dict.fromkeys(page.evaluate("() => window.__bplabKernelErrors || []")))

        explorer = page.locator(".jp-Notebook .jp-Cell", has=page.locator(".js-plotly-plot")).filter(
            has=page.locator(".widget-slider")
        )
        if explorer.count():
            explorer.first.scroll_into_view_if_needed()
            explorer.first.screenshot(path=str(artifacts / f"{name}-explorer.png"))
            run.screenshots.append(str(artifacts / f"{name}-explorer.png"))
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        run.screenshots.append(str(artifacts / f"{name}.png"))
    finally:
        run.save(artifacts / f"{name}.json")
        SUMMARIES.append(f"{run.summary()} [{artifacts / name}.json]")
        page.close()
    return run
