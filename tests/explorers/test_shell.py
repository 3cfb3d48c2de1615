"""The explorer shell: pure updates, validated settings, widgets that redraw, errors shown in place."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from bplab.explorers import Choice, Explorer, Slider, Toggle, WelcomeExplorer


class Parabola(Explorer):
    """A tiny explorer for testing the shell: y = a x^2 on a grid; fails on purpose when a = 0."""

    title = "test parabola"
    controls = {
        "a": Slider("curvature a", -2.0, 2.0, step=0.5),
        "rate": Slider("learning rate", 1e-3, 1.0, log=True),
        "points": Slider("points", 3, 50, integer=True),
        "kind": Choice("kind", ("plain", "shifted")),
        "show": Toggle("show markers"),
    }
    defaults = {"a": 1.0, "rate": 0.1, "points": 11, "kind": "plain", "show": False}

    def compute(self, a, rate, points, kind, show):
        if a == 0:
            raise ValueError("a flat curve has no bottom: choose a non-zero curvature")
        x = np.linspace(-1, 1, points)
        return {"x": x, "y": a * x**2 + (1.0 if kind == "shifted" else 0.0), "show": show}

    def draw(self, state):
        mode = "lines+markers" if state["show"] else "lines"
        return go.Figure(go.Scatter(x=state["x"], y=state["y"], mode=mode))

    def describe(self, state):
        return f"{len(state['x'])} points"


def test_update_is_pure_and_needs_no_browser():
    explorer = Parabola()
    figure = explorer.update(a=2.0, points=5)
    assert isinstance(figure, go.Figure)
    assert list(figure.data[0].y) == pytest.approx([2.0, 0.5, 0.0, 0.5, 2.0])
    assert explorer.params["a"] == 2.0 and explorer.status == "5 points"
    explorer.update(kind="shifted")  # other settings are kept
    assert list(explorer.figure.data[0].y)[0] == pytest.approx(3.0)


def test_constructor_arguments_are_the_starting_state():
    explorer = Parabola(a=-1.5, points=7)
    assert explorer.params == {"a": -1.5, "rate": 0.1, "points": 7, "kind": "plain", "show": False}
    assert repr(explorer).startswith("Parabola(a=-1.5")


@pytest.mark.parametrize(
    "settings, error, message",
    [
        ({"a": 5.0}, ValueError, r"a: expected a number between -2 and 2 \(curvature a\), got 5.0"),
        ({"a": "big"}, TypeError, r"a: expected a number between -2 and 2, got 'big'"),
        ({"points": 2.5}, ValueError, "points: expected a whole number"),
        ({"kind": "odd"}, ValueError, r"kind: expected one of 'plain', 'shifted', got 'odd'"),
        ({"show": 1}, TypeError, "show: expected True or False"),
        ({"speed": 1}, TypeError, r"unknown setting 'speed'; its settings are a, rate"),
    ],
)
def test_bad_settings_name_the_setting_and_the_range(settings, error, message):
    with pytest.raises(error, match=message):
        Parabola(**settings)


def test_widget_has_labelled_controls_and_a_log_slider():
    import ipywidgets as widgets

    box = Parabola().widget()
    assert isinstance(box, widgets.VBox)
    controls = Parabola().widget().children[1].children
    labels = [c.description for c in controls]
    assert labels == ["curvature a", "learning rate", "points", "kind", "show markers"]
    assert isinstance(controls[1], widgets.FloatLogSlider)
    assert isinstance(controls[2], widgets.IntSlider)


def test_moving_a_slider_redraws_the_figure_widget():
    explorer = Parabola()
    box = explorer.widget()
    live = box.children[-1]
    assert isinstance(live, go.FigureWidget)
    explorer._widgets["a"].value = -2.0
    assert live.data[0].y[0] == pytest.approx(-2.0)
    explorer._widgets["show"].value = True
    assert live.data[0].mode == "lines+markers"
    assert "11 points" in explorer._status_widget.value


def test_an_error_in_an_update_is_shown_in_the_explorer_and_the_last_picture_stays():
    explorer = Parabola()
    box = explorer.widget()
    live = box.children[-1]
    before = list(live.data[0].y)
    explorer._widgets["a"].value = 0.0
    assert "Could not update: a flat curve has no bottom" in explorer._error_widget.value
    assert list(live.data[0].y) == before
    explorer._widgets["a"].value = 1.5  # a good setting clears the message
    assert explorer._error_widget.value == ""


def test_welcome_explorer_shows_backprops_slope():
    explorer = WelcomeExplorer()
    assert explorer.state.cost == pytest.approx(0.49)
    assert explorer.state.slope == pytest.approx(2.1)  # the one-weight example
    assert "+2.1000" in explorer.status and "smaller" in explorer.status
    explorer.update(w=0.0)
    assert explorer.state.slope == pytest.approx(-1.5) and "bigger" in explorer.status
    tangent = explorer.figure.data[1]
    assert (tangent.y[1] - tangent.y[0]) / (tangent.x[1] - tangent.x[0]) == pytest.approx(-1.5)


def test_browser_safe_figures_hold_no_numpy_array_and_the_same_numbers():
    """NumPy arrays in a trace break plotly's merge of the browser's defaults inside the kernel: lists only."""
    import numpy as np
    import plotly.graph_objects as go

    from bplab.explorers.base import browser_safe

    z = np.arange(6.0).reshape(2, 3)
    figure = go.Figure([go.Heatmap(z=z, x=np.array([0.0, 1.0, 2.0])),
                        go.Scatter(x=np.arange(3.0), y=np.ones(3), mode="markers",
                                   marker=dict(color=np.array([0.1, 0.5, 0.9]), line=dict(width=np.array([1.0, 2.0, 3.0]))))])
    safe = browser_safe(figure)

    def arrays_in(value):
        if isinstance(value, np.ndarray):
            return 1
        if isinstance(value, dict):
            return sum(arrays_in(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return sum(arrays_in(v) for v in value)
        return 0

    assert arrays_in([trace.to_plotly_json() for trace in figure.data]) > 0  # the test's figure has arrays to remove
    assert arrays_in([trace.to_plotly_json() for trace in safe.data]) == 0
    assert [list(row) for row in safe.data[0].z] == z.tolist()
    assert list(safe.data[1].marker.color) == [0.1, 0.5, 0.9] and list(safe.data[1].marker.line.width) == [1.0, 2.0, 3.0]
    assert safe.layout == figure.layout


def test_figure_changes_lists_only_what_changed_as_plotly_paths():
    from bplab.explorers.base import figure_changes

    before = {"x": [1, 2], "marker": {"color": "red", "size": 7}, "name": "a", "uid": "u1"}
    after = {"x": [1, 2], "marker": {"color": "blue", "size": 7}, "line": {"width": 2}, "uid": "u2"}
    assert figure_changes(before, after, skip=("uid",)) == {"marker.color": "blue", "line": {"width": 2}, "name": None}
    assert figure_changes(after, after) == {}


def _live_json(explorer):
    from bplab.explorers.base import _lists_inside

    live = explorer._figure_widget
    traces = [{k: v for k, v in _lists_inside(t.to_plotly_json()).items() if k != "uid"} for t in live.data]
    return traces, _lists_inside(live.layout.to_plotly_json())


@pytest.mark.parametrize("explorer_class, changes", [
    # the first change only chooses what to show; then a new dataset, a deeper network (more traces)
    ("playground.Playground", [dict(neuron=2), dict(neuron=3), dict(dataset="spirals"), dict(hidden_layers=3), dict(neuron=1)]),
    ("line_classifier.LineClassifier", [dict(epochs=1), dict(epochs=5), dict(epochs=0), dict(rate=0.5)]),
    # saddle -> ravine keeps the traces' number and types, but a marker-only trace becomes a line: "line" and
    # "line.color" in one restyle, which plotly.js refuses as a whole ("cannot set ... and a parent attribute")
    ("optimizer_race.OptimizerRace", [dict(rate=0.5), dict(landscape="tilted ravine"), dict(landscape="saddle"),
                                      dict(landscape="ravine"), dict(show_sgd=False), dict(steps=200)]),
])
def test_the_live_figure_gets_only_the_changes_and_ends_equal_to_the_drawn_figure(explorer_class, changes):
    import importlib

    from bplab.explorers.base import browser_safe_traces, _lists_inside

    module, name = explorer_class.split(".")
    explorer = getattr(importlib.import_module(f"bplab.explorers.{module}"), name)()
    explorer.widget()
    sent = []
    original = explorer._figure_widget.plotly_update
    explorer._figure_widget.plotly_update = lambda **kwargs: (sent.append(kwargs), original(**kwargs))[1]
    for change in changes:
        assert set(change) <= set(explorer.controls), change
        explorer.update(**change)
        traces, layout = _live_json(explorer)
        expected = [{k: v for k, v in t.items() if k != "uid"} for t in browser_safe_traces(explorer.figure)]
        assert traces == expected
        assert layout == _lists_inside(explorer.figure.layout.to_plotly_json())
    for update in sent:  # never a container in one trace and a part of it in another, in one restyle
        paths = set(update["restyle_data"] or {})
        assert not [p for p in paths if any(p[:k] in paths for k, c in enumerate(p) if c == ".")], update["restyle_data"].keys()
    partial = [s for s in sent if s["restyle_data"] or s["relayout_data"]]
    if explorer_class.startswith("playground"):  # a view change sends the neuron's heatmap (its values and colour
        first = partial[0]                          # range), its frame in the diagram and a title, not all the traces
        assert len(first["trace_indexes"]) == 2 and set(first["restyle_data"]) <= {"z", "zmin", "zmax", "y"}
        assert set(first["relayout_data"]) == {"annotations"}


class Segments(Explorer):
    """A tiny explorer whose second slider's limit follows the first setting: at most ``layers`` segments."""

    title = "test segments"
    controls = {"layers": Slider("layers", 2, 20, integer=True), "segments": Slider("segments", 1, 20, integer=True)}
    defaults = {"layers": 10, "segments": 8}
    follow_settings = ("segments",)

    def limits_from_settings(self, settings):
        return {"segments": settings["layers"]}

    def compute(self, layers, segments):
        return {"layers": layers, "segments": segments}

    def draw(self, state):
        return go.Figure(go.Bar(x=[state["layers"]], y=[state["segments"]]))


