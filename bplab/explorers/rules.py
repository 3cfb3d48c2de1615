r"""The learning-rules explorer (lesson 18): backprop and five alternatives, trained side by side on one task.

Every rule trains the same small network on the two moons, full batch, from the same start, with
the learning rate and the number of evolution-strategy probes chosen; forward-forward trains its own
two-layer network with Adam at its own rate (``forward_forward.RATE``). The left panel plots test accuracy against the forward passes spent (a backward pass
counted as about two, lesson 15's constant); the right panel plots, for the rules that estimate the
gradient or replace its backward pass, the cosine between each step's update and the true gradient.
The runs advance together, a few steps of each per piece of a background job.

``LearningRulesExplorer(steps=300, rate=0.5, probes=10)``
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab import alternatives, data, forward_forward
from bplab.explorers.base import Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE

#: rule name -> colour, dash
STYLE = {
    "backprop": (PALETTE["blue"], "solid"),
    "feedback alignment": (PALETTE["orange"], "solid"),
    "SPSA": (PALETTE["vermillion"], "dot"),
    "evolution strategies": (PALETTE["purple"], "dash"),
    "forward gradient": (PALETTE["sky"], "dashdot"),
    "forward-forward": ("black", "longdash"),
}
PIECE = 10  # steps of every rule per piece of the job


def moons_task(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lesson's task: 300 points of the two moons (noise 0.15), 30% held out for testing."""
    X, y = data.moons(300, noise=0.15, seed=seed)
    return data.train_test_split(X, y, test_fraction=0.3, seed=seed)


@dataclass(frozen=True)
class RulesState:
    params: dict[str, Any]
    runs: dict[str, Any]  # rule -> alternatives.Run or forward_forward.ForwardForwardRun, as far as trained

    @property
    def finished(self) -> bool:
        return all(run.steps == self.params["steps"] for run in self.runs.values())


class LearningRulesExplorer(Explorer):
    """``LearningRulesExplorer(steps=300, rate=0.5, probes=10)``: six learning rules on one task, side by side."""

    title = "Beyond backprop: six learning rules on the two moons"
    controls = {
        "steps": Slider("training steps", 20, 1000, step=20, integer=True),
        "rate": Slider("learning rate (logarithmic)", 0.1, 30.0, step=0.05, log=True),
        "probes": Slider("evolution strategies: probes a step", 1, 64, integer=True),
    }
    defaults = {"steps": 300, "rate": 0.5, "probes": 10}
    continuous_update = False  # each change retrains six runs

    def compute_steps(self, steps: int, rate: float, probes: int) -> Iterator[Callable[[], RulesState]]:
        params = dict(steps=steps, rate=rate, probes=probes)
        X, X_test, y, y_test = moons_task()
        runners: dict[str, Iterator[Any]] = {
            rule: alternatives.train_in_pieces(rule, X, y, X_test, y_test, steps, rate, probes, piece=PIECE)
            for rule in alternatives.RULES
        }
        runners["forward-forward"] = forward_forward.train_in_pieces(X, y, X_test, y_test, steps, piece=PIECE)  # its own Adam rate
        runs: dict[str, Any] = {}
        while runners:
            for rule in list(runners):
                try:
                    runs[rule] = next(runners[rule])
                except StopIteration:
                    del runners[rule]
            if runners:
                yield lambda snapshot=dict(runs): RulesState(params, snapshot)
        yield lambda snapshot=dict(runs): RulesState(params, snapshot)

    def progress(self, state: RulesState) -> str:
        if state.finished:
            return ""
        done = min(run.steps for run in state.runs.values())
        return f"step {done:,} of {state.params['steps']:,}"

    def draw(self, s: RulesState) -> go.Figure:
        grid = Grid(rows=1, cols=2, horizontal_spacing=0.12,
                    titles=("Test accuracy against cost", "Each update against the gradient"))
        traces = []
        for rule, run in s.runs.items():
            colour, dash = STYLE[rule]
            traces.append(dict(type="scatter", x=np.maximum(run.evaluations, 1), y=run.test_accuracy, mode="lines",
                               name=rule, legendgroup=rule, line=dict(color=colour, dash=dash, width=2.5),
                               hovertemplate=f"{rule}: %{{y:.0%}} after %{{x:,.0f}} forward passes<extra></extra>",
                               **grid.axes(1, 1)))
            if rule != "forward-forward":
                cosines = run.cosine_to_gradient
                window = max(1, min(10, len(cosines)))
                smooth = np.convolve(cosines, np.ones(window) / window, mode="valid") if len(cosines) else cosines
                traces.append(dict(type="scatter", x=np.arange(window, len(cosines) + 1), y=smooth, mode="lines",
                                   name=rule, legendgroup=rule, showlegend=False, line=dict(color=colour, dash=dash, width=2.5),
                                   hovertemplate=f"{rule}: cosine %{{y:.2f}} (mean of 10 steps) at step %{{x}}<extra></extra>",
                                   **grid.axes(1, 2)))
        grid.xaxis(1, 1).update(title=dict(text="forward passes (log scale)"), type="log", dtick=1, exponentformat="power")
        grid.yaxis(1, 1).update(title=dict(text="test accuracy"), range=[0.4, 1.02], tickformat=".0%")
        grid.xaxis(1, 2).update(title=dict(text="step"), range=[0, s.params["steps"]])
        grid.yaxis(1, 2).update(title=dict(text="cosine (mean of 10 steps)"), range=[-0.2, 1.05])
        grid.fix_margins()
        return plain_figure(traces, grid.layout, height=440, legend=dict(orientation="h", y=-0.2),
                            margin=dict(l=70, r=20, t=60, b=40))

    def describe(self, s: RulesState) -> str:
        parts = []
        for rule, run in s.runs.items():
            text = f"{rule} {run.test_accuracy[-1]:.0%} ({run.evaluations[-1]:,.0f} passes, "
            if rule == "forward-forward":
                text += f"Adam at its own rate {forward_forward.RATE:g})"
            else:
                text += f"cosine {np.mean(run.cosine_to_gradient):.2f})" if len(run.cosine_to_gradient) else "no step yet)"
            parts.append(text)
        return ("Test accuracy after " + f"{min(run.steps for run in s.runs.values()):,} steps at rate "
                f"{s.params['rate']:.3g}: " + "; ".join(parts) + ".")
