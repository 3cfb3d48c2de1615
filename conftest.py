"""Repository-wide pytest setup: how nbval compares the course's stored outputs.

nbval runs in strict mode over notebooks/ (pyproject.toml's addopts): every stored output is
compared, after the sanitize file (tests/nbval_sanitize.cfg) has replaced addresses, uuids and
timings. Left out of the comparison, because they are not the lesson's results:

- plotly's JSON figure (``application/vnd.plotly.v1+json``): a large dict compared exactly,
  which nbval's string sanitizing cannot reach;
- widget views (nbval skips ``application/vnd.jupyter.widget-view+json`` itself) *and* their
  ``text/plain`` fallback, the widget's repr (``FigureWidget({... every trace's data ...})``):
  the browser tests check what a widget shows.

The same matrix-product kernels on every machine: NumPy's OpenBLAS picks its kernels by CPU (an
AVX-512 machine gets other ones than an AVX2 machine), and they round sums in another order. Most
results agree to the last printed digit anyway, but a long training near the edge of stability
(lesson 17's 3,000 steps at rate 0.2) amplifies the last bit into another curvature (2.23 against
2.62). Kernels (kernels inherit the environment) are started with ``OPENBLAS_CORETYPE=Haswell``,
which every x86-64 CPU with AVX2 runs, and ``.ci/build-notebooks`` builds the stored outputs with
it. The two cells whose runs are chaotic whatever the kernels (lesson 18's largest rates, lesson
19's family-trees variants) leave their output out of the comparison and say so.

Exercise progress: every ``check`` in a test, a notebook run by nbval or a kernel of the browser
tests records its verdict in the file ``BPLAB_PROGRESS`` names. It is set here, at import, before
any kernel starts (kernels inherit the environment), to a temporary folder removed at the end, so
no run writes into the repository or into the learner's own progress.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["tests.ci_skips"]  # with CI=true a skipped test fails

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
ROOT = Path(__file__).resolve().parent
PROGRESS_DIR = Path(tempfile.mkdtemp(prefix="bplab-test-progress-"))
os.environ["BPLAB_PROGRESS"] = str(PROGRESS_DIR / "progress.json")
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")  # for the kernels nbval starts (see above)


def _without_widget_reprs(outputs: list) -> list:
    """``outputs`` with the ``text/plain`` dropped from every bundle that holds a widget view."""
    cleaned = []
    for output in outputs:
        data = output.get("data") if hasattr(output, "get") else None
        if data and WIDGET_VIEW_MIME in data and "text/plain" in data:
            output = copy.deepcopy(output)  # a NotebookNode: nbval reads attributes
            del output["data"]["text/plain"]
        cleaned.append(output)
    return cleaned


def pytest_configure(config: pytest.Config) -> None:
    """Resolve a relative sanitize file against the repository root; teach nbval about widget reprs."""
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not Path(sanitize).is_absolute() and not Path(sanitize).exists():
        config.option.nbval_sanitize_with = str(ROOT / sanitize)
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to configure
        return
    if getattr(IPyNbCell.compare_outputs, "_bplab_widget_reprs", False):
        return
    original = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):  # type: ignore[no-untyped-def]
        return original(self, _without_widget_reprs(test), _without_widget_reprs(ref), skip_compare)

    compare_outputs._bplab_widget_reprs = True  # type: ignore[attr-defined]
    IPyNbCell.compare_outputs = compare_outputs


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary progress folder of this run."""
    shutil.rmtree(PROGRESS_DIR, ignore_errors=True)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Notebooks under tests/ are test fixtures, not lessons: nbval does not collect them."""
    if collection_path.suffix == ".ipynb" and (ROOT / "tests") in collection_path.parents:
        return True
    return None


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Add plotly's JSON figure to what nbval leaves out of the comparison of each notebook."""
    try:
        from nbval.plugin import IPyNbFile
    except ImportError:
        return
    if isinstance(collector, IPyNbFile):
        collector.skip_compare = tuple(collector.skip_compare) + (PLOTLY_MIME,)
