r"""Apples vs oranges: train a line that separates two kinds of fruit.

One neuron: $z = w_1 x_1 + w_2 x_2 + b$ on the two measurements (radius, colour value), each
rescaled to mean 0 and spread 1 so that one learning rate suits both. With a **sigmoid**
output $p = \sigma(z)$ and the cross-entropy loss $L = -\frac1n\sum y\ln p + (1-y)\ln(1-p)$,
gradient descent moves the line $z = 0$ across the scatter plot. With a **step** output
(1 if $z > 0$ else 0) every slope is 0: the step is flat, so gradient descent cannot move it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab import data, ops
from bplab.engine import Value, apply
from bplab.explorers.base import Choice, Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE
from bplab.validation import whole_number

FRUIT_NAMES = ("apple", "orange")
RADIUS_RANGE = (2.7, 5.3)


@dataclass(frozen=True)
class Scaler:
    """Rescales each column to mean 0 and spread 1: ``(x - mean) / std``."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> "Scaler":
        return cls(X.mean(axis=0), X.std(axis=0))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.std


def neuron_loss(weights: Value, bias: Value, X: np.ndarray, y: np.ndarray, output: str) -> tuple[Value, np.ndarray]:
    """The loss of one neuron on the (rescaled) data, and its predictions (0 or 1)."""
    z = X @ weights + bias
    if output == "sigmoid":  # cross-entropy, computed through the stable log-sigmoid
        loss = -(y * z.sigmoid().log() + (1.0 - y) * (-z).sigmoid().log()).mean()
    else:  # a step output: its slope is 0 everywhere, so no gradient reaches the weights
        loss = ((apply(ops.step, z) - y) ** 2).mean()
    return loss, (z.data > 0).astype(int)


