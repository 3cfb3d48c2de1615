"""Datasets: documented shapes and dtypes, deterministic by seed, learnable, the shipped images reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from bplab import data, nn, optim
from bplab.train import fit

CLASSIFICATION = {
    "apples_vs_oranges": (lambda **kw: data.apples_vs_oranges(50, **kw), (50, 2), 2),
    "xor": (lambda **kw: data.xor(50, **kw), (50, 2), 2),
    "moons": (lambda **kw: data.moons(51, **kw), (51, 2), 2),
    "circles": (lambda **kw: data.circles(40, **kw), (40, 2), 2),
    "spirals": (lambda **kw: data.spirals(90, classes=4, **kw), (90, 2), 4),
    "blobs": (lambda **kw: data.blobs(60, centers=3, dim=5, **kw), (60, 5), 3),
    "digits": (lambda **kw: data.digits(100, **kw), (100, 64), 10),
}


@pytest.mark.parametrize("name", sorted(CLASSIFICATION))
def test_classification_shapes_dtypes_and_seeds(name):
    make, shape, classes = CLASSIFICATION[name]
    X, y = make(seed=0)
    assert X.shape == shape and X.dtype == np.float64 and np.all(np.isfinite(X))
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert set(np.unique(y)) <= set(range(classes)) and len(np.unique(y)) == classes
    X2, y2 = make(seed=0)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make(seed=1)
    assert not np.array_equal(X, X3)
    X4, _ = make(seed=None, rng=np.random.default_rng(0))
    assert np.array_equal(X, X4)


def test_regression_and_sequences_shapes():
    X, y = data.sine(30, seed=0)
    assert X.shape == (30, 1) and y.shape == (30, 1) and np.all(np.diff(X[:, 0]) >= 0)
    X, y = data.adding_problem(20, length=12, seed=0)
    assert X.shape == (20, 12, 2) and y.shape == (20, 1) and X.dtype == np.float64
    assert np.all(X[:, :, 1].sum(axis=1) == 2)
    assert np.allclose(y[:, 0], (X[:, :, 0] * X[:, :, 1]).sum(axis=1))
    X, y = data.copy_task(10, length=3, delay=4, symbols=5, seed=0)
    assert X.shape == (10, 10, 7) and y.shape == (10, 10) and y.dtype == np.int64
    assert np.all(X.sum(axis=2) == 1)  # one-hot
    assert np.array_equal(X[:, :3].argmax(axis=2), y[:, 7:])  # the symbols come back after the delay
    assert np.all(X[:, 6].argmax(axis=1) == 6)  # the cue
    assert np.all(y[:, :7] == 0)


def test_xor_with_no_noise_is_the_truth_table():
    X, y = data.xor(4, noise=0.0)
    assert np.array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]]) and np.array_equal(y, [0, 1, 1, 0])


def test_apples_and_oranges_are_almost_linearly_separable():
    X, y = data.apples_vs_oranges(200, seed=0)
    assert 3.0 < X[y == 0, 0].mean() < X[y == 1, 0].mean() < 5.0
    assert 0.0 <= X[:, 1].min() and X[:, 1].max() <= 1.0
    model = nn.Linear(2, 1, seed=0)
    history = fit(model, nn.binary_cross_entropy_with_logits, optim.SGD(model.parameters(), lr=1.0),
                  (X - X.mean(0)) / X.std(0), y.reshape(-1, 1).astype(float), epochs=100)
    assert history.accuracy[-1] >= 0.97


def test_shipped_digits_are_what_render_digits_makes():
    with np.load(data.DIGITS_FILE) as stored:
        images, labels = stored["images"], stored["labels"]
    assert images.shape == (1000, 8, 8) and images.dtype == np.uint8 and images.max() <= 16
    assert np.array_equal(np.bincount(labels), np.full(10, 100))
    remade, remade_labels = data.render_digits(100, seed=0)
    assert np.array_equal(images, remade) and np.array_equal(labels, remade_labels)
    X, y = data.digits(images=True)
    assert X.shape == (1000, 1, 8, 8) and 0.0 <= X.min() and X.max() <= 1.0


def test_digits_are_learnable_but_not_trivial():
    X, y = data.digits(seed=0)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.3, seed=0)
    model = nn.MLP([64, 32, 10], activation="relu", seed=0)
    fit(model, nn.cross_entropy, optim.Adam(model.parameters(), lr=0.01), X_train, y_train, epochs=40, batch_size=64)
    test_accuracy = np.mean(model(X_test).data.argmax(axis=1) == y_test)
    assert 0.85 < test_accuracy
    mean_images = np.stack([X[y == k].mean(0) for k in range(10)])
    nearest_mean = np.argmin(((X_test[:, None] - mean_images[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest_mean == y_test) < 0.95  # not solvable by a template lookup alone


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="n: expected a whole number of at least 1, got 0"):
        data.moons(0)
    with pytest.raises(ValueError, match="classes: expected a whole number of at least 2"):
        data.spirals(10, classes=1)
    with pytest.raises(ValueError, match="factor: expected the inner radius between 0 and 1"):
        data.circles(10, factor=1.5)
    with pytest.raises(ValueError, match="n: expected at most 1000"):
        data.digits(5000)
    with pytest.raises(TypeError, match="rng: expected a numpy.random.Generator"):
        data.xor(8, rng="3")
    with pytest.raises(ValueError, match="rng, seed: pass one of them, not both"):  # one rule with init and nn
        data.xor(8, seed=1, rng=np.random.default_rng(1))
    assert np.array_equal(data.xor(8, rng=3)[0], data.xor(8, seed=3)[0])  # an int rng is a seed, as everywhere
