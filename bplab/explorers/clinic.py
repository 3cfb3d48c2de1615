r"""The training clinic's explorers (lesson 14): a run's vital signs, live or from the gallery of broken runs.

:func:`dashboard` draws what :func:`bplab.clinic.train_steps` records, in four panels: the training
loss at every step against $\ln 10$, the training and test accuracy after every epoch against
chance, every layer's update-to-weight ratio at every step against the $10^{-3}$ rule of thumb,
and the share of unhealthy hidden units (dead ReLUs, or saturated sigmoid/tanh outputs).
:func:`symptoms` says the same in words, without naming a cause.

``ClinicExplorer`` trains with the learner's settings, one epoch per piece; every bug of the
gallery is one of its controls. ``GalleryExplorer`` shows the eight broken runs, case by case.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab import clinic
from bplab.explorers.base import Choice, Explorer, Slider, Toggle
from bplab.plain_figures import Grid, decade_ticks, plain_figure
from bplab.plots import PALETTE

CHANCE_LOSS = math.log(10)  # the loss of a uniform guess over ten classes
RULE_OF_THUMB = 1e-3  # a common target for the update-to-weight ratio (CS231n)
LAYER_COLOURS = (PALETTE["blue"], PALETTE["orange"], PALETTE["purple"])


def dashboard(record: clinic.Record, title: str = "") -> go.Figure:
    """The four panels of a run's vital signs."""
    per_epoch = record.steps_per_epoch
    grid = Grid(rows=2, cols=2, vertical_spacing=0.2, horizontal_spacing=0.12, titles=(
        "Training loss at every step", "Accuracy after every epoch",
        "Update-to-weight ratio ‖ΔW‖/‖W‖, per layer", "Unhealthy hidden units, per layer"))
    steps = np.arange(1, len(record.losses) + 1)
    epochs = np.arange(1, record.epochs_done + 1)
    with np.errstate(invalid="ignore"):
        losses = [float(v) if np.isfinite(v) and v > 0 else None for v in record.losses]
    traces = [
        dict(type="scatter", x=steps, y=losses, mode="lines", name="training loss", line=dict(color=PALETTE["blue"], width=1.5),
             hovertemplate="step %{x}: loss %{y:.3g}<extra></extra>", **grid.axes(1, 1)),
        dict(type="scatter", x=[1, max(len(steps), 1)], y=[CHANCE_LOSS, CHANCE_LOSS], mode="lines", name="ln 10: guessing",
             line=dict(color="grey", width=1.5, dash="dash"), hoverinfo="skip", **grid.axes(1, 1)),
        dict(type="scatter", x=epochs, y=record.train_accuracies, mode="lines+markers", name="training accuracy",
             line=dict(color=PALETTE["blue"], width=2), marker=dict(size=5), **grid.axes(1, 2)),
        dict(type="scatter", x=epochs, y=record.test_accuracies, mode="lines+markers", name="test accuracy",
             line=dict(color=PALETTE["vermillion"], width=2), marker=dict(symbol="diamond", size=6), **grid.axes(1, 2)),
        dict(type="scatter", x=[0.5, max(record.settings.epochs, 1) + 0.5], y=[0.1, 0.1], mode="lines",
             name="chance: 10%", line=dict(color="grey", width=1.5, dash="dot"), hoverinfo="skip", **grid.axes(1, 2)),
    ]
    ratios = np.array(record.update_ratios).reshape(-1, len(clinic.SIZES) - 1)
    for k, colour in enumerate(LAYER_COLOURS):
        values = [float(v) if v > 0 else None for v in ratios[:, k]] if len(ratios) else []
        traces.append(dict(type="scatter", x=steps[:len(values)], y=values, mode="lines", name=f"layer {k + 1}",
                           line=dict(color=colour, width=1.5), legendgroup=f"layer {k + 1}",
                           hovertemplate=f"layer {k + 1}, step %{{x}}: %{{y:.2g}}<extra></extra>", **grid.axes(2, 1)))
    traces.append(dict(type="scatter", x=[1, max(len(steps), 1)], y=[RULE_OF_THUMB, RULE_OF_THUMB], mode="lines",
                       name="10⁻³: the rule of thumb", line=dict(color="grey", width=1.5, dash="dash"), hoverinfo="skip",
                       **grid.axes(2, 1)))
    unhealthy = np.array(record.unhealthy).reshape(-1, len(clinic.SIZES) - 2)
    what = "dead" if record.settings.activation == "relu" else "saturated"
    for k, colour in enumerate(LAYER_COLOURS[:2]):
        traces.append(dict(type="scatter", x=epochs, y=unhealthy[:, k] if len(unhealthy) else [], mode="lines+markers",
                           name=f"layer {k + 1}", showlegend=False, legendgroup=f"layer {k + 1}",
                           line=dict(color=colour, width=2), marker=dict(size=5),
                           hovertemplate=f"layer {k + 1}, epoch %{{x}}: %{{y:.0%}} {what}<extra></extra>", **grid.axes(2, 2)))
    last_step = max(record.settings.epochs * per_epoch, 1)
    grid.xaxis(1, 1).update(title=dict(text="step"), range=[0, last_step])
    grid.yaxis(1, 1).update(type="log", title=dict(text="loss"), **decade_ticks(losses + [CHANCE_LOSS]),
                            exponentformat="power")  # one tick a decade, or every few when a run blows up
    grid.xaxis(1, 2).update(title=dict(text="epoch"), range=[0.5, record.settings.epochs + 0.5])
    grid.yaxis(1, 2).update(title=dict(text="accuracy"), range=[0, 1.05], tickformat=".0%")
    grid.xaxis(2, 1).update(title=dict(text="step"), range=[0, last_step])
    grid.yaxis(2, 1).update(type="log", title=dict(text="ratio"), exponentformat="power",
                            **decade_ticks(list(ratios.ravel()) + [RULE_OF_THUMB]))
    grid.xaxis(2, 2).update(title=dict(text="epoch"), range=[0.5, record.settings.epochs + 0.5])
    grid.yaxis(2, 2).update(title=dict(text=f"{what} (share)"), range=[-0.03, 1.03], tickformat=".0%")
    grid.fix_margins()  # margins set by hand, wide enough for the labels: no re-measuring on every frame of a run
    layout = dict(height=620, legend=dict(orientation="h", y=-0.14), margin=dict(l=80, r=20, t=80 if title else 60, b=60))
    if title:
        layout["title"] = dict(text=title)
    return plain_figure(traces, grid.layout, **layout)


