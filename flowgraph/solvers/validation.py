"""Checks of a whole network at compile time, on its arrays: transfer coefficients that can
be taken (a layer, an inflow to take a share of, no more than 1 in all) and closed balance
layers that have flows on both sides. Errors name the node, the flows and their origin."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError
from .specs import SHARE

#: shares leaving a node in one layer may sum to 1 plus this (rounding of given data)
SHARE_TOL = 1e-9


def check_shares(c) -> None:
    """Shares must refer to a layer, leave a node that has inflow there, and sum to <= 1."""
    sh = np.flatnonzero(c.spec == SHARE)
    if not len(sh):
        return
    prim = c.pair_primary[c.pair[sh]].astype(np.int64)
    nolayer = sh[prim < 0]
    if len(nolayer):
        i = nolayer[0]
        raise ModelError(f"flow '{c.flow_ids[i]}' has a share, but carrier '{c.carrier[i]}' in "
                         f"'{c.unit[i]}' counts in no balance layer, so there is no inflow to take "
                         f"a share of; give a quantity or per instead", flows=[c.flow_ids[i]],
                         origin=c.origin_of_flow(i))
    L = len(c.layers)
    key = c.tail[sh] * L + prim
    total = np.bincount(key, weights=c.param[sh], minlength=c.n_nodes * L)
    over = np.flatnonzero(total > 1.0 + SHARE_TOL)
    if len(over):
        node, lay = divmod(int(over[0]), L)
        members = sh[key == over[0]]
        raise ModelError(f"shares leaving node '{c.node_ids[node]}'{c.where_node(node)} in the "
                         f"{c.layers[lay]} layer sum to {total[over[0]]:.6g} > 1: "
                         f"{c.flow_names(members)}", nodes=[c.node_ids[node]],
                         flows=list(c.flow_ids[members]))
    inflow = np.zeros(c.n_nodes * L, dtype=bool)
    inc_f, inc_l, _ = c.incidence
    inflow[c.head[inc_f] * L + inc_l] = True
    orphan = sh[~inflow[key]]
    if len(orphan):
        i = orphan[0]
        node = c.tail[i]
        raise ModelError(f"flow '{c.flow_ids[i]}'{c.where_flow(i)} is a share of the "
                         f"{c.layers[c.pair_primary[c.pair[i]]]} inflow of node '{c.node_ids[node]}', "
                         f"but no {c.layers[c.pair_primary[c.pair[i]]]} flow enters that node",
                         nodes=[c.node_ids[node]],
                         flows=[c.flow_ids[i]])


def check_closed_layers(c) -> None:
    """A closed layer needs flows of that layer on both sides (or a stock change)."""
    L = len(c.layers)
    inc_f, inc_l, _ = c.incidence
    has_in = np.zeros(c.n_nodes * L, dtype=bool)
    has_out = np.zeros(c.n_nodes * L, dtype=bool)
    has_in[c.head[inc_f] * L + inc_l] = True
    has_out[c.tail[inc_f] * L + inc_l] = True
    closed = c.closed.ravel()
    stock = c.stock.ravel() != 0
    explicit = np.zeros(c.n_nodes, dtype=bool)
    explicit[np.flatnonzero(pd.notna(c.network.node_frame()["layers"]).to_numpy())] = True
    explicit_rows = np.repeat(explicit, L)
    none = closed & ~has_in & ~has_out & ~stock & explicit_rows
    one_sided = closed & (has_in ^ has_out) & ~stock
    for bad, msg in ((none, "closes the {layer} layer but no {layer} flow touches it"),
                     (one_sided, "closes the {layer} layer but {layer} only {side} it; add its "
                                 "{other}, give a stock change, or leave {layer} out of its layers")):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            node, lay = divmod(k, L)
            side, other = ("enters", "outputs") if has_in[k] else ("leaves", "inputs")
            raise ModelError(f"node '{c.node_ids[node]}'{c.where_node(node)} " +
                             msg.format(layer=c.layers[lay], side=side, other=other),
                             nodes=[c.node_ids[node]])
