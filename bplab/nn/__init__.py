r"""Layers, models and losses, with PyTorch's names, on bplab's engine.

>>> from bplab import nn
>>> model = nn.MLP([2, 16, 16, 1], activation="tanh", seed=0)
>>> loss = nn.binary_cross_entropy_with_logits(model(X), y)      # doctest: +SKIP
>>> loss.backward()                                                # doctest: +SKIP

This package only gathers the names; each module has one job:

* :mod:`bplab.nn.module`: :class:`Module`, :class:`Sequential`, :class:`Lambda`, :func:`functional_call`;
* :mod:`bplab.nn.layers`: :class:`Linear`, the activation modules, :class:`Flatten`, :class:`MLP`;
* :mod:`bplab.nn.functional`: :func:`softmax`, :func:`log_softmax`, :func:`sigmoid`, :func:`tanh`, :func:`relu`;
* :mod:`bplab.nn.losses`: :func:`mse_loss`, :func:`binary_cross_entropy`,
  :func:`binary_cross_entropy_with_logits`, :func:`cross_entropy` and their primitives;
* :mod:`bplab.nn.conv`: convolution and pooling; :mod:`bplab.nn.recurrent`: RNN, LSTM, GRU and BPTT;
* :mod:`bplab.nn.clip`: gradient norms and clipping.

**Layout.** :class:`Linear` stores its weight as ``(in_features, out_features)`` and computes
$y = xW + b$ for a batch ``x`` of shape ``(N, in_features)``: one row per example, the layout
the lessons teach. (PyTorch stores the transpose and computes $x W^\top + b$; the numbers are
the same.)

Inputs that need no gradient cost nothing: a data batch passed as a NumPy array is a
constant, and the backward pass computes no gradient for it.

The fused losses (:func:`cross_entropy`, :func:`binary_cross_entropy_with_logits`,
:func:`binary_cross_entropy`) are single primitives, like PyTorch's: stable for any logits,
and their backward rule is the famous one, $\partial L/\partial z = (p - y)/N$.
"""

from __future__ import annotations

from bplab.engine import Value
from bplab.nn.clip import clip_grad_norm_, clip_grad_value_, grad_norms, total_norm
from bplab.nn.conv import AvgPool2d, Conv2d, MaxPool2d
from bplab.nn.functional import linear, linear_primitive, log_softmax, relu, sigmoid, softmax, tanh
from bplab.nn.layers import ACTIVATIONS, MLP, Flatten, Identity, Linear, ReLU, Sigmoid, Softmax, Tanh
from bplab.nn.losses import (
    bce_primitive,
    bce_with_logits_primitive,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_primitive,
    mse_loss,
)
from bplab.nn.module import Lambda, Module, Sequential, Tensor, functional_call, number_parameters
from bplab.nn.normalization import BatchNorm1d, LayerNorm, batch_norm, layer_norm
from bplab.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "BatchNorm1d", "LayerNorm", "batch_norm", "layer_norm",
    # the module system
    "Module", "Sequential", "Lambda", "functional_call", "number_parameters", "Tensor", "Value",
    # layers
    "Linear", "Sigmoid", "Tanh", "ReLU", "Identity", "Softmax", "Flatten", "MLP", "ACTIVATIONS",
    # functions
    "linear", "linear_primitive", "softmax", "log_softmax", "sigmoid", "tanh", "relu",
    # losses
    "mse_loss", "binary_cross_entropy_with_logits", "binary_cross_entropy", "cross_entropy",
    "bce_with_logits_primitive", "bce_primitive", "cross_entropy_primitive",
    # gradient norms and clipping
    "clip_grad_norm_", "clip_grad_value_", "grad_norms", "total_norm",
    # convolution and recurrent layers (as torch.nn has them)
    "Conv2d", "MaxPool2d", "AvgPool2d", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU",
]
