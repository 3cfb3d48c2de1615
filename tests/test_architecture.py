"""The package's shape, checked: no import cycles, imports point down the layers, no private names across modules.

Every import counts, also the lazy ones inside functions: a cycle hidden in a function is
still a cycle. The layers are design.md's module map: a module may import only modules of a
lower layer, or of its own layer inside its own subpackage.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bplab

PACKAGE_DIR = Path(bplab.__file__).parent

#: design.md's module map, lowest first. A module not listed here fails the test: place it.
LAYERS: dict[str, int] = {
    "bplab.kernels": 0, "bplab.validation": 0, "bplab.divergence": 0, "bplab.version": 0,
    "bplab.sympy_functions": 1, "bplab.init": 1, "bplab.data": 1,
    "bplab.ops": 2,
    "bplab.engine": 3, "bplab.parser": 3,
    "bplab.symbolic": 4, "bplab.optim": 4, "bplab.func": 4, "bplab.checkpointing": 4, "bplab.memory": 5,
    "bplab.check": 5, "bplab.nn": 5, "bplab.swell": 5,
    "bplab.conv": 6, "bplab.recurrent": 6, "bplab.train": 6, "bplab.delta_equations": 6, "bplab.clinic": 6,
    "bplab.alternatives": 6, "bplab.forward_forward": 6, "bplab.rumelhart1986": 6,
    "bplab.plain_figures": 6,
    "bplab.plots": 7,
    "bplab.explorers": 8, "bplab.exercises": 8,
    "bplab.app": 9,
    "bplab": 10,  # the package's front door re-exports the public names
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def layer_of(module: str) -> tuple[str, int]:
    """The entry of LAYERS that ``module`` belongs to (the longest prefix), and its layer."""
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: add it where design.md puts it")


def resolve(target: str) -> str:
    """The bplab module an import names (``bplab.nn.Linear`` -> ``bplab.nn``)."""
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def imports_of(module: str) -> list[tuple[str, list[str], int]]:
    """``(imported module, names taken from it, line)`` for every bplab import, lazy ones included."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "bplab":
                    found.append((resolve(alias.name), [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "bplab":
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in MODULES:  # from bplab import nn: the module bplab.nn
                    found.append((submodule, [], node.lineno))
                else:
                    found.append((resolve(base), [alias.name], node.lineno))
    return found


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_imports_point_down_the_layers():
    wrong = []
    for module in MODULES:
        own_prefix, own_layer = layer_of(module)
        for target, _names, line in imports_of(module):
            if target == module:
                continue
            target_prefix, target_layer = layer_of(target)
            if target_layer < own_layer or target_prefix == own_prefix:
                continue
            wrong.append(f"{module}:{line} imports {target} (layer {target_layer}, not below {own_layer})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {module: sorted({t for t, _, _ in imports_of(module) if t != module}) for module in MODULES}
    # a package's __init__ importing its own submodules is the package's front door, not a dependency
    # of theirs; a submodule importing its package's __init__ back is a cycle and is kept.
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            if state.get(child) == 1:
                cycles.append(" -> ".join(path[path.index(child):] + [child]))
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(graph[child])))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def private_uses(module: str) -> list[str]:
    """Private names (``_x``) that ``module`` takes from another bplab module, by import or attribute."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    found = [
        f"{module}:{line} imports {name} from {target}"
        for target, names, line in imports_of(module)
        for name in names
        if target != module and name.startswith("_") and not name.startswith("__")
    ]
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bplab"):
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bplab") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            found.append(f"{module}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_private_name_crosses_a_module():
    found = [use for module in MODULES for use in private_uses(module)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("planted, expected", [
    ("from bplab.ops import _secret\n", "imports _secret from bplab.ops"),
    ("from bplab import ops\nops._secret\n", "uses bplab.ops._secret"),
])
def test_the_private_check_sees_a_planted_use(tmp_path, monkeypatch, planted, expected):
    path = tmp_path / "planted.py"
    path.write_text(planted)
    monkeypatch.setitem(MODULES, "bplab.planted", path)
    assert any(expected in use for use in private_uses("bplab.planted"))


def test_the_cycle_check_sees_a_planted_lazy_cycle(tmp_path, monkeypatch):
    path = tmp_path / "kernels.py"
    path.write_text(MODULES["bplab.kernels"].read_text() + "\n\ndef late():\n    from bplab import ops\n")
    monkeypatch.setitem(MODULES, "bplab.kernels", path)
    with pytest.raises(AssertionError, match=r"bplab.kernels:\d+ imports bplab.ops \(layer 2, not below 0\)"):
        test_imports_point_down_the_layers()
    with pytest.raises(AssertionError, match="import cycles:\n.*bplab.kernels -> bplab.ops"):
        test_no_import_cycles()
