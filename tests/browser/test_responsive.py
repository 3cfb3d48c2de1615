"""The kernel never freezes: a control moved while the playground trains 1,000 epochs at batch size 1
changes the picture within 3x the time a trivial change takes, measured in the same browser run."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from harness import NotebookRun, open_and_run
from test_harness import write_notebook

NOTEBOOK = [
    "from bplab.explorers.playground import Playground\n\nPlayground(batch='1', epochs=0, rate=0.03)",
]
NEURON = "neuron to map (1st hidden layer)"


def slider(page, label: str):
    return page.locator(".jp-Notebook .widget-slider").filter(has_text=label).first


def neuron_shown(page, k: int) -> str:
    return ("() => [...document.querySelectorAll('.js-plotly-plot')]"
            f".some(p => JSON.stringify(p.layout || {{}}).includes('Neuron {k} of'))")


LOST_PRESSES: list[str] = []  # key presses the slider never took (focus elsewhere): pressed again, and reported


def move_neuron(page, k: int, timeout_s: float = 30.0) -> float:
    """Press the neuron slider's arrow to neuron ``k``; milliseconds until the plot shows that neuron.

    A press the slider did not take (its value unchanged after 5 s: the key went elsewhere, nothing reached the
    kernel) is pressed again once and timed from then; a press the slider took but the plot never showed fails,
    with what the slider and the plot show."""
    handle = slider(page, NEURON).locator(".noUi-handle").first
    for attempt in range(2):
        handle.focus()
        current = int(float(handle.get_attribute("aria-valuenow")))
        started = time.monotonic()
        handle.press("ArrowRight" if k > current else "ArrowLeft")
        try:
            page.wait_for_function(f"(h) => Number(h.getAttribute('aria-valuenow')) === {k}", arg=handle.element_handle(),
                                   timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: the press was lost
            LOST_PRESSES.append(f"to neuron {k} (attempt {attempt + 1})")
    try:
        page.wait_for_function(neuron_shown(page, k), polling="raf", timeout=timeout_s * 1000)
    except Exception as exc:  # noqa: BLE001 - say what the page shows
        shown = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(p => "
                              "((p.layout || {}).title || {}).text || '')")
        raise AssertionError(f"neuron {k}: the slider shows {handle.get_attribute('aria-valuenow')}, the plots' titles "
                             f"{shown}; lost presses {LOST_PRESSES}; status: "
                             f"{page.locator('.jp-Notebook').inner_text()[-400:]!r}") from exc
    return (time.monotonic() - started) * 1000


LOST_STOPS: list[str] = []  # clicks on "stop" that showed no "Stopped." within 10 s: clicked again, and reported


def stop_explorer(page) -> None:
    """Click the explorer's stop button until its status says "Stopped." (a second click only if the first showed
    nothing in 10 s: recorded with what the explorer showed, so a run that needed it says so); fail after two."""
    stop = page.locator(".jp-Notebook button", has_text="stop").first
    for attempt, wait_s in enumerate((10, 30)):
        if attempt and not stop.is_visible():
            break  # the first click hid it (the job ended) but no "Stopped." came: a second click cannot help
        stop.click()
        try:
            page.wait_for_function("() => document.body.innerText.includes('Stopped.')", timeout=wait_s * 1000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: say what the explorer shows
            shown = (f"click {attempt + 1}: kernel errors {page.evaluate('() => window.__bplabKernelErrors || []')}; "
                     f"the explorer shows {page.locator('.jp-Notebook').inner_text()[-500:]!r}")
            LOST_STOPS.append(shown)
    raise AssertionError(f"no 'Stopped.' after two clicks on the stop button: {LOST_STOPS}")


def test_a_control_answers_during_a_long_training_run(tmp_path: Path, chromium, lab_server, artifacts: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "responsive.ipynb", NOTEBOOK)
    server = lab_server(root)
    run = NotebookRun(notebook="responsive.ipynb")
    page = chromium.context.new_page()
    try:
        open_and_run(page, server, "responsive.ipynb", run)
        assert not run.error_outputs, run.error_outputs
        slider(page, NEURON).scroll_into_view_if_needed()

        trivial = [move_neuron(page, k) for k in (2, 3, 2, 3)]  # nothing trains: a view change

        epochs = slider(page, "epochs").locator(".noUi-handle").first
        epochs.focus()
        epochs.press("End")  # to the last epoch, 1,000
        page.wait_for_function("() => document.body.innerText.includes('Working: epoch')", timeout=30_000)

        during = []
        for k in (2, 3, 2, 3):
            during.append(move_neuron(page, k))
            assert "Working: epoch" in page.locator(".jp-Notebook").inner_text(), "the run ended before the control moved"
        stop_explorer(page)
        page.screenshot(path=str(artifacts / "responsive-playground.png"), full_page=True)
        run.kernel_errors = page.evaluate("() => window.__bplabKernelErrors || []")
    finally:
        page.close()
    ratio = statistics.median(during) / statistics.median(trivial)
    print(f"responsiveness: trivial change median {statistics.median(trivial):.0f} ms {trivial}; during a 1,000-epoch "
          f"batch-1 run {statistics.median(during):.0f} ms {during}; ratio {ratio:.2f} (limit 3); "
          f"key presses the slider did not take: {LOST_PRESSES or 'none'}; stop clicks that showed nothing: "
          f"{LOST_STOPS or 'none'}")
    assert not run.kernel_errors, run.kernel_errors
    assert ratio <= 3.0
