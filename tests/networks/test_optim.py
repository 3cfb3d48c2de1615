"""Optimizers: 20-step trajectories equal PyTorch's; Adam's first step ≈ lr at any gradient scale; state; errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_routes import needs_torch, to_torch, torch

from bplab import Value, nn, optim


def rosenbrock_like(p: Value, q: Value) -> Value:
    """A curved valley (ravine) with uneven scales, so every optimizer does something different."""
    return ((1.0 - p) ** 2).sum() + 5.0 * ((q - p * p) ** 2).sum() + 0.1 * (q ** 2).sum()


START = (np.array([-1.2, 0.5, 2.0]), np.array([1.0, -0.3, 0.7]))

CONFIGURATIONS = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, weight_decay=0.05)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01, amsgrad=True)),
]


def bplab_trajectory(name, options, steps=20):
    p, q = Value(START[0].copy()), Value(START[1].copy())
    optimizer = getattr(optim, name)([p, q], **options)
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        rosenbrock_like(p, q).backward()
        optimizer.step()
        path.append(np.concatenate([p.data, q.data]))
    return np.array(path), optimizer


@needs_torch
@pytest.mark.parametrize("name, options", CONFIGURATIONS)
def test_twenty_steps_match_pytorch(name, options):
    ours, _ = bplab_trajectory(name, options)
    p, q = to_torch(START[0], True), to_torch(START[1], True)
    optimizer = getattr(torch.optim, name)([p, q], **options)
    theirs = []
    for _ in range(20):
        optimizer.zero_grad()
        (((1.0 - p) ** 2).sum() + 5.0 * ((q - p * p) ** 2).sum() + 0.1 * (q ** 2).sum()).backward()
        optimizer.step()
        theirs.append(np.concatenate([p.detach().numpy(), q.detach().numpy()]))
    assert np.allclose(ours, np.array(theirs), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam"])
def test_defaults_are_pytorchs(name):
    expected = {"SGD": 1e-3, "Adagrad": 1e-2, "RMSprop": 1e-2, "Adam": 1e-3}[name]
    optimizer = getattr(optim, name)([Value(np.zeros(2))])
    assert optimizer.lr == expected
    if name == "Adam":
        assert optimizer.param_groups[0]["betas"] == (0.9, 0.999) and optimizer.param_groups[0]["eps"] == 1e-8


@settings(max_examples=25, deadline=None)
@given(log_scale=st.floats(-4, 6), lr=st.sampled_from([1e-3, 1e-2, 0.1]))
def test_adam_first_step_is_about_lr_whatever_the_gradient_scale(log_scale, lr):
    w = Value(np.array([0.5, -2.0, 3.0]))
    optimizer = optim.Adam([w], lr=lr)
    (10.0**log_scale * (w * np.array([1.0, -3.0, 0.5])).sum()).backward()
    gradient = w.grad.copy()
    before = w.data.copy()
    optimizer.step()
    step = np.abs(w.data - before)
    assert np.allclose(step, lr, rtol=1e-3)  # gradients from 5e-5 to 3e6: 12 orders of magnitude
    assert np.allclose(step, lr * np.abs(gradient) / (np.abs(gradient) + 1e-8), rtol=1e-9)  # exactly, near eps too


def test_state_is_inspectable_with_pytorchs_keys():
    _, adam = bplab_trajectory("Adam", dict(lr=0.01), steps=3)
    state = next(iter(adam.state.values()))
    assert state["step"] == 3 and state["exp_avg"].shape == (3,) and state["exp_avg_sq"].shape == (3,)
    _, sgd = bplab_trajectory("SGD", dict(lr=0.01, momentum=0.9), steps=2)
    assert set(next(iter(sgd.state.values()))) == {"momentum_buffer"}
    _, rms = bplab_trajectory("RMSprop", dict(lr=0.01), steps=2)
    assert "square_avg" in next(iter(rms.state.values()))
    _, ada = bplab_trajectory("AdaGrad", dict(lr=0.01), steps=2)
    assert "sum" in next(iter(ada.state.values()))


def test_step_skips_parameters_without_gradient_and_never_writes_into_user_arrays():
    start = np.array([1.0, 2.0])
    used, unused = Value(start), Value(np.array([5.0]))
    optimizer = optim.SGD([used, unused], lr=0.1, momentum=0.9, weight_decay=0.1)
    (used * used).sum().backward()
    optimizer.step()
    assert np.array_equal(unused.data, [5.0]) and unused not in optimizer.state
    assert np.array_equal(start, [1.0, 2.0])  # the caller's array is untouched
    assert np.allclose(used.data, [1.0 - 0.1 * 2.1, 2.0 - 0.1 * 4.2])


def test_optimizer_accepts_a_module_and_param_groups():
    model = nn.MLP([2, 3, 1], seed=0)
    assert len(optim.SGD(model, lr=0.1).param_groups[0]["params"]) == 4
    groups = optim.Adam([{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters()}], lr=0.01)
    assert [g["lr"] for g in groups.param_groups] == [0.1, 0.01]


@pytest.mark.parametrize("lr", [0, -0.1, float("nan")])
def test_bad_learning_rate_says_expected_and_got(lr):
    with pytest.raises(ValueError) as info:
        optim.SGD([Value(np.zeros(2))], lr=lr)
    assert "lr: expected a learning rate above 0" in str(info.value) and repr(lr) in str(info.value)
    with pytest.raises(ValueError, match="lr: expected"):
        optim.Adam([Value(1.0)]).lr = lr


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="nesterov: Nesterov momentum needs momentum > 0"):
        optim.SGD([Value(1.0)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas\[1\]: expected a value in \[0, 1\)"):
        optim.Adam([Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="params: SGD got an empty list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\]: expected a bplab Value"):
        optim.SGD([np.zeros(2)], lr=0.1)


# ---------------------------------------------------------------------------- an oracle that needs no PyTorch


def valley_gradient(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of rosenbrock_like, by hand: dL/dp = -2(1-p) - 20p(q-p²), dL/dq = 10(q-p²) + 0.2q."""
    return -2 * (1 - p) - 20 * p * (q - p * p), 10 * (q - p * p) + 0.2 * q


