"""The convolution explorer (Level 4, lesson 13): its gradient maps by hand, by central differences, and its limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplab.check import central_difference, relative_error
from bplab.explorers.convolution import (KERNELS, LOSSES, POOLINGS, SIZE, ConvolutionExplorer,
                                         convolve_and_backpropagate, digit_image, output_shape)


def correlate_by_hand(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """y_ij = sum_uv x_{i+u, j+v} K_uv, with loops: the definition, nothing vectorized."""
    side = image.shape[0] - kernel.shape[0] + 1
    return np.array([[np.sum(image[i:i + 3, j:j + 3] * kernel) for j in range(side)] for i in range(side)])


def forward_by_hand(image, kernel, padding, pooling):
    padded = np.pad(image, 1) if padding else image
    y = correlate_by_hand(padded, kernel)
    if pooling == "none":
        return y
    blocks = y[: y.shape[0] // 2 * 2, : y.shape[1] // 2 * 2].reshape(y.shape[0] // 2, 2, y.shape[1] // 2, 2)
    return blocks.max(axis=(1, 3)) if pooling == "max 2×2" else blocks.mean(axis=(1, 3))


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("padding", [False, True])
def test_one_pixel_gradient_is_the_kernel_in_place_and_the_patch(kernel, padding):
    image, weights = digit_image(4), np.array(KERNELS[kernel])
    row, col = 3, 1
    maps = convolve_and_backpropagate(image, weights, padding, "none", "one output pixel", row, col)
    padded = np.pad(image, 1) if padding else image
    np.testing.assert_allclose(maps["kernel_gradient"], padded[row:row + 3, col:col + 3], atol=1e-15)
    pasted = np.zeros_like(padded)
    pasted[row:row + 3, col:col + 3] = weights  # K unflipped, over the window the pixel saw
    np.testing.assert_allclose(maps["image_gradient"], pasted[1:-1, 1:-1] if padding else pasted, atol=1e-15)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_map_against_central_differences_of_the_loop_forward(pooling, loss):
    rng = np.random.default_rng(0)
    image, weights = rng.random((SIZE, SIZE)), rng.normal(size=(3, 3))  # random: no ties for max pooling
    row = col = 1
    maps = convolve_and_backpropagate(image, weights, False, pooling, loss, row, col)
    np.testing.assert_allclose(maps["output"], forward_by_hand(image, weights, False, pooling), rtol=1e-12)

    def loss_by_hand(arrays):
        out = forward_by_hand(arrays[0], arrays[1], False, pooling)
        return float(out[row, col] if loss == "one output pixel" else out.sum())

    numeric_image, numeric_kernel = central_difference(loss_by_hand, [image, weights])
    assert relative_error(numeric_image, maps["image_gradient"]) < 1e-7
    assert relative_error(numeric_kernel, maps["kernel_gradient"]) < 1e-7


def test_the_sum_loss_input_gradient_is_a_full_correlation_with_the_flipped_kernel():
    image, weights = digit_image(7), np.array(KERNELS["sharpen"]) + np.arange(9).reshape(3, 3)  # not symmetric
    maps = convolve_and_backpropagate(image, weights, False, "none", "sum of every output", 0, 0)
    full = correlate_by_hand(np.pad(np.ones((6, 6)), 2), weights[::-1, ::-1])
    np.testing.assert_allclose(maps["image_gradient"], full, rtol=1e-12)
    unflipped = correlate_by_hand(np.pad(np.ones((6, 6)), 2), weights)
    assert not np.allclose(maps["image_gradient"], unflipped)  # the flip matters: the check can fail


def test_max_pooling_routes_to_the_arg_max_and_average_pooling_spreads():
    image = digit_image(3)
    weights = np.array(KERNELS["blur"])
    for pooling in ("max 2×2", "average 2×2"):
        maps = convolve_and_backpropagate(image, weights, False, pooling, "one output pixel", 1, 2)
        window = maps["convolved_gradient"][2:4, 4:6]
        assert maps["convolved_gradient"].sum() == pytest.approx(1.0)
        assert np.count_nonzero(maps["convolved_gradient"]) == (1 if pooling == "max 2×2" else 4)
        if pooling == "max 2×2":
            assert window.ravel()[np.argmax(maps["convolved"][2:4, 4:6])] == 1.0
        else:
            np.testing.assert_allclose(window, 0.25)


@given(padding=st.booleans(), pooling=st.sampled_from(POOLINGS), row=st.integers(0, 7), col=st.integers(0, 7))
@settings(max_examples=25, deadline=None)
def test_the_chosen_pixel_always_stays_inside_the_output(padding, pooling, row, col):
    explorer = ConvolutionExplorer()
    explorer.update(padding=padding, pooling=pooling)
    side = output_shape(padding, pooling)
    assert explorer.state.output.shape == (side, side)
    assert explorer.slider_limits(explorer.state) == {"row": side - 1, "col": side - 1}
    if row < side and col < side:
        explorer.update(row=row, col=col)
        assert (explorer.params["row"], explorer.params["col"]) == (row, col)
    else:
        with pytest.raises(ValueError, match="expected a number between 0 and"):
            explorer.update(row=row, col=col)


def test_shrinking_the_output_moves_the_pixel_inside():
    explorer = ConvolutionExplorer(padding=True, row=7, col=6)
    explorer.update(pooling="max 2×2")
    assert (explorer.params["row"], explorer.params["col"]) == (3, 3)


def test_the_description_follows_the_settings():
    def words(**settings):
        explorer = ConvolutionExplorer(**settings)
        return explorer.describe(explorer.state)

    assert "pasted over that patch" in words()
    assert "winning pixel" in words(pooling="max 2×2")
    assert "1/4" in words(pooling="average 2×2")
    assert "fewer windows" in words(loss="sum of every output")


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="pooling: expected one of"):
        convolve_and_backpropagate(digit_image(0), np.eye(3), False, "median", "one output pixel", 0, 0)
    with pytest.raises(ValueError, match="row, col: expected a pixel of the 6×6 output"):
        convolve_and_backpropagate(digit_image(0), np.eye(3), False, "none", "one output pixel", 6, 0)
    with pytest.raises(ValueError, match="kernel: expected one of"):
        ConvolutionExplorer(kernel="emboss")


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("padding", [False, True])
def test_with_the_sum_loss_a_middle_pixel_gets_the_kernels_sum(kernel, padding):
    """The status line's claim: every pixel that meets all nine weights gets their sum; border pixels only part."""
    explorer = ConvolutionExplorer(kernel=kernel, padding=padding, loss="sum of every output")
    inner = slice(1, 7) if padding else slice(2, 6)
    np.testing.assert_allclose(explorer.state.image_gradient[inner, inner], np.sum(KERNELS[kernel]), atol=1e-12)
    assert f"gets their sum, {np.sum(KERNELS[kernel]):.3g}" in explorer.status


