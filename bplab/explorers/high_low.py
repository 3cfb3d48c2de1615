r"""The Kid level's second game: now *you* guess, and the computer says only "too high" or "too low".

In :mod:`bplab.explorers.guessing` the computer guesses and sees *how far off* it is (the miss).
Here the child guesses a hidden whole number from 0 to 100 and hears only *which way* it is off.
Each answer cuts the numbers that are still possible; guessing in the middle of what is left
(halving) finds any of the 101 numbers in at most :data:`MOST_GUESSES_NEEDED` guesses, and the
score counts the guesses (fewer is better).

The game is a pure function of its controls: the game number (which hidden number), the
guesses made so far (a text box, "50, 25, 37") and the next guess (a slider). The **Guess!**
button adds the next guess to the list; **New game** moves to the next game number and clears it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, ClassVar

import numpy as np
import plotly.graph_objects as go

from bplab.explorers.base import Explorer, Slider, TextBox
from bplab.plain_figures import plain_figure
from bplab.plots import PALETTE

LOW, HIGH = 0, 100  # the hidden number is a whole number from LOW to HIGH
GAMES = 99  # game numbers 1..GAMES


def hidden_number(game: int) -> int:
    """The hidden number of game ``game`` (the same every time: the game number is its seed)."""
    return int(np.random.default_rng(game).integers(LOW, HIGH + 1))  # LOW is 0: integers(HIGH + 1) is the same draw


def read_guesses(text: str) -> list[int]:
    """``"50, 25 37"`` -> ``[50, 25, 37]``; anything but whole numbers from 0 to 100 is explained."""
    guesses = []
    for piece in re.split(r"[,;\s]+", text.strip()):
        if not piece:
            continue
        if not re.fullmatch(r"[+]?\d+", piece):
            raise ValueError(f"guesses: {piece!r} is not a whole number; type whole numbers from {LOW} to {HIGH}, "
                             "with commas between them, like 50, 25, 37")
        value = int(piece)
        if not LOW <= value <= HIGH:
            raise ValueError(f"guesses: {value} is too big: the hidden number is a whole number from {LOW} to {HIGH}")
        guesses.append(value)
    return guesses


class GuessesBox(TextBox):
    """The guesses so far, as text: whole numbers from 0 to 100 separated by commas."""

    expected: ClassVar[str] = f"whole numbers from {LOW} to {HIGH}, like '50, 25'"

    def read(self, text: str) -> Any:
        return read_guesses(text)


def halving_guesses(hidden: int, low: int = LOW, high: int = HIGH) -> list[int]:
    """The guesses of the halving plan: always the middle of the numbers still possible."""
    guesses = []
    while True:
        guess = (low + high) // 2
        guesses.append(guess)
        if guess == hidden:
            return guesses
        if guess > hidden:  # (>= is the same: an equal guess has returned above)
            high = guess - 1
        else:
            low = guess + 1


#: The most guesses the halving plan ever needs for a number from 0 to 100 (it is 7: 2^7 = 128 > 101).
MOST_GUESSES_NEEDED = max(len(halving_guesses(h)) for h in range(LOW, HIGH + 1))


def stars(guesses: int) -> str:
    """The score as stars: three for as few guesses as halving needs at most, two for a few more, else one."""
    if guesses <= MOST_GUESSES_NEEDED:
        return "★★★"
    return "★★" if guesses <= MOST_GUESSES_NEEDED + 3 else "★"


@dataclass(frozen=True)
class Turn:
    """One guess and the computer's answer; ``low``..``high`` is what was still possible *before* it."""

    guess: int
    answer: str  # "too high", "too low" or "right"
    low: int
    high: int

    @property
    def wasted(self) -> bool:
        """A guess that could not be right: outside what the answers before it left possible."""
        return not self.low <= self.guess <= self.high


@dataclass(frozen=True)
class HighLowState:
    game: int
    hidden: int
    turns: tuple[Turn, ...]
    ignored: int  # guesses typed after the hidden number was found
    next_guess: int
    low: int  # what is still possible now
    high: int

    @property
    def found(self) -> bool:
        return bool(self.turns) and self.turns[-1].answer == "right"


def play(hidden: int, guesses: list[int]) -> tuple[tuple[Turn, ...], int, int, int]:
    """Answer each guess: ``(turns, ignored, low, high)``; guesses after the right one are ignored."""
    low, high, turns = LOW, HIGH, []
    for guess in guesses:
        if turns and turns[-1].answer == "right":
            break
        if guess > hidden:
            turns.append(Turn(guess, "too high", low, high))
            high = min(high, guess - 1)
        elif guess < hidden:
            turns.append(Turn(guess, "too low", low, high))
            low = max(low, guess + 1)
        else:
            turns.append(Turn(guess, "right", low, high))
            low = high = guess
    return tuple(turns), len(guesses) - len(turns), low, high


