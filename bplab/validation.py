r"""Checking what a learner passed in: one home for input conversion and argument checks.

Every error names the argument, says what was expected and what came, and, where there is
one, suggests the fix. Standard library and NumPy only, so every module may import it.

* :func:`as_number_array` / :func:`as_float_array`: numbers, lists and arrays to a NumPy array (of floats);
* :func:`whole_number`: "a whole number of at least N";
* :func:`make_rng`: the ``rng=`` / ``seed=`` convention of every function that draws random numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def short_repr(obj: Any, limit: int = 40) -> str:
    """``repr(obj)``, cut to ``limit`` characters (for error messages)."""
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_number_array(data: Any, argument: str = "data") -> np.ndarray:
    """``data`` as a NumPy array of real numbers, keeping its kind (integer class labels stay integers).

    Raises a ``TypeError`` naming ``argument`` when ``data`` is not real numbers (text, complex, ragged lists).
    """
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise TypeError(
            f"{argument}: expected a number or a rectangular array of numbers, got "
            f"{type(data).__name__} {short_repr(data)} ({exc})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{argument}: expected a number or an array of real numbers, got "
            f"{type(data).__name__} {short_repr(data)}"
            + (" (complex numbers are not supported)" if array.dtype.kind == "c" else "")
            + "; convert it first, e.g. float(...) or np.asarray(..., dtype=float)"
        )
    return array


def as_float_array(data: Any, argument: str = "data") -> np.ndarray:
    """``data`` as a NumPy float array (integers and booleans become float64; float arrays pass unchanged).

    Raises a ``TypeError`` naming ``argument`` when ``data`` is not real numbers.
    """
    if isinstance(data, np.ndarray) and data.dtype.kind == "f":
        return data
    array = as_number_array(data, argument)
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def whole_number(value: Any, argument: str, minimum: int = 1, maximum: int | None = None, meaning: str = "",
                 none_means: str = "") -> int:
    """``value`` as an int, refusing booleans, fractions and anything below ``minimum`` (or above ``maximum``).

    ``meaning`` (e.g. ``"the number of examples"``) is said in the error message; ``none_means``
    says what ``None`` would have meant where the caller also accepts it (the caller handles None).
    """
    if maximum is None:
        expected = f"a whole number of at least {minimum}"
    else:
        expected = f"a whole number from {minimum} to {maximum}"
    if meaning:
        expected += f" ({meaning})"
    if none_means:
        expected = f"None ({none_means}) or {expected}"
    is_whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_whole or value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{argument}: expected {expected}, got {value!r}")
    return int(value)


def make_rng(rng: np.random.Generator | int | None = None, seed: int | None = None,
             default_seed: int | None = None) -> np.random.Generator:
    """The Generator to draw from, by the one rule every function that draws follows.

    ``rng`` (a ``numpy.random.Generator``, or an int taken as a seed) or ``seed``, not both;
    with neither, ``default_seed`` (``None``: fresh, unrepeatable numbers). The same seed
    gives the same numbers.
    """
    if rng is not None and seed is not None:
        raise ValueError(
            f"rng, seed: pass one of them, not both (got rng={short_repr(rng)} and seed={seed!r}); "
            "a Generator carries its own seed"
        )
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None:
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
            return np.random.default_rng(int(rng))
        raise TypeError(
            f"rng: expected a numpy.random.Generator (np.random.default_rng(0)) or an int seed, got {type(rng).__name__}"
        )
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0):
        raise ValueError(f"seed: expected a whole number of at least 0, got {seed!r}")
    return np.random.default_rng(default_seed if seed is None else int(seed))
