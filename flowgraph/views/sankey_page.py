"""The Sankey on a page: every measure and grouping laid out here, drawn by sankey.js.

The page gets one JSON specification: for each node grouping (each node, stage, firm,
sector, system, node kind: those that group something) the nodes and the bundles of flows
(parallel flows of one carrier between two nodes summed), and for each pair of measure and
grouping a view: node boxes, label boxes and link bands from sankey_layout. The script draws
the view chosen in the page's menus (measure, grouping, bundling: each carrier, carrier
kind or one band per pair of nodes) without reloading; a measure with nothing to draw says
so in words. Columns stay the same for every measure of one grouping, so switching the
measure keeps nodes in place.
"""

from __future__ import annotations

import html
import itertools
import json
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..numbers import fmt
from .extract import measure, measures, view_data
from .palette import CARRIER_COLOURS, KIND_COLOURS, LOSS_COLOUR, NEUTRAL, group_colours
from .sankey_flows import ADDED, ADDS, flow_links
from .sankey_layout import (
    CAPTION,
    HEIGHT,
    LINE,
    WIDTH,
    columns,
    common_scale,
    group_sums,
    lay_out,
    own_scale,
    short_label,
)

#: above this many nodes, 'each node' is not offered (and 'auto' groups)
AGGREGATE_LIMIT = 150
GROUPINGS = {"node": "each node", "stage": "stage", "firm": "firm", "sector": "sector",
             "system": "system", "kind": "node kind"}
BUNDLES = {"carrier": "each carrier", "kind": "carrier kind", "pair": "one band per pair"}
MEASURE_TITLES = {"cost": "cost (all categories)", "cost_material": "cost: material",
                  "cost_energy": "cost: energy", "cost_system": "cost: system",
                  "cost_waste": "cost: waste management", "value": "sales value",
                  "tce": "standard coal", "co2": "CO2"}
_KIND_GROUPS = {"source": "sources", "sink": "sinks", "utility": "utilities",
                "process": "processes", "storage": "storage"}
_ids = itertools.count(1)


def sankey_spec(obj, measure_by: str = "mass", group_by: str | None = "auto",
                added: bool = True, width: float = WIDTH, height: float = HEIGHT,
                scales: dict | None = None) -> dict:
    """What the page script draws (see the module doc); `width`: of the drawing in px (the
    page scales it to its column, so it is best the column's width); `height`: at least
    this much for the flows (a page of its own gives them the window's height); `scales`:
    view ('measure|grouping') -> (px per unit, least slot) to draw it with instead of its
    own, so that several Sankeys (periods) share one scale (shared_scales)."""
    return _spec(obj, measure_by, group_by, added, (width, height), scales or {}, None)


def shared_scales(objs, measure_by: str = "mass", group_by: str | None = "auto",
                  added: bool = True, width: float = WIDTH, height: float = HEIGHT) -> dict:
    """One scale per view over several Sankeys (the periods of a run): view -> the
    (px per unit, least slot) every one of them fits, for sankey_spec(scales=...); a band
    twice as wide is twice as much in any of them."""
    found: dict = {}
    for obj in objs:
        _spec(obj, measure_by, group_by, added, (width, height), {}, found)
    return {key: common_scale(own) for key, own in found.items()}


def _spec(obj, measure_by, group_by, added, size, scales: dict, found: dict | None) -> dict:
    """sankey_spec; with `found`, each view's own scale is added to found[view] instead of
    laying the view out."""
    data = view_data(obj)
    names = [m for m in measures(data) if m != "quantity"]
    if measure_by not in names:
        measure(data, measure_by)                  # unknown names raise here, by name
        names.append(measure_by)
    per_flow = {m: flow_links(data, m, added) for m in names}
    offered = [m for m in names if len(per_flow[m])]
    groupings = _groupings(data.nodes)
    group = _initial_group(group_by, data.nodes, groupings)
    spec = {"name": data.name, "scenario": data.scenario,
            "initial": {"measure": measure_by, "group": group, "bundle": "carrier"},
            "measures": [{"name": m, "title": MEASURE_TITLES.get(m, m),
                          "unit": _unit(data, m)} for m in offered],
            "groups": [{"name": g, "title": GROUPINGS[g]} for g in groupings],
            "bundles": [{"name": b, "title": t} for b, t in BUNDLES.items()],
            "colours": {**CARRIER_COLOURS, "negative": LOSS_COLOUR, "mixed": NEUTRAL},
            "line": LINE, "caption": CAPTION, "grouping": {}, "views": {},
            "empty": {m: _empty_reason(data, m) for m in names if m not in offered}}
    inside = [g for g in (groupings if offered else [])
              if not _add_grouping(spec, data, g, groupings[g],
                                   {m: per_flow[m] for m in offered}, size, scales, found)]
    if inside and len(inside) < len(groupings):   # every flow inside a group: not offered
        spec["groups"] = [x for x in spec["groups"] if x["name"] not in inside]
        if spec["initial"]["group"] in inside:
            spec["initial"]["group"] = spec["groups"][0]["name"]
    for m in offered if len(inside) == len(groupings) else []:
        spec["empty"][m] = "Every flow lies inside one group: nothing flows between them."
    return spec


