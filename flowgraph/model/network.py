"""The Network: nodes (quantity centres, utilities, sources, sinks, storage), carriers and flows.

Nodes and flows are stored column-wise (see tables.py); `Network.graph` gives the same
network as a networkx MultiDiGraph for graph algorithms. Building a network checks each item
as it comes; the whole is checked, vectorised, when it is compiled for solving.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import ModelError, UnitError, name_list
from . import bulk, units
from .carriers import Carrier, infer_carrier
from .schema import COST_CATEGORIES, allowed, attributes
from .tables import Table, is_missing

NODE_KINDS = allowed("node", "kind")
ROLES = allowed("flow", "role")
ALLOCATIONS = allowed("node", "allocation")
#: node kinds that are the system boundary: they close no balance
BOUNDARY = frozenset({"source", "sink"})


class Network:
    """A material and energy flow network of one period (a year by default)."""

    def __init__(self, name: str, period: str = "yr", **meta):
        self.name = name
        self.period = period
        self.meta = dict(meta)
        self.carriers: dict[str, Carrier] = {}
        self._nodes = Table("node")
        self._flows = Table("flow")

    def __repr__(self) -> str:
        return (f"<Network '{self.name}': {len(self._nodes)} nodes, {len(self._flows)} flows, "
                f"{len(self.carriers)} carriers, per {self.period}>")

    # -- carriers ------------------------------------------------------------------------
    def add_carrier(self, name: str, kind: str = "material", unit: str = "t", *,
                    origin: str | None = None, **factors) -> Carrier:
        """Declare a carrier with its unit and factors (tce, co2, price, density,
        energy_content, composition, layers, cost_category, label).

        A factor is a number per carrier unit or a string with units ('0.1229 kgce/kWh').
        Declaring a carrier again replaces it.
        """
        known = set(attributes("carrier")) - {"name", "kind", "unit"}
        unknown = set(factors) - known
        if unknown:
            raise ModelError(f"carrier '{name}': unknown factor(s) {name_list(sorted(unknown))}; "
                             f"known: {', '.join(sorted(known))}", origin=origin)
        carrier = Carrier(name=name, kind=kind, unit=unit, origin=origin, **factors)
        self.carriers[name] = carrier
        return carrier

    def carrier(self, name: str) -> Carrier:
        try:
            return self.carriers[name]
        except KeyError:
            raise ModelError(f"unknown carrier '{name}'") from None

    def set_carrier(self, name: str, **changes) -> Carrier:
        """Change factors of a declared carrier (a scenario edit)."""
        old = self.carrier(name)
        rec = old.to_record()
        rec.update(changes)
        rec.pop("name")
        return self.add_carrier(name, origin=old.origin, **rec)

    def _ensure_carrier(self, name: str, unit: str | None) -> Carrier:
        if name not in self.carriers:
            self.carriers[name] = infer_carrier(name, unit)
        return self.carriers[name]

    # -- nodes ---------------------------------------------------------------------------
    def add_node(self, id, kind: str = "process", *, origin: str | None = None, **attrs):
        """Add a node; attrs: label, firm, sector, stage, system, lat, lon, layers,
        allocation, costs={system, energy, material, waste_management}, co2, tce, stock,
        and any free attribute. Returns the id."""
        if id in self._nodes:
            raise ModelError(f"duplicate node id '{id}'", nodes=[id], origin=origin)
        self._nodes.append(id, _node_record(id, kind, attrs, origin))
        return id

    def set_node(self, id, **attrs) -> None:
        """Change attributes of a node (a scenario edit)."""
        self._require_node(id)
        record = self._nodes.get(id)
        kind = attrs.pop("kind", record.get("kind", "process"))
        origin = record.get("_origin")
        rec = _node_record(id, kind, attrs, origin, partial=True)
        self._nodes.set(id, rec)

    def remove_node(self, id) -> list:
        """Remove a node and every flow touching it; returns the ids of the removed flows."""
        self._require_node(id)
        flows = self._flows.frame()
        gone = flows.index[(flows["source"] == id) | (flows["target"] == id)].tolist()
        self._flows.drop(gone)
        self._nodes.drop([id])
        return gone

    def _require_node(self, id, flow=None, origin=None) -> None:
        if id not in self._nodes:
            what = f"flow '{flow}' refers to unknown node '{id}'" if flow is not None \
                else f"unknown node '{id}'"
            raise ModelError(what, nodes=[id], flows=[flow] if flow is not None else [],
                             origin=origin)

    # -- flows ---------------------------------------------------------------------------
    def add_flow(self, source, target, carrier: str, quantity=None, *, unit: str | None = None,
                 share: float | None = None, per: tuple | None = None, price=None,
                 role: str = "product", id=None, origin: str | None = None, **attrs):
        """Add a flow of `carrier` from `source` to `target`; returns its id.

        Give at most one of `quantity` (known, a number in `unit` or a string such as
        '30 万t'), `share` (transfer coefficient of the source node's inflow in the flow's
        balance layer) or `per=(flow_id, ratio)` (recipe); with none the flow is unknown
        and the balances fix it.
        """
        fid = id if id is not None else self._new_flow_id(source, target, carrier)
        where = f"flow '{fid}'"
        if fid in self._flows:
            raise ModelError(f"duplicate flow id '{fid}'", flows=[fid], origin=origin)
        self._require_node(source, fid, origin)
        self._require_node(target, fid, origin)
        if isinstance(quantity, str):
            value, qunit = units.split_quantity(quantity)
            if unit is not None and qunit and qunit != unit:
                value *= units.factor(qunit, unit)
            unit = unit or qunit or None
            quantity = value
        car = self._ensure_carrier(carrier, unit)
        unit = unit or car.unit
        try:
            car.check_unit(unit, where)
        except UnitError as exc:
            raise UnitError(str(exc), flows=[fid], origin=origin) from None
        record = _flow_record(fid, dict(source=source, target=target, carrier=carrier,
                                        quantity=quantity, unit=unit, share=share, per=per,
                                        price=price, role=role, **attrs), origin)
        self._flows.append(fid, record)
        return fid

    def set_flow(self, id, **attrs) -> None:
        """Change a flow (a scenario edit). Setting one of quantity/share/per clears the
        other two; quantity=None with no share/per makes the flow unknown."""
        if id not in self._flows:
            raise ModelError(f"unknown flow '{id}'", flows=[id])
        rec = self._flows.get(id)
        spec_keys = {"quantity", "share", "per"}
        if spec_keys & set(attrs):
            for k in ("quantity", "share", "per_flow", "per_ratio"):
                rec.pop(k, None)
        rec.update(attrs)
        if "per" in rec and rec["per"] is None:
            rec.pop("per")
        for k in ("source", "target"):
            self._require_node(rec[k], id)
        origin = rec.pop("_origin", None)
        if isinstance(rec.get("quantity"), str):
            value, qunit = units.split_quantity(rec["quantity"])
            rec["quantity"] = value * (units.factor(qunit, rec["unit"]) if qunit else 1.0)
        car = self._ensure_carrier(rec["carrier"], rec.get("unit"))
        rec.setdefault("unit", car.unit)
        car.check_unit(rec["unit"], f"flow '{id}'")
        new = _flow_record(id, rec, origin)
        cleared = {k: None for k in attributes("flow") if k not in new and k != "id"}
        self._flows.set(id, {**cleared, **new})

    def remove_flow(self, id) -> None:
        if id not in self._flows:
            raise ModelError(f"unknown flow '{id}'", flows=[id])
        self._flows.drop([id])

    def _new_flow_id(self, source, target, carrier) -> str:
        base = f"{source}->{target}:{carrier}"
        if base not in self._flows:
            return base
        k = 2
        while f"{base}#{k}" in self._flows:
            k += 1
        return f"{base}#{k}"

    # -- views ---------------------------------------------------------------------------
    @property
    def nodes(self) -> pd.DataFrame:
        """The nodes as a DataFrame indexed by id (a copy)."""
        return self._nodes.frame().copy()

    @property
    def flows(self) -> pd.DataFrame:
        """The flows as a DataFrame indexed by id (a copy)."""
        return self._flows.frame().copy()

    def node_frame(self) -> pd.DataFrame:
        """The nodes' own frame, not copied: for solvers and writers that only read it."""
        return self._nodes.frame()

    def flow_frame(self) -> pd.DataFrame:
        """The flows' own frame, not copied: for solvers and writers that only read it."""
        return self._flows.frame()

    def node(self, id) -> dict:
        self._require_node(id)
        return self._nodes.get(id)

    def flow(self, id) -> dict:
        if id not in self._flows:
            raise ModelError(f"unknown flow '{id}'", flows=[id])
        return self._flows.get(id)

    def __contains__(self, id) -> bool:
        return id in self._nodes or id in self._flows

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The network as a networkx MultiDiGraph (built on each call; attributes copied)."""
        g = nx.MultiDiGraph(name=self.name, period=self.period)
        nodes = self.node_frame()
        g.add_nodes_from((i, _clean(r)) for i, r in zip(nodes.index, nodes.to_dict("records")))
        flows = self.flow_frame()
        g.add_edges_from((r["source"], r["target"], i, _clean(r))
                         for i, r in zip(flows.index, flows.to_dict("records")))
        return g

    # -- whole-network operations --------------------------------------------------------
    def copy(self, name: str | None = None) -> Network:
        """An independent copy, in O(1): the tables are shared until either network changes
        a row (copy on write), so a copy is also a cheap snapshot."""
        new = Network(name or self.name, self.period, **self.meta)
        new.carriers = dict(self.carriers)
        new._nodes = self._nodes.copy()
        new._flows = self._flows.copy()
        return new

    def apply(self, scenario) -> Network:
        """A new network with the scenario's edits applied; this one is not changed."""
        return scenario.apply_to(self)

    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, flows: pd.DataFrame, carriers=None, *,
                    name: str = "network", period: str = "yr", origin_nodes=None,
                    origin_flows=None, **meta) -> Network:
        """A network from bulk tables: `nodes` with an id column or index (kind, layers, ...),
        `flows` with source, target, carrier and quantity/share/per_flow+per_ratio/unit/...,
        `carriers` a DataFrame or list of records (name, kind, unit, factors). Vectorised:
        millions of flows are fine; checks run when the network is compiled. origin_nodes /
        origin_flows: the file:line of each row, for messages."""
        net = cls(name, period, **meta)
        for rec in bulk.carrier_records(carriers) if carriers is not None else ():
            net.add_carrier(rec.pop("name"), origin=rec.pop("_origin", None), **rec)
        net._nodes = Table("node", bulk.node_frame(nodes, origin_nodes))
        net._flows = Table("flow", bulk.flow_frame(net, flows, origin_flows))
        return net


