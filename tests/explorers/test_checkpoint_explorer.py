"""The checkpointing explorer draws what bplab.memory measured, and keeps its promises."""

from __future__ import annotations

import math

import pytest

from bplab.explorers.memory import BATCH, WIDTH, CheckpointExplorer
from bplab.memory import checkpoint_run


def trace(figure, start):
    [found] = [t for t in figure.data if t.name.startswith(start)]
    return found


def test_the_curves_are_the_measured_runs_for_every_segment_count():
    explorer = CheckpointExplorer(depth=12, segments=3)
    peak = trace(explorer.figure, "peak: kept")
    assert list(peak.x) == list(range(1, 13))
    array = BATCH * WIDTH * 8
    assert list(peak.y) == [checkpoint_run(12, k, WIDTH, BATCH).peak_bytes / array for k in range(1, 13)]
    plain = trace(explorer.figure, "no checkpointing")
    assert set(plain.y) == {checkpoint_run(12, 0, WIDTH, BATCH).kept_bytes / array}
    assert trace(explorer.figure, "√n rule").x[0] == pytest.approx(math.sqrt(24))
    kept = trace(explorer.figure, "kept with checkpointing")
    assert [int(v) for v in kept.y] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]  # the three segments' outputs


def test_the_status_line_reports_identical_gradients_and_the_best_k():
    explorer = CheckpointExplorer(depth=32, segments=4)
    assert "Gradients identical to the plain run, bit for bit." in explorer.status
    assert "The smallest peak, 17 arrays, is at k = 8" in explorer.status
    assert "32 recomputed layers: one more forward pass" in explorer.status


def test_the_chosen_run_comes_first_then_one_segment_count_per_piece():
    explorer = CheckpointExplorer(depth=6, segments=2)
    frames = list(explorer.compute_steps(depth=6, segments=5))
    assert len(frames) == 6 and list(frames[0]().runs) == [5]
    assert explorer.progress(frames[0]()) == "measured 1 of 6 segment counts" and explorer.progress(frames[-1]()) == ""


def test_a_shallower_chain_lowers_the_segments_and_the_slider_follows():
    explorer = CheckpointExplorer(depth=20, segments=16)
    explorer.update(depth=10)
    assert explorer.params == {"depth": 10, "segments": 10}
    assert explorer._limits(explorer.state) == {"segments": 10}
    explorer.update(depth=40, segments=30)  # the new depth's limit, not the old one's
    assert explorer.params == {"depth": 40, "segments": 30}
    with pytest.raises(ValueError, match=r"segments: expected a number between 1 and 40 .* got 41"):
        explorer.update(segments=41)


def test_the_drawings_units_are_the_runs_defaults():
    import inspect

    defaults = inspect.signature(checkpoint_run).parameters
    assert (defaults["width"].default, defaults["batch"].default) == (WIDTH, BATCH)


def test_the_state_holds_the_plain_run_and_the_chosen_one():
    state = CheckpointExplorer(depth=8, segments=3).state
    assert state.params == {"depth": 8, "segments": 3} and state.finished
    assert (state.plain.segments, state.chosen.segments) == (0, 3)
    assert state.plain == checkpoint_run(8, 0, WIDTH, BATCH) and state.chosen == state.runs[3] == checkpoint_run(8, 3, WIDTH, BATCH)
    assert sorted(state.runs) == list(range(1, 9))
