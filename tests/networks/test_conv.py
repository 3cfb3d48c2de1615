"""Convolution and pooling: gradients three ways, arg-max routing, PyTorch, planted bugs caught, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from network_routes import assert_gradcheck, assert_three_routes, needs_torch, to_torch, torch

from bplab import Value, data, gradcheck, nn, optim
from bplab.conv import (AvgPool2d, Conv2d, MaxPool2d, avg_pool2d, avg_pool2d_primitive, conv2d, conv2d_primitive,
                        max_pool2d, output_size)
from bplab.engine import apply
from bplab.train import fit

EXAMPLES = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
rng = np.random.default_rng(0)


def distinct(shape, seed=0):
    """Values with no ties and gaps of at least 0.01: max pooling's arg-max is unique and stays put under nudges."""
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))) * 0.01 - 0.3
    return values.reshape(shape)


# ------------------------------------------------------------------ gradients


@EXAMPLES
@given(size=st.integers(3, 6), kernel=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       channels=st.sampled_from([(1, 1), (2, 3)]))
def test_conv2d_gradcheck_any_geometry(size, kernel, stride, padding, channels):
    c_in, c_out = channels
    x, w, b = rng.normal(size=(2, c_in, size, size + 1)), rng.normal(size=(c_out, c_in, kernel, kernel)), rng.normal(size=c_out)
    assert_gradcheck(lambda x, w, b: conv2d(x, w, b, stride=stride, padding=padding), x=x, w=w, b=b)


def test_conv2d_three_routes():
    x, w = rng.normal(size=(1, 2, 3, 3)), rng.normal(size=(1, 2, 2, 2))
    assert_three_routes(lambda x, w, b: conv2d(x, w, b, stride=1, padding=1), x=x, w=w, b=np.array([0.3]))
    assert_three_routes(lambda x, w: conv2d(x, w, stride=2), x=rng.normal(size=(1, 1, 4, 3)), w=rng.normal(size=(1, 1, 2, 2)))


@EXAMPLES
@given(size=st.integers(2, 6), kernel=st.integers(1, 3), stride=st.integers(1, 3), seed=st.integers(0, 100))
def test_pooling_gradcheck_any_geometry(size, kernel, stride, seed):
    kernel = min(kernel, size)
    padding = kernel // 2
    x = distinct((2, 2, size, size), seed)
    assert_gradcheck(lambda x: max_pool2d(x, kernel, stride, padding), x=x)
    assert_gradcheck(lambda x: avg_pool2d(x, kernel, stride, padding), x=x)
    assert_gradcheck(lambda x: avg_pool2d(x, kernel, stride, padding, count_include_pad=False), x=x)


def test_pooling_three_routes():
    x = distinct((1, 1, 4, 4))
    assert_three_routes(lambda x: max_pool2d(x, 2), x=x)
    assert_three_routes(lambda x: max_pool2d(x, 3, stride=1, padding=1), x=x[:, :, :3, :3])
    assert_three_routes(lambda x: avg_pool2d(x, 2, stride=1), x=x[:, :, :3, :3])


# ------------------------------------------------------------------ known answers


def test_max_pool_sends_the_gradient_only_to_the_argmax():
    x = Value(distinct((2, 3, 4, 6), seed=3))
    out = max_pool2d(x, 2)
    g = rng.normal(size=out.shape)
    out.backward(g)
    windows = x.data.reshape(2, 3, 2, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 2, 3, 4)
    grads = x.grad.reshape(2, 3, 2, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 2, 3, 4)
    winner = windows.argmax(axis=-1)
    expected = np.zeros_like(grads)
    np.put_along_axis(expected, winner[..., None], g[..., None], axis=-1)
    assert np.array_equal(grads, expected)
    assert np.count_nonzero(x.grad) == out.size


def test_avg_pool_spreads_the_gradient_evenly():
    x = Value(rng.normal(size=(1, 1, 4, 4)))
    avg_pool2d(x, 2).backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert np.array_equal(x.grad[0, 0], np.kron([[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2))) / 4)


def test_conv_input_gradient_is_correlation_with_the_flipped_kernel():
    """For stride 1 and no padding, dL/dx = full convolution of dL/dy with the kernel = correlation with the flip."""
    x, w = Value(rng.normal(size=(1, 1, 5, 5))), rng.normal(size=(1, 1, 3, 3))
    g = rng.normal(size=(1, 1, 3, 3))
    conv2d(x, w).backward(g)
    padded = np.pad(g[0, 0], 2)
    flipped = w[0, 0, ::-1, ::-1]
    expected = np.array([[np.sum(padded[i:i + 3, j:j + 3] * flipped) for j in range(5)] for i in range(5)])
    assert np.allclose(x.grad[0, 0], expected)