def test_the_computation_keeps_the_pixel_inside_and_refuses_what_it_cannot_draw():
    from bplab import data

    explorer = ConvolutionExplorer()
    state = explorer.compute(digit=5, kernel="vertical edges", padding=True, pooling="max 2×2", loss="one output pixel",
                             row=7, col=6)  # beyond the 4×4 pooled map: moved to its last pixel
    assert state.params == dict(digit=5, kernel="vertical edges", padding=True, pooling="max 2×2",
                                loss="one output pixel", row=3, col=3)
    assert state.output_gradient.shape == (4, 4) and state.output_gradient[3, 3] == 1.0 == state.output_gradient.sum()
    images, labels = data.digits(images=True)
    np.testing.assert_array_equal(state.image, images[list(labels).index(5), 0])  # the first 5 that ships
    np.testing.assert_array_equal(state.kernel, KERNELS["vertical edges"])
    image = digit_image(5)
    with pytest.raises(ValueError, match=r"^pooling: expected one of 'none', 'max 2×2', 'average 2×2', got 'big'$"):
        convolve_and_backpropagate(image, state.kernel, False, "big", "one output pixel", 0, 0)
    with pytest.raises(ValueError, match=r"^loss: expected one of 'one output pixel', 'sum of every output', got 'L1'$"):
        convolve_and_backpropagate(image, state.kernel, False, "none", "L1", 0, 0)
    with pytest.raises(ValueError, match=r"^row, col: expected a pixel of the 6×6 output \(0 to 5\), got \(2, 6\)$"):
        convolve_and_backpropagate(image, state.kernel, False, "none", "one output pixel", 2, 6)


def test_a_pixel_in_the_far_corner_stays_where_it_is_when_nothing_shrinks_the_map():
    explorer = ConvolutionExplorer()
    state = explorer.compute(digit=3, kernel=next(iter(KERNELS)), padding=True, pooling="none",
                             loss="one output pixel", row=SIZE - 1, col=SIZE - 1)
    assert (state.params["row"], state.params["col"]) == (SIZE - 1, SIZE - 1) and state.output.shape[-2:] == (SIZE, SIZE)
    pooled = explorer.compute(digit=3, kernel=next(iter(KERNELS)), padding=True, pooling=POOLINGS[-1],
                              loss="one output pixel", row=SIZE - 1, col=SIZE - 1)
    assert (pooled.params["row"], pooled.params["col"]) == (SIZE // 2 - 1, SIZE // 2 - 1)
