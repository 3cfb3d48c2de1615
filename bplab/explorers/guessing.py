r"""The Kid level's guessing game: guess, see how far off you are, fix part of the miss, repeat.

Each turn: ``miss = hidden - guess`` and ``guess = guess + fix * miss``. So the miss is
multiplied by ``(1 - fix)`` every turn: a small fix is slow, a fix from 0.5 to 1 is quick (1
finds it in one turn), a fix between 1 and 2 overshoots and bounces but settles, 2 bounces
forever, and a fix above 2 flies off. The status line speaks to a child: no minus signs
(a guess below zero is said so, and explained), numbers exact or marked "about".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from bplab.explorers.base import Explorer, Slider
from bplab.plain_figures import Grid, plain_figure
from bplab.plots import PALETTE

CLOSE_ENOUGH = 1.0  # "found it" when the guess is less than 1 away


def play(hidden: float, start: float, fix: float, turns: int) -> np.ndarray:
    """The guesses: ``turns + 1`` of them, the first being ``start``."""
    guesses = [float(start)]
    for _ in range(turns):
        miss = hidden - guesses[-1]
        guesses.append(guesses[-1] + fix * miss)
    return np.array(guesses)


EDGE = 1e-9  # a fix within this of an edge (0.2, 0.5, 1, 2) counts as the edge: the slider's 0.2 may arrive as 0.20000000000000004


def regime(fix: float) -> str:
    """What a fix size does to the miss, which is multiplied by ``1 - fix`` every turn.

    ``"too slow"`` (fix below 0.2: less than a fifth of the miss goes), ``"slow"`` (0.2 up to 0.5),
    ``"quick"`` (0.5 up to 1: half or more goes, never past), ``"in one turn"`` (exactly 1),
    ``"bouncing"`` (between 1 and 2: past, but closer), ``"bouncing forever"`` (exactly 2) and
    ``"flying off"`` (above 2). Each edge belongs to the regime it starts, as the table in notebook 01 says.
    """
    if fix > 2 + EDGE:
        return "flying off"
    if fix >= 2 - EDGE:
        return "bouncing forever"
    if fix > 1 + EDGE:
        return "bouncing"
    if fix >= 1 - EDGE:
        return "in one turn"
    if fix >= 0.5 - EDGE:
        return "quick"
    return "slow" if fix >= 0.2 - EDGE else "too slow"


WORDS = {
    "too slow": "Each fix takes away less than a fifth of the miss, so the guesses crawl toward the hidden number.",
    "slow": "Each fix takes away less than half of the miss: the guesses creep closer, step by step.",
    "quick": "Just right: each fix takes away half of the miss or more, and the guess never jumps past.",
    "in one turn": "Just right: the fix is the whole miss, so the very first fix lands on the hidden number.",
    "bouncing": "Too big: each fix jumps past the hidden number, but lands closer than before, so the guesses "
                "bounce and settle.",
    "bouncing forever": "Too big: each fix is twice the miss, so the guess jumps past and lands just as far away on "
                        "the other side, forever.",
    "flying off": "Much too big: each jump lands farther away than the last, and the guesses fly off!",
}


def kid_number(value: float) -> str:
    """A guess as a child reads it: exact up to 3 decimals (68.125, not 68.12), "about" when rounded,
    "below zero" instead of a minus sign."""
    if not math.isfinite(value) or abs(value) >= 1e6:
        return "far, far away"
    text = f"{abs(value):.3f}".rstrip("0").rstrip(".")
    if text == "0":
        return "0" if value == 0 else "about 0"
    about = "" if round(value, 3) == value else "about "
    return f"{about}{text} below zero" if value < 0 else f"{about}{text}"


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
        grid = Grid(rows=1, cols=2, titles=("The guesses", "How far off each guess is"), horizontal_spacing=0.12)
        traces = [
            dict(type="scatter", x=turns, y=state.guesses, mode="lines+markers", name="guess",
                 line=dict(color=PALETTE["blue"], width=2.5), marker=dict(size=9), **grid.axes(1, 1)),
            dict(type="scatter", x=[turns[0], turns[-1]], y=[state.hidden] * 2, mode="lines", name="hidden number",
                 line=dict(color=PALETTE["orange"], width=3, dash="dash"), **grid.axes(1, 1)),
            dict(type="bar", x=turns, y=misses, name="how far off", marker=dict(color=PALETTE["vermillion"]),
                 **grid.axes(1, 2)),
        ]
        # the axis starts at 0 unless a guess went below zero (then it is explained in the status line); guesses
        # that fly off leave the picture at -60 and 180 instead of squashing the rest
        shown = state.guesses[np.isfinite(state.guesses)]
        low = 0.0 if shown.min() >= 0 else max(-60.0, float(shown.min()) - 10.0)
        high = min(180.0, max(110.0, float(shown.max()) + 10.0))
        grid.xaxis(1, 1)["title"] = dict(text="turn")
        grid.xaxis(1, 2)["title"] = dict(text="turn")
        grid.yaxis(1, 1).update(title=dict(text="guess"), range=[low, high])
        grid.yaxis(1, 2).update(title=dict(text="how far off"), range=[0, max(110.0, min(float(misses.max()) * 1.1, 250.0))])
        return plain_figure(traces, grid.layout, height=380, showlegend=True, legend=dict(orientation="h", y=-0.22),
                            bargap=0.25)

    def describe(self, state: GameState) -> str:
        first_miss = abs(state.hidden - state.guesses[0])
        if first_miss < CLOSE_ENOUGH:
            return ("<b>Nothing to fix.</b> The first guess is already the hidden number, so every miss is 0 and no "
                    "fix size changes anything. Move the first guess or the hidden number away.")
        if state.found_at is not None:
            found = f"It was found (less than {CLOSE_ENOUGH:g} away) on turn {state.found_at}."
        elif state.regime in ("bouncing forever", "flying off"):
            found = "It will never be found this way."
        else:
            turns = len(state.guesses) - 1
            better = {"bouncing": "a fix closer to 1", "quick": "a fix closer to 1"}.get(state.regime, "a bigger fix (up to 1)")
            if turns < self.controls["turns"].high:
                found = f"It was not found in these {turns} turns: give it more turns, or try {better}."
            else:
                found = f"It was not found in {turns} turns, the most there are: try {better}."
        text = f"<b>{state.regime.capitalize()}.</b> {WORDS[state.regime]} {found} Last guess: {kid_number(state.guesses[-1])}."
        if np.any(state.guesses < 0):
            text += (" Some guesses fell below zero: on the picture they are under the 0 line, marked with a minus sign, "
                     "like −20 degrees on a freezing day.")
            if np.any(state.guesses < -60):
                text += " The ones far below zero leave the picture at −60."
        if np.any(np.abs(state.hidden - state.guesses) > 250):
            text += " The misses grow past the top of the right picture (250) and keep growing."
        return text
