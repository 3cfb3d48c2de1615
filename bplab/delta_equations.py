r"""Backpropagation by hand for a two-layer network: the delta equations, in plain NumPy.

The network, for a batch ``X`` of shape (N, inputs), one example per row:

.. math::
    z_1 = X W_1 + b_1,\quad a_1 = f(z_1),\quad z_2 = a_1 W_2 + b_2,\quad \hat y = g(z_2).

The *error* (delta) of a layer is $\delta = \partial L/\partial z$. The four steps:

1. **forward**, keeping $z_1, a_1, z_2, \hat y$;
2. **output error**: $\delta_2 = \partial L/\partial z_2$; for the matching output and loss it is
   $(\hat y - y)/N$ (sigmoid + binary cross-entropy, softmax + cross-entropy) or
   $\tfrac{2}{n}(\hat y - y)$ (identity + mean squared error over $n$ entries);
3. **hidden error**, last layer to first: $\delta_1 = (\delta_2 W_2^\top) \odot f'(z_1)$;
4. **gradients**, and the update: $\partial L/\partial W_2 = a_1^\top \delta_2$,
   $\partial L/\partial b_2 = \sum_n \delta_2$, $\partial L/\partial W_1 = X^\top \delta_1$,
   $\partial L/\partial b_1 = \sum_n \delta_1$.

The exact rule for the update: a layer's weights may change once the error below it has been
computed from them ($W_2$ once $\delta_1$ exists), their last use in the backward pass. Updating
every weight after the whole backward pass (:func:`sgd_step`, what ``loss.backward()`` then
``optimizer.step()`` does) is the simple way to obey it.

:func:`engine_gradients` computes the same numbers with bplab's engine, and the tests check
they agree. :func:`step_updating_too_early` shows what goes wrong when $W_2$ is updated
before $\delta_1$ is computed; :func:`step_updating_just_in_time` updates it right after, and
takes exactly the step of :func:`sgd_step`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bplab import kernels, nn
from bplab.engine import Value
from bplab.validation import make_rng

Params = dict[str, np.ndarray]  # "W1" (inputs, hidden), "b1" (hidden,), "W2" (hidden, outputs), "b2" (outputs,)

LOSSES = ("mse", "bce", "cross_entropy")
ACTIVATIONS = ("sigmoid", "tanh", "relu")


def _activation(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """$f(z)$ and $f'(z)$."""
    if name == "sigmoid":
        a = kernels.sigmoid(z)
        return a, a * (1.0 - a)
    if name == "tanh":
        a = np.tanh(z)
        return a, 1.0 - a * a
    if name == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(z.dtype)
    raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {name!r}")


def _output(loss: str, z2: np.ndarray) -> np.ndarray:
    """$\\hat y = g(z_2)$: identity for mse, sigmoid for bce, softmax for cross_entropy."""
    if loss == "mse":
        return z2
    if loss == "bce":
        return kernels.sigmoid(z2)
    if loss == "cross_entropy":
        return kernels.softmax(z2, axis=1)
    raise ValueError(f"loss: expected one of {', '.join(LOSSES)}, got {loss!r}")


@dataclass
class Forward:
    """What the forward pass keeps for the backward pass."""

    z1: np.ndarray
    a1: np.ndarray
    f_prime: np.ndarray
    z2: np.ndarray
    y_hat: np.ndarray


@dataclass
class Backward:
    """The errors of both layers and the gradient of every weight."""

    delta2: np.ndarray
    delta1: np.ndarray
    grads: Params


def forward(params: Params, X: np.ndarray, activation: str = "sigmoid", loss: str = "bce") -> Forward:
    r"""Step 1: $z_1 = XW_1 + b_1$, $a_1 = f(z_1)$, $z_2 = a_1 W_2 + b_2$, $\hat y = g(z_2)$."""
    z1 = X @ params["W1"] + params["b1"]
    a1, f_prime = _activation(activation, z1)
    z2 = a1 @ params["W2"] + params["b2"]
    return Forward(z1, a1, f_prime, z2, _output(loss, z2))


def output_error(cache: Forward, y: np.ndarray, loss: str = "bce") -> np.ndarray:
    r"""Step 2: $\delta_2 = \partial L/\partial z_2$ ($(\hat y - y)/N$, or $\frac{2}{n}(\hat y - y)$ for mse)."""
    y_hat = cache.y_hat
    if loss == "mse":
        return 2.0 * (y_hat - y) / y_hat.size
    if loss == "bce":
        return (y_hat - y) / y_hat.size
    if loss == "cross_entropy":
        one_hot = np.zeros_like(y_hat)
        one_hot[np.arange(len(y)), y] = 1.0
        return (y_hat - one_hot) / len(y)
    raise ValueError(f"loss: expected one of {', '.join(LOSSES)}, got {loss!r}")


