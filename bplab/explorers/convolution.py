r"""The convolution explorer: a kernel slides over an image; then the gradient flows back to both.

The forward pass (top row): an 8×8 digit $x$, a 3×3 kernel $K$, and the output map
$y_{ij} = \sum_{u,v} x_{i+u,\,j+v}\,K_{uv}$ (PyTorch's convolution, a correlation), optionally
zero-padded and followed by 2×2 pooling. The loss is one output pixel, $L = y_{rc}$ (the gradient
arriving from above is 1 there and 0 elsewhere), or the sum of every output.

The backward pass (bottom row, read right to left): $\partial L/\partial y$ before pooling (max
pooling routes each window's gradient to its arg-max, average pooling spreads it as 1/4 each);
$\partial L/\partial K$, the correlation of the input with that gradient; and $\partial L/\partial x$,
the correlation of the zero-padded gradient with the **flipped** kernel. For one output pixel,
$\partial L/\partial x$ is the kernel itself pasted over the window that pixel saw.

``ConvolutionExplorer(digit=3, kernel="vertical edges", padding=False, pooling="none", loss="one output pixel", row=2, col=2)``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from bplab import data
from bplab.engine import Value
from bplab.explorers.base import Choice, Explorer, Slider, Toggle
from bplab.nn.conv import avg_pool2d, conv2d, max_pool2d
from bplab.plain_figures import Grid, plain_figure

#: 3×3 kernels, written as they are applied (row 0 at the top).
KERNELS = {
    "vertical edges": [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]],  # Sobel: responds to left-right change
    "horizontal edges": [[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]],
    "blur": [[1 / 9] * 3] * 3,
    "sharpen": [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
    "top-left corner": [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],  # y_ij = x_ij: the gradient lands where the pixel was read
}
POOLINGS = ("none", "max 2×2", "average 2×2")
#: The image's scale: ink on paper (black strokes on white), apart from the signed maps' purple and orange.
INK = [[0.0, "#ffffff"], [1.0, "#000000"]]
LOSSES = ("one output pixel", "sum of every output")
SIZE = 8


def digit_image(digit: int) -> np.ndarray:
    """The first shipped 8×8 image of ``digit`` (values in [0, 1])."""
    images, labels = data.digits(images=True)
    return images[np.flatnonzero(labels == digit)[0], 0]


def output_shape(padding: bool, pooling: str) -> int:
    """The side of the final output map: 8 (padded) or 6, halved by pooling."""
    side = SIZE if padding else SIZE - 2
    return side // 2 if pooling != "none" else side


@dataclass(frozen=True)
class ConvolutionState:
    params: dict[str, Any]
    image: np.ndarray  # (8, 8)
    kernel: np.ndarray  # (3, 3)
    convolved: np.ndarray  # the convolution's output map, before pooling
    output: np.ndarray  # the final map (pooled, or the convolution's)
    output_gradient: np.ndarray  # dL/d(output): 1 at the chosen pixel or everywhere
    convolved_gradient: np.ndarray  # dL/d(convolved): after the pooling's backward rule
    kernel_gradient: np.ndarray  # dL/dK
    image_gradient: np.ndarray  # dL/dx


def convolve_and_backpropagate(image: np.ndarray, kernel: np.ndarray, padding: bool, pooling: str, loss: str,
                               row: int, col: int) -> dict[str, np.ndarray]:
    """Forward through conv2d (and pooling), then backward from the loss; every map as a 2-D array."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling: expected one of {', '.join(map(repr, POOLINGS))}, got {pooling!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {', '.join(map(repr, LOSSES))}, got {loss!r}")
    x = Value(image.reshape(1, 1, SIZE, SIZE))
    k = Value(np.reshape(kernel, (1, 1, 3, 3)))
    convolved = conv2d(x, k, padding=1 if padding else 0)
    if pooling == "max 2×2":
        output = max_pool2d(convolved, 2)
    elif pooling == "average 2×2":
        output = avg_pool2d(convolved, 2)
    else:
        output = convolved
    seed = np.zeros(output.shape)
    if loss == "one output pixel":
        _, _, rows, cols = output.shape  # (batch, channel, rows, cols)
        if not (0 <= row < rows and 0 <= col < cols):
            raise ValueError(f"row, col: expected a pixel of the {rows}×{cols} output (0 to {rows - 1}), got ({row}, {col})")
        seed[0, 0, row, col] = 1.0
    else:
        seed[:] = 1.0
    (output * seed).sum().backward()
    return dict(convolved=convolved.data[0, 0], output=output.data[0, 0], output_gradient=seed[0, 0],
                convolved_gradient=convolved.grad[0, 0], kernel_gradient=k.grad[0, 0], image_gradient=x.grad[0, 0])


