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
* :func:`hvp`: the Hessian times a vector, $H v$, without the Hessian: forward mode over the
  gradient's (recorded) backward pass, about the cost of two gradients.

Transforms compose where the inner one is reverse mode: ``grad(grad(f))``, ``jacfwd(grad(f))``
and ``jacrev(grad(f))`` (the Hessian), ``jvp(grad(f), ...)``. Inside another transform, ``grad``
and ``vjp`` record their backward pass (``create_graph``) and return Values connected to their
inputs, which the outer transform differentiates.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from bplab import ops
from bplab.engine import Value, apply, enable_grad, forward_mode, gradients
from bplab.validation import as_float_array, short_repr

__all__ = ["jvp", "vjp", "grad", "jacfwd", "jacrev", "hvp"]

Argnums = int | tuple[int, ...]


class _Nesting(threading.local):
    depth = 0  # how many transforms are running on this thread


_nesting = _Nesting()


@contextmanager
def _transform() -> Iterator[bool]:
    """Count a running transform (recording a graph, even inside no_grad); yields whether it runs inside another."""
    _nesting.depth += 1
    try:
        with enable_grad():
            yield _nesting.depth > 1
    finally:
        _nesting.depth -= 1


def _inputs(primals: Sequence[Any], caller: str, nested: bool = False) -> list[Value]:
    """Fresh leaves holding the primals' numbers: the transform differentiates ``f`` there, nothing before.

    Inside another transform a primal Value that can carry a gradient becomes a new node linked to it by
    the identity primitive: the outer transform sees how the result depends on the primal, while this
    transform differentiates by its own input only (a closure over the outer variable is not confused
    with it: for ``grad(lambda y: x * y)(x)`` the answer is x, not 2x)."""
    leaves = []
    for position, primal in enumerate(primals):
        if nested and isinstance(primal, Value) and primal.requires_grad:
            leaves.append(apply(ops.identity, primal))
            continue
        data = primal.data if isinstance(primal, Value) else as_float_array(primal, f"{caller}: primals[{position}]")
        leaves.append(Value(data, name=primal.name if isinstance(primal, Value) else None))
    return leaves


def _refuse_nesting(nested: bool, caller: str) -> None:
    if nested:
        raise NotImplementedError(
            f"{caller} inside another transform is not supported; compose with reverse mode inside instead: "
            "grad(grad(f)), jacfwd(grad(f)), jacrev(grad(f)) or hvp(f, x, v)"
        )


def _output(result: Any, caller: str) -> Value:
    if not isinstance(result, Value):
        raise TypeError(f"{caller}: f must return a Value, got {type(result).__name__} {short_repr(result)}; "
                        "build the result from the Values f receives")
    return result


def _argnums(argnums: Argnums, count: int, caller: str, single: bool = False) -> tuple[int, ...]:
    if single and not (isinstance(argnums, int) and not isinstance(argnums, bool)):
        raise ValueError(f"{caller}: argnums: expected one position (an int), got {argnums!r}; "
                         f"take one Jacobian per argument")
    chosen = (argnums,) if isinstance(argnums, int) and not isinstance(argnums, bool) else tuple(argnums)
    for k in chosen:
        if not isinstance(k, int) or isinstance(k, bool) or not -count <= k < count:
            raise ValueError(f"{caller}: argnums: expected positions of f's arguments (0 to {count - 1}), got {argnums!r}")
    return tuple(k % count for k in chosen)


def jvp(f: Callable[..., Value], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Value, Value]:
    r"""Forward mode: ``(f(*primals), J v)`` where $v$ is ``tangents`` (one per primal, each of its shape)."""
    for argument, given in (("primals", primals), ("tangents", tangents)):
        if not isinstance(given, (tuple, list)):
            raise TypeError(f"jvp: {argument}: expected a tuple (one entry per argument of f, e.g. (x,)), "
                            f"got {type(given).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: expected one tangent per primal ({len(primals)}), got {len(tangents)} tangents")
    with _transform() as nested:
        _refuse_nesting(nested, "jvp")
        return _jvp(f, primals, tangents)


