r"""The one-weight network: $a = i\,w$, cost $C = (a - y)^2$, gradient descent on $w$.

The chain rule gives $\frac{dC}{dw} = \frac{dC}{da}\frac{da}{dw} = 2(a - y)\,i$, and each step is
$w \leftarrow w - r\,\frac{dC}{dw}$. With $i = 1.5$, $y = 0.5$, $w_0 = 0.8$ and $r = 0.1$ the
first step gives 0.59 and the weights approach $1/3$. The distance to $1/3$ is multiplied by
$1 - 2 r i^2$ each step, so for $r > 1/i^2$ (about 0.444) the steps overshoot and grow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from bplab.divergence import blew_up
from bplab.engine import Value
from bplab.explorers.base import Explorer, Slider
from bplab.plain_figures import plain_figure
from bplab.plots import PALETTE

INPUT, TARGET = 1.5, 0.5
BEST_WEIGHT = TARGET / INPUT
ESCAPED = 1e3  # a weight this large (the best is 1/3) means the descent diverged


def cost_and_slope(w: float, i: float = INPUT, y: float = TARGET) -> tuple[float, float]:
    """C(w) = (i w - y)^2 and dC/dw, the latter by bplab's backward pass."""
    weight = Value(w)
    cost = (i * weight - y) ** 2
    cost.backward()
    return cost.item(), float(weight.grad)


def descend(w0: float, rate: float, steps: int, i: float = INPUT, y: float = TARGET) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Weights and costs of ``steps`` gradient-descent steps, and the step where it diverged (or None)."""
    weights, costs = [float(w0)], []
    diverged_at = None
    for step in range(steps):
        cost, slope = cost_and_slope(weights[-1], i, y)
        costs.append(cost)
        weights.append(weights[-1] - rate * slope)
        if blew_up(weights[-1], 1.0, ESCAPED):  # |w| above ESCAPED, or not a number
            diverged_at = step + 1
            break
    costs.append(cost_and_slope(weights[-1], i, y)[0])
    return np.array(weights), np.array(costs), diverged_at


@dataclass(frozen=True)
class DescentState:
    rate: float
    weights: np.ndarray
    costs: np.ndarray
    diverged_at: int | None
    factor: float  # 1 - 2 r i^2: what each step multiplies the distance to 1/3 by


class OneWeightExplorer(Explorer):
    """``OneWeightExplorer(rate=0.1, w0=0.8, steps=20)``: the cost curve with the path of the steps."""

    title = "Gradient descent on one weight"
    controls = {
        "rate": Slider("learning rate r (logarithmic)", 1e-3, 1.0, log=True, step=0.02),
        "w0": Slider("starting weight w₀", -1.0, 2.0, step=0.05),
        "steps": Slider("steps", 1, 60, integer=True),
    }
    defaults = {"rate": 0.1, "w0": 0.8, "steps": 20}

    def compute(self, rate: float, w0: float, steps: int) -> DescentState:
        weights, costs, diverged_at = descend(w0, rate, steps)
        return DescentState(rate, weights, costs, diverged_at, 1 - 2 * rate * INPUT**2)

    def draw(self, s: DescentState) -> go.Figure:
        shown = np.abs(s.weights) < 10  # a diverging path leaves the picture; the message says why
        path_w, path_c = s.weights[shown], s.costs[shown]
        # zoom on the path: from a little left of the leftmost point to a little right of the rightmost
        low = min(-0.2, float(path_w.min()) - 0.25) if path_w.size else -1.0
        high = max(1.0, float(path_w.max()) + 0.25) if path_w.size else 2.0
        curve_w = np.linspace(low, high, 300)
        curve_c = (INPUT * curve_w - TARGET) ** 2
        traces = [
            dict(type="scatter", x=curve_w, y=curve_c, mode="lines", name="cost C(w)", line=dict(color=PALETTE["blue"], width=3)),
            dict(type="scatter", x=path_w, y=path_c, mode="lines+markers", name="steps (darker = earlier)",
                 line=dict(color=PALETTE["orange"], width=1.5), text=[f"step {k}" for k in np.flatnonzero(shown)],
                 marker=dict(size=10, color=np.flatnonzero(shown), colorscale="Viridis", line=dict(color="black", width=1))),
            dict(type="scatter", x=[BEST_WEIGHT], y=[0.0], mode="markers", name="best weight 1/3",
                 marker=dict(symbol="star", size=16, color=PALETTE["green"], line=dict(color="black", width=1))),
        ]
        return plain_figure(traces, dict(
            title=dict(text="Cost C(w) = (1.5·w − 0.5)² and the steps of gradient descent"), height=420,
            xaxis=dict(title=dict(text="weight w")),
            yaxis=dict(title=dict(text="cost C"), range=[-0.1, float(curve_c.max()) * 1.05]),
            legend=dict(orientation="h", y=-0.2),
        ))

    def describe(self, s: DescentState) -> str:
        first = " → ".join(f"{w:.4g}" for w in s.weights[:5])
        limit = 1 / INPUT**2
        if s.diverged_at is not None or abs(s.factor) > 1:
            when = f" (w passed {ESCAPED:g} at step {s.diverged_at})" if s.diverged_at else ""
            return (f"First steps: {first} … <b>Diverging{when}.</b> With r = {s.rate:.3g}, above 1/i² = {limit:.3f}, "
                    f"each step overshoots the bottom by more than it was away: the distance to 1/3 is multiplied "
                    f"by {s.factor:.5g} every step. Lower the learning rate.")
        final = s.weights[-1]
        if abs(abs(s.factor) - 1) < 1e-3:
            behaviour = "bounces between two weights and barely gets closer (r is at the limit 1/i²)"
        elif s.factor < 0:
            behaviour = "overshoots and zig-zags, but the zig-zags shrink"
        else:
            behaviour = "walks downhill from one side"
        steps = len(s.weights) - 1
        return (f"First steps: {first} … After {steps} step{'' if steps == 1 else 's'} w = <b>{final:.6f}</b> "
                f"(best: 1/3 = 0.333333). The descent {behaviour}: each step multiplies the distance to 1/3 by {s.factor:.3g}.")
