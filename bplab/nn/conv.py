r"""Convolution and pooling for images ``(N, C, H, W)``, vectorized (no Python loops over pixels).

Each is a :class:`~bplab.ops.Primitive` with its forward, its backward rules and a SymPy twin:

* :func:`conv2d`: every output pixel is a dot product of the kernel with a window of the
  (zero-padded) input: $y_{n,o,i,j} = \sum_{c,u,v} x_{n,c,\,is+u,\,js+v}\,K_{o,c,u,v}$.
  The windows are a strided *view* (``sliding_window_view``); one ``tensordot`` does the rest
  (the im2col idea). Backward: $\partial L/\partial K$ correlates the input windows with the
  output gradient; $\partial L/\partial x$ is a **correlation of the (stride-dilated, padded)
  output gradient with the flipped kernel** — a "full" convolution.
* :func:`max_pool2d`: the maximum of each window; the gradient goes **only to the arg-max**
  (the first one on ties, as PyTorch).
* :func:`avg_pool2d`: the mean of each window; the gradient is **spread evenly** over it.

Layouts follow PyTorch: kernels ``(out_channels, in_channels, kh, kw)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from bplab import init as initializers
from bplab.engine import Value, apply, as_value
from bplab.nn.checks import check_batch
from bplab.nn.module import Module
from bplab.ops import Primitive, as_objects, import_sympy, register
from bplab.validation import make_rng, whole_number

__all__ = [
    "conv2d", "max_pool2d", "avg_pool2d", "output_size", "Conv2d", "MaxPool2d", "AvgPool2d",
    "conv2d_primitive", "max_pool2d_primitive", "avg_pool2d_primitive", "IntPair",
]

IntPair = int | tuple[int, int]


def _pair(value: IntPair, argument: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{argument}: expected an int or a pair of ints like (2, 2), got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{argument}: expected values of at least {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _pad(x: np.ndarray, padding: tuple[int, int], fill: Any = 0) -> np.ndarray:
    """Pad the two spatial axes of ``(N, C, H, W)`` (works on SymPy object arrays too)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _windows(padded: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """The view ``(N, C, OH, OW, kh, kw)`` of every window the kernel visits (no copy)."""
    view = sliding_window_view(padded, kernel, axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1]]


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    r"""$\lfloor (\text{size} + 2\,\text{padding} - \text{kernel})/\text{stride} \rfloor + 1$."""
    return (size + 2 * padding - kernel) // stride + 1


def _check_image(x: Any, argument: str, operation: str) -> None:
    check_batch(x, operation, argument, ndim=4, layout="a batch of images of shape (N, C, H, W)",
                reshape_hint=f"{argument}.reshape(1, *{argument}.shape)", item="image")


def _check_fits(shape: tuple[int, ...], kernel: tuple[int, int], padding: tuple[int, int], operation: str) -> None:
    for axis, size, k, p in (("height", shape[2], kernel[0], padding[0]), ("width", shape[3], kernel[1], padding[1])):
        if size + 2 * p < k:
            raise ValueError(
                f"{operation}: the kernel's {axis} {k} is larger than the padded input's {axis} {size + 2 * p} "
                f"(input shape {shape}, padding {padding}): use a smaller kernel or more padding"
            )


# ============================================================================ conv2d


def _conv2d_forward(x, weight, stride=(1, 1), padding=(0, 0)):
    columns = _windows(_pad(x, padding), weight.shape[2:], stride)  # (N, C, OH, OW, kh, kw)
    out = np.tensordot(columns, weight, axes=([1, 4, 5], [1, 2, 3]))  # (N, OH, OW, O)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _conv2d_vjp_input(g, out, x, weight, stride=(1, 1), padding=(0, 0)):
    n, _, height, width = x.shape
    kh, kw = weight.shape[2:]
    (sh, sw), (ph, pw) = stride, padding
    oh, ow = g.shape[2:]
    padded_h, padded_w = height + 2 * ph, width + 2 * pw
    # spread g out by the stride and pad by kernel-1, so a valid correlation gives the padded input's size
    full = np.zeros((n, weight.shape[0], padded_h + kh - 1, padded_w + kw - 1), dtype=g.dtype)
    full[:, :, kh - 1 : kh - 1 + (oh - 1) * sh + 1 : sh, kw - 1 : kw - 1 + (ow - 1) * sw + 1 : sw] = g
    flipped = weight[:, :, ::-1, ::-1]
    columns = sliding_window_view(full, (kh, kw), axis=(2, 3))  # (N, O, Hp, Wp, kh, kw)
    grad = np.tensordot(columns, flipped, axes=([1, 4, 5], [0, 2, 3])).transpose(0, 3, 1, 2)  # (N, C, Hp, Wp)
    return np.ascontiguousarray(grad[:, :, ph : ph + height, pw : pw + width])


