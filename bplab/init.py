r"""Initialization schemes: where the weights start.

Each scheme takes a weight ``shape`` and a NumPy ``Generator`` and returns a float64 array
(the name of PyTorch's ``torch.nn.init`` function, without the trailing underscore):

>>> import numpy as np
>>> from bplab import init
>>> W = init.xavier_uniform((128, 64), np.random.default_rng(0))   # 128 inputs, 64 outputs

**Layout.** :class:`bplab.nn.Linear` stores its weight as ``(in_features, out_features)`` and
computes ``x @ W + b`` (the layout the lessons teach; PyTorch stores the transpose). So for a
2-D shape ``fan_in = shape[0]`` and ``fan_out = shape[1]``. A convolution kernel
``(out_channels, in_channels, kh, kw)`` follows PyTorch's rule:
``fan_in = in_channels·kh·kw`` and ``fan_out = out_channels·kh·kw``.

**Variances.** Xavier/Glorot: $\operatorname{Var} W = \frac{2}{\text{fan\_in} + \text{fan\_out}}$
(keeps the variance of activations and of gradients roughly constant through tanh layers);
He/Kaiming: $\operatorname{Var} W = \frac{2}{\text{fan\_in}}$ (for ReLU, which zeroes half its inputs).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from bplab.validation import make_rng  # noqa: F401  (public here too: init.make_rng(rng, seed))

Shape = Sequence[int]
#: An initialization scheme: ``scheme(shape, rng) -> array``.
InitScheme = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]


def _shape(shape: Shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        result = tuple(int(n) for n in shape)
    except TypeError:
        raise TypeError(f"shape: expected a tuple of sizes like (3, 4), got {type(shape).__name__} {shape!r}") from None
    if any(n < 0 for n in result):
        raise ValueError(f"shape: sizes must be 0 or more, got {result}")
    return result


def _generator(rng: np.random.Generator) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng: expected a numpy.random.Generator, e.g. np.random.default_rng(0), got {type(rng).__name__}"
        )
    return rng


def calculate_fan_in_and_fan_out(shape: Shape) -> tuple[int, int]:
    r"""``(fan_in, fan_out)`` of a weight shape.

    2-D ``(in, out)``: ``(shape[0], shape[1])`` (bplab's Linear layout). ≥3-D conv kernel
    ``(out, in, *kernel)``: ``(in·k, out·k)`` with $k = \prod \text{kernel}$ (PyTorch's rule).
    1-D (a bias): ``(n, n)``.
    """
    shape = _shape(shape)
    if len(shape) == 0:
        raise ValueError("shape: fan in and fan out need at least one dimension, got a scalar shape ()")
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The gain PyTorch recommends for a nonlinearity: 1 (linear, sigmoid), 5/3 (tanh), $\sqrt 2$ (relu)."""
    gains = {"linear": 1.0, "identity": 1.0, "conv2d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in gains:
        raise ValueError(f"nonlinearity: expected one of {', '.join(sorted(gains))}, leaky_relu; got {nonlinearity!r}")
    return gains[nonlinearity]


# ---------------------------------------------------------------------------- constant schemes


def zeros(shape: Shape, rng: np.random.Generator | None = None) -> np.ndarray:
    """All zeros (``rng`` is accepted and unused). For weights this is the symmetry trap: every hidden unit stays the same."""
    return np.zeros(_shape(shape))


def ones(shape: Shape, rng: np.random.Generator | None = None) -> np.ndarray:
    """All ones (``rng`` is accepted and unused)."""
    return np.ones(_shape(shape))


def constant(shape: Shape, rng: np.random.Generator | None = None, val: float = 0.0) -> np.ndarray:
    """Every entry equal to ``val`` (``rng`` is accepted and unused)."""
    return np.full(_shape(shape), float(val))


# ---------------------------------------------------------------------------- random schemes


def normal(shape: Shape, rng: np.random.Generator, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    r"""$W \sim \mathcal N(\text{mean}, \text{std}^2)$ (PyTorch's defaults: mean 0, std 1)."""
    if std < 0:
        raise ValueError(f"std: expected 0 or more, got {std}")
    return _generator(rng).normal(mean, std, size=_shape(shape))


def uniform(shape: Shape, rng: np.random.Generator, a: float = 0.0, b: float = 1.0) -> np.ndarray:
    r"""$W \sim U(a, b)$, PyTorch's meaning and defaults (a = 0, b = 1). For $U(-s, s)$ pass ``a=-s, b=s``."""
    if b < a:
        raise ValueError(f"a, b: expected a <= b (the interval U(a, b)), got a={a}, b={b}")
    return _generator(rng).uniform(a, b, size=_shape(shape))


def xavier_uniform(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""Glorot: $U(-a, a)$ with $a = \text{gain}\sqrt{6/(\text{fan\_in} + \text{fan\_out})}$, so $\operatorname{Var} = \text{gain}^2 \frac{2}{\text{fan\_in} + \text{fan\_out}}$."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _generator(rng).uniform(-bound, bound, size=_shape(shape))


def xavier_normal(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""Glorot: $\mathcal N(0, \sigma^2)$ with $\sigma = \text{gain}\sqrt{2/(\text{fan\_in} + \text{fan\_out})}$."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _generator(rng).normal(0.0, std, size=_shape(shape))


def _kaiming_std(shape: Shape, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"shape: He initialization needs a nonzero {mode}, got shape {_shape(shape)}")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(
    shape: Shape, rng: np.random.Generator, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu"
) -> np.ndarray:
    r"""He: $U(-b, b)$ with $b = \sqrt 3\,\frac{\text{gain}}{\sqrt{\text{fan}}}$; for ReLU $\operatorname{Var} = 2/\text{fan\_in}$."""
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return _generator(rng).uniform(-bound, bound, size=_shape(shape))


def kaiming_normal(
    shape: Shape, rng: np.random.Generator, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu"
) -> np.ndarray:
    r"""He: $\mathcal N(0, \sigma^2)$ with $\sigma = \text{gain}/\sqrt{\text{fan}}$; for ReLU $\sigma^2 = 2/\text{fan\_in}$."""
    return _generator(rng).normal(0.0, _kaiming_std(shape, a, mode, nonlinearity), size=_shape(shape))


def pytorch_default(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    r"""What ``torch.nn.Linear`` and ``Conv2d`` do by default: $U(-1/\sqrt{\text{fan\_in}}, 1/\sqrt{\text{fan\_in}})$.

    (PyTorch writes it as ``kaiming_uniform_(w, a=sqrt(5))``; its biases use the same bound.)
    """
    fan_in, _ = calculate_fan_in_and_fan_out(shape)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return _generator(rng).uniform(-bound, bound, size=_shape(shape))


#: Schemes by name, for ``Linear(..., init="xavier_uniform")`` and explorer drop-downs.
SCHEMES: dict[str, InitScheme] = {
    "zeros": zeros,
    "ones": ones,
    "normal": normal,
    "uniform": uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "kaiming_uniform": kaiming_uniform,
    "kaiming_normal": kaiming_normal,
    "pytorch_default": pytorch_default,
}
# the usual other names of the same schemes
SCHEMES.update(glorot_uniform=xavier_uniform, glorot_normal=xavier_normal, he_uniform=kaiming_uniform, he_normal=kaiming_normal)


def scaled(init: str | InitScheme, factor: float) -> InitScheme:
    """The scheme ``init`` with every draw multiplied by ``factor`` (so its variance by factor²)."""
    base = get_scheme(init)
    if not (isinstance(factor, (int, float, np.floating)) and math.isfinite(factor)):
        raise ValueError(f"factor: expected a finite number, e.g. 0.5, got {factor!r}")
    return lambda shape, rng: factor * base(shape, rng)


def get_scheme(init: str | InitScheme) -> InitScheme:
    """A scheme given by name (see :data:`SCHEMES`) or a function ``(shape, rng) -> array``, checked."""
    if callable(init):
        return init
    if isinstance(init, str) and init in SCHEMES:
        return SCHEMES[init]
    raise ValueError(
        f"init: expected one of {', '.join(SCHEMES)} or a function (shape, rng) -> array, got {init!r}"
    )
