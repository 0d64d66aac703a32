"""Wastewater external damage cost by the Chinese discharge-fee rules (doc 002, DOMAIN.md 3).

1. pollutant load (kg) = wastewater volume (t) x concentration (mg/L) / 1000
   (1 t x 1 mg/L = 1 g);
2. pollution equivalents = load / the pollutant's equivalent value (kg per equivalent);
   pH, colour, coliforms and residual chlorine count by volume, and only when over standard;
3. fee = rate (0.7 CNY) x the equivalents of the three pollutants with most equivalents;
   a pollutant over its discharge standard is charged double; of COD, BOD5 and TOC only the
   largest counts, likewise of coliforms and residual chlorine. (pH, colour, coliforms and
   residual chlorine, charged only when over, are not doubled again: our reading.)

A pollutant the schedule has no equivalent value for is kept in the table with its load and
reported (not dropped), so a reader sees what the fee leaves out. The schedule and the rate
are data (data/water_pollutant_equivalents.csv, data/discharge_fee.toml).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pandas as pd

from ..errors import ModelError
from ..io.toml import shipped_toml


@dataclass
class FeeResult:
    """The fee (CNY), the per-pollutant table, and what the schedule does not rate."""

    fee: float
    table: pd.DataFrame
    unrated: list = field(default_factory=list)
    rate: float = 0.7
    volume: float = 0.0

    def __float__(self) -> float:
        return float(self.fee)


@cache
def schedule() -> pd.DataFrame:
    """The equivalent-value table, indexed by pollutant id."""
    path = resources.files("flowgraph") / "data" / "water_pollutant_equivalents.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    frame = pd.DataFrame(rows).set_index("id")
    frame["equivalent_value"] = pd.to_numeric(frame["equivalent_value"], errors="coerce")
    return frame


def fee_rules() -> dict:
    """Rate per equivalent, number of pollutants charged, over-standard factor, source."""
    return shipped_toml("discharge_fee.toml")["wastewater"]


@cache
def _ph_bands() -> list[tuple[float, float, float]]:
    path = resources.files("flowgraph") / "data" / "water_ph_equivalents.csv"
    with path.open(encoding="utf-8") as fh:
        return [(float(r["low"]), float(r["high"]), float(r["t_per_equivalent"]))
                for r in csv.DictReader(fh)]


@cache
def _lookup() -> dict:
    table = schedule()
    out = {}
    for pid, row in table.iterrows():
        for name in [pid, row["name_zh"], *filter(None, str(row["aliases"]).split("|"))]:
            out.setdefault(str(name).strip().casefold(), pid)
    return out


def pollutant_id(name: str) -> str | None:
    """The schedule's id of a pollutant named by id, Chinese name or alias; None if unrated."""
    return _lookup().get(str(name).strip().casefold())


def ph_equivalent_value(ph: float) -> float | None:
    """Tonnes of wastewater per pollution equivalent at this pH; None within 6-9."""
    if 6 <= ph <= 9:
        return None
    for low, high, value in _ph_bands():
        acid = high <= 6 and low <= ph < high
        alkaline = low >= 9 and low < ph <= high
        if acid or alkaline:
            return value
    raise ModelError(f"pH {ph} is outside 0-14")


def wastewater_fee(volume_t: float, concentrations: dict, standards: dict | None = None, *,
                   rate: float | None = None, top: int | None = None,
                   where: str = "wastewater") -> FeeResult:
    """The discharge fee of `volume_t` tonnes of wastewater with `concentrations` (mg/L by
    pollutant; pH as its value; colour as the dilution multiple over standard).

    `standards` (same units) marks pollutants over the discharge standard: charged double,
    and the only way pH, colour, coliforms and residual chlorine are charged at all.
    `where` names the outlet in error messages.
    """
    rules = fee_rules()
    rate = rules["rate"] if rate is None else float(rate)
    top = int(rules["top"] if top is None else top)
    factor = float(rules["over_standard_factor"])
    if not (isinstance(volume_t, (int, float)) and math.isfinite(volume_t) and volume_t >= 0):
        raise ModelError(f"{where}: wastewater volume {volume_t!r} t must be a number >= 0")
    standards = {pollutant_id(k) or k: float(v) for k, v in (standards or {}).items()}
    table = schedule()
    rows = []
    for name, conc in concentrations.items():
        try:
            conc = float(conc)
        except (TypeError, ValueError):
            raise ModelError(f"{where}: concentration of '{name}' is {conc!r}, not a number") from None
        if not math.isfinite(conc) or conc < 0:
            raise ModelError(f"{where}: concentration of '{name}' is {conc:g}; it must be >= 0")
        pid = pollutant_id(name)
        rows.append(_row(name, pid, conc, volume_t, standards, table))
    frame = pd.DataFrame(rows, columns=[
        "pollutant", "id", "name_zh", "concentration", "load_kg", "equivalent_value", "basis",
        "equivalents", "over_standard", "chargeable", "reason"])
    frame = _apply_groups(frame, table)
    chargeable = frame[frame["chargeable"]].sort_values("equivalents", ascending=False,
                                                        kind="stable")
    counted = chargeable.index[:top]
    frame["counted"] = frame.index.isin(counted)
    frame.loc[frame["chargeable"] & ~frame["counted"], "reason"] = (
        f"not among the {top} pollutants with most equivalents")
    # pH, colour, coliforms, residual chlorine are charged only when over standard: their
    # band or multiple already prices the exceedance, so they are not doubled again
    always = [isinstance(p, str) and table.at[p, "charged"] == "always" for p in frame["id"]]
    frame["factor"] = [factor if o and a else 1.0 for o, a in zip(frame["over_standard"], always)]
    frame["fee"] = [rate * e * f if c else 0.0
                    for e, f, c in zip(frame["equivalents"], frame["factor"], frame["counted"])]
    frame = frame.set_index("pollutant")
    unrated = list(frame.index[frame["id"].isna()])
    return FeeResult(float(frame["fee"].sum()), frame, unrated, rate, float(volume_t))


