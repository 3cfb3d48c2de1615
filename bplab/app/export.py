"""``bplab export DIR``: the course as static HTML pages that need no kernel and no network.

One page per notebook, in the course's own folder layout, the start page (the course map) as
``DIR/index.html``; links between notebooks (``../00_start_here.ipynb``) point to the pages,
and every page has previous / course map / next links, all relative, so the folder works
opened from disk, served by any web server, or uploaded to a learning-management system.

What a page holds: the notebook's cells and stored outputs as nbconvert's ``lab`` template
renders them (no prompts), with

* plotly figures drawn by ``DIR/assets/plotly.min.js`` (plotly.py's own bundle, one copy for all
  pages) and each explorer pictured at its settings through its pure ``update()`` (see
  :mod:`bplab.app.static_outputs`), with a note to open the live notebook to move its controls;
* math typeset in the browser by MathJax 2 from ``DIR/assets/mathjax`` (the files the package
  ``jupyter-server-mathjax`` ships), HTML-CSS output with its STIX web fonts;
* no ``require.js``, no widget manager, no mermaid loader: nbconvert's template would fetch
  those from a CDN, so the template here leaves them out.

Files other than notebooks (``images/``) are copied as they are. The course's notebooks are
only read. nbconvert and plotly are imported where used.
"""

from __future__ import annotations

import html
import importlib.util
import posixpath
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bplab.app.course import START_PAGE, course_dir, list_course_files, list_notebooks
from bplab.app.hints import shell_word
from bplab.app.static_outputs import PageOutputs, make_static, slug

INDEX = "index.html"
ASSETS = "assets"
PLOTLY_JS = f"{ASSETS}/plotly.min.js"
MATHJAX_DIR = f"{ASSETS}/mathjax"
MATHJAX_PACKAGE = "jupyter_server_mathjax"
TEMPLATE_NAME = "bplab_static.html.j2"

# MathJax 2, configured as nbconvert's lab template does, plus: STIX web fonts only (no local-font
# probing), and MathJax's blank test font from a local() name rather than url('about:blank'),
# which Chromium reports as a blocked request on a page opened from disk.
_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
<script src="{{ resources.bplab.root }}""" + PLOTLY_JS + r""""></script>
{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  displayAlign: "center",
  messageStyle: "none",
  MathMenu: {showRenderer: false, showFontMenu: false},
  "HTML-CSS": {availableFonts: [], webFont: "STIX-Web", imageFont: null, linebreaks: {automatic: true},
               styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"}}}
});
</script>
<script src="{{ resources.bplab.root }}""" + MATHJAX_DIR + r"""/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"></script>
{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}
<style type="text/css">
main { max-width: 1100px; margin: 0 auto; }
.bplab-nav { display: flex; flex-wrap: wrap; gap: 0.4em 1.5em; justify-content: space-between;
  padding: 0.6em 0.2em; font-family: var(--jp-ui-font-family); font-size: 15px; }
.bplab-nav a { color: #0072B2; }
.bplab-nav a[rel="next"] { margin-left: auto; }
.bplab-edition { font-family: var(--jp-ui-font-family); font-size: 14px; color: #333;
  background: #F2F7FB; border-left: 4px solid #0072B2; padding: 0.5em 0.8em; margin: 0.3em 0 1em 0; }
.bplab-explorer { border: 1px solid #BBBBBB; border-radius: 6px; padding: 0.4em 0.8em; }
.bplab-explorer-title { margin: 0.2em 0; }
.bplab-explorer-settings, .bplab-explorer-status { font-size: 14px; margin: 0.3em 0; }
.bplab-figure-wide { overflow-x: auto; }
.bplab-edition code, .bplab-live-note code { overflow-wrap: anywhere; }
.bplab-live-note { font-size: 14px; background: #F4F4F4; border-left: 4px solid #E69F00;
  padding: 0.4em 0.8em; margin: 0.4em 0; }
@media (max-width: 640px) {
  body.jp-Notebook { padding: 4px; }
  .jp-Cell { padding: 2px 0; }
  .jp-InputArea-editor, .jp-OutputArea-output pre { overflow-x: auto; }
}
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.bplab.header }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.bplab.footer }}
{{ super() }}
{%- endblock body_footer -%}
"""

_LINK = re.compile(r"""(\b(?:href|src)=)(["'])(.*?)\2""", re.IGNORECASE)


class ExportError(Exception):
    """``bplab export`` cannot go ahead; the message names the argument, what was expected and what came."""