def symptoms(record: clinic.Record) -> str:
    """What the run's vital signs show, in words, without naming a cause."""
    if not record.losses:
        return "Training is about to start."
    parts = [f"The first batch's loss was {record.losses[0]:.3g} (guessing gives ln 10 = {CHANCE_LOSS:.2f})."]
    if record.diverged_at is not None:
        parts.append(f"At step {record.diverged_at} the loss was no longer a number: training stopped.")
    if record.update_ratios:
        first_epoch = np.array(record.update_ratios[:record.steps_per_epoch])
        medians = ", ".join(f"{m:.1g}" for m in np.median(first_epoch, axis=0))
        parts.append(f"In the first epoch the update-to-weight ratios of the three layers had medians {medians}; the "
                     f"largest ratio went from {first_epoch[0].max():.1g} at the first step to at most "
                     f"{first_epoch.max():.1g}.")
    if record.test_accuracies:
        parts.append(f"After {record.epochs_done} epoch{'s' * (record.epochs_done != 1)}: training accuracy "
                     f"{record.train_accuracies[-1]:.0%}, test accuracy {record.test_accuracies[-1]:.0%}.")
        best = int(np.argmax(record.test_accuracies))
        if record.test_accuracies[best] > record.test_accuracies[-1] + 0.1:
            parts.append(f"The test accuracy had reached {record.test_accuracies[best]:.0%} after epoch {best + 1}, "
                         "then fell.")
        what = "dead" if record.settings.activation == "relu" else "saturated"
        shares = " and ".join(f"{share:.0%}" for share in record.unhealthy[-1])
        parts.append(f"Hidden units {what}: {shares} (layers 1 and 2).")
    return " ".join(parts)


