"""Level 4 (Postgraduate): the exercises of notebooks 09 to 14 (the notebooks after them add theirs here)."""

from __future__ import annotations

import math

from bplab.clinic import CASES, CAUSES
from bplab.exercises.answers import Exact, SignificantFigures
from bplab.exercises.registry import Exercise

NOTEBOOKS = {"09": "Optimizers", "10": "Initialization and depth", "11": "Normalization and residuals",
             "12": "Backpropagation through time", "13": "Convolutions",
             "14": "When training fails"}

TRUE_FALSE = ("true", "false")

#: 09.divergence_threshold's loss, L(x, y) = 2 x² + y² / 20: its Hessian is diag(4, 1/10).
THRESHOLD_LOSS = "2*x**2 + y**2/20"

#: Lesson 14's gallery: for each cause, graded hints (the vital sign to look at first) and the worked diagnosis with its fix.
CASE_HINTS = {
    "learning rate too high": (
        "Start with the first loss: is it near ln 10 = 2.30? Then look at the update-to-weight ratios in the first steps.",
        "The first loss is normal, so the model and the loss are fine at the start. But every step changes the weights by "
        "a fifth of their size (ratios near 0.2, the rule of thumb is 10⁻³): the steps are far too big.",
    ),
    "learning rate too low": (
        "Nothing is broken and nothing happens: which vital sign is far from its usual value?",
        "The update-to-weight ratios sit near 10⁻⁴, ten times below the rule of thumb, and the loss stays near ln 10: the "
        "steps are too small to get anywhere in 12 epochs.",
    ),
    "dead ReLUs": (
        "Look at the bottom-right panel first, then at the ratios: which layers are changing at all?",
        "The first loss is normal and the very first step changes nothing (ratio 0): almost every hidden ReLU outputs "
        "0 for every example before any step was taken, so no step killed them. They started switched off.",
    ),
    "saturated tanh units": (
        "The first loss is far above ln 10 while the ratios look ordinary. What does the bottom-right panel show?",
        "About 70% of the hidden outputs sit where the activation is flat (slope below 5% of its top: the panel says "
        "\"saturated\", so these are tanh units), so little gradient gets through: learning crawls. The weights "
        "started too large.",
    ),
    "forgotten zero_grad": (
        "The run learned at first. Look at how the update-to-weight ratios change from step to step.",
        "The ratios grow tenfold over the first three epochs though nothing else changes: each step's gradient is "
        "added to all the earlier ones, so the steps grow until training falls apart (then, with units dead, they "
        "shrink again).",
    ),
    "loss summed instead of averaged": (
        "Compare the first loss with ln 10 = 2.30. By what factor is it off? Is that number familiar?",
        "73.9 is 32 × 2.31: the loss of the batch's 32 examples added, not averaged. Its gradient, and every step, "
        "is 32 times too big.",
    ),
    "inputs not normalized": (
        "The first loss is 17.5, far above ln 10 but not a multiple of it that a batch size explains, and the first "
        "steps are huge. What makes the first layer's outputs so big?",
        "The first updates are huge (ratios above 1) and then every first-layer ReLU is dead: its inputs are in the "
        "hundreds, so its pre-activations are in the tens to hundreds. The pixels were fed as 0-255.",
    ),
    "labels shuffled apart from their inputs": (
        "The weights change at a healthy rate and no unit is dead. Compare training and test accuracy.",
        "Training accuracy creeps up (the network starts memorizing) while test accuracy stays close to chance "
        "(16%): there is nothing to learn that carries over, so the labels do not belong to their images.",
    ),
}
CASE_SOLUTIONS = {
    "learning rate too high": "Learning rate too high (2.0). The first loss is normal, but the first steps change each "
        "weight matrix by about 20% of its size; the loss jumps about, the second layer's ReLUs die, and the run "
        "ends at chance. Fix: a smaller learning rate (0.1 here; a learning-rate range test finds it).",
    "learning rate too low": "Learning rate too low (0.002). Ratios near 10⁻⁴ and a loss that barely leaves ln 10. "
        "Fix: a larger learning rate (0.1).",
    "dead ReLUs": "Dead ReLUs: the hidden biases started at −3, so almost every ReLU outputs 0 for every input and "
        "passes back no gradient; the ratios are 0. Fix: start the biases at 0 (or small and positive), or use a "
        "leaky ReLU.",
    "saturated tanh units": "Saturated tanh units: the weights started 10 times too large, so the units' inputs are "
        "large and their slopes tiny (about 70% of the outputs have a slope below 5% of tanh's top); the first loss "
        "is 9.6 and learning crawls (test accuracy 50% after 12 epochs, training accuracy 90%). Fix: the default initialization (the same tanh "
        "network then reaches 96%), or normalization.",
    "forgotten zero_grad": "A forgotten zero_grad(): gradients accumulate across steps, so each step is the sum of all "
        "the gradients so far. The run learns for two epochs (71% test accuracy), then the growing steps wreck it. "
        "Fix: optimizer.zero_grad() before every backward().",
    "loss summed instead of averaged": "The loss was summed over the batch: the first loss is 73.9 = 32 × 2.31, and "
        "every gradient is 32 times the averaged one, as if the learning rate were 3.2. Fix: reduction='mean' (or "
        "divide the learning rate by the batch size).",
    "inputs not normalized": "Inputs not normalized: the pixels went in as 0-255. The first layer's pre-activations "
        "are in the hundreds, the first loss is 17.5, the first updates are enormous and kill every first-layer "
        "ReLU. Fix: standardize each input (subtract the training mean, divide by the spread).",
    "labels shuffled apart from their inputs": "The labels were shuffled apart from their images (a bug that happens "
        "when inputs and labels are shuffled separately). The network can only memorize: training accuracy creeps "
        "to 25% while test accuracy stays at chance. Fix: shuffle inputs and labels with the same permutation.",
}

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
    # ------------------------------------------------------------------ 12: backpropagation through time
    Exercise(
        id="12.feedforward_only",
        title='Is it true? "Backpropagation cannot train recurrent networks: it works only for feedforward ones"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "What did unrolling the recurrent network over three steps give you?",
            "Unrolled, a recurrent network is an ordinary graph, whose layers share one weight; backprop ran through it "
            "and its gradient agreed with SymPy and with central differences.",
        ),
        solution="False.\n"
                 "A recurrent network unrolled over its T steps is a feedforward graph whose layers share their weights. "
                 "Backprop runs through it unchanged, and each shared weight's gradient is the sum of its uses' shares: "
                 "that is backpropagation through time (BPTT). The notebook's three routes agreed on it.\n"
                 "Answer: false",
    ),
    Exercise(
        id="12.linear_three_steps",
        title="∂L/∂w for the linear recurrence h_t = w·h_{t−1} + x_t, h_0 = 0, L = h_3",
        kind="formula", expected="2*w*x1 + x2",
        hints=(
            "Unroll it: h_1 = x1, h_2 = w·h_1 + x2, h_3 = w·h_2 + x3. Write h_3 with w, x1, x2 and x3 only.",
            "h_3 = w²·x1 + w·x2 + x3. Differentiate with respect to w; x3 does not depend on w.",
            "Or add the steps' shares h_{t−1}·∂L/∂z_t: step 3 gives h_2·1, step 2 gives h_1·w, step 1 gives h_0·w² = 0.",
        ),
        solution="Unrolled, h_3 = w(w·x1 + x2) + x3 = w²·x1 + w·x2 + x3, so ∂L/∂w = 2w·x1 + x2. Step by step: "
                 "∂L/∂z_3 = 1, ∂L/∂z_2 = w, ∂L/∂z_1 = w², and the shares h_{t−1}·∂L/∂z_t are h_2 = w·x1 + x2 (step 3), "
                 "h_1·w = w·x1 (step 2) and h_0·w² = 0 (step 1): their sum is 2w·x1 + x2.\n"
                 'Answer: "2*w*x1 + x2"',
    ),
    Exercise(
        id="12.vanishing_steps",
        title="How many steps back until a linear RNN's gradient is below 1/100, when W's singular values are all 0.9",
        kind="number", expected=44, precision=Exact("a whole number"),
        hints=(
            "How big is the gradient k steps back, compared with its size at the loss?",
            "Each step multiplies its size by exactly 0.9, so k steps back it is 0.9ᵏ times its size at the loss. You "
            "want the smallest whole k with 0.9ᵏ < 0.01, that is k > ln 0.01 / ln 0.9.",
            "ln 0.01 / ln 0.9 = 43.7: so k = 44 (0.9⁴³ = 0.0108, 0.9⁴⁴ = 0.0097).",
        ),
        solution="Each step back multiplies the size by 0.9, so k steps back it is 0.9ᵏ. 0.9ᵏ < 0.01 means "
                 "k > ln(0.01)/ln(0.9) = 43.7; the smallest whole k is 44 (0.9⁴³ ≈ 0.0108, 0.9⁴⁴ ≈ 0.0097). The time "
                 "explorer shows it: linear, scaled orthogonal, scale 0.9.\n"
                 "Answer: 44 (a whole number)",
    ),
    Exercise(
        id="12.forget_path",
        title="The factor that multiplies an LSTM's cell-state gradient over 40 steps when every forget gate is 0.95",
        kind="number", expected=0.95 ** 40, precision=SignificantFigures(3),
        hints=(
            "Along the cell-state path, c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t: what is ∂c_t/∂c_{t−1} along that path?",
            "It is f_t, element by element: each step back multiplies the gradient by the forget gate, here 0.95.",
            "Forty steps: 0.95 multiplied by itself 40 times.",
        ),
        solution="Along the additive path c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, the local derivative ∂c_t/∂c_{t−1} is the "
                 "forget gate f_t (no weight matrix, no tanh slope). Forty steps multiply by 0.95⁴⁰ ≈ 0.129: the "
                 "gradient keeps an eighth of its size, where a tanh RNN's typically falls by many powers of ten. With "
                 "f = 0.5 (a forget bias of 0 at the start) it would be 0.5⁴⁰ ≈ 10⁻¹².\n"
                 "Answer: 0.129 (to 3 significant figures)",
    ),
    Exercise(
        id="12.skip_connection",
        title='Is it true? "A plain RNN has a skip connection that carries the gradient back in time"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at a plain RNN's step: h_t = tanh(x_t W_ih + h_{t−1} W_hh + b). Is there a path from h_{t−1} to h_t "
            "that skips W_hh and the tanh?",
            "A skip (residual) connection adds its input unchanged: h + F(h), Jacobian I + J (lesson 11). An LSTM's "
            "cell path multiplies by a learned gate f_t, which can be near 0.",
        ),
        solution="False.\n"
                 "A plain RNN has no skip connection: every path from h_{t−1} to h_t goes through W_hh and the tanh, "
                 "which is why its gradient vanishes or explodes. Skip (residual) connections belong to residual "
                 "networks, h + F(h). LSTMs and GRUs add something else: a gated additive path "
                 "(c_t = f_t ⊙ c_{t−1} + …, h_t = z_t ⊙ h_{t−1} + … with z_t the GRU's update gate) whose local "
                 "derivative is the gate, learned and between 0 and 1, not a fixed 1 (the first LSTM, of 1997, had no "
                 "forget gate: its cell path was exactly the identity).\n"
                 "Answer: false",
    ),
    # ------------------------------------------------------------------ 13: convolutions
    Exercise(
        id="13.corner_gradient",
        title="∂L/∂x at the top-right corner of an 8×8 image, K = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], L = the sum of the outputs",
        kind="number", expected=3.0, precision=Exact("exactly"),
        hints=(
            "Which 3×3 windows (no padding) contain the pixel at row 0, column 7?",
            "Only one: the window starting at row 0, column 5, the last one in the top row. Each window adds "
            "(its output's gradient, 1) × (the kernel weight at the pixel's place in the window).",
            "In that window the pixel sits at row 0, column 2 of the kernel.",
        ),
        solution="Without padding, windows start at columns 0 to 5, so the pixel at column 7 is only in the window "
                 "starting at column 5, and only windows starting at row 0 contain row 0. In that window it sits at "
                 "kernel position (0, 2), whose weight is 3. The loss gives that output the gradient 1, so "
                 "∂L/∂x = 1 × 3 = 3. (The full correlation with the flipped kernel says the same: at the corner, only "
                 "one of the flipped kernel's weights meets a non-zero gradient.)\n"
                 "Answer: 3 (exactly)",
    ),
    Exercise(
        id="13.kernel_gradient",
        title="∂L/∂k₁ for y_i = x_i k₀ + x_{i+1} k₁, x = (1, 2, 3, 4), L = y₀ + y₁ + y₂",
        kind="number", expected=9.0, precision=Exact("exactly"),
        hints=(
            "k₁ is used by every output. What does each output's use contribute to ∂L/∂k₁?",
            "Output y_i uses k₁ once, multiplied by x_{i+1}, and ∂L/∂y_i = 1 for each i. Add the three shares.",
            "∂L/∂k₁ = x₁ + x₂ + x₃ (indices from 0), with x = (1, 2, 3, 4).",
        ),
        solution="Each output y_i = x_i k₀ + x_{i+1} k₁ uses k₁ once, so ∂y_i/∂k₁ = x_{i+1}, and the loss gives every "
                 "output the gradient 1. The kernel gradient is the correlation of the input with the output gradient: "
                 "∂L/∂k₁ = 1·x₁ + 1·x₂ + 1·x₃ = 2 + 3 + 4 = 9.\n"
                 "Answer: 9 (exactly)",
    ),
    Exercise(
        id="13.average_share",
        title="The gradient each pixel of a 3×3 average-pooling window gets when the gradient 2 arrives",
        kind="number", expected=2 / 9, precision=SignificantFigures(3),
        hints=(
            "Average pooling over a 3×3 window outputs the mean of nine values. What is its derivative with respect to "
            "one of them?",
            "Each local derivative is 1/9; multiply by the gradient arriving from above.",
        ),
        solution="The output is the mean of the nine pixels, (a₁ + … + a₉)/9, so each pixel's local derivative is 1/9, "
                 "and each receives 2 × 1/9 ≈ 0.222: the gradient is spread evenly.\n"
                 "Answer: 0.222 (to 3 significant figures)",
    ),
    # ------------------------------------------------------------------ 14: when training fails
    Exercise(
        id="14.initial_loss",
        title="The loss to expect at the start from a classifier with 5 classes",
        kind="number", expected=math.log(5), precision=SignificantFigures(3),
        hints=(
            "At the start, a well-initialized classifier gives every class about the same probability.",
            "With C classes that probability is 1/C, and cross-entropy is −ln(probability of the true class).",
        ),
        solution="Small random weights give logits near 0, so softmax gives every class about 1/5, and the "
                 "cross-entropy of every example is −ln(1/5) = ln 5 ≈ 1.61. A first loss far from it means the "
                 "logits are not small: a bad initialization, inputs on the wrong scale, or a loss summed over the "
                 "batch instead of averaged.\n"
                 "Answer: 1.61 (to 3 significant figures)",
    ),
    *[Exercise(
        id=f"14.case_{letter.lower()}",
        title=f"The cause of the gallery's case {letter}",
        kind="choice", expected=cause, options=CAUSES,
        hints=CASE_HINTS[cause],
        solution=CASE_SOLUTIONS[cause] + f"\nAnswer: {cause!r}",
    ) for letter, (_settings, cause) in CASES.items()],
]
