"""Commands printed for the learner to type, each one working exactly as printed.

A bare ``bplab`` works only where the venv's ``bin`` folder is on PATH (an activated venv), and
the README's commands never activate one. So a hint names the running environment's own
``bplab`` script by its absolute path: the script pip put beside this Python (``sys.executable``
as given, not resolved, since a venv's ``python`` is a symlink to the base interpreter). Where
there is no such script (bplab imported from a source tree and run as ``python -m
bplab.app.cli``), the hint is that: ``/path/to/python -m bplab.app.cli``.

PyTorch is not needed by the course; the tests and benchmarks compare against it. Its default Linux wheel from
PyPI pulls the CUDA build, gigabytes, so the hint installs the CPU build from PyTorch's index.
Standard library only.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

CLI_MODULE = "bplab.app.cli"
SCRIPT_NAMES = ("bplab", "bplab.exe")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def shell_word(word: str) -> str:
    """``word`` as typed in a shell: bare when safe, else in double quotes (bash, zsh, cmd and PowerShell agree).

    ``~`` stays bare, so a leading ``~/`` means the home folder as the learner expects.
    """
    if re.fullmatch(r"[\w./:@+~-]+", word):
        return word
    return '"' + word.replace('"', '\\"') + '"'


def bplab_script(executable: str | None = None) -> Path | None:
    """The ``bplab`` console script installed beside ``executable`` (default: this Python), or None."""
    folder = Path(os.path.abspath(executable or sys.executable)).parent
    for name in SCRIPT_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def bplab_command(*args: str, executable: str | None = None) -> str:
    """``bplab ARGS`` as a shell command that works without an activated venv.

    ``bplab_command("lab")`` is e.g. ``/home/me/bplab/.venv/bin/bplab lab``, or
    ``/usr/bin/python3 -m bplab.app.cli lab`` where no ``bplab`` script sits beside the Python.
    """
    python = os.path.abspath(executable or sys.executable)
    script = bplab_script(python)
    words = [str(script)] if script is not None else [python, "-m", CLI_MODULE]
    return " ".join(shell_word(word) for word in [*words, *args])


def torch_install_command(executable: str | None = None) -> str:
    """The command that installs PyTorch's CPU build into this Python (not the multi-GB CUDA build)."""
    python = os.path.abspath(executable or sys.executable)
    return f"{shell_word(python)} -m pip install torch --index-url {TORCH_CPU_INDEX}"


def torch_hint(executable: str | None = None) -> str:
    """Why PyTorch is missing is fine, and how to add it if wanted (one sentence, for skip reasons and reports)."""
    return (
        "PyTorch is not installed: the course runs without it, but the tests and benchmarks compare "
        "against it. To add it, install its CPU build (a plain `pip install torch` on Linux pulls the CUDA "
        f"build, several gigabytes): {torch_install_command(executable)}"
    )
