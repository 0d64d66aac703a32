"""The edges of the graph view: flows bundled, their widths, labels, tooltips and curves.

Parallel flows of one carrier between the same two nodes (and of the same sort: a loss is
not bundled with a product, nor a recycle with a forward flow) are drawn as one edge with
their sum; its tooltip lists the members. Widths are linear in the amount within one unit
(t, GJ, a flow unit, CNY...) and each unit has its own scale, stated in the legend: a tonne
is never drawn against a gigajoule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..numbers import fmt, fmt_all
from .extract import LAYER_UNITS, ViewData
from .palette import CARRIER_COLOURS, LOSS_COLOUR, NEUTRAL

#: the widest edge of each unit, in px (and below that a floor, so every flow shows)
WIDTH_MAX = 14.0
WIDTH_MIN = 1.0
#: dense graphs: thinner edges so the nodes stay visible
DENSE_WIDTH_MAX = 5.0
#: significant digits of the values written on edges
LABEL_DIGITS = 3


@dataclass
class Edges:
    """Drawn edges: each is one flow or a bundle of parallel flows (positions in flow
    order in `members`, the first one in `first`)."""

    first: np.ndarray
    members: list
    tail: np.ndarray
    head: np.ndarray
    amount: np.ndarray          # the measure, summed (width)
    unit: np.ndarray            # the measure's unit per edge (one width scale per unit)
    value: np.ndarray           # what the edge label shows, summed
    value_unit: np.ndarray

    def __len__(self) -> int:
        return len(self.first)


def flow_units(data: ViewData, measure_by: str, unit: str) -> np.ndarray:
    """The unit of every flow's amount in the measure: per flow for 'auto' (its balance
    layer's unit, or its own unit outside the layers), else the measure's unit."""
    m = len(data.flows)
    if measure_by != "auto":
        return np.full(m, unit, dtype=object)
    c = data.compiled
    prim = np.asarray(c.primary)
    layer_unit = np.array([LAYER_UNITS.get(x, f"t {x}") for x in c.layers] or [""],
                          dtype=object)
    own = data.flows["unit"].to_numpy(dtype=object)
    return np.where(prim >= 0, layer_unit[np.maximum(prim, 0)], own)


def bundle(data: ViewData, amount, units, recycle, measure_by: str) -> Edges:
    """Group flows with the same tail, head, carrier, sign (negative product or not) and
    direction (recycle or not) into one edge each, summing amounts and values."""
    flows = data.flows
    m = len(flows)
    if measure_by == "auto":      # the label shows the quantity in the flow's own unit
        value = flows["quantity"].to_numpy(dtype=float)
        value_unit = flows["unit"].to_numpy(dtype=object)
    else:
        value, value_unit = np.asarray(amount, dtype=float), np.asarray(units, dtype=object)
    if m == 0:
        e = np.zeros(0, dtype=np.int64)
        return Edges(e, [], e, e, np.zeros(0), np.zeros(0, dtype=object), np.zeros(0),
                     np.zeros(0, dtype=object))
    key = pd.DataFrame({"t": data.tail, "h": data.head, "c": flows["carrier"].to_numpy(),
                        "n": flows["negative"].to_numpy(dtype=bool), "r": recycle})
    group = key.groupby(["t", "h", "c", "n", "r"], sort=False).ngroup().to_numpy()
    if len(np.unique(group)) == m:                        # nothing parallel: one edge a flow
        idx = np.arange(m)
        return Edges(idx, [np.array([j]) for j in idx], data.tail, data.head,
                     np.asarray(amount, dtype=float), np.asarray(units, dtype=object),
                     value, value_unit)
    order = np.argsort(group, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]
    members = np.split(order, starts[1:])
    first = order[starts]
    rank = np.argsort(first, kind="stable")               # edges in the order of their flows
    members = [members[i] for i in rank]
    first = first[rank]
    return Edges(first, members, data.tail[first], data.head[first],
                 _sums(amount, members), np.asarray(units, dtype=object)[first],
                 _sums(value, members), value_unit[first])


def _sums(v, members) -> np.ndarray:
    """Sum per group; unknown when every member is unknown."""
    v = np.asarray(v, dtype=float)
    return np.array([np.nansum(v[g]) if np.isfinite(v[g]).any() else np.nan for g in members])


def widths(amount, units, dense: bool = False) -> tuple[np.ndarray, list[dict]]:
    """Edge widths, linear in |amount| within each unit (the unit's largest edge gets the
    widest line, none is under WIDTH_MIN), and the scale of each unit for the legend."""
    a = np.abs(np.nan_to_num(np.asarray(amount, dtype=float), nan=0.0))
    units = np.asarray(units, dtype=object)
    top = DENSE_WIDTH_MAX if dense else WIDTH_MAX
    out = np.full(len(a), WIDTH_MIN)
    scales = []
    for u in pd.unique(units):
        sel = units == u
        big = a[sel].max(initial=0.0)
        if big <= 0:
            continue
        out[sel] = np.maximum(WIDTH_MIN, top * a[sel] / big)
        scales.append({"unit": str(u), "max": float(big), "px": top,
                       "floor": float(big * WIDTH_MIN / top), "count": int(sel.sum())})
    scales.sort(key=lambda s: -s["count"])
    return out, scales


#: what an edge says when its amount is not known (not given, not determined by balances)
UNKNOWN = "?"


def value_texts(edges: Edges) -> list[str]:
    """The label of each edge when values are shown: the value in its unit, UNKNOWN when
    the amount is not known (the tooltip says so in words)."""
    nums = fmt_all(edges.value, digits=LABEL_DIGITS, nan=UNKNOWN)
    return [UNKNOWN if v == UNKNOWN else f"{v} {u}".strip()
            for v, u in zip(nums, edges.value_unit)]


def edge_ids(data: ViewData, edges: Edges) -> list[str]:
    """A flow's id for one flow; for a bundle its first flow's id and how many more."""
    ids = data.flows.index.astype(str).to_numpy()
    return [ids[g[0]] if len(g) == 1 else f"{ids[g[0]]} + {len(g) - 1} more"
            for g in edges.members]


def edge_records(data: ViewData, edges: Edges, node_ids, labels, recycle, smooth, *,
                 dense: bool, label_mode: str) -> tuple[list[dict], list[dict]]:
    """vis-network edge records (width linear per unit, colour by carrier kind, red for
    negative products, dashed for recycle, label by `label_mode`) and the width scales."""
    flows = data.flows
    width, scales = widths(edges.amount, edges.unit, dense)
    first = edges.first
    negative = flows["negative"].to_numpy(dtype=bool)[first]
    ckind = flows["kind"].to_numpy(dtype=object)[first]
    colour = np.where(negative, LOSS_COLOUR, [CARRIER_COLOURS.get(k, NEUTRAL) for k in ckind])
    carriers = flows["carrier"].to_numpy(dtype=object)[first].astype(str)
    ids = edge_ids(data, edges)
    titles = edge_titles(data, edges, labels)
    values = value_texts(edges)
    flow_ids = data.flows.index.astype(str).to_numpy()
    out = []
    for j in range(len(edges)):
        rec = {"id": ids[j], "from": node_ids[edges.tail[j]], "to": node_ids[edges.head[j]],
               "title": titles[j],
               "color": {"color": colour[j], "highlight": "#111111", "hover": "#111111",
                         "opacity": 0.45 if dense else 0.85},
               "width": round(float(width[j]), 2), "dashes": bool(recycle[first[j]]),
               "carrier": carriers[j], "amount": values[j], "arrows": "to"}
        if len(edges.members[j]) > 1:
            rec["members"] = flow_ids[edges.members[j]].tolist()
        if smooth[j] is not None:
            rec["smooth"] = smooth[j]
        text = edge_label(label_mode, carriers[j], values[j])
        if text:
            rec["label"] = text
        out.append(rec)
    return out, scales


def edge_label(mode: str, carrier: str, value: str) -> str:
    return {"carrier": carrier, "value": value, "both": f"{carrier} {value}"}.get(mode, "")


def edge_titles(data: ViewData, edges: Edges, labels) -> list[str]:
    """Tooltips: a flow's name, carrier, ends, quantity, cost, tce and CO2; a bundle's
    carrier, ends, sum and members."""
    f = data.flows
    ids = f.index.astype(str).to_numpy()
    name = np.array([lb if isinstance(lb, str) and lb else fid
                     for fid, lb in zip(ids, f["label"].to_numpy(dtype=object))], dtype=object)
    q, cost, tce, co2 = (np.array(fmt_all(f[c].to_numpy())) for c in
                         ("quantity", "cost", "tce", "co2"))
    carrier, kind, role, unit = (f[c].to_numpy(dtype=object) for c in
                                 ("carrier", "kind", "role", "unit"))
    out = []
    for j, g in enumerate(edges.members):
        i = g[0]
        ends = f"{labels[edges.tail[j]]} → {labels[edges.head[j]]}"
        if len(g) == 1:
            out.append(f"{name[i]}\n{carrier[i]} ({kind[i]}, {role[i]})\n{ends}\n"
                       f"quantity: {q[i]} {unit[i]}\ncost: {cost[i]} CNY\ntce: {tce[i]} tce\n"
                       f"CO2: {co2[i]} t")
            continue
        total = _sums(f["quantity"].to_numpy(dtype=float), [g])[0]
        parts = [f"{len(g)} flows of {carrier[i]} ({kind[i]}, {role[i]}), drawn as one",
                 ends, f"sum: {fmt(total)} {unit[i]}"]
        parts += [f"  {name[k]}: {q[k]} {unit[k]}" for k in g[:12]]
        if len(g) > 12:
            parts.append(f"  … {len(g) - 12} more")
        sums = _sums(f["cost"].to_numpy(dtype=float), [g])[0]
        parts.append(f"cost: {fmt(sums)} CNY")
        out.append("\n".join(parts))
    return out


def edge_smooth(tail, head, backward, bend, x, y, band=None) -> list:
    """Per-edge curve: parallel edges and edges running back get their own arc; an edge
    crossing columns bows towards the free rows the layout kept for it (vis-network's
    curvedCW bows to the left of the direction of travel, curvedCCW to the right); an
    edge between a utility band and the chain leaves and arrives vertically, one along a
    band past other nodes of the band bows away from the chain."""
    m = len(tail)
    out: list = [None] * m
    if m == 0:
        return out
    vertical = np.zeros(m, dtype=bool)
    if band is not None:
        band = np.asarray(band)
        vertical = band[tail] != band[head]
        for j in np.flatnonzero(vertical):
            out[j] = _detour(j, tail, head, x, y) or \
                {"enabled": True, "type": "cubicBezier", "forceDirection": "vertical",
                 "roundness": 0.5}
        for j in np.flatnonzero((band[tail] == band[head]) & (band[tail] != 0)):
            lo, hi = sorted((x[tail[j]], x[head[j]]))
            between = (band == band[tail[j]]) & (x > lo + 1) & (x < hi - 1)
            if between.any():
                up = band[tail[j]] < 0                   # the top band bows up
                right = x[head[j]] > x[tail[j]]
                kind = "curvedCW" if up == right else "curvedCCW"
                out[j] = {"enabled": True, "type": kind, "roundness": 0.25}
                vertical[j] = True
    pair = pd.DataFrame({"t": tail, "h": head})
    k = pair.groupby(["t", "h"]).cumcount().to_numpy()
    fwd = set(zip(tail.tolist(), head.tolist()))
    reverse = np.array([(h, t) in fwd for t, h in zip(tail.tolist(), head.tolist())])
    dx = x[head] - x[tail]
    length = np.hypot(dx, y[head] - y[tail])
    todo = ((k > 0) | reverse | backward | (np.abs(bend) > 20)) & ~vertical
    for j in np.flatnonzero(todo):
        if backward[j]:
            kind, rnd = "curvedCW", 0.45 + 0.1 * k[j]
        elif k[j] > 0 or reverse[j]:
            # parallel edges: a few pixels apart whatever their length
            kind = "curvedCW"
            rnd = min(0.3, (18.0 + 22.0 * k[j]) / (0.46 * max(length[j], 1.0)))
        else:
            kind = "curvedCW" if dx[j] * bend[j] < 0 else "curvedCCW"
            rnd = np.clip(abs(bend[j]) / (0.46 * max(length[j], 1.0)), 0.08, 0.3)
        out[j] = {"enabled": True, "type": kind, "roundness": round(float(rnd), 2)}
    return out


#: px either side of a straight band flow within which another node is in its way
IN_THE_WAY = 45.0


def _detour(j, tail, head, x, y) -> dict | None:
    """A band flow into a chain node below others of its column (or out of one) would run
    straight through them: it bows round them instead, to the side with fewer nodes near
    (None when nothing is in the way)."""
    t, h = tail[j], head[j]
    lo, hi = sorted((y[t], y[h]))
    span = hi - lo
    if span <= 0:
        return None
    along = (y - lo) / span
    line_x = x[t] + (x[h] - x[t]) * np.where(y[h] >= y[t], along, 1.0 - along)
    inside = (y > lo + 1.0) & (y < hi - 1.0)
    inside[[t, h]] = False
    if not (inside & (np.abs(x - line_x) < IN_THE_WAY)).any():
        return None
    near = inside & (np.abs(x - line_x) < 4 * IN_THE_WAY)
    right = bool((x[near] > line_x[near]).sum() <= (x[near] < line_x[near]).sum())
    down = y[h] > y[t]
    # curvedCW bows to the left of the direction of travel: going down, that is the right
    kind = "curvedCW" if right == down else "curvedCCW"
    return {"enabled": True, "type": kind, "roundness": 0.5}


def panel_flows(data: ViewData) -> list[list]:
    """Every flow for the click panel: id, name, tail and head (node positions), carrier,
    quantity (the one number format) and unit."""
    f = data.flows
    ids = f.index.astype(str).tolist()
    names = [lb if isinstance(lb, str) and lb else fid
             for fid, lb in zip(ids, f["label"].to_numpy(dtype=object))]
    q = fmt_all(f["quantity"].to_numpy(dtype=float))
    return [[i, nm, int(t), int(h), str(c), qq, str(u)]
            for i, nm, t, h, c, qq, u in zip(ids, names, data.tail.tolist(),
                                             data.head.tolist(), f["carrier"].to_numpy(),
                                             q, f["unit"].to_numpy())]
