r"""Layers, models and losses, with PyTorch's names, on bplab's engine.

>>> from bplab import nn
>>> model = nn.MLP([2, 16, 16, 1], activation="tanh", seed=0)
>>> loss = nn.binary_cross_entropy_with_logits(model(X), y)      # doctest: +SKIP
>>> loss.backward()                                                # doctest: +SKIP

**Layout.** :class:`Linear` stores its weight as ``(in_features, out_features)`` and computes
$y = xW + b$ for a batch ``x`` of shape ``(N, in_features)``: one row per example, the layout
the lessons teach. (PyTorch stores the transpose and computes $x W^\top + b$; the numbers are
the same.)

Inputs that need no gradient cost nothing: a data batch passed as a NumPy array is a
constant, and the backward pass computes no gradient for it.

The fused losses (:func:`cross_entropy`, :func:`binary_cross_entropy_with_logits`,
:func:`binary_cross_entropy`) are single primitives, like PyTorch's: stable for any logits,
and their backward rule is the famous one, $\partial L/\partial z = (p - y)/N$.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from bplab import init as initializers
from bplab.engine import Value, apply
from bplab.ops import Primitive, _objects, _sympy, stable_log_sigmoid, stable_sigmoid

Tensor = Value | np.ndarray  # what layers and losses accept


# ============================================================================ modules


class Module:
    """Base class of layers and models: ``module(x)`` runs ``forward(x)``.

    Parameters are found by looking at the attributes: every :class:`Value` that requires a
    gradient, and the parameters of every sub-module (also inside lists), in the order the
    attributes were set.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, x)")

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, attribute in vars(self).items():
            if isinstance(attribute, Module):
                yield name, attribute
            elif isinstance(attribute, (list, tuple)):
                for index, item in enumerate(attribute):
                    if isinstance(item, Module):
                        yield (str(index) if name == "layers" else f"{name}.{index}"), item

    def children(self) -> list[Module]:
        return [child for _, child in self.named_children()]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(name, parameter)`` pairs, e.g. ``("0.weight", W)``, as in PyTorch; each parameter once."""
        seen: set[int] = set()
        for name, parameter in self._named_parameters(prefix):
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Value]]:
        children = dict(self.named_children())
        for name, attribute in vars(self).items():
            if isinstance(attribute, Value) and attribute.requires_grad:
                yield prefix + name, attribute
        for name, child in children.items():
            yield from child._named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Value]:
        """Every trainable Value of this module and its sub-modules (a list, each once)."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the accumulated gradients of every parameter (call between training steps)."""
        for parameter in self.parameters():
            parameter.zero_grad()

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's numbers, by name (to save, restore or compare a model)."""
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter's numbers from ``state`` (names as in :meth:`named_parameters`)."""
        parameters = dict(self.named_parameters())
        missing, unexpected = sorted(set(parameters) - set(state)), sorted(set(state) - set(parameters))
        if missing or unexpected:
            raise KeyError(f"state: expected the names {sorted(parameters)}; missing {missing}, unexpected {unexpected}")
        for name, parameter in parameters.items():
            array = np.asarray(state[name], dtype=parameter.data.dtype)
            if array.shape != parameter.data.shape:
                raise ValueError(f"state[{name!r}]: expected shape {parameter.data.shape}, got {array.shape}")
            parameter.data = array.copy()
            parameter.zero_grad()

    def num_parameters(self) -> int:
        """How many numbers the model learns."""
        return int(sum(p.data.size for p in self.parameters()))

    def to(self, dtype: Any) -> Module:
        """Convert every parameter to ``dtype`` (``np.float32`` or ``np.float64``) in place; returns self."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype: expected a float type such as np.float32 or np.float64, got {dtype}")
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype)
            parameter.zero_grad()
        return self

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            lines.extend(f"  ({name}): " + line if k == 0 else "  " + line for k, line in enumerate(repr(child).split("\n")))
        return "\n".join(lines + [")"])

    def extra_repr(self) -> str:
        return ""


def _owner_and_attribute(module: Module, name: str) -> tuple[Any, str]:
    *path, attribute = name.split(".")
    owner: Any = module
    for part in path:
        owner = owner[int(part)] if part.isdigit() and isinstance(owner, (list, tuple, Sequential)) else getattr(owner, part)
    return owner, attribute


def functional_call(module: Module, parameters: dict[str, Value], *args: Any, **kwargs: Any) -> Any:
    """Run ``module(*args)`` with some parameters replaced by the given Values (PyTorch's ``torch.func.functional_call``).

    With leaves of your own as parameters, :func:`bplab.compare` and :func:`bplab.gradcheck`
    can check a whole layer: ``compare(lambda W, b: functional_call(layer, {"weight": W, "bias": b}, x).sum(), at=...)``.
    """
    known = dict(module.named_parameters())
    originals = {}
    try:
        for name, value in parameters.items():
            if name not in known:
                raise KeyError(f"parameters: {name!r} is not a parameter of {type(module).__name__}; it has {sorted(known)}")
            owner, attribute = _owner_and_attribute(module, name)
            originals[name] = (owner, attribute, getattr(owner, attribute))
            setattr(owner, attribute, value)
        return module(*args, **kwargs)
    finally:
        for owner, attribute, original in originals.values():
            setattr(owner, attribute, original)


def _as_operand(x: Any, argument: str) -> Tensor:
    """A Value stays a Value; anything else becomes a float NumPy array (a constant)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x
    array = np.asarray(x)
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype.kind != "f":
        raise TypeError(f"{argument}: expected a Value or an array of numbers, got {type(x).__name__} of dtype {array.dtype}")
    return array


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
        for argument, size in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
                raise ValueError(f"{argument}: expected a whole number of at least 1, got {size!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        generator = initializers.make_rng(rng, seed)
        scheme = initializers.get_scheme(init)
        self.weight = Value(np.asarray(scheme((self.in_features, self.out_features), generator), dtype=dtype), name="W")
        self.bias: Value | None = None
        if bias:
            if bias_init is None and initializers.get_scheme(init) is initializers.pytorch_default:
                bound = 1.0 / np.sqrt(self.in_features)
                data = generator.uniform(-bound, bound, size=self.out_features)
            else:
                data = initializers.get_scheme(bias_init or "zeros")((self.out_features,), generator)
            self.bias = Value(np.asarray(data, dtype=dtype), name="b")

    def forward(self, x: Tensor) -> Value:
        x = _as_operand(x, "x")
        shape = x.shape
        if len(shape) == 0 or shape[-1] != self.in_features:
            got = "a single number" if len(shape) == 0 else f"shape {shape}"
            raise ValueError(
                f"{self!r}: x: expected shape (N, {self.in_features}) (last size = in_features = "
                f"{self.in_features}), got {got}; the data has {shape[-1] if shape else 0} features per "
                f"example, so build Linear({shape[-1] if shape else 1}, {self.out_features}) or fix the data"
            )
        if len(shape) >= 2 and shape[0] == 0:
            raise ValueError(f"{self!r}: x: expected at least one example, got an empty batch of shape {shape}")
        out = x @ self.weight
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")


# ---------------------------------------------------------------------------- activations


class Sigmoid(Module):
    r"""$\sigma(x) = 1/(1 + e^{-x})$, entry by entry; $\sigma' = \sigma(1 - \sigma)$."""

    def forward(self, x: Tensor) -> Value:
        return _value(x).sigmoid()


class Tanh(Module):
    r"""$\tanh x$, entry by entry; $\tanh' = 1 - \tanh^2$."""

    def forward(self, x: Tensor) -> Value:
        return _value(x).tanh()


class ReLU(Module):
    r"""$\max(0, x)$, entry by entry; derivative 1 above 0, 0 below (0 at the kink, as PyTorch)."""

    def forward(self, x: Tensor) -> Value:
        return _value(x).relu()


class Identity(Module):
    """Passes its input through unchanged."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Softmax(Module):
    r"""$e^{x_i} / \sum_j e^{x_j}$ along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Value:
        return softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Flatten(Module):
    """Reshape ``(N, d1, d2, ...)`` to ``(N, d1·d2·...)``: from images to feature vectors."""

    def forward(self, x: Tensor) -> Value:
        x = _value(x)
        return x.reshape(x.shape[0], -1)


ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "identity": Identity, "linear": Identity,
}


def _value(x: Any) -> Value:
    if isinstance(x, Value):
        return x
    return Value(_as_operand(x, "x"), requires_grad=False)


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


class Lambda(Module):
    """Wraps a function of Values as a module (e.g. ``Lambda(lambda x: x.sin())``)."""

    def __init__(self, function: Callable[[Value], Value]) -> None:
        self.function = function

    def forward(self, x: Tensor) -> Value:
        return self.function(_value(x))

    def extra_repr(self) -> str:
        return getattr(self.function, "__name__", "function")


# ---------------------------------------------------------------------------- containers


class Sequential(Module):
    """Runs its layers one after another: ``Sequential(Linear(2, 8), Tanh(), Linear(8, 1))``.

    The k-th layer that has parameters gets them renamed ``W`` → ``Wk``, ``b`` → ``bk``
    (1-based), so that formulas from :func:`bplab.to_sympy` tell the layers apart.
    """

    def __init__(self, *layers: Module) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"layers[{index}]: expected a Module such as Linear(2, 3) or Tanh(), got {type(layer).__name__}; "
                    "wrap a function with nn.Lambda(...)"
                )
        self.layers: list[Module] = list(layers)
        number = 0
        for layer in self.layers:
            own = layer.parameters()
            if own:
                number += 1
                for parameter in own:
                    if parameter.name and not parameter.name[-1].isdigit():
                        parameter.name = f"{parameter.name}{number}"

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


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
        generator = initializers.make_rng(rng, seed)
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