def _conv2d_vjp_weight(g, out, x, weight, stride=(1, 1), padding=(0, 0)):
    columns = _windows(_pad(x, padding), weight.shape[2:], stride)  # (N, C, OH, OW, kh, kw)
    return np.tensordot(g, columns, axes=([0, 2, 3], [0, 2, 3]))  # (O, C, kh, kw)


conv2d_primitive = register(Primitive(
    name="conv2d",
    forward=_conv2d_forward,
    vjps=(_conv2d_vjp_input, _conv2d_vjp_weight),
    jvps=(  # a convolution is linear in each input: its JVP is the convolution of the tangent
        lambda t, out, x, weight, stride=(1, 1), padding=(0, 0): _conv2d_forward(t, weight, stride, padding),
        lambda t, out, x, weight, stride=(1, 1), padding=(0, 0): _conv2d_forward(x, t, stride, padding),
    ),
    to_sympy=lambda x, weight, stride=(1, 1), padding=(0, 0): as_objects(_conv2d_forward(x, weight, stride, padding)),
    formula=(
        r"y_{n,o,i,j} = \sum_{c,u,v} x_{n,c,is+u,js+v} K_{o,c,u,v},\quad "
        r"\bar K = \text{corr}(x, \bar y),\ \bar x = \text{full corr}(\bar y, \text{flip}(K))"
    ),
    shape_rule="input (N, C, H, W) and kernel (O, C, kh, kw) with the same C",
))


def conv2d(x: Any, weight: Any, bias: Any = None, stride: IntPair = 1, padding: IntPair = 0) -> Value:
    r"""2-D convolution (PyTorch's, which is a cross-correlation): ``x`` ``(N, C, H, W)``, weight ``(O, C, kh, kw)``, bias ``(O,)``.

    Output ``(N, O, OH, OW)`` with $OH = \lfloor (H + 2p - k_h)/s \rfloor + 1$.
    """
    x, kernel = as_value(x, "x"), as_value(weight, "weight")
    _check_image(x, "x", "conv2d")
    if kernel.ndim != 4:
        raise ValueError(f"conv2d: weight: expected a kernel of shape (out_channels, in_channels, kh, kw), got {kernel.shape}")
    if kernel.shape[1] != x.shape[1]:
        raise ValueError(
            f"conv2d: x: expected {kernel.shape[1]} channels (the kernel's in_channels), got {x.shape[1]} "
            f"(input shape {x.shape}, kernel shape {kernel.shape})"
        )
    stride, padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    _check_fits(x.shape, kernel.shape[2:], padding, "conv2d")
    out = apply(conv2d_primitive, x, kernel, stride=stride, padding=padding)
    if bias is None:
        return out
    bias = as_value(bias, "bias")
    if bias.shape != (kernel.shape[0],):
        raise ValueError(f"conv2d: bias: expected shape ({kernel.shape[0]},), one per output channel, got {bias.shape}")
    return out + bias.reshape(1, -1, 1, 1)


# ============================================================================ pooling


