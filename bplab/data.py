r"""Datasets for the lessons, made in code from a seed or shipped inside the package (never downloaded).

Every function returns NumPy arrays ``(X, y)``, one example per row (batch first, so that
:func:`bplab.train.fit` can shuffle along axis 0); features are ``float64``, class labels
``int64`` (0, 1, ..., k-1), regression targets ``float64`` of shape ``(n, 1)``. The same
``seed`` gives the same data (seed 0 when none is given); ``rng=`` (a ``numpy.random.Generator``)
can be passed instead, not both (the rule of :func:`bplab.validation.make_rng`).

=====================  ======================  ===================  =====================
function               X                       y                    task
=====================  ======================  ===================  =====================
apples_vs_oranges      (n, 2) radius, colour   (n,) int64, 0 / 1    line classifier
xor                    (n, 2)                  (n,) int64, 0 / 1    not linearly separable
moons, circles         (n, 2)                  (n,) int64, 0 / 1    curved boundaries
spirals                (n, 2)                  (n,) int64, 0..k-1   k interleaved arms
blobs                  (n, dim)                (n,) int64, 0..k-1   k Gaussian clusters
sine                   (n, 1)                  (n, 1) float64       regression
digits                 (n, 64) or (n,1,8,8)    (n,) int64, 0..9     small images (shipped)
adding_problem         (n, T, 2)               (n, 1) float64       long memory (RNN)
recall_first           (n, T, 2)               (n, 1) float64, 0/1  memory (RNN), for BCE
copy_task              (n, T, symbols + 2)     (n, T) int64         memory (RNN)
=====================  ======================  ===================  =====================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bplab.validation import make_rng, whole_number

DIGITS_FILE = Path(__file__).with_name("digits_8x8.npz")
#: Lesson 12's stored training runs on :func:`recall_first` (made by ``python tests/stored_runs.py``).
RECALL_RUNS_FILE = Path(__file__).with_name("recall_first_runs.npz")

#: Column names of :func:`apples_vs_oranges`.
FRUIT_FEATURES = ("radius (cm)", "colour (0 = red, 1 = orange)")


def _split_evenly(n: int, parts: int) -> np.ndarray:
    """How many of ``n`` examples go to each of ``parts`` classes (differing by at most one)."""
    return np.full(parts, n // parts) + (np.arange(parts) < n % parts)


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(X))
    return X[order], y[order]


# ---------------------------------------------------------------------------- 2-D classification


def apples_vs_oranges(n: int = 100, seed: int | None = None, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Measured fruit: ``X`` (n, 2) float64 = [radius in cm, colour value], ``y`` (n,) int64: 0 apple, 1 orange.

    Apples: radius ≈ N(3.7, 0.3²) cm, colour ≈ N(0.30, 0.08²) (redder); oranges: radius ≈
    N(4.3, 0.3²), colour ≈ N(0.65, 0.08²). Almost separable by a straight line.
    """
    n = whole_number(n, "n")
    generator = make_rng(rng, seed, default_seed=0)
    counts = _split_evenly(n, 2)
    means = np.array([[3.7, 0.30], [4.3, 0.65]])
    spreads = np.array([0.3, 0.08])
    X = np.concatenate([generator.normal(means[k], spreads, size=(counts[k], 2)) for k in range(2)])
    X[:, 1] = np.clip(X[:, 1], 0.0, 1.0)
    y = np.repeat(np.arange(2), counts).astype(np.int64)
    return _shuffled(X, y, generator)


