"""The Result of solving a network: flow and node tables, the MFCA matrix, comparisons."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from .balance import Balance
from .compiled import Compiled
from .diagnosis import describe_structure, residual_table
from .propagate import ATTRIBUTES, COST_ATTRIBUTES, Propagation, propagate
from .specs import SPEC_NAMES

#: columns of Result.flows, in order (a contract: DESIGN.md section 9)
FLOW_COLUMNS = ("source", "target", "carrier", "kind", "role", "quantity", "unit", "cost",
                *ATTRIBUTES)


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
        nf = self.network.node_frame()
        frame = pd.DataFrame({k: nf[k].to_numpy() for k in
                              ("kind", "label", "firm", "sector", "stage", "system")},
                             index=c.node_ids.copy())
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
        neg_cost = np.where(c.negative, v.flow[:, cost_idx].sum(axis=1), 0.0)
        frame["loss_cost"] = np.bincount(c.tail, weights=neg_cost, minlength=c.n_nodes)
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
        f = self.flows
        mask = np.ones(len(f), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        for col, want in where.items():
            vals = f[col].to_numpy()
            mask &= np.isin(vals, want if isinstance(want, (list, tuple, set)) else [want])
        return float(np.nansum(f[column].to_numpy()[mask]))

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
