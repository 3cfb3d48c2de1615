"""Level 2 (High School): the exercises of notebooks 02-04."""

from __future__ import annotations

from bplab.exercises.answers import DecimalPlaces, Exact, SignificantFigures
from bplab.exercises.registry import Exercise

NOTEBOOKS = {"02": "Slope is a derivative", "03": "A network with one weight", "04": "Apples vs oranges"}

TRUE_FALSE = ("true", "false")

EXERCISES = [
    # ------------------------------------------------------------------ 02: slope is a derivative
    Exercise(
        id="02.power_rule",
        title="The derivative of x³ + 2x",
        kind="formula", expected="3*x**2 + 2",
        hints=(
            "Take the two parts one at a time: the derivative of a sum is the sum of the derivatives.",
            "The power rule: x**n has slope n*x**(n-1), so x**3 has slope 3*x**2.",
            "2*x is a straight line of slope 2. Add the two slopes.",
        ),
        solution="d/dx (x³ + 2x) = d/dx x³ + d/dx 2x = 3x² + 2.\n"
                 'Answer: "3*x**2 + 2"',
    ),
    Exercise(
        id="02.product_rule",
        title="The derivative of x²·(3x + 1), by the product rule",
        kind="formula", expected="2*x*(3*x + 1) + 3*x**2", names={"u": "x**2", "v": "3*x + 1"},
        hints=(
            "Call the two factors u = x**2 and v = 3*x + 1. The product rule: (u*v)' = u'*v + u*v'.",
            "u = x**2 has slope u' = 2*x (the power rule); v = 3*x + 1 is a straight line of slope v' = 3.",
            "Put them in: 2*x*(3*x + 1) + x**2*3. You may type u and v for the factors: 2*x*v + 3*u.",
        ),
        solution="With u = x² and v = 3x + 1: u' = 2x and v' = 3, so\n"
                 "(uv)' = u'v + uv' = 2x(3x + 1) + x² · 3 = 9x² + 2x.\n"
                 "Check by multiplying out first: x²(3x + 1) = 3x³ + x², whose derivative is 9x² + 2x.\n"
                 'Answer: "2*x*(3*x + 1) + 3*x**2" (or "9*x**2 + 2*x", or "2*x*v + 3*u")',
    ),
    Exercise(
        id="02.chain_rule",
        title="The derivative of (3x + 1)², by the chain rule",
        kind="formula", expected="6*(3*x + 1)", names={"u": "3*x + 1"},
        hints=(
            "Call the inside u = 3*x + 1; the outside is u**2. The chain rule multiplies the outside's "
            "slope by the inside's slope.",
            "The outside u**2 has slope 2*u; the inside 3*x + 1 has slope 3.",
            "Multiply them: 2*u*3, with u = 3*x + 1 (you may type u in your answer).",
        ),
        solution="With u = 3x + 1: d/dx (3x + 1)² = 2u · du/dx = 2(3x + 1) · 3 = 6(3x + 1) = 18x + 6.\n"
                 'Answer: "6*(3*x + 1)" (or "18*x + 6", or "2*u*3")',
    ),
    # ------------------------------------------------------------------ 03: a network with one weight
    Exercise(
        id="03.best_weight",
        title="The weight that makes the output equal the target",
        kind="number", expected=1 / 3, precision=SignificantFigures(3),
        hints=(
            "The network produces a = i·w = 1.5·w. You want it to produce the target y = 0.5.",
            "Solve 1.5·w = 0.5 for w: divide both sides by 1.5.",
            'w = 0.5 / 1.5. Type the fraction itself (1/3, or "1/3" in quotes) or a decimal to 3 significant figures.',
        ),
        solution="The output a = i·w should equal the target y: 1.5·w = 0.5.\n"
                 "So w = 0.5 / 1.5 = 1/3 = 0.333… (0.333 to 3 significant figures).\n"
                 "Nothing here is 4: the network should produce 0.5.\n"
                 "Answer: 1/3",
    ),
    Exercise(
        id="03.slope_formula",
        title="dC/dw as a formula in i, w and y",
        kind="formula", expected="2*i*(i*w - y)", names={"a": "i*w"},
        hints=(
            "The chain rule: dC/dw = dC/da · da/dw, with C = (a - y)**2 and a = i*w.",
            "dC/da = 2*(a - y), the slope of a square; and da/dw = i.",
            "Multiply them: 2*(a - y)*i. You may write a, or i*w in its place.",
        ),
        solution="C = (a − y)² with a = i·w.\n"
                 "dC/da = 2(a − y) and da/dw = i, so dC/dw = 2(a − y)·i = 2i(iw − y).\n"
                 'Answer: "2*i*(i*w - y)" (or "2*(a - y)*i")',
    ),
    Exercise(
        id="03.first_update",
        title="One step of gradient descent by hand: w₂ from w₁ = 0.59",
        kind="number", expected=0.4745, precision=DecimalPlaces(4),
        hints=(
            "One step is w₂ = w₁ − r · slope. First work out the slope at w₁ = 0.59.",
            "The slope is 2 · (1.5 · 0.59 − 0.5) · 1.5 = 2 · 0.385 · 1.5 = 1.155.",
            "Now w₂ = 0.59 − 0.1 · 1.155.",
        ),
        solution="a = 1.5 · 0.59 = 0.885, so the miss a − y is 0.385.\n"
                 "slope = 2 · 0.385 · 1.5 = 1.155\n"
                 "w₂ = w₁ − r · slope = 0.59 − 0.1 · 1.155 = 0.59 − 0.1155 = 0.4745 (exactly).\n"
                 "Answer: 0.4745",
    ),
    Exercise(
        id="03.divergence_threshold",
        title="The learning rate above which gradient descent diverges",
        kind="number", expected=4 / 9, precision=SignificantFigures(3),
        hints=(
            "Each step multiplies the distance to the best weight by 1 − 2·r·i². Every overshoot grows "
            "once that factor is below −1.",
            "Solve 1 − 2·r·i² = −1 for r: 2·r·i² = 2, so r = 1/i².",
            'With i = 1.5: r = 1 / 1.5**2. Work it out to 3 significant figures, or type "1/1.5**2" in quotes.',
        ),
        solution="The factor is 1 − 2ri² = 1 − 4.5r. Below −1, every overshoot is bigger than the last: "
                 "4.5r > 2, that is r > 2/4.5 = 1/i² = 4/9 = 0.444…\n"
                 "At exactly r = 4/9 the factor is −1: the weight bounces between two values forever, neither "
                 "settling nor flying off. Any larger rate diverges, any smaller one converges.\n"
                 "Answer: 4/9 ≈ 0.444",
    ),
    # ------------------------------------------------------------------ 04: apples vs oranges
    Exercise(
        id="04.sigmoid_range",
        title='Is it true? "The sigmoid\'s outputs lie between 0 and −1"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at the printed values of sigmoid(−10), sigmoid(0) and sigmoid(+10) above. Is any of them negative?",
            "e^(−z) is positive, so 1 + e^(−z) > 1, and its reciprocal 1/(1 + e^(−z)) lies between 0 and 1.",
        ),
        solution="False.\n"
                 "σ(z) = 1/(1 + e^(−z)) with e^(−z) > 0, so 0 < σ(z) < 1: between 0 and 1, never negative "
                 "(σ(+10) ≈ 0.99995). That is what lets us read it as a probability.\n"
                 "Answer: false",
    ),
    Exercise(
        id="04.sigmoid_at_zero",
        title="The sigmoid's output for a fruit on the line (z = 0)",
        kind="number", expected=0.5, precision=Exact("exactly"),
        hints=(
            "Put z = 0 into σ(z) = 1 / (1 + e^(−z)).",
            "e⁰ = 1, so σ(0) = 1 / (1 + 1).",
        ),
        solution="σ(0) = 1/(1 + e⁰) = 1/(1 + 1) = 1/2 = 0.5: a fruit on the line is a 50/50 case.\n"
                 "Answer: 0.5",
    ),
    Exercise(
        id="04.sigmoid_derivative",
        title="The derivative of σ(z)",
        kind="formula", expected="sigmoid(z)*(1 - sigmoid(z))", names={"p": "sigmoid(z)"},
        hints=(
            "The rule is written with σ itself. To work it out, write σ(z) = (1 + e^(−z))^(−1) and use the chain rule.",
            "Two facts you may not have met: the slope of e^(−z) is −e^(−z) (e^z is its own slope, and the −z inside "
            "brings a factor −1), and the slope of u^(−1) is −u^(−2) (the power rule with n = −1). With u = 1 + e^(−z), "
            "the chain rule gives (−u^(−2))·(−e^(−z)) = e^(−z) / (1 + e^(−z))². Then use e^(−z)/(1 + e^(−z)) = 1 − σ(z).",
            "It is σ(z) times (1 − σ(z)). Type it with sigmoid(z), or with p for p = σ(z).",
        ),
        solution="σ = (1 + e^(−z))^(−1), so σ' = e^(−z)/(1 + e^(−z))²\n"
                 "   = [1/(1 + e^(−z))] · [e^(−z)/(1 + e^(−z))] = σ(z)(1 − σ(z)),\n"
                 "because e^(−z)/(1 + e^(−z)) = 1 − σ(z).\n"
                 'Answer: "sigmoid(z)*(1 - sigmoid(z))" (or "p*(1 - p)" with p = σ(z))',
    ),
]
