r"""Recurrent networks and backpropagation through time (BPTT).

A recurrent cell applies the same weights at every time step: for the plain (Elman) RNN

.. math:: h_t = \tanh(x_t W_{ih} + b_{ih} + h_{t-1} W_{hh} + b_{hh}).

Unrolled over $T$ steps it is an ordinary deep graph, so ``loss.backward()`` *is* BPTT: the
gradient reaching $h_t$ sums the contributions of every later step, and it is multiplied by
one Jacobian $\partial h_{t+1}/\partial h_t$ per step back (vanishing when they are small,
exploding when large). ``truncate=k`` cuts the graph every $k$ steps (truncated BPTT):
gradients flow back at most to the last cut.

After a backward pass, :meth:`RNN.gradient_norms_through_time` gives
$\|\partial L/\partial h_t\|$ for every step $t$: the curve of the vanishing/exploding lesson.

Weights are stored ``(inputs, gates·hidden)`` so that a cell computes ``x @ W_ih`` (the layout
of :class:`bplab.nn.Linear`); PyTorch stores the transpose, with the same gate order
(LSTM: input, forget, cell, output; GRU: reset, update, new). In formulas the parameters are
``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``; with ``num_layers > 1`` layer $k$ (from 1) has ``W_ih{k}``...,
numbered by :func:`bplab.nn.module.number_parameters`, the rule that gives an MLP its ``W1``, ``W2``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bplab import init as initializers
from bplab.engine import Value, apply, as_operand
from bplab.nn.checks import check_batch
from bplab.nn.module import Module, number_parameters
from bplab.ops import EveryInput, Primitive, as_objects, register
from bplab.validation import make_rng, whole_number

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "stack", "stack_primitive", "State"]

State = Value | tuple[Value, Value]


# ---------------------------------------------------------------------------- stacking time steps


def _stack_vjp(k: int, g: np.ndarray, out: np.ndarray, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
    """Input ``k`` gets slice ``k`` of the gradient back."""
    index = [slice(None)] * g.ndim
    index[axis % g.ndim] = k
    return g[tuple(index)]


def _stack_jvp(k: int, t: np.ndarray, out: np.ndarray, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
    """Input ``k``'s tangent fills slice ``k`` of the output's; the other slices stay 0."""
    tangent = np.zeros_like(out)
    index = [slice(None)] * out.ndim
    index[axis % out.ndim] = k
    tangent[tuple(index)] = t
    return tangent


stack_primitive = register(Primitive(
    name="stack",
    forward=lambda *arrays, axis=0: np.stack(arrays, axis=axis),
    vjps=EveryInput(_stack_vjp),
    jvps=EveryInput(_stack_jvp),
    to_sympy=lambda *arrays, axis=0: as_objects(np.stack(arrays, axis=axis)),
    formula=r"Y = [x_1; x_2; \dots],\quad \bar x_k = \bar Y_k",
    shape_rule="all arrays must have the same shape",
))


def stack(values: list[Any], axis: int = 0) -> Value:
    r"""Stack Values (or arrays) of one shape along a new ``axis``, like ``np.stack``: $Y_k = x_k$, $\bar x_k = \bar Y_k$."""
    if not values:
        raise ValueError("values: expected at least one Value to stack, got an empty list")
    return apply(stack_primitive, *values, axis=axis)


# ---------------------------------------------------------------------------- cells


class _Cell(Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, init: Any, rng: Any, seed: Any, dtype: Any) -> None:
        self.input_size = whole_number(input_size, "input_size")
        self.hidden_size = whole_number(hidden_size, "hidden_size")
        generator = make_rng(rng, seed)
        width = self.gates * self.hidden_size
        if initializers.get_scheme(init) is initializers.pytorch_default:  # PyTorch: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden))
            bound = 1.0 / np.sqrt(self.hidden_size)

            def draw(shape, is_bias):
                return generator.uniform(-bound, bound, size=shape)
        else:
            scheme = initializers.get_scheme(init)

            def draw(shape, is_bias):
                return np.zeros(shape) if is_bias else scheme(shape, generator)

        self.weight_ih = Value(np.asarray(draw((self.input_size, width), False), dtype=dtype), name="W_ih")
        self.weight_hh = Value(np.asarray(draw((self.hidden_size, width), False), dtype=dtype), name="W_hh")
        self.bias_ih = Value(np.asarray(draw((width,), True), dtype=dtype), name="b_ih") if bias else None
        self.bias_hh = Value(np.asarray(draw((width,), True), dtype=dtype), name="b_hh") if bias else None

    def _projections(self, x: Any, h: Value | np.ndarray) -> tuple[Value, Value]:
        """$x W_{ih} + b_{ih}$ and $h W_{hh} + b_{hh}$."""
        from_input = x @ self.weight_ih
        from_hidden = h @ self.weight_hh
        if self.bias_ih is not None:
            from_input = from_input + self.bias_ih
            from_hidden = from_hidden + self.bias_hh
        return from_input, from_hidden

    def _check_input(self, x: Any) -> Value | np.ndarray:
        x = as_operand(x, "x")
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: x: expected shape (N, {self.input_size}) (N examples, input_size "
                f"features), got {x.shape}"
            )
        check_batch(x, type(self).__name__, "x")
        return x

    def _zeros(self, n: int, dtype: Any) -> np.ndarray:
        return np.zeros((n, self.hidden_size), dtype=dtype)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias_ih is not None else ", bias=False")


class RNNCell(_Cell):
    r"""$h' = f(x W_{ih} + b_{ih} + h W_{hh} + b_{hh})$ with $f$ = tanh (default), relu or linear.

    ``nonlinearity="linear"`` (not in PyTorch) gives $h' = x W_{ih} + h W_{hh}$, whose gradient
    through $T$ steps is exactly $W_{hh}^T$: the cleanest view of vanishing and exploding.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 init: Any = "pytorch_default", rng: Any = None, seed: int | None = None, dtype: Any = np.float64) -> None:
        if nonlinearity not in ("tanh", "relu", "linear"):
            raise ValueError(f"nonlinearity: expected 'tanh', 'relu' or 'linear', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, init, rng, seed, dtype)

    def forward(self, x: Any, hx: Value | np.ndarray | None = None) -> Value:
        x = self._check_input(x)
        h = self._zeros(x.shape[0], self.weight_hh.dtype) if hx is None else hx
        from_input, from_hidden = self._projections(x, h)
        total = from_input + from_hidden
        if self.nonlinearity == "tanh":
            return total.tanh()
        return total.relu() if self.nonlinearity == "relu" else total


class LSTMCell(_Cell):
    r"""Long short-term memory: gates $i, f, o = \sigma(\cdot)$, candidate $g = \tanh(\cdot)$,

    $c' = f \odot c + i \odot g$ (the additive path that lets gradients survive), $h' = o \odot \tanh(c')$.
    ``forward(x, (h, c))`` returns ``(h', c')``.
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, init: Any = "pytorch_default",
                 rng: Any = None, seed: int | None = None, dtype: Any = np.float64) -> None:
        super().__init__(input_size, hidden_size, bias, init, rng, seed, dtype)

    def forward(self, x: Any, hx: tuple[Any, Any] | None = None) -> tuple[Value, Value]:
        x = self._check_input(x)
        if hx is None:
            hx = (self._zeros(x.shape[0], self.weight_hh.dtype),) * 2
        h, c = hx
        from_input, from_hidden = self._projections(x, h)
        gates = from_input + from_hidden
        size = self.hidden_size
        input_gate = gates[:, 0:size].sigmoid()
        forget_gate = gates[:, size : 2 * size].sigmoid()
        candidate = gates[:, 2 * size : 3 * size].tanh()
        output_gate = gates[:, 3 * size : 4 * size].sigmoid()
        c_next = forget_gate * c + input_gate * candidate
        return output_gate * c_next.tanh(), c_next


class GRUCell(_Cell):
    r"""Gated recurrent unit: reset $r$ and update $z$ gates ($\sigma$), new content $n$ ($\tanh$),

    $n = \tanh(x W_{in} + b_{in} + r \odot (h W_{hn} + b_{hn}))$, $h' = (1 - z) \odot n + z \odot h$.
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, init: Any = "pytorch_default",
                 rng: Any = None, seed: int | None = None, dtype: Any = np.float64) -> None:
        super().__init__(input_size, hidden_size, bias, init, rng, seed, dtype)

    def forward(self, x: Any, hx: Value | np.ndarray | None = None) -> Value:
        x = self._check_input(x)
        h = self._zeros(x.shape[0], self.weight_hh.dtype) if hx is None else hx
        from_input, from_hidden = self._projections(x, h)
        size = self.hidden_size
        reset = (from_input[:, 0:size] + from_hidden[:, 0:size]).sigmoid()
        update = (from_input[:, size : 2 * size] + from_hidden[:, size : 2 * size]).sigmoid()
        new = (from_input[:, 2 * size :] + reset * from_hidden[:, 2 * size :]).tanh()
        return (1.0 - update) * new + update * h