@dataclass(frozen=True)
class Page:
    """One notebook and the page it becomes (both relative POSIX paths)."""

    notebook: str
    page: str
    title: str


@dataclass
class ExportReport:
    """What an export wrote."""

    folder: Path
    pages: list[Page] = field(default_factory=list)
    figures: int = 0
    explorers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    size_bytes: int = 0

    def lines(self) -> list[str]:
        """The report as the command prints it."""
        lines = [
            f"Wrote the static course to {self.folder}: {len(self.pages)} pages, {self.figures} figures "
            f"({len(self.explorers)} of them explorers pictured at their settings), "
            f"{self.size_bytes / 1e6:.1f} MB in all.",
            f"Open {self.folder / INDEX} in a browser: it needs no kernel and no network.",
        ]
        lines += [f"note: {problem}" for problem in self.problems]
        return lines


def page_for(notebook: str) -> str:
    """The page a notebook becomes: the start page is ``index.html``, the others keep their path as ``.html``."""
    if notebook == START_PAGE:
        return INDEX
    return notebook[: -len(".ipynb")] + ".html" if notebook.endswith(".ipynb") else notebook + ".html"


def _relative(target: str, page: str) -> str:
    """``target`` (relative to the export's root) as a link from ``page``."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def check_folder(folder: Path, force: bool, course: Path) -> None:
    """Raise :class:`ExportError` unless ``folder`` may receive the export."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"DIR: expected a folder to write the pages into, got {folder}, which is a file")
    resolved, course_root = folder.resolve(), course.resolve()
    if resolved == course_root or course_root in resolved.parents:
        raise ExportError(
            f"DIR: expected a folder outside the course's notebooks ({course_root}), got {folder}; "
            "the export never writes into the course. Choose another folder, e.g. ./bplab-static"
        )
    if folder.is_dir() and not force:
        entries = sorted(entry.name for entry in folder.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise ExportError(
                f"DIR: expected a new or empty folder, got {folder}, which holds {len(entries)} "
                f"entr{'y' if len(entries) == 1 else 'ies'} ({shown}). Choose another folder, or pass "
                "--force to write the pages over it (files of the same name are replaced, others kept)"
            )


def mathjax_source() -> Path:
    """The MathJax 2 files shipped by the package ``jupyter-server-mathjax`` (found without importing it)."""
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    folder = Path(next(iter(spec.submodule_search_locations))) / "static" if spec and spec.submodule_search_locations else None
    if folder is None or not (folder / "MathJax.js").is_file():
        raise ExportError(
            "the static pages typeset math with MathJax from the package jupyter-server-mathjax, "
            f"which this Python does not have (looked for {folder or MATHJAX_PACKAGE}). "
            f'Fix: {shell_word(sys.executable)} -m pip install "jupyter-server-mathjax>=0.2.6,<1"'
        )
    return folder


def notebook_title(notebook: Any, fallback: str) -> str:
    """The text of the notebook's first Markdown heading, else ``fallback``."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"\s*#+\s+(.*)", line)
            if match:
                return re.sub(r"[*_`]", "", match.group(1)).strip() or fallback
    return fallback


def binder_url(notebook: str) -> str | None:
    """A Binder link opening ``notebook`` live, when bplab's repository is on GitHub; else None."""
    from bplab.app.hub_link import DEFAULT_BRANCH, HubLinkError, repository_url

    try:
        repository = repository_url()
    except HubLinkError:
        return None
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", repository)
    if not match:
        return None
    owner, name = match.groups()
    return f"https://mybinder.org/v2/gh/{owner}/{name}/{DEFAULT_BRANCH}?urlpath=lab/tree/notebooks/{notebook}"


def open_live(notebook: str) -> str:
    """How to open ``notebook`` live (HTML): the command, and Binder when the repository is on GitHub."""
    binder = binder_url(notebook)
    where = f', or <a href="{html.escape(binder)}">open it on Binder</a>' if binder else ""
    return f"run <code>bplab lab</code> and open <code>{html.escape(notebook)}</code>{where}"


def _navigation(pages: list[Page], index: int) -> str:
    """Previous / course map / next links for page ``index``, relative to it."""
    here = pages[index]
    parts = []
    if index > 0:
        previous = pages[index - 1]
        parts.append(f'<a rel="prev" href="{_relative(previous.page, here.page)}">&larr; {html.escape(previous.title)}</a>')
    parts.append(f'<a href="{_relative(INDEX, here.page)}">Course map</a>')
    if index + 1 < len(pages):
        following = pages[index + 1]
        parts.append(f'<a rel="next" href="{_relative(following.page, here.page)}">{html.escape(following.title)} &rarr;</a>')
    return f'<nav class="bplab-nav" aria-label="course pages">{"".join(parts)}</nav>'


def rewrite_links(text: str, page: Page, pages: dict[str, Page]) -> tuple[str, list[str]]:
    """``text`` with every relative link to a notebook pointing to its page; and the links that lead nowhere."""
    broken: list[str] = []

    def replace(match: re.Match[str]) -> str:
        link = html.unescape(match.group(3))
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not parts.path.endswith(".ipynb"):
            return match.group(0)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.notebook), unquote(parts.path)))
        if target not in pages:
            broken.append(f"{page.notebook}: a link to {link}, which is not a notebook of the course")
            return match.group(0)
        new = _relative(pages[target].page, page.page) + (f"#{parts.fragment}" if parts.fragment else "")
        return f"{match.group(1)}{match.group(2)}{html.escape(new)}{match.group(2)}"

    return _LINK.sub(replace, text), broken


