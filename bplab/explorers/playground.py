r"""The playground: train a small network on a 2-D dataset and watch everything backprop touches.

Controls: dataset, noise, test split; hidden layers and neurons; the activation of each hidden
layer; loss (cross-entropy with softmax, or squared error on one-hot
targets); learning rate; initialization scheme and scale; batch size; epochs; seed; which
first-layer neuron to map; and which weight's gradient to write out. Views: the network as
TensorFlow Playground draws it (each neuron a small map of its output over the plane, each
connection coloured and thickened by its weight); the decision regions with train (filled) and
test (open) points, the largest panel; train and test loss; the gradient norm of each layer's
weights; the chosen neuron's output over the plane; and, in the status line, the chosen weight's
gradient as the chain rule computes it (δ of the neuron it feeds times the activation it comes
from, summed over the next step's batch).

Training is deterministic: epoch ``k`` shuffles with its own seed ``(seed, k)``, so "train more"
continues the current run and gives exactly what training from scratch for as many epochs gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import plotly.graph_objects as go

from bplab import data, init, kernels, nn, optim, train
from bplab.divergence import blew_up
from bplab.engine import Value, no_grad
from bplab.explorers.base import Choice, Explorer, Slider
from bplab.explorers.network_diagram import DIVERGING, LayerMaps, column_names, diagram_traces, layer_maps, node_name
from bplab.explorers.weight_gradient import WeightGradient, arithmetic_text, weight_gradient
from bplab.plain_figures import Panels, heatmap_z, plain_figure
from bplab.validation import make_rng
from bplab.plots import PALETTE, SEQUENCE

DATASETS = ("xor", "circles", "moons", "spirals", "blobs")
CLASSES = {"xor": 2, "circles": 2, "moons": 2, "spirals": 3, "blobs": 3}  # what make_dataset gives
ACTIVATIONS = ("tanh", "relu", "sigmoid")
INITS = ("xavier_uniform", "kaiming_uniform", "normal", "ones", "zeros")
BATCHES = ("full batch", "1", "10", "50")
POINTS = 200
GRID = 50
BLOWUP = 100.0  # a training loss this many times the first one counts as divergence
#: The gradient-norm lines: apart from the losses' blue and vermillion and the explained weight's yellow halo.
NORM_COLOURS = (PALETTE["green"], PALETTE["sky"], PALETTE["purple"], "#999999")
SWING_EPOCHS, SWING = 10, 0.15  # a mini-batch run whose accuracy moved more than this over so many epochs is told why

MAX_HIDDEN_LAYERS = 4
ACTIVATION_SETTINGS = tuple(f"activation_{k}" for k in range(1, MAX_HIDDEN_LAYERS + 1))
SETTINGS_THAT_RETRAIN = ("dataset", "noise", "test_fraction", "hidden_layers", "neurons", *ACTIVATION_SETTINGS,
                         "loss", "rate", "init_scheme", "init_scale", "batch", "seed")


def epoch_seed(seed: int, epoch: int) -> int:
    """The shuffle seed of an epoch, for training it and for showing its first batch beforehand. (Any formula
    that gives each epoch its own seed would do: a mutant of the constant changes both uses alike.)"""
    return seed * 100_003 + epoch


def make_dataset(name: str, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (200, 2) scaled to about [-1, 1], integer classes ``y``."""
    # (POINTS is 200, also the default count of xor, circles, moons and blobs, and 3 is the default number of
    # spirals' classes and of blobs' centres: leaving those arguments out gives the same data)
    makers = {
        "xor": lambda: data.xor(POINTS, noise=noise, seed=seed),
        "circles": lambda: data.circles(POINTS, noise=noise * 0.5, seed=seed),
        "moons": lambda: data.moons(POINTS, noise=noise, seed=seed),
        "spirals": lambda: data.spirals(POINTS, classes=3, noise=noise, seed=seed),
        "blobs": lambda: data.blobs(POINTS, centers=3, std=1.0 + 4 * noise, seed=seed),
    }
    X, y = makers[name]()
    X = (X - X.mean(axis=0)) / np.abs(X - X.mean(axis=0)).max()
    return X, y


