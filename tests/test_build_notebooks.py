""".ci/build-notebooks: executes in the notebook's folder, keeps outputs and counts, drops widget state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "build-notebooks"


def write(path: Path, sources: list[str]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# a lesson")] + [nbformat.v4.new_code_cell(s) for s in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, path)


def text(output: dict) -> str:
    """A stream output's text (stored as one string or a list of lines)."""
    return "".join(output["text"])


def build(*targets: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, targets)], capture_output=True, text=True,
                          timeout=300, check=False)


def test_build_stores_reproducible_lean_outputs(tmp_path: Path) -> None:
    lesson = tmp_path / "level" / "01_lesson.ipynb"
    lesson.parent.mkdir()
    (lesson.parent / "data.txt").write_text("41")
    write(lesson, [
        "import os, sys, numpy as np\nprint(os.path.basename(os.getcwd()), sys.executable)",
        "rng = np.random.default_rng(0)\nprint(int(open('data.txt').read()) + 1, rng.integers(100))",
        "import ipywidgets\nipywidgets.IntSlider(value=3)",
    ])
    done = build(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 built, 0 failed" in done.stdout
    first = lesson.read_bytes()
    stored = json.loads(first)
    code = [cell for cell in stored["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code] == [1, 2, 3]
    assert text(code[0]["outputs"][0]) == f"level {sys.executable}\n"  # cwd = the notebook's folder, this Python
    assert text(code[1]["outputs"][0]) == "42 85\n"
    assert "application/vnd.jupyter.widget-view+json" in code[2]["outputs"][0]["data"]
    assert "widgets" not in stored["metadata"]  # widget state stripped
    assert all("execution" not in cell["metadata"] for cell in code)  # no timestamps
    assert stored["metadata"]["kernelspec"]["name"] == "python3"
    # A rebuild gives the same file, except the widget's random model id.
    assert build(lesson).returncode == 0
    again = json.loads(lesson.read_bytes())
    for cells in (stored["cells"], again["cells"]):
        for cell in cells:
            for output in cell.get("outputs", []):
                output.get("data", {}).get("application/vnd.jupyter.widget-view+json", {}).pop("model_id", None)
    assert again == stored


def test_a_failing_cell_fails_the_build_and_leaves_the_notebook_alone(tmp_path: Path) -> None:
    good, bad = tmp_path / "a_good.ipynb", tmp_path / "b_bad.ipynb"
    write(good, ["print('fine')"])
    write(bad, ["x = 1", "raise ValueError('lesson broken')", "print('after')"])
    before = bad.read_bytes()
    done = build(tmp_path)
    assert done.returncode == 1
    assert "1 built, 1 failed" in done.stdout
    assert "ValueError" in done.stderr and "lesson broken" in done.stderr
    assert bad.read_bytes() == before
    assert text(json.loads(good.read_bytes())["cells"][1]["outputs"][0]) == "fine\n"


def test_a_wrong_target_is_a_clear_error(tmp_path: Path) -> None:
    done = build(tmp_path / "missing.ipynb")
    assert done.returncode != 0
    assert "expected a .ipynb file or a folder of notebooks" in done.stderr
