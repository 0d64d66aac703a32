"""Grade tables: which level a composite index P falls in (data/evaluation_grades.toml).

A level applies when min <= P < max; a missing bound is unbounded. Tables are data: the
shipped ones by name, or a TOML file of the same form.

    >>> t = grade_table("circular_economy_5")
    >>> t.grade(0.9).level, t.grade(0.8999).level, t.grade(0.15).label
    (1, 2, 'very low')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ...io.paths import inside
from ...io.toml import read_toml, shipped_toml
from .exceptions import EvaluationError
from .formula import number


@dataclass(frozen=True)
class Level:
    """One grade: its number (1 is best), bounds and wording."""

    level: int
    min: float
    max: float
    label: str = ""
    label_zh: str = ""

    def contains(self, p: float) -> bool:
        return self.min <= p < self.max


@dataclass(frozen=True)
class GradeTable:
    """Levels, best first, that do not overlap."""

    name: str
    levels: tuple
    title: str = ""
    source: str = ""

    def grade(self, p: float) -> Level | None:
        """The level P falls in, or None (P not a number, or in a gap of the table)."""
        if p is None or not math.isfinite(p):
            return None
        for lev in self.levels:
            if lev.contains(p):
                return lev
        return None

    def frame(self) -> pd.DataFrame:
        rows = [{"level": lev.level, "min (P >=)": lev.min, "max (P <)": lev.max,
                 "label": lev.label, "label_zh": lev.label_zh} for lev in self.levels]
        return pd.DataFrame(rows).set_index("level")


def _shipped() -> dict:
    return shipped_toml("evaluation_grades.toml")


def shipped_tables() -> list[str]:
    return sorted(_shipped())


def grade_table(spec, folder=None) -> GradeTable:
    """A grade table by name (shipped), by path to a TOML file (relative to `folder`), or
    from a table {title, source, level = [...]} given inline."""
    if isinstance(spec, dict):
        return _parse("inline", spec, "inline grade table")
    if not isinstance(spec, str):
        raise EvaluationError(f"grades must be a table name or a file, not {spec!r}")
    if spec in _shipped():
        return _parse(spec, _shipped()[spec], f"data/evaluation_grades.toml [{spec}]")
    path = inside(folder, spec)
    if path.is_file():
        data, _ = read_toml(path, EvaluationError)
        if "level" not in data and len(data) == 1:
            data = next(iter(data.values()))
        return _parse(path.stem, data, str(path))
    raise EvaluationError(f"no grade table '{spec}': shipped tables are "
                          f"{', '.join(shipped_tables())}, and {path} is not a file")


def _parse(name: str, data: dict, origin: str) -> GradeTable:
    levels = []
    recs = data.get("level")
    if not isinstance(recs, list) or not recs:
        raise EvaluationError(f"grade table '{name}' needs [[level]] entries", origin=origin)
    for k, rec in enumerate(recs, 1):
        if "level" not in rec:
            raise EvaluationError(f"grade table '{name}': level entry {k} has no 'level'",
                                  origin=origin)
        lo = number(rec["min"], f"level {rec['level']} min", origin) if "min" in rec else -math.inf
        hi = number(rec["max"], f"level {rec['level']} max", origin) if "max" in rec else math.inf
        if not lo < hi:
            raise EvaluationError(f"grade table '{name}': level {rec['level']} has min {lo:g} "
                                  f">= max {hi:g}", origin=origin)
        levels.append(Level(int(rec["level"]), lo, hi, rec.get("label", ""),
                            rec.get("label_zh", "")))
    ordered = sorted(levels, key=lambda lev: lev.min)
    for a, b in zip(ordered, ordered[1:]):
        if b.min < a.max:
            raise EvaluationError(f"grade table '{name}': levels {a.level} [{a.min:g}, {a.max:g}) "
                                  f"and {b.level} [{b.min:g}, {b.max:g}) overlap", origin=origin)
    return GradeTable(name, tuple(levels), data.get("title", ""), data.get("source", ""))
