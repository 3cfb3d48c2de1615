r"""Secant to tangent: the slope between two points becomes the derivative as they merge.

For a function $f$, a point $x_0$ and a step $\Delta x$, the secant's slope is the
difference quotient $\frac{f(x_0 + \Delta x) - f(x_0)}{\Delta x}$. As $\Delta x \to 0$ it
approaches $f'(x_0)$, which SymPy derives exactly and bplab's backward pass computes too.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import plotly.graph_objects as go

from bplab.engine import Value
from bplab.explorers.base import Explorer, FormulaBox, Slider
from bplab.plain_figures import plain_figure
from bplab.plots import PALETTE


@dataclass(frozen=True)
class Derivative:
    """A formula in one variable, with its SymPy derivative, ready to evaluate."""

    expr: Any
    derivative: Any
    variable: Any
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]


@functools.lru_cache(maxsize=64)
def differentiate(formula: str) -> Derivative:
    """Read ``formula`` safely and differentiate it (cached: a slider move re-uses it)."""
    import sympy

    from bplab.symbolic import lambdify, parse

    expr = parse(formula)
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    if len(symbols) > 1:
        raise ValueError(f"formula: use one variable, like x; this formula has {', '.join(s.name for s in symbols)}")
    variable = symbols[0] if symbols else sympy.Symbol("x", real=True)
    derivative = sympy.diff(expr, variable)
    f, df = lambdify([variable], expr), lambdify([variable], derivative)
    return Derivative(expr, derivative, variable,
                      lambda x: np.broadcast_to(np.asarray(f(x), dtype=float), np.shape(x)),
                      lambda x: np.broadcast_to(np.asarray(df(x), dtype=float), np.shape(x)))


def backprop_slope(formula: str, x0: float) -> float:
    """The slope at ``x0`` by bplab's backward pass over the formula's graph."""
    from bplab.symbolic import from_sympy

    d = differentiate(formula)
    x = Value(x0)
    from_sympy(d.expr, {d.variable.name: x}).backward()
    return float(x.grad)


def difference_quotients(formula: str, x0: float, steps=(1.0, 0.1, 0.01, 0.001, 1e-4, 1e-5)) -> list[tuple[float, float, float]]:
    """Rows (Δx, difference quotient, its gap to the exact derivative) for shrinking Δx."""
    d = differentiate(formula)
    exact = float(d.df(np.float64(x0)))
    rows = []
    for dx in steps:
        quotient = float((d.f(np.float64(x0 + dx)) - d.f(np.float64(x0))) / dx)
        rows.append((dx, quotient, quotient - exact))
    return rows


@dataclass(frozen=True)
class SecantState:
    formula: str
    derivative_text: str
    x0: float
    dx: float
    y0: float
    y1: float
    secant_slope: float
    exact_slope: float
    backprop_slope: float
    curve_x: np.ndarray
    curve_y: np.ndarray


class SecantExplorer(Explorer):
    """``SecantExplorer(formula="x**2", x0=1.0, dx=1.0)``: shrink Δx and watch the secant become the tangent."""

    title = "From secant to tangent: shrink Δx"
    controls = {
        "formula": FormulaBox("f(x) ="),
        "x0": Slider("point x₀", -2.0, 2.0, step=0.05),
        "dx": Slider("Δx (logarithmic)", 1e-4, 2.0, log=True, step=0.05),
    }
    defaults = {"formula": "x**2", "x0": 1.0, "dx": 1.0}

    def compute(self, formula: str, x0: float, dx: float) -> SecantState:
        import sympy

        d = differentiate(formula)
        with np.errstate(all="ignore"):
            y0, y1 = float(d.f(np.float64(x0))), float(d.f(np.float64(x0 + dx)))
            exact = float(d.df(np.float64(x0)))
            curve_x = np.linspace(x0 - 2.5, x0 + 2.5, 301)
            curve_y = d.f(curve_x)  # floats (Derivative.f makes them)
        if not (math.isfinite(y0) and math.isfinite(y1) and math.isfinite(exact)):
            raise ValueError(f"f(x) = {formula} is not defined (or infinite) at x₀ = {x0:g} or x₀ + Δx = {x0 + dx:g}; "
                             "move x₀ to where the function is defined")
        curve_y = np.where(np.isfinite(curve_y), curve_y, np.nan)
        return SecantState(formula, sympy.sstr(d.derivative), x0, dx, y0, y1, (y1 - y0) / dx, exact,
                           backprop_slope(formula, x0), curve_x, curve_y)

    def draw(self, s: SecantState) -> go.Figure:
        finite = s.curve_y[np.isfinite(s.curve_y)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        pad = 0.15 * (high - low or 1.0)
        line_x = np.array([s.curve_x[0], s.curve_x[-1]])
        traces = [
            dict(type="scatter", x=s.curve_x, y=s.curve_y, mode="lines", name="f(x)", line=dict(color=PALETTE["blue"], width=3)),
            dict(type="scatter", x=line_x, y=s.y0 + s.secant_slope * (line_x - s.x0), mode="lines",
                 name=f"secant, slope {s.secant_slope:.5g}", line=dict(color=PALETTE["orange"], width=2.5)),
            dict(type="scatter", x=line_x, y=s.y0 + s.exact_slope * (line_x - s.x0), mode="lines",
                 name=f"tangent, slope {s.exact_slope:.5g}", line=dict(color=PALETTE["vermillion"], width=2, dash="dash")),
            dict(type="scatter", x=[s.x0, s.x0 + s.dx], y=[s.y0, s.y1], mode="markers", name="the two points",
                 marker=dict(color=[PALETTE["black"], PALETTE["orange"]], size=12, line=dict(color="black", width=1))),
        ]
        return plain_figure(traces, dict(
            title=dict(text=f"f(x) = {s.formula}"), height=400, xaxis=dict(title=dict(text="x")),
            yaxis=dict(title=dict(text="f(x)"), range=[low - pad, high + pad]), legend=dict(orientation="h", y=-0.2),
        ))

    def describe(self, s: SecantState) -> str:
        gap = s.secant_slope - s.exact_slope
        return (f"Secant slope Δy/Δx = <b>{s.secant_slope:.6g}</b> with Δx = {s.dx:.3g}. "
                f"Tangent slope: SymPy says f′(x) = {s.derivative_text}, which is <b>{s.exact_slope:.6g}</b> at x₀ = {s.x0:g} "
                f"(backprop: {s.backprop_slope:.6g}). The secant is off by {gap:+.2g}.{_kink_note(s)}")


def _kink_note(s: SecantState) -> str:
    """At a corner (|x| or relu at 0) there is no single slope: say what the numbers mean there."""
    if "sign(" in s.derivative_text or "Heaviside(" in s.derivative_text:
        note = (" (sign(x) is −1 for negative x, +1 for positive x and 0 at 0: the slope of |x|."
                if "sign(" in s.derivative_text else " (Heaviside(x) is 0 for negative x and 1 for positive x.")
        corner = (" At x₀ = 0 the graph has a corner: the slope jumps from one side to the other, no secant settles on "
                  "one value, and 0 is only the convention SymPy and backprop use there." if s.x0 == 0 else "")
        return note + ")" + corner
    return ""
