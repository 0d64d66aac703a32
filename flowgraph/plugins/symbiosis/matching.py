"""Candidate symbiosis links: each firm's wastes, by-products and surplus energy matched to
other firms' purchased inputs through the substitution catalogue, within a distance.

A supply is a flow from a firm to a sink (role waste, loss, emission or byproduct) whose
carrier the catalogue knows as a waste; a demand is a flow from a source to a firm whose
carrier the catalogue knows as an input some waste replaces. Per unit of waste (catalogue
units) a candidate is worth

    benefit = disposal cost avoided + ratio x input price avoided
              - transport cost per unit km x distance - treatment cost
    avoided CO2 = ratio x CO2 of the input avoided + CO2 of disposal avoided
                  - transport CO2 per unit km x distance

with distance the haversine distance between the two firms times a detour factor. Prices
come from the network where it has them (the demand flow's price; a supply flow's free
attribute `disposal_cost`, CNY per flow unit), else from the catalogue. A candidate's
capacity is the smaller of supply and demand / ratio; an unknown side does not bound it
(said in `capacity_basis`), and with both unknown it has no capacity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ModelError, UnitError
from ...model import units
from .data import Catalogue, load_catalogue, parameters
from .geo import haversine_km
from .park import park

SUPPLY_ROLES = ("waste", "loss", "emission", "byproduct")


def supplies(result, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Flows from firms to sinks that the catalogue knows as wastes."""
    cat = catalogue or load_catalogue()
    p = park(result)
    c = p.result.compiled
    to_sink = (p.node_actor[c.tail] >= 0) & (c.node_kind[c.head] == "sink") \
        & np.isin(c.role, SUPPLY_ROLES)
    name = cat.canonical(c.carrier, "waste")
    idx = np.flatnonzero(to_sink & (name != None))  # noqa: E711 (object array)
    return _side(p, idx, name[idx], "waste", c.tail[idx])


