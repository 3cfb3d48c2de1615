r"""Batch size: one update per dataset, per example, or per mini-batch of examples.

The training loss is an average over the $N$ examples, $L = \frac1N\sum_i \ell_i$, so its
gradient is the average of the examples' gradients. **Full-batch** gradient descent uses all
$N$ for every update: the exact gradient, one update per epoch. **Stochastic** gradient descent
uses one example: a noisy estimate, $N$ updates per epoch. A **mini-batch** of $B$ examples sits
between: $\lceil N/B \rceil$ updates per epoch, with noise that shrinks as $B$ grows.

The explorer trains the same network (2-16-1, tanh, the same starting weights) on the same
moons three ways with plain SGD at one learning rate, and shows the loss on the whole training
set after each epoch, the loss of each update's batch (the noise), and the loss against the
measured training time (the speed). Each run is remembered, so moving the batch-size slider
retrains only the mini-batch run.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import plotly.graph_objects as go

from bplab import data, nn, optim, train
from bplab.engine import no_grad
from bplab.explorers.base import Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE
from bplab.validation import whole_number

HIDDEN_UNITS = 16
MAX_POINTS = 1000
METHODS = ("full batch", "stochastic", "mini-batch")
COLOURS = {"full batch": PALETTE["blue"], "stochastic": PALETTE["vermillion"], "mini-batch": PALETTE["green"]}
BATCH_SIZE_LABEL = "mini-batch size (examples per update)"
DASHES = {"full batch": "solid", "stochastic": "dot", "mini-batch": "dash"}


def make_moons(points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The two moons (noise 0.15), inputs centred; targets as a column of 0.0 / 1.0 for the logistic loss."""
    X, y = data.moons(points, noise=0.15, seed=seed)
    return X - X.mean(axis=0), np.asarray(y, dtype=np.float64)[:, None]


@dataclass(frozen=True)
class BatchRun:
    """One training run: what the figure and the status line need.

    ``epoch_loss[k]``: the loss on the whole training set after ``k`` epochs (``k = 0`` is the
    start; NaN after a divergence). ``step_loss``: the loss of each update's own batch.
    ``elapsed``: the training time in seconds at the end of each epoch (0 at the start),
    not counting the whole-set evaluations.
    """

    method: str
    batch_size: int
    updates_per_epoch: int
    epoch_loss: np.ndarray
    step_loss: np.ndarray
    elapsed: np.ndarray
    message: str
    diverged: bool
    finished: bool = True  # False while the explorer's job is still training it

    @classmethod
    def waiting(cls, method: str, batch_size: int, points: int, epochs: int) -> BatchRun:
        """A run not started yet (drawn as nothing, described as waiting)."""
        nothing = np.full(epochs + 1, np.nan)
        return cls(method, batch_size, math.ceil(points / batch_size), nothing, np.array([]), nothing, "", False, False)

    @property
    def seconds_per_epoch(self) -> float:
        """Mean measured training time of one epoch (NaN when no epoch finished)."""
        finished = int(np.sum(np.isfinite(self.elapsed))) - 1
        return float(self.elapsed[finished] / finished) if finished > 0 else float("nan")


def train_with_batch_size(X: np.ndarray, y: np.ndarray, batch_size: int, rate: float, epochs: int,
                          seed: int = 0, method: str = "mini-batch") -> BatchRun:
    r"""Train a fresh 2-16-1 tanh network with SGD on mini-batches of ``batch_size``; return a :class:`BatchRun`.

    The same ``seed`` gives the same starting weights and the same shuffles, so ``batch_size=1``
    is stochastic gradient descent and ``batch_size=len(X)`` is full-batch gradient descent.
    """
    # the finished run: the last one (maxlen=1 only keeps the others out of memory; any maxlen pops the same)
    return deque(batch_run_steps(X, y, batch_size, rate, epochs, seed, method), maxlen=1).pop()


