r"""Function transforms in the shape of ``torch.func``: derivatives of a function, not of a graph.

``f`` takes Values and returns a Value (NumPy arrays and numbers are accepted as inputs); the
transforms return Values too (constants: they hold numbers, not a graph).

* :func:`jvp`: forward mode. ``jvp(f, (x,), (v,))`` gives $f(x)$ and $J v$ in **one** pass,
  the tangent $v$ carried forward beside each value (dual numbers). Cheap when there are few
  inputs: one pass per input direction.
* :func:`vjp`: reverse mode. ``out, vjp_fn = vjp(f, x)``; ``vjp_fn(u)`` gives $u^\top J$, one
  backward pass per output direction: cheap when there are few outputs (a loss has one).
* :func:`grad`: the gradient of a function with a single-number output (one backward pass).
* :func:`jacfwd` / :func:`jacrev`: the whole Jacobian, shape ``output.shape + input.shape``,
  column by column with forward mode (one pass per input entry) or row by row with reverse
  mode (one pass per output entry): the same numbers, at different costs.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from bplab.engine import Value, forward_mode, gradients
from bplab.validation import as_float_array, short_repr

__all__ = ["jvp", "vjp", "grad", "jacfwd", "jacrev"]

Argnums = int | tuple[int, ...]


def _inputs(primals: Sequence[Any], caller: str) -> list[Value]:
    """Fresh leaves holding the primals' numbers: the transform differentiates ``f`` there, nothing before."""
    leaves = []
    for position, primal in enumerate(primals):
        data = primal.data if isinstance(primal, Value) else as_float_array(primal, f"{caller}: primals[{position}]")
        leaves.append(Value(np.array(data, dtype=float) if data.dtype.kind != "f" else data,
                            name=primal.name if isinstance(primal, Value) else None))
    return leaves


def _output(result: Any, caller: str) -> Value:
    if not isinstance(result, Value):
        raise TypeError(f"{caller}: f must return a Value, got {type(result).__name__} {short_repr(result)}; "
                        "build the result from the Values f receives")
    return result


def _argnums(argnums: Argnums, count: int, caller: str) -> tuple[int, ...]:
    chosen = (argnums,) if isinstance(argnums, int) and not isinstance(argnums, bool) else tuple(argnums)
    for k in chosen:
        if not isinstance(k, int) or isinstance(k, bool) or not -count <= k < count:
            raise ValueError(f"{caller}: argnums: expected positions of f's arguments (0 to {count - 1}), got {argnums!r}")
    return tuple(k % count for k in chosen)


def jvp(f: Callable[..., Value], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Value, Value]:
    r"""Forward mode: ``(f(*primals), J v)`` where $v$ is ``tangents`` (one per primal, each of its shape)."""
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: expected one tangent per primal ({len(primals)}), got {len(tangents)} tangents")
    inputs = _inputs(primals, "jvp")
    with forward_mode() as carried:
        for position, (x, t) in enumerate(zip(inputs, tangents)):
            try:
                carried.seed(x, t)
            except ValueError as exc:
                raise ValueError(f"jvp: tangents[{position}]: {exc}") from None
        output = _output(f(*inputs), "jvp")
        tangent = carried.of(output)
    if tangent is None:  # f's output does not depend on its inputs
        tangent = np.zeros_like(output.data)
    return output.detach(), Value(np.array(tangent), requires_grad=False)


def vjp(f: Callable[..., Value], *primals: Any) -> tuple[Value, Callable[[Any], tuple[Value, ...]]]:
    r"""Reverse mode: ``(f(*primals), vjp_fn)``; ``vjp_fn(u)`` is $u^\top J$, one Value per primal."""
    inputs = _inputs(primals, "vjp")
    output = _output(f(*inputs), "vjp")

    def vjp_fn(cotangent: Any) -> tuple[Value, ...]:
        data = cotangent.data if isinstance(cotangent, Value) else cotangent
        return tuple(Value(g, requires_grad=False) for g in gradients(output, inputs, gradient=data))

    return output.detach(), vjp_fn


def grad(f: Callable[..., Value], argnums: Argnums = 0) -> Callable[..., Value | tuple[Value, ...]]:
    r"""The function $x \mapsto \nabla f(x)$ for ``f`` with a single-number output (by argument ``argnums``)."""

    def gradient_of_f(*primals: Any) -> Value | tuple[Value, ...]:
        chosen = _argnums(argnums, len(primals), "grad")
        inputs = _inputs(primals, "grad")
        output = _output(f(*inputs), "grad")
        if output.data.size != 1:
            raise ValueError(f"grad: f must return a single number, got shape {output.data.shape}; "
                             "reduce it (.sum() or .mean()) or use jacrev for the whole Jacobian")
        found = gradients(output.reshape(()), [inputs[k] for k in chosen])
        values = tuple(Value(g, requires_grad=False) for g in found)
        return values[0] if isinstance(argnums, int) else values

    return gradient_of_f


def _one_hots(shape: tuple[int, ...]):
    for flat in range(int(np.prod(shape, dtype=np.int64))):
        basis = np.zeros(shape)
        basis.flat[flat] = 1.0
        yield basis


def jacrev(f: Callable[..., Value], argnums: int = 0) -> Callable[..., Value]:
    r"""The Jacobian $\partial f_i/\partial x_j$ by reverse mode: one backward pass per output entry."""

    def jacobian(*primals: Any) -> Value:
        (chosen,) = _argnums(argnums, len(primals), "jacrev")
        inputs = _inputs(primals, "jacrev")
        output = _output(f(*inputs), "jacrev")
        rows = [gradients(output, [inputs[chosen]], gradient=u)[0] for u in _one_hots(output.data.shape)]
        in_shape = inputs[chosen].data.shape
        return Value(np.array(rows).reshape(output.data.shape + in_shape), requires_grad=False)

    return jacobian


def jacfwd(f: Callable[..., Value], argnums: int = 0) -> Callable[..., Value]:
    r"""The Jacobian $\partial f_i/\partial x_j$ by forward mode: one pass per input entry."""

    def jacobian(*primals: Any) -> Value:
        (chosen,) = _argnums(argnums, len(primals), "jacfwd")
        in_shape = np.shape(primals[chosen].data if isinstance(primals[chosen], Value) else primals[chosen])
        columns, out_shape = [], None
        for v in _one_hots(in_shape):
            tangents = [np.zeros(np.shape(p.data if isinstance(p, Value) else p)) for p in primals]
            tangents[chosen] = v
            output, column = jvp(f, primals, tangents)
            out_shape = output.data.shape
            columns.append(column.data)
        if not columns:  # an input with no entries
            out_shape = _output(f(*_inputs(primals, "jacfwd")), "jacfwd").data.shape
            return Value(np.zeros(out_shape + in_shape), requires_grad=False)
        stacked = np.stack(columns, axis=-1)  # output.shape + (input entries,)
        return Value(stacked.reshape(out_shape + in_shape), requires_grad=False)

    return jacobian
