"""Explorer benchmark: the time of each explorer's ``update()`` at its default setting.

Budget (design.md): at most 50 ms of Python time per update. Each explorer is updated with a
setting that differs from the current one (so nothing is cached), alternating between two
values of its first control; medians over repeats, one BLAS thread. A reference measured in
the same run, the cost of building one empty plotly figure, is printed as a unit: an update
that costs N of them is N figure-constructions' worth of work.

Also, for each row, what the widget does with the same change (the shell's background job):
the *first frame* (the first piece of work, drawn and described: what the learner sees first)
and the *longest block* (the longest stretch in which the kernel could not answer a control: one
piece of work, or one piece plus a redraw, whichever is longer). And the import chain of the
first explorer a lesson shows (``python -X importtime``), heaviest packages first.

Run: ``python bench/explorers.py``.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time

import plotly.graph_objects as go
from threadpoolctl import threadpool_limits

from bplab.explorers.base import Choice, Explorer, Slider, Toggle
from bplab.explorers.batches import BatchSizeExplorer
from bplab.explorers.clinic import ClinicExplorer, GalleryExplorer
from bplab.explorers.convolution import ConvolutionExplorer
from bplab.explorers.depth import DepthExplorer
from bplab.explorers.graph_stepper import GraphStepper
from bplab.explorers.guessing import GuessingGame
from bplab.explorers.high_low import HighLowGame
from bplab.explorers.line_classifier import LineClassifier
from bplab.explorers.memory import CheckpointExplorer
from bplab.explorers.modes import ModeExplorer
from bplab.explorers.one_weight import OneWeightExplorer
from bplab.explorers.optimizer_race import OptimizerRace
from bplab.explorers.playground import Playground
from bplab.explorers.rules import LearningRulesExplorer
from bplab.explorers.secant import SecantExplorer
from bplab.explorers.slowdown import SlowdownExplorer
from bplab.explorers.swell import SwellExplorer
from bplab.explorers.symmetry import SymmetryExplorer
from bplab.explorers.through_time import TimeExplorer
from bplab.explorers.welcome import WelcomeExplorer

BUDGET = 0.050
EXPLORERS: list[type[Explorer]] = [
    WelcomeExplorer, GuessingGame, HighLowGame, SecantExplorer, OneWeightExplorer, LineClassifier, GraphStepper,
    SlowdownExplorer, Playground,
    BatchSizeExplorer, OptimizerRace, DepthExplorer, TimeExplorer, ConvolutionExplorer, ClinicExplorer, GalleryExplorer,
    ModeExplorer, SwellExplorer, CheckpointExplorer, LearningRulesExplorer, SymmetryExplorer,
]


#: Extra rows: (explorer class, control to move, what the row measures).
EXTRA_ROWS = [
    (Playground, "neuron", "view change only"),
    (Playground, "rate", "retrain 100 epochs"),
    (BatchSizeExplorer, "rate", "retrain all three runs"),
    (OptimizerRace, "rate", "the learning rate moved"),
    (DepthExplorer, "init_scale", "the scale moved"),
    (TimeExplorer, "scale", "the singular value moved"),
    (ConvolutionExplorer, "kernel", "another kernel"),
    (SwellExplorer, "depth", "one depth deeper, measured before"),
]


def two_settings(explorer: Explorer, only: str | None = None) -> tuple[dict, dict]:
    """Two nearby values of the first control (the one a learner moves first), or of ``only``."""
    for name, control in explorer.controls.items():
        if only is not None and name != only:
            continue
        value = explorer.params[name]
        if isinstance(control, Slider):
            if control.log:
                other = value * 1.1 if value * 1.1 <= control.high else value / 1.1
            elif control.integer:
                other = value + 1 if value + 1 <= control.high else value - 1
            else:
                step = control.step or (control.high - control.low) / 100
                other = value + step if value + step <= control.high else value - step
            return {name: value}, {name: other}
        if isinstance(control, Toggle):
            return {name: value}, {name: not value}
        if isinstance(control, Choice):
            other = next(o for o in control.options if o != value)
            return {name: value}, {name: other}
    raise ValueError(f"{type(explorer).__name__} has no control to move")


def median_update(explorer: Explorer, repeats: int = 25, only: str | None = None) -> float:
    first, second = two_settings(explorer, only)
    samples = []
    for k in range(repeats):
        start = time.perf_counter()
        explorer.update(**(second if k % 2 == 0 else first))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def job_profile(explorer: Explorer, only: str | None = None) -> tuple[float, float, int]:
    """(first frame, longest block, pieces) in seconds, for one change run the way the widget's job runs it."""
    first, second = two_settings(explorer, only)
    explorer.update(**first)
    params = explorer._checked(second)
    started = time.perf_counter()
    first_frame = longest = 0.0
    pieces = 0
    last_drawn = -1.0
    piece_started = started
    for frame in explorer.compute_steps(**params):
        if last_drawn < 0 or time.perf_counter() - last_drawn >= explorer.redraw_interval:
            state = frame()
            explorer.draw(state)
            explorer.describe(state)
            last_drawn = time.perf_counter()
            if pieces == 0:
                first_frame = last_drawn - started
        now = time.perf_counter()
        longest = max(longest, now - piece_started)
        piece_started = now
        pieces += 1
    return first_frame, longest, pieces


