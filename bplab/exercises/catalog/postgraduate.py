"""Level 4 (Postgraduate): the exercises of notebooks 09 to 11 (the notebooks after them add theirs here)."""

from __future__ import annotations

import math

from bplab.exercises.answers import SignificantFigures
from bplab.exercises.registry import Exercise

NOTEBOOKS = {"09": "Optimizers", "10": "Initialization and depth", "11": "Normalization and residuals"}

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
    # ------------------------------------------------------------------ 10: initialization and depth
    Exercise(
        id="10.zero_start",
        title='Is it true? "Starting every weight at zero is safe: the gradients will soon make the hidden units differ"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Two hidden units with the same incoming and outgoing weights compute the same output. What are their "
            "gradients then?",
            "Equal units get equal gradients (the three routes above agreed: ∂L/∂a = ∂L/∂b when a = b), so one step "
            "keeps them equal, and so does the next. With zeros it is worse: the notebook's gradients were all 0.",
        ),
        solution="False.\n"
                 "Hidden units that start with equal weights compute equal outputs and receive equal gradients, so every "
                 "update keeps them equal: the layer behaves like a single unit for ever. With all weights 0 and tanh, "
                 "the hidden outputs are 0 and so are the gradients of both weight matrices: nothing but the output "
                 "bias can move. Random starting weights break the symmetry.\n"
                 "Answer: false",
    ),
    Exercise(
        id="10.xavier_std",
        title="The standard deviation of Xavier's normal initialization for 300 inputs and 100 outputs",
        kind="number", expected=math.sqrt(2 / 400), precision=SignificantFigures(3),
        hints=(
            "Xavier/Glorot keeps a compromise between the forward and the backward condition: Var W = 2/(fan_in + fan_out).",
            "Var W = 2/(300 + 100) = 0.005. The question asks for the standard deviation.",
        ),
        solution="Forward, Var W = 1/fan_in keeps the activations' variance; backward, Var W = 1/fan_out keeps the "
                 "gradients'. Xavier takes the compromise Var W = 2/(fan_in + fan_out) = 2/400 = 0.005 (the harmonic mean of 1/fan_in and 1/fan_out), so the "
                 "standard deviation is √0.005.\n"
                 "Answer: 0.0707 (to 3 significant figures)",
    ),
    Exercise(
        id="10.he_uniform_bound",
        title="The bound a of He's uniform initialization U(−a, a), variance 2/fan_in, for a ReLU layer with 50 inputs",
        kind="number", expected=math.sqrt(3 * 2 / 50), precision=SignificantFigures(3),
        hints=(
            "He's condition for ReLU is Var W = 2/fan_in: a ReLU zeroes half of its inputs, which halves the mean square.",
            "The uniform distribution U(−a, a) has variance a²/3. Set a²/3 = 2/50 and solve for a.",
        ),
        solution="He: Var W = 2/fan_in = 2/50 = 0.04. U(−a, a) has variance a²/3, so a² = 3 · 0.04 = 0.12 and "
                 "a = √0.12 = √(6/fan_in).\n"
                 "Answer: 0.346 (to 3 significant figures)",
    ),
    Exercise(
        id="10.depth_gain",
        title="How much larger the signal is after 20 linear layers of width 100 with weights N(0, 0.12²)",
        kind="number", expected=1.2 ** 20, precision=SignificantFigures(3),
        hints=(
            "One linear layer multiplies the mean square of the signal by n · Var W, so the root mean square by √(n · Var W).",
            "√(100 · 0.12²) = 1.2 per layer. Twenty layers multiply: 1.2 · 1.2 · … · 1.2.",
        ),
        solution="Per layer, Var z = n · Var W · Var x = 100 · 0.0144 · Var x = 1.44 · Var x, so the root mean square "
                 "grows by √1.44 = 1.2. After 20 layers: 1.2²⁰ ≈ 38.3. A weight only 20% too large per layer makes the "
                 "signal 38 times larger: depth turns small factors into exponentials.\n"
                 "Answer: 38.3 (to 3 significant figures)",
    ),
    # ------------------------------------------------------------------ 11: normalization and residuals
    Exercise(
        id="11.two_examples",
        title="Batch norm's output for the larger of two examples (values 3 and 7, γ = 2, β = 1, ε ignored)",
        kind="number", expected=3.0, precision=SignificantFigures(3),
        hints=(
            "Standardize first: the batch's mean is 5 and its (biased) variance is ((3 − 5)² + (7 − 5)²)/2.",
            "The variance is 4, so σ = 2 and x̂ = (7 − 5)/2 = 1. Then scale and shift: γ·x̂ + β.",
        ),
        solution="μ = (3 + 7)/2 = 5 and σ² = (4 + 4)/2 = 4, so x̂ = (7 − 5)/√4 = 1 (with two examples, every feature "
                 "standardizes to −1 and +1, whatever the values). Then y = γ·x̂ + β = 2·1 + 1 = 3.\n"
                 "Answer: 3.00 (to 3 significant figures)",
    ),
    Exercise(
        id="11.batch_independence",
        title='Is it true? "In training mode, batch norm\'s output for an example does not depend on the other examples"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "In training mode, which mean and variance does batch norm subtract and divide by?",
            "The batch's own: change one other example and the mean and variance change, and with them every output. "
            "The notebook's experiment showed the same example getting different outputs in two batches.",
        ),
        solution="False.\n"
                 "In training mode batch norm standardizes with the batch's mean and variance, so every example's output "
                 "depends on the rest of its batch (which is also why its backward pass couples the examples: the "
                 "gradients of one feature's inputs sum to 0). In evaluation mode (model.eval()) it uses the running "
                 "averages instead, and each example's output depends on that example alone.\n"
                 "Answer: false",
    ),
    Exercise(
        id="11.clip_factor",
        title="The factor gradient clipping multiplies every gradient by, for a total norm of 50 and max_norm 5",
        kind="number", expected=0.1, precision=SignificantFigures(3),
        hints=(
            "If the total norm is above max_norm, every gradient is scaled by one common factor.",
            "clip_grad_norm_ computes the norm of all the gradients together. The factor makes the new norm equal to "
            "max_norm: factor × 50 = 5.",
        ),
        solution="The total norm 50 is above max_norm = 5, so every gradient is multiplied by 5/50 = 0.1 (PyTorch adds "
                 "10⁻⁶ to the denominator, which changes nothing at 3 figures). The direction of the step is kept; only "
                 "its length is capped.\n"
                 "Answer: 0.100 (to 3 significant figures)",
    ),
]
