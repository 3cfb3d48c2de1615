r"""The optimizer race: six optimizers from one start point, on four two-weight landscapes.

``OptimizerRace(landscape="ravine", kappa=100, rate=1.26, adaptive_rate=0.1, momentum=0.9, ...)``

Each racer is ``bplab.optim`` itself (SGD, SGD with momentum, SGD with Nesterov momentum,
AdaGrad, RMSprop, Adam: PyTorch's rules), stepping a two-number parameter
$\theta = (x, y)$. Its gradient is the landscape's closed form, which ``tests/`` checks equal to
SymPy's, to bplab's backward pass and to central differences (the race calls it up to thousands
of times per update; on a graph this small the closed form is about a hundred times faster than a
backward pass). RMSprop keeps PyTorch's default smoothing $\alpha = 0.99$; the β₂ slider is Adam's.

The learning rate η drives SGD, momentum and Nesterov; the "adaptive rate" drives AdaGrad, RMSprop
and Adam (their steps are measured in weight units, so their rates live on another scale). The
landscapes, each scaled by the factor $c$ of the "loss × c" slider:

* **ravine**: the quadratic $f = \frac{c}{2}\,(x^2/\kappa + y^2)$, whose Hessian has the eigenvalues
  $\lambda_\min = c/\kappa$ (along $x$) and $\lambda_\max = c$ (across, along $y$): condition number $\kappa$;
* **tilted ravine**: the same quadratic turned by 45°, so that its axes are no longer the
  coordinate axes (the adaptive methods, which rescale each coordinate, lose their advantage);
* **Rosenbrock**: $f = c\,[(1 - x)^2 + 100\,(y - x^2)^2]$, a curved valley with its minimum at (1, 1);
* **saddle**: $f = c\,(x^2/2 + y^4/4 - y^2/2)$: a saddle point at the origin between the minima (0, ±1).

On the quadratics the theory is exact and drawn over the race (as in Goh's "Why momentum
really works", Distill 2017): plain descent multiplies the error along each eigenvector by
$1 - \eta\lambda$, so it contracts by $\max_i |1 - \eta\lambda_i|$ per step, diverges for
$\eta > 2/\lambda_\max$ (the shaded region) and does best at $\eta^* = 2/(\lambda_\min + \lambda_\max)$,
with rate $(\kappa - 1)/(\kappa + 1)$. Heavy-ball momentum (PyTorch's momentum) contracts by the
largest root of $z^2 - (1 + \mu - \eta\lambda)\,z + \mu$, at best $(\sqrt\kappa - 1)/(\sqrt\kappa + 1)$.

Moving the landscape menu brings that landscape's suggested start point, learning rates and
steps (an explicit ``update(landscape=..., rate=...)`` keeps the values it names).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import plotly.graph_objects as go

from bplab import optim
from bplab.divergence import blew_up
from bplab.engine import Value
from bplab.explorers.base import Choice, Explorer, Slider, Toggle
from bplab.plain_figures import plain_figure
from bplab.plots import BASE_LAYOUT, PALETTE, base_layout

LANDSCAPES = ("ravine", "tilted ravine", "Rosenbrock", "saddle")
QUADRATICS = ("ravine", "tilted ravine")
TILT = math.pi / 4  # the tilted ravine's turn: its axes along the diagonals

#: The racers: control name -> (label, colour, line dash, end-marker symbol). Colours and dashes both differ.
RACERS: dict[str, tuple[str, str, str, str]] = {
    "sgd": ("SGD", PALETTE["blue"], "solid", "circle"),
    "momentum": ("momentum", PALETTE["orange"], "solid", "square"),
    "nesterov": ("Nesterov", PALETTE["sky"], "dot", "diamond"),
    "adagrad": ("AdaGrad", PALETTE["green"], "dash", "triangle-up"),
    "rmsprop": ("RMSProp", PALETTE["purple"], "dashdot", "triangle-down"),
    "adam": ("Adam", PALETTE["vermillion"], "solid", "star"),
}
SHOW = {key: f"show_{key}" for key in RACERS}

#: Each landscape's suggested start point, learning rates (for c = 1; the gradient methods' rate is divided
#: by c, the adaptive methods' is not: their steps do not depend on the gradient's scale) and steps. The rates
#: lie on the logarithmic sliders' steps (10**0.1 = 1.26), so that a widget shows them without rounding.
SUGGESTED: dict[str, dict[str, float]] = {
    "ravine": {"x0": -2.0, "y0": 1.0, "rate": 10**0.1, "adaptive_rate": 0.1, "steps": 100},
    "tilted ravine": {"x0": -2.0, "y0": 0.0, "rate": 10**0.1, "adaptive_rate": 0.1, "steps": 100},
    "Rosenbrock": {"x0": -1.2, "y0": 1.0, "rate": 1e-3, "adaptive_rate": 0.1, "steps": 300},
    "saddle": {"x0": -2.0, "y0": 0.01, "rate": 0.1, "adaptive_rate": 0.1, "steps": 100},
}
VIEWS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "ravine": ((-2.5, 2.5), (-1.6, 1.6)),
    "tilted ravine": ((-2.5, 2.5), (-2.0, 2.0)),
    "Rosenbrock": ((-2.0, 2.0), (-1.0, 3.0)),
    "saddle": ((-2.5, 2.5), (-2.0, 2.0)),
}
RATE_RANGE = (1e-6, 10.0)  # the gradient methods' learning-rate slider (Rosenbrock × 1000 wants 1e-6)
RMSPROP_ALPHA = 0.99  # PyTorch's default smoothing of RMSprop (no slider: β₂ is Adam's)
ESCAPED = 1e3  # a racer whose weights grow this many times their start's size (at least 1) has diverged
SHOWN_FLOOR = 1e-10  # a distance or step below this ends its line in the log-scale panels (the racer has arrived)
GRID = 61  # contour grid points per side
PIECE = 100  # steps of every racer per piece of a background job (at most about 15 ms of work)
FIGURE_WIDTH, FIGURE_HEIGHT = 900, 620  # pixels: three panels need the width (the controls above take 2 x 440)
MARGIN = dict(l=55, r=15, t=40, b=50)
MAP_WIDTH = 0.47  # the map's column (paper units)
MAP_BOTTOM = 0.36  # the map takes the left column above this height (paper units); the legends sit below it
RATE_SHOWN = 1.25  # the theory panel's top: rates above it (fast divergence) are drawn at the edge
#: plotly_white's look for the axes, written out: building its whole template costs a third of a draw (measured
#: 11 ms of 34), and with ``template="none"`` these few settings give the same picture. Tick labels may overflow the
#: figure's edge, as in every course figure (see plain_figures._template: plotly measures each label otherwise).
AXIS_STYLE = dict(gridcolor="#EBF0F8", linecolor="#EBF0F8", zerolinecolor="#EBF0F8", zerolinewidth=2, ticks="",
                  automargin=False, ticklabeloverflow="allow")  # fixed margins (MARGIN): no label measuring a frame
#: The map's colours: low loss darker, high loss white (a grey scale: no hue to confuse with the racers').
CONTOUR_SCALE = [[0.0, "#8E969E"], [0.5, "#D5DADF"], [1.0, "#FFFFFF"]]


# ---------------------------------------------------------------------------- the landscapes


@dataclass(frozen=True)
class Landscape:
    """One loss surface over $\\theta = (x, y)$: its formula, closed-form gradient, minima and view."""

    name: str
    kappa: float = 50.0
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in LANDSCAPES:
            raise ValueError(f"landscape: expected one of {', '.join(map(repr, LANDSCAPES))}, got {self.name!r}")

    @property
    def is_quadratic(self) -> bool:
        return self.name in QUADRATICS

    @property
    def _turn(self) -> tuple[float, float]:
        angle = TILT if self.name == "tilted ravine" else 0.0
        return math.cos(angle), math.sin(angle)

    def loss(self, x: Any, y: Any) -> Any:
        """$f(x, y)$ for numbers, NumPy arrays (a grid) or bplab Values (a graph to differentiate)."""
        c = self.scale
        if self.is_quadratic:
            cos, sin = self._turn
            u, v = cos * x + sin * y, cos * y - sin * x  # coordinates along the ravine's axes
            return 0.5 * c * (u * u / self.kappa + v * v)
        if self.name == "Rosenbrock":
            return c * ((1 - x) ** 2 + 100 * (y - x * x) ** 2)
        return c * (0.5 * x * x + 0.25 * y**4 - 0.5 * y * y)

    def hessian(self) -> np.ndarray:
        """The quadratics' constant Hessian $c\\,R^\\top \\mathrm{diag}(1/\\kappa, 1)\\,R$."""
        if not self.is_quadratic:
            raise ValueError(f"hessian: only the quadratics have a constant Hessian, not {self.name!r}")
        cos, sin = self._turn
        turn = np.array([[cos, sin], [-sin, cos]])
        return self.scale * turn.T @ np.diag([1.0 / self.kappa, 1.0]) @ turn

    @property
    def eigenvalues(self) -> tuple[float, float]:
        """$(\\lambda_\\min, \\lambda_\\max) = (c/\\kappa, c)$ for the quadratics."""
        if not self.is_quadratic:
            raise ValueError(f"eigenvalues: only the quadratics have one Hessian, not {self.name!r}")
        return self.scale / self.kappa, self.scale

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """$\\nabla f(\\theta)$ in closed form (equal to SymPy's, backprop's and central differences: see tests/)."""
        x, y = float(theta[0]), float(theta[1])
        c = self.scale
        if self.is_quadratic:
            return _hessian(self.name, self.kappa, c) @ np.array([x, y])
        if self.name == "Rosenbrock":
            return np.array([c * (-2.0 * (1.0 - x) - 400.0 * x * (y - x * x)), c * 200.0 * (y - x * x)])
        return np.array([c * x, c * (y**3 - y)])

    @property
    def minima(self) -> np.ndarray:
        """The minimum points, one per row."""
        if self.name == "Rosenbrock":
            return np.array([[1.0, 1.0]])
        if self.name == "saddle":
            return np.array([[0.0, -1.0], [0.0, 1.0]])
        return np.array([[0.0, 0.0]])

    @property
    def minimum_loss(self) -> float:
        return -0.25 * self.scale if self.name == "saddle" else 0.0

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Distance of each point (rows) to the nearest minimum."""
        points = np.atleast_2d(points)  # one point (x, y) or rows of them
        gaps = points[:, None, :] - self.minima[None, :, :]
        return np.sqrt((gaps**2).sum(axis=2)).min(axis=1)


@lru_cache(maxsize=64)
def _hessian(name: str, kappa: float, scale: float) -> np.ndarray:
    return Landscape(name, kappa, scale).hessian()


@lru_cache(maxsize=16)
def contour_grid(name: str, kappa: float, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xs, ys, z``: the view's grid and $\\log_{10}$ of the loss above its minimum (plus a floor), for the map."""
    land = Landscape(name, kappa, scale)
    (x_low, x_high), (y_low, y_high) = VIEWS[name]
    xs, ys = np.linspace(x_low, x_high, GRID), np.linspace(y_low, y_high, GRID)
    X, Y = np.meshgrid(xs, ys)
    height = land.loss(X, Y) - land.minimum_loss
    return xs, ys, np.log10(np.maximum(height, 0.0) + 1e-3 * scale)


