"""Utilities in bands around a layered flowsheet.

A plant's utilities (a CHP, the steam network, cooling water, compressed air, wastewater
treatment) are tied to most process units. Laid out as columns of the flowsheet they
lengthen it (the steam network between the HCl furnaces that raise steam and the units
that use it) and their flows cross it everywhere. Here the process chain is laid out alone
(layout.layered) and the utilities sit in a band above it (suppliers: what they send is
mostly products) or below it (treatment: what reaches them is mostly negative products,
loss, emission, waste), each over the columns of the units it serves; their flows drop
into the chain from above or below.

Utilities are nodes of kind 'utility' or of system 'auxiliary' or 'ancillary'; a source or
sink tied only to them joins their band. Without at least two process nodes left in the
chain (a park of utilities, say) there are no bands.
"""

from __future__ import annotations

import numpy as np

from . import layout as lay

UTILITY_SYSTEMS = ("auxiliary", "ancillary", "utility", "utilities")
#: px between the chain and a band
BAND_GAP = 60.0


def bands(kind, system, tail, head, negative, energy) -> np.ndarray:
    """Per node: -1 top band (supplying utility), 0 the process chain, +1 bottom band
    (treating utility). `negative` and `energy` are per flow: negative products, and
    energy carriers (power and steam reach every unit and say nothing of its role)."""
    kind = np.asarray(kind, dtype=object)
    n = len(kind)
    system = np.asarray(system, dtype=object)
    util = (kind == "utility") | np.isin(system, UTILITY_SYSTEMS)
    band = np.zeros(n, dtype=np.int64)
    chain = (~util) & np.isin(kind, ("process", "storage"))
    if not util.any() or chain.sum() < 2:
        return band
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    matter = ~np.asarray(energy, dtype=bool)
    neg_in = np.bincount(head[matter], weights=np.asarray(negative, float)[matter], minlength=n)
    all_in = np.bincount(head[matter], minlength=n)
    band[util] = np.where(neg_in[util] * 2 >= np.maximum(all_in[util], 1), 1, -1)
    band[util & (all_in == 0)] = -1
    # a source of energy alone feeding three chain units or more (a grid, a steam
    # supplier) is a utility too
    src = np.flatnonzero(kind == "source")
    for j in src:
        out = tail == j
        if out.any() and not matter[out].any() and len(np.unique(head[out][chain[head[out]]])) >= 3:
            band[j] = -1
    # sources and sinks tied only to utilities join them
    ends = np.isin(kind, ("source", "sink")) & (band == 0)
    for j in np.flatnonzero(ends):
        partners = np.r_[head[tail == j], tail[head == j]]
        if len(partners) and (band[partners] != 0).all():
            band[j] = int(np.sign(band[partners].sum())) or -1
    return band


def banded(n, tail, head, *, back, kind, stage, band, box, placeholders=True,
           gap_x: float = 70.0, gap_y: float = 22.0):
    """layout.layered for the chain, the bands above and below it. Returns x, y, column
    and each flow's bend, as layout.layered does."""
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    band = np.asarray(band, dtype=np.int64)
    left, right, top, bottom = (np.asarray(b, dtype=float) for b in box)
    if not (band != 0).any():
        return lay.layered(n, tail, head, back=back, kind=kind, stage=stage, box=box,
                           gap_x=gap_x, gap_y=gap_y, placeholders=placeholders)
    main = np.flatnonzero(band == 0)
    pos = np.full(n, -1, dtype=np.int64)
    pos[main] = np.arange(len(main))
    inner = (band[tail] == 0) & (band[head] == 0)
    sub = tuple(b[main] for b in (left, right, top, bottom))
    _, ys, col_m, bend_m = lay.layered(
        len(main), pos[tail[inner]], pos[head[inner]], back=np.asarray(back)[inner],
        kind=np.asarray(kind, dtype=object)[main], stage=np.asarray(stage, dtype=object)[main],
        box=sub, gap_x=gap_x, gap_y=gap_y, placeholders=placeholders)
    column = np.zeros(n, dtype=np.int64)
    column[main] = col_m
    ncol = int(col_m.max()) + 1 if len(col_m) else 1
    y = np.zeros(n)
    y[main] = ys
    column = _band_columns(column, band, tail, head, kind, ncol, _tops(column, band, y))
    x = lay._column_x(column, right - left, gap_x)
    chain_top = float(np.min(ys + top[main]))
    chain_bottom = float(np.max(ys + bottom[main]))
    for side in (-1, 1):
        sel = np.flatnonzero(band == side)
        if len(sel):
            x[sel], y[sel] = _band_place(sel, x, left, right, top, bottom, side,
                                         chain_top, chain_bottom, gap_x, gap_y,
                                         float(np.ptp(x[main])) if len(main) else 0.0)
    bend = np.zeros(len(tail))
    bend[inner] = bend_m
    return x, y, column, bend


