"""The browser harness tests itself on small notebooks made here: one that works, one that must fail."""

from __future__ import annotations

from pathlib import Path

import harness
import nbformat
import pytest
from harness import run_notebook

WORKING = [
    "import ipywidgets as widgets\nimport plotly.graph_objects as go\nimport numpy as np",
    (
        "x = np.linspace(-2, 2, 41)\n"
        "slider = widgets.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.1, description='slope a')\n"
        "figure = go.FigureWidget(data=[go.Scatter(x=x, y=1.0 * x, name='a x')],\n"
        "                         layout=dict(height=300, title='y = a x', yaxis=dict(range=[-6, 6])))\n"
        "def redraw(change):\n"
        "    with figure.batch_update():\n"
        "        figure.data[0].y = change['new'] * x\n"
        "slider.observe(redraw, names='value')\n"
        "shape = widgets.Dropdown(options=['line', 'square'], value='line', description='shape')\n"
        "def reshape(change):\n"
        "    figure.data[0].y = x ** 2 if change['new'] == 'square' else x\n"
        "shape.observe(reshape, names='value')\n"
        "flip = widgets.Button(description='flip')\n"
        "def flipped(_button):\n"
        "    figure.data[0].y = -np.asarray(figure.data[0].y)\n"
        "flip.on_click(flipped)\n"
        "widgets.VBox([slider, shape, flip, figure])"
    ),
    "print('done')",
]

BROKEN = [
    "import ipywidgets as widgets\nimport plotly.graph_objects as go",
    (
        "dead = widgets.IntSlider(value=1, min=0, max=10, description='not wired')\n"
        "dead_menu = widgets.Dropdown(options=['a', 'b'], description='menu not wired')\n"
        "dead_button = widgets.Button(description='button not wired')\n"
        "figure = go.FigureWidget(data=[go.Bar(y=[1, 2, 3])], layout=dict(height=250))\n"
        "widgets.VBox([dead, dead_menu, dead_button, figure])  # nothing observes the controls: the plot never changes"
    ),
    "1 / 0",
    "print('never runs')",
]


# A widget callback that fails: the kernel publishes the error for the widget message, in no cell.
COMM_ERROR = [
    "import ipywidgets as widgets\nimport plotly.graph_objects as go",
    (
        "slider = widgets.IntSlider(value=1, min=0, max=10, description='fails when moved')\n"
        "figure = go.FigureWidget(data=[go.Bar(y=[1, 2, 3])], layout=dict(height=250))\n"
        "def fail(change):\n"
        "    raise ValueError('planted failure in a widget callback')\n"
        "slider.observe(fail, names='value')\n"
        "widgets.VBox([slider, figure])"
    ),
]


def write_notebook(path: Path, sources: list[str]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, path)


def test_harness_on_a_working_and_a_broken_notebook(tmp_path: Path, chromium, lab_server, artifacts: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "working.ipynb", WORKING)
    write_notebook(root / "broken.ipynb", BROKEN)
    server = lab_server(root)

    working = run_notebook(chromium, server, "working.ipynb", artifacts, "harness-selftest")
    print(working.summary())
    assert working.problems(require_explorer=True) == []
    assert working.executed_cells == working.code_cells == 3
    assert len(working.sliders) == 1 and len(working.latencies_ms) == 3
    used = [(c.kind, c.label, c.action, c.failure) for c in working.controls]
    assert used == [("dropdown", "shape", "chose 'square'", ""), ("button", "flip", "clicked", "")], used
    assert (artifacts / "harness-selftest.png").stat().st_size > 10_000
    assert (artifacts / "harness-selftest.json").exists()

    broken = run_notebook(chromium, server, "broken.ipynb", artifacts, "harness-selftest-broken", change_timeout=3)
    problems = broken.problems(require_explorer=True)
    print(broken.summary(), *problems, sep="\n  ")
    assert any("ZeroDivisionError" in problem for problem in problems)
    assert any("the plot did not change" in problem for problem in problems)
    assert any("code cells ran" in problem for problem in problems)
    assert "dropdown 'menu not wired' (chose 'b'): neither the plot nor the status line changed within 3 s" in problems
    assert "button 'button not wired' (clicked): neither the plot nor the status line changed within 3 s" in problems

    write_notebook(root / "comm_error.ipynb", COMM_ERROR)
    failing = run_notebook(chromium, server, "comm_error.ipynb", artifacts, "harness-selftest-comm-error", presses=1,
                           change_timeout=3)
    problems = failing.problems(require_explorer=True)
    print(failing.summary(), *problems, sep="\n  ")
    assert failing.error_outputs == []  # no cell shows it: only the kernel's iopub messages do
    assert any("kernel error while handling a widget message" in p and "planted failure" in p for p in problems)


def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: a missing browser is a failure"):
        harness.require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        harness.require_browser()


def test_a_console_error_is_a_problem() -> None:
    run = harness.NotebookRun(notebook="any.ipynb", console_errors=["TypeError: planted"])
    assert run.problems() == ["browser console: TypeError: planted"]
