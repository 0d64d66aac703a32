"""The clause-8 tables of a case's [energy] section, read and checked with file:line:

    [[energy.meter]]       flow, level (1 plant, 2 workshop or centre, 3 key equipment, or
                           a list of them), metered (default true), instrument
    [[energy.equipment]]   id, kind, rated_efficiency (0 < eta <= 1), rated_power (kW or
                           text with units), model, node, flow (its energy supply, a level-3
                           metering point), limit_efficiency and limit_source (a limit the
                           case states)
    [energy.supplying_plant]  name, coal_rate (kgce/kWh or text with units), source,
                           correct_media (default true: every carrier that is a table A.3
                           working medium by name, its own coefficient replaced; or a list
                           of carrier names; false: none): appendix A.3's correction

Bad input is refused by name before anything is computed: a metering level that is not 1, 2
or 3, a meter naming a flow the case does not have, an efficiency outside (0, 1], an
equipment kind that is not in flowgraph/data/equipment_kinds.csv.
"""

from __future__ import annotations

import math

import pandas as pd

from ...errors import CaseFileError, FlowgraphError, UnitError
from ...methods import coal_rate_correction as a3
from ...methods.energy_metering import LEVELS, equipment_kinds, level_names, metering_rates
from ...model import units


class MeteringError(CaseFileError):
    """A metering table ([[energy.meter]]) that names an unknown level or flow."""


class EquipmentError(CaseFileError):
    """An equipment table ([[energy.equipment]]) with an unknown kind, an efficiency outside
    (0, 1] or another value that cannot be used."""


METER_KEYS = ("flow", "level", "metered", "instrument", "note")
EQUIPMENT_KEYS = ("id", "kind", "rated_efficiency", "rated_power", "model", "node", "flow",
                  "limit_efficiency", "limit_source", "note")
PLANT_KEYS = ("name", "coal_rate", "source", "correct_media")
#: words a level may be given by, besides its number
LEVEL_WORDS = {"plant": 1, "workshop": 2, "centre": 2, "center": 2, "equipment": 3}


def _where(case, table: str, k: int, key: str | None = None) -> str | None:
    o = case.origins
    if o is None:
        return case.origin("energy")
    return o.key(table, k, key) if key else o(table, k)