def batch_run_steps(X: np.ndarray, y: np.ndarray, batch_size: int, rate: float, epochs: int,
                    seed: int = 0, method: str = "mini-batch") -> Iterator[BatchRun]:
    """:func:`train_with_batch_size` one epoch at a time: the run so far (the epochs still to come are NaN),
    from the start (epoch 0) to the finished run."""
    points = len(X)
    if not 1 <= batch_size <= points:
        raise ValueError(f"batch_size: expected a whole number from 1 to {points} (the number of examples), got {batch_size!r}")
    model = nn.MLP([X.shape[1], HIDDEN_UNITS, 1], seed=seed)  # tanh between the layers: MLP's default
    optimizer = optim.SGD(model.parameters(), lr=rate)
    loss_fn = nn.binary_cross_entropy_with_logits

    @no_grad()
    def whole_set_loss() -> float:
        return float(loss_fn(model(X), y).data)

    epoch_loss, elapsed = [whole_set_loss()], [0.0]
    clock = {"trained": 0.0}  # "since": when training last resumed (set after each snapshot is drawn)

    def after_epoch(_history: train.History) -> None:
        clock["trained"] += time.perf_counter() - clock["since"]
        elapsed.append(clock["trained"])
        epoch_loss.append(whole_set_loss())  # not training time: the clock restarts after the snapshot, below

    def snapshot(history: train.History | None, finished: bool) -> BatchRun:
        missing = epochs + 1 - len(epoch_loss)
        epoch_array = np.asarray(epoch_loss + [math.nan] * missing)
        return BatchRun(
            method=method,
            batch_size=batch_size,
            updates_per_epoch=math.ceil(points / batch_size),
            epoch_loss=np.where(np.isfinite(epoch_array), epoch_array, np.nan),
            step_loss=np.asarray(history.loss if history else []),  # floats: an empty array is float64 too
            elapsed=np.asarray(elapsed + [math.nan] * missing),
            message=history.message if finished and history else "",
            diverged=bool(history and history.diverged),
            finished=finished,
        )

    yield snapshot(None, finished=epochs == 0)
    clock["since"] = time.perf_counter()  # the first snapshot's drawing is not training time either
    steps = train.fit_steps(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=batch_size, seed=seed,
                            # record_grad_norms=False, accuracy=None: speed only, no result here uses them
                            callbacks=[after_epoch], record_grad_norms=False, accuracy=None)
    while True:
        try:
            history = next(steps)
        except StopIteration as done:
            history = done.value
            break
        if len(epoch_loss) < epochs + 1:  # the last epoch's snapshot is the finished run, below
            yield snapshot(history, finished=False)
            clock["since"] = time.perf_counter()  # the evaluation and the drawing of a snapshot are not training time
    if epochs:
        yield snapshot(history, finished=True)


@dataclass(frozen=True)
class BatchState:
    points: int
    epochs: int
    rate: float
    runs: dict[str, BatchRun]