def _exporter() -> Any:
    """nbconvert's HTML exporter with the lab template, this module's template on top, and no prompts."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file=TEMPLATE_NAME,
        extra_loaders=[DictLoader({TEMPLATE_NAME: _TEMPLATE})],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=False,
    )


def _folder_size(folder: Path) -> int:
    """Bytes of all files under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def export_course(folder: Path | str, force: bool = False, course: Path | None = None) -> ExportReport:
    """Write the course (default: the shipped one) as static HTML pages into ``folder``; the report.

    Raises :class:`ExportError` when ``folder`` is a file, lies inside the course, or is not empty
    (unless ``force``), or when a notebook cannot be read.
    """
    from bplab.explorers.fast_start import defer_iri_grammar

    defer_iri_grammar()  # before nbformat: its jsonschema would compile an IRI grammar no page needs (seconds)
    import nbformat
    import plotly.offline

    folder = Path(folder)
    course = course_dir() if course is None else Path(course)
    check_folder(folder, force, course)
    mathjax = mathjax_source()
    notebooks = list_notebooks(course)
    if START_PAGE not in notebooks:
        raise ExportError(f"the course in {course}: expected its start page {START_PAGE}, found {notebooks or 'no notebook'}")
    notebooks.remove(START_PAGE)
    notebooks.insert(0, START_PAGE)

    read = {}
    for name in notebooks:
        try:
            read[name] = nbformat.read(course / name, as_version=4)
        except (OSError, ValueError) as exc:  # unreadable, or not a notebook (JSON and schema errors are ValueErrors)
            raise ExportError(f"the course's notebook {course / name}: expected a readable notebook, got {type(exc).__name__}: {exc}") from None
    pages = [Page(name, page_for(name), notebook_title(read[name], Path(name).stem)) for name in notebooks]
    by_notebook = {page.notebook: page for page in pages}

    report = ExportReport(folder=folder, pages=pages)
    folder.mkdir(parents=True, exist_ok=True)
    exporter = _exporter()
    for index, page in enumerate(pages):
        notebook = read[page.notebook]
        live = open_live(page.notebook)
        note = f"This is a picture, drawn when the course was exported. To move its controls, {live}."
        outputs: PageOutputs = make_static(notebook, slug(page.page), note)
        report.figures += outputs.figures
        report.explorers += [f"{page.notebook}: {call}" for call in outputs.explorers]
        report.problems += [f"{page.notebook}: {problem}" for problem in outputs.problems]
        root = "../" * page.page.count("/")
        navigation = _navigation(pages, index)
        edition = (
            '<p class="bplab-edition">The static edition of the bplab course: read it anywhere, no kernel needed. '
            f"Its explorers are pictures; to move their controls, {live}.</p>"
        )
        resources = {
            "metadata": {"name": page.title},
            "bplab": {"root": root, "header": navigation + edition, "footer": navigation},
        }
        body, _ = exporter.from_notebook_node(notebook, resources=resources)
        body, broken = rewrite_links(body, page, by_notebook)
        report.problems += broken
        target = folder / page.page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")

    for name in list_course_files(course):
        if not name.endswith(".ipynb"):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(course / name, folder / name)
    (folder / ASSETS).mkdir(exist_ok=True)
    (folder / PLOTLY_JS).write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    shutil.copytree(mathjax, folder / MATHJAX_DIR, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    report.size_bytes = _folder_size(folder)
    return report
