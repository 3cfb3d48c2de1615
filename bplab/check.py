r"""Three routes to one derivative, and the checks that they agree.

* **symbolic**: SymPy differentiates the exact formula;
* **backprop**: bplab's backward pass;
* **numeric**: the central difference $\frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}$,
  which needs nothing but the function itself (error $O(\varepsilon^2)$).

:func:`gradcheck` compares backprop against central differences for any function of arrays.
:func:`compare` shows all three side by side for a formula, one row per variable.

One measure of disagreement is used everywhere (``compare``'s column, ``gradcheck``'s report,
notebook 08's text), the **relative error** of two estimates $a$ and $b$ of one gradient:

.. math::
    \frac{\lVert a - b\rVert}{\max(\lVert a\rVert, \lVert b\rVert, 1)}

with Euclidean norms over the whole array. It is relative for gradients larger than 1 and
absolute below: near 0 a ratio would only measure round-off (a derivative of exactly 0 and its
central difference $10^{-12}$ would be "100% apart"). ``gradcheck``'s pass/fail is a different,
named test: every entry within ``atol + rtol * |numeric|`` (NumPy's ``allclose`` rule).
"""

from __future__ import annotations

import html
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from bplab.engine import Value, as_float_array

MAX_FORMULA_SHOWN = 160  # characters; longer formulas are summarized, not printed

# ---------------------------------------------------------------------------- central differences


def central_difference(
    f: Callable[[list[np.ndarray]], float], arrays: Sequence[np.ndarray], eps: float = 1e-6
) -> list[np.ndarray]:
    r"""$\partial f/\partial x_i \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}$ for every entry of every array.

    ``f`` takes the list of arrays and returns a number. Costs two calls of ``f`` per entry.
    """
    points = [np.array(a, dtype=np.float64) for a in arrays]
    gradients = []
    for array in points:
        grad = np.zeros_like(array)
        flat, grad_flat = array.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            above = f(points)
            flat[i] = original - eps
            below = f(points)
            flat[i] = original
            grad_flat[i] = (above - below) / (2 * eps)
        gradients.append(grad)
    return gradients


def _scalar_of(output: Any, what: str) -> Value:
    if isinstance(output, Value):
        if output.data.ndim != 0:
            raise ValueError(
                f"{what} returned a Value of shape {output.data.shape}; it must return a single "
                "number: add .sum() or .mean() at the end"
            )
        return output
    try:
        return Value(float(output), requires_grad=False)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must return a Value or a number, got {type(output).__name__}") from None


def relative_error(*estimates: np.ndarray) -> float:
    r"""The relative error of the estimates: $\lVert a - b\rVert / \max(\lVert a\rVert, \lVert b\rVert, 1)$, the largest over every pair.

    Euclidean norms over the whole array (for numbers: absolute values). Relative above 1,
    absolute below. Entries that are equal but not finite (the same infinity) count as agreeing;
    any other non-finite disagreement gives ``inf``.
    """
    stacked = [np.asarray(e, dtype=np.float64) for e in estimates]
    worst = 0.0
    for i, a in enumerate(stacked):
        for b in stacked[i + 1 :]:
            a_part, b_part = np.broadcast_arrays(a, b)
            with np.errstate(invalid="ignore"):
                difference = a_part - b_part
            unfinished = ~np.isfinite(difference)
            if np.any(unfinished):
                same = (a_part == b_part) | (np.isnan(a_part) & np.isnan(b_part))
                if not np.all(same[unfinished]):
                    return float("inf")
                a_part, b_part = np.where(unfinished, 0.0, a_part), np.where(unfinished, 0.0, b_part)
                difference = a_part - b_part
            scale = max(1.0, float(np.linalg.norm(a_part)), float(np.linalg.norm(b_part)))
            worst = max(worst, float(np.linalg.norm(difference)) / scale)
    return worst


# ---------------------------------------------------------------------------- gradcheck


@dataclass
class GradcheckReport:
    """What :func:`gradcheck` found: ``ok``, and where backprop and the numbers disagree most.

    ``rel_error`` is the :func:`relative_error` of backprop against central differences, the
    largest over the inputs (the measure ``compare`` shows); ``ok`` comes from the entry-by-entry
    test, which is stricter for a gradient that is wrong in one entry only.
    """

    ok: bool
    message: str
    worst_input: int | None = None
    worst_index: tuple[int, ...] | None = None
    expected: float | None = None
    received: float | None = None
    rel_error: float | None = None

    def __str__(self) -> str:
        return self.message


