"""The batch-size explorer, without a browser: full-batch, stochastic and mini-batch SGD side by side."""

from __future__ import annotations

import numpy as np
import pytest

from bplab.explorers.batches import BatchSizeExplorer, make_moons, train_with_batch_size


@pytest.fixture(scope="module")
def default() -> BatchSizeExplorer:
    return BatchSizeExplorer()


def test_updates_per_epoch_follow_the_batch_size(default):
    runs = default.state.runs
    assert [runs[m].updates_per_epoch for m in ("full batch", "stochastic", "mini-batch")] == [1, 200, 10]
    for run in runs.values():
        assert len(run.step_loss) == run.updates_per_epoch * default.params["epochs"]
    assert "200 updates per epoch" in default.status and "1 update per epoch" in default.status


def test_curves_are_finite_and_start_together(default):
    runs = default.state.runs
    for run in runs.values():
        assert run.epoch_loss.shape == (default.params["epochs"] + 1,)
        assert np.all(np.isfinite(run.epoch_loss)) and np.all(np.isfinite(run.step_loss))
        assert np.all(np.isfinite(run.elapsed)) and run.seconds_per_epoch > 0
        assert not run.diverged
    starts = {float(run.epoch_loss[0]) for run in runs.values()}
    assert len(starts) == 1  # one network, one set of starting weights


def test_more_updates_per_epoch_learn_more_per_epoch_but_noisier(default):
    runs = default.state.runs
    full, stochastic, mini = runs["full batch"], runs["stochastic"], runs["mini-batch"]
    assert stochastic.epoch_loss[-1] < mini.epoch_loss[-1] < full.epoch_loss[-1]
    # noise: how much the loss of one update's batch jumps from one update to the next
    jumps = {name: np.std(np.diff(run.step_loss)) for name, run in runs.items()}
    assert jumps["stochastic"] > 5 * jumps["mini-batch"] > 5 * jumps["full batch"]
    # speed: 200 updates of one example cost more time than one update of 200
    assert stochastic.seconds_per_epoch > full.seconds_per_epoch


def test_the_ends_of_the_slider_are_the_other_two_methods():
    explorer = BatchSizeExplorer(points=60, epochs=3, batch_size=60)
    runs = explorer.state.runs
    np.testing.assert_array_equal(runs["mini-batch"].epoch_loss, runs["full batch"].epoch_loss)
    explorer.update(batch_size=1)
    runs = explorer.state.runs
    np.testing.assert_array_equal(runs["mini-batch"].step_loss, runs["stochastic"].step_loss)


def test_moving_the_batch_size_retrains_only_the_mini_batch_run():
    explorer = BatchSizeExplorer(points=60, epochs=3)
    before = explorer.state.runs
    explorer.update(batch_size=7)
    after = explorer.state.runs
    assert after["full batch"] is before["full batch"] and after["stochastic"] is before["stochastic"]
    assert after["mini-batch"] is not before["mini-batch"] and after["mini-batch"].updates_per_epoch == 9
    explorer.update(rate=0.05)
    assert all(explorer.state.runs[m] is not after[m] for m in after)


def test_same_settings_same_numbers():
    first, second = (BatchSizeExplorer(points=50, epochs=2, seed=3) for _ in range(2))
    for method in first.state.runs:
        np.testing.assert_array_equal(first.state.runs[method].step_loss, second.state.runs[method].step_loss)
    assert not np.array_equal(BatchSizeExplorer(points=50, epochs=2, seed=4).state.runs["stochastic"].step_loss,
                              first.state.runs["stochastic"].step_loss)


def test_a_learning_rate_too_large_is_reported_not_raised():
    explorer = BatchSizeExplorer(points=60, epochs=4, rate=10.0)
    stochastic = explorer.state.runs["stochastic"]
    assert stochastic.diverged and "diverged at step" in explorer.status
    assert not np.any(np.isinf(stochastic.epoch_loss)) and np.isnan(stochastic.epoch_loss[-1])
    assert len(explorer.figure.data) == 9


@pytest.mark.parametrize("settings, message", [
    ({"batch_size": 0}, r"batch_size: expected a number between 1 and 60 \(mini-batch size"),
    ({"batch_size": 2.5}, r"batch_size: expected a whole number between 1 and 60, got 2.5"),
    ({"batch_size": 61}, r"batch_size: expected a number between 1 and 60 .*got 61"),
    ({"rate": 0.0}, r"rate: expected a number between 0.001 and 10"),
    ({"epochs": 0}, r"epochs: expected a number between 1 and 30"),
    ({"epochs": "ten"}, r"epochs: expected a number"),
])
def test_bad_settings_name_the_setting(settings, message):
    explorer = BatchSizeExplorer(points=60, epochs=2)
    with pytest.raises((ValueError, TypeError), match=message):
        explorer.update(**settings)
    assert explorer.params["epochs"] == 2  # the last good setting stays


