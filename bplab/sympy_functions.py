r"""SymPy functions that SymPy lacks: the sigmoid $\sigma$ and ReLU, with their derivative rules.

They keep formulas readable: SymPy writes $\frac{d}{dx}\sigma(x) = \sigma(x)(1 - \sigma(x))$
instead of a tower of exponentials. Importing this module imports SymPy, so only
:mod:`bplab.symbolic` and the SymPy twins in :mod:`bplab.ops` import it, when first needed. It needs
only SymPy and :mod:`bplab.kernels`, so it sits below the primitive table.
"""

from __future__ import annotations

import numpy as np
import sympy
from mpmath.libmp import prec_to_dps

from bplab import kernels


class sigmoid(sympy.Function):  # noqa: N801  (lower case, like sympy.exp)
    r"""$\sigma(x) = \frac{1}{1 + e^{-x}}$, with $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$."""

    def _eval_evalf(self, prec):
        return (1 / (1 + sympy.exp(-self.args[0]))).evalf(prec_to_dps(prec))

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _latex(self, printer, exp=None):
        body = r"\sigma{\left(%s \right)}" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


class relu(sympy.Function):  # noqa: N801
    r"""$\operatorname{relu}(x) = \max(0, x)$, with derivative $H(x)$ (taken as 0 at $x = 0$, as PyTorch does)."""

    def _eval_evalf(self, prec):
        return sympy.Max(0, self.args[0]).evalf(prec_to_dps(prec))

    def fdiff(self, argindex=1):
        return sympy.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sympy.Max(0, x)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        body = r"\operatorname{relu}{\left(%s \right)}" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


def _numpy_relu(x):
    return np.maximum(x, 0.0)


class maximum(sympy.Function):  # noqa: N801
    """Stand-in for ``Max`` handed to lambdify (SymPy prints ``Max`` as ``select``, which NumPy 2 rejects)."""


class minimum(sympy.Function):  # noqa: N801
    """Stand-in for ``Min`` handed to lambdify."""


def elementwise_extrema(exprs):
    """Replace Max/Min by :class:`maximum`/:class:`minimum` throughout ``exprs`` (an expression or a nest of lists)."""
    if isinstance(exprs, sympy.Basic):
        return exprs.replace(sympy.Max, maximum).replace(sympy.Min, minimum)
    if isinstance(exprs, (list, tuple)):
        return type(exprs)(elementwise_extrema(e) for e in exprs)
    return exprs


def _numpy_maximum(*values):
    return np.maximum.reduce(np.broadcast_arrays(*values))


def _numpy_minimum(*values):
    return np.minimum.reduce(np.broadcast_arrays(*values))


def _numpy_dirac_delta(x):
    """SymPy's derivative of the step: 0 away from the jump, infinite at it."""
    return np.where(np.asarray(x) == 0, np.inf, 0.0)


#: What :func:`sympy.lambdify` should call for the functions above (and SymPy's DiracDelta).
NUMPY_IMPLEMENTATIONS = {
    "DiracDelta": _numpy_dirac_delta,
    "sigmoid": kernels.sigmoid,
    "relu": _numpy_relu,
    "maximum": _numpy_maximum,
    "minimum": _numpy_minimum,
}
