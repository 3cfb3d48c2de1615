"""One weight's gradient written out by the chain rule (the playground's status line): the sum of δ·a agrees
with backprop, with a central difference and with SymPy; it is computed on the batch the next step uses."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy

from bplab import nn
from bplab.explorers.playground import Playground
from bplab.explorers.weight_gradient import WeightGradient, arithmetic_text, weight_gradient


def tiny_network(seed: int = 0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(2, 3, init="normal", rng=rng), nn.Tanh(), nn.Linear(3, 2, init="normal", rng=rng))
    X = rng.normal(size=(5, 2))
    y = np.array([0, 1, 1, 0, 1])
    return model, X, y


def batch_loss(model, X, y, layer, i, j, value):
    """The batch's mean cross-entropy with one weight set to ``value`` (NumPy, no engine)."""
    weights = [m.weight.data.copy() for m in model.layers if hasattr(m, "weight")]
    biases = [m.bias.data for m in model.layers if hasattr(m, "weight")]
    weights[layer][i, j] = value
    h = np.tanh(X @ weights[0] + biases[0])
    logits = h @ weights[1] + biases[1]
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(y)), y])


@pytest.mark.parametrize("layer, i, j", [(0, 0, 0), (0, 1, 2), (1, 2, 1), (1, 0, 0)])
def test_the_sum_of_delta_times_a_is_backprops_gradient_and_a_central_difference(layer, i, j):
    model, X, y = tiny_network()
    explained = weight_gradient(model.layers, nn.cross_entropy, X, y, layer, i, j)
    assert explained.total == pytest.approx(explained.backprop, rel=1e-12, abs=1e-15)
    w, h = explained.weight, 1e-6
    central = (batch_loss(model, X, y, layer, i, j, w + h) - batch_loss(model, X, y, layer, i, j, w - h)) / (2 * h)
    assert explained.total == pytest.approx(central, rel=1e-6, abs=1e-9)
    assert len(explained.deltas) == len(explained.inputs) == 5


def test_sympy_agrees_on_a_first_layer_weight():
    model, X, y = tiny_network(seed=3)
    explained = weight_gradient(model.layers, nn.cross_entropy, X, y, 0, 1, 2)
    w = sympy.Symbol("w")
    W1 = sympy.Matrix(model.layers[0].weight.data.tolist())
    W1[1, 2] = w
    b1, W2, b2 = (sympy.Matrix([list(a)]) if a.ndim == 1 else sympy.Matrix(a.tolist())
                  for a in (model.layers[0].bias.data, model.layers[2].weight.data, model.layers[2].bias.data))
    loss = 0
    for n in range(len(y)):
        hidden = (sympy.Matrix([list(X[n])]) * W1 + b1).applyfunc(sympy.tanh)
        logits = hidden * W2 + b2
        loss += -(logits[int(y[n])] - sympy.log(sum(sympy.exp(v) for v in logits)))
    slope = sympy.diff(loss / len(y), w).subs(w, explained.weight)
    assert float(slope) == pytest.approx(explained.total, rel=1e-10)


def test_a_planted_wrong_factor_is_caught():
    """The check can fail: δ taken after the activation (∂L/∂h instead of ∂L/∂z) misses tanh' and disagrees."""
    model, X, y = tiny_network()
    explained = weight_gradient(model.layers, nn.cross_entropy, X, y, 0, 0, 1)
    z = X @ model.layers[0].weight.data + model.layers[0].bias.data
    wrong = WeightGradient(0, 0, 1, explained.weight, explained.inputs, explained.deltas / (1 - np.tanh(z[:, 1]) ** 2),
                           explained.backprop)
    assert wrong.total != pytest.approx(explained.backprop, rel=1e-3)


def test_nothing_is_stored_in_the_parameters_gradients():
    model, X, y = tiny_network()
    weight_gradient(model.layers, nn.cross_entropy, X, y, 1, 0, 0)
    assert not any(p.has_grad for p in model.parameters())


