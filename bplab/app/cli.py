"""The ``bplab`` command: ``bplab lab``, ``bplab copy`` and ``bplab doctor``.

Standard library only at import (the parent package's ``__init__`` brings NumPy, nothing
heavier). Run it as the ``bplab`` console script or as ``python -m bplab.app.cli``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bplab.app.course import CourseNotFoundError, course_dir, list_notebooks
from bplab.app.course_copy import CourseCopyError, copy_course, reset_notebook
from bplab.app.export import ExportError, export_course
from bplab.app.hints import bplab_command
from bplab.app.hub_link import DEFAULT_BRANCH, HubLinkError, hub_link
from bplab.app.lab import LabError, choose_port, lab_launch, make_token, run_lab

DEFAULT_FOLDER = "bplab-course"


def _port(text: str) -> int:
    """argparse type for --port: an integer from 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number such as 8888, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``bplab``."""
    from bplab.version import __version__

    parser = argparse.ArgumentParser(
        prog="bplab",
        description="bplab: backpropagation taught at five levels, in JupyterLab.",
        # The command as it works without an activated venv; raw, so a long path is never wrapped.
        epilog=f"Start here (copies the course to ./{DEFAULT_FOLDER} and opens it):\n  {bplab_command('lab')}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bplab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    lab = commands.add_parser(
        "lab",
        help="copy the course into a folder (keeping your edits) and open it in JupyterLab",
        description="Create or update your course folder, then start JupyterLab on 127.0.0.1 "
        "with a token, at 00_start_here.ipynb.",
    )
    lab.add_argument("folder", nargs="?", default=DEFAULT_FOLDER, metavar="DIR",
                     help=f"your course folder (default: ./{DEFAULT_FOLDER})")
    lab.add_argument("--port", type=_port, default=None, help="port to serve on (default: first free from 8888)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser; open the printed URL yourself")
    lab.add_argument("--token", default=None,
                     help="the login token (default: $JUPYTER_TOKEN, else a random one); never empty")

    copy = commands.add_parser(
        "copy",
        help="copy the course into DIR; notebooks you changed are kept, new versions go beside them",
        description="Copy the course into DIR. A notebook you changed is never overwritten: when the "
        "course has a new version of it since your copy, that is written beside it as NAME.new.ipynb. "
        "--reset NOTEBOOK restores one notebook after saving yours as a timestamped backup, and "
        "removes the NAME.new.ipynb bplab had put beside it.",
    )
    copy.add_argument("folder", metavar="DIR", help="your course folder, e.g. ./bplab-course")
    copy.add_argument("--reset", action="append", metavar="NOTEBOOK", default=[],
                      help="restore this notebook (path inside the course, or its file name); repeatable")

    doctor = commands.add_parser(
        "doctor",
        help="check Python, packages, JupyterLab extensions and a kernel; print fixes",
        description="Check that this Python can run the course; each problem comes with the command that fixes it.",
    )
    doctor.add_argument("--no-kernel", action="store_true", help="skip starting a kernel (faster, checks less)")

    commands.add_parser("list", help="list the course's notebooks", description="List the course's notebooks.")

    progress = commands.add_parser(
        "progress",
        help="show which exercises you solved, per notebook",
        description="Show, per notebook, which exercises you solved, tried or have not tried yet. "
        "Read from your course folder's progress file (or $BPLAB_PROGRESS); nothing is sent anywhere.",
    )
    progress.add_argument("folder", nargs="?", default=None, metavar="DIR",
                          help=f"your course folder (default: the one you are in, else ./{DEFAULT_FOLDER})")

    link = commands.add_parser(
        "hub-link",
        help="print the nbgitpuller link that brings the course to each learner of a JupyterHub",
        description="Print an nbgitpuller link for a JupyterHub: a learner who opens it gets the course "
        "pulled into their server (their edits kept) and lands on its start page in JupyterLab. "
        "The hub needs nbgitpuller in its user environment.",
    )
    link.add_argument("hub_url", metavar="HUB_URL", help="the hub's address, e.g. https://hub.example.org")
    link.add_argument("--repo", default=None, metavar="URL",
                      help="the course's git repository (default: the Repository URL in bplab's package metadata)")
    link.add_argument("--branch", default=DEFAULT_BRANCH, metavar="B",
                      help=f"the branch to pull (default: {DEFAULT_BRANCH})")

    export = commands.add_parser(
        "export",
        help="write the course as static HTML pages (read offline, on a phone, or in a learning-management system)",
        description="Write the course into DIR as static HTML pages: stored outputs, typeset math and "
        "interactive plotly figures, with everything the pages need inside DIR (no kernel, no network). "
        "Explorers are shown as pictures at their settings. Open DIR/index.html, the course map.",
    )
    export.add_argument("folder", metavar="DIR", help="a new or empty folder for the pages, e.g. ./bplab-static")
    export.add_argument("--force", action="store_true",
                        help="write into DIR even if it is not empty (files of the same name are replaced)")
    return parser


def _copy(folder: str, resets: list[str], out: TextIO) -> int:
    if resets:
        for name in resets:
            for line in reset_notebook(Path(folder), name).lines():
                print(line, file=out)
        return 0
    for line in copy_course(Path(folder)).lines():
        print(line, file=out)
    return 0


def _lab(args: argparse.Namespace, out: TextIO) -> int:
    if importlib.util.find_spec("jupyterlab") is None:
        raise LabError(f'JupyterLab is not installed in this Python. Fix: {sys.executable} -m pip install "jupyterlab>=4.2,<5"')
    token = make_token(args.token)
    port = choose_port(args.port)
    _copy(args.folder, [], out)
    launch = lab_launch(Path(args.folder), port=port, token=token, open_browser=not args.no_browser)
    print(f"Starting JupyterLab in {launch.folder}", file=out)
    print(f"Open this address in your browser (it holds your login token):\n    {launch.url}", file=out)
    print("Stop with Ctrl-C (twice).", file=out, flush=True)
    return run_lab(launch)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``bplab`` console script; returns the exit code."""
    out = sys.stdout if out is None else out
    args = build_parser().parse_args(argv)
    try:
        if args.command == "copy":
            return _copy(args.folder, args.reset, out)
        if args.command == "lab":
            return _lab(args, out)
        if args.command == "doctor":
            from bplab.app import doctor

            return doctor.run(out=out, kernel=not args.no_kernel)
        if args.command == "progress":
            from bplab.app.progress_report import run as show_progress

            return show_progress(args.folder, out, default_folder=DEFAULT_FOLDER)
        if args.command == "list":
            print(f"course: {course_dir()}", file=out)
            for name in list_notebooks():
                print(f"  {name}", file=out)
            return 0
        if args.command == "hub-link":
            print(hub_link(args.hub_url, repo=args.repo, branch=args.branch), file=out)
            return 0
        if args.command == "export":
            for line in export_course(Path(args.folder), force=args.force).lines():
                print(line, file=out)
            return 0
    except (CourseCopyError, CourseNotFoundError, LabError, HubLinkError, ExportError) as exc:
        print(f"bplab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # permissions, full disk, ...: say which file and what to do, lose nothing
        from bplab.app.safe_files import describe

        where = Path(exc.filename) if exc.filename else Path.cwd()
        print(f"bplab {args.command}: error: {describe(exc, where, f'use {where}')}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse's choices make this unreachable


if __name__ == "__main__":
    sys.exit(main())