def reference_trajectory(name: str, options: dict, steps: int = 20) -> np.ndarray:
    """PyTorch's documented update rules (torch.optim's algorithm boxes), one plain NumPy loop per optimizer."""
    o = dict(options)
    lr, wd = o.get("lr"), o.get("weight_decay", 0.0)
    theta = [START[0].copy(), START[1].copy()]
    state = [dict() for _ in theta]
    path = []
    for t in range(1, steps + 1):
        grads = valley_gradient(*theta)
        for k, (x, g, s) in enumerate(zip(theta, grads, state)):
            g = g + wd * x
            if name == "SGD":
                mu, tau = o.get("momentum", 0.0), o.get("dampening", 0.0)
                if mu:
                    s["b"] = g.copy() if "b" not in s else mu * s["b"] + (1 - tau) * g
                    g = g + mu * s["b"] if o.get("nesterov") else s["b"]
                x = x - lr * g
            elif name == "Adagrad":
                clr = lr / (1 + (t - 1) * o.get("lr_decay", 0.0))
                s["sum"] = s.get("sum", np.full_like(x, o.get("initial_accumulator_value", 0.0))) + g * g
                x = x - clr * g / (np.sqrt(s["sum"]) + o.get("eps", 1e-10))
            elif name == "RMSprop":
                alpha, eps, mu = o.get("alpha", 0.99), o.get("eps", 1e-8), o.get("momentum", 0.0)
                s["v"] = alpha * s.get("v", np.zeros_like(x)) + (1 - alpha) * g * g
                v = s["v"]
                if o.get("centered"):
                    s["g_avg"] = alpha * s.get("g_avg", np.zeros_like(x)) + (1 - alpha) * g
                    v = v - s["g_avg"] ** 2
                if mu:
                    s["b"] = mu * s.get("b", np.zeros_like(x)) + g / (np.sqrt(v) + eps)
                    x = x - lr * s["b"]
                else:
                    x = x - lr * g / (np.sqrt(v) + eps)
            elif name == "Adam":
                (b1, b2), eps = o.get("betas", (0.9, 0.999)), o.get("eps", 1e-8)
                s["m"] = b1 * s.get("m", np.zeros_like(x)) + (1 - b1) * g
                s["v"] = b2 * s.get("v", np.zeros_like(x)) + (1 - b2) * g * g
                v = s["v"]
                if o.get("amsgrad"):
                    s["v_max"] = np.maximum(s.get("v_max", np.zeros_like(x)), v)
                    v = s["v_max"]
                x = x - lr * (s["m"] / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
            theta[k] = x
        path.append(np.concatenate(theta))
    return np.array(path)


@pytest.mark.parametrize("name, options", CONFIGURATIONS)
def test_twenty_steps_match_the_documented_rules_without_pytorch(name, options):
    ours, _ = bplab_trajectory(name, options)
    np.testing.assert_allclose(ours, reference_trajectory(name, options), rtol=1e-11, atol=1e-13)


def test_the_reference_catches_a_weight_decay_of_the_wrong_sign():
    options = dict(lr=0.05, weight_decay=0.01)
    ours, _ = bplab_trajectory("Adam", options)
    flipped = reference_trajectory("Adam", dict(options, weight_decay=-0.01))
    assert not np.allclose(ours, flipped, rtol=1e-11, atol=1e-13)


#: Three steps of PyTorch 2.13 (CPU, float64) from START, recorded once: known values that hold without it.
KNOWN_AFTER_THREE_STEPS = [
    ("Adam", dict(lr=0.05, weight_decay=0.01),
     [-1.05470765228596, 0.3561622208571802, 1.8507423099485432, 1.1401012057201576, -0.15189395581959025, 0.8494704845172923]),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True),
     [-0.7597580956539026, 0.29412476900435497, -1.5024820705686386, 0.9903858348192017, 0.029110971763663687, 1.8810650755796414]),
]


