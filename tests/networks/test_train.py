"""The training loop: it learns, it reports divergence in words, batch sizes, symmetry of zero init."""

from __future__ import annotations

import numpy as np
import pytest

from bplab import data, init, nn, optim
from bplab.train import History, fit


def test_fit_learns_moons_and_records_everything():
    X, y = data.moons(200, noise=0.1, seed=0)
    model = nn.MLP([2, 16, 16, 2], activation="tanh", seed=0)
    history = fit(model, nn.cross_entropy, optim.Adam(model.parameters(), lr=0.02), X, y, epochs=150, snapshot_every=50)
    assert isinstance(history, History) and not history.diverged
    assert history.steps == 150 and len(history.loss) == 150 and len(history.epoch_loss) == 150
    assert history.loss[-1] < 0.1 * history.loss[0]
    assert history.accuracy[-1] > 0.97
    assert set(history.grad_norms) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    assert all(len(v) == 150 for v in history.grad_norms.values())
    assert [step for step, _ in history.snapshots] == [0, 50, 100, 150]
    assert not np.array_equal(history.snapshots[0][1]["0.weight"], history.snapshots[-1][1]["0.weight"])
    assert "trained 150 epochs" in history.message


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (1, 40), (16, 3)])
def test_batch_sizes_give_the_right_number_of_steps(batch_size, steps_per_epoch):
    X, y = data.apples_vs_oranges(40, seed=1)
    model = nn.Linear(2, 1, seed=0)
    history = fit(model, nn.binary_cross_entropy_with_logits, optim.SGD(model.parameters(), lr=0.05),
                  (X - X.mean(0)) / X.std(0), y.reshape(-1, 1).astype(float), epochs=3, batch_size=batch_size, seed=0)
    assert history.steps == 3 * steps_per_epoch and len(history.epoch_loss) == 3
    assert len(history.accuracy) == 3


def test_same_seed_same_history():
    X, y = data.xor(64, seed=0)

    def run():
        model = nn.MLP([2, 4, 2], seed=0)
        return fit(model, nn.cross_entropy, optim.SGD(model.parameters(), lr=0.5), X, y, epochs=5, batch_size=8, seed=3).loss

    assert run() == run()


def test_divergence_is_detected_and_explained_not_raised():
    X, y = data.sine(50, seed=0)
    model = nn.MLP([1, 16, 1], activation="tanh", seed=0)
    history = fit(model, nn.mse_loss, optim.SGD(model.parameters(), lr=5.0), X * 10, y, epochs=200)
    assert history.diverged and history.diverged_at_step is not None
    assert history.steps == history.diverged_at_step < 200
    assert history.message.startswith(f"diverged at step {history.diverged_at_step}")
    assert "learning rate is probably too large (lr=5)" in history.message and "try lr=0.5" in history.message


def test_nan_loss_is_reported_as_nan():
    model = nn.Linear(1, 1, seed=0)
    X = np.array([[1.0], [np.nan]])
    history = fit(model, nn.mse_loss, optim.SGD(model.parameters(), lr=0.1), X, np.zeros((2, 1)), epochs=3)
    assert history.diverged and history.diverged_at_step == 1 and "NaN" in history.message


def test_zero_and_constant_init_keep_hidden_units_identical():
    """The symmetry problem: units that start equal get equal gradients and stay equal."""
    X, y = data.moons(64, seed=0)
    for scheme in ("zeros", lambda shape, rng: init.constant(shape, val=0.3)):
        model = nn.MLP([2, 5, 2], activation="tanh", init=scheme, seed=0)
        fit(model, nn.cross_entropy, optim.SGD(model.parameters(), lr=0.5), X, y, epochs=20)
        W1, W2 = model[0].weight.data, model[2].weight.data
        assert np.allclose(W1, W1[:, :1]), "hidden units differ after training"
        assert np.allclose(W2, W2[:1, :])
    model = nn.MLP([2, 5, 2], activation="tanh", init="xavier_uniform", seed=0)
    fit(model, nn.cross_entropy, optim.SGD(model.parameters(), lr=0.5), X, y, epochs=20)
    assert not np.allclose(model[0].weight.data, model[0].weight.data[:, :1])


def test_callback_can_stop_training():
    X, y = data.blobs(60, centers=3, seed=0)
    model = nn.MLP([2, 8, 3], seed=0)
    history = fit(model, nn.cross_entropy, optim.Adam(model.parameters(), lr=0.05), X, y, epochs=100,
                  callbacks=[lambda h: h.accuracy[-1] > 0.9])
    assert history.stopped_early and history.epochs < 100 and "stopped by a callback" in history.message


def test_regression_has_no_accuracy_and_a_custom_metric_works():
    X, y = data.sine(30, seed=0)
    model = nn.MLP([1, 8, 1], seed=0)
    history = fit(model, nn.mse_loss, optim.Adam(model.parameters(), lr=0.01), X, y, epochs=2)
    assert history.accuracy == []
    history = fit(model, nn.mse_loss, optim.Adam(model.parameters(), lr=0.01), X, y, epochs=2,
                  accuracy=lambda out, target: float(np.mean(np.abs(out - target) < 0.5)))
    assert len(history.accuracy) == 2


def test_bad_input_is_explained():
    model = nn.Linear(2, 1, seed=0)
    sgd = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"X: expected at least one example.*got shape \(0, 2\)"):
        fit(model, nn.mse_loss, sgd, np.zeros((0, 2)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match=r"y: expected one target per example of X \(4 examples\), got shape \(3, 1\)"):
        fit(model, nn.mse_loss, sgd, np.zeros((4, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="batch_size: expected None"):
        fit(model, nn.mse_loss, sgd, np.zeros((4, 2)), np.zeros((4, 1)), batch_size=0)
    with pytest.raises(ValueError, match=r"Linear\(2, 1\): x: expected shape \(N, 2\)"):
        fit(model, nn.mse_loss, sgd, np.zeros((4, 3)), np.zeros((4, 1)))
    with pytest.raises(TypeError, match="optimizer: expected a bplab.optim optimizer"):
        fit(model, nn.mse_loss, "sgd", np.zeros((4, 2)), np.zeros((4, 1)))


def test_float32_model_trains_in_float32():
    X, y = data.moons(64, seed=0)
    model = nn.MLP([2, 8, 2], seed=0, dtype=np.float32)
    history = fit(model, nn.cross_entropy, optim.SGD(model.parameters(), lr=0.5), X, y, epochs=5)
    assert all(p.dtype == np.float32 for p in model.parameters()) and not history.diverged