# ---------------------------------------------------------------------------- theory on the quadratic


def plain_descent_rate(lr: Any, eigenvalues: tuple[float, ...]) -> Any:
    r"""$\max_i |1 - \eta\lambda_i|$: what each step of plain descent multiplies the error by (at worst), for each ``lr``."""
    lr = np.asarray(lr)  # one learning rate or an array of them
    return np.max([np.abs(1.0 - lr * lam) for lam in eigenvalues], axis=0)


def _largest_root(trace: Any, determinant: Any) -> Any:
    r"""The largest $|z|$ with $z^2 - \text{trace}\,z + \text{determinant} = 0$ (complex roots allowed)."""
    root = np.sqrt(np.asarray(trace * trace - 4.0 * determinant, dtype=complex))  # complex: a negative one has roots too
    return np.maximum(np.abs((trace + root) / 2), np.abs((trace - root) / 2))


def heavy_ball_rate(lr: Any, momentum: float, eigenvalues: tuple[float, ...]) -> Any:
    r"""Momentum's rate per step on a quadratic: the largest root of $z^2 - (1 + \mu - \eta\lambda)z + \mu$, worst over the $\lambda_i$.

    PyTorch's momentum, $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - \eta b$, is Polyak's heavy ball:
    $\theta_{t+1} = \theta_t - \eta g_t + \mu(\theta_t - \theta_{t-1})$.
    """
    lr = np.asarray(lr)  # one learning rate or an array of them
    return np.max([_largest_root(1.0 + momentum - lr * lam, momentum) for lam in eigenvalues], axis=0)


