r"""The checkers: each judges one kind of answer, accepts every equivalent form and never raises at the learner.

Notebooks call them through the registry, by exercise id (``check("03.first_update", answer)``),
so that no cell shows its answer. They stay public and keep their signatures for instructors'
own exercises::

    check_number(answer, expected=2.1, hint="dC/dw = dC/da times da/dw")

An untouched answer (still ``...``) says what to do; a wrong one says what is wrong (and gives
``hint`` when one is passed); a right one gets a short confirmation. Formulas are compared by
meaning, not by spelling: ``2*i*(i*w - y)`` and ``2*i**2*w - 2*i*y`` are both right.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from bplab.exercises.answers import (
    AnswerError,
    DecimalPlaces,
    Exact,
    Precision,
    Reading,
    SignificantFigures,
    read_choice,
    read_number,
)
from bplab.exercises.feedback import CORRECT, NOT_ANSWERED, NOT_YET, UNREADABLE, Feedback, not_answered


def _with_hint(message: str, hint: str) -> str:
    return message + (f" Hint: {hint}" if hint else "")


# ----------------------------------------------------------------------------- numbers


def check_number(answer: Any, expected: float, hint: str = "", rel_tol: float = 1e-3, abs_tol: float = 1e-6,
                 precision: Precision | None = None) -> Feedback:
    """Accept a number equal to ``expected`` to the ``precision`` the question states.

    Without ``precision``: within ``rel_tol`` (relative) or ``abs_tol`` (absolute) of ``expected``,
    and a whole-number ``expected`` (an ``int``, e.g. a count of weights) must be matched exactly.
    The answer may be a number, a fraction or arithmetic in quotes (``"1/3"``), or a one-number Value.
    """
    if answer is Ellipsis:
        return not_answered("a number")
    try:
        reading = read_number(answer)
    except AnswerError as exc:
        return Feedback(UNREADABLE, str(exc))
    whole = isinstance(expected, int) and not isinstance(expected, bool)
    if precision is None and whole:
        precision = Exact()
    expected = float(expected)
    centres: tuple[float, ...] = (expected,)
    if precision is None:
        tolerance = max(rel_tol * abs(expected), abs_tol)
    else:
        tolerance = precision.tolerance(expected)
        if isinstance(precision, (SignificantFigures, DecimalPlaces)):
            # an answer is right when it rounds to the right answer: around the correctly rounded value, not the exact
            # one (for 1/3 to 3 figures 0.3333 is right, but 0.3336, which rounds to 0.334, is as wrong as 0.334)
            centres = precision.rounded(expected)
    if any(abs(reading.value - centre) <= tolerance for centre in centres):
        return Feedback(CORRECT, f"Correct: {reading.shown}.")
    return Feedback(NOT_YET, _with_hint(_number_miss(reading, expected, precision, whole), hint))


def _number_miss(reading: Reading, expected: float, precision: Precision | None, whole: bool) -> str:
    """What is wrong with a number that missed: the sign, too few figures, the rounding, or the size."""
    value, shown = reading.value, reading.shown
    if value * expected < 0:
        return f"Not yet: {shown} has the wrong sign."
    if whole and value != round(value):
        return f"Not yet: {shown} is not a whole number, and the answer is one."
    gap = abs(value - expected)
    if isinstance(precision, SignificantFigures) and reading.significant_figures is not None:
        given = reading.significant_figures
        # the answer cut short (with given == figures it would be right: "<=" is an equivalent mutant)
        if given < precision.figures and float(f"{expected:.{given}g}") == value:  # pragma: no mutate
            return (f"Not yet: {shown} has {given} significant figure{'s' if given > 1 else ''}; the question asks "
                    f"for {precision.figures}. Give more figures.")
    if isinstance(precision, DecimalPlaces) and reading.decimal_places is not None:
        given = reading.decimal_places
        if given < precision.places and round(expected, given) == value:  # pragma: no mutate (as above)
            return (f"Not yet: {shown} has {given} decimal place{'s' if given != 1 else ''}; the question asks "
                    f"for {precision.places}. Give more decimals.")
    if isinstance(precision, (SignificantFigures, DecimalPlaces)) and gap <= 1.5 * precision.unit(expected):
        return (f"Not yet: {shown} is close, but not right {precision.phrase}. Check the last figure: "
                "round it (5 or more rounds up), don't cut it off.")
    too_big = value > expected  # pragma: no mutate (value == expected is right and never gets here: ">=" is the same)
    return f"Not yet: {shown} is {'too big' if too_big else 'too small'}."


# ----------------------------------------------------------------------------- formulas


def check_formula(answer: Any, expected: Any, hint: str = "", samples: int = 6, seed: int = 0,  # pragma: no mutate
                  names: Mapping[str, str] | None = None) -> Feedback:
    """Accept any formula equal to ``expected`` (text or SymPy), e.g. ``"2*x"`` for ``"x + x"``.

    ``names`` are the lesson's own intermediate names, each with the formula it stands for
    (``{"a": "i*w"}``): a learner may use them, so ``"2*(a - y)*i"`` is right for ``2*i*(i*w - y)``.
    Equality is decided by comparing both at random points of both signs (quick, and a difference
    is proof), and by SymPy's ``simplify`` only where the expected answer is defined too rarely.
    """
    import sympy

    from bplab.symbolic import FormulaError, lambdify, parse

    if answer is Ellipsis:
        return not_answered('a formula in quotes, like "2*x"')
    try:
        given = parse(answer) if isinstance(answer, str) else answer
        target = parse(expected) if isinstance(expected, str) else expected
        if not isinstance(given, sympy.Basic):
            raise FormulaError(f"expected the formula as text in quotes, got {type(answer).__name__} {answer!r}")
        meanings = {parse(name): parse(formula) for name, formula in (names or {}).items()}
    except FormulaError as exc:
        return Feedback(UNREADABLE, f"I could not read your formula: {str(exc).splitlines()[0]}")
    typed = given
    for _ in range(len(meanings)):  # names may stand for formulas in other names (v = u + b, u = w*x)
        given = given.subs(meanings)
    unknown = sorted(s.name for s in given.free_symbols - target.free_symbols)
    if unknown:
        allowed = ", ".join(sorted(s.name for s in target.free_symbols))
        also = "".join(f", {name} (= {formula})" for name, formula in (names or {}).items())
        return Feedback(NOT_YET, _with_hint(f"Not yet: your formula uses {', '.join(unknown)}, which the answer does "
                                            f"not need. It may use {allowed}{also}.", hint))
    try:
        agree = _agree_at_random_points(given, target, samples, seed, lambdify)  # pragma: no mutate (any seed)
        if agree is None:  # too few points where the answer is defined: let SymPy decide
            agree = sympy.simplify(given - target) == 0
    except Exception as exc:  # never raise at the learner
        return Feedback(UNREADABLE, f"I could not evaluate your formula ({type(exc).__name__}); try writing it more simply.")
    if agree:
        shown = answer.strip() if isinstance(answer, str) else sympy.sstr(typed)
        return Feedback(CORRECT, f"Correct: {shown} is right.")
    missing = sorted(s.name for s in target.free_symbols - given.free_symbols)
    if missing:  # e.g. 2*(1.5*w - y)*1.5: right at the lesson's numbers, but i was replaced by its value
        letters = ", ".join(sorted(s.name for s in target.free_symbols))
        return Feedback(NOT_YET, _with_hint(
            f"Not yet: that formula gives different values, and it has no {', '.join(missing)}. The answer is a formula "
            f"in the letters {letters}: keep each letter where you may have put its number.", hint))
    return Feedback(NOT_YET, _with_hint("Not yet: that formula gives different values.", hint))


def _agree_at_random_points(given: Any, target: Any, samples: int, seed: int, lambdify: Callable[..., Any]) -> bool | None:
    """Equal wherever the expected answer is defined, at points of both signs (abs(x) is not x).

    None when the expected answer is defined at too few of the points to decide.
    """
    symbols = sorted(target.free_symbols | given.free_symbols, key=lambda s: s.name)
    # Mutation testing: other seeds, ranges, sign rules or scales pick other points of both signs, on which
    # every formula the tests try is decided the same way: those lines are marked "pragma: no mutate".
    rng = np.random.default_rng(seed)  # pragma: no mutate
    magnitudes = rng.uniform(0.3, 2.0, size=(2 * samples, len(symbols)))  # pragma: no mutate
    signs = np.where(rng.random(size=magnitudes.shape) < 0.5, -1.0, 1.0)  # pragma: no mutate
    signs[:samples] = 1.0  # pragma: no mutate (half the points positive everywhere: logs and roots are defined)
    points = magnitudes * signs  # pragma: no mutate
    given_at, target_at = lambdify(symbols, given), lambdify(symbols, target)
    with np.errstate(all="ignore"):  # pragma: no mutate (warnings only)
        a = np.asarray([complex(given_at(*p)) for p in points])
        b = np.asarray([complex(target_at(*p)) for p in points])
    imaginary = np.abs(b.imag) >= 1e-12  # pragma: no mutate ("<=" for "<": a boundary no evaluation lands on)
    defined = np.isfinite(b) & ~imaginary
    if defined.sum() < 3:  # pragma: no mutate (3 or 4 points, or SymPy: the same verdicts)
        return None
    a, b = a[defined], b[defined]
    return bool(np.all(np.isfinite(a)) and np.allclose(a, b, rtol=1e-9, atol=1e-12))


# ----------------------------------------------------------------------------- gradients


def output_layer_first(names: Sequence[str]) -> list[str]:
    """Parameter names in the order a backward pass computes them: highest layer number first.

    ``["W1", "b1", "W2", "b2"]`` gives ``["W2", "b2", "W1", "b1"]``; names without a number keep
    their order, after the numbered ones.
    """
    def layer(name: str) -> int:
        match = re.search(r"(\d+)$", name)
        return int(match.group(1)) if match else -1  # pragma: no mutate (-2 sorts the same: below layer 0)

    return sorted(names, key=lambda name: -layer(name))


def check_gradients(answer: Any, loss: Callable[..., Any], at: Mapping[str, Any], hint: str = "",
                    rtol: float = 1e-6, order: Sequence[str] | None = None) -> Feedback:
    r"""Check gradients the learner computed by hand, ``{name: array}``, against bplab's backward pass.

    ``loss`` is a function of Values named like the keys of ``at`` (the point, as arrays); its
    backward pass gives the reference $\partial L/\partial\theta$ for each. A function the learner has
    not written yet returns ``None`` (or the answer is ``...``): that counts as not answered.
    Every failing gradient is reported, in ``order`` (default: output layer first, as a gradient
    check is read).
    """
    from bplab.engine import Value

    if answer is Ellipsis or answer is None:
        return Feedback(NOT_ANSWERED, "Not answered yet: write the body of your function so that it returns a dict "
                                      f"of gradients with the keys {', '.join(at)}, then run the cell again.")
    if not isinstance(answer, Mapping):
        return Feedback(UNREADABLE, f"Expected a dict of gradients with the keys {', '.join(at)}, got {type(answer).__name__}.")
    # pragma: no mutate below (a Value holds floats whatever it is given, and its name is only for display)
    values = {name: Value(np.array(point, dtype=float), name=name) for name, point in at.items()}  # pragma: no mutate
    loss(**values).backward()
    missing = [name for name in at if name not in answer]
    if missing:
        return Feedback(NOT_YET, f"Not yet: your dict has no gradient for {', '.join(missing)}.")
    problems = []
    for name in (order or output_layer_first(list(values))):
        value = values[name]
        try:
            mine = np.asarray(answer[name], dtype=float)
        except (TypeError, ValueError):
            return Feedback(UNREADABLE, f"The gradient for {name} is not an array of numbers: {type(answer[name]).__name__}.")
        if mine.shape != value.data.shape:
            problems.append(f"the gradient for {name} should have the shape of {name}, {value.data.shape}, "
                            f"but yours has shape {mine.shape}")
            continue
        scale = max(1.0, float(np.max(np.abs(value.grad), initial=0.0)))  # pragma: no mutate (initial 1.0: max(1.0, …) anyway)
        gap = np.abs(mine - value.grad)
        if not np.all(np.isfinite(mine)) or gap.max(initial=0.0) > rtol * scale:
            where = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(gap), gap, np.inf))), gap.shape)  # () when 0-d
            problems.append(f"your gradient for {name} differs from backprop's, most at index {tuple(int(k) for k in where)}")
    if problems:
        count = f"{len(problems)} of {len(values)} gradients are wrong (output layer first): " if len(problems) > 1 else ""
        return Feedback(NOT_YET, _with_hint(f"Not yet: {count}{'; '.join(problems)}.", hint))
    return Feedback(CORRECT, f"Correct: all {len(values)} gradients match bplab's backward pass.")


# ----------------------------------------------------------------------------- choices


def check_choice(answer: Any, expected: str, options: Sequence[str], hint: str = "") -> Feedback:
    """For "is it true?" and multiple-choice questions: ``answer`` must be one of ``options``.

    ``true``/``false`` without quotes (imported from :mod:`bplab.exercises`), ``True`` and ``"TRUE"``
    all name the option "true".
    """
    options = tuple(options)
    if answer is Ellipsis:
        return not_answered(f"one of {', '.join(map(repr, options))}")
    try:
        chosen = read_choice(answer, options)
    except AnswerError as exc:
        return Feedback(UNREADABLE, str(exc))
    if chosen == expected.lower():
        return Feedback(CORRECT, "Correct.")
    return Feedback(NOT_YET, _with_hint(f"Not yet: the answer is not {chosen!r}.", hint))


__all__ = ["check_choice", "check_formula", "check_gradients", "check_number", "output_layer_first"]
