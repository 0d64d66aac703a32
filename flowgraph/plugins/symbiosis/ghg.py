"""GHG accounting of a park by scope, firm and sector (the BDA boundary of Liu, Tian & Chen
2014, J. Cleaner Production 66, 384-391; lecture slides doc 004).

- scope 1: fuels bought from outside and burnt by a firm (purchase x the carrier's co2
  factor), industrial process emissions (a node's own `co2`), on-site waste treatment (a
  node's own `co2` with ghg_category = "waste");
- scope 2: electricity and heat imported across the park boundary (purchase x factor).
  Electricity and heat a firm gets from a CHP or boiler inside the park are not imported:
  their CO2 is the CHP's scope 1, so the park counts it once. Each firm's share of it (the
  CO2 the value flow carries on that supply) is shown as scope2_internal, outside the total;
- scope 3: transport of exchanges between firms by road (t x km x factor) and of purchases
  with a `transport_km` attribute, and waste sent to sinks with a `treatment_co2` attribute
  (t CO2e per t received) for off-site treatment.

CO2 factors on purchased materials and water are embodied upstream emissions: reported as
`upstream`, outside the park total. A flow attribute `ghg_scope` overrides the class of a
flow (scope1_fuel, scope1_process, scope1_waste, scope2_imported, scope3_transport,
scope3_waste, upstream, none). Intensity is per industrial added value (node attribute
`added_value`, CNY per period), in t CO2e per 10^4 CNY (万元).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import ModelError
from .data import parameters
from .geo import haversine_km
from .park import park

CATEGORIES = ("scope1_fuel", "scope1_process", "scope1_waste", "scope2_imported",
              "scope3_transport", "scope3_waste", "scope2_internal", "upstream")
IN_TOTAL = ("scope1_fuel", "scope1_process", "scope1_waste", "scope2_imported",
            "scope3_transport", "scope3_waste")
SCOPES = {"scope1": ("scope1_fuel", "scope1_process", "scope1_waste"),
          "scope2": ("scope2_imported",), "scope3": ("scope3_transport", "scope3_waste")}


@dataclass
class GHGAccount:
    """The park's emissions: every item, by firm, by sector and in total."""

    items: pd.DataFrame       # one row per contributing flow or node: firm, category, co2
    by_firm: pd.DataFrame
    by_sector: pd.DataFrame
    totals: dict


def park_ghg(result, params: dict | None = None) -> GHGAccount:
    """Account the park's GHG emissions (t CO2e per period) by scope, firm and sector."""
    prm = params if params is not None else parameters()
    p = park(result)
    flows = p.result.network.flow_frame()
    nodes = p.result.network.node_frame()
    items = pd.concat([*_purchase_items(p, flows, prm), _own_items(p, nodes),
                       *_transport_items(p, flows, prm), _offsite_waste_items(p, nodes)],
                      ignore_index=True)
    items = items[(items["category"] != "none") & (items["co2"] != 0)]
    items["sector"] = p.firms["sector"].reindex(items["firm"]).to_numpy()
    by_firm = _table(items, "firm", p.firms)
    sectors = p.firms.groupby(p.firms["sector"].fillna("(none)"))["added_value"] \
        .sum(min_count=1).to_frame()
    items["sector"] = items["sector"].fillna("(none)")
    by_sector = _table(items, "sector", sectors)
    totals = _totals(by_firm)
    return GHGAccount(items.reset_index(drop=True), by_firm, by_sector, totals)


def _purchase_items(p, flows: pd.DataFrame, prm: dict) -> list[pd.DataFrame]:
    """Purchases from outside: fuels (scope 1), secondary energy (scope 2), materials
    (upstream); and secondary energy supplied between firms, with the CO2 the value flow
    put on it (scope2_internal). A flow's ghg_scope overrides the class of a purchase."""
    res = p.result
    c = res.compiled
    actor, firm_name = p.node_actor, _firm_names(p)
    x = np.nan_to_num(res.quantities, nan=0.0)
    secondary = [s.lower() for s in prm["ghg"]["secondary_energy"]]
    is_secondary = np.isin(np.char.lower(c.carrier.astype(str)), secondary)
    override = _override(c, flows)
    bought = (c.node_kind[c.tail] == "source") & (actor[c.head] >= 0) & (c.co2 > 0)
    cat = np.where(c.carrier_kind == "energy",
                   np.where(is_secondary, "scope2_imported", "scope1_fuel"), "upstream")
    cat = np.where(pd.notna(override), override, cat).astype(object)
    i = np.flatnonzero(bought)
    purchases = _items(c.flow_ids[i], firm_name[actor[c.head[i]]], cat[i], x[i] * c.co2[i])
    internal = (actor[c.tail] >= 0) & (actor[c.head] >= 0) & (actor[c.tail] != actor[c.head]) \
        & (c.carrier_kind == "energy") & is_secondary
    i = np.flatnonzero(internal)
    supplied = _items(c.flow_ids[i], firm_name[actor[c.head[i]]], "scope2_internal",
                      res.flows["co2"].to_numpy()[i])
    return [purchases, supplied]


def _override(c, flows: pd.DataFrame) -> np.ndarray:
    """The flows' ghg_scope attribute (None where not given), checked."""
    override = _attr(flows, "ghg_scope")
    bad = pd.notna(override) & ~np.isin(override.astype(str), [*CATEGORIES, "none"])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ModelError(f"flow '{c.flow_ids[i]}': ghg_scope '{override[i]}' is not one of "
                         f"{', '.join(CATEGORIES)}, none", flows=[c.flow_ids[i]],
                         origin=_origin(c.flow_origin, i))
    return override