def nesterov_rate(lr: Any, momentum: float, eigenvalues: tuple[float, ...]) -> Any:
    r"""PyTorch's Nesterov rate per step on a quadratic: the largest root of $z^2 - (1 + \mu)(1 - \eta\lambda)z + \mu(1 - \eta\lambda)$."""
    lr = np.asarray(lr)  # one learning rate or an array of them
    return np.max([_largest_root((1.0 + momentum) * (1.0 - lr * lam), momentum * (1.0 - lr * lam)) for lam in eigenvalues], axis=0)


def nesterov_limit(momentum: float, lam_max: float) -> float:
    r"""PyTorch's Nesterov diverges above $\eta = \frac{2(1 + \mu)}{(1 + 2\mu)\,\lambda_\max}$ (where a root reaches $z = -1$)."""
    return 2.0 * (1.0 + momentum) / ((1.0 + 2.0 * momentum) * lam_max)


def best_plain_descent(lam_min: float, lam_max: float) -> tuple[float, float]:
    r"""$(\eta^*, \rho^*) = \left(\frac{2}{\lambda_\min + \lambda_\max}, \frac{\kappa - 1}{\kappa + 1}\right)$."""
    kappa = lam_max / lam_min
    return 2.0 / (lam_min + lam_max), (kappa - 1.0) / (kappa + 1.0)


def best_momentum(lam_min: float, lam_max: float) -> tuple[float, float, float]:
    r"""$(\eta^*, \mu^*, \rho^*)$ of heavy-ball momentum: $\frac{4}{(\sqrt{\lambda_\max} + \sqrt{\lambda_\min})^2}$, $\rho^{*2}$, $\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}$."""
    root_kappa = math.sqrt(lam_max / lam_min)
    rate = (root_kappa - 1.0) / (root_kappa + 1.0)
    return 4.0 / (math.sqrt(lam_max) + math.sqrt(lam_min)) ** 2, rate * rate, rate


@dataclass(frozen=True)
class Theory:
    """What the quadratic's theory predicts at the current settings, and at the best ones."""

    lam_min: float
    lam_max: float
    limit: float  # 2 / lam_max: plain descent diverges above it
    sgd_rate: float  # max |1 - rate * lam| at the current rate
    momentum_rate: float  # heavy-ball radius at the current rate and momentum
    nesterov_rate: float
    nesterov_limit: float
    best_lr: float
    best_rate: float  # (kappa - 1) / (kappa + 1)
    best_momentum_lr: float
    best_momentum: float
    best_momentum_rate: float  # (sqrt kappa - 1) / (sqrt kappa + 1)
    curve_lr: np.ndarray  # learning rates of the theory panel's curves (around 2 / lam_max and this rate)
    curve_sgd: np.ndarray
    curve_momentum: np.ndarray
    curve_nesterov: np.ndarray