def _unit(data, m) -> str:
    return measure(data, m)[1]


def _groupings(nodes: pd.DataFrame) -> dict:
    """grouping -> node id -> group name (None for each node): the groupings that group
    something (fewer groups than nodes, at least two) and differ from one another."""
    out = {"node": None} if len(nodes) <= AGGREGATE_LIMIT else {}
    seen = set()
    for by in ("stage", "firm", "sector", "system", "kind"):
        vals = nodes[by].to_numpy(dtype=object)
        kinds = nodes["kind"].to_numpy(dtype=object)
        mapping = {str(i): (v if isinstance(v, str) and v else _KIND_GROUPS.get(k, str(k)))
                   for i, v, k in zip(nodes.index, vals, kinds)}
        if by == "kind":
            mapping = {str(i): _KIND_GROUPS.get(k, str(k)) for i, k in zip(nodes.index, kinds)}
        elif not any(isinstance(v, str) and v for v in vals):
            continue                               # nobody has one: not a grouping
        parts = frozenset(frozenset(i for i in mapping if mapping[i] == g)
                          for g in set(mapping.values()))
        if 2 <= len(parts) < len(nodes) and parts not in seen:
            seen.add(parts)
            out[by] = mapping
    return out or {"node": None}


def _initial_group(group_by, nodes, groupings) -> str:
    if group_by is None:
        group_by = "node"
    if group_by == "auto":
        if "node" in groupings:
            return "node"
        firms = nodes["firm"].dropna()
        group_by = "firm" if firms[firms != ""].nunique() >= 2 else "stage"
    if group_by not in GROUPINGS:
        from ..errors import FlowgraphError
        raise FlowgraphError(f"group_by '{group_by}' is not one of firm, stage, sector, kind, "
                             f"system")
    return group_by if group_by in groupings else next(iter(groupings))


def _empty_reason(data, m) -> str:
    """Why a measure draws nothing, in words."""
    if len(data.flows) == 0:
        return (f"Nothing to draw: the network has {len(data.nodes)} nodes and no flows, so "
                f"no Sankey diagram can be drawn.")
    amount, unit = measure(data, m)
    c = data.compiled
    inside = c.W[:, c.layers.index(m)] != 0 if m in c.layers else np.ones(len(amount), bool)
    unknown = int((np.isnan(amount) & inside).sum())
    zero = int((np.nan_to_num(amount) <= 0).sum()) - unknown
    parts = [f"{unknown} of the {len(amount)} flows have an unknown amount"] if unknown else []
    parts += [f"{zero} carry no {MEASURE_TITLES.get(m, m)}" if parts else
              f"none of the {len(amount)} flows carries any"] if zero else []
    return f"Nothing to draw in {MEASURE_TITLES.get(m, m)} ({unit}): {', '.join(parts)}."


def _node_table(data, mapping) -> pd.DataFrame:
    """Nodes of one grouping: shown label, full label, kind (source and sink only for
    boundary groups), colour."""
    nodes = data.nodes
    if mapping is None:
        ids = [str(i) for i in nodes.index]
        full = [lb if isinstance(lb, str) and lb else i for i, lb in zip(ids, nodes["label"])]
        table = pd.DataFrame({"full": full, "kind": nodes["kind"].to_numpy(dtype=object),
                              "colour": [KIND_COLOURS.get(k, NEUTRAL) for k in nodes["kind"]]},
                             index=ids)
    else:
        members = pd.Series(mapping).groupby(pd.Series(mapping)).groups
        kinds = nodes["kind"].astype(str).set_axis([str(i) for i in nodes.index])
        names = list(dict.fromkeys(mapping.values()))
        colours = group_colours([g for g in names if g not in _KIND_GROUPS.values()])
        colours.update({v: KIND_COLOURS[k] for k, v in _KIND_GROUPS.items() if v not in colours})
        rows = {}
        for g in names:
            ks = set(kinds[list(members[g])])
            kind = ks.pop() if len(ks) == 1 and ks <= {"source", "sink"} else "process"
            rows[g] = {"full": f"{g} ({len(members[g])} node{'s' * (len(members[g]) > 1)})",
                       "kind": kind, "colour": colours.get(g, NEUTRAL)}
        table = pd.DataFrame.from_dict(rows, orient="index")
    table.loc[ADDED] = {"full": f"{ADDED}: what the centres add themselves (system and "
                                f"waste-management cost, process emissions)",
                        "kind": "source", "colour": NEUTRAL}
    table["label"] = [g if mapping is not None else short_label(f)
                      for g, f in zip(table.index, table["full"])]
    twice = table["label"].duplicated(keep=False)
    table.loc[twice, "label"] = table.loc[twice, "full"]      # "Market" twice: say which
    table.loc[ADDED, "label"] = ADDED
    return table