class BatchSizeExplorer(Explorer):
    """``BatchSizeExplorer(batch_size=20, rate=0.3, epochs=10)``: full-batch, stochastic and mini-batch SGD side by side.

    Constructor-only settings: ``points`` (the number of training examples, 2 to 1000) and
    ``seed`` (the data, the starting weights and the shuffles).
    """

    title = "Batch size: one update per dataset, per example, or per mini-batch"
    controls = {
        "batch_size": Slider(BATCH_SIZE_LABEL, 1, MAX_POINTS, integer=True),  # up to the number of examples: slider_limits
        "rate": Slider("learning rate (logarithmic)", 1e-3, 10.0, log=True, step=0.05),
        "epochs": Slider("epochs (passes over the data)", 1, 30, integer=True),
    }
    defaults = {"batch_size": 20, "rate": 0.3, "epochs": 10}
    continuous_update = False  # a new rate or epoch count retrains all three runs (a few hundred ms)

    def __init__(self, points: int = 200, seed: int = 0, **settings: Any) -> None:
        points = whole_number(points, "points", minimum=2, maximum=MAX_POINTS, meaning="the number of training examples")
        self._seed = whole_number(seed, "seed", minimum=0)
        self._X, self._y = make_moons(points, self._seed)
        self._runs: dict[str, tuple[tuple, BatchRun]] = {}  # per method: the settings it was trained with, and the run
        super().__init__(**settings)

    def slider_limits(self, state: BatchState | None) -> dict[str, float]:
        """The batch size goes up to the number of examples (all of them: full batch)."""
        return {"batch_size": len(self._X)}

    def compute_steps(self, batch_size: int, rate: float, epochs: int) -> Iterator[Callable[[], BatchState]]:
        """The runs remembered at once; each run whose settings changed retrained one epoch per piece."""
        points = len(self._X)
        if batch_size > points:
            raise ValueError(
                f"batch_size: expected at most {points} (the number of training examples), got {batch_size}; "
                f"a batch of all {points} examples is full-batch gradient descent"
            )
        sizes = {"full batch": points, "stochastic": 1, "mini-batch": batch_size}
        runs: dict[str, BatchRun] = {}
        to_train = []
        for method in METHODS:  # a run is retrained only when its own settings changed
            key = (sizes[method], rate, epochs)
            remembered = self._runs.get(method)
            if remembered is not None and remembered[0] == key:
                runs[method] = remembered[1]
            else:
                runs[method] = BatchRun.waiting(method, sizes[method], points, epochs)
                to_train.append((method, key))

        def frame() -> BatchState:
            return BatchState(points, epochs, rate, dict(runs))

        yield frame
        # the quickest (fewest updates) first; sorting by name gives the same order (full, mini, stochastic)
        # except between two runs of equal cost (batch size 1 or all), whose order does not matter
        for method, key in sorted(to_train, key=lambda item: -item[1][0]):
            for run in batch_run_steps(self._X, self._y, key[0], rate, epochs, seed=self._seed, method=method):
                runs[method] = run
                yield frame
            self._runs[method] = (key, runs[method])

    def progress(self, state: BatchState) -> str:
        waiting = [self._label(run) for run in state.runs.values() if not run.finished]
        return f"training {', '.join(waiting)}" if waiting else ""

    @staticmethod
    def _label(run: BatchRun) -> str:
        if run.method == "mini-batch":
            return f"mini-batch of {run.batch_size}"
        return f"{run.method} ({run.batch_size})" if run.method == "full batch" else "stochastic (1)"

    def draw(self, s: BatchState) -> go.Figure:
        grid = Grid(rows=1, cols=3, horizontal_spacing=0.1, titles=(
            "Loss, all examples", "Loss of each batch: noise", "Loss against time: speed"))
        epochs = np.arange(s.epochs + 1)
        per_epoch, against_time = [], []
        for method in METHODS:
            run = s.runs[method]
            colour, dash, label = COLOURS[method], DASHES[method], self._label(run)
            per_epoch.append(dict(type="scatter", x=epochs, y=run.epoch_loss, mode="lines+markers", name=label,
                                  legendgroup=method, line=dict(color=colour, width=3, dash=dash), marker=dict(size=6),
                                  **grid.axes(1, 1)))
            # the start (time 0) has no place on a logarithmic time axis: from the first epoch on
            against_time.append(dict(type="scatter", x=run.elapsed[1:] * 1e3, y=run.epoch_loss[1:], mode="lines+markers",
                                     name=label, legendgroup=method, showlegend=False,
                                     line=dict(color=colour, width=3, dash=dash), marker=dict(size=6), **grid.axes(1, 3)))
        traces = [trace for pair in zip(per_epoch, against_time) for trace in pair]
        for method in ("stochastic", "mini-batch", "full batch"):  # the noisiest first, so the others stay visible
            run = s.runs[method]
            steps = np.arange(len(run.step_loss)) / run.updates_per_epoch  # each batch loss is measured before its update
            step_loss = np.where(np.isfinite(run.step_loss), run.step_loss, np.nan)
            traces.append(dict(type="scatter", x=steps, y=step_loss, mode="lines", name=self._label(run), legendgroup=method,
                               showlegend=False, opacity=0.55 if method == "stochastic" else 1.0,
                               line=dict(color=COLOURS[method], width=1 if method == "stochastic" else 2.5),
                               **grid.axes(1, 2)))
        for title in grid.layout["annotations"]:  # subplot titles: short enough for three panels side by side
            title["font"]["size"] = 14
        grid.xaxis(1, 1)["title"] = dict(text="epoch")
        grid.xaxis(1, 2)["title"] = dict(text="epoch")
        grid.xaxis(1, 3).update(title=dict(text="time (ms)"), type="log", dtick=1)  # powers of ten
        grid.yaxis(1, 1).update(title=dict(text="cross-entropy loss"), rangemode="tozero")
        grid.yaxis(1, 3)["rangemode"] = "tozero"
        # single-example losses span decades: a log axis keeps the mini-batch and full-batch curves visible
        grid.yaxis(1, 2).update(type="log", dtick=1)
        return plain_figure(traces, grid.layout, height=420, legend=dict(orientation="h", y=-0.25))

    def describe(self, s: BatchState) -> str:
        parts = []
        for method in METHODS:
            run = s.runs[method]
            if not run.finished:
                ending = "training…"
            elif run.diverged:
                ending = f"<b>{run.message}</b>"
            else:
                ending = f"loss <b>{run.epoch_loss[-1]:.3f}</b>, {run.seconds_per_epoch * 1e3:.1f} ms per epoch"
            parts.append(f"{self._label(run)}: {run.updates_per_epoch} update{'s' if run.updates_per_epoch > 1 else ''} "
                         f"per epoch; {ending}")
        return (f"{s.points} examples, {s.epochs} epoch{'s' if s.epochs > 1 else ''}, learning rate {s.rate:.3g}.<br>"
                + "<br>".join(parts))