# ============================================================================ functional


def softmax(x: Tensor, dim: int = -1) -> Value:
    r"""$\operatorname{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}$ along ``dim``, computed stably (as $e^{\text{log-softmax}}$).

    Its Jacobian is $\operatorname{diag}(p) - p p^\top$: every output depends on every input.
    """
    return _value(x).softmax(axis=dim)


def log_softmax(x: Tensor, dim: int = -1) -> Value:
    r"""$x_i - \ln \sum_j e^{x_j}$ along ``dim``: finite for any logits."""
    return _value(x).log_softmax(axis=dim)


def sigmoid(x: Tensor) -> Value:
    r"""$\sigma(x) = 1/(1 + e^{-x})$."""
    return _value(x).sigmoid()


def tanh(x: Tensor) -> Value:
    return _value(x).tanh()


def relu(x: Tensor) -> Value:
    return _value(x).relu()


# ---------------------------------------------------------------------------- input checks

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")


def _check_same_shape(prediction: Tensor, target: Tensor, loss: str, argument: str) -> None:
    input_shape, target_shape = prediction.shape, target.shape
    if input_shape and input_shape[0] == 0:
        raise ValueError(f"{loss}: {argument}: expected at least one example, got an empty batch of shape {input_shape}")
    if input_shape == target_shape:
        return
    hint = ""
    if len(target_shape) == 1 and len(input_shape) == 2 and input_shape[0] == target_shape[0]:
        if input_shape[1] == 1:
            hint = "; reshape the target to a column: y.reshape(-1, 1)"
        else:
            hint = (
                f"; a target of shape {target_shape} with {input_shape[1]} outputs per example looks like class "
                "indices: use nn.cross_entropy(logits, classes)"
            )
    elif len(target_shape) == 2 and len(input_shape) == 1 and target_shape[1] == 1:
        hint = "; flatten the target: y.reshape(-1)"
    raise ValueError(f"{loss}: target: expected the same shape as {argument} {input_shape}, got {target_shape}{hint}")


