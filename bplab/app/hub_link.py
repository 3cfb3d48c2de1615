"""``bplab hub-link``: the nbgitpuller link that brings the course to each learner of a JupyterHub.

nbgitpuller, installed in the hub's user environment, serves ``git-pull`` in each learner's
server; ``HUB/hub/user-redirect/git-pull?...`` sends a logged-in learner to their own. The query
parameters, as nbgitpuller documents them:

- ``repo``: the git repository, anything ``git clone`` accepts;
- ``branch``: always given, since nbgitpuller's own default is ``master``;
- ``targetpath``: the folder it clones into, relative to the server's root. nbgitpuller's default
  is the repository URL's last part, ``.git`` and all; bplab names the folder explicitly so that
  it is the one ``urlpath`` points into;
- ``urlpath``: where the learner lands once the pull is done, relative to the server:
  ``lab/tree/<targetpath>/notebooks/00_start_here.ipynb`` (JupyterLab, at the start page).

(A hub that sets ``NBGITPULLER_PARENTPATH`` clones under that folder; its links need that folder
in ``urlpath`` too, which this command does not add.) The repository defaults to the one in
bplab's package metadata (``[project.urls] Repository`` in pyproject.toml). Standard library only.
"""

from __future__ import annotations

import importlib.metadata
import re
from urllib.parse import quote, urlencode, urlsplit

from bplab.app.course import START_PAGE

DEFAULT_BRANCH = "main"
COURSE_FOLDER = "notebooks"  # the course's folder in the repository
REPOSITORY_LABELS = ("repository", "source", "sourcecode", "code")  # Project-URL labels, normalized


class HubLinkError(ValueError):
    """An argument of ``bplab hub-link`` that cannot make a link; the message says what was expected."""


def repository_url(distribution: str = "bplab") -> str:
    """The repository URL from the installed package's metadata (a ``Project-URL`` labelled Repository)."""
    try:
        entries = importlib.metadata.metadata(distribution).get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        entries = []
    for entry in entries:
        label, _, url = entry.partition(",")
        if re.sub(r"[^a-z]", "", label.lower()) in REPOSITORY_LABELS and url.strip():
            return url.strip()
    raise HubLinkError(
        f"--repo: {distribution}'s package metadata names no repository (expected a Project-URL "
        f"labelled Repository, found {entries or 'none'}). Pass the repository with --repo URL, "
        "or reinstall bplab (pip install -e . in a clone) so its metadata is current."
    )


def hub_base(hub_url: str) -> str:
    """The hub's address without a trailing slash, checked: ``http(s)://host[:port][/prefix]``.

    A page of the hub pasted from the browser (``.../hub/home``, ``.../user/NAME/lab``) is cut back
    to the hub's address. Raises :class:`HubLinkError` naming ``HUB_URL`` otherwise.
    """
    text = hub_url.strip()
    parts = urlsplit(text)
    example = "e.g. https://hub.example.org"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise HubLinkError(f"HUB_URL: expected the hub's address starting with http:// or https://, {example}; got {hub_url!r}")
    if parts.query or parts.fragment:
        raise HubLinkError(f"HUB_URL: expected the hub's address without ?query or #fragment, {example}; got {hub_url!r}")
    segments = [segment for segment in parts.path.split("/") if segment]
    if "hub" in segments:  # JupyterHub's own pages live under <prefix>/hub/
        segments = segments[: len(segments) - 1 - segments[::-1].index("hub")]
    elif "user" in segments:  # a learner's server lives under <prefix>/user/NAME/
        segments = segments[: segments.index("user")]
    prefix = "".join(f"/{segment}" for segment in segments)
    return f"{parts.scheme.lower()}://{parts.netloc}{prefix}"


def clone_folder(repo: str) -> str:
    """The folder name for a clone of ``repo``: its last path part without ``.git`` (as git names it)."""
    path = urlsplit(repo.strip()).path if "://" in repo else repo.strip()  # a URL's ?query is no part of the name
    last = re.split(r"[/:\\]", path.rstrip("/\\"))[-1]
    name = last[:-4] if last.endswith(".git") else last
    if not name or name in (".", ".."):
        raise HubLinkError(f"--repo: expected a git repository URL such as https://github.com/OWNER/NAME; got {repo!r}")
    return name


def hub_link(hub_url: str, repo: str | None = None, branch: str = DEFAULT_BRANCH) -> str:
    """The nbgitpuller link that pulls the course into each learner's server and opens its start page."""
    base = hub_base(hub_url)
    repo = repository_url() if repo is None else repo.strip()
    if not repo or any(char.isspace() for char in repo):
        raise HubLinkError(f"--repo: expected a git repository URL without spaces; got {repo!r}")
    if not branch or any(char.isspace() or ord(char) < 32 for char in branch):
        raise HubLinkError(f"--branch: expected a branch name such as {DEFAULT_BRANCH}, without spaces; got {branch!r}")
    folder = clone_folder(repo)
    query = urlencode(
        {
            "repo": repo,
            "branch": branch,
            "targetpath": folder,
            "urlpath": "lab/tree/" + quote(f"{folder}/{COURSE_FOLDER}/{START_PAGE}"),
        }
    )
    return f"{base}/hub/user-redirect/git-pull?{query}"
