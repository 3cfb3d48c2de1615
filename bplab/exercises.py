r"""Checkers for the "your turn" cells: they accept any equivalent answer and never raise at the learner.

A "your turn" cell looks like::

    answer = ...          # replace ... with your answer
    check_number(answer, expected=2.1, hint="dC/dw = dC/da times da/dw")

An untouched cell (the answer still ``...``) runs without error and says what to do. A wrong
answer gets the hint; a right one gets a short confirmation. Formulas are compared by meaning,
not by spelling: ``2*i*(i*w - y)`` and ``2*i**2*w - 2*i*y`` are both right.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

NOT_ANSWERED = "not answered"
CORRECT = "correct"
NOT_YET = "not yet"
UNREADABLE = "unreadable"

_COLOURS = {CORRECT: "#1b7837", NOT_YET: "#B35806", NOT_ANSWERED: "#555555", UNREADABLE: "#B2182B"}
_ICONS = {CORRECT: "✔", NOT_YET: "✘", NOT_ANSWERED: "…", UNREADABLE: "?"}


@dataclass(frozen=True)
class Feedback:
    """What a checker says: ``verdict`` (correct / not yet / not answered / unreadable) and a message."""

    verdict: str
    message: str

    @property
    def correct(self) -> bool:
        return self.verdict == CORRECT

    def __repr__(self) -> str:
        return f"{_ICONS[self.verdict]} {self.message}"

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.verdict]
        return (f'<div style="border-left:4px solid {colour}; padding:0.3em 0.8em; color:{colour}">'
                f"<b>{_ICONS[self.verdict]}</b> {html.escape(self.message)}</div>")


def _not_answered(what: str) -> Feedback:
    return Feedback(NOT_ANSWERED, f"Not answered yet: replace the ... with {what}, then run the cell again.")


def check_number(answer: Any, expected: float, hint: str = "", rel_tol: float = 1e-3, abs_tol: float = 1e-6) -> Feedback:
    """Accept any number within ``rel_tol`` (relative) or ``abs_tol`` (absolute) of ``expected``.

    A whole-number ``expected`` (an ``int``, e.g. a count of weights) must be matched exactly.
    """
    if answer is Ellipsis:
        return _not_answered("a number")
    try:
        value = float(np.asarray(answer.data if hasattr(answer, "data") else answer, dtype=float))
    except (TypeError, ValueError):
        return Feedback(UNREADABLE, f"Expected a number, got {type(answer).__name__} {answer!r}.")
    if isinstance(expected, int) and not isinstance(expected, bool):
        rel_tol, abs_tol = 0.0, 1e-9  # counts are exact: 8255 is not 8256
    if math.isclose(value, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return Feedback(CORRECT, f"Correct: {value:.6g}.")
    direction = "too big" if value > expected else "too small"
    return Feedback(NOT_YET, f"Not yet: {value:.6g} is {direction}." + (f" Hint: {hint}" if hint else ""))


def check_formula(answer: Any, expected: Any, hint: str = "", samples: int = 6, seed: int = 0) -> Feedback:
    """Accept any formula equal to ``expected`` (text or SymPy), e.g. ``"2*x"`` for ``"x + x"``.

    Equality is decided by comparing both at random points of both signs (quick, and a difference
    is proof), and by SymPy's ``simplify`` only where the expected answer is defined too rarely.
    """
    import sympy

    from bplab.symbolic import FormulaError, lambdify, parse

    if answer is Ellipsis:
        return _not_answered('a formula in quotes, like "2*x"')
    try:
        given = parse(answer) if isinstance(answer, str) else answer
        target = parse(expected) if isinstance(expected, str) else expected
        if not isinstance(given, sympy.Basic):
            raise FormulaError(f"expected the formula as text in quotes, got {type(answer).__name__} {answer!r}")
    except FormulaError as exc:
        return Feedback(UNREADABLE, f"I could not read your formula: {str(exc).splitlines()[0]}")
    unknown = sorted(s.name for s in given.free_symbols - target.free_symbols)
    if unknown:
        return Feedback(NOT_YET, f"Not yet: your formula uses {', '.join(unknown)}, which the answer does not need."
                        + (f" Hint: {hint}" if hint else ""))
    try:
        agree = _agree_at_random_points(given, target, samples, seed, lambdify)
        if agree is None:  # too few points where the answer is defined: let SymPy decide
            agree = sympy.simplify(given - target) == 0
    except Exception as exc:  # never raise at the learner
        return Feedback(UNREADABLE, f"I could not evaluate your formula ({type(exc).__name__}); try writing it more simply.")
    if agree:
        return Feedback(CORRECT, f"Correct: {sympy.sstr(given)} is right.")
    return Feedback(NOT_YET, "Not yet: that formula gives different values." + (f" Hint: {hint}" if hint else ""))


def _agree_at_random_points(given, target, samples: int, seed: int, lambdify) -> bool | None:
    """Equal wherever the expected answer is defined, at points of both signs (abs(x) is not x).

    None when the expected answer is defined at too few of the points to decide.
    """
    symbols = sorted(target.free_symbols | given.free_symbols, key=lambda s: s.name)
    rng = np.random.default_rng(seed)
    magnitudes = rng.uniform(0.3, 2.0, size=(2 * samples, len(symbols)))
    signs = np.where(rng.random(size=magnitudes.shape) < 0.5, -1.0, 1.0)
    signs[:samples] = 1.0  # half the points positive everywhere: logs and roots are defined there
    points = magnitudes * signs
    given_at, target_at = lambdify(symbols, given), lambdify(symbols, target)
    with np.errstate(all="ignore"):
        a = np.asarray([complex(given_at(*p)) for p in points])
        b = np.asarray([complex(target_at(*p)) for p in points])
    defined = np.isfinite(b) & (np.abs(b.imag) < 1e-12)
    if defined.sum() < 3:
        return None
    a, b = a[defined], b[defined]
    return bool(np.all(np.isfinite(a)) and np.allclose(a, b, rtol=1e-9, atol=1e-12))


def check_gradients(answer: Any, loss: Callable[..., Any], at: Mapping[str, Any], hint: str = "",
                    rtol: float = 1e-6) -> Feedback:
    r"""Check gradients the learner computed by hand, ``{name: array}``, against bplab's backward pass.

    ``loss`` is a function of Values named like the keys of ``at`` (the point, as arrays); its
    backward pass gives the reference $\partial L/\partial\theta$ for each. A function the learner has
    not written yet returns ``None`` (or the answer is ``...``): that counts as not answered.
    """
    from bplab.engine import Value

    if answer is Ellipsis or answer is None:
        return Feedback(NOT_ANSWERED, "Not answered yet: write the body of your function so that it returns a dict "
                                      f"of gradients with the keys {', '.join(at)}, then run the cell again.")
    if not isinstance(answer, Mapping):
        return Feedback(UNREADABLE, f"Expected a dict of gradients with the keys {', '.join(at)}, got {type(answer).__name__}.")
    values = {name: Value(np.array(point, dtype=float), name=name) for name, point in at.items()}
    loss(**values).backward()
    missing = [name for name in at if name not in answer]
    if missing:
        return Feedback(NOT_YET, f"Not yet: your dict has no gradient for {', '.join(missing)}.")
    for name, value in values.items():
        try:
            mine = np.asarray(answer[name], dtype=float)
        except (TypeError, ValueError):
            return Feedback(UNREADABLE, f"The gradient for {name} is not an array of numbers: {type(answer[name]).__name__}.")
        if mine.shape != value.data.shape:
            return Feedback(NOT_YET, f"Not yet: the gradient for {name} should have the shape of {name}, "
                                     f"{value.data.shape}, but yours has shape {mine.shape}." + (f" Hint: {hint}" if hint else ""))
        scale = max(1.0, float(np.max(np.abs(value.grad), initial=0.0)))
        gap = np.abs(mine - value.grad)
        if not np.all(np.isfinite(mine)) or gap.max(initial=0.0) > rtol * scale:
            where = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(gap), gap, np.inf))), gap.shape) if gap.size else ()
            return Feedback(NOT_YET, f"Not yet: your gradient for {name} differs from backprop's, most at index "
                                     f"{tuple(int(k) for k in where)}." + (f" Hint: {hint}" if hint else ""))
    return Feedback(CORRECT, f"Correct: all {len(values)} gradients match bplab's backward pass.")


def check_choice(answer: Any, expected: str, options: Sequence[str], hint: str = "") -> Feedback:
    """For "is it true?" and multiple-choice questions: ``answer`` must be one of ``options``."""
    if answer is Ellipsis:
        return _not_answered(f"one of {', '.join(map(repr, options))}")
    normal = str(answer).strip().lower()
    if normal not in [o.lower() for o in options]:
        return Feedback(UNREADABLE, f"Expected one of {', '.join(map(repr, options))}, got {answer!r}.")
    if normal == expected.lower():
        return Feedback(CORRECT, "Correct.")
    return Feedback(NOT_YET, "Not yet." + (f" Hint: {hint}" if hint else ""))
