"""Level 1 (Kid): the exercises of notebook 01, in plain words for a ten-year-old."""

from __future__ import annotations

from bplab.exercises.answers import Exact
from bplab.exercises.registry import Exercise

NOTEBOOKS = {"01": "Learning from mistakes"}

TRUE_FALSE = ("true", "false")

EXERCISES = [
    Exercise(
        id="01.fix_size_one",
        title="Fix size 1: your guess after one turn",
        kind="number", expected=70, precision=Exact("a whole number"),
        hints=(
            "Each turn, the guess moves by the fix size times the miss. Start with the miss: "
            "how far is your guess 10 from the secret 70?",
            "The miss is 70 − 10 = 60. A fix size of 1 means you fix 1 × 60 of it: the whole miss.",
            "The new guess is the old guess plus the fix: 10 + 60.",
        ),
        solution="The miss is 70 − 10 = 60.\n"
                 "A fix size of 1 fixes all of it: 1 × 60 = 60.\n"
                 "The new guess is 10 + 60 = 70. Found in one turn!\n"
                 "Answer: 70",
    ),
    Exercise(
        id="01.quarter_fix",
        title="Fix size 0.25: your guess after one turn",
        kind="number", expected=25, precision=Exact("a whole number"),
        hints=(
            "Start with the miss, then fix a quarter of it.",
            "The miss is 70 − 10 = 60. A quarter of 60 is 60 ÷ 4 = 15.",
            "Add the fix to your guess: 10 + 15.",
        ),
        solution="The miss is 70 − 10 = 60.\n"
                 "A fix size of 0.25 fixes a quarter of it: 0.25 × 60 = 15.\n"
                 "The new guess is 10 + 15 = 25. Still far from 70: small fixes are slow.\n"
                 "Answer: 25",
    ),
    Exercise(
        id="01.knobs_on_or_off",
        title='Is it true? "A computer\'s knobs are only on or off"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at the guesses the computer made: 40, 55, 62.5, 66.25. Are those only 0 or 1?",
            "Could a knob that is only 0 or 1 make a small fix, like adding 7.5?",
        ),
        solution="False.\n"
                 "Learning turns each knob a little after every mistake: 55 becomes 62.5, then 66.25. "
                 "A knob that can only be 0 or 1 cannot take small steps: its miss stays 70 or 69. "
                 "The knobs (weights) can be any number, like 0.59 or 62.5.\n"
                 "Answer: false",
    ),
]