# ---------------------------------------------------------------------------- sequence layers


def _detach(state: Any) -> Any:
    if isinstance(state, tuple):
        return tuple(_detach(s) for s in state)
    return state.detach() if isinstance(state, Value) else state


class _RecurrentLayer(Module):
    cell_type: type[_Cell] = RNNCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, init: Any = "pytorch_default", rng: Any = None,
                 seed: int | None = None, dtype: Any = np.float64, **cell_options: Any) -> None:
        self.input_size = whole_number(input_size, "input_size")
        self.hidden_size = whole_number(hidden_size, "hidden_size")
        self.num_layers = whole_number(num_layers, "num_layers")
        generator = make_rng(rng, seed)
        self.batch_first = batch_first
        self.cells: list[_Cell] = [
            self.cell_type(input_size if k == 0 else hidden_size, hidden_size, bias=bias, init=init,
                           rng=generator, dtype=dtype, **cell_options)
            for k in range(self.num_layers)
        ]
        if self.num_layers > 1:  # W_ih1, W_ih2 ...: one number per layer, the rule of Sequential's W1, W2
            number_parameters(self.cells)
        self.hidden_states: list[Value] = []

    def forward(self, x: Any, hx: Any = None, truncate: int | None = None) -> tuple[Value, Any]:
        r"""Run over a sequence ``(T, N, input_size)`` (``(N, T, input_size)`` when ``batch_first``).

        Returns ``(output, h_n)``: the top layer's $h_t$ for every step, and the last state of
        every layer ``(num_layers, N, hidden_size)`` (LSTM: ``(h_n, c_n)``), as PyTorch.
        ``truncate=k``: truncated BPTT, the graph is cut (the state detached) every ``k`` steps.
        """
        x = as_operand(x, "x")
        name = type(self).__name__
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(
                f"{name}: x: expected a sequence batch of shape {layout} with input_size={self.input_size}, "
                f"got {x.shape}" + ("; for one sequence add a batch axis" if x.ndim == 2 else "")
            )
        if truncate is not None:
            truncate = whole_number(truncate, "truncate", none_means="full BPTT")
        if self.batch_first:
            steps = [x[:, t] for t in range(x.shape[1])]
        else:
            steps = [x[t] for t in range(x.shape[0])]
        if not steps or steps[0].shape[0] == 0:
            raise ValueError(f"{name}: x: expected at least one time step and one sequence, got shape {x.shape}")
        states = self._initial_states(hx, steps[0].shape[0])
        finals = []
        for cell, state in zip(self.cells, states):
            outputs = []
            for t, x_t in enumerate(steps):
                if truncate and t > 0 and t % truncate == 0:
                    state = _detach(state)
                state = cell(x_t, state)
                outputs.append(state[0] if isinstance(state, tuple) else state)
            finals.append(state)
            steps = outputs
        self.hidden_states = steps
        output = stack(steps, axis=1 if self.batch_first else 0)
        return output, self._final_state(finals)

    def _initial_states(self, hx: Any, n: int) -> list[Any]:
        if hx is None:
            return [None] * self.num_layers
        expected = (self.num_layers, n, self.hidden_size)
        if tuple(hx.shape) != expected:
            raise ValueError(f"{type(self).__name__}: hx: expected shape {expected} (num_layers, N, hidden_size), got {hx.shape}")
        return [hx[k] for k in range(self.num_layers)]

    def _final_state(self, finals: list[Any]) -> Any:
        return stack(finals, axis=0)

    def gradient_norms_through_time(self) -> np.ndarray:
        r"""$\|\partial L/\partial h_t\|$ for $t = 1..T$ (top layer), after ``loss.backward()``."""
        if not self.hidden_states:
            raise RuntimeError("gradient_norms_through_time(): run the layer forward and call loss.backward() first")
        return np.array([float(np.linalg.norm(h.grad)) for h in self.hidden_states])

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, batch_first={self.batch_first}"


