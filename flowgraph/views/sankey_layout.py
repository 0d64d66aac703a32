"""Where a Sankey's nodes and links go: columns, rows, widths, return links and label room.

Computed here, in the coordinates of the drawing (px of an SVG `WIDTH` wide), so the page
script only draws and fits the label text into the boxes it is given.

- Columns: a node's column is its longest path from the inputs once the flows that close a
  loop are set aside (recycle flows first, then, inside what still loops, the flows running
  against a greedy order); boundary sources stand in the first column, sinks in the last.
- Rows: every node gets a slot at least two label lines high (three when that narrows the
  flows by less than THIRD_LINE_COST), so labels beside nodes never meet; the scale is the largest that fits the fullest column. Rows follow the weighted
  centre of the neighbours (a few sweeps right to left and back), which keeps crossings few.
- Return links (a flow to the same or an earlier column) leave their node to the right,
  run in a lane below (or above) the diagram and enter the target from the left with an
  arrow head. Nested lanes and descents never cross each other.
- Folding: a return link that carries more than FOLD_SHARE of what enters the system (a
  cooling-water or slurry loop) would squeeze everything else. Its amount is taken off the
  forward path that closes the loop (the circulation cancels: every node still balances)
  and the return is drawn as a thin dashed arrow; the note says so.
- Horizontal room: each gap holds the descents of its column's return links, then the
  labels of its column, then the arrivals of the next column's return links; label room is
  shared out by the estimated label widths.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx
import numpy as np
import pandas as pd

from ..numbers import fmt

#: drawing width (SVG user units; the page scales it to its column)
WIDTH = 1150.0
NODE_W = 14.0
#: vertical gap between node slots; label line height (12 px text)
PAD = 12.0
LINE = 15.0
#: a slot is at least this high: two label lines beside every node
MIN_SLOT = 2 * LINE
#: a slot with room for three label lines
THREE_LINES = 3 * LINE - PAD + 1.0
#: a third label line is given when it narrows the flows by less than this share
THIRD_LINE_COST = 0.15
#: height for the flows' widths: at least HEIGHT, and room left over the fullest column
HEIGHT, ROOM = 460.0, 160.0
#: a return link carrying more than this share of what enters the system is folded
FOLD_SHARE = 0.25
#: drawn width of a folded return link
FOLDED_W = 2.0
#: gaps between return lanes, around them, and the arrow head's length
LANE_GAP, LANE_MARGIN, ARROW = 4.0, 14.0, 8.0
#: room for the caption line at the top
CAPTION = 22.0
#: label room per column: at least, at most (px)
LABEL_MIN, LABEL_MAX = 70.0, 190.0
SWEEPS = 12


@dataclass
class Layout:
    """Nodes (index id: col, x0, x1, y0, y1, label box lx0, lx1, ly0, ly1, in, out, value)
    and links (the input columns plus drawn, ret, side, folded, sy, ty, w, and for return
    links the descent x `xd`, lane y `yl` and arrival x `xa`) of one Sankey."""

    nodes: pd.DataFrame
    links: pd.DataFrame
    width: float
    height: float
    ky: float
    notes: list = field(default_factory=list)


def short_label(text: str) -> str:
    """A node's name without its explanation: parentheses removed, cut at the first ':',
    ';' or ', ' (the full text goes in the tooltip)."""
    s = re.sub(r"\s*\([^()]*\)", "", str(text)).strip()
    s = re.split(r"[:;]|, ", s)[0].strip()
    return s if len(s) >= 3 else str(text)


def text_width(text: str, size: float = 12.0) -> float:
    """Estimated width of a line of text: wide (CJK) characters one em, others 0.62 em."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return size * (wide + 0.62 * (len(text) - wide))


@lru_cache(maxsize=4096)
def label_need(text: str) -> float:
    """Width a label needs on at most two lines (every slot has room for two); a line may
    break after a hyphen."""
    words = re.sub(r"(?<=\w-)(?=\w)", " ", text).split()
    if len(words) < 2:
        return text_width(text)
    return min(max(text_width(" ".join(words[:k])), text_width(" ".join(words[k:])))
               for k in range(1, len(words)))


def group_sums(group, values, n: int) -> np.ndarray:
    """Sum of `values` per group 0..n-1, compensated (Kahan) in row order as pandas sums a
    group: a Sankey's order of nodes with equal sums must not depend on rounding. A loop:
    a Sankey has hundreds of links."""
    total, comp = [0.0] * n, [0.0] * n
    for g, v in zip(np.asarray(group).tolist(), np.asarray(values, dtype=float).tolist()):
        y = v - comp[g]
        t = total[g] + y
        comp[g] = (t - total[g]) - y
        total[g] = t
    return np.array(total)