def _bundles(links: pd.DataFrame, mapping) -> tuple[pd.DataFrame, int, float]:
    """Flows summed per (source, target, carrier, negative), after grouping, in the order
    they first appear; flows inside one group are left out (their count and amount are
    returned)."""
    src, tgt = links["source"].to_numpy(dtype=object), links["target"].to_numpy(dtype=object)
    if mapping is not None:
        group = {**mapping, ADDED: ADDED}
        src = np.array([group.get(n) for n in src], dtype=object)
        tgt = np.array([group.get(n) for n in tgt], dtype=object)
    value = links["value"].to_numpy(dtype=float)
    known = (src != None) & (tgt != None)  # noqa: E711 (a node no group has: left out)
    inside = known & (src == tgt)
    n_in, v_in = int(links["flows"].to_numpy()[inside].sum()), float(value[inside].sum())
    keep = np.flatnonzero(known & ~inside)
    keys = list(zip(src[keep], tgt[keep], links["carrier"].to_numpy(dtype=object)[keep],
                    links["negative"].to_numpy(dtype=bool)[keep].tolist()))
    code: dict = {}
    at = np.array([code.setdefault(k, len(code)) for k in keys], dtype=np.int64)
    first = np.unique(at, return_index=True)[1]
    recycle = links["recycle"].to_numpy(dtype=bool)[keep]
    flows = [[] for _ in code]
    for g, f in zip(at.tolist(), links["flow"].to_numpy(dtype=object)[keep]):
        flows[g].append(f)
    uniq = list(code)
    b = pd.DataFrame({"source": [k[0] for k in uniq], "target": [k[1] for k in uniq],
                      "carrier": [k[2] for k in uniq],
                      "negative": np.array([k[3] for k in uniq], dtype=bool),
                      "value": group_sums(at, value[keep], len(uniq)),
                      "kind": links["kind"].to_numpy(dtype=object)[keep][first],
                      "recycle": np.bincount(at, ~recycle, minlength=len(uniq)) == 0,
                      "flows": flows})
    return b, n_in, v_in


def _add_grouping(spec, data, g, mapping, per_flow, size, scales, found) -> bool:
    """The nodes, bundles and one view per measure of grouping g (drawn at scales[view]
    when given; only their own scales, into found, when found is a dict); False (nothing
    added) when every flow lies inside one of its groups."""
    nodes = _node_table(data, mapping)
    bundled = {m: _bundles(links, mapping) for m, links in per_flow.items()}
    if not any(len(b) for b, _, _ in bundled.values()):
        return False
    union = pd.concat([b.assign(value=b["value"] / b["value"].sum()) for b, _, _ in
                       bundled.values() if len(b)], ignore_index=True)
    keys = union.drop_duplicates(["source", "target", "carrier", "negative"])
    keys = keys.reset_index(drop=True)
    index = {k: i for i, k in enumerate(zip(keys["source"], keys["target"], keys["carrier"],
                                            keys["negative"]))}
    used = pd.unique(np.concatenate([keys["source"].to_numpy(), keys["target"].to_numpy()]))
    nodes = nodes.loc[[n for n in nodes.index if n in set(used)]]
    col = columns(nodes["kind"], union)
    flows = {k: [] for k in index}
    for b, _, _ in bundled.values():
        for key, fl in zip(zip(b["source"], b["target"], b["carrier"], b["negative"]),
                           b["flows"]):
            flows[key] = list(dict.fromkeys(flows[key] + list(fl)))
    pos = {n: i for i, n in enumerate(nodes.index)}
    spec["grouping"][g] = {
        "nodes": [[n, r.label, r.full, r.colour, r.kind] for n, r in nodes.iterrows()],
        "bundles": [[pos[s], pos[t], str(car), str(kind), bool(neg), _flow_text(flows[k])]
                    for k, (s, t, car, neg), kind in zip(index, index, keys["kind"])]}
    for m, (b, n_in, v_in) in bundled.items():
        key = f"{m}|{g}"
        if not len(b):
            continue
        if found is not None:
            found.setdefault(key, []).append(
                own_scale(nodes[["label", "kind"]], b, col, _unit(data, m), height=size[1]))
            continue
        spec["views"][key] = _view(data, m, g, nodes, b, col, index, pos, n_in, v_in, size,
                                   scales.get(key))
    return True


