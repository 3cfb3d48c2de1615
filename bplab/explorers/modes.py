r"""The mode explorer (lesson 15): one Jacobian, built column by column in forward mode or row by row in reverse mode.

A small network $f(x) = \tanh(\tanh(x W_1) W_2)$ maps $n$ inputs to $m$ outputs through a hidden
layer. Its Jacobian $J = \partial f/\partial x$ has $m$ rows and $n$ columns. Forward mode
(:func:`bplab.func.jacfwd`) computes one column $J e_j$ per pass: $n$ passes. Reverse mode
(:func:`bplab.func.jacrev`) computes one row $e_i^\top J$ per pass: $m$ passes. The explorer
draws the Jacobian, the column one forward pass gives and the row one reverse pass gives, and the
time each mode took here, measured on this machine (best of three).

``ModeExplorer(inputs=16, outputs=4, seed=0)``
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab import func
from bplab.engine import Value
from bplab.explorers.base import Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE
from bplab.validation import make_rng

HIDDEN = 32
REPEATS = 3


def small_network(inputs: int, outputs: int, seed: int = 0) -> Callable[[Value], Value]:
    r"""$f(x) = \tanh(\tanh(x W_1) W_2)$ with fixed random weights, from ``inputs`` numbers to ``outputs``."""
    rng = make_rng(seed=seed)
    first = rng.standard_normal((inputs, HIDDEN)) / np.sqrt(inputs)
    second = rng.standard_normal((HIDDEN, outputs)) / np.sqrt(HIDDEN)
    return lambda x: ((x @ first).tanh() @ second).tanh()


def best_time(work: Callable[[], Any], repeats: int = REPEATS) -> float:
    """The shortest of ``repeats`` runs of ``work``, in seconds (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


@dataclass(frozen=True)
class ModeState:
    params: dict[str, Any]
    jacobian: np.ndarray  # (outputs, inputs)
    agree: bool  # forward and reverse gave the same Jacobian
    forward_seconds: float
    reverse_seconds: float
    column: np.ndarray  # J e_0: what one forward pass gives
    row: np.ndarray  # e_0^T J: what one reverse pass gives


class ModeExplorer(Explorer):
    """``ModeExplorer(inputs=16, outputs=4, seed=0)``: a Jacobian by forward mode (one column a pass) and by reverse mode
    (one row a pass), and what each took."""

    title = "Forward mode or reverse mode: the same Jacobian, at different costs"
    controls = {
        "inputs": Slider("inputs n (columns of J)", 1, 64, integer=True),
        "outputs": Slider("outputs m (rows of J)", 1, 64, integer=True),
        "seed": Slider("seed", 0, 20, integer=True),
    }
    defaults = {"inputs": 16, "outputs": 4, "seed": 0}
    continuous_update = False  # each update times both modes: one per release

    def compute(self, inputs: int, outputs: int, seed: int) -> ModeState:
        f = small_network(inputs, outputs, seed)
        x = make_rng(seed=seed + 1).standard_normal(inputs)
        by_columns = func.jacfwd(f)(x).data.reshape(outputs, inputs)
        by_rows = func.jacrev(f)(x).data.reshape(outputs, inputs)
        _, column = func.jvp(f, (x,), (np.eye(inputs)[0],))
        _, pull_back = func.vjp(f, x)
        (row,) = pull_back(np.eye(outputs)[0])
        return ModeState(
            params=dict(inputs=inputs, outputs=outputs, seed=seed), jacobian=by_columns,
            agree=bool(np.allclose(by_columns, by_rows, rtol=1e-10, atol=1e-12)),
            forward_seconds=best_time(lambda: func.jacfwd(f)(x)), reverse_seconds=best_time(lambda: func.jacrev(f)(x)),
            column=np.asarray(column.data).reshape(outputs), row=np.asarray(row.data).reshape(inputs))

    def draw(self, s: ModeState) -> go.Figure:
        n, m = s.params["inputs"], s.params["outputs"]
        grid = Grid(rows=1, cols=2, horizontal_spacing=0.14, titles=(
            f"The Jacobian J: {m} × {n}", "Time for the whole Jacobian, here"))
        reach = float(np.max(np.abs(s.jacobian))) or 1.0
        left = grid.axes(1, 1)
        traces = [
            dict(type="heatmap", z=s.jacobian, x=np.arange(1, n + 1), y=np.arange(1, m + 1), zmin=-reach, zmax=reach,
                 colorscale="PuOr_r", showscale=False, name="J", xgap=1, ygap=1,
                 hovertemplate="∂f%{y}/∂x%{x} = %{z:.3g}<extra></extra>", **left),
            dict(type="scatter", x=[0.5, 1.5, 1.5, 0.5, 0.5], y=[0.5, 0.5, m + 0.5, m + 0.5, 0.5], mode="lines",
                 name="one forward pass (JVP with e₁): column 1", line=dict(color=PALETTE["blue"], width=3),
                 hoverinfo="skip", **left),
            dict(type="scatter", x=[0.5, n + 0.5, n + 0.5, 0.5, 0.5], y=[0.5, 0.5, 1.5, 1.5, 0.5], mode="lines",
                 name="one reverse pass (VJP with e₁): row 1", line=dict(color=PALETTE["vermillion"], width=3, dash="dash"),
                 hoverinfo="skip", **left),
            dict(type="bar", x=[f"forward: {n} JVP{'s' * (n != 1)}", f"reverse: {m} VJP{'s' * (m != 1)}"],
                 y=[1000 * s.forward_seconds, 1000 * s.reverse_seconds], marker=dict(color=[PALETTE["blue"], PALETTE["vermillion"]]),
                 name="time", showlegend=False, hovertemplate="%{x}: %{y:.2f} ms<extra></extra>", **grid.axes(1, 2)),
        ]
        grid.xaxis(1, 1).update(title=dict(text="input j"), range=[0.5, n + 0.5], showgrid=False, zeroline=False)
        grid.yaxis(1, 1).update(title=dict(text="output i"), range=[m + 0.5, 0.5], showgrid=False, zeroline=False)
        grid.yaxis(1, 2).update(title=dict(text="milliseconds (best of 3)"), rangemode="tozero")
        return plain_figure(traces, grid.layout, height=420, legend=dict(orientation="h", y=-0.2),
                            margin=dict(l=70, r=20, t=60, b=40))

    def describe(self, s: ModeState) -> str:
        n, m = s.params["inputs"], s.params["outputs"]
        faster = "forward" if s.forward_seconds < s.reverse_seconds else "reverse"
        ratio = max(s.forward_seconds, s.reverse_seconds) / max(min(s.forward_seconds, s.reverse_seconds), 1e-12)
        text = (f"Forward mode fills J one column per pass: {n} pass{'es' * (n != 1)}, {1000 * s.forward_seconds:.2f} ms. "
                f"Reverse mode fills it one row per pass: {m} pass{'es' * (m != 1)}, {1000 * s.reverse_seconds:.2f} ms. "
                f"{faster.capitalize()} mode was {ratio:.1f} times as fast here. ")
        text += "Both gave the same Jacobian." if s.agree else "<b>The two Jacobians differ.</b>"
        if m == 1:
            text += " With one output, J is a gradient: reverse mode gets it in one pass, which is why backprop uses it."
        return text
