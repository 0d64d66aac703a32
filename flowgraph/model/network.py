"""The Network: nodes (quantity centres, utilities, sources, sinks, storage), carriers and flows.

Nodes and flows are stored column-wise (see tables.py); `Network.graph` gives the same
network as a networkx MultiDiGraph for graph algorithms. Building a network checks each item
as it comes; the whole is checked, vectorised, when it is compiled for solving.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

from ..errors import ModelError, UnitError
from . import bulk
from .carriers import Carrier, infer_carrier
from .records import check_keys, flow_place, flow_record, node_place, node_record, with_unit
from .schema import allowed, attributes, is_free
from .tables import Table, is_missing
from .values import Place, check_id, check_text, unit_text

NODE_KINDS = allowed("node", "kind")
ROLES = allowed("flow", "role")
ALLOCATIONS = allowed("node", "allocation")
#: node kinds that are the system boundary: they close no balance
BOUNDARY = frozenset({"source", "sink"})
#: keys add_flow takes as arguments: not among its free keywords
FLOW_ARGUMENTS = ("id", "source", "target", "carrier", "quantity", "unit", "share", "price",
                  "role")


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
    def add_carrier(self, name: str, kind: str = "material", unit: str | None = None, *,
                    origin: str | None = None, **factors) -> Carrier:
        """Declare a carrier with its unit and factors (tce, co2, price, density,
        energy_content, composition, layers, cost_category, label, and x_ keys of your own).

        A factor is a number per carrier unit or a string with units ('0.1229 kgce/kWh').
        Without a unit the carrier is measured in the default unit of its kind (t; GJ for
        energy carriers). Declaring a carrier again replaces it.
        """
        place = Place(f"carrier {name!r}", origin=origin)
        if not isinstance(name, str):
            raise place.error(f"name must be a string, not {name!r}")
        check_keys("carrier", factors, place, fixed=("name", "kind", "unit"))
        extra = {k: factors.pop(k) for k in list(factors) if is_free(k)}
        carrier = Carrier(name=name, kind=kind, unit=unit, origin=origin, extra=extra,
                          **factors)
        self.carriers[name] = carrier
        return carrier

    def carrier(self, name: str) -> Carrier:
        try:
            return self.carriers[name]
        except (KeyError, TypeError):
            raise ModelError(f"unknown carrier {name!r}") from None

    def set_carrier(self, name: str, **changes) -> Carrier:
        """Change factors of a declared carrier (a scenario edit)."""
        old = self.carrier(name)
        rec = old.to_record()
        rec.update(changes)
        rec.pop("name")
        return self.add_carrier(name, origin=old.origin, **rec)


    # -- nodes ---------------------------------------------------------------------------
    def add_node(self, id, kind: str = "process", *, origin: str | None = None, **attrs):
        """Add a node; attrs: label, firm, sector, stage, system, lat, lon, layers,
        allocation, costs={system, energy, material, waste_management}, co2, tce, stock,
        the attributes plugins read (docs/attributes.md) and x_ keys of your own.
        Returns the id."""
        check_id(id, "id", node_place(id, origin))
        if id in self._nodes:
            raise ModelError(f"duplicate node id '{id}'", nodes=[id], origin=origin)
        self._nodes.append(id, node_record(id, kind, attrs, origin))
        return id

    def set_node(self, id, **attrs) -> None:
        """Change attributes of a node (a scenario edit)."""
        self._require_node(id)
        record = self._nodes.get(id)
        kind = attrs.pop("kind", record.get("kind", "process"))
        self._nodes.set(id, node_record(id, kind, attrs, record.get("_origin")))

    def remove_node(self, id) -> list:
        """Remove a node and every flow touching it; returns the ids of the removed flows."""
        self._require_node(id)
        flows = self._flows.frame()
        gone = flows.index[(flows["source"] == id) | (flows["target"] == id)].tolist()
        self._flows.drop(gone)
        self._nodes.drop([id])
        return gone

    def _require_node(self, id, flow=None, origin=None) -> None:
        place = flow_place(flow, origin) if flow is not None else node_place(id, origin)
        check_id(id, "id" if flow is None else "source/target", place)
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
        place = flow_place(fid, origin)
        _check_ends(fid, source, target, carrier, unit, place)
        check_keys("flow", attrs, place, fixed=FLOW_ARGUMENTS)
        if fid in self._flows:
            raise ModelError(f"duplicate flow id '{fid}'", flows=[fid], origin=origin)
        self._require_node(source, fid, origin)
        self._require_node(target, fid, origin)
        quantity, unit = with_unit(quantity, unit, place)
        car, unit = self._flow_unit(carrier, unit, place)
        record = flow_record(fid, dict(source=source, target=target, carrier=carrier,
                                       quantity=quantity, unit=unit, share=share, per=per,
                                       price=price, role=role, **attrs), origin)
        self._flows.append(fid, record)
        self.carriers.setdefault(carrier, car)
        return fid

    def _flow_unit(self, carrier: str, unit: str | None, place: Place) -> tuple[Carrier, str]:
        """The flow's carrier (inferred, not yet declared, if the network has none of that
        name: it is added with the flow) and unit (default: the carrier's), of the carrier's
        dimension."""
        try:
            car = self.carriers.get(carrier) or infer_carrier(carrier, unit)
            unit = unit or car.unit
            car.check_unit(unit, place.text)
        except UnitError as exc:
            raise UnitError(str(exc), flows=place.flows, origin=place.origin) from None
        return car, unit

    def set_flow(self, id, **attrs) -> None:
        """Change a flow (a scenario edit). Setting one of quantity/share/per clears the
        other two; quantity=None with no share/per makes the flow unknown."""
        if id not in self._flows:
            raise ModelError(f"unknown flow '{id}'", flows=[id])
        rec = self._flows.get(id)
        origin = rec.pop("_origin", None)
        place = flow_place(id, origin)
        check_keys("flow", attrs, place, fixed=("id",))
        spec_keys = {"quantity", "share", "per"}
        if spec_keys & set(attrs):
            for k in ("quantity", "share", "per_flow", "per_ratio"):
                rec.pop(k, None)
        rec.update(attrs)
        if "per" in rec and rec["per"] is None:
            rec.pop("per")
        _check_ends(id, rec["source"], rec["target"], rec["carrier"], rec.get("unit"), place)
        for k in ("source", "target"):
            self._require_node(rec[k], id, origin)
        rec["quantity"] = with_unit(rec.get("quantity"), rec.get("unit"), place)[0]
        car, rec["unit"] = self._flow_unit(rec["carrier"], rec.get("unit"), place)
        new = flow_record(id, rec, origin)
        cleared = {k: None for k in attributes("flow") if k not in new and k != "id"}
        self._flows.set(id, {**cleared, **new})
        self.carriers.setdefault(rec["carrier"], car)

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
            origin = rec.pop("_origin", None)
            if "name" not in rec:
                raise ModelError("a carrier row needs a name", origin=origin)
            net.add_carrier(rec.pop("name"), origin=origin, **rec)
        net._nodes = Table("node", bulk.node_frame(nodes, origin_nodes))
        net._flows = Table("flow", bulk.flow_frame(net, flows, origin_flows))
        return net


# -- records -----------------------------------------------------------------------------

def _clean(record: dict) -> dict:
    return {k: v for k, v in record.items() if not is_missing(v)}


def _check_ends(fid, source, target, carrier, unit, place: Place) -> None:
    """The types of what a flow is made of, before any of it is used as a key."""
    check_id(fid, "id", place, "flow")
    check_id(source, "source", place)
    check_id(target, "target", place)
    check_text(carrier, "carrier", place)
    if unit is not None:
        unit_text(check_text(unit, "unit", place), place)
