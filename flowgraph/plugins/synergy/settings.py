"""The [synergy] section of a case file: which technologies, how effects count, the value-flow rows.

Every key is optional. Thresholds say how large a saving must be to count as an effect type of a
technology (and how large a pair's interaction must be to count); value-flow rows say which
savings the value-flow table converts to standard coal and money, with the coefficients a source
uses (data of the case, never constants in code). OPTIONS is the plugin's schema (every key of
the section); Settings is built from the options it resolves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...errors import CaseFileError, UnitError, name_list
from ...model import units
from ..base import Option

#: effect categories a threshold can be given for, with the unit it is read in
THRESHOLD_UNITS = {"energy": "tce", "water": "t", "material": "t", "co2": "t", "pollutant": "t"}
CLASS_BASES = ("declared", "structural", "interaction")
INTERACTION_SIGNS = ("any", "reinforcing", "overlap")
VIEW_AXES = ("energy", "water", "material", "co2", "pollutants", "emissions", "value")

OPTIONS = (
    Option("factorial", bool, False, "solve every subset of the technologies (interactions of "
                                     "every order), not only the pairs"),
    Option("class_basis", str, "interaction", "which inter-technology method the headline "
                                              "class uses", choices=CLASS_BASES),
    Option("interaction_rtol", float, 0.01, "relative size beyond which an interaction counts"),
    Option("interaction_sign", str, "any", "which interactions count: any, reinforcing (more "
                                           "saving together) or overlap (less)",
           choices=INTERACTION_SIGNS, cli=False),
    Option("rtol", float, 1e-9, "relative size below which a saving is numerical noise",
           cli=False),
    Option("rules", str, None, "the class rule table (CSV; default: doc 000's table 1)",
           cli=False),
    Option("technologies", list, None, "the scenarios that are technologies (default: those "
                                       "marked technology = true)", cli=False, data=True),
    Option("thresholds", dict, None, "per effect category, the saving an effect type needs",
           cli=False, data=True),
    Option("pollutants", list, None, "the carriers that count as pollutants (default: every "
                                     "emission)", cli=False, data=True),
    Option("not_pollutants", list, None, "emitted carriers that are not pollutants", cli=False,
           data=True),
    Option("value_flow", list, None, "the rows of the value-flow table ([[synergy.value_flow]])",
           cli=False, data=True),
    Option("view", dict, None, "the savings the views' x and y axes show", cli=False,
           data=True),
)


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
    def from_options(cls, case, options: dict, network=None) -> Settings:
        """Settings from the options the plugin resolved (Plugin.resolve: defaults, [synergy],
        then the command line), checking the data keys; value-flow carriers are looked up in
        `network` (default: the case's)."""
        where = case.origin("synergy") or case.name
        net = network if network is not None else case.network
        s = cls(class_basis=options["class_basis"], interaction_sign=options["interaction_sign"],
                factorial=options["factorial"], origin=where,
                rtol=_nonnegative(options["rtol"], "rtol", where),
                interaction_rtol=_nonnegative(options["interaction_rtol"], "interaction_rtol",
                                              where))
        if options["technologies"] is not None:
            s.technologies = tuple(_strings(options["technologies"], "technologies", where))
        s.thresholds = _thresholds(options["thresholds"] or {}, where)
        if options["pollutants"] is not None:
            s.pollutants = tuple(_strings(options["pollutants"], "pollutants", where))
        s.not_pollutants = tuple(_strings(options["not_pollutants"] or [], "not_pollutants",
                                          where))
        s.value_flow = tuple(_value_flow_rows(options["value_flow"] or [], net, where))
        if options["rules"] is not None:
            s.rules = str(case.folder("synergy", "rules").resolve(options["rules"]))
        s.view = _view(options["view"] or {}, s.view, where)
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


def _view(raw, default: dict, where) -> dict:
    if not isinstance(raw, dict):
        raise CaseFileError(f"[synergy] view must be a table (x = axis, y = axis), not {raw!r}",
                            origin=where)
    bad = set(raw) - {"x", "y"}
    if bad:
        raise CaseFileError(f"[synergy] view: unknown key(s) {name_list(sorted(bad))}; use x "
                            f"and y", origin=where)
    view = {**default, **raw}
    for axis, value in view.items():
        if value not in VIEW_AXES and not str(value).startswith(("pollutant:", "material:")):
            raise CaseFileError(f"[synergy] view.{axis} '{value}' is not one of "
                                f"{', '.join(VIEW_AXES)}, 'pollutant:<carrier>' or "
                                f"'material:<carrier>'", origin=where)
    return view


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