def gradcheck_report(
    fn: Callable[..., Value],
    *inputs: Any,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    dtype: type = np.float64,
) -> GradcheckReport:
    """Like :func:`gradcheck`, but returns the :class:`GradcheckReport` instead of printing it."""
    if not callable(fn):
        raise TypeError(f"fn: expected a function of Values, got {type(fn).__name__}")
    if not inputs:
        raise TypeError("inputs: gradcheck needs at least one input to differentiate, e.g. gradcheck(f, x)")
    arrays = [
        np.array(x.data if isinstance(x, Value) else as_float_array(x, f"inputs[{i}]"), dtype=dtype)
        for i, x in enumerate(inputs)
    ]
    names = [x.name if isinstance(x, Value) and x.name else f"input {i}" for i, x in enumerate(inputs)]
    projection: list[np.ndarray | None] = [None]

    def scalar_output(values: list[Value]) -> Value:
        out = fn(*values)
        if not isinstance(out, Value):
            out = Value(out, requires_grad=False)
        if out.data.ndim != 0:  # a random projection tests the whole vector-Jacobian product
            if projection[0] is None:
                projection[0] = np.random.default_rng(0).standard_normal(out.data.shape)
            out = (out * projection[0]).sum()
        return out

    try:
        leaves = [Value(a.copy(), name=n) for a, n in zip(arrays, names)]
        scalar_output(leaves).backward()
        backprop = [leaf.grad.astype(np.float64) for leaf in leaves]
        numeric = central_difference(
            lambda points: float(scalar_output([Value(p.astype(dtype), requires_grad=False) for p in points]).data),
            arrays,
            eps,
        )
    except Exception as exc:  # a learner's function may fail; say so instead of raising
        return GradcheckReport(False, f"gradcheck: your function raised {type(exc).__name__}: {exc}")

    rel_error = max((relative_error(b, n) for b, n in zip(backprop, numeric)), default=0.0)
    worst: tuple[float, int, tuple[int, ...]] | None = None
    for i, (b, n) in enumerate(zip(backprop, numeric)):
        with np.errstate(invalid="ignore"):
            excess = np.abs(b - n) - (atol + rtol * np.abs(n))
        excess = np.where(np.isnan(excess), np.inf, excess)
        if excess.size and (worst is None or excess.max() > worst[0]):
            index = np.unravel_index(int(np.argmax(excess)), excess.shape)
            worst = (float(excess.max()), i, tuple(int(k) for k in index))
    if worst is None or worst[0] <= 0:
        return GradcheckReport(True, f"gradcheck: backprop and central differences agree on {len(arrays)} input(s) "
                                     f"(relative error {rel_error:.1e})", rel_error=rel_error)
    _, i, index = worst
    expected, received = float(numeric[i][index]), float(backprop[i][index])
    where = f"{names[i]}[{', '.join(map(str, index))}]" if index else names[i]
    message = (
        f"gradcheck FAILED at {where}: central difference (expected) {expected:.8g}, "
        f"backprop (received) {received:.8g}, difference {abs(expected - received):.3g} "
        f"(allowed {atol + rtol * abs(expected):.3g}); relative error of {names[i]} as a whole "
        f"{relative_error(backprop[i], numeric[i]):.1e}. Look at the backward rule of the ops that {names[i]} flows through."
    )
    return GradcheckReport(False, message, i, index, expected, received, rel_error)


def gradcheck(
    fn: Callable[..., Value],
    *inputs: Any,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    dtype: type = np.float64,
    verbose: bool = True,
) -> bool:
    r"""True when backprop's gradient of ``fn(*inputs)`` matches central differences entry by entry.

    Tolerance, entry by entry: $|\text{backprop} - \text{numeric}| \le \text{atol} + \text{rtol}\,|\text{numeric}|$
    (a test, not a measure; the failure report also gives the :func:`relative_error`).
    ``fn`` takes Values and returns a Value (a non-scalar output is checked through a fixed
    random projection). Raises nothing for a wrong gradient: prints where it is worst (when
    ``verbose``) and returns False. Run it in float64: float32 is too coarse for differences.
    """
    report = gradcheck_report(fn, *inputs, eps=eps, rtol=rtol, atol=atol, dtype=dtype)
    if verbose and not report.ok:
        print(report.message)
    return report.ok