def test_a_limit_that_follows_another_setting_is_checked_lowers_the_slider_and_moves_its_maximum():
    explorer = Segments()
    explorer.update(layers=5)  # segments 8 > 5 layers: the following slider drops to its new largest value
    assert explorer.params == {"layers": 5, "segments": 5}
    with pytest.raises(ValueError, match=r"segments: expected a number between 1 and 3 \(segments\), got 4"):
        explorer.update(layers=3, segments=4)  # set explicitly above the limit: an error naming it, not a silent change
    with pytest.raises(ValueError, match=r"layers: expected a number between 2 and 20 \(layers\), got 30"):
        explorer.update(layers=30)  # the setting followed is checked first, by its own control
    explorer.update(layers=12)  # a larger limit leaves the slider where it was
    assert explorer.params == {"layers": 12, "segments": 5}
    explorer.widget()
    assert explorer._widgets["segments"].max == 12
    explorer._widgets["layers"].value = 4
    assert explorer._widgets["segments"].max == 4 and explorer._widgets["segments"].value == 4
    assert explorer.params == {"layers": 4, "segments": 4}


def test_an_error_keeps_its_line_breaks_so_the_caret_points_at_the_character():
    from bplab.explorers.base import error_html

    shown = error_html(ValueError("could not read the formula at column 1; write 2*x, not 2x\n    2x\n    ^"))
    assert "Could not update: could not read the formula at column 1; write 2*x, not 2x</div>" in shown
    assert '<pre style="margin:2px 0; font-size:13px">    2x\n    ^</pre>' in shown
    one_line = error_html(ValueError("w: expected a number between 0 and 1, got 5 & more"))
    assert "<pre" not in one_line and "got 5 &amp; more" in one_line


