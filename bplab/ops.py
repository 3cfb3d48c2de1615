r"""The primitive table: every operation bplab can differentiate, defined once.

A primitive is three things kept side by side, so that they cannot drift apart:

* ``forward(*arrays, **params)``: the NumPy computation;
* ``vjps``: one vector-Jacobian product per input, ``vjp(g, out, *arrays, **params)``,
  which turns the gradient ``g`` of the loss with respect to the output into the gradient
  with respect to that input (the chain rule, one link at a time);
* ``to_sympy(*objects, **params)``: the same operation on NumPy *object* arrays of SymPy
  expressions, so that any graph can be turned into an exact formula.

The engine (:mod:`bplab.engine`) knows none of these by name: it only calls them.
SymPy is never imported here at module load; the SymPy counterparts import it when called.

Broadcasting follows NumPy. Every VJP returns a gradient of exactly its input's shape
(:func:`unbroadcast` sums the broadcast axes back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

Array = np.ndarray
VJP = Callable[..., Array]

BROADCAST_RULE = (
    "the shapes must be equal or broadcast by NumPy's rules "
    "(compare sizes from the right: each pair equal, or one of them 1)"
)


@dataclass(frozen=True)
class Primitive:
    r"""One differentiable operation: forward, one VJP per input, and a SymPy twin.

    ``formula`` is LaTeX for the operation and its derivative, shown in docs and notebooks.
    ``shape_rule`` is said to the learner when NumPy rejects the input shapes.
    """

    name: str
    forward: Callable[..., Array]
    vjps: tuple[VJP, ...]
    to_sympy: Callable[..., Any]
    formula: str
    shape_rule: str = BROADCAST_RULE

    def __repr__(self) -> str:  # short: these appear in graph reprs and error messages
        return f"<primitive {self.name}>"


# --------------------------------------------------------------------------- helpers


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` over the axes NumPy broadcast, so that it gets back ``shape``."""
    grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return np.asarray(grad).reshape(shape)


def _sympy():
    import sympy

    return sympy


def _sympy_functions():
    from bplab import sympy_functions

    return sympy_functions


def _objects(result: Any) -> Array:
    """Wrap a SymPy result (scalar or array) as a NumPy object array."""
    if isinstance(result, np.ndarray) and result.dtype == object:
        return result
    out = np.empty((), dtype=object)
    if isinstance(result, np.ndarray):
        out = np.empty(result.shape, dtype=object)
        out[...] = result
        return out
    out[()] = result
    return out


def _elementwise(function_name: str, custom: bool = False) -> Callable[[Array], Array]:
    """The SymPy twin of an elementwise function, applied entry by entry."""

    def apply(x: Array) -> Array:
        module = _sympy_functions() if custom else _sympy()
        fn = getattr(module, function_name)
        return _objects(np.frompyfunc(fn, 1, 1)(x))

    return apply


def _normalize_axis(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim if ndim else 0 for a in axes))


def _expand_reduced(g: Array, x_shape: tuple[int, ...], axis, keepdims: bool) -> Array:
    """Give a reduced gradient back the reduced axes (as size 1), ready to broadcast."""
    g = np.asarray(g)
    if not keepdims:
        for a in _normalize_axis(axis, len(x_shape)):
            g = np.expand_dims(g, a)
    return g


# --------------------------------------------------------------------------- arithmetic

add = Primitive(
    name="add",
    forward=np.add,
    vjps=(
        lambda g, out, a, b: unbroadcast(g, a.shape),
        lambda g, out, a, b: unbroadcast(g, b.shape),
    ),
    to_sympy=lambda a, b: _objects(a + b),
    formula=r"a + b,\quad \partial/\partial a = 1,\ \partial/\partial b = 1",
)

sub = Primitive(
    name="sub",
    forward=np.subtract,
    vjps=(
        lambda g, out, a, b: unbroadcast(g, a.shape),
        lambda g, out, a, b: unbroadcast(-g, b.shape),
    ),
    to_sympy=lambda a, b: _objects(a - b),
    formula=r"a - b,\quad \partial/\partial a = 1,\ \partial/\partial b = -1",
)

mul = Primitive(
    name="mul",
    forward=np.multiply,
    vjps=(
        lambda g, out, a, b: unbroadcast(g * b, a.shape),
        lambda g, out, a, b: unbroadcast(g * a, b.shape),
    ),
    to_sympy=lambda a, b: _objects(a * b),
    formula=r"a b,\quad \partial/\partial a = b,\ \partial/\partial b = a",
)

