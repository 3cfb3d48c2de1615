r"""What a backward pass keeps, and what checkpointing trades for it (lesson 17).

A chain of ``depth`` layers $h_{l} = \tanh(h_{l-1} W_l)$ on a batch, with loss $\sum h_L^2$, is run
plainly or cut into ``segments`` pieces of equal size (within one layer), each wrapped in :func:`bplab.checkpoint`. For each
run :func:`checkpoint_run` measures:

* the **activations kept** for the backward pass: the bytes of every array a non-leaf node of the
  graph holds (inputs and weights are kept either way and not counted);
* the **peak**: what is kept plus the largest segment's activations while the backward pass
  recomputes it (one segment at a time);
* the **layer evaluations**: forward layers run in all, recomputations included;
* that the gradients are those of the plain run, bit for bit.

With $n$ layers in $k$ segments the peak is about $k + n/k$ layers' activations, smallest at
$k = \sqrt n$ (about $2\sqrt n$), for one extra forward pass: Chen et al. (2016), "Training deep
nets with sublinear memory cost".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from bplab.checkpointing import checkpoint
from bplab.engine import Value, gradients


def activation_bytes(output: Value) -> int:
    """Bytes of the arrays the non-leaf nodes of ``output``'s graph hold (each buffer once, views free)."""
    buffers: dict[int, int] = {}
    for node in output.topological_order():
        if node.is_leaf:
            continue
        owner = node.data
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        buffers[id(owner)] = owner.nbytes
    return sum(buffers.values())


@dataclass(frozen=True)
class CheckpointRun:
    """One forward and backward pass of the chain, measured (``segments=0``: no checkpointing)."""

    depth: int
    segments: int
    kept_bytes: int  # activations the graph keeps between the forward and the backward pass
    peak_bytes: int  # kept + the largest segment recomputed during the backward pass
    layer_evaluations: int  # forward layers run, recomputations included
    same_gradients: bool  # the weights' gradients equal the plain run's, bit for bit
    layer_bytes: int  # one layer's activations (its product and its tanh), for scale


def _chain(depth: int, width: int, batch: int, seed: int) -> tuple[np.ndarray, list[Value]]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    weights = [Value(rng.standard_normal((width, width)) / np.sqrt(width), name=f"W{l + 1}") for l in range(depth)]
    return x, weights


def _segment(weights: list[Value], counter: dict[str, int]) -> Callable[[Value], Value]:
    def run_layers(h: Value) -> Value:
        for w in weights:
            h = (h @ w).tanh()
            counter["layers"] += 1
        counter["peak_segment"] = max(counter["peak_segment"], activation_bytes(h))
        return h
    return run_layers


def _check(depth: int, width: int, batch: int, segments: int) -> None:
    for name, value, low in (("depth", depth, 1), ("width", width, 1), ("batch", batch, 1), ("segments", segments, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: expected a whole number of at least {low}, got {value!r}")
    if segments > depth:
        raise ValueError(f"segments: expected at most depth={depth} (one layer a segment), got {segments}")


_plain: dict[tuple[int, int, int, int], list[np.ndarray]] = {}


def _plain_gradients(depth: int, width: int, batch: int, seed: int) -> list[np.ndarray]:
    """The weights' gradients of the plain run (kept: every checkpointed run is compared with them)."""
    key = (depth, width, batch, seed)
    if key not in _plain:
        x, weights = _chain(depth, width, batch, seed)
        h = Value(x, requires_grad=False)
        for w in weights:
            h = (h @ w).tanh()
        _plain[key] = gradients((h ** 2).sum(), weights)
    return _plain[key]


def segment_bounds(depth: int, segments: int) -> list[tuple[int, int]]:
    """``segments`` pieces of ``range(depth)`` as (start, stop), sizes differing by at most one, larger first."""
    size, extra = divmod(depth, segments)
    bounds, start = [], 0
    for k in range(segments):
        stop = start + size + (k < extra)
        bounds.append((start, stop))
        start = stop
    return bounds


def checkpoint_run(depth: int, segments: int, width: int = 64, batch: int = 32, seed: int = 0) -> CheckpointRun:
    """Run the chain with ``segments`` checkpointed pieces (0: plainly) and measure it (see the module's text)."""
    _check(depth, width, batch, segments)
    x, weights = _chain(depth, width, batch, seed)
    counter = {"layers": 0, "peak_segment": 0}
    h = Value(x, name="x", requires_grad=False)
    if segments == 0:
        loss = (_segment(weights, counter)(h) ** 2).sum()
        kept = activation_bytes(loss)
        counter["peak_segment"] = 0  # nothing is recomputed
    else:
        for start, stop in segment_bounds(depth, segments):
            h = checkpoint(_segment(weights[start:stop], counter), h)
        loss = (h ** 2).sum()
        kept = activation_bytes(loss)
        counter["peak_segment"] = 0  # the first runs' graphs are gone: only recomputations count from here
    found = gradients(loss, weights)
    same = all(np.array_equal(a, b) for a, b in zip(found, _plain_gradients(depth, width, batch, seed)))
    layer_bytes = 2 * batch * width * 8  # the product and its tanh, float64
    return CheckpointRun(depth=depth, segments=segments, kept_bytes=kept, peak_bytes=kept + counter["peak_segment"],
                         layer_evaluations=counter["layers"], same_gradients=same, layer_bytes=layer_bytes)