@pytest.mark.parametrize("arguments, message", [
    ((2, 0, 0), "layer: expected a linear layer from 0 to 1, got 2"),
    ((0, 2, 0), "expected 0 <= source < 2 and 0 <= target < 3 (layer 0's weight is 2 x 3), got 2, 0"),
    ((1, 0, -1), "expected 0 <= source < 3 and 0 <= target < 2 (layer 1's weight is 3 x 2), got 0, -1"),
])
def test_a_weight_that_does_not_exist_is_refused_by_name(arguments, message):
    model, X, y = tiny_network()
    with pytest.raises(ValueError) as error:
        weight_gradient(model.layers, nn.cross_entropy, X, y, *arguments)
    assert message in str(error.value)


def test_the_text_writes_the_sum_out():
    explained = WeightGradient(0, 0, 1, -0.5, np.array([1.0, -2.0, 0.5, 4.0]), np.array([0.25, 0.125, -0.5, 0.0]), 0.0)
    text = arithmetic_text(explained, "x₁", "neuron 2 of hidden layer 1", 0.3, "all 4 training points (full batch)")
    assert "from x₁ to neuron 2 of hidden layer 1; now −0.5)" in text and "each δ carries its 1/N" in text
    assert "(0.25)(1) + (0.12)(−2) + (−0.5)(0.5) + … (1 more) = <b>−0.25</b>" in text
    assert "over all 4 training points (full batch)" in text
    one = WeightGradient(0, 0, 0, 1.0, np.array([2.0]), np.array([0.5]), 1.0)
    assert "(0.5)(2) = <b>1</b>" in arithmetic_text(one, "x₁", "n", 0.1, "b") and "more" not in arithmetic_text(one, "x₁", "n", 0.1, "b")


def test_full_batch_the_next_step_moves_the_weight_by_minus_rate_times_the_gradient():
    playground = Playground(epochs=5, weight_layer=2, weight_from=4, weight_to=6)
    explained = playground.state.explained
    before = playground.state.run.model.layers[2].weight.data[3, 5]
    assert explained.weight == before and explained.total == pytest.approx(explained.backprop, rel=1e-12)
    playground.update(epochs=6)  # continues the run: one more full-batch step
    after = playground.state.run.model.layers[2].weight.data[3, 5]
    assert after - before == pytest.approx(-0.3 * explained.backprop, rel=1e-9)
    assert "over all 140 training points (full batch)" in playground.status


def test_mini_batch_the_explained_batch_is_the_next_steps():
    playground = Playground(batch="10", epochs=3, weight_layer=1, weight_from=2, weight_to=3)
    explained, run = playground.state.explained, playground.state.run
    weight = run.model.layers[0].weight
    seen = []
    step = run.optimizer.step
    run.optimizer.step = lambda: (seen.append(weight.grad[1, 2]), step())[1]
    playground.update(epochs=4)
    assert seen[0] == pytest.approx(explained.backprop, rel=1e-12)  # the first step of epoch 4 used that batch
    assert len(explained.deltas) == 10 and "over the next step's batch of 10 training points" in playground.status


def test_the_weight_sliders_follow_the_network_and_never_retrain():
    playground = Playground(epochs=20, hidden_layers=1, neurons=5)
    run = playground.state.run
    assert playground._limits(playground.state) == {"neuron": 5, "weight_layer": 2, "weight_from": 2, "weight_to": 5}
    with pytest.raises(ValueError, match="weight_to: expected a number between 1 and 5"):
        playground.update(weight_to=6)
    playground.update(weight_layer=2, weight_from=5, weight_to=2)
    assert playground.state.run is run  # a view change
    assert playground._limits(playground.state)["weight_from"] == 5 and playground._limits(playground.state)["weight_to"] == 2
    e = playground.state.explained
    assert (e.layer, e.source, e.target) == (1, 4, 1)
    assert "from neuron 5 of hidden layer 1 to output 2 (class 1)" in playground.status


def test_a_blown_up_run_explains_no_weight():
    playground = Playground(init_scale=10.0, rate=3.0, loss="squared error")
    assert playground.state.run.diverged and playground.state.explained is None
    assert "The weight w" not in playground.status
    assert not [t for t in playground.figure.data if t.name == "the explained weight"]


