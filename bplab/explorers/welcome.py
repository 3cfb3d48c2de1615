r"""The start page's explorer: slide a weight along a cost curve and read its slope.

The curve is the cost of the one-weight network of the High School level,
$C(w) = (1.5\,w - 0.5)^2$; the slope at the point is computed by bplab's backward pass.
If moving the slider moves the point and the dashed tangent, the course is set up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from bplab.explorers.base import Explorer, Slider
from bplab.explorers.one_weight import INPUT, TARGET, cost_and_slope
from bplab.plots import function_with_tangent_figure

W_RANGE = (-0.6, 1.3)


@dataclass(frozen=True)
class WelcomeState:
    w: float
    cost: float
    slope: float
    curve_w: np.ndarray
    curve_cost: np.ndarray


class WelcomeExplorer(Explorer):
    """``WelcomeExplorer(w=0.8)``: the cost curve, the point at ``w`` and its tangent."""

    title = "Move the slider: the point and its slope follow"
    controls = {"w": Slider("weight w", W_RANGE[0], W_RANGE[1], step=0.01)}
    defaults = {"w": 0.8}

    def compute(self, w: float) -> WelcomeState:
        cost, slope = cost_and_slope(w)
        curve_w = np.linspace(*W_RANGE, 191)
        return WelcomeState(w, cost, slope, curve_w, (INPUT * curve_w - TARGET) ** 2)

    def draw(self, state: WelcomeState) -> go.Figure:
        figure = function_with_tangent_figure(
            state.curve_w, state.curve_cost, state.w, state.cost, state.slope,
            title="Cost C(w) = (1.5·w − 0.5)²", xaxis_title="weight w", yaxis_title="cost C", height=360,
        )
        return figure

    def describe(self, state: WelcomeState) -> str:
        best = TARGET / INPUT  # 1/3: where the cost is 0
        if abs(state.slope) < 1e-9:
            where = "the slope is zero: this is the bottom of the curve, the best weight"
        elif state.slope > 0:
            where = "the slope is positive: the cost goes <b>down</b> if w gets smaller"
        else:
            where = "the slope is negative: the cost goes <b>down</b> if w gets bigger"
        text = (f"At w = {state.w:.2f} the cost is {_plain(state.cost)} and backprop says its slope is "
                f"<b>{_plain(state.slope, signed=True)}</b>: {where}.")
        if abs(state.slope) >= 1e-9 and abs(state.w - best) < 0.02:
            text += (" You are next to the bottom: the best weight is w = 1/3 = 0.333…, which the slider (steps of "
                     "0.01) can only get close to, so the cost is tiny but not 0, and the slope still points to it.")
        return text


def _plain(value: float, signed: bool = False) -> str:
    """4 decimals, or 2 significant figures without an exponent when that would show only zeros (0.000056)."""
    if value == 0 or abs(value) >= 0.001:
        return f"{value:+.4f}" if signed else f"{value:.4f}"
    text = np.format_float_positional(value, precision=2, unique=False, fractional=False, trim="-")
    return ("+" + text if value > 0 else text) if signed else text
