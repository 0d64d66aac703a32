"""Free node placement for the graph view: parks on a map, parks without coordinates,
and what every layout needs at the end: labels kept apart and unconnected nodes set aside.

- geographic: an equirectangular projection around the park's median point. Partners far
  outside the park (beyond FAR_REACH times the median distance of the sites from the park's
  centre) would shrink the park to a dot: they are drawn at the border of the park's map in
  their direction, and their distance is written under their name (far_partners).
- force: firms on a grid, then a spring layout (networkx, seeded: the same picture every
  time) with the firms' members held together.
- separate: boxes (a node and its label below it) pushed apart until none overlap,
  keeping the drawing's shape.
- grid: nodes without flows in rows under the drawing.

Every box is given as (left, right, top, bottom) offsets from the node's position in px.
"""

from __future__ import annotations

import numpy as np

GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))
#: a site further than this many times the median distance of the sites from the park's
#: centre is a far partner
FAR_REACH = 4.0
#: km per degree of latitude
KM_PER_DEGREE = 111.2
COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W",
           "WNW", "NW", "NNW")


def far_partners(lat, lon, reach: float = FAR_REACH):
    """Which nodes lie far outside the park, their distance from the park's centre (km) and
    their direction (a compass point). A park is the sites within `reach` times the median
    distance of the sites from their median point; far partners are at most a third of
    the nodes with coordinates."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    n = len(lat)
    has = np.isfinite(lat) & np.isfinite(lon)
    far = np.zeros(n, dtype=bool)
    km = np.full(n, np.nan)
    bearing = np.full(n, "", dtype=object)
    if has.sum() < 3:
        return far, km, bearing
    lat0, lon0 = np.median(lat[has]), np.median(lon[has])
    east, north = _km(lat, lon, lat0, lon0)
    d = np.hypot(east, north)
    sites = np.unique(np.c_[lat[has], lon[has]], axis=0)
    ds = np.hypot(*_km(sites[:, 0], sites[:, 1], lat0, lon0))
    core = reach * np.median(ds[ds > 0]) if (ds > 0).any() else 0.0
    cand = has & (d > core) & (core > 0)
    if not cand.any() or cand.sum() > has.sum() / 3:
        return far, km, bearing
    inner = has & ~cand
    clat, clon = lat[inner].mean(), lon[inner].mean()
    east, north = _km(lat, lon, clat, clon)
    far = cand
    km[far] = np.hypot(east[far], north[far])
    sector = np.round(np.degrees(np.arctan2(east[far], north[far])) / 22.5).astype(int) % 16
    bearing[far] = np.array(COMPASS, dtype=object)[sector]
    return far, km, bearing


def _km(lat, lon, lat0, lon0):
    """East and north offsets in km from (lat0, lon0), equirectangular."""
    east = (np.asarray(lon) - lon0) * np.cos(np.radians(lat0)) * KM_PER_DEGREE
    north = (np.asarray(lat) - lat0) * KM_PER_DEGREE
    return east, north


def geographic(lat, lon, tail, head, box, *, far=None, outside=None, width: float = 1000.0):
    """Positions from latitude and longitude (north up), far partners at the border, nodes
    without coordinates next to their partners (those marked `outside`, markets and other
    boundary nodes, at the border in their partners' direction), then boxes kept apart.
    Returns (x, y)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    n = len(lat)
    far = np.zeros(n, dtype=bool) if far is None else np.asarray(far, dtype=bool)
    has = np.isfinite(lat) & np.isfinite(lon)
    inner = has & ~far
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if inner.any():
        lat0, lon0 = np.median(lat[inner]), np.median(lon[inner])
        east, north = _km(lat, lon, lat0, lon0)
        span = max(np.ptp(east[inner]), np.ptp(north[inner]), 1e-9)
        scale = max(width, 1.6 * np.sqrt(inner.sum()) * np.mean(box[1] - box[0])) / span
        x[inner], y[inner] = east[inner] * scale, -north[inner] * scale
        if far.any():
            x[far], y[far] = _at_border(x, y, inner, east[far], -north[far], box)
        if outside is not None:
            x, y = _outside(x, y, inner, np.asarray(outside, dtype=bool) & ~has, tail, head,
                            box)
    x, y = place_partners(x, y, tail, head, 120.0)
    x, y = spread_shared(x, y, 60.0)
    return separate(x, y, box)


def _outside(x, y, inner, sel, tail, head, box):
    """Boundary nodes without coordinates at the border, towards their partners in the
    park (west for a source whose partners sit at the centre, east for a sink)."""
    if not sel.any():
        return x, y
    n = len(x)
    a = np.concatenate([tail, head]).astype(np.int64)
    b = np.concatenate([head, tail]).astype(np.int64)
    ok = sel[a] & inner[b]
    cnt = np.bincount(a[ok], minlength=n)
    mx = np.bincount(a[ok], weights=x[b[ok]], minlength=n) / np.maximum(cnt, 1)
    my = np.bincount(a[ok], weights=y[b[ok]], minlength=n) / np.maximum(cnt, 1)
    cx = (x[inner].min() + x[inner].max()) / 2
    cy = (y[inner].min() + y[inner].max()) / 2
    idx = np.flatnonzero(sel & (cnt > 0))
    dx, dy = mx[idx] - cx, my[idx] - cy
    still = np.hypot(dx, dy) < 1e-6 * max(np.ptp(x[inner]), 1.0)
    feeds = np.bincount(tail.astype(np.int64), minlength=n)[idx] > 0
    dx[still] = np.where(feeds[still], -1.0, 1.0)
    dy[still] = 0.0
    x, y = x.copy(), y.copy()
    x[idx], y[idx] = _at_border(x, y, inner, dx, dy, box)
    return x, y


def _at_border(x, y, inner, dx, dy, box):
    """Points on the border of the park's map (its extent plus a margin) in the directions
    (dx, dy) from its centre."""
    lo_x, hi_x = x[inner].min(), x[inner].max()
    lo_y, hi_y = y[inner].min(), y[inner].max()
    margin = 0.6 * (np.max(box[1] - box[0]) + np.max(box[3] - box[2]))
    cx, cy = (lo_x + hi_x) / 2, (lo_y + hi_y) / 2
    hw, hh = (hi_x - lo_x) / 2 + margin, (hi_y - lo_y) / 2 + margin
    norm = np.hypot(dx, dy)
    ux, uy = dx / np.maximum(norm, 1e-12), dy / np.maximum(norm, 1e-12)
    t = np.minimum(hw / np.maximum(np.abs(ux), 1e-12), hh / np.maximum(np.abs(uy), 1e-12))
    return cx + ux * t, cy + uy * t


def force(groups, tail, head, box, *, seed: int = 7, spread: float = 1.8):
    """Firms on a grid, members around their firm's centre, then a seeded spring layout
    (members of a firm pulled together by extra springs) and boxes kept apart."""
    import networkx as nx
    x, y = clustered(groups, tail, head)
    n = len(x)
    if n < 2:
        return x, y
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(np.asarray(tail).tolist(), np.asarray(head).tolist()), weight=1.0)
    groups = np.asarray(groups, dtype=object)
    for name in {v for v in groups if isinstance(v, str) and v}:
        members = np.flatnonzero(groups == name)
        for a, b in zip(members[:-1], members[1:]):
            g.add_edge(int(a), int(b), weight=2.0)
    span = max(np.ptp(x), np.ptp(y), 1.0)
    pos = nx.spring_layout(g, pos={i: (x[i] / span, y[i] / span) for i in range(n)},
                           iterations=80, seed=seed, weight="weight")
    xy = np.array([pos[i] for i in range(n)])
    size = np.sqrt(n) * spread * np.mean(box[1] - box[0])
    xy = (xy - xy.mean(axis=0)) / max(np.ptp(xy), 1e-9) * size
    return separate(xy[:, 0], xy[:, 1], box)


