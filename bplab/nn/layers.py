r"""Layers: :class:`Linear`, the activation modules, :class:`Flatten`, and the :class:`MLP` built from them.

**Layout.** :class:`Linear` stores its weight as ``(in_features, out_features)`` and computes
$y = xW + b$ for a batch ``x`` of shape ``(N, in_features)``: one row per example, the layout
the lessons teach. (PyTorch stores the transpose and computes $x W^\top + b$; the numbers are
the same.)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from bplab import init as initializers
from bplab.engine import Value, as_operand, as_value
from bplab.nn import functional
from bplab.nn.checks import check_batch
from bplab.nn.module import Lambda, Module, Sequential, Tensor
from bplab.validation import make_rng, whole_number


class Linear(Module):
    r"""$y = xW + b$ with ``W`` of shape ``(in_features, out_features)`` and ``b`` of shape ``(out_features,)``.

    ``init`` names a scheme of :mod:`bplab.init` (default ``"pytorch_default"``:
    $U(\pm 1/\sqrt{\text{in\_features}})$ for weight and bias, as ``torch.nn.Linear``) or is
    a function ``(shape, rng) -> array``. With another scheme the bias starts at zero unless
    ``bias_init`` says otherwise. Pass ``seed=`` or ``rng=`` for reproducible weights.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | initializers.InitScheme = "pytorch_default",
        bias_init: str | initializers.InitScheme | None = None,
        rng: np.random.Generator | int | None = None,
        seed: int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        self.in_features = whole_number(in_features, "in_features")
        self.out_features = whole_number(out_features, "out_features")
        generator = make_rng(rng, seed)
        scheme = initializers.get_scheme(init)
        self.weight = Value(np.asarray(scheme((self.in_features, self.out_features), generator), dtype=dtype), name="W")
        self.bias: Value | None = None
        if bias:
            if bias_init is None and scheme is initializers.pytorch_default:
                bound = 1.0 / np.sqrt(self.in_features)
                data = generator.uniform(-bound, bound, size=self.out_features)
            else:
                data = initializers.get_scheme(bias_init or "zeros")((self.out_features,), generator)
            self.bias = Value(np.asarray(data, dtype=dtype), name="b")

    def forward(self, x: Tensor) -> Value:
        x = as_operand(x, "x")
        shape = x.shape
        if len(shape) == 0 or shape[-1] != self.in_features:
            got = "a single number" if len(shape) == 0 else f"shape {shape}"
            raise ValueError(
                f"{self!r}: x: expected shape (N, {self.in_features}) (last size = in_features = "
                f"{self.in_features}), got {got}; the data has {shape[-1] if shape else 0} features per "
                f"example, so build Linear({shape[-1] if shape else 1}, {self.out_features}) or fix the data"
            )
        check_batch(x, self, "x")
        return functional.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")


# ---------------------------------------------------------------------------- activations


class Sigmoid(Module):
    r"""$\sigma(x) = 1/(1 + e^{-x})$, entry by entry; $\sigma' = \sigma(1 - \sigma)$."""

    def forward(self, x: Tensor) -> Value:
        return functional.sigmoid(x)


class Tanh(Module):
    r"""$\tanh x$, entry by entry; $\tanh' = 1 - \tanh^2$."""

    def forward(self, x: Tensor) -> Value:
        return functional.tanh(x)


class ReLU(Module):
    r"""$\max(0, x)$, entry by entry; derivative 1 above 0, 0 below (0 at the kink, as PyTorch)."""

    def forward(self, x: Tensor) -> Value:
        return functional.relu(x)


class Identity(Module):
    """Passes its input through unchanged."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Softmax(Module):
    r"""$e^{x_i} / \sum_j e^{x_j}$ along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Value:
        return functional.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Flatten(Module):
    """Reshape ``(N, d1, d2, ...)`` to ``(N, d1·d2·...)``: from images to feature vectors."""

    def forward(self, x: Tensor) -> Value:
        x = as_value(x, "x")
        return x.reshape(x.shape[0], -1)


ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "identity": Identity, "linear": Identity,
}


def _activation(activation: str | Module | type[Module] | Callable | None) -> Module:
    if activation is None:
        return Identity()
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if isinstance(activation, str):
        if activation.lower() not in ACTIVATIONS:
            raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        return ACTIVATIONS[activation.lower()]()
    if callable(activation):
        return Lambda(activation)
    raise TypeError(f"activation: expected a name like 'tanh', a Module or a function, got {type(activation).__name__}")


# ---------------------------------------------------------------------------- models


class MLP(Sequential):
    r"""A multilayer perceptron: ``MLP([2, 16, 16, 1])`` is Linear(2, 16), act, Linear(16, 16), act, Linear(16, 1).

    ``activation`` goes between layers (a name: ``"tanh"``, ``"relu"``, ``"sigmoid"``,
    ``"identity"``; a Module; or a function of Values); ``output_activation`` after the last
    (default none: the output is logits or a regression value). ``init`` as in :class:`Linear`.
    One ``rng`` (or ``seed``) draws all layers, so the same seed gives the same network.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Module | type[Module] | Callable | None = "tanh",
        output_activation: str | Module | type[Module] | Callable | None = None,
        init: str | initializers.InitScheme = "pytorch_default",
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        seed: int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least two sizes (inputs and outputs), e.g. [2, 16, 1], got {sizes}")
        generator = make_rng(rng, seed)
        layers: list[Module] = []
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, bias=bias, init=init, rng=generator, dtype=dtype))
            last = k == len(sizes) - 2
            if not last:
                layers.append(_activation(activation))
            elif output_activation is not None:
                layers.append(_activation(output_activation))
        super().__init__(*layers)
        self.sizes = sizes

    @property
    def linear_layers(self) -> list[Linear]:
        """The Linear layers, first to last (for per-layer plots)."""
        return [layer for layer in self.layers if isinstance(layer, Linear)]
