"""Checkpointing: the same gradients as the plain run, fewer bytes kept, the parameters found."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bplab
from bplab import Value, nn


def deep_chain(depth: int, width: int = 16, seed: int = 0) -> list[nn.Linear]:
    return [nn.Linear(width, width, seed=seed + k) for k in range(depth)]


def run(layers: list[nn.Linear], X: np.ndarray, segment_length: int | None) -> Value:
    """tanh layers, checkpointed in segments of ``segment_length`` (None: no checkpoints)."""
    h = Value(X)
    step = segment_length or len(layers)
    for start in range(0, len(layers), step):
        chunk = layers[start:start + step]

        def segment(z, chunk=chunk):
            for layer in chunk:
                z = layer(z).tanh()
            return z

        h = bplab.checkpoint(segment, h) if segment_length else segment(h)
    return (h * h).mean()


def gradients_of(layers, X, segment_length):
    for layer in layers:
        layer.weight.zero_grad()
        layer.bias.zero_grad()
    loss = run(layers, X, segment_length)
    kept = bplab.saved_bytes(loss)
    loss.backward()
    return loss.item(), kept, [(layer.weight.grad.copy(), layer.bias.grad.copy()) for layer in layers]


def test_gradients_are_identical_to_the_plain_run_and_memory_falls():
    layers = deep_chain(16)
    X = np.random.default_rng(1).standard_normal((128, 16))
    plain_loss, plain_bytes, plain = gradients_of(layers, X, None)
    sqrt_n = int(math.isqrt(len(layers)))
    loss, kept, checkpointed = gradients_of(layers, X, sqrt_n)
    assert loss == plain_loss
    for (w0, b0), (w1, b1) in zip(plain, checkpointed):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    # 16 layers keep 2 activations each (linear output and tanh) = 32 activation arrays; 4 segments of 4 keep
    # their 4 outputs (+ the input and the squares): the weights are kept either way.
    activation = X.nbytes
    weights = sum(layer.weight.data.nbytes + layer.bias.data.nbytes for layer in layers)
    assert plain_bytes - weights >= 32 * activation
    assert kept - weights <= 6 * activation + 64  # X, 4 segment outputs, h * h, and the loss
    assert kept < plain_bytes / 3


def test_memory_against_segment_count_is_lowest_near_the_square_root():
    layers = deep_chain(16, width=8)
    X = np.ones((64, 8))
    peaks = {}
    for segments in (1, 2, 4, 8, 16):
        loss = run(layers, X, len(layers) // segments)
        # kept by the graph, plus what one segment's recomputation holds at once in the backward pass
        peaks[segments] = bplab.saved_bytes(loss) + (len(layers) // segments) * 2 * X.nbytes
    assert min(peaks, key=peaks.get) == 4  # sqrt(16)


def test_a_constant_input_and_a_value_input_both_work_and_the_inputs_get_gradients():
    layer = nn.Linear(3, 2, seed=0)
    x = Value(np.array([[0.5, -1.0, 2.0]]), name="x")
    out = bplab.checkpoint(lambda z: layer(z).sigmoid(), x).sum()
    out.backward()
    direct_x = Value(x.data.copy())
    layer_grad = layer.weight.grad.copy()
    layer.weight.zero_grad()
    layer(direct_x).sigmoid().sum().backward()
    np.testing.assert_allclose(x.grad, direct_x.grad, rtol=1e-15)
    np.testing.assert_allclose(layer_grad, layer.weight.grad, rtol=1e-15)
    constant = bplab.checkpoint(lambda z: layer(z).sigmoid(), np.ones((1, 3)))
    assert constant.shape == (1, 2)


def test_fn_runs_once_forward_and_once_more_per_backward():
    calls = []
    w = Value(np.array([1.0, 2.0]), name="w")

    def segment(z):
        calls.append(1)
        return (z * w).exp()

    out = bplab.checkpoint(segment, Value(np.array([0.1, 0.2]))).sum()
    assert len(calls) == 1
    out.backward()
    assert len(calls) == 2  # one recomputation serves every input's gradient
    np.testing.assert_allclose(w.grad, np.array([0.1, 0.2]) * np.exp(np.array([0.1, 0.4])))


def test_clear_errors():
    with pytest.raises(TypeError, match="fn: expected a function"):
        bplab.checkpoint(3.0, Value(1.0))
    with pytest.raises(TypeError, match="fn: must return a Value"):
        bplab.checkpoint(lambda z: 1.0, Value(1.0))
    with pytest.raises(TypeError, match="output: expected a Value"):
        bplab.saved_bytes(np.ones(3))


def test_a_backward_pass_inside_no_grad_still_recomputes_with_a_graph():
    from bplab import no_grad

    layer = nn.Linear(2, 2, seed=0)
    x = Value(np.array([[0.5, -1.0]]), name="x")
    out = bplab.checkpoint(lambda z: layer(z).tanh(), x).sum()
    with no_grad():
        out.backward()
    checkpointed = layer.weight.grad.copy()
    layer.weight.zero_grad()
    layer(Value(x.data)).tanh().sum().backward()
    np.testing.assert_allclose(checkpointed, layer.weight.grad, rtol=1e-15)
    assert np.any(checkpointed != 0)


def test_saved_bytes_counts_a_buffer_once_however_many_views_show_it():
    x = Value(np.ones((500, 250)), name="x")  # 1 MB
    y = x.reshape((250, 500)).T.reshape((500, 250))  # three views of one buffer
    assert bplab.saved_bytes(y) == x.data.nbytes