def clustered(groups, tail, head, *, spacing: float = 90.0):
    """Groups (firms) on a grid, members around each group's centre; nodes without a group
    next to their partners. Returns (x, y)."""
    groups = np.asarray(groups, dtype=object)
    n = len(groups)
    ingroup = np.array([isinstance(g, str) and g != "" for g in groups], dtype=bool)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if ingroup.any():
        names, code = np.unique(groups[ingroup].astype(str), return_inverse=True)
        size = np.bincount(code)
        radius = spacing * np.sqrt(size.max()) + spacing
        side = int(np.ceil(np.sqrt(len(names))))
        gx = (np.arange(len(names)) % side) * 2.2 * radius
        gy = (np.arange(len(names)) // side) * 2.2 * radius
        x[ingroup], y[ingroup] = gx[code], gy[code]
    x, y = place_partners(x, y, tail, head, 1.5 * spacing)
    return spread_shared(x, y, spacing)


def place_partners(x, y, tail, head, offset):
    """Nodes without a position: the mean position of their positioned partners, moved
    `offset` away from the drawing's centre, or a row below everything when they have none."""
    n = len(x)
    missing = ~np.isfinite(x)
    if not missing.any():
        return x, y
    a = np.concatenate([tail, head]).astype(np.int64)
    b = np.concatenate([head, tail]).astype(np.int64)
    ok = np.isfinite(x[b]) & missing[a]
    cnt = np.bincount(a[ok], minlength=n)
    sx = np.bincount(a[ok], weights=x[b[ok]], minlength=n)
    sy = np.bincount(a[ok], weights=y[b[ok]], minlength=n)
    near = missing & (cnt > 0)
    if near.any():
        cx, cy = np.nanmean(x), np.nanmean(y)
        mx, my = sx[near] / cnt[near], sy[near] / cnt[near]
        dx, dy = mx - cx, my - cy
        norm = np.hypot(dx, dy)
        dx = np.where(norm > 1e-9, dx / np.maximum(norm, 1e-9), -1.0)
        dy = np.where(norm > 1e-9, dy / np.maximum(norm, 1e-9), 0.0)
        x[near], y[near] = mx + offset * dx, my + offset * dy
    rest = np.flatnonzero(~np.isfinite(x))
    if len(rest):
        base_y = (np.nanmax(y) if np.isfinite(y).any() else 0.0) + 2 * offset
        left = np.nanmin(x) if np.isfinite(x).any() else 0.0
        x[rest] = left + np.arange(len(rest)) * offset
        y[rest] = base_y
    return x, y


def spread_shared(x, y, spacing):
    """Nodes at (nearly) the same point are spread on a sunflower around it."""
    n = len(x)
    if n == 0:
        return x, y
    cell = spacing / 2.0
    kx = np.round(x / cell).astype(np.int64)
    ky = np.round(y / cell).astype(np.int64)
    order = np.lexsort((np.arange(n), ky, kx))
    same = np.r_[False, (kx[order][1:] == kx[order][:-1]) & (ky[order][1:] == ky[order][:-1])]
    starts = np.flatnonzero(~same)
    k = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    r = spacing * np.sqrt(k)
    ang = k * GOLDEN_ANGLE
    out_x, out_y = x.copy(), y.copy()
    out_x[order] = x[order] + r * np.cos(ang)
    out_y[order] = y[order] + r * np.sin(ang)
    return out_x, out_y


def separate(x, y, box, *, pad: float = 8.0, rounds: int = 400, most: int = 4000):
    """Push overlapping boxes apart (each pair along the axis where they overlap least,
    half each way) until none overlap; the drawing keeps its shape. Above `most` nodes
    nothing is moved (the check is by pairs)."""
    from scipy.spatial import cKDTree
    x = np.array(x, dtype=float)
    y = np.array(y, dtype=float)
    n = len(x)
    if n < 2 or n > most:
        return x, y
    left, right, top, bottom = (np.asarray(b, dtype=float) for b in box)
    cxo, cyo = (left + right) / 2, (top + bottom) / 2          # box centre offsets
    hw, hh = (right - left) / 2 + pad / 2, (bottom - top) / 2 + pad / 2
    reach = 2.0 * float(np.hypot(hw, hh).max())
    for _ in range(rounds):
        cx, cy = x + cxo, y + cyo
        pairs = cKDTree(np.c_[cx, cy]).query_pairs(reach, output_type="ndarray")
        if not len(pairs):
            break
        i, j = pairs[:, 0], pairs[:, 1]
        ox = hw[i] + hw[j] - np.abs(cx[i] - cx[j])
        oy = hh[i] + hh[j] - np.abs(cy[i] - cy[j])
        hit = (ox > 0) & (oy > 0)
        if not hit.any():
            break
        i, j, ox, oy = i[hit], j[hit], ox[hit], oy[hit]
        along_x = ox <= oy
        sx = np.where(cx[i] < cx[j], -1.0, 1.0)
        sx[cx[i] == cx[j]] = np.where(i[cx[i] == cx[j]] < j[cx[i] == cx[j]], -1.0, 1.0)
        sy = np.where(cy[i] < cy[j], -1.0, 1.0)
        sy[cy[i] == cy[j]] = np.where(i[cy[i] == cy[j]] < j[cy[i] == cy[j]], -1.0, 1.0)
        mx = np.where(along_x, sx * (ox / 2 + 0.5), 0.0)
        my = np.where(along_x, 0.0, sy * (oy / 2 + 0.5))
        dx = np.bincount(i, weights=mx, minlength=n) - np.bincount(j, weights=mx, minlength=n)
        dy = np.bincount(i, weights=my, minlength=n) - np.bincount(j, weights=my, minlength=n)
        cnt = np.maximum(np.bincount(np.r_[i, j], minlength=n), 1)
        x += dx / np.sqrt(cnt)
        y += dy / np.sqrt(cnt)
    return x, y


def grid(box, *, top: float, left: float, width: float, gap: float = 30.0):
    """Positions for nodes set aside (no flows): rows from (left, top) upto `width` wide,
    each row as high as its tallest box. Returns (x, y)."""
    lft, rgt, tp, btm = (np.asarray(b, dtype=float) for b in box)
    n = len(lft)
    x, y = np.zeros(n), np.zeros(n)
    cur_x, cur_y, row_h = left, top, 0.0
    for k in range(n):
        w = rgt[k] - lft[k]
        if cur_x > left and cur_x + w > left + width:
            cur_x, cur_y, row_h = left, cur_y + row_h + gap, 0.0
        x[k] = cur_x - lft[k]
        y[k] = cur_y - tp[k]
        cur_x += w + gap
        row_h = max(row_h, btm[k] - tp[k])
    return x, y