def xor(n: int = 200, noise: float = 0.2, seed: int | None = None, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The XOR truth table, blurred: ``X`` (n, 2) float64 around the corners (0,0), (0,1), (1,0), (1,1);
    ``y`` (n,) int64 = $a \oplus b$ (1 when exactly one input is 1). ``n=4, noise=0`` is the exact table."""
    n = whole_number(n, "n")
    generator = make_rng(rng, seed, default_seed=0)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.repeat(np.arange(4), _split_evenly(n, 4))
    X = corners[which] + generator.normal(0.0, noise, size=(n, 2)) if noise else corners[which].copy()
    y = (corners[which, 0] != corners[which, 1]).astype(np.int64)
    return (X, y) if n == 4 and not noise else _shuffled(X, y, generator)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = None, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles: ``X`` (n, 2) float64, ``y`` (n,) int64 (0 upper moon, 1 lower), plus N(0, noise²)."""
    n = whole_number(n, "n")
    generator = make_rng(rng, seed, default_seed=0)
    upper, lower = _split_evenly(n, 2)
    t_upper, t_lower = np.linspace(0, np.pi, upper), np.linspace(0, np.pi, lower)
    X = np.concatenate([
        np.column_stack([np.cos(t_upper), np.sin(t_upper)]),
        np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)]),
    ])
    X = X + generator.normal(0.0, noise, size=X.shape)
    y = np.repeat(np.arange(2), [upper, lower]).astype(np.int64)
    return _shuffled(X, y, generator)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = None,
            rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""A circle of radius ``factor`` inside one of radius 1: ``X`` (n, 2) float64, ``y`` (n,) int64 (0 outer, 1 inner)."""
    n = whole_number(n, "n")
    if not 0 < factor < 1:
        raise ValueError(f"factor: expected the inner radius between 0 and 1 (exclusive), got {factor}")
    generator = make_rng(rng, seed, default_seed=0)
    outer, inner = _split_evenly(n, 2)
    angles = [np.linspace(0, 2 * np.pi, count, endpoint=False) for count in (outer, inner)]
    X = np.concatenate([radius * np.column_stack([np.cos(a), np.sin(a)]) for radius, a in zip((1.0, factor), angles)])
    X = X + generator.normal(0.0, noise, size=X.shape)
    y = np.repeat(np.arange(2), [outer, inner]).astype(np.int64)
    return _shuffled(X, y, generator)


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int | None = None,
            rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""``classes`` interleaved spiral arms: ``X`` (n, 2) float64 within the unit disc, ``y`` (n,) int64 in 0..classes-1.

    Arm $k$: radius $r \in [0, 1]$, angle $\theta = 4(k + r) + \text{noise}\cdot\mathcal N(0,1)$.
    """
    n = whole_number(n, "n")
    classes = whole_number(classes, "classes", 2)
    generator = make_rng(rng, seed, default_seed=0)
    parts, labels = [], []
    for k, count in enumerate(_split_evenly(n, classes)):
        radius = np.linspace(0.0, 1.0, count)
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), count) + generator.normal(0.0, noise, size=count)
        parts.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(count, k))
    return _shuffled(np.concatenate(parts), np.concatenate(labels).astype(np.int64), generator)


def blobs(n: int = 200, centers: int | np.ndarray = 3, std: float = 1.0, dim: int = 2, box: tuple[float, float] = (-6.0, 6.0),
          seed: int | None = None, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Gaussian clusters: ``X`` (n, dim) float64, ``y`` (n,) int64 = the cluster.

    ``centers`` is a count (drawn uniformly in ``box`` per coordinate) or an array (k, dim).
    Each cluster is $\mathcal N(\text{center}, \text{std}^2 I)$.
    """
    n = whole_number(n, "n")
    generator = make_rng(rng, seed, default_seed=0)
    if isinstance(centers, (int, np.integer)):
        count = whole_number(centers, "centers")
        middle = generator.uniform(box[0], box[1], size=(count, whole_number(dim, "dim")))
    else:
        middle = np.asarray(centers, dtype=np.float64)
        if middle.ndim != 2:
            raise ValueError(f"centers: expected a count or an array of shape (k, dim), got shape {middle.shape}")
    counts = _split_evenly(n, len(middle))
    X = np.concatenate([generator.normal(c, std, size=(k, middle.shape[1])) for c, k in zip(middle, counts)])
    y = np.repeat(np.arange(len(middle)), counts).astype(np.int64)
    return _shuffled(X, y, generator)


# ---------------------------------------------------------------------------- regression


def sine(n: int = 100, noise: float = 0.1, low: float = -np.pi, high: float = np.pi, seed: int | None = None,
         rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""$y = \sin x + \mathcal N(0, \text{noise}^2)$ with $x$ uniform in [low, high]: ``X`` (n, 1), ``y`` (n, 1), float64, sorted by x."""
    n = whole_number(n, "n")
    generator = make_rng(rng, seed, default_seed=0)
    x = np.sort(generator.uniform(low, high, size=n))
    y = np.sin(x) + generator.normal(0.0, noise, size=n)
    return x.reshape(-1, 1), y.reshape(-1, 1)


# ---------------------------------------------------------------------------- small images


def _ellipse(cx: float, cy: float, rx: float, ry: float, points: int = 20) -> list[tuple[float, float]]:
    angles = np.linspace(0, 2 * np.pi, points)
    return list(zip(cx + rx * np.cos(angles), cy + ry * np.sin(angles)))


#: Hand-designed strokes of each digit: polylines in the unit square (x right, y down).
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_ellipse(0.5, 0.5, 0.27, 0.38)],
    1: [[(0.33, 0.27), (0.52, 0.1), (0.52, 0.9)]],
    2: [[(0.25, 0.3), (0.35, 0.14), (0.55, 0.1), (0.72, 0.2), (0.72, 0.38), (0.25, 0.88), (0.78, 0.88)]],
    3: [[(0.25, 0.14), (0.62, 0.1), (0.74, 0.28), (0.48, 0.47), (0.76, 0.64), (0.68, 0.86), (0.25, 0.88)]],
    4: [[(0.64, 0.9), (0.64, 0.1), (0.2, 0.64), (0.8, 0.64)]],
    5: [[(0.75, 0.1), (0.32, 0.1), (0.28, 0.45), (0.6, 0.4), (0.76, 0.6), (0.66, 0.86), (0.25, 0.86)]],
    6: [[(0.7, 0.1), (0.42, 0.22), (0.28, 0.5), (0.3, 0.8), (0.5, 0.9), (0.7, 0.78), (0.7, 0.58), (0.5, 0.48), (0.3, 0.6)]],
    7: [[(0.22, 0.1), (0.78, 0.1), (0.42, 0.9)]],
    8: [_ellipse(0.5, 0.29, 0.2, 0.18), _ellipse(0.5, 0.7, 0.24, 0.2)],
    9: [_ellipse(0.5, 0.32, 0.22, 0.21), [(0.72, 0.34), (0.64, 0.9)]],
}


