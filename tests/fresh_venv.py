"""A fresh virtual environment outside the repository, for install tests (wheel, Binder stand-in)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class FreshVenv:
    """``python -m venv`` at ``path`` (no system site-packages), with helpers to run its programs."""

    def __init__(self, path: Path) -> None:
        if REPO in Path(path).resolve().parents:
            raise ValueError(f"path: expected a folder outside the repository {REPO}, got {path}")
        self.path = Path(path)
        self.bin = self.path / "bin"
        self.timings: dict[str, float] = {}
        self.run_logged("create venv", [sys.executable, "-m", "venv", str(self.path)], cwd=self.path.parent)

    def env(self, **extra: str) -> dict[str, str]:
        """This process's environment with the venv first on PATH and nothing leaking in from ours."""
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.path)
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env.update(extra)
        return env

    def run_logged(
        self, label: str, command: list[str], cwd: Path, timeout: float = 900, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command``; record its time under ``label``; raise with its output if it fails."""
        started = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=cwd,
            env=self.env(**extra_env) if (self.path / "bin").exists() else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.timings[label] = round(time.perf_counter() - started, 1)
        if done.returncode != 0:
            raise AssertionError(
                f"{label} failed (exit {done.returncode}): {' '.join(map(str, command))}\n"
                f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
            )
        return done

    def python(self, label: str, *args: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run the venv's Python."""
        return self.run_logged(label, [str(self.bin / "python"), *args], cwd=cwd, **extra_env)

    def pip(self, label: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run the venv's pip (quietly)."""
        return self.python(label, "-m", "pip", *args, cwd=cwd)