# -- records -----------------------------------------------------------------------------

def _clean(record: dict) -> dict:
    return {k: v for k, v in record.items() if not is_missing(v)}




def _node_record(id, kind, attrs: dict, origin, partial: bool = False) -> dict:
    where = f"node '{id}'"
    if kind not in NODE_KINDS:
        raise ModelError(f"{where}: kind '{kind}' is not one of {', '.join(NODE_KINDS)}",
                         nodes=[id], origin=origin)
    rec: dict = {"kind": kind}
    attrs = dict(attrs)
    costs = attrs.pop("costs", None)
    if costs is not None:
        if not isinstance(costs, Mapping):
            raise ModelError(f"{where}: costs must be a mapping of category to amount",
                             nodes=[id], origin=origin)
        for cat, amount in costs.items():
            if cat not in COST_CATEGORIES:
                raise ModelError(f"{where}: unknown cost category '{cat}'; use "
                                 f"{', '.join(COST_CATEGORIES)}", nodes=[id], origin=origin)
            rec[f"costs.{cat}"] = _amount(amount, "CNY", f"{where} cost {cat}", id, origin)
    for key in ("stage", "system"):
        if key in attrs and attrs[key] is not None:
            ok = allowed("node", key)
            if attrs[key] not in ok:
                raise ModelError(f"{where}: {key} '{attrs[key]}' is not one of "
                                 f"{', '.join(a for a in ok if a)}", nodes=[id], origin=origin)
    if "layers" in attrs and attrs["layers"] is not None:
        layers = attrs["layers"]
        if isinstance(layers, str):
            layers = [layers]
        attrs["layers"] = tuple(str(x) for x in layers)
    if "stock" in attrs and attrs["stock"] is not None:
        stock = attrs["stock"]
        attrs["stock"] = {"mass": float(stock)} if not isinstance(stock, Mapping) \
            else {str(k): float(v) for k, v in stock.items()}
    for key in ("lat", "lon", "co2", "tce"):
        if key in attrs and attrs[key] is not None:
            try:
                attrs[key] = float(attrs[key])
            except (TypeError, ValueError):
                raise ModelError(f"{where}: {key} must be a number, not {attrs[key]!r}",
                                 nodes=[id], origin=origin) from None
    for key in ("co2", "tce"):
        if attrs.get(key) is not None and attrs[key] < 0:
            raise ModelError(f"{where}: {key} {attrs[key]} is negative", nodes=[id], origin=origin)
    rec.update(attrs)
    if origin is not None:
        rec["_origin"] = origin
    return rec


