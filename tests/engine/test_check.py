"""gradcheck and compare: they pass right derivatives, and a planted wrong one fails them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bplab import Value, compare, gradcheck, ops
from bplab.check import GradientRow, central_difference, gradcheck_report, relative_error
from bplab.engine import apply

WRONG_TANH = ops.Primitive(
    name="tanh",
    forward=np.tanh,
    vjps=(lambda g, out, x: g * (1.0 - out),),  # planted bug: should be 1 - out**2
    to_sympy=ops.tanh.to_sympy,
    formula="(deliberately wrong)",
)


def test_compare_on_the_one_weight_example():
    result = compare("(i*w - y)**2", at={"i": 1.5, "w": 0.8, "y": 0.5})
    assert result.value == pytest.approx(0.49)
    row = result["w"]
    assert row.symbolic == pytest.approx(2.1) and row.backprop == pytest.approx(2.1) and row.numeric == pytest.approx(2.1)
    assert result.max_rel_error < 1e-8 and result.ok
    assert str(row.derivative) == "2*i*(i*w - y)"


def test_compare_accepts_text_sympy_and_functions_alike():
    import sympy

    x = sympy.Symbol("x", real=True)
    from_text = compare("tanh(x)**2", at={"x": 0.3})
    from_sympy = compare(sympy.tanh(x) ** 2, at={"x": 0.3})
    from_function = compare(lambda x: x.tanh() ** 2, at={"x": 0.3})
    for result in (from_text, from_sympy, from_function):
        assert result["x"].backprop == pytest.approx(2 * np.tanh(0.3) * (1 - np.tanh(0.3) ** 2))
        assert result.ok


def test_compare_with_arrays_through_a_function():
    rng = np.random.default_rng(1)
    result = compare(
        lambda x, W: (x @ W).tanh().mean(), at={"x": rng.standard_normal((4, 3)), "W": rng.standard_normal((3, 2))}
    )
    assert result.ok and result["W"].backprop.shape == (3, 2)


def test_compare_renders_html_and_text():
    result = compare("x**3", at={"x": 2.0})
    html = result._repr_html_()
    assert "<table>" in html and "3 x^{2}" in html and "agree" in html
    text = repr(result)
    assert "symbolic (SymPy)" in text and "backprop" in text and "12" in text


def test_compare_names_a_missing_variable():
    with pytest.raises(ValueError, match=r"at: no value for y; the formula uses w, y.*at=\{'y': \.\.\.\}"):
        compare("(w - y)**2", at={"w": 1.0})


def test_compare_rejects_arrays_for_typed_formulas_and_bad_at():
    with pytest.raises(ValueError, match=r"at\['x'\]: a typed formula takes numbers"):
        compare("x**2", at={"x": np.ones(3)})
    with pytest.raises(TypeError, match="at: expected a dict"):
        compare("x**2", at=[1.0])
    with pytest.raises(TypeError, match=r"at\['x'\]: expected a number"):
        compare("x**2", at={"x": "one"})


def test_compare_requires_a_scalar_function():
    with pytest.raises(ValueError, match=r"shape \(3,\).*\.sum\(\)"):
        compare(lambda x: x * 2.0, at={"x": np.ones(3)})


def test_planted_wrong_vjp_fails_gradcheck(capsys):
    x = np.linspace(-1.0, 1.0, 5)
    assert not gradcheck(lambda x: apply(WRONG_TANH, x).sum(), x)
    printed = capsys.readouterr().out
    assert "gradcheck FAILED at input 0[" in printed and "expected" in printed and "received" in printed
    assert gradcheck(lambda x: x.tanh().sum(), x)  # the right rule passes


def test_planted_wrong_vjp_fails_compare(monkeypatch):
    # one entry of the function registry: Value.tanh, the parser and from_sympy all read it
    monkeypatch.setitem(ops.FUNCTIONS, "tanh", dataclasses.replace(ops.FUNCTIONS["tanh"], primitive=WRONG_TANH))
    result = compare("tanh(x)", at={"x": 0.5})
    assert not result.ok
    assert result.max_rel_error > 0.1
    assert "DISAGREE" in repr(result)
    function_result = compare(lambda x: x.tanh() * 2.0, at={"x": 0.5})
    assert not function_result.ok


def test_gradcheck_report_locates_the_worst_entry():
    report = gradcheck_report(lambda x: apply(WRONG_TANH, x).sum(), np.array([0.0, 2.0]))
    assert not report.ok
    assert report.worst_index == (1,)  # at x = 0 the wrong rule happens to be right; at x = 2 it is off
    assert report.expected == pytest.approx(1 - np.tanh(2.0) ** 2, rel=1e-5)
    assert report.received == pytest.approx(1 - np.tanh(2.0))


def test_gradcheck_reports_a_failing_function_instead_of_raising():
    report = gradcheck_report(lambda x: x @ np.ones((7, 2)), np.ones(3))
    assert not report.ok and "raised ValueError" in report.message
    assert gradcheck(lambda x: x @ np.ones((7, 2)), np.ones(3), verbose=False) is False


def test_gradcheck_checks_non_scalar_outputs_through_a_projection():
    x = np.linspace(0.1, 1.0, 4)
    assert gradcheck(lambda x: x.log() * 3.0, x)
    assert not gradcheck(lambda x: apply(WRONG_TANH, x) * 3.0, x, verbose=False)


def test_gradcheck_argument_errors():
    with pytest.raises(TypeError, match="fn: expected a function"):
        gradcheck(3, np.ones(2))
    with pytest.raises(TypeError, match="needs at least one input"):
        gradcheck(lambda: Value(1.0))


def test_central_difference_and_relative_error():
    grad = central_difference(lambda arrays: float(np.sum(arrays[0] ** 3)), [np.array([1.0, 2.0])])
    assert np.allclose(grad[0], [3.0, 12.0], rtol=1e-8)
    assert relative_error(np.array(2.0), np.array(2.0), np.array(2.0 + 1e-9)) < 1e-9
    assert relative_error(np.array(0.0), np.array(1e-12)) == pytest.approx(1e-12)  # absolute below 1
    assert relative_error(np.array(np.inf), np.array(np.inf)) == 0.0
    assert relative_error(np.array(1.0), np.array(np.nan)) == float("inf")


def test_rows_are_inspectable():
    row = compare("x*y", at={"x": 2.0, "y": 3.0})["y"]
    assert isinstance(row, GradientRow) and row.variable == "y" and float(row.backprop) == 2.0


# ------------------------------------------------------------------ one relative error everywhere


def test_relative_error_is_the_difference_over_the_larger_length_never_below_one():
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.5])
    assert relative_error(a, b) == pytest.approx(0.5 / np.linalg.norm(b))  # Euclidean lengths of whole arrays
    assert relative_error(np.array(200.0), np.array(202.0)) == pytest.approx(2 / 202)  # relative above 1
    assert relative_error(np.array(0.2), np.array(0.3)) == pytest.approx(0.1)  # absolute below 1
    assert relative_error(np.array(2.0), np.array(3.0), np.array(2.5)) == pytest.approx(1 / 3)  # the worst pair
    assert relative_error(np.array([np.inf, 1.0]), np.array([np.inf, 3.0])) == pytest.approx(2 / 3)  # same infinities agree


@pytest.mark.parametrize("formula, point", [("x**3", 0.0), ("sin(x)", np.pi / 2), ("cos(x)", 0.0), ("(x - 1)**2", 1.0)])
def test_a_zero_derivative_and_its_round_off_agree(formula, point):
    # a pure ratio would call 0 against 1e-12 "100% apart"; the floor of 1 keeps compare's verdict right
    result = compare(formula, at={"x": point})
    assert result.ok and result.max_rel_error < 1e-9, repr(result)


def test_compare_rows_use_the_one_relative_error():
    rng = np.random.default_rng(3)
    result = compare(lambda W: (W.tanh() ** 2).sum(), at={"W": rng.standard_normal((3, 2))})
    row = result["W"]
    assert row.rel_error == relative_error(row.symbolic, row.backprop, row.numeric)


def test_gradcheck_reports_the_same_relative_error_as_compare():
    x = np.linspace(-1.0, 1.0, 5)
    good = gradcheck_report(lambda x: x.tanh().sum(), x)
    assert good.ok and good.rel_error < 1e-9
    bad = gradcheck_report(lambda x: apply(WRONG_TANH, x).sum(), x)
    backprop = 1 - np.tanh(x)  # the wrong rule's gradient
    numeric = 1 - np.tanh(x) ** 2
    assert bad.rel_error == pytest.approx(relative_error(backprop, numeric), rel=1e-6)
    assert f"relative error of input 0 as a whole {bad.rel_error:.1e}" in bad.message


def test_notebook_08_defines_relative_error_as_bplab_does():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "3_graduate" / "08_batches_and_gradient_checking.ipynb"
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]
    [source] = [s for s in cells if s.startswith("def numerical_gradient")]
    namespace: dict = {"np": np}
    exec(source.split("rng = np.random.default_rng(8)")[0], namespace)  # noqa: S102 (the course's own cell)
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1.0, 1e3):
        a, b = rng.standard_normal((3, 4)) * scale, rng.standard_normal((3, 4)) * scale
        assert namespace["relative_error"](a, b) == pytest.approx(relative_error(a, b), rel=1e-12)
    text = "\n".join(cells)
    assert r"\max(\lVert a\rVert, \lVert b\rVert, 1)" in text  # the text states the same definition