def _row(name, pid, conc, volume, standards, table) -> list:
    if pid is None:
        # no equivalent value: report its load (as if mg/L) and say why it is not charged
        return [name, None, None, conc, volume * conc / 1000.0, math.nan, None, math.nan,
                False, False, "no equivalent value in the discharge-fee schedule"]
    row = table.loc[pid]
    basis = row["basis"]
    std = standards.get(pid)
    load = math.nan
    if basis == "mass":
        load = volume * conc / 1000.0
        value = float(row["equivalent_value"])
        eq = load / value
        over = std is not None and conc > std
    elif basis == "ph":
        value = ph_equivalent_value(conc)
        eq = volume / value if value else 0.0
        over = value is not None
    elif basis == "volume_times":
        value = float(row["equivalent_value"])
        eq = volume * conc / value
        over = conc > 0
    else:  # volume: coliforms, residual chlorine
        value = float(row["equivalent_value"])
        eq = volume / value
        over = std is not None and conc > std
    only_over = row["charged"] == "over_standard"
    chargeable = (not only_over or over) and eq > 0
    reason = "" if chargeable else "charged only when over the discharge standard"
    return [name, pid, row["name_zh"], conc, load, value if value is not None else math.nan,
            basis, eq, bool(over), chargeable, reason]


def _apply_groups(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Of each group (COD/BOD5/TOC; coliforms/residual chlorine) only the largest counts."""
    groups = pd.Series([table.at[pid, "group"] if isinstance(pid, str) else ""
                        for pid in frame["id"]], index=frame.index)
    for name in {g for g in groups if g}:
        members = frame.index[(groups == name) & frame["chargeable"]]
        if len(members) > 1:
            keep = frame.loc[members, "equivalents"].idxmax()
            drop = [m for m in members if m != keep]
            frame.loc[drop, "chargeable"] = False
            frame.loc[drop, "reason"] = (f"only one of the {name} group is charged "
                                         f"({frame.at[keep, 'pollutant']} has more equivalents)")
    return frame


#: prefix of the flow attributes that hold a discharge's concentrations (mg/L): conc_COD = 200
CONC_PREFIX = "conc_"


def flow_concentrations(network, flow: str, prefix: str = CONC_PREFIX) -> dict:
    """The concentrations stored on a flow as attributes `conc_<pollutant>` (mg/L)."""
    rec = network.flow(flow)
    return {k[len(prefix):]: v for k, v in rec.items() if str(k).startswith(prefix)}


def discharge_fee(result, flow: str, standards: dict | None = None, **options) -> FeeResult:
    """The fee of one wastewater flow of a solved result: its quantity (converted to t;
    a volume counts 1 t per m3) and the concentrations on its `conc_*` attributes."""
    from ..model import units
    f = result.flows
    if flow not in f.index:
        raise ModelError(f"wastewater fee: unknown flow '{flow}'", flows=[flow])
    unit = f.at[flow, "unit"]
    dim = units.dimension(unit)
    if dim == "mass":
        volume = float(f.at[flow, "quantity"]) * units.factor(unit, "t")
    elif dim == "volume":
        volume = float(f.at[flow, "quantity"]) * units.factor(unit, "m**3")
    else:
        raise ModelError(f"wastewater fee: flow '{flow}' is in '{unit}', not a mass or volume",
                         flows=[flow])
    c = result.compiled
    origin = c.origin_of_flow(c.flow_ids.get_loc(flow))
    origin = origin if isinstance(origin, str) else None
    conc = flow_concentrations(result.network, flow)
    if not conc:
        raise ModelError(f"wastewater fee: flow '{flow}' has no concentrations (attributes "
                         f"{CONC_PREFIX}<pollutant> in mg/L, e.g. {CONC_PREFIX}COD = 200)",
                         flows=[flow], origin=origin)
    try:
        return wastewater_fee(volume, conc, standards, where=f"flow '{flow}'", **options)
    except ModelError as exc:
        raise ModelError(str(exc), flows=[flow], origin=origin) from None
