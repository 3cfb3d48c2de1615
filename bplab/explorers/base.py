r"""The explorer shell: a pure ``update(**params)`` and a thin widget around it.

An explorer subclass declares its ``controls`` (labelled sliders, menus, checkboxes) with
defaults, and writes three pure methods:

* ``compute(**params) -> state``: the numbers (train, differentiate, ...);
* ``draw(state) -> go.Figure``: the picture;
* ``describe(state) -> str``: one or two sentences for the status line (HTML allowed).

``explorer.update(w=0.3)`` runs them without any browser (tests and benchmarks call it).

Conventions every explorer follows (write a new one the same way):

* one class per explorer, named after what it shows; its docstring opens with the call that
  builds it with its defaults, e.g. ``OneWeightExplorer(rate=0.1, w0=0.8, steps=20)``;
* every knob the learner turns is a control, declared once on the class (``controls`` and
  ``defaults``); the constructor's keyword arguments are the controls' starting values, so an
  instructor can hand out an exact starting state;
* settings that fix the data rather than the lesson are constructor-only keyword arguments
  with the same names everywhere: ``points`` (how many examples) and ``seed``, checked with
  :func:`bplab.validation.whole_number`; a seed the lesson asks the learner to vary is a control
  named ``seed`` instead;
* a limit that depends on the state (the number of examples, the last step of a graph) comes
  from :meth:`Explorer.slider_limits`, one that follows another setting (the layers chosen limit
  the segments) from :meth:`Explorer.limits_from_settings` with the controls it limits named in
  ``follow_settings``; never from replacing ``controls`` on an instance;
* work longer than about one frame (training) is written as :meth:`Explorer.compute_steps`, pieces
  of a few tens of milliseconds that yield frames, with :meth:`Explorer.progress` ("epoch 340 of
  1,000") and :meth:`Explorer.reached` (where the controls go when the learner stops); the widget
  runs them as a background job on the kernel's event loop (one thread: plotly's FigureWidget and
  ipywidgets are not thread-safe), and ``update()`` runs them to the end, synchronously;
* buttons call :meth:`Explorer.request`, never a loop of updates;
* ``compute``, ``draw`` and ``describe`` are pure: no widgets, no printing; numerics come from the
  package (:mod:`bplab.kernels`, :mod:`bplab.divergence`), never written again in an explorer;
* learning rates are logarithmic sliders labelled "(logarithmic)"; every control has a label;
  colours come from :data:`bplab.plots.PALETTE` (colour-blind safe);
* bad settings raise an error that names the setting, says what was expected and what came;
  the widget shows it in the explorer's error line.
``explorer.widget()`` (or just leaving ``explorer`` last in a cell) shows the sliders and a
plotly ``FigureWidget``; moving a slider calls ``update`` and redraws inside ``batch_update``.
An error inside an update is shown in the explorer as a readable message, never only in the
browser console, and the last good picture stays.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterator, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import Undefined  # plotly's "leave this trace's value alone"

from bplab.explorers.accessible import EXPLORER_CLASS, label_bridge

ERROR_COLOUR = "#B2182B"
WORK_SLICE = 0.03  # seconds of a job's work between two pauses in which the kernel answers the controls
YIELD_PAUSE = 0.005  # seconds of each pause
#: Seconds a running job waits for the browser to report a frame drawn before it sends the next one anyway
#: (a closed tab or a hidden output never reports).
BROWSER_WAIT_LIMIT = 2.0


# ---------------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Slider:
    """A labelled number slider; ``log=True`` for learning rates (steps by factors of 10^step)."""

    label: str
    low: float
    high: float
    step: float | None = None
    log: bool = False
    integer: bool = False
    readout_format: str | None = None

    def check(self, name: str, value: Any, high: float | None = None) -> float | int:
        """``value`` if it lies on the slider (up to ``high`` where the explorer lowers the limit), else an error."""
        high = self.high if high is None else min(self.high, high)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeError(f"{name}: expected a number between {self.low:g} and {high:g}, got {value!r}")
        if self.integer and int(value) != value:
            raise ValueError(f"{name}: expected a whole number between {self.low:g} and {high:g}, got {value!r}")
        if not self.low <= value <= high:
            raise ValueError(f"{name}: expected a number between {self.low:g} and {high:g} ({self.label}), got {value!r}")
        return int(value) if self.integer else float(value)

    def make_widget(self, value: float, continuous_update: bool):
        import ipywidgets as widgets

        common = dict(description=self.label, value=value, continuous_update=continuous_update,
                      style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        if self.log:
            return widgets.FloatLogSlider(base=10, min=math.log10(self.low), max=math.log10(self.high),
                                          step=self.step or 0.05, readout_format=self.readout_format or ".3g", **common)
        if self.integer:
            return widgets.IntSlider(min=int(self.low), max=int(self.high), step=int(self.step or 1), **common)
        return widgets.FloatSlider(min=self.low, max=self.high, step=self.step or (self.high - self.low) / 100,
                                   readout_format=self.readout_format or ".3g", **common)


@dataclass(frozen=True)
class Choice:
    """A labelled menu of options (strings)."""

    label: str
    options: Sequence[str]

    def check(self, name: str, value: Any, high: float | None = None) -> str:
        if value not in self.options:
            raise ValueError(f"{name}: expected one of {', '.join(map(repr, self.options))}, got {value!r}")
        return value

    def make_widget(self, value: str, continuous_update: bool):
        import ipywidgets as widgets

        return widgets.Dropdown(description=self.label, options=list(self.options), value=value,
                                style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))


@dataclass(frozen=True)
class Toggle:
    """A labelled checkbox."""

    label: str

    def check(self, name: str, value: Any, high: float | None = None) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"{name}: expected True or False, got {value!r}")
        return value

    def make_widget(self, value: bool, continuous_update: bool):
        import ipywidgets as widgets

        return widgets.Checkbox(description=self.label, value=value, indent=False)


@dataclass(frozen=True)
class TextBox:
    """A labelled one-line text box, read when the learner presses Enter; subclasses say how to read it."""

    label: str
    expected: ClassVar[str] = "text"

    def read(self, text: str) -> Any:
        """Raise an error that points at the problem when ``text`` cannot be read."""
        return text

    def check(self, name: str, value: Any, high: float | None = None) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{name}: expected {self.expected}, got {value!r}")
        self.read(value)
        return value

    def make_widget(self, value: str, continuous_update: bool):
        import ipywidgets as widgets

        return widgets.Text(description=self.label, value=value, continuous_update=False,
                            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))


@dataclass(frozen=True)
class FormulaBox(TextBox):
    """A text box for a typed formula, read by the safe parser (:func:`bplab.parser.parse`)."""

    expected: ClassVar[str] = "a formula as text, like 'x**2'"

    def read(self, text: str) -> Any:
        from bplab.parser import parse

        return parse(text)  # raises FormulaError (a ValueError) that points at the problem


@dataclass(frozen=True)
class ValuesBox(TextBox):
    """A text box for variable values, ``"x=1.5, y=-2"`` (each value may be a constant like ``pi/4``)."""

    expected: ClassVar[str] = "text like 'x=1.5, y=-2'"

    def read(self, text: str) -> Any:
        from bplab.parser import parse_values

        return parse_values(text)


Control = Slider | Choice | Toggle | TextBox


# ---------------------------------------------------------------------------- figures that survive the browser's round trip


def error_html(exc: Exception) -> str:
    """The explorer's error line: the message as written, its line breaks kept (a formula error's caret ^ sits
    under the character it points at only in a fixed-width font, on its own line)."""
    first, _, rest = str(exc).partition("\n")
    detail = (f'<pre style="margin:2px 0; font-size:13px">{html.escape(rest)}</pre>' if rest.strip() else "")
    return (f'<div style="color:{ERROR_COLOUR}; font-weight:bold">Could not update: {html.escape(first)}</div>{detail}'
            "<div>The picture shows the last setting that worked.</div>")


def _lists_inside(value: Any) -> Any:
    """``value`` with every NumPy array inside it (at any depth) turned into a list."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {key: _lists_inside(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists_inside(item) for item in value]
    return value


