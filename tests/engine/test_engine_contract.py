"""The engine's contract, pinned exactly: gradient flow and storage, dtypes, error messages word for word, reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bplab import Value, no_grad, ops
from bplab.engine import apply, as_operand, as_value, forward_mode, gradients, is_grad_enabled

FUNCTIONS = Value.__bplab_functions__  # what a VJP calls for Values inside a recorded backward pass

NOT_NUMBERS = ("expected a number or an array of real numbers, got str 'abc'; convert it first, e.g. float(...) "
               "or np.asarray(..., dtype=float)")


def _primitive(name, forward, vjps, jvps=None, shape_rule=ops.BROADCAST_RULE):
    """A primitive for one test only (not registered, so the registry's own tests never see it)."""
    return ops.Primitive(name=name, forward=forward, vjps=vjps, to_sympy=lambda *args, **params: None,
                         formula=r"\text{a test primitive}", shape_rule=shape_rule, jvps=jvps)


_PARENTS_SLOT = Value.__dict__["_parents"]


class WatchedConstant(Value):
    """A Value that counts how often a graph walk asks for its parents."""

    __slots__ = ()
    visits = 0

    @property
    def _parents(self):
        type(self).visits += 1
        return _PARENTS_SLOT.__get__(self)

    @_parents.setter
    def _parents(self, parents):
        _PARENTS_SLOT.__set__(self, parents)


# ------------------------------------------------------------------ Value(...) and its small methods


def test_value_construction_errors_word_for_word():
    with pytest.raises(TypeError) as excinfo:
        Value(Value(1.0))
    assert str(excinfo.value) == ("data: expected a number or an array, got a Value; "
                                  "use it directly, or value.detach() for a constant copy")
    with pytest.raises(TypeError) as excinfo:
        Value(1.0, name=3)
    assert str(excinfo.value) == "name: expected a string or None, got int 3"


def test_a_leaf_and_a_no_grad_result_have_empty_params():
    assert Value(1.0).params == {}
    with no_grad():
        y = Value(np.array([1.0, 2.0])) * 3.0
    assert y.params == {} and y.parents == () and y.op is None


def test_detach_keeps_data_and_name_and_is_a_constant():
    w = Value(np.array([1.0, 2.0]), name="w")
    copy = w.detach()
    assert copy.name == "w"
    assert copy.requires_grad is False
    assert copy.is_leaf
    np.testing.assert_array_equal(copy.data, [1.0, 2.0])


def test_item_of_a_one_entry_array_of_any_rank():
    assert Value(np.array([[2.5]])).item() == 2.5
    assert Value(np.array([2.5], dtype=np.float32)).item() == 2.5
    assert Value(-1.0).item() == -1.0


def test_bool_len_iter_and_value_index_errors_word_for_word():
    with pytest.raises(TypeError) as excinfo:
        bool(Value(0.5))
    assert str(excinfo.value) == ("a Value has no truth value (is Value(0.5) true?); compare its number instead, "
                                  "e.g. value.item() > 0, or value.data for an array")
    with pytest.raises(TypeError) as excinfo:
        len(Value(1.0))
    assert str(excinfo.value) == "len() of a scalar Value"
    with pytest.raises(TypeError) as excinfo:
        iter(Value(1.0))
    assert str(excinfo.value) == "iteration over a scalar Value"
    with pytest.raises(TypeError) as excinfo:
        Value(np.array([1.0, 2.0]))[Value(0.0)]
    assert str(excinfo.value) == "index: expected integers, slices or an integer array, got a Value"


def test_len_and_iteration_go_along_the_first_axis_and_backpropagate():
    x = Value(np.arange(6.0).reshape(3, 2))
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(row.op is ops.getitem for row in rows)
    np.testing.assert_array_equal(rows[2].data, [4.0, 5.0])
    v = Value(np.array([1.0, 2.0]))
    entries = list(v)
    assert [e.data.tolist() for e in entries] == [1.0, 2.0]
    (entries[0] * 3.0 + entries[1] * 5.0).backward()
    np.testing.assert_array_equal(v.grad, [3.0, 5.0])


def test_a_number_or_array_raised_to_a_value():
    x = Value(3.0)
    y = 2.0**x
    assert y.op is ops.power and y.data == 8.0
    y.backward()
    assert x.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)
    e = Value(2.0)
    z = np.array([2.0, 3.0]) ** e
    np.testing.assert_array_equal(z.data, [4.0, 9.0])
    z.sum().backward()
    assert e.grad == pytest.approx(4.0 * math.log(2.0) + 9.0 * math.log(3.0), rel=1e-15)