_PLOTLY_ALONE = "import plotly.graph_objects as go; go.FigureWidget()"
_FIRST_EXPLORER = "from bplab.explorers import WelcomeExplorer; WelcomeExplorer().widget"


def _seconds_in_fresh_interpreter(statement: str) -> float:
    timed = f"import time; _t = time.perf_counter(); {statement}; print(time.perf_counter() - _t)"
    result = subprocess.run([sys.executable, "-c", timed], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def first_figure_widget_times(rounds: int = 3) -> tuple[float, float]:
    """Seconds to a first FigureWidget with plotly alone, and to the first explorer's widget with bplab."""
    plain, deferred = [], []
    for _ in range(rounds):
        plain.append(_seconds_in_fresh_interpreter(_PLOTLY_ALONE))
        deferred.append(_seconds_in_fresh_interpreter(_FIRST_EXPLORER))
    return statistics.median(plain), statistics.median(deferred)


def import_chain(statement: str = "from bplab.explorers import WelcomeExplorer", top: int = 10) -> list[tuple[str, float]]:
    """The packages that ``statement`` imports, each with the time spent importing its own modules (seconds),
    heaviest first; the first row is the whole statement."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True)
    own: dict[str, float] = {}
    whole = 0.0
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        package = match.group(4).split(".")[0]
        own[package] = own.get(package, 0.0) + int(match.group(1)) / 1e6
        if len(match.group(3)) <= 1:
            whole += int(match.group(2)) / 1e6
    rows = sorted(own.items(), key=lambda item: -item[1])[:top]
    return [(statement, whole)] + rows


def main() -> None:
    with threadpool_limits(limits=1):
        reference = statistics.median(
            [_time(lambda: go.Figure(layout=dict(title="reference"))) for _ in range(50)]
        )
        print("explorer update() at the default setting (median; 1 BLAS thread; budget 50 ms)")
        print(f"  reference: one empty go.Figure() = {reference * 1e3:.2f} ms")
        print(f"  {'explorer (first control moved)':<40} {'update':>9}  {'x reference':>11}  budget"
              f"  {'first frame':>11}  {'longest block':>13}  pieces")
        rows = [(cls, None, "") for cls in EXPLORERS] + EXTRA_ROWS
        for cls, only, what in rows:
            seconds = median_update(cls(), only=only)
            first_frame, longest, pieces = job_profile(cls(), only=only)
            verdict = "ok" if seconds <= BUDGET else "OVER"
            label = cls.__name__ + (f" ({what})" if what else "")
            print(f"  {label:<40} {seconds * 1e3:7.1f} ms  {seconds / reference:9.1f} x  {verdict:>6}"
                  f"  {first_frame * 1e3:8.1f} ms  {longest * 1e3:10.1f} ms  {pieces:6d}")
        print("\nimport chain of the first explorer a lesson shows (cumulative seconds, fresh interpreter):")
        for name, seconds in import_chain():
            print(f"  {name:<40} {seconds:6.3f} s")
        print("\nthe first explorer a lesson shows, in a fresh interpreter (median of 3 each, interleaved):")
        plain, deferred = first_figure_widget_times()
        print(f"  {'plotly alone: first go.FigureWidget()':<52} {plain:6.3f} s")
        print(f"  {'bplab.explorers, then its first explorer widget':<52} {deferred:6.3f} s"
              f"  ({deferred / plain:.2f}x plotly alone; the IRI grammar deferred, see explorers/fast_start.py)")


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
