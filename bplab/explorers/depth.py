r"""The depth explorer: what a deep network does to a signal, forward and backward, before any training.

A stack of ``depth`` layers $h_l = f(h_{l-1} W_l)$, each ``width`` units wide, without biases
(they start at 0 in most schemes), takes a batch of inputs $x \sim \mathcal N(0, 1)$. At the
top, the loss $L = \sum r \odot h_\text{depth}$ with a fixed random $r \sim \mathcal N(0, 1)$
sends the backward pass a gradient whose entries have size 1, so every change in size on the
way down is the layers' doing. bplab's backward pass gives $\partial L/\partial h_l$ for every
layer and $\partial L/\partial W_l$ for every weight matrix.

For linear layers with independent zero-mean weights of variance $\operatorname{Var} W$, each
layer multiplies the mean square of the signal by $n \operatorname{Var} W$ going up and the
mean square of the gradient by the same factor going down ($n$ the width; a ReLU halves both).
So the root mean square after $l$ layers is $(n \operatorname{Var} W\, c)^{l/2}$ times the
input's, with $c = 1$ (linear; tanh near 0) or $c = \tfrac12$ (ReLU): the dashed lines.

Each layer can also be a **residual** block, $h_l = h_{l-1} + f(h_{l-1} W_l)$, whose Jacobian
$I + J_l$ passes the gradient from above down unchanged besides the branch's share (the "+1"),
and/or **batch-normalize** its pre-activations, $f(\operatorname{BN}(h_{l-1} W_l))$, which resets
their size to 1 in every layer whatever the weights' scale (lesson 11).

``DepthExplorer(depth=10, width=100, activation="tanh", init_scheme="pytorch_default", init_scale=1.0, seed=0, layer="plain")``
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab import init, nn
from bplab.engine import Value
from bplab.explorers.base import Choice, Explorer, Slider
from bplab.plain_figures import Grid, log_axis_values, plain_figure
from bplab.plots import PALETTE
from bplab.validation import make_rng

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
LAYERS = ("plain", "residual", "batch norm", "batch norm + residual")
INITS = ("pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_normal", "normal", "zeros")
#: Var W of each scheme for a square layer of width n, as a function of n (before the scale slider).
SCHEME_VARIANCE = {
    "pytorch_default": lambda n: 1 / (3 * n),  # U(±1/√n): Glorot & Bengio's "standard" initialization
    "xavier_uniform": lambda n: 2 / (n + n),
    "xavier_normal": lambda n: 2 / (n + n),
    "kaiming_normal": lambda n: 2 / n,
    "normal": lambda n: 1.0,
    "zeros": lambda n: 0.0,
}
#: What the activation does to the mean square of a zero-mean signal, to first order (None: no simple factor).
SQUARE_FACTOR = {"linear": 1.0, "tanh": 1.0, "relu": 0.5, "sigmoid": None}
BATCH = 32
#: Deeper networks are drawn as lines without markers: every marker is an SVG node the browser redraws
#: (plotly's thinning of markers, ``maxdisplayed``, costs about as much again as drawing them).
MARKERS_SHOWN = 12
BINS = 41
#: A layer whose weight gradient is this many times smaller (larger) than the last layer's: vanishing (exploding).
VANISHING, EXPLODING = 1e-2, 1e2


@dataclass(frozen=True)
class DepthState:
    params: dict[str, Any]
    activation_rms: np.ndarray  # per layer 1..depth: root mean square of h_l
    gradient_rms: np.ndarray  # per layer: root mean square of dL/dh_l
    weight_gradient_norms: np.ndarray  # per layer: Frobenius norm of dL/dW_l
    activation_edges: np.ndarray
    activation_histograms: np.ndarray  # (depth, BINS): each layer's histogram, scaled to its own peak
    gradient_edges: np.ndarray
    gradient_histograms: np.ndarray
    predicted_gain: float | None  # per-layer factor of the root mean square predicted for linear layers


def _activate(h: Value, activation: str) -> Value:
    if activation == "linear":
        return h
    return getattr(h, activation)()


def _histograms(values: list[np.ndarray], edges: np.ndarray) -> np.ndarray:
    """One row per layer: counts in the equal-width bins ``edges`` (values beyond them counted in the end bins,
    non-finite ones left out), scaled to the row's peak. All layers at once: one bincount, no sorting."""
    bins = len(edges) - 1
    stacked = np.stack([np.ravel(v) for v in values])
    finite = np.isfinite(stacked)
    # a huge value's bin overflows and is clipped to the last; non-finite values (filled with 0, or any number) are dropped below
    with np.errstate(over="ignore"):
        index = np.clip(np.floor((np.where(finite, stacked, 0.0) - edges[0]) / (edges[1] - edges[0])), 0, bins - 1)
    layer = np.repeat(np.arange(len(values)), stacked.shape[1]).reshape(stacked.shape)
    counts = np.bincount((layer * bins + index.astype(np.int64))[finite], minlength=len(values) * bins)
    counts = counts.reshape(len(values), bins)
    peaks = counts.max(axis=1, keepdims=True)
    return counts / np.where(peaks > 0, peaks, 1.0)  # an empty row stays 0 (a peak of 1, or dividing by 2, changes nothing)