def test_logsumexp_drops_the_reduced_axes_by_default():
    x = Value(np.zeros((2, 3)))
    total = x.logsumexp()
    assert total.shape == ()
    assert total.item() == pytest.approx(math.log(6.0), rel=1e-15)
    assert x.logsumexp(axis=1).shape == (2,)
    assert x.logsumexp(axis=1, keepdims=True).shape == (2, 1)


# ------------------------------------------------------------------ repr


def test_repr_of_a_scalar_rounds_to_four_digits():
    assert repr(Value(1 / 3)) == "Value(0.3333)"


def test_repr_summarises_more_than_eight_entries():
    assert repr(Value(np.arange(8.0))) == "Value([0., 1., 2., 3., 4., 5., 6., 7.])"
    assert repr(Value(np.arange(9.0))) == "Value([0., 1., 2., ..., 6., 7., 8.])"


def test_repr_shows_a_grad_formatted_like_the_data():
    v = Value(np.arange(9.0) / 3)
    v.grad = np.arange(9.0) / 7
    assert repr(v) == ("Value([0.    , 0.3333, 0.6667, ..., 2.    , 2.3333, 2.6667], "
                       "grad=[0.    , 0.1429, 0.2857, ..., 0.8571, 1.    , 1.1429])")
    w = Value(np.array([1 / 3, 2.0]), name="w")
    w.grad = [1 / 7, 1.0]
    assert repr(w) == "Value([0.3333, 2.    ], grad=[0.1429, 1.    ], name='w')"


def test_repr_names_the_op_after_data_grad_and_name():
    y = Value(2.0) * 3.0
    assert repr(y) == "Value(6., op='mul')"
    y.name = "y"
    y.backward()
    assert repr(y) == "Value(6., grad=1., name='y', op='mul')"


# ------------------------------------------------------------------ the starting gradient


def test_the_starting_gradient_errors_word_for_word():
    y = Value(np.ones(3)) * 2.0
    with pytest.raises(ValueError) as excinfo:
        y.backward()
    assert str(excinfo.value) == (
        "backward(): this Value has shape (3,), not a single number, so the starting gradient is ambiguous; "
        "reduce it first (value.sum().backward()) or pass gradient=np.ones((3,))"
    )
    with pytest.raises(ValueError) as excinfo:
        gradients(y, [Value(1.0)])
    assert str(excinfo.value) == (
        "gradients(): this Value has shape (3,), not a single number, so the starting gradient is ambiguous; "
        "reduce it first (value.sum()) or pass gradient=np.ones((3,))"
    )
    with pytest.raises(ValueError) as excinfo:
        gradients(y, [Value(1.0)], gradient=np.ones(2))
    assert str(excinfo.value) == "gradients(gradient=...): expected shape (3,) (the Value's shape), got (2,)"
    with pytest.raises(TypeError) as excinfo:
        y.backward(gradient="abc")
    assert str(excinfo.value) == "gradient: " + NOT_NUMBERS


def test_the_starting_gradient_takes_the_values_dtype():
    x = Value(np.ones(3, dtype=np.float32))
    (g,) = gradients(x, [x], gradient=np.array([1.0, 2.0, 3.0]), create_graph=True)
    assert g.data.dtype == np.float32
    np.testing.assert_array_equal(g.data, [1.0, 2.0, 3.0])
    y = x * 2.0
    (g,) = gradients(y, [x], gradient=np.array([1.0, 2.0, 3.0]), create_graph=True)
    assert g.data.dtype == np.float32
    np.testing.assert_array_equal(g.data, [2.0, 4.0, 6.0])


# ------------------------------------------------------------------ the backward pass