def backward(params: Params, cache: Forward, X: np.ndarray, y: np.ndarray, loss: str = "bce") -> Backward:
    r"""Steps 2-4: $\delta_2$, then $\delta_1 = (\delta_2 W_2^\top) \odot f'(z_1)$, then every gradient."""
    delta2 = output_error(cache, y, loss)
    delta1 = (delta2 @ params["W2"].T) * cache.f_prime
    grads = {
        "W2": cache.a1.T @ delta2,
        "b2": delta2.sum(axis=0),
        "W1": X.T @ delta1,
        "b1": delta1.sum(axis=0),
    }
    return Backward(delta2, delta1, grads)


def gradients(params: Params, X: np.ndarray, y: np.ndarray, activation: str = "sigmoid", loss: str = "bce") -> Params:
    """All four steps but the update: the gradient of the loss for every weight."""
    return backward(params, forward(params, X, activation, loss), X, y, loss).grads


def engine_gradients(params: Params, X: np.ndarray, y: np.ndarray, activation: str = "sigmoid", loss: str = "bce") -> Params:
    """The same gradients from bplab's engine (forward as Values, then ``loss.backward()``)."""
    leaves = {name: Value(array, name=name) for name, array in params.items()}
    hidden = getattr(X @ leaves["W1"] + leaves["b1"], activation)()
    z2 = hidden @ leaves["W2"] + leaves["b2"]
    if loss == "mse":
        value = nn.mse_loss(z2, y)
    elif loss == "bce":
        value = nn.binary_cross_entropy_with_logits(z2, y)
    else:
        value = nn.cross_entropy(z2, y)
    value.backward()
    return {name: leaf.grad for name, leaf in leaves.items()}


def loss_value(params: Params, X: np.ndarray, y: np.ndarray, activation: str = "sigmoid", loss: str = "bce") -> float:
    """The loss of the network on ``(X, y)``."""
    y_hat = forward(params, X, activation, loss).y_hat
    if loss == "mse":
        return float(np.mean((y_hat - y) ** 2))
    if loss == "bce":
        p = np.clip(y_hat, 1e-12, 1 - 1e-12)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return float(-np.mean(np.log(np.clip(y_hat[np.arange(len(y)), y], 1e-300, None))))


def sgd_step(params: Params, X: np.ndarray, y: np.ndarray, lr: float, activation: str = "sigmoid",
             loss: str = "bce") -> Params:
    r"""The right order: every error first, then every weight moves, $\theta \leftarrow \theta - \eta\,\partial L/\partial\theta$."""
    grads = gradients(params, X, y, activation, loss)
    return {name: params[name] - lr * grads[name] for name in params}


def step_updating_too_early(params: Params, X: np.ndarray, y: np.ndarray, lr: float, activation: str = "sigmoid",
                            loss: str = "bce") -> Params:
    r"""The wrong order: $W_2$ moves *before* $\delta_1$ is computed, so $\delta_1$ uses the new $W_2$.

    The resulting step for $W_1$ is not the gradient of the loss at the current weights;
    compare with :func:`sgd_step` (the difference grows with the learning rate).
    """
    cache = forward(params, X, activation, loss)
    delta2 = output_error(cache, y, loss)
    new = dict(params)
    new["W2"] = params["W2"] - lr * (cache.a1.T @ delta2)
    new["b2"] = params["b2"] - lr * delta2.sum(axis=0)
    delta1 = (delta2 @ new["W2"].T) * cache.f_prime  # uses the already-updated W2: the mistake
    new["W1"] = params["W1"] - lr * (X.T @ delta1)
    new["b1"] = params["b1"] - lr * delta1.sum(axis=0)
    return new


def step_updating_just_in_time(params: Params, X: np.ndarray, y: np.ndarray, lr: float, activation: str = "sigmoid",
                               loss: str = "bce") -> Params:
    r"""The earliest correct order: $W_2$ moves as soon as $\delta_1$ has been computed from it.

    $W_2$'s last use in the backward pass is $\delta_1 = (\delta_2 W_2^\top) \odot f'(z_1)$; after that it
    may change (this is how an optimizer step fused into the backward pass saves memory). The
    result equals :func:`sgd_step`'s.
    """
    cache = forward(params, X, activation, loss)
    delta2 = output_error(cache, y, loss)
    delta1 = (delta2 @ params["W2"].T) * cache.f_prime  # W2's last job: carrying the error back
    new = dict(params)
    new["W2"] = params["W2"] - lr * (cache.a1.T @ delta2)  # now it may move
    new["b2"] = params["b2"] - lr * delta2.sum(axis=0)
    new["W1"] = params["W1"] - lr * (X.T @ delta1)
    new["b1"] = params["b1"] - lr * delta1.sum(axis=0)
    return new


def init_params(inputs: int, hidden: int, outputs: int, seed: int | None = 0, scale: float = 0.5) -> Params:
    """Small random weights N(0, scale²) and zero biases for :func:`forward`."""
    rng = make_rng(seed=seed)
    return {
        "W1": rng.normal(0.0, scale, size=(inputs, hidden)),
        "b1": np.zeros(hidden),
        "W2": rng.normal(0.0, scale, size=(hidden, outputs)),
        "b2": np.zeros(outputs),
    }
