"""Technologies and mitigation measures of the vintage-stock model, read from data.

A technology (symbiosis_energy.toml [technology.NAME]) fixes a unit's fuel, output type
(electricity, chp, heat), efficiencies, lifetime, capex and O&M. A unit's state is its
technology plus its own capacity and efficiencies. A measure changes the state of the units
it matches (fuel, output, capacity range): `when = "retrofit"` converts the units in service
in its `year` (at a retrofit cost per MW) and then governs their follow-ups; `when =
"retirement"` only governs the follow-up units built from its year on. A measure's target is
a technology (`to`, or a table by output type), a size class (`size_mw`: small units replaced
by a large one), or an efficiency gain (`efficiency_gain`, absolute).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ...errors import CaseFileError
from ...numbers import finite_number
from .data import size_class_efficiency

OUTPUTS = ("electricity", "chp", "heat")
WHEN = ("retrofit", "retirement")


@dataclass(frozen=True)
class State:
    """What a unit is in a given year."""

    technology: str
    fuel: str
    output: str
    capacity_mw: float
    electric_efficiency: float      # effective electric efficiency (nan for heat units)
    heat_efficiency: float          # boiler efficiency, or the CHP's heat credit efficiency
    lifetime: int
    capex_per_mw: float
    om_per_mw: float


@dataclass
class Measure:
    """A mitigation measure (see the module docstring)."""

    id: str
    name: str
    when: str
    year: int
    match: dict = field(default_factory=dict)
    to: object = None                 # technology name, or {output: technology}
    size_mw: float | None = None
    efficiency_gain: float = 0.0
    retrofit_cost_per_mw: float = 0.0
    capex_per_mw: float | None = None  # overrides the target technology's capex

    def matches(self, s: State) -> bool:
        m = self.match
        if "fuel" in m and s.fuel not in _as_list(m["fuel"]):
            return False
        if "output" in m and s.output not in _as_list(m["output"]):
            return False
        if "technology" in m and s.technology not in _as_list(m["technology"]):
            return False
        if "min_mw" in m and not s.capacity_mw >= float(m["min_mw"]):
            return False
        if "max_mw" in m and not s.capacity_mw < float(m["max_mw"]):
            return False
        return True

    def apply(self, s: State, techs: dict, classes) -> State:
        """The state after the measure (matching is the caller's business)."""
        new = s
        target = self.to.get(s.output) if isinstance(self.to, dict) else self.to
        if target:
            new = technology_state(target, techs, s.capacity_mw, classes)
        if self.size_mw is not None:
            eff = float(size_class_efficiency(self.size_mw, classes)[0])
            new = replace(new, electric_efficiency=eff)
        if self.efficiency_gain:
            if new.output == "heat":
                new = replace(new, heat_efficiency=new.heat_efficiency + self.efficiency_gain)
            else:
                new = replace(new, electric_efficiency=new.electric_efficiency
                              + self.efficiency_gain)
        if self.capex_per_mw is not None:
            new = replace(new, capex_per_mw=float(self.capex_per_mw))
        return new


@dataclass
class Policy:
    """A cost every scenario bears for the units matching it in service in `year` (e.g. the
    ultra-low-emission retrofit of coal units), so that leaving coal earlier avoids it."""

    name: str
    year: int
    match: dict
    cost_per_mw: float

    def matches(self, s: State) -> bool:
        return Measure("", "", "retrofit", self.year, self.match).matches(s)


def _as_list(v) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def technology_state(name: str, techs: dict, capacity_mw: float, classes,
                     electric_efficiency: float | None = None,
                     heat_efficiency: float | None = None, where: str = "") -> State:
    """A new unit of technology `name` and capacity (efficiencies from the technology, or
    from the size class of the capacity where it says 'size_class', unless given)."""
    if name not in techs:
        raise CaseFileError(f"{where}unknown technology '{name}' (known: "
                            f"{', '.join(sorted(techs))}; symbiosis_energy.toml [technology])")
    t = techs[name]
    eta_e = t.get("electric_efficiency", np.nan)
    if eta_e == "size_class":
        eta_e = float(size_class_efficiency(capacity_mw, classes)[0])
    if electric_efficiency is not None and np.isfinite(electric_efficiency):
        eta_e = electric_efficiency
    eta_h = float(t.get("heat_efficiency", np.nan))
    if heat_efficiency is not None and np.isfinite(heat_efficiency):
        eta_h = heat_efficiency
    return State(name, t["fuel"], t["output"], float(capacity_mw), float(eta_e), eta_h,
                 int(t["lifetime"]), float(t["capex_per_mw"]), float(t["om_per_mw"]))


def technology_for(fuel: str, output: str, techs: dict, where: str = "") -> str:
    """The first technology burning `fuel` for `output`."""
    for name, t in techs.items():
        if t.get("fuel") == fuel and t.get("output") == output:
            return name
    raise CaseFileError(f"{where}no technology burns '{fuel}' for '{output}' (give the unit a "
                        f"'technology', or add one to [technology] of symbiosis_energy.toml)")


def parse_measures(records: list, default_year: int, where: str = "") -> list[Measure]:
    """Measures from case-file records ([[symbiosis.energy.measure]]); a bad key or value is
    a CaseFileError naming the measure."""
    out = []
    for k, rec in enumerate(_records(records, f"{where}measure")):
        rec = dict(rec)
        here = f"{where}measure {k + 1}"
        mid = rec.pop("id", None) or f"M{k + 1}"
        if not isinstance(mid, str):
            raise CaseFileError(f"{here}: id must be a text, not {mid!r}")
        here = f"{here} ('{mid}')"
        when = rec.pop("when", "retirement")
        if when not in WHEN:
            raise CaseFileError(f"{here}: when must be one of {', '.join(WHEN)}, not '{when}'")
        known = {"name", "year", "match", "to", "size_mw", "efficiency_gain",
                 "retrofit_cost_per_mw", "capex_per_mw", "note"}
        extra = set(rec) - known
        if extra:
            raise CaseFileError(f"{here}: unknown key(s) {sorted(extra)}; "
                                f"known: {', '.join(sorted(known))}")
        rec.pop("note", None)
        year = _number(rec.pop("year", default_year), "year", here, whole=True)
        for key, low in (("size_mw", 0.0), ("retrofit_cost_per_mw", 0.0), ("capex_per_mw", 0.0),
                         ("efficiency_gain", -1.0)):
            if key in rec:
                rec[key] = _number(rec[key], key, here, low=low)
        _tables(rec, here)
        out.append(Measure(mid, str(rec.pop("name", mid)), when, int(year), **rec))
    ids = [m.id for m in out]
    if len(set(ids)) != len(ids):
        raise CaseFileError(f"{where}measure ids repeat: {ids}")
    return out


def parse_policies(records: list, where: str = "") -> list[Policy]:
    """Policies from case-file records ([[symbiosis.energy.policy]])."""
    out = []
    for k, rec in enumerate(_records(records, f"{where}policy")):
        here = f"{where}policy {k + 1}"
        if "year" not in rec or "cost_per_mw" not in rec:
            raise CaseFileError(f"{here}: needs year and cost_per_mw")
        match = rec.get("match", {})
        if not isinstance(match, dict):
            raise CaseFileError(f"{here}: match must be a table, not {match!r}")
        out.append(Policy(str(rec.get("name", f"policy {k + 1}")),
                          int(_number(rec["year"], "year", here, whole=True)), dict(match),
                          _number(rec["cost_per_mw"], "cost_per_mw", here, low=0.0)))
    return out


def _records(records, what: str) -> list:
    if records is None:
        return []
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CaseFileError(f"{what}: give an array of tables ([[...]]), not {records!r}")
    return records


def _number(value, key: str, here: str, *, whole: bool = False, low: float | None = None):
    """A finite number (a whole one for years), not below `low`; CaseFileError otherwise."""
    ok = finite_number(value) is not None
    if ok and whole:
        ok = float(value).is_integer() and 1000 <= value <= 3000
    if not ok or (low is not None and value < low):
        need = ("a year" if whole else "a finite number") + \
            (f" of at least {low:g}" if low is not None else "")
        raise CaseFileError(f"{here}: {key} = {value!r} must be {need}")
    return int(value) if whole else float(value)


def _tables(rec: dict, here: str) -> None:
    if "match" in rec and not isinstance(rec["match"], dict):
        raise CaseFileError(f"{here}: match must be a table, not {rec['match']!r}")
    to = rec.get("to")
    if to is not None and not isinstance(to, str) and not (
            isinstance(to, dict) and all(isinstance(v, str) for v in to.values())):
        raise CaseFileError(f"{here}: to must be a technology name or a table of them by "
                            f"output, not {to!r}")
