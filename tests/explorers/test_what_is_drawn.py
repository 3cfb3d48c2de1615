"""What the explorers draw carries the lesson's facts: read from the figure itself, not from the state."""

from __future__ import annotations

import numpy as np
import pytest

from bplab.explorers.one_weight import OneWeightExplorer
from bplab.explorers.playground import Playground


def traces_on(figure, xaxis: str, yaxis: str):
    return [t for t in figure.data if (t.xaxis or "x") == xaxis and (t.yaxis or "y") == yaxis]


def loss_curve(figure):
    (train,) = [t for t in figure.data if t.name == "train loss"]
    return np.asarray(train.x, dtype=float), np.asarray(train.y, dtype=float)


def test_the_playground_loss_curve_starts_at_epoch_0_with_the_untrained_loss():
    untrained_x, untrained_y = loss_curve(Playground(epochs=0, seed=4).figure)
    assert untrained_x.tolist() == [0.0]
    x, y = loss_curve(Playground(epochs=30, seed=4).figure)
    assert x.tolist() == list(range(31))  # one point per epoch, epoch 0 first: no shift
    assert y[0] == untrained_y[0]  # the same network before training, to the last bit
    assert y[-1] < y[0]


def test_a_view_only_change_keeps_the_trained_network_and_its_history():
    explorer = Playground(epochs=40, seed=2)
    run, weights = explorer.state.run, [p.data.copy() for p in explorer.state.run.model.parameters()]
    explorer.update(neuron=3)
    assert explorer.state.run is run  # the same run object: nothing was retrained (a retrain builds a new one)
    for before, after in zip(weights, explorer.state.run.model.parameters()):
        assert np.array_equal(before, after.data)
    assert "Neuron 3 of" in str(explorer.figure.layout.annotations)


@pytest.mark.parametrize("hidden_layers", [1, 2, 4])
def test_the_gradient_norm_panel_has_one_line_per_layer(hidden_layers):
    figure = Playground(hidden_layers=hidden_layers, epochs=5).figure
    norm_lines = [t for t in figure.data if t.name and (t.name.startswith("hidden layer") or t.name == "output layer")]
    assert len(norm_lines) == hidden_layers + 1
    assert all(len(t.y) == 5 for t in norm_lines)  # one norm per epoch trained


def test_the_one_weight_path_starts_at_w0_and_goes_downhill():
    explorer = OneWeightExplorer()
    path = [t for t in explorer.figure.data if t.mode and "markers" in t.mode and t.x is not None and len(t.x) > 1]
    assert path, "no path of weights drawn"
    xs, ys = np.asarray(path[0].x, dtype=float), np.asarray(path[0].y, dtype=float)
    assert xs[0] == pytest.approx(explorer.params["w0"])
    assert ys[-1] < ys[0]  # the cost along the path falls
