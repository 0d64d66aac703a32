"""The nodes of the graph view: colours, records, tooltips and what the click panel shows.

The panel's numbers are the Result's, formatted once here in the one number format: per
balance layer in, out, stock and residual (Result.residuals); costs in, out and the cost of
negative products (Result.nodes); the node's inflows and outflows come from the page's list
of flows; the node's own data as given (a unit's capacity and start year, its own costs, a
column of one's own), with the file and line it came from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.schema import lookup
from ..numbers import fmt, fmt_all
from .extract import ViewData
from .palette import KIND_COLOURS, NEUTRAL, UNCONNECTED, group_colours

#: node columns the panel shows as facts (or not at all), not among the data as given
FACT_COLUMNS = ("id", "kind", "label", "firm", "sector", "stage", "system", "_origin")
#: the panel's cost rows: (column in Result.nodes, name)
PANEL_COSTS = (("cost_in", "cost in"), ("cost_out", "cost out"),
               ("loss_cost", "cost of negative products (loss)"))


def node_colours(colour_by, kind, firm, firm_names):
    """Colour of every node and the legend entries (name, colour)."""
    if colour_by == "firm":
        fc = group_colours(firm_names)
        colours = [fc.get(f, NEUTRAL) if isinstance(f, str) else NEUTRAL for f in firm]
        legend = [(f, fc[f]) for f in firm_names]
        if any(not isinstance(f, str) or not f for f in firm):
            legend.append(("no firm (boundary)", NEUTRAL))
        return colours, legend
    colours = [KIND_COLOURS.get(k, NEUTRAL) for k in kind]
    return colours, [(k, KIND_COLOURS[k]) for k in KIND_COLOURS if k in set(kind)]


def node_records(data: ViewData, ids, labels, titles, size, colour, shapes, x, y, physics,
                 lonely, far) -> list[dict]:
    """vis-network node records. A node without flows gets a dashed red border; a far
    partner drawn at the map's border a dashed border in its colour."""
    kind = data.nodes["kind"].to_numpy(dtype=object)
    firm = data.nodes["firm"].to_numpy(dtype=object)
    border = {c: _darker(c) for c in set(colour)}
    out = []
    for j, nid in enumerate(ids):
        col = colour[j]
        rec = {"id": nid, "label": labels[j], "title": titles[j], "shape": shapes[j],
               "color": {"background": col, "border": border[col],
                         "highlight": {"background": col, "border": "#111111"},
                         "hover": {"background": col, "border": "#111111"}},
               "size": round(float(size[j]), 2), "x": round(float(x[j]), 1),
               "y": round(float(y[j]), 1), "kind": kind[j],
               "firm": firm[j] if isinstance(firm[j], str) else "", "physics": bool(physics)}
        if lonely[j]:
            rec["color"]["border"] = UNCONNECTED
            rec["borderWidth"] = 2.5
            rec["shapeProperties"] = {"borderDashes": [4, 3]}
            rec["unconnected"] = True
        elif far[j]:
            rec["shapeProperties"] = {"borderDashes": [6, 3]}
            rec["borderWidth"] = 2.5
            rec["far"] = True
        out.append(rec)
    return out


def node_titles(data: ViewData, ids, names, through, unit) -> list[str]:
    """Tooltips: name (id), kind, firm, sector, stage, system; balances in and out per
    layer, costs, tce and CO2 (given throughput when the network is not solved)."""
    nodes = data.nodes
    heads = [nm if nm == nid else f"{nm} ({nid})" for nid, nm in zip(ids, names)]
    facts = [[str(k)] for k in nodes["kind"].to_numpy()]
    for key in ("firm", "sector", "stage", "system"):
        for j, val in enumerate(nodes[key].to_numpy(dtype=object)):
            if isinstance(val, str) and val:
                facts[j].append(f"{key} {val}")
    lines = [[h, " · ".join(f)] for h, f in zip(heads, facts)]
    if data.result is None:
        for j, t in enumerate(fmt_all(through)):
            lines[j].append(f"throughput (given flows): {t} {unit}")
        return ["\n".join(x) for x in lines]
    res = data.result.nodes
    for layer, u in (("mass", "t"), ("energy", "GJ")):
        if f"{layer}_in" not in res:
            continue
        a_in, a_out = res[f"{layer}_in"].to_numpy(), res[f"{layer}_out"].to_numpy()
        for j, (i, o) in enumerate(zip(fmt_all(a_in), fmt_all(a_out))):
            if a_in[j] or a_out[j]:
                lines[j].append(f"{layer}: in {i} {u}, out {o} {u}")
    loss = res["loss_cost"].to_numpy()
    cols = [fmt_all(res[c].to_numpy()) for c in ("cost_in", "cost_out", "loss_cost", "tce_out",
                                                  "co2_out")]
    for j, (ci, co, lc, tce, co2) in enumerate(zip(*cols)):
        lines[j].append(f"cost: in {ci} CNY, out {co} CNY")
        if loss[j]:
            lines[j].append(f"cost of negative products: {lc} CNY")
        lines[j].append(f"tce out: {tce} tce; CO2 out: {co2} t")
    return ["\n".join(x) for x in lines]


