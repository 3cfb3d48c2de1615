r"""The module system: :class:`Module` (parameters found by looking at attributes), :class:`Sequential`, :class:`Lambda`.

Also :func:`functional_call` (run a module with some parameters swapped for Values of your
own) and :func:`number_parameters`, the one rule that numbers parameter names (``W`` →
``W1``, ``W2`` ...) so that formulas from :func:`bplab.to_sympy` tell the layers apart.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

import numpy as np

from bplab.engine import Value, as_value

Tensor = Value | np.ndarray  # what layers and losses accept


class Module:
    """Base class of layers and models: ``module(x)`` runs ``forward(x)``.

    Parameters are found by looking at the attributes: every :class:`Value` that requires a
    gradient, and the parameters of every sub-module (also inside lists and tuples, named
    ``"<attribute>.<index>"``), in the order the attributes were set.
    """

    #: Training mode (the default) or evaluation mode: layers such as BatchNorm1d behave differently in each.
    training: bool = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """Training mode for this module and every sub-module (``mode=False``: evaluation mode); returns it."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode: expected True or False, got {mode!r}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): batch normalization uses its running statistics; returns the module."""
        return self.train(False)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, x)")

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, sub-module)`` pairs: attributes that are Modules, and Modules inside list attributes (``"cells.0"``)."""
        for name, attribute in vars(self).items():
            if isinstance(attribute, Module):
                yield name, attribute
            elif isinstance(attribute, (list, tuple)):
                for index, item in enumerate(attribute):
                    if isinstance(item, Module):
                        yield f"{name}.{index}", item

    def children(self) -> list[Module]:
        return [child for _, child in self.named_children()]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(name, parameter)`` pairs, e.g. ``("0.weight", W)``, as in PyTorch; each parameter once."""
        seen: set[int] = set()
        for name, parameter in self._named_parameters(prefix):
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Value]]:
        children = dict(self.named_children())
        for name, attribute in vars(self).items():
            if isinstance(attribute, Value) and attribute.requires_grad:
                yield prefix + name, attribute
        for name, child in children.items():
            yield from child._named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Value]:
        """Every trainable Value of this module and its sub-modules (a list, each once)."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the accumulated gradients of every parameter (call between training steps)."""
        for parameter in self.parameters():
            parameter.zero_grad()

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's numbers, by name (to save, restore or compare a model)."""
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter's numbers from ``state`` (names as in :meth:`named_parameters`)."""
        parameters = dict(self.named_parameters())
        missing, unexpected = sorted(set(parameters) - set(state)), sorted(set(state) - set(parameters))
        if missing or unexpected:
            raise KeyError(f"state: expected the names {sorted(parameters)}; missing {missing}, unexpected {unexpected}")
        for name, parameter in parameters.items():
            array = np.asarray(state[name], dtype=parameter.data.dtype)
            if array.shape != parameter.data.shape:
                raise ValueError(f"state[{name!r}]: expected shape {parameter.data.shape}, got {array.shape}")
            parameter.data = array.copy()
            parameter.zero_grad()

    def num_parameters(self) -> int:
        """How many numbers the model learns."""
        return int(sum(p.data.size for p in self.parameters()))

    def to(self, dtype: Any) -> Module:
        """Convert every parameter to ``dtype`` (``np.float32`` or ``np.float64``) in place; returns self."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype: expected a float type such as np.float32 or np.float64, got {dtype}")
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype)
            parameter.zero_grad()
        return self

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            lines.extend(f"  ({name}): " + line if k == 0 else "  " + line for k, line in enumerate(repr(child).split("\n")))
        return "\n".join(lines + [")"])

    def extra_repr(self) -> str:
        return ""


def number_parameters(layers: Iterable[Module]) -> None:
    """Number the layers that have parameters, 1, 2, ..., in their parameters' names: ``W`` → ``W1``, ``b_ih`` → ``b_ih2``.

    The one naming rule of bplab's formulas (used by :class:`Sequential` and the multi-layer
    recurrent layers): :func:`bplab.to_sympy` then tells the layers apart. A name that already
    ends in a digit was numbered before (e.g. by an inner Sequential) and is left as it is.
    """
    number = 0
    for layer in layers:
        own = layer.parameters()
        if not own:
            continue
        number += 1
        for parameter in own:
            if parameter.name and not parameter.name[-1].isdigit():
                parameter.name = f"{parameter.name}{number}"


class Sequential(Module):
    """Runs its layers one after another: ``Sequential(Linear(2, 8), Tanh(), Linear(8, 1))``.

    Its children are named ``"0"``, ``"1"``, ... (parameters ``"0.weight"``, as in PyTorch),
    and :func:`number_parameters` renames the k-th layer that has parameters ``W`` → ``Wk``,
    ``b`` → ``bk`` (1-based), so that formulas from :func:`bplab.to_sympy` tell the layers apart.
    """

    def __init__(self, *layers: Module) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"layers[{index}]: expected a Module such as Linear(2, 3) or Tanh(), got {type(layer).__name__}; "
                    "wrap a function with nn.Lambda(...)"
                )
        self.layers: list[Module] = list(layers)
        number_parameters(self.layers)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers, named by position: ``("0", first), ("1", second)``, ..."""
        for index, layer in enumerate(self.layers):
            yield str(index), layer

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


class Lambda(Module):
    """Wraps a function of Values as a module (e.g. ``Lambda(lambda x: x.sin())``)."""

    def __init__(self, function: Callable[[Value], Value]) -> None:
        self.function = function

    def forward(self, x: Tensor) -> Value:
        return self.function(as_value(x, "x"))

    def extra_repr(self) -> str:
        return getattr(self.function, "__name__", "function")


def _owner_and_attribute(module: Module, name: str) -> tuple[Any, str]:
    """The object holding parameter ``name`` (``"0.weight"``, ``"cells.1.bias_hh"``) and the attribute to set on it."""
    *path, attribute = name.split(".")
    owner: Any = module
    for part in path:
        owner = owner[int(part)] if part.isdigit() and isinstance(owner, (list, tuple, Sequential)) else getattr(owner, part)
    return owner, attribute


def functional_call(module: Module, parameters: dict[str, Value], *args: Any, **kwargs: Any) -> Any:
    """Run ``module(*args)`` with some parameters replaced by the given Values (PyTorch's ``torch.func.functional_call``).

    With leaves of your own as parameters, :func:`bplab.compare` and :func:`bplab.gradcheck`
    can check a whole layer: ``compare(lambda W, b: functional_call(layer, {"weight": W, "bias": b}, x).sum(), at=...)``.
    """
    known = dict(module.named_parameters())
    originals = {}
    try:
        for name, value in parameters.items():
            if name not in known:
                raise KeyError(f"parameters: {name!r} is not a parameter of {type(module).__name__}; it has {sorted(known)}")
            owner, attribute = _owner_and_attribute(module, name)
            originals[name] = (owner, attribute, getattr(owner, attribute))
            setattr(owner, attribute, value)
        return module(*args, **kwargs)
    finally:
        for owner, attribute, original in originals.values():
            setattr(owner, attribute, original)
