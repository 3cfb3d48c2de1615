"""``bplab export``: the course as static pages that need no kernel and no network.

Fast tests (no browser) export the real course once and read the files: every notebook has a
page, every relative link and script resolves inside the folder, no page loads anything from
the network, previous / next links follow the course, every explorer was pictured. A small
stand-in course checks link rewriting, unreadable explorer cells and the folder checks.

The browser tests (marker ``browser``) open every page from disk in headless Chromium with every
request that is not ``file://`` aborted: no console error, no failed request, every plotly
figure drawn, math typeset (no ``$...$`` left), and no page wider than a phone's screen.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import bplab.app.export
from bplab.app import cli
from bplab.app.course import course_dir, list_course_files, list_notebooks
from bplab.app.export import ASSETS, INDEX, ExportError, ExportReport, export_course, page_for
from bplab.app.static_outputs import PLOTLY_MIME, WIDGET_MIME, find_explorer

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
NOTEBOOKS = list_notebooks()
ORDER = ["00_start_here.ipynb"] + [name for name in NOTEBOOKS if name != "00_start_here.ipynb"]


# ---------------------------------------------------------------------------- helpers


class Links(HTMLParser):
    """Every link and loaded resource of a page: ``(tag, attribute, value, attributes)``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in ("href", "src"):
            if name in values:
                self.found.append((tag, name, values[name], values))


def links_of(page: Path) -> list[tuple[str, str, str, dict[str, str]]]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def is_relative(link: str) -> bool:
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc and not link.startswith("#")


def resolve(page: Path, link: str) -> Path:
    return (page.parent / unquote(urlsplit(link).path)).resolve()


def stored_outputs(notebook: str, mime: str) -> int:
    """How many outputs of ``mime`` the repository's notebook stores."""
    cells = json.loads((course_dir() / notebook).read_text(encoding="utf-8"))["cells"]
    return sum(mime in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))


def notebook_json(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "id": hashlib.md5(text.encode()).hexdigest()[:8], "metadata": {}, "source": text}


def code(source: str, outputs: list[dict]) -> dict:
    return {"cell_type": "code", "id": hashlib.md5(source.encode()).hexdigest()[:8], "execution_count": 1,
            "metadata": {}, "source": source, "outputs": outputs}


WIDGET_OUTPUT = {"output_type": "display_data", "metadata": {},
                 "data": {WIDGET_MIME: {"model_id": "abc", "version_major": 2, "version_minor": 0},
                          "text/plain": "VBox(...)"}}
PLOT_OUTPUT = {"output_type": "display_data", "metadata": {},
               "data": {PLOTLY_MIME: {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}}}}


@pytest.fixture
def small_course(tmp_path: Path) -> Path:
    """A stand-in course: a start page and one lesson, a picture, an explorer, a figure, links both ways."""
    course = tmp_path / "course"
    (course / "1_kid").mkdir(parents=True)
    (course / "images").mkdir()
    (course / "images" / "pic.png").write_bytes(b"\x89PNG fake")
    (course / "00_start_here.ipynb").write_text(notebook_json([
        markdown("# Start *here*\n\nGo to [the lesson](1_kid/01_lesson.ipynb#part-2) or "
                 "[nowhere](1_kid/99_missing.ipynb). ![a picture](images/pic.png) $x^2$"),
        code("from bplab.explorers import WelcomeExplorer\n\nWelcomeExplorer(w=0.3)", [WIDGET_OUTPUT]),
        code("explorer = WelcomeExplorer()\nexplorer", [WIDGET_OUTPUT]),
        code("WelcomeExplorer(w=99.0)", [WIDGET_OUTPUT]),  # off the slider: the explorer refuses it
    ]))
    (course / "1_kid" / "01_lesson.ipynb").write_text(notebook_json([
        markdown("# The lesson\n\nBack to the [course map](../00_start_here.ipynb)."),
        code("figure", [PLOT_OUTPUT]),
    ]))
    return course


