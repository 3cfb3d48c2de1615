"""The symmetry explorer draws the run bplab.rumelhart1986 trains, and says what the weights show."""

from __future__ import annotations

import numpy as np
import pytest

from bplab import rumelhart1986 as paper
from bplab.explorers.symmetry import PIECE, SymmetryExplorer


@pytest.fixture(scope="module")
def explorer():
    return SymmetryExplorer(seed=1, rate=0.1, momentum=0.9)


def test_the_figure_is_the_packages_run(explorer):
    runs = paper.train(paper.symmetry_task(), [1], 20_000, paper.SYMMETRY, record_every=10)
    [curve] = [t for t in explorer.figure.data if t.name == "E"]
    np.testing.assert_allclose(curve.y, runs.error_curves[0])
    np.testing.assert_array_equal(curve.x, np.arange(len(runs.error_curves[0])) * 10)
    [weights] = [t for t in explorer.figure.data if t.type == "heatmap"]
    np.testing.assert_allclose(np.asarray(weights.z), runs.params.weights[0][0].T)


def test_the_status_line_reports_convergence_and_the_ratios(explorer):
    runs = paper.train(paper.symmetry_task(), [1], 20_000, paper.SYMMETRY)
    assert runs.converged[0]
    status = explorer.status
    assert f"converged after {runs.converged_at[0]:,} sweeps" in status and "(the paper: 1,425)" in status
    ratios = paper.symmetry_weights(runs.params)["ratios"][0]
    assert f"hidden 1: 1 : {ratios[1, 0]:.2f} : {ratios[2, 0]:.2f}" in status


def test_a_run_that_does_not_converge_says_so():
    explorer = SymmetryExplorer(seed=0, rate=0.01, momentum=0.0)  # far too slow for 20,000 sweeps
    assert "not converged after 20,000 sweeps" in explorer.status


def test_the_run_arrives_in_pieces():
    explorer = SymmetryExplorer(seed=3)
    frames = list(explorer.compute_steps(seed=3, rate=0.1, momentum=0.9))
    first, last = frames[0](), frames[-1]()
    assert first.runs.sweeps == PIECE and explorer.progress(first) == f"sweep {PIECE} of at most 20,000"
    assert last.finished and explorer.progress(last) == ""


def test_a_bad_setting_names_the_control():
    with pytest.raises(ValueError, match=r"momentum: expected a number between 0 and 0.95"):
        SymmetryExplorer(momentum=0.99)


def test_every_control_reaches_the_run():
    frames = SymmetryExplorer(seed=1).compute_steps(seed=3, rate=0.3, momentum=0.5)
    state = next(frames)()
    assert state.params == {"seed": 3, "rate": 0.3, "momentum": 0.5}
    runs = paper.train(paper.symmetry_task(), [3], PIECE, paper.Procedure(rate=0.3, momentum=0.5), record_every=10)
    assert state.runs.sweeps == PIECE and state.runs.record_every == 10
    np.testing.assert_allclose(state.runs.error_curves[0], runs.error_curves[0], rtol=1e-12)