def _reduce(per_entry: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.mean(per_entry)
    if reduction == "sum":
        return np.sum(per_entry)
    return per_entry


def _reduce_vjp(g: np.ndarray, shape: tuple[int, ...], reduction: str) -> np.ndarray:
    """The gradient each entry receives from the reduction: g/n, g, or g itself."""
    if reduction == "mean":
        return np.broadcast_to(g / max(1, int(np.prod(shape))), shape)
    if reduction == "sum":
        return np.broadcast_to(g, shape)
    return g


def _reduce_sympy(objects: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return _objects(np.sum(objects) / _sympy().Integer(max(1, objects.size)))
    if reduction == "sum":
        return _objects(np.sum(objects))
    return _objects(objects)


# ---------------------------------------------------------------------------- losses


def mse_loss(prediction: Tensor, target: Tensor, reduction: str = "mean") -> Value:
    r"""Mean squared error $L = \frac{1}{n}\sum_i (\hat y_i - y_i)^2$; $\partial L/\partial \hat y_i = \frac{2}{n}(\hat y_i - y_i)$."""
    _check_reduction(reduction)
    prediction, target = _value(prediction), _as_operand(target, "target")
    _check_same_shape(prediction, target, "mse_loss", "prediction")
    squared = (prediction - target) ** 2
    return squared.mean() if reduction == "mean" else squared.sum() if reduction == "sum" else squared


def _bce_with_logits_forward(z, y, reduction="mean"):
    # (1 - y) z + ln(1 + e^{-z}) = (1 - y) z - ln sigma(z), finite for every z
    return _reduce((1.0 - y) * z - stable_log_sigmoid(z), reduction)


def _bce_with_logits_sympy(z, y, reduction="mean"):
    sp = _sympy()
    per_entry = np.frompyfunc(lambda zi, yi: (1 - yi) * zi + sp.log(1 + sp.exp(-zi)), 2, 1)(z, y)
    return _reduce_sympy(per_entry, reduction)


bce_with_logits_primitive = Primitive(
    name="binary_cross_entropy_with_logits",
    forward=_bce_with_logits_forward,
    vjps=(
        lambda g, out, z, y, reduction="mean": _reduce_vjp(g, z.shape, reduction) * (stable_sigmoid(z) - y),
        lambda g, out, z, y, reduction="mean": _reduce_vjp(g, z.shape, reduction) * -z,
    ),
    to_sympy=_bce_with_logits_sympy,
    formula=r"L = -[y \ln\sigma(z) + (1-y)\ln(1-\sigma(z))],\quad \partial L/\partial z = \sigma(z) - y",
    shape_rule="logits and targets must have the same shape",
)


def binary_cross_entropy_with_logits(logits: Tensor, target: Tensor, reduction: str = "mean") -> Value:
    r"""Binary cross-entropy of $\hat y = \sigma(z)$ from the logits $z$, in one stable step.

    $L = -\frac1n\sum_i [y_i \ln\sigma(z_i) + (1 - y_i)\ln(1 - \sigma(z_i))]$, and
    $\partial L/\partial z_i = (\sigma(z_i) - y_i)/n$: no saturation, finite for any $z$.
    """
    _check_reduction(reduction)
    logits, target = _value(logits), _as_operand(target, "target")
    _check_same_shape(logits, target, "binary_cross_entropy_with_logits", "logits")
    _check_probabilities(target, "binary_cross_entropy_with_logits", "target")
    return apply(bce_with_logits_primitive, logits, target, reduction=reduction)


def _check_probabilities(x: Tensor, loss: str, argument: str) -> None:
    data = x.data if isinstance(x, Value) else x
    slack = 1e-4  # rounding, and the small nudges of a finite-difference check
    if data.size and (np.nanmin(data) < -slack or np.nanmax(data) > 1 + slack):
        extra = (
            "; the model's output is not a probability: apply .sigmoid() first or use "
            "binary_cross_entropy_with_logits(logits, target)"
            if argument != "target"
            else "; binary targets are 0 or 1 (for class indices 0..C-1 use cross_entropy)"
        )
        raise ValueError(
            f"{loss}: {argument}: expected values between 0 and 1, got values from "
            f"{float(np.nanmin(data)):.4g} to {float(np.nanmax(data)):.4g}{extra}"
        )


_LOG_FLOOR = -100.0  # PyTorch clamps ln(p) and ln(1 - p) at -100 so that p = 0 gives a finite loss
_DENOMINATOR_FLOOR = 1e-12  # and keeps p(1 - p) away from 0 in the gradient


def _bce_forward(p, y, reduction="mean"):
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), _LOG_FLOOR)
        log_not_p = np.maximum(np.log1p(-p), _LOG_FLOOR)
    return _reduce(-(y * log_p + (1.0 - y) * log_not_p), reduction)


