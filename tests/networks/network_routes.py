"""Shared checks for the network tests: three routes (SymPy, backprop, central differences) and PyTorch.

(Imported by the test files next to it; pytest puts this folder on sys.path.)
"""

from __future__ import annotations

import inspect
from typing import Callable

import numpy as np
import pytest

from bplab import compare, gradcheck
from bplab.app.hints import torch_hint

try:
    import torch
except ImportError:
    torch = None

# Optional: says so, and how to add PyTorch's CPU build (never the multi-GB CUDA wheel).
needs_torch = pytest.mark.skipif(torch is None, reason=torch_hint())

TOLERANCE = 1e-6


def cotangent(shape) -> np.ndarray:
    """A fixed, uneven weighting of an output, so every entry of the vector-Jacobian product is exercised."""
    size = int(np.prod(shape, dtype=int))
    return ((np.arange(1, size + 1, dtype=np.float64) / size) * (-1.0) ** np.arange(size)).reshape(shape) + 0.5


def scalarized(fn: Callable, names: list[str]) -> Callable:
    """fn(**values) weighted by a fixed cotangent and summed, with a signature naming the variables."""

    def scalar(**values):
        out = fn(**values)
        return out if out.ndim == 0 else (out * cotangent(out.shape)).sum()

    scalar.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )
    return scalar


def assert_three_routes(fn: Callable, **at: np.ndarray) -> None:
    """SymPy, backprop and central differences agree on the gradient of fn at ``at`` (float64)."""
    scalar = scalarized(fn, list(at))
    result = compare(scalar, at=at)
    assert result.max_rel_error <= TOLERANCE, repr(result)


def assert_gradcheck(fn: Callable, **at: np.ndarray) -> None:
    """Backprop agrees with central differences (float64)."""
    scalar = scalarized(fn, list(at))
    assert gradcheck(lambda *xs: scalar(**dict(zip(at, xs))), *at.values())


def to_torch(array: np.ndarray, requires_grad: bool = False):
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=requires_grad)
