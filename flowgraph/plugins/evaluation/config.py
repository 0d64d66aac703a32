"""The [evaluation] section of a case: which index system, grades, weight sets, scenarios
and aggregate definitions an evaluation uses.

    [evaluation]
    index_system = "index_system.toml"       # file in the case folder, or an inline table
    grades = "circular_economy_5"            # shipped grade table, or a TOML file
    weights = ["table8", "table1"]           # weight sets to score with; the first is headline
    scenarios = [{ scenario = "base", key = "non_synergy", label = "non-synergy" }, ...]
    accept_inconsistent = false              # accept AHP matrices with CR above the limit
    [evaluation.aggregates]                  # overrides and additions to the default aggregates
    raw_material_quantity = { expr = "mass(into='plant', kind='material')", unit = "t" }
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .aggregates import Aggregate, default_aggregates, parse_aggregates
from .exceptions import EvaluationError
from .grades import GradeTable, grade_table
from .indexsystem import IndexSystem, load_index_system

SECTION = "evaluation"
KEYS = {"index_system", "grades", "weights", "scenarios", "accept_inconsistent", "aggregates",
        "note"}
DEFAULT_GRADES = "circular_economy_5"


@dataclass(frozen=True)
class ScenarioSpec:
    """One situation evaluated: the case scenario (None: the base), its key in figure names
    (p_<key>, grade_<key>, ...) and its label in tables."""

    scenario: str | None
    key: str
    label: str


@dataclass
class EvaluationConfig:
    system: IndexSystem
    grades: GradeTable
    weight_sets: list
    scenarios: list
    aggregates: dict = field(default_factory=dict)
    accept_inconsistent: bool = False

    @property
    def headline(self) -> str:
        return self.weight_sets[0]

    @property
    def money_unit(self) -> str:
        return self.system.units["currency"]


def _origin(case) -> str:
    return f"{Path(case.path) / 'case.toml'} [{SECTION}]" if case.path else f"[{SECTION}]"


def key_of(name: str) -> str:
    """A figure-name-safe key: 'non-synergy' -> 'non_synergy'."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower() or "base"


def load_config(case, *, weights=None, index_system=None, accept_inconsistent: bool = False,
                require_system: bool = True) -> EvaluationConfig | None:
    """The case's evaluation settings; command-line options override the section."""
    section = dict(case.section(SECTION))
    origin = _origin(case)
    bad = set(section) - KEYS
    if bad:
        raise EvaluationError(f"unknown key(s) {sorted(bad)}; known: {', '.join(sorted(KEYS))}",
                              origin=origin)
    folder = Path(case.path) if case.path else Path(".")
    spec = index_system or section.get("index_system")
    if spec is None:
        if not require_system:
            return None
        raise EvaluationError(f"case '{case.name}' names no index system: give index_system in "
                              f"its [{SECTION}] section (or --index-system)", origin=origin)
    system = load_index_system(spec, folder, origin=origin)
    grades = grade_table(section.get("grades", DEFAULT_GRADES), folder)
    sets = weights or section.get("weights") or [system.weight_set(None).name]
    if isinstance(sets, str):
        sets = [s.strip() for s in sets.split(",") if s.strip()]
    for s in sets:
        system.weight_set(s)
    aggregates = parse_aggregates(section.get("aggregates", {}), default_aggregates(),
                                  origin=origin)
    system.check_names(aggregates)
    scenarios = _scenarios(case, section.get("scenarios"), origin)
    accept = bool(accept_inconsistent or section.get("accept_inconsistent", False))
    return EvaluationConfig(system, grades, list(sets), scenarios, aggregates, accept)


def default_config(case) -> tuple[dict[str, Aggregate], str]:
    """Aggregates (defaults plus the case's) and money unit, for cases without a system."""
    section = dict(case.section(SECTION))
    return parse_aggregates(section.get("aggregates", {}), default_aggregates(),
                            origin=_origin(case)), "CNY"


def _scenarios(case, given, origin) -> list[ScenarioSpec]:
    if given is None:
        names = [None, *case.scenarios]
        return [ScenarioSpec(n, key_of(n or "base"), n or "base") for n in names]
    if not isinstance(given, list) or not given:
        raise EvaluationError("scenarios must be a list of {scenario, key, label} tables",
                              origin=origin)
    out, keys = [], set()
    for rec in given:
        if isinstance(rec, str):
            rec = {"scenario": rec}
        if not isinstance(rec, Mapping):
            raise EvaluationError(f"scenarios: {rec!r} is not a table", origin=origin)
        name = rec.get("scenario", "base")
        if name not in ("base", None) and name not in case.scenarios:
            raise EvaluationError(f"scenarios: case '{case.name}' has no scenario '{name}' "
                                  f"(scenarios: base, {', '.join(case.scenarios)})",
                                  origin=origin)
        name = None if name == "base" else name
        key = key_of(rec.get("key") or name or "base")
        if key in keys:
            raise EvaluationError(f"scenarios: key '{key}' is used twice", origin=origin)
        keys.add(key)
        out.append(ScenarioSpec(name, key, rec.get("label") or name or "base"))
    return out
