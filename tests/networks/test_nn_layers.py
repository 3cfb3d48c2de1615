"""Layers and models: gradients three ways, PyTorch's numbers on identical weights, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from network_routes import assert_gradcheck, assert_three_routes, needs_torch, to_torch, torch

from bplab import Value, nn, to_sympy

EXAMPLES = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
rng = np.random.default_rng(0)


def finite(shape, bound=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(-bound, bound, allow_nan=False))


# ------------------------------------------------------------------ gradients


def test_linear_three_routes():
    layer = nn.Linear(3, 2, seed=0)
    x = rng.normal(size=(2, 3))
    assert_three_routes(lambda W, b, x: nn.functional_call(layer, {"weight": W, "bias": b}, x),
                        W=layer.weight.data, b=layer.bias.data, x=x)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_mlp_three_routes(activation):
    model = nn.MLP([2, 3, 1], activation=activation, seed=1)
    x = np.array([[0.3, -0.7], [1.1, 0.4]])
    params = dict(model.named_parameters())
    assert_three_routes(
        lambda W1, b1, W2, b2: nn.functional_call(model, {"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2}, x),
        W1=params["0.weight"].data, b1=params["0.bias"].data, W2=params["2.weight"].data, b2=params["2.bias"].data,
    )


@EXAMPLES
@given(n=st.integers(1, 4), fan_in=st.integers(1, 4), fan_out=st.integers(1, 3), data=st.data())
def test_linear_gradcheck_any_shape(n, fan_in, fan_out, data):
    layer = nn.Linear(fan_in, fan_out, seed=0)
    x = data.draw(finite((n, fan_in)))
    assert_gradcheck(lambda W, b, x: nn.functional_call(layer, {"weight": W, "bias": b}, x),
                     W=layer.weight.data, b=layer.bias.data, x=x)


@pytest.mark.parametrize("module", [nn.Tanh(), nn.Sigmoid(), nn.ReLU(), nn.Identity(), nn.Softmax(dim=1), nn.Flatten()])
def test_activation_modules_gradcheck(module):
    x = rng.normal(size=(3, 4))
    x[np.abs(x) < 0.1] = 0.5  # away from relu's kink
    assert_gradcheck(lambda x: module(x), x=x)


def test_softmax_three_routes_and_jacobian():
    z = np.array([[0.2, -1.0, 0.5]])
    assert_three_routes(lambda z: nn.softmax(z, dim=1), z=z)
    p = nn.softmax(z, dim=1).data[0]
    jacobian = np.stack([_softmax_row_gradient(z, i) for i in range(3)])
    assert np.allclose(jacobian, np.diag(p) - np.outer(p, p))


def _softmax_row_gradient(z, i):
    leaf = Value(z)
    nn.softmax(leaf, dim=1)[0, i].backward()
    return leaf.grad[0]


def test_deep_mlp_gradcheck_float64():
    model = nn.MLP([3, 5, 4, 2], activation="tanh", seed=2)
    x = rng.normal(size=(4, 3))
    names = [name for name, _ in model.named_parameters()]
    values = {f"p{k}": p.data for k, (_, p) in enumerate(model.named_parameters())}
    assert_gradcheck(lambda **ps: nn.functional_call(model, {n: ps[f"p{k}"] for k, n in enumerate(names)}, x), **values)


# ------------------------------------------------------------------ structure


def test_parameters_names_zero_grad_and_call():
    model = nn.MLP([2, 4, 1], seed=0)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.name for p in model.parameters()] == ["W1", "b1", "W2", "b2"]
    assert model.parameters()[0].shape == (2, 4)  # (in_features, out_features)
    assert model.num_parameters() == 2 * 4 + 4 + 4 + 1
    out = model(np.ones((3, 2)))
    assert out.shape == (3, 1)
    out.sum().backward()
    assert any(np.any(p.grad != 0) for p in model.parameters())
    model.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_same_seed_same_network_and_rng_shared_across_layers():
    a, b = nn.MLP([2, 8, 8, 1], seed=3), nn.MLP([2, 8, 8, 1], seed=3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert np.array_equal(p.data, q.data)
    assert not np.array_equal(a[2].weight.data, nn.MLP([2, 8, 8, 1], seed=4)[2].weight.data)
    with pytest.raises(ValueError, match="rng, seed"):
        nn.Linear(2, 2, rng=np.random.default_rng(0), seed=1)


def test_to_sympy_tells_layers_apart():
    model = nn.MLP([1, 2, 1], activation="tanh", seed=0)
    formula = to_sympy(model(np.array([[0.5]]))[0, 0])
    names = {s.name for s in formula.free_symbols}
    assert {"W1[0,0]", "W2[1,0]", "b1[1]", "b2[0]"} <= names


def test_data_passed_as_array_gets_no_gradient():
    model = nn.MLP([3, 4, 1], seed=0)
    x = Value(rng.normal(size=(5, 3)), requires_grad=False)
    model(x).sum().backward()
    assert x._grad is None  # the engine computed no input-layer gradient
    assert x.requires_grad is False


def test_state_dict_roundtrip_and_float32():
    model = nn.MLP([2, 3, 1], seed=0)
    state = model.state_dict()
    other = nn.MLP([2, 3, 1], seed=9)
    other.load_state_dict(state)
    x = rng.normal(size=(4, 2))
    assert np.array_equal(model(x).data, other(x).data)
    model32 = nn.MLP([2, 3, 1], seed=0, dtype=np.float32)
    assert model32(x.astype(np.float32)).dtype == np.float32
    assert other.to(np.float32)(x.astype(np.float32)).dtype == np.float32


@needs_torch
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_mlp_forward_and_gradients_match_pytorch(activation):
    model = nn.MLP([3, 5, 2], activation=activation, seed=0)
    x = rng.normal(size=(6, 3))
    layers = []
    for k, layer in enumerate(model.linear_layers):
        linear = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(to_torch(layer.weight.data.T))  # PyTorch stores the transpose
            linear.bias.copy_(to_torch(layer.bias.data))
        layers.append(linear)
        if k == 0:
            layers.append({"tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU(), "sigmoid": torch.nn.Sigmoid()}[activation])
    reference = torch.nn.Sequential(*layers)
    out, expected = model(x), reference(to_torch(x))
    assert np.allclose(out.data, expected.detach().numpy(), atol=1e-12)
    (out ** 2).sum().backward()
    (expected ** 2).sum().backward()
    for layer, linear in zip(model.linear_layers, [layers[0], layers[2]]):
        assert np.allclose(layer.weight.grad, linear.weight.grad.numpy().T, atol=1e-12)
        assert np.allclose(layer.bias.grad, linear.bias.grad.numpy(), atol=1e-12)


@needs_torch
def test_default_init_matches_pytorch_distribution():
    layer = nn.Linear(400, 300, seed=0)
    bound = 1 / np.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    reference = torch.nn.Linear(400, 300)
    assert abs(layer.weight.data.std() - reference.weight.detach().numpy().std()) < 0.02 * bound


# ------------------------------------------------------------------ bad input


def test_linear_wrong_feature_count_says_expected_and_got():
    with pytest.raises(ValueError) as info:
        nn.Linear(3, 4, seed=0)(np.zeros((10, 5)))
    message = str(info.value)
    assert "Linear(3, 4)" in message and "x: expected" in message and "(N, 3)" in message and "(10, 5)" in message


def test_linear_empty_batch_and_bad_sizes():
    with pytest.raises(ValueError, match="x: expected at least one example.*empty batch"):
        nn.Linear(3, 4, seed=0)(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="in_features: expected a whole number"):
        nn.Linear(0, 4)
    with pytest.raises(ValueError, match="sizes: expected at least two"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="activation: expected one of"):
        nn.MLP([2, 2, 1], activation="swish")
    with pytest.raises(TypeError, match=r"layers\[1\]: expected a Module"):
        nn.Sequential(nn.Linear(2, 2), np.tanh)


def test_a_layers_list_in_a_module_of_ones_own_is_named_like_any_list():
    """Only Sequential names its children "0", "1", ...; any other Module names list items "<attribute>.<index>"."""

    class Net(nn.Module):
        def __init__(self):
            self.layers = [nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    x = np.ones((1, 2))
    zero = Value(np.zeros((2, 3)))
    assert np.array_equal(nn.functional_call(net, {"layers.0.weight": zero}, x).data,
                          net.layers[2](np.tanh(np.zeros((1, 3)) + net.layers[0].bias.data)).data)
    assert [n for n, _ in nn.Sequential(net, nn.Linear(1, 1, seed=2)).named_parameters()][-2:] == ["1.weight", "1.bias"]


def test_number_parameters_numbers_only_layers_with_parameters_once():
    layers = [nn.Linear(2, 2, seed=0), nn.Tanh(), nn.Linear(2, 1, seed=0)]
    nn.number_parameters(layers)
    nn.number_parameters(layers)  # a numbered name is not numbered again
    assert [p.name for layer in layers for p in layer.parameters()] == ["W1", "b1", "W2", "b2"]


def test_grad_norms_and_total_norm():
    model = nn.MLP([2, 3, 1], seed=0)
    assert nn.grad_norms(model) == {name: 0.0 for name, _ in model.named_parameters()}
    model(np.ones((4, 2))).sum().backward()
    norms = nn.grad_norms(model)
    assert norms["0.weight"] == pytest.approx(np.linalg.norm(model[0].weight.grad))
    grads = [p.grad for p in model.parameters()]
    assert nn.total_norm(grads) == pytest.approx(np.sqrt(sum(v**2 for v in norms.values())))
    assert nn.total_norm(grads, float("inf")) == pytest.approx(max(np.abs(g).max() for g in grads))
    assert nn.total_norm([]) == 0.0


def test_integer_data_becomes_float():
    assert nn.Linear(2, 1, seed=0)(np.ones((3, 2), dtype=int)).dtype == np.float64
    assert nn.tanh([1, 2]).dtype == np.float64
