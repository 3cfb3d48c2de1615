"""The optimizer race: its gradients three ways, what it draws, and the theory it draws against what it measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from bplab import Value, compare, optim
from bplab.explorers.optimizer_race import (
    LANDSCAPES,
    RACERS,
    RATE_SHOWN,
    SHOW,
    SHOWN_FLOOR,
    SUGGESTED,
    Landscape,
    OptimizerRace,
    best_momentum,
    best_plain_descent,
    heavy_ball_rate,
    nesterov_limit,
    nesterov_rate,
    plain_descent_rate,
    race_path,
)

#: Landscapes as the tests meet them: each with a condition number and a scale that are not the defaults.
CASES = [Landscape("ravine", 50.0, 1.0), Landscape("tilted ravine", 20.0, 3.0), Landscape("Rosenbrock", 50.0, 1.0),
         Landscape("saddle", 50.0, 2.0)]
POINTS = [(-1.2, 1.0), (0.3, -0.7), (1.5, 2.5), (-2.0, 0.01)]


def traces(figure, prefix):
    return [trace for trace in figure.data if (trace.name or "").startswith(prefix)]


def the_trace(figure, prefix):
    [found] = traces(figure, prefix)
    return found


# ------------------------------------------------------------------ every gradient the race uses, three ways


@pytest.mark.parametrize("land", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("point", POINTS)
def test_the_closed_form_gradient_agrees_with_sympy_backprop_and_central_differences(land, point):
    result = compare(lambda x, y: land.loss(x, y), at={"x": point[0], "y": point[1]})
    assert result.ok, repr(result)  # SymPy, backprop and central differences agree with each other
    closed_form = land.gradient(np.array(point))
    for k, name in enumerate("xy"):
        row = result[name]
        for route in (row.symbolic, row.backprop, row.numeric):
            assert float(route) == pytest.approx(closed_form[k], rel=1e-6, abs=1e-6 * land.scale)


def test_sympys_gradients_are_the_formulas_the_lesson_writes():
    x, y, kappa, c = sympy.symbols("x y kappa c", real=True)
    ravine = c / 2 * (x**2 / kappa + y**2)
    assert [sympy.simplify(sympy.diff(ravine, v) - g) for v, g in ((x, c * x / kappa), (y, c * y))] == [0, 0]
    rosenbrock = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    assert sympy.expand(sympy.diff(rosenbrock, x) - (-2 * (1 - x) - 400 * x * (y - x**2))) == 0
    assert sympy.expand(sympy.diff(rosenbrock, y) - 200 * (y - x**2)) == 0
    saddle = x**2 / 2 + y**4 / 4 - y**2 / 2
    assert sympy.diff(saddle, x) == x and sympy.expand(sympy.diff(saddle, y) - (y**3 - y)) == 0
    assert sympy.solve([sympy.diff(saddle, x), sympy.diff(saddle, y)], [x, y], dict=True) == [
        {x: 0, y: -1}, {x: 0, y: 0}, {x: 0, y: 1}]  # two minima and the saddle point between them


@pytest.mark.parametrize("name", ["ravine", "tilted ravine"])
def test_the_quadratics_hessian_and_eigenvalues(name):
    land = Landscape(name, kappa=40.0, scale=2.5)
    x, y = sympy.symbols("x y")
    hessian = sympy.hessian(land.loss(x, y), (x, y))
    assert np.allclose(np.array(hessian, dtype=float), land.hessian(), atol=1e-12)
    assert np.allclose(np.linalg.eigvalsh(land.hessian()), sorted(land.eigenvalues))
    assert land.eigenvalues == pytest.approx((2.5 / 40.0, 2.5))
    assert np.allclose(land.gradient(np.array([0.4, -1.1])), land.hessian() @ [0.4, -1.1])


def test_the_tilted_ravine_is_turned_off_the_axes():
    hessian = Landscape("tilted ravine", kappa=50.0).hessian()
    assert hessian[0, 0] == pytest.approx(hessian[1, 1]) and abs(hessian[0, 1]) > 0.4  # equal diagonal: per-coordinate scaling sees no ravine
    assert np.allclose(Landscape("ravine", kappa=50.0).hessian(), np.diag([1 / 50, 1.0]))


# ------------------------------------------------------------------ what it draws


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_every_path_starts_at_the_start_point(landscape):
    race = OptimizerRace(landscape=landscape, x0=0.55, y0=-0.73)
    assert set(race.state.paths) == set(RACERS)
    for key, path in race.state.paths.items():
        assert tuple(path.points[0]) == (0.55, -0.73)
        drawn = [t for t in traces(race.figure, RACERS[key][0]) if t.xaxis == "x"][0]
        assert (drawn.x[0], drawn.y[0]) == (0.55, -0.73)
    start = the_trace(race.figure, "start")
    assert (start.x[0], start.y[0]) == (0.55, -0.73)


@pytest.mark.parametrize("land", CASES, ids=[c.name for c in CASES])
def test_the_losses_fall_for_a_small_learning_rate(land):
    settings = dict(rate=2e-4 / land.scale, adaptive_rate=2e-3, momentum=0.5, beta1=0.9, beta2=0.999)
    for key in RACERS:
        path = race_path(land, key, (-1.2, 0.8), 60, settings)
        losses = np.array([land.loss(x, y) for x, y in path.points])
        assert path.diverged_at is None and len(losses) == 61
        assert losses[-1] < losses[0], key
        if key == "sgd":  # a small enough step never goes uphill
            assert np.all(np.diff(losses) < 0)


def test_plain_descent_diverges_above_two_over_lambda_max_and_the_status_says_so():
    race = OptimizerRace(kappa=50.0, rate=2.2)
    sgd = race.state.paths["sgd"]
    assert sgd.diverged_at is not None
    assert "Plain descent diverges: η = 2.2 is above 2/λ<sub>max</sub> = 2" in race.status
    assert f"SGD at step {sgd.diverged_at}" in race.status
    race.update(rate=1.9)
    sgd = race.state.paths["sgd"]
    assert sgd.diverged_at is None and sgd.distances[-1] < sgd.distances[0]
    assert "diverges above 2/λ<sub>max</sub> = 2." in race.status and "Plain descent diverges:" not in race.status


def test_a_diverging_path_is_drawn_until_it_leaves_the_picture():
    race = OptimizerRace(rate=2.5)
    sgd, adam = race.state.paths["sgd"], race.state.paths["adam"]
    [sgd_on_map] = [t for t in race.figure.data if t.name == "SGD" and t.xaxis == "x"]
    [adam_on_map] = [t for t in race.figure.data if t.name == "Adam" and t.xaxis == "x"]
    assert sgd.diverged_at is not None and 2 <= len(sgd_on_map.x) < len(sgd.points)
    out = [abs(x) > 2.5 + 2.5 or abs(y) > 1.6 + 1.6 for x, y in zip(sgd_on_map.x, sgd_on_map.y)]  # half a view beyond it
    assert out[-1] and not any(out[:-1])  # one line out of the picture, then no more
    assert len(adam_on_map.x) == len(adam.points) == 101  # a racer that did not diverge is drawn whole


@pytest.mark.parametrize("scale", [0.5, 1.0, 30.0])
def test_the_shaded_region_starts_at_two_over_lambda_max(scale):
    race = OptimizerRace(scale=scale, kappa=10.0)
    limit = 2.0 / scale  # lambda_max = c
    [shaded] = [shape for shape in race.figure.layout.shapes if shape.type == "rect"]
    assert shaded.x0 == pytest.approx(limit) and shaded.x1 >= 3 * limit and shaded.xref == "x3"
    just_over, just_under = OptimizerRace(scale=scale, kappa=10.0, rate=1.05 * limit), OptimizerRace(scale=scale, kappa=10.0, rate=0.95 * limit)
    assert just_over.state.paths["sgd"].diverged_at is not None and "Plain descent diverges" in just_over.status
    assert just_under.state.paths["sgd"].diverged_at is None


def test_the_predicted_rate_lines_are_the_formulas():
    kappa = 64.0
    race = OptimizerRace(kappa=kappa, rate=0.7, momentum=0.6, x0=-1.5, y0=0.9, steps=120)
    d0 = math.hypot(-1.5, 0.9)
    steps = np.arange(121)
    expected = {
        "best plain descent: (κ−1)/(κ+1)": (kappa - 1) / (kappa + 1),
        "best momentum: (√κ−1)/(√κ+1)": (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1),
        "SGD at this η": max(abs(1 - 0.7 / kappa), abs(1 - 0.7)),
        "momentum at this η and μ": None,  # from the eigenvalues of the step's matrix, below
    }
    lam = (1 / kappa, 1.0)
    companion = [np.array([[1 + 0.6 - 0.7 * l, -0.6], [1.0, 0.0]]) for l in lam]  # (theta_t, theta_t-1) -> next
    expected["momentum at this η and μ"] = max(np.abs(np.linalg.eigvals(m)).max() for m in companion)
    for name, rate in expected.items():
        line = the_trace(race.figure, name)
        assert line.name.endswith(f"{rate:.3f}") and line.legend == "legend2" and line.xaxis == "x2"
        y = np.array(line.y, dtype=float)
        model = d0 * rate**steps
        kept = int(np.sum(model >= SHOWN_FLOOR))  # the line ends where the prediction drops below the panel
        assert len(y) == kept and list(line.x) == list(steps[:kept]) and np.allclose(y, model[:kept], rtol=1e-12)
    assert race.state.theory.best_lr == pytest.approx(2 / (1 / kappa + 1))


def test_the_rate_panel_curves_are_the_eigenvalues_of_each_step():
    race = OptimizerRace(kappa=30.0, rate=0.5, momentum=0.7)
    lam = (1 / 30.0, 1.0)
    for name, matrix in [
        ("plain descent", lambda eta, l: np.array([[1 - eta * l]])),
        ("momentum", lambda eta, l: np.array([[1 + 0.7 - eta * l, -0.7], [1.0, 0.0]])),
        # PyTorch's Nesterov on (theta_t, b_t-1): b_t = mu b + l theta; theta_t+1 = theta - eta (l theta + mu b_t)
        ("Nesterov", lambda eta, l: np.array([[1 - eta * l * (1 + 0.7), -eta * 0.7**2], [l, 0.7]])),
    ]:
        [curve] = [t for t in race.figure.data if t.name == f"rate against η: {name}" and t.xaxis == "x3"]
        for eta, rate in zip(curve.x[::17], curve.y[::17]):
            radius = max(np.abs(np.linalg.eigvals(matrix(eta, l))).max() for l in lam)
            assert rate == pytest.approx(min(radius, RATE_SHOWN), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_measured_contraction_at_the_best_settings_matches_the_theory_within_ten_percent(kappa):
    land = Landscape("ravine", kappa)
    best_lr, best_rate = best_plain_descent(*land.eigenvalues)
    m_lr, m_mu, m_rate = best_momentum(*land.eigenvalues)
    for key, settings, predicted in [("sgd", dict(rate=best_lr), best_rate),
                                     ("momentum", dict(rate=m_lr, momentum=m_mu), m_rate)]:
        settings = {"adaptive_rate": 0.1, "momentum": 0.0, **settings}
        steps = int(np.ceil(np.log(1e-13) / np.log(predicted)))
        path = race_path(land, key, (-2.0, 1.0), min(steps, 3000), settings)
        d = path.distances
        usable = np.flatnonzero(d > 1e-11 * d[0])  # before round-off takes over
        first, last = usable[len(usable) // 10], usable[-1]
        measured = (d[last] / d[first]) ** (1.0 / (last - first))
        assert measured == pytest.approx(predicted, rel=0.10), (key, measured, predicted)
        if key == "sgd":  # both error components shrink by exactly the rate at the best step size
            assert measured == pytest.approx(predicted, rel=1e-3)


def test_the_theory_at_the_current_settings_is_what_the_racers_do():
    race = OptimizerRace(kappa=50.0, rate=1.2, momentum=0.9, steps=300)
    theory = race.state.theory
    for key, predicted in (("sgd", theory.sgd_rate), ("momentum", theory.momentum_rate), ("nesterov", theory.nesterov_rate)):
        d = race.state.paths[key].distances
        measured = (d[300] / d[100]) ** (1 / 200)
        assert measured == pytest.approx(predicted, rel=0.02), key


def test_nesterovs_limit():
    land = Landscape("ravine", 20.0)
    limit = nesterov_limit(0.9, 1.0)
    assert limit == pytest.approx(3.8 / 2.8)
    assert nesterov_rate(limit * 0.999, 0.9, land.eigenvalues) < 1 < nesterov_rate(limit * 1.001, 0.9, land.eigenvalues)
    settings = dict(adaptive_rate=0.1, momentum=0.9)
    assert race_path(land, "nesterov", (-2.0, 1.0), 400, {**settings, "rate": 0.97 * limit}).diverged_at is None
    assert race_path(land, "nesterov", (-2.0, 1.0), 400, {**settings, "rate": 1.03 * limit}).diverged_at is not None
    race = OptimizerRace(kappa=20.0, rate=1.5, momentum=0.9)
    assert "Nesterov (PyTorch's form) diverges sooner, above" in race.status


def test_the_theory_functions():
    eigenvalues = (0.1, 1.0)
    assert plain_descent_rate(1.0, eigenvalues) == pytest.approx(0.9)
    assert plain_descent_rate(2 / 1.1, eigenvalues) == pytest.approx((10 - 1) / (10 + 1))
    assert heavy_ball_rate(1.0, 0.0, eigenvalues) == pytest.approx(0.9)  # no momentum: plain descent
    lr, mu, rate = best_momentum(*eigenvalues)
    assert heavy_ball_rate(lr, mu, eigenvalues) == pytest.approx(rate, rel=1e-6)
    assert rate == pytest.approx((math.sqrt(10) - 1) / (math.sqrt(10) + 1))
    assert nesterov_rate(0.5, 0.0, eigenvalues) == pytest.approx(plain_descent_rate(0.5, eigenvalues))


# ------------------------------------------------------------------ Adam and the loss's scale


def test_adams_first_step_is_the_learning_rate_whatever_the_losss_scale():
    firsts = {}
    for scale in (1.0, 1000.0):
        race = OptimizerRace(scale=scale, rate=1e-3, adaptive_rate=0.05)
        firsts[scale] = {key: path.points[1] - path.points[0] for key, path in race.state.paths.items()}
        assert np.allclose(np.abs(firsts[scale]["adam"]), 0.05, rtol=1e-6)
        assert race.state.theory.limit == pytest.approx(2 / scale)
    assert np.allclose(firsts[1000.0]["sgd"], 1000 * firsts[1.0]["sgd"])  # SGD's step is the gradient's size
    assert np.allclose(firsts[1000.0]["adam"], firsts[1.0]["adam"])
    assert np.allclose(firsts[1000.0]["rmsprop"], firsts[1.0]["rmsprop"], rtol=1e-5)  # also scale-free (but 10 lr: no bias correction)
    assert np.allclose(np.abs(firsts[1.0]["rmsprop"]), 0.05 / math.sqrt(1 - 0.99), rtol=1e-5)


def test_the_racers_are_bplab_optim_itself():
    land = Landscape("Rosenbrock")
    settings = dict(rate=1e-3, adaptive_rate=0.05, momentum=0.8, beta1=0.85, beta2=0.99)
    path = race_path(land, "adam", (-1.2, 1.0), 25, settings)
    theta = Value(np.array([-1.2, 1.0]))
    adam = optim.Adam([theta], lr=0.05, betas=(0.85, 0.99))
    for step in range(1, 26):
        theta.zero_grad()
        land.loss(theta[0], theta[1]).backward()  # the backward pass, not the closed form
        adam.step()
        assert np.allclose(theta.data, path.points[step], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ settings, the menu and the widget


def test_the_landscape_menu_brings_its_suggested_settings():
    race = OptimizerRace()
    assert race.params["rate"] == SUGGESTED["ravine"]["rate"] and race.params["landscape"] == "ravine"
    race.update(landscape="Rosenbrock")
    assert {k: race.params[k] for k in SUGGESTED["Rosenbrock"]} == SUGGESTED["Rosenbrock"]
    race.update(landscape="saddle", rate=0.05)  # named values are kept
    assert race.params["rate"] == 0.05 and race.params["y0"] == SUGGESTED["saddle"]["y0"]
    race.update(x0=1.0)  # other changes leave the rest alone
    assert race.params["x0"] == 1.0 and race.params["rate"] == 0.05
    assert OptimizerRace(landscape="Rosenbrock").params["steps"] == SUGGESTED["Rosenbrock"]["steps"]
    assert OptimizerRace(landscape="ravine", scale=100.0).params["rate"] == pytest.approx(SUGGESTED["ravine"]["rate"] / 100)
    assert OptimizerRace(landscape="saddle", x0=0.5).params["x0"] == 0.5


def test_bad_settings_name_the_setting():
    with pytest.raises(ValueError, match="landscape: expected one of"):
        OptimizerRace(landscape="bowl")
    with pytest.raises(ValueError, match=r"rate: expected a number between 1e-06 and 10"):
        OptimizerRace(rate=50.0)


def test_racers_can_leave_the_race():
    race = OptimizerRace(**{SHOW[key]: key in ("sgd", "adam") for key in RACERS})
    assert set(race.state.paths) == {"sgd", "adam"}
    assert "Adam" in race.status and "AdaGrad" not in race.status
    race.update(**{SHOW["sgd"]: False, SHOW["adam"]: False})
    assert "No racer" in race.status
    assert not traces(race.figure, "SGD at this η")


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_the_saddle_and_the_others_describe_themselves(landscape):
    race = OptimizerRace(landscape=landscape)
    assert race.status.startswith(f"After {race.params['steps']} steps, distance to the minimum:")
    if landscape == "saddle":
        assert "Steps until within 0.5 of a minimum" in race.status
        assert the_trace(race.figure, "saddle point").x == (0.0,)
    if landscape not in ("ravine", "tilted ravine"):
        assert the_trace(race.figure, "the adaptive methods' learning rate").y == (0.1, 0.1)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_no_trace_holds_a_number_json_cannot_carry(landscape):
    import json

    from bplab.explorers.base import browser_safe_traces

    for settings in ({}, {"rate": 9.0}, {"steps": 500, "scale": 1000.0}):
        race = OptimizerRace(landscape=landscape, **settings)
        json.dumps(browser_safe_traces(race.figure), allow_nan=False)  # NaN or inf would fail in the live widget
        json.dumps(race.figure.layout.to_plotly_json(), allow_nan=False)


def test_the_widget_redraws_on_a_slider_and_on_the_menu():
    race = OptimizerRace()
    race.widget()
    race._widgets["rate"].value = 0.5
    assert race._error_widget.value == "" and race.params["rate"] == 0.5
    race._widgets["landscape"].value = "Rosenbrock"
    assert race._error_widget.value == "" and race._widgets["rate"].value == SUGGESTED["Rosenbrock"]["rate"]
    assert race._widgets["steps"].value == SUGGESTED["Rosenbrock"]["steps"]
    labels = [w.description for w in race._widgets.values()]
    assert all(labels) and sum("(logarithmic)" in label for label in labels) >= 3


# ------------------------------------------------------------------ long races run in pieces


def test_a_long_race_comes_in_pieces_that_end_where_update_does():
    from bplab.explorers.optimizer_race import PIECE

    race = OptimizerRace(landscape="Rosenbrock", steps=500)
    frames = [frame() for frame in race.compute_steps(**race.params)]
    assert [f.steps_done for f in frames] == [PIECE * k for k in range(1, 6)] == [100, 200, 300, 400, 500]
    assert race.progress(frames[1]) == "step 200 of 500" and race.progress(frames[-1]) == ""
    assert race.reached(frames[1]) == {"steps": 200}
    first, last = frames[0].paths["adam"], frames[-1].paths["adam"]
    assert len(first.points) == 101 and np.array_equal(last.points[:101], first.points)  # the pieces continue one run
    assert np.array_equal(last.points, race.state.paths["adam"].points)  # as update() computed it at once
    assert "After 500 steps" in race.status


def test_the_widget_runs_a_long_race_as_a_job(monkeypatch):
    import asyncio

    from test_jobs import run_async, until_done

    async def scenario():
        race = OptimizerRace(landscape="Rosenbrock", steps=100)
        race.background = True
        race.widget()
        shown = []
        original = race._show
        monkeypatch.setattr(race, "_show", lambda params, state, progress="": (shown.append(state.steps_done), original(params, state, progress))[1])
        race._widgets["steps"].value = 500
        await until_done(race)
        await asyncio.sleep(0)
        return race, shown

    race, shown = run_async(scenario)
    assert shown[0] == 100 and shown[-1] == 500  # the first piece at once, the finished race last
    assert race.state.steps_done == 500 and race._error_widget.value == "" and "Working" not in race.status


def _spectral_radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


@pytest.mark.parametrize("lr", [0.05, 0.4, 0.9, 1.3, 2.5])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_the_rates_are_the_spectral_radii_of_each_methods_step(lr, momentum):
    from bplab.explorers.optimizer_race import heavy_ball_rate, nesterov_rate, plain_descent_rate

    eigenvalues = (0.1, 1.0)  # on f = λ x²/2 each method's step is a linear map of its state: the rate is its radius
    plain = max(abs(1 - lr * lam) for lam in eigenvalues)
    heavy = max(_spectral_radius(np.array([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]])) for lam in eigenvalues)
    # PyTorch's Nesterov on the state (θ, b): b ← μb + λθ, θ ← θ − η(λθ + μb)
    nesterov = max(_spectral_radius(np.array([[1 - lr * lam * (1 + momentum), -lr * momentum * momentum],
                                              [lam, momentum]])) for lam in eigenvalues)
    assert float(plain_descent_rate(lr, eigenvalues)) == pytest.approx(plain, rel=1e-12)
    assert float(heavy_ball_rate(lr, momentum, eigenvalues)) == pytest.approx(heavy, rel=1e-7)
    assert float(nesterov_rate(lr, momentum, eigenvalues)) == pytest.approx(nesterov, rel=1e-7)


def test_the_theory_panel_holds_the_rates_at_the_settings_and_at_the_best_ones():
    from bplab.explorers.optimizer_race import (best_momentum, best_plain_descent, heavy_ball_rate, nesterov_limit,
                                                nesterov_rate, plain_descent_rate, quadratic_theory)

    land = Landscape("ravine", 10.0, 2.0)
    theory = quadratic_theory(land, 0.3, 0.6)
    assert (theory.lam_min, theory.lam_max, theory.limit) == pytest.approx((0.2, 2.0, 1.0))
    assert theory.sgd_rate == pytest.approx(float(plain_descent_rate(0.3, (0.2, 2.0))))
    assert theory.momentum_rate == pytest.approx(float(heavy_ball_rate(0.3, 0.6, (0.2, 2.0))))
    assert theory.nesterov_rate == pytest.approx(float(nesterov_rate(0.3, 0.6, (0.2, 2.0))))
    assert theory.nesterov_limit == pytest.approx(nesterov_limit(0.6, 2.0))
    assert (theory.best_lr, theory.best_rate) == pytest.approx(best_plain_descent(0.2, 2.0))
    assert (theory.best_momentum_lr, theory.best_momentum, theory.best_momentum_rate) == pytest.approx(best_momentum(0.2, 2.0))
    curve = theory.curve_lr
    assert curve[0] == pytest.approx(min(0.3 / 2, 1.0 / 100)) and curve[-1] == pytest.approx(max(0.3 * 2, 1.0 * 3))
    assert np.all(np.diff(curve) > 0) and {theory.best_lr, theory.limit, 0.3} <= set(curve.tolist())
    np.testing.assert_allclose(theory.curve_sgd, plain_descent_rate(curve, (0.2, 2.0)))
    np.testing.assert_allclose(theory.curve_momentum, heavy_ball_rate(curve, 0.6, (0.2, 2.0)))
    np.testing.assert_allclose(theory.curve_nesterov, nesterov_rate(curve, 0.6, (0.2, 2.0)))
    # PyTorch's Nesterov reaches rate 1 exactly at its limit, and diverges above it
    limit = nesterov_limit(0.6, 2.0)
    assert float(nesterov_rate(limit, 0.6, (2.0,))) == pytest.approx(1.0, abs=1e-7)
    assert float(nesterov_rate(limit * 1.01, 0.6, (2.0,))) > 1.0


def test_first_below_names_the_first_step_under_the_level():
    from bplab.explorers.optimizer_race import first_below

    assert first_below(np.array([3.0, 1.0, 0.5, 0.1]), 0.5) == "3"  # 0.5 is not below 0.5
    assert first_below(np.array([0.4, 1.0]), 0.5) == "0"
    assert first_below(np.array([3.0, 2.0]), 0.5) == "never"


def test_only_a_quadratic_has_one_hessian():
    rosenbrock = Landscape("Rosenbrock")
    with pytest.raises(ValueError, match=r"^hessian: only the quadratics have a constant Hessian, not 'Rosenbrock'$"):
        rosenbrock.hessian()
    with pytest.raises(ValueError, match=r"^eigenvalues: only the quadratics have one Hessian, not 'Rosenbrock'$"):
        rosenbrock.eigenvalues  # a property: reading it is what refuses


@pytest.mark.parametrize("rate", [0.001, 0.3, 5.0])
def test_the_theory_curves_reach_half_and_twice_the_rate_and_the_limits_edges(rate):
    from bplab.explorers.optimizer_race import quadratic_theory

    theory = quadratic_theory(Landscape("ravine", 10.0, 2.0), rate, 0.6)  # limit 2 / λ_max = 1
    curve = theory.curve_lr
    assert curve[0] == pytest.approx(min(rate / 2, 1.0 / 100)) and curve[-1] == pytest.approx(max(rate * 2, 3.0))
    assert len(curve) == 200 + 3  # 200 geometric steps, and the best rate, the limit and this rate on the curve


def test_the_distance_panel_spans_every_racers_distances_with_a_margin_of_three():
    race = OptimizerRace(steps=60)
    distances = np.concatenate([path.distances for path in race.state.paths.values()])
    low, top = race.figure.layout.yaxis2.range
    assert low == pytest.approx(math.log10(max(distances.min(), SHOWN_FLOOR) / 3))
    assert top == pytest.approx(math.log10(distances.max() * 3))
    near = OptimizerRace(steps=60, x0=0.01, y0=0.01, rate=1e-3, adaptive_rate=1e-3)  # every distance under 1
    near_distances = np.concatenate([path.distances for path in near.state.paths.values()])
    assert near_distances.max() < 1 and near.figure.layout.yaxis2.range[1] == pytest.approx(math.log10(near_distances.max() * 3))
    nobody = OptimizerRace(steps=60, **{SHOW[key]: False for key in RACERS})  # no racer: a unit panel
    assert nobody.state.paths == {} and nobody.figure.layout.yaxis2.range == pytest.approx([math.log10(1 / 3), math.log10(3)])


def test_an_unknown_landscape_or_racer_is_refused_by_name():
    from bplab.explorers.optimizer_race import make_optimizer

    with pytest.raises(ValueError, match=r"^landscape: expected one of 'ravine', 'tilted ravine', 'Rosenbrock', "
                                         r"'saddle', got 'valley'$"):
        Landscape("valley")
    with pytest.raises(ValueError, match=r"^key: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, "
                                         r"got 'lion'$"):
        make_optimizer("lion", Value(np.zeros(2)), OptimizerRace.defaults)


def test_the_distance_is_to_the_nearest_minimum_for_one_point_or_many():
    rosenbrock = Landscape("Rosenbrock")  # its minimum is (1, 1)
    assert rosenbrock.distance(np.array([0.0, 0.0])).tolist() == pytest.approx([math.sqrt(2)])
    assert rosenbrock.distance([[1.0, 1.0], [4.0, 5.0]]).tolist() == pytest.approx([0.0, 5.0])


def test_each_racer_is_its_optimizer_with_the_explorers_settings():
    from bplab.explorers.optimizer_race import make_optimizer

    settings = dict(OptimizerRace.defaults, rate=0.3, adaptive_rate=0.05, momentum=0.8, beta1=0.7, beta2=0.95)
    groups = {key: make_optimizer(key, Value(np.zeros(2)), settings).param_groups[0] for key in RACERS}
    assert (groups["sgd"]["lr"], groups["sgd"]["momentum"]) == (0.3, 0.0)
    assert (groups["momentum"]["lr"], groups["momentum"]["momentum"], groups["momentum"]["nesterov"]) == (0.3, 0.8, False)
    assert (groups["nesterov"]["lr"], groups["nesterov"]["momentum"], groups["nesterov"]["nesterov"]) == (0.3, 0.8, True)
    assert groups["adagrad"]["lr"] == 0.05 and groups["rmsprop"]["lr"] == 0.05
    assert groups["adam"]["lr"] == 0.05 and tuple(groups["adam"]["betas"]) == (0.7, 0.95)
    still = dict(settings, momentum=0.0)  # no momentum: both momentum racers are plain descent at the rate
    for key in ("momentum", "nesterov"):
        group = make_optimizer(key, Value(np.zeros(2)), still).param_groups[0]
        assert (group["lr"], group["momentum"], group["nesterov"]) == (0.3, 0.0, False)


def test_a_racer_takes_the_steps_asked_for_and_stops_at_the_step_it_escapes():
    from bplab.explorers.optimizer_race import ESCAPED, Racer

    land = Landscape("ravine", 10.0, 1.0)
    settings = dict(OptimizerRace.defaults, rate=2.5 / land.eigenvalues[1])  # above the limit 2/λ_max: it diverges
    for start in ((-2.0, 1.0), (0.01, 0.01)):  # a start near 0 is measured against a size of at least 1
        racer = Racer(land, "sgd", start, settings)
        racer.advance(500)
        theta, expected = np.array(start), None  # the same descent written out: θ ← θ − η H θ
        for step in range(1, 501):
            theta = theta - settings["rate"] * land.hessian() @ theta
            if math.hypot(*theta) > ESCAPED * max(math.hypot(*start), 1.0):
                expected = step
                break
        assert expected is not None and racer.diverged_at == expected and racer.done == expected - 1
        racer.advance(5)  # a racer that escaped takes no more steps
        assert racer.done == expected - 1 and len(racer.path().points) == expected
    calm = Racer(land, "sgd", (-2.0, 1.0), dict(OptimizerRace.defaults, rate=0.1))
    calm.advance(5)
    calm.advance(2)  # a piece at a time, as the explorer asks
    assert calm.done == 7 and calm.diverged_at is None and calm.path().points.shape == (8, 2)
    assert calm.path().steps.shape == (7,) and Racer(land, "sgd", (1.0, 2.0), settings).path().steps.shape == (0,)


def test_a_new_landscape_brings_its_suggestions_and_the_same_one_keeps_the_learners_settings():
    from bplab.explorers.optimizer_race import suggested

    race = OptimizerRace(steps=20)
    assert race.params["landscape"] == "ravine" and race.params["rate"] == pytest.approx(suggested("ravine", 1.0)["rate"])
    scaled = OptimizerRace(steps=20, scale=4.0)  # the default landscape's suggestions, for the scale given
    assert scaled.params["rate"] == pytest.approx(suggested("ravine", 4.0)["rate"])
    race.update(rate=0.02)
    race.update(landscape="ravine", steps=20)  # not a change of landscape: the learner's rate stays
    assert race.params["rate"] == 0.02
    race.update(landscape="Rosenbrock", scale=4.0)  # a new landscape, with its rate for the new scale
    expected = suggested("Rosenbrock", 4.0)
    assert race.params["rate"] == pytest.approx(expected["rate"]) and race.params["x0"] == expected["x0"]


def test_a_log_panel_keeps_a_value_at_the_floor_and_cuts_at_the_first_below():
    from bplab.explorers.optimizer_race import on_the_map, shown

    cut = shown(np.arange(4), [1.0, SHOWN_FLOOR, SHOWN_FLOOR / 2, 1.0], top=0.5)
    assert cut["x"].tolist() == [0, 1] and cut["y"].tolist() == [0.5, SHOWN_FLOOR]
    from bplab.explorers.optimizer_race import RacePath

    view = ((1.0, 3.0), (1.0, 3.0))  # half a view's size beyond it is still on the map: from 0 to 4 each way
    for direction in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        # from the centre (2, 2): inside, exactly on the edge of the map (2 away), beyond it, far beyond
        points = 2.0 + np.outer([0.0, 1.8, 2.0, 2.5, 7.0], direction)
        escaped = RacePath("sgd", points, np.zeros(5), np.zeros(4), diverged_at=5)
        np.testing.assert_array_equal(on_the_map(escaped, view), points[:4])  # up to the first point off the map
        np.testing.assert_array_equal(on_the_map(escaped, ((-20.0, 20.0), (-20.0, 20.0))), points)  # never off it
        calm = RacePath("sgd", points, np.zeros(5), np.zeros(4), diverged_at=None)
        assert on_the_map(calm, view) is points  # a racer that did not escape is drawn whole