div = Primitive(
    name="div",
    forward=np.true_divide,
    vjps=(
        lambda g, out, a, b: unbroadcast(g / b, a.shape),
        lambda g, out, a, b: unbroadcast(-g * out / b, b.shape),
    ),
    to_sympy=lambda a, b: _objects(a / b),
    formula=r"a / b,\quad \partial/\partial a = 1/b,\ \partial/\partial b = -a/b^2",
)

neg = Primitive(
    name="neg",
    forward=np.negative,
    vjps=(lambda g, out, x: -g,),
    to_sympy=lambda x: _objects(-x),
    formula=r"-x,\quad d/dx = -1",
)


def _pow_vjp_base(g, out, a, b):
    if b.ndim == 0 and b == 2.0:  # the square of every loss: skip the general power
        return unbroadcast(g * 2.0 * a, a.shape)
    return unbroadcast(g * b * np.power(a, b - 1.0), a.shape)


def _pow_vjp_exponent(g, out, a, b):
    # a^b ln a; at a = 0 the product tends to 0 (for b > 0), as PyTorch has it, not 0 * -inf
    with np.errstate(divide="ignore"):
        log_a = np.log(np.where(a == 0, 1.0, a))
    return unbroadcast(g * out * log_a, b.shape)


power = Primitive(
    name="pow",
    forward=np.power,
    vjps=(_pow_vjp_base, _pow_vjp_exponent),
    to_sympy=lambda a, b: _objects(a**b),
    formula=r"a^b,\quad \partial/\partial a = b a^{b-1},\ \partial/\partial b = a^b \ln a",
)

# --------------------------------------------------------------------------- elementwise functions

def _tanh_vjp(g, out, x):
    local = np.square(out, out=np.empty_like(out))  # one temporary, reused: g * (1 - out^2)
    np.subtract(1.0, local, out=local)
    np.multiply(local, g, out=local)
    return local


def _sigmoid_vjp(g, out, x):
    local = np.subtract(1.0, out, out=np.empty_like(out))  # one temporary: g * out * (1 - out); out is never written
    np.multiply(local, out, out=local)
    np.multiply(local, g, out=local)
    return local


exp = Primitive(
    name="exp",
    forward=np.exp,
    vjps=(lambda g, out, x: g * out,),
    to_sympy=_elementwise("exp"),
    formula=r"e^x,\quad d/dx = e^x",
)

log = Primitive(
    name="log",
    forward=np.log,
    vjps=(lambda g, out, x: g / x,),
    to_sympy=_elementwise("log"),
    formula=r"\ln x,\quad d/dx = 1/x",
)

tanh = Primitive(
    name="tanh",
    forward=np.tanh,
    vjps=(_tanh_vjp,),
    to_sympy=_elementwise("tanh"),
    formula=r"\tanh x,\quad d/dx = 1 - \tanh^2 x",
)


def stable_sigmoid(x: Array) -> Array:
    r"""$\sigma(x) = 1/(1 + e^{-x})$ computed as $e^{-\log(1 + e^{-x})}$: no overflow at any x."""
    return np.exp(-np.logaddexp(0.0, -x))


def stable_log_sigmoid(x: Array) -> Array:
    r"""$\log \sigma(x) = -\log(1 + e^{-x})$, finite for every finite x."""
    return -np.logaddexp(0.0, -x)


sigmoid = Primitive(
    name="sigmoid",
    forward=stable_sigmoid,
    vjps=(_sigmoid_vjp,),
    to_sympy=_elementwise("sigmoid", custom=True),
    formula=r"\sigma(x) = \frac{1}{1+e^{-x}},\quad d/dx = \sigma(x)\,(1-\sigma(x))",
)

log_sigmoid = Primitive(
    name="log_sigmoid",
    forward=stable_log_sigmoid,
    vjps=(lambda g, out, x: g * stable_sigmoid(-x),),
    to_sympy=lambda x: _objects(
        np.frompyfunc(lambda v: _sympy().log(_sympy_functions().sigmoid(v)), 1, 1)(x)
    ),
    formula=r"\ln\sigma(x) = -\ln(1+e^{-x}),\quad d/dx = 1 - \sigma(x) = \sigma(-x)",
)

relu = Primitive(
    name="relu",
    forward=lambda x: np.maximum(x, 0.0),
    vjps=(lambda g, out, x: g * (x > 0),),
    to_sympy=_elementwise("relu", custom=True),
    formula=r"\max(0, x),\quad d/dx = 1 \text{ if } x > 0 \text{ else } 0",
)

absolute = Primitive(
    name="abs",
    forward=np.abs,
    vjps=(lambda g, out, x: g * np.sign(x),),
    to_sympy=_elementwise("Abs"),
    formula=r"|x|,\quad d/dx = \operatorname{sign}(x)",
)

