"""Recurrent cells and BPTT: gradients three ways, PyTorch on identical weights, w^T, truncation, clipping."""

from __future__ import annotations

import numpy as np
import pytest
from network_routes import assert_gradcheck, assert_three_routes, needs_torch, to_torch, torch

from bplab import Value, nn
from bplab.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, clip_grad_norm_, stack

rng = np.random.default_rng(0)
CELL_PARAMETERS = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def cell_call(cell, x, h, c=None):
    """A function of Values for the cell with every parameter, the input and the state as leaves."""

    def fn(W_ih, W_hh, b_ih, b_hh, x, h, c=None):
        state = (h, c) if c is not None else h
        out = nn.functional_call(cell, dict(zip(CELL_PARAMETERS, (W_ih, W_hh, b_ih, b_hh))), x, state)
        return out[0] * 1.0 + out[1] * 0.5 if isinstance(out, tuple) else out

    at = dict(zip(("W_ih", "W_hh", "b_ih", "b_hh"), (getattr(cell, name).data for name in CELL_PARAMETERS)), x=x, h=h)
    if c is not None:
        at["c"] = c
        return fn, at
    return (lambda W_ih, W_hh, b_ih, b_hh, x, h: fn(W_ih, W_hh, b_ih, b_hh, x, h)), at


@pytest.mark.parametrize("make", [
    lambda: RNNCell(3, 4, seed=0),
    lambda: RNNCell(3, 4, nonlinearity="linear", seed=0),
    lambda: GRUCell(3, 4, seed=0),
])
def test_cells_gradcheck(make):
    cell = make()
    fn, at = cell_call(cell, rng.normal(size=(2, 3)), rng.normal(size=(2, 4)))
    assert_gradcheck(fn, **at)


def test_lstm_cell_gradcheck():
    cell = LSTMCell(3, 4, seed=0)
    fn, at = cell_call(cell, rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4)))
    assert_gradcheck(fn, **at)


def test_relu_cell_gradcheck_away_from_the_kink():
    cell = RNNCell(2, 3, nonlinearity="relu", seed=0)
    x, h = np.array([[0.5, -0.2]]), np.array([[0.3, 0.1, -0.4]])
    fn, at = cell_call(cell, x, h)
    pre = x @ cell.weight_ih.data + cell.bias_ih.data + h @ cell.weight_hh.data + cell.bias_hh.data
    assert np.min(np.abs(pre)) > 1e-3
    assert_gradcheck(fn, **at)


@pytest.mark.parametrize("make", [lambda: RNNCell(1, 2, seed=0), lambda: GRUCell(1, 2, seed=0)])
def test_cells_three_routes(make):
    fn, at = cell_call(make(), np.array([[0.7]]), np.array([[0.2, -0.5]]))
    assert_three_routes(fn, **at)


def test_lstm_cell_three_routes():
    fn, at = cell_call(LSTMCell(1, 1, seed=0), np.array([[0.7]]), np.array([[0.2]]), np.array([[-0.4]]))
    assert_three_routes(fn, **at)


def test_unrolled_rnn_three_routes_through_three_steps():
    layer = RNN(1, 2, seed=0)
    x = np.array([[[0.5]], [[-0.3]], [[0.8]]])  # (T=3, N=1, 1)
    assert_three_routes(lambda W_hh, W_ih: nn.functional_call(layer, {"cells.0.weight_hh": W_hh, "cells.0.weight_ih": W_ih}, x)[0],
                        W_hh=layer.cells[0].weight_hh.data, W_ih=layer.cells[0].weight_ih.data)


def test_sequence_layers_gradcheck():
    """Full BPTT is the exact gradient. (Truncated BPTT is not, on purpose: see the truncation test.)"""
    x = rng.normal(size=(4, 2, 2))
    for layer in (RNN(2, 3, seed=0), GRU(2, 3, seed=0), LSTM(2, 3, num_layers=2, seed=0)):
        names = [name for name, _ in layer.named_parameters()][:3]
        assert_gradcheck(lambda a, b, c: nn.functional_call(layer, dict(zip(names, (a, b, c))), x)[0],
                         **dict(zip("abc", (dict(layer.named_parameters())[n].data for n in names))))


# ------------------------------------------------------------------ the lessons' known answers


@pytest.mark.parametrize("w", [0.5, 0.9, 1.1, -1.3])
def test_linear_rnn_gradient_through_T_steps_is_w_to_the_T(w):
    T = 12
    layer = RNN(1, 1, nonlinearity="linear", bias=False, seed=0)
    layer.cells[0].weight_hh.data = np.array([[w]])
    h0 = Value(np.array([[[0.3]]]))
    output, h_n = layer(rng.normal(size=(T, 1, 1)), h0)
    h_n.sum().backward()
    assert np.isclose(h0.grad.item(), w**T, rtol=1e-12)
    # and the gradient reaching h_t decays (|w| < 1) or grows (|w| > 1) geometrically with distance T - t
    assert np.allclose(layer.gradient_norms_through_time(), np.abs(w) ** (T - 1 - np.arange(T)), rtol=1e-12)


def test_truncated_bptt_stops_the_gradient_at_the_cut():
    T, k = 10, 4
    layer = RNN(2, 3, seed=0)
    x = rng.normal(size=(T, 2, 2))
    output, _ = layer(x, truncate=k)
    output[-1].sum().backward()
    norms = layer.gradient_norms_through_time()
    cut = (T - 1) // k * k  # the last step whose incoming state was detached
    assert np.all(norms[:cut] == 0) and np.all(norms[cut:] > 0)
    truncated = layer.cells[0].weight_hh.grad.copy()
    layer.zero_grad()
    layer(x)[0][-1].sum().backward()
    full = layer.cells[0].weight_hh.grad
    assert not np.allclose(truncated, full)
    # truncated BPTT equals full BPTT over the last chunk, started from the (constant) state before it
    layer.zero_grad()
    before = layer(x[:cut])[1].detach()
    layer(x[cut:], before)[0][-1].sum().backward()
    assert np.allclose(layer.cells[0].weight_hh.grad, truncated, rtol=1e-12)


