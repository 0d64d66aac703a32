"""A network compiled to arrays: what the solvers read.

Compiling checks the whole network at once, vectorised (unknown nodes, duplicate ids,
units, shares over 1, dangling recipes, layers that cannot close) and converts every factor
to a number per flow unit, so solvers never touch pint or per-flow Python code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import ModelError, name_list
from ..model.network import BOUNDARY, NODE_KINDS, ROLES, Network
from ..model.schema import COST_CATEGORIES, NEGATIVE_ROLES, allowed
from .pairs import carrier_unit_pairs
from .specs import FREE, KNOWN, PER, SHARE
from .validation import check_closed_layers, check_shares

ALLOC_CODES = {name: i for i, name in enumerate(allowed("node", "allocation"))}
#: allocation by a balance layer other than mass and energy: code LAYER_KEY + layer index
LAYER_KEY = 16
DEFAULT_NODE_LAYERS = {"process": ("mass",), "storage": ("mass",), "utility": (),
                       "source": (), "sink": ()}
#: per-flow arrays a what-if may override (Compiled.overrides)
FLOW_OVERRIDES = ("price", "tce", "co2")
#: fields whose replacement changes the structure (derived arrays are then recomputed)
STRUCTURAL = {"network", "node_ids", "node_kind", "flow_ids", "tail", "head", "spec",
              "per_index", "layers", "pair", "pair_W", "pair_primary", "role_code",
              "negative", "closed", "allocation", "stock"}


@dataclass
class Compiled:
    """Arrays of one network; index i of a flow array is the i-th row of `flow_ids`.

    Per-flow facts that depend only on the flow's (carrier, unit) pair are kept once per
    pair (`pair_*` tables) with a code per flow; the per-flow arrays (W, tce, price,
    carrier, unit, role, ...) are expanded on first use, so a million-flow network does not
    carry a dozen full-length copies it may never read.
    """

    network: Network
    node_ids: pd.Index
    node_kind: np.ndarray          # str per node
    flow_ids: pd.Index
    tail: np.ndarray               # node index of each flow's source
    head: np.ndarray               # node index of each flow's target
    spec: np.ndarray               # FREE, KNOWN, SHARE or PER
    param: np.ndarray              # the known quantity, share or recipe ratio, by spec
    per_index: np.ndarray          # flow index a recipe refers to, -1 if none
    layers: list[str]              # balance layer names: mass, energy, elements
    pair: np.ndarray               # code of each flow's (carrier, unit) pair
    pair_W: np.ndarray             # (pairs, layers): layer units per flow unit, 0 = not in it
    pair_primary: np.ndarray       # layer a share refers to, -1 if the pair is in no layer
    pair_tce: np.ndarray           # tce per flow unit
    pair_co2: np.ndarray           # t CO2 per flow unit
    pair_price: np.ndarray         # carrier price per flow unit, NaN if none
    pair_category: np.ndarray      # index into COST_CATEGORIES
    pair_carrier: np.ndarray       # carrier name
    pair_kind: np.ndarray          # carrier kind
    pair_unit: np.ndarray          # unit
    flow_price: tuple              # (flow indices, prices) of flows with a price of their own
    role_code: np.ndarray          # index into ROLES
    negative: np.ndarray           # bool: negative product (loss, emission, waste)
    closed: np.ndarray             # (nodes, layers) bool: the balance must close
    stock: np.ndarray              # (nodes, layers): stock change
    node_costs: np.ndarray         # (nodes, 4) by COST_CATEGORIES
    node_co2: np.ndarray
    node_tce: np.ndarray
    allocation: np.ndarray         # ALLOC_CODES per node
    node_origin: np.ndarray
    flow_origin: np.ndarray | None
    extra: dict = field(default_factory=dict)
    #: per-flow arrays of a what-if (price, tce, co2) that override the per-pair tables
    overrides: dict = field(default_factory=dict)
    #: arrays derived from the structure alone (flows, nodes, specs, pairs), shared by every
    #: copy made by replaced() that keeps the structure
    derived: dict = field(default_factory=dict, repr=False)

    # -- per-flow views, computed once per instance (replaced() makes a new one) -------------
    @cached_property
    def value(self) -> np.ndarray:
        """Known quantity of each flow (flow unit), 0 where not known."""
        return np.where(self.spec == KNOWN, self.param, 0.0)

    @cached_property
    def share(self) -> np.ndarray:
        """Transfer coefficient of each flow, 0 where none."""
        return np.where(self.spec == SHARE, self.param, 0.0)

    @cached_property
    def ratio(self) -> np.ndarray:
        """Recipe ratio of each flow, 0 where none."""
        return np.where(self.spec == PER, self.param, 0.0)

    # -- per-flow views, expanded once when first read -------------------------------------
    @cached_property
    def W(self) -> np.ndarray:
        """(flows, layers): layer units per flow unit."""
        return self.pair_W[self.pair]

    @cached_property
    def primary(self) -> np.ndarray:
        return self.pair_primary[self.pair]

    @cached_property
    def tce(self) -> np.ndarray:
        return self.overrides.get("tce", self.pair_tce[self.pair])

    @cached_property
    def co2(self) -> np.ndarray:
        return self.overrides.get("co2", self.pair_co2[self.pair])

    @cached_property
    def price(self) -> np.ndarray:
        """CNY per flow unit: the flow's own price, else its carrier's; NaN if neither."""
        if "price" in self.overrides:
            return self.overrides["price"]
        out = self.pair_price[self.pair]
        idx, val = self.flow_price
        out[idx] = val
        return out

    @cached_property
    def category(self) -> np.ndarray:
        return self.pair_category[self.pair]

    @cached_property
    def carrier(self) -> np.ndarray:
        return self.pair_carrier[self.pair]

    @cached_property
    def carrier_kind(self) -> np.ndarray:
        return self.pair_kind[self.pair]

    @cached_property
    def unit(self) -> np.ndarray:
        return self.pair_unit[self.pair]

    @cached_property
    def role(self) -> np.ndarray:
        return np.array(ROLES, dtype=object)[self.role_code]

    @cached_property
    def allocation_share(self) -> np.ndarray:
        return self.network.flow_frame()["allocation_share"].to_numpy(float)

    def replaced(self, **arrays) -> Compiled:
        """A copy with some arrays replaced (a what-if run; this one is not changed): the
        per-flow views value, share and ratio go into `param`; price, tce and co2 become
        per-flow overrides of the per-pair tables; any field (node_costs, node_co2, ...) is
        replaced as it is. Arrays derived from the structure are shared with the copy
        unless a structural field is replaced."""
        own = {f.name for f in fields(self)}
        unknown = set(arrays) - own - {"value", "share", "ratio", *FLOW_OVERRIDES}
        if unknown:
            raise KeyError(f"Compiled has no array {sorted(unknown)}")
        changes = {k: v for k, v in arrays.items() if k in own}
        param = None
        for name, code in (("value", KNOWN), ("share", SHARE), ("ratio", PER)):
            if name in arrays:
                param = self.param.copy() if param is None else param
                sel = self.spec == code
                param[sel] = np.asarray(arrays[name])[sel]
        if param is not None:
            changes["param"] = param
        overrides = {name: np.asarray(arrays[name], dtype=float)
                     for name in FLOW_OVERRIDES if name in arrays}
        if overrides:
            changes["overrides"] = {**self.overrides, **overrides}
        if set(changes) & STRUCTURAL:
            changes["derived"] = {}
        return replace(self, **changes)

    def factor(self, name: str, idx) -> np.ndarray:
        """Per-unit tce or co2 of the flows `idx`, honouring per-flow overrides."""
        if name in self.overrides:
            return self.overrides[name][idx]
        return getattr(self, f"pair_{name}")[self.pair[idx]]

    def weight(self, layer: int, idx=None) -> np.ndarray:
        """Layer weight of the flows `idx` (all flows if None) without expanding W."""
        return self.pair_W[self.pair if idx is None else self.pair[idx], layer]

    def prices(self, idx) -> np.ndarray:
        """Prices of the flows `idx` (see price) without expanding the full array."""
        if "price" in self.overrides:
            return self.overrides["price"][idx]
        out = self.pair_price[self.pair[idx]]
        fi, fv = self.flow_price
        pos = pd.Index(fi).get_indexer(idx) if len(fi) else np.full(len(idx), -1)
        out[pos >= 0] = fv[pos[pos >= 0]]
        return out

    def derive(self, name: str, build):
        """An array derived from the structure alone (`build(self)`), built once and shared
        by the copies replaced() makes."""
        if name not in self.derived:
            self.derived[name] = build(self)
        return self.derived[name]

    def has_outflow(self) -> np.ndarray:
        """Per node: whether any flow leaves it (a node without one is an end use)."""
        return self.derive("has_outflow",
                           lambda c: np.bincount(c.tail, minlength=c.n_nodes) > 0)

    @cached_property
    def key_coefficients(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The allocation key weight of each flow at its source node is coef * quantity, or
        a fixed weight: (coef per flow, indices of fixed-weight flows, their weights). By the
        source node's key: mass or energy content, a layer (an element), the price
        (economic value, NaN counted 0) or the flow's allocation_share (fixed)."""
        code = self.allocation[self.tail]
        coef = np.zeros(self.n_flows)
        for name, layer in (("mass", "mass"), ("energy", "energy")):
            sel = np.flatnonzero(code == ALLOC_CODES[name])
            coef[sel] = self.weight(self.layer_index(layer), sel)
        sel = np.flatnonzero(code == ALLOC_CODES["value"])
        coef[sel] = np.nan_to_num(self.prices(sel), nan=0.0)
        sel = np.flatnonzero(code >= LAYER_KEY)
        coef[sel] = self.pair_W[self.pair[sel], code[sel] - LAYER_KEY]
        fixed = np.flatnonzero(code == ALLOC_CODES["fixed"])
        share = np.nan_to_num(self.allocation_share[fixed], nan=0.0) if len(fixed) else \
            np.zeros(0)
        return coef, fixed, share

    @property
    def incidence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(flow index, layer index, weight) of every flow's membership of a layer; the
        indices are kept, the weights looked up in the pair table on each call."""
        inc_f, inc_l = self._incidence_index
        return inc_f, inc_l, self.pair_W[self.pair[inc_f], inc_l]

    @cached_property
    def _incidence_index(self) -> tuple[np.ndarray, np.ndarray]:
        parts_f, parts_l = [], []
        for lay in range(len(self.layers)):
            col = self.pair_W[:, lay]
            if not col.any():
                continue
            f = np.flatnonzero(col[self.pair] != 0).astype(_index_type(self.n_flows))
            parts_f.append(f)
            parts_l.append(np.full(len(f), lay, dtype=np.int16))
        if not parts_f:
            return np.zeros(0, np.int64), np.zeros(0, np.int16)
        return np.concatenate(parts_f), np.concatenate(parts_l)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_flows(self) -> int:
        return len(self.flow_ids)

    def layer_index(self, name: str) -> int:
        return self.layers.index(name)

    def origin_of_flow(self, i: int) -> str | None:
        """The file:line flow i came from, or None (built in code or from bulk tables)."""
        return None if self.flow_origin is None else self.flow_origin[i]

    def origin_of_node(self, n: int) -> str | None:
        return None if self.node_origin is None else self.node_origin[n]

    def where_flow(self, i: int) -> str:
        origin = None if self.flow_origin is None else self.flow_origin[i]
        return f" ({origin})" if isinstance(origin, str) else ""

    def where_node(self, n: int) -> str:
        origin = None if self.node_origin is None else self.node_origin[n]
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
    bad = ~_member(kind, NODE_KINDS)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ModelError(f"node '{node_ids[i]}': kind '{kind[i]}' is not one of "
                         f"{', '.join(NODE_KINDS)}", nodes=[node_ids[i]], origin=_at(n_origin, i))

    tail = _ends(flows, "source", node_ids, flow_ids, f_origin)
    head = _ends(flows, "target", node_ids, flow_ids, f_origin)

    spec, param, per_index = _specs(flows, flow_ids, f_origin)
    role_code, role_names = pd.factorize(flows["role"].fillna("product").to_numpy(dtype=object))
    bad = ~_member(np.asarray(role_names, dtype=object), ROLES)
    if bad.any():
        i = int(np.flatnonzero(role_code == np.flatnonzero(bad)[0])[0])
        raise ModelError(f"flow '{flow_ids[i]}': role '{role_names[bad][0]}' is not one of "
                         f"{', '.join(ROLES)}", flows=[flow_ids[i]], origin=_at(f_origin, i))
    role_code = np.array([ROLES.index(r) for r in role_names], dtype=np.int8)[role_code]
    negative = np.isin(role_code, [ROLES.index(r) for r in NEGATIVE_ROLES])

    carrier = flows["carrier"].to_numpy(dtype=object)
    unit = flows["unit"].to_numpy(dtype=object)
    pair, tables = carrier_unit_pairs(net, carrier, unit, flow_ids, f_origin)
    del carrier, unit
    own_price = flows["price"].to_numpy(dtype=float)
    priced = np.flatnonzero(~np.isnan(own_price))

    closed, stock = _node_layers(nodes, kind, tables["layers"], node_ids, n_origin)
    allocation = _allocation_codes(nodes, tables["layers"], node_ids, n_origin)
    node_costs = np.column_stack([nodes[f"costs.{c}"].fillna(0.0).to_numpy(float)
                                  for c in COST_CATEGORIES]) if len(nodes) else np.zeros((0, 4))
    itype = _index_type(len(node_ids))
    comp = Compiled(
        network=net.copy(), node_ids=node_ids, node_kind=kind, flow_ids=flow_ids,
        tail=tail.astype(itype), head=head.astype(itype), spec=spec, param=param,
        per_index=per_index, pair=pair, **tables,
        flow_price=(priced, own_price[priced]), role_code=role_code, negative=negative,
        closed=closed, stock=stock, node_costs=node_costs,
        node_co2=nodes["co2"].fillna(0.0).to_numpy(float),
        node_tce=nodes["tce"].fillna(0.0).to_numpy(float), allocation=allocation,
        node_origin=n_origin, flow_origin=f_origin)
    check_shares(comp)
    check_closed_layers(comp)
    return comp


# -- pieces ------------------------------------------------------------------------------

def positions(index: pd.Index, values: np.ndarray) -> np.ndarray:
    """Position of each value in `index`, -1 if absent. Ids 0..n-1 in order (bulk tables)
    map directly, without hashing."""
    if (index.dtype.kind in "iu" and values.dtype.kind in "iu" and len(index)
            and index[0] == 0 and index[-1] == len(index) - 1
            and index.is_monotonic_increasing and index.is_unique):
        out = values.astype(np.int64, copy=True)
        out[(out < 0) | (out >= len(index))] = -1
        return out
    return index.get_indexer(values)


def _ends(flows, col, node_ids, flow_ids, origin) -> np.ndarray:
    """Node index of each flow's source or target; ModelError naming unknown nodes."""
    arr = positions(node_ids, flows[col].to_numpy())
    if (arr < 0).any():
        idx = np.flatnonzero(arr < 0)
        missing = flows[col].to_numpy()[idx]
        more = (f" ({len(idx)} flows refer to unknown nodes: {name_list(pd.unique(missing))})"
                if len(idx) > 1 else "")
        raise ModelError(f"flow '{flow_ids[idx[0]]}' refers to unknown node '{missing[0]}'"
                         + more, nodes=list(pd.unique(missing)), flows=list(flow_ids[idx]),
                         origin=_at(origin, idx[0]))
    return arr


