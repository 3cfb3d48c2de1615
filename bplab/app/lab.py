"""``bplab lab``: start JupyterLab on the learner's course folder, on loopback, with a token.

Token authentication is never turned off: the learner's token (``--token`` or the
``JUPYTER_TOKEN`` environment variable) is used, otherwise one is generated with
:mod:`secrets`. The token reaches JupyterLab through ``JUPYTER_TOKEN`` in its environment,
so it does not show in the process list. Standard library only.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bplab.app.course import START_PAGE
from bplab.app.hints import bplab_command

HOST = "127.0.0.1"
FIRST_PORT = 8888
PORT_TRIES = 50


class LabError(Exception):
    """JupyterLab cannot be started as asked; the message says why and what to do."""


@dataclass(frozen=True)
class LabLaunch:
    """Everything needed to start JupyterLab: the command, its environment additions and the URL to open."""

    command: list[str]
    env: dict[str, str]
    url: str
    folder: Path
    port: int


def make_token(given: str | None) -> str:
    """The token to use: ``given`` (must not be empty), else ``JUPYTER_TOKEN``, else a fresh random one."""
    if given is not None:
        if not given.strip():
            raise LabError(
                "--token: expected a non-empty token; token authentication is never disabled. "
                "Leave --token out to get a random one."
            )
        return given
    from_env = os.environ.get("JUPYTER_TOKEN", "")
    return from_env if from_env.strip() else secrets.token_urlsafe(24)


def port_is_free(port: int, host: str = HOST) -> bool:
    """True when nothing listens on ``host:port`` and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as JupyterLab binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(asked: int | None) -> int:
    """``asked`` if free (error otherwise), else the first free port from 8888 on."""
    if asked is not None:
        if not 1 <= asked <= 65535:
            raise LabError(f"--port: expected a number from 1 to 65535, got {asked}")
        if not port_is_free(asked):
            raise LabError(f"--port: {HOST}:{asked} is already in use. Choose another port, or leave --port out.")
        return asked
    for port in range(FIRST_PORT, FIRST_PORT + PORT_TRIES):
        if port_is_free(port):
            return port
    raise LabError(f"no free port between {FIRST_PORT} and {FIRST_PORT + PORT_TRIES - 1}; pass one with --port")


def lab_launch(
    folder: Path,
    port: int,
    token: str,
    open_browser: bool = True,
    as_root: bool | None = None,
    python: str = sys.executable,
) -> LabLaunch:
    """The JupyterLab command for ``folder``: loopback only, token required, opening the start page."""
    if not token:
        raise LabError("token: expected a non-empty token; token authentication is never disabled")
    folder = Path(folder).absolute()
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    command = [
        python,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # the printed URL must be the real one
        f"--ServerApp.root_dir={folder}",
    ]
    if not open_browser:
        command.append("--no-browser")
    if as_root:
        command.append("--allow-root")
    start_page = folder / START_PAGE
    path = f"lab/tree/{quote(START_PAGE)}" if start_page.is_file() else "lab"
    if start_page.is_file():
        command.append(START_PAGE)  # the file JupyterLab opens (relative to root_dir)
    url = f"http://{HOST}:{port}/{path}?token={quote(token)}"
    return LabLaunch(command=command, env={"JUPYTER_TOKEN": token}, url=url, folder=folder, port=port)


def run_lab(launch: LabLaunch) -> int:
    """Start JupyterLab and wait for it; Ctrl-C stops it. Returns its exit code."""
    env = dict(os.environ, **launch.env)
    try:
        process = subprocess.Popen(launch.command, cwd=launch.folder, env=env)
    except OSError as exc:
        raise LabError(f"could not start JupyterLab ({exc}); check it with: {bplab_command('doctor')}") from None
    def forward(signum: int, frame: object) -> None:
        process.send_signal(signum)  # `kill` of bplab stops JupyterLab too, not only this wrapper

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The terminal sent Ctrl-C to JupyterLab too; give it time to stop its kernels.
        try:
            return process.wait(timeout=15)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.terminate()
            return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