def digest(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:
    """The real course, exported once for this module."""
    folder = tmp_path_factory.mktemp("static") / "bplab-static"
    return folder, export_course(folder)


# ---------------------------------------------------------------------------- the real course, on disk


def test_every_notebook_has_a_page_and_what_the_pages_need_travels_with_them(exported) -> None:
    folder, report = exported
    assert [page.notebook for page in report.pages] == ORDER
    for notebook in NOTEBOOKS:
        assert (folder / page_for(notebook)).is_file(), notebook
    assert (folder / INDEX).is_file()
    assert (folder / ASSETS / "plotly.min.js").stat().st_size > 1_000_000
    assert (folder / ASSETS / "mathjax" / "MathJax.js").is_file()
    for name in list_course_files():
        if not name.endswith(".ipynb"):
            assert (folder / name).is_file(), f"{name} was not copied"
    assert report.size_bytes > 0 and report.problems == []


def test_every_explorer_and_figure_is_in_the_pages(exported) -> None:
    folder, report = exported
    for notebook in NOTEBOOKS:
        text = (folder / page_for(notebook)).read_text(encoding="utf-8")
        widgets, plots = stored_outputs(notebook, WIDGET_MIME), stored_outputs(notebook, PLOTLY_MIME)
        assert text.count('class="bplab-explorer"') == widgets, notebook
        assert text.count('class="plotly-graph-div"') == widgets + plots, notebook
        assert "bplab-widget-missing" not in text and WIDGET_MIME not in text, notebook
        if widgets:
            assert "run <code>bplab lab</code> and open" in text
    assert report.figures == sum(stored_outputs(n, WIDGET_MIME) + stored_outputs(n, PLOTLY_MIME) for n in NOTEBOOKS)
    assert len(report.explorers) == sum(stored_outputs(n, WIDGET_MIME) for n in NOTEBOOKS) > 0


def test_every_relative_link_and_resource_resolves_inside_the_folder(exported) -> None:
    folder, _ = exported
    root = folder.resolve()
    broken = []
    for page in sorted(folder.rglob("*.html")):
        if ASSETS in page.relative_to(folder).parts:
            continue
        for tag, attribute, link, _ in links_of(page):
            if not is_relative(link) or link.startswith(("data:", "javascript:", "mailto:")):
                continue
            target = resolve(page, link)
            if not target.is_file() or root not in target.parents:
                broken.append(f"{page.relative_to(folder)}: <{tag} {attribute}={link!r}>")
            if urlsplit(link).path.endswith(".ipynb"):
                broken.append(f"{page.relative_to(folder)}: a link to a notebook left: {link}")
    assert not broken, "\n".join(broken)


def test_no_page_loads_anything_from_the_network(exported) -> None:
    folder, _ = exported
    remote = []
    for page in sorted(folder.rglob("*.html")):
        if ASSETS in page.relative_to(folder).parts:
            continue
        for tag, attribute, link, _attributes in links_of(page):
            if tag != "a" and not is_relative(link) and not link.startswith(("data:", "#")):
                remote.append(f"{page.relative_to(folder)}: <{tag} {attribute}={link!r}>")
        text = page.read_text(encoding="utf-8")
        remote += [f"{page.relative_to(folder)}: {hit}" for hit in
                   re.findall(r"""(?:@import|url\(|import\()\s*["']?https?://[^"')\s]+""", text)]
    assert not remote, "\n".join(remote)


def test_previous_next_and_course_map_links_follow_the_course(exported) -> None:
    folder, _ = exported
    pages = [folder / page_for(name) for name in ORDER]
    for index, page in enumerate(pages):
        by_rel = {}
        for tag, _, link, attributes in links_of(page):
            if tag == "a" and attributes.get("rel") in ("prev", "next"):
                by_rel.setdefault(attributes["rel"], set()).add(resolve(page, link))
        assert by_rel.get("prev", set()) == ({pages[index - 1].resolve()} if index else set()), page
        assert by_rel.get("next", set()) == ({pages[index + 1].resolve()} if index + 1 < len(pages) else set()), page
        maps = [resolve(page, link) for tag, _, link, _ in links_of(page) if tag == "a" and link.endswith(INDEX)]
        assert (folder / INDEX).resolve() in maps, f"{page} has no link to the course map"
    start = links_of(folder / INDEX)
    lessons = {resolve(folder / INDEX, link) for tag, _, link, _ in start if tag == "a" and is_relative(link)}
    assert {page.resolve() for page in pages[1:]} <= lessons, "the course map links to every lesson"


# ---------------------------------------------------------------------------- reading explorer cells


@pytest.mark.parametrize("sources, expected", [
    (["from bplab.explorers.one_weight import OneWeightExplorer\n\nOneWeightExplorer()"],
     ("bplab.explorers.one_weight", "OneWeightExplorer", {})),
    (["from bplab.explorers import WelcomeExplorer as W", "x = 1\nW(w=0.25).widget()"],
     ("bplab.explorers", "WelcomeExplorer", {"w": 0.25})),
    (["import bplab.explorers.secant as secant\n%matplotlib inline\nsecant.SecantExplorer(x0=1.0, h=0.5)"],
     ("bplab.explorers.secant", "SecantExplorer", {"x0": 1.0, "h": 0.5})),
    (["from bplab.explorers.playground import Playground\ndisplay(Playground(dataset='xor', epochs=5))"],
     ("bplab.explorers.playground", "Playground", {"dataset": "xor", "epochs": 5})),
])
def test_an_explorer_cell_is_read_from_its_source(sources: list[str], expected: tuple) -> None:
    call = find_explorer(sources, len(sources) - 1)
    assert call is not None and (call.module, call.name, call.settings) == expected


@pytest.mark.parametrize("source", [
    "from bplab.explorers import WelcomeExplorer\nw = 0.3\nWelcomeExplorer(w=w)",  # a name: needs the kernel
    "from bplab.explorers import WelcomeExplorer\nexplorer = WelcomeExplorer()\nexplorer",
    "from bplab.explorers import WelcomeExplorer\nWelcomeExplorer(**{'w': 0.3})",
    "from bplab.plots import graph_figure\ngraph_figure(f)",  # not an explorer
    "WelcomeExplorer()",  # not imported from bplab
    "explorer = WelcomeExplorer()",  # nothing shown
    "this is not python (",
])
def test_a_cell_that_does_not_follow_the_convention_is_not_guessed(source: str) -> None:
    assert find_explorer([source], 0) is None


# ---------------------------------------------------------------------------- a stand-in course


def test_a_small_course_exports_with_links_rewritten_and_problems_reported(small_course: Path, tmp_path: Path) -> None:
    before = digest(small_course)
    report = export_course(tmp_path / "out", course=small_course)
    assert digest(small_course) == before, "the export never writes into the course"
    start = (tmp_path / "out" / INDEX).read_text(encoding="utf-8")
    lesson = (tmp_path / "out" / "1_kid" / "01_lesson.html").read_text(encoding="utf-8")
    assert 'href="1_kid/01_lesson.html#part-2"' in start
    assert 'href="../index.html"' in lesson
    previous = [link for tag, _, link, attributes in links_of(tmp_path / "out" / "1_kid" / "01_lesson.html")
                if tag == "a" and attributes.get("rel") == "prev"]
    assert previous == ["../index.html", "../index.html"], "top and bottom navigation"
    assert 'src="images/pic.png"' in start and (tmp_path / "out" / "images" / "pic.png").is_file()
    assert 'src="../assets/plotly.min.js"' in lesson and 'src="assets/plotly.min.js"' in start
    assert "<title>Start here</title>" in start
    assert "weight w = <b>0.3</b>" in start, "the explorer is pictured at the cell's settings"
    assert start.count('class="bplab-explorer"') == 1
    assert report.explorers == ["00_start_here.ipynb: WelcomeExplorer(w=0.3)"]
    assert report.figures == 2
    assert len(report.problems) == 3, report.problems
    assert "code cell 2: a widget, but no explorer call" in report.problems[0]
    assert "code cell 3: WelcomeExplorer(w=99.0) could not be built: w: expected a number" in report.problems[1]
    assert "99_missing.ipynb, which is not a notebook of the course" in report.problems[2]
    assert start.count("bplab-widget-missing") == 2
    assert any(line.startswith("note: ") for line in report.lines())


def test_a_file_as_dir_is_refused(small_course: Path, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(ExportError, match=r"DIR: expected a folder .* which is a file"):
        export_course(target, course=small_course)


def test_a_non_empty_dir_is_refused_unless_forced(small_course: Path, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(ExportError, match=r"DIR: expected a new or empty folder.*1 entry \(mine.txt\).*--force"):
        export_course(target, course=small_course)
    export_course(target, force=True, course=small_course)
    assert (target / INDEX).is_file() and (target / "mine.txt").read_text() == "keep me"


def test_the_course_folder_itself_is_refused(small_course: Path) -> None:
    with pytest.raises(ExportError, match="DIR: expected a folder outside the course's notebooks"):
        export_course(small_course / "static", course=small_course)
    with pytest.raises(ExportError, match="DIR: expected a folder outside"):
        export_course(course_dir() / "static")
    assert not (course_dir() / "static").exists()


def test_an_unreadable_notebook_is_named(small_course: Path, tmp_path: Path) -> None:
    (small_course / "1_kid" / "01_lesson.ipynb").write_text("{ not json")
    with pytest.raises(ExportError, match=r"01_lesson.ipynb: expected a readable notebook"):
        export_course(tmp_path / "out", course=small_course)


def test_missing_mathjax_is_named_with_its_fix_before_anything_is_written(
    small_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bplab.app.export, "MATHJAX_PACKAGE", "no_such_mathjax_package")
    with pytest.raises(ExportError, match=r"jupyter-server-mathjax.*Fix: .* -m pip install"):
        export_course(tmp_path / "out", course=small_course)
    assert not (tmp_path / "out").exists()


def test_the_cli_exports_and_reports_errors(small_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bplab.app.export, "course_dir", lambda: small_course)
    out = io.StringIO()
    assert cli.main(["export", str(tmp_path / "site")], out=out) == 0
    said = out.getvalue()
    assert f"Wrote the static course to {tmp_path / 'site'}: 2 pages" in said
    assert str(tmp_path / "site" / INDEX) in said and "note: " in said
    assert cli.main(["export", str(tmp_path / "site")], out=io.StringIO()) == 2
    assert "bplab export: error: DIR: expected a new or empty folder" in capsys.readouterr().err
    assert cli.main(["export", "--force", str(tmp_path / "site")], out=io.StringIO()) == 0


# ---------------------------------------------------------------------------- in a browser, from disk, offline


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail when CI=true), as the tests in tests/browser do."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append('the Python package playwright (pip install -e ".[test]")')
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    if missing:
        reason = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: a missing browser is a failure, not a skip)", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium under Playwright, closed (with its processes) after the module."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


def open_offline(browser: object, page_file: Path, width: int = 1280) -> tuple[object, dict[str, list[str]]]:
    """``page_file`` opened from disk with every request that is not ``file://`` aborted; the page and its troubles."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    troubles: dict[str, list[str]] = {"console errors": [], "failed requests": [], "network requests": []}
    page.on("console", lambda message: message.type == "error" and troubles["console errors"].append(message.text))
    page.on("pageerror", lambda error: troubles["console errors"].append(f"uncaught: {error}"))
    page.on("requestfailed", lambda request: troubles["failed requests"].append(f"{request.url}: {request.failure}"))

    def route(handle: object) -> None:
        if handle.request.url.startswith("file://"):
            handle.continue_()
        else:
            troubles["network requests"].append(handle.request.url)
            handle.abort()

    page.route("**/*", route)
    page.goto(page_file.resolve().as_uri(), wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.Queue", timeout=30_000)
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")  # resolves once typesetting is done
    return page, troubles


#: Drawn: plotly made its SVG and put a trace in it (a heatmap is drawn as an image in a group "hm", not a "trace").
_JS_FIGURES = """
() => [...document.querySelectorAll('.plotly-graph-div')].map(div =>
  div.classList.contains('js-plotly-plot') && div.querySelector('svg.main-svg') !== null
  && div.querySelectorAll('svg.main-svg .trace, svg.main-svg .hm image').length > 0)
"""

_JS_MATH = """
() => ({
  typeset: document.querySelectorAll('.MathJax, .MathJax_Display').length,
  errors: document.querySelectorAll('.MathJax_Error, .noError, merror').length,
  text: [...document.querySelectorAll('.jp-RenderedMarkdown, .jp-RenderedHTMLCommon, .jp-RenderedLatex')]
        .map(node => node.innerText).join('\\n'),
})
"""


def source_has_math(notebook: str) -> bool:
    cells = json.loads((course_dir() / notebook).read_text(encoding="utf-8"))["cells"]
    text = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return re.search(r"\$[^$\s][^$]*\$", text) is not None


@pytest.mark.browser
@pytest.mark.parametrize("notebook", ORDER)
def test_a_page_loads_offline_with_every_figure_drawn_and_math_typeset(
    notebook: str, exported: tuple[Path, ExportReport], browser: object
) -> None:
    """Also: narrowed to a phone's 390 px, the page does not scroll sideways (wide figures scroll in their box)."""
    folder, _ = exported
    page, troubles = open_offline(browser, folder / page_for(notebook))
    artifacts = REPO / "test-artifacts" / "static-export"
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = page_for(notebook).replace("/", "_").removesuffix(".html")
    try:
        expected = stored_outputs(notebook, WIDGET_MIME) + stored_outputs(notebook, PLOTLY_MIME)
        try:
            page.wait_for_function(f"() => ({_JS_FIGURES})().filter(Boolean).length >= {expected}", timeout=20_000)
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the assertions below say what is missing
            pass
        drawn = page.evaluate(_JS_FIGURES)
        assert len(drawn) == expected, f"{notebook}: {len(drawn)} figures in the page, the notebook stores {expected}"
        assert all(drawn), f"{notebook}: figures not drawn: {[i for i, ok in enumerate(drawn) if not ok]}"
        math = page.evaluate(_JS_MATH)
        left = re.findall(r"\$[^$\n]{1,80}\$", math["text"])
        assert not left, f"{notebook}: math left as text: {left[:5]}"
        assert math["errors"] == 0, f"{notebook}: {math['errors']} formulas MathJax could not typeset"
        if source_has_math(notebook):
            assert math["typeset"] > 0, f"{notebook}: the notebook has math, the page typeset none"
        page.screenshot(path=str(artifacts / f"{shot}.png"))

        page.set_viewport_size({"width": 390, "height": 844})
        fits = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        try:
            page.wait_for_function(fits, timeout=5_000)  # plotly redraws responsive figures after a resize
        except Exception:  # noqa: BLE001 - the assertion below reports the width
            pass
        width, client = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        page.screenshot(path=str(artifacts / f"{shot}-phone.png"))
        assert width <= client, f"{notebook}: {width} px wide on a {client} px phone screen"
        assert not any(troubles.values()), f"{notebook}: {troubles}"
    finally:
        page.context.close()
