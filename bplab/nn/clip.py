r"""Gradient norms, and clipping gradients by norm or by value (PyTorch's ``torch.nn.utils``): the one home of the norm.

* :func:`total_norm`: the joint norm of several gradients;
* :func:`clip_grad_norm_`, :func:`clip_grad_value_`: clip in place, as PyTorch;
* :func:`grad_norms`: $\|\partial L/\partial \theta\|_2$ for each named parameter of a module.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from bplab.engine import Value
from bplab.nn.module import Module

__all__ = ["total_norm", "clip_grad_norm_", "clip_grad_value_", "grad_norms"]


def total_norm(grads: Iterable[np.ndarray], norm_type: float = 2.0) -> float:
    r"""The norm of all entries of ``grads`` together: $\big(\sum_k \sum_i |g_{k,i}|^p\big)^{1/p}$ with $p$ = ``norm_type``.

    Equal to $\|(\|g_1\|_p, \|g_2\|_p, \dots)\|_p$; ``norm_type=float("inf")`` gives the largest $|g_{k,i}|$.
    No gradients: 0.
    """
    grads = [np.asarray(g) for g in grads]
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        return max(float(np.max(np.abs(g), initial=0.0)) for g in grads)
    return float(np.sum([np.sum(np.abs(g) ** norm_type) for g in grads]) ** (1.0 / norm_type))


def _as_parameters(parameters: Iterable[Value] | Value) -> list[Value]:
    return [parameters] if isinstance(parameters, Value) else list(parameters)


def clip_grad_norm_(parameters: Iterable[Value] | Value, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm`` (in place, as PyTorch).

    $\text{total} = \|(\|g_1\|, \|g_2\|, \dots)\|$ (:func:`total_norm`); every $g$ is multiplied by
    $\min(1, \text{max\_norm}/(\text{total} + 10^{-6}))$. Returns the norm before clipping.
    """
    grads = [p.grad for p in _as_parameters(parameters) if p.has_grad]
    if max_norm <= 0:
        raise ValueError(f"max_norm: expected a positive number, got {max_norm}")
    if not grads:
        return 0.0
    total = total_norm(grads, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}; set error_if_nonfinite=False to clip anyway")
    scale = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= scale
    return total


def clip_grad_value_(parameters: Iterable[Value] | Value, clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` (in place, as PyTorch)."""
    for p in _as_parameters(parameters):
        if p.has_grad:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)


def grad_norms(module: Module) -> dict[str, float]:
    r"""$\|\partial L/\partial \theta\|_2$ for each named parameter (zero where there is no gradient yet)."""
    return {name: total_norm([p.grad]) if p.has_grad else 0.0 for name, p in module.named_parameters()}
