r"""The primitive table: every operation bplab can differentiate, defined once.

A primitive is four things kept side by side, so that they cannot drift apart:

* ``forward(*arrays, **params)``: the NumPy computation;
* ``vjps``: one vector-Jacobian product per input, ``vjp(g, out, *arrays, **params)``,
  which turns the gradient ``g`` of the loss with respect to the output into the gradient
  with respect to that input (the chain rule, one link at a time, backwards: reverse mode);
* ``jvps``: one Jacobian-vector product per input, ``jvp(t, out, *arrays, **params)``, which
  turns a tangent ``t`` of that input (a direction it moves in) into the output's tangent,
  $J t$ (the chain rule forwards: forward mode). An elementwise function's Jacobian is
  diagonal, so its JVP is its VJP's formula with ``t`` for ``g``: :func:`elementwise` reuses it;
* ``to_sympy(*objects, **params)``: the same operation on NumPy *object* arrays of SymPy
  expressions, so that any graph can be turned into an exact formula.

The engine (:mod:`bplab.engine`) knows none of these by name: it only calls them.
SymPy is never imported here at module load; the SymPy counterparts import it when called.

**Defining a primitive elsewhere** (the losses, convolutions and recurrent layers do): build a
:class:`Primitive` with the public helpers below (:func:`unbroadcast`, :func:`as_objects`,
:func:`import_sympy`, :func:`elementwise_twin`, :func:`normalize_axis`, :func:`expand_reduced`),
pass it to :func:`register` (which adds it to :data:`PRIMITIVES`, so the primitive tests see it)
and run it with :func:`bplab.engine.apply`::

    cube = register(Primitive(
        name="cube", forward=lambda x: x**3, vjps=(lambda g, out, x: g * 3 * x**2,),
        to_sympy=lambda x: as_objects(x**3), formula=r"x^3,\quad d/dx = 3x^2",
    ))
    y = apply(cube, Value(2.0))

**Elementwise functions** (``tanh``, ``log``, ``sqrt`` ...) are declared once with
:func:`elementwise`: the entry in :data:`FUNCTIONS` is what the engine (``Value.tanh()``),
the formula parser, the SymPy bridge and the graph figure all read.

**Differentiating the backward pass** (second derivatives, Hessian-vector products): a VJP is
written once and runs on NumPy arrays (the fast first-order path) or on Values, when the backward
pass itself is recorded (``gradients(..., create_graph=True)``), as HIPS autograd's rules do.
Operators (``+ - * / ** @``, ``.T``, ``.reshape``, ``.sum``) work on both; the few functions a rule
needs beyond them come from :func:`namespace`, which answers NumPy's for arrays and the engine's
for Values. Masks that only pick entries (``x > 0`` for relu) are read from the numbers
(:func:`numbers_of`): they are constants, with derivative 0 where they are defined.

Broadcasting follows NumPy. Every VJP returns a gradient of exactly its input's shape
(:func:`unbroadcast` sums the broadcast axes back). The numerically delicate forwards
(stable sigmoid, log-sum-exp) live in :mod:`bplab.kernels`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from bplab import kernels

Array = np.ndarray
VJP = Callable[..., Array]
Axis = int | tuple[int, ...] | None

BROADCAST_RULE = (
    "the shapes must be equal or broadcast by NumPy's rules "
    "(compare sizes from the right: each pair equal, or one of them 1)"
)


class EveryInput:
    """The ``vjps`` (or ``jvps``) of a primitive that takes any number of inputs (``stack``): one rule for all.

    ``EveryInput(vjp)`` serves input ``k`` with ``vjp(k, g, out, *arrays, **params)``.
    """

    __slots__ = ("vjp",)

    def __init__(self, vjp: Callable[..., Array]) -> None:
        self.vjp = vjp

    def __getitem__(self, position: int) -> VJP:
        return functools.partial(self.vjp, position)


@dataclass(frozen=True)
class Primitive:
    r"""One differentiable operation: forward, one VJP per input, and a SymPy twin.

    ``formula`` is LaTeX for the operation and its derivative, shown in docs and notebooks.
    ``shape_rule`` is said to the learner when NumPy rejects the input shapes.
    ``symbol`` is the operation's label in the graph figure (default: its name).
    ``vjps`` is a tuple (one rule per input, so the primitive takes exactly that many inputs)
    or :class:`EveryInput` (any number of inputs); ``jvps`` likewise, for forward mode
    (``None``: forward mode stops at this primitive with an error that names it).
    """

    name: str
    forward: Callable[..., Array]
    vjps: tuple[VJP, ...] | EveryInput
    to_sympy: Callable[..., Any]
    formula: str
    shape_rule: str = BROADCAST_RULE
    symbol: str = ""
    jvps: tuple[VJP, ...] | EveryInput | None = None

    arity: int | None = field(init=False, repr=False, compare=False)  # how many inputs (None: any number)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arity", None if isinstance(self.vjps, EveryInput) else len(self.vjps))

    @property
    def label(self) -> str:
        """How the graph figure names a node of this operation."""
        return self.symbol or self.name

    def __repr__(self) -> str:  # short: these appear in graph reprs and error messages
        return f"<primitive {self.name}>"


#: Every primitive, by name, wherever it is defined (for the docs, the tests and anyone listing
#: what bplab can differentiate). :func:`register` adds to it.
PRIMITIVES: dict[str, Primitive] = {}


def _same_definition(old: Primitive, new: Primitive) -> bool:
    """The same definition run again (a module reloaded, e.g. by a notebook's autoreload)."""
    # (mutants of these getattr calls survive: telling them apart needs two forwards with one qualified name in two
    # modules, or a forward without __module__; the registry tests cover the definitions that exist)
    place = lambda p: (getattr(p.forward, "__module__", None), getattr(p.forward, "__qualname__", None))  # noqa: E731
    return old.formula == new.formula and place(old) == place(new)


def register(primitive: Primitive) -> Primitive:
    """Add ``primitive`` to :data:`PRIMITIVES` and return it; names are unique."""
    if not isinstance(primitive, Primitive):
        raise TypeError(f"primitive: expected a bplab.ops.Primitive, got {type(primitive).__name__}")
    existing = PRIMITIVES.get(primitive.name)
    if existing is not None and existing is not primitive and not _same_definition(existing, primitive):
        raise ValueError(f"primitive: the name {primitive.name!r} is taken by {existing!r}; choose another name")
    PRIMITIVES[primitive.name] = primitive
    return primitive


# --------------------------------------------------------------------------- helpers for rules and twins


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` over the axes NumPy broadcast, so that it gets back ``shape``."""
    # (a NumPy scalar has .shape and .sum too: converting only what is not an ndarray, or everything, is the same)
    if grad.__class__ is not np.ndarray and not is_recorded(grad):
        grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    # a bias summed over the batch, the commonest case, at once (a shortcut: the lines below give the same sum)
    if extra == 1 and grad.shape[1:] == shape and grad.__class__ is np.ndarray:  # pragma: no mutate
        return np.add.reduce(grad, axis=0)  # (axis=0 is add.reduce's default too)
    if extra > 0:  # pragma: no mutate (summing over no axes changes nothing)
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)  # pragma: no mutate (the reshape below restores the axes)
    return grad.reshape(shape)


class NumpyFunctions:
    """The functions VJPs call beyond operators, for NumPy arrays (see :func:`namespace`)."""

    cos, sin, cosh, sinh, tanh, exp, log, log1p = np.cos, np.sin, np.cosh, np.sinh, np.tanh, np.exp, np.log, np.log1p
    sigmoid = staticmethod(kernels.sigmoid)
    softmax = staticmethod(kernels.softmax)

    @staticmethod
    def where(condition: Array, a: Any, b: Any) -> Array:
        return np.where(condition, a, b)

    @staticmethod
    def scatter_add(g: Array, shape: tuple[int, ...], index: Any) -> Array:
        return _scatter_add_forward(g, shape, index)

    @staticmethod
    def maximum(x: Array, floor: float) -> Array:
        return np.maximum(x, floor)

    @staticmethod
    def broadcast_to(x: Array, shape: tuple[int, ...]) -> Array:
        return np.broadcast_to(x, shape)

    @staticmethod
    def swap_last_axes(x: Array) -> Array:
        return np.swapaxes(x, -1, -2)


NUMPY_FUNCTIONS = NumpyFunctions()


def namespace(*operands: Any) -> Any:
    """The functions for ``operands``: the engine's (applying primitives, so that they are recorded)
    when any operand is a Value (its type names them as ``__bplab_functions__``), NumPy's otherwise."""
    for x in operands:
        functions = getattr(type(x), "__bplab_functions__", None)
        if functions is not None:
            return functions
    return NUMPY_FUNCTIONS


def numbers_of(x: Any) -> Array:
    """The numbers ``x`` holds: a Value's ``data``, or ``x`` itself (for masks and shapes, which are constants)."""
    return x.data if is_recorded(x) else x


def is_recorded(x: Any) -> bool:
    """Whether ``x`` is a Value (a VJP running inside a recorded backward pass), not an array."""
    return getattr(type(x), "__bplab_functions__", None) is not None


def import_sympy():
    """The ``sympy`` module, imported on first use (SymPy twins call this; ``import bplab`` does not)."""
    import sympy

    return sympy


def as_objects(result: Any) -> Array:
    """Wrap a SymPy result (a scalar expression or an array of them) as a NumPy object array."""
    if isinstance(result, np.ndarray) and result.dtype == object:
        return result
    if isinstance(result, np.ndarray):
        out = np.empty(result.shape, dtype=object)
        out[...] = result
        return out
    out = np.empty((), dtype=object)
    out[()] = result
    return out


def elementwise_twin(function: Callable[[Any], Any]) -> Callable[[Array], Array]:
    """The SymPy twin of an elementwise operation: ``function`` (one expression in, one out) entry by entry."""

    def apply_entrywise(x: Array) -> Array:
        return as_objects(np.frompyfunc(function, 1, 1)(x))

    return apply_entrywise


def normalize_axis(axis: Axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (an int, a tuple or ``None`` for all) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim if ndim else 0 for a in axes))


def expand_reduced(g: Array, x_shape: tuple[int, ...], axis: Axis) -> Array:
    """Give a reduced gradient back the reduced axes (as size 1), ready to broadcast against the input.

    One rule whether the reduction kept its axes or not: a gradient of ``keepdims=True`` has them
    already, and the reshape leaves it as it is."""
    if not is_recorded(g):
        g = np.asarray(g)
    reduced = normalize_axis(axis, len(x_shape))
    return g.reshape(tuple(1 if a in reduced else n for a, n in enumerate(x_shape)))


# --------------------------------------------------------------------------- elementwise functions, by name


def _at_most_one(constant: float) -> float:
    return 1.0


@dataclass(frozen=True)
class Function:
    r"""An elementwise function as learners type it, e.g. ``tanh(x)``: one entry that every part reads.

    * the engine: ``Value.<name>()`` applies :attr:`primitive` (with :attr:`exponent` as a second,
      constant operand when set: ``sqrt`` is ``x ** 0.5``); when the input came from a primitive named
      in :attr:`fused`, the fused primitive is applied to that primitive's input instead
      (``log(sigmoid(z))`` becomes the stable ``log_sigmoid(z)``);
    * the parser: a name learners may type when :attr:`typed`; :attr:`bound` says how large
      $|f(c)|$ can be for a constant $c$ (the parser refuses constants above its limit);
    * the SymPy bridge: :attr:`sympy_name` in ``sympy`` (or in :mod:`bplab.sympy_functions` when
      :attr:`custom_sympy`), called with :attr:`sympy_extra_args` after the argument;
    * the graph figure: the primitive's label.
    """

    name: str
    primitive: Primitive
    sympy_name: str
    custom_sympy: bool = False
    sympy_extra_args: tuple[Any, ...] = ()
    typed: bool = True
    bound: Callable[[float], float] = _at_most_one
    exponent: float | None = None
    fused: Mapping[str, Primitive] = field(default_factory=dict)
    doc: str = ""

    def sympy_function(self) -> Callable[..., Any]:
        """The SymPy function of one argument (SymPy is imported here, on first use)."""
        if self.custom_sympy:
            from bplab import sympy_functions

            module: Any = sympy_functions
        else:
            module = import_sympy()
        function = getattr(module, self.sympy_name)
        if self.sympy_extra_args:
            return lambda x: function(x, *self.sympy_extra_args)
        return function


#: Every elementwise function, by the name learners type and the Value method's name.
FUNCTIONS: dict[str, Function] = {}


def elementwise(name: str, forward: Callable[[Array], Array], vjp: VJP, formula: str, doc: str,
                sympy_name: str | None = None, custom_sympy: bool = False,
                sympy_extra_args: tuple[Any, ...] = (), typed: bool = True,
                bound: Callable[[float], float] = _at_most_one) -> Primitive:
    r"""Define, register and list an elementwise function in one entry; returns its primitive.

    ``forward`` and ``vjp(g, out, x)`` are NumPy (the VJP also serves as the JVP: the Jacobian of an
    entry-by-entry function is diagonal); the SymPy twin is ``sympy_name`` (default:
    ``name``) applied entry by entry. ``doc`` becomes the docstring of ``Value.<name>()``.
    """
    entry_name = sympy_name or name

    def sympy_function(x: Any) -> Any:
        return FUNCTIONS[name].sympy_function()(x)

    primitive = register(Primitive(name=name, forward=forward, vjps=(vjp,), to_sympy=elementwise_twin(sympy_function),
                                   formula=formula, jvps=(vjp,)))  # a diagonal Jacobian: J t has the VJP's formula
    FUNCTIONS[name] = Function(name=name, primitive=primitive, sympy_name=entry_name, custom_sympy=custom_sympy,
                               sympy_extra_args=sympy_extra_args, typed=typed, bound=bound, doc=doc)
    return primitive


def function_of_sympy(sympy_name: str) -> Function | None:
    """The entry whose SymPy function is named ``sympy_name`` (``"Abs"`` gives ``abs``), if any."""
    for entry in FUNCTIONS.values():
        if entry.sympy_name == sympy_name and entry.exponent is None:
            return entry
    return None


# --------------------------------------------------------------------------- arithmetic

add = register(Primitive(
    name="add",
    forward=np.add,
    vjps=(
        lambda g, out, a, b: unbroadcast(g, a.shape),
        lambda g, out, a, b: unbroadcast(g, b.shape),
    ),
    to_sympy=lambda a, b: as_objects(a + b),
    formula=r"a + b,\quad \partial/\partial a = 1,\ \partial/\partial b = 1",
    symbol="+",
    jvps=(lambda t, out, a, b: t, lambda t, out, a, b: t),
))

sub = register(Primitive(
    name="sub",
    forward=np.subtract,
    vjps=(
        lambda g, out, a, b: unbroadcast(g, a.shape),
        lambda g, out, a, b: unbroadcast(-g, b.shape),
    ),
    to_sympy=lambda a, b: as_objects(a - b),
    formula=r"a - b,\quad \partial/\partial a = 1,\ \partial/\partial b = -1",
    symbol="−",
    jvps=(lambda t, out, a, b: t, lambda t, out, a, b: -t),
))

mul = register(Primitive(
    name="mul",
    forward=np.multiply,
    vjps=(
        lambda g, out, a, b: unbroadcast(g * b, a.shape),
        lambda g, out, a, b: unbroadcast(g * a, b.shape),
    ),
    to_sympy=lambda a, b: as_objects(a * b),
    formula=r"a b,\quad \partial/\partial a = b,\ \partial/\partial b = a",
    symbol="×",
    jvps=(lambda t, out, a, b: t * b, lambda t, out, a, b: t * a),
))

div = register(Primitive(
    name="div",
    forward=np.true_divide,
    vjps=(
        lambda g, out, a, b: unbroadcast(g / b, a.shape),
        lambda g, out, a, b: unbroadcast(-g * out / b, b.shape),
    ),
    to_sympy=lambda a, b: as_objects(a / b),
    formula=r"a / b,\quad \partial/\partial a = 1/b,\ \partial/\partial b = -a/b^2",
    symbol="÷",
    jvps=(lambda t, out, a, b: t / b, lambda t, out, a, b: -t * out / b),
))

neg = register(Primitive(
    name="neg",
    forward=np.negative,
    vjps=(lambda g, out, x: -g,),
    to_sympy=lambda x: as_objects(-x),
    formula=r"-x,\quad d/dx = -1",
    symbol="−x",
    jvps=(lambda t, out, x: -t,),
))


def _pow_local_base(a, b):
    r"""$\partial a^b/\partial a = b a^{b-1}$."""
    # the square of every loss: skip the general power (a shortcut: the line below gives the same numbers)
    if not is_recorded(b) and b.ndim == 0 and b == 2.0:  # pragma: no mutate
        return 2.0 * a
    return b * a ** (b - 1.0)


def _pow_local_exponent(out, a):
    r"""$\partial a^b/\partial b = a^b \ln a$; at a = 0 it tends to 0 (for b > 0), as PyTorch has it, not 0 * -inf."""
    xp = namespace(a)
    # a = 0 gets a placeholder, so no log(0) is taken: 1, whose log is 0 (for b > 0, out is 0 there anyway)
    log_a = xp.log(xp.where(numbers_of(a) == 0, 1.0, a))
    return out * log_a


def _pow_vjp_base(g, out, a, b):
    return unbroadcast(g * _pow_local_base(a, b), a.shape)


def _pow_vjp_exponent(g, out, a, b):
    return unbroadcast(g * _pow_local_exponent(out, a), b.shape)


power = register(Primitive(
    name="pow",
    forward=np.power,
    vjps=(_pow_vjp_base, _pow_vjp_exponent),
    jvps=(lambda t, out, a, b: t * _pow_local_base(a, b), lambda t, out, a, b: t * _pow_local_exponent(out, a)),
    to_sympy=lambda a, b: as_objects(a**b),
    formula=r"a^b,\quad \partial/\partial a = b a^{b-1},\ \partial/\partial b = a^b \ln a",
    symbol="^",
))

# --------------------------------------------------------------------------- elementwise functions


def _tanh_vjp(g, out, x):
    return g * (1.0 - out * out)


def _sigmoid_vjp(g, out, x):
    return g * out * (1.0 - out)


def _exp_bound(constant: float) -> float:
    return math.exp(min(constant, 700.0))  # pragma: no mutate (any cap near 700 is far above MAX_CONSTANT)


def _log_bound(constant: float) -> float:
    return abs(math.log(abs(constant))) if constant else math.inf


sin = elementwise(
    "sin", np.sin, lambda g, out, x: g * namespace(x).cos(x),
    formula=r"\sin x,\quad d/dx = \cos x", doc=r"$\sin x$; derivative $\cos x$.",
)

cos = elementwise(
    "cos", np.cos, lambda g, out, x: -g * namespace(x).sin(x),
    formula=r"\cos x,\quad d/dx = -\sin x", doc=r"$\cos x$; derivative $-\sin x$.",
)

tan = elementwise(
    "tan", np.tan, lambda g, out, x: g * (1.0 + out * out), bound=lambda c: abs(math.tan(c)),
    formula=r"\tan x,\quad d/dx = 1 + \tan^2 x", doc=r"$\tan x$; derivative $1 + \tan^2 x$.",
)

exp = elementwise(
    "exp", np.exp, lambda g, out, x: g * out,
    formula=r"e^x,\quad d/dx = e^x", doc=r"$e^x$; its derivative is $e^x$.", bound=_exp_bound,
)

log = elementwise(
    "log", np.log, lambda g, out, x: g / x,
    formula=r"\ln x,\quad d/dx = 1/x",
    doc=r"$\ln x$; derivative $1/x$. ``x.sigmoid().log()`` is computed as one stable op.", bound=_log_bound,
)

# sqrt is no primitive of its own: x ** 0.5, drawn and differentiated as a power
FUNCTIONS["sqrt"] = Function(
    name="sqrt", primitive=power, sympy_name="sqrt", exponent=0.5, bound=lambda c: math.sqrt(abs(c)),
    doc=r"$\sqrt{x} = x^{1/2}$; derivative $\frac{1}{2\sqrt{x}}$.",
)

tanh = elementwise(
    "tanh", np.tanh, _tanh_vjp,
    formula=r"\tanh x,\quad d/dx = 1 - \tanh^2 x", doc=r"$\tanh x$; derivative $1 - \tanh^2 x$.",
)

sigmoid = elementwise(
    "sigmoid", kernels.sigmoid, _sigmoid_vjp, custom_sympy=True,
    formula=r"\sigma(x) = \frac{1}{1+e^{-x}},\quad d/dx = \sigma(x)\,(1-\sigma(x))",
    doc=r"$\sigma(x) = 1/(1 + e^{-x})$, stable for any x; derivative $\sigma(x)(1 - \sigma(x))$.",
)

relu = elementwise(
    "relu", lambda x: np.maximum(x, 0.0), lambda g, out, x: g * (numbers_of(x) > 0), custom_sympy=True, bound=abs,
    formula=r"\max(0, x),\quad d/dx = 1 \text{ if } x > 0 \text{ else } 0",
    doc=r"$\max(0, x)$; derivative 1 for $x > 0$, else 0 (0 at the kink, as in PyTorch).",
)

absolute = elementwise(
    "abs", np.abs, lambda g, out, x: g * np.sign(numbers_of(x)), sympy_name="Abs", bound=abs,
    formula=r"|x|,\quad d/dx = \operatorname{sign}(x)", doc=r"$|x|$; derivative $\operatorname{sign}(x)$.",
)

step = elementwise(
    "step", lambda x: (x > 0).astype(x.dtype), lambda g, out, x: np.zeros_like(numbers_of(x)),
    sympy_name="Heaviside", sympy_extra_args=(0,), typed=False,
    formula=r"H(x) = 1 \text{ if } x > 0 \text{ else } 0,\quad d/dx = 0 \text{ (flat: no signal to learn from)}",
    doc=r"The step $H(x)$: 1 for $x > 0$, else 0; derivative 0 (no signal to learn from).",
)

sign = elementwise(
    "sign", np.sign, lambda g, out, x: np.zeros_like(numbers_of(x)), typed=False,
    formula=r"\operatorname{sign}(x),\quad d/dx = 0 \text{ (away from 0)}",
    doc=r"$\operatorname{sign}(x)$; derivative 0 away from 0.",
)


def _cosh_bound(constant: float) -> float:
    return math.cosh(min(abs(constant), 700.0))  # pragma: no mutate (the cap: as for exp)


def _sech_forward(x: Array) -> Array:
    r"""$\operatorname{sech} x = 2e^{-|x|} / (1 + e^{-2|x|})$: no overflow for large $|x|$, where cosh would."""
    decay = np.exp(-np.abs(x))
    return 2.0 * decay / (1.0 + decay * decay)


sinh = elementwise(
    "sinh", np.sinh, lambda g, out, x: g * namespace(x).cosh(x), bound=_cosh_bound,
    formula=r"\sinh x,\quad d/dx = \cosh x", doc=r"$\sinh x$; derivative $\cosh x$.",
)

cosh = elementwise(
    "cosh", np.cosh, lambda g, out, x: g * namespace(x).sinh(x), bound=_cosh_bound,
    formula=r"\cosh x,\quad d/dx = \sinh x", doc=r"$\cosh x$; derivative $\sinh x$.",
)

sech = elementwise(
    "sech", _sech_forward, lambda g, out, x: -g * out * namespace(x).tanh(x),
    formula=r"\operatorname{sech} x = 1/\cosh x,\quad d/dx = -\operatorname{sech} x \tanh x",
    doc=r"$\operatorname{sech} x = 1/\cosh x$, $\tanh$'s slope is $\operatorname{sech}^2 x$; "
        r"derivative $-\operatorname{sech} x \tanh x$.",
)

log_sigmoid = register(Primitive(
    name="log_sigmoid",
    forward=kernels.log_sigmoid,
    vjps=(lambda g, out, x: g * namespace(x).sigmoid(-x),),
    jvps=(lambda t, out, x: t * kernels.sigmoid(-x),),
    to_sympy=elementwise_twin(lambda v: import_sympy().log(FUNCTIONS["sigmoid"].sympy_function()(v))),
    formula=r"\ln\sigma(x) = -\ln(1+e^{-x}),\quad d/dx = 1 - \sigma(x) = \sigma(-x)",
))

# log of sigmoid's output is computed as one stable op: log(sigmoid(-1000)) = -1000, not -inf
FUNCTIONS["log"] = dataclasses.replace(FUNCTIONS["log"], fused={"sigmoid": log_sigmoid})


# --------------------------------------------------------------------------- reductions


def _sum_forward(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_vjp(g, out, x, axis=None, keepdims=False):  # keepdims is not read: the gradient has x's shape either way
    return namespace(g).broadcast_to(expand_reduced(g, x.shape, axis), x.shape)


reduce_sum = register(Primitive(
    name="sum",
    forward=_sum_forward,
    vjps=(_sum_vjp,),
    jvps=(lambda t, out, x, axis=None, keepdims=False: np.sum(t, axis=axis, keepdims=keepdims),),
    to_sympy=lambda x, axis=None, keepdims=False: as_objects(np.sum(x, axis=axis, keepdims=keepdims)),
    formula=r"\sum_i x_i,\quad \partial/\partial x_i = 1",
    shape_rule="axis must name an existing axis of the input",
))


def _count(shape: tuple[int, ...], axis) -> int:
    # int64: the product of a real array's sizes fits (pragma: the default integer type gives the same)
    return int(np.prod([shape[a] for a in normalize_axis(axis, len(shape))], dtype=np.int64))  # pragma: no mutate


def _mean_vjp(g, out, x, axis=None, keepdims=False):  # keepdims is not read, as in _sum_vjp
    return _sum_vjp(g, out, x, axis) / _count(x.shape, axis)  # (_sum_vjp does not read out either)


reduce_mean = register(Primitive(
    name="mean",
    forward=lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
    vjps=(_mean_vjp,),
    jvps=(lambda t, out, x, axis=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims),),
    to_sympy=lambda x, axis=None, keepdims=False: as_objects(
        np.sum(x, axis=axis, keepdims=keepdims) / import_sympy().Integer(_count(x.shape, axis))
    ),
    formula=r"\frac{1}{n}\sum_i x_i,\quad \partial/\partial x_i = 1/n",
    shape_rule="axis must name an existing axis of the input",
))


def _max_share(out, x, axis):
    """Each entry's share of the maximum: 1 at the arg-max, shared evenly among ties, 0 elsewhere (a constant)."""
    out, x = numbers_of(out), numbers_of(x)
    out_kept = expand_reduced(out, x.shape, axis)
    winners = x == out_kept
    return winners / winners.sum(axis=normalize_axis(axis, x.ndim), keepdims=True)


def _max_vjp(g, out, x, axis=None, keepdims=False):  # keepdims is not read: expand_reduced serves both
    return expand_reduced(g, x.shape, axis) * _max_share(out, x, axis)


def _max_jvp(t, out, x, axis=None, keepdims=False):
    return np.sum(t * _max_share(out, x, axis), axis=axis, keepdims=keepdims)


def _max_sympy(x, axis=None, keepdims=False):
    sp = import_sympy()
    axes = normalize_axis(axis, x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    lead = moved.shape[: len(kept)]
    rows = moved.reshape(lead + (math.prod(moved.shape[len(kept):]),))
    result = np.empty(lead, dtype=object)
    for index in np.ndindex(*lead):
        result[index] = sp.Max(*rows[index])
    if keepdims:
        for a in axes:
            result = np.expand_dims(result, a)
    return as_objects(result)


reduce_max = register(Primitive(
    name="max",
    forward=lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
    vjps=(_max_vjp,),
    jvps=(_max_jvp,),
    to_sympy=_max_sympy,
    formula=r"\max_i x_i,\quad \partial/\partial x_i = 1 \text{ at the arg-max (shared among ties)}, 0 \text{ elsewhere}",
    shape_rule="axis must name an existing axis of the input",
))


def _logsumexp_vjp(g, out, x, axis=None, keepdims=False):  # keepdims is not read: expand_reduced serves both
    out_kept = expand_reduced(out, x.shape, axis)
    return expand_reduced(g, x.shape, axis) * namespace(x).exp(x - out_kept)


def _logsumexp_jvp(t, out, x, axis=None, keepdims=False):
    softmax = np.exp(x - expand_reduced(out, x.shape, axis))
    return np.sum(t * softmax, axis=axis, keepdims=keepdims)


logsumexp = register(Primitive(
    name="logsumexp",
    forward=kernels.logsumexp,
    vjps=(_logsumexp_vjp,),
    jvps=(_logsumexp_jvp,),
    to_sympy=lambda x, axis=None, keepdims=False: as_objects(
        np.frompyfunc(import_sympy().log, 1, 1)(
            np.sum(np.frompyfunc(import_sympy().exp, 1, 1)(x), axis=axis, keepdims=keepdims)
        )
    ),
    formula=r"\ln \sum_i e^{x_i} \text{ (computed as } m + \ln\sum_i e^{x_i - m},\ m = \max x),"
    r"\quad \partial/\partial x_i = \operatorname{softmax}(x)_i",
    shape_rule="axis must name an existing axis of the input",
))

def _standardize_forward(x, axis=-1, eps=1e-5):
    centred = x - np.mean(x, axis=axis, keepdims=True)
    return centred / np.sqrt(np.mean(centred * centred, axis=axis, keepdims=True) + eps)


def _standardize_local(g, out, x, axis=-1, eps=1e-5):
    r"""$\frac{1}{s}\big(g - \bar g - \hat x\,\overline{g \hat x}\big)$: the Jacobian is symmetric, so this rule
    serves the backward pass (``g`` an output gradient) and forward mode (``g`` an input tangent) alike.
    Written with methods NumPy arrays and Values share, so that it records for higher derivatives."""
    centred = x - x.mean(axis=axis, keepdims=True)
    s = ((centred * centred).mean(axis=axis, keepdims=True) + eps) ** 0.5
    return (g - g.mean(axis=axis, keepdims=True) - out * (g * out).mean(axis=axis, keepdims=True)) / s


def _standardize_sympy(x, axis=-1, eps=1e-5):
    sympy = import_sympy()
    n = sympy.Integer(_count(x.shape, axis))
    centred = x - np.sum(x, axis=axis, keepdims=True) / n
    variance = np.sum(centred * centred, axis=axis, keepdims=True) / n
    return as_objects(centred / np.frompyfunc(sympy.sqrt, 1, 1)(variance + sympy.Float(eps)))


standardize = register(Primitive(
    name="standardize",
    forward=_standardize_forward,
    vjps=(_standardize_local,),
    jvps=(_standardize_local,),
    to_sympy=_standardize_sympy,
    formula=r"\hat x_i = \frac{x_i - \mu}{s},\ s = \sqrt{\sigma^2 + \varepsilon}\ (\mu, \sigma^2 \text{ over the axis}),"
    r"\quad \bar x_j = \frac{1}{s}\Big(\bar{\hat x}_j - \frac1n\sum_i \bar{\hat x}_i"
    r" - \hat x_j\,\frac1n\sum_i \bar{\hat x}_i\,\hat x_i\Big)",
    shape_rule="axis must name an existing axis of the input",
    symbol="standardize",
))

# --------------------------------------------------------------------------- linear algebra and shape


def _promote_for_matmul(a, b, g):
    """Treat 1-D operands as a row (left) or a column (right), as NumPy's matmul does."""
    a_is_vector, b_is_vector = a.ndim == 1, b.ndim == 1
    if not is_recorded(g):
        g = np.asarray(g)
    if b_is_vector:
        b = b[:, None]
        g = g[..., None]
    if a_is_vector:
        a = a[None, :]
        g = g[..., None, :]
    return a, b, g, a_is_vector, b_is_vector


def matmul_vjp_left(g: Array, out: Array, a: Array, b: Array) -> Array:
    r"""$\bar A = \bar C B^\top$ for $C = A B$ (1-D operands and stacks as NumPy's matmul treats them)."""
    # the common case, without the general promotion's bookkeeping (a shortcut: the general path gives the same)
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T
    a2, b2, g2, a_is_vector, _ = _promote_for_matmul(a, b, g)
    grad = unbroadcast(g2 @ namespace(b2).swap_last_axes(b2), a2.shape)
    return grad[0] if a_is_vector else grad


def matmul_vjp_right(g: Array, out: Array, a: Array, b: Array) -> Array:
    r"""$\bar B = A^\top \bar C$ for $C = A B$."""
    if a.ndim == 2 and b.ndim == 2:  # the shortcut of matmul_vjp_left
        return a.T @ g
    a2, b2, g2, _, b_is_vector = _promote_for_matmul(a, b, g)
    grad = unbroadcast(namespace(a2).swap_last_axes(a2) @ g2, b2.shape)
    return grad[:, 0] if b_is_vector else grad


matmul = register(Primitive(
    name="matmul",
    forward=np.matmul,
    vjps=(matmul_vjp_left, matmul_vjp_right),
    jvps=(lambda t, out, a, b: np.matmul(t, b), lambda t, out, a, b: np.matmul(a, t)),
    to_sympy=lambda a, b: as_objects(np.matmul(a, b)),
    formula=r"C = A B,\quad \bar A = \bar C B^\top,\ \bar B = A^\top \bar C",
    symbol="@",
    shape_rule=(
        "the left operand's last size must equal the right operand's first size "
        "(second-to-last for stacks): (n, k) @ (k, m) gives (n, m); did you mean to transpose one (x.T)?"
    ),
))

reshape = register(Primitive(
    name="reshape",
    forward=lambda x, shape: np.reshape(x, shape),
    vjps=(lambda g, out, x, shape: g.reshape(x.shape),),
    jvps=(lambda t, out, x, shape: np.reshape(t, out.shape),),
    to_sympy=lambda x, shape: as_objects(np.reshape(x, shape)),
    formula=r"\text{same numbers, new shape; the gradient is reshaped back}",
    shape_rule="the new shape must hold exactly as many entries as the old one",
))


def _inverse_axes(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


transpose = register(Primitive(
    name="transpose",
    forward=lambda x, axes=None: np.transpose(x, axes),
    vjps=(lambda g, out, x, axes=None: g.T if axes is None else g.transpose(_inverse_axes(axes, x.ndim)),),
    jvps=(lambda t, out, x, axes=None: np.transpose(t, axes),),
    to_sympy=lambda x, axes=None: as_objects(np.transpose(x, axes)),
    formula=r"x^\top,\quad \text{the gradient is transposed back}",
    shape_rule="axes must be a permutation of the input's axes",
))


def _is_basic_index(index) -> bool:
    """Ints, slices, ``...`` and ``None`` only: no entry can be picked twice. (Only the speed depends on the
    answer: np.add.at gives the same gradient for a basic index.)"""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is Ellipsis or p is None for p in parts)


def _scatter_add_forward(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (added twice where the index picks an entry twice)."""
    grad = np.zeros(shape, dtype=np.asarray(g).dtype)
    if _is_basic_index(index):
        grad[index] = g
    else:  # fancy indexing may pick an entry twice: add, don't overwrite
        np.add.at(grad, index, g)
    return grad


def _scatter_add_sympy(g, shape, index):
    grad = np.empty(shape, dtype=object)
    grad[...] = import_sympy().Integer(0)
    np.add.at(grad, index, g)
    return as_objects(grad)


def _getitem_vjp(g, out, x, index):
    return namespace(g).scatter_add(g, x.shape, index)


scatter_add = register(Primitive(
    name="scatter_add",
    forward=_scatter_add_forward,
    vjps=(lambda g, out, x, shape, index: g[index],),
    jvps=(lambda t, out, x, shape, index: _scatter_add_forward(t, shape, index),),
    to_sympy=_scatter_add_sympy,
    formula=r"y = 0 \text{ with } x \text{ added at } i,\quad \bar x = \bar y[i] \text{ (getitem's VJP, and getitem is its VJP)}",
    shape_rule="the index must fit the shape, and x must have the shape it picks",
))

getitem = register(Primitive(
    name="getitem",
    forward=lambda x, index: np.asarray(x[index]),
    vjps=(_getitem_vjp,),
    jvps=(lambda t, out, x, index: np.asarray(t[index]),),
    to_sympy=lambda x, index: as_objects(x[index]),
    formula=r"x[i],\quad \text{the gradient goes back to the picked entries (added where picked twice)}",
    shape_rule="the index must fit the input's shape",
))


# --------------------------------------------------------------------------- selection and identity


def _where_vjp_first(g, out, a, b, condition):
    return unbroadcast(namespace(g).where(condition, g, 0.0), a.shape)


def _where_vjp_second(g, out, a, b, condition):
    return unbroadcast(namespace(g).where(condition, 0.0, g), b.shape)


where = register(Primitive(
    name="where",
    forward=lambda a, b, condition: np.where(condition, a, b),
    vjps=(_where_vjp_first, _where_vjp_second),
    jvps=(lambda t, out, a, b, condition: np.where(condition, t, 0.0),
          lambda t, out, a, b, condition: np.where(condition, 0.0, t)),
    to_sympy=lambda a, b, condition: as_objects(np.where(condition, a, b)),
    formula=r"\text{where}(c, a, b),\quad \partial/\partial a = c,\ \partial/\partial b = 1 - c "
            r"\text{ (the condition } c \text{ is a constant mask)}",
    symbol="where",
))

identity = register(Primitive(
    name="identity",
    forward=lambda x: x,
    vjps=(lambda g, out, x: g,),
    jvps=(lambda t, out, x: t,),
    to_sympy=lambda x: as_objects(x),
    formula=r"y = x,\quad d/dx = 1 \text{ (a new node for the same numbers: a transform's own input)}",
    symbol="=",
))