@pytest.mark.parametrize("dataset", ["xor", "circles", "moons", "spirals", "blobs"])
def test_the_class_count_the_sliders_use_is_the_datasets(dataset):
    from bplab.explorers.playground import CLASSES, make_dataset

    assert CLASSES[dataset] == int(make_dataset(dataset, 0.2, 0)[1].max()) + 1


def test_a_smaller_network_pulls_the_explained_weight_back_inside_it():
    playground = Playground(epochs=5, hidden_layers=2, neurons=6, weight_layer=3, weight_from=6, weight_to=2)
    playground.update(neurons=3)  # the weight's source neuron 6 is gone: the slider drops to the new last one
    assert playground.params["weight_from"] == 3
    e = playground.state.explained
    assert (e.layer, e.source, e.target) == (2, 2, 1)


def test_a_zero_factor_is_explained_and_no_minus_zero_is_printed():
    silent = WeightGradient(1, 0, 0, 0.5, np.zeros(3), np.array([-4.9, 0.2, 1.0]), 0.0)
    text = arithmetic_text(silent, "neuron 1 of hidden layer 1", "output 1 (class 0)", 0.447, "b")
    assert "(−4.9)(0) + (0.2)(0) + (1)(0) = <b>0</b>" in text and "that = +0." in text
    assert not re.search(r"−0(?![.\d])", text)  # −0.447 is fine, a bare −0 is not
    assert "Every a is 0" in text and "does not move" in text
    no_error = WeightGradient(1, 0, 0, 0.5, np.ones(2), np.zeros(2), 0.0)
    assert "Every δ is 0" in arithmetic_text(no_error, "a", "b", 0.1, "b")
    assert "Every" not in arithmetic_text(WeightGradient(1, 0, 0, 0.5, np.ones(2), np.ones(2), 2.0), "a", "b", 0.1, "b")


def test_the_reasons_for_a_zero_gradient_name_no_activation_the_network_lacks():
    zeros = Playground(init_scheme="zeros", epochs=5, weight_layer=3)  # tanh everywhere: a is 0 because the weights are
    assert "Every a is 0: the node w comes from outputs 0 for every example" in zeros.status
    assert "or a neuron whose weights and bias are all 0" in zeros.status
    dead = WeightGradient(1, 0, 0, 0.5, np.ones(3), np.zeros(3), 0.0)
    assert "its slope f′(z) is 0 for every example (a ReLU with z < 0 everywhere: a dead neuron)" in arithmetic_text(
        dead, "a", "b", 0.1, "b")


def test_a_blown_up_run_says_why_no_weight_is_explained():
    playground = Playground(init_scale=10.0, rate=3.0, loss="squared error")
    assert "No weight's gradient is written out once the run has blown up" in playground.status
    assert playground.figure.layout.xaxis3.range == (0, playground.state.run.epochs)  # the curve fills its panel


def test_the_last_node_plus_one_is_refused_and_tiny_numbers_keep_their_exponent():
    from bplab.explorers.weight_gradient import _number

    model, X, y = tiny_network()
    with pytest.raises(ValueError, match=r"got 0, 2$"):
        weight_gradient(model.layers, nn.cross_entropy, X, y, 1, 0, 2)  # layer 1 is 3 x 2: target 2 does not exist
    assert _number(5.5e-07) == "5.5e−07" and _number(-0.0) == "0" and _number(-0.25) == "−0.25"


def test_the_zero_factor_sentences_word_for_word():
    from bplab.explorers.weight_gradient import _why_zero

    assert _why_zero(WeightGradient(0, 0, 0, 1.0, np.zeros(2), np.ones(2), 0.0)) == (
        " Every a is 0: the node w comes from outputs 0 for every example of this batch (a ReLU that is off everywhere, "
        "or a neuron whose weights and bias are all 0), so w gets no gradient and does not move.")
    assert _why_zero(WeightGradient(0, 0, 0, 1.0, np.ones(2), np.zeros(2), 0.0)) == (
        " Every δ is 0: the neuron w feeds passes no error back on this batch, because its slope f′(z) is 0 for every "
        "example (a ReLU with z < 0 everywhere: a dead neuron) or nothing after it depends on it; so w gets no gradient "
        "and does not move.")
    assert _why_zero(WeightGradient(0, 0, 0, 1.0, np.ones(2), np.ones(2), 2.0)) == ""