def _share(need: np.ndarray, free: float) -> np.ndarray:
    """Label room per column: every need met if they fit, else a cap on the largest ones
    (small needs are met first)."""
    if need.sum() <= free:
        return need.astype(float)
    lo, hi = 0.0, float(need.max())
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.minimum(need, mid).sum() <= free else (lo, mid)
    return np.minimum(need, lo)


# -- columns ------------------------------------------------------------------------------

def columns(kind: pd.Series, links: pd.DataFrame) -> pd.Series:
    """Column of every node (index of `kind`) from the links (source, target, value, and
    recycle: the flow's role is recycle)."""
    ids = list(kind.index)
    pos = {n: i for i, n in enumerate(ids)}
    pairs = (links[links["source"] != links["target"]]
             .groupby(["source", "target"], sort=False)
             .agg(value=("value", "sum"), recycle=("recycle", "all")).reset_index())
    g = nx.DiGraph()
    g.add_nodes_from(range(len(ids)))
    keep = pairs[~pairs["recycle"]]
    g.add_weighted_edges_from(zip(keep["source"].map(pos), keep["target"].map(pos),
                                  keep["value"].astype(float)))
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1:
            rank = {n: i for i, n in enumerate(_greedy_order(g.subgraph(comp)))}
            g.remove_edges_from([(u, v) for u, v in list(g.subgraph(comp).edges)
                                 if rank[v] < rank[u]])
    source = (kind == "source").to_numpy()
    sink = (kind == "sink").to_numpy()
    g.remove_edges_from([(u, v) for u, v in list(g.edges) if sink[u] or source[v]])
    col = np.zeros(len(ids), dtype=int)
    for n in nx.topological_sort(g):
        for m in g.successors(n):
            col[m] = max(col[m], col[n] + 1)
    col[source] = 0
    inner = ~sink
    col[sink] = (col[inner].max() + 1) if inner.any() else 1
    return pd.Series(col, index=kind.index)


def _greedy_order(g: nx.DiGraph) -> list:
    """Eades-Lin-Smyth: sinks to the back, sources to the front, else the node sending the
    most more than it receives; flows against the order close the loops."""
    g = g.copy()
    front, back = [], []
    while g.number_of_nodes():
        changed = True
        while changed:
            changed = False
            for n in [n for n in g if g.out_degree(n) == 0]:
                back.append(n)
                g.remove_node(n)
                changed = True
            for n in [n for n in g if g.in_degree(n) == 0]:
                front.append(n)
                g.remove_node(n)
                changed = True
        if g.number_of_nodes():
            best = max(g, key=lambda n: g.out_degree(n, "weight") - g.in_degree(n, "weight"))
            front.append(best)
            g.remove_node(best)
    return front + back[::-1]


# -- the layout ---------------------------------------------------------------------------

def lay_out(nodes: pd.DataFrame, links: pd.DataFrame, col: pd.Series | None = None,
            unit: str = "", width: float = WIDTH, fold: bool = True,
            height: float = HEIGHT, scale: tuple | None = None) -> Layout:
    """Lay out a Sankey. nodes: index id, columns label (shown), kind; links: source,
    target, value (> 0), carrier, kind, recycle. `col` fixes the columns (e.g. the same for
    every measure); else they follow from these links. `height`: at least this much for
    the flows' widths (more when a column's labels need it). `scale`: (px per unit, least
    slot) instead of the drawing's own, so that several drawings share one (common_scale)."""
    d = _draft(nodes, links, col, unit, fold, height)
    ky, least = (d.ky, d.least) if scale is None else scale
    N, L, height = d.N, d.L, d.height
    _rows(N, L, height, ky, least, d.ends)
    L["w"] = np.where(L["folded"], FOLDED_W, L["drawn"] * ky)
    _stack(N, L, height, d.ends)
    top, bottom = _lanes(L, height)
    _across(N, L, width, d.ends)
    shift = CAPTION + top
    for k in ("y0", "y1", "ly0", "ly1"):
        N[k] = N[k] + shift
    for k in ("sy", "ty", "yl"):
        L[k] = L[k] + shift
    return Layout(pd.DataFrame(N, index=d.ids), pd.DataFrame(L), width,
                  shift + height + bottom + 4.0, ky, d.notes)


def own_scale(nodes: pd.DataFrame, links: pd.DataFrame, col: pd.Series | None = None,
              unit: str = "", fold: bool = True, height: float = HEIGHT) -> tuple:
    """The (px per unit, least slot) lay_out would give these links: the scales of several
    drawings go into common_scale."""
    d = _draft(nodes, links, col, unit, fold, height)
    return d.ky, d.least


