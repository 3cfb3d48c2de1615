"""The Value graph: accumulation, sharing, deep graphs, constants, stability, and clear errors."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest

from bplab import Value
from bplab.engine import apply
from bplab import ops


def test_one_weight_network_known_values():
    """curriculum.md, Level 2: a = i w, C = (a - y)^2 at i = 1.5, y = 0.5, w = 0.8."""
    w = Value(0.8, name="w")
    a = 1.5 * w
    cost = (a - 0.5) ** 2
    cost.backward()
    assert a.data == pytest.approx(1.2)
    assert cost.data == pytest.approx(0.49)
    assert w.grad == pytest.approx(2.1)
    assert a.grad == pytest.approx(1.4)  # dC/da = 2 (a - y): intermediate gradients are kept
    assert 0.8 - 0.1 * float(w.grad) == pytest.approx(0.59)


def test_known_derivatives():
    x = Value(0.0)
    x.sigmoid().backward()
    assert x.grad == pytest.approx(0.25)
    x = Value(0.0)
    x.tanh().backward()
    assert x.grad == pytest.approx(1.0)
    x = Value(2.0)
    (x**3).backward()
    assert x.grad == pytest.approx(12.0)


def test_a_node_used_twice_receives_both_contributions():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    b = Value(3.0)
    (b * b).backward()
    assert b.grad == 6.0
    c = Value(2.0)
    shared = c * 3.0
    (shared * shared + shared).backward()  # d/dc (9c^2 + 3c) = 18c + 3
    assert c.grad == pytest.approx(39.0)


def test_gradients_accumulate_across_backward_calls_like_pytorch():
    w = Value(np.array([1.0, 2.0]))
    (w * 3.0).sum().backward()
    (w * 3.0).sum().backward()
    assert np.array_equal(w.grad, [6.0, 6.0])
    w.zero_grad()
    assert np.array_equal(w.grad, [0.0, 0.0])


def test_grad_is_zeros_of_the_data_shape_before_backward():
    w = Value(np.ones((2, 3)))
    assert w.grad.shape == (2, 3) and not w.grad.any()
    assert Value(1.0).grad.shape == ()


def test_a_chain_of_100000_operations_backpropagates_without_recursion():
    x = Value(1.0)
    out = x
    for _ in range(100_000):
        out = out * 1.0 + 0.0
    out.backward()
    assert x.grad == 1.0


def test_constants_get_no_gradient_and_cost_no_vjp(monkeypatch):
    calls = []
    original = ops.matmul.vjps

    def counting(index):
        def vjp(*args, **kwargs):
            calls.append(index)
            return original[index](*args, **kwargs)

        return vjp

    patched = ops.Primitive(
        ops.matmul.name, ops.matmul.forward, (counting(0), counting(1)), ops.matmul.to_sympy, ops.matmul.formula
    )
    batch = np.random.default_rng(0).standard_normal((5, 3))
    weight = Value(np.ones((3, 2)))
    apply(patched, batch, weight).sum().backward()
    assert calls == [1]  # only the weight's gradient was computed, not the data's
    assert weight.grad.shape == (3, 2)


def test_numpy_arrays_mix_in_on_either_side():
    x = Value(np.array([1.0, 2.0]))
    left = np.array([3.0, 4.0]) * x
    right = x * np.array([3.0, 4.0])
    assert isinstance(left, Value) and isinstance(right, Value)
    (left + right).sum().backward()
    assert np.array_equal(x.grad, [6.0, 8.0])


def test_float32_stays_float32():
    x = Value(np.ones(3, dtype=np.float32))
    y = (x * 2.0).tanh().sum()
    assert y.data.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_sigmoid_and_log_sigmoid_are_stable_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow/divide warning fails the test
        for x0 in (-1000.0, 1000.0):
            x = Value(x0)
            s = x.sigmoid()
            assert np.isfinite(s.data)
            log_s = x.sigmoid().log()
            log_s.backward()
            assert np.isfinite(log_s.data) and np.isfinite(x.grad)
        assert Value(-1000.0).sigmoid().log().data == pytest.approx(-1000.0)
        big = Value(np.array([1000.0, -1000.0, 0.0]))
        assert np.allclose(big.softmax().data.sum(), 1.0)
        assert np.all(np.isfinite(big.log_softmax().data))


def test_graphs_have_no_reference_cycles():
    gc.disable()
    try:
        x = Value(np.ones(3))
        y = (x * 2.0).tanh().sum()
        y.backward()
        probe = weakref.ref(y)
        del y
        assert probe() is None  # freed by reference counting alone
    finally:
        gc.enable()


# ------------------------------------------------------------------ bad input


def test_non_numeric_data_is_rejected_with_the_argument_named():
    with pytest.raises(TypeError, match=r"data: expected a number.*got str 'abc'"):
        Value("abc")
    with pytest.raises(TypeError, match="data: expected a number or a rectangular array"):
        Value([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="complex"):
        Value(1 + 2j)
    with pytest.raises(TypeError, match="name: expected a string"):
        Value(1.0, name=3)


def test_a_non_numeric_operand_names_the_operation():
    with pytest.raises(TypeError, match=r"add\(\): operand 2: expected a number"):
        Value(1.0) + "two"


def test_mismatched_shapes_say_what_was_expected():
    with pytest.raises(ValueError, match=r"add\(\): cannot use operands of shape \(3,\), \(4,\).*broadcast"):
        Value(np.ones(3)) + Value(np.ones(4))
    with pytest.raises(ValueError, match=r"matmul\(\).*\(2, 3\), \(4, 5\).*transpose"):
        Value(np.ones((2, 3))) @ Value(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"sum\(\).*axis"):
        Value(np.ones(3)).sum(axis=2)


def test_backward_on_a_non_scalar_needs_a_gradient():
    y = Value(np.ones(3)) * 2.0
    with pytest.raises(ValueError, match=r"shape \(3,\).*\.sum\(\)\.backward\(\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"expected shape \(3,\).*got \(2,\)"):
        y.backward(np.ones(2))
    y.backward(np.array([1.0, 2.0, 3.0]))  # an explicit vector is a vector-Jacobian product


def test_item_names_the_size():
    with pytest.raises(ValueError, match="holds 3 numbers"):
        Value(np.ones(3)).item()
    assert Value(2.5).item() == 2.5


def test_repr_shows_data_grad_and_name():
    w = Value(0.8, name="w")
    (w * 2.0).backward()
    assert repr(w) == "Value(0.8, grad=2., name='w')"


def test_backward_never_changes_forward_values():
    """VJPs may reuse temporaries, but never the arrays of the forward pass."""
    x = Value(np.linspace(-2.0, 2.0, 7))
    outputs = [x.exp(), x.tanh(), x.sigmoid(), x.sigmoid().log(), x.relu(), x.abs(), x.sin(), x.cos(),
               (x * x + 1.0).log(), (x * 0.3).tan(), (x * x + 1.0).sqrt(), x.softmax(), x.logsumexp(), x.max(), x[1:4] * 2.0]
    before = [o.data.copy() for o in outputs]
    total = outputs[0].sum()
    for o in outputs[1:]:
        total = total + o.sum()
    nodes_before = {id(n): n.data.copy() for n in total.topological_order()}
    total.backward()
    for o, b in zip(outputs, before):
        assert np.array_equal(o.data, b), o.op.name
    for n in total.topological_order():
        assert np.array_equal(n.data, nodes_before[id(n)]), n.op.name if n.op else n.name


def test_power_exponent_gradient_at_base_zero_is_zero_not_nan():
    base, exponent = Value(0.0), Value(2.0)
    (base**exponent).backward()
    assert exponent.grad == 0.0 and base.grad == 0.0


def test_a_value_has_no_truth_value():
    with pytest.raises(TypeError, match=r"no truth value.*value\.item\(\) > 0"):
        bool(Value(0.5))


def test_no_grad_records_nothing_and_restores_the_mode():
    from bplab import no_grad
    from bplab.engine import is_grad_enabled

    w = Value(np.array([0.5, -1.0]), name="w")
    with no_grad():
        assert not is_grad_enabled()
        y = (w * 3.0).tanh().sum()
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.parents == ()
    assert y.item() == pytest.approx(float(np.tanh(w.data * 3.0).sum()))
    graph = (w * 3.0).tanh().sum()
    assert graph.requires_grad and not graph.is_leaf  # recording is back on

    @no_grad()
    def evaluate(v):
        return v * v

    assert evaluate(w).is_leaf and is_grad_enabled()
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("inside")
    assert is_grad_enabled()  # restored after an error too


def test_no_grad_is_per_thread():
    import threading

    from bplab import no_grad

    w = Value(2.0, name="w")
    seen = {}
    with no_grad():
        worker = threading.Thread(target=lambda: seen.setdefault("recorded", not (w * w).is_leaf))
        worker.start()
        worker.join()
    assert seen["recorded"] is True  # another thread's mode was untouched


def test_backward_skips_constants_but_reaches_every_shared_use():
    x = Value(np.array([1.0, 2.0]), name="x")
    data = np.array([3.0, 4.0])  # a constant: no gradient is computed for it
    out = (x * data + x.logsumexp() - x).sum()  # x reached three ways, one of them after a reduction
    out.backward()
    softmax = np.exp(x.data) / np.exp(x.data).sum()
    assert np.allclose(x.grad, data + 2 * softmax - 1.0)


def test_every_leaf_gets_a_private_writable_gradient():
    # add hands the same array to both inputs, reshape a view, a 0-d sum a NumPy scalar: a leaf's
    # .grad must still be its own array, so that an in-place update of one never changes another.
    w = Value(np.array([1.0, 2.0]), name="w")
    v = Value(np.array([3.0, 4.0]), name="v")
    total = w + v
    total.backward(gradient=np.array([1.0, 1.0]))
    assert w.grad is not v.grad and w.grad is not total.grad
    w.grad[0] = 100.0
    assert v.grad.tolist() == [1.0, 1.0] and total.grad.tolist() == [1.0, 1.0]

    m = Value(np.arange(6.0), name="m")
    m.reshape((2, 3)).backward(gradient=np.ones((2, 3)))
    assert m.grad.flags.writeable and m.grad.base is None

    s = Value(3.0, name="s")
    (s * s + s * s).backward()
    assert isinstance(s.grad, np.ndarray) and s.grad.shape == () and s.grad == 12.0
    s.grad += 1.0  # an ndarray, not a NumPy scalar: in place works
    assert s.grad == 13.0


def test_backward_keeps_no_reference_to_the_callers_gradient():
    x = Value(np.array([1.0, 2.0]), name="x")
    seed = np.array([5.0, 7.0])
    x.backward(gradient=seed)
    seed[:] = 0.0
    assert x.grad.tolist() == [5.0, 7.0]