def demands(result, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Flows from sources to firms whose carrier the catalogue knows as a replaceable input."""
    cat = catalogue or load_catalogue()
    p = park(result)
    c = p.result.compiled
    bought = (c.node_kind[c.tail] == "source") & (p.node_actor[c.head] >= 0)
    name = cat.canonical(c.carrier, "replaces")
    idx = np.flatnonzero(bought & (name != None))  # noqa: E711
    return _side(p, idx, name[idx], "replaces", c.head[idx])


def _side(p, idx, names, column, node_idx) -> pd.DataFrame:
    c = p.result.compiled
    firm = p.actors.to_numpy()[p.node_actor[node_idx]]
    flows = p.result.network.flow_frame()
    out = pd.DataFrame({
        "flow": c.flow_ids[idx], column: names, "firm": firm,
        "node": c.node_ids.to_numpy()[node_idx], "carrier": c.carrier[idx],
        "quantity": p.result.quantities[idx], "unit": c.unit[idx], "price": c.price[idx],
        "disposal_cost": pd.to_numeric(flows["disposal_cost"], errors="coerce").to_numpy()[idx]
        if "disposal_cost" in flows.columns else np.full(len(idx), np.nan),
    })
    out["lat"] = p.firms["lat"].reindex(firm).to_numpy()
    out["lon"] = p.firms["lon"].reindex(firm).to_numpy()
    return out


def candidates(result, catalogue: Catalogue | None = None, params: dict | None = None,
               max_distance_km: float | None = None) -> pd.DataFrame:
    """Every catalogue match of a supply and a demand of two different firms, with
    distance, capacity, benefit and avoided CO2 per waste unit and in total; `within`
    says whether the pair lies within `max_distance_km` (default 32.6 km, the NISP median;
    parameters [distance] max_km)."""
    cat = catalogue or load_catalogue()
    prm = params if params is not None else parameters()
    dist = prm["distance"]
    max_km = float(dist["max_km"] if max_distance_km is None else max_distance_km)
    p = park(result)
    pairs = _pairs(p, cat)
    if pairs.empty:
        return _empty()
    net = p.result.network
    lines = pairs["line"].to_numpy()
    f_sup = _factors(net, pairs["s_carrier"], pairs["s_unit"], pairs["waste_unit"],
                     pairs["s_flow"], cat.path, lines)
    f_dem = _factors(net, pairs["d_carrier"], pairs["d_unit"], pairs["input_unit"],
                     pairs["d_flow"], cat.path, lines)
    t_cost, t_co2 = _transport(net, pairs, cat, prm["transport"])
    km = haversine_km(pairs["s_lat"], pairs["s_lon"], pairs["d_lat"], pairs["d_lon"],
                      float(dist.get("earth_radius_km", 6371.0088))) \
        * float(dist.get("detour_factor", 1.0))
    out = _valued(pairs, f_sup, f_dem, km, max_km, t_cost, t_co2)
    return out.sort_values(["within", "benefit_per_unit"], ascending=[False, False]) \
        .reset_index(drop=True).rename_axis("candidate")


def _pairs(p, cat: Catalogue) -> pd.DataFrame:
    """Supplies (prefix s_) and demands (prefix d_) of two different firms joined through
    the catalogue rows that match them."""
    sup = supplies(p, cat)
    dem = demands(p, cat)
    rows = cat.frame.reset_index(names="row")
    pairs = (sup.add_prefix("s_").merge(rows, left_on="s_waste", right_on="waste")
             .merge(dem.add_prefix("d_"), left_on="replaces", right_on="d_replaces"))
    return pairs[pairs["s_firm"] != pairs["d_firm"]].reset_index(drop=True)


def _transport(net, pairs: pd.DataFrame, cat: Catalogue, modes: dict):
    """Transport cost and CO2 per waste unit and km of each pair, by its catalogue row's
    mode; ModelError naming the catalogue line of an unknown mode."""
    lines = pairs["line"].to_numpy()
    bad = ~pairs["mode"].isin(list(modes))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ModelError(f"{cat.path}:{lines[i]}: transport mode '{pairs['mode'].iloc[i]}' is not "
                         f"one of {', '.join(modes)} (symbiosis_parameters.toml [transport])",
                         origin=f"{cat.path}:{lines[i]}")
    mode_unit = pairs["mode"].map(lambda m: modes[m]["unit"])
    f_mode = _factors(net, pairs["s_carrier"], pairs["waste_unit"], mode_unit, pairs["s_flow"],
                      cat.path, lines)
    t_cost = pairs["mode"].map(lambda m: float(modes[m]["cost"])).to_numpy() * f_mode
    t_co2 = pairs["mode"].map(lambda m: float(modes[m]["co2"])).to_numpy() * f_mode
    return t_cost, t_co2


def _valued(pairs: pd.DataFrame, f_sup, f_dem, km, max_km, t_cost, t_co2) -> pd.DataFrame:
    """The candidates with capacity, benefit and avoided CO2 (module docstring), in
    catalogue waste units; network prices and disposal costs before the catalogue's."""
    ratio = pairs["ratio"].to_numpy()
    supply_q = pairs["s_quantity"].to_numpy() * f_sup
    demand_q = pairs["d_quantity"].to_numpy() * f_dem
    disposal = np.where(np.isfinite(pairs["s_disposal_cost"]),
                        pairs["s_disposal_cost"].to_numpy() / f_sup, pairs["disposal_cost"])
    price = np.where(np.isfinite(pairs["d_price"]), pairs["d_price"].to_numpy() / f_dem,
                     pairs["input_price"])
    transport = t_cost * km
    benefit = disposal + ratio * price - transport - pairs["treatment_cost"].to_numpy()
    co2 = ratio * pairs["input_co2"].to_numpy() + pairs["disposal_co2"].to_numpy() - t_co2 * km
    cap_s, cap_d = supply_q, demand_q / ratio
    capacity = np.fmin(cap_s, cap_d)
    basis = np.select([np.isfinite(cap_s) & np.isfinite(cap_d), np.isfinite(cap_s),
                       np.isfinite(cap_d)],
                      ["min(supply, demand/ratio)", "supply (demand unknown)",
                       "demand/ratio (supply unknown)"], "unknown")
    return pd.DataFrame({
        "supply_flow": pairs["s_flow"], "demand_flow": pairs["d_flow"],
        "source_firm": pairs["s_firm"], "target_firm": pairs["d_firm"],
        "source_node": pairs["s_node"], "target_node": pairs["d_node"],
        "waste": pairs["waste"], "carrier": pairs["s_carrier"], "replaces": pairs["replaces"],
        "input_carrier": pairs["d_carrier"], "ratio": ratio,
        "waste_unit": pairs["waste_unit"], "input_unit": pairs["input_unit"],
        "distance_km": km, "within": km <= max_km, "supply": supply_q, "demand": demand_q, "capacity": capacity,
        "capacity_basis": basis,
        "disposal_cost": disposal, "input_price": price, "transport_cost": transport,
        "treatment_cost": pairs["treatment_cost"].to_numpy(),
        "benefit_per_unit": benefit, "co2_per_unit": co2,
        "max_benefit": capacity * benefit, "max_co2": capacity * co2,
        "mode": pairs["mode"], "catalogue_line": pairs["line"].to_numpy(),
        "supply_factor": f_sup, "demand_factor": f_dem,
    })


def _factors(net, carriers, from_units, to_units, flows, path, lines) -> np.ndarray:
    """Per row: how many `to` units one `from` unit of the carrier is (mass via density,
    energy via energy content where the dimensions differ), computed once per distinct
    (carrier, from, to); ModelError naming the flow and catalogue line if impossible."""
    keys = pd.MultiIndex.from_arrays([np.asarray(carriers, dtype=object),
                                      np.asarray(from_units, dtype=object),
                                      np.asarray(to_units, dtype=object)])
    codes, uniques = pd.factorize(keys)
    values = np.empty(len(uniques))
    for k, (car, fu, tu) in enumerate(uniques):
        try:
            values[k] = _convert(net, car, fu, tu)
        except UnitError as exc:
            i = int(np.flatnonzero(codes == k)[0])
            flow = np.asarray(flows)[i]
            raise ModelError(f"flow '{flow}': cannot express {fu} of '{car}' in the catalogue's "
                             f"{tu} ({exc}); give the carrier a density or energy_content",
                             flows=[flow], origin=f"{path}:{lines[i]}") from None
    return values[codes]


def _convert(net, carrier: str, unit: str, to: str) -> float:
    if units.dimension(unit) == units.dimension(to):
        return units.factor(unit, to)
    car = net.carriers.get(carrier)
    if car is None:
        raise UnitError(f"'{unit}' and '{to}' differ in dimension")
    dim = units.dimension(to)
    if dim == "mass":
        m = car.mass_factor(unit)
        if m is not None:
            return m * units.factor("t", to)
    if dim == "volume" and car.density:
        m = car.mass_factor(unit)
        if m is not None:
            return m / car.density * units.factor("m**3", to)
    if dim == "energy":
        e = car.energy_factor(unit)
        if e is not None:
            return e * units.factor("GJ", to)
    raise UnitError(f"'{unit}' and '{to}' differ in dimension")


def _empty() -> pd.DataFrame:
    cols = ["supply_flow", "demand_flow", "source_firm", "target_firm", "source_node",
            "target_node", "waste", "carrier", "replaces", "input_carrier", "ratio",
            "waste_unit", "input_unit", "distance_km", "within", "supply", "demand",
            "capacity", "capacity_basis", "disposal_cost", "input_price", "transport_cost",
            "treatment_cost", "benefit_per_unit", "co2_per_unit", "max_benefit", "max_co2",
            "mode", "catalogue_line", "supply_factor", "demand_factor"]
    return pd.DataFrame(columns=cols).rename_axis("candidate")
