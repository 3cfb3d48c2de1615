"""Convolution and pooling: kept importable here; the code lives in :mod:`bplab.nn.conv`."""

from bplab.nn.conv import (
    AvgPool2d,
    Conv2d,
    IntPair,
    MaxPool2d,
    avg_pool2d,
    avg_pool2d_primitive,
    conv2d,
    conv2d_primitive,
    max_pool2d,
    max_pool2d_primitive,
    output_size,
)

__all__ = [
    "conv2d", "max_pool2d", "avg_pool2d", "output_size", "Conv2d", "MaxPool2d", "AvgPool2d",
    "conv2d_primitive", "max_pool2d_primitive", "avg_pool2d_primitive", "IntPair",
]
