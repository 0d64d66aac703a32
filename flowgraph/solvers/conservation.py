"""The one conservation checker every solver test calls (as networkx's validate_flows).

Laws checked on a solved Result:
- every closed balance layer closes at its node: in - out - stock = 0;
- every propagated attribute is conserved at every node: in = out + retained, with
  retained = 0 except at sinks (which absorb), storage, any node whose stock grows
  (the material put into stock keeps its share of the node's value, as MFCA books inventory),
  and end uses: nodes with no output (an energy consumer of an energy account, a park unit
  given by its own emissions), which hold what they receive or add;
- overall: what enters (purchases and own added amounts) = what sinks absorb + what storage
  keeps, per attribute;
- waste-management cost added at a node leaves on its negative products only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def conservation_violations(result, rtol: float = 1e-9) -> pd.DataFrame:
    """Every violated law as a row (law, where, attribute, residual, scale); empty if none."""
    c = result.compiled
    v = result.values
    rows = []
    res = result.residuals
    closed = res[res["closed"]]
    scale = np.maximum(closed["in"].abs(), closed["out"].abs()) + closed["stock"].abs()
    bad = closed["residual"].abs() > rtol * np.maximum(scale, 1.0)
    for _, r in closed[bad].iterrows():
        rows.append(("layer closes at node", r["node"], r["layer"], r["residual"], r["in"]))
    holds = np.isin(c.node_kind, ["sink", "storage"]) | (c.stock > 0).any(axis=1) | \
        ~c.has_outflow()                        # end uses hold what they receive or add
    for j, name in enumerate(v.names):
        sc = np.maximum(np.abs(v.node_in[:, j]), np.abs(v.node_out[:, j]))
        resid = v.node_in[:, j] - v.node_out[:, j] - v.retained[:, j]
        for n in np.flatnonzero(np.abs(resid) > rtol * np.maximum(sc, 1.0)):
            rows.append(("attribute in = out + retained", c.node_ids[n], name, resid[n], sc[n]))
        stuck = ~holds & (np.abs(v.retained[:, j]) > rtol * np.maximum(sc, 1.0))
        for n in np.flatnonzero(stuck):
            rows.append(("attribute passes through node", c.node_ids[n], name,
                         v.retained[n, j], sc[n]))
        entered = v.node_in[:, j].sum() - _scatter_sum(c.head, v.flow[:, j], c.n_nodes).sum()
        kept = v.retained[holds, j].sum()
        total_scale = max(abs(entered), abs(kept), 1.0)
        if abs(entered - kept) > rtol * total_scale * 10:
            rows.append(("attribute conserved overall", "(system)", name, entered - kept,
                         total_scale))
    if "cost_waste" in v.names:
        j = list(v.names).index("cost_waste")
        own = c.node_costs[:, 3]
        positive_out = ~c.negative
        incoming = _scatter_sum(c.head, v.flow[:, j], c.n_nodes)
        pos = _scatter_sum(c.tail[positive_out], v.flow[positive_out, j], c.n_nodes)
        # positive products carry at most the waste cost that came in from upstream
        over = pos - incoming
        for n in np.flatnonzero((own > 0) & (over > rtol * np.maximum(own, 1.0))):
            rows.append(("waste cost on negative products only", c.node_ids[n], "cost_waste",
                         over[n], own[n]))
    return pd.DataFrame(rows, columns=["law", "where", "attribute", "residual", "scale"])


def assert_conserved(result, rtol: float = 1e-9) -> None:
    """Raise AssertionError listing the violated laws, if any (for tests)."""
    bad = conservation_violations(result, rtol)
    if len(bad):
        raise AssertionError("conservation violated:\n" + bad.to_string(index=False))


def _scatter_sum(index, values, n):
    return np.bincount(index, weights=values, minlength=n)