class ConvolutionExplorer(Explorer):
    """``ConvolutionExplorer(digit=3, kernel="vertical edges", padding=False, pooling="none", loss="one output pixel",
    row=2, col=2)``: a convolution's output map, then the gradient maps flowing back to the kernel and the image."""

    title = "A convolution, forward and backward"
    controls = {
        "digit": Slider("image: a digit", 0, 9, integer=True),
        "kernel": Choice("kernel K", tuple(KERNELS)),
        "padding": Toggle("zero padding (keep 8×8)"),
        "pooling": Choice("then pooling", POOLINGS),
        "loss": Choice("the loss L", LOSSES),
        "row": Slider("output pixel: row", 0, SIZE - 1, integer=True),
        "col": Slider("output pixel: column", 0, SIZE - 1, integer=True),
    }
    defaults = {"digit": 3, "kernel": "vertical edges", "padding": False, "pooling": "none", "loss": "one output pixel",
                "row": 2, "col": 2}

    def slider_limits(self, state: Any) -> dict[str, float]:
        """The chosen pixel lies in the output map, whose side follows padding and pooling."""
        if state is None:
            return {}
        side = output_shape(state.params["padding"], state.params["pooling"])
        return {"row": side - 1, "col": side - 1}

    def compute(self, digit: int, kernel: str, padding: bool, pooling: str, loss: str, row: int, col: int
                ) -> ConvolutionState:
        image = digit_image(digit)
        weights = np.array(KERNELS[kernel])
        side = output_shape(padding, pooling)  # padding or pooling can shrink the map under the pixel: keep it inside
        row, col = min(row, side - 1), min(col, side - 1)
        maps = convolve_and_backpropagate(image, weights, padding, pooling, loss, row, col)
        return ConvolutionState(params=dict(digit=digit, kernel=kernel, padding=padding, pooling=pooling, loss=loss,
                                            row=row, col=col),
                                image=image, kernel=weights, **maps)

    def draw(self, s: ConvolutionState) -> go.Figure:
        grid = Grid(rows=2, cols=3, vertical_spacing=0.14, horizontal_spacing=0.07, titles=(
            "image x", "kernel K", "output" + ("" if s.params["pooling"] == "none" else f" ({s.params['pooling']})"),
            "∂L/∂x: back to the image", "∂L/∂K: back to the kernel", "∂L/∂(convolution's output)"))
        traces = []
        panels = (((1, 1), s.image, "x", False), ((1, 2), s.kernel, "K", True), ((1, 3), s.output, "y", True),
                  ((2, 1), s.image_gradient, "∂L/∂x", True), ((2, 2), s.kernel_gradient, "∂L/∂K", True),
                  ((2, 3), s.convolved_gradient, "∂L/∂y", True))
        for cell, values, name, signed in panels:
            traces.append(_heatmap(values, name, signed, grid.axes(*cell)))
        if s.params["loss"] == "one output pixel":  # outline the chosen output pixel
            r, c = s.params["row"], s.params["col"]
            traces.append(dict(type="scatter", x=[c - 0.5, c + 0.5, c + 0.5, c - 0.5, c - 0.5],
                               y=[r - 0.5, r - 0.5, r + 0.5, r + 0.5, r - 0.5], mode="lines", name="the loss's pixel",
                               line=dict(color="black", width=3), hoverinfo="skip", showlegend=True,
                               **grid.axes(1, 3)))
        for row in (1, 2):
            for col in (1, 2, 3):
                frame = dict(showline=True, linecolor="grey", mirror=True)  # white pixels stay inside a visible edge
                grid.xaxis(row, col).update(showgrid=False, zeroline=False, showticklabels=False, **frame)
                grid.yaxis(row, col).update(showgrid=False, zeroline=False, showticklabels=False, autorange="reversed",
                                            scaleanchor=grid.axes(row, col)["xaxis"], constrain="domain", **frame)
        return plain_figure(traces, grid.layout, height=560, legend=dict(orientation="h", y=-0.04),
                            margin=dict(l=20, r=20, t=60, b=30))

    def describe(self, s: ConvolutionState) -> str:
        p = s.params
        pooling = p["pooling"]
        kernel_sum = float(np.sum(np.abs(s.image_gradient)))
        if p["loss"] == "one output pixel":
            text = (f"L is the output pixel ({p['row']}, {p['col']}), {s.output[p['row'], p['col']]:.3g}. ")
            if pooling == "max 2×2":
                text += ("Max pooling sends its gradient to one pixel of its 2×2 window, the largest (on a tie, the first "
                         "in reading order; the bottom-right panel); the rest of the window gets 0. ")
            elif pooling == "average 2×2":
                text += "Average pooling spreads its gradient evenly: 1/4 to each pixel of its 2×2 window (the bottom-right panel). "
            if pooling == "average 2×2":
                text += ("∂L/∂K is a quarter of each of the four image patches the kernel saw in that window, added; "
                         "∂L/∂x is the kernel pasted over each of those four patches at 1/4, overlapping.")
            else:
                where = "the winning pixel's patch" if pooling == "max 2×2" else "that patch"
                text += (f"∂L/∂K is the patch of the image that the kernel saw there; ∂L/∂x is the kernel itself, pasted "
                         f"over {where} (the flipped kernel, correlated with a one-pixel gradient, gives back K "
                         "unflipped, in place).")
        else:
            total = float(np.sum(s.kernel))
            text = ("L sums every output pixel, so each gets gradient 1"
                    + ("" if pooling == "none" else ", which pooling's backward rule passes on to the convolution's map "
                       "(the bottom-right panel)") + ". ∂L/∂K adds up the image patches the kernel saw, each times the "
                    "gradient its output received; ∂L/∂x adds up the kernel pasted over every window, times the same.")
            if pooling == "none":
                text += (f" So a pixel in the middle, which meets each of the nine weights once, gets their sum, {total:.3g}; "
                         "a pixel near the border sits in fewer windows and meets only some of the weights.")
                if abs(total) < 1e-12:
                    text += " This kernel's weights sum to 0: only the border pixels get a gradient."
        return text


def _heatmap(values: np.ndarray, name: str, signed: bool, axes: dict[str, str]) -> dict[str, Any]:
    """One map as a heatmap; signed maps on a diverging scale centred on 0 (purple below, orange above), each map on
    its own scale (its largest size is the full colour)."""
    reach = float(np.max(np.abs(values))) or 1.0
    rows, cols = values.shape
    scale = dict(colorscale="PuOr_r", zmin=-reach, zmax=reach) if signed else dict(colorscale=INK, zmin=0, zmax=1)
    return dict(type="heatmap", z=values, x=np.arange(cols), y=np.arange(rows), showscale=False, name=name,
                xgap=1, ygap=1, hovertemplate=f"{name}[%{{y}}, %{{x}}] = %{{z:.3g}}<extra></extra>", **scale, **axes)
