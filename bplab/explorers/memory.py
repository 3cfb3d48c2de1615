r"""The checkpointing explorer (lesson 17): what a backward pass keeps, and what recomputation saves.

A chain of ``depth`` tanh layers is run plainly and cut into every number of checkpointed segments
from 1 to ``depth`` (:func:`bplab.memory.checkpoint_run` measures each). The left panel plots the
peak memory of the backward pass (what is kept plus the one segment being recomputed) and what is
kept, in layers' activations, against the number of segments, with the plain run for reference and
the best $k$ of the $\sqrt n$ rule marked ($\sqrt{2n}$ here: a layer keeps two arrays, a segment's
boundary one). The right panel shows, layer by layer, what the chosen run keeps for the backward
pass. Runs are measured one per piece of a background job, the chosen one first.

``CheckpointExplorer(depth=32, segments=4)``
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab.explorers.base import Explorer, Slider
from bplab.memory import CheckpointRun, checkpoint_run, segment_bounds
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE

WIDTH, BATCH = 64, 32  # each layer's activations: two arrays of BATCH x WIDTH numbers


@dataclass(frozen=True)
class CheckpointState:
    params: dict[str, Any]
    plain: CheckpointRun
    chosen: CheckpointRun
    runs: dict[int, CheckpointRun]  # segments -> run, as far as measured

    @property
    def finished(self) -> bool:
        return len(self.runs) == self.params["depth"]


def _in_arrays(bytes_: int, run: CheckpointRun) -> float:
    """Bytes as a number of one layer's arrays (one array: BATCH x WIDTH numbers)."""
    return bytes_ / (run.layer_bytes / 2)


