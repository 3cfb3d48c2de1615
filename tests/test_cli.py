"""The ``bplab`` command: copy never loses learner work, reset keeps a backup, lab keeps its token."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

import bplab
import bplab.app.course_copy
from bplab.app import cli
from bplab.app.course import course_dir, list_course_files, list_notebooks
from bplab.app.course_copy import MANIFEST_NAME
from bplab.app.lab import LabError, lab_launch, make_token

REPO = Path(__file__).resolve().parents[1]


def notebook_bytes(text: str) -> bytes:
    """A small valid notebook whose one markdown cell says ``text``."""
    notebook = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": [text]}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(notebook, indent=1) + "\n").encode()


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in shipped course (what bplab/app/notebooks/ holds in a wheel), used by the copy code."""
    source = tmp_path / "shipped"
    (source / "2_high_school").mkdir(parents=True)
    (source / "00_start_here.ipynb").write_bytes(notebook_bytes("start here v1"))
    (source / "2_high_school" / "03_one_weight_network.ipynb").write_bytes(notebook_bytes("one weight v1"))
    (source / "2_high_school" / "figure.png").write_bytes(b"\x89PNG fake")
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "00_start_here-checkpoint.ipynb").write_bytes(b"{}")
    monkeypatch.setattr(bplab.app.course_copy, "course_dir", lambda: source)
    return source


def run_cli(*argv: str) -> tuple[int, str]:
    """Run ``bplab ARGV`` in this process; (exit code, stdout)."""
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


ONE_WEIGHT = "2_high_school/03_one_weight_network.ipynb"