def quadratic_theory(land: Landscape, rate: float, momentum: float) -> Theory:
    """The theory panel's numbers for a quadratic landscape at learning rate ``rate`` and ``momentum``."""
    lam_min, lam_max = land.eigenvalues
    eigenvalues = (lam_min, lam_max)
    limit = 2.0 / lam_max
    best_lr, best_rate = best_plain_descent(lam_min, lam_max)
    m_lr, m_mu, m_rate = best_momentum(lam_min, lam_max)
    low, high = min(rate / 2, limit / 100), max(rate * 2, limit * 3)
    curve_lr = np.unique(np.concatenate([np.geomspace(low, high, 200), [best_lr, limit, rate]]))
    return Theory(lam_min, lam_max, limit, float(plain_descent_rate(rate, eigenvalues)),
                  float(heavy_ball_rate(rate, momentum, eigenvalues)), float(nesterov_rate(rate, momentum, eigenvalues)),
                  nesterov_limit(momentum, lam_max), best_lr, best_rate, m_lr, m_mu, m_rate, curve_lr,
                  plain_descent_rate(curve_lr, eigenvalues), heavy_ball_rate(curve_lr, momentum, eigenvalues),
                  nesterov_rate(curve_lr, momentum, eigenvalues))


# ---------------------------------------------------------------------------- the race


@dataclass(frozen=True)
class RacePath:
    """One racer's run: ``points`` (steps + 1 rows, the start first), its distances to the nearest minimum,
    the largest coordinate step $\\max_i |\\Delta\\theta_i|$ of each step, and the step where it diverged (or None)."""

    key: str
    points: np.ndarray
    distances: np.ndarray
    steps: np.ndarray
    diverged_at: int | None


def make_optimizer(key: str, parameter: Value, settings: Mapping[str, Any]) -> optim.Optimizer:
    """The racer ``key`` as a ``bplab.optim`` optimizer over ``parameter``, with the explorer's settings."""
    rate, adaptive, mu = settings["rate"], settings["adaptive_rate"], settings["momentum"]
    if key == "sgd":
        return optim.SGD([parameter], lr=rate)
    if key in ("momentum", "nesterov"):
        if mu == 0:  # PyTorch refuses Nesterov without momentum; with mu = 0 both are plain descent
            return optim.SGD([parameter], lr=rate)
        return optim.SGD([parameter], lr=rate, momentum=mu, nesterov=key == "nesterov")
    if key == "adagrad":
        return optim.Adagrad([parameter], lr=adaptive)
    if key == "rmsprop":
        # (RMSPROP_ALPHA is PyTorch's default: leaving alpha out gives the same optimizer)
        return optim.RMSprop([parameter], lr=adaptive, alpha=RMSPROP_ALPHA)
    if key == "adam":
        return optim.Adam([parameter], lr=adaptive, betas=(settings["beta1"], settings["beta2"]))
    raise ValueError(f"key: expected one of {', '.join(RACERS)}, got {key!r}")


class Racer:
    """One racer on its way: ``bplab.optim``'s optimizer stepping $\theta$, a few steps at a time."""

    def __init__(self, land: Landscape, key: str, start: tuple[float, float], settings: Mapping[str, Any]) -> None:
        self.land, self.key = land, key
        self.theta = Value(start)
        self.optimizer = make_optimizer(key, self.theta, settings)
        self.points = [self.theta.data]  # θ after each kept step (the optimizer replaces θ's array: nothing is copied)
        self.start_size = math.hypot(*start)
        self.diverged_at: int | None = None

    @property
    def done(self) -> int:
        """Steps taken and kept (a step that blows up is not kept)."""
        return len(self.points) - 1

    def advance(self, count: int) -> None:
        """Take ``count`` more steps; stop at the first that diverges."""
        for _ in range(count):
            if self.diverged_at is not None:
                return
            self.theta.grad = self.land.gradient(self.theta.data)
            self.optimizer.step()
            if blew_up(math.hypot(*self.theta.data), self.start_size, ESCAPED, floor=1.0):  # or not a number
                self.diverged_at = self.done + 1
                return
            self.points.append(self.theta.data)

    def path(self) -> RacePath:
        points = np.array(self.points)
        return RacePath(self.key, points, self.land.distance(points), np.abs(np.diff(points, axis=0)).max(axis=1),
                        self.diverged_at)


def race_path(land: Landscape, key: str, start: tuple[float, float], steps: int, settings: Mapping[str, Any]) -> RacePath:
    """Run racer ``key`` for ``steps`` steps from ``start``; stop at the first step that diverges."""
    racer = Racer(land, key, start, settings)
    racer.advance(steps)
    return racer.path()


@dataclass(frozen=True)
class RaceState:
    params: dict[str, Any]
    landscape: Landscape
    paths: dict[str, RacePath]
    theory: Theory | None
    steps_done: int  # below params["steps"] while a background job is still racing


def suggested(landscape: str, scale: float) -> dict[str, float]:
    """The landscape's suggested start, rates and steps; the gradient methods' rate divided by the loss's scale."""
    values = dict(SUGGESTED[landscape])
    low, high = RATE_RANGE
    values["rate"] = float(min(max(values["rate"] / scale, low), high))
    return values


