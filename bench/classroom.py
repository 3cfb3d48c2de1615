"""Classroom sizing: what one learner costs a shared server (the instructor guide's table).

For each notebook of the course, in study order: a fresh kernel runs the whole notebook (as a
learner's "run all" does), and the kernel's resident memory is read afterwards. For each
explorer: the CPU time (process time, so waiting is not counted) one slider move costs in the
kernel, alternating between two settings of its first control, as bench/explorers.py does.

From those, a rough capacity: learners per node = min(memory / peak kernel memory,
cores x seconds / CPU seconds a learner uses per second of active exploring). The second term
assumes a learner moves a slider about once every 2 seconds while exploring (most of a lesson is
reading, so this is pessimistic).

Run: ``python bench/classroom.py`` (about two minutes; it starts one kernel per notebook).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from explorers import EXPLORERS, EXTRA_ROWS, two_settings  # noqa: E402  (bench/explorers.py, beside this file)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SLIDER_MOVES_PER_SECOND = 0.5  # a learner exploring moves a control about every 2 s


def course_notebooks() -> list[Path]:
    levels = sorted(p for p in NOTEBOOKS.glob("[0-9]_*/*.ipynb")
                    if ".ipynb_checkpoints" not in p.parts and not p.name.startswith("."))
    return [NOTEBOOKS / "00_start_here.ipynb", *levels]


def kernel_memory_after(notebook: Path, progress_file: Path) -> tuple[float, float, float]:
    """(MB at start, MB after running every cell, seconds) for a fresh kernel running ``notebook``."""
    os.environ["BPLAB_PROGRESS"] = str(progress_file)  # exercises record nothing in the learner's course
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(notebook.parent), stderr=subprocess.DEVNULL)  # no transport warning per kernel
    try:
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=120)
        process = psutil.Process(manager.provisioner.process.pid)
        at_start = process.memory_info().rss / 2**20
        started = time.perf_counter()
        notebook_node = nbformat.read(notebook, as_version=4)
        NotebookClient(notebook_node, km=manager, kc=client, timeout=600,
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
        seconds = time.perf_counter() - started
        after = process.memory_info().rss / 2**20
        client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)
    return at_start, after, seconds


def cpu_per_move(explorer, only: str | None = None, repeats: int = 15) -> float:
    """Median process (CPU) seconds of one update that changes a control."""
    first, second = two_settings(explorer, only)
    samples = []
    for k in range(repeats):
        started = time.process_time()
        explorer.update(**(second if k % 2 == 0 else first))
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def main() -> None:
    cores = os.cpu_count() or 1
    memory_gb = psutil.virtual_memory().total / 2**30
    print(f"machine: {cores} cores, {memory_gb:.1f} GiB; Python {sys.version.split()[0]}\n")
    print("| notebook | kernel memory at start | after running every cell | run-all time |")
    print("|---|---:|---:|---:|")
    peaks = []
    with tempfile.TemporaryDirectory() as folder:
        for notebook in course_notebooks():
            at_start, after, seconds = kernel_memory_after(notebook, Path(folder) / "progress.json")
            peaks.append(after)
            print(f"| {notebook.relative_to(NOTEBOOKS)} | {at_start:.0f} MB | {after:.0f} MB | {seconds:.1f} s |")
    print("\n| explorer (control moved) | CPU per slider move |")
    print("|---|---:|")
    costs = []
    rows = [(cls, None, "") for cls in EXPLORERS] + EXTRA_ROWS
    for cls, only, what in rows:
        seconds = cpu_per_move(cls(), only)
        costs.append(seconds)
        label = cls.__name__ + (f" ({what})" if what else "")
        print(f"| {label} | {seconds * 1e3:.0f} ms |")
    peak = max(peaks)
    typical = statistics.median(costs)
    by_memory = memory_gb * 1024 / peak
    by_cpu = cores / (typical * SLIDER_MOVES_PER_SECOND)
    print(f"\nPeak kernel memory {peak:.0f} MB; median CPU per slider move {typical * 1e3:.0f} ms.")
    print(f"This machine ({cores} cores, {memory_gb:.0f} GiB) holds about {int(min(by_memory, by_cpu))} learners "
          f"exploring at once (memory allows {int(by_memory)}, CPU {int(by_cpu)} at one move per "
          f"{1 / SLIDER_MOVES_PER_SECOND:.0f} s each).")


if __name__ == "__main__":
    main()
