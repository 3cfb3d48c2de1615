"""What a ten-year-old meets on the start page and in Level 1: no calculus before the course map, no
unexplained minus signs, exact numbers in the printed turns, and both guessing games."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
START = NOTEBOOKS / "00_start_here.ipynb"
KID = NOTEBOOKS / "1_kid" / "01_learning_from_mistakes.ipynb"


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def text_of(cell: dict) -> str:
    """A cell's source and every text it shows (printed, or a table's plain text and HTML)."""
    parts = ["".join(cell["source"])]
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        data = output.get("data", {})
        parts += ["".join(data.get(kind, "")) for kind in ("text/plain", "text/html", "text/latex")]
    return "\n".join(parts)


def test_a_child_meets_no_calculus_before_the_course_map():
    start = cells(START)
    at_map = next(k for k, c in enumerate(start) if c["cell_type"] == "markdown" and "The course map" in "".join(c["source"]))
    before = "\n".join(text_of(c) for c in start[:at_map])
    for word in ("∂", "\\partial", "gradient descent", "Gradient descent", "rel. error", "relative error"):
        assert word not in before, f"the start page shows {word!r} before the course map"


def test_the_start_page_opens_with_a_path_for_a_child():
    first = "".join(cells(START)[0]["source"])
    assert "New here, or ten years old? Start here" in first
    assert "(1_kid/01_learning_from_mistakes.ipynb)" in first
    assert first.index("Start here") < first.index("Backpropagation")  # before anything else


def printed(path: Path) -> list[str]:
    return ["".join(o.get("text", "")) for c in cells(path) if c["cell_type"] == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "stream"]


def test_level_1_prints_no_minus_sign():
    for text in printed(KID):
        assert not re.search(r"[-−]\s*\d", text), text


def test_level_1_prints_its_turns_exactly():
    turns = [line for text in printed(KID) for line in text.splitlines() if line.startswith("turn ")]
    assert turns, "no printed turns"
    hidden, guess = Fraction(70), Fraction(10)
    for line in turns[:5]:  # the first game: fix half of each miss
        miss = hidden - guess
        guess += miss / 2
        assert f"the miss was {float(miss):g}" in line and line.endswith(f"the new guess is {float(guess):g}")
    assert "68.125" in turns[4]
    for line in turns:
        for number in re.findall(r"\d+\.\d+", line):
            assert Fraction(number) == Fraction(float(number)), f"{number} is rounded in {line!r}"


def test_level_1_has_both_games():
    code = "\n".join("".join(c["source"]) for c in cells(KID) if c["cell_type"] == "code")
    assert "GuessingGame()" in code and "HighLowGame()" in code
