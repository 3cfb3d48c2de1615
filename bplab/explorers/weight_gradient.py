r"""One weight's gradient as the chain rule computes it, example by example.

For a weight $w$ from node $i$ of one layer to node $j$ of the next, with $a_i$ what comes in along
$w$ and $z_j = \sum_i a_i w_{ij} + b_j$ the pre-activation of the neuron it feeds,

$$\frac{\partial L}{\partial w_{ij}} = \sum_{n} \delta_j^{(n)}\, a_i^{(n)}, \qquad
\delta_j^{(n)} = \frac{\partial L}{\partial z_j^{(n)}},$$

a sum over the examples $n$ of the batch (the loss's mean is inside $\delta$). :func:`weight_gradient`
computes both factors with bplab's engine (one forward and one backward pass, nothing stored in any
``.grad``), their sum, and backprop's own $\partial L/\partial w$ to compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from bplab.engine import Value, gradients


@dataclass(frozen=True)
class WeightGradient:
    """The chain-rule arithmetic of ``weight[source, target]`` of linear layer ``layer`` (all from 0)."""

    layer: int
    source: int
    target: int
    weight: float
    inputs: np.ndarray  # a_i for each example of the batch
    deltas: np.ndarray  # δ_j = ∂L/∂z_j for each example
    backprop: float  # ∂L/∂w from the engine's backward pass

    @property
    def terms(self) -> np.ndarray:
        """δ_j · a_i, example by example."""
        return self.deltas * self.inputs

    @property
    def total(self) -> float:
        """Σ δ_j a_i: the chain rule's ∂L/∂w (equal to :attr:`backprop` up to rounding)."""
        return float(np.sum(self.terms))


def weight_gradient(layers: Sequence[Any], loss_fn: Callable[[Value, np.ndarray], Value], X: np.ndarray,
                    y: np.ndarray, layer: int, source: int, target: int) -> WeightGradient:
    r"""The arithmetic of $\partial L/\partial w$ for ``w = weight[source, target]`` of the ``layer``-th linear
    layer of ``layers`` (a network's modules in order), on the batch ``(X, y)``."""
    linear = [k for k, module in enumerate(layers) if getattr(module, "weight", None) is not None]
    if not 0 <= layer < len(linear):
        raise ValueError(f"layer: expected a linear layer from 0 to {len(linear) - 1}, got {layer!r}")
    weight = layers[linear[layer]].weight
    fan_in, fan_out = weight.data.shape
    if not (0 <= source < fan_in and 0 <= target < fan_out):
        raise ValueError(f"source, target: expected 0 <= source < {fan_in} and 0 <= target < {fan_out} "
                         f"(layer {layer}'s weight is {fan_in} x {fan_out}), got {source!r}, {target!r}")
    h: Any = X
    for k, module in enumerate(layers):
        if k == linear[layer]:
            incoming = h.data if isinstance(h, Value) else np.asarray(h)
            h = pre_activation = module(h)
        else:
            h = module(h)
    loss = loss_fn(h, y)
    delta, weight_grad = gradients(loss, [pre_activation, weight])
    return WeightGradient(layer, source, target, float(weight.data[source, target]), incoming[:, source].copy(),
                          delta[:, target].copy(), float(weight_grad[source, target]))


def _number(value: float, digits: str = ".2g") -> str:
    """``value`` formatted with ``digits``, with a true minus sign (as the lesson's text writes it); never "−0"."""
    return format(value if value else 0.0, digits).replace("-", "−")  # -0.0 is falsy: printed as 0


def arithmetic_text(explained: WeightGradient, source_name: str, target_name: str, rate: float, batch_words: str) -> str:
    """The status line's account of one weight's gradient (HTML): the sum written out, then backprop's value."""
    terms = [f"({_number(d)})({_number(a)})" for d, a in zip(explained.deltas[:3], explained.inputs[:3])]
    more = len(explained.deltas) - len(terms)
    written = " + ".join(terms) + (f" + … ({more:,} more)" if more else "")
    return (f"<b>The weight w</b> (highlighted, from {source_name} to {target_name}; now {_number(explained.weight, '.4g')}): "
            f"∂L/∂w = Σ δ·a over {batch_words}, where a is what comes in along w and δ = ∂L/∂z is the error at the "
            f"neuron w feeds (the loss is the batch's mean, so each δ carries its 1/N): {written} = <b>{_number(explained.total, '.4g')}</b>. Backprop's ∂L/∂w: "
            f"{_number(explained.backprop, '.4g')}; the next step moves w by −{rate:.3g} × that = "
            f"{_number(-rate * explained.backprop, '+.3g')}.{_why_zero(explained)}")


def _why_zero(explained: WeightGradient) -> str:
    """A sentence when one factor is 0 for every example: the gradient is 0 whatever the other factor."""
    if not np.any(explained.inputs):
        return (" Every a is 0: the node w comes from outputs 0 for every example of this batch (a ReLU that is off "
                "everywhere, or a neuron whose weights and bias are all 0), so w gets no gradient and does not move.")
    if not np.any(explained.deltas):
        return (" Every δ is 0: the neuron w feeds passes no error back on this batch, because its slope f′(z) is 0 for "
                "every example (a ReLU with z < 0 everywhere: a dead neuron) or nothing after it depends on it; so w gets "
                "no gradient and does not move.")
    return ""
