"""Training-step time of bplab against a hand-written NumPy MLP and PyTorch CPU eager, in one process.

    python bench/networks.py            # about a minute; PyTorch columns only when torch is installed
    python bench/networks.py --repeats 50 --profile 784-128-10/256

One BLAS thread (threadpoolctl) and one torch thread; the implementations take turns, a block of
steps each (``--block``, default 10), so that the machine's drift hits them alike (timings on these
2-core machines swing 10-100x between runs, ratios in the same run do not). Within a block the steps
run back to back, as a training loop runs them; with ``--block 1`` every step starts with the caches
the other two libraries left behind, which slows most the implementation that runs the most Python code
(bplab: about 1.4x at 2-16-16-1, so the targets below are easier to meet in blocks than step by step).
A step is forward, loss,
backward, SGD update, zero grad. Reported: median microseconds per step, ratios, and the
backward/forward time ratio of each implementation. Targets (design.md and the engine-speed issue):
bplab at most 0.45x PyTorch at 2-16-16-1 (moonshot 0.35x) and 0.8x at 784-128-10 with batch 256;
at most 1.3x the hand-written NumPy at every size and dtype (moonshot 1.15x); backward/forward at
most 1.3 at MNIST size.
"""

from __future__ import annotations

import argparse
import ctypes
import resource
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bplab import nn, optim

try:
    import torch
except ImportError:  # PyTorch is never a dependency
    torch = None


@dataclass
class Config:
    name: str
    sizes: list[int]
    activation: str
    batch: int
    loss: str  # "bce" (one logit) or "ce" (class logits)
    target: float | None  # max bplab/torch ratio allowed


CONFIGS = [
    Config("2-16-16-1 tanh", [2, 16, 16, 1], "tanh", 200, "bce", 0.45),
    Config("2-64-64-2 tanh", [2, 64, 64, 2], "tanh", 1000, "ce", None),
    Config("784-128-10/64 relu", [784, 128, 10], "relu", 64, "ce", None),
    Config("784-128-10/256 relu", [784, 128, 10], "relu", 256, "ce", 0.8),
]
LR = 0.01
NUMPY_TARGET = 1.3  # bplab / hand-written NumPy, every size and dtype
BACKWARD_TARGET = 1.3  # backward / forward at MNIST size


