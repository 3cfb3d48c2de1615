"""The course folder's manifest, ``.bplab-manifest.json``: what bplab wrote there, and from which course.

Format 2 keeps two maps from a relative POSIX path to a SHA-256:

- ``files``: each file as bplab last wrote it. A file still matching is bplab's to update; one
  that differs is the learner's, never overwritten. (``NAME.new.ipynb`` files bplab wrote are
  listed too, so an untouched one may be replaced or removed.)
- ``shipped``: the shipped course's version of each file at the last copy, the version the
  learner's copy was made from or was last offered as ``NAME.new.ipynb``. A later copy writes a
  ``.new`` file beside an edited notebook only when the shipped version differs from this one:
  the course changed since.

Backward compatibility: format 1 (bplab 0.1.0) had ``files`` only. That version wrote exactly the
shipped bytes and recorded their hash, so the recorded hash of a file *is* the shipped version
its copy was made from: :meth:`Manifest.shipped_at_copy` falls back to it. A file in neither map
(a folder made without bplab, or an unreadable manifest) has no known origin: the learner is
offered the shipped version once, and from then on the manifest knows.

Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bplab.app.safe_files import write_atomic

MANIFEST_NAME = ".bplab-manifest.json"
MANIFEST_FORMAT = 2


@dataclass
class Manifest:
    """What bplab wrote in a course folder (``files``) and which shipped version each came from (``shipped``)."""

    files: dict[str, str] = field(default_factory=dict)
    shipped: dict[str, str] = field(default_factory=dict)

    def shipped_at_copy(self, relative: str) -> str | None:
        """The hash of the shipped version ``relative``'s copy was made from (or last offered), if known."""
        return self.shipped.get(relative, self.files.get(relative))

    def record(self, relative: str, written: str | None, shipped: str) -> None:
        """Note that the shipped version ``shipped`` was copied or offered; ``written``: what bplab wrote there, if anything."""
        if written is not None:
            self.files[relative] = written
        self.shipped[relative] = shipped

    def forget(self, relative: str) -> None:
        """Drop ``relative`` from the manifest (bplab no longer has a file there)."""
        self.files.pop(relative, None)
        self.shipped.pop(relative, None)


def _hashes(data: object, key: str) -> dict[str, str]:
    """``data[key]`` as a ``{path: hash}`` dict; empty when missing or malformed."""
    table = data.get(key) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        return {}
    return {str(name): str(digest) for name, digest in table.items()}


def read_manifest(folder: Path) -> Manifest:
    """The manifest of ``folder`` (format 1 or 2); an empty one when there is none or it cannot be read."""
    path = Path(folder) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))  # pragma: no mutate ("UTF-8" is the same codec)
    except (OSError, ValueError):
        # Missing or unreadable: trust nothing, so every differing file counts as the learner's.
        return Manifest()
    return Manifest(files=_hashes(data, "files"), shipped=_hashes(data, "shipped"))


def write_manifest(folder: Path, manifest: Manifest, version: str) -> None:
    """Write ``manifest`` into ``folder`` (atomically, format 2)."""
    payload = {
        "format": MANIFEST_FORMAT,
        "bplab_version": version,
        "files": dict(sorted(manifest.files.items())),
        "shipped": dict(sorted(manifest.shipped.items())),
    }
    text = json.dumps(payload, indent=1) + "\n"
    write_atomic(Path(folder) / MANIFEST_NAME, text.encode("utf-8"))  # equivalent mutant: "UTF-8" is the same codec