# ---------------------------------------------------------------------------- compare


@dataclass
class GradientRow:
    """One variable's derivative, three ways."""

    variable: str
    symbolic: np.ndarray
    backprop: np.ndarray
    numeric: np.ndarray
    rel_error: float  # relative_error of the three: the largest over the pairs
    derivative: Any = None  # the SymPy formula of the partial derivative, for number variables


@dataclass
class Comparison:
    r"""SymPy, backprop and central differences side by side; ``max_rel_error`` sums it up."""

    formula: Any
    value: float
    rows: list[GradientRow] = field(default_factory=list)
    tolerance: float = 1e-6

    @property
    def max_rel_error(self) -> float:
        return max((row.rel_error for row in self.rows), default=0.0)

    @property
    def ok(self) -> bool:
        """All three routes agree within ``tolerance``."""
        return self.max_rel_error <= self.tolerance

    def __getitem__(self, variable: str) -> GradientRow:
        for row in self.rows:
            if row.variable == variable:
                return row
        raise KeyError(f"no variable {variable!r}; this comparison has {', '.join(r.variable for r in self.rows)}")

    @staticmethod
    def _number(array: np.ndarray) -> str:
        array = np.asarray(array)
        if array.ndim == 0:  # 8 digits: central differences agree to ~1e-10, so the printout is stable across CPUs
            return f"{float(array):.8g}"
        if array.size <= 4:
            text = np.array2string(array.ravel(), precision=7, separator=", ", floatmode="maxprec")
            return text if array.ndim == 1 else f"{text} (shape {array.shape})"
        return f"array of shape {array.shape}, |·| = {np.linalg.norm(array):.6g}"

    def _formula_text(self) -> str | None:
        """The formula as text, or None when it is too long to be worth reading."""
        text = str(self.formula)
        return text if len(text) <= MAX_FORMULA_SHOWN else None

    def __repr__(self) -> str:
        header = ("variable", "symbolic (SymPy)", "backprop", "numeric (central diff.)", "rel. error")
        table = [header] + [
            (r.variable, self._number(r.symbolic), self._number(r.backprop), self._number(r.numeric), f"{r.rel_error:.1e}")
            for r in self.rows
        ]
        widths = [max(len(row[k]) for row in table) for k in range(len(header))]
        formula = self._formula_text() or f"(a formula of {len(str(self.formula))} characters)"
        lines = [f"f = {formula}  =  {self.value:.8g}"]
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
        verdict = "agree" if self.ok else "DISAGREE"
        lines.append(f"max rel. error {self.max_rel_error:.1e}: the three routes {verdict} (tolerance {self.tolerance:.0e})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from sympy import latex

        def cell(text: str, align: str = "right") -> str:
            return f'<td style="text-align:{align}">{text}</td>'

        rows = []
        for r in self.rows:
            derivative = f"${latex(r.derivative)}$" if r.derivative is not None else "&ndash;"
            rows.append(
                "<tr>" + cell(f"${html.escape(r.variable)}$", "left")
                + cell(f"$\\displaystyle \\frac{{\\partial f}}{{\\partial {html.escape(r.variable)}}} = {derivative[1:-1]}$"
                       if r.derivative is not None else derivative, "left")
                + cell(html.escape(self._number(r.symbolic))) + cell(html.escape(self._number(r.backprop)))
                + cell(html.escape(self._number(r.numeric))) + cell(f"{r.rel_error:.1e}") + "</tr>"
            )
        colour = "#1b7837" if self.ok else "#b2182b"
        verdict = "the three routes agree" if self.ok else "the three routes DISAGREE"
        if self._formula_text() is None:
            formula = f"(a formula of {len(str(self.formula))} characters)"
        else:
            formula = f"${latex(self.formula)}$" if hasattr(self.formula, "free_symbols") else html.escape(str(self.formula))
        return (
            f"<div><p>f = {formula} = {self.value:.8g}</p>"
            '<table><thead><tr><th style="text-align:left">variable</th><th style="text-align:left">derivative</th>'
            "<th>symbolic (SymPy)</th><th>backprop</th><th>numeric (central difference)</th><th>rel. error</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            f'<p style="color:{colour}">max rel. error {self.max_rel_error:.1e}: {verdict} '
            f"(tolerance {self.tolerance:.0e})</p></div>"
        )


def _check_point(at: Any, names: Sequence[str], arrays_allowed: bool) -> dict[str, np.ndarray]:
    if not isinstance(at, Mapping):
        raise TypeError(f"at: expected a dict of variable values like {{'x': 1.0}}, got {type(at).__name__}")
    missing = [n for n in names if n not in at]
    if missing:
        example = ", ".join(f"'{n}': ..." for n in missing)
        raise ValueError(
            f"at: no value for {', '.join(missing)}; the formula uses {', '.join(names)} "
            f"and at has {', '.join(map(str, at)) or 'nothing'}; add them, e.g. at={{{example}}}"
        )
    point = {}
    for n in names:
        array = np.array(as_float_array(at[n], f"at['{n}']"), dtype=np.float64)
        if array.ndim and not arrays_allowed:
            raise ValueError(
                f"at['{n}']: a typed formula takes numbers, got an array of shape {array.shape}; "
                "for arrays pass a Python function of Values instead"
            )
        point[n] = array
    return point


def compare(formula: Any, at: Mapping[str, Any], eps: float = 1e-6, tolerance: float = 1e-6) -> Comparison:
    r"""Differentiate ``formula`` at the point ``at`` three ways: SymPy, backprop, central differences.

    ``formula`` is text (read safely by :func:`bplab.parse`), a SymPy expression, or a Python
    function whose parameters are named after the variables and which returns a scalar Value.
    ``at`` maps each variable name to a number (arrays too, for a function).
    """
    import sympy

    from bplab import symbolic

    if isinstance(formula, str):
        formula = symbolic.parse(formula)
    if isinstance(formula, sympy.Basic):
        return _compare_expression(formula, at, eps, tolerance)
    if callable(formula):
        return _compare_function(formula, at, eps, tolerance)
    raise TypeError(f"formula: expected text, a SymPy expression or a function of Values, got {type(formula).__name__}")


def _compare_expression(expr: Any, at: Mapping[str, Any], eps: float, tolerance: float) -> Comparison:
    from bplab import symbolic

    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    names = [s.name for s in symbols]
    point = _check_point(at, names, arrays_allowed=False)
    derivatives = symbolic.gradient(expr, symbols)
    substitution = {s: float(point[s.name]) for s in symbols}
    leaves = {n: Value(point[n], name=n) for n in names}
    output = _scalar_of(symbolic.from_sympy(expr, leaves), "the formula")
    output.backward()
    function = symbolic.lambdify(symbols, expr)
    numeric = central_difference(lambda arrays: float(function(*arrays)), [point[n] for n in names], eps)
    rows = []
    for k, s in enumerate(symbols):
        exact = np.asarray(float(derivatives[s].evalf(subs=substitution)))
        backprop = leaves[s.name].grad
        rows.append(GradientRow(s.name, exact, backprop, numeric[k], relative_error(exact, backprop, numeric[k]), derivatives[s]))
    return Comparison(expr, float(output.data), rows, tolerance)


def _compare_function(fn: Callable[..., Any], at: Mapping[str, Any], eps: float, tolerance: float) -> Comparison:
    from bplab import symbolic

    try:
        parameters = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        raise TypeError("formula: could not read the function's parameter names; use def f(x, y): ...") from None
    point = _check_point(at, parameters, arrays_allowed=True)
    leaves = {n: Value(point[n], name=n) for n in parameters}
    output = _scalar_of(fn(**leaves), "formula")
    output.backward()
    exact = symbolic.symbolic_gradients(output, [leaves[n] for n in parameters])
    numeric = central_difference(
        lambda arrays: float(_scalar_of(fn(**{n: Value(a, requires_grad=False) for n, a in zip(parameters, arrays)}), "formula").data),
        [point[n] for n in parameters],
        eps,
    )
    expr = symbolic.to_sympy(output)
    rows = []
    for k, n in enumerate(parameters):
        derivative = None
        if point[n].ndim == 0:
            import sympy

            derivative = sympy.diff(expr, sympy.Symbol(n, real=True))
        backprop = leaves[n].grad
        rows.append(GradientRow(n, exact[k], backprop, numeric[k], relative_error(exact[k], backprop, numeric[k]), derivative))
    return Comparison(expr, float(output.data), rows, tolerance)