class RNN(_RecurrentLayer):
    """An Elman RNN over a sequence (tanh by default; ``nonlinearity="relu"`` or ``"linear"``)."""

    cell_type = RNNCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, init: Any = "pytorch_default", rng: Any = None,
                 seed: int | None = None, dtype: Any = np.float64) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, init, rng, seed, dtype,
                         nonlinearity=nonlinearity)


class GRU(_RecurrentLayer):
    """A GRU over a sequence."""

    cell_type = GRUCell


class LSTM(_RecurrentLayer):
    """An LSTM over a sequence; ``hx`` and the returned state are pairs ``(h, c)``."""

    cell_type = LSTMCell

    def _initial_states(self, hx: Any, n: int) -> list[Any]:
        if hx is None:
            return [None] * self.num_layers
        if not isinstance(hx, tuple) or len(hx) != 2:
            raise TypeError("LSTM: hx: expected a pair (h0, c0), each of shape (num_layers, N, hidden_size)")
        expected = (self.num_layers, n, self.hidden_size)
        for name, part in zip(("h0", "c0"), hx):
            if tuple(part.shape) != expected:
                raise ValueError(f"LSTM: hx: {name}: expected shape {expected} (num_layers, N, hidden_size), got {part.shape}")
        return [(hx[0][k], hx[1][k]) for k in range(self.num_layers)]

    def _final_state(self, finals: list[Any]) -> Any:
        return stack([h for h, _ in finals], axis=0), stack([c for _, c in finals], axis=0)