def browser_safe_traces(figure: go.Figure) -> list[dict[str, Any]]:
    """The traces of ``figure`` as plain dicts and lists, ready for a FigureWidget (see :func:`browser_safe`).

    Read from the figure's own JSON (``_data``) rather than ``to_plotly_json()``, which deep-copies it first:
    :func:`_lists_inside` builds new containers anyway, and the copy was a fifth of a depth-explorer update.
    """
    return [_lists_inside(trace) for trace in figure._data]


def browser_safe_layout(figure: go.Figure) -> dict[str, Any]:
    """The layout of ``figure`` as plain dicts and lists (a new copy, like :func:`browser_safe_traces`)."""
    return _lists_inside(figure._layout)


_ABSENT = object()


def _dots(path: str) -> list[int]:
    """Where ``path`` has a dot: ``"marker.line.color"`` -> [6, 11] (its parents end there)."""
    return [k for k, char in enumerate(path) if char == "."]


def figure_changes(before: dict[str, Any], after: dict[str, Any], skip: Sequence[str] = (),
                   prefix: str = "") -> dict[str, Any]:
    """What turns the plotly JSON ``before`` into ``after``, as ``{"marker.color": value}`` paths.

    Nested dicts are compared key by key; anything else (a list of numbers, a colour scale, the
    layout's annotations) is one value. A key that went away maps to ``None``, which plotly reads
    as "back to the default". Equal parts cost one comparison, however large.
    """
    changes: dict[str, Any] = {}
    for key in before.keys() | after.keys():
        if key in skip:
            continue
        old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if old == new:
            continue
        path = prefix + key
        if isinstance(old, dict) and isinstance(new, dict):
            changes.update(figure_changes(old, new, prefix=path + "."))
        else:
            changes[path] = None if new is _ABSENT else new
    return changes