def test_planted_wrong_vjps_are_caught():
    """Test the tester: an unflipped kernel in conv's input rule, and a pooling rule that forgets to divide."""

    def unflipped(g, out, x, weight, stride=(1, 1), padding=(0, 0)):
        return conv2d_primitive.vjps[0](g, out, x, weight[:, :, ::-1, ::-1], stride, padding)

    wrong_conv = dataclasses.replace(conv2d_primitive, vjps=(unflipped, conv2d_primitive.vjps[1]))
    x, w = rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(1, 1, 2, 2))
    assert gradcheck(lambda x: apply(conv2d_primitive, x, w, stride=(1, 1), padding=(0, 0)), x)
    assert not gradcheck(lambda x: apply(wrong_conv, x, w, stride=(1, 1), padding=(0, 0)), x, verbose=False)
    wrong_pool = dataclasses.replace(
        avg_pool2d_primitive,
        vjps=(lambda g, out, x, **params: avg_pool2d_primitive.vjps[0](g, out, x, **params) * 4,),
    )
    params = dict(kernel=(2, 2), stride=(2, 2), padding=(0, 0), count_include_pad=True)
    assert not gradcheck(lambda x: apply(wrong_pool, x, **params), x, verbose=False)


# ------------------------------------------------------------------ PyTorch


@needs_torch
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 2), ((2, 1), (0, 1))])
def test_conv_and_pooling_match_pytorch(stride, padding):
    F = torch.nn.functional
    x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    leaves = [Value(a) for a in (x, w, b)]
    references = [to_torch(a, True) for a in (x, w, b)]
    out = conv2d(*leaves, stride=stride, padding=padding)
    expected = F.conv2d(*references, stride=stride, padding=padding)
    assert np.allclose(out.data, expected.detach().numpy(), atol=1e-12)
    g = rng.normal(size=out.shape)
    out.backward(g)
    expected.backward(to_torch(g))
    for leaf, reference in zip(leaves, references):
        assert np.allclose(leaf.grad, reference.grad.numpy(), atol=1e-10)

    x = distinct((2, 3, 7, 6))
    for ours, theirs in [(max_pool2d, F.max_pool2d), (avg_pool2d, F.avg_pool2d)]:
        kernel = 3
        pad = 1 if padding else 0
        leaf, reference = Value(x), to_torch(x, True)
        out = ours(leaf, kernel, stride, pad)
        expected = theirs(reference, kernel, stride, pad)
        assert np.allclose(out.data, expected.detach().numpy(), atol=1e-12)
        g = rng.normal(size=out.shape)
        out.backward(g)
        expected.backward(to_torch(g))
        assert np.allclose(leaf.grad, reference.grad.numpy(), atol=1e-12), ours.__name__
    out = avg_pool2d(x, 3, stride, 1, count_include_pad=False)
    assert np.allclose(out.data, F.avg_pool2d(to_torch(x), 3, stride, 1, count_include_pad=False).numpy())


@needs_torch
def test_max_pool_ties_go_to_the_first_like_pytorch():
    x = np.zeros((1, 1, 2, 2))
    leaf, reference = Value(x), to_torch(x, True)
    max_pool2d(leaf, 2).sum().backward()
    torch.nn.functional.max_pool2d(reference, 2).sum().backward()
    assert np.array_equal(leaf.grad, reference.grad.numpy())


# ------------------------------------------------------------------ a tiny image classifier end to end


def test_tiny_convnet_learns_the_shipped_digits():
    X, y = data.digits(300, images=True, seed=0)
    model = nn.Sequential(Conv2d(1, 4, 3, padding=1, seed=0), nn.ReLU(), MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10, seed=1))
    assert [p.name for p in model.parameters()] == ["K1", "c1", "W2", "b2"]
    history = fit(model, nn.cross_entropy, optim.Adam(model.parameters(), lr=0.02), X, y, epochs=12, batch_size=50)
    assert history.accuracy[-1] > 0.8 and history.loss[-1] < 0.5 * history.loss[0]


def test_modules_and_output_size():
    conv = Conv2d(2, 3, (3, 2), stride=2, padding=1, seed=0)
    out = conv(rng.normal(size=(4, 2, 9, 8)))
    assert out.shape == (4, 3, output_size(9, 3, 2, 1), output_size(8, 2, 2, 1))
    assert MaxPool2d(2)(out).shape[2:] == (out.shape[2] // 2, out.shape[3] // 2)
    assert AvgPool2d(2, stride=1)(out).shape[2:] == (out.shape[2] - 1, out.shape[3] - 1)
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match=r"conv2d: x: expected 3 channels \(the kernel's in_channels\), got 2"):
        conv2d(np.zeros((1, 2, 5, 5)), np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"x: expected a batch of images of shape \(N, C, H, W\), got shape \(2, 5, 5\).*reshape"):
        max_pool2d(np.zeros((2, 5, 5)), 2)
    with pytest.raises(ValueError, match="kernel's height 5 is larger than the padded input's height 3"):
        conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="empty batch"):
        avg_pool2d(np.zeros((0, 1, 4, 4)), 2)
    with pytest.raises(ValueError, match="stride: expected values of at least 1"):
        conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), stride=0)
    with pytest.raises(ValueError, match=r"bias: expected shape \(1,\)"):
        conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), bias=np.zeros(2))
