"""``bplab hub-link``: a valid nbgitpuller link for the repository and the course's start page."""

from __future__ import annotations

import importlib.metadata
import io
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bplab.app import cli, hub_link
from bplab.app.course import START_PAGE

REPO = Path(__file__).resolve().parents[1]
PYPROJECT_REPOSITORY = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def link(*argv: str) -> tuple[int, str]:
    """``bplab hub-link ARGV``: (exit code, printed link)."""
    out = io.StringIO()
    return cli.main(["hub-link", *argv], out=out), out.getvalue().strip()


def parameters(url: str) -> dict[str, str]:
    """The query of ``url``, decoded, one value per name (asserting no name repeats)."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


def test_the_link_has_every_nbgitpuller_parameter() -> None:
    code, url = link("https://hub.example.org", "--repo", "https://github.com/someone/bplab", "--branch", "spring-2026")
    assert code == 0
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.org", "/hub/user-redirect/git-pull")
    assert parameters(url) == {
        "repo": "https://github.com/someone/bplab",
        "branch": "spring-2026",
        "targetpath": "bplab",
        "urlpath": f"lab/tree/bplab/notebooks/{START_PAGE}",
    }
    assert "\n" not in url  # one line: the link only, ready for $(bplab hub-link ...)


def test_the_start_page_the_link_opens_is_in_the_repository() -> None:
    _, url = link("https://hub.example.org", "--repo", "https://github.com/someone/bplab")
    urlpath = parameters(url)["urlpath"]
    prefix = "lab/tree/bplab/"
    assert urlpath.startswith(prefix)
    assert (REPO / urlpath[len(prefix):]).is_file(), urlpath


def test_the_repository_comes_from_the_package_metadata() -> None:
    code, url = link("https://hub.example.org")
    assert code == 0
    found = parameters(url)
    assert found["repo"] == PYPROJECT_REPOSITORY, (
        "the installed metadata is not pyproject.toml's: reinstall (pip install -e .)"
    )
    assert found["branch"] == "main"
    assert found["urlpath"] == f"lab/tree/{found['targetpath']}/notebooks/{START_PAGE}"


def test_awkward_values_are_encoded_and_come_back_intact() -> None:
    repo = "https://git.example.org/a course/bplab.git?x=1&y=2"
    code, url = link("http://hub.example.org:8000/", "--repo", repo.replace(" ", "%20"), "--branch", "term/1&2=3")
    assert code == 0
    found = parameters(url)
    assert found["repo"] == repo.replace(" ", "%20") and found["branch"] == "term/1&2=3"
    assert found["targetpath"] == "bplab"
    assert urlsplit(url).netloc == "hub.example.org:8000"


@pytest.mark.parametrize(
    ("repo", "folder"),
    [
        ("https://github.com/bplab/bplab.git", "bplab"),
        ("https://github.com/bplab/bplab/", "bplab"),
        ("git@github.com:bplab/bplab.git", "bplab"),
        ("/srv/git/bplab-course", "bplab-course"),
        ("file:///srv/git/my.course.git", "my.course"),
    ],
)
def test_the_clone_folder_is_the_one_git_would_make(repo: str, folder: str) -> None:
    code, url = link("https://hub.example.org", "--repo", repo)
    assert code == 0
    found = parameters(url)
    assert found["repo"] == repo and found["targetpath"] == folder
    assert found["urlpath"] == f"lab/tree/{folder}/notebooks/{START_PAGE}"


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("https://hub.example.org/", "/hub/user-redirect/git-pull"),
        ("https://example.org/jupyter", "/jupyter/hub/user-redirect/git-pull"),
        ("https://hub.example.org/hub/home", "/hub/user-redirect/git-pull"),  # pasted from the browser
        ("https://example.org/jupyter/user/alice/lab", "/jupyter/hub/user-redirect/git-pull"),
    ],
)
def test_the_hub_address_may_carry_a_prefix_or_be_a_pasted_page(given: str, path: str) -> None:
    code, url = link(given, "--repo", "https://github.com/bplab/bplab")
    assert code == 0 and urlsplit(url).path == path


@pytest.mark.parametrize("bad", ["hub.example.org", "ftp://hub.example.org", "https://", "https://hub.example.org/?next=x"])
def test_a_bad_hub_url_says_what_was_expected_and_what_came(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, url = link(bad, "--repo", "https://github.com/bplab/bplab")
    error = capsys.readouterr().err
    assert code == 2 and url == ""
    assert "HUB_URL: expected" in error and repr(bad) in error and "https://hub.example.org" in error


@pytest.mark.parametrize(("option", "value"), [("--branch", ""), ("--branch", "two words"), ("--repo", "https://x/a b")])
def test_bad_options_name_themselves(option: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = link("https://hub.example.org", option, value)
    assert code == 2 and f"{option}: expected" in capsys.readouterr().err


def test_no_repository_in_the_metadata_asks_for_repo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class NoUrls:
        def get_all(self, name: str) -> None:
            return None

    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: NoUrls())
    code, _ = link("https://hub.example.org")
    assert code == 2 and "--repo" in capsys.readouterr().err
    assert hub_link.hub_link("https://hub.example.org", repo="https://github.com/x/y").startswith("https://hub.example.org/hub/")
