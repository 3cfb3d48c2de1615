r"""The training clinic (lesson 14): one training loop on the shipped 8×8 digits, with the classic bugs as switches.

:func:`train_steps` trains an MLP (64 → 32 → 32 → 10) with plain SGD on mini-batches of 32 and
records, at every step, what a practitioner watches: the training loss (its first value should be
near $\ln 10 \approx 2.30$ for ten classes), the test loss and accuracy after every epoch, each
layer's **update-to-weight ratio** $\|\Delta W\| / \|W\|$ (CS231n's rule of thumb is about $10^{-3}$; a
healthy run here sits between $3 \times 10^{-3}$ and $10^{-2}$), and
the health of the hidden units (the fraction of ReLUs that output 0 for every test example, "dead";
or, for sigmoid and tanh, the fraction of outputs whose slope is below 5% of the largest, "saturated").

Every bug of the gallery is one field of :class:`Settings`, so that the broken run and its fix
(:func:`fixed`: a healthy run, ReLU or, for the saturation case, tanh) differ in that field alone. :data:`CASES` holds the gallery: eight broken runs, lettered, in an
order that does not give away their causes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bplab import data, init, nn, optim
from bplab.engine import no_grad
from bplab.validation import make_rng

#: The causes the gallery's runs are diagnosed with (the options of the lesson's exercises).
CAUSES = (
    "learning rate too high",
    "learning rate too low",
    "dead ReLUs",
    "saturated tanh units",
    "forgotten zero_grad",
    "loss summed instead of averaged",
    "inputs not normalized",
    "labels shuffled apart from their inputs",
)
SIZES = (64, 32, 32, 10)
BATCH = 32
#: An output whose slope is below this fraction of the activation's largest slope counts as saturated.
SATURATED_SLOPE = 0.05
ACTIVATIONS = ("relu", "sigmoid", "tanh")


@dataclass(frozen=True)
class Settings:
    """One training run: a healthy one by default; each bug of the gallery changes one field."""

    lr: float = 0.1  # plain SGD's learning rate
    init_scale: float = 1.0  # multiplies PyTorch's default initialization of the weights
    activation: str = "relu"
    hidden_bias: float = 0.0  # added to every hidden bias at the start (very negative: ReLUs born dead)
    zero_grad: bool = True  # call optimizer.zero_grad() before every backward pass
    reduction: str = "mean"  # the loss over the batch: "mean" or "sum"
    normalize_inputs: bool = True  # standardize each pixel (training mean and spread); False: 8-bit pixels 0..255
    shuffle_labels: bool = False  # the training labels shuffled apart from their images
    epochs: int = 12
    seed: int = 0


@dataclass
class Record:
    """What a run has done so far."""

    settings: Settings
    steps_per_epoch: int
    losses: list[float] = field(default_factory=list)  # training loss at every step (as the loss was computed)
    update_ratios: list[list[float]] = field(default_factory=list)  # per step: ||dW|| / ||W|| of each layer
    test_losses: list[float] = field(default_factory=list)  # after every epoch (mean over the test set)
    test_accuracies: list[float] = field(default_factory=list)
    train_accuracies: list[float] = field(default_factory=list)
    unhealthy: list[list[float]] = field(default_factory=list)  # per epoch: dead or saturated fraction of each hidden layer
    first_loss_per_example: float = float("nan")  # the first batch's loss, per example whatever the reduction
    diverged_at: int | None = None  # the step whose loss was not finite

    @property
    def epochs_done(self) -> int:
        return len(self.test_losses)

    @property
    def finished(self) -> bool:
        return self.diverged_at is not None or self.epochs_done == self.settings.epochs


def digits_split(normalize: bool, shuffle_labels: bool, seed: int = 0) -> tuple[np.ndarray, ...]:
    """750 training and 250 test digits as (N, 64); inputs standardized with the training set's statistics, or raw
    8-bit pixel values 0..255, as image files store them; optionally the training labels shuffled."""
    X, y = data.digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    if normalize:
        mean, spread = X_train.mean(axis=0), X_train.std(axis=0) + 1e-8
        X_train, X_test = (X_train - mean) / spread, (X_test - mean) / spread
    else:
        X_train, X_test = 255 * X_train, 255 * X_test
    if shuffle_labels:
        y_train = make_rng(seed=seed + 99).permutation(y_train)
    return X_train, X_test, y_train, y_test


def make_model(settings: Settings) -> nn.Sequential:
    """The MLP of the clinic, with the run's initialization."""
    if settings.activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(map(repr, ACTIVATIONS))}, got {settings.activation!r}")
    rng = make_rng(seed=settings.seed)
    layers: list[Any] = []
    for k, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        linear = nn.Linear(fan_in, fan_out, init=init.scaled("pytorch_default", settings.init_scale), rng=rng)
        layers.append(linear)
        if k < len(SIZES) - 2:
            linear.bias.data += settings.hidden_bias
            layers.append(nn.ACTIVATIONS[settings.activation]())
    return nn.Sequential(*layers)


