r"""The training loop: :func:`fit` and the :class:`History` it returns.

One step is the four-step algorithm of the lessons: (1) forward, (2) the loss and its error
at the output, (3) backward through every layer, (4) only then every weight moves:

>>> history = fit(model, nn.cross_entropy, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=100)  # doctest: +SKIP
>>> history.final_loss, history.diverged, history.message                                              # doctest: +SKIP

``batch_size=None`` is batch gradient descent (the whole dataset each step), ``1`` is
stochastic gradient descent, ``k`` mini-batches of ``k``. When the loss becomes NaN or
infinite, or blows up far above where it started, training stops and the History says
``"diverged at step k"`` with the likely cause; :func:`fit` does not raise for that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from bplab import divergence, nn
from bplab.divergence import blew_up
from bplab.engine import Value, no_grad
from bplab.nn.clip import total_norm
from bplab.optim import Optimizer
from bplab.validation import as_float_array, as_number_array, make_rng, whole_number

LossFunction = Callable[[Value, Any], Value]
Callback = Callable[["History"], Any]


@dataclass
class History:
    """What happened during :func:`fit`.

    ``loss``: one number per step; ``epoch_loss``: the mean loss of each epoch's steps;
    ``accuracy``: per epoch, on the whole training set (classification only, else empty);
    ``grad_norms``: per parameter name (``"0.weight"``...), one $\\|\\partial L/\\partial\\theta\\|$
    per step; ``snapshots``: ``(step, {name: array copy})`` when asked for; ``diverged``,
    ``diverged_at_step`` and ``message`` tell how training ended.
    """

    loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)
    snapshots: list[tuple[int, dict[str, np.ndarray]]] = field(default_factory=list)
    steps: int = 0
    epochs: int = 0
    diverged: bool = False
    diverged_at_step: int | None = None
    stopped_early: bool = False
    message: str = ""

    @property
    def final_loss(self) -> float:
        """The loss of the last step (NaN before any step)."""
        return self.loss[-1] if self.loss else float("nan")

    def layer_grad_norms(self) -> dict[str, np.ndarray]:
        """Gradient norms per step as arrays, keyed by parameter name (for per-layer gradient-flow plots)."""
        return {name: np.asarray(values) for name, values in self.grad_norms.items()}

    def __repr__(self) -> str:
        status = self.message or f"{self.steps} steps"
        return f"History({self.epochs} epochs, {self.steps} steps, final loss {self.final_loss:.4g}: {status})"


def _default_accuracy(loss_fn: LossFunction, y: np.ndarray) -> Callable[[np.ndarray, np.ndarray], float] | None:
    """How to score predictions for the losses that classify (None for regression)."""
    if loss_fn is nn.cross_entropy:
        return lambda output, target: float(np.mean(np.argmax(output, axis=1) == target))
    if loss_fn is nn.binary_cross_entropy_with_logits:
        return lambda output, target: float(np.mean((output > 0) == (target > 0.5)))
    if loss_fn is nn.binary_cross_entropy:
        return lambda output, target: float(np.mean((output > 0.5) == (target > 0.5)))
    return None


def fit_steps(
    model: Callable[[Any], Value],
    loss_fn: LossFunction,
    optimizer: Optimizer,
    X: Any,
    y: Any,
    epochs: int = 1,
    batch_size: int | None = None,
    seed: int | None = 0,
    shuffle: bool = True,
    callbacks: Sequence[Callback] = (),
    record_grad_norms: bool = True,
    snapshot_every: int | None = None,
    accuracy: Callable[[np.ndarray, np.ndarray], float] | str | None = "auto",
    blowup_factor: float = 100.0,
) -> Iterator[History]:
    r""":func:`fit`, one epoch at a time: yields the (same, growing) :class:`History` after each epoch and
    returns it when training ends. An explorer trains this way in pieces, answering its controls between them.

    Train ``model`` on ``(X, y)`` with ``optimizer``.

    Each step: ``loss = loss_fn(model(X_batch), y_batch)``; ``loss.backward()``;
    ``optimizer.step()``; ``optimizer.zero_grad()``. ``batch_size=None`` uses all examples in
    every step, 1 is SGD, k mini-batches (the last one may be smaller); with ``shuffle`` the
    order is redrawn each epoch from ``seed``. ``callbacks`` are called with the History after
    every epoch; one that returns True stops training. ``snapshot_every=k`` stores a copy of
    every parameter every k steps (and at step 0). Divergence (NaN, inf, or a loss
    ``blowup_factor`` times the first one) stops training and is explained in ``history.message``.
    """
    X = as_number_array(X.data if isinstance(X, Value) else X, "X")
    y = as_number_array(y.data if isinstance(y, Value) else y, "y")
    if X.ndim == 0 or X.shape[0] == 0:
        raise ValueError(f"X: expected at least one example (shape (N, ...) with N >= 1), got shape {X.shape}")
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(
            f"y: expected one target per example of X ({X.shape[0]} examples), got shape {y.shape}"
        )
    X = as_float_array(X, "X")
    epochs = whole_number(epochs, "epochs", minimum=0)
    n = X.shape[0]
    batch_size = n if batch_size is None else whole_number(batch_size, "batch_size", none_means="full batch")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer: expected a bplab.optim optimizer such as SGD(model.parameters(), lr=0.1), got {type(optimizer).__name__}")
    score = _default_accuracy(loss_fn, y) if accuracy == "auto" else accuracy
    if score is not None and not callable(score):
        raise TypeError(f"accuracy: expected 'auto', None or a function (output, target) -> float, got {accuracy!r}")

    rng = make_rng(seed=seed)
    named = list(model.named_parameters()) if isinstance(model, nn.Module) else [
        (f"param{k}", p) for k, p in enumerate(p for g in optimizer.param_groups for p in g["params"])
    ]
    if named and X.dtype != named[0][1].dtype:  # float32 models train on float32 data (no silent promotion)
        X = X.astype(named[0][1].dtype)
        y = y.astype(named[0][1].dtype) if y.dtype.kind == "f" else y
    history = History(grad_norms={name: [] for name, _ in named} if record_grad_norms else {})
    norms = [(history.grad_norms[name], p) for name, p in named] if record_grad_norms else []
    if snapshot_every:
        history.snapshots.append((0, {name: p.data.copy() for name, p in named}))
    first_loss: float | None = None
    lr = optimizer.param_groups[0].get("lr")
    step = 0

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(epochs):
            if shuffle and batch_size < n:
                order = rng.permutation(n)
                X_epoch, y_epoch = X[order], y[order]
            else:
                X_epoch, y_epoch = X, y
            epoch_losses = []
            for start in range(0, n, batch_size):
                X_batch, y_batch = X_epoch[start : start + batch_size], y_epoch[start : start + batch_size]
                loss = loss_fn(model(X_batch), y_batch)
                loss_value = float(loss.data)
                step += 1
                history.loss.append(loss_value)
                epoch_losses.append(loss_value)
                if first_loss is None:
                    first_loss = loss_value
                if blew_up(loss_value, first_loss, blowup_factor if step > 1 else math.inf):
                    history.diverged, history.diverged_at_step = True, step
                    history.message = divergence.reason(f"step {step}", loss_value, first_loss, lr, batch_size)
                    break
                loss.backward()
                for record, p in norms:
                    record.append(total_norm([p.grad]) if p.has_grad else 0.0)
                optimizer.step()
                optimizer.zero_grad()
                if snapshot_every and step % snapshot_every == 0:
                    history.snapshots.append((step, {name: p.data.copy() for name, p in named}))
            history.steps = step
            history.epoch_loss.append(float(np.mean(epoch_losses)) if epoch_losses else float("nan"))
            if history.diverged:
                break
            history.epochs = epoch + 1
            if score is not None:
                with no_grad():  # only looked at: no graph to record
                    history.accuracy.append(score(model(X).data, y))
            if any(callback(history) is True for callback in callbacks):
                history.stopped_early = True
                history.message = f"stopped by a callback after epoch {epoch + 1} (step {step})"
                break
            yield history
    if not history.message:
        history.message = f"trained {history.epochs} epochs ({history.steps} steps); final loss {history.final_loss:.4g}"
    return history


def fit(
    model: Callable[[Any], Value],
    loss_fn: LossFunction,
    optimizer: Optimizer,
    X: Any,
    y: Any,
    epochs: int = 1,
    batch_size: int | None = None,
    seed: int | None = 0,
    shuffle: bool = True,
    callbacks: Sequence[Callback] = (),
    record_grad_norms: bool = True,
    snapshot_every: int | None = None,
    accuracy: Callable[[np.ndarray, np.ndarray], float] | str | None = "auto",
    blowup_factor: float = 100.0,
) -> History:
    r"""Train ``model`` on ``(X, y)`` with ``optimizer``; returns a :class:`History`.

    Each step: ``loss = loss_fn(model(X_batch), y_batch)``; ``loss.backward()``;
    ``optimizer.step()``; ``optimizer.zero_grad()``. The arguments are :func:`fit_steps`'s, which
    says what each does; this runs it to the end.
    """
    steps = fit_steps(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=batch_size, seed=seed, shuffle=shuffle,
                      callbacks=callbacks, record_grad_norms=record_grad_norms, snapshot_every=snapshot_every,
                      accuracy=accuracy, blowup_factor=blowup_factor)
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value
