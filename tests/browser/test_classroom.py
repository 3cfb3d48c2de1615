"""The classroom path end to end: a local JupyterHub (dummy login, one local process per learner,
configurable-http-proxy in front) given ``bplab hub-link`` to a local clone pulls the course into
a learner's home with nbgitpuller and opens the start page in JupyterLab, in Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from harness import free_port

pytest.importorskip("jupyterhub", reason="the classroom test needs jupyterhub (pip install -e '.[test]')")
pytest.importorskip("nbgitpuller", reason="the classroom test needs nbgitpuller (pip install -e '.[test]')")

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "classroom"


def proxy_command() -> str:
    found = shutil.which("configurable-http-proxy")
    if found is None:
        message = "configurable-http-proxy is not installed: npm install -g configurable-http-proxy"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def hub_config(folder: Path, port: int) -> Path:
    homes = folder / "homes"
    homes.mkdir()
    config = folder / "jupyterhub_config.py"
    singleuser = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
    args = ["--allow-root"] if os.geteuid() == 0 else []
    config.write_text(
        f"c.JupyterHub.ip = '127.0.0.1'\n"
        f"c.JupyterHub.port = {port}\n"
        f"c.JupyterHub.hub_ip = '127.0.0.1'\n"
        f"c.JupyterHub.hub_port = {free_port()}\n"
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'\n"
        f"c.ConfigurableHTTPProxy.pid_file = {str(folder / 'proxy.pid')!r}\n"
        f"c.JupyterHub.db_url = 'sqlite:///{folder / 'hub.sqlite'}'\n"
        f"c.JupyterHub.cookie_secret_file = {str(folder / 'cookie_secret')!r}\n"
        "c.JupyterHub.authenticator_class = 'dummy'\n"
        f"c.DummyAuthenticator.password = {PASSWORD!r}\n"
        "c.Authenticator.allow_all = True\n"
        "c.JupyterHub.spawner_class = 'simple'\n"
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(homes / '{username}')!r}\n"
        f"c.Spawner.cmd = {singleuser!r}\n"
        f"c.Spawner.args = {args!r}\n"
        "c.Spawner.default_url = '/lab'\n"
        "c.Spawner.start_timeout = 180\n"
        "c.Spawner.http_timeout = 180\n"
        f"c.Spawner.environment = {{'BPLAB_PROGRESS': {str(folder / 'progress.json')!r}}}\n"
    )
    return config


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"JupyterHub did not answer {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop_group(process: subprocess.Popen) -> None:
    """The hub, its proxy and every learner's server: they share the hub's process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    try:
        os.killpg(process.pid, signal.SIGKILL)  # anything left behind (a learner's server)
    except ProcessLookupError:
        pass


def test_a_hub_link_pulls_the_course_and_opens_the_start_page(tmp_path: Path, chromium, artifacts: Path) -> None:
    proxy = proxy_command()
    clone = tmp_path / "bplab.git"  # the class's copy of the course repository
    subprocess.run(["git", "clone", "--quiet", "--bare", str(REPO), str(clone)], check=True)
    branch = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--abbrev-ref", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    port = free_port()
    config = hub_config(tmp_path, port)
    log = tmp_path / "jupyterhub.log"
    env = dict(os.environ, PATH=f"{Path(proxy).parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    with open(log, "wb") as output:
        hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp_path, env=env,
                               stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    page = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/hub/health", hub, log)
        link = subprocess.run([sys.executable, "-m", "bplab.app.cli", "hub-link", base, "--repo", str(clone),
                               "--branch", branch], check=True, capture_output=True, text=True).stdout.strip()
        query = parse_qs(urlsplit(link).query)
        folder = query["targetpath"][0]

        page = chromium.context.new_page()
        page.goto(link)  # not logged in yet: the hub asks, then sends the learner on to the pull
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url("**/00_start_here.ipynb*", timeout=240_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_function(
            "() => document.body.innerText.includes('bplab') || document.body.innerText.includes('Backprop')",
            timeout=60_000,
        )
        page.screenshot(path=str(artifacts / "classroom-start-page.png"))
        pulled = tmp_path / "homes" / "ada" / folder / "notebooks" / "00_start_here.ipynb"
        assert pulled.is_file(), f"nbgitpuller did not pull the course into {pulled.parent}"
        assert (pulled.parent / "3_graduate" / "07_backprop_in_a_network.ipynb").is_file()
        assert f"/user/ada/lab/tree/{folder}/notebooks/00_start_here.ipynb" in page.url
    except Exception:
        print(log.read_text()[-4000:])
        raise
    finally:
        if page is not None:
            page.close()
        stop_group(hub)