@pytest.mark.parametrize("arguments, message", [
    ({"points": 1}, r"points: expected a whole number from 2 to 1000 \(the number of training examples\), got 1"),
    ({"points": 5000}, r"points: .* got 5000"),
    ({"seed": -1}, r"seed: expected a whole number of at least 0, got -1"),
    ({"batchsize": 3}, r"unknown setting 'batchsize'"),
])
def test_bad_constructor_arguments_name_the_argument(arguments, message):
    with pytest.raises((ValueError, TypeError), match=message):
        BatchSizeExplorer(**arguments)


def test_train_with_batch_size_checks_the_batch_size():
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match=r"batch_size: expected a whole number from 1 to 10"):
        train_with_batch_size(X, y, batch_size=11, rate=0.1, epochs=1)


def test_the_widget_limits_the_slider_to_the_dataset():
    explorer = BatchSizeExplorer(points=40, epochs=2)
    box = explorer.widget()
    assert box is not None and explorer._widgets["batch_size"].max == 40
    explorer._widgets["batch_size"].value = 8
    assert explorer.params["batch_size"] == 8 and explorer.state.runs["mini-batch"].updates_per_epoch == 5
    assert explorer._error_widget.value == ""


def test_a_run_arrives_epoch_by_epoch_from_the_seeded_tanh_network():
    from bplab import nn, no_grad
    from bplab.explorers.batches import HIDDEN_UNITS, BatchRun, batch_run_steps

    X, y = make_moons(40, seed=3)
    runs = list(batch_run_steps(X, y, batch_size=16, rate=0.5, epochs=3, seed=4, method="full batch"))
    assert len(runs) == 4 and [run.finished for run in runs] == [False, False, False, True]
    with no_grad():  # epoch 0: the loss of a fresh seeded 2-16-1 tanh network
        start = nn.MLP([2, HIDDEN_UNITS, 1], activation="tanh", seed=4)
        assert runs[0].epoch_loss[0] == pytest.approx(float(nn.binary_cross_entropy_with_logits(start(X), y).data))
    for k, run in enumerate(runs):
        assert (run.method, run.batch_size, run.updates_per_epoch) == ("full batch", 16, 3)  # 40 points: 16 + 16 + 8
        assert run.epoch_loss.shape == run.elapsed.shape == (4,)
        assert np.isfinite(run.epoch_loss[:k + 1]).all() and np.isnan(run.epoch_loss[k + 1:]).all()
        assert run.elapsed[0] == 0.0 and np.isnan(run.elapsed[k + 1:]).all()
        assert len(run.step_loss) == 3 * k  # one loss per update so far
    final = runs[-1]
    assert np.all(np.diff(final.elapsed) > 0)  # training time only grows, epoch by epoch
    assert final.elapsed[-1] < 1.0  # seconds: nine updates on 40 points (a wrong clock gives hours)
    assert final.epoch_loss[-1] < final.epoch_loss[0]
    np.testing.assert_array_equal(final.epoch_loss, train_with_batch_size(X, y, 16, 0.5, 3, seed=4).epoch_loss)
    waiting = BatchRun.waiting("stochastic", 1, points=40, epochs=3)
    assert (waiting.method, waiting.batch_size, waiting.updates_per_epoch, waiting.finished) == ("stochastic", 1, 40, False)
    assert waiting.epoch_loss.shape == waiting.elapsed.shape == (4,) and np.isnan(waiting.epoch_loss).all()
    assert np.isnan(waiting.elapsed).all() and waiting.step_loss.size == 0 and waiting.message == "" and not waiting.diverged


def test_the_three_runs_wait_then_train_the_quickest_first():
    from bplab.explorers.batches import BatchRun

    explorer = BatchSizeExplorer(points=40, seed=2, batch_size=8, rate=0.3, epochs=2)
    X, y = make_moons(40, seed=2)
    np.testing.assert_array_equal(explorer._X, X)
    frames = [frame() for frame in explorer.compute_steps(batch_size=10, rate=0.5, epochs=2)]
    first = frames[0]
    assert (first.points, first.epochs, first.rate) == (40, 2, 0.5)
    for method, size in (("full batch", 40), ("stochastic", 1), ("mini-batch", 10)):
        assert isinstance(first.runs[method], BatchRun) and not first.runs[method].finished
        assert (first.runs[method].method, first.runs[method].batch_size) == (method, size)
    assert explorer.progress(first) == "training full batch (40), stochastic (1), mini-batch of 10"
    # the quickest run (fewest updates an epoch) first: full batch, then mini-batches of 10, then single examples
    finished_order = []
    for state in frames:
        for method, run in state.runs.items():
            if run.finished and method not in finished_order:
                finished_order.append(method)
    assert finished_order == ["full batch", "mini-batch", "stochastic"]
    assert explorer.progress(frames[-1]) == ""
    np.testing.assert_array_equal(frames[-1].runs["stochastic"].epoch_loss,
                                  train_with_batch_size(X, y, 1, 0.5, 2, seed=2, method="stochastic").epoch_loss)
    with pytest.raises(ValueError, match=r"^batch_size: expected at most 40 \(the number of training examples\), got 41; "
                                         r"a batch of all 40 examples is full-batch gradient descent$"):
        next(explorer.compute_steps(batch_size=41, rate=0.5, epochs=2))