class CheckpointExplorer(Explorer):
    """``CheckpointExplorer(depth=32, segments=4)``: the backward pass's memory with and without checkpointing."""

    title = "Checkpointing: memory for recomputation"
    controls = {
        "depth": Slider("layers n", 2, 64, integer=True),
        "segments": Slider("checkpointed segments k", 1, 64, integer=True),
    }
    defaults = {"depth": 32, "segments": 4}
    continuous_update = False  # all segment counts are measured again for a new depth

    follow_settings = ("segments",)

    def limits_from_settings(self, settings: dict[str, Any]) -> dict[str, float]:
        """A chain of n layers has at most n segments."""
        return {"segments": settings["depth"]}

    def compute_steps(self, depth: int, segments: int) -> Iterator[Callable[[], CheckpointState]]:
        params = dict(depth=depth, segments=segments)
        # checkpoint_run's default width and batch are WIDTH and BATCH, the drawing's units (a test checks it)
        plain = checkpoint_run(depth, 0)
        runs = {segments: checkpoint_run(depth, segments)}

        def frame(measured: dict[int, CheckpointRun]) -> Callable[[], CheckpointState]:
            return lambda: CheckpointState(params, plain, runs[segments], measured)

        yield frame(dict(runs))  # the chosen run first, then every other segment count, one per piece
        for k in range(1, depth + 1):
            if k not in runs:
                runs[k] = checkpoint_run(depth, k)
                yield frame(dict(runs))

    def progress(self, state: CheckpointState) -> str:
        if state.finished:
            return ""
        return f"measured {len(state.runs)} of {state.params['depth']} segment counts"

    def draw(self, s: CheckpointState) -> go.Figure:
        n, chosen = s.params["depth"], s.chosen
        grid = Grid(rows=1, cols=2, horizontal_spacing=0.12, column_widths=[0.58, 0.42],
                    titles=("Memory of the backward pass", f"Kept per layer (k = {chosen.segments})"))
        ks = sorted(s.runs)
        left, right = grid.axes(1, 1), grid.axes(1, 2)
        top = max(_in_arrays(r.peak_bytes, r) for r in [s.plain, *s.runs.values()])
        traces = [
            dict(type="scatter", x=[1, n], y=[_in_arrays(s.plain.kept_bytes, s.plain)] * 2, mode="lines",
                 name="no checkpointing", line=dict(color="grey", dash="dash", width=2), **left),
            dict(type="scatter", x=ks, y=[_in_arrays(s.runs[k].peak_bytes, s.runs[k]) for k in ks], mode="lines+markers",
                 name="peak: kept + one segment recomputed", line=dict(color=PALETTE["vermillion"], width=2.5),
                 marker=dict(size=4), hovertemplate="k = %{x}: peak %{y:.0f} arrays<extra></extra>", **left),
            dict(type="scatter", x=ks, y=[_in_arrays(s.runs[k].kept_bytes, s.runs[k]) for k in ks], mode="lines+markers",
                 name="kept between the passes", line=dict(color=PALETTE["blue"], width=2.5),
                 marker=dict(size=4), hovertemplate="k = %{x}: kept %{y:.0f} arrays<extra></extra>", **left),
            dict(type="scatter", x=[math.sqrt(2 * n)] * 2, y=[0, 1.05 * top], mode="lines",
                 name=f"√n rule: k = √(2n) = {math.sqrt(2 * n):.1f}",
                 line=dict(color="black", width=1.5, dash="dot"), hoverinfo="skip", **left),
            dict(type="scatter", x=[chosen.segments], y=[_in_arrays(chosen.peak_bytes, chosen)], mode="markers",
                 name=f"your k = {chosen.segments}", marker=dict(color=PALETTE["vermillion"], size=13, symbol="circle-open",
                                                                  line=dict(width=3)), **left),
        ]
        layers = np.arange(1, n + 1)
        boundaries = {stop for _, stop in segment_bounds(n, chosen.segments)}
        traces.append(dict(type="bar", x=layers, y=[2] * n, name="kept without checkpointing",
                           marker=dict(color="grey"), opacity=0.35, hovertemplate="layer %{x}: 2 arrays<extra></extra>", **right))
        traces.append(dict(type="bar", x=layers, y=[1 if l in boundaries else 0 for l in layers],
                           name="kept with checkpointing", marker=dict(color=PALETTE["blue"]),
                           hovertemplate="layer %{x}: %{y} array<extra></extra>", **right))
        grid.xaxis(1, 1).update(title=dict(text="segments k"), range=[0.5, n + 0.5])
        grid.yaxis(1, 1).update(title=dict(text="arrays of 32 × 64"), range=[0, 1.05 * top])
        grid.xaxis(1, 2).update(title=dict(text="layer"), range=[0.5, n + 0.5])
        grid.yaxis(1, 2).update(title=dict(text="arrays kept"), range=[0, 2.2], dtick=1)
        grid.fix_margins()
        return plain_figure(traces, grid.layout, height=440, barmode="overlay", bargap=0.15,
                            legend=dict(orientation="h", y=-0.2), margin=dict(l=70, r=20, t=60, b=40))

    def describe(self, s: CheckpointState) -> str:
        n, c, p = s.params["depth"], s.chosen, s.plain
        text = (f"{n} layers. Without checkpointing the backward pass keeps every layer's activations: "
                f"{_in_arrays(p.kept_bytes, p):.0f} arrays ({p.kept_bytes / 1e6:.2f} MB). With k = {c.segments} checkpointed "
                f"segments it keeps {_in_arrays(c.kept_bytes, c):.0f} between the passes and at most "
                f"<b>{_in_arrays(c.peak_bytes, c):.0f}</b> while recomputing a segment ({c.peak_bytes / p.kept_bytes:.0%} of the "
                f"plain run), for {c.layer_evaluations - p.layer_evaluations} recomputed layers: one more forward pass. ")
        if s.finished:
            best = min(s.runs.values(), key=lambda r: (r.peak_bytes, r.segments))
            text += (f"The smallest peak, {_in_arrays(best.peak_bytes, best):.0f} arrays, is at k = {best.segments}: the √n "
                     f"rule, k + 2n/k smallest at k = √(2n) = {math.sqrt(2 * n):.1f} (a layer keeps 2 arrays, a boundary 1). ")
        text += "Gradients identical to the plain run, bit for bit." if c.same_gradients else "<b>The gradients differ from the plain run.</b>"
        return text