def common_scale(scales) -> tuple:
    """One scale that every drawing of `scales` fits: the fewest px per unit, and slots of
    three label lines only if every drawing had them (a two-line slot fits wherever a
    three-line one does)."""
    scales = list(scales)
    least = THREE_LINES if all(s[1] == THREE_LINES for s in scales) else MIN_SLOT
    return min(s[0] for s in scales), least


@dataclass
class _Draft:
    """A Sankey up to its scale: nodes and links as columns of arrays (DataFrames only at
    the end), the links' ends as node positions, notes, the flows' height and own scale."""

    ids: pd.Index
    N: dict
    L: dict
    ends: tuple
    notes: list
    height: float
    ky: float
    least: float


def _draft(nodes, links, col, unit, fold, height) -> _Draft:
    src, tgt = links["source"].to_numpy(dtype=object), links["target"].to_numpy(dtype=object)
    used = set(src) | set(tgt)
    nodes = nodes.loc[[n for n in nodes.index if n in used]]
    if col is None:
        col = columns(nodes["kind"], links)
    rank = col.reindex(nodes.index).to_numpy()
    N = {k: nodes[k].to_numpy() for k in nodes.columns}
    L = {k: links[k].to_numpy() for k in links.columns}
    c = N["col"] = np.searchsorted(np.unique(rank), rank)
    at = {n: i for i, n in enumerate(nodes.index)}
    si = np.fromiter((at[n] for n in src), dtype=np.int64, count=len(src))
    ti = np.fromiter((at[n] for n in tgt), dtype=np.int64, count=len(tgt))
    L["ret"] = c[ti] <= c[si]
    L["drawn"] = L["value"].astype(float)
    L["folded"] = np.zeros(len(src), dtype=bool)
    notes = _fold(nodes.index, N, L, unit, (si, ti)) if fold else []
    drawn = L["drawn"]
    inflow, outflow = group_sums(ti, drawn, len(nodes)), group_sums(si, drawn, len(nodes))
    N["in"], N["out"] = inflow, outflow
    N["value"] = np.maximum(inflow, outflow)
    height, ky, least = _scale(N, height)
    return _Draft(nodes.index, N, L, (si, ti), notes, height, ky, least)


def _fold(ids, N, L, unit, ends) -> list[str]:
    """Fold the return links that carry more than FOLD_SHARE of the inflow (see the module
    doc); the notes say what was folded."""
    value, ret = L["value"].astype(float), L["ret"]
    entering = N["kind"][ends[0]] == "source"
    inflow = float(value[entering].sum())
    if inflow <= 0:
        inflow = float(value[~ret].max()) if (~ret).any() else np.nan   # nothing folds
    notes = []
    big = np.flatnonzero(ret & (value > FOLD_SHARE * inflow))
    if not len(big):
        return notes
    nodes, links = pd.DataFrame(N, index=ids), pd.DataFrame(L)
    col = nodes["col"]
    for i in sorted(big, key=lambda i: -links.at[i, "value"]):
        v = float(links.at[i, "value"])
        path = _widest_path(links, col, links.at[i, "target"], links.at[i, "source"], v)
        if path is None:
            continue
        links.loc[path, "drawn"] -= v
        links.at[i, "drawn"] = 0.0
        links.at[i, "folded"] = True
        names = nodes["label"]
        loop = " → ".join([str(names[links.at[j, "source"]]) for j in path]
                          + [str(names[links.at[i, "source"]]), str(names[links.at[i, "target"]])])
        notes.append(f"Folded loop: {fmt(v, 3)} {unit} of {links.at[i, 'carrier']} circulate "
                     f"({loop}), more than {FOLD_SHARE:.0%} of the {fmt(inflow, 3)} {unit} "
                     f"entering; the loop is drawn at its net flow and the return as a "
                     f"dashed arrow.")
    L["drawn"] = links["drawn"].to_numpy(dtype=float)
    L["folded"] = links["folded"].to_numpy(dtype=bool)
    return notes


def _widest_path(links, col, start, end, need: float):
    """Forward links from start to end, each still drawing at least `need`, with the
    widest narrowest link (or None)."""
    fwd = links[~links["ret"] & (links["drawn"] >= need)]
    best, via = {start: np.inf}, {}
    for n in sorted(set(fwd["source"]) | {start}, key=lambda n: col[n]):
        if n not in best:
            continue
        for j, t, d in zip(fwd.index[fwd["source"] == n], fwd.loc[fwd["source"] == n, "target"],
                           fwd.loc[fwd["source"] == n, "drawn"]):
            width = min(best[n], d)
            if width > best.get(t, -1.0):
                best[t], via[t] = width, j
    if end not in via:
        return None
    path, n = [], end
    while n != start:
        path.append(via[n])
        n = links.at[via[n], "source"]
    return path[::-1]


