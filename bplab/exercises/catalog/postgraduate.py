"""Level 4 (Postgraduate): the exercises of notebook 09 (the notebooks after it add theirs here)."""

from __future__ import annotations

from bplab.exercises.answers import SignificantFigures
from bplab.exercises.registry import Exercise

NOTEBOOKS = {"09": "Optimizers"}

TRUE_FALSE = ("true", "false")

#: 09.divergence_threshold's loss, L(x, y) = 2 x² + y² / 20: its Hessian is diag(4, 1/10).
THRESHOLD_LOSS = "2*x**2 + y**2/20"

EXERCISES = [
    # ------------------------------------------------------------------ 09: optimizers
    Exercise(
        id="09.divergence_threshold",
        title="The learning rate above which plain descent diverges on L = 2x² + y²/20",
        kind="number", expected=0.5, precision=SignificantFigures(3),
        hints=(
            "Plain descent diverges above 2/λ_max, where λ_max is the largest eigenvalue of the Hessian.",
            "The Hessian of 2x² + y²/20 is diagonal: ∂²L/∂x² = 4 and ∂²L/∂y² = 1/10. Its eigenvalues are its diagonal.",
            "λ_max = 4, so the limit is 2/4. (Along x each step multiplies x by 1 − 4η, which leaves [−1, 1] when η > 2/4.)",
        ),
        solution="The Hessian is diag(4, 0.1), so λ_max = 4. Along x one step of plain descent gives x ← x − η·4x = (1 − 4η)x; "
                 "the distance grows when |1 − 4η| > 1, that is, for η > 2/4.\n"
                 "Answer: 0.500 (to 3 significant figures)",
    ),
    Exercise(
        id="09.adam_first_step",
        title="Adam's first step for a weight whose gradient is −2500",
        kind="number", expected=0.01, precision=SignificantFigures(3),
        hints=(
            "On the first step, m̂ = g and v̂ = g² exactly: bias correction undoes the factors (1 − β₁) and (1 − β₂).",
            "The step is −η · m̂/(√v̂ + ε) = −η · g/(|g| + ε). With |g| = 2500, ε = 10⁻⁸ changes nothing you can see.",
            "g/|g| = −1 here, so the change is −η · (−1). Mind the sign: the weight moves against the gradient.",
        ),
        solution="m₁ = (1 − β₁)g and v₁ = (1 − β₂)g²; dividing by 1 − β₁ and 1 − β₂ gives m̂ = g and v̂ = g². "
                 "So the change is −η·g/(|g| + ε) = −0.01 · (−2500)/(2500 + 10⁻⁸) = +0.01: the size of the learning "
                 "rate, whatever the size of g.\n"
                 "Answer: 0.0100 (to 3 significant figures)",
    ),
    Exercise(
        id="09.adam_logarithm",
        title='Is it true? "Adam takes logarithms to normalize the scale of the gradients"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at Adam's update as written in the notebook: which operations does it apply to the gradient?",
            "It multiplies, adds, squares, takes a square root and divides. Multiplying the loss by 1000 left Adam's "
            "steps unchanged: a quotient m̂/√v̂ does that; log(1000 g) = log g + 6.9 would not.",
        ),
        solution="False.\n"
                 "Adam divides a running mean of the gradients (m̂) by the square root of a running mean of their squares "
                 "(√v̂). Both scale like the gradient, so their ratio does not change when the loss is multiplied by a "
                 "constant. There is no logarithm anywhere in the update.\n"
                 "Answer: false",
    ),
]
