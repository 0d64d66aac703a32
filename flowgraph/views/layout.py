"""Node positions for flowsheets (the layered layout), computed here so the browser only
draws; parks on a map and without coordinates are placed by layout_map.


- layered: flowsheets left to right. A node's column is its longest path from the inputs
  once recycle flows and the other flows that close a loop are set aside (Kahn's
  topological generations), with production stages (input, utilisation, output) kept in
  order; sources move next to the first node they feed. Rows inside a column are ordered by
  the barycentre of the neighbours (a few sweeps), so crossings stay few.
Everything is vectorised over nodes and flows except the topological generations
(networkx, linear in the size of the network).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

STAGE_RANK = {"input": 0, "utilisation": 1, "output": 2}
KIND_ORDER = {"source": 0, "process": 1, "storage": 1, "utility": 2, "sink": 3}
#: nodes with more flows than this are hubs (utilities, sinks): their flows get no placeholders
HUB_DEGREE = 8
#: the height of a placeholder's row, in node rows
PLACEHOLDER_ROW = 0.35


def layered(n: int, tail: np.ndarray, head: np.ndarray, *, back: np.ndarray, kind: np.ndarray,
            stage: np.ndarray, box=None, gap_x: float = 80.0, gap_y: float = 22.0,
            dx: float = 210.0, dy: float = 110.0, sweeps: int = 4, placeholders: bool = True):
    """Left-to-right positions (x, y), each node's column, and each flow's bend: how far
    (px, + = down) the free rows it was given in the columns it crosses lie from the
    straight line between its ends (0 for flows between neighbouring columns). `back`
    marks flows drawn against the direction (recycle); `stage` is the production stage per
    node or None; placeholders=False skips the long-flow placeholders (big networks, whose
    flows are drawn straight). `box`: per node (left, right, top, bottom) offsets in px of
    the node with its label; columns are then as wide as their widest box plus gap_x and
    boxes in a column gap_y apart (else columns dx and rows dy apart)."""
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    rank = np.array([STAGE_RANK.get(s, -1) if isinstance(s, str) else -1 for s in stage],
                    dtype=np.int64)
    column = _columns(n, tail, head, back, kind, rank)
    # placeholders for flows running forward between nodes that are not hubs: flows running
    # back are drawn as arcs, and a utility or sink tied to everything would fill every
    # column with placeholders
    degree = np.bincount(tail, minlength=n) + np.bincount(head, minlength=n)
    hub = degree > HUB_DEGREE
    forward = (column[head] > column[tail]) & placeholders & ~hub[tail] & ~hub[head]
    if box is None:
        xs, size, centre = column * dx, np.ones(n), np.zeros(n)
    else:
        left, right, top, bottom = (np.asarray(b, dtype=float) for b in box)
        xs = _column_x(column, right - left, gap_x)
        height = bottom - top + gap_y
        dy = float(np.median(height)) if n else dy
        size, centre = height / dy, (top + bottom) / 2.0
    row, owner, placeholder_row = _rows(n, tail, head, column, kind, rank, sweeps, forward,
                                        size)
    y = row * dy - centre
    bend = np.zeros(len(tail))
    if len(owner):
        mean_row = (np.bincount(owner, weights=placeholder_row, minlength=len(tail))
                    / np.maximum(np.bincount(owner, minlength=len(tail)), 1))
        crosses = np.bincount(owner, minlength=len(tail)) > 0
        bend[crosses] = (mean_row[crosses] * dy
                         - (y[tail[crosses]] + y[head[crosses]]) / 2.0)
    return xs, y, column, bend


def _column_x(column, width, gap) -> np.ndarray:
    """x of every node: columns as wide as their widest box, `gap` between them."""
    if not len(column):
        return np.zeros(0)
    ncol = int(column.max()) + 1
    colw = np.zeros(ncol)
    np.maximum.at(colw, column, width)
    centres = np.r_[0.0, np.cumsum((colw[:-1] + colw[1:]) / 2.0 + gap)]
    return centres[column]


def _columns(n, tail, head, back, kind, rank) -> np.ndarray:
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keep = ~np.asarray(back, dtype=bool) & (tail != head)
    staged = (rank[tail] >= 0) & (rank[head] >= 0)
    keep &= ~(staged & (rank[tail] > rank[head]))          # flows against the stage order
    t, h = tail[keep], head[keep]
    t, h = _break_cycles(n, t, h, kind)
    nodes = np.arange(n)
    edges = [(int(a), int(b)) for a, b in zip(t, h)]
    present = np.unique(rank[rank >= 0])
    if len(present) > 1:                                    # stage barriers: virtual nodes
        barrier = {int(r): n + i for i, r in enumerate(present[1:])}
        extra = []
        for prev, r in zip(present[:-1], present[1:]):
            b = barrier[int(r)]
            extra += [(int(v), b) for v in nodes[rank == prev]]
            extra += [(b, int(v)) for v in nodes[rank == r]]
        g = nx.DiGraph(edges + extra)
        g.add_nodes_from(range(n))
        if not nx.is_directed_acyclic_graph(g):             # a loop through unstaged nodes
            g = nx.DiGraph(edges)
            g.add_nodes_from(range(n))
    else:
        g = nx.DiGraph(edges)
        g.add_nodes_from(range(n))
    level = np.zeros(n + len(present), dtype=np.int64)
    for k, generation in enumerate(nx.topological_generations(g)):
        level[list(generation)] = k
    level = level[:n]
    # sources sit just before the first node they feed, not all in column 0
    src = (kind == "source")
    indeg = np.bincount(h, minlength=n)
    out = src[t] & (indeg[t] == 0)
    if out.any():
        first = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first, t[out], level[h[out]])
        move = src & (first < np.iinfo(np.int64).max) & (indeg == 0)
        level[move] = np.maximum(first[move] - 1, 0)
    # sinks (the plant's outputs) in the last column
    sink = (kind == "sink") & (np.bincount(h, minlength=n) > 0)
    if sink.any() and (~sink).any():
        level[sink] = max(level[~sink].max() + 1, level[sink].max())
    return np.unique(level, return_inverse=True)[1].astype(np.int64)


def _break_cycles(n, t, h, kind):
    """Drop the flows that close a loop: inside a strongly connected component, those that
    do not lead further from the inputs (breadth-first depth from the sources)."""
    if len(t) == 0:
        return t, h
    a = sp.csr_matrix((np.ones(len(t)), (t, h)), shape=(n, n))
    ncomp, comp = connected_components(a, directed=True, connection="strong")
    if ncomp == n:
        return t, h
    cross = comp[t] != comp[h]
    comp_in = np.bincount(comp[h[cross]], minlength=ncomp)
    # one entry per component nothing else feeds: a source node if it has one
    order = np.lexsort((np.arange(n), kind != "source", comp))
    first = np.ones(n, dtype=bool)
    first[1:] = comp[order][1:] != comp[order][:-1]
    entries = order[first]
    entries = entries[comp_in[comp[entries]] == 0]
    root = n
    tt = np.concatenate([t, np.full(len(entries), root)])
    hh = np.concatenate([h, entries])
    g = sp.csr_matrix((np.ones(len(tt)), (tt, hh)), shape=(n + 1, n + 1))
    depth = dijkstra(g, indices=root, unweighted=True)[:n]
    loop = (comp[t] == comp[h]) & ~(depth[h] > depth[t])
    return t[~loop], h[~loop]


def _rows(n, tail, head, column, kind, rank, sweeps, forward, node_size) -> np.ndarray:
    """Rows (counted from each column's centre) of the nodes and of the placeholders with
    the flow each belongs to. Order inside each column: first by stage and kind, then by
    neighbour barycentre.

    A flow that spans several columns is split by a placeholder in every column it
    crosses (as Sugiyama's method does), so it gets a row of its own there and does not
    run through the nodes of those columns."""
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0)
    korder = np.array([KIND_ORDER.get(k, 1) for k in kind])
    t, h, col, korder, rank, owner = _split_long(n, tail, head, column, korder, rank, forward)
    total = len(col)
    order = np.lexsort((np.arange(total), korder, rank, col))
    row = _rank_within(order, col, total)
    ahead = col[t] < col[h]                  # flows running back do not steer the order
    t, h = t[ahead], h[ahead]
    row = _sweep(row, col, t, h, 2 * sweeps)
    centred = row - (np.bincount(col)[col] - 1) / 2.0
    # what stays straight first: the centres' main line, then long flows, then sources/sinks
    weight = np.where(np.arange(total) >= n, 2.0, 1.0)
    weight[:n][~np.isin(kind, ("source", "sink"))] = 4.0
    size = np.r_[node_size, np.full(total - n, PLACEHOLDER_ROW)]
    centred = _straighten(centred, col, t, h, weight, size)
    return centred[:n], owner, centred[n:]


def _straighten(row, col, t, h, weight, size, rounds: int = 8) -> np.ndarray:
    """Coordinates for a fixed order: each node moves towards the weighted mean row of its
    neighbours, keeping neighbours in its column (size_i + size_j) / 2 rows apart (a
    weighted isotonic regression per column, solved for all columns at once)."""
    total = len(row)
    order = np.lexsort((row, col))
    col_sorted = col[order]
    sz = size[order]
    gap = np.r_[0.0, (sz[1:] + sz[:-1]) / 2.0]
    starts = np.r_[0, np.flatnonzero(np.diff(col_sorted)) + 1]
    gap[starts] = 0.0
    cum = np.cumsum(gap)
    offset = cum - np.repeat(cum[starts], np.diff(np.r_[starts, total]))
    big = 4.0 * (offset.max() + total + 1)        # columns never constrain each other
    shift = col_sorted * big - offset
    both_t = np.concatenate([t, h])
    both_h = np.concatenate([h, t])
    wn = weight[both_t]
    ws = np.bincount(both_h, weights=wn, minlength=total)
    for _ in range(rounds):
        s = np.bincount(both_h, weights=row[both_t] * wn, minlength=total)
        want = np.where(ws > 0, s / np.maximum(ws, 1e-12), row)
        z = _isotonic(want[order] + shift, weight[order])
        row = np.empty(total)
        row[order] = z - shift
    return row


def _isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-decreasing fit (pool adjacent violators)."""
    means: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y.tolist(), w.tolist()):
        m, ww, k = yi, wi, 1
        while means and means[-1] > m:
            pw = weights.pop()
            m = (means.pop() * pw + m * ww) / (pw + ww)
            ww += pw
            k += sizes.pop()
        means.append(m)
        weights.append(ww)
        sizes.append(k)
    return np.repeat(means, sizes)


def _sweep(row, col, t, h, passes: int) -> np.ndarray:
    """Layer-by-layer barycentre ordering: alternately left to right (each column ordered
    by the mean centred row of its nodes' predecessors) and right to left (successors).
    Nodes without neighbours on that side keep their place."""
    total = len(row)
    ncol = int(col.max()) + 1
    by_col = np.argsort(col, kind="stable")
    col_start = np.searchsorted(col[by_col], np.arange(ncol + 1))
    sides = []
    for near, far in ((t, h), (h, t)):               # down: key from tails; up: from heads
        o = np.argsort(col[far], kind="stable")
        sides.append((near[o], far[o], np.searchsorted(col[far][o], np.arange(ncol + 1))))
    centred = row - (np.bincount(col)[col] - 1) / 2.0
    for k in range(passes):
        near, far, start = sides[k % 2]
        cols = range(1, ncol) if k % 2 == 0 else range(ncol - 2, -1, -1)
        for c in cols:
            members = by_col[col_start[c]:col_start[c + 1]]
            if len(members) < 2:
                continue
            e = slice(start[c], start[c + 1])
            local = np.full(total, -1)
            local[members] = np.arange(len(members))
            idx = local[far[e]]
            s = np.bincount(idx, weights=centred[near[e]], minlength=len(members))
            cnt = np.bincount(idx, minlength=len(members))
            mine = centred[members]
            key = np.where(cnt > 0, s / np.maximum(cnt, 1), mine)
            new = np.empty(len(members))
            new[np.lexsort((mine, key))] = np.arange(len(members))
            centred[members] = new - (len(members) - 1) / 2.0
    return centred + (np.bincount(col)[col] - 1) / 2.0


def _split_long(n, tail, head, column, korder, rank, forward):
    """Chains of placeholders (ids from n on) for forward flows spanning more than one
    column."""
    lo = np.minimum(column[tail], column[head])
    hi = np.maximum(column[tail], column[head])
    span = np.where(forward, hi - lo, 0)
    long = np.flatnonzero(span > 1)
    if not len(long):
        return tail, head, column, korder, rank, np.zeros(0, dtype=np.int64)
    k = span[long] - 1                                   # placeholders per long flow
    owner = np.repeat(long, k)
    step = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k) + 1
    dummy = n + np.arange(len(owner))
    dcol = lo[owner] + step
    first = np.cumsum(k) - k                             # index of each chain's first placeholder
    a = np.where(column[tail[long]] <= column[head[long]], tail[long], head[long])
    b = np.where(column[tail[long]] <= column[head[long]], head[long], tail[long])
    same = owner[:-1] == owner[1:]                       # consecutive placeholders of one flow
    chain_t = np.concatenate([a, dummy[:-1][same]])
    chain_h = np.concatenate([dummy[first], dummy[1:][same]])
    last = dummy[np.cumsum(k) - 1]
    chain_t = np.concatenate([chain_t, last])
    chain_h = np.concatenate([chain_h, b])
    short = span <= 1
    t = np.concatenate([tail[short], chain_t])
    h = np.concatenate([head[short], chain_h])
    col = np.concatenate([column, dcol])
    korder = np.concatenate([korder, np.full(len(owner), 1)])
    rank = np.concatenate([rank, np.full(len(owner), -1)])
    return t, h, col, korder, rank, owner


def _rank_within(order, column, n) -> np.ndarray:
    col_sorted = column[order]
    starts = np.r_[0, np.flatnonzero(np.diff(col_sorted)) + 1]
    pos = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    row = np.empty(n, dtype=float)
    row[order] = pos
    return row