@pytest.mark.parametrize("name, options, expected", KNOWN_AFTER_THREE_STEPS)
def test_known_values_recorded_from_pytorch(name, options, expected):
    ours, _ = bplab_trajectory(name, options, steps=3)
    np.testing.assert_allclose(ours[-1], expected, rtol=1e-12)


# ---------------------------------------------------------------------------- what mutation testing found untested


def test_a_group_may_hold_a_single_value():
    w = Value(np.array([1.0, -2.0]))
    optimizer = optim.SGD([{"params": w}], lr=0.5)
    assert optimizer.param_groups[0]["params"] == [w]
    (w * w).sum().backward()
    optimizer.step()
    optimizer.zero_grad()
    np.testing.assert_array_equal(w.data, [0.0, 0.0])  # w - 0.5 * 2w
    assert not w.has_grad


def test_a_parameter_that_is_not_a_value_is_named_by_its_index():
    with pytest.raises(TypeError) as info:
        optim.SGD([Value(1.0), np.zeros(2)], lr=0.1)
    assert str(info.value) == ("params[1]: expected a bplab Value (a parameter), got ndarray; "
                               "pass model.parameters() or a list of Values")


@pytest.mark.parametrize("lr", [True, "0.1", float("inf")])
def test_a_learning_rate_must_be_a_finite_number(lr):
    with pytest.raises(ValueError) as info:
        optim.SGD([Value(1.0)], lr=lr)
    assert str(info.value) == (f"lr: expected a learning rate above 0 (such as 0.1 or 1e-3), got {lr!r}; a rate of 0 "
                               "never moves the weights and a negative rate climbs the loss instead of descending it")


