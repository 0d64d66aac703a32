"""Energy metering coverage (GB 17167-2006, doc 003 clause 8.2.2) and the equipment checks of
doc 003 clauses 7.1.3, 8.2.1 b) and 8.2.3 b): efficiency against limit values, obsolete
(banned) equipment.

Coverage (配备率) at metering level L (1 plant, 2 workshop or centre, 3 key equipment) for
energy kind k is the number of metering points that carry a meter over the number the level
requires, one point per flow:

    R(L, k) = n_metered(L, k) / n_required(L, k)          met when R(L, k) >= R_req(L, k)

with R_req from flowgraph/data/gb17167_metering_rates.csv. An item of equipment meets its
limit when its rated efficiency eta >= eta_min, the limit value of its kind (and size class)
from flowgraph/data/equipment_limits.csv, or the limit the case gives for it.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from importlib import resources

import pandas as pd

from ..io.toml import shipped_toml

LEVELS = (1, 2, 3)
MET, NOT_MET, NO_DATA = "met", "not met", "no data"
#: relative tolerance of the comparisons (a coverage of exactly the required rate is met)
RTOL = 1e-12


def _rows(name: str) -> list[dict]:
    path = resources.files("flowgraph") / "data" / name
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def metering_rates() -> pd.DataFrame:
    """GB 17167-2006 required coverage by energy kind (index) and level (columns 1, 2, 3;
    NaN where the standard sets none), with the label and source of each row."""
    rows = _rows("gb17167_metering_rates.csv")
    out = pd.DataFrame(rows).set_index("kind")
    for level in LEVELS:
        out[level] = pd.to_numeric(out.pop(f"level_{level}"), errors="coerce")
    return out


@cache
def energy_kinds() -> dict:
    """GB 17167 energy kind of a carrier, by casefolded carrier name."""
    return {r["carrier"].casefold(): r["kind"] for r in _rows("gb17167_energy_kinds.csv")}


@cache
def equipment_kinds() -> pd.DataFrame:
    """The kinds of energy-using equipment an equipment table may name (index: kind)."""
    return pd.DataFrame(_rows("equipment_kinds.csv")).set_index("kind")


@cache
def equipment_limits() -> pd.DataFrame:
    """Minimum efficiency by kind and rated-power class (kW)."""
    out = pd.DataFrame(_rows("equipment_limits.csv"))
    for col in ("rated_power_min_kw", "rated_power_max_kw", "min_efficiency"):
        out[col] = pd.to_numeric(out[col], errors="coerce")
    return out


@cache
def obsolete_equipment() -> pd.DataFrame:
    """The shipped list of obsolete (banned) equipment: kind, model series, catalogue."""
    return pd.DataFrame(_rows("obsolete_equipment.csv"))


def level_names() -> dict:
    """Metering level number -> its name (GB 17167 wording)."""
    return {int(k): v for k, v in shipped_toml("energy_clause8.toml")["levels"].items()}


def kind_of(carrier: str, overrides: dict | None = None) -> str | None:
    """The GB 17167 energy kind of a carrier: the case's mapping, else the shipped one."""
    given = {str(k).casefold(): v for k, v in (overrides or {}).items()}
    name = str(carrier).casefold()
    return given.get(name) or energy_kinds().get(name)


