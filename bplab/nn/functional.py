r"""Activation functions as plain functions of a Value or an array (PyTorch's ``torch.nn.functional``).

A NumPy array passed in is a constant: no gradient is computed for it.
"""

from __future__ import annotations

from bplab.engine import Value, as_value
from bplab.nn.module import Tensor

__all__ = ["softmax", "log_softmax", "sigmoid", "tanh", "relu"]


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