def test_the_moons_are_centred_and_their_targets_a_column():
    from bplab import data

    X, y = make_moons(60, seed=5)
    points, labels = data.moons(60, noise=0.15, seed=5)
    np.testing.assert_allclose(X, points - points.mean(axis=0))
    assert np.abs(X.mean(axis=0)).max() < 1e-12
    assert y.shape == (60, 1) and y.dtype == np.float64 and np.array_equal(y[:, 0], labels)


def test_train_with_batch_size_is_the_last_step_of_its_run_with_the_documented_defaults():
    from bplab.explorers.batches import batch_run_steps

    X, y = make_moons(30, seed=1)
    run = train_with_batch_size(X, y, 10, 0.5, 2)
    assert run.method == "mini-batch" and run.finished and run.batch_size == 10
    last = list(batch_run_steps(X, y, 10, 0.5, 2, seed=0))[-1]
    np.testing.assert_array_equal(run.epoch_loss, last.epoch_loss)
    np.testing.assert_array_equal(run.step_loss, last.step_loss)
    assert not np.array_equal(train_with_batch_size(X, y, 10, 0.5, 2, seed=1).epoch_loss, run.epoch_loss)


def test_a_waiting_run_counts_its_updates_and_has_not_diverged():
    from bplab.explorers.batches import BatchRun

    waiting = BatchRun.waiting("mini-batch", 8, points=50, epochs=2)
    assert waiting.updates_per_epoch == 7  # 50 examples in batches of 8: six full batches and one of 2
    assert waiting.diverged is False and waiting.finished is False


def test_a_run_keeps_its_method_name_and_its_seeds_reach_the_weights_and_the_shuffles():
    from bplab import nn, optim, train
    from bplab.explorers.batches import HIDDEN_UNITS, batch_run_steps

    X, y = make_moons(30, seed=6)
    assert train_with_batch_size(X, y, 30, 0.5, 1, method="full batch").method == "full batch"
    last = list(batch_run_steps(X, y, 7, 0.4, 2, seed=3))[-1]
    assert last.method == "mini-batch"  # the default name
    # the same training written with the library directly: a seeded tanh network, shuffles from the same seed
    model = nn.MLP([2, HIDDEN_UNITS, 1], activation="tanh", seed=3)
    history = train.fit(model, nn.binary_cross_entropy_with_logits, optim.SGD(model.parameters(), lr=0.4), X, y,
                        epochs=2, batch_size=7, seed=3)
    np.testing.assert_array_equal(last.step_loss, history.loss)
    assert last.message == history.message


def test_one_epoch_arrives_as_the_start_then_the_finished_run():
    from bplab.explorers.batches import batch_run_steps

    X, y = make_moons(20, seed=0)
    runs = list(batch_run_steps(X, y, 5, 0.5, 1))
    assert [run.finished for run in runs] == [False, True]
    assert runs[0].message == "" and runs[-1].message.startswith("trained 1 epochs")
    only = list(batch_run_steps(X, y, 5, 0.5, 0))
    assert len(only) == 1 and only[0].finished and only[0].step_loss.size == 0


def test_the_clock_counts_training_only_not_the_drawing_between_epochs(monkeypatch):
    from bplab.explorers import batches

    now = [0.0]

    def fake_clock() -> float:  # a clock that moves only when the test moves it, and 1 s per reading
        now[0] += 1.0
        return now[0]

    monkeypatch.setattr(batches.time, "perf_counter", fake_clock)
    X, y = make_moons(20, seed=0)
    elapsed = None
    for run in batches.batch_run_steps(X, y, 10, 0.5, 3):
        now[0] += 1000.0  # a slow drawing of each snapshot: never training time
        elapsed = run.elapsed
    assert np.all(elapsed[1:] < 1000.0) and np.all(np.diff(elapsed) > 0)


def test_the_default_seed_is_zero_and_every_run_is_named_by_its_method():
    default = BatchSizeExplorer(points=30, epochs=1)
    seeded = BatchSizeExplorer(points=30, seed=0, epochs=1)
    other = BatchSizeExplorer(points=30, seed=1, epochs=1)
    for method, run in default.state.runs.items():
        assert run.method == method and run.finished
        np.testing.assert_array_equal(run.epoch_loss, seeded.state.runs[method].epoch_loss)
        assert not np.array_equal(run.epoch_loss, other.state.runs[method].epoch_loss)


def test_a_run_without_a_seed_is_seed_zeros_run():
    from bplab.explorers.batches import batch_run_steps

    X, y = make_moons(24, seed=2)
    unseeded, seeded = list(batch_run_steps(X, y, 6, 0.4, 2))[-1], list(batch_run_steps(X, y, 6, 0.4, 2, seed=0))[-1]
    np.testing.assert_array_equal(unseeded.step_loss, seeded.step_loss)
    assert not np.array_equal(list(batch_run_steps(X, y, 6, 0.4, 2, seed=1))[-1].step_loss, seeded.step_loss)
