"""The notebooks' exercise cells: called by id, no answer in any cell, each cell standing alone.

Every code cell of every notebook is scanned: a checker called with an expected answer (any
``check_*`` call with more than the answer; ``check`` with anything but an id and the answer)
fails, and the ids the notebooks use and the ids the registry declares must be the same.
Each exercise cell is then run on its own, in a fresh namespace, untouched and with the right
answer typed in, as a learner who skipped every earlier cell would.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from bplab.exercises import CATALOG, CORRECT, NOT_ANSWERED, Feedback, reset_hints
from bplab.exercises.catalog.graduate import bug_hunt_data, three_layer_data

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL_NOTEBOOKS = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
#: the checkers a cell may call only with the answer (check_report: notebook 08's name for a report checker)
CHECKERS = {"check_number", "check_formula", "check_choice", "check_gradients", "check_report"}
BY_ID = ("check", "hint", "solution")


def code_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text())["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


def parse_cell(source: str) -> ast.Module:
    """A cell as Python (IPython's magics and shell lines left out)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def scan(source: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(problems, [(function, exercise id)]) of one code cell."""
    problems, uses = [], []
    for node in ast.walk(parse_cell(source)):
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        if name in CHECKERS and len(node.args) + len(node.keywords) > 1:
            problems.append(f"{name}(...) is given more than the answer (an expected answer in the cell)")
        if name in BY_ID:
            wanted = 2 if name == "check" else 1
            first = node.args[0] if node.args else None
            if (len(node.args) != wanted or node.keywords or not isinstance(first, ast.Constant)
                    or not isinstance(first.value, str)):
                problems.append(f"{name}(...) must be called with an exercise id in quotes"
                                + (" and the answer, nothing else" if name == "check" else ""))
            else:
                uses.append((name, first.value))
    return problems, uses


def checks_in(path: Path) -> list[tuple[int, str, str]]:
    """(cell index, exercise id, cell source) for every check(...) in a notebook."""
    found = []
    for index, source in code_cells(path):
        found += [(index, exercise_id, source) for name, exercise_id in scan(source)[1] if name == "check"]
    return found


EXERCISE_CELLS = [(path, index, exercise_id, source) for path in ALL_NOTEBOOKS for index, exercise_id, source in checks_in(path)]


def test_the_scan_sees_a_planted_answer():
    assert scan('check_number(answer, expected=70, hint="10 + 60")')[0]
    assert scan("check_choice(answer, 'false', ['true', 'false'])")[0]
    assert scan('check("01.fix_size_one", answer, expected=70)')[0]
    assert scan('check("01.fix_size_one", answer, 70)')[0]
    assert scan("check(exercise, answer)")[0]
    assert scan('bplab.exercises.check_report(report, "08.x")')[0]
    assert scan('check("01.fix_size_one", answer)') == ([], [("check", "01.fix_size_one")])
    assert scan("check_each_parameter(backward)") == ([], [])  # a lesson's own function, not a checker


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_cell_passes_an_expected_answer(path):
    problems = [f"cell {index}: {problem}" for index, source in code_cells(path) for problem in scan(source)[0]]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_notebooks_use_exactly_the_registered_exercises():
    used: dict[str, list[str]] = {}
    for path in ALL_NOTEBOOKS:
        for index, source in code_cells(path):
            for _, exercise_id in scan(source)[1]:
                used.setdefault(exercise_id, []).append(path.name)
    unregistered = sorted(set(used) - set(CATALOG.ids()))
    unused = [i for i in CATALOG.ids() if i not in used]
    assert not unregistered, f"used by a notebook but not registered: {unregistered}"
    assert not unused, f"registered but never used by a notebook: {unused}"
    checked = [exercise_id for _, _, exercise_id, _ in EXERCISE_CELLS]
    assert sorted(checked) == sorted(CATALOG.ids()), "each exercise is checked in exactly one cell"


@pytest.mark.parametrize("path, index, exercise_id, source", EXERCISE_CELLS, ids=[e[2] for e in EXERCISE_CELLS])
def test_an_exercise_lives_in_its_own_notebook(path, index, exercise_id, source):
    assert path.name.startswith(exercise_id[:2] + "_"), f"{exercise_id} is checked in {path.name}"


def run_alone(source: str, answer_line: str | None = None) -> tuple[object, dict]:
    """Run one cell in a fresh namespace, as a learner who skipped every other cell; (its value, its names)."""
    if answer_line is not None:
        assert source.count("answer = ...") == 1
        source = re.sub(r"answer = \.\.\.[^\n]*", answer_line, source)
    tree = parse_cell(source)
    namespace: dict = {"__name__": "__main__"}
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102  (the course's own cells)
    value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None  # noqa: S307
    return value, namespace


@pytest.mark.parametrize("path, index, exercise_id, source", EXERCISE_CELLS, ids=[e[2] for e in EXERCISE_CELLS])
def test_each_exercise_cell_stands_alone_untouched(path, index, exercise_id, source):
    assert "from bplab.exercises import" in source
    value, _ = run_alone(source)
    assert isinstance(value, Feedback) and value.verdict == NOT_ANSWERED, value


def typed(exercise) -> str:
    """How a learner types the right answer into ``answer = ...``."""
    answer = exercise.correct_answer()
    if exercise.kind == "choice" and set(exercise.options) == {"true", "false"}:
        return f"answer = {answer}"  # true / false, without quotes
    return f"answer = {answer!r}"


@pytest.mark.parametrize("path, index, exercise_id, source",
                         [e for e in EXERCISE_CELLS if CATALOG.get(e[2]).kind != "gradients"],
                         ids=[e[2] for e in EXERCISE_CELLS if CATALOG.get(e[2]).kind != "gradients"])
def test_each_exercise_cell_alone_accepts_the_right_answer(path, index, exercise_id, source):
    reset_hints()
    value, _ = run_alone(source, typed(CATALOG.get(exercise_id)))
    assert isinstance(value, Feedback) and value.verdict == CORRECT, value


@pytest.mark.parametrize("path, index, exercise_id, source", EXERCISE_CELLS, ids=[e[2] for e in EXERCISE_CELLS])
def test_true_false_cells_import_true_and_false(path, index, exercise_id, source):
    exercise = CATALOG.get(exercise_id)
    if exercise.kind == "choice" and set(exercise.options) == {"true", "false"}:
        assert re.search(r"from bplab\.exercises import [^\n]*\btrue, false\b", source)


@pytest.mark.parametrize("path, index, exercise_id, source",
                         [e for e in EXERCISE_CELLS if CATALOG.get(e[2]).kind == "number"],
                         ids=[e[2] for e in EXERCISE_CELLS if CATALOG.get(e[2]).kind == "number"])
def test_the_question_states_the_precision_asked_for(path, index, exercise_id, source):
    cells = json.loads(path.read_text())["cells"]
    question = next("".join(c["source"]) for c in reversed(cells[:index]) if c["cell_type"] == "markdown")
    phrase = CATALOG.get(exercise_id).precision.phrase
    assert phrase.lower() in question.lower(), f"{exercise_id}: the question does not say {phrase!r}:\n{question}"


def test_the_three_layer_exercise_uses_the_notebooks_data():
    [(path, index, _, source)] = [e for e in EXERCISE_CELLS if e[2] == "07.three_layer_backward"]
    _, namespace = run_alone(source)
    X3, labels3, params3 = three_layer_data()
    assert np.array_equal(namespace["X3"], X3) and np.array_equal(namespace["labels3"], labels3)
    assert namespace["params3"].keys() == params3.keys()
    assert all(np.array_equal(namespace["params3"][k], params3[k]) for k in params3)


def test_the_bug_hunt_exercise_uses_the_notebooks_data():
    path = next(p for p in ALL_NOTEBOOKS if p.name.startswith("08_"))
    [source] = [s for _, s in code_cells(path) if "np.random.default_rng(8)" in s]
    import bplab
    from bplab import Value, nn

    namespace = {"np": np, "bplab": bplab, "Value": Value, "nn": nn}
    exec(compile(parse_cell(source), "<cell>", "exec"), namespace)  # noqa: S102
    X, labels, params = bug_hunt_data()
    assert np.array_equal(namespace["X"], X) and np.array_equal(namespace["labels"], labels)
    assert all(np.array_equal(namespace["params"][k], params[k]) for k in params)
    assert list(namespace["params"]) == list(params)
