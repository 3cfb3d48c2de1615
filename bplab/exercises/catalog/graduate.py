"""Level 3 (Graduate): the exercises of notebooks 05-08.

The two gradients exercises check a learner's hand-written backward pass at the notebook's own
data, made here from the same seeds (:func:`three_layer_data`, :func:`bug_hunt_data`; a test runs
the notebook cells and compares); the correct gradients are worked out in NumPy by hand, apart from
the engine whose backward pass is the checker's reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bplab.exercises.answers import Exact, SignificantFigures
from bplab.exercises.registry import Exercise, GradientProblem

NOTEBOOKS = {"05": "The chain rule on graphs", "06": "Activations and losses", "07": "Backprop in a network",
             "08": "Batches and gradient checking"}

TRUE_FALSE = ("true", "false")


# ------------------------------------------------------------------ 07: the three-layer network


def three_layer_data() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Notebook 07's exercise data, ``X3, labels3, params3``, exactly as its cell makes them."""
    rng = np.random.default_rng(2)
    X3 = rng.standard_normal((8, 2))
    labels3 = rng.integers(0, 3, size=8)
    params3 = {"W1": rng.standard_normal((2, 5)) * 0.7, "b1": np.zeros(5), "W2": rng.standard_normal((5, 4)) * 0.7,
               "b2": np.zeros(4), "W3": rng.standard_normal((4, 3)) * 0.7, "b3": np.zeros(3)}
    return X3, labels3, params3


def _three_layer_problem() -> GradientProblem:
    X3, labels3, params3 = three_layer_data()

    def three_layer_loss(W1: Any, b1: Any, W2: Any, b2: Any, W3: Any, b3: Any) -> Any:
        scores = ((X3 @ W1 + b1).relu() @ W2 + b2).relu() @ W3 + b3
        return -scores.log_softmax(axis=1)[np.arange(8), labels3].mean()

    return GradientProblem(three_layer_loss, params3)


