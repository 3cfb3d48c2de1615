"""The batch check shared by layers, losses and convolutions: the right number of axes, and at least one example."""

from __future__ import annotations

from typing import Any

__all__ = ["check_batch"]


def check_batch(x: Any, operation: Any, argument: str, ndim: int | None = None, layout: str = "",
                reshape_hint: str = "", item: str = "example") -> None:
    """Refuse ``x`` unless it has ``ndim`` axes (any number when ``None``) and a first axis of at least one ``item``.

    ``operation`` is a name, or a module (its repr is made only for an error message, never on
    the fast path). The message names the operation and the argument, says ``layout`` (what was expected) and
    the shape that came; for a single item (one axis short) it suggests ``reshape_hint``.
    """
    if ndim is not None and x.ndim != ndim:
        hint = f"; for one {item} use {reshape_hint}" if reshape_hint and x.ndim == ndim - 1 else ""
        raise ValueError(f"{operation}: {argument}: expected {layout}, got shape {x.shape}{hint}")
    if x.ndim >= 1 and x.shape[0] == 0:
        raise ValueError(f"{operation}: {argument}: expected at least one {item}, got an empty batch of shape {x.shape}")