def _tops(column, band, y) -> np.ndarray:
    """Chain nodes at the top of their column (nothing of the chain above them)."""
    chain = np.flatnonzero(band == 0)
    top = np.zeros(len(band), dtype=bool)
    if len(chain):
        first = {}
        for j in chain[np.argsort(y[chain], kind="stable")]:
            first.setdefault(int(column[j]), j)
        top[list(first.values())] = True
    return top


def _band_columns(column, band, tail, head, kind, ncol, top) -> np.ndarray:
    """Columns of band nodes: a utility, and a source supplying three chain nodes or more
    that all head their columns (a grid whose flows drop into them from above, crossing no
    other node), over the median column of the chain nodes it is tied to (or of the band
    nodes placed before it); another source one column before the first node it feeds, a
    sink one after the last node feeding it."""
    placed = band == 0
    kind = np.asarray(kind, dtype=object)
    for _ in range(3):                       # band nodes tied only to band nodes: later
        for j in np.flatnonzero(~placed):
            outs, ins = head[tail == j], tail[head == j]
            partners = np.r_[outs, ins]
            known = partners[placed[partners]]
            if not len(known):
                continue
            fed = outs[band[outs] == 0]
            if kind[j] == "source" and len(fed) >= 3 and top[fed].all():
                c = int(np.round(np.median(column[fed])))
            elif kind[j] == "source":
                c = column[outs[placed[outs]]].min() - 1 if placed[outs].any() else 0
            elif kind[j] == "sink":
                c = column[ins[placed[ins]]].max() + 1 if placed[ins].any() else ncol - 1
            else:
                c = int(np.round(np.median(column[known])))
            column[j] = int(np.clip(c, 0, ncol - 1))
            placed[j] = True
    return column


def _band_place(sel, x, left, right, top, bottom, side, chain_top, chain_bottom, gap_x,
                gap_y, chain_width):
    """x and y of one band's nodes: as near the x of their columns as the boxes allow
    (in one row, a weighted isotonic fit keeps their order and spacing), in two rows when
    one would run far beyond the chain."""
    order = sel[np.lexsort((sel, x[sel]))]
    width = right[order] - left[order]
    rows = 2 if np.sum(width + gap_x) > 1.3 * max(chain_width, 1.0) and len(order) > 2 else 1
    height = float(np.max(bottom[sel] - top[sel])) + gap_y
    out_x = np.zeros(len(order))
    out_y = np.zeros(len(order))
    for r in range(rows):
        part = np.arange(r, len(order), rows)
        w = width[part]
        gap = np.r_[0.0, (w[1:] + w[:-1]) / 2.0 + gap_x / 2.0]
        offset = np.cumsum(gap)
        fit = lay._isotonic(x[order[part]] - offset, np.ones(len(part))) + offset
        out_x[part] = fit
        if side < 0:
            out_y[part] = chain_top - BAND_GAP - r * height - bottom[order[part]]
        else:
            out_y[part] = chain_bottom + BAND_GAP + r * height - top[order[part]]
    res_x, res_y = np.zeros(len(sel)), np.zeros(len(sel))
    where = {int(j): k for k, j in enumerate(sel)}
    for k, j in enumerate(order):
        res_x[where[int(j)]] = out_x[k]
        res_y[where[int(j)]] = out_y[k]
    return res_x, res_y
