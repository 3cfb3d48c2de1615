"""Level 5 (PhD): the exercises of notebooks 15 onwards (the notebooks after it add theirs here)."""

from __future__ import annotations

from bplab.exercises.registry import Exercise
from bplab.exercises.answers import Exact

NOTEBOOKS = {"15": "Forward mode and reverse mode"}

TRUE_FALSE = ("true", "false")

EXERCISES = [
    # ------------------------------------------------------------------ 15: forward and reverse mode
    Exercise(
        id="15.dual_quotient",
        title="The ε part of (6 + 2ε)/(2 + ε)",
        kind="number", expected=-0.5, precision=Exact("exactly"),
        hints=(
            "Call the quotient q + q̇ε. Then (q + q̇ε)(2 + ε) must equal 6 + 2ε. Multiply out, using ε² = 0.",
            "(q + q̇ε)(2 + ε) = 2q + (q + 2q̇)ε. Match the parts: 2q = 6 and q + 2q̇ = 2.",
            "q = 3, so 3 + 2q̇ = 2. (Or use the quotient rule: (u/v)' = (u'v − uv')/v².)",
        ),
        solution="Let the quotient be q + q̇ε. Then (q + q̇ε)(2 + ε) = 2q + (q + 2q̇)ε = 6 + 2ε, so q = 3 and "
                 "3 + 2q̇ = 2, q̇ = −1/2. It is the quotient rule, (u'v − uv')/v² = (2·2 − 6·1)/2² = −1/2: dual numbers "
                 "divide as (a + ȧε)/(b + ḃε) = a/b + (ȧb − aḃ)/b² ε.\n"
                 "Answer: -0.5 (exactly)",
    ),
    Exercise(
        id="15.jacrev_passes",
        title="The passes jacrev makes for the Jacobian of a map from 1,000 inputs to 3 outputs, forward and backward",
        kind="number", expected=4, precision=Exact("a whole number"),
        hints=(
            "What does one backward pass (one VJP, seeded with a unit vector eᵢ) give you: a row or a column of J? And "
            "what must happen before any backward pass?",
            "One VJP with eᵢ gives row i of J: three rows, three backward passes. They all walk the same tape, which one "
            "recorded forward pass makes first.",
        ),
        solution="jacrev runs f once, recording the tape, then one backward pass per output: e₁ᵀJ, e₂ᵀJ, e₃ᵀJ, the three "
                 "rows of the 3 × 1,000 Jacobian. 1 + 3 = 4 passes (jacfwd would need 1,000, one per column, each "
                 "recomputing f beside its tangent).\n"
                 "Answer: 4 (a whole number)",
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
