"""``import bplab`` stays light: no SymPy, plotly or ipywidgets (its time is measured in bench/engine.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import bplab

PROBE = """
import json, sys
import bplab
print(json.dumps([m for m in ("sympy", "plotly", "ipywidgets", "matplotlib", "torch") if m in sys.modules]))
"""


def test_import_bplab_loads_no_heavy_package():
    result = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True)
    assert json.loads(result.stdout) == []


def test_public_contract_names():
    for name in ("Value", "to_sympy", "from_sympy", "parse", "compare", "gradcheck"):
        assert hasattr(bplab, name)
