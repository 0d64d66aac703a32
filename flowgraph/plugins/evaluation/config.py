"""The [evaluation] section of a case: which index system, grades, weight sets, scenarios
and aggregate definitions an evaluation uses.

    [evaluation]
    index_system = "index_system.toml"       # file in the case folder, or an inline table
    grades = "circular_economy_5"            # shipped grade table, or a TOML file
    weights = ["table8", "table1"]           # weight sets to score with; the first is headline
    scenarios = [{ scenario = "base", key = "non_synergy", label = "non-synergy" }, ...]
    accept_inconsistent = false              # accept AHP matrices with CR above the limit
    note = "..."                             # for the reader
    [evaluation.aggregates]                  # overrides and additions to the default aggregates
    raw_material_quantity = { expr = "mass(into='plant', kind='material')", unit = "t" }

OPTIONS is the schema of these keys: the plugin reads them through it (Plugin.resolve), with
--weights, --index-system and --accept-inconsistent on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..base import Option
from .aggregates import default_aggregates, parse_aggregates
from .exceptions import EvaluationError
from .grades import GradeTable, grade_table
from .indexfile import load_index_system
from .indexsystem import IndexSystem

SECTION = "evaluation"
DEFAULT_GRADES = "circular_economy_5"


def weight_set_names(value) -> list[str]:
    """Weight-set names: a list, or one text separated by commas (`--weights a,b`)."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError("give weight-set names, as a list or separated by commas")
    return [v.strip() for v in value if v.strip()]


#: every key of the [evaluation] section (the plugin's options schema)
OPTIONS = (
    Option("weights", weight_set_names, None,
           "weight sets to score with, comma-separated; the first is the headline "
           "(default: the case's)"),
    Option("index_system", data=True, metavar="FILE",
           help="index system TOML file instead of the case's (relative to the case folder); "
                "in the case file also an inline table"),
    Option("accept_inconsistent", bool, False,
           "accept AHP comparison matrices whose consistency ratio exceeds the limit (0.1)"),
    Option("grades", default=DEFAULT_GRADES, data=True, cli=False,
           help="grade table: a shipped one by name, a TOML file, or an inline table"),
    Option("scenarios", data=True, cli=False,
           help="situations evaluated: a list of {scenario, key, label} (default: the base "
                "and every scenario)"),
    Option("aggregates", data=True, cli=False,
           help="aggregates overriding or adding to the defaults: name = expression or "
                "{expr, unit, description}"),
    Option("note", str, "", cli=False, help="a note on the evaluation, for the reader"),
    Option("origins", data=True, cli=False,
           help="value flows by origin (doc 001): own_sources, intermediates, recycled "
                "(origins.py)"),
)


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
    """Where the case gives its [evaluation] section: a case file's line, a workbook's
    settings cell."""
    return case.origin(SECTION) or f"[{SECTION}]"


def key_of(name: str) -> str:
    """A figure-name-safe key: 'non-synergy' -> 'non_synergy'."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower() or "base"


def configure(case, options: Mapping, require_system: bool = True) -> EvaluationConfig | None:
    """The evaluation settings from the resolved options (OPTIONS); None without an index
    system when `require_system` is false."""
    origin = _origin(case)
    spec = options["index_system"]
    if spec is None:
        if not require_system:
            return None
        raise EvaluationError(f"case '{case.name}' names no index system: give index_system in "
                              f"its [{SECTION}] section (or --index-system)", origin=origin)
    system = load_index_system(spec, case.folder(SECTION, "index_system"), origin=origin)
    grades = grade_table(options["grades"], case.folder(SECTION, "grades"))
    sets = options["weights"] or [system.weight_set(None).name]
    for s in sets:
        system.weight_set(s)
    aggregates = case_aggregates(case, options["aggregates"])
    system.check_names(aggregates)
    scenarios = _scenarios(case, options["scenarios"], origin)
    return EvaluationConfig(system, grades, list(sets), scenarios, aggregates,
                            options["accept_inconsistent"])


def case_aggregates(case, table: Mapping | None) -> dict:
    """The default aggregates with the case's own (its [evaluation.aggregates] table, None
    if it has none) over them."""
    return parse_aggregates({} if table is None else table, default_aggregates(),
                            origin=_origin(case))


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