def _bce_vjp_input(g, out, p, y, reduction="mean"):
    return _reduce_vjp(g, p.shape, reduction) * (p - y) / np.maximum(p * (1.0 - p), _DENOMINATOR_FLOOR)


def _bce_vjp_target(g, out, p, y, reduction="mean"):
    with np.errstate(divide="ignore"):
        log_odds = np.maximum(np.log(p), _LOG_FLOOR) - np.maximum(np.log1p(-p), _LOG_FLOOR)
    return _reduce_vjp(g, p.shape, reduction) * -log_odds


def _bce_sympy(p, y, reduction="mean"):
    sp = _sympy()
    per_entry = np.frompyfunc(lambda pi, yi: -(yi * sp.log(pi) + (1 - yi) * sp.log(1 - pi)), 2, 1)(p, y)
    return _reduce_sympy(per_entry, reduction)


bce_primitive = Primitive(
    name="binary_cross_entropy",
    forward=_bce_forward,
    vjps=(_bce_vjp_input, _bce_vjp_target),
    to_sympy=_bce_sympy,
    formula=r"L = -[y\ln p + (1-y)\ln(1-p)],\quad \partial L/\partial p = \frac{p - y}{p(1-p)}",
    shape_rule="probabilities and targets must have the same shape",
)


def binary_cross_entropy(prediction: Tensor, target: Tensor, reduction: str = "mean") -> Value:
    r"""$L = -\frac1n\sum_i [y_i \ln p_i + (1 - y_i)\ln(1 - p_i)]$ for probabilities $p_i \in [0, 1]$.

    $\partial L/\partial p_i = \frac{p_i - y_i}{n\,p_i(1 - p_i)}$. Logs are clamped at −100 as in
    PyTorch. Given logits, prefer :func:`binary_cross_entropy_with_logits` (stable, no saturation).
    """
    _check_reduction(reduction)
    prediction, target = _value(prediction), _as_operand(target, "target")
    _check_same_shape(prediction, target, "binary_cross_entropy", "prediction")
    _check_probabilities(prediction, "binary_cross_entropy", "prediction")
    _check_probabilities(target, "binary_cross_entropy", "target")
    return apply(bce_primitive, prediction, target, reduction=reduction)