def _softmax_rows(Z: np.ndarray) -> np.ndarray:
    exponentials = np.exp(Z - Z.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def _three_layer_gradients() -> dict[str, np.ndarray]:
    X3, labels3, p = three_layer_data()
    Z1 = X3 @ p["W1"] + p["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ p["W2"] + p["b2"]
    A2 = np.maximum(Z2, 0)
    delta3 = (_softmax_rows(A2 @ p["W3"] + p["b3"]) - np.eye(3)[labels3]) / len(X3)
    delta2 = (delta3 @ p["W3"].T) * (Z2 > 0)
    delta1 = (delta2 @ p["W2"].T) * (Z1 > 0)
    return {"W1": X3.T @ delta1, "b1": delta1.sum(axis=0), "W2": A1.T @ delta2, "b2": delta2.sum(axis=0),
            "W3": A2.T @ delta3, "b3": delta3.sum(axis=0)}


THREE_LAYER_SOLUTION = '''\
Forward, keeping Z1, A1, Z2, A2 and P; then the errors from the output back; then the gradients:

    def my_backward(W1, b1, W2, b2, W3, b3):
        Z1 = X3 @ W1 + b1
        A1 = np.maximum(Z1, 0)
        Z2 = A1 @ W2 + b2
        A2 = np.maximum(Z2, 0)
        Z3 = A2 @ W3 + b3
        P = np.exp(Z3 - Z3.max(axis=1, keepdims=True))
        P = P / P.sum(axis=1, keepdims=True)
        delta3 = (P - np.eye(3)[labels3]) / len(X3)
        delta2 = (delta3 @ W3.T) * (Z2 > 0)
        delta1 = (delta2 @ W2.T) * (Z1 > 0)
        return {"W1": X3.T @ delta1, "b1": delta1.sum(axis=0),
                "W2": A1.T @ delta2, "b2": delta2.sum(axis=0),
                "W3": A2.T @ delta3, "b3": delta3.sum(axis=0)}

Each dW has the shape of its W: (inputs × examples) @ (examples × outputs).'''


# ------------------------------------------------------------------ 07: a scalar engine of your own

#: Notebook 07's neuron for the scalar engine: loss = (sigmoid(w * INPUT + b) - TARGET)**2 at w, b = START.
SCALAR_NEURON_INPUT, SCALAR_NEURON_TARGET = 2.0, 1.0
SCALAR_NEURON_START = {"w": -1.5, "b": 0.5}


def _scalar_neuron_problem() -> GradientProblem:
    def neuron_loss(w: Any, b: Any) -> Any:
        return ((w * SCALAR_NEURON_INPUT + b).sigmoid() - SCALAR_NEURON_TARGET) ** 2

    return GradientProblem(neuron_loss, dict(SCALAR_NEURON_START))


def _scalar_neuron_gradients() -> dict[str, np.ndarray]:
    z = SCALAR_NEURON_START["w"] * SCALAR_NEURON_INPUT + SCALAR_NEURON_START["b"]
    s = 1.0 / (1.0 + math.exp(-z))
    dloss_dz = 2.0 * (s - SCALAR_NEURON_TARGET) * s * (1.0 - s)  # the square's slope, then σ' = σ(1 - σ)
    return {"w": np.array(dloss_dz * SCALAR_NEURON_INPUT), "b": np.array(dloss_dz)}


SCALAR_ENGINE_SOLUTION = '''\
The sigmoid's local derivative is σ'(z) = σ(z)(1 − σ(z)), and s already holds σ(z). Like every other
rule of the engine, the backward closure adds (local derivative) × (the output's grad) to the input's
grad, with += because a node can feed several others:

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data))
        out = Value(s, (self,))
        def _backward():
            self.grad += s * (1 - s) * out.grad
        out._backward = _backward
        return out

    Value.sigmoid = sigmoid

Run that cell, then answer = my_gradients(). With z = 2·(−1.5) + 0.5 = −2.5, σ(z) = 0.0759 and
dL/dz = 2(σ − 1)·σ(1 − σ) = −0.1296, so dL/dw = 2·dL/dz = −0.2591 and dL/db = −0.1296.'''


# ------------------------------------------------------------------ 08: the bug hunt


def bug_hunt_data() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Notebook 08's network data, ``X, labels, params``, exactly as its cell makes them."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((4, 4))
    labels = np.array([0, 2, 1, 3])
    params = {"W1": rng.standard_normal((4, 4)) * 0.7, "b1": rng.standard_normal(4) * 0.1,
              "W2": rng.standard_normal((4, 4)) * 0.7, "b2": rng.standard_normal(4) * 0.1}
    return X, labels, params


def _bug_hunt_problem() -> GradientProblem:
    X, labels, params = bug_hunt_data()

    def network_loss(W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
        scores = (X @ W1 + b1).tanh() @ W2 + b2
        return -scores.log_softmax(axis=1)[np.arange(len(labels)), labels].mean()

    return GradientProblem(network_loss, params)


def _bug_hunt_gradients() -> dict[str, np.ndarray]:
    X, labels, p = bug_hunt_data()
    Z1 = X @ p["W1"] + p["b1"]
    A1 = np.tanh(Z1)
    delta2 = (_softmax_rows(A1 @ p["W2"] + p["b2"]) - np.eye(4)[labels]) / len(X)
    delta1 = (delta2 @ p["W2"].T) * (1 - A1**2)
    return {"W1": X.T @ delta1, "b1": delta1.sum(axis=0), "W2": A1.T @ delta2, "b2": delta2.sum(axis=0)}


EXERCISES = [
    # ------------------------------------------------------------------ 05: the chain rule on graphs
    Exercise(
        id="05.integrates_or_differentiates",
        title='Does the backward pass "integrate the gradient"?',
        kind="choice", expected="differentiates", options=("integrates", "differentiates"),
        hints=(
            "Look at what the backward pass did at each node: what did it multiply?",
            "It multiplied local derivatives, by the chain rule. The weights then change by a plain sum of steps.",
        ),
        solution="It differentiates. At every node the backward pass multiplies local derivatives (the chain rule) "
                 "to get ∂f/∂x. Training then takes small steps w ← w − r·w̄; their sum is not an integral that "
                 "backprop computes.\n"
                 'Answer: "differentiates"',
    ),
    Exercise(
        id="05.two_paths",
        title="∂f/∂x for f = x·y + sin x at x = 1, y = 2",
        kind="number", expected=2 + math.cos(1.0), precision=SignificantFigures(3),
        hints=(
            "x reaches f along two paths: through the product x·y and through sin x. A node used on two paths "
            "gets the sum of their gradients.",
            "The product path gives ∂(x·y)/∂x = y; the sine path gives cos x.",
            'Add them at x = 1, y = 2: 2 + cos(1), in radians. Work it out to 3 significant figures, or type '
            '"2 + cos(1)" in quotes.',
        ),
        solution="∂f/∂x = y + cos x. At x = 1, y = 2: 2 + cos 1 = 2 + 0.5403… = 2.5403…\n"
                 "Answer: 2.54 (to 3 significant figures)",
    ),
    Exercise(
        id="05.bias_gradient",
        title="∂f/∂b for f = (w·x + b)²",
        kind="formula", expected="2*(w*x + b)", names={"u": "w*x", "v": "w*x + b"},
        hints=(
            "On the graph: u = w·x, then v = u + b, then f = v². Walk back from f to b.",
            "The square's local derivative is 2v; the sum's local derivative for b is 1.",
            "Multiply along the path: 2*v*1, with v = w*x + b (you may type v, or u for w*x).",
        ),
        solution="f = v² with v = wx + b. ∂f/∂v = 2v and ∂v/∂b = 1, so ∂f/∂b = 2v · 1 = 2(wx + b).\n"
                 'Answer: "2*(w*x + b)"',
    ),
    # ------------------------------------------------------------------ 06: activations and losses
    Exercise(
        id="06.softmax_stacked_sigmoids",
        title='Is it true? "Softmax is several sigmoids stacked"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Compare the sums printed above: what do softmax's outputs add up to, and the stacked sigmoids'?",
            "Softmax normalizes exponentials across the classes, so its outputs sum to 1; a sigmoid squashes "
            "each score on its own.",
        ),
        solution="False. Softmax's outputs sum to 1 (a distribution over the classes); stacked sigmoids σ(zᵢ) do "
                 "not. The true link: with two classes, softmax's first output is σ(z₀ − z₁).\n"
                 "Answer: false",
    ),
    Exercise(
        id="06.tanh_derivative",
        title="The derivative of tanh z",
        kind="formula", expected="1 - tanh(z)**2",
        hints=(
            "SymPy printed the derivatives of the activations near the top of this notebook.",
            "tanh z = sinh z / cosh z; the quotient rule gives (cosh² z − sinh² z) / cosh² z.",
            "cosh² − sinh² = 1, so the derivative is 1/cosh² z. Write it with tanh(z): 1/cosh² z = 1 − tanh² z.",
        ),
        solution="d/dz tanh z = (cosh² z − sinh² z)/cosh² z = 1/cosh² z = 1 − tanh² z (also written sech² z). "
                 "It is largest, 1, at z = 0.\n"
                 'Answer: "1 - tanh(z)**2" (or "sech(z)**2")',
    ),
    Exercise(
        id="06.softmax_gradient",
        title="∂L/∂z₀ for scores z = (2, 0), true class 0",
        kind="number", expected=math.exp(2) / (math.exp(2) + 1) - 1, precision=SignificantFigures(3),
        hints=(
            "After softmax, the gradient of the cross-entropy is p − y. Start with p₀, the probability of class 0.",
            "p₀ = e²/(e² + e⁰) = e²/(e² + 1) ≈ 0.8808. The true class is 0, so y₀ = 1.",
            "∂L/∂z₀ = p₀ − y₀. Mind the sign.",
        ),
        solution="p₀ = e²/(e² + 1) = 0.88080, y₀ = 1, so ∂L/∂z₀ = p₀ − 1 = −1/(e² + 1) = −0.11920…\n"
                 "Negative: raising z₀ lowers the loss.\n"
                 "Answer: −0.119 (to 3 significant figures)",
    ),
    # ------------------------------------------------------------------ 07: backprop in a network
    Exercise(
        id="07.binary_weights",
        title='Is it true? "Weights are matrices of 0s and 1s"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at the first weights printed above.",
            "Training moves each weight by a small amount. Could a weight that is only 0 or 1 take a small step?",
        ),
        solution="False. A layer's weights are real numbers, positive and negative (like the first weights "
                 "printed above), and training changes each of them by small amounts.\n"
                 "Answer: false",
    ),
    Exercise(
        id="07.parameter_count",
        title="How many numbers a 128 → 64 layer learns",
        kind="number", expected=128 * 64 + 64, precision=Exact("a whole number"),
        hints=(
            "Count the weights and the biases separately.",
            "W has shape 128 × 64, one weight per input per output; there is one bias per output.",
            "128 · 64 = 8192 weights; add the biases.",
        ),
        solution="128 × 64 = 8,192 weights, plus 64 biases: 8,256 numbers.\n"
                 "Answer: 8256",
    ),
    Exercise(
        id="07.three_layer_backward",
        title="The backward pass of a three-layer network, by hand",
        kind="gradients", expected=_three_layer_gradients, problem=_three_layer_problem,
        hints=(
            "Forward first, keeping what the backward pass needs: Z1 = X3 @ W1 + b1, A1 = np.maximum(Z1, 0), "
            "then Z2, A2 the same way, Z3 = A2 @ W3 + b3, and P, the softmax of each row of Z3.",
            "The output error is delta3 = (P - Y) / N, with Y = np.eye(3)[labels3] and N = 8 examples. "
            "For each layer: dW = A_previous.T @ delta and db = delta.sum(axis=0).",
            "One layer back: delta_previous = (delta @ W.T) * (Z > 0), ReLU's slope. The input of layer 1 is X3.",
        ),
        solution=THREE_LAYER_SOLUTION,
    ),
    Exercise(
        id="07.scalar_engine",
        title="Your scalar engine learns the sigmoid, checked against bplab",
        kind="gradients", expected=_scalar_neuron_gradients, problem=_scalar_neuron_problem,
        hints=(
            "The sigmoid's local derivative is σ'(z) = σ(z)(1 − σ(z)); the variable s already holds σ(z).",
            "Write it like tanh's rule in the engine: self.grad += (local derivative) * out.grad.",
            "The line is self.grad += s * (1 - s) * out.grad. Run that cell, then answer = my_gradients().",
        ),
        solution=SCALAR_ENGINE_SOLUTION,
    ),
    # ------------------------------------------------------------------ 08: batches and gradient checking
    Exercise(
        id="08.updates_per_epoch",
        title="Updates in one epoch: 50,000 examples in mini-batches of 250",
        kind="number", expected=200, precision=Exact("a whole number"),
        hints=(
            "One update per mini-batch. How many mini-batches make one pass over the data?",
            "Divide the number of examples by the batch size: 50,000 / 250.",
        ),
        solution="An epoch passes over all 50,000 examples once, one update per batch of 250: "
                 "50,000 / 250 = 200 updates.\n"
                 "Answer: 200",
    ),
    Exercise(
        id="08.falling_loss",
        title='Is it true? "A falling training loss shows that the backward pass is right"',
        kind="choice", expected="false", options=TRUE_FALSE,
        hints=(
            "Look at the run above with the buggy backward pass: what did its loss do?",
            "A direction that is only roughly downhill still lowers the loss for a while.",
        ),
        solution="False. The buggy backward pass above made the loss fall too (from 1.93 to about 0.69), while it "
                 "stalled far above what the true gradient reaches. A falling loss is weak evidence; a gradient "
                 "check is strong evidence.\n"
                 "Answer: false",
    ),
    Exercise(
        id="08.which_factor",
        title="Which factor of W1's gradient is wrong?",
        kind="choice", expected="input", options=("delta1", "input"),
        hints=(
            "W1's gradient is (the input of layer 1)ᵀ δ₁. Which check already tests δ₁ without that input?",
            "b1's gradient is the column sums of δ₁, made from δ₁ alone, and b1 passes.",
        ),
        solution='"input". b1 passes and its gradient is made from δ₁ alone, so δ₁ is very likely right. The other '
                 "factor, the input of layer 1, is wrong: backward passes A1, the input of layer 2, where layer 1's "
                 "input is X.\n"
                 'Answer: "input"',
    ),
    Exercise(
        id="08.fixed_backward",
        title="The fixed backward pass, checked entry by entry",
        kind="gradients", expected=_bug_hunt_gradients, problem=_bug_hunt_problem,
        hints=(
            "Layer 1 multiplies X in the forward pass: Z1 = X @ W1 + b1. Which array does backward give "
            "layer_gradients for layer 1?",
            "backward calls layer_gradients(A1, delta1) for layer 1, but A1 is the input of layer 2.",
            "Make it layer_gradients(X, delta1) in your copy, run that cell (all four pass), then "
            "answer = backward(params, X, Y).",
        ),
        solution="The input of layer 1 is X, not A1. In your copy of backward:\n\n"
                 "    grad_W1, grad_b1 = layer_gradients(X, delta1)\n\n"
                 "With the bias sum and the hidden error fixed above, all four checks pass. Then:\n\n"
                 "    answer = backward(params, X, Y)",
    ),
]