def test_a_text_box_refuses_a_value_that_is_not_text_by_name():
    from bplab.explorers.base import TextBox

    with pytest.raises(TypeError, match=r"^values: expected text, got 3\.5$"):
        TextBox("values").check("values", 3.5)
    assert TextBox("values").check("values", "x=1") == "x=1"


def test_a_browser_safe_figure_keeps_its_layout():
    import plotly.graph_objects as go

    from bplab.explorers.base import browser_safe

    figure = go.Figure(go.Scatter(x=np.arange(3), y=np.arange(3.0)), layout=dict(title="loss", height=321))
    safe = browser_safe(figure)
    assert safe.layout.title.text == "loss" and safe.layout.height == 321
    assert list(safe.data[0].x) == [0, 1, 2] and not isinstance(safe.data[0].x, np.ndarray)


def test_an_explorer_that_computes_nothing_says_what_it_must_define():
    class Bare(Explorer):
        title = "nothing"
        controls = {"x": Slider("x", 0, 1)}
        defaults = {"x": 0.5}

        def draw(self, state):
            return go.Figure()

        def describe(self, state):
            return ""

    with pytest.raises(NotImplementedError, match=r"^Bare must define compute\(\*\*params\) or compute_steps\(\*\*params\)$"):
        Bare.__new__(Bare).compute(x=0.5)  # (Bare() itself refuses too: its first update computes)

    class Empty(Bare):
        def compute_steps(self, **params):
            yield from ()

    with pytest.raises(RuntimeError, match=r"^Empty\.compute_steps yielded no frame; it must yield at least one, "
                                           r"the last being the finished state$"):
        Empty.__new__(Empty).compute(x=0.5)


