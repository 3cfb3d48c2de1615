"""The training clinic (lesson 14): the healthy run trains, each broken run shows its own vital sign, each fix works."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest

from bplab import clinic, nn
from bplab.clinic import CASES, CAUSES, Settings, case, fixed, train
from bplab.explorers.clinic import ClinicExplorer, GalleryExplorer, symptoms


@pytest.fixture(scope="module")
def runs():
    return {letter: train(settings) for letter, (settings, _) in CASES.items()} | {"healthy": train(Settings())}


def by_cause(runs, cause):
    [letter] = [letter for letter, (_, c) in CASES.items() if c == cause]
    return runs[letter]


def first_epoch_ratio(record):
    return float(np.median(np.array(record.update_ratios[:record.steps_per_epoch])))


def test_the_healthy_run_starts_at_ln_10_and_learns(runs):
    healthy = runs["healthy"]
    assert abs(healthy.first_loss_per_example - math.log(10)) < 0.1
    assert healthy.test_accuracies[-1] > 0.9
    assert 1e-3 < first_epoch_ratio(healthy) < 3e-2
    assert max(max(u) for u in healthy.unhealthy) == 0.0


def test_each_case_is_a_healthy_run_with_one_bug(runs):
    for letter, (settings, cause) in CASES.items():
        healthy = fixed(letter)
        changed = {f.name for f in fields(Settings) if getattr(settings, f.name) != getattr(healthy, f.name)}
        assert len(changed) == 1, (letter, changed)
        assert healthy == Settings() or healthy == Settings(activation="tanh")
    assert sorted(cause for _, cause in CASES.values()) == sorted(CAUSES)
    assert train(Settings(activation="tanh")).test_accuracies[-1] > 0.9  # the saturation case's fix trains


def test_each_cause_shows_the_vital_sign_its_hints_point_to(runs):
    healthy = runs["healthy"]
    summed = by_cause(runs, "loss summed instead of averaged")
    assert summed.losses[0] == pytest.approx(clinic.BATCH * summed.first_loss_per_example)
    assert abs(summed.first_loss_per_example - healthy.first_loss_per_example) < 1e-9  # the same model: only the sum
    assert first_epoch_ratio(by_cause(runs, "learning rate too high")) > 0.1
    assert first_epoch_ratio(by_cause(runs, "learning rate too low")) < 1e-3
    dead = by_cause(runs, "dead ReLUs")
    assert min(dead.unhealthy[0]) > 0.8 and abs(dead.losses[0] - math.log(10)) < 0.1
    saturated = by_cause(runs, "saturated tanh units")
    assert saturated.unhealthy[0][0] > 0.5 and saturated.losses[0] > 5 and saturated.test_accuracies[-1] < 0.8
    accumulating = np.array(by_cause(runs, "forgotten zero_grad").update_ratios)[:, 0]
    assert np.median(accumulating[24:48]) > 3 * np.median(accumulating[:10])  # the steps grow
    raw = by_cause(runs, "inputs not normalized")
    assert raw.losses[0] > 10 and raw.unhealthy[-1][0] > 0.9
    shuffled = by_cause(runs, "labels shuffled apart from their inputs")
    assert shuffled.test_accuracies[-1] < 0.25 < shuffled.train_accuracies[-1]
    assert max(max(u) for u in shuffled.unhealthy) == 0.0


def test_fixing_any_case_trains(runs):
    for letter, (_, cause) in CASES.items():
        assert runs[letter].test_accuracies[-1] < 0.8, cause
    assert train(fixed("A")).test_accuracies[-1] == runs["healthy"].test_accuracies[-1]
    for letter in CASES:  # the status line separates a first step that kills from units born dead
        assert "at the first step" in symptoms(runs[letter])


def test_the_update_ratio_is_the_sgd_step_over_the_weight():
    """One step of plain SGD changes W by lr * dL/dW: the recorded ratio is lr ||dL/dW|| / ||W||."""
    settings = replace(Settings(), epochs=1)
    X_train, _, y_train, _ = clinic.digits_split(True, False)
    model = clinic.make_model(settings)
    order = np.random.default_rng(settings.seed + 1).permutation(len(X_train))[:clinic.BATCH]
    nn.cross_entropy(model(X_train[order]), y_train[order]).backward()
    first = model.layers[0]
    expected = settings.lr * np.linalg.norm(first.weight.grad) / np.linalg.norm(first.weight.data)
    record = next(r for r in clinic.train_steps(settings) if r.update_ratios)
    assert record.update_ratios[0][0] == pytest.approx(expected, rel=1e-10)


def test_the_unhealthy_measures():
    relu = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert clinic._unhealthy_fraction(relu, "relu") == pytest.approx(1 / 3)  # only the first unit is 0 everywhere
    sigmoid = np.array([[0.999, 0.5], [0.001, 0.6]])
    assert clinic._unhealthy_fraction(sigmoid, "sigmoid") == pytest.approx(0.5)
    assert clinic._unhealthy_fraction(np.array([[0.99, 0.0]]), "tanh") == pytest.approx(0.5)


def test_the_symptoms_never_name_the_cause(runs):
    for letter in CASES:
        text = symptoms(runs[letter]).lower()
        for cause in CAUSES:
            assert cause.lower() not in text, (letter, cause)
    gallery = GalleryExplorer(case="C")
    assert gallery.status.startswith("Case C.")


def test_the_clinic_explorer_trains_with_its_controls():
    explorer = ClinicExplorer(epochs=2)
    assert explorer.state.finished and explorer.state.epochs_done == 2
    explorer.update(average_loss=False)
    assert explorer.state.settings.reduction == "sum" and explorer.state.losses[0] > 50
    assert explorer.reached(explorer.state) == {"epochs": 2}


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="letter: expected one of A, B"):
        case("Z")
    with pytest.raises(ValueError, match="activation: expected one of"):
        clinic.make_model(replace(Settings(), activation="gelu"))
    with pytest.raises(ValueError, match="reduction: expected 'mean' or 'sum'"):
        train(replace(Settings(), reduction="max"))


def test_the_dashboard_log_axes_never_stack_their_labels(runs):
    from bplab.explorers.clinic import CHANCE_LOSS, dashboard

    def tick_steps(axis, values):
        shown = [v for v in values if v is not None and np.isfinite(v) and v > 0]
        decades = math.log10(max(shown)) - math.log10(min(shown))
        if axis.dtick is None:  # plotly's own ticks, for less than two decades (whole decades would show one or none)
            assert decades < 2
            return 0
        return decades / axis.dtick

    for record in runs.values():
        figure = dashboard(record)
        loss_axis, ratio_axis = figure.layout.yaxis, figure.layout.yaxis3
        losses = [t for t in figure.data if t.name == "training loss"][0].y
        ratios = [v for t in figure.data if t.name and t.name.startswith("layer") and t.yaxis == "y3" for v in t.y]
        assert tick_steps(loss_axis, list(losses) + [CHANCE_LOSS]) <= 8
        assert tick_steps(ratio_axis, ratios + [1e-3]) <= 8
    assert dashboard(runs["healthy"]).layout.yaxis.dtick is None  # a healthy loss, 2.3 down to 0.1: plotly's ticks
    steps = [dashboard(record).layout.yaxis3.dtick for record in runs.values()]
    assert max(step for step in steps if step is not None) > 1, steps  # a broken run spans > 8 decades of ratios


def test_the_gallery_trains_each_case_once_and_shows_that_cases_run(runs):
    gallery = GalleryExplorer(case="A")
    first = gallery.state
    assert first[0] == "A" and first[1].settings == case("A")
    assert first[1].losses == runs["A"].losses  # the case's own run, the same numbers as training it directly
    gallery.update(case="B")
    assert gallery.state[0] == "B" and gallery.state[1].settings == case("B")
    gallery.update(case="A")
    assert gallery.state[1] is first[1]  # trained once, then remembered
    assert GalleryExplorer(case="A").state[1] is first[1]  # across explorers too


def test_every_clinic_control_reaches_the_settings_and_the_progress_line():
    chosen = dict(lr=0.5, init_scale=3.0, activation="tanh", hidden_bias=-2.0, zero_grad=False, average_loss=False,
                  normalize_inputs=False, shuffle_labels=True, epochs=7)
    assert ClinicExplorer.settings(**chosen) == Settings(lr=0.5, init_scale=3.0, activation="tanh", hidden_bias=-2.0,
                                                         zero_grad=False, reduction="sum", normalize_inputs=False,
                                                         shuffle_labels=True, epochs=7)
    assert ClinicExplorer.settings(**{**chosen, "average_loss": True}).reduction == "mean"
    explorer = ClinicExplorer(epochs=3)
    progress, reached = [], []
    for frame in explorer.compute_steps(**{**explorer.params, "epochs": 3}):  # a record trains on between frames
        record = frame()
        progress.append(explorer.progress(record))
        reached.append(explorer.reached(record)["epochs"])
        done = record.epochs_done
    assert progress[0] == "epoch 0 of 3" and "epoch 2 of 3" in progress and progress[-1] == ""
    assert reached[0] == 1 and reached[-1] == done == 3  # stopped before the first epoch ended: 1, the slider's least


def test_the_gallery_trains_a_case_it_has_not_seen(monkeypatch):
    monkeypatch.setattr(GalleryExplorer, "_records", {})  # as in a fresh kernel: no case trained yet
    gallery = GalleryExplorer(case="D")
    assert gallery.state[0] == "D" and gallery.state[1].settings == case("D")
    assert GalleryExplorer._records == {"D": gallery.state[1]}
