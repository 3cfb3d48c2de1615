"""What a backward pass keeps, measured; checkpointing's trade-off and its bit-for-bit gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplab import Value
from bplab.memory import activation_bytes, checkpoint_run, segment_bounds


def test_activation_bytes_count_each_non_leaf_buffer_once():
    x = Value(np.ones((4, 8)))  # a leaf: not counted
    h = (x * 2.0).tanh()  # two 4 x 8 arrays
    view = h.reshape(8, 4)  # a view of h's buffer: free
    assert activation_bytes(view.sum()) == 2 * 4 * 8 * 8 + 8


@pytest.mark.parametrize("depth, segments", [(8, 1), (8, 3), (12, 4), (9, 9)])
def test_the_measured_memory_is_the_cost_model(depth, segments):
    """Arrays of BATCH x WIDTH: plain keeps 2 a layer (+1 for the square); checkpointed keeps one per segment output
    (+1), and while a segment of s layers is recomputed, 2s more."""
    run, plain = checkpoint_run(depth, segments, width=8, batch=4), checkpoint_run(depth, 0, width=8, batch=4)
    array = 4 * 8 * 8
    largest = max(stop - start for start, stop in segment_bounds(depth, segments))
    assert plain.kept_bytes == plain.peak_bytes == (2 * depth + 1) * array + 8  # + the loss, one number
    assert run.kept_bytes == (segments + 1) * array + 8
    assert run.peak_bytes == run.kept_bytes + 2 * largest * array
    assert run.layer_evaluations == 2 * depth and plain.layer_evaluations == depth  # one more forward pass
    assert run.same_gradients and plain.same_gradients


def test_the_square_root_rule():
    depth = 32
    peaks = {k: checkpoint_run(depth, k, width=8, batch=4).peak_bytes for k in range(1, depth + 1)}
    best = min(peaks, key=peaks.get)
    assert best == round(math.sqrt(2 * depth)) == 8  # k + 2n/k is smallest at sqrt(2n)
    assert peaks[best] < checkpoint_run(depth, 0, width=8, batch=4).peak_bytes / 3


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.data())
def test_segments_cover_the_chain_in_order_with_sizes_within_one(depth, data):
    segments = data.draw(st.integers(1, depth))
    bounds = segment_bounds(depth, segments)
    assert len(bounds) == segments and bounds[0][0] == 0 and bounds[-1][1] == depth
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_a_planted_wrong_gradient_is_caught(monkeypatch):
    """The bit-for-bit comparison can fail: a checkpoint whose recomputation differs is reported."""
    import bplab.memory as memory

    real = memory._segment

    def drifting(weights, counter):
        run = real(weights, counter)
        calls = {"n": 0}

        def again(h):
            calls["n"] += 1
            return run(h * (1.0 if calls["n"] == 1 else 1.0 + 1e-12))  # the recomputation drifts
        return again

    monkeypatch.setattr(memory, "_segment", drifting)
    assert not checkpoint_run(6, 2, width=4, batch=2).same_gradients


@pytest.mark.parametrize("kwargs, message", [
    (dict(depth=0, segments=1), r"depth: expected a whole number of at least 1, got 0"),
    (dict(depth=4, segments=5), r"segments: expected at most depth=4 \(one layer a segment\), got 5"),
    (dict(depth=4, segments=1.5), r"segments: expected a whole number of at least 0, got 1.5"),
])
def test_bad_settings_say_what_is_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        checkpoint_run(**kwargs)
