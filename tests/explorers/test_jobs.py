"""The explorer shell's background jobs: the kernel answers controls while a long computation runs.

These run the widget inside an asyncio event loop, as ipykernel does: a control change starts a
job, whose pieces yield to the loop between them.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from bplab.explorers.playground import Playground

SLOW = dict(batch="1", epochs=0, hidden_layers=2, neurons=8)  # batch 1: each epoch is a real piece of work


def run_async(scenario):
    """``run_async(scenario)`` in a thread of its own (another test's loop may be running in this one)."""
    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(scenario())
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def in_a_kernel(**settings) -> Playground:
    """A playground whose widget runs jobs as it does in a kernel (here: on the test's event loop)."""
    playground = Playground(**settings)
    playground.background = True
    return playground


async def until_done(explorer, timeout: float = 60.0) -> None:
    task = explorer._jobs["task"]
    if task is not None:
        await asyncio.wait_for(asyncio.shield(task), timeout)


def test_a_long_change_runs_as_a_job_that_shows_its_first_frame_and_yields():
    async def scenario():
        playground = in_a_kernel(**SLOW)
        playground.widget()
        ticks = []

        async def other_work():  # stands for the kernel answering other messages
            while True:
                ticks.append(playground.state.run.epochs)
                await asyncio.sleep(0)

        other = asyncio.get_running_loop().create_task(other_work())
        playground._widgets["epochs"].value = 40
        assert playground._jobs["task"] is not None and playground._stop_button.layout.display == "none"
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        first = playground.state.run.epochs
        assert first < 40 and "Working: epoch" in playground.status  # drawn before the job ends
        assert playground._stop_button.layout.display == ""  # it outlasted its first slice: it can be stopped
        await until_done(playground)
        other.cancel()
        assert playground.state.run.epochs == 40 and playground.params["epochs"] == 40
        assert "Working" not in playground.status and playground._stop_button.layout.display == "none"
        assert len(set(ticks)) > 10  # the loop ran other work between the epochs

    run_async(scenario)


def test_a_quick_change_never_shows_the_stop_button(monkeypatch):
    from bplab.explorers import base

    work_slice = base.WORK_SLICE

    async def scenario():
        playground = in_a_kernel(**SLOW)
        playground.widget()
        shown = []
        playground._stop_button.layout.observe(lambda change: shown.append(change["new"]), names="display")
        # a job quicker than one slice of work: a view change (no training, one frame), with the slice made 1 s
        # long so that a frame slowed down by a loaded machine still counts as quick
        monkeypatch.setattr(base, "WORK_SLICE", 1.0)
        playground._widgets["neuron"].value = 2
        await until_done(playground)
        monkeypatch.setattr(base, "WORK_SLICE", work_slice)
        playground._widgets["epochs"].value = 40  # a long one: the button shows, then goes
        await until_done(playground)
        return shown

    assert run_async(scenario) == ["", "none"]


def test_the_newest_change_cancels_the_running_job():
    async def scenario():
        playground = in_a_kernel(**SLOW)
        playground.widget()
        playground._widgets["epochs"].value = 500
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        playground._widgets["epochs"].value = 10  # before the first job got far: it is cancelled
        await until_done(playground)
        assert playground.params["epochs"] == 10 and playground.state.run.epochs == 10
        return playground

    playground = run_async(scenario)
    assert playground._jobs["task"] is None


def test_stop_keeps_the_picture_and_the_run_where_it_got_to():
    async def scenario():
        playground = in_a_kernel(**SLOW)
        playground.widget()
        playground._widgets["epochs"].value = 500
        await asyncio.sleep(0.5)  # a few epochs' time
        playground._stop_button.click()
        await asyncio.sleep(0)
        reached = playground._run.epochs
        assert 0 < reached < 500 and playground._jobs["task"] is None
        assert "Stopped." in playground._status_widget.value and "Working" not in playground._status_widget.value
        assert playground.params["epochs"] == reached == playground._widgets["epochs"].value  # the slider shows it
        playground._widgets["neuron"].value = 2  # a view change continues nothing and retrains nothing
        await until_done(playground)
        assert playground._run.epochs == reached

    run_async(scenario)


def test_an_error_inside_a_job_is_shown_in_the_explorer():
    async def scenario():
        playground = in_a_kernel(**SLOW)
        playground.widget()

        def broken_state(*args, **kwargs):
            raise RuntimeError("a planted failure while drawing a frame")

        playground._state = broken_state
        playground._widgets["epochs"].value = 5
        await until_done(playground)
        assert "a planted failure while drawing a frame" in playground._error_widget.value
        assert playground._stop_button.layout.display == "none"

    run_async(scenario)


def test_buttons_request_jobs_in_the_widget_and_update_at_once_elsewhere():
    playground = in_a_kernel(**SLOW)
    playground.train_more(3)  # no widget: at once
    assert playground.params["epochs"] == 3 and playground._run.epochs == 3

    async def scenario():
        playground.widget()
        playground.train_more(5)
        assert playground._jobs["task"] is not None
        await until_done(playground)
        assert playground.params["epochs"] == 8 and playground._run.epochs == 8

    run_async(scenario)


@pytest.mark.parametrize("epochs", [0, 7])
def test_update_is_still_synchronous_and_complete(epochs):
    playground = Playground(**SLOW)
    playground.update(epochs=epochs)
    assert playground.state.run.epochs == epochs and "Working" not in playground.status


def test_outside_a_kernel_a_widget_change_is_computed_at_once_even_with_a_loop_running():
    async def scenario():
        playground = Playground(**SLOW)  # background=None: no IPython kernel here
        playground.widget()
        playground._widgets["epochs"].value = 3
        assert playground._jobs["task"] is None and playground.state.run.epochs == 3

    run_async(scenario)


def test_a_job_sends_the_next_frame_only_after_the_browser_drew_the_last(monkeypatch):
    """Frames sent faster than the browser draws them queue up, and a control's answer then waits behind all
    of them: a running job waits for plotly.js's report that it drew the last frame (or for BROWSER_WAIT_LIMIT)."""
    from bplab.explorers import base

    monkeypatch.setattr(base, "BROWSER_WAIT_LIMIT", 60.0)  # longer than this test: only the reports pace the frames

    async def scenario():
        playground = in_a_kernel(**SLOW)
        playground.redraw_interval = 0.0  # only the browser's reports pace the frames here
        playground.widget()
        live = playground._figure_widget
        sent = []
        original = live.plotly_update
        live.plotly_update = lambda *args, **kwargs: (sent.append(live._last_trace_edit_id), original(*args, **kwargs))
        playground._widgets["epochs"].value = 1000
        for _ in range(30):  # no browser: after the first frame, nothing is sent while the job runs
            await asyncio.sleep(0.02)
        assert playground._jobs["task"] is not None, "the job ended too soon to test anything"
        assert len(sent) == 1, sent
        for _ in range(4):  # the browser reports each frame drawn: the next one follows
            live._js2py_traceDeltas = {"trace_deltas": [], "trace_edit_id": live._last_trace_edit_id}
            before = len(sent)
            for _ in range(100):
                await asyncio.sleep(0.01)
                if len(sent) > before:
                    break
            assert len(sent) == before + 1, sent
        playground._stop_button.click()

    run_async(scenario)


def test_a_browser_that_never_reports_still_gets_a_frame_every_wait_limit(monkeypatch):
    from bplab.explorers import base

    monkeypatch.setattr(base, "BROWSER_WAIT_LIMIT", 0.15)

    async def scenario():
        playground = in_a_kernel(**SLOW)
        playground.redraw_interval = 0.0
        playground.widget()
        live = playground._figure_widget
        sent = []
        original = live.plotly_update
        live.plotly_update = lambda *args, **kwargs: (sent.append(1), original(*args, **kwargs))
        playground._widgets["epochs"].value = 1000
        await asyncio.sleep(0.8)
        assert playground._jobs["task"] is not None, "the job ended too soon to test anything"
        playground._stop_button.click()
        return len(sent)

    frames = run_async(scenario)
    # one at once, then one per 0.15 s of silence (give or take a piece); unpaced, every epoch would send one (~20-40)
    assert 2 <= frames <= 8, frames
