"""The learning-rules explorer draws the runs bplab.alternatives and bplab.forward_forward train."""

from __future__ import annotations

import numpy as np
import pytest

from bplab import alternatives, forward_forward
from bplab.explorers.rules import LearningRulesExplorer, moons_task


@pytest.fixture(scope="module")
def explorer():
    return LearningRulesExplorer(steps=40, rate=0.5, probes=4)


def test_every_rule_is_drawn_from_its_own_run(explorer):
    X, X_test, y, y_test = moons_task()
    names = [t.name for t in explorer.figure.data if t.xaxis == "x"]
    assert names == [*alternatives.RULES, "forward-forward"]
    for rule in alternatives.RULES:
        run = alternatives.train(rule, X, y, X_test, y_test, steps=40, rate=0.5, probes=4)
        [left] = [t for t in explorer.figure.data if t.name == rule and t.xaxis == "x"]
        np.testing.assert_array_equal(left.y, run.test_accuracy)
        np.testing.assert_array_equal(left.x, np.maximum(run.evaluations, 1))
        [right] = [t for t in explorer.figure.data if t.name == rule and t.xaxis == "x2"]
        np.testing.assert_allclose(right.y[0], np.mean(run.cosine_to_gradient[:10]))
    ff = forward_forward.train(X, y, X_test, y_test, steps=40)  # its own rate, whatever the slider says
    [left] = [t for t in explorer.figure.data if t.name == "forward-forward"]
    np.testing.assert_array_equal(left.y, ff.test_accuracy)
    assert not [t for t in explorer.figure.data if t.name == "forward-forward" and t.xaxis == "x2"]  # another objective


def test_the_status_line_names_every_rule(explorer):
    for rule in [*alternatives.RULES, "forward-forward"]:
        assert rule in explorer.status
    assert "backprop" in explorer.status and "cosine 1.00)" in explorer.status
    assert "forward-forward" in explorer.status and f"Adam at its own rate {forward_forward.RATE:g})" in explorer.status


def test_the_runs_advance_together_in_pieces():
    explorer = LearningRulesExplorer(steps=20)
    frames = list(explorer.compute_steps(steps=40, rate=0.5, probes=2))
    first, last = frames[0](), frames[-1]()
    assert {run.steps for run in first.runs.values()} == {10}
    assert last.finished and explorer.progress(first) == "step 10 of 40" and explorer.progress(last) == ""


def test_a_bad_setting_names_the_control():
    with pytest.raises(ValueError, match=r"probes: expected a number between 1 and 64"):
        LearningRulesExplorer(probes=0)


def test_the_task_is_the_lessons_moons_and_the_state_keeps_the_settings(explorer):
    from bplab import data

    X, X_test, y, y_test = moons_task()
    assert (len(X), len(X_test)) == (210, 90)  # 300 points, 30% held out
    points, labels = data.moons(300, noise=0.15, seed=0)
    expected = data.train_test_split(points, labels, test_fraction=0.3, seed=0)
    for got, wanted in zip((X, X_test, y, y_test), expected):
        np.testing.assert_array_equal(got, wanted)
    assert not np.array_equal(moons_task(seed=1)[0], X)
    assert explorer.state.params == {"steps": 40, "rate": 0.5, "probes": 4}


def test_the_state_keeps_its_own_settings_and_the_task_follows_the_seed():
    from bplab import data

    small = LearningRulesExplorer(steps=20, rate=0.2, probes=2)
    assert small.state.params == {"steps": 20, "rate": 0.2, "probes": 2}
    points, labels = data.moons(300, noise=0.15, seed=2)
    for got, wanted in zip(moons_task(seed=2), data.train_test_split(points, labels, test_fraction=0.3, seed=2)):
        np.testing.assert_array_equal(got, wanted)
