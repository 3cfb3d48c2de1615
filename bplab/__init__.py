r"""bplab: backpropagation taught at five levels, on a small NumPy engine checked by SymPy.

>>> from bplab import Value
>>> w = Value(0.8, name="w")
>>> cost = (1.5 * w - 0.5) ** 2        # the one-weight network of the High School level
>>> cost.backward()
>>> round(float(w.grad), 10)            # dC/dw = 2 (a - y) i
2.1

``import bplab`` is quick: SymPy, plotly and ipywidgets load only when a feature needs them.
"""

from bplab import func
from bplab.check import compare, gradcheck
from bplab.checkpointing import checkpoint, saved_bytes
from bplab.engine import Value, no_grad
from bplab.symbolic import from_sympy, parse, to_sympy
from bplab.version import __version__


__all__ = ["Value", "checkpoint", "compare", "from_sympy", "func", "gradcheck", "no_grad", "parse", "saved_bytes",
           "to_sympy", "__version__"]

_SUBMODULES = {"nn", "init", "optim", "train", "data", "conv", "recurrent", "plots", "explorers", "exercises",
               "symbolic", "parser", "check", "ops", "engine", "checkpointing", "kernels", "validation", "divergence", "delta_equations"}


def __getattr__(name: str):
    """``bplab.nn`` and friends load on first use, so that ``import bplab`` stays quick."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"bplab.{name}")
    raise AttributeError(f"module 'bplab' has no attribute {name!r}")