def _entries(case, value, table: str, keys: tuple, error) -> list[tuple[int, dict]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise error(f"[energy] {table.split('.')[-1]}: give tables ([[{table}]]), not "
                    f"{value!r}", origin=case.origin("energy"))
    for k, entry in enumerate(value):
        unknown = [x for x in entry if x not in keys]
        if unknown:
            raise error(f"[[{table}]] #{k + 1}: unknown key(s) "
                        f"{', '.join(map(repr, unknown))}; known: {', '.join(keys)}",
                        origin=_where(case, table, k, unknown[0]))
    return list(enumerate(value))


def _level(value, where, flow) -> list[int]:
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        level = LEVEL_WORDS.get(v.casefold()) if isinstance(v, str) else v
        if isinstance(level, bool) or level not in LEVELS:
            names = "; ".join(f"{n} {t}" for n, t in level_names().items())
            raise MeteringError(f"meter of flow '{flow}': metering level {v!r} is not a level "
                                f"of GB 17167 ({names}; or plant, workshop, equipment)",
                                origin=where, flows=[flow])
        out.append(int(level))
    return out


def read_meters(case, value) -> pd.DataFrame:
    """The [[energy.meter]] tables as rows (flow, level, metered, instrument, origin), one
    per flow and level."""
    flows = case.network.flow_frame().index
    rows = []
    for k, e in _entries(case, value, "energy.meter", METER_KEYS, MeteringError):
        flow = e.get("flow")
        if not isinstance(flow, str) or not flow:
            raise MeteringError(f"[[energy.meter]] #{k + 1}: give the flow it meters (flow = "
                                f"\"id\")", origin=_where(case, "energy.meter", k))
        if flow not in flows:
            raise MeteringError(f"meter #{k + 1} names flow '{flow}', which is not a flow of "
                                f"the case", origin=_where(case, "energy.meter", k, "flow"),
                                flows=[flow])
        if "level" not in e:
            raise MeteringError(f"meter of flow '{flow}': give its level (1, 2 or 3)",
                                origin=_where(case, "energy.meter", k), flows=[flow])
        metered = e.get("metered", True)
        if not isinstance(metered, bool) or not isinstance(e.get("instrument", ""), str):
            raise MeteringError(f"meter of flow '{flow}': metered is true or false and "
                                f"instrument is text", origin=_where(case, "energy.meter", k))
        for level in _level(e["level"], _where(case, "energy.meter", k, "level"), flow):
            rows.append({"flow": flow, "level": level, "metered": metered,
                         "instrument": str(e.get("instrument", "")),
                         "origin": _where(case, "energy.meter", k)})
    return pd.DataFrame(rows, columns=["flow", "level", "metered", "instrument", "origin"])


def read_equipment(case, value) -> pd.DataFrame:
    """The [[energy.equipment]] tables, indexed by id, checked."""
    kinds = equipment_kinds()
    nodes = case.network.node_frame().index
    flows = case.network.flow_frame().index
    rows = []
    for k, e in _entries(case, value, "energy.equipment", EQUIPMENT_KEYS, EquipmentError):
        at = lambda key=None, k=k: _where(case, "energy.equipment", k, key)  # noqa: E731
        ident = e.get("id")
        if not isinstance(ident, str) or not ident or ident in {r["id"] for r in rows}:
            raise EquipmentError(f"[[energy.equipment]] #{k + 1}: give each item a unique id "
                                 f"(got {ident!r})", origin=at("id"))
        kind = e.get("kind")
        if not isinstance(kind, str) or kind not in kinds.index:
            raise EquipmentError(f"equipment '{ident}': kind {kind!r} is not a known kind of "
                                 f"energy-using equipment ({', '.join(kinds.index)})",
                                 origin=at("kind"))
        for key, known in (("node", nodes), ("flow", flows)):
            if key in e and (not isinstance(e[key], str) or e[key] not in known):
                raise EquipmentError(f"equipment '{ident}': {key} '{e[key]}' is not a {key} of "
                                     f"the case", origin=at(key))
        if not isinstance(e.get("limit_source", ""), str) or \
                not isinstance(e.get("model", ""), (str, int)):
            raise EquipmentError(f"equipment '{ident}': model and limit_source are text",
                                 origin=at())
        rows.append({"id": ident, "kind": kind, "node": e.get("node", ""),
                     "flow": e.get("flow", ""), "model": str(e.get("model", "")),
                     "rated_efficiency": _efficiency(e, "rated_efficiency", ident, at),
                     "rated_power_kw": _power(e, ident, at),
                     "limit_efficiency": _efficiency(e, "limit_efficiency", ident, at,
                                                     required=False),
                     "limit_source": str(e.get("limit_source", "")), "origin": at()})
    cols = ["id", "kind", "node", "flow", "model", "rated_efficiency", "rated_power_kw",
            "limit_efficiency", "limit_source", "origin"]
    return pd.DataFrame(rows, columns=cols).set_index("id")


def _efficiency(e, key, ident, at, required=True) -> float:
    if key not in e:
        if required:
            raise EquipmentError(f"equipment '{ident}': give its {key} (a fraction in (0, 1])",
                                 origin=at())
        return math.nan
    v = e[key]
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if not ok or not 0 < v <= 1:
        raise EquipmentError(f"equipment '{ident}': {key} {v!r} is outside (0, 1] (give a "
                             f"fraction: 0.92, not 92)", origin=at(key))
    return float(v)


def _power(e, ident, at) -> float:
    if "rated_power" not in e:
        return math.nan
    v = e["rated_power"]
    try:
        p = units.per_unit(v, "kW", "dimensionless", "rated_power") if isinstance(v, str) \
            else float(v)
    except (UnitError, TypeError, ValueError):
        raise EquipmentError(f"equipment '{ident}': rated_power {v!r} is not a power (give "
                             f"kW or text such as '75 kW')", origin=at("rated_power")) from None
    if isinstance(v, bool) or not math.isfinite(p) or p <= 0:
        raise EquipmentError(f"equipment '{ident}': rated_power {v!r} must be positive",
                             origin=at("rated_power"))
    return p


def read_meter_kinds(case, value) -> dict:
    """[energy] meter_kinds: carrier name = a GB 17167 energy kind of the shipped rates."""
    if value is None:
        return {}
    kinds = metering_rates().index
    where = case.origin("energy", "meter_kinds")
    if not isinstance(value, dict):
        raise MeteringError(f"[energy] meter_kinds: give a table carrier = kind, not {value!r}",
                            origin=where)
    bad = [f"{k} = {v!r}" for k, v in value.items() if not isinstance(v, str) or v not in kinds]
    if bad:
        raise MeteringError(f"[energy] meter_kinds: {', '.join(bad)}: not a GB 17167 energy kind "
                            f"({', '.join(kinds)})", origin=where)
    return dict(value)


def read_supplying_plant(case, value) -> dict | None:
    """[energy.supplying_plant] checked: name, coal rate b (kgce/kWh), source, correct_media,
    and the corrected coefficients of the case's carriers that are table A.3 working media
    (k_A3 x b / b0; [energy] coefficients still override them)."""
    if value is None:
        return None
    where = case.origin("energy", "supplying_plant")
    if not isinstance(value, dict):
        raise CaseFileError(f"[energy] supplying_plant: give a table with name and coal_rate, "
                            f"not {value!r}", origin=where)
    unknown = [x for x in value if x not in PLANT_KEYS]
    if unknown or "coal_rate" not in value:
        raise CaseFileError("[energy.supplying_plant]: "
                            + (f"unknown key(s) {', '.join(map(repr, unknown))}; " if unknown
                               else "give its coal_rate; ") + f"known: {', '.join(PLANT_KEYS)}",
                            origin=where)
    try:
        b = a3.coal_rate(value["coal_rate"], "[energy.supplying_plant] coal_rate")
    except FlowgraphError as exc:
        raise CaseFileError(str(exc), origin=where) from None
    correct = value.get("correct_media", True)
    names = list(dict.fromkeys(case.network.flow_frame()["carrier"].astype(str)))
    if isinstance(correct, list) and all(isinstance(n, str) for n in correct):
        unknown = [n for n in correct if n not in names]
        if unknown:
            raise CaseFileError(f"[energy.supplying_plant] correct_media: {', '.join(unknown)} "
                                f"carried by no flow of the case", origin=where)
        names = correct
    elif not isinstance(correct, bool):
        raise CaseFileError(f"[energy.supplying_plant] correct_media = {correct!r}: give true, "
                            f"false or a list of carrier names", origin=where)
    own = names if correct else []
    return {"name": str(value.get("name", "supplying plant")), "coal_rate": b,
            "source": str(value.get("source", "")), "correct_media": correct,
            "media": a3.corrected_media(own, b) if correct else {}, "origin": where}
