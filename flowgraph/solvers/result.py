"""The Result of solving a network: flow and node tables, the MFCA matrix, comparisons."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from ..model.network import ROLES
from .balance import CONSISTENCY_RTOL, Balance
from .compiled import Compiled
from .diagnosis import describe_structure, residual_table
from .propagate import ATTRIBUTES, COST_ATTRIBUTES, Propagation, propagate
from .specs import SPEC_NAMES

#: columns of Result.flows, in order (a contract: DESIGN.md section 9)
FLOW_COLUMNS = ("source", "target", "carrier", "kind", "role", "quantity", "unit", "cost",
                *ATTRIBUTES)
#: the first columns of Result.nodes: the nodes' own descriptions
NODE_INFO = ("kind", "label", "firm", "sector", "stage", "system")
#: the columns of Result.flows taken from the network as they are
FLOW_INFO = ("source", "target", "label")


def _node_info(c: Compiled) -> pd.DataFrame:
    """The descriptive columns of Result.nodes, as the table holds them."""
    nf = c.network.node_frame()
    return pd.DataFrame({k: nf[k].to_numpy() for k in NODE_INFO}, index=c.node_ids.copy())


def _flow_info(c: Compiled) -> pd.DataFrame:
    f = c.network.flow_frame()
    return pd.DataFrame({k: f[k].to_numpy() for k in FLOW_INFO}, index=c.flow_ids.copy())


class Result:
    """Solved quantities and propagated values of one network (one scenario), a snapshot:
    it holds the compiled arrays and a copy of the network as solved, so editing the network
    afterwards neither changes nor breaks it."""

    def __init__(self, compiled: Compiled, balance: Balance, values: Propagation,
                 scenario: str | None = None, timings: dict | None = None,
                 cache: dict | None = None):
        self.compiled = compiled
        self.balance = balance
        self.values = values
        self.scenario = scenario or compiled.network.meta.get("scenario") or "base"
        self.timings = timings or {}
        # the factorisations of the Solver that made this result (value flow of further
        # attributes reuses them); not pickled
        self._cache = cache

    @property
    def network(self):
        """The network as it was solved (a copy-on-write snapshot)."""
        return self.compiled.network

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = None
        return state

    def __repr__(self) -> str:
        c = self.compiled
        sold = (c.node_kind[c.head] == "sink") & ~c.negative
        return (f"<Result '{self.network.name}' [{self.scenario}]: {c.n_flows} flows, "
                f"cost of products sold {self.total('cost', mask=sold):,.6g} CNY>")

    def propagate(self, origins) -> Propagation:
        """Value flow of other attributes (Origins) on these quantities, reusing the value
        factorisation of the solve when it is still held."""
        return propagate(self.compiled, np.nan_to_num(self.balance.x, nan=0.0), origins,
                         cache=self._cache)

    @property
    def undetermined(self) -> pd.Index:
        """Ids of the flows the balances leave undetermined (NaN quantities; only a solve
        with strict=False returns them)."""
        mask = self.balance.undetermined
        return self.compiled.flow_ids[mask] if mask is not None else self.compiled.flow_ids[:0]

    @property
    def quantities(self) -> np.ndarray:
        """Flow quantities in flow units, in flow order (an array, for fast access)."""
        return self.balance.x

    # -- columns of the flows and nodes tables, read from the arrays --------------------------
    @property
    def static(self) -> Compiled:
        """The compiled arrays of the structure (ids, ends, kinds, carriers, specs): the
        same for every run of one network, so reading them builds nothing per run."""
        return self.compiled

    def flow_columns(self) -> list[str]:
        """The columns of `flows`, in order."""
        return [*FLOW_COLUMNS[:8], *self.values.names, "spec", "negative", "price", "value",
                "label"]

    def flow_index(self, fid) -> int:
        """Position of flow `fid` in the flow arrays, -1 if there is none."""
        try:
            return self.static.derive("flow_positions", _positions("flow_ids")).get(fid, -1)
        except TypeError:                       # an unhashable id names no flow
            return -1

    def node_index(self, nid) -> int:
        """Position of node `nid` in the node arrays, -1 if there is none."""
        try:
            return self.static.derive("node_positions", _positions("node_ids")).get(nid, -1)
        except TypeError:
            return -1

    def column(self, name: str, idx=None) -> np.ndarray:
        """A column of `flows` as an array (all flows, or the flows at positions `idx`),
        computed from the arrays without building the table. Value columns of a run are
        computed for the flows asked for only."""
        if "flows" in self.__dict__:
            values = self.flows[name].to_numpy()
            return values if idx is None else values[np.asarray(idx)]
        if idx is None:
            cache = self.__dict__.setdefault("_columns", {})
            if name not in cache:
                cache[name] = self._column(name, None)
            return cache[name]
        return self._column(name, np.asarray(idx, dtype=np.int64))

    def _column(self, name: str, idx) -> np.ndarray:
        s = self.static
        pick = (lambda a: a) if idx is None else (lambda a: a[idx])
        if name == "quantity":
            return pick(self.balance.x)
        names = list(self.values.names)
        if name in names:
            return self.values.column(names.index(name), idx)
        if name == "cost":
            parts = [self.values.column(names.index(a), idx) for a in COST_ATTRIBUTES]
            return ((parts[0] + parts[1]) + parts[2]) + parts[3]
        if name == "price":
            c = self.compiled
            return c.price if idx is None else c.prices(idx)
        if name == "value":
            return pick(self.balance.x) * np.nan_to_num(self._column("price", idx), nan=0.0)
        pair = {"carrier": s.pair_carrier, "kind": s.pair_kind, "unit": s.pair_unit}
        if name in pair:
            return pair[name][pick(s.pair)]
        if name == "role":
            return np.array(ROLES, dtype=object)[pick(s.role_code)]
        if name == "spec":
            return SPEC_NAMES[pick(s.spec)]
        if name == "negative":
            return pick(s.negative)
        if name in FLOW_INFO:
            return pick(s.derive("flow_info", _flow_info)[name].to_numpy())
        raise KeyError(name)

    def node_columns(self) -> list[str]:
        """The columns of `nodes`, in order."""
        layers = [f"{lay}_{col}" for lay in self._layers_shown() for col in ("in", "out", "residual")]
        per = [f"{n}_{col}" for n in self.values.names for col in ("in", "out", "retained")]
        return [*NODE_INFO, *layers, "cost_in", "cost_out", *per, "loss_cost"]

    def node_value(self, n: int, name: str):
        """Column `name` of `nodes` at node position n, from the arrays."""
        if "nodes" in self.__dict__:
            return self.nodes[name].to_numpy()[n]
        v = self.values
        names = list(v.names)
        cost = [names.index(a) for a in COST_ATTRIBUTES]
        if name in NODE_INFO:
            return self.static.derive("node_info", _node_info)[name].to_numpy()[n]
        if name in ("cost_in", "cost_out"):
            arr = v.node_in if name == "cost_in" else v.node_out
            return arr[n, cost].sum()
        if name == "loss_cost":
            return self._loss_cost()[n]
        base, _, part = name.rpartition("_")
        if base in names and part in ("in", "out", "retained"):
            arr = {"in": v.node_in, "out": v.node_out, "retained": v.retained}[part]
            return arr[n, names.index(base)]
        if base in self._layers_shown() and part in ("in", "out", "residual"):
            return self._layer_sums()[part][n, self.static.layers.index(base)]
        raise KeyError(name)

    def _loss_cost(self) -> np.ndarray:
        s = self.static
        neg = np.flatnonzero(s.negative)
        cost = self._column("cost", neg)
        return np.bincount(s.tail[neg], weights=cost, minlength=s.n_nodes)

    def _layer_sums(self) -> dict:
        """Per node and layer: in, out and residual as residual_table gives them (0 where
        the table has no row)."""
        if "_layers" not in self.__dict__:
            c = self.static
            L = len(c.layers)
            inc_f, inc_l, w = c.incidence
            wx = w * self.balance.x[inc_f]
            size = c.n_nodes * L
            head, tail = c.head[inc_f] * L + inc_l, c.tail[inc_f] * L + inc_l
            inflow = np.bincount(head, weights=wx, minlength=size)
            outflow = np.bincount(tail, weights=wx, minlength=size)
            stock = c.stock.ravel()
            keep = (np.bincount(head, minlength=size) + np.bincount(tail, minlength=size) > 0) \
                | c.closed.ravel()
            residual = inflow - outflow - stock
            residual[np.abs(residual) <= CONSISTENCY_RTOL * (np.abs(inflow) + np.abs(outflow)
                                                             + np.abs(stock))] = 0.0
            self.__dict__["_layers"] = {k: np.where(keep, a, 0.0).reshape(c.n_nodes, L)
                                        for k, a in (("in", inflow), ("out", outflow),
                                                     ("residual", residual))}
            self.__dict__["_layers_kept"] = keep.reshape(c.n_nodes, L).any(axis=0)
        return self.__dict__["_layers"]

    def _layers_shown(self) -> list[str]:
        self._layer_sums()
        kept = self.__dict__["_layers_kept"]
        return [lay for lay, k in zip(self.static.layers, kept) if k]

    @cached_property
    def flows(self) -> pd.DataFrame:
        """One row per flow: source, target, carrier, kind, role, quantity, unit, cost,
        cost_material, cost_energy, cost_system, cost_waste, tce, co2, then spec, negative,
        price and value (quantity x price, e.g. sales revenue on flows to sinks)."""
        c = self.compiled
        f = self.network.flow_frame()
        vals = self.values.flow
        cols = {
            "source": f["source"].to_numpy(), "target": f["target"].to_numpy(),
            "carrier": c.carrier, "kind": c.carrier_kind, "role": c.role,
            "quantity": self.balance.x, "unit": c.unit,
            "cost": vals[:, :len(COST_ATTRIBUTES)].sum(axis=1),
        }
        for j, name in enumerate(self.values.names):
            cols[name] = vals[:, j]
        cols["spec"] = SPEC_NAMES[c.spec]
        cols["negative"] = c.negative
        cols["price"] = c.price
        cols["value"] = self.balance.x * np.nan_to_num(c.price, nan=0.0)
        cols["label"] = f["label"].to_numpy()
        frame = pd.DataFrame(cols, index=c.flow_ids.copy())
        frame.index.name = "id"
        return frame

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """One row per node: kind, label, firm, stage, system; per layer in/out/residual;
        per attribute in (inflows plus own added), out, retained; loss_cost."""
        c = self.compiled
        frame = self.static.derive("node_info", _node_info).copy()
        frame.index.name = "id"
        res = self.residuals
        for layer in c.layers:
            sub = res[res["layer"] == layer].set_index("node")
            if sub.empty:
                continue
            for col in ("in", "out", "residual"):
                frame[f"{layer}_{col}"] = sub[col].reindex(frame.index).fillna(0.0).to_numpy()
        v = self.values
        names = list(v.names)
        cost_idx = [names.index(a) for a in COST_ATTRIBUTES]
        frame["cost_in"] = v.node_in[:, cost_idx].sum(axis=1)
        frame["cost_out"] = v.node_out[:, cost_idx].sum(axis=1)
        for j, name in enumerate(names):
            frame[f"{name}_in"] = v.node_in[:, j]
            frame[f"{name}_out"] = v.node_out[:, j]
            frame[f"{name}_retained"] = v.retained[:, j]
        frame["loss_cost"] = self._loss_cost()
        return frame

    @cached_property
    def residuals(self) -> pd.DataFrame:
        """In, out, stock and residual per node and balance layer (closed or not)."""
        return residual_table(self.compiled, self.balance.x)

    def mfca(self, **options) -> pd.DataFrame:
        """The MFCA flow-cost matrix: per quantity centre, positive and negative products by
        cost category (material, energy, system, waste management) and total."""
        from .mfca import flow_cost_matrix
        return flow_cost_matrix(self, **options)

    def total(self, column: str, mask=None, **where) -> float:
        """Sum of a flows column over the flows matching `where` (column=value or list)
        and the boolean `mask` (one entry per flow) if given."""
        n = self.static.n_flows
        mask = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        for col, want in where.items():
            mask &= np.isin(self.column(col),
                            want if isinstance(want, (list, tuple, set)) else [want])
        return float(np.nansum(self.column(column, np.flatnonzero(mask))))

    def structure(self) -> dict:
        """Counts of the balance system: knowns, shares, recipes, unknowns, equations."""
        return describe_structure(self.compiled, self.balance)

    def compare(self, other: Result, on: str = "flows") -> pd.DataFrame:
        """Differences to another result (other - self) on flows, nodes or totals."""
        return compare(self, other, on=on)


def compare(base: Result, other: Result, on: str = "flows") -> pd.DataFrame:
    """Side by side: base, other and delta (other - base) of every numeric column.

    on='flows' or 'nodes' matches rows by id (a row missing on one side counts as zero);
    on='totals' compares the totals of quantity-independent attributes."""
    if on == "totals":
        cols = ["cost", *ATTRIBUTES, "value"]
        a = base.flows.loc[base.flows["negative"], cols].sum()
        b = other.flows.loc[other.flows["negative"], cols].sum()
        pa = _purchases(base)[cols].sum()
        pb = _purchases(other)[cols].sum()
        rows = {"purchased": (pa, pb), "lost (negative products)": (a, b)}
        out = []
        for name, (x, y) in rows.items():
            out.append(pd.DataFrame({"base": x, "other": y, "delta": y - x}).assign(scope=name))
        return pd.concat(out).reset_index(names="attribute").set_index(["scope", "attribute"])
    if on not in ("flows", "nodes"):
        raise ValueError("on must be 'flows', 'nodes' or 'totals'")
    a = getattr(base, on).select_dtypes("number")
    b = getattr(other, on).select_dtypes("number")
    index = a.index.union(b.index, sort=False)
    a, b = a.reindex(index).fillna(0.0), b.reindex(index).fillna(0.0)
    cols = [c for c in a.columns if c in b.columns]
    return pd.concat({"base": a[cols], "other": b[cols], "delta": b[cols] - a[cols]}, axis=1)


def _purchases(r: Result) -> pd.DataFrame:
    f = r.flows
    kinds = r.network.node_frame()["kind"]
    return f[kinds.reindex(f["source"]).to_numpy() == "source"]


def _positions(ids: str):
    """A builder of {id: position} over the compiled arrays' `ids` (a dict lookup per
    query, built once per structure)."""
    return lambda c: dict(zip(getattr(c, ids).tolist(), range(len(getattr(c, ids)))))
