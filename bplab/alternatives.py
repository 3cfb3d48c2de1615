r"""Learning without backprop's backward pass: the rules lesson 18 compares, on one small network.

The network: 2 inputs, ``HIDDEN`` tanh units, one logit; the loss is binary cross-entropy with
logits, averaged over the batch. Its parameters are one flat vector $\theta$ (see :func:`unpack`).
Each rule turns $\theta$ and a batch into an update direction $d$ (the step is $\theta - \eta d$) and
says how many forward-pass equivalents it spent:

* **backprop**: $d = \nabla L$, one forward and one backward pass;
* **feedback alignment** (Lillicrap et al., 2016): the backward pass sends the output error to the
  hidden layer through a fixed random matrix $B$ instead of $W_2^\top$ (no weight transport);
* **SPSA** (Spall, 1992), weight perturbation: $d = \frac{L(\theta + c\Delta) - L(\theta - c\Delta)}{2c}\,\Delta$
  with random signs $\Delta_i = \pm 1$: two evaluations, whatever the size of $\theta$;
* **evolution strategies** (Salimans et al., 2017): $d = \frac{1}{2\sigma P}\sum_{k=1}^{P}
  \bigl(L(\theta + \sigma\varepsilon_k) - L(\theta - \sigma\varepsilon_k)\bigr)\varepsilon_k$, Gaussian probes,
  antithetic pairs: $2P$ evaluations;
* **forward gradient** (Baydin et al., 2022): $d = (\nabla L \cdot v)\,v$ with $v \sim N(0, I)$, the
  directional derivative from one JVP (forward mode, :func:`bplab.func.jvp`): unbiased, no backward pass.

SPSA, evolution strategies and the forward gradient are estimates of $\nabla L$ (ES of a smoothed
loss's gradient) whose expectation is the gradient; :func:`cosine` measures how far one draw points
from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from bplab import func
from bplab.engine import Value

INPUTS, HIDDEN = 2, 16
#: Parameters: W1 (INPUTS x HIDDEN), b1 (HIDDEN), W2 (HIDDEN), b2 (1).
SIZE = INPUTS * HIDDEN + HIDDEN + HIDDEN + 1


def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Views of the flat parameter vector: ``W1`` (2 x 16), ``b1`` (16), ``w2`` (16), ``b2``."""
    theta = _checked_theta(theta)
    split = INPUTS * HIDDEN
    return (theta[:split].reshape(INPUTS, HIDDEN), theta[split:split + HIDDEN], theta[split + HIDDEN:split + 2 * HIDDEN],
            float(theta[-1]))


def _checked_theta(theta: np.ndarray) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (SIZE,):
        raise ValueError(f"theta: expected a flat vector of {SIZE} parameters, got shape {theta.shape}")
    return theta


def initial_parameters(seed: int = 0) -> np.ndarray:
    """Glorot-scaled weights, zero biases, as one flat vector."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((INPUTS, HIDDEN)) * np.sqrt(2.0 / (INPUTS + HIDDEN))
    w2 = rng.standard_normal(HIDDEN) * np.sqrt(2.0 / (HIDDEN + 1))
    return np.concatenate([W1.ravel(), np.zeros(HIDDEN), w2, [0.0]])


def logits(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The network's output before the sigmoid, one per row of ``X``."""
    W1, b1, w2, b2 = unpack(theta)
    return np.tanh(X @ W1 + b1) @ w2 + b2


def loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    r"""Binary cross-entropy with logits, $\operatorname{mean}(\log(1 + e^{z}) - y z)$, computed stably."""
    z = logits(theta, X)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def accuracy(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((logits(theta, X) > 0) == (y > 0.5)))


def loss_value(theta: Value, X: np.ndarray, y: np.ndarray) -> Value:
    """The same loss on bplab Values, for :mod:`bplab.func` (backprop and forward mode)."""
    split = INPUTS * HIDDEN
    W1 = theta[:split].reshape(INPUTS, HIDDEN)
    b1, w2, b2 = theta[split:split + HIDDEN], theta[split + HIDDEN:split + 2 * HIDDEN], theta[SIZE - 1:]
    z = (X @ W1 + b1).tanh() @ w2 + b2
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): stable for any z
    softplus = (z + z.abs()) * 0.5 + (1 + (-z.abs()).exp()).log()
    return (softplus - Value(y, requires_grad=False) * z).mean()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The cosine of the angle between two directions (0 when either is zero)."""
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norms) if norms > 0 else 0.0


# ---------------------------------------------------------------------------- the rules


def backprop_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""$\nabla L$ by reverse mode (one forward, one backward pass)."""
    return func.grad(lambda t: loss_value(t, X, y))(_checked_theta(theta)).data


def manual_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray, feedback: np.ndarray | None = None) -> np.ndarray:
    r"""The backward pass written out; with ``feedback`` $B$ the hidden error is $\delta_1 = (\delta_2 B) \odot (1 - h^2)$
    instead of $(\delta_2 w_2) \odot (1 - h^2)$: feedback alignment. Without it, the true gradient."""
    W1, b1, w2, b2 = unpack(theta)
    h = np.tanh(X @ W1 + b1)
    z = h @ w2 + b2
    delta2 = (0.5 * (1.0 + np.tanh(z / 2)) - y) / len(y)  # sigmoid(z) - y, written so as not to overflow
    backward = w2 if feedback is None else feedback
    delta1 = np.outer(delta2, backward) * (1 - h ** 2)
    return np.concatenate([(X.T @ delta1).ravel(), delta1.sum(axis=0), h.T @ delta2, [delta2.sum()]])