def predicted_gain(width: int, scheme: str, scale: float, activation: str) -> float | None:
    r"""The factor by which one layer multiplies the root mean square, $\sqrt{n\,\operatorname{Var}W\,c}$ (None where
    no simple rule holds: sigmoid, whose outputs are not centred, or zero weights)."""
    factor = SQUARE_FACTOR[activation]
    variance = SCHEME_VARIANCE[scheme](width) * scale ** 2
    if factor is None or variance == 0:
        return None
    return math.sqrt(width * variance * factor)


def signal_through_depth(depth: int, width: int, activation: str, init_scheme: str, init_scale: float,
                         seed: int, batch: int = BATCH, layer: str = "plain",
                         ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Forward a batch through ``depth`` layers of the kind ``layer`` (see :data:`LAYERS`), backward from a
    random direction at the top.

    Returns each layer's outputs ``h_l``, back-propagated gradients ``dL/dh_l`` and weight gradients ``dL/dW_l``.
    """
    if layer not in LAYERS:
        raise ValueError(f"layer: expected one of {', '.join(map(repr, LAYERS))}, got {layer!r}")
    rng = make_rng(seed=seed)
    # bias=False: under a scaled scheme a bias starts at 0, so bias=None, True or left out change no number here
    layers = [nn.Linear(width, width, bias=False, init=init.scaled(init_scheme, init_scale), rng=rng) for _ in range(depth)]
    x = rng.standard_normal((batch, width))
    r = rng.standard_normal((batch, width))  # the top's gradient: dL/dh_depth = r
    h: Value | np.ndarray = x  # a constant: no gradient is computed for the batch
    outputs = []
    with np.errstate(over="ignore", invalid="ignore"):
        for linear in layers:
            z = linear(h)
            if "batch norm" in layer:  # the batch's own statistics, no learned scale or shift
                z = nn.batch_norm(z, None, None, training=True)
            branch = _activate(z, activation)
            h = h + branch if "residual" in layer else branch
            outputs.append(h)
        (h * r).sum().backward()
    return ([o.data for o in outputs], [o.grad for o in outputs],  # .grad: zeros where no gradient arrived
            [linear.weight.grad for linear in layers])


def root_mean_square(values: np.ndarray) -> float:
    with np.errstate(over="ignore"):  # an exploding signal's size is inf, without a warning
        return float(np.sqrt(np.mean(np.square(values))))


class DepthExplorer(Explorer):
    """``DepthExplorer(depth=10, width=100, activation="tanh", init_scheme="pytorch_default", init_scale=1.0, seed=0,
    layer="plain")``: per-layer histograms of activations and gradients in a deep network, and their sizes layer by layer."""

    title = "A deep network before training: the signal going up, the gradient coming down"
    controls = {
        "depth": Slider("depth (layers)", 1, 50, integer=True),
        "width": Slider("width (units per layer)", 10, 200, integer=True, step=10),
        "activation": Choice("activation", ACTIVATIONS),
        "init_scheme": Choice("initialization", INITS),
        "init_scale": Slider("initialization scale (logarithmic)", 0.1, 10.0, log=True, step=0.05),
        "seed": Slider("seed", 0, 20, integer=True),
        "layer": Choice("each layer", LAYERS),
    }
    continuous_update = False  # 50 layers of 200 units take ~0.15 s: one update per release (arrow keys step)
    defaults = {"depth": 10, "width": 100, "activation": "tanh", "init_scheme": "pytorch_default", "init_scale": 1.0,
                "seed": 0, "layer": "plain"}

    def compute(self, depth: int, width: int, activation: str, init_scheme: str, init_scale: float,
                seed: int, layer: str) -> DepthState:
        activations, gradients, weight_gradients = signal_through_depth(depth, width, activation, init_scheme,
                                                                        init_scale, seed, layer=layer)
        if activation in ("tanh", "sigmoid") and "residual" not in layer:  # bounded outputs
            low = -1.0 if activation == "tanh" else 0.0
            activation_edges = np.linspace(low, 1.0, BINS + 1)
        else:  # unbounded: the first layer's spread sets the axis (a residual stream's grows: its top layer's)
            spread = root_mean_square(activations[-1] if "residual" in layer else activations[0])
            # no spread (zero weights) or an infinite one: a unit axis (spread >= 1e-12 differs only at exactly 1e-12)
            reach = 3 * (spread if np.isfinite(spread) and spread > 1e-12 else 1.0)
            activation_edges = np.linspace(0.0 if activation == "relu" else -reach, reach, BINS + 1)
        gradient_edges = np.linspace(-3.0, 3.0, BINS + 1)  # the top's gradient is r ~ N(0, 1)
        return DepthState(
            params=dict(depth=depth, width=width, activation=activation, init_scheme=init_scheme,
                        init_scale=init_scale, seed=seed, layer=layer),
            activation_rms=np.array([root_mean_square(a) for a in activations]),
            gradient_rms=np.array([root_mean_square(g) for g in gradients]),
            weight_gradient_norms=np.array([root_mean_square(g) * math.sqrt(g.size) for g in weight_gradients]),
            activation_edges=activation_edges,
            activation_histograms=_histograms(activations, activation_edges),
            gradient_edges=gradient_edges,
            gradient_histograms=_histograms(gradients, gradient_edges),
            predicted_gain=predicted_gain(width, init_scheme, init_scale, activation) if layer == "plain" else None,
        )

    def draw(self, s: DepthState) -> go.Figure:
        depth = s.params["depth"]
        layers = np.arange(1, depth + 1)
        grid = Grid(rows=2, cols=2, vertical_spacing=0.16, horizontal_spacing=0.12, titles=(
            "Activations h, histogram by layer", "Gradients ∂L/∂h, histogram by layer",
            "Their size by layer", "Weight gradients ‖∂L/∂W‖ by layer"))
        traces = []
        for cell, edges, rows, name in (((1, 1), s.activation_edges, s.activation_histograms, "activations"),
                                        ((1, 2), s.gradient_edges, s.gradient_histograms, "gradients")):
            # bins and layers as a start and a step (x0, dx), not lists: plotly then knows the bricks are evenly
            # spaced and draws one pixel a brick, scaled; three decimals: the same colours, a third of the message
            step = float(edges[1] - edges[0])
            traces.append(dict(type="heatmap", x0=float(edges[0]) + step / 2, dx=step, y0=1, dy=1, z=np.round(rows, 3),
                               zmin=0, zmax=1, colorscale="Viridis",
                               showscale=False, name=f"{name}: histogram of each layer",
                               hovertemplate="layer %{y}, value %{x:.3g}: %{z:.2f} of the layer's peak<extra></extra>",
                               **grid.axes(*cell)))
        sizes, norms = grid.axes(2, 1), grid.axes(2, 2)
        lines = "lines+markers" if depth <= MARKERS_SHOWN else "lines"
        traces.append(dict(type="scatter", x=layers, y=log_axis_values(s.activation_rms), mode=lines,
                           name="activations h (going up)", line=dict(color=PALETTE["blue"], width=2.5),
                           marker=dict(size=5), **sizes))
        traces.append(dict(type="scatter", x=layers, y=log_axis_values(s.gradient_rms), mode=lines,
                           name="gradients ∂L/∂h (coming down)", line=dict(color=PALETTE["vermillion"], width=2.5),
                           marker=dict(symbol="diamond", size=6), **sizes))
        gain = s.predicted_gain
        up = down = [None] * depth
        if gain is not None:
            with np.errstate(over="ignore", under="ignore"):
                up = log_axis_values(gain ** layers.astype(float))  # the input's mean square is 1
                down = log_axis_values(gain ** (depth - layers).astype(float))  # the top's gradient has mean square 1
        traces.append(dict(type="scatter", x=layers, y=up, mode="lines", name="linear-layer prediction",
                           showlegend=gain is not None, line=dict(color=PALETTE["blue"], width=1.5, dash="dash"), legendgroup="prediction",
                           hoverinfo="skip", **sizes))
        traces.append(dict(type="scatter", x=layers, y=down, mode="lines", name="linear-layer prediction",
                           showlegend=False, line=dict(color=PALETTE["vermillion"], width=1.5, dash="dash"),
                           legendgroup="prediction", hoverinfo="skip", **sizes))
        traces.append(dict(type="scatter", x=layers, y=log_axis_values(s.weight_gradient_norms), mode=lines,
                           name="‖∂L/∂W‖ of each layer", line=dict(color=PALETTE["green"], width=2.5),
                           marker=dict(size=5), **norms))
        grid.yaxis(1, 1).update(title=dict(text="layer (1 = nearest the input)"), dtick=max(1, depth // 10))
        grid.yaxis(1, 2).update(title=dict(text="layer"), dtick=max(1, depth // 10))
        grid.xaxis(1, 1)["title"] = dict(text="activation value")
        grid.xaxis(1, 2)["title"] = dict(text="gradient value")
        for cell, values in (((2, 1), np.concatenate([s.activation_rms, s.gradient_rms])), ((2, 2), s.weight_gradient_norms)):
            grid.xaxis(*cell).update(title=dict(text="layer"), range=[0.5, depth + 0.5])
            grid.yaxis(*cell).update(type="log", exponentformat="power", dtick=1, range=log_range(values),  # decades only
                                     title=dict(text="root mean square" if cell == (2, 1) else "‖∂L/∂W‖"))
        grid.fix_margins()
        return plain_figure(traces, grid.layout, height=720, legend=dict(orientation="h", y=-0.1),
                            margin=dict(l=90, r=20, t=60, b=40))  # room for the left axes' titles, 10^-44 included

    def describe(self, s: DepthState) -> str:
        p = s.params
        depth = p["depth"]
        if p["init_scheme"] == "zeros" and p["layer"] == "plain":
            if p["activation"] != "sigmoid":
                return ("Every weight is 0, so every activation is f(0) = 0 and every weight gradient is 0: "
                        "no layer can learn, and training cannot even start.")
            return ("Every weight is 0, so every unit outputs sigmoid(0) = 0.5. The last layer's weights get a gradient, "
                    "but it reaches no layer below (it comes down through weights that are 0), and all units of a layer "
                    "stay alike: the symmetry problem.")
        if p["init_scheme"] == "zeros" and p["layer"] == "batch norm":
            return ("Every weight is 0, so every pre-activation is the same in every example: batch norm has no spread to "
                    "standardize and outputs 0. No gradient crosses a weight matrix of zeros, and at the top the gradient "
                    "batch norm passes back sums to zero over examples that all look the same: no weight gets a gradient.")
        if p["init_scheme"] == "zeros" and p["layer"] == "batch norm + residual":
            return ("Every weight is 0, so every branch's pre-activation is 0 in every example and batch norm outputs 0: "
                    "only the residual path carries the signal. The gradient coming down it reaches each branch's weights "
                    "multiplied by 1/√ε (batch norm's floor on the spread), so they are huge. Deep residual networks "
                    "zero the scale γ after batch norm instead, not the weights before it.")
        if depth == 1:
            return (f"One layer: its activations have size {s.activation_rms[0]:.3g} (the input's is 1), and the gradient "
                    f"coming down to it has size {s.gradient_rms[0]:.3g}. Add layers to see sizes change with depth.")
        text = (f"Going up, the activations' size goes from {s.activation_rms[0]:.3g} (layer 1) to "
                f"{s.activation_rms[-1]:.3g} (layer {depth}); coming down, the gradients' from "
                f"{s.gradient_rms[-1]:.3g} (layer {depth}) to {s.gradient_rms[0]:.3g} (layer 1).")
        sizes = np.concatenate([s.activation_rms, s.gradient_rms, s.weight_gradient_norms])
        if not np.all(np.isfinite(sizes)):
            return text + " <b>The numbers overflowed: the signal exploded.</b>"
        with np.errstate(divide="ignore", invalid="ignore"):
            up = s.activation_rms[-1] / s.activation_rms[0]
            down = s.gradient_rms[0] / s.gradient_rms[-1]
            weights = s.weight_gradient_norms[0] / s.weight_gradient_norms[-1]
        problems = []
        if up < VANISHING:
            problems.append("the signal <b>fades</b> going up (the top layers barely see the input)")
        elif up > EXPLODING:
            problems.append("the signal <b>explodes</b> going up")
        if down < VANISHING:
            problems.append("the gradient <b>vanishes</b> coming down")
        elif down > EXPLODING:
            problems.append("the gradient <b>explodes</b> coming down")
        verdict = ("; ".join(problems).capitalize() + "." if problems else
                   f"Both keep their size within a factor of {1 / VANISHING:.0f} through all {depth} layers "
                   f"(×{up:.3g} going up, ×{down:.3g} coming down).")
        text += " " + verdict + (f" Layer 1's weight gradient h₀ᵀ·∂L/∂z₁ is {weights:.3g} times layer {depth}'s"
                                 " (the activation below times the gradient above: a small factor can offset a large one).")
        if "residual" in p["layer"] and down >= 1:
            text += (" Residual layers: each passes the gradient from above straight down (the +1 in I + Jₗ) and adds"
                     " its branch's share, so it does not fade here.")
        if "batch norm" in p["layer"]:
            text += (" Batch norm: every layer's pre-activations are standardized to size 1, whatever the weights' scale"
                     " (the weight gradients shrink as the weights grow: the loss cannot see their scale).")
        return text


#: Log axes' ends snap to multiples of this many decades: a small change of the data keeps the axes as they were.
RANGE_STEP = 0.5


def log_range(values: np.ndarray, decades: float = 2.0) -> list[float] | None:
    """A log axis's range (in powers of ten) around the positive finite ``values``, at least ``decades`` tall,
    so that a 10% wiggle does not fill the panel and look like a trend.

    The ends snap outwards to a grid of :data:`RANGE_STEP` decades, at least 0.2 decade beyond the data:
    moving a slider one step then usually leaves the axes alone, and the browser redraws only the traces
    (measured in Chromium: a depth-explorer redraw with new axis ranges costs a third more). The grid sits
    a quarter decade off the powers of ten, so no tick label (10³) lands on the panel's edge, under its title.
    """
    shown = np.asarray(values, dtype=float)
    shown = shown[np.isfinite(shown) & (shown > 0)]
    if shown.size == 0:
        return None
    low, high = math.log10(shown.min()), math.log10(shown.max())
    middle, half = (low + high) / 2, max(high - low, decades) / 2
    offset = RANGE_STEP / 2
    return [math.floor((middle - half - 0.2 - offset) / RANGE_STEP) * RANGE_STEP + offset,
            math.ceil((middle + half + 0.2 - offset) / RANGE_STEP) * RANGE_STEP + offset]