class ClinicExplorer(Explorer):
    """``ClinicExplorer(lr=0.1, init_scale=1.0, activation="relu", hidden_bias=0.0, zero_grad=True, average_loss=True,
    normalize_inputs=True, shuffle_labels=False, epochs=12)``: train the clinic's MLP on the digits and watch its vital signs."""

    title = "The training clinic: a run's vital signs"
    controls = {
        "lr": Slider("learning rate (logarithmic)", 1e-3, 3.0, log=True, step=0.05),
        "init_scale": Slider("initialization scale (logarithmic)", 0.1, 20.0, log=True, step=0.05),
        "activation": Choice("activation", clinic.ACTIVATIONS),
        "hidden_bias": Slider("hidden biases start at", -4.0, 1.0, step=0.5),
        "zero_grad": Toggle("zero_grad() before each backward"),
        "average_loss": Toggle("average the loss over the batch (off: sum)"),
        "normalize_inputs": Toggle("standardize the inputs (off: pixels 0-255)"),
        "shuffle_labels": Toggle("shuffle the labels apart from the images"),
        "epochs": Slider("epochs", 1, 30, integer=True),
    }
    defaults = {"lr": 0.1, "init_scale": 1.0, "activation": "relu", "hidden_bias": 0.0, "zero_grad": True,
                "average_loss": True, "normalize_inputs": True, "shuffle_labels": False, "epochs": 12}

    @staticmethod
    def settings(lr: float, init_scale: float, activation: str, hidden_bias: float, zero_grad: bool, average_loss: bool,
                 normalize_inputs: bool, shuffle_labels: bool, epochs: int) -> clinic.Settings:
        return clinic.Settings(lr=lr, init_scale=init_scale, activation=activation, hidden_bias=hidden_bias,
                               zero_grad=zero_grad, reduction="mean" if average_loss else "sum",
                               normalize_inputs=normalize_inputs, shuffle_labels=shuffle_labels, epochs=epochs)

    def compute_steps(self, **params: Any) -> Iterator[Callable[[], clinic.Record]]:
        for record in clinic.train_steps(self.settings(**params)):
            yield lambda record=record: record

    def progress(self, state: clinic.Record) -> str:
        return "" if state.finished else f"epoch {state.epochs_done} of {state.settings.epochs}"

    def reached(self, state: clinic.Record) -> dict[str, Any]:
        return {"epochs": max(state.epochs_done, 1)}

    def draw(self, state: clinic.Record) -> go.Figure:
        return dashboard(state)

    def describe(self, state: clinic.Record) -> str:
        return symptoms(state)


class GalleryExplorer(Explorer):
    """``GalleryExplorer(case="A")``: the vital signs of the gallery's broken runs, one case at a time (causes hidden)."""

    title = "The gallery: eight broken runs to diagnose"
    controls = {"case": Choice("case", tuple(clinic.CASES))}
    defaults = {"case": "A"}
    _records: dict[str, clinic.Record] = {}

    def compute(self, case: str) -> tuple[str, clinic.Record]:
        if case not in self._records:  # each case is a fixed run: train it once
            type(self)._records[case] = clinic.train(clinic.case(case))
        return case, self._records[case]

    def draw(self, state: tuple[str, clinic.Record]) -> go.Figure:
        case, record = state
        return dashboard(record, title=f"Case {case}")

    def describe(self, state: tuple[str, clinic.Record]) -> str:
        case, record = state
        return f"Case {case}. " + symptoms(record)