def test_backward_and_gradients_never_visit_the_graph_of_a_constant():
    batch = WatchedConstant(np.array([3.0, 4.0]), requires_grad=False)
    w = Value(np.array([1.0, 2.0]), name="w")
    loss = (w * batch).sum()
    assert [node is batch for node in loss.topological_order(needing_gradient=True)] == [False, False, False]
    WatchedConstant.visits = 0
    loss.backward()
    assert WatchedConstant.visits == 0
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    (plain,) = gradients(loss, [w])
    assert WatchedConstant.visits == 0
    np.testing.assert_array_equal(plain, [3.0, 4.0])
    (recorded,) = gradients(loss, [w], create_graph=True)
    assert WatchedConstant.visits == 0
    np.testing.assert_array_equal(recorded.data, [3.0, 4.0])


def test_topological_order_for_a_gradient_leaves_out_constants():
    x = Value(np.array([1.0, 2.0]), name="x")
    c = Value(np.array([3.0, 4.0]), requires_grad=False)
    y = x * c
    order = y.topological_order(needing_gradient=True)
    assert len(order) == 2 and order[0] is x and order[1] is y
    assert len(y.topological_order()) == 3


def test_inner_gradients_are_kept_and_summed_across_backward_calls():
    x = Value(2.0)
    t = x * 3.0
    y = t * t
    y.backward()
    assert t.grad == 12.0 and x.grad == 36.0
    y.backward()
    assert t.grad == 24.0 and x.grad == 72.0
    assert y.grad == 2.0


def test_gradients_stores_nothing_in_any_grad():
    x = Value(2.0)
    t = x * 3.0
    y = t * t
    assert gradients(y, [x])[0] == 36.0
    assert gradients(y, [x], create_graph=True)[0].item() == 36.0
    assert not x.has_grad and not t.has_grad and not y.has_grad


def test_an_inner_node_receiving_a_numpy_scalar_stores_a_0d_array():
    x = Value(0.5)
    t = -x
    y = t.tanh()  # tanh's VJP of a 0-d gradient is a NumPy scalar, not an array
    y.backward()
    assert type(t.grad) is np.ndarray and t.grad.shape == ()
    assert t.grad == pytest.approx(1.0 - math.tanh(-0.5) ** 2, rel=1e-15)
    assert x.grad == pytest.approx(-(1.0 - math.tanh(-0.5) ** 2), rel=1e-15)


def test_a_float32_inner_node_keeps_float32_when_a_float64_gradient_reaches_it():
    x = Value(np.ones(2, dtype=np.float32))
    t = x * 2.0  # float32
    out = (t * np.array([1.0, 2.0])).sum()  # float64 from here on (NumPy's promotion)
    assert t.dtype == np.float32 and out.dtype == np.float64
    out.backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad, [1.0, 2.0])
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_a_float32_leaf_keeps_float32_when_a_fresh_float64_gradient_reaches_it():
    x = Value(np.ones(2, dtype=np.float32))
    loss = (x * np.array([2.0, 3.0])).sum()
    loss.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 3.0])
    (g,) = gradients(loss, [x])
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [2.0, 3.0])


def test_each_gradient_passed_through_to_a_float32_leaf_is_rounded_to_float32_on_arrival():
    x = Value(np.array([1.0], dtype=np.float32))
    zero = np.zeros(1)  # float64: x + zero is a float64 node, and add passes its gradient through to x
    total = ((x + zero) * np.array([1.0 + 2.0**-30]) + (x + zero) * np.array([-1.0])).sum()
    total.backward()
    # float32(1 + 2**-30) is 1, so the two arrivals cancel exactly (in float64 they would leave 2**-30)
    assert x.grad.dtype == np.float32
    assert x.grad.tolist() == [0.0]


def test_only_a_leaf_gets_a_copy_of_a_passed_through_gradient():
    x = Value(np.array([1.0, 2.0]))
    t = x * 2.0
    y = t + 1.0  # add hands y's gradient on unchanged
    y.backward(gradient=np.array([1.0, 1.0]))
    assert t.grad is y.grad  # an inner node shares it (inner gradients are never updated in place)
    w, v = Value(np.array([1.0, 2.0])), Value(np.array([3.0, 4.0]))
    s = w + v
    s.backward(gradient=np.array([1.0, 1.0]))
    assert w.grad is not s.grad and v.grad is not s.grad and w.grad is not v.grad  # a leaf's is its own


