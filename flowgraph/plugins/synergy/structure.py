"""Inter-technology synergy found on the graph: technologies that act on the same units, or whose
recoveries close loops through a common unit.

- footprint of a technology: the units (nodes other than sources and sinks) its edits touch:
  both ends of every flow it sets, scales, adds or removes, and every node it adds, sets or
  removes; carrier edits touch no unit;
- loop of a technology: for every flow it adds between two units (u -> v: a recovery, a reuse,
  a new connection), the units on the shortest way back v -> u through material and water flows
  (energy carriers excluded: they connect every consumer to the utilities), i.e. the shortest
  cycle the new flow closes. Flows it only re-sizes close no new loop.

Two technologies are linked structurally when their footprints share a unit ("one recovers what
the other uses", or both rework the same unit) or when their loops, in the network with both
applied, share a unit ("they sit on one loop").
"""

from __future__ import annotations

import networkx as nx

BOUNDARY = ("source", "sink")


def _kinds(net) -> dict:
    return net.node_frame()["kind"].to_dict()


def footprint(tech, base, net) -> set:
    """Units the technology's edits touch (in the base or in its own network)."""
    nodes: set = set()
    flows = {"base": base.flow_frame(), "tech": net.flow_frame()}
    for e in tech.scenario.edits:
        if e.op in ("set_flow", "scale_flow", "remove_flow"):
            for frame in flows.values():
                if e.target in frame.index:
                    nodes.update((frame.at[e.target, "source"], frame.at[e.target, "target"]))
            nodes.update(v for k, v in e.values.items() if k in ("source", "target"))
        elif e.op == "add_flow":
            nodes.update((e.values["source"], e.values["target"]))
        elif e.op in ("add_node", "set_node", "remove_node"):
            nodes.add(e.target)
    kinds = {**_kinds(base), **_kinds(net)}
    return {n for n in nodes if kinds.get(n) not in BOUNDARY}


def added_flows(tech, net) -> list:
    """Flows the technology adds that exist in `net`."""
    index = net.flow_frame().index
    out = []
    for e in tech.scenario.edits:
        if e.op != "add_flow":
            continue
        fid = e.target
        if fid is None:                              # the default id of an added flow
            fid = f"{e.values['source']}->{e.values['target']}:{e.values['carrier']}"
        if fid in index and fid not in out:
            out.append(fid)
    return out


def material_graph(net) -> nx.DiGraph:
    """Units joined by material and water flows (no energy carriers, no sources or sinks)."""
    f = net.flow_frame()
    kinds = _kinds(net)
    g = nx.DiGraph()
    for src, dst, car in zip(f["source"], f["target"], f["carrier"]):
        c = net.carriers.get(car)
        if c is not None and c.kind == "energy":
            continue
        if kinds.get(src) in BOUNDARY or kinds.get(dst) in BOUNDARY:
            continue
        g.add_edge(src, dst)
    return g


def loop(tech, net, graph=None) -> set:
    """Units on the shortest cycles closed by the flows the technology adds."""
    g = graph if graph is not None else material_graph(net)
    f = net.flow_frame()
    nodes: set = set()
    for fid in added_flows(tech, net):
        u, v = f.at[fid, "source"], f.at[fid, "target"]
        if u not in g or v not in g or not g.has_edge(u, v):
            continue
        try:
            path = nx.shortest_path(g, v, u)
        except nx.NetworkXNoPath:
            continue
        nodes.update(path)
    return nodes


def structural_links(techs, base, networks: dict, pair_networks: dict) -> dict:
    """{(key_a, key_b): {"shared": units both touch, "loop": units on both loops}} for every pair
    of technologies; `networks` by key, `pair_networks` by (key_a, key_b) (a pair that could
    not be combined falls back to each technology's own network)."""
    prints = {t.key: footprint(t, base, networks[t.key]) for t in techs}
    out = {}
    for i, a in enumerate(techs):
        for b in techs[i + 1:]:
            pair = pair_networks.get((a.key, b.key))
            if pair is not None:
                g = material_graph(pair)
                la, lb = loop(a, pair, g), loop(b, pair, g)
            else:
                la, lb = loop(a, networks[a.key]), loop(b, networks[b.key])
            out[(a.key, b.key)] = {"shared": sorted(prints[a.key] & prints[b.key]),
                                   "loop": sorted(la & lb)}
    return out


def footprints(techs, base, networks: dict) -> dict:
    """{key: sorted units} of every technology."""
    return {t.key: sorted(footprint(t, base, networks[t.key])) for t in techs}
