"""Lesson 12's stored training runs, made by the notebook's own code.

The notebook ``12_backprop_through_time.ipynb`` shows ``train_on_recall`` and a loop over models,
lengths and seeds that it runs only when ``RETRAIN = True``; otherwise it loads
``bplab/recall_first_runs.npz``. This module takes both cells from the notebook (one copy of the
code) and runs them: ``python tests/stored_runs.py`` remakes the file (about ten minutes on one
core); ``tests/test_stored_runs.py`` reruns a few runs and compares them with the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "4_postgraduate" / "12_backprop_through_time.ipynb"


def notebook_cell(marker: str) -> str:
    """The source of the one code cell of lesson 12 that contains ``marker``."""
    cells = [c for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    found = ["".join(c["source"]) for c in cells if marker in "".join(c["source"])]
    if len(found) != 1:
        raise LookupError(f"expected one code cell containing {marker!r} in {NOTEBOOK.name}, found {len(found)}")
    return found[0]


def training_namespace() -> dict[str, Any]:
    """The notebook's ``train_on_recall`` (and what it imports), defined from the notebook's cell."""
    namespace: dict[str, Any] = {}
    exec(notebook_cell("def train_on_recall"), namespace)  # noqa: S102 (the course's own notebook)
    return namespace


def retrain_all() -> dict[tuple[str, int, int], tuple[np.ndarray, float]]:
    """Every run, by the notebook's own loop with ``RETRAIN = True``."""
    namespace = training_namespace()
    loop = notebook_cell("RETRAIN = False")
    exec(loop.replace("RETRAIN = False", "RETRAIN = True", 1).split("\nprint(")[0], namespace)  # noqa: S102
    return namespace["runs"]


def save(runs: dict[tuple[str, int, int], tuple[np.ndarray, float]], path: Path) -> None:
    arrays = {}
    for (model, length, seed), (train, test) in runs.items():
        arrays[f"{model}|{length}|{seed}|train"] = np.asarray(train, dtype=np.float64)
        arrays[f"{model}|{length}|{seed}|test"] = np.asarray(test, dtype=np.float64)
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    from bplab.data import RECALL_RUNS_FILE

    save(retrain_all(), RECALL_RUNS_FILE)
    print(f"wrote {RECALL_RUNS_FILE}")
