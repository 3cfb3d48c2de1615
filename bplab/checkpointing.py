r"""Gradient checkpointing: keep a segment's inputs, forget its insides, recompute them when needed.

A backward pass needs what the forward pass computed: every node of the graph holds its array
until the backward pass is done. For a deep network that is memory proportional to depth.
:func:`checkpoint` trades time for memory, as ``torch.utils.checkpoint`` does: the segment
``fn`` runs forward without keeping its intermediate values; the backward pass runs ``fn``
again from the kept inputs and backpropagates through that fresh copy. Cutting a chain of $n$
layers into $\sqrt n$ segments keeps about $2\sqrt n$ layers' arrays instead of $n$, for about
one extra forward pass.

:func:`saved_bytes` measures what a graph keeps: the bytes of the arrays its nodes hold.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from bplab.engine import Value, apply, as_value, enable_grad, gradients, no_grad
from bplab.ops import EveryInput, Primitive

__all__ = ["checkpoint", "saved_bytes"]


def saved_bytes(output: Value) -> int:
    """Bytes of the arrays that ``output``'s graph keeps alive for a backward pass (every node's data).

    A view (a reshape, a transpose, a slice) holds no memory of its own: each buffer is counted once.
    """
    if not isinstance(output, Value):
        raise TypeError(f"output: expected a Value, got {type(output).__name__}")
    buffers: dict[int, int] = {}
    for node in output.topological_order():
        owner = node.data
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        buffers[id(owner)] = owner.nbytes
    return sum(buffers.values())


def _segment_leaves(output: Value, inputs: list[Value]) -> list[Value]:
    """The leaves needing a gradient that the segment reached besides its inputs: the parameters ``fn`` uses."""
    own = {id(x) for x in inputs}
    return [node for node in output.topological_order(needing_gradient=True)
            if node.is_leaf and node.requires_grad and id(node) not in own]


def checkpoint(fn: Callable[..., Value], *inputs: Any) -> Value:
    r"""``fn(*inputs)``, keeping only ``inputs`` (and the parameters ``fn`` uses) for the backward pass.

    The gradients are those of the plain ``fn(*inputs)``: the backward pass runs ``fn`` again on
    the kept inputs and backpropagates through it. ``fn`` must compute the same numbers when run
    again (no fresh randomness inside). The parameters ``fn`` reads (a layer's weights, say) are
    found on the first run and receive their gradients as usual.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a function of Values, got {type(fn).__name__}")
    operands = [as_value(x, f"inputs[{k}]") for k, x in enumerate(inputs)]
    fresh = [Value(x.data, name=x.name, requires_grad=x.requires_grad) for x in operands]
    first = fn(*fresh)  # recorded once, to find the parameters fn uses; its graph is dropped on return
    if not isinstance(first, Value):
        raise TypeError(f"fn: must return a Value, got {type(first).__name__}")
    parameters = _segment_leaves(first, fresh)
    ready = [np.array(first.data)]
    del first  # the segment's insides go here: only the inputs, the parameters and the output stay
    count = len(operands)
    recomputed: dict[str, Any] = {"g": None, "gradients": None}

    def forward(*arrays: np.ndarray) -> np.ndarray:
        if ready:  # the first run already computed it
            return ready.pop()
        with no_grad():
            return fn(*[Value(a) for a in arrays[:count]]).data

    def vjp(k: int, g: np.ndarray, out: np.ndarray, *arrays: np.ndarray) -> np.ndarray:
        if recomputed["g"] is not g:  # once per backward pass, shared by every input's VJP
            with enable_grad():  # the recomputation needs its graph, even when backward runs inside no_grad
                again = [Value(a, requires_grad=True) for a in arrays[:count]]
                result = fn(*again)
                recomputed["gradients"] = gradients(result, again + parameters, gradient=g)
            recomputed["g"] = g
        return np.array(recomputed["gradients"][k])  # a copy: the cache is not what a .grad holds

    def jvp(k: int, t: np.ndarray, out: np.ndarray, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError("checkpoint: forward mode through a checkpointed segment is not supported; "
                                  "call fn directly inside jvp")

    def to_sympy(*objects: Any) -> Any:
        raise NotImplementedError("checkpoint: a checkpointed segment has no formula of its own; "
                                  "take to_sympy of fn's result computed directly")

    segment = Primitive(
        name="checkpoint", forward=forward, vjps=EveryInput(vjp), jvps=EveryInput(jvp), to_sympy=to_sympy,
        formula=r"y = f(x),\quad \bar x = \bar y\,\partial f/\partial x \text{ from } f \text{ run again}",
        symbol=f"checkpoint({getattr(fn, '__name__', 'fn')})",
    )
    return apply(segment, *operands, *parameters)
