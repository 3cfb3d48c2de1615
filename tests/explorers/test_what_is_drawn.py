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


def panel_pixels(figure, xaxis: str, yaxis: str) -> tuple[float, float]:
    """The width and height a panel's domains give it inside the figure's margins."""
    layout = figure.layout
    width = layout.width - layout.margin.l - layout.margin.r
    height = layout.height - layout.margin.t - layout.margin.b
    x, y = layout[xaxis].domain, layout[yaxis].domain
    return (x[1] - x[0]) * width, (y[1] - y[0]) * height


def test_the_playgrounds_decision_regions_are_its_largest_panel_and_no_legend_covers_a_plot():
    figure = Playground(epochs=5).figure
    panels = {name: panel_pixels(figure, "xaxis" + n, "yaxis" + n) for name, n in
              (("regions", ""), ("network", "2"), ("loss", "3"), ("norms", "4"), ("neuron", "5"))}
    square = {name: min(w, h) for name, (w, h) in panels.items()}  # regions, network and neuron keep equal scales
    assert square["regions"] > 1.1 * max(v for name, v in square.items() if name != "regions")
    assert figure.layout.legend.y < 0 and figure.layout.legend.yanchor == "top"  # below every panel
    in_legend = {t.name for t in figure.data if t.type == "scatter" and t.showlegend is not False}  # heatmaps: never
    assert in_legend == {"train loss", "test loss", "hidden layer 1", "hidden layer 2", "output layer"}


def test_an_empty_panel_says_why():
    untrained = Playground(epochs=0).figure
    notes = [a.text for a in untrained.layout.annotations]
    assert any(text.startswith("No epoch trained yet") for text in notes)
    assert untrained.layout.yaxis4.showticklabels is False  # no made-up log ticks behind the note
    (train,) = [t for t in untrained.data if t.name == "train loss"]
    assert train.mode == "markers" and len(train.x) == 1  # the one loss there is shows as a dot
    assert not any(text.startswith("No epoch") for text in (a.text for a in Playground(epochs=3).figure.layout.annotations))


def test_a_network_whose_outputs_are_nan_says_so_in_the_empty_panels():
    playground = Playground(epochs=3)
    playground.state.run.model.layers[0].weight.data[0, 0] = np.nan  # as a blow-up would leave it
    playground.update(neuron=2)  # a view change redraws the same run
    notes = [a.text for a in playground.figure.layout.annotations]
    assert any(text.startswith("The network's outputs are NaN") for text in notes)
    assert "The weights are NaN after the blow-up." in notes
    assert playground.state.explained is None and "The weight w" not in playground.status