sin = Primitive(
    name="sin",
    forward=np.sin,
    vjps=(lambda g, out, x: g * np.cos(x),),
    to_sympy=_elementwise("sin"),
    formula=r"\sin x,\quad d/dx = \cos x",
)

cos = Primitive(
    name="cos",
    forward=np.cos,
    vjps=(lambda g, out, x: -g * np.sin(x),),
    to_sympy=_elementwise("cos"),
    formula=r"\cos x,\quad d/dx = -\sin x",
)

tan = Primitive(
    name="tan",
    forward=np.tan,
    vjps=(lambda g, out, x: g * (1.0 + out * out),),
    to_sympy=_elementwise("tan"),
    formula=r"\tan x,\quad d/dx = 1 + \tan^2 x",
)

step = Primitive(
    name="step",
    forward=lambda x: (x > 0).astype(x.dtype),
    vjps=(lambda g, out, x: np.zeros_like(x),),
    to_sympy=lambda x: _objects(np.frompyfunc(lambda v: _sympy().Heaviside(v, 0), 1, 1)(x)),
    formula=r"H(x) = 1 \text{ if } x > 0 \text{ else } 0,\quad d/dx = 0 \text{ (flat: no signal to learn from)}",
)

sign = Primitive(
    name="sign",
    forward=np.sign,
    vjps=(lambda g, out, x: np.zeros_like(x),),
    to_sympy=_elementwise("sign"),
    formula=r"\operatorname{sign}(x),\quad d/dx = 0 \text{ (away from 0)}",
)

# --------------------------------------------------------------------------- reductions