def _unhealthy_fraction(hidden: np.ndarray, activation: str) -> float:
    """The fraction of dead ReLUs (0 for every example), or of saturated sigmoid/tanh outputs (slope below
    SATURATED_SLOPE of the largest), in one layer's outputs ``hidden`` (examples × units)."""
    if activation == "relu":
        return float(np.mean(np.all(hidden <= 0, axis=0)))
    slope = hidden * (1 - hidden) / 0.25 if activation == "sigmoid" else 1 - hidden ** 2
    return float(np.mean(slope < SATURATED_SLOPE))


def _evaluate(model: nn.Sequential, settings: Settings, X: np.ndarray, y: np.ndarray) -> tuple[float, float, list[float]]:
    """Mean loss, accuracy and each hidden layer's unhealthy fraction on ``(X, y)``, without a graph."""
    with no_grad(), np.errstate(all="ignore"):
        h, hidden = X, []
        for layer in model.layers:
            h = layer(h)
            if not isinstance(layer, nn.Linear):
                hidden.append(h.data)
        loss = float(nn.cross_entropy(h, y).data)
        accuracy = float(np.mean(np.argmax(h.data, axis=1) == y))
    return loss, accuracy, [_unhealthy_fraction(a, settings.activation) for a in hidden]


def train_steps(settings: Settings = Settings()) -> Iterator[Record]:
    """Train with ``settings``; yield the (same, growing) :class:`Record` after every epoch (and once before the first).

    Each step: the batch's loss (``reduction`` of the per-example cross-entropy), ``backward()``,
    one SGD step; ``zero_grad()`` first unless the bug switches it off. A loss that is not finite
    stops the run.
    """
    if settings.reduction not in ("mean", "sum"):
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {settings.reduction!r}")
    X_train, X_test, y_train, y_test = digits_split(settings.normalize_inputs, settings.shuffle_labels, settings.seed)
    model = make_model(settings)
    weights = [layer.weight for layer in model.layers if isinstance(layer, nn.Linear)]
    optimizer = optim.SGD(model.parameters(), lr=settings.lr)
    rng = make_rng(seed=settings.seed + 1)
    steps_per_epoch = -(-len(X_train) // BATCH)
    record = Record(settings, steps_per_epoch)
    yield record
    for _ in range(settings.epochs):
        order = rng.permutation(len(X_train))
        for first in range(0, len(order), BATCH):
            rows = order[first:first + BATCH]
            with np.errstate(all="ignore"):
                loss = nn.cross_entropy(model(X_train[rows]), y_train[rows], reduction=settings.reduction)
                value = float(loss.data)
                if not record.losses:
                    record.first_loss_per_example = value / (len(rows) if settings.reduction == "sum" else 1)
                record.losses.append(value)
                if not np.isfinite(value):
                    record.diverged_at = len(record.losses)
                    yield record
                    return
                if settings.zero_grad:
                    optimizer.zero_grad()
                loss.backward()
                before = [w.data.copy() for w in weights]
                optimizer.step()
                record.update_ratios.append([float(np.linalg.norm(w.data - b) / (np.linalg.norm(b) + 1e-12))
                                             for w, b in zip(weights, before)])
        test_loss, test_accuracy, unhealthy = _evaluate(model, settings, X_test, y_test)
        _, train_accuracy, _ = _evaluate(model, settings, X_train, y_train)
        record.test_losses.append(test_loss)
        record.test_accuracies.append(test_accuracy)
        record.train_accuracies.append(train_accuracy)
        record.unhealthy.append(unhealthy)
        yield record


def train(settings: Settings = Settings()) -> Record:
    """The finished :class:`Record` of a run (see :func:`train_steps`)."""
    record = None
    for record in train_steps(settings):
        pass
    return record


#: The gallery: for each cause, the healthy run it starts from (ReLU, or tanh for saturation) and its one bug.
_HEALTHY = {"saturated tanh units": dict(activation="tanh")}
_BUGS = {
    "learning rate too high": dict(lr=2.0),
    "learning rate too low": dict(lr=0.002),
    "dead ReLUs": dict(hidden_bias=-3.0),
    "saturated tanh units": dict(init_scale=10.0),
    "forgotten zero_grad": dict(zero_grad=False),
    "loss summed instead of averaged": dict(reduction="sum"),
    "inputs not normalized": dict(normalize_inputs=False),
    "labels shuffled apart from their inputs": dict(shuffle_labels=True),
}
_ORDER = [CAUSES[k] for k in (5, 2, 7, 0, 4, 6, 3, 1)]  # a fixed shuffle: the letters give nothing away
#: Letter -> (the broken settings, the cause).
CASES: dict[str, tuple[Settings, str]] = {
    letter: (replace(Settings(), **_HEALTHY.get(cause, {}), **_BUGS[cause]), cause) for letter, cause in zip("ABCDEFGH", _ORDER)
}


def case(letter: str) -> Settings:
    """The settings of the gallery's case ``letter`` ("A" to "H"); its cause stays hidden (see the lesson's exercises)."""
    if letter not in CASES:
        raise ValueError(f"letter: expected one of {', '.join(CASES)}, got {letter!r}")
    return CASES[letter][0]


def fixed(letter: str) -> Settings:
    """Case ``letter`` with its bug removed: the healthy run it started from."""
    case(letter)
    return replace(Settings(), **_HEALTHY.get(CASES[letter][1], {}))