def test_full_bptt_sums_every_time_step():
    layer = RNN(1, 2, seed=1)
    x = rng.normal(size=(6, 1, 1))
    output, _ = layer(x)
    output.sum().backward()
    assert np.all(layer.gradient_norms_through_time() > 0)


@needs_torch
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("num_layers, batch_first", [(1, False), (2, True)])
def test_sequence_layers_match_pytorch(kind, num_layers, batch_first):
    ours = {"RNN": RNN, "GRU": GRU, "LSTM": LSTM}[kind](2, 4, num_layers=num_layers, batch_first=batch_first, seed=0)
    theirs = getattr(torch.nn, kind)(2, 4, num_layers=num_layers, batch_first=batch_first, dtype=torch.float64)
    with torch.no_grad():
        for k, cell in enumerate(ours.cells):
            for name in CELL_PARAMETERS:
                getattr(theirs, f"{name}_l{k}").copy_(to_torch(getattr(cell, name).data.T))  # PyTorch: the transpose
    x = rng.normal(size=(3, 5, 2))
    out, state = ours(x)
    expected, expected_state = theirs(to_torch(x))
    assert np.allclose(out.data, expected.detach().numpy(), atol=1e-12)
    final = state[0] if kind == "LSTM" else state
    expected_final = expected_state[0] if kind == "LSTM" else expected_state
    assert np.allclose(final.data, expected_final.detach().numpy(), atol=1e-12)
    weights = rng.normal(size=out.shape)
    ((out * weights).sum() + final.sum()).backward()
    ((expected * to_torch(weights)).sum() + expected_final.sum()).backward()
    for k, cell in enumerate(ours.cells):
        for name in CELL_PARAMETERS:
            assert np.allclose(getattr(cell, name).grad, getattr(theirs, f"{name}_l{k}").grad.numpy().T, atol=1e-10), name


@needs_torch
def test_clip_grad_norm_matches_pytorch():
    grads = [rng.normal(size=(3, 4)) * 10, rng.normal(size=5)]
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (2.0, float("inf"))]:
        ours = [Value(np.zeros_like(g)) for g in grads]
        theirs = [to_torch(np.zeros_like(g), True) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.copy(), to_torch(g)
        total = clip_grad_norm_(ours, max_norm, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        assert np.isclose(total, expected.item())
        for p, q in zip(ours, theirs):
            assert np.allclose(p.grad, q.grad.numpy())


def test_clip_grad_norm_caps_the_joint_norm():
    p = Value(np.zeros(4))
    p.grad = np.array([3.0, 4.0, 0.0, 0.0])
    assert clip_grad_norm_([p], 1.0) == pytest.approx(5.0)
    assert np.linalg.norm(p.grad) == pytest.approx(1.0, rel=1e-5)


def test_stack_gradcheck():
    assert_gradcheck(lambda a, b: stack([a, b], axis=1), a=rng.normal(size=(2, 3)), b=rng.normal(size=(2, 3)))


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match=r"RNN: x: expected a sequence batch of shape \(T, N, input_size\) with input_size=2, got \(5, 3\)"):
        RNN(2, 3, seed=0)(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"LSTM: hx: h0: expected shape \(1, 4, 3\)"):
        LSTM(2, 3, seed=0)(np.zeros((5, 4, 2)), (np.zeros((4, 3)), np.zeros((4, 3))))
    with pytest.raises(ValueError, match=r"truncate: expected None \(full BPTT\) or a whole number of at least 1, got 0"):
        GRU(2, 3, seed=0)(np.zeros((5, 4, 2)), truncate=0)
    with pytest.raises(ValueError, match=r"GRUCell: x: expected shape \(N, 2\)"):
        GRUCell(2, 3, seed=0)(np.zeros((4, 5)))
    with pytest.raises(RuntimeError, match="run the layer forward"):
        RNN(2, 3, seed=0).gradient_norms_through_time()


def test_stack_is_one_registered_primitive_for_any_count():
    from bplab import ops

    two, three = stack([np.zeros(2), np.ones(2)]), stack([np.zeros(2), np.ones(2), np.ones(2)])
    assert two.op is three.op is ops.PRIMITIVES["stack"]
    with pytest.raises(ValueError, match="values: expected at least one Value"):
        stack([])


def test_integer_sequences_become_float():
    x = np.arange(12).reshape(3, 2, 2)  # (T, N, input_size) of ints
    out, h_n = RNN(2, 3, seed=0)(x)
    assert out.dtype == np.float64 and h_n.dtype == np.float64
    assert GRUCell(2, 3, seed=0)(np.ones((1, 2), dtype=int)).dtype == np.float64


def test_layers_of_a_deep_recurrent_net_are_numbered_like_an_mlp():
    """One naming rule (nn.number_parameters): layer k of a multi-layer RNN has W_ih{k}..., as an MLP has W{k}."""
    assert [p.name for p in RNN(2, 3, seed=0).parameters()] == ["W_ih", "W_hh", "b_ih", "b_hh"]
    names = [p.name for p in LSTM(2, 3, num_layers=2, seed=0).parameters()]
    assert names == ["W_ih1", "W_hh1", "b_ih1", "b_hh1", "W_ih2", "W_hh2", "b_ih2", "b_hh2"]