def _segments(strokes: list[list[tuple[float, float]]]) -> tuple[np.ndarray, np.ndarray]:
    starts, ends = [], []
    for line in strokes:
        points = np.asarray(line, dtype=np.float64)
        starts.append(points[:-1])
        ends.append(points[1:])
    return np.concatenate(starts), np.concatenate(ends)


def _distance_to_segments(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Distance from each point (P, 2) to the nearest segment: (P,)."""
    direction = ends - starts  # (S, 2)
    length2 = np.maximum(np.sum(direction**2, axis=1), 1e-12)
    offset = points[:, None, :] - starts[None, :, :]  # (P, S, 2)
    along = np.clip(np.sum(offset * direction, axis=2) / length2, 0.0, 1.0)
    nearest = starts[None] + along[..., None] * direction[None]
    return np.sqrt(np.min(np.sum((points[:, None, :] - nearest) ** 2, axis=2), axis=1))


def render_digits(n_per_class: int = 100, seed: int = 0, size: int = 8, supersample: int = 4) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw handwriting-like digits: ``images`` (10·n_per_class, size, size) uint8 in 0..16, ``labels`` int64.

    Each digit's strokes (:data:`DIGIT_STROKES`) get a random affine jitter (rotation ±12°,
    scale 0.8-1.1, shear ±0.2, shift ±0.1), a random pen width, are rendered at
    ``size·supersample`` pixels, averaged down to ``size``, and get pixel noise; intensities
    are quantized to 0..16 (the range of the classic 8x8 digit scans). This is how the shipped
    ``digits_8x8.npz`` was made (``render_digits(100, seed=0)``).
    """
    n_per_class = whole_number(n_per_class, "n_per_class")
    generator = make_rng(seed=seed)
    fine = size * supersample
    centres = (np.arange(fine) + 0.5) / fine
    grid = np.stack(np.meshgrid(centres, centres), axis=-1).reshape(-1, 2)  # (x, y) of each fine pixel
    images, labels = [], []
    for digit in range(10):
        starts, ends = _segments(DIGIT_STROKES[digit])
        for _ in range(n_per_class):
            angle = np.deg2rad(generator.uniform(-12, 12))
            scale = generator.uniform(0.8, 1.1, size=2)
            shear = generator.uniform(-0.2, 0.2)
            rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            matrix = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag(scale)
            shift = generator.uniform(-0.1, 0.1, size=2)
            jitter = generator.normal(0.0, 0.02, size=(2,) + starts.shape)

            def place(points, wobble):
                return (points - 0.5 + wobble) @ matrix.T + 0.5 + shift

            distance = _distance_to_segments(grid, place(starts, jitter[0]), place(ends, jitter[1]))
            width = generator.uniform(0.03, 0.055)
            ink = np.clip(1.0 - (distance - width) / 0.04, 0.0, 1.0).reshape(fine, fine)
            small = ink.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
            small = np.clip(small * generator.uniform(1.2, 1.6) + generator.normal(0.0, 0.05, size=small.shape), 0.0, 1.0)
            images.append(np.round(small * 16).astype(np.uint8))
            labels.append(digit)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def digits(n: int | None = None, images: bool = False, seed: int | None = None,
           rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Small 8x8 digit images shipped in the package (1,000: 100 per digit), in a seeded random order.

    ``X``: (n, 64) float64 in [0, 1] (``images=True``: (n, 1, 8, 8), for :mod:`bplab.conv`);
    ``y``: (n,) int64 in 0..9. ``n=None`` gives all of them. Made by :func:`render_digits`.
    """
    with np.load(DIGITS_FILE) as stored:
        pixels, labels = stored["images"], stored["labels"].astype(np.int64)
    generator = make_rng(rng, seed, default_seed=0)
    order = generator.permutation(len(labels))
    if n is not None:
        n = whole_number(n, "n")
        if n > len(labels):
            raise ValueError(f"n: expected at most {len(labels)} (the shipped images), got {n}")
        order = order[:n]
    X = pixels[order].astype(np.float64) / 16.0
    return (X.reshape(-1, 1, 8, 8) if images else X.reshape(-1, 64)), labels[order]


# ---------------------------------------------------------------------------- sequences (for RNNs)


def adding_problem(n: int = 1000, length: int = 50, seed: int | None = None,
                   rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The adding problem (Hochreiter & Schmidhuber): remember two marked numbers over ``length`` steps.

    ``X`` (n, length, 2) float64: channel 0 a value in U(0, 1) at each step, channel 1 a marker,
    1 at exactly two steps (one in each half) and 0 elsewhere; ``y`` (n, 1) float64: the sum of
    the two marked values. Predicting 1 always gives MSE ≈ 0.167: the bar to beat.
    Batch first: use ``RNN(..., batch_first=True)``.
    """
    n, length = whole_number(n, "n"), whole_number(length, "length", 2)
    generator = make_rng(rng, seed, default_seed=0)
    values = generator.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    first = generator.integers(0, half, size=n)
    second = generator.integers(half, length, size=n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second]).reshape(-1, 1)
    return X, y


def recall_first(n: int = 1000, length: int = 20, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Recall the first value: read ``length`` steps of random signs and say, at the end, which sign came first.

    ``X`` (n, length, 2) float64: channel 0 a value, −1 or +1 with equal chances, at every step;
    channel 1 a marker, 1 at the first step and 0 elsewhere. ``y`` (n, 1) float64: 1 where the
    first value was +1, else 0. The later values are distractors of the same size: a network must
    keep one number for ``length`` − 1 steps while ignoring the rest. Guessing scores 50%.
    Batch first: use ``RNN(..., batch_first=True)``.
    """
    n, length = whole_number(n, "n"), whole_number(length, "length")
    generator = make_rng(rng, seed, default_seed=0)
    values = generator.choice([-1.0, 1.0], size=(n, length))
    markers = np.zeros((n, length))
    markers[:, 0] = 1.0
    X = np.stack([values, markers], axis=-1)
    return X, (values[:, :1] > 0).astype(np.float64)


def recall_first_runs() -> dict[tuple[str, int, int], tuple[np.ndarray, float]]:
    """Lesson 12's stored runs: ``{(model, length, seed): (training accuracy of every step, test accuracy)}``.

    Made by the training code shown in ``12_backprop_through_time.ipynb`` (``tests/stored_runs.py``
    reruns that code; the tests check that it still gives these numbers).
    """
    runs: dict[tuple[str, int, int], tuple[np.ndarray, float]] = {}
    with np.load(RECALL_RUNS_FILE) as stored:
        for key in stored.files:
            model, length, seed, part = key.split("|")
            if part == "train":
                runs[model, int(length), int(seed)] = (stored[key], float(stored[f"{model}|{length}|{seed}|test"]))
    return runs


def copy_task(n: int = 500, length: int = 5, delay: int = 10, symbols: int = 8, seed: int | None = None,
              rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The copy (memory) task: read ``length`` symbols, wait ``delay`` steps, then write them back.

    Time steps $T = 2\,\text{length} + \text{delay}$. Input ``X`` (n, T, symbols + 2) float64,
    one-hot: channel 0 blank, 1..symbols the symbols, symbols + 1 the "now repeat" cue (at step
    length + delay - 1). Target ``y`` (n, T) int64: 0 (blank) everywhere except the last
    ``length`` steps, which hold the symbols (1..symbols). For :func:`bplab.nn.cross_entropy`
    reshape logits (n, T, symbols + 1) to (n·T, symbols + 1) and y to (n·T,).
    """
    n, length = whole_number(n, "n"), whole_number(length, "length")
    delay, symbols = whole_number(delay, "delay"), whole_number(symbols, "symbols")
    generator = make_rng(rng, seed, default_seed=0)
    total = 2 * length + delay
    sequence = generator.integers(1, symbols + 1, size=(n, length))
    codes = np.zeros((n, total), dtype=np.int64)
    codes[:, :length] = sequence
    codes[:, length + delay - 1] = symbols + 1
    X = np.eye(symbols + 2)[codes]
    y = np.zeros((n, total), dtype=np.int64)
    y[:, length + delay :] = sequence
    return X, y


# ---------------------------------------------------------------------------- splitting


def train_test_split(X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: int | None = None,
                     rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split: ``X_train, X_test, y_train, y_test`` (the order of scikit-learn's function)."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"y: expected one target per example ({len(X)}), got {len(y)}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction: expected a fraction between 0 and 1, got {test_fraction}")
    order = make_rng(rng, seed, default_seed=0).permutation(len(X))
    test = max(1, int(round(test_fraction * len(X))))
    return X[order[test:]], X[order[:test]], y[order[test:]], y[order[:test]]
