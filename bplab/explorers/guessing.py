r"""The Kid level's guessing game: guess, see how far off you are, fix part of the miss, repeat.

Each turn: ``miss = hidden - guess`` and ``guess = guess + fix * miss``. So the miss is
multiplied by ``(1 - fix)`` every turn: a small fix is slow, a fix near 1 is quick, a fix
between 1 and 2 overshoots and bounces but settles, and a fix above 2 flies off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bplab.explorers.base import Explorer, Slider
from bplab.plots import PALETTE, base_layout

CLOSE_ENOUGH = 1.0  # "found it" when the guess is less than 1 away


def play(hidden: float, start: float, fix: float, turns: int) -> np.ndarray:
    """The guesses: ``turns + 1`` of them, the first being ``start``."""
    guesses = [float(start)]
    for _ in range(turns):
        miss = hidden - guesses[-1]
        guesses.append(guesses[-1] + fix * miss)
    return np.array(guesses)


def regime(fix: float) -> str:
    """"too slow", "slow", "quick", "bouncing", "bouncing forever" or "flying off", from the factor 1 - fix."""
    factor = 1.0 - fix
    if abs(factor) > 1 + 1e-12:
        return "flying off"
    if abs(abs(factor) - 1) <= 1e-12:
        return "bouncing forever"
    if factor < 0:
        return "bouncing"
    if factor <= 0.5:
        return "quick"
    return "slow" if factor <= 0.8 else "too slow"


@dataclass(frozen=True)
class GameState:
    hidden: float
    fix: float
    guesses: np.ndarray
    regime: str
    found_at: int | None  # the first turn within CLOSE_ENOUGH, if any


class GuessingGame(Explorer):
    """``GuessingGame(fix=0.5, start=10, hidden=70, turns=12)``."""

    title = "The guessing game: how big a fix after each miss?"
    controls = {
        "fix": Slider("fix size", 0.05, 2.5, step=0.05),
        "start": Slider("first guess", 0, 100, integer=True),
        "hidden": Slider("hidden number", 0, 100, integer=True),
        "turns": Slider("turns", 3, 30, integer=True),
    }
    defaults = {"fix": 0.5, "start": 10, "hidden": 70, "turns": 12}

    def compute(self, fix: float, start: int, hidden: int, turns: int) -> GameState:
        guesses = play(hidden, start, fix, turns)
        close = np.flatnonzero(np.abs(guesses - hidden) < CLOSE_ENOUGH)
        return GameState(hidden, fix, guesses, regime(fix), int(close[0]) if close.size else None)

    def draw(self, state: GameState) -> go.Figure:
        turns = np.arange(len(state.guesses))
        misses = np.abs(state.hidden - state.guesses)
        figure = make_subplots(rows=1, cols=2, subplot_titles=("The guesses", "How far off each guess is"),
                               horizontal_spacing=0.12)
        figure.add_trace(go.Scatter(x=turns, y=state.guesses, mode="lines+markers", name="guess",
                                    line=dict(color=PALETTE["blue"], width=2.5), marker=dict(size=9)), row=1, col=1)
        figure.add_trace(go.Scatter(x=[turns[0], turns[-1]], y=[state.hidden] * 2, mode="lines", name="hidden number",
                                    line=dict(color=PALETTE["orange"], width=3, dash="dash")), row=1, col=1)
        figure.add_trace(go.Bar(x=turns, y=misses, name="how far off", marker_color=PALETTE["vermillion"]), row=1, col=2)
        figure.update_layout(**base_layout(height=380, showlegend=True, legend=dict(orientation="h", y=-0.22), bargap=0.25))
        figure.update_xaxes(title_text="turn")
        figure.update_yaxes(title_text="guess", range=[-60, 180], row=1, col=1)  # flying-off guesses leave the picture
        figure.update_yaxes(title_text="how far off", range=[0, max(110.0, min(float(misses.max()) * 1.1, 250.0))], row=1, col=2)
        return figure

    def describe(self, state: GameState) -> str:
        found = (f"It was found (less than {CLOSE_ENOUGH:g} away) on turn {state.found_at}."
                 if state.found_at is not None else "It was not found in these turns.")
        words = {
            "too slow": "Each fix is tiny, so the guesses crawl toward the hidden number.",
            "slow": "Each fix takes away less than half of the miss: the guesses get there, step by step.",
            "quick": "A good size: each fix takes away half of the miss or more.",
            "bouncing": "Each fix is too big: the guess jumps past the hidden number and bounces back, but the jumps shrink.",
            "bouncing forever": "The fix is exactly twice the miss: the guess jumps from one side to the other forever.",
            "flying off": "The fix is much too big: every jump lands farther away than before, and the guesses fly off!",
        }
        last = state.guesses[-1]
        shown = f"{last:.1f}" if math.isfinite(last) and abs(last) < 1e6 else "far, far away"
        return f"<b>{state.regime.capitalize()}.</b> {words[state.regime]} {found} Last guess: {shown}."
