r"""Normalization layers: batch normalization and layer normalization, as PyTorch computes them.

Both standardize with the primitive :data:`bplab.ops.standardize`,
$\hat x = (x - \mu)/\sqrt{\sigma^2 + \varepsilon}$ over an axis, whose backward pass is the fused formula
$\bar x = \frac1s\big(\bar{\hat x} - \operatorname{mean}\bar{\hat x} - \hat x \operatorname{mean}(\bar{\hat x}\,\hat x)\big)$,
then scale and shift by learned $\gamma$ (``weight``) and $\beta$ (``bias``).

* :class:`BatchNorm1d` standardizes each feature over the **batch** (axis 0). In training mode it uses the
  batch's statistics and updates running averages of them (the variance's unbiased, as PyTorch does);
  in evaluation mode (``model.eval()``) it uses the running averages, so one example's output no longer
  depends on the others in its batch.
* :class:`LayerNorm` standardizes each example over its **features** (the last axes): the same in
  training and evaluation.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from bplab import ops
from bplab.engine import Value, apply
from bplab.nn.module import Module, Tensor
from bplab.validation import whole_number


def _operand(x: Tensor) -> Value:
    return x if isinstance(x, Value) else Value(np.asarray(x, dtype=float), requires_grad=False)


def batch_norm(x: Tensor, running_mean: np.ndarray | None, running_var: np.ndarray | None, weight: Value | None = None,
               bias: Value | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Value:
    r"""``torch.nn.functional.batch_norm`` for ``x`` of shape ``(N, C)``: $\gamma \hat x + \beta$.

    Training: $\hat x$ from the batch's mean and (biased) variance; the running arrays, if given, move
    ``momentum`` of the way to the batch's mean and unbiased variance (in place). Evaluation: $\hat x$ from
    the running arrays.
    """
    x = _operand(x)
    if len(x.shape) != 2:
        raise ValueError(f"batch_norm: x: expected shape (N, C), a batch of feature vectors, got shape {x.shape}")
    if training:
        if x.shape[0] < 2:
            raise ValueError(f"batch_norm: x: expected more than 1 example per feature in training mode, got shape "
                             f"{x.shape}; use a larger batch, or model.eval() to use the running statistics")
        out = apply(ops.standardize, x, axis=0, eps=eps)
        if running_mean is not None and running_var is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * x.data.mean(axis=0)
            running_var *= 1 - momentum
            running_var += momentum * x.data.var(axis=0, ddof=1)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed in evaluation mode (training=False)")
        out = (x - running_mean) * (1.0 / np.sqrt(running_var + eps))
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def layer_norm(x: Tensor, normalized_shape: Sequence[int], weight: Value | None = None, bias: Value | None = None,
               eps: float = 1e-5) -> Value:
    r"""``torch.nn.functional.layer_norm``: standardize over the last ``len(normalized_shape)`` axes, then $\gamma \hat x + \beta$."""
    x = _operand(x)
    shape = tuple(normalized_shape)
    if tuple(x.shape[len(x.shape) - len(shape):]) != shape or len(x.shape) < len(shape):
        raise ValueError(f"layer_norm: x: expected its last axes to have shape {shape} (normalized_shape), "
                         f"got shape {x.shape}")
    axes = tuple(range(len(x.shape) - len(shape), len(x.shape)))
    out = apply(ops.standardize, x, axis=axes, eps=eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


class BatchNorm1d(Module):
    r"""Batch normalization over the batch axis of ``(N, num_features)`` inputs: $\gamma \hat x + \beta$ per feature.

    ``weight`` ($\gamma$, ones) and ``bias`` ($\beta$, zeros) are learned when ``affine``; ``running_mean``
    and ``running_var`` are NumPy arrays, not parameters (PyTorch's buffers).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 dtype: Any = np.float64) -> None:
        self.num_features = whole_number(num_features, "num_features", minimum=1)
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNorm1d: momentum: expected a number from 0 to 1, got {momentum!r}")
        if not float(eps) > 0.0:
            raise ValueError(f"BatchNorm1d: eps: expected a small positive number such as 1e-5, got {eps!r}")
        self.eps, self.momentum, self.affine = float(eps), float(momentum), affine
        self.weight = Value(np.ones(self.num_features, dtype=dtype), name="γ") if affine else None
        self.bias = Value(np.zeros(self.num_features, dtype=dtype), name="β") if affine else None
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def forward(self, x: Tensor) -> Value:
        shape = np.shape(x.data if isinstance(x, Value) else x)
        if len(shape) != 2 or shape[1] != self.num_features:
            raise ValueError(f"{self!r}: x: expected shape (N, {self.num_features}) (num_features = {self.num_features}), "
                             f"got shape {shape}")
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                          self.momentum, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}" + ("" if self.affine else ", affine=False")


class LayerNorm(Module):
    r"""Layer normalization over each example's last axes (``normalized_shape``): $\gamma \hat x + \beta$ entry by entry."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 dtype: Any = np.float64) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape = tuple(whole_number(n, "normalized_shape", minimum=1) for n in shape)
        if not self.normalized_shape:
            raise ValueError("LayerNorm: normalized_shape: expected at least one size, e.g. 64 or (8, 8), got ()")
        if not float(eps) > 0.0:
            raise ValueError(f"LayerNorm: eps: expected a small positive number such as 1e-5, got {eps!r}")
        self.eps = float(eps)
        self.weight = Value(np.ones(self.normalized_shape, dtype=dtype), name="γ") if elementwise_affine else None
        self.bias = Value(np.zeros(self.normalized_shape, dtype=dtype), name="β") if elementwise_affine else None

    def forward(self, x: Tensor) -> Value:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps:g}"