def make_data(config: Config, dtype, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((config.batch, config.sizes[0])).astype(dtype)
    if config.loss == "bce":
        y = (rng.random((config.batch, 1)) < 0.5).astype(dtype)
    else:
        y = rng.integers(0, config.sizes[-1], size=config.batch)
    return X, y


# ---------------------------------------------------------------------------- the three implementations


class TimedStep:
    """A training step of a library with PyTorch's interface, timed: (forward seconds, backward seconds)."""

    model: Any
    loss_fn: Any
    optimizer: Any
    X: Any
    y: Any

    def step(self) -> tuple[float, float]:
        t0 = time.perf_counter()
        loss = self.loss_fn(self.model(self.X), self.y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return t1 - t0, t2 - t1


class BplabStep(TimedStep):
    def __init__(self, config: Config, dtype, X, y):
        self.model = nn.MLP(config.sizes, activation=config.activation, seed=0, dtype=dtype)
        self.loss_fn = nn.binary_cross_entropy_with_logits if config.loss == "bce" else nn.cross_entropy
        self.optimizer = optim.SGD(self.model.parameters(), lr=LR)
        self.X, self.y = X, y

    def weights(self):
        return [(layer.weight.data, layer.bias.data) for layer in self.model.linear_layers]



class NumpyStep:
    """A hand-written MLP: forward keeps activations, backward by the delta equations, in-place SGD."""

    def __init__(self, config: Config, dtype, X, y, weights):
        self.weights = [(W.copy(), b.copy()) for W, b in weights]
        self.activation, self.loss = config.activation, config.loss
        self.X, self.y = X, y
        if config.loss == "ce":
            self.one_hot = np.eye(config.sizes[-1], dtype=dtype)[y]

    def step(self) -> tuple[float, float]:
        t0 = time.perf_counter()
        activations = [self.X]
        a = self.X
        last = len(self.weights) - 1
        for k, (W, b) in enumerate(self.weights):
            z = a @ W + b
            if k < last:
                a = np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0)
                activations.append(a)
        n = len(self.X)
        if self.loss == "bce":
            loss = np.mean(np.maximum(z, 0) - z * self.y + np.log1p(np.exp(-np.abs(z))))
            p = 1.0 / (1.0 + np.exp(-z))
            delta = (p - self.y) / n
        else:
            shifted = z - z.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            total = exp.sum(axis=1, keepdims=True)
            loss = np.mean(np.log(total[:, 0]) - shifted[np.arange(n), self.y])
            delta = (exp / total - self.one_hot) / n
        t1 = time.perf_counter()
        grads = []
        for k in range(last, -1, -1):
            W, _ = self.weights[k]
            a = activations[k]
            grads.append((a.T @ delta, delta.sum(axis=0)))
            if k > 0:  # the input layer's error is never needed
                back = delta @ W.T
                delta = back * (1 - a * a) if self.activation == "tanh" else back * (a > 0)
        t2 = time.perf_counter()
        for (W, b), (gW, gb) in zip(self.weights, reversed(grads)):
            W -= LR * gW
            b -= LR * gb
        del loss
        return t1 - t0, t2 - t1


class NumericReplay:
    """The array work inside bplab's primitives for one step: every primitive's forward and every VJP the
    backward pass calls, in the recorded order on the recorded arrays, then the optimizer's update.

    bplab's step time minus this is what it spends outside its primitives' kernels: building and sorting
    the graph, routing gradients, the modules' and losses' argument checks (including the target checks'
    min/max), the backward pass's seed and the copies of leaf gradients."""

    def __init__(self, bplab_step: BplabStep):
        model, optimizer = bplab_step.model, bplab_step.optimizer
        loss = bplab_step.loss_fn(model(bplab_step.X), bplab_step.y)
        loss.backward()  # keeps every inner node's gradient: the g each VJP receives
        self.nodes = [node for node in loss.topological_order(needing_gradient=True) if node.op is not None]
        self.gradients = {id(node): node.grad.copy() for node in self.nodes}
        self.parameters = [(p.data.copy(), p.grad.copy()) for p in model.parameters()]
        self.update = optimizer._update
        self.group = optimizer.param_groups[0]
        optimizer.zero_grad()

    def step(self) -> tuple[float, float]:
        t0 = time.perf_counter()
        for node in self.nodes:
            node.op.forward(*[parent.data for parent in node.parents], **node.params)
        t1 = time.perf_counter()
        for node in reversed(self.nodes):
            arrays = [parent.data for parent in node.parents]
            g = self.gradients[id(node)]
            for index, parent in enumerate(node.parents):
                if parent.requires_grad:
                    node.op.vjps[index](g, node.data, *arrays, **node.params)
        t2 = time.perf_counter()
        for data, grad in self.parameters:
            self.update(data, grad, {}, self.group)
        return t1 - t0, t2 - t1


class TorchStep(TimedStep):
    def __init__(self, config: Config, dtype, X, y, weights):
        torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
        layers = []
        for k, (W, b) in enumerate(weights):
            linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=torch_dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))
                linear.bias.copy_(torch.from_numpy(b.copy()))
            layers.append(linear)
            if k < len(weights) - 1:
                layers.append(torch.nn.Tanh() if config.activation == "tanh" else torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.X = torch.from_numpy(X)
        self.y = torch.from_numpy(y) if config.loss == "ce" else torch.from_numpy(y)
        self.loss_fn = (torch.nn.functional.binary_cross_entropy_with_logits if config.loss == "bce"
                        else torch.nn.functional.cross_entropy)



# ---------------------------------------------------------------------------- measuring


def steady_allocator() -> bool:
    """Ask glibc's malloc to keep freed memory in the process instead of handing it back to the system.

    Otherwise what each implementation pays depends on what else the process holds: a large array freed at
    the top of the heap is returned to the system and the next step faults its pages in again (measured at
    2-64-64-2: over 1,000 page faults a step for bplab and 700 for the hand-written NumPy, either step twice
    as slow, as soon as another object kept a few megabytes alive). Every implementation gets the same
    allocator. Returns False where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    trim_threshold, mmap_threshold = -1, -3  # glibc's M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
    return bool(libc.mallopt(trim_threshold, 1 << 30)) and bool(libc.mallopt(mmap_threshold, 1 << 25))


def page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(implementations: dict[str, object], repeats: int, block: int = 10) -> dict[str, dict[str, float]]:
    """Median step, forward and backward time (µs) of each implementation over ``repeats`` steps (rounded up
    to whole blocks), the implementations taking turns ``block`` steps at a time; also the page faults per step."""
    if not isinstance(block, int) or block < 1:
        raise ValueError(f"block: expected a whole number of steps, at least 1, got {block!r}")
    for impl in implementations.values():  # warm up
        for _ in range(5):
            impl.step()
    records: dict[str, list[tuple[float, float, float]]] = {name: [] for name in implementations}
    faults = dict.fromkeys(implementations, 0)
    for _ in range(-(-repeats // block)):
        for name, impl in implementations.items():
            before = page_faults()
            for _ in range(block):
                start = time.perf_counter()
                forward, backward = impl.step()
                records[name].append((time.perf_counter() - start, forward, backward))
            faults[name] += page_faults() - before
    result = {}
    for name, rows in records.items():
        array = np.asarray(rows) * 1e6
        result[name] = {"step": float(np.median(array[:, 0])), "forward": float(np.median(array[:, 1])),
                        "backward": float(np.median(array[:, 2])), "faults": faults[name] / len(rows)}
    return result


def breakdown(repeats: int, block: int) -> None:
    """Where bplab's time goes beyond the hand-written NumPy's: its primitives' kernels, and everything else."""
    print("\nbplab's step split into its primitives' kernels (NumericReplay) and the rest, float64, µs:\n")
    header = (f"{'network':<21} {'numpy':>7} {'bplab':>7} {'kernels':>8} {'the rest':>9} "
              f"{'kernels/numpy':>14} {'share of the rest':>18}")
    print(header)
    print("-" * len(header))
    for config in CONFIGS:
        X, y = make_data(config, np.float64)
        bplab_impl = BplabStep(config, np.float64, X, y)
        implementations = {"bplab": bplab_impl, "numpy": NumpyStep(config, np.float64, X, y, bplab_impl.weights()),
                           "arrays": NumericReplay(bplab_impl)}
        times = measure(implementations, repeats or (300 if config.sizes[0] < 100 else 150), block)
        full, numpy_step, arrays = times["bplab"]["step"], times["numpy"]["step"], times["arrays"]["step"]
        faulting = [name for name, timing in times.items() if timing["faults"] > 1]
        if faulting:
            print(f"    (note: page faults in every step of {', '.join(faulting)}: the split is not clean)")
        print(f"{config.name:<21} {numpy_step:>7.0f} {full:>7.0f} {arrays:>8.0f} {full - arrays:>9.0f} "
              f"{arrays / numpy_step:>13.2f}x {(full - arrays) / full:>17.0%}")


def matrix_products(block: int, repeats: int = 200) -> None:
    """The two large matrix products of a 784-128-10/256 step (x W and xᵀ δ), in NumPy's BLAS and in PyTorch's."""
    if torch is None:
        return
    print("\nThe two large matrix products of 784-128-10/256 (x W, xᵀ δ), NumPy against PyTorch, µs:\n")
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        x, w, delta = (rng.standard_normal(shape).astype(dtype) for shape in ((256, 784), (784, 128), (256, 128)))
        tx, tw, tdelta = (torch.from_numpy(a) for a in (x, w, delta))
        implementations = {
            "numpy": _Products(lambda: (x @ w, x.T @ delta)),
            "torch": _Products(lambda: (tx @ tw, tx.T @ tdelta)),
        }
        times = measure(implementations, repeats, block)
        numpy_time, torch_time = times["numpy"]["step"], times["torch"]["step"]
        print(f"  {np.dtype(dtype).name}: NumPy {numpy_time:.0f}, PyTorch {torch_time:.0f} "
              f"(NumPy {numpy_time / torch_time:.2f}x PyTorch)")


class _Products:
    def __init__(self, work):
        self.work = work

    def step(self) -> tuple[float, float]:
        self.work()
        return 0.0, 0.0


def profile(config: Config, dtype, steps: int = 300) -> None:
    import cProfile
    import pstats

    X, y = make_data(config, dtype)
    impl = BplabStep(config, dtype, X, y)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        impl.step()
    profiler.disable()
    print(f"\ncProfile of {steps} bplab steps, {config.name}, {np.dtype(dtype).name} (tottime, top 25):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=0, help="steps per implementation (default: by size)")
    parser.add_argument("--block", type=int, default=10,
                        help="steps an implementation runs before the next takes its turn (default 10; 1: step by step)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also split bplab's step into its primitives' kernels and the rest")
    parser.add_argument("--profile", default=None, help="also cProfile bplab on one config, e.g. 784-128-10/256")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    if torch is not None:
        torch.set_num_threads(1)
    header = (f"{'network':<21} {'dtype':<8} {'bplab µs':>9} {'numpy µs':>9} {'torch µs':>9} "
              f"{'vs numpy':>9} {'vs torch':>9} {'target':>7}  {'bwd/fwd bplab':>13} {'numpy':>6} {'torch':>6}")
    steady = steady_allocator()
    with threadpool_limits(limits=1):
        print(f"numpy {np.__version__}, torch {torch.__version__ if torch is not None else 'not installed'}; "
              f"1 BLAS thread, 1 torch thread; medians of steps taken in turns, {args.block} at a time; "
              + ("freed memory kept in the process (glibc)" if steady else "the C library's own allocator settings")
              + "\n")
        if torch is None:
            from bplab.app.hints import torch_hint

            print(torch_hint() + "\n")
        print(header)
        print("-" * len(header))
        verdicts = []
        for config in CONFIGS:
            for dtype in (np.float64, np.float32):
                X, y = make_data(config, dtype)
                bplab_impl = BplabStep(config, dtype, X, y)
                implementations: dict[str, object] = {"bplab": bplab_impl,
                                                      "numpy": NumpyStep(config, dtype, X, y, bplab_impl.weights())}
                if torch is not None:
                    implementations["torch"] = TorchStep(config, dtype, X, y, bplab_impl.weights())
                repeats = args.repeats or (300 if config.sizes[0] < 100 else 150)
                times = measure(implementations, repeats, args.block)
                bp, npy = times["bplab"], times["numpy"]
                tch = times.get("torch")
                vs_torch = bp["step"] / tch["step"] if tch else float("nan")
                target = f"≤{config.target:.2f}x" if config.target else "-"
                ratio = bp["backward"] / bp["forward"]
                torch_step = f"{tch['step']:>9.0f}" if tch else f"{'-':>9}"
                torch_ratio = f"{vs_torch:>8.2f}x" if tch else f"{'-':>9}"
                torch_backward = f"{tch['backward'] / tch['forward']:>6.2f}" if tch else f"{'-':>6}"
                print(f"{config.name:<21} {np.dtype(dtype).name:<8} {bp['step']:>9.0f} {npy['step']:>9.0f} "
                      f"{torch_step} {bp['step'] / npy['step']:>8.2f}x {torch_ratio} {target:>7}  {ratio:>13.2f} "
                      f"{npy['backward'] / npy['forward']:>6.2f} {torch_backward}")
                if config.target and tch:
                    verdicts.append((f"{config.name} {np.dtype(dtype).name} vs torch", vs_torch <= config.target,
                                     f"{vs_torch:.2f}x (target ≤{config.target:.2f}x)"))
                for name, timing in times.items():
                    if timing["faults"] > 1:
                        print(f"    (note: {name} took {timing['faults']:.0f} page faults a step: its time includes them)")
                vs_numpy = bp["step"] / npy["step"]
                verdicts.append((f"{config.name} {np.dtype(dtype).name} vs numpy", vs_numpy <= NUMPY_TARGET,
                                 f"{vs_numpy:.2f}x (target ≤{NUMPY_TARGET:.1f}x)"))
                if config.sizes[0] == 784:
                    verdicts.append((f"{config.name} {np.dtype(dtype).name} backward/forward", ratio <= BACKWARD_TARGET,
                                     f"{ratio:.2f} (target ≤{BACKWARD_TARGET})"))
        print()
        missed = [v for v in verdicts if not v[1]]
        for name, _, detail in missed:
            print(f"MISSED: {name}: {detail}")
        print(f"targets met: {len(verdicts) - len(missed)} of {len(verdicts)}")
        if args.breakdown:
            breakdown(args.repeats, args.block)
            matrix_products(args.block)
        if args.profile:
            chosen = [c for c in CONFIGS if c.name.startswith(args.profile)]
            if not chosen:
                raise SystemExit(f"--profile: expected one of {', '.join(c.name for c in CONFIGS)}, got {args.profile!r}")
            profile(chosen[0], np.float64)


if __name__ == "__main__":
    main()
