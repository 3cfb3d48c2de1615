r"""Optimizers: how a gradient becomes a step. The same update rules and defaults as ``torch.optim``.

>>> opt = Adam(model.parameters(), lr=1e-3)     # doctest: +SKIP
>>> loss.backward(); opt.step(); opt.zero_grad()  # doctest: +SKIP

Each optimizer keeps, per parameter, the state its rule needs, in ``optimizer.state[p]``
under PyTorch's keys (``momentum_buffer``, ``sum``, ``square_avg``, ``exp_avg``,
``exp_avg_sq``, ``step``), so a lesson can show it. Hyperparameters live in
``optimizer.param_groups`` (a list of dicts, as in PyTorch); ``optimizer.lr`` is a shortcut
for the first group's learning rate.

Updates replace ``p.data`` with a new array (they never write into an array you passed in).
A parameter without a gradient (``p.grad`` never filled) is skipped, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from bplab.engine import Value

ParamsArg = Iterable[Value] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: holds ``param_groups`` and per-parameter ``state``; subclasses define ``_update``."""

    defaults: dict[str, Any] = {}

    def __init__(self, params: ParamsArg, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Value, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        params = list(params.parameters() if hasattr(params, "parameters") and callable(params.parameters) else params)
        if not params:
            raise ValueError(f"params: {type(self).__name__} got an empty list of parameters; pass model.parameters()")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        group = dict(group)
        params = group.get("params")
        params = [params] if isinstance(params, Value) else list(params or [])
        for index, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"params[{index}]: expected a bplab Value (a parameter), got {type(p).__name__}; "
                    "pass model.parameters() or a list of Values"
                )
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        if not isinstance(lr, (int, float, np.floating, np.integer)) or isinstance(lr, bool) or not lr > 0 or not math.isfinite(lr):
            raise ValueError(
                f"lr: expected a learning rate above 0 (such as 0.1 or 1e-3), got {lr!r}; a rate of 0 never moves "
                "the weights and a negative rate climbs the loss instead of descending it"
            )
        for key in ("weight_decay", "momentum", "eps", "lr_decay", "dampening"):
            if key in group and group[key] < 0:
                raise ValueError(f"{key}: expected 0 or more, got {group[key]!r}")

    @property
    def lr(self) -> float:
        """The learning rate of the first parameter group (settable)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            self._check_hyperparameters({**group, "lr": value})
            group["lr"] = value

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (call before the next backward)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad()

    def step(self) -> None:
        """Move every parameter that has a gradient by one update of this optimizer's rule."""
        for group in self.param_groups:
            for p in group["params"]:
                if not p.has_grad:  # no gradient reached p (PyTorch skips such parameters too)
                    continue
                grad = p.grad
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                p.data = np.asarray(self._update(p.data, grad, state, group))  # a 0-d weight stays an array

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    PyTorch's rule: $g \leftarrow g + \lambda\theta$ (weight decay); with momentum $\mu$,
    $b \leftarrow \mu b + (1 - \tau) g$ (and $b = g$ on the first step), then
    $g \leftarrow g + \mu b$ for Nesterov or $g \leftarrow b$ otherwise; finally
    $\theta \leftarrow \theta - \eta g$.
    """

    def __init__(self, params: ParamsArg, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"nesterov: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                f"dampening={dampening}"
            )
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, param, grad, state, group):
        if not group["weight_decay"] and not group["momentum"]:  # plain descent: one new array, no temporaries
            step = np.multiply(grad, group["lr"], out=np.empty_like(param))
            # out=step only saves an allocation: a mutant without it gives the same weights (pragma: equivalent)
            return np.subtract(param, step, out=step)  # pragma: no mutate
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = np.copy(grad)  # never the gradient's own array: a later backward may add into it
            else:
                buffer = momentum * buffer + (1.0 - group["dampening"]) * grad
            state["momentum_buffer"] = buffer
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        return param - group["lr"] * grad


class Adagrad(Optimizer):
    r"""AdaGrad: each weight's step shrinks with the sum of its squared gradients.

    $s \leftarrow s + g^2,\quad \theta \leftarrow \theta - \frac{\eta_t}{\sqrt{s} + \epsilon}\, g$ with
    $\eta_t = \eta/(1 + (t - 1)\,\text{lr\_decay})$. PyTorch's defaults: lr 0.01, eps 1e-10.
    """

    def __init__(self, params: ParamsArg, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        lr = group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] = state["sum"] + grad * grad
        return param - lr * grad / (np.sqrt(state["sum"]) + group["eps"])


AdaGrad = Adagrad  # the name the lessons use; PyTorch spells it Adagrad


# Mutation testing: a running average started as np.zeros_like(None) (a 0-d zero) broadcasts to the same first
# update, so those mutants cannot change a result; their lines are marked "pragma: no mutate".


class RMSprop(Optimizer):
    r"""RMSprop: divide by a running root-mean-square of recent gradients.

    $v \leftarrow \alpha v + (1 - \alpha) g^2,\quad \theta \leftarrow \theta - \eta\, g/(\sqrt{v} + \epsilon)$;
    ``centered`` subtracts the squared running mean of $g$ under the root; ``momentum`` keeps
    $b \leftarrow \mu b + g/(\sqrt v + \epsilon)$ and steps by $\eta b$. PyTorch's defaults: lr 0.01, alpha 0.99, eps 1e-8.
    """

    def __init__(self, params: ParamsArg, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha: expected a smoothing constant between 0 and 1, got {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered))

    def _update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)  # pragma: no mutate
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param)  # pragma: no mutate
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)  # pragma: no mutate
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        alpha = group["alpha"]
        state["square_avg"] = alpha * state["square_avg"] + (1.0 - alpha) * grad * grad
        if group["centered"]:
            state["grad_avg"] = alpha * state["grad_avg"] + (1.0 - alpha) * grad
            average = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + group["eps"]
        else:
            average = np.sqrt(state["square_avg"]) + group["eps"]
        if group["momentum"] > 0:
            state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + grad / average
            return param - group["lr"] * state["momentum_buffer"]
        return param - group["lr"] * grad / average


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and on its square, with bias correction.

    $m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2,$
    $\hat m = m/(1 - \beta_1^t),\quad \hat v = v/(1 - \beta_2^t),\quad
    \theta \leftarrow \theta - \eta\,\hat m/(\sqrt{\hat v} + \epsilon).$
    On the first step $\hat m/\sqrt{\hat v} = g/|g| = \pm 1$: each weight moves by about $\eta$,
    whatever the gradient's scale. PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8.
    ``amsgrad`` uses the running maximum of $\hat v$; ``weight_decay`` adds $\lambda\theta$ to $g$.
    """

    def __init__(self, params: ParamsArg, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        beta1, beta2 = betas
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"betas[{index}]: expected a value in [0, 1), got {beta}")
        super().__init__(params, dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _update(self, param, grad, state, group):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)  # pragma: no mutate
            state["exp_avg_sq"] = np.zeros_like(param)  # pragma: no mutate
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        beta1, beta2 = group["betas"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        state["exp_avg"] = beta1 * state["exp_avg"] + (1.0 - beta1) * grad
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * grad * grad
        second_moment = state["exp_avg_sq"]
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = second_moment = np.maximum(state["max_exp_avg_sq"], second_moment)
        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        denominator = np.sqrt(second_moment) / math.sqrt(bias_correction2) + group["eps"]
        return param - (group["lr"] / bias_correction1) * state["exp_avg"] / denominator