def _window_argmax(x, kernel, stride, padding):
    """Flat indices into the padded input of each window's (first) maximum, shape (N, C, OH, OW)."""
    n, c, height, width = x.shape
    padded_w = width + 2 * padding[1]
    padded_h = height + 2 * padding[0]
    windows = _windows(_pad(x, padding, -np.inf), kernel, stride)
    oh, ow = windows.shape[2:4]
    best = windows.reshape(n, c, oh, ow, -1).argmax(axis=-1)
    row = np.arange(oh)[:, None] * stride[0] + best // kernel[1]
    col = np.arange(ow)[None, :] * stride[1] + best % kernel[1]
    plane = (np.arange(n)[:, None, None, None] * c + np.arange(c)[None, :, None, None]) * padded_h
    return ((plane + row) * padded_w + col), (padded_h, padded_w)


def _scatter_to_input(flat_index, weights, x_shape, padded, padding):
    """Add ``weights`` at ``flat_index`` of the padded input (np.bincount: fast, adds repeats), then crop."""
    n, c, height, width = x_shape
    total = np.bincount(flat_index.ravel(), weights=weights.ravel(), minlength=n * c * padded[0] * padded[1])
    grad = total.reshape(n, c, *padded)
    return grad[:, :, padding[0] : padding[0] + height, padding[1] : padding[1] + width]