def _sum_forward(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_vjp(g, out, x, axis=None, keepdims=False):
    return np.broadcast_to(_expand_reduced(g, x.shape, axis, keepdims), x.shape)


reduce_sum = Primitive(
    name="sum",
    forward=_sum_forward,
    vjps=(_sum_vjp,),
    to_sympy=lambda x, axis=None, keepdims=False: _objects(np.sum(x, axis=axis, keepdims=keepdims)),
    formula=r"\sum_i x_i,\quad \partial/\partial x_i = 1",
    shape_rule="axis must name an existing axis of the input",
)


def _count(shape: tuple[int, ...], axis) -> int:
    return int(np.prod([shape[a] for a in _normalize_axis(axis, len(shape))], dtype=np.int64))


def _mean_vjp(g, out, x, axis=None, keepdims=False):
    return _sum_vjp(g, out, x, axis, keepdims) / _count(x.shape, axis)


reduce_mean = Primitive(
    name="mean",
    forward=lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
    vjps=(_mean_vjp,),
    to_sympy=lambda x, axis=None, keepdims=False: _objects(
        np.sum(x, axis=axis, keepdims=keepdims) / _sympy().Integer(_count(x.shape, axis))
    ),
    formula=r"\frac{1}{n}\sum_i x_i,\quad \partial/\partial x_i = 1/n",
    shape_rule="axis must name an existing axis of the input",
)


def _max_vjp(g, out, x, axis=None, keepdims=False):
    out_kept = _expand_reduced(out, x.shape, axis, keepdims)
    winners = x == out_kept
    share = winners / winners.sum(axis=_normalize_axis(axis, x.ndim), keepdims=True)
    return _expand_reduced(g, x.shape, axis, keepdims) * share


def _max_sympy(x, axis=None, keepdims=False):
    sp = _sympy()
    axes = _normalize_axis(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    lead = moved.shape[: len(kept)]
    rows = moved.reshape(lead + (-1,))
    result = np.empty(lead, dtype=object)
    for index in np.ndindex(*lead):
        result[index] = sp.Max(*rows[index])
    if keepdims:
        for a in axes:
            result = np.expand_dims(result, a)
    return _objects(result)


reduce_max = Primitive(
    name="max",
    forward=lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
    vjps=(_max_vjp,),
    to_sympy=_max_sympy,
    formula=r"\max_i x_i,\quad \partial/\partial x_i = 1 \text{ at the arg-max (shared among ties)}, 0 \text{ elsewhere}",
    shape_rule="axis must name an existing axis of the input",
)


def _logsumexp_forward(x, axis=None, keepdims=False):
    shift = np.max(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    total = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    if not keepdims:
        total = np.squeeze(total, axis=_normalize_axis(axis, x.ndim))
    return total


def _logsumexp_vjp(g, out, x, axis=None, keepdims=False):
    out_kept = _expand_reduced(out, x.shape, axis, keepdims)
    return _expand_reduced(g, x.shape, axis, keepdims) * np.exp(x - out_kept)


logsumexp = Primitive(
    name="logsumexp",
    forward=_logsumexp_forward,
    vjps=(_logsumexp_vjp,),
    to_sympy=lambda x, axis=None, keepdims=False: _objects(
        np.frompyfunc(_sympy().log, 1, 1)(
            np.sum(np.frompyfunc(_sympy().exp, 1, 1)(x), axis=axis, keepdims=keepdims)
        )
    ),
    formula=r"\ln \sum_i e^{x_i} \text{ (computed as } m + \ln\sum_i e^{x_i - m},\ m = \max x),"
    r"\quad \partial/\partial x_i = \operatorname{softmax}(x)_i",
    shape_rule="axis must name an existing axis of the input",
)

# --------------------------------------------------------------------------- linear algebra and shape


def _promote_for_matmul(a, b, g):
    """Treat 1-D operands as a row (left) or a column (right), as NumPy's matmul does."""
    a_is_vector, b_is_vector = a.ndim == 1, b.ndim == 1
    g = np.asarray(g)
    if b_is_vector:
        b = b[:, None]
        g = g[..., None]
    if a_is_vector:
        a = a[None, :]
        g = g[..., None, :]
    return a, b, g, a_is_vector, b_is_vector


def _matmul_vjp_a(g, out, a, b):
    a2, b2, g2, a_is_vector, _ = _promote_for_matmul(a, b, g)
    grad = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape)
    return grad[0] if a_is_vector else grad


def _matmul_vjp_b(g, out, a, b):
    a2, b2, g2, _, b_is_vector = _promote_for_matmul(a, b, g)
    grad = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape)
    return grad[:, 0] if b_is_vector else grad


matmul = Primitive(
    name="matmul",
    forward=np.matmul,
    vjps=(_matmul_vjp_a, _matmul_vjp_b),
    to_sympy=lambda a, b: _objects(np.matmul(a, b)),
    formula=r"C = A B,\quad \bar A = \bar C B^\top,\ \bar B = A^\top \bar C",
    shape_rule=(
        "the left operand's last size must equal the right operand's first size "
        "(second-to-last for stacks): (n, k) @ (k, m) gives (n, m); did you mean to transpose one (x.T)?"
    ),
)

reshape = Primitive(
    name="reshape",
    forward=lambda x, shape: np.reshape(x, shape),
    vjps=(lambda g, out, x, shape: np.reshape(g, x.shape),),
    to_sympy=lambda x, shape: _objects(np.reshape(x, shape)),
    formula=r"\text{same numbers, new shape; the gradient is reshaped back}",
    shape_rule="the new shape must hold exactly as many entries as the old one",
)


def _inverse_axes(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


transpose = Primitive(
    name="transpose",
    forward=lambda x, axes=None: np.transpose(x, axes),
    vjps=(lambda g, out, x, axes=None: np.transpose(g, _inverse_axes(axes, x.ndim)),),
    to_sympy=lambda x, axes=None: _objects(np.transpose(x, axes)),
    formula=r"x^\top,\quad \text{the gradient is transposed back}",
    shape_rule="axes must be a permutation of the input's axes",
)


def _is_basic_index(index) -> bool:
    """Ints, slices, ``...`` and ``None`` only: no entry can be picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is Ellipsis or p is None for p in parts)


def _getitem_vjp(g, out, x, index):
    grad = np.zeros_like(x)
    if _is_basic_index(index):
        grad[index] = g
    else:  # fancy indexing may pick an entry twice: add, don't overwrite
        np.add.at(grad, index, g)
    return grad


getitem = Primitive(
    name="getitem",
    forward=lambda x, index: np.asarray(x[index]),
    vjps=(_getitem_vjp,),
    to_sympy=lambda x, index: _objects(x[index]),
    formula=r"x[i],\quad \text{the gradient goes back to the picked entries (added where picked twice)}",
    shape_rule="the index must fit the input's shape",
)

#: Every primitive, by name (for the docs, the tests and anyone listing what bplab can differentiate).
PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (
        add, sub, mul, div, neg, power, exp, log, tanh, sigmoid, log_sigmoid, relu, absolute,
        sin, cos, tan, step, sign, reduce_sum, reduce_mean, reduce_max, logsumexp, matmul, reshape, transpose, getitem,
    )
}

#: log(f(x)) for these f is computed by a stable fused primitive instead (log(sigmoid(-1000)) = -1000).
STABLE_LOG_OF: dict[str, Primitive] = {"sigmoid": log_sigmoid}
