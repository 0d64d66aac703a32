"""The [synergy] section of a case file: which technologies, how effects count, the value-flow rows.

Every key is optional. Thresholds say how large a saving must be to count as an effect type of a
technology (and how large a pair's interaction must be to count); value-flow rows say which
savings the value-flow table converts to standard coal and money, with the coefficients a source
uses (data of the case, never constants in code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import CaseFileError, UnitError, name_list
from ...model import units

#: effect categories a threshold can be given for, with the unit it is read in
THRESHOLD_UNITS = {"energy": "tce", "water": "t", "material": "t", "co2": "t", "pollutant": "t"}
CLASS_BASES = ("declared", "structural", "interaction")
INTERACTION_SIGNS = ("any", "reinforcing", "overlap")
VIEW_AXES = ("energy", "water", "material", "co2", "pollutants", "emissions", "value")


@dataclass(frozen=True)
class ValueFlowRow:
    """One row type of the value-flow table: a carrier's saving, its standard-coal coefficient
    (tce per carrier unit, as the case's source uses it; NaN when none) and price (CNY/unit)."""

    name: str
    carrier: str
    unit: str
    tce: float
    price: float
    kind: str

    @property
    def slug(self) -> str:
        return slug(self.name)


@dataclass
class Settings:
    """Options of a synergy analysis, from [synergy] and the command line (see module doc)."""

    technologies: tuple | None = None
    class_basis: str = "interaction"
    thresholds: dict = field(default_factory=dict)
    rtol: float = 1e-9
    interaction_rtol: float = 0.01
    interaction_sign: str = "any"
    factorial: bool = False
    pollutants: tuple | None = None
    not_pollutants: tuple = ()
    value_flow: tuple = ()
    rules: str | None = None
    view: dict = field(default_factory=lambda: {"x": "co2", "y": "energy"})
    origin: str | None = None

    @classmethod
    def from_case(cls, case, network=None, **overrides) -> Settings:
        """Settings from the case's [synergy] section, then non-None `overrides`."""
        raw = dict(case.section("synergy"))
        where = str(case.path / "case.toml") if case.path else case.name
        known = {"technologies", "class_basis", "thresholds", "rtol", "interaction_rtol",
                 "interaction_sign", "factorial", "pollutants", "not_pollutants", "value_flow",
                 "rules", "view"}
        unknown = set(raw) - known
        if unknown:
            raise CaseFileError(f"[synergy]: unknown key(s) {name_list(sorted(unknown))}; known: "
                                f"{', '.join(sorted(known))}", origin=where)
        raw.update({k: v for k, v in overrides.items() if v is not None and k in known})
        net = network if network is not None else case.network
        s = cls(origin=where)
        if raw.get("technologies") is not None:
            s.technologies = tuple(_strings(raw["technologies"], "technologies", where))
        s.class_basis = _choice(raw.get("class_basis", s.class_basis), CLASS_BASES,
                                "class_basis", where)
        s.interaction_sign = _choice(raw.get("interaction_sign", s.interaction_sign),
                                     INTERACTION_SIGNS, "interaction_sign", where)
        for key in ("rtol", "interaction_rtol"):
            if key in raw:
                setattr(s, key, _nonnegative(raw[key], key, where))
        s.factorial = bool(raw.get("factorial", False))
        s.thresholds = _thresholds(raw.get("thresholds", {}), where)
        if raw.get("pollutants") is not None:
            s.pollutants = tuple(_strings(raw["pollutants"], "pollutants", where))
        s.not_pollutants = tuple(_strings(raw.get("not_pollutants", []), "not_pollutants", where))
        s.value_flow = tuple(_value_flow_rows(raw.get("value_flow", []), net, where))
        if raw.get("rules") is not None:
            path = Path(raw["rules"])
            if not path.is_absolute() and case.path is not None:
                path = case.path / path
            s.rules = str(path)
        view = dict(raw.get("view", {}))
        bad = set(view) - {"x", "y"}
        if bad:
            raise CaseFileError(f"[synergy] view: unknown key(s) {name_list(sorted(bad))}; use x "
                                f"and y", origin=where)
        for axis in ("x", "y"):
            value = view.get(axis, s.view[axis])
            if value not in VIEW_AXES and not str(value).startswith(("pollutant:", "material:")):
                raise CaseFileError(f"[synergy] view.{axis} '{value}' is not one of "
                                    f"{', '.join(VIEW_AXES)}, 'pollutant:<carrier>' or "
                                    f"'material:<carrier>'", origin=where)
            s.view[axis] = value
        return s

    def threshold(self, category: str) -> float:
        """The materiality threshold of an effect category (0 when the case gives none)."""
        return self.thresholds.get(category, 0.0)


def slug(text: str) -> str:
    """'water saving' -> 'water_saving', 'tech 1: acid' -> 'tech_1_acid' (names in summaries)."""
    out = "".join(ch.lower() if ch.isalnum() else "_" for ch in str(text))
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_") or "x"


def _strings(value, key, where) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise CaseFileError(f"[synergy] {key} must be a list of names, not {value!r}",
                            origin=where)
    return list(value)


def _choice(value, choices, key, where) -> str:
    if value not in choices:
        raise CaseFileError(f"[synergy] {key} '{value}' is not one of {', '.join(choices)}",
                            origin=where)
    return value


def _nonnegative(value, key, where) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise CaseFileError(f"[synergy] {key} must be a number, not {value!r}",
                            origin=where) from None
    if not math.isfinite(v) or v < 0:
        raise CaseFileError(f"[synergy] {key} must be a non-negative number, not {value!r}",
                            origin=where)
    return v


def _thresholds(raw, where) -> dict:
    if not isinstance(raw, dict):
        raise CaseFileError(f"[synergy] thresholds must be a table (category = amount), not "
                            f"{raw!r}", origin=where)
    out = {}
    for key, value in raw.items():
        if key not in THRESHOLD_UNITS:
            raise CaseFileError(f"[synergy] thresholds: unknown category '{key}'; use "
                                f"{', '.join(THRESHOLD_UNITS)}", origin=where)
        unit = THRESHOLD_UNITS[key]
        try:
            if isinstance(value, str):
                mag, given = units.split_quantity(value)
                value = mag * units.factor(given or unit, unit)
        except UnitError as exc:
            raise CaseFileError(f"[synergy] thresholds.{key}: {exc}", origin=where) from None
        out[key] = _nonnegative(value, f"thresholds.{key}", where)
    return out


def _value_flow_rows(raw, net, where) -> list[ValueFlowRow]:
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise CaseFileError("[synergy] value_flow must be an array of tables "
                            "([[synergy.value_flow]])", origin=where)
    rows, seen = [], set()
    for k, rec in enumerate(raw, 1):
        rec = dict(rec)
        what = f"[[synergy.value_flow]] {k}"
        name = rec.pop("name", None)
        carrier = rec.pop("carrier", None)
        if not name or not carrier:
            raise CaseFileError(f"{what}: needs 'name' and 'carrier'", origin=where)
        if name in seen:
            raise CaseFileError(f"{what}: duplicate row name '{name}'", origin=where)
        seen.add(name)
        if carrier not in net.carriers:
            raise CaseFileError(f"{what} '{name}': carrier '{carrier}' is not a carrier of the "
                                f"case", origin=where)
        car = net.carriers[carrier]
        tce, price = rec.pop("tce", None), rec.pop("price", None)
        if rec:
            raise CaseFileError(f"{what} '{name}': unknown key(s) {name_list(sorted(rec))}; use "
                                f"name, carrier, tce, price", origin=where)
        try:
            tce = units.per_unit(tce, "tce", car.unit, f"{what} '{name}' tce")
            price = units.per_unit(price, "CNY", car.unit, f"{what} '{name}' price")
        except UnitError as exc:
            raise CaseFileError(str(exc), origin=where) from None
        if math.isnan(price) and car.price is not None:
            price = car.price
        rows.append(ValueFlowRow(name, carrier, car.unit, tce, price, car.kind))
    return rows