def _max_pool_forward(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
    windows = _windows(_pad(x, padding, -np.inf), kernel, stride)
    return windows.max(axis=(4, 5))


def _max_pool_vjp(g, out, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
    flat_index, padded = _window_argmax(x, kernel, stride, padding)
    return _scatter_to_input(flat_index, g, x.shape, padded, padding).astype(x.dtype, copy=False)


def _max_pool_jvp(t, out, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
    """Each window's output moves as its arg-max entry does."""
    flat_index, _ = _window_argmax(x, kernel, stride, padding)
    return _pad(t, padding).ravel()[flat_index]


def _max_pool_sympy(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
    sp = import_sympy()
    windows = _windows(_pad(x, padding, sp.S.NegativeInfinity), kernel, stride)
    out = np.empty(windows.shape[:4], dtype=object)
    for index in np.ndindex(*out.shape):
        out[index] = sp.Max(*windows[index].ravel())
    return as_objects(out)


max_pool2d_primitive = register(Primitive(
    name="max_pool2d",
    forward=_max_pool_forward,
    vjps=(_max_pool_vjp,),
    jvps=(_max_pool_jvp,),
    to_sympy=_max_pool_sympy,
    formula=r"y = \max_{(u,v) \in \text{window}} x_{u,v},\quad \partial y/\partial x_{u,v} = 1 \text{ at the arg-max}, 0 \text{ elsewhere}",
    shape_rule="input (N, C, H, W) at least as large as the kernel",
))


def _pool_arguments(x, kernel_size, stride, padding, operation):
    _check_image(x, "x", operation)
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    padding = _pair(padding, "padding", 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{operation}: padding: expected at most half the kernel size {kernel}, got {padding}")
    _check_fits(x.shape, kernel, padding, operation)
    return kernel, stride, padding


def max_pool2d(x: Any, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> Value:
    r"""The maximum of each ``kernel_size`` window (``stride`` defaults to ``kernel_size``, as PyTorch).

    Backward: each output's gradient goes only to the input that was the maximum of its window.
    """
    x = as_value(x, "x")
    kernel, stride, padding = _pool_arguments(x, kernel_size, stride, padding, "max_pool2d")
    return apply(max_pool2d_primitive, x, kernel=kernel, stride=stride, padding=padding)


def _window_counts(shape, kernel, stride, padding, count_include_pad):
    if count_include_pad:
        return float(kernel[0] * kernel[1])
    inside = _pad(np.ones((1, 1, shape[2], shape[3])), padding)
    return _windows(inside, kernel, stride).sum(axis=(4, 5))[0, 0]  # (OH, OW): real pixels per window


def _avg_pool_forward(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), count_include_pad=True):
    windows = _windows(_pad(x, padding), kernel, stride)
    return windows.sum(axis=(4, 5)) / _window_counts(x.shape, kernel, stride, padding, count_include_pad)


def _avg_pool_vjp(g, out, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), count_include_pad=True):
    n, c, height, width = x.shape
    padded = (height + 2 * padding[0], width + 2 * padding[1])
    oh, ow = g.shape[2:]
    share = g / _window_counts(x.shape, kernel, stride, padding, count_include_pad)  # (N, C, OH, OW)
    corner = (
        ((np.arange(n)[:, None, None, None] * c + np.arange(c)[None, :, None, None]) * padded[0]
         + np.arange(oh)[:, None] * stride[0]) * padded[1]
        + np.arange(ow)[None, :] * stride[1]
    )  # flat index of each window's top-left entry
    offsets = (np.arange(kernel[0])[:, None] * padded[1] + np.arange(kernel[1])[None, :]).ravel()
    flat_index = corner[..., None] + offsets  # (N, C, OH, OW, kh*kw)
    weights = np.broadcast_to(share[..., None], flat_index.shape)
    return _scatter_to_input(flat_index, weights, x.shape, padded, padding).astype(x.dtype, copy=False)


def _avg_pool_sympy(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), count_include_pad=True):
    sp = import_sympy()
    windows = _windows(_pad(x, padding), kernel, stride)
    counts = _window_counts(x.shape, kernel, stride, padding, count_include_pad)
    counts = np.frompyfunc(lambda v: sp.Integer(int(v)), 1, 1)(np.asarray(counts))
    return as_objects(windows.sum(axis=(4, 5)) / counts)


avg_pool2d_primitive = register(Primitive(
    name="avg_pool2d",
    forward=_avg_pool_forward,
    vjps=(_avg_pool_vjp,),
    jvps=(lambda t, out, x, **params: _avg_pool_forward(t, **params),),  # linear: the tangent is averaged like the input
    to_sympy=_avg_pool_sympy,
    formula=r"y = \frac{1}{k_h k_w}\sum_{(u,v) \in \text{window}} x_{u,v},\quad \partial y/\partial x_{u,v} = \frac{1}{k_h k_w}",
    shape_rule="input (N, C, H, W) at least as large as the kernel",
))


def avg_pool2d(x: Any, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               count_include_pad: bool = True) -> Value:
    r"""The mean of each ``kernel_size`` window; the gradient is shared evenly by the window's entries."""
    x = as_value(x, "x")
    kernel, stride, padding = _pool_arguments(x, kernel_size, stride, padding, "avg_pool2d")
    return apply(avg_pool2d_primitive, x, kernel=kernel, stride=stride, padding=padding,
                 count_include_pad=bool(count_include_pad))


# ============================================================================ modules


class Conv2d(Module):
    r"""A convolution layer: kernel ``weight`` ``(out_channels, in_channels, kh, kw)`` and ``bias`` ``(out_channels,)``.

    Default ``init="pytorch_default"``: $U(\pm 1/\sqrt{\text{fan\_in}})$ with
    $\text{fan\_in} = \text{in\_channels}\cdot k_h k_w$, for kernel and bias (as ``torch.nn.Conv2d``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, bias: bool = True, init: str | initializers.InitScheme = "pytorch_default",
                 rng: np.random.Generator | int | None = None, seed: int | None = None, dtype: Any = np.float64) -> None:
        self.in_channels = whole_number(in_channels, "in_channels")
        self.out_channels = whole_number(out_channels, "out_channels")
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
        generator = make_rng(rng, seed)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Value(np.asarray(initializers.get_scheme(init)(shape, generator), dtype=dtype), name="K")
        self.bias: Value | None = None
        if bias:
            fan_in, _ = initializers.calculate_fan_in_and_fan_out(shape)
            bound = 1.0 / np.sqrt(fan_in) if initializers.get_scheme(init) is initializers.pytorch_default else 0.0
            self.bias = Value(np.asarray(generator.uniform(-bound, bound, self.out_channels) if bound else
                                         np.zeros(self.out_channels), dtype=dtype), name="c")

    def forward(self, x: Any) -> Value:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}" + ("" if self.bias is not None else ", bias=False"))


class MaxPool2d(Module):
    """Max pooling over ``kernel_size`` windows (stride defaults to the kernel size)."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Any) -> Value:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling over ``kernel_size`` windows (stride defaults to the kernel size)."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 count_include_pad: bool = True) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Value:
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"