class OptimizerRace(Explorer):
    """``OptimizerRace(landscape="ravine", kappa=100, scale=1, rate=10**0.1, adaptive_rate=0.1, momentum=0.9, beta1=0.9,
    beta2=0.999, x0=-2, y0=1, steps=100, show_sgd=True, ...)``: six optimizers race to the minimum."""

    title = "The optimizer race"
    controls = {
        "landscape": Choice("landscape", LANDSCAPES),
        "kappa": Slider("condition number κ (logarithmic)", 1.0, 1000.0, log=True, step=0.05, readout_format=".3g"),
        "rate": Slider("learning rate η (logarithmic)", *RATE_RANGE, log=True, step=0.01, readout_format=".4g"),
        "adaptive_rate": Slider("adaptive rate (logarithmic)", 1e-3, 1.0, log=True, step=0.01),
        "momentum": Slider("momentum μ", 0.0, 0.99, step=0.01),
        "beta1": Slider("β₁ (Adam)", 0.0, 0.99, step=0.01),
        "beta2": Slider("β₂ (Adam)", 0.5, 0.9999, step=0.0001, readout_format=".4f"),
        "scale": Slider("loss × c (logarithmic)", 1e-3, 1e3, log=True, step=0.25),
        "x0": Slider("start x₀", -2.5, 2.5, step=0.05),
        "y0": Slider("start y₀", -2.0, 3.0, step=0.01),
        "steps": Slider("steps", 10, 500, integer=True, step=10),
        **{SHOW[key]: Toggle(f"race {RACERS[key][0]} ({uses})") for key, uses in (
            ("sgd", "rate η"), ("momentum", "η and μ"), ("nesterov", "η and μ"), ("adagrad", "adaptive rate"),
            ("rmsprop", "adaptive rate"), ("adam", "adaptive rate, β₁, β₂"))},
    }
    defaults = {"landscape": "ravine", "kappa": 100.0, "scale": 1.0, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999,
                **SUGGESTED["ravine"], **{SHOW[key]: True for key in RACERS}}

    def __init__(self, **settings: Any) -> None:
        landscape = settings.get("landscape", self.defaults["landscape"])
        if landscape in SUGGESTED:  # a wrong name is reported by the settings' check
            settings = {**suggested(landscape, settings.get("scale", self.defaults["scale"])), **settings}
        super().__init__(**settings)

    def _checked(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """As the shell's, and a change of landscape alone brings that landscape's suggested settings."""
        new = settings.get("landscape")
        if self.params and new in SUGGESTED and new != self.params.get("landscape"):
            settings = {**suggested(new, settings.get("scale", self.params["scale"])), **settings}
        return super()._checked(settings)

    # ------------------------------------------------------------------ the pure part
    def compute_steps(self, **p: Any) -> Iterator[Callable[[], RaceState]]:
        """The race in pieces of :data:`PIECE` steps for every racer (a piece is about one frame of work)."""
        land = Landscape(p["landscape"], p["kappa"], p["scale"])
        racers = [Racer(land, key, (p["x0"], p["y0"]), p) for key in RACERS if p[SHOW[key]]]
        theory = quadratic_theory(land, p["rate"], p["momentum"]) if land.is_quadratic else None
        done = 0

        def frame(done: int) -> RaceState:
            return RaceState(dict(p), land, {racer.key: racer.path() for racer in racers}, theory, done)

        while True:
            count = min(PIECE, p["steps"] - done)
            for racer in racers:
                racer.advance(count)
            done += count
            yield lambda done=done: frame(done)
            if done == p["steps"]:
                return

    def progress(self, state: RaceState) -> str:
        total = state.params["steps"]
        return "" if state.steps_done >= total else f"step {state.steps_done} of {total}"

    def reached(self, state: RaceState) -> dict[str, Any]:
        return {"steps": max(state.steps_done, int(self.controls["steps"].low))}

    # ------------------------------------------------------------------ drawing
    def draw(self, s: RaceState) -> go.Figure:
        land, p = s.landscape, s.params
        xs, ys, z = contour_grid(land.name, land.kappa, land.scale)
        traces: list[dict[str, Any]] = [
            dict(type="contour", x=xs, y=ys, z=z, colorscale=CONTOUR_SCALE, showscale=False, ncontours=16,
                 contours=dict(coloring="fill", showlines=True), line=dict(width=0.6, color="rgba(80,80,80,0.35)"),
                 hoverinfo="skip", name="loss (log scale)", showlegend=False, xaxis="x", yaxis="y"),
            dict(type="scatter", x=land.minima[:, 0], y=land.minima[:, 1], mode="markers", name="minimum", showlegend=False,
                 marker=dict(symbol="x-thin-open", size=16, color="black", line=dict(width=3)),
                 hovertemplate="minimum (%{x}, %{y})<extra></extra>", xaxis="x", yaxis="y"),
            dict(type="scatter", x=[p["x0"]], y=[p["y0"]], mode="markers", name="start", showlegend=False,
                 marker=dict(symbol="circle-open", size=16, color="black", line=dict(width=3)),
                 hovertemplate="start (%{x}, %{y})<extra></extra>", xaxis="x", yaxis="y"),
        ]
        if land.name == "saddle":
            traces.append(dict(type="scatter", x=[0.0], y=[0.0], mode="markers", name="saddle point", showlegend=False,
                               marker=dict(symbol="diamond-open", size=14, color="black", line=dict(width=2)),
                               hovertemplate="saddle point (0, 0)<extra></extra>", xaxis="x", yaxis="y"))
        for key, path in s.paths.items():
            label, colour, dash, _ = RACERS[key]
            points = on_the_map(path, VIEWS[land.name])
            traces.append(dict(
                type="scatter", x=points[:, 0], y=points[:, 1], mode="lines", name=label, legendgroup=key,  # markers on
                line=dict(color=colour, width=2, dash=dash),  # every step: a third of the browser's redraw (measured)
                hovertemplate=f"{label}, step %{{pointNumber}}: (%{{x:.3g}}, %{{y:.3g}})<extra></extra>", xaxis="x", yaxis="y"))
        if s.paths:
            ends = np.array([path.points[-1] for path in s.paths.values()])
            traces.append(dict(
                type="scatter", x=ends[:, 0], y=ends[:, 1], mode="markers", name="where each stopped", showlegend=False,
                marker=dict(size=13, color=[RACERS[k][1] for k in s.paths], symbol=[RACERS[k][3] for k in s.paths],
                            line=dict(color="black", width=1)),
                hovertext=[RACERS[k][0] for k in s.paths], hovertemplate="%{hovertext} stopped here<extra></extra>",
                xaxis="x", yaxis="y"))
        for key, path in s.paths.items():
            label, colour, dash, _ = RACERS[key]
            traces.append(dict(
                type="scatter", **shown(np.arange(len(path.distances)), path.distances), mode="lines",
                name=label, legendgroup=key, showlegend=False, line=dict(color=colour, width=2.5, dash=dash),
                hovertemplate=f"{label}, step %{{x}}: distance %{{y:.3g}}<extra></extra>", xaxis="x2", yaxis="y2"))
        shapes: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        if s.theory is not None:
            traces += self._theory_traces(s)
            t = s.theory
            shapes += [dict(type="rect", xref="x3", yref="y3 domain", x0=t.limit, x1=t.curve_lr[-1], y0=0, y1=1,
                            fillcolor="rgba(213,94,0,0.15)", line=dict(width=0), layer="below"),
                       dict(type="line", xref="x3 domain", yref="y3", x0=0, x1=1, y0=1, y1=1,
                            line=dict(color="black", width=1, dash="dot"))]
            notes.append(dict(text=f"plain descent<br>diverges:<br>η > 2/λ<sub>max</sub><br>= {t.limit:.3g}", x=math.log10(t.limit),
                              y=0.3, xref="x3", yref="y3", xanchor="left", yanchor="bottom", align="left", xshift=3,
                              font=dict(size=11, color="#A23D00")))
        else:
            # the same two shapes, hidden: a live figure then replaces the ravine's instead of keeping them
            shapes += [dict(type="rect", xref="x3", yref="y3 domain", x0=1, x1=2, y0=0, y1=1, visible=False),
                       dict(type="line", xref="x3 domain", yref="y3", x0=0, x1=1, y0=1, y1=1, visible=False)]
            for key, path in s.paths.items():
                label, colour, dash, _ = RACERS[key]
                traces.append(dict(
                    type="scatter", **shown(np.arange(1, len(path.steps) + 1), path.steps), mode="lines",
                    name=label, legendgroup=key, showlegend=False, line=dict(color=colour, width=2, dash=dash),
                    hovertemplate=f"{label}, step %{{x}}: largest coordinate step %{{y:.3g}}<extra></extra>", xaxis="x3", yaxis="y3"))
            traces.append(dict(
                type="scatter", x=[1, p["steps"]], y=[p["adaptive_rate"]] * 2, mode="lines",
                name="the adaptive methods' learning rate", line=dict(color="black", width=1.5, dash="dash"), xaxis="x3", yaxis="y3",
                hovertemplate="the adaptive methods' learning rate %{y:.3g}<extra></extra>"))
        return plain_figure(traces, self._layout(s, shapes, notes))

    def _theory_traces(self, s: RaceState) -> list[dict[str, Any]]:
        """Predicted distances over the race (top right) and the rate per step against the learning rate (bottom right)."""
        t, p = s.theory, s.params
        steps = np.arange(p["steps"] + 1)
        d0 = float(s.landscape.distance(np.array([p["x0"], p["y0"]]))[0])
        traces: list[dict[str, Any]] = []
        lines = [(t.best_rate, f"best plain descent: (κ−1)/(κ+1) = {t.best_rate:.3f}", "black", "dash"),
                 (t.best_momentum_rate, f"best momentum: (√κ−1)/(√κ+1) = {t.best_momentum_rate:.3f}", "black", "dot")]
        for key, rate in (("sgd", t.sgd_rate), ("momentum", t.momentum_rate)):
            if key in s.paths:
                lines.append((rate, f"{RACERS[key][0]} at this η{' and μ' if key == 'momentum' else ''}: {rate:.3f}",
                              RACERS[key][1], "longdash"))
        for rate, name, colour, dash in lines:
            with np.errstate(over="ignore", under="ignore"):
                predicted = d0 * rate**steps
            traces.append(dict(type="scatter", **shown(steps, predicted, top=ESCAPED * max(d0, 1.0)), mode="lines", name=name,
                               legend="legend2", line=dict(color=colour, width=1.5, dash=dash), xaxis="x2", yaxis="y2",
                               hovertemplate=f"theory, {html.escape(name)}<br>step %{{x}}: %{{y:.3g}}<extra></extra>"))
        for key, curve in (("sgd", t.curve_sgd), ("momentum", t.curve_momentum), ("nesterov", t.curve_nesterov)):
            label, colour, dash, _ = RACERS[key]
            name = "plain descent" if key == "sgd" else label
            traces.append(dict(type="scatter", x=t.curve_lr, y=np.minimum(curve, RATE_SHOWN), mode="lines",
                               name=f"rate against η: {name}", legend="legend2", line=dict(color=colour, width=2.5, dash=dash),
                               xaxis="x3", yaxis="y3",
                               hovertemplate=f"{name}: η = %{{x:.3g}} → %{{y:.3f}} per step<extra></extra>"))
        traces.append(dict(
            type="scatter", x=[p["rate"], p["rate"], t.best_lr], y=[min(t.sgd_rate, RATE_SHOWN), min(t.momentum_rate, RATE_SHOWN), t.best_rate],
            mode="markers", name="this η, and the best η", showlegend=False, xaxis="x3", yaxis="y3",
            marker=dict(size=[11, 11, 15], symbol=["circle", "square", "star"], color=[RACERS["sgd"][1], RACERS["momentum"][1], "white"],
                        line=dict(color="black", width=1.5)),
            hovertext=["this η, plain descent", "this η, momentum", "plain descent's best η = 2/(λmin + λmax)"],
            hovertemplate="%{hovertext}: η = %{x:.3g}, %{y:.3f} per step<extra></extra>"))
        return traces

    def _layout(self, s: RaceState, shapes: list[dict[str, Any]], notes: list[dict[str, Any]]) -> dict[str, Any]:
        p = s.params
        x_range, y_range = VIEWS[s.landscape.name]
        distances = np.concatenate([path.distances for path in s.paths.values()]) if s.paths else np.array([1.0])
        top = max(float(np.max(distances)), 1e-9) * 3
        low = max(float(np.min(distances)), SHOWN_FLOOR) / 3
        notes = [
            dict(text=f"<b>{html.escape(s.landscape.name)}</b>: the paths over the loss's contours", x=0.0, y=1.0,
                 xanchor="left", yanchor="bottom"),
            dict(text="distance to the minimum ‖θ − θ*‖ (log scale)", x=0.57, y=1.0, xanchor="left", yanchor="bottom"),
            *notes,
        ]
        if s.theory is not None:
            t = s.theory
            notes.append(dict(text="theory: what each step multiplies the error by, against η", x=0.57, y=0.41, xanchor="left",
                              yanchor="bottom"))
            bottom_x = dict(domain=[0.57, 1.0], anchor="y3", type="log", exponentformat="power",
                            range=[math.log10(t.curve_lr[0]), math.log10(t.curve_lr[-1])],
                            title=dict(text="learning rate η (log scale)", standoff=4))
            bottom_y = dict(domain=[0.0, 0.41], anchor="x3", range=[0, RATE_SHOWN], title=dict(text="rate per step", standoff=4))
        else:
            notes.append(dict(text="largest coordinate step max |Δθ<sub>i</sub>| (log scale)", x=0.57, y=0.41, xanchor="left",
                              yanchor="bottom"))
            bottom_x = dict(domain=[0.57, 1.0], anchor="y3", range=[0, p["steps"]], title=dict(text="step", standoff=4))
            bottom_y = dict(domain=[0.0, 0.41], anchor="x3", type="log", exponentformat="power", dtick=1)  # decades only
        map_x, map_y = map_domains(x_range, y_range)
        for note in notes:
            note.setdefault("xref", "paper")
            note.setdefault("yref", "paper")
            note.setdefault("showarrow", False)
            note.setdefault("font", dict(size=13))
        return base_layout(
            template="none", paper_bgcolor="white", plot_bgcolor="white", font={**BASE_LAYOUT["font"], "color": "#2A3F5F"},
            hoverlabel=dict(align="left"), height=FIGURE_HEIGHT, width=FIGURE_WIDTH, margin=MARGIN, hovermode="closest",
            shapes=shapes, annotations=notes,
            legend=dict(orientation="v", x=0.0, y=map_y[0] - 0.1, yanchor="top", font=dict(size=12),
                        title=dict(text="racers", side="top")),
            legend2=dict(orientation="v", x=0.165, y=map_y[0] - 0.1, yanchor="top", font=dict(size=11),
                         title=dict(text="theory (rates per step)", side="top")),
            xaxis=dict(AXIS_STYLE, domain=map_x, range=list(x_range), title=dict(text="x (first weight)", standoff=4), zeroline=False),
            yaxis=dict(AXIS_STYLE, domain=map_y, range=list(y_range), title=dict(text="y (second weight)", standoff=2), zeroline=False),
            xaxis2=dict(AXIS_STYLE, domain=[0.57, 1.0], anchor="y2", range=[0, p["steps"]], title=dict(text="step", standoff=4)),
            yaxis2=dict(AXIS_STYLE, domain=[0.56, 1.0], anchor="x2", type="log", exponentformat="power", dtick=1,
                        range=[math.log10(low), math.log10(top)]),
            xaxis3=dict(AXIS_STYLE, **bottom_x), yaxis3=dict(AXIS_STYLE, **bottom_y),
        )

    # ------------------------------------------------------------------ the status line
    def describe(self, s: RaceState) -> str:
        p, t = s.params, s.theory
        if not s.paths:
            return "No racer is in the race: tick at least one of the boxes."
        finished = sorted((path for path in s.paths.values() if path.diverged_at is None), key=lambda q: q.distances[-1])
        parts = [f"{RACERS[q.key][0]} {q.distances[-1]:.2g}" for q in finished]
        text = f"After {s.steps_done} steps, distance to the minimum: " + (", ".join(parts) if parts else "none finished") + "."
        diverged = [q for q in s.paths.values() if q.diverged_at is not None]
        if diverged:
            text += (" <b>Diverged: " + ", ".join(f"{RACERS[q.key][0]} at step {q.diverged_at}" for q in diverged)
                     + "</b> (its learning rate is too large for this landscape).")
        if t is not None:
            if p["rate"] > t.limit:
                text += (f"<br><b>Plain descent diverges: η = {p['rate']:.4g} is above 2/λ<sub>max</sub> = {t.limit:.3g}</b> "
                         f"(the shaded region): each step multiplies the error across the ravine by "
                         f"1 − ηλ<sub>max</sub> = {1 - p['rate'] * t.lam_max:.3g}. Lower η.")
            else:
                text += (f"<br>Theory (κ = {p['kappa']:.3g}): per step, plain descent at η = {p['rate']:.4g} multiplies the error by "
                         f"{t.sgd_rate:.3f} (at best {t.best_rate:.3f}, with η = {t.best_lr:.3g}); momentum μ = {p['momentum']:.2f} "
                         f"by {t.momentum_rate:.3f} (at best {t.best_momentum_rate:.3f}, with η = {t.best_momentum_lr:.3g} and "
                         f"μ = {t.best_momentum:.3f}). Plain descent diverges above 2/λ<sub>max</sub> = {t.limit:.3g}.")
            if "nesterov" in s.paths and s.paths["nesterov"].diverged_at is not None and p["rate"] > t.nesterov_limit:
                text += (f" Nesterov (PyTorch's form) diverges sooner, above 2(1 + μ)/((1 + 2μ)λ<sub>max</sub>) = "
                         f"{t.nesterov_limit:.3g}.")
        elif s.landscape.name == "saddle":
            escaped = [f"{RACERS[q.key][0]} {first_below(q.distances, 0.5)}" for q in s.paths.values() if q.diverged_at is None]
            text += "<br>Steps until within 0.5 of a minimum (off the saddle): " + ", ".join(escaped) + "."
        return text


def shown(x: np.ndarray, y: np.ndarray, top: float = math.inf) -> dict[str, np.ndarray]:
    """``x`` and ``y`` for a log-scale panel: ``y`` clipped at ``top``, and cut at its first value below
    :data:`SHOWN_FLOOR` (the racer has arrived). No NaN: a live figure sends its numbers to the browser as JSON."""
    y = np.minimum(y, top)  # a float array (top is a float)
    below = np.flatnonzero(~(y >= SHOWN_FLOOR))
    end = int(below[0]) if below.size else len(y)
    return {"x": np.asarray(x)[:end], "y": y[:end]}


def map_domains(x_range: tuple[float, float], y_range: tuple[float, float]) -> tuple[list[float], list[float]]:
    """The map's domains (paper units) for one unit of x and y to take the same pixels, top left of its column.

    Computed here rather than by plotly's ``scaleanchor``: plotly writes its constrained domains back into the
    live figure, which then kept a previous landscape's shape (measured in JupyterLab)."""
    width = FIGURE_WIDTH - MARGIN["l"] - MARGIN["r"]
    height = FIGURE_HEIGHT - MARGIN["t"] - MARGIN["b"]
    dx, dy = x_range[1] - x_range[0], y_range[1] - y_range[0]
    pixels_per_unit = min(MAP_WIDTH * width / dx, (1.0 - MAP_BOTTOM) * height / dy)
    return [0.0, pixels_per_unit * dx / width], [1.0 - pixels_per_unit * dy / height, 1.0]


def on_the_map(path: RacePath, view: tuple[tuple[float, float], tuple[float, float]]) -> np.ndarray:
    """The points of ``path`` to draw on the map: a diverged path only until it first leaves the view by
    half the view's size (one line out of the picture says enough; the rest would be a block of lines)."""
    if path.diverged_at is None:
        return path.points
    (x_low, x_high), (y_low, y_high) = view
    x_margin, y_margin = (x_high - x_low) / 2, (y_high - y_low) / 2
    x, y = path.points[:, 0], path.points[:, 1]
    outside = np.flatnonzero((x < x_low - x_margin) | (x > x_high + x_margin) | (y < y_low - y_margin) | (y > y_high + y_margin))
    return path.points[: int(outside[0]) + 1] if outside.size else path.points


def first_below(values: np.ndarray, level: float) -> str:
    """The first index where ``values`` is below ``level``, as text ("never" when it is not)."""
    below = np.flatnonzero(np.asarray(values) < level)
    return str(int(below[0])) if below.size else "never"