def _scale(N, least_height: float = HEIGHT) -> tuple[float, float, float]:
    """Height for the flows, the px per unit and the least slot: slots of at least MIN_SLOT
    (two label lines), PAD apart, the fullest column fitting the height. Slots get room for
    a third label line when that costs the flows less than THIRD_LINE_COST of their scale."""
    count = np.bincount(N["col"])
    count = count[count > 0]
    need = float((count * MIN_SLOT + (count - 1) * PAD).max())
    height = max(least_height, need + ROOM)
    v, groups = N["value"], N["col"]

    def ky_for(least):
        def fits(ky):
            slot = np.maximum(v * ky, least)
            total = np.bincount(groups, slot) + PAD * (np.bincount(groups) - 1)
            return total.max() <= height

        lo, hi = 0.0, height / max(float(v.max()), 1e-300)
        if not fits(lo):
            return 0.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        return lo

    ky = ky_for(MIN_SLOT)
    ky3 = ky_for(THREE_LINES)
    if ky3 >= (1 - THIRD_LINE_COST) * ky:
        return height, ky3, THREE_LINES
    return height, ky, MIN_SLOT


def _rows(N, L, height, ky, least, ends) -> None:
    """Slot tops: spread each column, then sweeps towards the weighted centre of the
    neighbours (forward links), keeping slots PAD apart inside the height. `ends`: the
    links' source and target positions among the nodes."""
    slot = np.maximum(N["value"] * ky, least)
    col = N["col"]
    fwd = ~L["ret"]
    s, t = ends[0][fwd], ends[1][fwd]
    w = L["drawn"][fwd] * ky + 1.0
    n = len(col)
    y = np.zeros(n)
    order = [list(np.flatnonzero(col == c)) for c in range(col.max() + 1)]
    for members in order:
        free = height - slot[members].sum() - PAD * (len(members) - 1)
        gap = PAD + free / (len(members) + 1)
        y[members] = free / (len(members) + 1) + np.concatenate(
            [[0], np.cumsum(slot[members][:-1] + gap)])
    for it in range(SWEEPS):
        alpha = 0.9 ** it
        for backward in (True, False):
            for members in (order[::-1] if backward else order):
                centre = y + slot / 2
                near, far = (s, t) if backward else (t, s)
                num = np.bincount(near, w * centre[far], minlength=n)
                den = np.bincount(near, w, minlength=n)
                m = np.array(members)
                pull = den[m] > 0
                target = np.where(pull, num[m] / np.where(pull, den[m], 1.0), centre[m])
                y[m] += (target - centre[m]) * alpha
                m = m[np.argsort(y[m] + slot[m] / 2, kind="stable")]
                y[m] = _resolve(y[m], slot[m], height)
                members[:] = list(m)
    h = np.maximum(N["value"] * ky, 1.0)
    N["slot0"], N["slot1"] = y, y + slot
    N["y0"] = y + (slot - h) / 2
    N["y1"] = N["y0"] + h


def _resolve(y, size, height):
    """Slots in this order, PAD apart, moved as little as possible inside [0, height]."""
    y = y.copy()
    for i in range(len(y)):
        y[i] = max(y[i], 0.0 if i == 0 else y[i - 1] + size[i - 1] + PAD)
    for i in range(len(y) - 1, -1, -1):
        y[i] = min(y[i], height - size[i] if i == len(y) - 1 else y[i + 1] - PAD - size[i])
    return np.maximum(y, 0.0)


KIND_RANK = {"material": 0, "water": 1, "energy": 2, "emission": 3}


