r"""Divergence: one rule for when a run has blown up, and one way to say why.

Training, the playground, the one-weight descent and the line classifier all stop a run by
:func:`blew_up`: a quantity (a loss, or a weight) that is no longer a finite number, or whose
size exceeds ``factor`` times where it started. :func:`reason` words the message the learner
reads, with the likely cause.
"""

from __future__ import annotations

import math


def blew_up(value: float, start: float, factor: float, floor: float = 1e-3) -> bool:
    r"""True when ``value`` is NaN or infinite, or $|\text{value}| > \text{factor} \cdot \max(|\text{start}|, \text{floor})$.

    ``floor`` keeps a start near 0 (a loss that began almost perfect) from making every
    later wobble look like a blow-up. ``factor=math.inf`` checks finiteness only.
    """
    value = float(value)
    if not math.isfinite(value):
        return True
    return abs(value) > factor * max(abs(float(start)), floor)


def reason(where: str, loss: float, first_loss: float, lr: float | None, batch_size: int | None = None) -> str:
    """``"diverged at <where>: <what happened>; <the likely cause and a fix>"``."""
    if math.isnan(loss):
        what = "the loss became NaN (not a number)"
    elif math.isinf(loss):
        what = "the loss became infinite"
    else:
        what = f"the loss blew up to {loss:.3g}, from {first_loss:.3g} at the start"
    cause = (
        f"the learning rate is probably too large (lr={lr:g}): each step overshoots the minimum by more than "
        f"the last; try lr={lr / 10:g}"
        if lr is not None
        else "the steps are probably too large: try a smaller learning rate"
    )
    if batch_size == 1:
        cause += ", or a larger batch (single examples give noisy steps)"
    return f"diverged at {where}: {what}; {cause}"
