r"""Reverse-mode automatic differentiation: the :class:`Value` graph and its backward pass.

Every :class:`Value` remembers the primitive that made it and its parents. ``backward()``
visits the graph from the output back to the inputs, in reverse topological order, and asks
each node's primitive for its vector-Jacobian products (the chain rule, one link at a time):

.. math:: \bar{x} \mathrel{+}= \bar{y}\,\frac{\partial y}{\partial x}

This module knows no particular operation: the derivative rules live in :mod:`bplab.ops`.
Nodes hold no closures and no references to their children, so graphs have no reference
cycles and are freed as soon as the last Value goes (no garbage-collector pauses).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Iterator

import numpy as np

from bplab import ops
from bplab.ops import Function, Primitive
from bplab.validation import as_float_array, short_repr

_FLOAT64 = np.dtype(np.float64)
ArrayLike = Any  # a number, a (nested) sequence of numbers, or a NumPy array


class Value:
    r"""A number or an array of numbers that remembers how it was computed.

    ``Value(data, name=None, requires_grad=True)``. Arithmetic (``+ - * / ** @``, unary
    minus), functions (``.exp() .log() .tanh() .sigmoid() .relu()`` ...) and reductions
    (``.sum() .mean() .max()``) build a graph; ``.backward()`` fills ``.grad`` of every
    node with $\partial\,\text{output}/\partial\,\text{node}$. Gradients accumulate across
    ``backward()`` calls, as in PyTorch: call :meth:`zero_grad` between steps.

    Python numbers and NumPy arrays mix in as constants; no gradient is computed for them.
    """

    __slots__ = ("data", "name", "requires_grad", "_grad", "_op", "_parents", "_params", "__weakref__")
    __array_ufunc__ = None  # so that ndarray + Value calls Value.__radd__

    def __init__(self, data: ArrayLike, name: str | None = None, requires_grad: bool = True) -> None:
        if isinstance(data, Value):
            raise TypeError(
                "data: expected a number or an array, got a Value; "
                "use it directly, or value.detach() for a constant copy"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name: expected a string or None, got {type(name).__name__} {short_repr(name)}")
        self.data: np.ndarray = as_float_array(data)
        self.name = name
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad: expected True or False, got {type(requires_grad).__name__} "
                            f"{short_repr(requires_grad)}")
        self.requires_grad = bool(requires_grad)
        self._grad: np.ndarray | None = None
        self._op: Primitive | None = None
        self._parents: tuple[Value, ...] = ()
        self._params: dict[str, Any] = {}

    # ------------------------------------------------------------------ gradient storage
    @property
    def grad(self) -> np.ndarray:
        """$\\partial\\,\\text{output}/\\partial\\,\\text{self}$, same shape as ``data``; zeros before any backward."""
        if self._grad is None:
            self._grad = np.zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value: ArrayLike | None) -> None:
        if value is None:
            self._grad = None
            return
        array = as_float_array(value, "grad")
        if array.shape != self.data.shape:
            raise ValueError(f"grad: expected shape {self.data.shape} (the shape of data), got {array.shape}")
        self._grad = np.array(array, dtype=self.data.dtype)

    def zero_grad(self) -> None:
        """Forget accumulated gradients (the next backward starts from zero)."""
        self._grad = None

    @property
    def has_grad(self) -> bool:
        """Whether a backward pass (or an assignment) has given this Value a gradient since ``zero_grad``."""
        return self._grad is not None

    # ------------------------------------------------------------------ graph
    @property
    def op(self) -> Primitive | None:
        """The primitive that computed this Value (``None`` for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from (empty for a leaf)."""
        return self._parents

    @property
    def params(self) -> dict[str, Any]:
        """Non-differentiable arguments of the op (an axis, a shape, an index)."""
        return self._params

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def topological_order(self, needing_gradient: bool = False) -> list[Value]:
        """Every node this Value depends on, each after its parents; without recursion.

        With ``needing_gradient``, only the nodes a gradient reaches (constants such as a data
        batch are never visited): the order :meth:`backward` walks, reversed.
        """
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            key = id(node)
            if key in visited:  # marked when its parents are pushed, so that it lands after all of them
                continue
            visited.add(key)
            stack.append((node, True))
            for parent in node._parents:
                # (a parent pushed although visited would be skipped when popped: the check saves the pushes)
                if (parent.requires_grad or not needing_gradient) and id(parent) not in visited:
                    stack.append((parent, False))
        return order

    def backward(self, gradient: ArrayLike | None = None) -> None:
        r"""Add $\partial\,\text{self}/\partial\,\text{node}$ to ``node.grad`` for every node of the graph.

        For a scalar the seed is 1. For an array, pass ``gradient`` of the same shape
        (the vector in the vector-Jacobian product), or reduce first (``y.sum().backward()``).
        """
        self._reverse_pass(self._seed(gradient, "backward"), store=True)

    def _seed(self, gradient: ArrayLike | None, caller: str) -> np.ndarray:
        """The starting gradient: 1 for a single number, else ``gradient`` (a private copy, of this Value's shape)."""
        if gradient is None:
            if self.data.ndim != 0:
                raise ValueError(
                    f"{caller}(): this Value has shape {self.data.shape}, not a single number, so the "
                    f"starting gradient is ambiguous; reduce it first ({'value.sum().backward()' if caller == 'backward' else 'value.sum()'}) "
                    f"or pass gradient=np.ones({self.data.shape})"
                )
            return np.ones_like(self.data)
        seed = np.array(as_float_array(gradient, "gradient"), dtype=self.data.dtype)  # a copy: the caller keeps theirs
        if seed.shape != self.data.shape:
            raise ValueError(
                f"{caller}(gradient=...): expected shape {self.data.shape} (the Value's shape), got {seed.shape}"
            )
        return seed

    def _reverse_pass(self, seed: np.ndarray, store: bool, wanted: dict[int, Any] | None = None,
                      create_graph: bool = False) -> None:
        """Walk the graph backwards from this Value with ``seed``; ``store`` adds into every ``.grad``,
        ``wanted`` (``id -> None``) receives the total gradient of each node it names instead.

        With ``create_graph`` the VJPs run on Values (the node, its parents and the gradient), so the
        gradients are Values whose own graph can be differentiated again (only for ``wanted`` nodes)."""
        if create_graph:
            if wanted is None:
                raise ValueError("create_graph: gradients that are Values are given for wanted nodes only, got "
                                 "wanted=None; use bplab.gradients(output, inputs, create_graph=True)")
            with enable_grad():
                self._recorded_reverse_pass(seed if isinstance(seed, Value) else Value(seed, requires_grad=False), wanted)
            return
        relevant = self._leading_to(wanted) if wanted is not None else None
        # pending[id(node)]: the gradient collected so far for a node not yet visited. A leaf's entry is
        # always an array no other node holds (it becomes the leaf's .grad as is, and optimizers may
        # update it in place): a VJP's pass-through (add hands g to both inputs) or a view is copied
        # on its way to a leaf, a freshly computed array is not.
        pending: dict[int, np.ndarray] = {id(self): seed}
        for node in reversed(self.topological_order(needing_gradient=True)):
            g = pending.pop(id(node), None)
            if g is None:  # no gradient reached it (it leads to no wanted node)
                continue
            if wanted is not None and id(node) in wanted:
                wanted[id(node)] = g
            op = node._op
            if op is None:
                if store:
                    node._accumulate(g)
                continue
            if g.__class__ is not np.ndarray or g.dtype != node.data.dtype:
                g = np.asarray(g, dtype=node.data.dtype)
            if store:  # an inner node's gradient: kept for the graph figures, never updated in place
                node._grad = g if node._grad is None else node._grad + g
            parents = node._parents
            arrays = [p.data for p in parents]
            vjps, out, params = op.vjps, node.data, node._params
            for index, parent in enumerate(parents):
                if not parent.requires_grad or (relevant is not None and id(parent) not in relevant):
                    continue
                contribution = vjps[index](g, out, *arrays, **params)
                key = id(parent)
                previous = pending.get(key)
                if previous is not None:
                    pending[key] = previous + contribution
                elif parent._op is None and (contribution is g or not isinstance(contribution, np.ndarray)
                                             or contribution.base is not None):
                    pending[key] = np.array(contribution, dtype=parent.data.dtype)
                else:
                    pending[key] = contribution

    def _leading_to(self, wanted: dict[int, Any]) -> set[int]:
        """The nodes on some path from a wanted node up to this one: only their VJPs matter for ``wanted``."""
        leads: set[int] = set()
        for node in self.topological_order(needing_gradient=True):
            if id(node) in wanted or any(id(p) in leads for p in node._parents):
                leads.add(id(node))
        return leads

    def _recorded_reverse_pass(self, seed: Value, wanted: dict[int, Any]) -> None:
        """The reverse pass with every VJP applied to Values, so that it is recorded like any computation
        (only :func:`gradients` asks for it, always with the nodes it wants)."""
        relevant = self._leading_to(wanted)
        pending: dict[int, Value] = {id(self): seed}
        for node in reversed(self.topological_order(needing_gradient=True)):
            if id(node) not in pending:  # no gradient reached it (it leads to no wanted node)
                continue
            g = pending.pop(id(node))
            if id(node) in wanted:
                wanted[id(node)] = g
            op = node._op
            if op is None:
                continue
            parents = node._parents
            for index, parent in enumerate(parents):
                if not parent.requires_grad or id(parent) not in relevant:
                    continue
                try:
                    contribution = op.vjps[index](g, node, *parents, **node._params)
                    if not isinstance(contribution, Value):
                        contribution = as_value(contribution, "contribution")
                except TypeError as exc:  # a rule written for NumPy arrays only (convolutions, pooling)
                    raise NotImplementedError(
                        f"{op.name}: its VJP cannot itself be differentiated, so second derivatives through "
                        f"{op.name} are not supported ({str(exc)[:120]})"
                    ) from None
                key = id(parent)
                previous = pending.get(key)
                pending[key] = contribution if previous is None else previous + contribution

    def _accumulate(self, g: np.ndarray) -> None:
        # A leaf's gradient: g is an array no other node holds (see backward), kept as is when its
        # dtype is the leaf's; a second backward adds into a new array, never in place.
        if self._grad is None:
            if g.__class__ is not np.ndarray or g.dtype != self.data.dtype:  # 0-d sums come back as NumPy scalars
                g = np.asarray(g, dtype=self.data.dtype)
            self._grad = g
        else:
            self._grad = self._grad + g

    # ------------------------------------------------------------------ conveniences
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def item(self) -> float:
        """The single number this Value holds (it must have one entry)."""
        if self.data.size != 1:
            raise ValueError(f"item(): this Value holds {self.data.size} numbers (shape {self.data.shape}), not one")
        return float(self.data.reshape(()))

    def __float__(self) -> float:
        return self.item()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (the same array, not a copy)."""
        return self.data

    def detach(self) -> Value:
        """A constant with the same data: cut from the graph, no gradient flows through it."""
        return Value(self.data, name=self.name, requires_grad=False)

    def __bool__(self) -> bool:
        raise TypeError(
            "a Value has no truth value (is Value(0.5) true?); compare its number instead, "
            "e.g. value.item() > 0, or value.data for an array"
        )

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a scalar Value")
        return len(self.data)

    def __iter__(self) -> Iterator[Value]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a scalar Value")
        return (self[i] for i in range(len(self.data)))

    def __repr__(self) -> str:
        data = np.array2string(self.data, precision=4, separator=", ", threshold=8)
        text = f"Value({data}"
        if self._grad is not None:
            text += f", grad={np.array2string(self._grad, precision=4, separator=', ', threshold=8)}"
        if self.name is not None:
            text += f", name={self.name!r}"
        if self._op is not None:
            text += f", op={self._op.name!r}"
        return text + ")"

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Value:
        return apply(ops.add, self, other)

    def __radd__(self, other: Any) -> Value:
        return apply(ops.add, other, self)

    def __sub__(self, other: Any) -> Value:
        return apply(ops.sub, self, other)

    def __rsub__(self, other: Any) -> Value:
        return apply(ops.sub, other, self)

    def __mul__(self, other: Any) -> Value:
        return apply(ops.mul, self, other)

    def __rmul__(self, other: Any) -> Value:
        return apply(ops.mul, other, self)

    def __truediv__(self, other: Any) -> Value:
        return apply(ops.div, self, other)

    def __rtruediv__(self, other: Any) -> Value:
        return apply(ops.div, other, self)

    def __pow__(self, exponent: Any) -> Value:
        return apply(ops.power, self, exponent)

    def __rpow__(self, base: Any) -> Value:
        return apply(ops.power, base, self)

    def __neg__(self) -> Value:
        return apply(ops.neg, self)

    def __pos__(self) -> Value:
        return self

    def __matmul__(self, other: Any) -> Value:
        return apply(ops.matmul, self, other)

    def __rmatmul__(self, other: Any) -> Value:
        return apply(ops.matmul, other, self)

    def __getitem__(self, index: Any) -> Value:
        if isinstance(index, Value):
            raise TypeError("index: expected integers, slices or an integer array, got a Value")
        return apply(ops.getitem, self, index=index)

    # ------------------------------------------------------------------ functions
    # exp, log, tanh, sigmoid, relu, abs, sin, cos, tan, sqrt, step, sign: one method per entry
    # of ops.FUNCTIONS, attached below the class (adding a function there adds the method here).

    # ------------------------------------------------------------------ reductions and shape
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        r"""$\sum x_i$ over ``axis`` (all by default); each $x_i$ gets the output gradient."""
        return apply(ops.reduce_sum, self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        r"""$\frac{1}{n}\sum x_i$ over ``axis``; each $x_i$ gets $1/n$ of the output gradient."""
        return apply(ops.reduce_mean, self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        r"""$\max x_i$ over ``axis``; the gradient goes to the arg-max (shared among ties)."""
        return apply(ops.reduce_max, self, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        r"""$\ln \sum_i e^{x_i}$ along ``axis``, computed without overflow."""
        return apply(ops.logsumexp, self, axis=axis, keepdims=keepdims)

    def log_softmax(self, axis: int = -1) -> Value:
        r"""$x_i - \ln\sum_j e^{x_j}$: stable for any logits."""
        return self - self.logsumexp(axis=axis, keepdims=True)

    def softmax(self, axis: int = -1) -> Value:
        r"""$e^{x_i} / \sum_j e^{x_j}$, computed as $\exp(\text{log-softmax})$."""
        return self.log_softmax(axis=axis).exp()

    def reshape(self, *shape: int | tuple[int, ...]) -> Value:
        target = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
        return apply(ops.reshape, self, shape=target)

    def transpose(self, *axes: int) -> Value:
        order = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else (tuple(axes) or None)
        return apply(ops.transpose, self, axes=order)

    @property
    def T(self) -> Value:  # noqa: N802  (NumPy's name)
        return apply(ops.transpose, self, axes=None)


class _GradMode(threading.local):
    enabled = True  # per thread, as PyTorch's grad mode: a background job's no_grad leaves the kernel's thread alone
    tangents: dict[int, Any] | None = None  # forward mode's tangents while a forward_mode block runs


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether operations are being recorded for a backward pass (False inside :class:`no_grad`)."""
    return _grad_mode.enabled


class no_grad:  # noqa: N801  (PyTorch's name)
    """``with no_grad(): ...``: compute without recording a graph (heatmap grids, test losses, accuracy).

    Results are constants (``requires_grad=False``, no parents): nothing is kept for a backward
    pass, so evaluation costs only its NumPy work. Also usable as a decorator.
    """

    def __enter__(self) -> None:
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = False

    def __exit__(self, *exc_info: Any) -> None:
        _grad_mode.enabled = self._previous

    def __call__(self, function: Any) -> Any:
        @functools.wraps(function)
        def without_graph(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return function(*args, **kwargs)

        return without_graph


class enable_grad:  # noqa: N801  (PyTorch's name)
    """``with enable_grad(): ...``: record a graph again, even inside :class:`no_grad` (the function
    transforms and checkpointing's recomputation need a graph whatever the caller's mode)."""

    def __enter__(self) -> None:
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = True

    def __exit__(self, *exc_info: Any) -> None:
        _grad_mode.enabled = self._previous


def gradients(output: Value, inputs: Any, gradient: ArrayLike | None = None,
              create_graph: bool = False) -> list[Any]:
    r"""$\partial\,\text{output}/\partial\,x$ for each Value $x$ of ``inputs`` (PyTorch's ``torch.autograd.grad``).

    Nothing is stored in any ``.grad``: the gradients are returned, one array per input, each of
    its input's shape (zeros where the output does not depend on it). ``gradient`` is the
    starting gradient, needed when ``output`` is not a single number. With ``create_graph`` the
    backward pass is recorded and the gradients are Values: differentiate them again for second
    derivatives (a Hessian-vector product is the gradient of $\nabla f \cdot v$).
    """
    if not isinstance(output, Value):
        raise TypeError(f"output: expected a Value, got {type(output).__name__} {short_repr(output)}")
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for position, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"inputs[{position}]: expected a Value, got {type(x).__name__} {short_repr(x)}")
        if not x.requires_grad:
            raise ValueError(f"inputs[{position}]: this Value is a constant (requires_grad=False), so no gradient "
                             "is computed for it; make it with Value(data) (requires_grad=True) to differentiate by it")
    wanted: dict[int, Any] = {id(x): None for x in inputs}
    seed = output._seed(gradient.data if isinstance(gradient, Value) else gradient, "gradients")
    if create_graph and isinstance(gradient, Value):
        seed = gradient  # a recorded starting gradient: the result depends on it too (the double-VJP trick)
    # (a mutant passing store=None is equivalent: None reads as False)
    output._reverse_pass(seed, store=False, wanted=wanted, create_graph=create_graph)
    if create_graph:
        return [Value(np.zeros_like(x.data), requires_grad=False) if wanted[id(x)] is None else wanted[id(x)]
                for x in inputs]
    return [np.zeros_like(x.data) if wanted[id(x)] is None else np.array(wanted[id(x)], dtype=x.data.dtype)
            for x in inputs]


class _ValueFunctions:
    """The functions VJPs call beyond operators, for Values: each applies primitives, so it is recorded
    (:func:`bplab.ops.namespace` hands this out when a VJP runs inside a recorded backward pass)."""

    @staticmethod
    def _value(x: Any) -> Value:
        return x if isinstance(x, Value) else Value(as_float_array(x), requires_grad=False)

    def cos(self, x: Any) -> Value:
        return self._value(x).cos()

    def sin(self, x: Any) -> Value:
        return self._value(x).sin()

    def cosh(self, x: Any) -> Value:
        return self._value(x).cosh()

    def sinh(self, x: Any) -> Value:
        return self._value(x).sinh()

    def tanh(self, x: Any) -> Value:
        return self._value(x).tanh()

    def exp(self, x: Any) -> Value:
        return self._value(x).exp()

    def log(self, x: Any) -> Value:
        return self._value(x).log()

    def log1p(self, x: Any) -> Value:
        return (1.0 + self._value(x)).log()

    def sigmoid(self, x: Any) -> Value:
        return self._value(x).sigmoid()

    def softmax(self, x: Any, axis: int = -1) -> Value:
        return self._value(x).softmax(axis=axis)

    def where(self, condition: np.ndarray, a: Any, b: Any) -> Value:
        """``a`` where ``condition`` holds, else ``b`` (the condition is a constant mask)."""
        return apply(ops.where, a, b, condition=np.asarray(condition, dtype=bool))

    def scatter_add(self, g: Any, shape: tuple[int, ...], index: Any) -> Value:
        return apply(ops.scatter_add, self._value(g), shape=tuple(shape), index=index)

    def maximum(self, x: Any, floor: float) -> Any:
        x = self._value(x)
        return self.where(x.data > floor, x, floor)

    def broadcast_to(self, x: Any, shape: tuple[int, ...]) -> Value:
        x = self._value(x)
        # subtracting zeros broadcasts, and its VJP sums the copies back (adding them would turn a −0.0 into +0.0)
        return x - np.zeros(shape, dtype=x.data.dtype)

    def swap_last_axes(self, x: Any) -> Value:
        x = self._value(x)
        order = list(range(x.ndim))
        order[-1], order[-2] = order[-2], order[-1]
        return x.transpose(tuple(order))


Value.__bplab_functions__ = _ValueFunctions()  # read by bplab.ops.namespace


class forward_mode:  # noqa: N801  (a context, like no_grad)
    r"""Forward mode: inside ``with forward_mode() as tangents``, every Value computed from a Value
    with a tangent gets its own tangent, $\dot y = J\,\dot x$, from each primitive's JVP (dual numbers:
    a value and the direction it moves in, carried forward together).

    ``tangents.seed(x, direction)`` gives ``x`` a tangent; ``tangents.of(y)`` reads one (``None``
    when ``y`` does not depend on a seeded Value). One level only: forward mode inside forward mode
    is refused. :func:`bplab.func.jvp` is the convenient way in.
    """

    def __init__(self) -> None:
        self._tangents: dict[int, tuple[Value, np.ndarray]] = {}

    def seed(self, value: Value, tangent: ArrayLike) -> None:
        """Give ``value`` the tangent ``tangent`` (an array of its shape)."""
        array = np.array(as_float_array(tangent, "tangent"), dtype=value.data.dtype)
        if array.shape != value.data.shape:
            raise ValueError(f"tangent: expected shape {value.data.shape} (the Value's shape), got {array.shape}")
        self._tangents[id(value)] = (value, array)

    def of(self, value: Value) -> np.ndarray | None:
        """The tangent of ``value``, or ``None`` when it has none."""
        entry = self._tangents.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None

    def __enter__(self) -> forward_mode:
        if _grad_mode.tangents is not None:
            raise RuntimeError("forward_mode: already inside forward mode; nested forward mode is not supported "
                               "(for second derivatives use bplab.func.hvp, or jacfwd(grad(f)): forward over reverse)")
        _grad_mode.tangents = self._tangents
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _grad_mode.tangents = None


def _carry_tangent(primitive: Primitive, parents: tuple[Value, ...], out: Value, params: dict[str, Any],
                   tangents: dict[int, tuple[Value, np.ndarray]]) -> None:
    r"""Give ``out`` the tangent $\sum_k J_k \dot x_k$ over the parents that have one (forward mode)."""
    total = None
    arrays = None
    for index, parent in enumerate(parents):
        entry = tangents.get(id(parent))
        if entry is None or entry[0] is not parent:
            continue
        jvps = primitive.jvps
        if jvps is None:
            raise NotImplementedError(
                f"{primitive.name}: this primitive has no Jacobian-vector product (jvps), so forward mode "
                "cannot pass through it; use reverse mode (vjp, jacrev) for this function"
            )
        if arrays is None:
            arrays = [p.data for p in parents]
        contribution = jvps[index](entry[1], out.data, *arrays, **params)
        total = contribution if total is None else total + contribution
    if total is not None:
        total = np.asarray(total, dtype=out.data.dtype)
        if total.shape != out.data.shape:  # a broadcast input's tangent reaches every entry it was copied to
            total = np.broadcast_to(total, out.data.shape)
        tangents[id(out)] = (out, total)


def _constants_as_values(primitive: Primitive, inputs: tuple[Any, ...]) -> tuple[Value, ...]:
    """Numbers and arrays among ``inputs`` as constant Values (a Python number takes the Values' dtype)."""
    dtype = _FLOAT64
    for x in inputs:
        if isinstance(x, Value):
            dtype = x.data.dtype
            break
    parents = []
    for position, x in enumerate(inputs):
        if isinstance(x, Value):
            parents.append(x)
            continue
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            data = np.asarray(x, dtype=dtype)  # 2.0 * float32 stays float32
        # (mutation testing's "XXbiuXX" is equivalent: no dtype kind is "X")
        elif isinstance(x, np.ndarray) and x.dtype.kind in "biu":
            data = x.astype(dtype)  # a mask or a count takes the Values' dtype too, as NumPy's float32 * bool does
        else:
            data = as_float_array(x, f"{primitive.name}(): operand {position + 1}")
        constant = Value.__new__(Value)  # what Value(data, requires_grad=False) makes, without re-checking data
        constant.data, constant.name, constant.requires_grad = data, None, False
        constant._grad, constant._op, constant._parents, constant._params = None, None, (), {}
        parents.append(constant)
    return tuple(parents)


def apply(primitive: Primitive, *inputs: Any, **params: Any) -> Value:
    """Run ``primitive`` forward on ``inputs`` and record it in the graph.

    Inputs may be Values, numbers or NumPy arrays (the latter become constants). This is
    also how a new primitive is used: build a :class:`~bplab.ops.Primitive` and apply it.
    Inside :class:`no_grad` nothing is recorded.
    """
    arity = primitive.arity
    if arity is not None and len(inputs) != arity:
        raise TypeError(f"{primitive.name}(): expected {arity} operand(s), got {len(inputs)}")
    parents = inputs
    for x in inputs:
        if not isinstance(x, Value):
            parents = _constants_as_values(primitive, inputs)
            break
    try:
        data = primitive.forward(*[p.data for p in parents], **params)
    except (ValueError, IndexError) as exc:
        shapes = ", ".join(str(p.data.shape) for p in parents)
        raise ValueError(
            f"{primitive.name}(): cannot use operands of shape {shapes}"
            + (f" with {params}" if params else "")
            + f": {primitive.shape_rule} (NumPy said: {exc})"
        ) from None
    out = Value.__new__(Value)
    # (an ndarray passes through np.asarray unchanged, so converting every result would give the same Value;
    # a NumPy scalar must be converted: a test checks that a full reduction holds an ndarray)
    out.data = data if data.__class__ is np.ndarray else np.asarray(data)
    out.name = None
    out._grad = None
    if _grad_mode.enabled:
        out.requires_grad = False
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                break
        out._op = primitive
        out._parents = parents
        out._params = params
    else:
        out.requires_grad = False
        out._op = None
        out._parents = ()
        out._params = {}
    tangents = _grad_mode.tangents
    if tangents is not None:
        _carry_tangent(primitive, parents, out, params, tangents)
    return out


def _function_method(name: str, doc: str):
    """``Value.<name>()`` for one entry of :data:`bplab.ops.FUNCTIONS` (read at each call: the registry decides)."""

    def method(self: Value) -> Value:
        entry: Function = ops.FUNCTIONS[name]
        fused = entry.fused
        if fused and self._op is not None and self._op.name in fused:  # e.g. log(sigmoid(z)) as one stable op
            return apply(fused[self._op.name], self._parents[0])
        if entry.exponent is not None:
            return apply(entry.primitive, self, entry.exponent)
        return apply(entry.primitive, self)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


for _entry in ops.FUNCTIONS.values():
    setattr(Value, _entry.name, _function_method(_entry.name, _entry.doc))
del _entry


def as_value(x: Any, argument: str = "x") -> Value:
    """A Value stays itself; a number or an array becomes a constant Value (no gradient is computed for it)."""
    if isinstance(x, Value):
        return x
    return Value(as_float_array(x, argument), requires_grad=False)


def as_operand(x: Any, argument: str = "x") -> Value | np.ndarray:
    """A Value stays itself; anything else becomes a float NumPy array (a constant that costs no gradient)."""
    if isinstance(x, Value):
        return x
    return as_float_array(x, argument)