def _log_softmax_rows(z: np.ndarray) -> np.ndarray:
    shifted = z - np.max(z, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _cross_entropy_forward(z, target, reduction="mean"):
    picked = _log_softmax_rows(z)[np.arange(z.shape[0]), target]
    return _reduce(-picked, reduction)


def _cross_entropy_vjp(g, out, z, target, reduction="mean"):
    # softmax minus one-hot: the gradient is p - y
    grad = np.exp(_log_softmax_rows(z))
    grad[np.arange(z.shape[0]), target] -= 1.0
    if reduction == "mean":
        return grad * (g / z.shape[0])
    if reduction == "sum":
        return grad * g
    return grad * g[:, None]


def _cross_entropy_sympy(z, target, reduction="mean"):
    sp = _sympy()
    losses = np.empty(z.shape[0], dtype=object)
    for n in range(z.shape[0]):
        losses[n] = sp.log(sum(sp.exp(v) for v in z[n])) - z[n, int(target[n])]
    if reduction == "mean":
        return _objects(np.sum(losses) / sp.Integer(z.shape[0]))
    return _reduce_sympy(losses, reduction)


cross_entropy_primitive = Primitive(
    name="cross_entropy",
    forward=_cross_entropy_forward,
    vjps=(_cross_entropy_vjp,),
    to_sympy=_cross_entropy_sympy,
    formula=r"L = -\ln \operatorname{softmax}(z)_y,\quad \partial L/\partial z = p - \operatorname{onehot}(y)",
    shape_rule="logits (N, C) and integer classes (N,) with values 0..C-1",
)


def _class_indices(target: Any, n_examples: int, n_classes: int) -> np.ndarray:
    if isinstance(target, Value):
        target = target.data
    array = np.asarray(target)
    if array.dtype.kind == "f":
        hint = (
            "; these look like one-hot rows: pass target.argmax(axis=1)"
            if array.ndim == 2 else
            "; if they are whole numbers, convert: target.astype(int)"
        )
        raise TypeError(
            f"cross_entropy: target: expected integer class indices 0..{n_classes - 1} of shape ({n_examples},), "
            f"got a float array of shape {array.shape}{hint}"
        )
    if array.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target: expected integer class indices, got dtype {array.dtype}")
    if array.shape != (n_examples,):
        raise ValueError(
            f"cross_entropy: target: expected shape ({n_examples},), one class per example, got {array.shape}"
        )
    if array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(
            f"cross_entropy: target: expected classes from 0 to {n_classes - 1} (the logits have {n_classes} columns), "
            f"got values from {array.min()} to {array.max()}"
        )
    return array.astype(np.intp, copy=False)


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Value:
    r"""Cross-entropy of logits ``(N, C)`` against integer classes ``(N,)``, via a stable log-softmax.

    $L = -\frac1N \sum_n \ln \operatorname{softmax}(z_n)_{y_n}$ and
    $\partial L/\partial z_n = (p_n - \operatorname{onehot}(y_n))/N$ with $p_n = \operatorname{softmax}(z_n)$.
    """
    _check_reduction(reduction)
    logits = _value(logits)
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy: logits: expected shape (N, C), one row of class scores per example, got shape {logits.shape}"
            + ("; for one example use logits.reshape(1, -1)" if logits.ndim == 1 else "")
        )
    if logits.shape[0] == 0:
        raise ValueError(f"cross_entropy: logits: expected at least one example, got an empty batch of shape {logits.shape}")
    classes = _class_indices(target, logits.shape[0], logits.shape[1])
    return apply(cross_entropy_primitive, logits, target=classes, reduction=reduction)


