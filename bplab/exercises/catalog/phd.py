"""Level 5 (PhD): the exercises of notebooks 15 onwards (the notebooks after it add theirs here)."""

from __future__ import annotations

from bplab.exercises.registry import Exercise
from bplab.exercises.answers import Exact

NOTEBOOKS = {"15": "Forward mode and reverse mode"}

TRUE_FALSE = ("true", "false")

EXERCISES = [
    # ------------------------------------------------------------------ 15: forward and reverse mode
    Exercise(
        id="15.dual_product",
        title="The ε part of (3 + 2ε)(4 + 5ε)",
        kind="number", expected=23.0, precision=Exact("exactly"),
        hints=(
            "Multiply out as you would (a + bε)(c + dε), then use ε² = 0.",
            "(3 + 2ε)(4 + 5ε) = 12 + 15ε + 8ε + 10ε². The last term vanishes.",
        ),
        solution="(3 + 2ε)(4 + 5ε) = 12 + 3·5ε + 2·4ε + 2·5ε² = 12 + 23ε, since ε² = 0. The ε part, 3·5 + 2·4, is the "
                 "product rule: (uv)' = u v' + u' v with u = 3, u' = 2, v = 4, v' = 5.\n"
                 "Answer: 23 (exactly)",
    ),
    Exercise(
        id="15.reverse_passes",
        title="The number of reverse-mode passes for the Jacobian of a map from 1,000 inputs to 3 outputs",
        kind="number", expected=3, precision=Exact("a whole number"),
        hints=(
            "What does one reverse pass (one VJP, seeded with a unit vector eᵢ) give you: a row or a column of J?",
            "One VJP with eᵢ gives row i of J. The Jacobian has one row per output.",
        ),
        solution="A reverse pass seeded with the unit vector eᵢ gives eᵢᵀJ, row i of the 3 × 1,000 Jacobian. Three "
                 "outputs, three rows: 3 passes (forward mode would need 1,000, one per column).\n"
                 "Answer: 3 (a whole number)",
    ),
    Exercise(
        id="15.reverse_always_cheaper",
        title='Is it true? "Reverse mode (backprop) is always the cheaper way to get a Jacobian"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at the left panel of the measured costs: which mode was cheaper with 1 or 2 inputs and 8 outputs?",
            "Forward mode costs about n passes, reverse mode about m. Which is smaller when a function has few inputs "
            "and many outputs?",
        ),
        solution="False.\n"
                 "Reverse mode costs one pass per output, forward mode one per input. For a loss (one output) reverse mode "
                 "wins by a factor of the number of parameters, which is why backprop uses it; but for a map with few "
                 "inputs and many outputs (a curve's tangent, the sensitivities of many outputs to one parameter), "
                 "forward mode is cheaper, as the measurements showed for n < m.\n"
                 "Answer: false",
    ),
]
