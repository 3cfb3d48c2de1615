"""A wheel built from the repository, installed in a fresh venv outside it, carries the whole course."""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fresh_venv import REPO, FreshVenv

pytestmark = pytest.mark.slow


def repository_notebooks() -> list[str]:
    notebooks = REPO / "notebooks"
    return sorted(
        p.relative_to(notebooks).as_posix()
        for p in notebooks.rglob("*.ipynb")
        if not any(part.startswith(".") for part in p.relative_to(notebooks).parts)
    )


def test_wheel_in_a_fresh_venv_copies_every_notebook(tmp_path: Path) -> None:
    expected = {name: (REPO / "notebooks" / name).read_bytes() for name in repository_notebooks()}
    dist = tmp_path / "dist"
    venv = FreshVenv(tmp_path / "venv")
    venv.run_logged("build wheel", [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist)], cwd=REPO)
    wheels = list(dist.glob("bplab-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        licenses = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
        assert len(licenses) == 1, "the wheel carries the LICENSE (pyproject.toml: license-files)"
        assert wheel.read(licenses[0]) == (REPO / "LICENSE").read_bytes()
        assert "License-Expression: MIT" in wheel.read(licenses[0].replace("licenses/LICENSE", "METADATA")).decode()
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 the bplab authors\n")
    assert "bplab/app/notebooks/00_start_here.ipynb" in names, "the course ships at bplab/app/notebooks/"
    assert not any(name.startswith("bplab/course/") for name in names), "no folder may shadow a module name"

    venv.pip("pip install wheel (with its dependencies)", "install", "-q", str(wheels[0]), cwd=tmp_path)
    where = venv.python(
        "import bplab", "-c", "import bplab, bplab.app.course as c; print(bplab.__file__); print(c.course_dir())", cwd=tmp_path
    ).stdout.split()
    assert str(venv.path) in where[0] and str(REPO) not in where[0], where  # the wheel's copy, not the repo
    assert where[1].endswith("site-packages/bplab/app/notebooks"), where

    course = tmp_path / "my-course"
    said = venv.run_logged("bplab copy", [str(venv.bin / "bplab"), "copy", str(course)], cwd=tmp_path).stdout
    copied = sorted(p.relative_to(course).as_posix() for p in course.rglob("*.ipynb"))
    assert copied == sorted(expected), said
    for name in copied:  # byte for byte what the repository held when the wheel was built
        assert (course / name).read_bytes() == expected[name], name
    umask = os.umask(0o022)
    os.umask(umask)
    assert {stat.S_IMODE((course / name).stat().st_mode) for name in copied} == {0o666 & ~umask}

    # hub-link takes the repository from the installed wheel's metadata
    link = venv.run_logged(
        "bplab hub-link", [str(venv.bin / "bplab"), "hub-link", "https://hub.example.org"], cwd=tmp_path
    ).stdout.strip()
    repository = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert parse_qs(urlsplit(link).query)["repo"] == [repository], link
    print("timings (s):", json.dumps(venv.timings))