def test_a_freshly_computed_gradient_becomes_the_leafs_grad_without_a_copy():
    handed_back = []

    def vjp(g, out, x):
        result = g * 2.0
        handed_back.append(result)
        return result

    double = _primitive("test_double", lambda x: x * 2.0, (vjp,))
    x = Value(np.array([1.0, 2.0]))
    apply(double, x).backward(gradient=np.array([1.0, 3.0]))
    assert x.grad is handed_back[0]
    np.testing.assert_array_equal(x.grad, [2.0, 6.0])


def _refusing_vjp(g, out, x):
    raise AssertionError("this VJP leads to no wanted input, so it must not run")


def test_gradients_runs_no_vjp_that_leads_to_no_wanted_input():
    opaque = _primitive("test_opaque", lambda x: x * 1.0, (_refusing_vjp,))
    a, b = Value(2.0), Value(3.0)
    y = apply(opaque, a) * b
    (gb,) = gradients(y, [b])
    assert gb == 2.0
    (gb,) = gradients(y, [b], create_graph=True)
    assert gb.item() == 2.0


# ------------------------------------------------------------------ the recorded backward pass


def test_a_recorded_gradient_of_an_input_by_itself_is_a_constant_one():
    x = Value(2.0)
    (g,) = gradients(x, [x], create_graph=True)
    assert isinstance(g, Value)
    assert g.requires_grad is False
    assert g.item() == 1.0


def test_a_recorded_pass_reaches_every_wanted_leaf():
    a, b = Value(2.0), Value(3.0)
    ga, gb = gradients(a * b, [a, b], create_graph=True)
    assert ga.item() == 3.0 and gb.item() == 2.0
    assert ga.requires_grad and gb.requires_grad  # each depends on the other input: differentiable again


def test_a_recorded_pass_goes_on_past_a_node_no_gradient_reaches():
    a, b = Value(1.0, name="a"), Value(2.0, name="b")
    y = a.exp() * b  # walked backwards: mul, exp (no gradient: it leads only to a), a, b
    (gb,) = gradients(y, [b], create_graph=True)
    assert gb.item() == pytest.approx(math.e, rel=1e-15)


def test_a_vjp_returning_no_numbers_is_refused_in_a_recorded_pass_word_for_word():
    stringly = _primitive("test_stringly", lambda x: x * 1.0, (lambda g, out, x: "not a gradient",))
    x = Value(1.0)
    with pytest.raises(NotImplementedError) as excinfo:
        gradients(apply(stringly, x), [x], create_graph=True)
    assert str(excinfo.value) == (  # the cause is cut to its first 120 characters
        "test_stringly: its VJP cannot itself be differentiated, so second derivatives through "
        "test_stringly are not supported (contribution: expected a number or an array of real numbers, "
        "got str 'not a gradient'; convert it first, e.g. float(...))"
    )


# ------------------------------------------------------------------ gradients()


def test_gradients_argument_errors_word_for_word():
    x = Value(np.array([1.0, 2.0]))
    y = (x * x).sum()
    with pytest.raises(TypeError) as excinfo:
        gradients(1.5, [x])
    assert str(excinfo.value) == "output: expected a Value, got float 1.5"
    with pytest.raises(TypeError) as excinfo:
        gradients(y, [x, [1.0]])
    assert str(excinfo.value) == "inputs[1]: expected a Value, got list [1.0]"
    with pytest.raises(ValueError) as excinfo:
        gradients(y, [x, Value(1.0, requires_grad=False)])
    assert str(excinfo.value) == (
        "inputs[1]: this Value is a constant (requires_grad=False), so no gradient is computed for it; "
        "make it with Value(data) (requires_grad=True) to differentiate by it"
    )


def test_gradients_of_an_unused_input_are_zeros_of_its_shape_and_dtype():
    x = Value(np.array([1.0, 2.0]))
    unused = Value(np.ones((2, 3), dtype=np.float32))
    y = (x * x).sum()
    gx, gu = gradients(y, [x, unused])
    np.testing.assert_array_equal(gx, [2.0, 4.0])
    assert isinstance(gu, np.ndarray) and gu.dtype == np.float32
    np.testing.assert_array_equal(gu, np.zeros((2, 3)))
    gx, gu = gradients(y, [x, unused], create_graph=True)
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    assert isinstance(gu, Value) and gu.requires_grad is False
    assert gu.dtype == np.float32
    np.testing.assert_array_equal(gu.data, np.zeros((2, 3)))


