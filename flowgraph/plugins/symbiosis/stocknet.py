"""The energy stock of one year as an ordinary park Network: each unit in service a utility
node (its firm the infrastructure it belongs to) burning fuel bought from outside and
delivering electricity and heat. Solving it and accounting its GHG (ghg.park_ghg) gives the
vintage model's emissions of that year as scope 1, which tests use as a cross-check."""

from __future__ import annotations

from ...model.network import Network
from .vintage import Pathway, VintageModel


def stock_network(model: VintageModel, path: Pathway, year: int) -> Network:
    """The units in service in `year` of `path` as a Network (fuel in GJ, electricity in
    MWh, heat in GJ; fuel carriers priced and with their CO2 factor per GJ)."""
    rows = path.by_unit.xs(int(year), level="year")
    rows = rows[rows["technology"].notna()]
    net = Network(f"energy stock {year} [{path.name}]", period="yr")
    for fuel in sorted(set(rows["fuel"])):
        f = model.data["fuel"][fuel]
        net.add_carrier(fuel, kind="energy", unit="GJ", co2=float(f["co2"]),
                        price=float(f["price"]))
    net.add_carrier("electricity", kind="energy", unit="MWh",
                    price=float(model.data["electricity_price"]))
    net.add_carrier("heat", kind="energy", unit="GJ", price=float(model.data["heat_price"]))
    net.add_node("fuel market", kind="source")
    net.add_node("grid", kind="sink", label="electricity sold")
    net.add_node("heat users", kind="sink", label="heat and steam sold")
    units = model.units
    for uid, r in rows.iterrows():
        firm = units.at[uid, "firm"] if isinstance(units.at[uid, "firm"], str) else uid
        net.add_node(uid, kind="utility", firm=firm, sector="energy", allocation="energy",
                     label=f"{r['technology']} {units.at[uid, 'capacity_mw']:g} MW")
        net.add_flow("fuel market", uid, r["fuel"], quantity=float(r["fuel_gj"]), unit="GJ")
        if r["electricity_mwh"] > 0:
            net.add_flow(uid, "grid", "electricity", quantity=float(r["electricity_mwh"]))
        if r["heat_gj"] > 0:
            net.add_flow(uid, "heat users", "heat", quantity=float(r["heat_gj"]))
    return net
