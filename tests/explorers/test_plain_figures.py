"""Figures built from plain dicts (bplab/plain_figures.py) are the figures plotly's checks accept.

Explorers skip plotly's per-property checks on every slider move; here every explorer's figure
goes through them, at its defaults and at every option of every menu and toggle, so a misspelt
property or a value plotly refuses still fails.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.utils import PlotlyJSONEncoder
import pytest
from plotly.subplots import make_subplots
from test_accessibility import CLASSES

from bplab.explorers.base import Choice, Toggle
from bplab.plain_figures import Grid, Panels, decade_ticks, heatmap_z, log_axis_values, merge, plain_figure


def checked(figure: go.Figure) -> go.Figure:
    """``figure`` rebuilt with plotly's checks on: raises ValueError on anything plotly refuses, and fails when the
    checks would have written anything differently (``xaxis_title="x"`` for ``xaxis=dict(title=dict(text="x"))``, a
    title given as a bare string, a named colour scale): the browser gets the plain figure as it is."""
    rebuilt = go.Figure(figure.to_dict())
    as_sent, as_checked = (json.loads(json.dumps(f.to_plotly_json(), cls=PlotlyJSONEncoder, sort_keys=True))
                           for f in (figure, rebuilt))
    assert as_sent == as_checked, "the figure differs from what plotly's checks make of it"
    return rebuilt


def other_settings(cls) -> list[dict]:
    """One change per menu option and per toggle: each can switch on traces the defaults do not draw."""
    settings = []
    for name, control in cls.controls.items():
        if isinstance(control, Choice):
            settings += [{name: option} for option in control.options if option != cls.defaults[name]]
        elif isinstance(control, Toggle):
            settings.append({name: not cls.defaults[name]})
    return settings


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_explorer_figure_passes_plotlys_checks(cls) -> None:
    short = {"epochs": max(cls.controls["epochs"].low, 3)} if "epochs" in cls.controls else {}  # what is drawn, not how long
    explorer = cls(**short)
    checked(explorer.figure)
    for change in other_settings(cls):
        checked(explorer.update(**change))


def test_the_check_catches_a_shortcut_the_browser_would_not_read() -> None:
    with pytest.raises(AssertionError, match="differs"):
        checked(plain_figure([dict(type="scatter", x=[0, 1], y=[1, 2])], xaxis_title="x"))
    with pytest.raises(AssertionError, match="differs"):
        checked(plain_figure([dict(type="scatter", x=[0, 1], y=[1, 2])], title="a bare string"))


def test_the_check_catches_a_misspelt_property() -> None:
    planted = plain_figure([dict(type="scatter", x=[0, 1], y=[1, 2], mode="lines", line=dict(colour="red"))])
    with pytest.raises(ValueError, match="colour"):
        checked(planted)


def course_template() -> go.layout.Template:
    """plotly_white with one change: tick labels are not measured to hide those past the figure's edge."""
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.xaxis.ticklabeloverflow = template.layout.yaxis.ticklabeloverflow = "allow"
    return template


def test_a_plain_figure_equals_the_checked_one() -> None:
    """Same JSON as the figure plotly's own builders make: named scales written out, template in place."""
    x = np.linspace(0, 1, 5)
    plain = plain_figure([dict(type="heatmap", x=x, y=x, z=np.outer(x, x), colorscale="Viridis")], title=dict(text="t"))
    built = go.Figure(go.Heatmap(x=x, y=x, z=np.outer(x, x), colorscale="Viridis"))
    built.update_layout(template=course_template(), title=dict(text="t"), font=plain.layout.font, margin=plain.layout.margin,
                        colorway=plain.layout.colorway)
    assert plain.to_plotly_json()["layout"] == built.to_plotly_json()["layout"]
    assert plain.data[0].colorscale == built.data[0].colorscale or \
        [list(stop) for stop in plain.data[0].colorscale] == [list(stop) for stop in built.data[0].colorscale]
    assert np.array_equal(plain.data[0].z, built.data[0].z)


@pytest.mark.parametrize("rows, cols", [(1, 1), (1, 3), (2, 2), (3, 2)])
def test_grid_cells_are_the_cells_of_make_subplots(rows: int, cols: int) -> None:
    titles = [f"cell {k}" for k in range(rows * cols)]
    grid = Grid(rows, cols, titles=titles, horizontal_spacing=0.12)
    reference = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.12)
    for row in range(1, rows + 1):
        for col in range(1, cols + 1):
            reference.add_trace(go.Scatter(x=[0], y=[0]), row=row, col=col)
            trace = reference.data[-1]
            assert grid.axes(row, col) == {"xaxis": trace.xaxis, "yaxis": trace.yaxis}
    expected = reference.to_plotly_json()["layout"]
    expected.pop("template")  # plotly's default; a plain figure takes the course's own
    assert grid.layout == expected


def test_explorer_figures_wear_the_course_template() -> None:
    plain = plain_figure([], Grid(1, 2).layout)
    assert plain.to_plotly_json()["layout"]["template"] == go.Figure(layout=dict(template=course_template())).to_plotly_json()["layout"]["template"]


def test_grid_copies_do_not_share_state() -> None:
    first = Grid(1, 2, titles=("a", "b"))
    first.xaxis(1, 2)["title"] = dict(text="changed")
    second = Grid(1, 2, titles=("c", "d"))
    assert "title" not in second.xaxis(1, 2)
    assert [a["text"] for a in second.layout["annotations"]] == ["c", "d"]


def test_grid_refuses_a_cell_outside_it() -> None:
    with pytest.raises(ValueError, match=r"no cell \(3, 1\) in a grid of 2 rows and 2 columns"):
        Grid(2, 2).axes(3, 1)
    with pytest.raises(ValueError, match="rows and cols must be at least 1"):
        Grid(0, 2)