def panel_data(data: ViewData, ids, names) -> dict:
    """What the click panel shows per node id: its full name and facts, its balances by
    layer (in, out, stock, residual, unit) and its costs (in, out, loss) in CNY; numbers
    formatted in the one number format."""
    nodes = data.nodes
    facts = {}
    for key in ("kind", "firm", "sector", "stage", "system"):
        vals = nodes[key].to_numpy(dtype=object)
        facts[key] = [v if isinstance(v, str) and v else "" for v in vals]
    info = {nid: {"name": nm, "facts": [[k, facts[k][j]] for k in facts if facts[k][j]]}
            for j, (nid, nm) in enumerate(zip(ids, names))}
    for nid, (rows, origin) in given_data(data.given).items():
        if nid in info:
            info[nid]["given"] = rows
            info[nid]["origin"] = origin
    if data.result is None:
        return {"nodes": info, "solved": False}
    res = data.result.residuals
    if len(res):
        shown = {c: fmt_all(res[c].to_numpy(dtype=float)) for c in ("in", "out", "stock",
                                                                   "residual")}
        for k, (node, layer, unit) in enumerate(zip(res["node"].astype(str), res["layer"],
                                                    res["unit"])):
            row = [str(layer), shown["in"][k], shown["out"][k], shown["stock"][k],
                   shown["residual"][k], str(unit)]
            info.setdefault(node, {"name": node, "facts": []}).setdefault("balances",
                                                                          []).append(row)
    rn = data.result.nodes
    costs = {c: fmt_all(rn[c].to_numpy(dtype=float)) for c, _ in PANEL_COSTS}
    for j, nid in enumerate(rn.index.astype(str)):
        info[nid]["costs"] = [[name, costs[c][j]] for c, name in PANEL_COSTS]
    return {"nodes": info, "solved": True, "cost_unit": "CNY"}


def given_data(frame: pd.DataFrame | None) -> dict:
    """Per node id: the values given for it beyond its facts ([name, text with unit] rows)
    and the file:line it came from (short: the file's name)."""
    if frame is None or not len(frame):
        return {}
    cols = [c for c in frame.columns if c not in FACT_COLUMNS]
    units = {c: _unit(c) for c in cols}
    origins = frame["_origin"] if "_origin" in frame else pd.Series(None, index=frame.index)
    out = {}
    for nid, row, origin in zip(frame.index.astype(str), frame[cols].itertuples(index=False),
                                origins):
        rows = [[c, _given_text(v, units[c])] for c, v in zip(cols, row) if _given(v)]
        where = str(origin).replace("\\", "/").rsplit("/", 1)[-1] if _given(origin) else ""
        if rows or where:
            out[nid] = (rows, where)
    return out


def _unit(column: str) -> str:
    """The declared unit of a node column, none for pure numbers and for years (a date,
    not a duration)."""
    unit = getattr(lookup("node", column), "unit", "") or ""
    return "" if unit in ("1", "-") or column.endswith("year") else unit


def _given(v) -> bool:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return False
    return not (isinstance(v, (str, list, tuple, dict)) and not v)


def _given_text(v, unit: str) -> str:
    """A value as given: lists joined, tables as key = value, whole numbers below 10,000
    without separators (years, hours), other numbers in the one number format."""
    if isinstance(v, (list, tuple)):
        text = ", ".join(str(x) for x in v)
    elif isinstance(v, dict):
        text = ", ".join(f"{k} = {fmt(x)}" for k, x in v.items())
    elif isinstance(v, (bool, np.bool_, str)):
        text = str(v)
    elif isinstance(v, (int, float, np.integer, np.floating)):
        whole = float(v).is_integer() and abs(v) < 1e4
        text = str(int(v)) if whole else fmt(v)
    else:
        text = str(v)
    return f"{text} {unit}" if unit and not isinstance(v, (list, tuple, dict, str)) else text


def unconnected(n: int, tail, head) -> np.ndarray:
    """Nodes no flow enters or leaves."""
    deg = np.bincount(np.asarray(tail, dtype=np.int64), minlength=n) + \
        np.bincount(np.asarray(head, dtype=np.int64), minlength=n)
    return deg == 0


def full_names(nodes: pd.DataFrame, ids) -> list[str]:
    return [lb if isinstance(lb, str) and lb else nid
            for lb, nid in zip(nodes["label"].to_numpy(dtype=object), ids)]


def _darker(colour: str, f: float = 0.75) -> str:
    c = colour.lstrip("#")
    r, g, b = (int(int(c[i:i + 2], 16) * f) for i in (0, 2, 4))
    return f"#{r:02x}{g:02x}{b:02x}"
