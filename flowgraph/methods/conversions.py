"""Conversions of quantities: standard coal, CO2 (IPCC or per-unit factors), unit indicators.

- standard coal (GB/T 2589): quantity x coefficient, the coefficient from the shipped carrier
  table (data/carriers.csv) or given per case;
- CO2 by the IPCC 2006 formula, CO2 = E x NCV x CEF x COF x 44/12 (E fuel in t, NCV in GJ/t
  = TJ/Gg, CEF in kg C/GJ, COF a fraction), with defaults from data/ipcc2006_fuels.csv; or
  a per-unit factor (kg CO2 per kWh, per t of steam, ...);
- unit-product indicators: what crosses the boundary (purchases) per tonne of product.

Coefficients are data, never constants here: a case may override every one of them.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..model import units
from ..model.carriers import table_carrier

#: mass of CO2 per mass of carbon
CO2_PER_C = 44.0 / 12.0


def standard_coal_coefficient(carrier: str, unit: str | None = None) -> float:
    """tce per `unit` (default: the table's unit) of a carrier of the GB/T 2589 table."""
    car = table_carrier(carrier)
    if car is None or car.tce is None:
        raise ModelError(f"standard coal: carrier '{carrier}' is not in the GB/T 2589 table "
                         f"(data/carriers.csv); give its coefficient")
    return car.tce * (units.factor(unit, car.unit) if unit else 1.0)


def standard_coal(quantity: float, carrier: str | None = None, unit: str | None = None,
                  coefficient=None) -> float:
    """Standard coal (tce) of `quantity` of a carrier: coefficient x quantity.

    `coefficient` is a number in tce per `unit` or a string with units ('0.1229 kgce/kWh');
    without it the GB/T 2589 table's coefficient of `carrier` is used.
    """
    if coefficient is None:
        if carrier is None:
            raise ModelError("standard coal: give a carrier of the table or a coefficient")
        return float(quantity) * standard_coal_coefficient(carrier, unit)
    if isinstance(coefficient, str):
        if unit is None:
            raise ModelError(f"standard coal: coefficient '{coefficient}' needs the quantity's unit")
        coefficient = units.per_unit(coefficient, "tce", unit, "standard-coal coefficient")
    return float(quantity) * float(coefficient)


@cache
def ipcc_table() -> pd.DataFrame:
    """IPCC 2006 default NCV (GJ/t), carbon emission factor (kg C/GJ) and oxidation factor."""
    path = resources.files("flowgraph") / "data" / "ipcc2006_fuels.csv"
    with path.open(encoding="utf-8") as fh:
        frame = pd.DataFrame(list(csv.DictReader(fh))).set_index("fuel")
    for col in ("ncv_gj_per_t", "cef_kgc_per_gj", "cof"):
        frame[col] = frame[col].astype(float)
    return frame


def ipcc_fuel(fuel: str) -> dict:
    """The IPCC 2006 defaults of a fuel (by name or alias): ncv, cef, cof."""
    table = ipcc_table()
    if not isinstance(fuel, str) or not fuel.strip():
        raise ModelError(f"IPCC: {fuel!r} is not a fuel name (fuels of "
                         f"data/ipcc2006_fuels.csv: {', '.join(table.index)})")
    key = fuel.strip().casefold()
    for name, row in table.iterrows():
        names = [name, *filter(None, row["aliases"].split("|"))]
        if key in (n.casefold() for n in names):
            return {"fuel": name, "ncv": row["ncv_gj_per_t"], "cef": row["cef_kgc_per_gj"],
                    "cof": row["cof"], "source": row["source"]}
    raise ModelError(f"IPCC: no default factors for fuel '{fuel}' in data/ipcc2006_fuels.csv "
                     f"(fuels: {', '.join(table.index)}); give ncv, cef and cof")


def co2_ipcc(quantity: float, fuel: str | None = None, *, unit: str = "t",
             ncv: float | None = None, cef: float | None = None,
             cof: float | None = None) -> float:
    """t CO2 = E x NCV x CEF x COF x 44/12 (IPCC 2006, Vol. 2, eq. 2.1 with carbon content).

    `quantity` of fuel in `unit`: a mass (converted to t; NCV in GJ/t) or an energy (GJ,
    tce, ...; then NCV is not needed). CEF in kg C/GJ, COF a fraction (default 1). Defaults
    of `fuel` from the IPCC table fill what is not given.
    """
    defaults = ipcc_fuel(fuel) if fuel is not None else {}
    cef = defaults.get("cef") if cef is None else cef
    cof = defaults.get("cof", 1.0) if cof is None else cof
    dim = units.dimension(unit)
    if dim == "energy":
        energy_gj = float(quantity) * units.factor(unit, "GJ")
    elif dim == "mass":
        ncv = defaults.get("ncv") if ncv is None else ncv
        if ncv is None:
            raise ModelError("IPCC: a fuel quantity by mass needs its NCV (GJ/t) or a fuel name")
        energy_gj = float(quantity) * units.factor(unit, "t") * float(ncv)
    else:
        raise ModelError(f"IPCC: quantity in '{unit}' is neither a mass nor an energy; convert "
                         f"volumes with the fuel's density first")
    if cef is None:
        raise ModelError("IPCC: give the carbon emission factor cef (kg C/GJ) or a fuel name")
    for name, value in (("cef", cef), ("cof", cof)):
        if not (math.isfinite(float(value)) and float(value) >= 0):
            raise ModelError(f"IPCC: {name} {value!r} must be a number >= 0")
    return energy_gj * float(cef) / 1000.0 * float(cof) * CO2_PER_C


def co2_per_unit(quantity: float, factor, unit: str | None = None) -> float:
    """t CO2 of `quantity` at a per-unit factor: a number in t CO2 per unit, or a string
    with units ('0.3023 kg/kWh', '316.36 kg/t') converted to t per `unit`."""
    if isinstance(factor, str):
        if unit is None:
            raise ModelError(f"CO2: factor '{factor}' needs the quantity's unit")
        factor = units.per_unit(factor, "t", unit, "CO2 factor")
    return float(quantity) * float(factor)


# -- over results ------------------------------------------------------------------------

def purchases(result, carriers=None) -> pd.DataFrame:
    """Per purchased carrier: quantity (its carrier unit), cost, tce and CO2 of the flows
    from sources; the boundary inputs every unit indicator divides."""
    c = result.compiled
    f = result.flows
    bought = c.node_kind[c.tail] == "source"
    frame = f[bought].copy()
    net = result.network
    # one unit conversion per distinct (flow unit, carrier) pair, broadcast to the flows
    pairs = pd.MultiIndex.from_arrays([frame["unit"], frame["carrier"]])
    codes, uniques = pd.factorize(pairs)
    factor = np.array([units.factor(u, net.carriers[k].unit) for u, k in uniques], dtype=float)
    carrier_unit = np.array([net.carriers[k].unit for _, k in uniques], dtype=object)
    frame["quantity"] = frame["quantity"].to_numpy() * factor[codes]
    frame["unit"] = carrier_unit[codes]
    out = frame.groupby("carrier", sort=False).agg(
        quantity=("quantity", "sum"), unit=("unit", "first"), cost=("cost", "sum"),
        tce=("tce", "sum"), co2=("co2", "sum"))
    if carriers is not None:
        out = out.reindex(list(carriers))
    return out


def good_output(result, unit: str = "t") -> float:
    """Positive products leaving the system (flows to sinks that are not negative), in
    `unit`: the product plus by-products sold, the denominator of 'per t of good output'."""
    c = result.compiled
    sel = (c.node_kind[c.head] == "sink") & ~c.negative
    q = np.nan_to_num(result.quantities[sel], nan=0.0)
    codes, uniques = pd.factorize(pd.Series(c.unit[sel], dtype=object))
    same = units.dimension(unit)
    factor = np.array([units.factor(u, unit) if units.dimension(u) == same else 0.0
                       for u in uniques], dtype=float)
    return float((q * factor[codes]).sum()) if len(q) else 0.0


def unit_indicators(result, per=None, carriers=None, unit: str = "t") -> pd.Series:
    """Purchases per unit of product: each carrier's quantity, and tce, CO2 and cost.

    `per` is the product's flow id (its quantity in `unit`), or None for all good output
    (good_output). Index: '<carrier> per <unit>' ..., 'tce per <unit>', 'co2 per <unit>'
    ('co2' in t), 'cost per <unit>'.
    """
    if per is None:
        denom = good_output(result, unit)
    else:
        f = result.flows
        if per not in f.index:
            raise ModelError(f"unit indicators: unknown product flow '{per}'", flows=[per])
        denom = float(f.at[per, "quantity"]) * units.factor(f.at[per, "unit"], unit)
    if not denom > 0:
        raise ModelError(f"unit indicators: the product quantity is {denom:g}")
    bought = purchases(result, carriers)
    out = {f"{k} per {unit}": row["quantity"] / denom for k, row in bought.iterrows()}
    out[f"tce per {unit}"] = bought["tce"].sum() / denom
    out[f"co2 per {unit}"] = bought["co2"].sum() / denom
    out[f"cost per {unit}"] = bought["cost"].sum() / denom
    return pd.Series(out, dtype=float)
