r"""Reading a learner's answer in any reasonable form, and the precision a question asks for.

* Numbers: ``0.5``, ``1/3`` (Python computes it), ``"1/3"`` or ``"0.5"`` in quotes, ``"2 + cos(1)"``
  (read by bplab's safe formula parser, never ``eval``), ``"8,256"``, a NumPy number or a one-number
  ``Value``. True and False are not numbers here.
* True/false: :data:`true` and :data:`false` are the names a learner types without quotes
  (``answer = true``); an exercise cell imports them (``from bplab.exercises import check, true,
  false``). ``"true"``, ``"False"``, ``True`` and ``"yes"``/``"no"`` work as well.
* Precision: a question states it (":class:`SignificantFigures` (3)" is asked as "to 3 significant
  figures"), and an answer passes when it is within half a unit of the last figure asked for, so
  every correctly rounded answer, and every more precise one, passes; one rounded the wrong way,
  or 1% off when 0.1% is asked, does not.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np

#: Type ``answer = true`` (no quotes) in a true/false exercise: import it with ``check``.
true: bool = True
#: Type ``answer = false`` (no quotes) in a true/false exercise: import it with ``check``.
false: bool = False

_SLACK = 1e-9  # relative: a correctly rounded answer stays inside despite binary floating point
_TYPOGRAPHY = {"−": "-", "–": "-", "×": "*", "·": "*", "÷": "/", "²": "**2", "³": "**3"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_WORDS = re.compile(r"^[A-Za-z' ]*[A-Za-z]{4,}[A-Za-z' ]*$")  # a word of 4 letters or more, nothing else: not a formula
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")  # 0,333 or 2,5: a decimal comma (1,000 is a thousands separator)
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class AnswerError(ValueError):
    """An answer that cannot be read as what the question asks for; the message says what was expected."""


@dataclass(frozen=True)
class Reading:
    """A number read from an answer: its ``value``, how it is ``shown`` back, and the figures it gave."""

    value: float
    shown: str
    significant_figures: int | None = None  # None when the answer's own precision is unknown
    decimal_places: int | None = None


# ----------------------------------------------------------------------------- precision


@dataclass(frozen=True)
class Exact:
    """The exact value: a whole number (a count) or a simple number such as 0.5.

    ``phrase`` is how the question states it (the tests look for it in the notebook's question).
    """

    phrase: str = "exactly"

    def tolerance(self, expected: float) -> float:
        """How far an answer may be from ``expected``: round-off only."""
        return 1e-12 * max(1.0, abs(expected))

    def unit(self, expected: float) -> float:
        """The size of the last figure asked for (none: any difference is wrong)."""
        return 0.0


@dataclass(frozen=True)
class SignificantFigures:
    """Correct to ``figures`` significant figures (a correctly rounded or a more precise answer)."""

    figures: int

    @property
    def phrase(self) -> str:
        return f"to {self.figures} significant figures"

    def unit(self, expected: float) -> float:
        """The place value of the last significant figure asked for."""
        if expected == 0:
            return 10.0 ** -self.figures
        return 10.0 ** (math.floor(math.log10(abs(expected))) - self.figures + 1)

    def tolerance(self, expected: float) -> float:
        # pragma: "- 1e-15" for "+ 1e-15" only moves the edge for units near 1e-15, which no question asks for
        return 0.5 * self.unit(expected) * (1 + _SLACK) + 1e-15  # pragma: no mutate

    def rounded(self, expected: float) -> tuple[float, ...]:
        """``expected`` correctly rounded: 1/3 -> (0.333,); an exact half either way, 0.125 -> (0.13, 0.12)."""
        return _roundings(expected, self.unit(expected))


@dataclass(frozen=True)
class DecimalPlaces:
    """Correct to ``places`` decimal places."""

    places: int

    @property
    def phrase(self) -> str:
        return f"to {self.places} decimal places"

    def unit(self, expected: float) -> float:
        return 10.0 ** -self.places

    def tolerance(self, expected: float) -> float:
        return 0.5 * self.unit(expected) * (1 + _SLACK) + 1e-15  # pragma: no mutate (as above; unit ignores expected)

    def rounded(self, expected: float) -> tuple[float, ...]:
        """``expected`` correctly rounded to the places asked for (an exact half either way)."""
        return _roundings(expected, self.unit(expected))


def _roundings(value: float, unit: float) -> tuple[float, ...]:
    """``value`` rounded to a multiple of ``unit`` (a power of ten) on its shortest decimal form: one result, or two
    for an exact half (0.125 -> 0.13 as taught, 0.12 as Python's round-half-even does)."""
    step = Decimal(repr(unit)).normalize()
    decimal = Decimal(repr(value))
    return tuple(dict.fromkeys(float(decimal.quantize(step, rounding=way)) for way in (ROUND_HALF_UP, ROUND_HALF_DOWN)))


Precision = Exact | SignificantFigures | DecimalPlaces


# ----------------------------------------------------------------------------- numbers


def _figures_of(text: str) -> tuple[int | None, int | None]:
    """(significant figures, decimal places) of a plain decimal like ``"0.120"``; None when not plain."""
    text = text.strip().lstrip("+-")  # pragma: no mutate (lstrip("XX+-XX"): a plain decimal has no X)
    if not _PLAIN_DECIMAL.match(text):
        return None, None
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")  # pragma: no mutate (lstrip("XX0XX"): digits have no X)
    if "." not in mantissa:
        digits = digits.rstrip("0") or digits  # pragma: no mutate (rstrip("XX0XX"), as above)
    places = len(fraction) - (int(exponent) if exponent else 0)
    return max(len(digits), 1), max(places, 0)


def _show(value: float) -> str:
    """The number as the learner gave it when that is short (0.5000001 stays 0.5000001, never a rounded 0.5
    that would contradict "is too big"), else to 6 significant figures."""
    short, typed = f"{value:.6g}", repr(value)
    return typed if float(short) != value and len(typed) <= 12 else short


def read_number(answer: Any) -> Reading:
    """The number an answer means, or :class:`AnswerError` saying what was expected instead."""
    if isinstance(answer, (bool, np.bool_)):
        raise AnswerError(f"Expected a number, got {answer!r}. Type the number itself, e.g. answer = 0.5")
    if answer is None:
        raise AnswerError("Expected a number, got None (no number at all). Type the number itself, e.g. answer = 0.5")
    from bplab.engine import Value

    if isinstance(answer, Value):
        answer = answer.data
    if isinstance(answer, str):
        return _read_text(answer)
    if isinstance(answer, (Fraction, Decimal)):
        return Reading(float(answer), str(answer))
    try:
        array = np.asarray(answer, dtype=float)
    except OverflowError:
        raise AnswerError("Expected a number of a sensible size; that one is too large to work with.") from None
    except (TypeError, ValueError):
        raise AnswerError(f"Expected a number, got {type(answer).__name__} {answer!r}.") from None
    if array.size != 1:
        raise AnswerError(f"Expected one number, got {array.size} numbers (shape {array.shape}).")
    value = float(array.reshape(()))
    if not math.isfinite(value):
        raise AnswerError(f"Expected a finite number, got {value}.")
    figures, places = _figures_of(repr(value)) if isinstance(answer, float) else (None, None)
    return Reading(value, _show(value), figures, places)


def _read_text(text: str) -> Reading:
    """A number typed in quotes: plain (``"0.120"``), a fraction (``"1/3"``) or arithmetic (``"2 + cos(1)"``)."""
    cleaned = text.strip().strip("'\"").strip()
    for typed, meant in _TYPOGRAPHY.items():
        cleaned = cleaned.replace(typed, meant)
    if _DECIMAL_COMMA.match(cleaned) and (cleaned.lstrip("+-").startswith("0") or not _THOUSANDS.match(cleaned)):
        point = cleaned.replace(",", ".")
        raise AnswerError(f"{text.strip()!r} has a comma: write decimals with a point, {point}.")
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    if not cleaned:
        raise AnswerError('Expected a number, got an empty text "". Type the number, e.g. answer = 0.5')
    if _PLAIN_DECIMAL.match(cleaned):
        figures, places = _figures_of(cleaned)
        return Reading(float(cleaned), cleaned, figures, places)
    from bplab.symbolic import FormulaError, parse

    if _WORDS.match(cleaned):  # words, not arithmetic: "seventy", "I don't know"
        raise AnswerError(f"{text.strip()!r} is words, and the answer is a number: type it with digits, like 70 or 0.5.")
    try:
        expression = parse(cleaned)
    except FormulaError as exc:
        raise AnswerError(f"I could not read {text!r} as a number: {str(exc).splitlines()[0]}. "
                          "Type just the number, like 70 or 0.5 (or a fraction in quotes, like \"1/3\").") from None
    if expression.free_symbols:
        names = ", ".join(sorted(s.name for s in expression.free_symbols))
        raise AnswerError(f"Expected a number, but {text!r} contains the letter(s) {names}. "
                          "Work the value out, or type it with numbers only, like \"1/3\".")
    try:
        value = complex(expression.evalf())
    except (TypeError, ValueError, OverflowError):
        raise AnswerError(f"I could not work out {text!r} as a number.") from None
    imaginary = abs(value.imag) > 1e-12  # pragma: no mutate (">=": a boundary no evaluation lands on)
    if imaginary or not math.isfinite(value.real):
        raise AnswerError(f"{text!r} is not a real, finite number.")
    return Reading(value.real, cleaned)


# ----------------------------------------------------------------------------- choices

_YES_NO = {"yes": "true", "no": "false", "y": "true", "n": "false"}


def read_choice(answer: Any, options: tuple[str, ...]) -> str:
    """The option an answer names (lower case), or :class:`AnswerError` listing the options.

    ``true``/``True``/``"True"`` all name "true"; for a true/false question ``"yes"``/``"no"`` too.
    A name typed without quotes that Python knows as a function (``input``) counts as its name.
    """
    listed = ", ".join(repr(o) for o in options)
    if isinstance(answer, (bool, np.bool_)):
        text = "true" if answer else "false"
    elif isinstance(answer, str):
        text = answer.strip().strip("'\"").strip().lower()
    elif callable(answer) and isinstance(getattr(answer, "__name__", None), str):
        text = answer.__name__.lower()
    else:
        raise AnswerError(f"Expected one of {listed}, got {type(answer).__name__} {answer!r}.")
    lowered = [o.lower() for o in options]
    if set(lowered) == {"true", "false"}:
        text = _YES_NO.get(text, text)
    if text not in lowered:
        raise AnswerError(f"Expected one of {listed}, got {answer!r}.")
    return text
