"""The MFCA flow-cost matrix, read off a solved result (ISO 14051 arithmetic).

For each quantity centre (process, utility and storage nodes) the value that enters -
carried in from upstream centres, purchased from sources, and the centre's own added costs -
is split by the allocation key between its outputs: positive products (passed on or sold)
and negative products (material losses: role loss, emission, waste). Waste-management cost
lands on the negative products only. Every cost category is conserved centre by centre:

    carried in + purchased + own added = positive + negative (+ kept in stock)

The loss cost of a centre is the cost of its negative products; its loss share is loss cost
over the cost of all its outputs. All numbers come from the one value-flow solution of the
result (solvers.propagate); nothing here solves anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..model.schema import COST_CATEGORIES
from .propagate import COST_ATTRIBUTES

CATEGORY_COLUMNS = dict(zip(COST_ATTRIBUTES, COST_CATEGORIES))
CATEGORIES = list(COST_CATEGORIES)
#: node kinds that are quantity/cost centres
CENTRE_KINDS = ("process", "utility", "storage")
#: rows of the matrix per centre, in order: inputs (with inputs=True) then outputs
INPUT_ROWS = ("carried in", "purchased", "own added")
OUTPUT_ROWS = ("positive", "negative")
SYSTEM = "(system)"


def flow_cost_matrix(result, centres=None, include_system: bool = True, inputs: bool = False,
                     sort: str | None = None) -> pd.DataFrame:
    """The MFCA flow-cost matrix.

    Rows (centre, product): product 'positive' or 'negative' (with inputs=True also
    'carried in', 'purchased' and 'own added' before them). Columns: the cost categories
    material, energy, system, waste_management, their total, share (of the centre's output
    cost, so the negative row's share is the loss share; for input rows, of its input cost),
    then mass (t), tce and co2. With include_system, rows ('(system)', ...) give the whole
    system: what it bought and added, and its positive and negative products reaching sinks.
    sort='loss' orders the centres by loss cost, largest first.
    """
    c = result.compiled
    f = result.flows
    centres = _centres(c, centres)
    frame = _flow_frame(result)
    out = frame.assign(centre=f["source"].to_numpy(),
                       product=np.where(c.negative, "negative", "positive"))
    rows = list(INPUT_ROWS) + list(OUTPUT_ROWS) if inputs else list(OUTPUT_ROWS)
    parts = [out[out["centre"].isin(centres)].groupby(["centre", "product"], sort=False)
             .sum(numeric_only=True)]
    if inputs:
        tail_kind = c.node_kind[c.tail]
        into = frame.assign(centre=f["target"].to_numpy(),
                            product=np.where(tail_kind == "source", "purchased", "carried in"))
        parts.append(into[into["centre"].isin(centres)].groupby(["centre", "product"], sort=False)
                     .sum(numeric_only=True))
        parts.append(_own_added(c, centres))
    index = pd.MultiIndex.from_product([centres, rows], names=["centre", "product"])
    table = pd.concat(parts).groupby(level=[0, 1], sort=False).sum().reindex(index, fill_value=0.0)
    if include_system:
        table = pd.concat([table, _system_rows(result, frame, inputs)])
    table["total"] = table[CATEGORIES].sum(axis=1)
    table["share"] = _shares(table)
    if sort == "loss":
        ranked = loss_ranking(result, centres).index.tolist()
        order = ranked + [q for q in centres if q not in ranked]
        order += [SYSTEM] if include_system else []
        table = table.reindex(pd.MultiIndex.from_tuples(
            [(q, p) for q in order for p in rows], names=["centre", "product"]))
    elif sort is not None:
        raise ValueError("sort must be None or 'loss'")
    return table[[*CATEGORIES, "total", "share", "mass", "tce", "co2"]]


def loss_ranking(result, centres=None) -> pd.DataFrame:
    """Centres ranked by loss cost: per centre the cost entering (carried in, purchased, own
    added), leaving as positive and negative products, the loss share, the loss cost by
    category, and the rank (1 = largest loss).

    By default the quantity centres proper (process nodes): a utility that treats the
    negative products of others would count their loss a second time."""
    c = result.compiled
    if centres is None:
        centres = list(c.node_ids[c.node_kind == "process"])
    m = flow_cost_matrix(result, centres, include_system=False, inputs=True)
    total = m["total"].unstack("product")
    table = pd.DataFrame({
        "carried_in": total["carried in"], "purchased": total["purchased"],
        "own_added": total["own added"], "positive": total["positive"],
        "loss": total["negative"]})
    out_cost = table["positive"] + table["loss"]
    table["loss_share"] = np.divide(table["loss"], out_cost, out=np.zeros(len(table)),
                                    where=out_cost.to_numpy() != 0)
    neg = m.xs("negative", level="product")
    for cat in CATEGORIES:
        table[f"loss_{cat}"] = neg[cat]
    table["loss_tce"] = neg["tce"]
    table["loss_co2"] = neg["co2"]
    table = table.sort_values("loss", ascending=False, kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    table.index.name = "centre"
    return table


def category_balance(result, centres=None) -> pd.DataFrame:
    """Per centre and category: inputs (carried in + purchased + own added) minus outputs
    (positive + negative) minus what stays in stock. Zero everywhere for a correct solution;
    the MFCA conservation law read off the matrix (tests call it)."""
    m = flow_cost_matrix(result, centres, include_system=False, inputs=True)
    cols = [*CATEGORIES, "tce", "co2"]
    get = {p: m.xs(p, level="product")[cols] for p in (*INPUT_ROWS, *OUTPUT_ROWS)}
    diff = (get["carried in"] + get["purchased"] + get["own added"]
            - get["positive"] - get["negative"])
    c = result.compiled
    names = list(result.values.names)
    kept = pd.DataFrame(0.0, index=diff.index, columns=cols)
    idx = c.node_ids.get_indexer(diff.index)
    for col, attr in [*zip(CATEGORIES, COST_ATTRIBUTES), ("tce", "tce"), ("co2", "co2")]:
        if attr in names:
            kept[col] = result.values.retained[idx, names.index(attr)]
    return diff - kept


def margin(result) -> float:
    """Annual margin: sales value of the positive products leaving the system (quantity x
    price on flows to sinks) minus purchases minus the centres' own added costs. The
    benefit of a measure is the margin of its scenario minus the base margin."""
    c = result.compiled
    f = result.flows
    sold = (c.node_kind[c.head] == "sink") & ~c.negative
    bought = c.node_kind[c.tail] == "source"
    return float(f["value"].to_numpy()[sold].sum() - f["cost"].to_numpy()[bought].sum()
                 - c.node_costs.sum())


# -- pieces ------------------------------------------------------------------------------

def _centres(c, centres) -> list:
    if centres is None:
        return list(c.node_ids[np.isin(c.node_kind, CENTRE_KINDS)])
    centres = list(centres)
    unknown = [q for q in centres if q not in c.node_ids]
    if unknown:
        raise ModelError(f"mfca: unknown centre(s) {unknown}", nodes=unknown)
    return centres


def _flow_frame(result) -> pd.DataFrame:
    """Per flow: cost by category, mass (t), tce and co2."""
    c = result.compiled
    f = result.flows
    frame = f[list(COST_ATTRIBUTES) + ["tce", "co2"]].rename(columns=CATEGORY_COLUMNS)
    frame["mass"] = c.W[:, c.layer_index("mass")] * np.nan_to_num(result.quantities)
    return frame


def _own_added(c, centres) -> pd.DataFrame:
    """A centre's own added costs (system, energy, waste management, ...), tce and co2."""
    idx = c.node_ids.get_indexer(centres)
    own = pd.DataFrame(c.node_costs[idx], columns=CATEGORIES)
    own["mass"] = 0.0
    own["tce"] = c.node_tce[idx]
    own["co2"] = c.node_co2[idx]
    own.index = pd.MultiIndex.from_arrays([centres, ["own added"] * len(centres)],
                                          names=["centre", "product"])
    return own


def _system_rows(result, frame, inputs: bool) -> pd.DataFrame:
    """The whole system: purchases and own added costs in; products reaching sinks out."""
    c = result.compiled
    to_sink = c.node_kind[c.head] == "sink"
    out = frame[to_sink].assign(product=np.where(c.negative[to_sink], "negative", "positive"))
    out = out.groupby("product").sum(numeric_only=True).reindex(list(OUTPUT_ROWS), fill_value=0.0)
    parts = []
    if inputs:
        bought = frame[c.node_kind[c.tail] == "source"].sum(numeric_only=True)
        centres = list(c.node_ids[np.isin(c.node_kind, CENTRE_KINDS)])
        own = _own_added(c, centres).sum(numeric_only=True)
        parts.append(pd.DataFrame({"carried in": 0.0 * bought, "purchased": bought,
                                   "own added": own}).T)
    parts.append(out)
    rows = pd.concat(parts).fillna(0.0)
    rows.index = pd.MultiIndex.from_product([[SYSTEM], rows.index], names=["centre", "product"])
    return rows


def _shares(table: pd.DataFrame) -> np.ndarray:
    """Each row's total over its centre's output total (outputs) or input total (inputs)."""
    product = table.index.get_level_values("product")
    centre = table.index.get_level_values("centre")
    is_out = np.isin(product, OUTPUT_ROWS)
    group = pd.Series(np.where(is_out, "out", "in"), index=table.index)
    denom = table["total"].groupby([centre, group.to_numpy()]).transform("sum").to_numpy()
    total = table["total"].to_numpy()
    return np.divide(total, denom, out=np.full(len(total), np.nan), where=denom != 0)