def _own_items(p, nodes: pd.DataFrame) -> pd.DataFrame:
    """Own emissions of nodes inside the park: process, or fuel or on-site waste as the
    node's ghg_category says."""
    c = p.result.compiled
    ghg_cat = _attr(nodes, "ghg_category")
    node_cat = np.select([ghg_cat == "waste", ghg_cat == "fuel"],
                         ["scope1_waste", "scope1_fuel"], "scope1_process").astype(object)
    n = np.flatnonzero((p.node_actor >= 0) & (c.node_co2 > 0))
    return _items(c.node_ids[n], _firm_names(p)[p.node_actor[n]], node_cat[n], c.node_co2[n])


def _transport_items(p, flows: pd.DataFrame, prm: dict) -> list[pd.DataFrame]:
    """Scope 3 transport: exchanges between firms by road over the distance between them,
    and purchases carried `transport_km`."""
    c = p.result.compiled
    actor = p.node_actor
    mass = np.nan_to_num(p.amount, nan=0.0)
    road = np.isin(c.carrier_kind, ["material", "emission"])
    mode = _attr(flows, "transport_mode")
    road = np.where(pd.notna(mode), mode == "road", road)
    factor = float(prm["ghg"]["road_co2_per_tkm"])
    out = []
    ex = p.exchanges
    if len(ex):
        src, dst = p.firms.loc[ex["source"]], p.firms.loc[ex["target"]]
        km = haversine_km(src["lat"].to_numpy(), src["lon"].to_numpy(), dst["lat"].to_numpy(),
                          dst["lon"].to_numpy(), float(prm["distance"]["earth_radius_km"])) \
            * float(prm["distance"]["detour_factor"])
        pos = c.flow_ids.get_indexer(ex.index)
        t = np.nan_to_num(km) * mass[pos] * factor * road[pos]
        out.append(_items(ex.index, ex["target"].to_numpy(), "scope3_transport", t))
    tkm = pd.to_numeric(pd.Series(_attr(flows, "transport_km")), errors="coerce").to_numpy()
    i = np.flatnonzero((actor[c.head] >= 0) & (actor[c.tail] < 0) & np.isfinite(tkm))
    out.append(_items(c.flow_ids[i], _firm_names(p)[actor[c.head[i]]], "scope3_transport",
                      tkm[i] * mass[i] * factor))
    return out


def _offsite_waste_items(p, nodes: pd.DataFrame) -> pd.DataFrame:
    """Scope 3 off-site waste: flows to sinks that say what treating a tonne emits."""
    c = p.result.compiled
    actor = p.node_actor
    mass = np.nan_to_num(p.amount, nan=0.0)
    treat = pd.to_numeric(pd.Series(_attr(nodes, "treatment_co2")), errors="coerce").to_numpy()
    i = np.flatnonzero((actor[c.tail] >= 0) & (c.node_kind[c.head] == "sink")
                       & np.isfinite(treat[c.head]))
    return _items(c.flow_ids[i], _firm_names(p)[actor[c.tail[i]]], "scope3_waste",
                  mass[i] * treat[c.head[i]])


def _firm_names(p) -> np.ndarray:
    """Actor names indexable by node_actor (-1, the environment, gives None)."""
    return np.append(p.actors.to_numpy(dtype=object), None)


def _origin(origins, i):
    """The file:line flow i came from, if known (origins may be None: no flow has one)."""
    if origins is None:
        return None
    return origins[i] if isinstance(origins[i], str) else None


def _attr(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col in frame.columns:
        return frame[col].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def _items(ids, firms, category, co2) -> pd.DataFrame:
    ids = np.asarray(ids, dtype=object)
    return pd.DataFrame({"item": ids, "firm": np.asarray(firms, dtype=object),
                         "category": np.broadcast_to(np.asarray(category, dtype=object),
                                                     ids.shape),
                         "co2": np.asarray(co2, dtype=float)})


def _table(items: pd.DataFrame, key: str, base: pd.DataFrame) -> pd.DataFrame:
    pivot = items.pivot_table(index=key, columns="category", values="co2", aggfunc="sum",
                              fill_value=0.0)
    out = pd.DataFrame(index=base.index.union(pivot.index, sort=False))
    for cat in CATEGORIES:
        out[cat] = pivot[cat].reindex(out.index).fillna(0.0) if cat in pivot else 0.0
    for scope, parts in SCOPES.items():
        out[scope] = out[list(parts)].sum(axis=1)
    out["total"] = out[list(IN_TOTAL)].sum(axis=1)
    out["added_value"] = base["added_value"].reindex(out.index)
    out["intensity_t_per_10k_cny"] = out["total"] / (out["added_value"] / 1e4)
    out.index.name = key
    return out


def _totals(by_firm: pd.DataFrame) -> dict:
    t = by_firm[[*CATEGORIES, "scope1", "scope2", "scope3", "total"]].sum()
    av = by_firm["added_value"].sum(min_count=1)
    total = float(t["total"])
    out = {k: float(v) for k, v in t.items()}
    out["added_value"] = float(av) if pd.notna(av) else None
    out["intensity_t_per_10k_cny"] = total / (av / 1e4) if pd.notna(av) and av > 0 else None
    if total > 0:
        out["share_energy"] = (t["scope1_fuel"] + t["scope2_imported"]) / total
        out["share_process"] = t["scope1_process"] / total
        out["share_waste"] = (t["scope1_waste"] + t["scope3_waste"]) / total
        out["share_transport"] = t["scope3_transport"] / total
    return out
