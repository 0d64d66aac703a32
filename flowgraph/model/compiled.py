"""A network compiled to arrays: what the solvers read.

Compiling checks the whole network at once, vectorised (unknown nodes, duplicate ids,
units, shares over 1, dangling recipes, layers that cannot close) and converts every factor
to a number per flow unit, so solvers never touch pint or per-flow Python code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ModelError, UnitError, name_list
from .network import BOUNDARY, NODE_KINDS, ROLES, Network
from .schema import COST_CATEGORIES, NEGATIVE_ROLES, allowed

FREE, KNOWN, SHARE, PER = 0, 1, 2, 3
SPEC_NAMES = np.array(["unknown", "quantity", "share", "per"])
ALLOC_CODES = {name: i for i, name in enumerate(allowed("node", "allocation"))}
#: allocation by a balance layer other than mass and energy: code LAYER_KEY + layer index
LAYER_KEY = 16
DEFAULT_NODE_LAYERS = {"process": ("mass",), "storage": ("mass",), "utility": (),
                       "source": (), "sink": ()}
SHARE_TOL = 1e-9


@dataclass
class Compiled:
    """Arrays of one network; index i of a flow array is the i-th row of `flow_ids`."""

    network: Network
    node_ids: pd.Index
    node_kind: np.ndarray          # str per node
    flow_ids: pd.Index
    tail: np.ndarray               # node index of each flow's source
    head: np.ndarray               # node index of each flow's target
    spec: np.ndarray               # FREE, KNOWN, SHARE or PER
    value: np.ndarray              # known quantity (flow unit)
    share: np.ndarray
    per_index: np.ndarray          # flow index a recipe refers to, -1 if none
    ratio: np.ndarray
    layers: list[str]              # balance layer names: mass, energy, elements
    W: np.ndarray                  # (flows, layers): layer units per flow unit, 0 = not in it
    primary: np.ndarray            # layer index a share refers to, -1 if the flow is in none
    closed: np.ndarray             # (nodes, layers) bool: the balance must close
    stock: np.ndarray              # (nodes, layers): stock change
    price: np.ndarray              # CNY per flow unit, NaN if unknown
    tce: np.ndarray                # tce per flow unit, 0 if none
    co2: np.ndarray                # t CO2 per flow unit, 0 if none
    category: np.ndarray           # index into COST_CATEGORIES of a purchase
    role: np.ndarray               # str per flow
    negative: np.ndarray           # bool: negative product (loss, emission, waste)
    carrier: np.ndarray            # carrier name per flow
    carrier_kind: np.ndarray       # carrier kind per flow
    unit: np.ndarray               # unit per flow
    node_costs: np.ndarray         # (nodes, 4) by COST_CATEGORIES
    node_co2: np.ndarray
    node_tce: np.ndarray
    allocation: np.ndarray         # ALLOC_CODES per node
    allocation_share: np.ndarray
    node_origin: np.ndarray
    flow_origin: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_flows(self) -> int:
        return len(self.flow_ids)

    def layer_index(self, name: str) -> int:
        return self.layers.index(name)

    def where_flow(self, i: int) -> str:
        origin = self.flow_origin[i]
        return f" ({origin})" if isinstance(origin, str) else ""

    def where_node(self, n: int) -> str:
        origin = self.node_origin[n]
        return f" ({origin})" if isinstance(origin, str) else ""

    def flow_names(self, idx, limit: int = 8) -> str:
        """Flow ids with the file:line they came from, for messages."""
        idx = np.asarray(idx)
        shown = ", ".join(f"'{self.flow_ids[i]}'{self.where_flow(i)}" for i in idx[:limit])
        return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")

    def node_names(self, idx, limit: int = 8) -> str:
        idx = np.asarray(idx)
        shown = ", ".join(f"'{self.node_ids[i]}'{self.where_node(i)}" for i in idx[:limit])
        return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def compile_network(net: Network) -> Compiled:
    """Check `net` as a whole and convert it to arrays; raises ModelError naming the items."""
    nodes = net.node_frame()
    flows = net.flow_frame()
    node_ids, flow_ids = nodes.index, flows.index
    _no_duplicates(node_ids, "node")
    _no_duplicates(flow_ids, "flow")
    n_origin = _origins(nodes)
    f_origin = _origins(flows)

    kind = nodes["kind"].fillna("process").to_numpy(dtype=object)
    bad = ~np.isin(kind, NODE_KINDS)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ModelError(f"node '{node_ids[i]}': kind '{kind[i]}' is not one of "
                         f"{', '.join(NODE_KINDS)}", nodes=[node_ids[i]], origin=n_origin[i])

    tail = node_ids.get_indexer(flows["source"])
    head = node_ids.get_indexer(flows["target"])
    for arr, col in ((tail, "source"), (head, "target")):
        if (arr < 0).any():
            idx = np.flatnonzero(arr < 0)
            missing = flows[col].to_numpy()[idx]
            raise ModelError(f"flow '{flow_ids[idx[0]]}' refers to unknown node "
                             f"'{missing[0]}'" + (f" ({len(idx)} flows refer to unknown nodes: "
                                                  f"{name_list(pd.unique(missing))})" if len(idx) > 1 else ""),
                             nodes=list(pd.unique(missing)), flows=list(flow_ids[idx]),
                             origin=f_origin[idx[0]])

    spec, value, share, per_index, ratio = _specs(flows, flow_ids, f_origin)
    role = flows["role"].fillna("product").to_numpy(dtype=object)
    bad = ~np.isin(role, ROLES)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ModelError(f"flow '{flow_ids[i]}': role '{role[i]}' is not one of {', '.join(ROLES)}",
                         flows=[flow_ids[i]], origin=f_origin[i])

    carrier = flows["carrier"].to_numpy(dtype=object)
    unit = flows["unit"].to_numpy(dtype=object)
    layers = _layer_names(net, carrier)
    conv = _carrier_unit_factors(net, carrier, unit, layers, flow_ids, f_origin)
    W, primary, tce, co2, cprice, category, ckind = conv

    price = flows["price"].to_numpy(dtype=float).copy()
    missing_price = np.isnan(price)
    price[missing_price] = cprice[missing_price]

    closed, stock = _node_layers(nodes, kind, layers, node_ids, n_origin)
    allocation = _allocation_codes(nodes, layers, node_ids, n_origin)
    node_costs = np.column_stack([nodes[f"costs.{c}"].fillna(0.0).to_numpy(float)
                                  for c in COST_CATEGORIES]) if len(nodes) else np.zeros((0, 4))
    comp = Compiled(
        network=net, node_ids=node_ids, node_kind=kind, flow_ids=flow_ids,
        tail=tail.astype(np.int64), head=head.astype(np.int64), spec=spec, value=value,
        share=share, per_index=per_index, ratio=ratio, layers=layers, W=W, primary=primary,
        closed=closed, stock=stock, price=price, tce=tce, co2=co2, category=category,
        role=role, negative=np.isin(role, list(NEGATIVE_ROLES)), carrier=carrier,
        carrier_kind=ckind, unit=unit, node_costs=node_costs,
        node_co2=nodes["co2"].fillna(0.0).to_numpy(float),
        node_tce=nodes["tce"].fillna(0.0).to_numpy(float), allocation=allocation,
        allocation_share=flows["allocation_share"].to_numpy(float),
        node_origin=n_origin, flow_origin=f_origin)
    _check_shares(comp)
    _check_closed_layers(comp)
    return comp


# -- pieces ------------------------------------------------------------------------------

def _origins(frame: pd.DataFrame) -> np.ndarray:
    if "_origin" in frame.columns:
        return frame["_origin"].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def _no_duplicates(index: pd.Index, what: str) -> None:
    if not index.is_unique:
        dup = pd.unique(index[index.duplicated()])
        raise ModelError(f"duplicate {what} id(s) {name_list(dup)}",
                         **({"nodes": list(dup)} if what == "node" else {"flows": list(dup)}))


def _specs(flows, flow_ids, origin):
    n = len(flows)
    q = flows["quantity"].to_numpy(float)
    s = flows["share"].to_numpy(float)
    per_flow = flows["per_flow"].to_numpy(dtype=object)
    has_per = pd.notna(flows["per_flow"]).to_numpy()
    r = flows["per_ratio"].to_numpy(float)
    has_q, has_s = ~np.isnan(q), ~np.isnan(s)
    many = (has_q.astype(int) + has_s + has_per) > 1
    if many.any():
        i = np.flatnonzero(many)[0]
        raise ModelError(f"flow '{flow_ids[i]}': give one of quantity, share or per, not more",
                         flows=[flow_ids[i]], origin=origin[i])
    checks = [(has_q & (q < 0), "quantity {v:g} is negative", q),
              (has_s & ((s < 0) | (s > 1)), "share {v:g} is not a transfer coefficient in [0, 1]", s),
              (has_per & ~(r >= 0), "per ratio {v} must be a number >= 0", r)]
    for bad, msg, vals in checks:
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise ModelError(f"flow '{flow_ids[i]}': " + msg.format(v=vals[i]),
                             flows=[flow_ids[i]], origin=origin[i])
    spec = np.full(n, FREE, dtype=np.int8)
    spec[has_q], spec[has_s], spec[has_per] = KNOWN, SHARE, PER
    per_index = np.full(n, -1, dtype=np.int64)
    if has_per.any():
        per_index[has_per] = flow_ids.get_indexer(per_flow[has_per])
        dangling = has_per & (per_index < 0)
        if dangling.any():
            i = np.flatnonzero(dangling)[0]
            raise ModelError(f"flow '{flow_ids[i]}' is per '{per_flow[i]}', which is not a flow",
                             flows=[flow_ids[i]], origin=origin[i])
    return spec, np.where(has_q, q, 0.0), np.where(has_s, s, 0.0), per_index, np.where(has_per, r, 0.0)


def _layer_names(net: Network, carrier) -> list[str]:
    layers = ["mass", "energy"]
    for name in pd.unique(carrier):
        car = net.carriers.get(name)
        if car is None:
            continue
        layers += [lay for lay in car.balance_layers if lay not in layers]
    return layers


def _carrier_unit_factors(net, carrier, unit, layers, flow_ids, origin):
    """Per flow: layer weights, primary layer, tce, co2, price, cost category, carrier kind,
    computed once per distinct (carrier, unit) pair and broadcast."""
    n = len(carrier)
    keys = pd.MultiIndex.from_arrays([carrier, unit]) if n else pd.MultiIndex.from_arrays([[], []])
    codes, uniques = pd.factorize(keys) if n else (np.zeros(0, int), [])
    k = len(uniques)
    W_u = np.zeros((k, len(layers)))
    prim_u = np.full(k, -1, dtype=np.int64)
    tce_u, co2_u, price_u = np.zeros(k), np.zeros(k), np.full(k, np.nan)
    cat_u = np.zeros(k, dtype=np.int8)
    kind_u = np.empty(k, dtype=object)
    for j, (cname, uname) in enumerate(uniques):
        first = int(np.argmax(codes == j))
        car = net.carriers.get(cname)
        if car is None:
            raise ModelError(f"flow '{flow_ids[first]}': carrier '{cname}' is not declared",
                             flows=[flow_ids[first]], origin=origin[first])
        if not isinstance(uname, str):
            uname = car.unit
        try:
            car.check_unit(uname, f"flow '{flow_ids[first]}'")
            weights = car.weights(uname)
            to_carrier = _unit_ratio(uname, car.unit)
        except UnitError as exc:
            raise UnitError(str(exc), flows=[flow_ids[first]], origin=origin[first]) from None
        for lay, w in weights.items():
            W_u[j, layers.index(lay)] = w
        present = [layers.index(lay) for lay in car.balance_layers if lay in weights]
        prim_u[j] = present[0] if present else -1
        tce_u[j] = (car.tce or 0.0) * to_carrier
        co2_u[j] = (car.co2 or 0.0) * to_carrier
        price_u[j] = car.price * to_carrier if car.price is not None else np.nan
        cat_u[j] = COST_CATEGORIES.index(car.category)
        kind_u[j] = car.kind
    return (W_u[codes], prim_u[codes], tce_u[codes], co2_u[codes], price_u[codes],
            cat_u[codes], kind_u[codes])


def _unit_ratio(flow_unit: str, carrier_unit: str) -> float:
    from . import units
    return units.factor(flow_unit, carrier_unit)


def _node_layers(nodes, kind, layers, node_ids, origin):
    n, L = len(nodes), len(layers)
    closed = np.zeros((n, L), dtype=bool)
    stock = np.zeros((n, L))
    given = nodes["layers"].to_numpy(dtype=object)
    default = {k: [layers.index(x) for x in v] for k, v in DEFAULT_NODE_LAYERS.items()}
    for k in NODE_KINDS:
        rows = np.flatnonzero((kind == k) & pd.isna(nodes["layers"]).to_numpy())
        for li in default[k]:
            closed[rows, li] = True
    for i in np.flatnonzero(pd.notna(nodes["layers"]).to_numpy()):
        for lay in given[i]:
            if lay not in layers:
                raise ModelError(f"node '{node_ids[i]}': layer '{lay}' is not a balance layer; "
                                 f"layers here are {', '.join(layers)} (element layers come from "
                                 f"carrier compositions)", nodes=[node_ids[i]], origin=origin[i])
            closed[i, layers.index(lay)] = True
        if kind[i] in BOUNDARY and len(given[i]):
            raise ModelError(f"node '{node_ids[i]}' is a {kind[i]}: the system boundary closes "
                             f"no balance, so it cannot list layers", nodes=[node_ids[i]],
                             origin=origin[i])
    st = nodes["stock"].to_numpy(dtype=object)
    for i in np.flatnonzero(pd.notna(nodes["stock"]).to_numpy()):
        for lay, v in st[i].items():
            if lay not in layers:
                raise ModelError(f"node '{node_ids[i]}': stock of unknown layer '{lay}'",
                                 nodes=[node_ids[i]], origin=origin[i])
            stock[i, layers.index(lay)] = v
    return closed, stock


def _allocation_codes(nodes, layers, node_ids, origin) -> np.ndarray:
    """Allocation key per node: mass, energy, value, fixed, or any other balance layer (an
    element such as Fe), coded as ALLOC_CODES or LAYER_KEY + layer index."""
    names = nodes["allocation"].fillna("mass").to_numpy(dtype=object)
    codes = {**ALLOC_CODES, **{lay: LAYER_KEY + i for i, lay in enumerate(layers)
                               if lay not in ALLOC_CODES}}
    bad = ~np.isin(names, list(codes))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ModelError(f"node '{node_ids[i]}': allocation '{names[i]}' is not one of "
                         f"{', '.join(codes)}", nodes=[node_ids[i]], origin=origin[i])
    return pd.Series(names).map(codes).to_numpy(np.int16)


def _check_shares(c: Compiled) -> None:
    """Shares must refer to a layer, leave a node that has inflow there, and sum to <= 1."""
    sh = np.flatnonzero(c.spec == SHARE)
    if not len(sh):
        return
    nolayer = sh[c.primary[sh] < 0]
    if len(nolayer):
        i = nolayer[0]
        raise ModelError(f"flow '{c.flow_ids[i]}' has a share, but carrier '{c.carrier[i]}' in "
                         f"'{c.unit[i]}' counts in no balance layer, so there is no inflow to take "
                         f"a share of; give a quantity or per instead", flows=[c.flow_ids[i]],
                         origin=c.flow_origin[i])
    L = len(c.layers)
    key = c.tail[sh] * L + c.primary[sh]
    total = np.bincount(key, weights=c.share[sh], minlength=c.n_nodes * L)
    over = np.flatnonzero(total > 1.0 + SHARE_TOL)
    if len(over):
        node, lay = divmod(int(over[0]), L)
        members = sh[key == over[0]]
        raise ModelError(f"shares leaving node '{c.node_ids[node]}'{c.where_node(node)} in the "
                         f"{c.layers[lay]} layer sum to {total[over[0]]:.6g} > 1: "
                         f"{c.flow_names(members)}", nodes=[c.node_ids[node]],
                         flows=list(c.flow_ids[members]))
    inflow = np.zeros(c.n_nodes * L, dtype=bool)
    inc_f, inc_l = np.nonzero(c.W)
    inflow[c.head[inc_f] * L + inc_l] = True
    orphan = sh[~inflow[key]]
    if len(orphan):
        i = orphan[0]
        node = c.tail[i]
        raise ModelError(f"flow '{c.flow_ids[i]}'{c.where_flow(i)} is a share of the "
                         f"{c.layers[c.primary[i]]} inflow of node '{c.node_ids[node]}', but no "
                         f"{c.layers[c.primary[i]]} flow enters that node", nodes=[c.node_ids[node]],
                         flows=[c.flow_ids[i]])


def _check_closed_layers(c: Compiled) -> None:
    """A closed layer needs flows of that layer on both sides (or a stock change)."""
    L = len(c.layers)
    inc_f, inc_l = np.nonzero(c.W)
    has_in = np.zeros(c.n_nodes * L, dtype=bool)
    has_out = np.zeros(c.n_nodes * L, dtype=bool)
    has_in[c.head[inc_f] * L + inc_l] = True
    has_out[c.tail[inc_f] * L + inc_l] = True
    closed = c.closed.ravel()
    stock = c.stock.ravel() != 0
    explicit = np.zeros(c.n_nodes, dtype=bool)
    explicit[np.flatnonzero(pd.notna(c.network.node_frame()["layers"]).to_numpy())] = True
    explicit_rows = np.repeat(explicit, L)
    none = closed & ~has_in & ~has_out & ~stock & explicit_rows
    one_sided = closed & (has_in ^ has_out) & ~stock
    for bad, msg in ((none, "closes the {layer} layer but no {layer} flow touches it"),
                     (one_sided, "closes the {layer} layer but {layer} only {side} it; add its "
                                 "{other}, give a stock change, or leave {layer} out of its layers")):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            node, lay = divmod(k, L)
            side, other = ("enters", "outputs") if has_in[k] else ("leaves", "inputs")
            raise ModelError(f"node '{c.node_ids[node]}'{c.where_node(node)} " +
                             msg.format(layer=c.layers[lay], side=side, other=other),
                             nodes=[c.node_ids[node]])