def _flow_text(flows: list) -> str:
    shown = ", ".join(map(str, flows[:8]))
    return shown + (f" and {len(flows) - 8} more" if len(flows) > 8 else "")


def _view(data, m, g, nodes, b, col, index, pos, n_in, v_in, size, scale=None) -> dict:
    """One measure in one grouping, laid out in size (width, least height of the flows),
    at `scale` (px per unit, least slot) or its own."""
    unit = _unit(data, m)
    lay = lay_out(nodes[["label", "kind"]], b, col, unit=unit, width=size[0], height=size[1],
                  scale=scale)
    notes = list(lay.notes)
    amount, _ = measure(data, m)
    unknown = int(np.isnan(amount).sum()) if m not in data.compiled.layers else int(
        (np.isnan(amount) & (data.compiled.W[:, data.compiled.layers.index(m)] != 0)).sum())
    if unknown:
        notes.append(f"{unknown} flow{'s' * (unknown > 1)} of unknown amount "
                     f"{'are' if unknown > 1 else 'is'} not drawn.")
    if n_in:
        notes.append(f"{n_in} flow{'s' * (n_in > 1)} inside a {GROUPINGS[g]} group "
                     f"({fmt(v_in)} {unit}) {'are' if n_in > 1 else 'is'} not drawn.")
    if m in ADDS and ADDED in lay.nodes.index:
        notes.append(f"'{ADDED}' carries what the centres add themselves, so what enters a "
                     f"centre leaves it.")
    n, k = lay.nodes, lay.links
    r1 = _round1
    return {
        "width": lay.width, "height": r1(lay.height),
        "nodes": [[pos[i], r1(x0), r1(y0), r1(x1), r1(y1), r1(a), r1(b_), r1(c), r1(d),
                   _num(vi), _num(vo)]
                  for i, x0, y0, x1, y1, a, b_, c, d, vi, vo in zip(
                      n.index, n["x0"], n["y0"], n["x1"], n["y1"], n["lx0"], n["ly0"],
                      n["lx1"], n["ly1"], n["in"], n["out"])],
        "links": [[index[key], _num(v), _num(dr), r1(sy), r1(ty), r1(w), int(f), side,
                   r1(xd), r1(yl), r1(xa)]
                  for key, v, dr, sy, ty, w, f, side, xd, yl, xa in zip(
                      zip(k["source"], k["target"], k["carrier"], k["negative"]), k["value"],
                      k["drawn"], k["sy"], k["ty"], k["w"], k["folded"], k["side"], k["xd"],
                      k["yl"], k["xa"])],
        "note": " ".join(notes)}


def _round1(v) -> float | None:
    v = float(v)
    return None if not np.isfinite(v) else round(v, 1)


def _num(v) -> float:
    return float(f"{float(v):.10g}")


# -- the page fragment --------------------------------------------------------------------

@cache
def assets() -> tuple[str, str]:
    """sankey.js and sankey.css."""
    root = resources.files("flowgraph") / "views"
    return ((root / "sankey.js").read_text(encoding="utf-8"),
            (root / "sankey.css").read_text(encoding="utf-8"))


def fragment(spec: dict) -> str:
    """The Sankey as an HTML fragment: tools, legend, note, drawing and its data (drawn by
    sankey.js, which the section carries)."""
    data = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = data.replace("</", "<\\/")
    first = spec["empty"].get(spec["initial"]["measure"]) if not spec["views"] else ""
    fallback = html.escape(first or "This Sankey diagram is drawn by a script: allow scripts "
                                    "to see it.")
    return (f'<div class="fg-sankey" id="fg-sankey-{next(_ids)}" data-rendered="0">'
            f'<div class="fg-sankey-tools"></div>'
            f'<div class="fg-sankey-note"></div>'
            f'<div class="fg-sankey-canvas"><p class="fg-sankey-empty">{fallback}</p></div>'
            f'<div class="fg-sankey-legend"></div>'
            f'<script type="application/json" class="fg-sankey-data">{data}</script></div>')


def about(spec: dict) -> str:
    """A line on what the diagram shows (the section's note)."""
    if not spec["views"]:
        return ""
    return ("Link widths are amounts in the chosen measure, values on the links in its unit; "
            "columns follow the flowsheet's order; links against it (recycles) run back "
            "below or above with an arrow. Hover for the flows and their full names.")
