r"""The symmetry explorer (lesson 19): one run of Rumelhart, Hinton & Williams's (1986) symmetry network.

A 6-2-1 network of logistic units learns to say whether a 6-bit vector is a mirror image of itself,
by the paper's procedure (:mod:`bplab.rumelhart1986`): the error summed over all 64 vectors, one
weight change per sweep, learning rate $\varepsilon$ and momentum $\alpha$. Choose the seed (its
starting weights) and the two rates; the run trains in pieces of 500 sweeps, up to 20,000, and
stops when every output is within 0.1 of its target. The left panel plots the error against the
sweeps, with the paper's 1,425 marked; the right panel shows the weights from the six inputs to the
two hidden units, which in a converged run are opposite about the middle, often in the ratio 1:2:4.

``SymmetryExplorer(seed=8, rate=0.1, momentum=0.9)``
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab import rumelhart1986 as paper
from bplab.explorers.base import Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE

SWEEPS, PIECE = 20_000, 500
PAPER_SWEEPS = 1425


@dataclass(frozen=True)
class SymmetryState:
    params: dict[str, Any]
    runs: paper.Runs  # one seed, as far as trained

    @property
    def finished(self) -> bool:
        return bool(self.runs.converged[0]) or self.runs.sweeps == SWEEPS


class SymmetryExplorer(Explorer):
    """``SymmetryExplorer(seed=8, rate=0.1, momentum=0.9)``: the 1986 symmetry network, trained live."""

    title = "Rumelhart, Hinton & Williams (1986): detecting mirror symmetry"
    controls = {
        "seed": Slider("seed (the starting weights)", 0, 199, integer=True),
        "rate": Slider("learning rate ε (logarithmic)", 0.01, 1.0, step=0.05, log=True),
        "momentum": Slider("momentum α", 0.0, 0.95, step=0.05),
    }
    defaults = {"seed": 8, "rate": 0.1, "momentum": 0.9}  # seed 8 converges after 1,263 sweeps, near the paper's run
    continuous_update = False  # each change retrains

    def compute_steps(self, seed: int, rate: float, momentum: float) -> Iterator[Callable[[], SymmetryState]]:
        params = dict(seed=seed, rate=rate, momentum=momentum)
        procedure = paper.Procedure(rate=rate, momentum=momentum)
        # the error is recorded every 10 sweeps (train_in_pieces' default): the drawing reads runs.record_every
        # (PIECE equals the default of train_in_pieces, so leaving it out changes nothing; it is the explorer's own choice)
        for runs in paper.train_in_pieces(paper.symmetry_task(), [seed], SWEEPS, procedure, piece=PIECE):
            yield lambda snapshot=runs: SymmetryState(params, snapshot)

    def progress(self, state: SymmetryState) -> str:
        return "" if state.finished else f"sweep {state.runs.sweeps:,} of at most {SWEEPS:,}"

    def draw(self, s: SymmetryState) -> go.Figure:
        runs = s.runs
        grid = Grid(rows=1, cols=2, horizontal_spacing=0.14, column_widths=[0.5, 0.5],
                    titles=("Error E over all 64 vectors", "Weights from the six inputs"))
        curve = runs.error_curves[0]
        sweeps = np.arange(len(curve)) * runs.record_every
        top = float(np.nanmax(curve)) * 1.05
        W = runs.params.weights[0][0].T  # (hidden, inputs)
        reach = max(float(np.max(np.abs(W))), 1e-9)
        traces = [
            dict(type="scatter", x=sweeps, y=curve, mode="lines", name="E", showlegend=False,
                 line=dict(color=PALETTE["blue"], width=2.5), hovertemplate="sweep %{x:,}: E = %{y:.3f}<extra></extra>",
                 **grid.axes(1, 1)),
            dict(type="scatter", x=[PAPER_SWEEPS] * 2, y=[0, top], mode="lines", name="the paper: 1,425 sweeps",
                 showlegend=False, line=dict(color="grey", dash="dot", width=1.5), hoverinfo="skip", **grid.axes(1, 1)),
            dict(type="heatmap", z=W, x=[f"x{i}" for i in range(1, 7)], y=["hidden 1", "hidden 2"], zmin=-reach, zmax=reach,
                 colorscale="PuOr_r", showscale=False, text=np.round(W, 1), texttemplate="%{text}",
                 textfont=dict(size=13), hovertemplate="%{x} to %{y}: %{z:.2f}<extra></extra>", **grid.axes(1, 2)),
        ]
        last = sweeps[-1] if len(sweeps) else 0
        grid.xaxis(1, 1).update(title=dict(text="sweeps"), range=[0, max(last, 2 * PAPER_SWEEPS)])
        grid.yaxis(1, 1).update(title=dict(text="E"), range=[0, top])
        grid.xaxis(1, 2).update(title=dict(text="input position"))
        grid.yaxis(1, 2).update(autorange="reversed")
        grid.layout["annotations"] = list(grid.layout.get("annotations", [])) + [
            dict(x=PAPER_SWEEPS, y=0.92 * top, xref="x", yref="y", text=" the paper: 1,425", showarrow=False,
                 xanchor="left", font=dict(size=12, color="grey"))]
        grid.fix_margins()
        return plain_figure(traces, grid.layout, height=360, margin=dict(l=60, r=20, t=60, b=50))

    def describe(self, s: SymmetryState) -> str:
        runs, p = s.runs, s.params
        head = f"Seed {p['seed']}, ε = {p['rate']:.3g}, α = {p['momentum']:.2f}: "
        if not runs.converged[0]:
            verdict = "not converged" if s.finished else "training"
            return head + f"{verdict} after {runs.sweeps:,} sweeps, E = {runs.error_curves[0][-1]:.3f}."
        pattern = paper.symmetry_weights(runs.params)
        ratios = pattern["ratios"][0]  # (3, hidden)
        units = "; ".join(f"hidden {j + 1}: 1 : {ratios[1, j]:.2f} : {ratios[2, j]:.2f}" for j in range(2))
        kind = ("the paper's 1:2:4" if paper.matches_ratios(pattern["ratios"])[0]
                else "2:3:4, another solution" if paper.matches_ratios(pattern["ratios"], (2, 3, 4))[0] else "neither 1:2:4 nor 2:3:4")
        return (head + f"<b>converged after {runs.converged_at[0]:,} sweeps</b> (the paper: 1,425). Mirror weights "
                f"opposite within {pattern['antisymmetry'][0].max():.1%}; magnitudes {units} ({kind}).")