def _stack(N, L, height, ends) -> None:
    """Where each link leaves and enters its nodes (sy, ty: centres of its band): top
    return links first, forward links by the other end's row, bottom return links last;
    links between the same two nodes stay together in the same order at both ends."""
    si, ti = ends
    y0 = N["y0"]
    centre = (y0 + N["y1"]) / 2
    sc, tc = centre[si], centre[ti]
    mid = (sc + tc) / 2
    ret = L["ret"]
    side = L["side"] = np.where(~ret, "", np.where(mid < height / 2, "top", "bottom"))
    # the depth order of return lanes: short spans nearest the diagram
    col = N["col"]
    span = col[si] - col[ti]
    depth = np.where(ret, span * 1e6 + np.where(side == "top", mid, -mid), 0)
    rd = np.empty(len(depth))
    rd[np.argsort(depth, kind="stable")] = np.arange(1.0, len(depth) + 1.0)   # rank 'first'
    L["depth"] = rd
    kr = np.array([KIND_RANK.get(k, 9) for k in L["kind"]], dtype=float) + 10 * L["negative"]
    group = np.where(side == "top", 0, np.where(side == "bottom", 2, 1))
    car = np.unique(np.array([str(x) for x in L["carrier"]], dtype=object),
                    return_inverse=True)[1]
    w = L["w"]
    # top: deepest first; bottom: shallowest last; forward links by the other end's row
    lane = np.where(group == 0, rd, np.where(group == 2, -rd, 0.0))
    for end, other, key in ((si, tc, "sy"), (ti, sc, "ty")):
        order = np.lexsort((car, kr, other, lane, group, end))   # last key sorts first
        ws = w[order]
        total = np.cumsum(ws)
        first = np.r_[True, end[order][1:] != end[order][:-1]]
        base = np.maximum.accumulate(np.where(first, np.arange(len(ws)), 0))
        before = total - ws - (total[base] - ws[base])
        out = np.empty(len(ws))
        out[order] = y0[end[order]] + before + ws / 2
        L[key] = out


def _lanes(L, height) -> tuple[float, float]:
    """Lane y of each return link (in the drawing's coordinates before the top room is
    added) and the room taken above and below."""
    side, depth, w = L["side"], L["depth"], L["w"]
    yl = np.full(len(w), np.nan)
    room = {}
    for name, sign in (("bottom", 1.0), ("top", -1.0)):
        sel = np.flatnonzero(side == name)
        sel = sel[np.argsort(depth[sel], kind="stable")]
        edge = height + LANE_MARGIN if sign > 0 else -LANE_MARGIN
        for i in sel:
            yl[i] = edge + sign * w[i] / 2
            edge += sign * (w[i] + LANE_GAP)
        room[name] = (abs(edge - (height if sign > 0 else 0.0)) if len(sel) else 0.0)
    L["yl"] = yl
    return room["top"], room["bottom"]


def _across(N, L, width, ends) -> None:
    """x of columns, descents (xd), arrivals (xa) and label boxes (lx0, lx1, ly0, ly1)."""
    col = N["col"]
    ncol = int(col.max()) + 1
    w = L["w"]
    ret = np.flatnonzero(L["ret"])
    ret = ret[np.argsort(L["depth"][ret], kind="stable")]
    down = {c: [] for c in range(ncol)}
    up = {c: [] for c in range(ncol)}
    for i in ret:
        down[col[ends[0][i]]].append(i)
        up[col[ends[1][i]]].append(i)
    dw = [sum(w[i] + LANE_GAP for i in down[c]) + (4.0 if down[c] else 0.0)
          for c in range(ncol)]
    aw = [sum(w[i] + LANE_GAP for i in up[c]) + (ARROW + 4.0 if up[c] else 0.0)
          for c in range(ncol)]
    labels = [str(t) for t in N["label"]]
    need = np.array([min(max([label_need(t) for t, k in zip(labels, col) if k == c]
                             + [LABEL_MIN]), LABEL_MAX) + 10.0 for c in range(ncol)])
    free = width - 4.0 - ncol * NODE_W - sum(dw) - sum(aw)
    label = _share(need, free)
    extra = max(free - label.sum(), 0.0)
    if ncol > 1:                                 # the rest goes to the gaps between columns
        label[:-1] += extra / (ncol - 1)
    x, x0 = 2.0, []
    for c in range(ncol):
        x += aw[c]
        x0.append(x)
        x += NODE_W + dw[c] + label[c]
    x0, dw = np.array(x0), np.array(dw)
    left = x0[col]
    lx0 = left + NODE_W + dw[col] + 4.0
    N["x0"], N["x1"], N["lx0"], N["lx1"] = left, left + NODE_W, lx0, lx0 + label[col] - 8.0
    N["ly0"], N["ly1"] = N["slot0"] - PAD / 2 + 0.5, N["slot1"] + PAD / 2 - 0.5
    xd, xa = np.full(len(w), np.nan), np.full(len(w), np.nan)
    for c in range(ncol):
        off = 4.0
        for i in down[c]:                        # shallow lanes descend nearest the node
            xd[i] = x0[c] + NODE_W + off + w[i] / 2
            off += w[i] + LANE_GAP
        off = ARROW + 4.0
        for i in up[c]:
            xa[i] = x0[c] - off - w[i] / 2
            off += w[i] + LANE_GAP
    L["xd"], L["xa"] = xd, xa