def coverage(points: pd.DataFrame, rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Coverage per (level, kind) of metering points (columns flow, level, kind, metered):
    required and metered points, the coverage R, the rate GB 17167 requires and the status
    (met, not met, or no data when the kind has no required rate at that level)."""
    rates = metering_rates() if rates is None else rates
    cols = ["level", "kind", "required_points", "metered_points", "coverage",
            "required_coverage", "status", "unmetered"]
    if points.empty:
        return pd.DataFrame(columns=cols).set_index(["level", "kind"])
    rows = []
    pts = points.assign(kind=points["kind"].fillna("(unknown kind)"))
    for (level, kind), g in pts.groupby(["level", "kind"], sort=True):
        n, m = len(g), int(g["metered"].sum())
        need = rates.at[kind, int(level)] if kind in rates.index else math.nan
        r = m / n
        status = NO_DATA if not math.isfinite(need) else \
            (MET if r >= need * (1 - RTOL) else NOT_MET)
        rows.append({"level": int(level), "kind": kind, "required_points": n,
                     "metered_points": m, "coverage": r, "required_coverage": need,
                     "status": status,
                     "unmetered": ", ".join(map(str, g.loc[~g["metered"], "flow"]))})
    return pd.DataFrame(rows, columns=cols).set_index(["level", "kind"])


def limit_for(kind: str, rated_power_kw: float | None,
              limits: pd.DataFrame | None = None) -> tuple[float, str]:
    """The minimum efficiency of equipment of `kind` and rated power, and its standard;
    (nan, '') when the table has none (no row of the kind, or no power for a sized kind)."""
    t = equipment_limits() if limits is None else limits
    rows = t[t["kind"] == kind]
    if rows.empty:
        return math.nan, ""
    sized = rows["rated_power_min_kw"].notna()
    if sized.any():
        if rated_power_kw is None or not math.isfinite(rated_power_kw):
            return math.nan, ""
        fit = rows[sized & (rows["rated_power_min_kw"] <= rated_power_kw)
                   & (rated_power_kw <= rows["rated_power_max_kw"])]
        if fit.empty:
            return math.nan, ""
        row = fit.loc[fit["rated_power_min_kw"].idxmax()]
    else:
        row = rows.iloc[0]
    return float(row["min_efficiency"]), str(row["standard"])


def obsolete_match(kind: str, model: str | None, listed: pd.DataFrame | None = None) -> str:
    """The catalogue listing a model series as obsolete ('' if none): a model matches a
    listed series when it is the series or starts with it followed by '-' or ' '."""
    if not model:
        return ""
    t = obsolete_equipment() if listed is None else listed
    m = str(model).strip().casefold()
    for row in t[t["kind"] == kind].itertuples():
        s = str(row.model).strip().casefold()
        if m == s or m.startswith(s + "-") or m.startswith(s + " "):
            return f"{row.model}: {row.catalogue}"
    return ""


def equipment_check(items: pd.DataFrame, limits: pd.DataFrame | None = None,
                    listed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each item (index id; columns kind, rated_efficiency, rated_power_kw, model, and
    optionally limit_efficiency and limit_source given by the case): its limit value, the
    margin eta - eta_min, the efficiency status, and the catalogue if it is obsolete."""
    rows = []
    for ident, it in items.iterrows():
        given = it.get("limit_efficiency")
        if given is not None and isinstance(given, float) and math.isfinite(given):
            lim, src = float(given), str(it.get("limit_source") or "the case")
        else:
            lim, src = limit_for(it["kind"], _num(it.get("rated_power_kw")), limits)
        eta = float(it["rated_efficiency"])
        status = NO_DATA if not math.isfinite(lim) else (MET if eta >= lim * (1 - RTOL)
                                                         else NOT_MET)
        rows.append({"id": ident, "kind": it["kind"], "node": it.get("node", ""),
                     "model": it.get("model") or "", "rated_power_kw": _num(it.get("rated_power_kw")),
                     "rated_efficiency": eta, "limit_efficiency": lim,
                     "margin": eta - lim if math.isfinite(lim) else math.nan,
                     "limit_source": src, "efficiency_status": status,
                     "obsolete": obsolete_match(it["kind"], it.get("model"), listed)})
    cols = ["id", "kind", "node", "model", "rated_power_kw", "rated_efficiency",
            "limit_efficiency", "margin", "limit_source", "efficiency_status", "obsolete"]
    return pd.DataFrame(rows, columns=cols).set_index("id")


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan
