"""The nbval setup is strict where it must be and blind where it must be.

A notebook is checked with the repository's own conftest.py and sanitize file, in a subprocess:
a stored number that differs fails; plotly JSON, widget reprs, addresses and timings do not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

REPO = Path(__file__).resolve().parents[1]


def nbval_options() -> list[str]:
    """The nbval options of the README's test command (pyproject.toml's addopts)."""
    addopts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    words = addopts.split()
    assert "--nbval" in words and "--nbval-lax" not in words, "nbval must run in strict mode"
    return [w if not w.startswith("tests/") else str(REPO / w) for w in words]


def check(tmp_path: Path, cells: list) -> subprocess.CompletedProcess[str]:
    shutil.copy(REPO / "conftest.py", tmp_path / "conftest.py")  # the same hooks as in the repository
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "lesson.ipynb")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), *nbval_options(),
         str(tmp_path / "lesson.ipynb")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )


def cell(source: str, count: int, *outputs) -> nbformat.NotebookNode:
    code = new_code_cell(source, execution_count=count)
    code.outputs = list(outputs)
    return code


def test_volatile_outputs_are_not_compared(tmp_path: Path) -> None:
    done = check(tmp_path, [
        cell("print(object())", 1, new_output("stream", name="stdout", text="<object object at 0x7f00deadbeef>\n")),
        cell("import uuid; print(uuid.uuid4())", 2,
             new_output("stream", name="stdout", text="123e4567-e89b-12d3-a456-426614174000\n")),
        cell("import plotly.graph_objects as go\ngo.Figure(go.Scatter(y=[1, 2]))", 3,
             new_output("display_data", data={"application/vnd.plotly.v1+json": {"data": [], "layout": {}},
                                               })),
        cell("import ipywidgets\nipywidgets.IntSlider(value=5)", 4,
             new_output("execute_result", execution_count=4, data={
                 "text/plain": "IntSlider(value=1)",
                 "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                              "model_id": "0123"}})),
        cell("print(6 * 7)", 5, new_output("stream", name="stdout", text="42\n")),
    ])
    assert done.returncode == 0, done.stdout[-3000:]
    assert "5 passed" in done.stdout


def test_a_changed_lesson_result_fails(tmp_path: Path) -> None:
    done = check(tmp_path, [cell("print(6 * 7)", 1, new_output("stream", name="stdout", text="41\n"))])
    assert done.returncode == 1, done.stdout[-3000:]
    assert "1 failed" in done.stdout


def test_notebooks_under_tests_are_not_collected(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bplab_root_conftest", REPO / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.pytest_ignore_collect(REPO / "tests" / "browser" / "fixture.ipynb", None) is True
    assert module.pytest_ignore_collect(REPO / "notebooks" / "00_start_here.ipynb", None) is None
    assert module.pytest_ignore_collect(REPO / "tests" / "test_cli.py", None) is None
