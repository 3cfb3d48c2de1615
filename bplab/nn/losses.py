r"""Loss functions: :func:`mse_loss`, :func:`binary_cross_entropy`, :func:`binary_cross_entropy_with_logits`, :func:`cross_entropy`.

The fused losses are single primitives, like PyTorch's (registered in
:data:`bplab.ops.PRIMITIVES`): stable for any logits, and their backward rule is the famous
one, $\partial L/\partial z = (p - y)/N$. Every loss takes ``reduction="mean"`` (default),
``"sum"`` or ``"none"`` (one loss per entry).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bplab import kernels
from bplab.engine import Value, apply, as_operand, as_value
from bplab.nn.checks import check_batch
from bplab.nn.module import Tensor
from bplab.ops import Primitive, as_objects, import_sympy, is_recorded, namespace, register

__all__ = [
    "mse_loss", "binary_cross_entropy_with_logits", "binary_cross_entropy", "cross_entropy",
    "bce_with_logits_primitive", "bce_primitive", "cross_entropy_primitive",
]

# ---------------------------------------------------------------------------- reductions

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(per_entry: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":  # np.mean's own sum and division, without its Python wrapper: the same bits in float32/64
        return np.add.reduce(per_entry, axis=None) / per_entry.size
    if reduction == "sum":
        return np.sum(per_entry)
    return per_entry


def _reduce_vjp(g: np.ndarray, shape: tuple[int, ...], reduction: str) -> np.ndarray:
    """What each entry receives from the reduction: g/n or g (a 0-d array that broadcasts), or g itself ("none")."""
    if reduction == "mean":
        count = 1
        for size in shape:
            count *= size
        return g / max(1, count)
    return g


def _reduce_sympy(objects: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return as_objects(np.sum(objects) / import_sympy().Integer(max(1, objects.size)))
    if reduction == "sum":
        return as_objects(np.sum(objects))
    return as_objects(objects)


# ---------------------------------------------------------------------------- input checks


def _check_same_shape(prediction: Tensor, target: Tensor, loss: str, argument: str) -> None:
    check_batch(prediction, loss, argument)
    input_shape, target_shape = prediction.shape, target.shape
    if input_shape == target_shape:
        return
    hint = ""
    if len(target_shape) == 1 and len(input_shape) == 2 and input_shape[0] == target_shape[0]:
        if input_shape[1] == 1:
            hint = "; reshape the target to a column: y.reshape(-1, 1)"
        else:
            hint = (
                f"; a target of shape {target_shape} with {input_shape[1]} outputs per example looks like class "
                "indices: use nn.cross_entropy(logits, classes)"
            )
    elif len(target_shape) == 2 and len(input_shape) == 1 and target_shape[1] == 1:
        hint = "; flatten the target: y.reshape(-1)"
    raise ValueError(f"{loss}: target: expected the same shape as {argument} {input_shape}, got {target_shape}{hint}")


def _check_probabilities(x: Tensor, loss: str, argument: str) -> None:
    data = x.data if isinstance(x, Value) else x
    slack = 1e-4  # rounding, and the small nudges of a finite-difference check
    if data.size and (data.min() < -slack or data.max() > 1 + slack):  # NaN compares False: left to the loss
        extra = (
            "; the model's output is not a probability: apply .sigmoid() first or use "
            "binary_cross_entropy_with_logits(logits, target)"
            if argument != "target"
            else "; binary targets are 0 or 1 (for class indices 0..C-1 use cross_entropy)"
        )
        raise ValueError(
            f"{loss}: {argument}: expected values between 0 and 1, got values from "
            f"{float(np.nanmin(data)):.4g} to {float(np.nanmax(data)):.4g}{extra}"
        )


def _prediction_and_target(prediction: Any, target: Any, reduction: str, loss: str, argument: str) -> tuple[Value, Tensor]:
    """The checks every elementwise loss starts with; returns the prediction as a Value and the target as floats."""
    _check_reduction(reduction)
    prediction, target = as_value(prediction, argument), as_operand(target, "target")
    _check_same_shape(prediction, target, loss, argument)
    return prediction, target


# ---------------------------------------------------------------------------- mean squared error


def mse_loss(prediction: Tensor, target: Tensor, reduction: str = "mean") -> Value:
    r"""Mean squared error $L = \frac{1}{n}\sum_i (\hat y_i - y_i)^2$; $\partial L/\partial \hat y_i = \frac{2}{n}(\hat y_i - y_i)$."""
    prediction, target = _prediction_and_target(prediction, target, reduction, "mse_loss", "prediction")
    squared = (prediction - target) ** 2
    return squared.mean() if reduction == "mean" else squared.sum() if reduction == "sum" else squared


# ---------------------------------------------------------------------------- binary cross-entropy from logits


def _bce_with_logits_forward(z, y, reduction="mean"):
    # (1 - y) z + ln(1 + e^{-z}) = (1 - y) z - ln sigma(z), finite for every z
    return _reduce((1.0 - y) * z - kernels.log_sigmoid(z), reduction)


def _bce_with_logits_sympy(z, y, reduction="mean"):
    sp = import_sympy()
    per_entry = np.frompyfunc(lambda zi, yi: (1 - yi) * zi + sp.log(1 + sp.exp(-zi)), 2, 1)(z, y)
    return _reduce_sympy(per_entry, reduction)


bce_with_logits_primitive = register(Primitive(
    name="binary_cross_entropy_with_logits",
    forward=_bce_with_logits_forward,
    vjps=(
        lambda g, out, z, y, reduction="mean": _reduce_vjp(g, z.shape, reduction) * (namespace(z).sigmoid(z) - y),
        lambda g, out, z, y, reduction="mean": _reduce_vjp(g, z.shape, reduction) * -z,
    ),
    jvps=(
        lambda t, out, z, y, reduction="mean": _reduce(t * (kernels.sigmoid(z) - y), reduction),
        lambda t, out, z, y, reduction="mean": _reduce(t * -z, reduction),
    ),
    to_sympy=_bce_with_logits_sympy,
    formula=r"L = -[y \ln\sigma(z) + (1-y)\ln(1-\sigma(z))],\quad \partial L/\partial z = \sigma(z) - y",
    shape_rule="logits and targets must have the same shape",
))


def binary_cross_entropy_with_logits(logits: Tensor, target: Tensor, reduction: str = "mean") -> Value:
    r"""Binary cross-entropy of $\hat y = \sigma(z)$ from the logits $z$, in one stable step.

    $L = -\frac1n\sum_i [y_i \ln\sigma(z_i) + (1 - y_i)\ln(1 - \sigma(z_i))]$, and
    $\partial L/\partial z_i = (\sigma(z_i) - y_i)/n$: no saturation, finite for any $z$.
    """
    loss = "binary_cross_entropy_with_logits"
    logits, target = _prediction_and_target(logits, target, reduction, loss, "logits")
    _check_probabilities(target, loss, "target")
    return apply(bce_with_logits_primitive, logits, target, reduction=reduction)


# ---------------------------------------------------------------------------- binary cross-entropy from probabilities

_LOG_FLOOR = -100.0  # PyTorch clamps ln(p) and ln(1 - p) at -100 so that p = 0 gives a finite loss
_DENOMINATOR_FLOOR = 1e-12  # and keeps p(1 - p) away from 0 in the gradient


def _at_least(x: Any, floor: float) -> Any:
    """$\\max(x, \\text{floor})$ entry by entry (on arrays, or on Values when the backward pass is recorded)."""
    return namespace(x).maximum(x, floor)


def _clamped_logs(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """$\\ln p$ and $\\ln(1 - p)$, each at least −100 (as PyTorch)."""
    xp = namespace(p)
    with np.errstate(divide="ignore"):
        return _at_least(xp.log(p), _LOG_FLOOR), _at_least(xp.log1p(-p), _LOG_FLOOR)


def _bce_forward(p, y, reduction="mean"):
    log_p, log_not_p = _clamped_logs(p)
    return _reduce(-(y * log_p + (1.0 - y) * log_not_p), reduction)


def _bce_local_input(p, y):
    return (p - y) / _at_least(p * (1.0 - p), _DENOMINATOR_FLOOR)


def _bce_local_target(p):
    log_p, log_not_p = _clamped_logs(p)
    return -(log_p - log_not_p)


def _bce_vjp_input(g, out, p, y, reduction="mean"):
    return _reduce_vjp(g, p.shape, reduction) * _bce_local_input(p, y)


def _bce_vjp_target(g, out, p, y, reduction="mean"):
    return _reduce_vjp(g, p.shape, reduction) * _bce_local_target(p)


def _bce_sympy(p, y, reduction="mean"):
    sp = import_sympy()
    per_entry = np.frompyfunc(lambda pi, yi: -(yi * sp.log(pi) + (1 - yi) * sp.log(1 - pi)), 2, 1)(p, y)
    return _reduce_sympy(per_entry, reduction)


bce_primitive = register(Primitive(
    name="binary_cross_entropy",
    forward=_bce_forward,
    vjps=(_bce_vjp_input, _bce_vjp_target),
    jvps=(
        lambda t, out, p, y, reduction="mean": _reduce(t * _bce_local_input(p, y), reduction),
        lambda t, out, p, y, reduction="mean": _reduce(t * _bce_local_target(p), reduction),
    ),
    to_sympy=_bce_sympy,
    formula=r"L = -[y\ln p + (1-y)\ln(1-p)],\quad \partial L/\partial p = \frac{p - y}{p(1-p)}",
    shape_rule="probabilities and targets must have the same shape",
))


def binary_cross_entropy(prediction: Tensor, target: Tensor, reduction: str = "mean") -> Value:
    r"""$L = -\frac1n\sum_i [y_i \ln p_i + (1 - y_i)\ln(1 - p_i)]$ for probabilities $p_i \in [0, 1]$.

    $\partial L/\partial p_i = \frac{p_i - y_i}{n\,p_i(1 - p_i)}$. Logs are clamped at −100 as in
    PyTorch. Given logits, prefer :func:`binary_cross_entropy_with_logits` (stable, no saturation).
    """
    loss = "binary_cross_entropy"
    prediction, target = _prediction_and_target(prediction, target, reduction, loss, "prediction")
    _check_probabilities(prediction, loss, "prediction")
    _check_probabilities(target, loss, "target")
    return apply(bce_primitive, prediction, target, reduction=reduction)


# ---------------------------------------------------------------------------- cross-entropy over classes


def _cross_entropy_forward(z, target, reduction="mean"):
    picked = kernels.log_softmax(z, axis=1)[np.arange(z.shape[0]), target]
    return _reduce(-picked, reduction)


def _softmax_minus_one_hot(z, target):
    """$p - y$ for each example: the derivative of its loss by its logits."""
    if is_recorded(z):
        one_hot = np.zeros(z.shape)
        one_hot[np.arange(z.shape[0]), target] = 1.0
        return namespace(z).softmax(z, axis=1) - one_hot
    grad = kernels.softmax(z, axis=1)
    grad[np.arange(z.shape[0]), target] -= 1.0
    return grad


def _cross_entropy_jvp(t, out, z, target, reduction="mean"):
    return _reduce(np.sum(t * _softmax_minus_one_hot(z, target), axis=1), reduction)


def _cross_entropy_vjp(g, out, z, target, reduction="mean"):
    # softmax minus one-hot: the gradient is p - y, times what each example's loss receives
    grad = _softmax_minus_one_hot(z, target)
    scale = _reduce_vjp(g, (z.shape[0],), reduction)
    return grad * (scale.reshape((-1, 1)) if scale.ndim else scale)


def _cross_entropy_sympy(z, target, reduction="mean"):
    sp = import_sympy()
    losses = np.empty(z.shape[0], dtype=object)
    for n in range(z.shape[0]):
        losses[n] = sp.log(sum(sp.exp(v) for v in z[n])) - z[n, int(target[n])]
    return _reduce_sympy(losses, reduction)


cross_entropy_primitive = register(Primitive(
    name="cross_entropy",
    forward=_cross_entropy_forward,
    vjps=(_cross_entropy_vjp,),
    jvps=(_cross_entropy_jvp,),
    to_sympy=_cross_entropy_sympy,
    formula=r"L = -\ln \operatorname{softmax}(z)_y,\quad \partial L/\partial z = p - \operatorname{onehot}(y)",
    shape_rule="logits (N, C) and integer classes (N,) with values 0..C-1",
))


def _class_indices(target: Any, n_examples: int, n_classes: int) -> np.ndarray:
    if isinstance(target, Value):
        target = target.data
    array = np.asarray(target)
    if array.dtype.kind == "f":
        hint = (
            "; these look like one-hot rows: pass target.argmax(axis=1)"
            if array.ndim == 2 else
            "; if they are whole numbers, convert: target.astype(int)"
        )
        raise TypeError(
            f"cross_entropy: target: expected integer class indices 0..{n_classes - 1} of shape ({n_examples},), "
            f"got a float array of shape {array.shape}{hint}"
        )
    if array.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target: expected integer class indices, got dtype {array.dtype}")
    if array.shape != (n_examples,):
        raise ValueError(
            f"cross_entropy: target: expected shape ({n_examples},), one class per example, got {array.shape}"
        )
    if array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(
            f"cross_entropy: target: expected classes from 0 to {n_classes - 1} (the logits have {n_classes} columns), "
            f"got values from {array.min()} to {array.max()}"
        )
    return array.astype(np.intp, copy=False)


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Value:
    r"""Cross-entropy of logits ``(N, C)`` against integer classes ``(N,)``, via a stable log-softmax.

    $L = -\frac1N \sum_n \ln \operatorname{softmax}(z_n)_{y_n}$ and
    $\partial L/\partial z_n = (p_n - \operatorname{onehot}(y_n))/N$ with $p_n = \operatorname{softmax}(z_n)$.
    """
    _check_reduction(reduction)
    logits = as_value(logits, "logits")
    check_batch(logits, "cross_entropy", "logits", ndim=2, layout="shape (N, C), one row of class scores per example",
                reshape_hint="logits.reshape(1, -1)")
    classes = _class_indices(target, logits.shape[0], logits.shape[1])
    return apply(cross_entropy_primitive, logits, target=classes, reduction=reduction)
