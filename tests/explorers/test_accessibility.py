"""Every explorer is readable by every reader: categorical colours from the Okabe–Ito palette and
still apart under simulated protanopia, deuteranopia and tritanopia; colour scales that are
colour-blind safe; a status line that says what the picture shows; a visible label on every
control; alt text on every image of the README and the notebooks."""

from __future__ import annotations

import importlib
import inspect
import itertools
import json
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest

import bplab.explorers
from bplab.explorers.base import Explorer
from bplab.plots import PALETTE

REPO = Path(__file__).resolve().parents[2]

#: Machado, Oliveira & Fernandes (2009), severity 1: linear-RGB matrices of the three dichromacies.
DEFICIENCIES = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]),
}
NEUTRALS = {"black", "white", "#000000", "#ffffff", "grey", "gray"}
SAFE_SCALES = {"viridis", "cividis", "puor", "puor_r"}  # perceptually ordered, colour-blind safe (names as plotly spells them)
#: The smallest CIELAB difference (ΔE*76) two categories may have under any simulated deficiency:
#: about 2.3 is "just noticeable"; 10 is plainly different side by side.
MIN_DELTA_E = 10.0


def explorer_classes() -> list[type[Explorer]]:
    found = []
    for module_info in pkgutil.iter_modules(bplab.explorers.__path__):
        module = importlib.import_module(f"bplab.explorers.{module_info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, Explorer) and value is not Explorer \
                    and value.__module__ == module.__name__:
                found.append(value)
    return sorted(found, key=lambda cls: cls.__name__)


CLASSES = explorer_classes()


def rgb(colour: str) -> np.ndarray:
    colour = colour.strip().lower()
    if colour.startswith("#"):
        return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    numbers = [float(v) for v in re.findall(r"[\d.]+", colour)[:3]]
    if colour.startswith("rgb") and len(numbers) == 3:
        return np.array(numbers) / 255
    named = {"black": (0, 0, 0), "white": (1, 1, 1), "grey": (0.5, 0.5, 0.5), "gray": (0.5, 0.5, 0.5)}
    return np.array(named[colour], dtype=float)


def lab(colour_rgb: np.ndarray, deficiency: str | None = None) -> np.ndarray:
    linear = np.where(colour_rgb <= 0.04045, colour_rgb / 12.92, ((colour_rgb + 0.055) / 1.055) ** 2.4)
    if deficiency:
        linear = np.clip(DEFICIENCIES[deficiency] @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def smallest_difference(colours: list[str]) -> tuple[float, str]:
    worst, where = np.inf, ""
    for deficiency in (None, *DEFICIENCIES):
        for a, b in itertools.combinations(colours, 2):
            difference = float(np.linalg.norm(lab(rgb(a), deficiency) - lab(rgb(b), deficiency)))
            if difference < worst:
                worst, where = difference, f"{a} vs {b} ({deficiency or 'normal vision'})"
    return worst, where


def category_colours(figure) -> set[str]:
    found = set()
    for trace in figure.data:
        as_json = trace.to_plotly_json()
        for part in ("line", "marker"):
            colour = as_json.get(part, {}).get("color")
            if isinstance(colour, str) and not colour.startswith("rgba"):  # translucent fills are backgrounds
                found.add(colour.lower())
    return found


def test_the_check_tells_a_red_green_pair_from_a_blue_orange_one():
    red_green, _ = smallest_difference(["#d62728", "#2ca02c"])  # plotly's default red and green
    blue_orange, _ = smallest_difference([PALETTE["blue"], PALETTE["orange"]])
    assert red_green < MIN_DELTA_E <= blue_orange


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_category_colours_are_okabe_ito_and_stay_apart_for_colour_blind_readers(cls):
    colours = category_colours(cls().figure)
    okabe_ito = {c.lower() for c in PALETTE.values()}
    assert colours <= okabe_ito | NEUTRALS, f"colours outside the Okabe–Ito palette: {colours - okabe_ito - NEUTRALS}"
    if len(colours) > 1:
        worst, where = smallest_difference(sorted(colours))
        assert worst >= MIN_DELTA_E, f"{where}: ΔE {worst:.1f}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_colour_scales_are_colour_blind_safe(cls):
    for trace in cls().figure.data:
        scale = trace.to_plotly_json().get("colorscale")
        if scale is None:
            continue
        if isinstance(scale, str):
            assert scale.lower() in SAFE_SCALES, f"{trace.type} uses {scale}"
            continue
        colours = [entry[1] for entry in scale]
        lightness = [lab(rgb(c))[0] for c in colours]
        # sequential (lightness one way) or diverging (light in the middle): readable without hue
        middle = int(np.argmax(lightness))
        monotonic = np.all(np.diff(lightness) > 0) or np.all(np.diff(lightness) < 0)
        diverging = 0 < middle < len(lightness) - 1 and np.all(np.diff(lightness[:middle + 1]) > 0) \
            and np.all(np.diff(lightness[middle:]) < 0)
        assert monotonic or diverging, f"{cls.__name__}: {trace.type} colour scale {scale} has no order in lightness"
        if diverging:  # the two ends mean opposite things: they must differ for every reader
            worst, where = smallest_difference([colours[0], colours[-1]])
            assert worst >= MIN_DELTA_E, f"{cls.__name__}: the ends of its colour scale: {where}: ΔE {worst:.1f}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_explorer_says_in_words_what_its_picture_shows(cls):
    explorer = cls()
    text = re.sub(r"<[^>]+>", "", explorer.status)
    assert len(text.split()) >= 6, f"{cls.__name__}: status line too thin to describe the picture: {text!r}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_control_has_a_visible_label(cls):
    explorer = cls()
    explorer.widget()
    for name, control_widget in explorer._widgets.items():
        label = getattr(control_widget, "description", "") or getattr(control_widget, "placeholder", "")
        assert label.strip(), f"{cls.__name__}: control {name} has no label"


def markdown_images(text: str) -> list[tuple[str, str]]:
    found = [(alt, src) for alt, src in re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text)]
    found += [(m.group(2) or "", m.group(0)) for m in re.finditer(r"<img\b([^>]*?)(?:alt=\"([^\"]*)\")?[^>]*>", text)]
    return found


def test_every_image_in_the_readme_and_the_notebooks_has_alt_text():
    sources = {"README.md": (REPO / "README.md").read_text()}
    for path in sorted((REPO / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts or path.name.startswith("."):
            continue
        cells = json.loads(path.read_text())["cells"]
        sources[str(path.relative_to(REPO))] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    missing = [f"{where}: {src}" for where, text in sources.items() for alt, src in markdown_images(text) if not alt.strip()]
    assert not missing, "images without alt text:\n" + "\n".join(missing)