# ------------------------------------------------------------------ transpose and the functions VJPs call


def test_transpose_of_a_vector_is_the_vector():
    x = Value(np.array([1.0, 2.0, 3.0]))
    for y in (x.transpose(), x.transpose(0), x.transpose((0,)), x.T):
        assert y.shape == (3,)
        np.testing.assert_array_equal(y.data, [1.0, 2.0, 3.0])


def test_transpose_of_a_matrix_every_spelling_and_its_gradient():
    x = Value(np.arange(6.0).reshape(2, 3))
    for y in (x.transpose(), x.transpose(1, 0), x.transpose((1, 0)), x.transpose([1, 0]), x.T):
        assert y.shape == (3, 2)
        np.testing.assert_array_equal(y.data, [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])
    assert x.transpose(0, 1).shape == (2, 3)
    weights = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    (x.T * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])


def test_transpose_of_a_3d_array_by_axes_and_its_gradient():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = Value(data)
    assert x.transpose().shape == (4, 3, 2)
    assert x.T.shape == (4, 3, 2)
    assert x.transpose(1, 0, 2).shape == (3, 2, 4)
    np.testing.assert_array_equal(x.transpose(1, 0, 2).data, np.transpose(data, (1, 0, 2)))
    y = x.transpose((2, 0, 1))
    assert y.shape == (4, 2, 3) and y.params == {"axes": (2, 0, 1)}
    np.testing.assert_array_equal(y.data, np.transpose(data, (2, 0, 1)))
    weights = np.arange(24.0).reshape(4, 2, 3) * 0.5
    (y * weights).sum().backward()
    expected = np.empty((2, 3, 4))
    for i in range(4):  # y[i, j, k] = x[j, k, i], so x[j, k, i] gets weights[i, j, k]
        for j in range(2):
            for k in range(3):
                expected[j, k, i] = weights[i, j, k]
    np.testing.assert_array_equal(x.grad, expected)


def test_swap_last_axes_of_a_matrix_and_of_a_stack():
    matrix = Value(np.arange(6.0).reshape(2, 3))
    swapped = FUNCTIONS.swap_last_axes(matrix)
    np.testing.assert_array_equal(swapped.data, [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])
    stack = Value(np.arange(24.0).reshape(2, 3, 4))
    swapped = FUNCTIONS.swap_last_axes(stack)
    assert swapped.shape == (2, 4, 3)
    np.testing.assert_array_equal(swapped.data, np.swapaxes(stack.data, -1, -2))
    weights = np.arange(24.0).reshape(2, 4, 3)
    (swapped * weights).sum().backward()
    np.testing.assert_array_equal(stack.grad, np.swapaxes(weights, -1, -2))


def test_swap_last_axes_of_an_array_is_a_constant_value():
    swapped = FUNCTIONS.swap_last_axes(np.arange(6.0).reshape(3, 2))
    assert isinstance(swapped, Value) and swapped.requires_grad is False
    np.testing.assert_array_equal(swapped.data, [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]])


def test_a_recorded_pass_through_a_batched_matrix_vector_product():
    A = Value(np.arange(12.0).reshape(2, 2, 3), name="A")
    v = Value(np.array([1.0, -1.0, 2.0]), name="v")
    loss = ((A @ v) ** 2).sum()
    gA, gv = gradients(loss, [A, v], create_graph=True)
    Av = A.data @ v.data  # (2, 2)
    np.testing.assert_allclose(gv.data, 2.0 * np.einsum("bij,bi->j", A.data, Av), rtol=1e-15)
    np.testing.assert_allclose(gA.data, 2.0 * Av[..., None] * v.data, rtol=1e-15)
    (hessian_v,) = gradients(gv.sum(), [v])  # d/dv of sum_j 2 (A^T A v)_j
    np.testing.assert_allclose(hessian_v, 2.0 * np.einsum("bij,bik->k", A.data, A.data), rtol=1e-15)


def test_the_functions_vjps_call_turn_numbers_into_constant_values():
    y = FUNCTIONS.exp([0.0, 1.0])
    assert isinstance(y, Value) and y.requires_grad is False
    np.testing.assert_allclose(y.data, [1.0, math.e], rtol=1e-15)
    x = Value(np.array([0.0]))
    assert FUNCTIONS.exp(x).parents[0] is x


