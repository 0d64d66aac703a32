"""Structure of a symbiosis network, as in food-web ecology (Layton, Bras & Weissburg 2016,
J. Industrial Ecology 20, 85-98): actors S, links L, link density L/S, connectance, degree
and betweenness centrality, keystone firms, cycles and cyclicity. Each is a function of a
solved Result (or of its Park); sources and sinks are the environment, not actors.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from .data import parameters
from .park import park


def actors(result) -> int:
    """S: the number of actors (firms; shared utilities without a firm count as their own)."""
    return park(result).S


def links(result) -> int:
    """L: the number of directed links, i.e. ordered pairs of actors with at least one
    exchange (several exchanges between the same pair in one direction are one link)."""
    return park(result).L


def exchanges(result) -> int:
    """The number of exchanges (flows between two different actors)."""
    return len(park(result).exchanges)


def link_density(result) -> float:
    """L / S: links per actor."""
    p = park(result)
    return p.L / p.S if p.S else float("nan")


def connectance(result, directed: bool = True) -> float:
    """Directed connectance L / S^2 (share of all possible directed links, self-loops
    included, as food-web ecology counts them), or with directed=False the undirected
    2 L_u / (S (S - 1)) with L_u the pairs of actors linked in either direction."""
    p = park(result)
    S = p.S
    if directed:
        return p.L / S ** 2 if S else float("nan")
    if S < 2:
        return float("nan")
    pairs = {frozenset(pair) for pair in zip(p.links["source"], p.links["target"])}
    return 2 * len(pairs) / (S * (S - 1))


def centrality(result) -> pd.DataFrame:
    """Per actor: in-, out- and total degree (links), degree centrality (degree / (S - 1),
    networkx), and betweenness centrality (share of shortest directed paths between other
    actors passing through it, normalised by (S - 1)(S - 2), networkx)."""
    p = park(result)
    g = p.graph()
    out = pd.DataFrame(index=p.actors)
    out["in_degree"] = pd.Series(dict(g.in_degree())).reindex(p.actors).fillna(0).astype(int)
    out["out_degree"] = pd.Series(dict(g.out_degree())).reindex(p.actors).fillna(0).astype(int)
    out["degree"] = out["in_degree"] + out["out_degree"]
    out["degree_centrality"] = pd.Series(nx.degree_centrality(g)).reindex(p.actors) \
        if p.S > 1 else 0.0
    out["betweenness"] = pd.Series(nx.betweenness_centrality(g)).reindex(p.actors)
    out.index.name = "firm"
    return out


def keystone_firms(result, degree_sd: float | None = None) -> list:
    """Actors whose degree is at least mean + k standard deviations of all actors' degrees
    (k from symbiosis_parameters.toml, [keystone] degree_sd) and above one: the hubs whose
    loss would unravel the network, ordered by degree, then betweenness."""
    k = parameters()["keystone"]["degree_sd"] if degree_sd is None else degree_sd
    c = centrality(result)
    if c.empty:
        return []
    deg = c["degree"].to_numpy(dtype=float)
    threshold = deg.mean() + k * deg.std()
    hit = c[(deg >= threshold) & (deg > 1)]
    return hit.sort_values(["degree", "betweenness"], ascending=False).index.tolist()


def cycles(result, limit: int = 10_000) -> list[list]:
    """The simple directed cycles among actors (each a list of actors), at most `limit`."""
    g = park(result).graph()
    out = []
    for cyc in nx.simple_cycles(g):
        out.append(cyc)
        if len(out) >= limit:
            break
    return out


def cyclicity(result) -> float:
    """The largest eigenvalue (spectral radius) of the actors' adjacency matrix (Fath &
    Halnes 2007; Layton et al. 2016): 0 when the links hold no cycle, 1 for simple cycles,
    above 1 when cycles interlock (more cycling pathways)."""
    a = park(result).adjacency()
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(np.linalg.eigvals(a))))


def network_metrics(result) -> dict:
    """Every structural metric as one dict (for reports and summary.json)."""
    p = park(result)
    cyc = cycles(p)
    return {
        "actors": p.S, "links": p.L, "exchanges": len(p.exchanges),
        "exchanges_with_unknown_quantity": int((~p.exchanges["known"]).sum()),
        "link_density": link_density(p), "connectance": connectance(p),
        "connectance_undirected": connectance(p, directed=False),
        "cycles": len(cyc), "cyclicity": cyclicity(p),
        "keystone_firms": keystone_firms(p),
    }