def feedback_matrix(seed: int = 0) -> np.ndarray:
    """The fixed random feedback weights of feedback alignment (one per hidden unit), drawn once."""
    return np.random.default_rng(seed + 1000).standard_normal(HIDDEN) * np.sqrt(2.0 / (HIDDEN + 1))


def spsa_estimate(theta: np.ndarray, X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                  c: float = 1e-3) -> np.ndarray:
    r"""SPSA: $\frac{L(\theta + c\Delta) - L(\theta - c\Delta)}{2c}\Delta$ with $\Delta_i = \pm 1$ (two evaluations)."""
    delta = rng.choice([-1.0, 1.0], size=SIZE)
    return (loss(theta + c * delta, X, y) - loss(theta - c * delta, X, y)) / (2 * c) * delta


def es_estimate(theta: np.ndarray, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, probes: int = 10,
                sigma: float = 0.02) -> np.ndarray:
    r"""Evolution strategies with antithetic Gaussian probes: $\frac{1}{2\sigma P}\sum_k (L(\theta+\sigma\varepsilon_k)
    - L(\theta-\sigma\varepsilon_k))\,\varepsilon_k$ ($2P$ evaluations)."""
    total = np.zeros(SIZE)
    for _ in range(probes):
        eps = rng.standard_normal(SIZE)
        total += (loss(theta + sigma * eps, X, y) - loss(theta - sigma * eps, X, y)) * eps
    return total / (2 * sigma * probes)


def forward_gradient_estimate(theta: np.ndarray, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r"""$(\nabla L \cdot v)\,v$, $v \sim N(0, I)$: the directional derivative by one JVP (forward mode), times $v$."""
    v = rng.standard_normal(SIZE)
    _, directional = func.jvp(lambda t: loss_value(t, X, y), (_checked_theta(theta),), (v,))
    return float(directional.item()) * v


@dataclass(frozen=True)
class Rule:
    """One learning rule: its update direction and its cost in forward-pass equivalents per step."""

    name: str
    direction: Callable[[np.ndarray, np.ndarray, np.ndarray, np.random.Generator, int, np.ndarray], np.ndarray]
    evaluations: Callable[[int], float]  # probes -> forward-pass equivalents a step
    estimates_gradient: bool  # an unbiased estimate of the gradient (else a different update rule)


#: The rules, by name. Costs count a backward pass as about two forward passes (lesson 15's cheap-gradient constant:
#: one forward pass plus a backward pass of 1-2 forward passes); a JVP as about two (the value and its tangent).
RULES: dict[str, Rule] = {
    "backprop": Rule("backprop", lambda t, X, y, rng, probes, B: backprop_gradient(t, X, y), lambda p: 3.0, True),
    "feedback alignment": Rule("feedback alignment", lambda t, X, y, rng, probes, B: manual_gradient(t, X, y, B),
                               lambda p: 3.0, False),
    "SPSA": Rule("SPSA", lambda t, X, y, rng, probes, B: spsa_estimate(t, X, y, rng), lambda p: 2.0, True),
    "evolution strategies": Rule("evolution strategies", lambda t, X, y, rng, probes, B: es_estimate(t, X, y, rng, probes),
                                 lambda p: 2.0 * p, True),
    "forward gradient": Rule("forward gradient", lambda t, X, y, rng, probes, B: forward_gradient_estimate(t, X, y, rng),
                             lambda p: 2.0, True),
}


@dataclass(frozen=True)
class Run:
    """One rule trained for some steps: the records the lesson plots."""

    rule: str
    steps: int
    train_loss: np.ndarray  # before each step, and after the last
    test_accuracy: np.ndarray  # likewise
    cosine_to_gradient: np.ndarray  # of each step's update with the true gradient at that point
    evaluations: np.ndarray  # forward-pass equivalents spent, cumulative, at each record
    theta: np.ndarray  # where it ended


def train(rule: str, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, steps: int = 300,
          rate: float = 0.5, probes: int = 10, seed: int = 0) -> Run:
    """``steps`` full-batch steps $\\theta \\leftarrow \\theta - \\eta d$ of ``rule`` from :func:`initial_parameters`."""
    run = None
    for run in train_in_pieces(rule, X, y, X_test, y_test, steps, rate, probes, seed, piece=steps):
        pass
    return run


def train_in_pieces(rule: str, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, steps: int = 300,
                    rate: float = 0.5, probes: int = 10, seed: int = 0, piece: int = 25) -> Iterator[Run]:
    """:func:`train`, yielding the run so far after every ``piece`` steps (the last yield is the finished run)."""
    if rule not in RULES:
        raise ValueError(f"rule: expected one of {', '.join(map(repr, RULES))}, got {rule!r}")
    for name, value in (("steps", steps), ("probes", probes)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a whole number of at least 1, got {value!r}")
    if not (isinstance(rate, (int, float)) and np.isfinite(rate) and rate > 0):
        raise ValueError(f"rate: expected a positive number, got {rate!r}")
    chosen = RULES[rule]
    rng = np.random.default_rng(seed + 7)
    theta, feedback = initial_parameters(seed), feedback_matrix(seed)
    losses, accuracies, cosines = [loss(theta, X, y)], [accuracy(theta, X_test, y_test)], []
    for step in range(1, steps + 1):
        direction = chosen.direction(theta, X, y, rng, probes, feedback)
        cosines.append(cosine(direction, manual_gradient(theta, X, y)))
        theta = theta - rate * direction
        losses.append(loss(theta, X, y))
        accuracies.append(accuracy(theta, X_test, y_test))
        if step % piece == 0 or step == steps:
            yield Run(rule=rule, steps=step, train_loss=np.array(losses), test_accuracy=np.array(accuracies),
                      cosine_to_gradient=np.array(cosines), evaluations=chosen.evaluations(probes) * np.arange(step + 1),
                      theta=theta.copy())
