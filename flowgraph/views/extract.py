"""What every view reads: the flows and nodes of a Network or Result, and flow measures.

A Result gives solved quantities and propagated cost, tce and CO2. A Network is solved
first; if its balances cannot be solved yet (under-determined while it is being built), the
view shows its structure with the quantities that are given and leaves the rest unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import BalanceError, FlowgraphError
from ..model.network import Network
from ..solvers.compiled import compile_network
from ..solvers.result import Result
from ..solvers.solver import Solver
from ..solvers.specs import KNOWN

#: attributes a view can measure flows by besides the balance layers, with their unit
ATTRIBUTE_UNITS = {"cost": "CNY", "cost_material": "CNY", "cost_energy": "CNY",
                   "cost_system": "CNY", "cost_waste": "CNY", "value": "CNY",
                   "tce": "tce", "co2": "t CO2"}
#: unit of each layer's amounts (element layers count tonnes of the element)
LAYER_UNITS = {"mass": "t", "energy": "GJ"}
NODE_COLUMNS = ("kind", "label", "firm", "sector", "stage", "system", "lat", "lon")


@dataclass
class ViewData:
    """Flows and nodes ready to draw. `flows` has source, target, carrier, kind, role,
    quantity, unit, cost, tce, co2, negative (NaN where unknown); `nodes` the node columns."""

    name: str
    scenario: str
    flows: pd.DataFrame
    nodes: pd.DataFrame
    compiled: object
    result: object = None
    note: str = ""
    given: pd.DataFrame | None = None   # the network's node table as given (the click panel)

    @property
    def solved(self) -> bool:
        return self.result is not None

    @property
    def tail(self) -> np.ndarray:
        return self.compiled.tail

    @property
    def head(self) -> np.ndarray:
        return self.compiled.head


def view_data(obj) -> ViewData:
    """ViewData of a Result, a Network (solved here if it can be) or anything that gives
    its base Result by `.result()` (a Case)."""
    if isinstance(obj, ViewData):
        return obj
    if not isinstance(obj, (Result, Network)) and callable(getattr(obj, "result", None)):
        obj = obj.result()                          # a Case: its base result
    if isinstance(obj, Result):
        return _from_result(obj)
    if isinstance(obj, Network):
        try:
            return _from_result(Solver(obj).solve())
        except BalanceError as exc:
            return _from_structure(obj, f"not solved ({exc.__class__.__name__}): only the "
                                        "given quantities are shown")
    raise FlowgraphError(f"a view needs a Network, Result or Case, not {type(obj).__name__}")


def _nodes(net, compiled) -> pd.DataFrame:
    nf = net.node_frame()
    frame = pd.DataFrame({k: (nf[k].to_numpy() if k in nf else np.full(len(nf), None))
                          for k in NODE_COLUMNS}, index=compiled.node_ids.copy())
    frame["kind"] = compiled.node_kind
    for k in ("lat", "lon"):
        frame[k] = pd.to_numeric(frame[k], errors="coerce")
    return frame


def _from_result(result) -> ViewData:
    f = result.flows
    flows = f[["source", "target", "carrier", "kind", "role", "quantity", "unit", "cost",
               "cost_material", "cost_energy", "cost_system", "cost_waste", "tce", "co2",
               "negative", "value", "label"]].copy()
    return ViewData(result.network.name, result.scenario, flows,
                    _nodes(result.network, result.compiled), result.compiled, result,
                    given=result.network.node_frame())


def _from_structure(net, note: str) -> ViewData:
    c = compile_network(net)
    ff = net.flow_frame()
    q = np.where(c.spec == KNOWN, c.value, np.nan)
    nan = np.full(c.n_flows, np.nan)
    flows = pd.DataFrame({
        "source": ff["source"].to_numpy(), "target": ff["target"].to_numpy(),
        "carrier": c.carrier, "kind": c.carrier_kind, "role": c.role, "quantity": q,
        "unit": c.unit, "cost": nan, "cost_material": nan, "cost_energy": nan,
        "cost_system": nan, "cost_waste": nan, "tce": nan, "co2": nan,
        "negative": c.negative, "value": q * np.nan_to_num(c.price, nan=0.0),
        "label": ff["label"].to_numpy() if "label" in ff else None}, index=c.flow_ids.copy())
    scenario = net.meta.get("scenario") or "base"
    return ViewData(net.name, scenario, flows, _nodes(net, c), c, None, note,
                    given=net.node_frame())


def measures(data: ViewData) -> list[str]:
    """The names `measure` accepts for this network: its layers, then the attributes."""
    return [*data.compiled.layers, *ATTRIBUTE_UNITS, "quantity"]


def measure(data: ViewData, name: str = "auto") -> tuple[np.ndarray, str]:
    """Amount of every flow in one measure and its unit.

    A balance layer (mass, energy, an element) gives the flow's amount in that layer (0 for
    flows outside it); cost, its categories, value, tce and co2 the propagated attribute;
    'quantity' the quantity in each flow's own unit; 'auto' the amount in each flow's own
    balance layer (t for material, GJ for energy), else its quantity."""
    c = data.compiled
    x = data.flows["quantity"].to_numpy(dtype=float)
    if name in c.layers:
        li = c.layers.index(name)
        return x * c.W[:, li], LAYER_UNITS.get(name, f"t {name}")
    if name in ATTRIBUTE_UNITS:
        return data.flows[name].to_numpy(dtype=float), ATTRIBUTE_UNITS[name]
    if name == "quantity":
        return x, "flow unit"
    if name == "auto":
        prim = c.primary
        w = np.where(prim >= 0, c.W[np.arange(c.n_flows), np.maximum(prim, 0)], 1.0)
        units = sorted({LAYER_UNITS.get(c.layers[p], "t") for p in set(prim.tolist()) if p >= 0},
                       key=lambda u: u != "t")
        if (prim < 0).any():
            units.append("flow unit")
        return x * w, " or ".join(units) or "flow unit"
    raise FlowgraphError(f"unknown measure '{name}'; use one of "
                         f"{', '.join(['auto', *measures(data)])}")


#: per cost measure: the column of the centres' own added costs (None: all of them)
_OWN_COST = {"cost": None, "cost_material": 0, "cost_energy": 1, "cost_system": 2,
             "cost_waste": 3}


def carried(obj, name: str = "mass") -> tuple[float, str]:
    """How much of a measure the flows carry in all (NaN counted as 0), with the centres'
    own additions for cost, tce and CO2, and the unit: 0 when a view of it would be empty."""
    data = view_data(obj)
    if len(data.flows) == 0:
        return 0.0, LAYER_UNITS.get(name, ATTRIBUTE_UNITS.get(name, ""))
    amount, unit = measure(data, name)
    total = float(np.nansum(np.abs(amount)))
    c = data.compiled
    if name in _OWN_COST and getattr(c, "node_costs", None) is not None:
        costs = np.asarray(c.node_costs, dtype=float)
        col = _OWN_COST[name]
        total += float(np.nansum(np.abs(costs if col is None else costs[:, col])))
    elif name in ("tce", "co2"):
        total += float(np.nansum(np.abs(np.asarray(getattr(c, f"node_{name}"), dtype=float))))
    return total, unit