def train_line(X: np.ndarray, y: np.ndarray, rate: float, w1: float, w2: float, b: float, epochs: int,
               output: str = "sigmoid") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-batch gradient descent. Returns parameters per epoch (epochs+1, 3), losses and accuracies."""
    weights, bias = Value(np.array([w1, w2])), Value(b)
    history, losses, accuracies = [], [], []
    for _ in range(epochs + 1):
        weights.zero_grad()
        bias.zero_grad()
        loss, predictions = neuron_loss(weights, bias, X, y, output)
        history.append([*weights.data, float(bias.data)])
        losses.append(loss.item())
        accuracies.append(float(np.mean(predictions == y)))
        loss.backward()
        with np.errstate(over="ignore"):  # a step past the largest float: handled just below
            weights.data = weights.data - rate * weights.grad
            bias.data = bias.data - rate * bias.grad
        if not np.isfinite(np.r_[weights.data, bias.data]).all():  # diverged: record the last step and stop
            history.append([*weights.data, float(bias.data)])
            losses.append(np.nan)
            accuracies.append(accuracies[-1])
            break
    return np.array(history), np.array(losses), np.array(accuracies)


#: The shading: light blue where the line says apple, white where it is unsure (P = 0.5), light orange
#: where it says orange. Blue against orange stays apart for every common colour-vision deficiency.
SHADING = [[0.0, "#BFE0F5"], [0.5, "#FFFFFF"], [1.0, "#F7D899"]]


def answer_probability(score: np.ndarray, output: str) -> np.ndarray:
    r"""How sure the line is that a point is an orange: $\sigma(z)$ for the sigmoid output, 0 or 1 for the step."""
    if output == "step":
        return np.where(score > 0, 1.0, 0.0)
    return 1.0 / (1.0 + np.exp(-score))


@dataclass(frozen=True)
class LineState:
    X: np.ndarray
    y: np.ndarray
    scaler: Scaler
    output: str
    history: np.ndarray
    losses: np.ndarray
    accuracies: np.ndarray
    rate: float  # the learning rate the run used


COLOUR_RANGE = (-0.05, 1.05)  # the plot's colour axis


def decision_line(parameters: np.ndarray, scaler: Scaler) -> tuple[np.ndarray, np.ndarray] | None:
    """The line z = 0 in the original units (radius, colour): two end points across the plot.

    With $w_2 = 0$ the line is vertical (one radius, every colour); with $w_1 = w_2 = 0$ there is no line.
    """
    w1, w2, b = parameters
    if abs(w2) < 1e-12:
        if abs(w1) < 1e-12:
            return None
        radius = -b / w1 * scaler.std[0] + scaler.mean[0]
        return np.array([radius, radius]), np.array(COLOUR_RANGE)
    radius = np.linspace(*RADIUS_RANGE, 2)
    u = (radius - scaler.mean[0]) / scaler.std[0]
    v = -(w1 * u + b) / w2
    return radius, v * scaler.std[1] + scaler.mean[1]


def line_equation(parameters: np.ndarray, scaler: Scaler) -> str:
    """The weights, and the line in the plotted units, as the status line says them."""
    w1, w2, b = parameters
    weights = f"Weights now: w₁ = {w1:.3g}, w₂ = {w2:.3g}, b = {b:.3g}"
    line = decision_line(parameters, scaler)
    if line is None:
        return weights + ": no line (both weights are 0, so every fruit gets the same answer)."
    radius, colour = line
    if radius[0] == radius[1]:
        return weights + f": the line is vertical, radius = {radius[0]:.3g} cm."
    slope = (colour[1] - colour[0]) / (radius[1] - radius[0])
    intercept = colour[0] - slope * radius[0]
    sign = "+" if intercept >= 0 else "−"
    return weights + f": the line is colour = {slope:.3g} × radius {sign} {abs(intercept):.3g}."


class LineClassifier(Explorer):
    """``LineClassifier(rate=0.5, w1=-1.0, w2=0.5, b=1.0, epochs=60, output="sigmoid")``.

    Data settings (constructor only): ``points`` (how many fruit, default 80) and ``seed``.
    """

    title = "Apples vs oranges: a line that learns"
    controls = {
        "rate": Slider("learning rate (logarithmic)", 1e-3, 10.0, log=True, step=0.05),
        "epochs": Slider("epochs (steps of training)", 0, 200, integer=True),
        "w1": Slider("starting weight of radius w₁", -3.0, 3.0, step=0.1),
        "w2": Slider("starting weight of colour w₂", -3.0, 3.0, step=0.1),
        "b": Slider("starting bias b", -3.0, 3.0, step=0.1),
        "output": Choice("output", ("sigmoid", "step")),
    }
    defaults = {"rate": 0.5, "epochs": 60, "w1": -1.0, "w2": 0.5, "b": 1.0, "output": "sigmoid"}
    continuous_update = False  # each change retrains: update when the slider is let go
    actions = {"step": "one more epoch", "train_more": "train 20 more epochs"}
    #: Learning rates this small barely move the line in a lesson's number of epochs; this large, they jump.
    SLOW_RATE, FAST_RATE = 0.01, 2.0

    def __init__(self, points: int = 80, seed: int = 0, **settings: Any) -> None:
        self._X, self._y = data.apples_vs_oranges(whole_number(points, "points", minimum=2), seed=seed)
        self._scaler = Scaler.fit(self._X)
        super().__init__(**settings)

    # ------------------------------------------------------------------ actions (buttons)
    def step(self) -> None:
        """Train one more epoch (the button "one more epoch")."""
        self.request(epochs=min(self.params["epochs"] + 1, int(self.controls["epochs"].high)))

    def train_more(self, epochs: int = 20) -> None:
        """Train ``epochs`` more (the button "train 20 more epochs")."""
        self.request(epochs=min(self.params["epochs"] + epochs, int(self.controls["epochs"].high)))

    def compute(self, rate: float, epochs: int, w1: float, w2: float, b: float, output: str) -> LineState:
        history, losses, accuracies = train_line(self._scaler(self._X), self._y, rate, w1, w2, b, epochs, output)
        return LineState(self._X, self._y, self._scaler, output, history, losses, accuracies, rate)

    def draw(self, s: LineState) -> go.Figure:
        grid = Grid(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.12,
                    titles=("The fruit and the line", "Loss while training"))
        fruit, curve = grid.axes(1, 1), grid.axes(1, 2)
        symbols = ("circle", "diamond")
        colours = (PALETTE["blue"], PALETTE["orange"])  # as the shading: blue says apple, orange says orange
        traces = []
        for k, name in enumerate(FRUIT_NAMES):
            mine = s.y == k
            traces.append(dict(type="scatter", x=s.X[mine, 0], y=s.X[mine, 1], mode="markers", name=f"{name}s",
                               marker=dict(symbol=symbols[k], size=9, color=colours[k], line=dict(color="black", width=1)),
                               **fruit))
        last = len(s.history) - 1
        radius_grid = np.linspace(*RADIUS_RANGE, 60)
        colour_grid = np.linspace(*COLOUR_RANGE, 45)
        plane = np.stack(np.meshgrid(radius_grid, colour_grid), axis=-1).reshape(-1, 2)
        w1, w2, b = s.history[-1]
        score = (s.scaler(plane) @ np.array([w1, w2]) + b).reshape(len(colour_grid), len(radius_grid))
        with np.errstate(over="ignore", invalid="ignore"):
            sure = answer_probability(score, s.output)
        traces.append(dict(type="heatmap", x=radius_grid, y=colour_grid, z=sure, zmin=0, zmax=1, colorscale=SHADING,
                           showscale=False, name="P(orange)",
                           hovertemplate="radius %{x:.2f} cm, colour %{y:.2f}: P(orange) = %{z:.2f}<extra></extra>",
                           **fruit))
        early = min(5, last)
        shown = [(0, 1.5, "dot", "start")] if last > 0 else []  # where training began, thin
        if 0 < early < last:
            shown.append((early, 1.5, "dash", f"epoch {early}"))  # the first epochs move it most
        shown.append((last, 3.5, "solid", "now"))  # the current line, at every epoch count (0 included)
        for index, width, dash, label in shown:
            line = decision_line(s.history[index], s.scaler)
            x, y = line if line is not None else ([None], [None])
            traces.append(dict(type="scatter", x=x, y=y, mode="lines", name=f"line: {label}",
                               line=dict(color=PALETTE["black"], width=width, dash=dash), **fruit))
        losses = np.where(np.isfinite(s.losses), s.losses, np.nan)
        traces.append(dict(type="scatter", x=np.arange(len(losses)), y=losses, mode="lines", name="loss",
                           line=dict(color=PALETTE["green"], width=2.5), showlegend=False, **curve))
        grid.xaxis(1, 1).update(title=dict(text="radius (cm)"), range=list(RADIUS_RANGE))
        grid.yaxis(1, 1).update(title=dict(text="colour value (0 red, 1 orange)"), range=list(COLOUR_RANGE))
        grid.xaxis(1, 2)["title"] = dict(text="epoch")
        grid.yaxis(1, 2).update(title=dict(text="loss"), rangemode="tozero")
        return plain_figure(traces, grid.layout, height=430, legend=dict(orientation="h", y=-0.25))

    def describe(self, s: LineState) -> str:
        accuracy = s.accuracies[-1]
        epochs = len(s.losses) - 1
        if not np.all(np.isfinite(s.history[-1])):
            return "<b>Diverged:</b> the weights became infinite. Lower the learning rate."
        if s.output == "step":
            moved = np.abs(s.history[-1] - s.history[0]).max()
            stayed = "did not move at all" if moved == 0 else f"moved by only {moved:.2g}"
            return (f"<b>The line {stayed}</b>: the step output is flat, so every slope is 0 "
                    f"and gradient descent has nothing to follow. It sorts {accuracy:.0%} of the fruit right. Switch to sigmoid.")
        text = (f"After {epochs} epoch{'' if epochs == 1 else 's'} the line sorts <b>{accuracy:.0%}</b> of the fruit right "
                f"(loss {s.losses[0]:.3f} → {s.losses[-1]:.3f}). {line_equation(s.history[-1], s.scaler)} "
                "The shading is how sure it is: orange where it says orange, blue where it says apple, white where "
                "it cannot tell (P = 0.5).")
        rate, moved = s.rate, float(np.abs(s.history[-1] - s.history[0]).max())
        unsorted = accuracy < 0.8 and rate < 5 * self.SLOW_RATE  # a small rate that has not sorted the fruit yet
        if epochs > 0 and (rate <= self.SLOW_RATE or unsorted):
            text += (f" <b>Too slow:</b> at learning rate {rate:.3g} the weights moved by at most {moved:.2g} in {epochs} "
                     "epochs. Raise the rate, or train far longer.")
        elif rate >= self.FAST_RATE and epochs > 0:
            text += (f" <b>Why a rate of {rate:.3g} does not blow up here:</b> this loss's gradient is (p − y)·x and "
                     "|p − y| < 1, so no step is larger than the rate times the size of the inputs, however large the weights "
                     "get; a squared error on a straight-line output (lesson 03) has a gradient that grows with the "
                     "weight, and there a large rate overshoots further at every step.")
        if epochs >= self.controls["epochs"].high:
            text += (f" {epochs} epochs is as far as this explorer trains: the buttons stop here (move the epochs "
                     "slider down, or reset the weights, to watch again).")
        return text
