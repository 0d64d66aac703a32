"""Greenhouse gases in CO2-equivalents: GWP100 sets, IPCC 2006 stationary-combustion CH4 and
N2O, and an inventory by gas, scope and source category that counts every emission once.

- CO2e = sum over gases of (t of gas) x GWP100(gas), the GWPs of one assessment report
  (data/gwp.csv: IPCC AR5 WG1 Table 8.A.1, AR6 WG1 Table 7.15 / 7.SM.7), chosen per case;
- stationary combustion: gas (t) = E (TJ) x EF (kg/TJ) / 1000, E = fuel burnt x NCV (the
  carrier's energy_content, else the IPCC default NCV of data/ipcc2006_fuels.csv), EF the
  default of data/ipcc2006_combustion.csv (2006 IPCC Guidelines Vol. 2 ch. 2 Tables 2.2,
  2.3) for the fuel and the burning node's category (energy industries or manufacturing);
- scopes (docs/methods/ghg.md): scope 1 = emissions at nodes inside the boundary (fuels
  burnt, own process emissions `co2` and `emit_<gas>`, gas flows released to a sink);
  scope 2 = purchased electricity, heat and steam (the `secondary` carriers) at the
  boundary; scope 3 = other purchased goods (their embodied factor) and off-site waste
  treatment (`treatment_co2` of a sink). An item is one flow or one node attribute, so a
  flow is counted once; flows between nodes inside the boundary are not counted at all
  (their emissions are the supplier's scope 1).

Coefficients are data, never constants here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..model import units
from ..model.schema import suggestion
from .conversions import ipcc_fuel

#: what an item's ghg_scope attribute (the symbiosis plugin's classes) means here
SCOPE_CLASSES = {"scope1_fuel": (1, "energy"), "scope1_process": (1, "ippu"),
                 "scope1_waste": (1, "waste"), "scope2_imported": (2, "energy"),
                 "scope3_transport": (3, "transport"), "scope3_waste": (3, "waste"),
                 "upstream": (3, "upstream"), "none": (0, "none")}
#: a node's ghg_category -> source category of its own emissions
NODE_CATEGORY = {"fuel": "energy", "waste": "waste", "process": "ippu"}
#: an item already in CO2-equivalents (off-site treatment factors)
CO2E = "CO2e"
ITEM_COLUMNS = ["item", "node", "firm", "scope", "category", "gas", "amount_t", "co2e_t"]


# -- data -------------------------------------------------------------------------------
def _read(name: str) -> pd.DataFrame:
    path = resources.files("flowgraph") / "data" / name
    with path.open(encoding="utf-8") as fh:
        return pd.DataFrame(list(csv.DictReader(fh)))


@cache
def gwp_table() -> pd.DataFrame:
    """GWP100 by gas (rows) and assessment report (columns AR5, AR6, ...)."""
    frame = _read("gwp.csv").set_index("gas")
    for col in gwp_sets(frame):
        frame[col] = frame[col].astype(float)
    return frame


def gwp_sets(frame: pd.DataFrame | None = None) -> list[str]:
    """The GWP sets of data/gwp.csv (AR5, AR6)."""
    frame = gwp_table() if frame is None else frame
    return [c for c in frame.columns if c not in ("aliases", "source", "note")]


def gas_name(name: str, where: str = "") -> str:
    """The gas of data/gwp.csv that `name` names (gas or alias, any case)."""
    table = gwp_table()
    key = str(name).strip().casefold()
    for gas, row in table.iterrows():
        if key in (n.casefold() for n in [gas, *filter(None, row["aliases"].split("|"))]):
            return gas
    names = [n for gas, row in table.iterrows()
             for n in [gas, *filter(None, row["aliases"].split("|"))]]
    raise ModelError(f"{where}unknown gas '{name}'{suggestion(name, names)}: data/gwp.csv has "
                     f"{', '.join(table.index)} (and their aliases)")


def gwp(gas: str, gwp_set: str = "AR6") -> float:
    """GWP100 of a gas in a set (AR5 or AR6)."""
    if gas == CO2E:
        return 1.0
    check_gwp_set(gwp_set)
    return float(gwp_table().at[gas_name(gas), gwp_set])


def check_gwp_set(gwp_set: str, where: str = "") -> str:
    if gwp_set not in gwp_sets():
        raise ModelError(f"{where}GWP set '{gwp_set}' is not in data/gwp.csv"
                         f"{suggestion(gwp_set, gwp_sets())} (sets: {', '.join(gwp_sets())})")
    return gwp_set


def co2e(amounts: dict, gwp_set: str = "AR6") -> float:
    """t CO2e of {gas: t of gas}."""
    return float(sum(float(t) * gwp(g, gwp_set) for g, t in amounts.items()))


@cache
def combustion_table() -> pd.DataFrame:
    frame = _read("ipcc2006_combustion.csv").set_index(["fuel", "sector"])
    for col in ("ch4_kg_per_tj", "n2o_kg_per_tj"):
        frame[col] = frame[col].astype(float)
    return frame


def combustion_factors(fuel: str, sector: str = "manufacturing") -> dict:
    """IPCC 2006 default CH4 and N2O factors (kg/TJ) of a fuel burnt in a sector."""
    name = ipcc_fuel(fuel)["fuel"]
    table = combustion_table()
    if (name, sector) not in table.index:
        sectors = sorted({s for _, s in table.index})
        raise ModelError(f"IPCC combustion: sector '{sector}' is not one of {', '.join(sectors)}")
    row = table.loc[(name, sector)]
    return {"fuel": name, "CH4": float(row["ch4_kg_per_tj"]),
            "N2O": float(row["n2o_kg_per_tj"]), "source": row["source"]}


def combustion_gases(energy_gj: float, fuel: str, sector: str = "manufacturing") -> dict:
    """t of CH4 and N2O from burning `energy_gj` GJ (net) of a fuel: E(TJ) x EF / 1000."""
    f = combustion_factors(fuel, sector)
    return {gas: energy_gj / 1000.0 * f[gas] / 1000.0 for gas in ("CH4", "N2O")}


# -- the inventory ----------------------------------------------------------------------
@dataclass
class GHGInventory:
    """Every emission item (one flow or one node attribute and one gas) with its scope
    (1, 2, 3), source category (energy, ippu, waste, upstream, transport), t of gas and
    t CO2e under `gwp_set`."""

    items: pd.DataFrame
    gwp_set: str

    def total(self, scope=None, gas=None, category=None, firm=None, column="co2e_t") -> float:
        sel = self.select(scope, gas, category, firm)
        return float(sel[column].sum())

    def select(self, scope=None, gas=None, category=None, firm=None) -> pd.DataFrame:
        it = self.items
        mask = np.ones(len(it), bool)
        if scope is not None:
            scopes = [int(s) for s in (scope if isinstance(scope, (list, tuple)) else [scope])]
            mask &= it["scope"].isin(scopes).to_numpy()
        if gas is not None:
            mask &= (it["gas"] == (gas if gas == CO2E else gas_name(gas))).to_numpy()
        if category is not None:
            mask &= (it["category"] == category).to_numpy()
        if firm is not None:
            mask &= (it["firm"] == firm).to_numpy()
        return it[mask]

    def by(self, rows: str, columns: str, value: str = "co2e_t") -> pd.DataFrame:
        """A pivot (e.g. by('gas', 'scope')) with totals."""
        if self.items.empty:
            return pd.DataFrame()
        table = self.items.pivot_table(index=rows, columns=columns, values=value,
                                       aggfunc="sum", fill_value=0.0)
        table.columns = [f"{columns} {c}" if columns == "scope" else str(c)
                         for c in table.columns]
        table["total"] = table.sum(axis=1)
        return table

    def shares(self, key: str = "scope") -> pd.Series:
        tot = self.items["co2e_t"].sum()
        return self.items.groupby(key)["co2e_t"].sum() / tot if tot else pd.Series(dtype=float)


def ghg_inventory(result, *, gwp_set: str = "AR6", fuels: dict | None = None,
                  factors: dict | None = None, sector: str = "manufacturing",
                  secondary=("electricity", "heat", "steam"), firm: str | None = None,
                  pollutants=()) -> GHGInventory:
    """The inventory of a solved result (see the module docstring for the rules).

    fuels: carrier -> IPCC fuel (data/ipcc2006_fuels.csv) whose combustion CH4 and N2O are
    added where it is burnt; factors: carrier -> {gas: t of gas per carrier unit} for other
    per-gas factors (grid electricity's CH4 and N2O, ...); firm: the boundary is that firm's
    nodes (else every node that is not a source or a sink); pollutants: emit_<name> keys
    that are not gases (SO2, COD), accepted and left out."""
    check_gwp_set(gwp_set)
    ctx = _Context(result, firm, [s.casefold() for s in secondary], sector)
    items = [*_purchase_items(ctx, fuels or {}, factors or {}),
             *_node_items(ctx, set(pollutants)), *_gas_flow_items(ctx),
             *_offsite_items(ctx)]
    frame = pd.DataFrame(items, columns=ITEM_COLUMNS[:-1])
    frame = frame[(frame["scope"] > 0) & (frame["amount_t"] != 0)].reset_index(drop=True)
    frame["gas"] = [g if g == CO2E else gas_name(g) for g in frame["gas"]]
    frame["co2e_t"] = [a * gwp(g, gwp_set) for g, a in zip(frame["gas"], frame["amount_t"])]
    return GHGInventory(frame[ITEM_COLUMNS], gwp_set)


class _Context:
    """What the rules read of a result: flows, nodes, the boundary."""

    def __init__(self, result, firm, secondary, sector):
        net = result.network
        self.result, self.net, self.secondary, self.sector = result, net, secondary, sector
        self.flows = result.flows
        self.nodes = net.node_frame()
        self.flow_attrs = net.flow_frame()
        kind = self.nodes["kind"]
        firms = self.nodes["firm"] if "firm" in self.nodes else pd.Series(None, self.nodes.index)
        self.firm_of = firms.where(firms.notna(), pd.Series(self.nodes.index, self.nodes.index))
        if firm is not None:
            if firm not in set(firms.dropna()):
                raise ModelError(f"GHG: no node belongs to firm '{firm}'")
            self.inside = firms == firm
        else:
            self.inside = ~kind.isin(["source", "sink"])

    def node_attr(self, node, key):
        v = self.nodes.at[node, key] if key in self.nodes.columns else None
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    def flow_attr(self, flow, key):
        v = self.flow_attrs.at[flow, key] if key in self.flow_attrs.columns else None
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    def item(self, item, node, scope, category, gas, amount):
        return [item, node, self.firm_of[node], scope, category, gas, float(amount)]


def _purchase_items(ctx: _Context, fuels: dict, factors: dict) -> list:
    """Flows entering the boundary: CO2 by the flow's co2 value, CH4 and N2O of fuels burnt,
    per-gas factors of the carrier; scope and category by the carrier (or ghg_scope)."""
    out = []
    f = ctx.flows
    into = ctx.inside.reindex(f["target"]).to_numpy() & ~ctx.inside.reindex(f["source"]).to_numpy()
    for fid in f.index[into]:
        row = f.loc[fid]
        q = row["quantity"]
        if not np.isfinite(q) or q == 0:
            continue
        scope, cat = _purchase_class(ctx, fid, row)
        node = row["target"]
        out.append(ctx.item(fid, node, scope, cat, "CO2", row["co2"]))
        if row["carrier"] in fuels and scope == 1 and cat == "energy":
            sector = ctx.node_attr(node, "combustion_sector") or ctx.sector
            gases = combustion_gases(_energy_gj(ctx, fid, row, fuels[row["carrier"]]),
                                     fuels[row["carrier"]], sector)
            out += [ctx.item(fid, node, scope, cat, g, t) for g, t in gases.items()]
        for gas, per_unit in (factors.get(row["carrier"]) or {}).items():
            carrier = ctx.net.carrier(row["carrier"])
            qc = q * units.factor(row["unit"], carrier.unit)
            out.append(ctx.item(fid, node, scope, cat, gas_name(gas, f"flow '{fid}': "),
                                qc * float(per_unit)))
    return out


def _purchase_class(ctx: _Context, fid, row) -> tuple[int, str]:
    override = ctx.flow_attr(fid, "ghg_scope")
    if override is not None:
        if override not in SCOPE_CLASSES:
            raise ModelError(f"flow '{fid}': ghg_scope '{override}' is not one of "
                             f"{', '.join(SCOPE_CLASSES)}", flows=[fid])
        return SCOPE_CLASSES[override]
    if row["kind"] == "energy":
        return (2, "energy") if row["carrier"].casefold() in ctx.secondary else (1, "energy")
    return 3, "upstream"


def _energy_gj(ctx: _Context, fid, row, fuel: str) -> float:
    """GJ (net) of a fuel flow: its own energy unit, the carrier's energy_content, or the
    IPCC default NCV of the fuel times its mass."""
    unit, q = row["unit"], row["quantity"]
    carrier = ctx.net.carrier(row["carrier"])
    if units.dimension(unit) == units.dimension("GJ"):
        return q * units.factor(unit, "GJ")
    if carrier.energy_content is not None:
        return q * units.factor(unit, carrier.unit) * carrier.energy_content
    mass = carrier.mass_factor(unit)
    if mass is None:
        raise ModelError(f"flow '{fid}': fuel '{row['carrier']}' in {unit} has no energy: "
                         f"give the carrier energy_content (GJ per {carrier.unit})", flows=[fid])
    return q * mass * ipcc_fuel(fuel)["ncv"]


def _node_items(ctx: _Context, pollutants: set) -> list:
    """Own emissions of nodes inside: co2 and emit_<gas>, category by ghg_category."""
    out = []
    gas_cols = [c for c in ctx.nodes.columns if c.startswith("emit_")]
    for node in ctx.nodes.index[ctx.inside.to_numpy()]:
        cat = NODE_CATEGORY.get(ctx.node_attr(node, "ghg_category") or "process", "ippu")
        co2 = ctx.node_attr(node, "co2")
        if co2:
            out.append(ctx.item(node, node, 1, cat, "CO2", co2))
        for col in gas_cols:
            v = ctx.node_attr(node, col)
            if v is None or col[5:] in pollutants:
                continue
            gas = gas_name(col[5:], f"node '{node}': {col}: ")
            out.append(ctx.item(f"{node}:{col}", node, 1, cat, gas, v))
    return out


def _gas_flow_items(ctx: _Context) -> list:
    """Flows of a gas carrier (CH4, SF6, ...) leaving the boundary: the emitter's scope 1."""
    out = []
    f = ctx.flows
    leaving = ctx.inside.reindex(f["source"]).to_numpy() & \
        ~ctx.inside.reindex(f["target"]).to_numpy()
    for fid in f.index[leaving]:
        row = f.loc[fid]
        try:
            gas = gas_name(row["carrier"])
        except ModelError:
            continue
        node = row["source"]
        cat = NODE_CATEGORY.get(ctx.node_attr(node, "ghg_category") or "process", "ippu")
        out.append(ctx.item(fid, node, 1, cat, gas, row["quantity"] * units.factor(row["unit"], "t")))
    return out


def _offsite_items(ctx: _Context) -> list:
    """Flows from inside to a sink with treatment_co2 (t CO2e per t): scope 3 waste."""
    out = []
    if "treatment_co2" not in ctx.nodes.columns:
        return out
    f = ctx.flows
    for fid in f.index[ctx.inside.reindex(f["source"]).to_numpy()]:
        row = f.loc[fid]
        factor = ctx.node_attr(row["target"], "treatment_co2")
        if factor is None or ctx.inside[row["target"]]:
            continue
        t = row["quantity"] * units.factor(row["unit"], "t")
        out.append(ctx.item(fid, row["source"], 3, "waste", CO2E, t * factor))
    return out
