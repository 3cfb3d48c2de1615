r"""The mode explorer (lesson 15): one Jacobian, built column by column in forward mode or row by row in reverse mode.

A small network $f(x) = \tanh(\tanh(x W_1) W_2)$ maps $n$ inputs to $m$ outputs through a hidden
layer. Its Jacobian $J = \partial f/\partial x$ has $m$ rows and $n$ columns. Forward mode
(:func:`bplab.func.jacfwd`) computes one column $J e_j$ per pass: $n$ passes. Reverse mode
(:func:`bplab.func.jacrev`) records one forward pass, then computes one row $e_i^\top J$ per
backward pass: $m$ of them. The explorer draws the Jacobian, outlines the column one forward pass
gives and the row one backward pass gives (the state checks they equal ``jvp``'s and ``vjp``'s
results), and the time each mode took here, measured on this machine (best of five).

``ModeExplorer(inputs=16, outputs=4)``
"""

from __future__ import annotations

import math
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
REPEATS = 5
#: Timings closer than this factor are reported as "about as fast": best-of-5 times under a millisecond vary that much.
NOISE = 1.3


def small_network(inputs: int, outputs: int, seed: int = 0) -> Callable[[Value], Value]:
    r"""$f(x) = \tanh(\tanh(x W_1) W_2)$ with fixed random weights, from ``inputs`` numbers to ``outputs``."""
    rng = make_rng(seed=seed)
    first = rng.standard_normal((inputs, HIDDEN)) / np.sqrt(inputs)
    second = rng.standard_normal((HIDDEN, outputs)) / np.sqrt(HIDDEN)
    return lambda x: ((x @ first).tanh() @ second).tanh()


def best_time(work: Callable[[], Any], repeats: int = REPEATS) -> float:
    """The shortest of ``repeats`` runs of ``work``, in seconds (the least disturbed by the rest of the machine)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


RTOL, ATOL = 1e-10, 1e-12  # pragma: no mutate (any tolerance from about 1e-14 upward gives the same verdicts here)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to rounding: the two modes add the same products in other orders (they differ by about 1e-16)."""
    return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))  # (NumPy's default rtol or atol: the same verdicts, see RTOL)


@dataclass(frozen=True)
class ModeState:
    params: dict[str, Any]
    jacobian: np.ndarray  # (outputs, inputs)
    agree: bool  # forward and reverse gave the same Jacobian
    forward_seconds: float
    reverse_seconds: float
    column_matches: bool  # jvp along e_1 gave column 1 of J
    row_matches: bool  # vjp with e_1 gave row 1 of J


class ModeExplorer(Explorer):
    """``ModeExplorer(inputs=16, outputs=4)``: a Jacobian by forward mode (one column a pass) and by reverse mode
    (one row a pass), and what each took."""

    title = "Forward mode or reverse mode: the same Jacobian, at different costs"
    controls = {
        "inputs": Slider("inputs n (columns of J)", 1, 64, integer=True),
        "outputs": Slider("outputs m (rows of J)", 1, 64, integer=True),
    }
    defaults = {"inputs": 16, "outputs": 4}
    continuous_update = False  # each update times both modes: one per release

    def compute(self, inputs: int, outputs: int) -> ModeState:
        f = small_network(inputs, outputs)
        x = make_rng(seed=1).standard_normal(inputs)
        by_columns = func.jacfwd(f)(x).data.reshape(outputs, inputs)
        by_rows = func.jacrev(f)(x).data.reshape(outputs, inputs)
        _, column = func.jvp(f, (x,), (np.eye(inputs)[0],))
        _, pull_back = func.vjp(f, x)
        (row,) = pull_back(np.eye(outputs)[0])
        return ModeState(
            params=dict(inputs=inputs, outputs=outputs), jacobian=by_columns,
            agree=same(by_columns, by_rows),
            forward_seconds=best_time(lambda: func.jacfwd(f)(x)), reverse_seconds=best_time(lambda: func.jacrev(f)(x)),
            column_matches=same(column.data, by_columns[:, 0]), row_matches=same(row.data, by_columns[0]))

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
                 name="one backward pass (VJP with e₁): row 1", line=dict(color=PALETTE["vermillion"], width=3, dash="dash"),
                 hoverinfo="skip", **left),
            dict(type="bar", x=[f"forward: {n} JVP{'s' * (n != 1)}", f"reverse: 1 forward + {m} VJP{'s' * (m != 1)}"],
                 y=[1000 * s.forward_seconds, 1000 * s.reverse_seconds], marker=dict(color=[PALETTE["blue"], PALETTE["vermillion"]]),
                 name="time", showlegend=False, hovertemplate="%{x}: %{y:.2f} ms<extra></extra>", **grid.axes(1, 2)),
        ]
        grid.xaxis(1, 1).update(title=dict(text="input j"), range=[0.5, n + 0.5], showgrid=False, zeroline=False)
        grid.yaxis(1, 1).update(title=dict(text="output i"), range=[m + 0.5, 0.5], showgrid=False, zeroline=False)
        grid.yaxis(1, 2).update(title=dict(text=f"milliseconds (best of {REPEATS})"), rangemode="tozero")
        return plain_figure(traces, grid.layout, height=420, legend=dict(orientation="h", y=-0.2),
                            margin=dict(l=70, r=20, t=60, b=40))

    def describe(self, s: ModeState) -> str:
        n, m = s.params["inputs"], s.params["outputs"]
        fast, slow = sorted((s.forward_seconds, s.reverse_seconds))
        ratio = slow / max(fast, 1e-12)
        text = (f"Forward mode fills J one column per pass: {n} pass{'es' * (n != 1)} (each recomputes f's value beside "
                f"its tangent), {1000 * s.forward_seconds:.2f} ms. Reverse mode records f once, then fills J one row per "
                f"backward pass: {m} pass{'es' * (m != 1)}, {1000 * s.reverse_seconds:.2f} ms. ")
        if ratio < NOISE:
            text += "Here they were about as fast (closer than the timing's noise). "
        else:
            faster = "Forward" if s.forward_seconds < s.reverse_seconds else "Reverse"
            text += f"{faster} mode was {ratio:.1f} times as fast here. "
        if s.agree and s.column_matches and s.row_matches:
            text += "Both gave the same Jacobian, and one JVP and one VJP gave its outlined column and row."
        else:
            text += "<b>The two modes disagree.</b>"
        if m == 1:
            text += " With one output, J is a gradient: reverse mode gets it in one backward pass, which is why backprop uses it."
        return text
