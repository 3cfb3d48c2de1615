"""Engine benchmark: bplab's Value graph against hand-written NumPy, measured in the same run.

Prints, for a 2-16-16-1 tanh MLP on 200 points (mean squared error):
* forward + backward time with Value ops and with hand-written NumPy, and their ratio;
* backward / forward time of the Value version (target: at most 3);
* the engine's overhead per op in microseconds (a chain of scalar ops, minus NumPy's own cost);
* ``import bplab`` time against ``import numpy`` time, each in a fresh interpreter.

One BLAS thread (threadpoolctl), implementations interleaved, medians over many repeats.
Run: ``python bench/engine.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bplab import Value

SIZES = (2, 16, 16, 1)
POINTS = 200


def make_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((POINTS, SIZES[0]))
    y = np.sin(X[:, :1] * 2.0) * 0.5
    weights = [rng.standard_normal((m, n)) / np.sqrt(m) for m, n in zip(SIZES, SIZES[1:])]
    biases = [np.zeros(n) for n in SIZES[1:]]
    return X, y, weights, biases


def value_forward(X, y, params):
    h = X
    layers = len(params) // 2
    for k in range(layers):
        W, b = params[2 * k], params[2 * k + 1]
        h = h @ W + b
        if k < layers - 1:
            h = h.tanh()
    return ((h - y) ** 2).mean()


def numpy_forward_backward(X, y, weights, biases):
    activations, pre = [X], []
    h = X
    for k, (W, b) in enumerate(zip(weights, biases)):
        z = h @ W + b
        pre.append(z)
        h = np.tanh(z) if k < len(weights) - 1 else z
        activations.append(h)
    loss = np.mean((h - y) ** 2)
    delta = 2.0 * (h - y) / h.size
    grads = []
    for k in range(len(weights) - 1, -1, -1):
        grads.append((activations[k].T @ delta, delta.sum(axis=0)))
        if k:
            delta = (delta @ weights[k].T) * (1.0 - activations[k] ** 2)
    return loss, grads


def median_time(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def interleaved(functions: dict, rounds: int = 15, repeats: int = 40) -> dict[str, float]:
    """Median time of each function, the functions taking turns so drift hits them alike."""
    results: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            results[name].append(median_time(fn, repeats))
    return {name: statistics.median(times) for name, times in results.items()}


def import_time(module: str) -> float:
    code = f"import time; s = time.perf_counter(); import {module}; print(time.perf_counter() - s)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return statistics.median(runs)


def main() -> None:
    X, y, weights, biases = make_problem()
    params = [Value(a) for pair in zip(weights, biases) for a in pair]

    # correctness first: both routes give the same gradients
    loss = value_forward(X, y, params)
    loss.backward()
    reference_loss, reference_grads = numpy_forward_backward(X, y, weights, biases)
    assert np.isclose(loss.item(), reference_loss)
    for k, (gW, gb) in enumerate(reversed(reference_grads)):
        assert np.allclose(params[2 * k].grad, gW) and np.allclose(params[2 * k + 1].grad, gb)

    def value_step():
        for p in params:
            p.zero_grad()
        value_forward(X, y, params).backward()

    def value_forward_only():
        value_forward(X, y, params)

    def numpy_step():
        numpy_forward_backward(X, y, weights, biases)

    chain_length = 1000
    scalar = Value(1.0)
    raw = np.float64(1.0)

    def value_chain():
        out = scalar
        for _ in range(chain_length):
            out = out * 1.0001
        out.backward()

    def numpy_chain():  # the same arithmetic on 0-d arrays: forward and a backward multiply each
        out = np.asarray(raw)
        for _ in range(chain_length):
            out = np.multiply(out, 1.0001)
        g = np.asarray(1.0)
        for _ in range(chain_length):
            g = np.multiply(g, 1.0001)

    with threadpool_limits(limits=1):
        times = interleaved({
            "value step": value_step, "value forward": value_forward_only, "numpy step": numpy_step,
            "value chain": value_chain, "numpy chain": numpy_chain,
        })
    backward = times["value step"] - times["value forward"]
    overhead_per_op = (times["value chain"] - times["numpy chain"]) / chain_length

    print(f"bplab engine benchmark (1 BLAS thread; medians; MLP {'-'.join(map(str, SIZES))} tanh, {POINTS} points, MSE)")
    print(f"  forward+backward, bplab Value      {times['value step'] * 1e6:9.1f} us")
    print(f"  forward+backward, hand NumPy       {times['numpy step'] * 1e6:9.1f} us")
    print(f"  ratio bplab / hand NumPy           {times['value step'] / times['numpy step']:9.2f} x")
    print(f"  forward only, bplab                {times['value forward'] * 1e6:9.1f} us")
    print(f"  backward / forward (target <= 3)   {backward / times['value forward']:9.2f}")
    print(f"  engine overhead per op             {overhead_per_op * 1e6:9.2f} us  (scalar chain of {chain_length}, forward + backward, minus NumPy)")
    numpy_import, bplab_import = import_time("numpy"), import_time("bplab")
    print(f"  import numpy / import bplab        {numpy_import * 1e3:6.0f} ms / {bplab_import * 1e3:.0f} ms  "
          f"(bplab adds {max(0.0, bplab_import - numpy_import) * 1e3:.0f} ms; target total < 300 ms)")


if __name__ == "__main__":
    main()
