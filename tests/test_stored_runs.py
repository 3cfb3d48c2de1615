"""Lesson 12's stored runs are what the notebook's own training code produces, and say what the lesson says."""

from __future__ import annotations

import numpy as np
import pytest
from stored_runs import notebook_cell, training_namespace

from bplab import data

MODELS = ("RNN", "LSTM, forget bias 0", "LSTM, forget bias 3")
LENGTHS, SEEDS = (5, 10, 20, 30, 40), (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def runs():
    return data.recall_first_runs()


def test_every_run_the_notebook_loops_over_is_stored(runs):
    loop = notebook_cell("RETRAIN = False")
    assert f"LENGTHS, SEEDS = {LENGTHS}, {SEEDS}" in loop
    assert set(runs) == {(m, n, s) for m in MODELS for n in LENGTHS for s in SEEDS}
    for train, test in runs.values():
        assert train.shape == (1000,) and 0 <= test <= 1


@pytest.mark.parametrize("model, cell, forget_bias, length, seed", [
    ("RNN", "RNN", 0.0, 5, 0),
    ("LSTM, forget bias 3", "LSTM", 3.0, 5, 1),
])
def test_rerunning_the_notebooks_code_gives_the_stored_numbers(runs, model, cell, forget_bias, length, seed):
    """Rerun two short runs with the code as the notebook shows it. The training accuracy of a batch is a count of
    32 decisions, so round-off differences between CPUs change at most a few of the 1,000 steps."""
    train_on_recall = training_namespace()["train_on_recall"]
    train, test = train_on_recall(cell, length, forget_bias=forget_bias, seed=seed)
    stored_train, stored_test = runs[model, length, seed]
    assert np.mean(train == stored_train) > 0.99
    assert abs(test - stored_test) <= 0.01


def test_a_changed_training_code_would_be_caught(runs):
    """The comparison above is not vacuous: another seed's run differs from the stored one."""
    train_on_recall = training_namespace()["train_on_recall"]
    train, _ = train_on_recall("RNN", 5, seed=7)
    assert np.mean(train == runs["RNN", 5, 0][0]) < 0.99
