r"""Learning slowdown: a saturated sigmoid neuron under the quadratic cost, against cross-entropy.

One neuron, input $x = 1$, target $y = 0$: $a = \sigma(w x + b)$. With the quadratic cost
$C = \tfrac12(a - y)^2$ the gradient is $\frac{\partial C}{\partial w} = (a - y)\,\sigma'(z)\,x$,
and $\sigma'(z)$ is tiny when the neuron starts saturated (here $z = 4$: $\sigma' \approx 0.018$),
so learning starts slowly. With the cross-entropy $C = -[y\ln a + (1-y)\ln(1-a)]$ the $\sigma'$
cancels: $\frac{\partial C}{\partial w} = (a - y)\,x$, and the neuron learns fast from the start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from bplab import kernels
from bplab.engine import Value
from bplab.explorers.base import Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE

INPUT, TARGET = 1.0, 0.0
COSTS = ("quadratic", "cross-entropy")


def neuron_cost(w: Value, b: Value, cost: str, x: float = INPUT, y: float = TARGET) -> tuple[Value, float]:
    """The cost of the neuron a = sigmoid(w x + b), and its output a."""
    z = w * x + b
    if cost == "quadratic":
        a = z.sigmoid()
        return 0.5 * (a - y) ** 2, a.item()
    # cross-entropy through the stable log-sigmoid: ln a = ln sigma(z), ln(1 - a) = ln sigma(-z)
    return -(y * z.sigmoid().log() + (1.0 - y) * (-z).sigmoid().log()), float(kernels.sigmoid(z.data))


def train_neuron(w0: float, b0: float, rate: float, epochs: int, cost: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outputs, costs and |dC/dw| per epoch (epochs + 1 of each) of gradient descent on w and b."""
    w_now, b_now = w0, b0
    outputs, costs, slopes = [], [], []
    for _ in range(epochs + 1):
        w, b = Value(w_now), Value(b_now)
        value, output = neuron_cost(w, b, cost)
        value.backward()
        outputs.append(output)
        costs.append(value.item())
        slopes.append(abs(float(w.grad)))
        w_now, b_now = w_now - rate * float(w.grad), b_now - rate * float(b.grad)
    return np.array(outputs), np.array(costs), np.array(slopes)


@dataclass(frozen=True)
class SlowdownState:
    outputs: dict[str, np.ndarray]
    costs: dict[str, np.ndarray]
    slopes: dict[str, np.ndarray]
    z0: float


class SlowdownExplorer(Explorer):
    """``SlowdownExplorer(w0=2.0, b0=2.0, rate=0.15, epochs=200)``: one neuron, two costs, side by side."""

    title = "Learning slowdown: quadratic cost against cross-entropy"
    controls = {
        "w0": Slider("starting weight w", -4.0, 4.0, step=0.1),
        "b0": Slider("starting bias b", -4.0, 4.0, step=0.1),
        "rate": Slider("learning rate (logarithmic)", 1e-3, 3.0, log=True, step=0.05),
        "epochs": Slider("epochs", 10, 500, integer=True, step=10),
    }
    defaults = {"w0": 2.0, "b0": 2.0, "rate": 0.15, "epochs": 200}
    continuous_update = False

    def compute(self, w0: float, b0: float, rate: float, epochs: int) -> SlowdownState:
        runs = {cost: train_neuron(w0, b0, rate, epochs, cost) for cost in COSTS}
        weighted = w0 * INPUT  # pragma: no mutate (INPUT is 1: w0 / INPUT is the same number)
        z0 = weighted + b0
        return SlowdownState({c: r[0] for c, r in runs.items()}, {c: r[1] for c, r in runs.items()},
                             {c: r[2] for c, r in runs.items()}, z0)

    def draw(self, s: SlowdownState) -> go.Figure:
        grid = Grid(rows=1, cols=2, horizontal_spacing=0.12,
                    titles=("Output a (target 0)", "Size of the gradient |∂C/∂w|"))
        colours = {"quadratic": PALETTE["vermillion"], "cross-entropy": PALETTE["blue"]}
        dashes = {"quadratic": "solid", "cross-entropy": "dash"}
        traces = []
        for cost in COSTS:
            epochs = np.arange(len(s.outputs[cost]))
            traces.append(dict(type="scatter", x=epochs, y=s.outputs[cost], mode="lines", name=f"{cost} cost",
                               line=dict(color=colours[cost], width=3, dash=dashes[cost]), **grid.axes(1, 1)))
            traces.append(dict(type="scatter", x=epochs, y=s.slopes[cost], mode="lines", name=f"{cost}: gradient",
                               showlegend=False, line=dict(color=colours[cost], width=3, dash=dashes[cost]),
                               **grid.axes(1, 2)))
        for col in (1, 2):
            grid.xaxis(1, col)["title"] = dict(text="epoch")
        grid.yaxis(1, 1).update(title=dict(text="output a"), range=[0, 1])
        grid.yaxis(1, 2).update(title=dict(text="|∂C/∂w|"), type="log", dtick=1)  # label powers of ten only
        return plain_figure(traces, grid.layout, height=400, legend=dict(orientation="h", y=-0.22))

    def describe(self, s: SlowdownState) -> str:
        sigma = float(kernels.sigmoid(s.z0))
        prime = sigma * (1 - sigma)
        q, x = s.outputs["quadratic"], s.outputs["cross-entropy"]
        return (f"Start: z = {s.z0:.2f}, output a = {sigma:.3f}, σ′(z) = {prime:.4f}. "
                f"First gradient: quadratic {s.slopes['quadratic'][0]:.4f}, cross-entropy {s.slopes['cross-entropy'][0]:.4f} "
                f"(the quadratic one carries the factor σ′). After {len(q) - 1} epochs the output is "
                f"<b>{q[-1]:.3f}</b> with the quadratic cost and <b>{x[-1]:.3f}</b> with cross-entropy.")