# ---------------------------------------------------------------------------- gradient clipping


def clip_grad_norm_(parameters: Iterable[Value] | Value, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm`` (in place, as PyTorch).

    $\text{total} = \|(\|g_1\|, \|g_2\|, \dots)\|$; every $g$ is multiplied by
    $\min(1, \text{max\_norm}/(\text{total} + 10^{-6}))$. Returns the norm before clipping.
    """
    parameters = [parameters] if isinstance(parameters, Value) else list(parameters)
    grads = [p.grad for p in parameters if p.has_grad]
    if max_norm <= 0:
        raise ValueError(f"max_norm: expected a positive number, got {max_norm}")
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        total = max(float(np.max(np.abs(g), initial=0.0)) for g in grads)
    else:
        total = float(np.sum([np.sum(np.abs(g) ** norm_type) for g in grads]) ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}; set error_if_nonfinite=False to clip anyway")
    scale = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= scale
    return total


def clip_grad_value_(parameters: Iterable[Value] | Value, clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` (in place, as PyTorch)."""
    parameters = [parameters] if isinstance(parameters, Value) else list(parameters)
    for p in parameters:
        if p.has_grad:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)


def grad_norms(module: Module) -> dict[str, float]:
    r"""$\|\partial L/\partial \theta\|_2$ for each named parameter (zero where there is no gradient yet)."""
    norms = {}
    for name, parameter in module.named_parameters():
        g = parameter.grad if parameter.has_grad else None
        norms[name] = 0.0 if g is None else float(np.sqrt(np.vdot(g, g)))
    return norms