@pytest.mark.parametrize("name, key", [("SGD", "weight_decay"), ("SGD", "momentum"), ("SGD", "dampening"),
                                       ("Adagrad", "lr_decay"), ("Adagrad", "eps"), ("RMSprop", "eps"),
                                       ("Adam", "weight_decay")])
def test_a_negative_setting_is_refused_by_name(name, key):
    with pytest.raises(ValueError) as info:
        getattr(optim, name)([Value(1.0)], lr=0.1, **{key: -0.25})
    assert str(info.value) == f"{key}: expected 0 or more, got -0.25"
    getattr(optim, name)([Value(1.0)], lr=0.1, **{key: 0.0})  # zero is allowed


def test_a_parameter_without_gradient_is_skipped_wherever_it_stands():
    unused, used = Value(np.array([5.0])), Value(np.array([1.0, 2.0]))
    optimizer = optim.SGD([unused, used], lr=0.1)
    (used * used).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(unused.data, [5.0])
    np.testing.assert_allclose(used.data, [0.8, 1.6])


def test_repr_lists_the_settings():
    assert repr(optim.SGD([Value(1.0)], lr=0.1)) == (
        "SGD(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)")
    assert repr(optim.Adam([Value(1.0)])) == "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False)"


@pytest.mark.parametrize("name, options", [("SGD", {}), ("SGD", dict(momentum=0.9)), ("Adagrad", {}),
                                           ("RMSprop", {}), ("Adam", {})])
def test_a_zero_dimensional_weight_stays_an_array(name, options):
    w = Value(np.array(2.0))
    optimizer = getattr(optim, name)([w], lr=0.25, **options)
    for _ in range(2):
        optimizer.zero_grad()
        (w * w).backward()
        optimizer.step()
    assert type(w.data) is np.ndarray and w.data.shape == () and w.data < 2.0


def test_the_momentum_buffer_is_a_copy_of_the_first_gradient():
    w = Value(np.array([1.0, 2.0]))
    optimizer = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    optimizer.step()
    buffer = optimizer.state[w]["momentum_buffer"]
    assert not np.shares_memory(buffer, w.grad)  # a later backward that accumulates into w.grad leaves it alone
    np.testing.assert_array_equal(buffer, [2.0, 4.0])


def test_rmsprop_keeps_pytorchs_state_and_only_what_its_options_need():
    def state_after(steps: int, **options):
        w = Value(np.array([1.0, -2.0]))
        optimizer = optim.RMSprop([w], lr=0.01, alpha=0.5, **options)
        for _ in range(steps):
            optimizer.zero_grad()
            (w * w).sum().backward()
            optimizer.step()
        return optimizer.state[w]

    assert set(state_after(1)) == {"step", "square_avg"}
    assert set(state_after(1, momentum=0.5)) == {"step", "square_avg", "momentum_buffer"}
    centered = state_after(2, centered=True)
    assert set(centered) == {"step", "square_avg", "grad_avg"} and centered["step"] == 2
    first = state_after(1, centered=True)
    np.testing.assert_allclose(first["grad_avg"], 0.5 * np.array([2.0, -4.0]))  # (1 - alpha) g: a mean, not its negative


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_rmsprop_takes_alpha_from_zero_to_one(alpha):
    optim.RMSprop([Value(1.0)], alpha=alpha)


@pytest.mark.parametrize("alpha", [-0.01, 1.01, 1.5])
def test_rmsprop_refuses_alpha_outside_zero_to_one(alpha):
    with pytest.raises(ValueError) as info:
        optim.RMSprop([Value(1.0)], alpha=alpha)
    assert str(info.value) == f"alpha: expected a smoothing constant between 0 and 1, got {alpha}"


def test_adam_takes_a_beta_of_zero_and_names_a_bad_one():
    optim.Adam([Value(1.0)], betas=(0.0, 0.0))
    with pytest.raises(ValueError) as info:
        optim.Adam([Value(1.0)], betas=(-0.1, 0.999))
    assert str(info.value) == "betas[0]: expected a value in [0, 1), got -0.1"
