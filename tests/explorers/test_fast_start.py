"""The first explorer does not pay for the IRI grammar, and IRI validation still works the same."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")


def run_fresh(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_explorer_widget_leaves_the_iri_grammar_unimported():
    result = run_fresh(
        "import json, sys\n"
        "from bplab.explorers import WelcomeExplorer\n"
        "WelcomeExplorer().widget\n"
        "import jsonschema._format\n"  # the format checkers are imported by then (plotly -> nbformat -> jsonschema)
        "module = sys.modules['rfc3987_syntax']\n"
        "print(json.dumps({'stand_in': type(module).__name__, 'lark': 'lark' in sys.modules}))\n"
    )
    assert result == {"stand_in": "_StandIn", "lark": False}


def test_iri_checks_answer_as_the_real_module_does():
    cases = ["http://example.com/ü", "http://ex ample.com/", "urn:isbn:0451450523", "::not an iri::", "/relative/ü"]
    code = (
        "import json, sys\n"
        "{setup}"
        "from jsonschema import Draft7Validator\n"
        "answers = {{}}\n"
        "for fmt in ('iri', 'iri-reference'):\n"
        "    checker = Draft7Validator({{'format': fmt}}, format_checker=Draft7Validator.FORMAT_CHECKER)\n"
        "    answers[fmt] = [checker.is_valid(text) for text in {cases!r}]\n"
        "import rfc3987_syntax\n"
        "answers['names'] = sorted(n for n in ('is_valid_syntax', 'RFC3987_SYNTAX_GRAMMAR') if hasattr(rfc3987_syntax, n))\n"
        "answers['module'] = type(sys.modules['rfc3987_syntax']).__name__\n"
        "print(json.dumps(answers))\n"
    )
    real = run_fresh(code.format(setup="", cases=cases))
    deferred = run_fresh(code.format(setup="import bplab.explorers\n", cases=cases))
    assert deferred["module"] == "module"  # the first check imported the real module in place of the stand-in
    assert deferred == real
    assert real["iri"] != [True] * len(cases)  # the cases tell valid from invalid: the comparison means something


def test_nothing_is_installed_once_the_format_checkers_hold_the_real_function():
    result = run_fresh(
        "import json, sys\n"
        "import jsonschema._format\n"
        "from bplab.explorers.fast_start import defer_iri_grammar\n"
        "print(json.dumps({'installed': defer_iri_grammar()}))\n"
    )
    assert result == {"installed": False}
