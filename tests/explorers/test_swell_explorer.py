"""The swell explorer: what it draws is what bplab.swell measured, and new depths arrive one per piece."""

from __future__ import annotations

import pytest

from bplab import swell
from bplab.explorers.swell import COUNTS, TIMES, SwellExplorer


def traces_named(figure, label):
    return [t for t in figure.data if t.name == label]


def test_the_left_panel_draws_the_measured_counts_for_every_depth():
    explorer = SwellExplorer(family="logistic map", depth=7)
    for field, label, *_ in COUNTS:
        [trace] = traces_named(explorer.figure, label)
        assert list(trace.x) == list(range(1, 8))
        assert list(trace.y) == [getattr(swell.measure("logistic map", d), field) for d in range(1, 8)]
        assert trace.xaxis == "x" and trace.yaxis == "y"
    for _, label, _ in TIMES:
        [trace] = traces_named(explorer.figure, label)
        assert len(trace.y) == 7 and min(trace.y) > 0 and trace.xaxis == "x2"  # log axis: no zero
    backprop = traces_named(explorer.figure, "backprop: forward + backward")[0].y
    assert {b - a for a, b in zip(backprop, backprop[1:])} == {8}  # linear: 8 operations a step
    assert explorer.figure.layout.yaxis.type == "log"


def test_the_status_line_states_the_counts_of_the_deepest():
    explorer = SwellExplorer(family="sin chain", depth=3)
    assert "takes <b>8</b> operations" in explorer.status  # the exercise's tree: cos·cos(sin)·cos(sin(sin))
    assert "backprop takes <b>9</b> (3 forward, 6 backward)" in explorer.status


def test_a_new_family_keeps_the_depth_when_it_can_and_its_deepest_when_not():
    explorer = SwellExplorer(family="sin chain", depth=12)
    explorer.update(family="tanh network")
    assert explorer.params == {"family": "tanh network", "depth": 5}
    assert explorer._limits(explorer.state) == {"depth": 5}
    explorer.update(family="sin chain", depth=14)  # the new family's limit, not the old one's
    assert explorer.params["depth"] == 14
    explorer.update(family="logistic map")
    assert explorer.params["depth"] == 10


def test_a_depth_beyond_the_family_names_the_limit():
    explorer = SwellExplorer(family="logistic map", depth=3)
    with pytest.raises(ValueError, match=r"depth: expected a number between 1 and 10 .* got 11"):
        explorer.update(depth=11)
    with pytest.raises(ValueError, match=r"family: expected one of"):
        explorer.update(family="cosine")
    assert explorer.params == {"family": "logistic map", "depth": 3}  # a refused change changes nothing


def test_depths_measured_before_come_at_once_and_new_ones_one_per_piece(monkeypatch):
    monkeypatch.setattr(swell, "_measured", {})
    explorer = SwellExplorer(family="sin chain", depth=2)
    frames = list(explorer.compute_steps(family="sin chain", depth=5))
    assert [len(frame().counts) for frame in frames] == [2, 3, 4, 5]  # depths 1-2 known: the first frame has them
    assert explorer.progress(frames[0]()) == "SymPy is differentiating depth 3 of 5"
    assert explorer.progress(frames[-1]()) == ""
    assert [len(frame().counts) for frame in explorer.compute_steps(family="sin chain", depth=5)] == [5]
