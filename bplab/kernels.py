r"""Numeric kernels: the one home of the numerically delicate functions, in plain NumPy.

Everything else in bplab (the primitives, the SymPy helpers, the losses, the explorers, the
hand-written delta equations) calls these instead of writing them again. This module imports
nothing but NumPy, so every other module may import it.

* :func:`sigmoid`: $\sigma(x) = 1/(1 + e^{-x})$; for $x < -709$ (float64) the $e^{-x}$ overflows to
  $\infty$ and the result is 0, below the smallest normal number anyway ($\sigma(-709) \approx 10^{-308}$),
  so only the warning is silenced;
* :func:`log_sigmoid`: $\ln\sigma(x) = -\ln(1 + e^{-x})$, finite for every finite $x$;
* :func:`logsumexp`: $\ln\sum_i e^{x_i}$ computed as $m + \ln\sum_i e^{x_i - m}$, $m = \max_i x_i$;
* :func:`log_softmax`: $x_i - \operatorname{logsumexp}(x)$;
* :func:`softmax`: $e^{x_i}/\sum_j e^{x_j}$, shifted by the maximum as logsumexp is.
"""

from __future__ import annotations

import numpy as np

Axis = int | tuple[int, ...] | None


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""$\sigma(x) = 1/(1 + e^{-x})$ for any $x$ (an overflowing $e^{-x}$ gives the exact limit 0, silently)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    r"""$\ln \sigma(x) = -\ln(1 + e^{-x})$: $-1000$ at $x = -1000$, not $-\infty$."""
    return -np.logaddexp(0.0, -x)


def logsumexp(x: np.ndarray, axis: Axis = None, keepdims: bool = False) -> np.ndarray:
    r"""$\ln \sum_i e^{x_i}$ along ``axis`` (all axes by default), shifted by the maximum so that nothing overflows."""
    x = np.asarray(x)
    shift = np.max(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)  # all -inf along an axis: the sum is 0, its log -inf
    with np.errstate(divide="ignore"):  # an empty sum (every entry -inf) has the log -inf: intended
        total = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    if keepdims:
        return total
    return np.squeeze(total, axis=tuple(range(x.ndim)) if axis is None else axis)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""$\ln \operatorname{softmax}(x)_i = x_i - \ln\sum_j e^{x_j}$ along ``axis``: finite for any logits."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""$\operatorname{softmax}(x)_i = e^{x_i - m} / \sum_j e^{x_j - m}$ along ``axis``, $m = \max_j x_j$ (nothing
    overflows, and the largest term is 1, so the sum is at least 1); the entries are positive and sum to 1."""
    exp = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exp / np.sum(exp, axis=axis, keepdims=True)