def _jvp(f: Callable[..., Value], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Value, Value]:
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
    with _transform() as nested:
        inputs = _inputs(primals, "vjp", nested)
        output = _output(f(*inputs), "vjp")

    def vjp_fn(cotangent: Any) -> tuple[Value, ...]:
        # inside another transform a Value cotangent stays recorded (the double-VJP trick differentiates by it)
        seed = cotangent if nested and isinstance(cotangent, Value) else (
            cotangent.data if isinstance(cotangent, Value) else cotangent)
        with enable_grad():
            found = gradients(output, inputs, gradient=seed, create_graph=nested)
        return tuple(g if nested else Value(g, requires_grad=False) for g in found)

    return (output if nested else output.detach()), vjp_fn


def grad(f: Callable[..., Value], argnums: Argnums = 0) -> Callable[..., Value | tuple[Value, ...]]:
    r"""The function $x \mapsto \nabla f(x)$ for ``f`` with a single-number output (by argument ``argnums``)."""

    def gradient_of_f(*primals: Any) -> Value | tuple[Value, ...]:
        chosen = _argnums(argnums, len(primals), "grad")
        with _transform() as nested:
            inputs = _inputs(primals, "grad", nested)
            output = _output(f(*inputs), "grad")
            if output.data.size != 1:
                raise ValueError(f"grad: f must return a single number, got shape {output.data.shape}; "
                                 "reduce it (.sum() or .mean()) or use jacrev for the whole Jacobian")
            found = gradients(output.reshape(()), [inputs[k] for k in chosen], create_graph=nested)
        values = tuple(g if nested else Value(g, requires_grad=False) for g in found)
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
        (chosen,) = _argnums(argnums, len(primals), "jacrev", single=True)
        with _transform() as nested:
            _refuse_nesting(nested, "jacrev")
            inputs = _inputs(primals, "jacrev")
            output = _output(f(*inputs), "jacrev")
        rows = [gradients(output, [inputs[chosen]], gradient=u)[0] for u in _one_hots(output.data.shape)]
        in_shape = inputs[chosen].data.shape
        return Value(np.array(rows).reshape(output.data.shape + in_shape), requires_grad=False)

    return jacobian


def jacfwd(f: Callable[..., Value], argnums: int = 0) -> Callable[..., Value]:
    r"""The Jacobian $\partial f_i/\partial x_j$ by forward mode: one pass per input entry."""

    def jacobian(*primals: Any) -> Value:
        (chosen,) = _argnums(argnums, len(primals), "jacfwd", single=True)
        in_shape = np.shape(primals[chosen].data if isinstance(primals[chosen], Value) else primals[chosen])
        columns, out_shape = [], None
        for v in _one_hots(in_shape):
            tangents = [np.zeros(np.shape(p.data if isinstance(p, Value) else p)) for p in primals]
            tangents[chosen] = v
            output, column = jvp(f, primals, tangents)  # refuses to run inside another transform
            out_shape = output.data.shape
            columns.append(column.data)
        if not columns:  # an input with no entries
            out_shape = _output(f(*_inputs(primals, "jacfwd")), "jacfwd").data.shape
            return Value(np.zeros(out_shape + in_shape), requires_grad=False)
        stacked = np.stack(columns, axis=-1)  # output.shape + (input entries,)
        return Value(stacked.reshape(out_shape + in_shape), requires_grad=False)

    return jacobian


def hvp(f: Callable[..., Value], x: Any, v: Any) -> Value:
    r"""$H v$, the Hessian of ``f`` (single-number output) at ``x`` times the vector ``v``.

    Forward over reverse: the tangent $v$ is carried through the recorded backward pass of
    $\nabla f$, so $H v = \frac{d}{d\epsilon} \nabla f(x + \epsilon v)$ comes out exactly, at
    about the cost of two gradients, and the Hessian is never formed.
    """
    return jvp(grad(f), (x,), (v,))[1]
