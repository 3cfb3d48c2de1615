"""Every exercise of the course, declared once, one file per level; :data:`CATALOG` holds them all."""

from __future__ import annotations

from bplab.exercises.catalog import graduate, high_school, kid, phd, postgraduate
from bplab.exercises.registry import Catalog

_LEVELS = (kid, high_school, graduate, postgraduate, phd)

#: Every exercise by id, in course order, with the titles of the notebooks ("03": "A network with one weight").
CATALOG = Catalog([exercise for level in _LEVELS for exercise in level.EXERCISES],
                  {number: title for level in _LEVELS for number, title in level.NOTEBOOKS.items()})

__all__ = ["CATALOG"]
