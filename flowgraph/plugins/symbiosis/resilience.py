"""Resilience by removal: what the park loses when one firm leaves (Chopra & Khanna 2014,
J. Environmental Management 141, 86-94, for the idea applied to Kalundborg).

For each firm: the links and exchanges it takes with it, the exchanged flow lost, what its
suppliers must send back to disposal (the exchanges it received), what its customers must
buy instead (the exchanges it supplied), the partners left with no link at all, and the
connectance after. The most critical firm is the one whose removal loses most links (ties:
most flow, then highest betweenness). `removal_scenario` gives the same removal as a
Scenario that can be solved.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from ...errors import ModelError
from ...model.scenario import Edit, Scenario
from .metrics import centrality
from .park import park


def resilience(result, layer: str = "mass") -> pd.DataFrame:
    """One row per firm: the effect of its leaving (flows in `layer` units; unknown
    quantities count as zero and are counted in `unknown_exchanges_lost`)."""
    p = park(result, layer)
    ex, lk = p.exchanges, p.links
    idx = p.actors
    S = p.S
    amt = ex["amount"].fillna(0.0)
    inbound = amt.groupby(ex["target"]).sum().reindex(idx, fill_value=0.0)
    outbound = amt.groupby(ex["source"]).sum().reindex(idx, fill_value=0.0)
    n_ex = (ex["source"].value_counts().reindex(idx, fill_value=0)
            + ex["target"].value_counts().reindex(idx, fill_value=0))
    unknown = ex[~ex["known"]]
    n_unknown = (unknown["source"].value_counts().reindex(idx, fill_value=0)
                 + unknown["target"].value_counts().reindex(idx, fill_value=0))
    links_lost = (lk["source"].value_counts().reindex(idx, fill_value=0)
                  + lk["target"].value_counts().reindex(idx, fill_value=0))
    total = float(amt.sum())
    g = p.graph().to_undirected()
    stranded, largest, conn_after = [], [], []
    for firm in idx:
        partners = set(g.neighbors(firm)) if firm in g else set()
        rest = g.subgraph([n for n in g.nodes if n != firm])
        alone = sorted(str(q) for q in partners if rest.degree(q) == 0)
        stranded.append(", ".join(alone))
        comps = [len(c) for c in nx.connected_components(rest)] if len(rest) else [0]
        largest.append(max(comps))
        remaining = p.L - int(links_lost[firm])
        conn_after.append(remaining / (S - 1) ** 2 if S > 1 else float("nan"))
    out = pd.DataFrame({
        "links_lost": links_lost.astype(int),
        "links_lost_share": links_lost / p.L if p.L else 0.0,
        "exchanges_lost": n_ex.astype(int),
        "unknown_exchanges_lost": n_unknown.astype(int),
        "flow_lost": inbound + outbound,
        "flow_lost_share": (inbound + outbound) / total if total > 0 else 0.0,
        "returned_to_disposal": inbound,
        "inputs_to_replace": outbound,
        "partners_stranded": [len(s.split(", ")) if s else 0 for s in stranded],
        "stranded": stranded,
        "largest_component_after": largest,
        "connectance_after": conn_after,
    }, index=idx)
    out["betweenness"] = centrality(p)["betweenness"].reindex(idx)
    out["unit"] = "t" if layer == "mass" else ("GJ" if layer == "energy" else layer)
    out.index.name = "firm"
    return out.sort_values(["links_lost", "flow_lost", "betweenness"], ascending=False)


def most_critical_firm(result, layer: str = "mass"):
    """The firm whose leaving loses most links (then most flow, then most betweenness)."""
    table = resilience(result, layer)
    return table.index[0] if len(table) else None


def removal_scenario(result, firm, disposal: str = "disposal", market: str = "market",
                     name: str | None = None) -> Scenario:
    """The firm leaves: its nodes and flows go; what its partners sent it goes to the sink
    `disposal` (same specification: quantity, share of the supplier's inflow, or unknown),
    and what it supplied them is bought from the source `market` (at the solved quantity).
    Missing disposal/market nodes are added."""
    p = park(result)
    net = p.result.network
    if firm not in p.actors:
        raise ModelError(f"removal: '{firm}' is not a firm of the park (firms: "
                         f"{', '.join(map(str, p.actors[:12]))})")
    nodes = net.node_frame()
    edits = []
    if disposal not in nodes.index:
        edits.append(Edit.add_node(disposal, kind="sink", label="disposal"))
    if market not in nodes.index:
        edits.append(Edit.add_node(market, kind="source", label="market"))
    ex = p.exchanges
    k = p.actors.get_loc(firm)
    mine = p.node_actor == k
    gone = set(p.result.compiled.flow_ids[mine[p.result.compiled.tail]
                                          | mine[p.result.compiled.head]])
    x = pd.Series(p.result.quantities, index=p.result.compiled.flow_ids)
    for fid, row in ex[ex["target"] == firm].iterrows():
        spec = _spec(net.flow(fid), x[fid], gone)
        edits.append(Edit.add_flow(row["source_node"], disposal, row["carrier"],
                                   role="waste", unit=row["unit"], **spec))
    for fid, row in ex[ex["source"] == firm].iterrows():
        q = x[fid]
        spec = {"quantity": float(q)} if np.isfinite(q) else {}
        edits.append(Edit.add_flow(market, row["target_node"], row["carrier"],
                                   unit=row["unit"], **spec))
    for node in np.asarray(net.node_frame().index)[mine]:
        edits.append(Edit.remove_node(node))
    return Scenario(name or f"without {firm}", edits, description=
                    f"{firm} leaves the park; its partners' exchanges with it go to "
                    f"'{disposal}' or are bought from '{market}'")


def _spec(flow: dict, solved: float, gone: set) -> dict:
    """The specification of a supplier's flow to a leaving firm, for its flow to disposal."""
    if flow.get("quantity") is not None:
        return {"quantity": float(flow["quantity"])}
    if flow.get("share") is not None:
        return {"share": float(flow["share"])}
    if flow.get("per_flow") is not None and flow["per_flow"] not in gone:
        return {"per": (flow["per_flow"], float(flow["per_ratio"]))}
    if flow.get("per_flow") is not None and np.isfinite(solved):
        return {"quantity": float(solved)}
    return {}
