"""Level 5 (PhD): the exercises of notebooks 15 onwards (the notebooks after it add theirs here)."""

from __future__ import annotations

from bplab.exercises.registry import Exercise
from bplab.exercises.answers import Exact, SignificantFigures

NOTEBOOKS = {"15": "Forward mode and reverse mode", "16": "Symbolic against automatic differentiation",
             "17": "Memory and higher order", "18": "Beyond backprop",
             "19": "Reproducing Rumelhart, Hinton & Williams (1986)"}

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
    # ------------------------------------------------------------------ 16: symbolic against automatic
    Exercise(
        id="16.sin_chain_tree",
        title="Operations in the tree of d/dx sin(sin(sin(sin(sin x)))), depth 5",
        kind="number", expected=19, precision=Exact("a whole number"),
        hints=(
            "Write the derivative out by the chain rule: a product of five cosines, cos(s₄)·cos(s₃)·…·cos(s₀).",
            "Here s₀ = x, s₁ = sin x, s₂ = sin(sin x), and so on: s_j is j sines deep, so it takes j operations. Count "
            "the multiplications of the product, the five cosines, and the sines inside them.",
            "4 multiplications + 5 cosines + (0 + 1 + 2 + 3 + 4) sines.",
        ),
        solution="By the chain rule, d/dx sin⁵(x) = cos(s₄)·cos(s₃)·cos(s₂)·cos(s₁)·cos(s₀) with s_j = sin applied j "
                 "times to x. As a tree: 4 multiplications join the 5 factors, each factor has 1 cosine, and the "
                 "cosine of s_j holds its own copy of the chain below, j sines: 0 + 1 + 2 + 3 + 4 = 10. In all "
                 "4 + 5 + 10 = 19, which grows with depth squared, (k² + 3k)/2 − 1. Shared, the sines are computed "
                 "once: 3k − 2 = 13, like backprop's 3 per step.\n"
                 "Answer: 19 (a whole number)",
    ),
    Exercise(
        id="16.logistic_function_tree",
        title="Operations in the tree of the logistic map itself at depth 20",
        kind="number", expected=3 * 2 ** 20 - 2, precision=Exact("a whole number"),
        hints=(
            "One step 4ℓ(1 − ℓ) holds ℓ twice: the tree at depth k holds two copies of the tree at depth k − 1.",
            "The table's counts are 4, 10, 22, 46, 94: each is twice the one before, plus 2 (SymPy folds the 4s into "
            "one coefficient). So T(k) = 2·T(k − 1) + 2 with T(1) = 4.",
            "T(k) + 2 doubles at each step: T(k) + 2 = 6·2^(k−1) = 3·2^k. Put k = 20.",
        ),
        solution="Each step holds the previous one twice, so the tree doubles: the table's counts 4, 10, 22, 46, 94 "
                 "satisfy T(k) = 2·T(k − 1) + 2, so T(k) + 2 = 6·2^(k−1) = 3·2^k, and T(k) = 3·2^k − 2. At depth 20: "
                 "3·1,048,576 − 2 = 3,145,726 operations, for a function that a program computes in 60 (3 a step). "
                 "The tree of a function is not its cost; a shared graph's size is.\n"
                 "Answer: 3145726 (a whole number)",
    ),
    Exercise(
        id="16.autodiff_is_numerical",
        title='Is it true? "Automatic differentiation approximates derivatives numerically, like finite differences"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Compare the three routes printed for sin(sin(sin x)): how far was backprop from SymPy's exact value, and "
            "how far was the central difference?",
            "Backprop applies the exact local derivative of each operation (cos for sin) and multiplies them: the only "
            "error is floating-point rounding, as when SymPy's formula is evaluated.",
        ),
        solution="False.\n"
                 "Automatic differentiation evaluates the exact derivative of the program: each primitive's exact local "
                 "derivative, combined by the chain rule. Its error is rounding only (about 1e-16 relative here), like "
                 "evaluating SymPy's formula. Finite differences approximate the derivative with a step h and carry a "
                 "truncation error of order h² besides rounding (here 5e-12 in all, mostly the rounding that dividing by 2h amplifies).\n"
                 "Answer: false",
    ),
    Exercise(
        id="16.cse_as_cheap",
        title=('Is it true? "After common-subexpression elimination, a symbolic gradient\'s operation count grows no faster '
               'with depth than backprop\'s"'),
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at the logistic map's table: how much does each column grow from one depth to the next?",
            "Backprop grows by 8 operations a step. Does the CSE column grow by a fixed amount too? And Speelpenning's "
            "product, as n doubles?",
        ),
        solution="False.\n"
                 "CSE removes repeated sub-expressions, and the savings are huge (98,560 operations to 282 for the "
                 "logistic map at depth 10). But it starts from the derivative's formula, where the product rule has "
                 "already spread a product of n factors into n terms of n − 1 factors: order n² however it is shared. "
                 "The CSE column grows by more each step (by 51 operations from depth 9 to 10), backprop's by 8; for "
                 "Speelpenning's product the CSE gradient is quadratic in n, backprop's 3(n − 1). (At small depths the "
                 "counts are close, and generated CSE code can even run faster than an interpreted graph: the claim is "
                 "about growth.)\n"
                 "Answer: false",
    ),
    # ------------------------------------------------------------------ 17: memory and higher order
    Exercise(
        id="17.sqrt_segments",
        title="The number of segments k that makes the peak k + 2n/k smallest for a chain of n = 50 layers",
        kind="number", expected=10, precision=Exact("a whole number"),
        hints=(
            "Between the passes each segment keeps one array; recomputing a segment of n/k layers needs 2 arrays a layer.",
            "Minimize p(k) = k + 2n/k: set its derivative 1 − 2n/k² to zero.",
            "k = √(2n) = √100.",
        ),
        solution="The peak is about k + 2n/k arrays: k segment outputs kept, plus one segment of n/k layers recomputed, "
                 "each keeping its product and its tanh. Its derivative 1 − 2n/k² vanishes at k = √(2n) = √100 = 10, where "
                 "the peak is 10 + 10 = 20 arrays, against 100 without checkpointing. (Counting one array a layer gives "
                 "the textbook k = √n.)\n"
                 "Answer: 10 (a whole number)",
    ),
    Exercise(
        id="17.checkpoint_changes_gradients",
        title='Is it true? "Checkpointing changes the gradients a little, because the activations are recomputed"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "What did np.array_equal say about the gradients with and without checkpointing?",
            "The recomputation runs the same operations on the same numbers in the same order. Can the result differ?",
        ),
        solution="False.\n"
                 "The recomputed segment runs the same floating-point operations on the same inputs in the same order, so "
                 "it reproduces the activations bit for bit, and the gradients are identical to the plain run's, not "
                 "merely close. What changes is the cost: memory down, one more forward pass. (It holds as long as the "
                 "segment is deterministic: dropout must replay the same random mask, which is why torch.utils.checkpoint "
                 "saves the random state, and nondeterministic GPU kernels can break bit-for-bit equality.)\n"
                 "Answer: false",
    ),
    Exercise(
        id="17.stable_rate",
        title=("Above which learning rate does the quadratic model predict gradient descent unstable near a minimum whose "
               "Hessian has top eigenvalue 8?"),
        kind="number", expected=0.25, precision=Exact("exactly"),
        hints=(
            "Near the minimum, the component along the top eigenvector is multiplied by (1 − ηλ) each step.",
            "It shrinks while |1 − ηλ| < 1, that is while 0 < η < 2/λ.",
        ),
        solution="Along the eigenvector of λ_max, one step multiplies the distance to the minimum by 1 − ηλ_max. That "
                 "grows in size once |1 − ηλ_max| > 1, so for η > 2/λ_max = 2/8 = 0.25 (lesson 09's 2/λ_max boundary, "
                 "now with λ_max measured by power iteration on Hessian-vector products). Real training can still sit "
                 "there: at the edge of stability the sharpness hovers near 2/η instead of the run diverging.\n"
                 "Answer: 0.25 (exactly)",
    ),
    # ------------------------------------------------------------------ 18: beyond backprop
    Exercise(
        id="18.weight_transport",
        title="Which quantity does feedback alignment's backward pass no longer need to know?",
        kind="choice", expected="the forward weights",
        options=("the forward weights", "the output error", "the hidden activations"),
        hints=(
            "Compare the two lines of updates(): which argument changes between backprop and feedback alignment?",
            "The output error δ₂ still travels back; what multiplies it on the way is the fixed B instead of w₂.",
        ),
        solution="The forward weights. Backprop sends the output error back through w₂ (in general Wᵀ), so the backward "
                 "path must know the weights the forward pass used: weight transport. Feedback alignment still sends the error back, but "
                 "through a fixed random B; the hidden activations are used locally, as in backprop.\n"
                 'Answer: "the forward weights"',
    ),
    Exercise(
        id="18.es_probes",
        title="The number of probes P that brings 1/√(1 + (n+1)/P) to 0.5 for n = 65 parameters",
        kind="number", expected=22, precision=Exact("a whole number"),
        hints=(
            "Solve 1/√(1 + (n+1)/P) = 0.5 for P.",
            "1 + (n+1)/P = 4, so (n+1)/P = 3.",
            "P = (n+1)/3 = 66/3.",
        ),
        solution="1/√(1 + (n+1)/P) = 0.5 means 1 + (n+1)/P = 4, so P = (n + 1)/3 = 66/3 = 22 probes, 44 evaluations a "
                 "step, for a cosine of only 0.5. The number grows in proportion to the parameters: a million-weight "
                 "network would need about 333,000 probes for the same cosine.\n"
                 "Answer: 22 (a whole number)",
    ),
    Exercise(
        id="18.forward_gradient_biased",
        title='Is it true? "The forward gradient is a biased estimate of the gradient, because it only sees one direction"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Compute E[(∇L·v) v] = E[v vᵀ] ∇L. What is E[v vᵀ] for v ~ N(0, I)?",
            "E[v vᵀ] = I: the expectation is the gradient itself. One direction makes it noisy, not biased.",
        ),
        solution="False.\n"
                 "E[(∇L·v) v] = E[v vᵀ] ∇L = I ∇L = ∇L for v ~ N(0, I): unbiased. Seeing one direction a step makes it "
                 "noisy: one draw's cosine with the gradient is about √(2/(πn)), 0.10 here. The bias/variance distinction "
                 "is the point: averaged over many draws at a fixed θ it is the gradient, but each draw is mostly noise when n "
                 "is large.\n"
                 "Answer: false",
    ),
    Exercise(
        id="18.spsa_evaluations",
        title="Loss evaluations in one SPSA step for a network with a million parameters",
        kind="number", expected=2, precision=Exact("a whole number"),
        hints=(
            "Look at SPSA's formula: how many times does L appear?",
            "L(θ + cΔ) and L(θ − cΔ): all million parameters move at once.",
        ),
        solution="Two: L(θ + cΔ) and L(θ − cΔ), with all parameters perturbed at once, whatever their number (finite "
                 "differences one parameter at a time would need two million). The catch is the variance: the estimate "
                 "points at the gradient with a cosine whose mean is about √(2/(πn)) ≈ 0.8/√n (its root mean square is 1/√n).\n"
                 "Answer: 2 (a whole number)",
    ),
    # ------------------------------------------------------------------ 19: reproducing the 1986 paper
    Exercise(
        id="19.summed_rate",
        title="The learning rate on the mean error that equals ε = 0.1 on the error summed over 64 cases",
        kind="number", expected=6.4, precision=Exact("exactly"),
        hints=(
            "The mean error is E/64, so its gradient is the summed error's gradient divided by 64.",
            "η ∇(E/64) = (η/64) ∇E must equal 0.1 ∇E.",
        ),
        solution="The step is ε ∂E/∂w on the sum. On the mean E/64 the gradient is 64 times smaller, so the same step "
                 "needs η = 64 ε = 6.4. A rate that looks huge today's way is the paper's 0.1.\n"
                 "Answer: 6.4 (exactly)",
    ),
    Exercise(
        id="19.only_powers_of_two",
        title='Is it true? "Only weights in the ratio 1:2:4 can solve the symmetry task"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Which sums w₁c₁ + w₂c₂ + w₃c₃ (each c in {-1, 0, 1}, not all 0) must never be 0?",
            "Try 2, 3, 4: can ±2 ± 3 ± 4, or any two of them, or one alone, be 0?",
        ),
        solution="False.\n"
                 "The weights must keep every signed combination c₁w₁ + c₂w₂ + c₃w₃ (c in {-1, 0, 1}, not all 0) away from 0. "
                 "1:2:4 does, like binary digits; so does 2:3:4 (no sum or difference of 2, 3 and 4 cancels). Both keep the "
                 "smallest such combination as far from 0 as possible, 1/4 of the largest weight, and about a quarter of "
                 "the stored converged runs found 2:3:4. The paper reported the one its run found.\n"
                 "Answer: false",
    ),
    Exercise(
        id="19.decay_over_training",
        title="What fraction of a weight is left after 1,500 sweeps of 0.2% decay and no gradient",
        kind="number", expected=(1 - 0.002) ** 1500, precision=SignificantFigures(3),
        hints=(
            "Each sweep multiplies the weight by 1 - 0.002.",
            "Compute 0.998 ** 1500 (about e^(-3)).",
        ),
        solution="0.998¹⁵⁰⁰ = 0.0496, about e⁻³: a weight the gradient does not hold up shrinks twentyfold over the paper's "
                 "training. Under the paper's decay, a weight whose gradient has vanished, as in the collapsed networks' lower layers, is "
                 "erased this way.\n"
                 "Answer: 0.0496 (to 3 significant figures)",
    ),
    Exercise(
        id="19.sex_not_encoded",
        title="Why do the six person units not encode the first person's sex?",
        kind="choice", expected="the answers never depend on it",
        options=("the answers never depend on it", "six units are too few", "sex is already in the input"),
        hints=(
            "For which question would knowing that Colin is male change the answer?",
            "Where the first person's sex could matter (husband or wife), the question itself already implies it: only a "
            "woman has a husband in these trees.",
        ),
        solution="The answers never depend on it. Given the first person and the relationship, the answer is fixed by the "
                 "person's place in the tree; where their sex could matter (husband or wife), the relationship already "
                 "implies it. So no error pushes a unit to encode it. Features the task needs (nationality, generation, "
                 "branch) get units; one it does not, does not.\n"
                 'Answer: "the answers never depend on it"',
    ),
]