def test_where_keeps_its_condition_as_a_boolean_mask():
    a, b = Value(np.array([1.0, 2.0])), Value(np.array([3.0, 4.0]))
    y = FUNCTIONS.where(np.array([1, 0]), a, b)
    np.testing.assert_array_equal(y.data, [1.0, 4.0])
    assert y.params["condition"].dtype == bool
    np.testing.assert_array_equal(y.params["condition"], [True, False])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0])


def test_maximum_sends_no_gradient_to_an_entry_at_the_floor():
    x = Value(np.array([-1.0, 0.0, 2.0]))
    y = FUNCTIONS.maximum(x, 0.0)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


# ------------------------------------------------------------------ apply


def test_apply_refuses_a_wrong_number_of_operands_word_for_word():
    with pytest.raises(TypeError) as excinfo:
        apply(ops.neg, Value(1.0), Value(2.0))
    assert str(excinfo.value) == "neg(): expected 1 operand(s), got 2"


def test_apply_on_numbers_only_gives_a_float64_constant():
    y = apply(ops.add, 1, 2)
    assert isinstance(y, Value) and y.requires_grad is False
    assert y.dtype == np.float64 and y.data == 3.0


def test_apply_passes_params_to_the_primitive_and_keeps_them():
    scaled = _primitive("test_scaled", lambda x, scale: x * scale, (lambda g, out, x, scale: g * scale,))
    x = Value(np.array([1.0, 2.0]))
    y = apply(scaled, x, scale=3.0)
    np.testing.assert_array_equal(y.data, [3.0, 6.0])
    assert y.params == {"scale": 3.0} and y.op is scaled and y.parents == (x,)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_apply_reports_a_refused_forward_word_for_word():
    def refuse(x, **params):
        raise ValueError("no such thing")

    picky = _primitive("test_picky", refuse, (lambda g, out, x, **params: g,), shape_rule="k must be small")
    x = Value(np.ones(2))
    with pytest.raises(ValueError) as excinfo:
        apply(picky, x)
    assert str(excinfo.value) == (
        "test_picky(): cannot use operands of shape (2,): k must be small (NumPy said: no such thing)"
    )
    with pytest.raises(ValueError) as excinfo:
        apply(picky, x, k=1)
    assert str(excinfo.value) == (
        "test_picky(): cannot use operands of shape (2,) with {'k': 1}: k must be small (NumPy said: no such thing)"
    )


def test_apply_stores_a_0d_result_as_an_array_unnamed():
    y = Value(np.array([1.0, 2.0])).sum()  # np.sum returns a NumPy scalar
    assert type(y.data) is np.ndarray and y.data.shape == () and y.data == 3.0
    assert y.name is None


def test_requires_grad_of_apply_results_is_a_bool():
    assert (Value(1.0, requires_grad=False) * 2.0).requires_grad is False
    assert (Value(1.0) * 2.0).requires_grad is True
    assert (2.0 * Value(1.0)).requires_grad is True
    with no_grad():
        assert is_grad_enabled() is False
        assert (Value(1.0) * 2.0).requires_grad is False
    assert is_grad_enabled() is True


# ------------------------------------------------------------------ as_value and as_operand


def test_as_value_and_as_operand_name_their_argument_word_for_word():
    for convert in (as_value, as_operand):
        with pytest.raises(TypeError) as excinfo:
            convert("abc")
        assert str(excinfo.value) == "x: " + NOT_NUMBERS
        with pytest.raises(TypeError) as excinfo:
            convert("abc", "weights")
        assert str(excinfo.value) == "weights: " + NOT_NUMBERS


def test_as_value_and_as_operand_keep_a_value_and_make_numbers_constants():
    v = Value(1.0)
    assert as_value(v) is v and as_operand(v) is v
    constant = as_value([1, 2])
    assert isinstance(constant, Value) and constant.requires_grad is False
    assert constant.dtype == np.float64 and constant.data.tolist() == [1.0, 2.0]
    array = as_operand([1, 2])
    assert type(array) is np.ndarray and array.dtype == np.float64 and array.tolist() == [1.0, 2.0]


# ------------------------------------------------------------------ forward mode


