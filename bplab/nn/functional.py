r"""Activation functions as plain functions of a Value or an array (PyTorch's ``torch.nn.functional``).

A NumPy array passed in is a constant: no gradient is computed for it.
"""

from __future__ import annotations

import numpy as np

from bplab.engine import Value, apply, as_operand, as_value
from bplab.nn.module import Tensor
from bplab.ops import Primitive, as_objects, matmul_vjp_left, matmul_vjp_right, register, unbroadcast

__all__ = ["linear", "linear_primitive", "softmax", "log_softmax", "sigmoid", "tanh", "relu"]


def _linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    out = x @ weight
    out += bias  # in place: the product is a fresh array
    return out


linear_primitive = register(Primitive(
    name="linear",
    forward=_linear_forward,
    vjps=(
        lambda g, out, x, weight, bias: matmul_vjp_left(g, out, x, weight),
        lambda g, out, x, weight, bias: matmul_vjp_right(g, out, x, weight),
        lambda g, out, x, weight, bias: unbroadcast(g, bias.shape),
    ),
    jvps=(
        lambda t, out, x, weight, bias: t @ weight,
        lambda t, out, x, weight, bias: x @ t,
        lambda t, out, x, weight, bias: t,
    ),
    to_sympy=lambda x, weight, bias: as_objects(np.matmul(x, weight) + bias),
    formula=r"y = xW + b,\quad \bar x = \bar y W^\top,\ \bar W = x^\top \bar y,\ \bar b = \textstyle\sum_n \bar y_n",
    shape_rule="x (N, in_features) @ weight (in_features, out_features) + bias (out_features,)",
    symbol="xW+b",
))


def linear(x: Tensor, weight: Value, bias: Value | None = None) -> Value:
    r"""$y = xW + b$ as one fused primitive (the same numbers as ``x @ weight + bias``, one node instead of two).

    ``weight`` has shape ``(in_features, out_features)``: the layout the lessons teach (PyTorch's
    ``F.linear`` takes the transpose). The lessons' graphs use ``x @ W + b``, op by op; the layers use this.
    """
    if bias is None:
        return as_value(x, "x") @ weight
    return apply(linear_primitive, as_operand(x, "x"), weight, bias)


def softmax(x: Tensor, dim: int = -1) -> Value:
    r"""$\operatorname{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}$ along ``dim``, computed stably (as $e^{\text{log-softmax}}$).

    Its Jacobian is $\operatorname{diag}(p) - p p^\top$: every output depends on every input.
    """
    return as_value(x, "x").softmax(axis=dim)


def log_softmax(x: Tensor, dim: int = -1) -> Value:
    r"""$x_i - \ln \sum_j e^{x_j}$ along ``dim``: finite for any logits."""
    return as_value(x, "x").log_softmax(axis=dim)


def sigmoid(x: Tensor) -> Value:
    r"""$\sigma(x) = 1/(1 + e^{-x})$; $\sigma' = \sigma(1 - \sigma)$."""
    return as_value(x, "x").sigmoid()


def tanh(x: Tensor) -> Value:
    r"""$\tanh x$; $\tanh' = 1 - \tanh^2$."""
    return as_value(x, "x").tanh()


def relu(x: Tensor) -> Value:
    r"""$\max(0, x)$; derivative 1 above 0, 0 below (0 at the kink, as PyTorch)."""
    return as_value(x, "x").relu()
