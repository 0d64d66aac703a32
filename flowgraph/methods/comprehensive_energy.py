"""Comprehensive energy consumption (GB/T 2589-2020) of the part of a network inside a boundary.

The boundary is a set of nodes, chosen by their `system` (production, auxiliary, ancillary;
all three by default) or listed. Every flow that crosses it is read off the solved result:

    E = sum_in  q_i * k_i  -  sum_out q_j * k_j        (kgce)
    e = E / P                                           (kgce per unit of product)

over the energy carriers and energy-consuming working media (耗能工质) entering (i) and the
ones leaving as positive products (j: energy supplied to others; losses to sinks are not
subtracted), with k the standard-coal coefficient per flow unit. Materials without a
coefficient (calcium carbide, chlorine, hydrogen used as feedstock) do not count.

Conventions are explicit arguments, never silent: electricity at its equivalent value
(GB/T 2589 table A.2, 0.1229 kgce/kWh) or at a given equal value; working media counted or not;
coefficients from the case's carriers, else the shipped table (flowgraph/data/carriers.csv),
else the calorific value / 29.3076 MJ per kgce (the equivalent value of any energy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import ModelError, UnitError, name_list
from ..model import units
from ..model.carriers import default_carriers
from ..model.schema import NEGATIVE_ROLES, allowed

#: the systems of GB/T 2589 a node may belong to (node attribute `system`)
SYSTEMS = tuple(s for s in allowed("node", "system") if s)
#: the name of the electricity row of the shipped coefficient table
ELECTRICITY = "electricity"
#: shipped rows whose source is this table are energy-consuming working media
MEDIA_TABLE = "table A.3"

CLASSES = ("energy", "working medium", "material")


@dataclass
class EnergyAccount:
    """The comprehensive energy consumption of one boundary of one result.

    `flows` lists every flow crossing the boundary (counted or not) with its coefficient and
    where the coefficient came from; `by_carrier`, `by_node` and `by_system` break the total
    down. kgce is signed: + for what enters, - for what is exported.
    """

    total_kgce: float
    per_unit: float
    product: str | None
    product_quantity: float
    product_unit: str
    boundary: tuple
    inside: tuple
    conventions: dict
    flows: pd.DataFrame
    period: str = "yr"
    missing: list = field(default_factory=list)

    def __repr__(self) -> str:
        per = f", {self.per_unit:,.6g} kgce/{self.product_unit}" if self.product else ""
        return (f"<EnergyAccount {'+'.join(self.boundary)}: {self.total_kgce:,.6g} kgce "
                f"per {self.period}{per}>")

    @property
    def total_tce(self) -> float:
        return self.total_kgce / 1000.0

    @property
    def unit_label(self) -> str:
        """The unit of `per_unit`, e.g. kgce/t."""
        return f"kgce/{self.product_unit}" if self.product else ""

    @cached_property
    def by_carrier(self) -> pd.DataFrame:
        """Per carrier: class, quantities in and out (carrier unit), coefficient and its source,
        kgce in, out and net, share of the total, and kgce per unit of product."""
        f = self.flows
        if f.empty:
            return pd.DataFrame(columns=["class", "unit", "quantity_in", "quantity_out",
                                         "coefficient_kgce", "coefficient_source", "kgce_in",
                                         "kgce_out", "kgce", "share", "kgce_per_unit"])
        inn = f["direction"] == "in"
        g = f.assign(q_in=np.where(inn, f["quantity_carrier_unit"], 0.0),
                     q_out=np.where(~inn, f["quantity_carrier_unit"], 0.0),
                     k_in=np.where(inn, f["kgce"], 0.0),
                     k_out=np.where(~inn, -f["kgce"], 0.0))
        out = g.groupby("carrier", sort=False).agg(
            **{"class": ("class", "first"), "unit": ("carrier_unit", "first"),
               "quantity_in": ("q_in", "sum"), "quantity_out": ("q_out", "sum"),
               "coefficient_kgce": ("coefficient_per_carrier_unit", "first"),
               "coefficient_source": ("coefficient_source", "first"),
               "kgce_in": ("k_in", "sum"), "kgce_out": ("k_out", "sum"),
               "kgce": ("kgce", "sum")})
        out["share"] = out["kgce"] / self.total_kgce if self.total_kgce else np.nan
        out["kgce_per_unit"] = self._per(out["kgce"])
        order = pd.Categorical(out["class"], categories=CLASSES, ordered=True)
        out = out.assign(_o=order).sort_values(["_o", "kgce"], ascending=[True, False])
        return out.drop(columns="_o")

    @cached_property
    def by_node(self) -> pd.DataFrame:
        """Per node inside the boundary: its system, kgce entering and exported there, net."""
        return self._group("node", extra=("system",))

    @cached_property
    def by_system(self) -> pd.DataFrame:
        """Per system (production, auxiliary, ancillary): kgce entering, exported, net."""
        return self._group("system")

    def _group(self, key: str, extra=()) -> pd.DataFrame:
        f = self.flows[self.flows["counted"]]
        inn = f["direction"] == "in"
        g = f.assign(kgce_in=np.where(inn, f["kgce"], 0.0), kgce_out=np.where(~inn, -f["kgce"], 0.0))
        aggs = {c: (c, "first") for c in extra}
        aggs.update(kgce_in=("kgce_in", "sum"), kgce_out=("kgce_out", "sum"), kgce=("kgce", "sum"))
        out = g.groupby(key, sort=False).agg(**aggs) if len(g) else \
            pd.DataFrame(columns=[*extra, "kgce_in", "kgce_out", "kgce"])
        out["share"] = out["kgce"] / self.total_kgce if self.total_kgce else np.nan
        out["kgce_per_unit"] = self._per(out["kgce"])
        return out.sort_values("kgce", ascending=False)

    def _per(self, kgce):
        if not self.product or not self.product_quantity:
            return np.full(len(kgce), np.nan)
        return kgce / self.product_quantity

    def summary(self) -> dict:
        """Headline numbers as a plain dict."""
        return {"total_kgce": self.total_kgce, "total_tce": self.total_tce,
                "per_unit": self.per_unit, "unit": self.unit_label, "product": self.product,
                "product_quantity": self.product_quantity, "product_unit": self.product_unit,
                "boundary": list(self.boundary), **self.conventions}


def comprehensive_energy(result, product: str | None = None,
                         boundary: str | Iterable[str] = SYSTEMS, *,
                         nodes: Iterable | None = None,
                         electricity="equivalent",
                         working_media: bool = True,
                         coefficients: Mapping | None = None,
                         electricity_carriers: Iterable[str] = (),
                         media_carriers: Iterable[str] = ()) -> EnergyAccount:
    """The comprehensive energy consumption of the nodes inside `boundary`.

    result: a solved Result. product: id of the flow of product the energy is per (its
    quantity, in t when it is a mass). boundary: system name(s) of the nodes inside (default
    production, auxiliary and ancillary); `nodes` lists node ids instead. Sources and sinks
    are always outside.
    electricity: 'equivalent' (GB/T 2589 A.2, 0.1229 kgce/kWh), 'case' (the carrier's own
    coefficient) or an equal value (a number in kgce/kWh, or a string such as '0.305 kgce/kWh').
    working_media: count energy-consuming working media (fresh water, softened and pure water,
    compressed air, oxygen, nitrogen: table A.3, water carriers, and `media_carriers`).
    coefficients: {carrier: kgce per carrier unit, or a string with units} overriding all else.
    electricity_carriers: carrier names that are electricity besides the table's names.

    >>> import flowgraph as fg
    >>> net = fg.Network("n")
    >>> for n, k in (("grid", "source"), ("plant", "process"), ("shop", "sink")):
    ...     _ = net.add_node(n, kind=k, system="production" if k == "process" else None)
    >>> _ = net.add_flow("grid", "plant", "electricity", quantity=1000, unit="kWh")
    >>> _ = net.add_flow("grid", "plant", "ore", quantity=2, unit="t")
    >>> _ = net.add_flow("plant", "shop", "metal", id="metal")
    >>> acc = comprehensive_energy(net.solve(), product="metal")
    >>> round(acc.total_kgce, 6), round(acc.per_unit, 6)
    (122.9, 61.45)
    """
    inside = _inside(result, boundary, nodes)
    entering, crossing = _crossing(result, inside)
    rule = _electricity_rule(electricity)
    per, missing = _coefficients(result, crossing, rule, working_media, coefficients,
                                 electricity_carriers, media_carriers)
    flows = _flow_table(result, crossing, entering, per)
    total = float(flows["kgce"].sum()) if len(flows) else 0.0

    pq, punit = (math.nan, "")
    if product is not None:
        pq, punit = _product_quantity(result, product)
    conventions = {
        "electricity": _electricity_label(rule),
        "working_media": "counted" if working_media else "not counted",
        "exports": "energy and working media leaving as positive products subtracted; "
                   "losses to sinks not subtracted",
    }
    b = tuple(boundary) if nodes is None and not isinstance(boundary, str) else \
        ((boundary,) if nodes is None else ("listed nodes",))
    return EnergyAccount(
        total_kgce=total, per_unit=total / pq if product is not None and pq else math.nan,
        product=product, product_quantity=pq, product_unit=punit, boundary=b,
        inside=tuple(result.compiled.node_ids[inside]), conventions=conventions, flows=flows,
        period=result.network.period, missing=missing)


# -- pieces ------------------------------------------------------------------------------

def _inside(result, boundary, nodes) -> np.ndarray:
    """Boolean per node: inside the boundary (sources and sinks never are)."""
    c = result.compiled
    frame = result.network.node_frame()
    if nodes is not None:
        wanted = list(nodes)
        unknown = [n for n in wanted if n not in c.node_ids]
        if unknown:
            raise ModelError(f"energy boundary: unknown node(s) {name_list(unknown)}",
                             nodes=unknown)
        mask = np.isin(c.node_ids, wanted)
    else:
        systems = [boundary] if isinstance(boundary, str) else list(boundary)
        bad = [s for s in systems if s not in SYSTEMS]
        if bad or not systems:
            raise ModelError(f"energy boundary: {name_list(bad) if bad else 'nothing'} is not a "
                             f"system; the systems of GB/T 2589 are {', '.join(SYSTEMS)}")
        mask = frame["system"].reindex(c.node_ids).isin(systems).to_numpy()
    mask = mask & ~np.isin(c.node_kind, ["source", "sink"])
    if not mask.any():
        what = "the listed nodes" if nodes is not None else f"system {', '.join(systems)}"
        raise ModelError(f"energy boundary: no process, utility or storage node is in {what}; "
                         f"tag nodes with system = production, auxiliary or ancillary")
    return mask


def _crossing(result, inside) -> tuple[np.ndarray, np.ndarray]:
    """Per flow: whether it enters the boundary; and the indices of the flows that cross it
    (entering, or leaving as a positive product)."""
    c = result.compiled
    tail_in, head_in = inside[c.tail], inside[c.head]
    entering = ~tail_in & head_in
    leaving = tail_in & ~head_in & ~np.isin(c.role, list(NEGATIVE_ROLES))
    return entering, np.flatnonzero(entering | leaving)


def _coefficients(result, crossing, rule, working_media, coefficients, electricity_carriers,
                  media_carriers) -> tuple[pd.DataFrame, list]:
    """The class, coefficient and counting of each crossing flow, found once per distinct
    (carrier, unit) (the loop runs over carriers, not flows); and the carriers not counted
    for want of a coefficient."""
    c, net = result.compiled, result.network
    table = _shipped_table()
    elec_names = {n.casefold() for n in electricity_carriers} | _names_of(table, ELECTRICITY)
    media_names = {n.casefold() for n in media_carriers}
    given = {str(k): v for k, v in (coefficients or {}).items()}
    pairs = pd.DataFrame({"carrier": c.carrier[crossing], "unit": c.unit[crossing]})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs)) if len(crossing) \
        else (np.zeros(0, np.int64), [])
    keyed = []
    for j, (cname, uname) in enumerate(uniques):
        car = net.carrier(cname)
        info = _counting(_coefficient(car, cname, uname, table, elec_names, media_names,
                                      given, rule), working_media)
        if info["coefficient"] is None and info["class"] == "energy":
            first = crossing[int(np.argmax(codes == j))]
            raise ModelError(
                f"flow '{c.flow_ids[first]}'{c.where_flow(first)} brings energy carrier "
                f"'{cname}' across the energy boundary but it has no standard-coal "
                f"coefficient: give tce= or energy_content= on the carrier, or "
                f"coefficients={{'{cname}': ...}}", flows=[c.flow_ids[first]],
                origin=c.origin_of_flow(first))
        info.update(carrier_unit=car.unit, to_carrier=_ratio(car, uname, car.unit))
        keyed.append(info)
    key = pd.DataFrame(keyed, columns=["class", "coefficient", "per_carrier", "source",
                                       "counted", "missing", "carrier_unit", "to_carrier"])
    missing = sorted({uniques[j][0] for j in range(len(keyed)) if keyed[j].get("missing")})
    return key.iloc[codes].reset_index(drop=True), missing      # broadcast to the flows


def _counting(info: dict, working_media: bool) -> dict:
    """Whether a carrier counts: a material without a coefficient does not, nor a working
    medium when working media are not counted; a working medium without a coefficient is
    listed as missing (an energy carrier without one is an error of the caller's)."""
    if info["class"] == "material" and info["coefficient"] is None:
        info.update(counted=False, coefficient=0.0, per_carrier=0.0, source="material")
    elif info["class"] == "working medium" and not working_media:
        info.update(counted=False, source=f"{info['source']} (working media not counted)")
    elif info["coefficient"] is None and info["class"] != "energy":
        info.update(counted=False, coefficient=0.0, per_carrier=0.0, missing=True,
                    source="no coefficient: not counted")
    return info


def _flow_table(result, crossing, entering, per: pd.DataFrame) -> pd.DataFrame:
    """Every crossing flow with its direction, class, quantity (in its unit and the carrier's),
    coefficient and its source, and signed kgce (+ in, - exported; 0 when not counted)."""
    c, net = result.compiled, result.network
    q = np.nan_to_num(np.asarray(result.quantities, dtype=float), nan=0.0)
    sign = np.where(entering[crossing], 1.0, -1.0)
    qc = q[crossing]
    counted = per["counted"].to_numpy(dtype=bool)
    coef = per["coefficient"].to_numpy(dtype=float)
    node_ids = c.node_ids[np.where(entering[crossing], c.head[crossing], c.tail[crossing])]
    return pd.DataFrame({
        "source": c.node_ids[c.tail[crossing]], "target": c.node_ids[c.head[crossing]],
        "carrier": c.carrier[crossing],
        "direction": np.where(entering[crossing], "in", "out"),
        "class": per["class"].to_numpy(dtype=object), "role": c.role[crossing],
        "quantity": qc, "unit": c.unit[crossing],
        "quantity_carrier_unit": qc * per["to_carrier"].to_numpy(dtype=float),
        "carrier_unit": per["carrier_unit"].to_numpy(dtype=object),
        "coefficient_kgce_per_unit": coef,
        "coefficient_per_carrier_unit": per["per_carrier"].to_numpy(dtype=float),
        "coefficient_source": per["source"].to_numpy(dtype=object), "counted": counted,
        "kgce": np.where(counted, sign * qc * coef, 0.0), "node": node_ids,
        "system": net.node_frame()["system"].reindex(node_ids).fillna("").to_numpy(dtype=object),
    }, index=pd.Index(c.flow_ids[crossing], name="id"))


@dataclass(frozen=True)
class _ElectricityRule:
    mode: str                  # equivalent | case | equal
    value: float | None = None  # kgce per kWh for 'equal'


def _electricity_rule(electricity) -> _ElectricityRule:
    if electricity in ("equivalent", "case"):
        return _ElectricityRule(electricity)
    try:
        value = units.per_unit(electricity, "kgce", "kWh", "electricity equal value") \
            if isinstance(electricity, str) else float(electricity)
    except (TypeError, ValueError, UnitError):
        raise ModelError(f"electricity convention {electricity!r}: use 'equivalent', 'case' or "
                         f"an equal value in kgce/kWh (a number or a string such as "
                         f"'0.305 kgce/kWh')") from None
    if not math.isfinite(value) or value <= 0:
        raise ModelError(f"electricity equal value {electricity!r} must be a positive number")
    return _ElectricityRule("equal", value)


def _electricity_label(rule: _ElectricityRule) -> str:
    if rule.mode == "equivalent":
        return "equivalent value (GB/T 2589-2020 table A.2)"
    if rule.mode == "case":
        return "the case's coefficient"
    return f"equal value {rule.value:g} kgce/kWh"


def _shipped_table() -> dict:
    """Shipped coefficient rows by casefolded name and alias."""
    out = {}
    for row in default_carriers():
        out[row["name"].casefold()] = row
        for alias in filter(None, row["aliases"].split("|")):
            out.setdefault(alias.casefold(), row)
    return out


def _names_of(table: dict, row_name: str) -> set:
    return {k for k, row in table.items() if row["name"] == row_name}


def _coefficient(car, cname, uname, table, elec_names, media_names, given, rule) -> dict:
    """Class, coefficient (kgce per flow unit), per carrier unit, and where it came from."""
    row = table.get(cname.casefold())
    is_elec = cname.casefold() in elec_names
    is_medium = (cname.casefold() in media_names or car.kind == "water"
                 or (row is not None and MEDIA_TABLE in row["source"]))
    klass = "working medium" if is_medium else ("energy" if car.kind == "energy" or is_elec
                                                else "material")
    per_carrier, source = None, None
    if cname in given:
        v = given[cname]
        per_carrier = units.per_unit(v, "kgce", car.unit, f"coefficient of '{cname}'") \
            if isinstance(v, str) else float(v)
        source = "given"
    elif is_elec and rule.mode == "equal":
        per_carrier = rule.value * units.factor(car.unit, "kWh")
        source = "equal value (given)"
    elif is_elec and rule.mode == "equivalent":
        elec = table[ELECTRICITY]
        per_carrier = units.per_unit(elec["tce"], "kgce", elec["unit"], "electricity") \
            * units.factor(car.unit, elec["unit"])
        source = f"equivalent value, {elec['source']}"
    elif car.tce is not None and car.tce > 0:
        per_carrier = car.tce * 1000.0
        source = f"case ({car.origin})" if car.origin else "case"
    elif row is not None and row["tce"]:
        per_carrier = units.per_unit(row["tce"], "kgce", row["unit"], cname) \
            * _ratio(car, car.unit, row["unit"])
        source = row["source"]
    elif car.energy_content is not None and klass != "material":
        per_carrier = car.energy_content * units.factor("GJ", "kgce")
        source = "calorific value / 29.3076 MJ per kgce"
    elif units.dimension(car.unit) == "energy" and klass == "energy":
        per_carrier = units.factor(car.unit, "kgce")
        source = "heat at its equivalent value (GB/T 2589-2020 table A.2)"
    if klass == "material" and per_carrier is not None and source != "given":
        klass = "energy"         # energy used as a raw material counts (GB/T 2589)
    coefficient = None if per_carrier is None else per_carrier * _ratio(car, uname, car.unit)
    return {"class": klass, "coefficient": coefficient, "per_carrier": per_carrier,
            "source": source, "counted": per_carrier is not None}


def _ratio(car, unit: str, to: str) -> float:
    """How many `to` one `unit` of the carrier is (mass and volume bridged by density)."""
    if unit == to:
        return 1.0
    if units.dimension(unit) == units.dimension(to):
        return units.factor(unit, to)
    m_from, m_to = car.mass_factor(unit), car.mass_factor(to)
    if m_from is not None and m_to:
        return m_from / m_to
    raise UnitError(f"carrier '{car.name}': '{unit}' cannot be converted to '{to}' for its "
                    f"standard-coal coefficient (give the carrier a density)")


def _product_quantity(result, product) -> tuple[float, str]:
    c = result.compiled
    if product not in c.flow_ids:
        raise ModelError(f"energy: product flow '{product}' is not a flow of network "
                         f"'{result.network.name}'", flows=[product])
    i = c.flow_ids.get_loc(product)
    q = float(result.quantities[i])
    unit = c.unit[i]
    if units.dimension(unit) == "mass":
        return q * units.factor(unit, "t"), "t"
    return q, unit
