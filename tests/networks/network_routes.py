"""Shared checks for the network tests: three routes (SymPy, backprop, central differences) and PyTorch.

(Imported by the test files next to it; pytest puts this folder on sys.path.)
"""

from __future__ import annotations

import functools
import inspect
import os
from typing import Callable

import numpy as np
import pytest

from bplab import compare, gradcheck
from bplab.app.hints import torch_hint

try:
    import torch
except ImportError:
    torch = None



def needs_torch(test: Callable, *, available: bool | None = None, in_ci: bool | None = None) -> Callable:
    """Mark ``test`` as a comparison against PyTorch, the oracle of the network tests.

    PyTorch's CPU build is part of the test environment (``.ci/run`` and the README install it). Where it is
    missing the test is skipped with the hint that says how to add it, except in CI (``CI=true``), where a
    skipped oracle would hide the bugs only it catches (a wrong-signed weight decay): there the test fails,
    naming what is missing. ``available`` and ``in_ci`` default to this interpreter and environment."""
    available = torch is not None if available is None else available
    in_ci = os.environ.get("CI", "").lower() == "true" if in_ci is None else in_ci
    if available:
        return test
    if not in_ci:
        return pytest.mark.skip(reason=torch_hint())(test)

    @functools.wraps(test)
    def missing_oracle(*args, **kwargs):
        pytest.fail(f"{torch_hint()} (CI=true: the PyTorch comparisons must run, not skip)", pytrace=False)

    return missing_oracle

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
