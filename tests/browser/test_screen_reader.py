"""A screen reader announces every control of an explorer by its visible label, and a slider by the value
its readout shows; every control is reached and moved with the keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path

from harness import NotebookRun, open_and_run
from test_harness import write_notebook

NOTEBOOK = [
    "from bplab.explorers.playground import Playground\n\nPlayground(epochs=5)",  # sliders, dropdowns, buttons
    "from bplab.explorers.graph_stepper import GraphStepper\n\nGraphStepper()",  # text boxes and a slider
]


def test_every_control_has_its_label_as_its_accessible_name(tmp_path: Path, chromium, lab_server, artifacts: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "accessible.ipynb", NOTEBOOK)
    server = lab_server(root)
    run = NotebookRun(notebook="accessible.ipynb")
    page = chromium.context.new_page()
    try:
        open_and_run(page, server, "accessible.ipynb", run)
        assert not run.error_outputs, run.error_outputs
        explorers = page.locator(".jp-Notebook .bplab-explorer")
        assert explorers.count() == 2
        page.wait_for_function(  # the label bridge has run in both explorers
            "() => [...document.querySelectorAll('.bplab-explorer .noUi-handle')].every(h => h.getAttribute('aria-labelledby'))",
            timeout=30_000,
        )
        unnamed = []
        for k in range(explorers.count()):
            tree = explorers.nth(k).aria_snapshot()
            unnamed += [line.strip() for line in tree.splitlines()
                        if re.match(r"^\s*- (slider|combobox|textbox|button|checkbox)\s*(\[.*\])?:?\s*$", line)]
        assert not unnamed, f"controls without an accessible name: {unnamed}"

        labels = page.locator(".bplab-explorer .widget-slider").all()
        for row in labels:  # the name is the visible label; the value is the readout's, not a float's 17 digits
            handle = row.locator(".noUi-handle")
            label_id = handle.get_attribute("aria-labelledby")
            assert row.locator(f"#{label_id}").inner_text().strip() == row.locator(".widget-label").inner_text().strip()
            assert handle.get_attribute("aria-valuetext") == row.locator(".widget-readout").inner_text().strip()

        neuron = page.locator(".bplab-explorer .widget-slider").filter(has_text="neuron to map").locator(".noUi-handle")
        neuron.focus()  # the keyboard alone moves it, and the new value is announced as the readout shows it
        before = neuron.get_attribute("aria-valuetext")
        neuron.press("ArrowRight")
        page.wait_for_function(
            "(before) => { const h = [...document.querySelectorAll('.bplab-explorer .widget-slider')]"
            ".find(r => r.innerText.includes('neuron to map')).querySelector('.noUi-handle');"
            " return h.getAttribute('aria-valuetext') !== before; }", arg=before, timeout=30_000)
        dataset = page.locator(".bplab-explorer .widget-dropdown").filter(has_text="dataset").locator("select")
        dataset.focus()
        assert page.evaluate("() => document.activeElement.tagName") == "SELECT"
        page.screenshot(path=str(artifacts / "accessible-explorers.png"))
    finally:
        page.close()
