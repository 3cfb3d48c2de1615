r"""The time explorer: how the gradient of a recurrent network changes as it travels back in time.

A recurrent layer $h_t = f(h_{t-1} W + x_t)$ (its inputs $x_t$ already multiplied by $W_{ih}$) runs
for ``steps`` steps from $h_0 = 0$ on a batch of random input sequences; the loss reads only the
last state, $L = \sum v \odot h_T$, with a fixed random $v$ whose rows have length 1, so the
gradient enters at the last step with size 1. Backprop through time then gives
$\partial L/\partial h_t$ for every step: one Jacobian $\operatorname{diag}(f'(z_t))\,W^\top$ more per
step back.

* Linear $f$: the gradient $k$ steps back is $(W^\top)^k\,\partial L/\partial h_T$. Its size is at most
  $\sigma_{\max}^k$ (the largest singular value): below 1 it must shrink. Over many steps it behaves like
  $\rho^k$ ($\rho$ the spectral radius): it grows without bound only if $\rho \ge 1$; with
  $\rho < 1 < \sigma_{\max}$ it can grow for a few steps, then shrinks.
* tanh: each step also multiplies by slopes $f' \le 1$, so $\sigma_{\max} < 1$ is still enough for
  vanishing; $\sigma_{\max} > 1$ is necessary for exploding but not enough: saturated units have
  slopes near 0 (Pascanu, Mikolov & Bengio, 2013, section 2.1).

The right panel shows what each step contributes to $\partial L/\partial W$, which is their sum
(one shared weight, used at every step); ``clip=True`` clips that sum to norm 10 as
:func:`bplab.nn.clip_grad_norm_` does, which rescales every contribution by the same factor.

``TimeExplorer(nonlinearity="tanh", matrix="scaled orthogonal", scale=1.0, steps=50, input_size=1.0, clip=False, seed=0)``
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab.engine import Value
from bplab.explorers.base import Choice, Explorer, Slider, Toggle
from bplab.explorers.depth import log_range
from bplab.plain_figures import Grid, log_axis_values, plain_figure
from bplab.plots import PALETTE
from bplab.validation import make_rng

NONLINEARITIES = ("tanh", "linear")
MATRICES = ("scaled orthogonal", "random Gaussian")
HIDDEN = 32
BATCH = 16
#: The norm ``clip=True`` clips the weight gradient to (``clip_grad_norm_``'s max_norm).
MAX_NORM = 10.0
#: The gradient at the first step this many times smaller (larger) than at the last: vanishing (exploding).
VANISHING, EXPLODING = 1e-2, 1e2
GREY = "grey"  # a neutral for the predicted lines: they are no category


@dataclass(frozen=True)
class TimeState:
    params: dict[str, Any]
    gradient_norms: np.ndarray  # index k: the mean over sequences of ||dL/dh_{T-k}||, k = 0..T-1
    contributions: np.ndarray  # index k: ||step T-k's share of dL/dW||, after clipping when clip is on
    weight_gradient_norm: float  # ||dL/dW|| before clipping
    clip_factor: float  # what clipping multiplied the gradient by (1 when off or below MAX_NORM)
    largest_singular_value: float
    spectral_radius: float
    mean_slope: float  # f'(z_t) averaged over units, sequences and steps (1 for linear)


def recurrent_matrix(matrix: str, scale: float, seed: int, hidden: int = HIDDEN) -> np.ndarray:
    r"""A ``hidden``×``hidden`` matrix whose largest singular value is ``scale``: ``scale`` times a random orthogonal
    matrix (every singular value, and the modulus of every eigenvalue, equals ``scale``), or a Gaussian matrix
    rescaled (its spectral radius is then about half its largest singular value)."""
    if matrix not in MATRICES:
        raise ValueError(f"matrix: expected one of {', '.join(map(repr, MATRICES))}, got {matrix!r}")
    gaussian = make_rng(seed=seed).standard_normal((hidden, hidden))
    if matrix == "scaled orthogonal":
        q, r = np.linalg.qr(gaussian)
        # the sign fix makes Q uniformly distributed (dividing by the signs, ±1, would be the same)
        return scale * q * np.sign(np.diag(r))  # pragma: no mutate
    return scale * gaussian / np.linalg.norm(gaussian, 2)


def gradients_through_time(nonlinearity: str, weight: np.ndarray, inputs: np.ndarray, readout: np.ndarray,
                           ) -> tuple[list[Value], list[Value], Value]:
    r"""Run $h_t = f(h_{t-1} W + x_t)$ over ``inputs`` (T, N, hidden) from $h_0 = 0$, then backward from
    $L = \sum v \odot h_T$ (v = ``readout``). Returns the states $h_1..h_T$, the pre-activations $z_1..z_T$ and $W$, with gradients."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity: expected one of {', '.join(map(repr, NONLINEARITIES))}, got {nonlinearity!r}")
    w = Value(weight)
    h: Value | np.ndarray = np.zeros_like(inputs[0])
    states, pre_activations = [], []
    # An exploding run can overflow to inf and nan (NumPy warns of it in the matrix products) when this function
    # is called with a larger W than the explorer's. Within the explorer's sliders nothing overflows: at the
    # largest scale (4), 200 steps and inputs of size 3, a linear run's gradients reach about 1e121 (which is why
    # mutants that drop this block survive).
    with np.errstate(over="ignore", invalid="ignore"):
        for x_t in inputs:
            z = h @ w + x_t
            h = z.tanh() if nonlinearity == "tanh" else z
            pre_activations.append(z)
            states.append(h)
        (h * readout).sum().backward()
    return states, pre_activations, w