def browser_safe(figure: go.Figure) -> go.Figure:
    """``figure`` with plain lists where its traces held NumPy arrays.

    The browser sends each trace's defaults back to the kernel, and plotly merges them by asking
    ``not value`` of the trace's properties: a NumPy array there raises "the truth value of an
    array is ambiguous" inside the kernel (in no cell: in JupyterLab's log console), and the
    figure's Python side is left half-updated. Lists survive that round trip; the explorers'
    arrays are small (a heatmap of a few thousand numbers), so the cost is a millisecond or two.
    """
    return go.Figure(data=browser_safe_traces(figure), layout=figure.layout)


# ---------------------------------------------------------------------------- the shell


class Explorer:
    """Base class of every explorer. Constructor keyword arguments are the starting settings."""

    title: ClassVar[str] = "Explorer"
    controls: ClassVar[dict[str, Control]] = {}
    defaults: ClassVar[dict[str, Any]] = {}
    continuous_update: ClassVar[bool] = True  # False where one update costs more than ~50 ms
    #: Buttons: method name -> label. Each method takes no argument and calls :meth:`request`
    #: (in the widget a background job, elsewhere :meth:`update`).
    actions: ClassVar[dict[str, str]] = {}
    #: The shortest time between two redraws while a job runs (seconds; design.md: at least every 0.25 s).
    redraw_interval: ClassVar[float] = 0.2
    #: Whether widget changes run as background jobs: ``None`` (default) when inside an IPython kernel with a
    #: running event loop; ``True`` wherever a loop runs (the job tests); ``False`` never.
    background: bool | None = None

    def __init__(self, **settings: Any) -> None:
        self.params: dict[str, Any] = {}
        self.state: Any = None
        self.params = self._checked({**self.defaults, **settings})
        # declared here, set before they are read (so other first values change nothing): the figure and
        # the status by the update() below, the widgets by widget()
        self.figure: go.Figure | None = None
        self.status: str = ""
        self._widgets: dict[str, Any] = {}
        self._figure_widget: go.FigureWidget | None = None
        self.update()

    # ------------------------------------------------------------------ to write in a subclass
    def compute(self, **params: Any) -> Any:
        """The state for ``params``; an explorer with long work writes :meth:`compute_steps` instead."""
        frame = None
        for frame in self.compute_steps(**params):
            pass
        if frame is None:
            raise RuntimeError(f"{type(self).__name__}.compute_steps yielded no frame; it must yield at least one, "
                               "the last being the finished state")
        return frame()

    def compute_steps(self, **params: Any) -> Iterator[Callable[[], Any]]:
        """The work of :meth:`compute` cut into pieces of about one frame (tens of milliseconds).

        Yields *frames*: functions of no argument that build the state reached so far (called
        only when that state is drawn, so a frame costs nothing when it is skipped). The last
        frame is the finished state. In the widget, the pieces run as a background job between
        which the kernel answers the controls; the first frame is drawn at once, then one at
        least every :attr:`redraw_interval`. The default is one piece: the whole :meth:`compute`.
        """
        if type(self).compute is Explorer.compute:
            raise NotImplementedError(f"{type(self).__name__} must define compute(**params) or compute_steps(**params)")
        yield lambda: type(self).compute(self, **params)

    def progress(self, state: Any) -> str:
        """While a job runs: how far it is, e.g. ``"epoch 340 of 1,000"`` (default: nothing)."""
        return ""

    def reached(self, state: Any) -> dict[str, Any]:
        """The settings that describe a partly computed ``state`` (when the learner stops a job the
        controls move there, e.g. ``{"epochs": 340}``); default none."""
        return {}

    def draw(self, state: Any) -> go.Figure:
        raise NotImplementedError(f"{type(self).__name__} must define draw(state)")

    def describe(self, state: Any) -> str:
        return ""

    def slider_limits(self, state: Any) -> dict[str, float]:
        """Upper limits this instance puts on its sliders, below the class's (default none).

        ``state`` is the current state, ``None`` while the explorer is being built: a limit fixed
        by the constructor (the number of examples) ignores it; one that follows the state (the
        steps of the current graph) reads it. Settings are checked against these limits, and the
        sliders' maxima follow them.
        """
        return {}

    def inactive_controls(self, params: Mapping[str, Any]) -> set[str]:
        """Controls that change nothing at these settings (the activation of a layer the network does not
        have): the widget greys them out, so no control ever seems to do nothing. Default none."""
        return set()

    #: The controls whose upper limit follows other settings (:meth:`limits_from_settings`).
    follow_settings: tuple[str, ...] = ()

    def limits_from_settings(self, settings: Mapping[str, Any]) -> dict[str, float]:
        """Upper limits of the :attr:`follow_settings` controls, from the other settings (already checked):
        the number of layers chosen limits the checkpointed segments, say. Settings are checked against
        them; a following slider that a change leaves alone drops to its new limit if it is above it; the
        sliders' maxima follow them. Default: none."""
        return {}

    def _limits(self, state: Any, params: Mapping[str, Any] | None = None) -> dict[str, float]:
        """Every upper limit below the class's: :meth:`slider_limits` of ``state`` and
        :meth:`limits_from_settings` of ``params`` (the current settings by default)."""
        limits = dict(self.slider_limits(state))
        if self.follow_settings:
            for name, high in self.limits_from_settings(self.params if params is None else params).items():
                limits[name] = min(high, limits.get(name, high))
        return limits

    # ------------------------------------------------------------------ the pure part
    def _checked(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(settings) - set(self.controls))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unknown setting {', '.join(map(repr, unknown))}; "
                f"its settings are {', '.join(self.controls)}"
            )
        merged = {**self.params, **settings}
        limits = self.slider_limits(self.state)
        checked = {name: control.check(name, merged[name], limits.get(name))
                   for name, control in self.controls.items() if name not in self.follow_settings}
        following = self.limits_from_settings(checked) if self.follow_settings else {}  # (none to follow: never read)
        for name in self.follow_settings:
            high = min(following[name], limits.get(name, following[name]))
            value = merged[name]
            # a value this change does not set is the current one, checked already: a number (at exactly high, >=
            # would set the same value)
            if name not in settings and value > high:
                value = high  # the setting it follows changed: it starts again at its new largest value
            checked[name] = self.controls[name].check(name, value, high)
        return {name: checked[name] for name in self.controls}

    def update(self, **changes: Any) -> go.Figure:
        """Recompute with ``changes`` applied to the current settings; return the new figure."""
        params = self._checked(changes)
        return self._show(params, self.compute(**params))

    def request(self, **changes: Any) -> None:
        """Ask for ``changes``: in a live widget inside a running kernel, as a background job (the
        newest request cancels the one before); elsewhere (tests, scripts, nbval) at once, by :meth:`update`."""
        if self._start_job is None:
            self.update(**changes)
        else:
            self._start_job(changes)

    def _show(self, params: dict[str, Any], state: Any, progress: str = "") -> go.Figure:
        """Make ``state`` (computed for ``params``) the current one: draw it, describe it, redraw the widget."""
        params = dict(params)
        for name, high in self._limits(state, params).items():  # e.g. no step beyond the graph's last one
            params[name] = min(params[name], high)
        figure = self.draw(state)
        status = self.describe(state)
        if progress:
            status = f"<b>Working: {html.escape(progress)}</b> (the picture follows; move any control to start over).<br>{status}"
        self.params, self.state, self.figure, self.status = params, state, figure, status
        if self._on_update is not None:
            self._on_update()
        return figure

    _pushed: tuple[list[dict[str, Any]], dict[str, Any]] = ([], {})  # what the live figure was last sent
    _on_update: Any = None  # set by the widget: redraw after every update, also those an action makes
    _start_job: Any = None  # set by the widget: run a change as a background job

    # ------------------------------------------------------------------ the widget shell
    def widget(self):
        """The interactive view: labelled controls, a status line, an error line and the figure."""
        import ipywidgets as widgets

        self._pushed = (browser_safe_traces(self.figure), browser_safe_layout(self.figure))
        self._figure_widget = go.FigureWidget(data=self._pushed[0], layout=self.figure.layout)
        self._figure_widget.observe(self._frame_drawn, names="_js2py_traceDeltas")
        self._widgets = {
            name: control.make_widget(self.params[name], self.continuous_update)
            for name, control in self.controls.items()
        }
        status = widgets.HTML(value=self._status_html(), layout=widgets.Layout(min_height="2.5em"))
        error = widgets.HTML(value="")
        self._status_widget, self._error_widget = status, error

        syncing = [False]  # True while the widget copies settings back into its controls

        def redraw_controls() -> None:
            syncing[0] = True  # lowering a max can clamp a value: that must not start another update
            try:
                for limited, high in self._limits(self.state).items():
                    self._widgets[limited].max = high
                for name, control_widget in self._widgets.items():
                    if control_widget.value != self.params[name]:
                        control_widget.value = self.params[name]
                inactive = self.inactive_controls(self.params)
                for name, control_widget in self._widgets.items():
                    if control_widget.disabled != (name in inactive):
                        control_widget.disabled = name in inactive
            finally:
                syncing[0] = False

        def redraw() -> None:
            redraw_controls()
            self._push(self.figure)
            status.value = self._status_html()
            error.value = ""

        def show_error(exc: Exception) -> None:  # shown to the learner, never only in the browser console
            error.value = error_html(exc)

        stop = widgets.Button(description="stop", button_style="warning", tooltip="stop the computation; keep the picture",
                              layout=widgets.Layout(width="auto", display="none"))
        jobs: dict[str, Any] = {"task": None}
        self._jobs, self._stop_button = jobs, stop  # for tests: the running job's task, the stop button

        def running(on: bool) -> None:
            stop.layout.display = "" if on else "none"

        def cancel() -> None:
            task = jobs["task"]
            if task is not None and not task.done():
                task.cancel()
            jobs["task"] = None
            running(False)

        async def job(params: dict[str, Any]) -> None:
            """The pieces of the computation, yielding to the kernel between them."""
            try:
                last_drawn, frame, state, drawn_last = 0.0, None, None, False
                slice_started = time.monotonic()
                for frame in self.compute_steps(**params):
                    # the first frame at once; later ones at most every redraw_interval, and only once the browser
                    # has drawn the last: frames sent faster than it draws them queue up, and then a control's
                    # answer waits behind all of them (measured: 1-2 s behind 0.2 s frames that took 0.3 s to draw)
                    drawn_last = state is None or (time.monotonic() - last_drawn >= self.redraw_interval
                                                   and self._browser_caught_up())
                    if drawn_last:
                        state = frame()
                        self._show(params, state, progress=self.progress(state))
                        last_drawn = time.monotonic()
                    if time.monotonic() - slice_started >= WORK_SLICE:
                        # the stop button appears only for a job that outlasts its first slice: a quick update
                        # that showed and hid it would shift the figure below it twice (two repaints of the page)
                        running(True)
                        # a real pause, not sleep(0): ipykernel 7 reads the next control message only when its
                        # loop waits (measured: sleep(0) let a message wait ~200 ms behind 50 ms pieces, 5 ms ~25 ms)
                        await asyncio.sleep(YIELD_PAUSE)
                        slice_started = time.monotonic()
                if frame is not None and not drawn_last:
                    self._show(params, frame())
                elif frame is not None and self.progress(state):  # drawn already: only the status changes
                    self.status = self.describe(state)
                    status.value = self._status_html()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # shown in the explorer, like any update's error
                show_error(exc)
            finally:
                if jobs["task"] is asyncio.current_task():
                    jobs["task"] = None
                    running(False)

        def start_job(changes: dict[str, Any]) -> None:
            """Run ``changes`` as a background job: the newest change cancels the one running."""
            cancel()
            self._stopped = False
            try:
                params = self._checked(changes)
            except Exception as exc:
                show_error(exc)
                return
            loop = self._job_loop()
            if loop is None:  # no kernel (a script or a test driving the widget): at once
                try:
                    self._show(params, self.compute(**params))
                except Exception as exc:
                    show_error(exc)
                return
            jobs["task"] = loop.create_task(job(params))

        def on_change(name: str, change: dict) -> None:
            if syncing[0]:
                return
            start_job({name: change["new"]})

        def on_click(method: str) -> None:
            try:
                getattr(self, method)()
            except Exception as exc:
                show_error(exc)

        def on_stop(_button: Any) -> None:
            cancel()
            if self.state is not None:
                self.params.update(self.reached(self.state))  # the controls show where it stopped
                self.status = self.describe(self.state)
                redraw_controls()
            self._stopped = True  # kept by every later redraw of the status line, until the next change
            status.value = self._status_html()

        stop.on_click(on_stop)
        self._on_update = redraw
        self._start_job = start_job
        redraw_controls()  # the controls' maxima and greyed-out state for the first settings
        for name, control_widget in self._widgets.items():
            control_widget.observe(lambda change, name=name: on_change(name, change), names="value")
        buttons = [stop]
        for method, label in self.actions.items():
            button = widgets.Button(description=label, layout=widgets.Layout(width="auto"))
            button.on_click(lambda _button, method=method: on_click(method))
            buttons.append(button)
        header = widgets.HTML(f"<h4 style='margin:0.2em 0'>{html.escape(self.title)}</h4>")
        controls = widgets.GridBox(list(self._widgets.values()),
                                   layout=widgets.Layout(grid_template_columns="repeat(2, 440px)"))
        box = widgets.VBox([header, controls, widgets.HBox(buttons), status, error, label_bridge(), self._figure_widget])
        box.add_class(EXPLORER_CLASS)  # the label bridge ties each label to its control inside this box
        return box

    def _job_loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop jobs run on: the kernel's (see :attr:`background`), or None to compute at once."""
        if self.background is False:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if self.background is None:  # only an IPython kernel answers controls between a job's pieces
            try:
                from IPython import get_ipython
            except ImportError:
                return None
            shell = get_ipython()
            if shell is None or getattr(shell, "kernel", None) is None:
                return None
        return loop

    _stopped = False  # the learner stopped the last job: the status line says so until the next change

    def _status_html(self) -> str:
        stopped = "<b>Stopped.</b> " if self._stopped else ""
        return f"<div style='font-size:14px'>{stopped}{self.status}</div>"

    _frame_reported: int = 0  # the newest edit the browser reported drawn (plotly's trace_edit_id)
    _pushed_at: float = 0.0  # time.monotonic() of the last push

    def _frame_drawn(self, change: dict[str, Any]) -> None:
        """The browser drew an edit: after drawing, plotly.js sends the traces' defaults tagged with its edit id."""
        message = change["new"]
        if message and isinstance(message.get("trace_edit_id"), int):
            self._frame_reported = max(self._frame_reported, message["trace_edit_id"])

    def _browser_caught_up(self) -> bool:
        """Whether the browser has drawn everything sent (or has not answered for :data:`BROWSER_WAIT_LIMIT`)."""
        live = self._figure_widget
        if live is None or self._frame_reported >= live._last_trace_edit_id:
            return True
        return time.monotonic() - self._pushed_at >= BROWSER_WAIT_LIMIT

    def _push(self, figure: go.Figure) -> None:
        """Send the live FigureWidget what changed since the last push: one message to the browser.

        Only the changed properties travel (a new loss curve, a heatmap's ``z``, a title), set
        through ``plotly_update`` without validating them again: ``figure`` was validated when
        :meth:`draw` built it. A change of the traces' number or types replaces them all, and so does a
        change that sets a container in one trace and a part of it in another (plotly.js refuses those).
        """
        live = self._figure_widget
        if live is None:
            return
        traces = browser_safe_traces(figure)
        layout = browser_safe_layout(figure)
        before_traces, before_layout = self._pushed
        trace_changes = [figure_changes(old, new, skip=("type", "uid")) for old, new in zip(before_traces, traces)]
        paths = {path for changes in trace_changes for path in changes}
        # plotly.js refuses one restyle that sets a container in one trace and a part of it in another ("line" and
        # "line.color": "cannot set line.color and a parent attribute simultaneously") and then applies nothing
        clash = any(path[:end] in paths for path in paths for end in _dots(path))
        if clash or [t.get("type") for t in traces] != [t.get("type") for t in before_traces]:
            with live.batch_update():
                live.data = ()
                live.add_traces(traces)
                live.layout = layout
            self._pushed, self._pushed_at = (traces, layout), time.monotonic()
            return
        indexes = [k for k, changes in enumerate(trace_changes) if changes]
        paths = sorted(paths)
        restyle = {path: [trace_changes[k].get(path, Undefined) for k in indexes] for path in paths}
        relayout = figure_changes(before_layout, layout)
        if restyle or relayout:
            live.plotly_update(restyle_data=restyle, relayout_data=relayout, trace_indexes=indexes)
            self._pushed_at = time.monotonic()
        self._pushed = (traces, layout)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({settings})"