def _member(values: np.ndarray, allowed) -> np.ndarray:
    """values in allowed, by hashing (np.isin sorts object arrays, which is slow)."""
    return pd.Series(values, dtype=object).isin(list(allowed)).to_numpy()


def _origins(frame: pd.DataFrame) -> np.ndarray | None:
    if "_origin" in frame.columns:
        return frame["_origin"].to_numpy(dtype=object)
    return None


def _at(origins, i):
    return None if origins is None else origins[i]      # NaN: FlowgraphError reads no place


def _index_type(n: int):
    return np.int32 if n < 2**31 - 1 else np.int64


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
                         flows=[flow_ids[i]], origin=_at(origin, i))
    checks = [(has_q & (q < 0), "quantity {v:g} is negative", q),
              (has_s & ((s < 0) | (s > 1)), "share {v:g} is not a transfer coefficient in [0, 1]", s),
              (has_per & ~(r >= 0), "per ratio {v} must be a number >= 0", r)]
    for bad, msg, vals in checks:
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise ModelError(f"flow '{flow_ids[i]}': " + msg.format(v=vals[i]),
                             flows=[flow_ids[i]], origin=_at(origin, i))
    spec = np.full(n, FREE, dtype=np.int8)
    spec[has_q], spec[has_s], spec[has_per] = KNOWN, SHARE, PER
    per_index = np.full(n, -1, dtype=np.int32 if n < 2**31 - 1 else np.int64)
    if has_per.any():
        per_index[has_per] = flow_ids.get_indexer(pd.Index(per_flow[has_per], dtype=object)
                                                  if flow_ids.dtype == object else per_flow[has_per])
        dangling = has_per & (per_index < 0)
        if dangling.any():
            i = np.flatnonzero(dangling)[0]
            raise ModelError(f"flow '{flow_ids[i]}' is per '{per_flow[i]}', which is not a flow",
                             flows=[flow_ids[i]], origin=_at(origin, i))
    param = np.where(has_q, q, 0.0)
    param[has_s] = s[has_s]
    param[has_per] = r[has_per]
    return spec, param, per_index


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
                                 f"carrier compositions)", nodes=[node_ids[i]], origin=_at(origin, i))
            closed[i, layers.index(lay)] = True
        if kind[i] in BOUNDARY and len(given[i]):
            raise ModelError(f"node '{node_ids[i]}' is a {kind[i]}: the system boundary closes "
                             f"no balance, so it cannot list layers", nodes=[node_ids[i]],
                             origin=_at(origin, i))
    st = nodes["stock"].to_numpy(dtype=object)
    for i in np.flatnonzero(pd.notna(nodes["stock"]).to_numpy()):
        for lay, v in st[i].items():
            if lay not in layers:
                raise ModelError(f"node '{node_ids[i]}': stock of unknown layer '{lay}'",
                                 nodes=[node_ids[i]], origin=_at(origin, i))
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
                         f"{', '.join(codes)}", nodes=[node_ids[i]], origin=_at(origin, i))
    return pd.Series(names).map(codes).to_numpy(np.int16)
