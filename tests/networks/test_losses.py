"""Losses: three routes, known answers (softmax + cross-entropy gives p - y), stability, PyTorch, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from network_routes import assert_gradcheck, assert_three_routes, needs_torch, to_torch, torch

from bplab import Value, gradcheck, nn
from bplab.engine import apply

EXAMPLES = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
rng = np.random.default_rng(0)


def logits(shape, bound=8.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(-bound, bound, allow_nan=False))


def probabilities(shape):
    return hnp.arrays(np.float64, shape, elements=st.floats(0.02, 0.98))


REDUCTIONS = ["mean", "sum", "none"]


# ------------------------------------------------------------------ three routes at small sizes


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_three_routes(reduction):
    assert_three_routes(lambda a, t: nn.mse_loss(a, t, reduction=reduction),
                        a=np.array([[0.5], [-1.2], [2.0]]), t=np.array([[0.0], [1.0], [1.5]]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_three_routes(reduction):
    assert_three_routes(lambda z, t: nn.binary_cross_entropy_with_logits(z, t, reduction=reduction),
                        z=np.array([[0.3], [-2.0], [1.5]]), t=np.array([[1.0], [0.0], [0.3]]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_three_routes(reduction):
    assert_three_routes(lambda p, t: nn.binary_cross_entropy(p, t, reduction=reduction),
                        p=np.array([[0.3], [0.8], [0.55]]), t=np.array([[1.0], [0.0], [0.5]]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_three_routes(reduction):
    classes = np.array([2, 0])
    assert_three_routes(lambda z: nn.cross_entropy(z, classes, reduction=reduction),
                        z=np.array([[0.2, -0.4, 1.0], [1.5, 0.1, -0.3]]))


# ------------------------------------------------------------------ gradcheck over the legal domain


@EXAMPLES
@given(data=st.data(), n=st.integers(1, 5), c=st.integers(2, 4))
def test_cross_entropy_gradcheck(data, n, c):
    z = data.draw(logits((n, c)))
    classes = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    assert_gradcheck(lambda z: nn.cross_entropy(z, classes), z=z)


@EXAMPLES
@given(data=st.data(), n=st.integers(1, 5))
def test_binary_losses_gradcheck(data, n):
    z, t = data.draw(logits((n, 1))), data.draw(probabilities((n, 1)))
    assert_gradcheck(lambda z, t: nn.binary_cross_entropy_with_logits(z, t), z=z, t=t)
    p = data.draw(probabilities((n, 1)))
    assert_gradcheck(lambda p, t: nn.binary_cross_entropy(p, t), p=p, t=t)
    assert_gradcheck(lambda a, t: nn.mse_loss(a, t), a=z, t=t)


# ------------------------------------------------------------------ known answers


@EXAMPLES
@given(data=st.data(), n=st.integers(1, 6), c=st.integers(2, 5))
def test_softmax_cross_entropy_gradient_is_p_minus_y(data, n, c):
    z = Value(data.draw(logits((n, c), bound=20.0)))
    classes = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    nn.cross_entropy(z, classes).backward()
    p = nn.softmax(z.data, dim=1).data
    assert np.allclose(z.grad, (p - np.eye(c)[classes]) / n, atol=1e-12)


def test_sigmoid_bce_gradient_is_p_minus_y_and_stable_at_huge_logits():
    z = Value(np.array([[1000.0], [-1000.0], [0.0]]))
    y = np.array([[0.0], [1.0], [1.0]])
    loss = nn.binary_cross_entropy_with_logits(z, y, reduction="sum")
    loss.backward()
    assert np.isfinite(loss.item()) and abs(loss.item() - (1000 + 1000 + np.log(2))) < 1e-9
    assert np.allclose(z.grad, np.array([[1.0], [-1.0], [-0.5]]))
    huge = nn.cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert np.isfinite(huge.item()) and abs(huge.item() - 2000.0) < 1e-9


def test_mse_on_one_weight_example():
    # the High School example: a = 1.5 w, y = 0.5, w = 0.8 -> C = (a - y)^2 = 0.49, dC/dw = 2.1
    w = Value(0.8)
    cost = nn.mse_loss((1.5 * w).reshape(1), np.array([0.5]))
    cost.backward()
    assert abs(cost.item() - 0.49) < 1e-12 and abs(w.grad - 2.1) < 1e-12


def test_planted_wrong_vjp_is_caught():
    """Test the tester: a cross-entropy whose backward forgets the 1/N fails gradcheck."""
    wrong = dataclasses.replace(
        nn.cross_entropy_primitive,
        vjps=(lambda g, out, z, target, reduction="mean": nn.cross_entropy_primitive.vjps[0](g, out, z, target, "sum"),),
    )
    classes = np.array([1, 0, 2])
    z = rng.normal(size=(3, 3))
    assert gradcheck(lambda z: apply(nn.cross_entropy_primitive, z, target=classes, reduction="mean"), z)
    assert not gradcheck(lambda z: apply(wrong, z, target=classes, reduction="mean"), z, verbose=False)
    wrong_bce = dataclasses.replace(nn.bce_with_logits_primitive,
                                    vjps=(lambda g, out, z, y, reduction="mean": g * (z - y), nn.bce_with_logits_primitive.vjps[1]))
    assert not gradcheck(lambda z: apply(wrong_bce, z, np.ones((3, 1))), rng.normal(size=(3, 1)), verbose=False)


# ------------------------------------------------------------------ PyTorch


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_match_pytorch(reduction):
    F = torch.nn.functional
    z, classes = rng.normal(size=(5, 3)) * 3, rng.integers(0, 3, size=5)
    logit, target, prob = rng.normal(size=(5, 1)) * 3, rng.random((5, 1)), rng.uniform(0.01, 0.99, (5, 1))
    cases = [
        (nn.cross_entropy, F.cross_entropy, z, classes, False),
        (nn.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, logit, target, True),
        (nn.binary_cross_entropy, F.binary_cross_entropy, prob, target, True),
        (nn.mse_loss, F.mse_loss, logit, target, True),
    ]
    for ours, theirs, x, t, float_target in cases:
        leaf, reference = Value(x), to_torch(x, requires_grad=True)
        loss = ours(leaf, t, reduction=reduction)
        expected = theirs(reference, to_torch(t) if float_target else torch.tensor(t), reduction=reduction)
        assert np.allclose(loss.data, expected.detach().numpy(), atol=1e-12), ours.__name__
        weights = np.linspace(0.5, 1.5, loss.data.size).reshape(loss.shape)
        (loss * weights).sum().backward()
        (expected * to_torch(weights)).sum().backward()
        assert np.allclose(leaf.grad, reference.grad.numpy(), atol=1e-12), ours.__name__


@needs_torch
def test_bce_clamps_like_pytorch_at_zero_and_one():
    p, t = np.array([[0.0], [1.0], [0.5]]), np.array([[1.0], [0.0], [1.0]])
    ours = nn.binary_cross_entropy(p, t, reduction="none").data
    theirs = torch.nn.functional.binary_cross_entropy(to_torch(p), to_torch(t), reduction="none").numpy()
    assert np.allclose(ours, theirs)


# ------------------------------------------------------------------ bad input


def test_cross_entropy_rejects_float_targets_and_says_why():
    with pytest.raises(TypeError) as info:
        nn.cross_entropy(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]))
    assert "target" in str(info.value) and "integer class indices" in str(info.value) and "float" in str(info.value)
    with pytest.raises(TypeError, match="one-hot rows: pass target.argmax"):
        nn.cross_entropy(np.zeros((2, 3)), np.eye(3)[[0, 2]])


def test_float_losses_reject_class_indices_and_say_why():
    with pytest.raises(ValueError) as info:
        nn.mse_loss(np.zeros((4, 3)), np.array([0, 2, 1, 1]))
    message = str(info.value)
    assert "target" in message and "(4, 3)" in message and "(4,)" in message and "cross_entropy" in message
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target: expected values between 0 and 1.*cross_entropy"):
        nn.binary_cross_entropy(np.full((3, 1), 0.5), np.array([[0], [2], [1]]))
    with pytest.raises(ValueError, match="reshape the target to a column"):
        nn.binary_cross_entropy_with_logits(np.zeros((3, 1)), np.zeros(3))


def test_loss_input_errors():
    with pytest.raises(ValueError, match=r"cross_entropy: target: expected classes from 0 to 2.*got values from 0 to 3"):
        nn.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="cross_entropy: logits: expected at least one example, got an empty batch"):
        nn.cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="mse_loss: prediction: expected at least one example"):
        nn.mse_loss(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match="prediction: expected values between 0 and 1.*sigmoid"):
        nn.binary_cross_entropy(np.array([[2.0]]), np.array([[1.0]]))
    with pytest.raises(ValueError, match="reduction: expected 'mean', 'sum' or 'none'"):
        nn.mse_loss(np.zeros(2), np.zeros(2), reduction="average")
    with pytest.raises(ValueError, match=r"logits: expected shape \(N, C\).*reshape\(1, -1\)"):
        nn.cross_entropy(np.zeros(3), np.array([1]))