@dataclass
class Run:
    """One training run in progress: what the explorer keeps between updates."""

    key: tuple
    model: Any
    optimizer: Any
    epochs: int = 0
    steps: int = 0  # optimizer steps since the run began (the step a divergence names counts from here)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)  # per epoch, one per linear layer
    message: str = ""
    diverged: bool = False


@dataclass(frozen=True)
class PlaygroundState:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: int
    run: Run
    grid_x: np.ndarray
    grid_probability: np.ndarray  # (GRID, GRID, classes)
    neuron_map: np.ndarray  # (GRID, GRID)
    neuron: int
    params: dict
    maps: LayerMaps  # every neuron's output on a coarse grid, and the weights: the network diagram
    explained: WeightGradient | None  # the chosen weight's gradient on the next step's batch (None once diverged)
    batch_words: str  # which examples that batch holds, in words


class Playground(Explorer):
    """``Playground(dataset="xor", hidden_layers=2, neurons=8, rate=0.3, epochs=100, ...)``: every setting a slider."""

    title = "The playground: a network learns a 2-D dataset"
    controls = {
        "dataset": Choice("dataset", DATASETS),
        "noise": Slider("noise", 0.0, 0.5, step=0.05),
        "test_fraction": Slider("test fraction", 0.1, 0.5, step=0.05),
        "hidden_layers": Slider("hidden layers", 1, MAX_HIDDEN_LAYERS, integer=True),
        "neurons": Slider("neurons per layer", 1, 16, integer=True),
        **{name: Choice(f"activation, hidden layer {k}", ACTIVATIONS) for k, name in enumerate(ACTIVATION_SETTINGS, start=1)},
        "loss": Choice("loss", ("cross-entropy", "squared error")),
        "rate": Slider("learning rate (logarithmic)", 1e-3, 3.0, log=True, step=0.05),
        "init_scheme": Choice("initialization", INITS),
        "init_scale": Slider("initialization scale (logarithmic)", 0.01, 10.0, log=True, step=0.1),
        "batch": Choice("batch size", BATCHES),
        "epochs": Slider("epochs", 0, 1000, integer=True, step=10),
        "seed": Slider("seed", 0, 20, integer=True),
        "neuron": Slider("neuron to map (1st hidden layer)", 1, 16, integer=True),
        "weight_layer": Slider("explained weight: layer", 1, MAX_HIDDEN_LAYERS + 1, integer=True),
        "weight_from": Slider("explained weight: from node", 1, 16, integer=True),
        "weight_to": Slider("explained weight: to node", 1, 16, integer=True),
    }
    defaults = {"dataset": "xor", "noise": 0.2, "test_fraction": 0.3, "hidden_layers": 2, "neurons": 8,
                **{name: "tanh" for name in ACTIVATION_SETTINGS}, "loss": "cross-entropy", "rate": 0.3,
                "init_scheme": "xavier_uniform", "init_scale": 1.0, "batch": "full batch", "epochs": 100,
                "seed": 0, "neuron": 1,
                "weight_layer": 1, "weight_from": 1, "weight_to": 1}
    continuous_update = False
    actions = {"train_more": "train 100 more epochs", "step": "one more epoch", "reset": "reset to epoch 0"}

    def __init__(self, **settings: Any) -> None:
        self._run: Run | None = None
        super().__init__(**settings)

    # ------------------------------------------------------------------ actions (buttons)
    def train_more(self, epochs: int = 100) -> None:
        """Train ``epochs`` more (in the widget a background job that redraws as it goes)."""
        self.request(epochs=min(self.params["epochs"] + epochs, int(self.controls["epochs"].high)))

    def step(self) -> None:
        self.request(epochs=min(self.params["epochs"] + 1, int(self.controls["epochs"].high)))

    def reset(self) -> None:
        self.request(epochs=0)

    # ------------------------------------------------------------------ the pure part
    def _new_run(self, p: dict, classes: int, key: tuple) -> Run:
        sizes = layer_sizes(p, classes)
        model = nn.Sequential(*self._layers(sizes, p))
        return Run(key, model, optim.SGD(model.parameters(), lr=p["rate"]))

    def _layers(self, sizes: list[int], p: dict) -> list:
        rng = make_rng(seed=p["seed"])
        scheme = init.scaled(p["init_scheme"], p["init_scale"])
        layers = []
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(fan_in, fan_out, init=scheme, rng=rng))
            if k < len(sizes) - 2:
                layers.append(_activation_module(p[ACTIVATION_SETTINGS[k]]))
        return layers

    def _loss_fn(self, loss: str, classes: int):
        if loss == "cross-entropy":
            return nn.cross_entropy
        eye = np.eye(classes)
        return lambda outputs, target: nn.mse_loss(outputs, eye[target])  # the targets: arrays of whole-number classes

    def compute_steps(self, **p: Any) -> Iterator[Callable[[], PlaygroundState]]:
        """The run so far at once (the first frame), then one epoch per piece until ``epochs``."""
        X, y = make_dataset(p["dataset"], p["noise"], p["seed"])
        X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_fraction=p["test_fraction"], seed=p["seed"])
        classes = int(y.max()) + 1
        unused = self.inactive_controls(p)  # layers that don't exist don't retrain
        key = tuple(None if name in unused else p[name] for name in SETTINGS_THAT_RETRAIN)
        run = self._run
        if run is None or run.key != key or run.epochs > p["epochs"]:
            run = self._new_run(p, classes, key)
            self._record(run, p["loss"], X_train, y_train, X_test, y_test)
        self._run = run  # a stopped job leaves the run where it got to; the next one continues it

        def frame() -> PlaygroundState:
            return self._state(run, p, X_train, y_train, X_test, y_test, classes)

        yield frame
        loss_fn = self._loss_fn(p["loss"], classes)
        batch = None if p["batch"] == "full batch" else int(p["batch"])
        while run.epochs < p["epochs"] and not run.diverged:
            self._train_epoch(run, p, loss_fn, batch, X_train, y_train, X_test, y_test)
            yield frame

    def inactive_controls(self, params: Mapping[str, Any]) -> set[str]:
        """The activations of hidden layers beyond ``hidden_layers``: greyed out until the layer is added."""
        return set(ACTIVATION_SETTINGS[params["hidden_layers"]:])

    def progress(self, state: PlaygroundState) -> str:
        target = state.params["epochs"]
        if state.run.epochs >= target or state.run.diverged:
            return ""
        return f"epoch {state.run.epochs:,} of {target:,}"

    def reached(self, state: PlaygroundState) -> dict[str, Any]:
        return {"epochs": state.run.epochs}

    def _state(self, run: Run, p: dict, X_train, y_train, X_test, y_test, classes: int) -> PlaygroundState:
        grid_x = np.linspace(-1.15, 1.15, GRID)  # (GRID is 50, linspace's default count: leaving it out is the same)
        points = np.stack(np.meshgrid(grid_x, grid_x), axis=-1).reshape(GRID * GRID, 2)  # rows of (x, y), y slowest
        with no_grad():  # the grid is only looked at: no graph to record
            logits = run.model(points).data
            first_layer = run.model.layers[1](run.model.layers[0](points)).data
        probability = kernels.softmax(logits).reshape(GRID, GRID, classes)  # over the classes: the last axis
        neuron = min(p["neuron"], p["neurons"]) - 1
        maps = layer_maps(run.model.layers, kernels.softmax)
        layer, source, target = self.explained_weight(p, classes)
        batch_rows, batch_words = self.next_batch(run, p, len(X_train))
        explained = None  # nothing to explain once the run blew up (its numbers are huge or NaN)
        if not run.diverged and np.all(np.isfinite(logits)):
            explained = weight_gradient(run.model.layers, self._loss_fn(p["loss"], classes), X_train[batch_rows],
                                        y_train[batch_rows], layer, source, target)
        return PlaygroundState(X_train, y_train, X_test, y_test, classes, run, grid_x, probability,
                               first_layer[:, neuron].reshape(GRID, GRID), neuron, dict(p), maps, explained, batch_words)

    @staticmethod
    def explained_layer_index(p: Mapping[str, Any], sizes: list[int]) -> int:
        """The explained weight's linear layer, from 0: the chosen one, or the output layer if that is beyond it."""
        return min(p["weight_layer"], len(sizes) - 1) - 1

    @staticmethod
    def explained_weight(p: Mapping[str, Any], classes: int) -> tuple[int, int, int]:
        """The chosen weight as (linear layer, from node, to node), from 0, each within the network's sizes."""
        sizes = layer_sizes(p, classes)
        layer = Playground.explained_layer_index(p, sizes)
        return layer, min(p["weight_from"], sizes[layer]) - 1, min(p["weight_to"], sizes[layer + 1]) - 1

    @staticmethod
    def next_batch(run: Run, p: Mapping[str, Any], examples: int) -> tuple[np.ndarray, str]:
        """The training rows of the run's next step, and in words: the first mini-batch of the next epoch,
        drawn exactly as :meth:`_train_epoch` will draw it (``train.fit``'s shuffle of that epoch's seed)."""
        if p["batch"] == "full batch" or int(p["batch"]) >= examples:
            return np.arange(examples), f"all {examples} training points (full batch)"
        size = int(p["batch"])
        order = make_rng(seed=epoch_seed(p["seed"], run.epochs)).permutation(examples)
        words = "the next step's batch, 1 training point" if size == 1 else f"the next step's batch of {size} training points"
        return order[:size], words

    def _train_epoch(self, run: Run, p: dict, loss_fn, batch: int | None, X_train, y_train, X_test, y_test) -> None:
        """One more epoch of ``run``, its losses and gradient norms recorded; a blow-up stops the run."""
        # one mini-batch's loss says little (a single example's swings 100-fold): fit stops only on NaN or inf,
        # and a blow-up is judged below on the whole training set, once per epoch
        history = train.fit(run.model, loss_fn, run.optimizer, X_train, y_train, epochs=1, batch_size=batch,
                            seed=epoch_seed(p["seed"], run.epochs),  # next_batch() draws the first batch alike
                            accuracy=None, blowup_factor=math.inf)  # (epochs=1 is fit's default; accuracy=None: speed)
        run.epochs += 1
        steps_before, run.steps = run.steps, run.steps + history.steps
        if history.diverged:  # NaN or inf inside the epoch: fit counted its steps from this epoch's start
            run.diverged = True
            run.message = self._blame(run, p, f"epoch {run.epochs} (step {steps_before + history.diverged_at_step} of the run)",
                                      "the loss became NaN or infinite")
            return
        norms = history.layer_grad_norms()
        run.grad_norms.append([float(norms[name][-1]) for name in norms if name.endswith("weight")])
        self._record(run, p["loss"], X_train, y_train, X_test, y_test)
        loss = run.train_loss[-1]
        # (an untrained network's loss is never near 0, so the floor never decides: any small one is the same)
        if blew_up(loss, run.train_loss[0], BLOWUP, floor=1e-12):
            run.diverged = True
            run.message = self._blame(run, p, f"epoch {run.epochs}",
                                      f"the training loss grew from {run.train_loss[0]:.3g} to {loss:.3g}")

    @staticmethod
    def _blame(run: Run, p: dict, where: str, what: str) -> str:
        """The stop message, with the likely cause: the starting weights when the untrained network's loss was
        already far from a guess's, else the learning rate."""
        classes = run.model.layers[-1].out_features
        # the loss of an unsure guess: ln C for cross-entropy; outputs of 0 against one-hot targets, a mean over
        # all C outputs of each example, give 1/C for the squared error
        guess = math.log(classes) if p["loss"] == "cross-entropy" else 1.0 / classes
        first = run.train_loss[0]
        if not math.isfinite(first) or first > 10 * guess:
            cause = (f"the starting weights are too large (init scale {p['init_scale']:g}): before any training the loss "
                     f"was already {first:.3g}, against about {guess:.2g} for an unsure guess, so the first steps are "
                     "huge; lower the init scale")
        else:
            cause = f"the learning rate ({p['rate']:.3g}) is probably too large; try a smaller one"
        return f"diverged at {where}: {what}; {cause}"

    @staticmethod
    def _record(run: Run, loss: str, X_train, y_train, X_test, y_test) -> None:
        """Loss and accuracy on both sets, each from one forward pass (NumPy only: no graph needed)."""
        for X, y, losses, accuracies in ((X_train, y_train, run.train_loss, run.train_accuracy),
                                         (X_test, y_test, run.test_loss, run.test_accuracy)):
            with no_grad():
                logits = run.model(X).data
            losses.append(evaluate_loss(logits, y, loss))
            accuracies.append(float(np.mean(np.argmax(logits, axis=1) == y)))

    def slider_limits(self, state: PlaygroundState | None) -> dict[str, float]:
        """Only neurons and layers that exist can be chosen."""
        if state is None:
            return {}
        return {"neuron": state.params["neurons"], "weight_layer": state.params["hidden_layers"] + 1}

    follow_settings = ("weight_from", "weight_to")

    def limits_from_settings(self, settings: Mapping[str, Any]) -> dict[str, float]:
        """The explained weight's ends: nodes of the layer it leaves and of the layer it feeds."""
        sizes = layer_sizes(settings, CLASSES[settings["dataset"]])
        layer = self.explained_layer_index(settings, sizes)
        return {"weight_from": sizes[layer], "weight_to": sizes[layer + 1]}

    # ------------------------------------------------------------------ drawing
    def draw(self, s: PlaygroundState) -> go.Figure:
        p = s.params
        class_colours = list(SEQUENCE[:s.classes]) if s.classes > 2 else [PALETTE["purple"], PALETTE["orange"]]
        panels = Panels(
            {"regions": ((0.5, 1.0), (0.42, 1.0)), "network": ((0.0, 0.43), (0.42, 0.88)),
             "loss": ((0.0, 0.26), (0.0, 0.29)), "norms": ((0.36, 0.62), (0.0, 0.29)), "neuron": ((0.72, 0.93), (0.0, 0.29))},
            titles={"regions": "Decision regions: train ● and test ○",
                    "loss": "Loss", "norms": "Each layer's gradient norm" + (
                        "" if p["batch"] == "full batch" else "<br>(the last step of each epoch)"),
                    "neuron": f"Neuron {s.neuron + 1} of hidden layer 1<br>(framed in the network)"})
        regions, curves, norms_cell, neuron_cell = (panels.axes(name) for name in ("regions", "loss", "norms", "neuron"))
        traces: list[dict] = []
        finite = bool(np.all(np.isfinite(s.grid_probability)))
        if s.classes == 2:  # purple = class 0, orange = class 1
            traces.append(dict(type="heatmap", x=s.grid_x, y=s.grid_x, z=heatmap_z(s.grid_probability[:, :, 1], 3), zmin=0,
                               zmax=1, colorscale="PuOr_r", showscale=False, opacity=0.75, name="P(class 1)", **regions))
        else:
            winner = np.where(finite, np.argmax(s.grid_probability, axis=2), -1)
            scale = [[k / (s.classes - 1), SEQUENCE[k]] for k in range(s.classes)]
            traces.append(dict(type="heatmap", x=s.grid_x, y=s.grid_x, z=heatmap_z(np.where(winner >= 0, winner, np.nan), 3),
                               zmin=0, zmax=s.classes - 1, colorscale=scale, showscale=False, opacity=0.45,
                               name="predicted class", **regions))
        for k in range(s.classes):
            mine = s.y_train == k
            traces.append(dict(type="scatter", x=s.X_train[mine, 0], y=s.X_train[mine, 1], mode="markers", showlegend=False,
                               name=f"class {k} (train)", marker=dict(color=class_colours[k], size=7, line=dict(color="black", width=1)),
                               **regions))
            mine = s.y_test == k
            traces.append(dict(type="scatter", x=s.X_test[mine, 0], y=s.X_test[mine, 1], mode="markers", showlegend=False,
                               name=f"class {k} (test)", marker=dict(color="white", size=7, line=dict(color=class_colours[k], width=2)),
                               **regions))
        names = column_names([p[ACTIVATION_SETTINGS[k]] for k in range(p["hidden_layers"])])
        chosen = None if s.explained is None else (s.explained.layer, s.explained.source, s.explained.target)
        ranges = [(0.0, 1.0) if p[ACTIVATION_SETTINGS[k]] == "sigmoid" else (-1.0, 1.0) for k in range(p["hidden_layers"])]
        network, labels, x_range, y_range = diagram_traces(s.maps, panels.axes("network"), panels.refs("network"), names,
                                                           class_colours, chosen, ranges, outlined=(1, s.neuron))
        traces += network
        panels.layout["annotations"] += labels + [dict(  # the title level with the regions', above the column names
            text="The network: each neuron's output over the plane", x=0.215, y=1.0, xref="paper", yref="paper",
            xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=Panels.TITLE_SIZE))]
        epochs = np.arange(len(s.run.train_loss))
        mode = "lines" if len(epochs) > 1 else "markers"  # one point (epoch 0) shows as a dot
        traces.append(dict(type="scatter", x=epochs, y=s.run.train_loss, mode=mode, name="train loss", cliponaxis=False,
                           line=dict(color=PALETTE["blue"], width=2.5), **curves))
        traces.append(dict(type="scatter", x=epochs, y=s.run.test_loss, mode=mode, name="test loss",
                           line=dict(color=PALETTE["vermillion"], width=2.5, dash="dash"), **curves))
        norms = np.array(s.run.grad_norms) if s.run.grad_norms else np.zeros((0, p["hidden_layers"] + 1))
        for layer in range(norms.shape[1]):
            name = "output layer" if layer == norms.shape[1] - 1 else f"hidden layer {layer + 1}"
            colour = PALETTE["black"] if layer == norms.shape[1] - 1 else NORM_COLOURS[layer]
            traces.append(dict(type="scatter", x=np.arange(1, len(norms) + 1), y=norms[:, layer], mode="lines", name=name,
                               line=dict(color=colour, width=2), **norms_cell))
        reach = float(np.max(np.abs(s.neuron_map))) if np.all(np.isfinite(s.neuron_map)) else 1.0
        reach = reach if reach > 0 else 1.0
        low, high = (0.0, 1.0) if p[ACTIVATION_SETTINGS[0]] == "sigmoid" else (-reach, reach)  # a sigmoid's 0.5 is white
        traces.append(dict(type="heatmap", x=s.grid_x, y=s.grid_x, z=heatmap_z(s.neuron_map, 3), colorscale=DIVERGING,
                           zmin=low, zmax=high, name="neuron output",
                           colorbar=dict(len=0.29, y=0.0, yanchor="bottom", x=0.95, thickness=10,
                                         title=dict(text="output", side="right")), **neuron_cell))
        for name in ("regions", "neuron"):
            panels.xaxis(name).update(range=[-1.15, 1.15], constrain="domain", showgrid=False)
            panels.yaxis(name).update(range=[-1.15, 1.15], scaleanchor=panels.axes(name)["xaxis"], showgrid=False)
        hidden = dict(showgrid=False, zeroline=False, showticklabels=False, constrain="domain")
        panels.xaxis("network").update(range=x_range, **hidden)
        panels.yaxis("network").update(range=y_range, scaleanchor=panels.axes("network")["xaxis"], constraintoward="top", **hidden)
        # the run's whole length (the axes stay put while a job trains); a blown-up run ends where it stopped
        horizon = max(s.run.epochs if s.run.diverged else max(p["epochs"], s.run.epochs), 1)
        for name in ("loss", "norms"):
            panels.xaxis(name).update(title=dict(text="epoch"), range=[0, horizon])
        finite_losses = [v for v in s.run.train_loss + s.run.test_loss if np.isfinite(v)]
        top = min(max(finite_losses), 3 * max(s.run.train_loss[0], s.run.test_loss[0])) if finite_losses else 1.0
        panels.yaxis("loss").update(title=dict(text="loss"), range=[0, 1.05 * top])  # a blow-up does not flatten the rest
        panels.yaxis("norms").update(title=dict(text="‖∂L/∂W‖"), type="log", dtick=1, exponentformat="power")
        if not s.run.grad_norms:  # nothing to put on the log axis: no made-up ticks behind the note that says why
            panels.yaxis("norms").update(showticklabels=False, showgrid=False)
        for name, text in self._empty_panels(s, finite).items():
            panels.note(name, text)
        return plain_figure(traces, panels.layout, height=760, width=870, showlegend=True,
                            legend=dict(orientation="h", x=0.0, y=-0.12, xanchor="left", yanchor="top"),
                            margin=dict(l=65, r=20, t=40, b=40))  # fixed margins: room for the log axis's labels and title

    @staticmethod
    def accuracy_swing(s: PlaygroundState) -> tuple[float, float] | None:
        """The lowest and highest training accuracy of the last :data:`SWING_EPOCHS` epochs, when a mini-batch
        run's accuracy swings by more than :data:`SWING` between them (mini-batch noise), else None."""
        recent = s.run.train_accuracy[-SWING_EPOCHS:]
        if s.params["batch"] == "full batch" or s.run.diverged or len(recent) < SWING_EPOCHS:
            return None
        return (min(recent), max(recent)) if max(recent) - min(recent) > SWING else None

    @staticmethod
    def _empty_panels(s: PlaygroundState, finite: bool) -> dict[str, str]:
        """A sentence for each panel that has nothing to show, saying why."""
        notes = {}
        if not s.run.grad_norms:
            notes["norms"] = ("Training diverged in its first epoch:<br>no gradient norm was recorded." if s.run.diverged else
                              "No epoch trained yet: each layer's<br>gradient norm appears after its first epoch.")
        if not finite:
            blank = "The network's outputs are NaN after the blow-up:<br>nothing to draw. Lower the learning rate<br>or the init scale, and retrain."
            notes["regions"] = blank
            notes["network"] = "The weights are NaN after the blow-up."
        if not np.all(np.isfinite(s.neuron_map)):
            notes["neuron"] = "NaN: the run blew up."
        return notes

    def describe(self, s: PlaygroundState) -> str:
        run = s.run
        text = (f"Epoch {run.epochs}: train loss {run.train_loss[-1]:.3f}, test loss {run.test_loss[-1]:.3f}; "
                f"accuracy {run.train_accuracy[-1]:.0%} on train, <b>{run.test_accuracy[-1]:.0%} on test</b>.")
        if run.diverged:
            text = f"<b>Stopped: {run.message}</b> " + text
        elif s.params["init_scheme"] in ("zeros", "ones"):
            text += (" Every weight started equal, so every hidden unit of a layer computes the same thing and gets the "
                     "same gradient: they stay identical, however long you train.")
            if s.params["init_scheme"] == "zeros" and any(s.params[a] != "sigmoid" for a in ACTIVATION_SETTINGS[:s.params["hidden_layers"]]):
                text += " With zeros and tanh or ReLU, the hidden outputs are 0, so even the gradients are 0: nothing but the output bias moves."
        swing = self.accuracy_swing(s)
        if swing is not None:
            low, high = swing
            size = int(s.params["batch"])
            text += (f" With batches of {size}, each step follows {'a single point' if size == 1 else f'{size} points'}, so the "
                     f"accuracy swings from epoch to epoch ({low:.0%} to {high:.0%} over the last {SWING_EPOCHS}): a smaller "
                     f"learning rate (say {s.params['rate'] / 10:.2g}) settles it.")
        if s.explained is None:
            text += " (No weight's gradient is written out once the run has blown up: its numbers mean nothing.)"
        else:
            columns = s.params["hidden_layers"] + 2
            e = s.explained
            text += "<br>" + arithmetic_text(e, node_name(e.layer, e.source, columns), node_name(e.layer + 1, e.target, columns),
                                             s.params["rate"], s.batch_words)
        return text


def layer_sizes(p: Mapping[str, Any], classes: int) -> list[int]:
    """The network's widths: the 2 inputs, each hidden layer's neurons, one output per class."""
    return [2] + [p["neurons"]] * p["hidden_layers"] + [classes]


def _activation_module(name: str):
    return {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[name]()


def evaluate_loss(logits: np.ndarray, y: np.ndarray, loss: str) -> float:
    """The same numbers as nn.cross_entropy / nn.mse_loss on one-hot targets, in plain NumPy."""
    if loss == "cross-entropy":
        return float(-np.mean(kernels.log_softmax(logits)[np.arange(len(y)), y]))  # over the classes: the last axis
    return float(np.mean((logits - np.eye(logits.shape[1])[y]) ** 2))
