r"""The forward-forward algorithm (Hinton, 2022) on a two-class task: two forward passes, no backward pass between layers.

Each example enters with a label written into it: $[x, \text{scale}\cdot\text{onehot}(c)]$. A
**positive** example carries its true label, a **negative** one the wrong label. Every layer
$h = \mathrm{ReLU}(u W + b)$ has its own objective: its *goodness* $G = \operatorname{mean}_j h_j^2$ should
be above a threshold $\theta$ for positive data and below it for negative data,

$$ \ell = \log\bigl(1 + e^{\theta - G_{+}}\bigr) + \log\bigl(1 + e^{G_{-} - \theta}\bigr), $$

and its weights follow the gradient of its own $\ell$ only, by Adam (plain gradient steps stall on the
moons): the layer's input $u$ is a constant (no gradient flows to the layer below). Hinton sums the
squares; the mean is the same with the threshold divided by the layer's width. Between layers the activity vector is scaled to unit
length, so that the next layer cannot read the goodness of the one below and must find new
features. A new example is classified by trying each label and choosing the one with the larger
total goodness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from bplab.engine import Value
from bplab.optim import Adam

LAYERS = (4, 32, 32)  # the input (2 coordinates + 2 label entries), then two ReLU layers
LABEL_SCALE = 1.0
THRESHOLD = 1.0
RATE = 0.1  # Adam's learning rate: plain gradient steps stall near 84% on the moons, Adam reaches 90-92%
#: Forward-pass equivalents a step: a positive and a negative pass, each with every layer's local backward pass
#: (about two forward passes' worth, lesson 15's cheap-gradient constant): 2 x 3.
EVALUATIONS_PER_STEP = 6.0


def with_label(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row of ``X`` followed by its label as a scaled one-hot pair."""
    return np.hstack([X, LABEL_SCALE * np.eye(2)[np.asarray(labels, dtype=int)]])


def _normalized(h: np.ndarray) -> np.ndarray:
    return h / (np.linalg.norm(h, axis=1, keepdims=True) + 1e-8)


class ForwardForwardNet:
    """Two ReLU layers, each with its own weights, its own objective and its own optimizer.

    ``params[k]`` is layer ``k``'s $[W, b]$ as one flat parameter; ``weights`` and ``biases`` are views of them.
    """

    def __init__(self, params: list[Value]) -> None:
        self.params = params

    @classmethod
    def create(cls, seed: int = 0) -> ForwardForwardNet:
        rng = np.random.default_rng(seed)
        return cls([Value(np.concatenate([(rng.standard_normal((m, n)) * np.sqrt(2.0 / m)).ravel(), np.zeros(n)]))
                    for m, n in zip(LAYERS, LAYERS[1:])])

    @property
    def weights(self) -> list[np.ndarray]:
        return [p.data[:m * n].reshape(m, n) for p, m, n in zip(self.params, LAYERS, LAYERS[1:])]

    @property
    def biases(self) -> list[np.ndarray]:
        return [p.data[m * n:] for p, m, n in zip(self.params, LAYERS, LAYERS[1:])]

    def layer_inputs(self, U: np.ndarray) -> list[np.ndarray]:
        """What each layer receives: the labelled input, then each layer's output scaled to unit length."""
        inputs = [U]
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            inputs.append(_normalized(np.maximum(inputs[-1] @ W + b, 0.0)))
        return inputs

    def goodness(self, U: np.ndarray) -> np.ndarray:
        """Each layer's goodness for each row: shape (layers, rows)."""
        return np.array([np.mean(np.maximum(u @ W + b, 0.0) ** 2, axis=1)
                         for u, W, b in zip(self.layer_inputs(U), self.weights, self.biases)])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The label whose labelled input has the larger total goodness."""
        totals = [self.goodness(with_label(X, np.full(len(X), c))).sum(axis=0) for c in (0, 1)]
        return (totals[1] > totals[0]).astype(int)


def layer_loss(params: Value, positive: np.ndarray, negative: np.ndarray, inputs: int, units: int) -> Value:
    r"""One layer's own objective $\ell$ (the module's formula), averaged over the batch; ``params`` is $[W, b]$ flat."""
    W, b = params[:inputs * units].reshape(inputs, units), params[inputs * units:]
    def goodness(U: np.ndarray) -> Value:
        z = U @ W + b
        h = (z + z.abs()) * 0.5  # ReLU
        return (h * h).mean(axis=1)
    def softplus(t: Value) -> Value:
        return (t + t.abs()) * 0.5 + (1 + (-t.abs()).exp()).log()
    return (softplus(THRESHOLD - goodness(positive)) + softplus(goodness(negative) - THRESHOLD)).mean()


def make_optimizers(net: ForwardForwardNet, rate: float = RATE) -> list[Adam]:
    """One Adam per layer: nothing is shared between the layers' updates."""
    return [Adam([p], lr=rate) for p in net.params]


def train_step(net: ForwardForwardNet, X: np.ndarray, y: np.ndarray, optimizers: list[Adam]) -> list[float]:
    """One full-batch step of every layer on its own objective; returns each layer's loss before the step."""
    positive, negative = with_label(X, y), with_label(X, 1 - np.asarray(y, dtype=int))
    pos_inputs, neg_inputs = net.layer_inputs(positive), net.layer_inputs(negative)  # arrays: constants to every layer
    losses = []
    for k, (param, optimizer) in enumerate(zip(net.params, optimizers)):
        objective = layer_loss(param, pos_inputs[k], neg_inputs[k], LAYERS[k], LAYERS[k + 1])
        losses.append(objective.item())
        optimizer.zero_grad()
        objective.backward()  # backprop inside this layer only: its inputs are constants
        optimizer.step()
    return losses


@dataclass(frozen=True)
class ForwardForwardRun:
    steps: int
    layer_losses: np.ndarray  # (steps, layers): each layer's own objective, before each step
    test_accuracy: np.ndarray  # before each step and after the last
    evaluations: np.ndarray  # forward-pass equivalents spent, cumulative
    net: ForwardForwardNet


def train(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, steps: int = 300,
          rate: float = RATE, seed: int = 0) -> ForwardForwardRun:
    """``steps`` full-batch forward-forward steps from :meth:`ForwardForwardNet.create`."""
    run = None
    for run in train_in_pieces(X, y, X_test, y_test, steps, rate, seed, piece=steps):
        pass
    return run


def train_in_pieces(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, steps: int = 300,
                    rate: float = RATE, seed: int = 0, piece: int = 25) -> Iterator[ForwardForwardRun]:
    """:func:`train`, yielding the run so far after every ``piece`` steps (the last yield is the finished run)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps: expected a whole number of at least 1, got {steps!r}")
    if not (isinstance(rate, (int, float)) and np.isfinite(rate) and rate > 0):
        raise ValueError(f"rate: expected a positive number, got {rate!r}")
    net = ForwardForwardNet.create(seed)
    optimizers = make_optimizers(net, rate)
    losses, accuracies = [], [float(np.mean(net.predict(X_test) == y_test))]
    for step in range(1, steps + 1):
        losses.append(train_step(net, X, y, optimizers))
        accuracies.append(float(np.mean(net.predict(X_test) == y_test)))
        if step % piece == 0 or step == steps:
            yield ForwardForwardRun(steps=step, layer_losses=np.array(losses), test_accuracy=np.array(accuracies),
                                    evaluations=EVALUATIONS_PER_STEP * np.arange(step + 1), net=net)
