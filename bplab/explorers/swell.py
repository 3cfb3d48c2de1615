r"""The swell explorer (lesson 16): one derivative counted three ways as its function gets deeper.

For a family of functions (a chain of sines, the logistic map, a small tanh network) and each depth
up to the chosen one, the left panel plots how many operations the derivative takes: SymPy's
formula written out as a tree, the same formula after common-subexpression elimination
(``sympy.cse``), and backprop (its recorded forward and backward passes). The right panel plots the
time each took to obtain here. Counting and timing are :func:`bplab.swell.measure`'s; depths
already measured are drawn at once, new ones are measured one per piece of a background job.

``SwellExplorer(family="logistic map", depth=6)``
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from bplab import swell
from bplab.explorers.base import Choice, Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE

#: (field of SwellCount, legend label, colour, dash, width) of each count drawn
COUNTS = (
    ("tree", "SymPy's derivative, as a tree", PALETTE["vermillion"], "solid", 2.5),
    ("after_cse", "SymPy's derivative after CSE", PALETTE["orange"], "solid", 2.5),
    ("backprop_total", "backprop: forward + backward", PALETTE["blue"], "solid", 3),
    ("function_tree", "the function itself, as a tree", "grey", "dot", 2),
)
#: (field, legend label, colour) of each time drawn
TIMES = (
    ("seconds_sympy", "sympy.diff", PALETTE["vermillion"]),
    ("seconds_cse", "sympy.cse of the result", PALETTE["orange"]),
    ("seconds_backprop", "backprop (record + backward)", PALETTE["blue"]),
)


@dataclass(frozen=True)
class SwellState:
    params: dict[str, Any]
    counts: tuple[swell.SwellCount, ...]  # depth 1, 2, ... as far as measured

    @property
    def finished(self) -> bool:
        return len(self.counts) == self.params["depth"]


class SwellExplorer(Explorer):
    """``SwellExplorer(family="logistic map", depth=6)``: operation counts of a derivative, symbolic and by backprop,
    against the depth of the function."""

    title = "Expression swell: one derivative, counted as a formula and as a program"
    controls = {
        "family": Choice("function", tuple(swell.FAMILIES)),
        "depth": Slider("depth (compositions or layers)", 1, max(top for _, top, _ in swell.FAMILIES.values()), integer=True),
    }
    defaults = {"family": "logistic map", "depth": 6}
    continuous_update = False  # a new depth of SymPy can take a second: one update per release

    follow_settings = ("depth",)

    def limits_from_settings(self, settings: Mapping[str, Any]) -> dict[str, float]:
        """Each family has its own deepest depth (SymPy's trees grow too large beyond it)."""
        return {"depth": swell.FAMILIES[settings["family"]][1]}

    def compute_steps(self, family: str, depth: int) -> Iterator[Callable[[], SwellState]]:
        """The depths measured before at once (SymPy's results are cached), then one new depth per piece."""
        params = dict(family=family, depth=depth)
        done: list[swell.SwellCount] = []
        while len(done) < depth and swell.is_measured(family, len(done) + 1):
            done.append(swell.measure(family, len(done) + 1))
        yield lambda snapshot=tuple(done): SwellState(params, snapshot)
        while len(done) < depth:
            done.append(swell.measure(family, len(done) + 1))
            yield lambda snapshot=tuple(done): SwellState(params, snapshot)

    def progress(self, state: SwellState) -> str:
        if state.finished:
            return ""
        return f"SymPy is differentiating depth {len(state.counts) + 1} of {state.params['depth']}"

    def draw(self, s: SwellState) -> go.Figure:
        grid = Grid(rows=1, cols=2, horizontal_spacing=0.12,
                    titles=("Operations to compute the derivative", "Time to obtain it, here"))
        depths = [c.depth for c in s.counts]
        traces = []
        for field, label, colour, dash, width in COUNTS:
            traces.append(dict(type="scatter", x=depths, y=[getattr(c, field) for c in s.counts], mode="lines+markers",
                               name=label, line=dict(color=colour, dash=dash, width=width), marker=dict(size=6),
                               hovertemplate=f"depth %{{x}}: %{{y:,}} operations<extra>{label}</extra>",
                               **grid.axes(1, 1)))
        for field, label, colour in TIMES:
            traces.append(dict(type="scatter", x=depths, y=[1000 * max(getattr(c, field), 1e-6) for c in s.counts],
                               mode="lines+markers", name=label, line=dict(color=colour, dash="dash", width=2),
                               marker=dict(size=5, symbol="diamond"),
                               hovertemplate=f"depth %{{x}}: %{{y:.3g}} ms<extra>{label}</extra>", **grid.axes(1, 2)))
        top = s.params["depth"]
        for cell in ((1, 1), (1, 2)):
            grid.xaxis(*cell).update(title=dict(text="depth"), range=[0.5, top + 0.5], dtick=1 if top <= 10 else 2)
            grid.yaxis(*cell).update(type="log", exponentformat="power", dtick=1)  # decades only: no minor labels
        grid.yaxis(1, 1)["title"] = dict(text="operations (log scale)")
        grid.yaxis(1, 2)["title"] = dict(text="milliseconds (log scale)")
        grid.fix_margins()
        return plain_figure(traces, grid.layout, height=440, legend=dict(orientation="h", y=-0.22),
                            margin=dict(l=80, r=20, t=60, b=40))

    def describe(self, s: SwellState) -> str:
        family = s.params["family"]
        if not s.counts:
            return f"{swell.FAMILIES[family][2]}. Measuring…"
        c = s.counts[-1]
        text = (f"{swell.FAMILIES[family][2]}, depth {c.depth}: SymPy's derivative written out takes <b>{c.tree:,}</b> "
                f"operations, {c.after_cse:,} after common-subexpression elimination; backprop takes "
                f"<b>{c.backprop_total:,}</b> ({c.backprop_forward:,} forward, {c.backprop_total - c.backprop_forward:,} "
                f"backward), {c.tree / c.backprop_total:,.1f} times fewer than the tree")
        if len(s.counts) >= 2:
            before = s.counts[-2]
            text += (f". From depth {before.depth} to {c.depth} the tree grew ×{c.tree / max(before.tree, 1):.2f}, "
                     f"the CSE form ×{c.after_cse / max(before.after_cse, 1):.2f}, backprop by "
                     f"{c.backprop_total - before.backprop_total:,} operations")
        return text + "."