def test_copy_creates_the_course_and_a_manifest(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    code, said = run_cli("copy", str(folder))
    assert code == 0
    assert "3 course files" in said and "3 added" in said
    assert (folder / ONE_WEIGHT).read_bytes() == (shipped / ONE_WEIGHT).read_bytes()
    assert (folder / "2_high_school" / "figure.png").exists()
    assert not (folder / ".ipynb_checkpoints").exists()
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert set(manifest["files"]) == {"00_start_here.ipynb", ONE_WEIGHT, "2_high_school/figure.png"}


def test_copy_twice_over_an_edited_notebook_keeps_the_edit(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    run_cli("copy", str(folder))
    edited = notebook_bytes("my own notes: dC/dw = 2(a - y) i")
    (folder / ONE_WEIGHT).write_bytes(edited)
    for _ in range(2):
        code, said = run_cli("copy", str(folder))
        assert code == 0
        assert (folder / ONE_WEIGHT).read_bytes() == edited
        assert "1 kept as you edited them" in said
        assert "new version" not in said and ".new." not in said  # the course did not change: nothing to announce
    assert sorted(p.name for p in (folder / "2_high_school").iterdir()) == [
        "03_one_weight_network.ipynb",
        "figure.png",
    ]


def test_a_new_release_updates_untouched_files_and_spares_edited_ones(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    run_cli("copy", str(folder))
    edited = notebook_bytes("mine")
    (folder / ONE_WEIGHT).write_bytes(edited)
    (shipped / "00_start_here.ipynb").write_bytes(notebook_bytes("start here v2"))
    (shipped / ONE_WEIGHT).write_bytes(notebook_bytes("one weight v2"))
    code, said = run_cli("copy", str(folder))
    assert code == 0
    assert (folder / "00_start_here.ipynb").read_bytes() == notebook_bytes("start here v2")
    assert "1 updated" in said
    assert (folder / ONE_WEIGHT).read_bytes() == edited
    assert (folder / "2_high_school" / "03_one_weight_network.new.ipynb").read_bytes() == notebook_bytes(
        "one weight v2"
    )


def test_a_new_file_the_learner_edited_is_not_overwritten_either(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    run_cli("copy", str(folder))
    (folder / ONE_WEIGHT).write_bytes(notebook_bytes("mine"))
    (shipped / ONE_WEIGHT).write_bytes(notebook_bytes("one weight v2"))
    run_cli("copy", str(folder))
    new_file = folder / "2_high_school" / "03_one_weight_network.new.ipynb"
    new_file.write_bytes(notebook_bytes("I wrote in the .new file too"))
    (shipped / ONE_WEIGHT).write_bytes(notebook_bytes("one weight v3"))
    code, said = run_cli("copy", str(folder))
    assert new_file.read_bytes() == notebook_bytes("I wrote in the .new file too")
    second = folder / "2_high_school" / "03_one_weight_network.new-2.ipynb"
    assert second.read_bytes() == notebook_bytes("one weight v3")
    assert "03_one_weight_network.new-2.ipynb" in said


def test_a_folder_made_without_manifest_counts_differing_files_as_the_learners(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    (folder / "2_high_school").mkdir(parents=True)
    (folder / ONE_WEIGHT).write_bytes(notebook_bytes("typed by hand"))
    (folder / "00_start_here.ipynb").write_bytes((shipped / "00_start_here.ipynb").read_bytes())
    code, said = run_cli("copy", str(folder))
    assert code == 0
    assert (folder / ONE_WEIGHT).read_bytes() == notebook_bytes("typed by hand")
    assert "kept your edited" in said and "1 unchanged" in said


def test_reset_saves_the_learners_version_as_a_backup(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    run_cli("copy", str(folder))
    edited = notebook_bytes("my broken attempt")
    (folder / ONE_WEIGHT).write_bytes(edited)
    code, said = run_cli("copy", str(folder), "--reset", "03_one_weight_network")
    assert code == 0
    assert (folder / ONE_WEIGHT).read_bytes() == (shipped / ONE_WEIGHT).read_bytes()
    backups = sorted((folder / "2_high_school").glob("03_one_weight_network.backup-*.ipynb"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == edited
    assert backups[0].relative_to(folder).as_posix() in said  # says where
    # After a reset the notebook is bplab's again: the next copy updates it silently.
    code, said = run_cli("copy", str(folder))
    assert "kept your edited" not in said


def test_two_resets_in_the_same_second_keep_both_backups(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    run_cli("copy", str(folder))
    moment = datetime(2026, 1, 2, 3, 4, 5)
    for text in ("first try", "second try"):
        (folder / ONE_WEIGHT).write_bytes(notebook_bytes(text))
        bplab.app.course_copy.reset_notebook(folder, ONE_WEIGHT, now=moment)
    backups = {b.name: b.read_bytes() for b in (folder / "2_high_school").glob("*.backup-*")}
    assert backups == {
        "03_one_weight_network.backup-20260102-030405.ipynb": notebook_bytes("first try"),
        "03_one_weight_network.backup-20260102-030405-2.ipynb": notebook_bytes("second try"),
    }


def test_reset_of_an_untouched_notebook_needs_no_backup(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "course"
    run_cli("copy", str(folder))
    code, said = run_cli("copy", str(folder), "--reset", ONE_WEIGHT)
    assert code == 0 and "nothing of yours to back up" in said
    assert not list(folder.rglob("*.backup-*"))


def test_reset_of_an_unknown_notebook_lists_close_matches(
    shipped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "course"
    run_cli("copy", str(folder))
    code, _ = run_cli("copy", str(folder), "--reset", "03_one_wieght_network.ipynb")
    assert code == 2
    error = capsys.readouterr().err
    assert "NOTEBOOK" in error and "is not a notebook of the course" in error
    assert "03_one_weight_network.ipynb" in error  # the close match


def test_copy_into_a_file_is_a_clear_error(shipped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    code, _ = run_cli("copy", str(a_file))
    assert code == 2
    assert "is a file" in capsys.readouterr().err
    assert a_file.read_text() == "not a folder"


def test_bad_arguments_exit_2_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["copy"])
    assert exited.value.code == 2
    assert "DIR" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        cli.main(["lab", "--port", "http"])
    assert exited.value.code == 2
    assert "expected a port number" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        cli.main(["frobnicate"])
    assert exited.value.code == 2


def test_version_from_the_console_script() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bplab.app.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"bplab {bplab.__version__}"


# --- where the course is ---------------------------------------------------------------------


def test_editable_install_finds_the_repositorys_notebooks() -> None:
    if (Path(bplab.__file__).parent / "app" / "notebooks").is_dir():
        pytest.skip("bplab is installed from a wheel here; tests/test_wheel.py covers that layout")
    assert course_dir() == REPO / "notebooks"
    on_disk = sorted(
        p.relative_to(REPO / "notebooks").as_posix()
        for p in (REPO / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )
    assert list_notebooks() == on_disk


def test_list_notebooks_skips_checkpoints(shipped: Path) -> None:
    assert list_notebooks(shipped) == ["00_start_here.ipynb", ONE_WEIGHT]
    assert "2_high_school/figure.png" in list_course_files(shipped)


def test_copy_of_the_real_course_through_the_console_script(tmp_path: Path) -> None:
    folder = tmp_path / "real"
    done = subprocess.run(
        [sys.executable, "-m", "bplab.app.cli", "copy", str(folder)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    copied = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb"))
    assert copied == list_notebooks()


# --- bplab lab -------------------------------------------------------------------------------


def test_lab_command_is_loopback_with_a_token(tmp_path: Path) -> None:
    (tmp_path / "00_start_here.ipynb").write_bytes(notebook_bytes("x"))
    launch = lab_launch(tmp_path, port=8899, token="s3cret", open_browser=False, as_root=False)
    assert "--ServerApp.ip=127.0.0.1" in launch.command
    assert "--ServerApp.port=8899" in launch.command
    assert "--no-browser" in launch.command and "--allow-root" not in launch.command
    assert launch.command[-1] == "00_start_here.ipynb"
    assert launch.env == {"JUPYTER_TOKEN": "s3cret"}
    assert not any("s3cret" in word for word in launch.command)  # not visible in the process list
    assert launch.url == "http://127.0.0.1:8899/lab/tree/00_start_here.ipynb?token=s3cret"
    assert "--allow-root" in lab_launch(tmp_path, port=8899, token="t", as_root=True).command


def test_lab_never_runs_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTER_TOKEN", raising=False)
    with pytest.raises(LabError, match="never disabled"):
        make_token("")
    first, second = make_token(None), make_token(None)
    assert len(first) >= 32 and first != second
    monkeypatch.setenv("JUPYTER_TOKEN", "from-env")
    assert make_token(None) == "from-env"


@pytest.mark.slow
def test_lab_serves_the_course_only_with_the_token(tmp_path: Path) -> None:
    """Start the real ``bplab lab`` and knock on its door with and without the token."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    env.pop("JUPYTER_TOKEN", None)
    log = open(tmp_path / "lab.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "bplab.app.cli", "lab", str(tmp_path / "course"), "--no-browser", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and url is None:
            log.seek(0)
            for line in log.read().splitlines():
                if line.strip().startswith(f"http://127.0.0.1:{port}/") and "token=" in line:
                    url = line.strip()
            time.sleep(0.2)
        assert url, "bplab lab printed no URL with a token"
        token = url.split("token=", 1)[1]
        status = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2
                ) as answer:
                    status = answer.status
                    break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, "bplab lab exited early:\n" + log.read()
                time.sleep(0.3)
        assert status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5)
        assert refused.value.code == 403
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    with pytest.raises(OSError):  # nothing answers any more: JupyterLab stopped with bplab
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