def test_plain_figure_refuses_a_trace_without_a_type() -> None:
    with pytest.raises(TypeError, match="trace 1 must be a dict with a 'type'"):
        plain_figure([dict(type="scatter"), dict(x=[1])])


def test_merge_is_nested() -> None:
    assert merge({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"c": 4}, "e": 5}) == {"a": {"b": 1, "c": 4}, "d": 3, "e": 5}


def test_the_base_layouts_colours_are_the_palettes_sequence():
    from bplab.plots import BASE_LAYOUT, SEQUENCE

    assert BASE_LAYOUT["colorway"] == SEQUENCE


def test_fixed_margins_cover_every_axis_of_the_grid() -> None:
    grid = Grid(2, 3, titles=("a", "b", "c", "d", "e", "f"))
    grid.yaxis(2, 2)["type"] = "log"
    grid.fix_margins()
    axes = {name: axis for name, axis in grid.layout.items() if name.startswith(("xaxis", "yaxis"))}
    assert len(axes) == 12 and all(axis["automargin"] is False for axis in axes.values())
    assert grid.yaxis(2, 2)["type"] == "log"  # what was set before stays


def test_panels_number_their_axes_in_order_and_title_them_like_make_subplots() -> None:
    panels = Panels({"big": ((0.5, 1.0), (0.4, 1.0)), "small": ((0.0, 0.3), (0.0, 0.3))}, titles={"small": "Loss"})
    assert panels.axes("big") == {"xaxis": "x", "yaxis": "y"} and panels.axes("small") == {"xaxis": "x2", "yaxis": "y2"}
    assert panels.refs("small") == {"xref": "x2", "yref": "y2"}
    assert panels.xaxis("small") == {"domain": [0.0, 0.3], "anchor": "y2", "automargin": False}
    assert panels.yaxis("big") == {"domain": [0.4, 1.0], "anchor": "x", "automargin": False}
    (title,) = panels.layout["annotations"]
    assert (title["text"], title["x"], title["y"], title["yanchor"]) == ("Loss", 0.15, 0.3, "bottom")
    panels.note("big", "nothing yet")
    note = panels.layout["annotations"][-1]
    assert (note["text"], note["x"], note["y"], note["xanchor"], note["yanchor"]) == ("nothing yet", 0.75, 0.7, "center", "middle")
    traces = [dict(type="scatter", x=[0, 1], y=[1, 0], **panels.axes(name)) for name in ("big", "small")]
    checked(plain_figure(traces, panels.layout))  # what plotly's checks accept, as built


@pytest.mark.parametrize("domains, message", [
    ({"a": ((0.5, 0.2), (0, 1))}, "the x domain of panel 'a' must be two fractions 0 <= start < end <= 1; got [0.5, 0.2]"),
    ({"a": ((0, 1), (0, 1.5))}, "the y domain of panel 'a' must be two fractions 0 <= start < end <= 1; got [0, 1.5]"),
    ({"a": ((0, 1), (0,))}, "the y domain of panel 'a' must be two fractions"),
])
def test_panels_refuse_a_domain_outside_the_figure(domains, message) -> None:
    with pytest.raises(ValueError) as error:
        Panels(domains)
    assert message in str(error.value)


def test_panels_refuse_a_name_they_do_not_have() -> None:
    with pytest.raises(ValueError, match="titles name no panel: 'loss'; the panels are a"):
        Panels({"a": ((0, 1), (0, 1))}, titles={"loss": "Loss"})
    with pytest.raises(ValueError, match="no panel 'b'; the panels are a"):
        Panels({"a": ((0, 1), (0, 1))}).axes("b")


def test_heatmap_z_rounds_and_turns_what_json_cannot_carry_into_gaps():
    finite = np.array([[0.12345, -2.0], [1 / 3, 7.0]])
    z = heatmap_z(finite, 2)
    assert isinstance(z, np.ndarray) and z.tolist() == [[0.12, -2.0], [0.33, 7.0]]
    blown_up = np.array([[0.12345, np.nan], [np.inf, -np.inf]])
    assert heatmap_z(blown_up, 3) == [[0.123, None], [None, None]]
    assert json.dumps(heatmap_z(blown_up, 3)) == "[[0.123, null], [null, null]]"


def test_decade_ticks_label_every_decade_until_they_would_crowd():
    assert decade_ticks([0.5, 2.3, 0.06]) == {}  # under 2 decades: plotly's own 2, 3, 5 … (a decade may hold no 10ᵏ)
    assert decade_ticks([0.5, 2.3, 0.01]) == {"dtick": 1}  # 2.4 decades: every power of ten
    assert decade_ticks([1e-3, None, np.nan, 0.0, -4.0, 1e5]) == {"dtick": 1}  # 8 decades: still every one
    assert decade_ticks([1e-3, 1e6]) == {"dtick": 2}  # 9 decades: every second power
    assert decade_ticks([1e-2, np.inf, 1e30]) == {"dtick": 4}  # a blown-up run: 32 decades, 8 steps
    assert decade_ticks([]) == decade_ticks([None, np.nan]) == {"dtick": 1}
    assert decade_ticks(np.array([[1e-8, 1.0], [1e8, 1.0]]), most_labels=4) == {"dtick": 4}


def test_log_axis_values_leave_gaps_where_a_log_axis_has_no_place():
    assert log_axis_values(np.array([2.5, 0.0, -1.0, np.nan, np.inf, 1e-300])) == [2.5, None, None, None, None, 1e-300]
    assert log_axis_values([3]) == [3.0] and isinstance(log_axis_values([3])[0], float)