def _amount(value, dim_unit: str, what: str, id, origin) -> float:
    if isinstance(value, str):
        mag, unit = units.split_quantity(value)
        value = mag * units.factor(unit or dim_unit, dim_unit)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a number, not {value!r}", origin=origin) from None
    if not math.isfinite(value):
        raise ModelError(f"{what} is {value}", origin=origin)
    return value


def _flow_record(fid, rec: dict, origin) -> dict:
    """Check and normalise one flow's attributes; strings with units become numbers."""
    where = f"flow '{fid}'"

    def fail(msg):
        raise ModelError(f"{where}: {msg}", flows=[fid], origin=origin)

    rec = {k: v for k, v in rec.items() if not is_missing(v)}
    per = rec.pop("per", None)
    if per is not None:
        if isinstance(per, Mapping):
            per = (per.get("flow"), per.get("ratio"))
        if not (isinstance(per, (tuple, list)) and len(per) == 2):
            fail(f"per must be (flow_id, ratio), not {per!r}")
        rec["per_flow"], rec["per_ratio"] = per[0], per[1]
    given = [k for k in ("quantity", "share", "per_flow") if rec.get(k) is not None]
    if len(given) > 1:
        fail(f"give one of quantity, share or per, not {' and '.join(given)}")
    unit = rec["unit"]
    if rec.get("quantity") is not None:
        q = _number(rec["quantity"], "quantity", fail)
        if q < 0:
            fail(f"quantity {q:g} {unit} is negative; flows run one way, "
                 f"add a flow in the other direction instead")
        rec["quantity"] = q
    if rec.get("share") is not None:
        s = _number(rec["share"], "share", fail)
        if not 0.0 <= s <= 1.0:
            fail(f"share {s:g} is not a transfer coefficient in [0, 1]")
        rec["share"] = s
    if rec.get("per_ratio") is not None:
        r = _number(rec["per_ratio"], "per ratio", fail)
        if r < 0:
            fail(f"per ratio {r:g} is negative")
        rec["per_ratio"] = r
    if rec.get("price") is not None:
        try:
            rec["price"] = units.per_unit(rec["price"], "CNY", unit, f"{where} price")
        except UnitError as exc:
            raise UnitError(str(exc), flows=[fid], origin=origin) from None
    for key in ("sigma", "share_sigma", "allocation_share"):
        if rec.get(key) is not None:
            v = _number(rec[key], key, fail)
            if v < 0:
                fail(f"{key} {v:g} is negative")
            rec[key] = v
    role = rec.get("role") or "product"
    if role not in ROLES:
        fail(f"role '{role}' is not one of {', '.join(ROLES)}")
    rec["role"] = role
    if origin is not None:
        rec["_origin"] = origin
    return rec


def _number(value, what, fail) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        fail(f"{what} must be a number, not {value!r}")
    if not np.isfinite(v):
        fail(f"{what} is {v}")
    return v