class TimeExplorer(Explorer):
    """``TimeExplorer(nonlinearity="tanh", matrix="scaled orthogonal", scale=1.0, steps=50, input_size=1.0, clip=False,
    seed=0)``: the size of the gradient of a recurrent layer against the distance in time it has travelled back."""

    title = "Back through time: the gradient of a recurrent layer, step by step"
    controls = {
        "nonlinearity": Choice("nonlinearity φ", NONLINEARITIES),
        "matrix": Choice("recurrent matrix W", MATRICES),
        "scale": Slider("largest singular value of W (logarithmic)", 0.25, 4.0, log=True, step=0.01),
        "steps": Slider("steps T", 5, 200, integer=True),
        "input_size": Slider("size of the inputs xₜ", 0.0, 3.0, step=0.1),
        "clip": Toggle("clip ∂L/∂W to norm 10"),
        "seed": Slider("seed", 0, 20, integer=True),
    }
    defaults = {"nonlinearity": "tanh", "matrix": "scaled orthogonal", "scale": 1.0, "steps": 50, "input_size": 1.0,
                "clip": False, "seed": 0}

    def compute(self, nonlinearity: str, matrix: str, scale: float, steps: int, input_size: float, clip: bool,
                seed: int) -> TimeState:
        weight = recurrent_matrix(matrix, scale, seed)
        rng = make_rng(seed=seed + 1000)  # the data: apart from W's draws, so that moving the scale keeps them
        inputs = input_size * rng.standard_normal((steps, BATCH, HIDDEN))
        readout = rng.standard_normal((BATCH, HIDDEN))
        readout /= np.linalg.norm(readout, axis=1, keepdims=True)
        states, pre_activations, w = gradients_through_time(nonlinearity, weight, inputs, readout)
        # squares of huge gradients can be inf beyond the sliders' range (never −inf, so no inf − inf); within it,
        # the largest norm is about 1e120 and its squares are finite
        with np.errstate(over="ignore"):
            norms = np.array([np.mean(np.linalg.norm(h.grad, axis=1)) for h in reversed(states)])
            previous = [np.zeros_like(states[0].data)] + [h.data for h in states[:-1]]
            shares = [before.T @ z.grad for before, z in zip(previous, pre_activations)]  # dL/dW = sum_t h_{t-1}^T dL/dz_t
            total = float(np.linalg.norm(w.grad))
            # total > 0 only keeps the division away from 0: a threshold of 1 (MAX_NORM / 1 > 1) gives the same factor
            factor = min(1.0, MAX_NORM / total) if clip and math.isfinite(total) and total > 0 else 1.0
            contributions = np.array([np.linalg.norm(share) for share in reversed(shares)]) * factor
            slopes = [1 - h.data ** 2 for h in states] if nonlinearity == "tanh" else [1.0]
        return TimeState(
            params=dict(nonlinearity=nonlinearity, matrix=matrix, scale=scale, steps=steps, input_size=input_size,
                        clip=clip, seed=seed),
            gradient_norms=norms, contributions=contributions, weight_gradient_norm=total, clip_factor=factor,
            largest_singular_value=float(np.linalg.norm(weight, 2)),
            spectral_radius=float(np.max(np.abs(np.linalg.eigvals(weight)))),
            mean_slope=float(np.mean([np.mean(s) for s in slopes])),
        )

    def draw(self, s: TimeState) -> go.Figure:
        steps = s.params["steps"]
        back = np.arange(steps)
        grid = Grid(rows=1, cols=2, horizontal_spacing=0.14, titles=(
            "‖∂L/∂hₜ‖, k steps back", "Each step's share of ∂L/∂W"))
        left, right = grid.axes(1, 1), grid.axes(1, 2)
        with np.errstate(over="ignore", under="ignore"):
            bound = log_axis_values(s.largest_singular_value ** back.astype(float))
            radius = log_axis_values(s.spectral_radius ** back.astype(float))
        traces = [
            dict(type="scatter", x=back, y=bound, mode="lines", name="σₘₐₓᵏ: the most it can be",
                 line=dict(color=GREY, width=1.5, dash="dash"), hoverinfo="skip", **left),
        ]
        if s.params["matrix"] != "scaled orthogonal":  # for a scaled orthogonal W the two lines coincide
            traces.append(dict(type="scatter", x=back, y=radius, mode="lines", name="ρᵏ: its eventual rate (linear f)",
                               line=dict(color=GREY, width=1.5, dash="dot"), hoverinfo="skip", **left))
        traces.append(dict(type="scatter", x=back, y=log_axis_values(s.gradient_norms), mode="lines", name="‖∂L/∂hₜ‖, measured",
                           line=dict(color=PALETTE["vermillion"], width=2.5),
                           hovertemplate="%{x} steps back: %{y:.3g}<extra></extra>", **left))
        traces.append(dict(type="scatter", x=back, y=log_axis_values(s.contributions), mode="lines",
                           name="one step's share of ∂L/∂W" + (" (clipped)" if s.clip_factor < 1 else ""),
                           line=dict(color=PALETTE["blue"], width=2.5),
                           hovertemplate="the step %{x} steps back: %{y:.3g}<extra></extra>", **right))
        if s.params["clip"]:
            traces.append(dict(type="scatter", x=[0, steps - 1], y=[MAX_NORM, MAX_NORM], mode="lines",
                               name=f"the clipped total's norm, {MAX_NORM:g}", line=dict(color=PALETTE["green"], width=1.5, dash="dash"),
                               hoverinfo="skip", **right))
        grid.xaxis(1, 1).update(title=dict(text="steps back from the loss, k = T − t"), range=[0, steps - 1])
        grid.xaxis(1, 2).update(title=dict(text="steps back from the loss"), range=[0, steps - 1])
        left_values = np.concatenate([s.gradient_norms, [1.0]])
        grid.yaxis(1, 1).update(type="log", exponentformat="power", range=log_range(left_values), title=dict(text="size"))
        grid.yaxis(1, 2).update(type="log", exponentformat="power", range=log_range(s.contributions),
                                title=dict(text="‖hₜ₋₁ᵀ ∂L/∂zₜ‖"))
        return plain_figure(traces, grid.layout, height=430, legend=dict(orientation="h", y=-0.22),
                            margin=dict(l=70, r=20, t=80, b=40))

    def describe(self, s: TimeState) -> str:
        p = s.params
        steps = p["steps"]
        norms = s.gradient_norms
        if not np.all(np.isfinite(norms)):
            return "The numbers overflowed: the gradient exploded beyond what a float can hold."
        ratio = norms[-1] / norms[0]
        text = (f"After {steps - 1} steps back the gradient has size {norms[-1]:.3g} (it entered with {norms[0]:.3g}). "
                f"W's largest singular value is {s.largest_singular_value:.3g}, its spectral radius "
                f"{s.spectral_radius:.3g}.")
        if ratio < VANISHING:
            verdict = " It <b>vanishes</b>: the loss barely hears the early steps."
        elif ratio > EXPLODING:
            verdict = " It <b>explodes</b>: the early steps dominate the weight gradient."
        elif ratio > 1:
            verdict = f" It grows, ×{ratio:.3g} over {steps - 1} steps: not enough to call exploding at this length."
        else:
            verdict = f" It shrinks, ×{ratio:.3g} over {steps - 1} steps: not enough to call vanishing at this length."
        text += verdict
        if p["nonlinearity"] == "tanh":
            text += f" The slopes tanh′(zₜ) average {s.mean_slope:.2f}."
            if math.isclose(s.largest_singular_value, 1.0, rel_tol=1e-9):
                text += (" With σₘₐₓ = 1 the slopes alone set the rate: wherever they are below 1, the gradient shrinks"
                         " a little at every step.") if ratio < 1 else ""
            elif s.largest_singular_value > 1 and ratio < 1:
                text += (" The largest singular value is above 1 and yet the gradient shrinks: the slopes below 1 outweigh"
                         " it. Above 1 is necessary for exploding, not sufficient.")
            elif s.largest_singular_value < 1:
                text += " Below 1, vanishing is certain: every step multiplies by at most σₘₐₓ times slopes ≤ 1."
        elif p["matrix"] == "scaled orthogonal":
            text += f" Linear and orthogonal: every step multiplies the size by exactly {s.largest_singular_value:.3g}."
        elif s.largest_singular_value > 1 + 1e-9 and s.spectral_radius < 1:
            text += (" The largest singular value is above 1, but the spectral radius is below it: after a few steps"
                     " the gradient shrinks at the rate ρ.")
        if p["clip"]:
            if s.clip_factor < 1:
                text += (f" Clipping multiplied ∂L/∂W (norm {s.weight_gradient_norm:.3g}) by {s.clip_factor:.3g}: the step is"
                         " capped, but every step's share shrinks by the same factor, so which steps dominate is unchanged.")
            else:
                text += (f" ∂L/∂W has norm {s.weight_gradient_norm:.3g}, at most {MAX_NORM:g}: clipping leaves it alone (it never"
                         " enlarges a gradient, so it cannot cure vanishing).")
        return text