def test_a_slider_limited_twice_takes_the_lower_limit():
    class Twice(Explorer):
        title = "twice"
        controls = {"x": Slider("x", 0, 10)}
        defaults = {"x": 1.0}
        follow_settings = ("x",)

        def compute(self, x):
            return x

        def draw(self, state):
            return go.Figure()

        def describe(self, state):
            return ""

        def slider_limits(self, state):
            return {"x": 5.0}

        def limits_from_settings(self, settings):
            return {"x": 8.0}

    assert Twice()._limits(None) == {"x": 5.0}
    with pytest.raises(ValueError, match=r"^x: expected a number between 0 and 5"):
        Twice(x=7.0)  # under the settings' limit of 8, above the state's 5


def test_unknown_settings_are_all_named_with_the_explorers_own_settings():
    with pytest.raises(TypeError, match=r"^WelcomeExplorer: unknown setting 'speed', 'zoom'; its settings are "):
        WelcomeExplorer(zoom=2, speed=1)


def test_an_explorer_with_compute_only_is_one_piece_and_shows_its_widget(monkeypatch):
    import IPython.display

    class Square(Explorer):
        title = "square"
        controls = {"x": Slider("x", 0, 10)}
        defaults = {"x": 3.0}
        power = 2  # read through self: the one piece calls compute on this explorer

        def compute(self, x):
            return x ** self.power

        def draw(self, state):
            return go.Figure()

        def describe(self, state):
            return f"{state:g}"

    square = Square()
    frames = list(square.compute_steps(x=4.0))
    assert len(frames) == 1 and frames[0]() == 16.0  # the default: the whole compute() as one piece
    assert square.compute(x=5.0) == 25.0 and square.progress(25.0) == ""
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    square._ipython_display_()  # what a notebook cell ending in the explorer shows
    assert len(shown) == 1 and "square" in shown[0].children[0].value  # the explorer's own widget, titled
