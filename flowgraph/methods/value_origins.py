"""Doc 001's value flows 1-4 by origin (figure 1 of 循环经济价值流协同效应, section 2.2):
value flows 1 and 2 are the input value of purchased resources (外购资源), value flow 3 the
value of the firm's own resources or intermediate products (自有资源或中间产品), value flow 4
the value of wastes recycled into production (废弃物经过循环再利用).

On a solved result every flow entering a process, utility or storage node is classed:

    VF 1-2  purchased      from a source that is not one of the firm's own   value: its cost
    VF 3    own resources  from a source the case names as the firm's own    value: its cost
    VF 3    intermediates  a named intermediate carrier passed between two    value: the cost
                           of the firm's centres                              it carries
    VF 4    recycled       role recycle, or a flow the case names             value: the cost
                                                                              it carries
Purchased and own-resource flows are new inputs: their material cost sums to the statement's
raw-material cost (plus any centre's own material cost), their energy cost to its energy
cost. Intermediates and recycled flows carry value already counted in those inputs; they are
shown beside the statement, never added to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.schema import COST_CATEGORIES
from ..solvers.propagate import CATEGORY_ATTRIBUTE

PURCHASED, OWN, INTERMEDIATE, RECYCLED = ("1-2 purchased", "3 own resources",
                                          "3 own intermediates", "4 recycled")
ORIGINS = (PURCHASED, OWN, INTERMEDIATE, RECYCLED)
#: whether an origin's value is a new input (in the positive cost) or carried (memo)
COUNTED = {PURCHASED: "new input", OWN: "new input", INTERMEDIATE: "carried (memo)",
           RECYCLED: "carried (memo)"}


def classify(result, own_sources=(), intermediates=(), recycled=()) -> pd.DataFrame:
    """Every flow of `result` with a value origin (see the module): source, target,
    carrier, role, quantity, unit, origin, value (its cost) and cost by category."""
    c = result.compiled
    f = result.flows
    kind = c.node_kind
    tail_kind, head_kind = kind[c.tail], kind[c.head]
    into_centre = ~np.isin(head_kind, ["source", "sink"])
    from_source = tail_kind == "source"
    own = np.isin(c.node_ids[c.tail], list(own_sources))
    inter = np.isin(c.carrier, list(intermediates)) & ~np.isin(tail_kind, ["source", "sink"])
    rec = (c.role == "recycle") | np.isin(np.asarray(c.flow_ids), list(recycled))
    origin = np.full(c.n_flows, "", dtype=object)
    origin[into_centre & inter] = INTERMEDIATE
    origin[into_centre & rec & ~from_source] = RECYCLED
    origin[into_centre & from_source & ~own] = PURCHASED
    origin[into_centre & from_source & own] = OWN
    sel = origin != ""
    out = pd.DataFrame({"source": f["source"].to_numpy()[sel],
                        "target": f["target"].to_numpy()[sel],
                        "carrier": f["carrier"].to_numpy()[sel],
                        "role": f["role"].to_numpy()[sel],
                        "quantity": f["quantity"].to_numpy()[sel],
                        "unit": f["unit"].to_numpy()[sel], "origin": origin[sel],
                        "value": f["cost"].to_numpy()[sel]}, index=f.index[sel])
    for cat in COST_CATEGORIES:
        out[cat] = f[CATEGORY_ATTRIBUTE[cat]].to_numpy()[sel]
    out.index.name = "flow"
    return out


def summarise(flows: pd.DataFrame, mass_t: pd.Series | None = None) -> pd.DataFrame:
    """Per origin (all four, zero where none): value by cost category and in total, the
    number of flows, their mass (t, when `mass_t` gives each flow's) and whether the value
    is a new input or carried."""
    cats = list(COST_CATEGORIES)
    g = flows.groupby("origin")[[*cats, "value"]].sum().reindex(ORIGINS).fillna(0.0)
    g["flows"] = flows.groupby("origin").size().reindex(ORIGINS).fillna(0).astype(int)
    if mass_t is not None:
        g["mass_t"] = mass_t.reindex(flows.index).groupby(flows["origin"]).sum() \
            .reindex(ORIGINS).fillna(0.0)
    g["counted"] = [COUNTED[o] for o in ORIGINS]
    g.index.name = "value flow"
    return g