class HighLowGame(Explorer):
    """``HighLowGame(guess=50, guesses="", game=1)``: guess the hidden number; the computer says too high or too low."""

    title = "Your turn to guess: too high or too low?"
    controls = {
        "guess": Slider("your next guess", LOW, HIGH, integer=True),
        "game": Slider("game number", 1, GAMES, integer=True),
        "guesses": GuessesBox("your guesses so far"),
    }
    defaults = {"guess": 50, "game": 1, "guesses": ""}
    actions = {"make_guess": "Guess!", "new_game": "New game"}

    # ------------------------------------------------------------------ buttons
    def make_guess(self) -> None:
        """Add the next guess to the guesses so far (nothing happens once the number is found)."""
        if self.state.found:
            return
        before = self.params["guesses"].strip()
        self.request(guesses=f"{before}, {self.params['guess']}" if before else str(self.params["guess"]))

    def new_game(self) -> None:
        """The next game number (after the last, the first again), with no guesses yet."""
        self.request(game=self.params["game"] % GAMES + 1)  # another game number clears the guesses: _checked

    # ------------------------------------------------------------------ the pure part
    def _checked(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Another game number starts that game afresh: the guesses so far belong to the old hidden number
        (replayed against the new one, a "too high" could turn into "too low")."""
        if "game" in settings and "guesses" not in settings and settings["game"] != self.params.get("game"):
            settings = {**settings, "guesses": ""}
        return super()._checked(settings)

    def compute(self, guess: int, game: int, guesses: str) -> HighLowState:
        hidden = hidden_number(game)
        turns, ignored, low, high = play(hidden, read_guesses(guesses))
        return HighLowState(game, hidden, turns, ignored, guess, low, high)

    def draw(self, state: HighLowState) -> go.Figure:
        count = len(state.turns)
        edges = list(np.arange(1, count + 2) - 0.5) + [count + 1.5]  # the turns made and the next one
        lows = [t.low for t in state.turns] + [state.low] * 2
        highs = [t.high for t in state.turns] + [state.high] * 2
        traces = [  # the numbers still possible before each guess: a band that shrinks with every answer
            dict(type="scatter", x=edges, y=lows, mode="lines", line=dict(color=PALETTE["sky"], width=0, shape="hv"),
                 hoverinfo="skip", showlegend=False),
            dict(type="scatter", x=edges, y=highs, mode="lines", line=dict(color=PALETTE["sky"], width=0, shape="hv"),
                 fill="tonexty", fillcolor="rgba(86,180,233,0.25)", hoverinfo="skip",
                 name=f"numbers still possible (game {state.game})"),
        ]
        markers = {"too high": ("triangle-down", PALETTE["vermillion"], 13),
                   "too low": ("triangle-up", PALETTE["blue"], 13),
                   "right": ("star", PALETTE["green"], 20)}
        for answer, (symbol, colour, size) in markers.items():
            mine = [k for k, t in enumerate(state.turns) if t.answer == answer]
            traces.append(dict(
                type="scatter", x=[k + 1 for k in mine], y=[state.turns[k].guess for k in mine], mode="markers", name=answer,
                marker=dict(symbol=symbol, color=colour, size=size, line=dict(color="black", width=1)),
                hovertemplate=f"guess %{{x}}: %{{y}} is {answer}<extra></extra>"))
        if state.found:  # the hidden number is shown only once it is found
            traces.append(dict(type="scatter", x=[0.5, count + 1.5], y=[state.hidden] * 2, mode="lines",
                               name="the hidden number", line=dict(color=PALETTE["green"], width=2, dash="dash")))
        else:
            traces.append(dict(type="scatter", x=[count + 1], y=[state.next_guess], mode="markers", name="your next guess",
                               marker=dict(symbol="circle-open", color=PALETTE["orange"], size=16, line=dict(width=3))))
        return plain_figure(
            traces, height=360, showlegend=True, legend=dict(orientation="h", y=-0.25),
            xaxis=dict(title=dict(text="guess number"), range=[0.5, max(count + 1, MOST_GUESSES_NEEDED) + 0.5], dtick=1),
            yaxis=dict(title=dict(text="the guess"), range=[LOW - 3, HIGH + 3]),
        )

    def describe(self, state: HighLowState) -> str:
        if not state.turns:
            return (f"<b>Game {state.game}.</b> I am thinking of a whole number from {LOW} to {HIGH}. Move <b>your next "
                    "guess</b>, then press <b>Guess!</b>")
        last = state.turns[-1]
        count = len(state.turns)
        if state.found:
            text = (f"<b>{last.guess} is right! You found it in {count} guess{'es' if count > 1 else ''}.</b> "
                    f"Score: {stars(count)} (three stars for {MOST_GUESSES_NEEDED} guesses or fewer). ")
            if count > MOST_GUESSES_NEEDED:
                text += (f"A plan that always works in {MOST_GUESSES_NEEDED} or fewer: guess the middle of the numbers "
                         "that are still possible. ")
            text += "Press <b>New game</b> to play again."
            if state.ignored:
                text += f" ({state.ignored} guess{'es' if state.ignored > 1 else ''} after the right one did not count.)"
            return text
        text = f"Guess {count}: {last.guess} is <b>{last.answer}</b>. "
        if last.wasted:
            side = "higher" if last.guess < last.low else "lower"
            text += (f"You already knew it was {side} than that: the answers before said it is between {last.low} "
                     f"and {last.high}. ")
        if state.low == state.high:
            text += f"Only one number is left: {state.low}!"
        else:
            text += (f"The hidden number is between {state.low} and {state.high}: {state.high - state.low + 1} numbers "
                     "are still possible.")
        return text
