"""The start page in a real browser: it runs without errors and its explorer's plot follows the slider."""

from __future__ import annotations


def test_start_page_in_the_browser(start_page_run) -> None:
    run = start_page_run
    print(run.summary())
    for note in run.notes:
        print("  note:", note)
    problems = run.problems(require_explorer=True)
    assert not problems, "\n".join(problems) + "\n\n" + run.notes[-1]