def test_a_seeded_tangent_takes_the_values_dtype_and_names_its_argument():
    x = Value(np.ones(2, dtype=np.float32))
    with forward_mode() as tangents:
        tangents.seed(x, np.array([1.0, 2.0]))
        assert tangents.of(x).dtype == np.float32
        np.testing.assert_array_equal(tangents.of(x), [1.0, 2.0])
        with pytest.raises(TypeError) as excinfo:
            tangents.seed(x, "abc")
        assert str(excinfo.value) == "tangent: " + NOT_NUMBERS


def test_nested_forward_mode_is_refused_word_for_word():
    with forward_mode():
        with pytest.raises(RuntimeError) as excinfo:
            with forward_mode():
                pass
    assert str(excinfo.value) == (
        "forward_mode: already inside forward mode; nested forward mode is not supported "
        "(for second derivatives use bplab.func.hvp, or jacfwd(grad(f)): forward over reverse)"
    )


def test_a_primitive_without_jvps_is_refused_in_forward_mode_word_for_word():
    no_jvp = _primitive("test_no_jvp", lambda x: x * 2.0, (lambda g, out, x: 2.0 * g,))
    x = Value(1.0)
    with forward_mode() as tangents:
        tangents.seed(x, 1.0)
        with pytest.raises(NotImplementedError) as excinfo:
            apply(no_jvp, x)
    assert str(excinfo.value) == (
        "test_no_jvp: this primitive has no Jacobian-vector product (jvps), so forward mode cannot pass "
        "through it; use reverse mode (vjp, jacrev) for this function"
    )


def test_a_carried_tangent_takes_the_outputs_dtype():
    widening = _primitive("test_widening", lambda x: x * 2, (lambda g, out, x: g * 2,),
                          jvps=(lambda t, out, x: np.asarray(t, dtype=np.float64) * 2,))
    x = Value(np.ones(2, dtype=np.float32))
    with forward_mode() as tangents:
        tangents.seed(x, np.array([1.0, 3.0]))
        y = apply(widening, x)
    assert y.dtype == np.float32
    assert tangents.of(y).dtype == np.float32
    np.testing.assert_array_equal(tangents.of(y), [2.0, 6.0])


def test_a_broadcast_input_tangent_takes_the_outputs_shape():
    x = Value(np.array([1.0, 2.0]))
    with forward_mode() as tangents:
        tangents.seed(x, np.array([1.0, 0.0]))
        y = x + np.zeros((3, 2))
    assert tangents.of(y).shape == (3, 2)
    np.testing.assert_array_equal(tangents.of(y), [[1.0, 0.0]] * 3)


@pytest.mark.parametrize("flag", [None, 1, "yes", np.array([True])])
def test_requires_grad_must_be_true_or_false(flag):
    with pytest.raises(TypeError, match=r"^requires_grad: expected True or False, got "):
        Value(1.0, requires_grad=flag)


def test_requires_grad_takes_numpys_bool_and_names_what_came():
    assert Value(1.0, requires_grad=np.bool_(False)).requires_grad is False  # NumPy's bool is a bool too
    with pytest.raises(TypeError, match=r"^requires_grad: expected True or False, got str 'yes'$"):
        Value(1.0, requires_grad="yes")


def test_a_full_reduction_holds_an_ndarray_not_a_numpy_scalar():
    total = Value([1.0, 2.0]).sum()  # np.sum over every axis returns np.float64: apply keeps an ndarray
    assert type(total.data) is np.ndarray and total.data.shape == () and repr(total).startswith("Value(3")


def test_a_recorded_broadcast_keeps_a_negative_zero():
    x = Value(np.array([-0.0, 2.0]))
    spread = Value.__bplab_functions__.broadcast_to(x, (3, 2))
    assert spread.data.shape == (3, 2) and np.all(np.signbit(spread.data[:, 0]))  # −0.0 stays −0.0, row by row
    spread.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])  # the copies' gradients summed back


def test_a_graph_of_gradients_is_refused_without_wanted_nodes_and_the_fix_is_named():
    y = Value(2.0) * 3.0
    with pytest.raises(ValueError, match=r"^create_graph: gradients that are Values are given for wanted nodes only, "
                                         r"got wanted=None; use bplab\.gradients\(output, inputs, create_graph=True\)$"):
        y._reverse_pass(np.array(1.0), store=False, create_graph=True)
