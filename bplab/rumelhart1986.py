r"""The experiments of Rumelhart, Hinton & Williams, "Learning representations by back-propagating errors"
(Nature 323, 1986), at the paper's scale and with the paper's learning procedure, many seeds at once.

The paper's network is layered, of logistic units $y_j = 1/(1 + e^{-x_j})$ with $x_j = \sum_i y_i w_{ji} + b_j$.
Its error is summed over every case $c$ and output $j$, $E = \tfrac12 \sum_c \sum_j (y_{j,c} - d_{j,c})^2$, and its
backward pass is the paper's four equations, written here for a whole layer and every case at once:

$$ \frac{\partial E}{\partial y_j} = y_j - d_j, \qquad
   \frac{\partial E}{\partial x_j} = \frac{\partial E}{\partial y_j}\, y_j (1 - y_j), \qquad
   \frac{\partial E}{\partial w_{ji}} = \frac{\partial E}{\partial x_j}\, y_i, \qquad
   \frac{\partial E}{\partial y_i} = \sum_j \frac{\partial E}{\partial x_j}\, w_{ji}. $$

After each **sweep** through all the cases, every weight moves by the accumulated gradient, with momentum: $\Delta w(t) = -\varepsilon\, \partial E/\partial w(t) + \alpha\, \Delta w(t-1)$.

Every array carries a leading *seed* axis: ``weights[k]`` has shape (seeds, inputs, outputs), so a hundred runs
train as one NumPy computation. Each seed draws its starting weights from its own generator, so a run does not
depend on which other seeds train beside it. :func:`engine_error` builds the same error on bplab's engine for one
seed; the tests check that its backprop, the equations here and central differences agree.

Three tasks: :func:`symmetry_task` (6-2-1, the paper's Fig. 1), :func:`family_trees_task` (the paper's Figs. 2-4)
and :func:`encoder_task` (8-3-8, the encoder problem of the PDP book's chapter 8 by the same authors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from bplab.engine import Value


# ----------------------------------------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """Cases and targets, the layer sizes, and which first-layer weights exist (``mask``, None for all)."""

    name: str
    inputs: np.ndarray  # (cases, units)
    targets: np.ndarray  # (cases, units)
    sizes: tuple[int, ...]
    mask: np.ndarray | None = None  # (sizes[0], sizes[1]) of 0/1: the first layer's existing connections
    labels: tuple[str, ...] = ()  # a name for each case


def symmetry_task() -> Task:
    """All 64 binary vectors of length 6; the output should be 1 exactly for the 8 that are mirror-symmetric."""
    cases = np.array(list(product((0.0, 1.0), repeat=6)))
    symmetric = np.all(cases == cases[:, ::-1], axis=1)
    labels = tuple("".join(str(int(v)) for v in row) for row in cases)
    return Task("symmetry", cases, symmetric.astype(float)[:, None], (6, 2, 1), labels=labels)


def encoder_task(units: int = 8, hidden: int = 3) -> Task:
    """The encoder problem: ``units`` one-hot patterns to be copied through ``hidden`` units (8-3-8)."""
    if isinstance(units, bool) or not isinstance(units, int) or units < 2:
        raise ValueError(f"units: expected a whole number of at least 2, got {units!r}")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden < units:
        raise ValueError(f"hidden: expected a whole number from 1 to {units - 1}, got {hidden!r}")
    eye = np.eye(units)
    return Task(f"encoder {units}-{hidden}-{units}", eye, eye, (units, hidden, units),
                labels=tuple(f"pattern {k + 1}" for k in range(units)))


#: The two isomorphic family trees of the paper's Fig. 2: (person, sex, father, mother, spouse). The Italian
#: family is the English one with every person renamed, in the same order.
ENGLISH = (
    ("Christopher", "M", None, None, "Penelope"), ("Penelope", "F", None, None, "Christopher"),
    ("Andrew", "M", None, None, "Christine"), ("Christine", "F", None, None, "Andrew"),
    ("Margaret", "F", None, None, "Arthur"), ("Arthur", "M", "Christopher", "Penelope", "Margaret"),
    ("Victoria", "F", "Christopher", "Penelope", "James"), ("James", "M", "Andrew", "Christine", "Victoria"),
    ("Jennifer", "F", "Andrew", "Christine", "Charles"), ("Charles", "M", None, None, "Jennifer"),
    ("Colin", "M", "James", "Victoria", None), ("Charlotte", "F", "James", "Victoria", None),
)
ITALIAN_NAMES = ("Roberto", "Maria", "Pierro", "Francesca", "Gina", "Emilio", "Lucia", "Marco", "Angela", "Tomaso",
                 "Alfonso", "Sophia")
RELATIONSHIPS = ("father", "mother", "husband", "wife", "son", "daughter", "uncle", "aunt", "brother", "sister",
                 "nephew", "niece")


def family_tree_facts() -> dict[tuple[str, str], frozenset[str]]:
    """(person, relationship) -> everyone who is that relationship of that person, in both families."""
    rename = dict(zip((p[0] for p in ENGLISH), ITALIAN_NAMES))
    facts: dict[tuple[str, str], frozenset[str]] = {}
    for family in (ENGLISH, tuple((rename[p], s, *(rename.get(x) for x in rest)) for p, s, *rest in ENGLISH)):
        sex = {p: s for p, s, *_ in family}
        parents = {p: {f, m} - {None} for p, _, f, m, _ in family}
        spouse = {p: w for p, *_, w in family if w}
        children = {p: {c for c in parents if p in parents[c]} for p in sex}
        siblings = {p: {q for q in sex if q != p and parents[p] and parents[q] == parents[p]} for p in sex}
        # uncles and aunts: the parents' siblings and those siblings' spouses
        elders = {p: set().union(*(siblings[q] for q in parents[p])) if parents[p] else set() for p in sex}
        elders = {p: e | {spouse[q] for q in e if q in spouse} for p, e in elders.items()}
        young = {p: {c for c in sex if p in elders[c]} for p in sex}
        kin = {
            "father": lambda p: {q for q in parents[p] if sex[q] == "M"},
            "mother": lambda p: {q for q in parents[p] if sex[q] == "F"},
            "husband": lambda p: {spouse[p]} if p in spouse and sex[spouse[p]] == "M" else set(),
            "wife": lambda p: {spouse[p]} if p in spouse and sex[spouse[p]] == "F" else set(),
            "son": lambda p: {q for q in children[p] if sex[q] == "M"},
            "daughter": lambda p: {q for q in children[p] if sex[q] == "F"},
            "uncle": lambda p: {q for q in elders[p] if sex[q] == "M"},
            "aunt": lambda p: {q for q in elders[p] if sex[q] == "F"},
            "brother": lambda p: {q for q in siblings[p] if sex[q] == "M"},
            "sister": lambda p: {q for q in siblings[p] if sex[q] == "F"},
            "nephew": lambda p: {q for q in young[p] if sex[q] == "M"},
            "niece": lambda p: {q for q in young[p] if sex[q] == "F"},
        }
        for person in sex:
            for relationship in RELATIONSHIPS:
                answer = kin[relationship](person)
                if answer:
                    facts[(person, relationship)] = frozenset(answer)
    return facts


PEOPLE = tuple(p[0] for p in ENGLISH) + ITALIAN_NAMES


def family_trees_task() -> Task:
    """The 104 questions "who is the <relationship> of <person>?": a person unit and a relationship unit on, the
    answers' units as targets. 24 + 12 inputs; 6 units encode the person and 6 the relationship (the first layer's
    ``mask``), then 12 central units, 6 units, 24 outputs."""
    facts = family_tree_facts()
    inputs = np.zeros((len(facts), len(PEOPLE) + len(RELATIONSHIPS)))
    targets = np.zeros((len(facts), len(PEOPLE)))
    for row, ((person, relationship), answers) in enumerate(facts.items()):
        inputs[row, PEOPLE.index(person)] = 1.0
        inputs[row, len(PEOPLE) + RELATIONSHIPS.index(relationship)] = 1.0
        for answer in answers:
            targets[row, PEOPLE.index(answer)] = 1.0
    mask = np.zeros((len(PEOPLE) + len(RELATIONSHIPS), 12))
    mask[:len(PEOPLE), :6] = 1.0
    mask[len(PEOPLE):, 6:] = 1.0
    labels = tuple(f"{relationship} of {person}" for person, relationship in facts)
    return Task("family trees", inputs, targets, (36, 12, 12, 6, 24), mask=mask, labels=labels)


# ------------------------------------------------------------------------------------------------ the procedure


@dataclass(frozen=True)
class Procedure:
    r"""The learning procedure's settings: rate $\varepsilon$, momentum $\alpha$ (``early_momentum`` for the first
    ``early_sweeps``), weight decay (each weight multiplied by $1 - $``decay`` after each change), the starting
    range $\pm$``init_range``, and ``margin``: an output's error counts as zero once it is within ``margin`` of
    its target (the paper's family trees: 0.2)."""

    rate: float = 0.1
    momentum: float = 0.9
    early_momentum: float | None = None
    early_sweeps: int = 0
    decay: float = 0.0
    init_range: float = 0.3
    margin: float = 0.0


#: The paper's settings for the symmetry network (Fig. 1's caption: epsilon 0.1, alpha 0.9, weights from +-0.3).
SYMMETRY = Procedure(rate=0.1, momentum=0.9)
#: The paper's settings for the family trees: epsilon 0.005; alpha 0.5 for 20 sweeps, then 0.9; decay 0.2% a
#: change; no error for outputs above 0.8 that should be on, or below 0.2 that should be off. Starting weights are
#: not stated; we keep the symmetry network's +-0.3.
FAMILY_TREES = Procedure(rate=0.005, momentum=0.9, early_momentum=0.5, early_sweeps=20, decay=0.002, margin=0.2)


@dataclass
class Params:
    """Weights (seeds, inputs, outputs) and biases (seeds, 1, outputs), layer by layer."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    def seed(self, index: int) -> Params:
        """One seed's parameters, still with a seed axis of length 1."""
        return Params([w[index:index + 1] for w in self.weights], [b[index:index + 1] for b in self.biases])


def initial_params(task: Task, seeds: np.ndarray | list[int], init_range: float = 0.3) -> Params:
    """Uniform in $\\pm$``init_range``, each seed from its own generator (masked first-layer weights are 0)."""
    weights = [[] for _ in task.sizes[1:]]
    biases = [[] for _ in task.sizes[1:]]
    for seed in seeds:
        rng = np.random.default_rng(int(seed))
        for k, (m, n) in enumerate(zip(task.sizes, task.sizes[1:])):
            weights[k].append(rng.uniform(-init_range, init_range, (m, n)))
            biases[k].append(rng.uniform(-init_range, init_range, (1, n)))
    params = Params([np.array(w) for w in weights], [np.array(b) for b in biases])
    if task.mask is not None:
        params.weights[0] = params.weights[0] * task.mask
    return params


def forward(params: Params, inputs: np.ndarray) -> list[np.ndarray]:
    """Every layer's outputs $y$, the inputs first: shapes (seeds, cases, units) after the first."""
    outputs = [inputs]
    for W, b in zip(params.weights, params.biases):
        outputs.append(1.0 / (1.0 + np.exp(-(outputs[-1] @ W + b))))
    return outputs


def output_error(y: np.ndarray, targets: np.ndarray, margin: float = 0.0) -> np.ndarray:
    r"""$\partial E/\partial y = y - d$, zero where $|y - d| <$ ``margin``."""
    difference = y - targets
    return np.where(np.abs(difference) < margin, 0.0, difference) if margin else difference


def error(params: Params, task: Task, margin: float = 0.0) -> np.ndarray:
    r"""$E = \tfrac12 \sum_c \sum_j (y - d)^2$ for each seed (terms within ``margin`` count zero)."""
    return 0.5 * np.sum(output_error(forward(params, task.inputs)[-1], task.targets, margin) ** 2, axis=(1, 2))


def gradients(params: Params, task: Task, margin: float = 0.0, case_weights: np.ndarray | None = None) -> Params:
    """$\\partial E/\\partial w$ and $\\partial E/\\partial b$ for every seed, by the paper's equations (module docstring).

    ``case_weights`` (seeds, cases, 1) of 0 and 1 leaves the cases marked 0 out of $E$ (held-out questions)."""
    outputs = forward(params, task.inputs)
    dE_dy = output_error(outputs[-1], task.targets, margin)
    if case_weights is not None:
        dE_dy = dE_dy * case_weights
    weights, biases = [], []
    for k in range(len(params.weights) - 1, -1, -1):
        y = outputs[k + 1]
        dE_dx = dE_dy * y * (1.0 - y)
        below = outputs[k]
        weights.append(np.swapaxes(below, -1, -2) @ dE_dx)  # sum over the cases of dE/dx_j y_i
        biases.append(dE_dx.sum(axis=-2, keepdims=True))
        dE_dy = dE_dx @ np.swapaxes(params.weights[k], -1, -2)
    weights.reverse()
    biases.reverse()
    if task.mask is not None:
        weights[0] = weights[0] * task.mask
    return Params(weights, biases)


def engine_error(flat: Value, task: Task, margin: float = 0.0) -> Value:
    """One seed's $E$ on bplab's engine, its parameters in one flat Value (weights then bias, layer by layer)."""
    start, y = 0, Value(task.inputs, requires_grad=False)
    for m, n in zip(task.sizes, task.sizes[1:]):
        W = flat[start:start + m * n].reshape(m, n)
        if task.mask is not None and m == task.sizes[0]:
            W = W * Value(task.mask, requires_grad=False)
        b = flat[start + m * n:start + m * n + n]
        start += m * n + n
        y = (y @ W + b).sigmoid()
    difference = y - Value(task.targets, requires_grad=False)
    if margin:
        difference = difference * Value((np.abs(difference.data) >= margin).astype(float), requires_grad=False)
    return 0.5 * (difference * difference).sum()


def flatten(params: Params, index: int = 0) -> np.ndarray:
    """Seed ``index``'s parameters as one vector, in :func:`engine_error`'s order."""
    return np.concatenate([np.concatenate([W[index].ravel(), b[index].ravel()])
                           for W, b in zip(params.weights, params.biases)])


# ---------------------------------------------------------------------------------------------------- training


@dataclass
class Runs:
    """Many seeds trained together. ``converged_at[s]`` is the sweep at which seed ``s`` first met the criterion
    (-1 if it never did); a converged seed stops changing, so ``params`` holds its weights at convergence."""

    task: Task
    procedure: Procedure
    seeds: np.ndarray
    sweeps: int
    converged_at: np.ndarray
    params: Params
    error_curves: np.ndarray  # (seeds, sweeps // record_every + 1): E every record_every sweeps (frozen once converged)
    record_every: int
    tolerance: float | None

    @property
    def converged(self) -> np.ndarray:
        return self.converged_at >= 0


def _check_whole(name: str, value: object, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}: expected a whole number of at least {low}, got {value!r}")
    return int(value)


def train(task: Task, seeds: np.ndarray | list[int] | int, sweeps: int, procedure: Procedure = SYMMETRY,
          tolerance: float | None = 0.1, record_every: int = 10, train_cases: np.ndarray | None = None) -> Runs:
    """Train one network per seed for up to ``sweeps`` sweeps, each a full pass over the (training) cases.

    ``tolerance``: a seed has converged when every output of every training case is within ``tolerance`` of its
    target; it then stops (None: train every seed for all ``sweeps``). ``train_cases``: which cases each seed trains
    on, (seeds, cases) of True/False (the family trees hold 4 of the 104 questions out), or None for all.
    """
    runs = None
    for runs in train_in_pieces(task, seeds, sweeps, procedure, tolerance, record_every, train_cases, piece=sweeps):
        pass
    return runs


def train_in_pieces(task: Task, seeds: np.ndarray | list[int] | int, sweeps: int, procedure: Procedure = SYMMETRY,
                    tolerance: float | None = 0.1, record_every: int = 10, train_cases: np.ndarray | None = None,
                    piece: int = 500) -> Iterator[Runs]:
    """:func:`train`, yielding the runs so far every ``piece`` sweeps and when every seed has converged (the last
    yield is the finished training)."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = np.arange(_check_whole("seeds", seeds))
    seeds = np.asarray(seeds)
    if seeds.ndim != 1 or len(seeds) == 0 or seeds.dtype.kind not in "iu":
        raise ValueError(f"seeds: expected a number of seeds or a list of whole numbers, got {seeds!r}")
    sweeps = _check_whole("sweeps", sweeps)
    record_every = _check_whole("record_every", record_every)
    piece = _check_whole("piece", piece)
    if tolerance is not None and not (isinstance(tolerance, (int, float)) and 0 < tolerance < 1):
        raise ValueError(f"tolerance: expected a number between 0 and 1 (or None), got {tolerance!r}")
    count = len(seeds)
    if train_cases is None:
        case_weights = None
        within_counts = np.ones((count, len(task.inputs), 1), dtype=bool)
    else:
        train_cases = np.asarray(train_cases, dtype=bool)
        if train_cases.shape != (count, len(task.inputs)):
            raise ValueError(f"train_cases: expected shape ({count}, {len(task.inputs)}) (seeds, cases), "
                             f"got {train_cases.shape}")
        case_weights = train_cases[:, :, None].astype(float)
        within_counts = train_cases[:, :, None]
    params = initial_params(task, seeds, procedure.init_range)
    velocity = Params([np.zeros_like(w) for w in params.weights], [np.zeros_like(b) for b in params.biases])
    converged_at = np.full(count, -1)
    active = np.ones(count, dtype=bool)
    curves = np.full((count, sweeps // record_every + 1), np.nan)

    def measure(sweep: int) -> None:
        y = forward(params, task.inputs)[-1]
        if sweep % record_every == 0:
            difference = output_error(y, task.targets, procedure.margin) * within_counts
            curves[:, sweep // record_every] = 0.5 * np.sum(difference ** 2, axis=(1, 2))
        if tolerance is not None:
            within = np.all((np.abs(y - task.targets) < tolerance) | ~within_counts, axis=(1, 2))
            newly = active & within
            converged_at[newly] = sweep
            active[newly] = False

    def snapshot(sweep: int) -> Runs:
        filled = curves.copy()
        for s in range(count):  # a converged seed's error stays where it stopped
            if converged_at[s] >= 0:
                filled[s, converged_at[s] // record_every + 1:] = filled[s, converged_at[s] // record_every]
        return Runs(task, procedure, seeds, sweep, converged_at.copy(), Params([w.copy() for w in params.weights],
                    [b.copy() for b in params.biases]), filled[:, :sweep // record_every + 1], record_every, tolerance)

    measure(0)
    for sweep in range(1, sweeps + 1):
        if not active.any():
            yield snapshot(sweep - 1)
            return
        early = procedure.early_momentum is not None and sweep <= procedure.early_sweeps
        momentum = procedure.early_momentum if early else procedure.momentum
        grads = gradients(params, task, procedure.margin, case_weights)
        moving = active[:, None, None]
        for group, velocity_group, grad_group in ((params.weights, velocity.weights, grads.weights),
                                                  (params.biases, velocity.biases, grads.biases)):
            for k in range(len(group)):
                velocity_group[k] = np.where(moving, -procedure.rate * grad_group[k] + momentum * velocity_group[k], 0.0)
                group[k] = group[k] + velocity_group[k]
                if procedure.decay:
                    group[k] = np.where(moving, group[k] * (1.0 - procedure.decay), group[k])
        measure(sweep)
        if sweep % piece == 0 or sweep == sweeps:
            yield snapshot(sweep)


# ------------------------------------------------------------------------------------------------ what was learned


def symmetry_weights(params: Params) -> dict[str, np.ndarray]:
    r"""For each seed and hidden unit: ``antisymmetry`` $\max_i |w_i + w_{7-i}| / \max_i |w_i|$ (0 when the weights
    are opposite about the middle), and ``ratios``, the three left-half magnitudes sorted and divided by the smallest
    (1:2:4 in the paper)."""
    W = params.weights[0]  # (seeds, 6, 2)
    left, mirrored = W[:, :3, :], W[:, 3:, :][:, ::-1, :]
    antisymmetry = np.max(np.abs(left + mirrored), axis=1) / np.max(np.abs(left), axis=1)
    magnitudes = np.sort(np.abs(left), axis=1)
    return {"antisymmetry": antisymmetry, "ratios": magnitudes / magnitudes[:, :1, :]}


def matches_ratios(ratios: np.ndarray, expected: tuple[float, float, float] = (1.0, 2.0, 4.0),
                   within: float = 0.15) -> np.ndarray:
    """For each seed: do both hidden units' sorted ratios lie within ``within`` (relative) of ``expected``?"""
    target = np.asarray(expected, dtype=float)[None, :, None] / expected[0]
    return np.all(np.abs(ratios / target - 1.0) <= within, axis=(1, 2))


# -------------------------------------------------------------------------------------------------- stored runs


STORED_RUNS_FILE = Path(__file__).with_name("rumelhart1986_runs.npz")


@dataclass(frozen=True)
class Experiment:
    """One stored experiment: :func:`train` on ``make_task()`` with these arguments; ``held_out`` questions per seed
    are left out of training (:func:`held_out_cases`)."""

    make_task: Callable[[], Task]
    procedure: Procedure
    seeds: int
    sweeps: int
    tolerance: float | None
    record_every: int
    held_out: int = 0


#: The family trees as we could make them learn: starting weights in +-1, epsilon 0.05, decay 0.05% a change and
#: 3,000 sweeps (the paper's settings, FAMILY_TREES, leave every seed answering "nobody": see lesson 19).
FAMILY_TREES_REPRODUCED = Procedure(rate=0.05, momentum=0.9, early_momentum=0.5, early_sweeps=20, decay=0.0005,
                                    init_range=1.0, margin=0.2)

#: ``tests/networks/test_rumelhart1986.py`` reruns some seeds of each and compares them with the stored file.
STORED_EXPERIMENTS = {
    "symmetry": Experiment(symmetry_task, SYMMETRY, 200, 20_000, 0.1, 50),
    "encoder": Experiment(encoder_task, Procedure(rate=0.1, momentum=0.9), 100, 20_000, 0.1, 50),
    "family trees, the paper's settings": Experiment(family_trees_task, FAMILY_TREES, 20, 1500, None, 10, held_out=4),
    "family trees": Experiment(family_trees_task, FAMILY_TREES_REPRODUCED, 50, 3000, None, 10, held_out=4),
}


def held_out_cases(seeds: np.ndarray, cases: int, count: int) -> np.ndarray:
    """Which cases each seed trains on, (seeds, cases) of True/False: ``count`` held out, drawn from the seed."""
    keep = np.ones((len(seeds), cases), dtype=bool)
    for row, seed in enumerate(seeds):
        keep[row, np.random.default_rng(1000 + int(seed)).choice(cases, count, replace=False)] = False
    return keep


def _experiment(name: str) -> Experiment:
    if name not in STORED_EXPERIMENTS:
        raise ValueError(f"name: expected one of {', '.join(map(repr, STORED_EXPERIMENTS))}, got {name!r}")
    return STORED_EXPERIMENTS[name]


def compute_stored_runs(name: str, seeds: np.ndarray | list[int] | None = None) -> Runs:
    """Train the stored experiment ``name`` (all its seeds, or only ``seeds``)."""
    experiment = _experiment(name)
    task = experiment.make_task()
    seeds = np.arange(experiment.seeds) if seeds is None else np.asarray(seeds)
    cases = held_out_cases(seeds, len(task.inputs), experiment.held_out) if experiment.held_out else None
    return train(task, seeds, experiment.sweeps, experiment.procedure, experiment.tolerance, experiment.record_every,
                 train_cases=cases)


def save_stored_runs(path: Path = STORED_RUNS_FILE) -> None:
    """Compute every stored experiment and write them to ``path`` (about three minutes)."""
    arrays: dict[str, np.ndarray] = {}
    for name in STORED_EXPERIMENTS:
        runs = compute_stored_runs(name)
        arrays[f"{name}|converged_at"] = runs.converged_at
        arrays[f"{name}|error_curves"] = runs.error_curves.astype(np.float32)
        for k, (W, b) in enumerate(zip(runs.params.weights, runs.params.biases)):
            arrays[f"{name}|weights{k}"], arrays[f"{name}|biases{k}"] = W, b
    np.savez_compressed(path, **arrays)


def stored_runs(name: str) -> Runs:
    """A stored experiment: "symmetry" (200 seeds, up to 20,000 sweeps), "encoder" (100 seeds), "family trees"
    (50 seeds, 3,000 sweeps, 4 questions held out) or "family trees, the paper's settings" (20 seeds, 1,500 sweeps).
    For the family trees, :func:`held_out_cases` gives the questions each seed trained on."""
    experiment = _experiment(name)
    task = experiment.make_task()
    with np.load(STORED_RUNS_FILE) as stored:
        layers = len(task.sizes) - 1
        params = Params([stored[f"{name}|weights{k}"] for k in range(layers)],
                        [stored[f"{name}|biases{k}"] for k in range(layers)])
        return Runs(task, experiment.procedure, np.arange(experiment.seeds), experiment.sweeps,
                    stored[f"{name}|converged_at"], params, stored[f"{name}|error_curves"].astype(float),
                    experiment.record_every, experiment.tolerance)


def answers_correct(params: Params, task: Task) -> np.ndarray:
    """For each seed and case: is every unit that should be on above 0.5 and every other below?"""
    return np.all((forward(params, task.inputs)[-1] > 0.5) == (task.targets > 0.5), axis=2)


def encoder_codes(params: Params, task: Task) -> dict[str, np.ndarray]:
    """For each seed: the hidden units' activities for every pattern (seeds, patterns, hidden); ``corners``, whether
    the patterns' codes, each unit read as on (above 0.5) or off, are all different (a binary code); and
    ``intermediate``, how many activities lie between 0.3 and 0.7."""
    hidden = forward(params, task.inputs)[1]
    codes = (hidden > 0.5).astype(int) @ (2 ** np.arange(hidden.shape[-1]))
    corners = np.array([len(set(row)) == hidden.shape[1] for row in codes])
    return {"hidden": hidden, "corners": corners, "intermediate": np.sum((hidden > 0.3) & (hidden < 0.7), axis=(1, 2))}


#: Features of the 24 people that appear nowhere in the input: nationality (English +1, Italian -1), generation
#: (1 to 3), branch (the family of Christopher and Penelope +1, of Andrew and Christine -1, their grandchildren 0)
#: and sex (male +1), each in the order of :data:`PEOPLE`.
_GENERATION = (1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3)
_BRANCH = (1, 1, -1, -1, 1, 1, 1, -1, -1, -1, 0, 0)
PERSON_FEATURES = {
    "nationality": np.array([1.0] * 12 + [-1.0] * 12),
    "generation": np.array(_GENERATION * 2, dtype=float),
    "branch": np.array(_BRANCH * 2, dtype=float),
    "sex": np.array([1.0 if p[1] == "M" else -1.0 for p in ENGLISH] * 2),
}


def person_unit_correlations(params: Params, shuffle_seed: int | None = None) -> dict[str, np.ndarray]:
    """For each seed and feature: the largest |correlation| between the feature and one of the 6 person units'
    weights from the 24 people. ``shuffle_seed``: the same with the people shuffled, the level chance gives."""
    W = params.weights[0][:, :len(PEOPLE), :6]  # (seeds, people, units)
    if shuffle_seed is not None:
        rng = np.random.default_rng(shuffle_seed)
        W = np.stack([w[rng.permutation(len(PEOPLE))] for w in W])
    centred = W - W.mean(axis=1, keepdims=True)
    result = {}
    for name, feature in PERSON_FEATURES.items():
        f = feature - feature.mean()
        corr = np.einsum("spu,p->su", centred, f) / (np.linalg.norm(centred, axis=1) * np.linalg.norm(f) + 1e-300)
        result[name] = np.max(np.abs(corr), axis=1)
    return result
