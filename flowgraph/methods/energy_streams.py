"""Energy value streams: each energy carrier followed through the quantity centres (doc 002).

For every carrier (water, electricity, steam, ...) and attribute (money, tce, CO2) one value
column is injected where the carrier is purchased (flows from sources: quantity x price,
x standard-coal coefficient, x emission factor) and propagated with the network's own
allocation keys. All columns are solved together by solvers.propagate with the result's
factorisation (the network's solver cache), so there is no second propagator and no second
factorisation. Per centre the stream is then

    newly input (from sources and utilities) + carried in (from upstream centres)
        = passed to positive products + lost with negative products

and, for the whole system, CO2 carried by positive products leaving it is the effective
emission and CO2 carried by negative products the ineffective emission.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..solvers.propagate import Origins

#: attributes a stream can be followed in, and the per-unit factor each injects
STREAM_ATTRIBUTES = ("cost", "tce", "co2")
PARTS = ("new_input", "carried_in", "positive", "negative")
#: kinds of node whose outputs count as carried in (the rest are newly input)
CARRIED_FROM = ("process", "storage")
SYSTEM = "(system)"


def energy_carriers(result) -> list[str]:
    """Carriers of kind energy or water that are purchased (flow from a source)."""
    c = result.compiled
    bought = c.node_kind[c.tail] == "source"
    sel = bought & np.isin(c.carrier_kind, ["energy", "water"])
    return list(pd.unique(c.carrier[sel]))


def stream_origins(result, carriers, attributes=STREAM_ATTRIBUTES) -> Origins:
    """One injection column per (carrier, attribute): the carrier's purchases valued by the
    attribute's factor. Column names are 'carrier|attribute'."""
    c = result.compiled
    x = np.nan_to_num(result.quantities, nan=0.0)
    factors = {"cost": np.nan_to_num(c.price, nan=0.0), "tce": c.tce, "co2": c.co2}
    bad = [a for a in attributes if a not in factors]
    if bad:
        raise ModelError(f"energy value stream: unknown attribute(s) {bad}; use "
                         f"{', '.join(STREAM_ATTRIBUTES)}")
    known = set(c.carrier)
    missing = [k for k in carriers if k not in known]
    if missing:
        raise ModelError(f"energy value stream: no flow carries {missing}")
    bought = c.node_kind[c.tail] == "source"
    names, cols = [], []
    for carrier in carriers:
        sel = bought & (c.carrier == carrier)
        for attr in attributes:
            names.append(f"{carrier}|{attr}")
            cols.append(np.where(sel, x * factors[attr], 0.0))
    flow = np.column_stack(cols) if cols else np.zeros((c.n_flows, 0))
    zeros = np.zeros((c.n_nodes, len(names)))
    return Origins(tuple(names), flow, zeros, zeros.copy())


def propagate_streams(result, carriers=None, attributes=STREAM_ATTRIBUTES):
    """The propagated stream columns (a solvers.propagate.Propagation), solved with the
    factorisation the result's own value flow used."""
    carriers = energy_carriers(result) if carriers is None else list(carriers)
    if not carriers or not attributes:
        raise ModelError("energy value stream: no carriers to follow (none of kind energy or "
                         "water is purchased); name them")
    return result.propagate(stream_origins(result, carriers, attributes))


def energy_value_stream(result, carriers=None, attributes=STREAM_ATTRIBUTES,
                        centres=None) -> pd.DataFrame:
    """Per carrier, attribute and centre: new_input, carried_in, positive (passed to good
    product), negative (lost with waste) and loss_share; plus a '(system)' row per carrier
    and attribute (new_input = purchased, positive = effective, negative = ineffective:
    what reaches sinks on positive and on negative products).

    Index (carrier, attribute, centre); carriers default to the purchased energy and water
    carriers; centres to process, utility and storage nodes.
    """
    c = result.compiled
    if carriers is None and not energy_carriers(result):
        index = pd.MultiIndex.from_tuples([], names=["carrier", "attribute", "centre"])
        return pd.DataFrame(columns=[*PARTS, "loss_share"], index=index, dtype=float)
    prop = propagate_streams(result, carriers, attributes)
    if centres is None:
        centres = list(c.node_ids[np.isin(c.node_kind, ["process", "utility", "storage"])])
    idx = c.node_ids.get_indexer(centres)
    carried = np.isin(c.node_kind[c.tail], CARRIED_FROM)
    neg = c.negative
    to_sink = c.node_kind[c.head] == "sink"
    n = c.n_nodes
    frames = []
    for j, name in enumerate(prop.names):
        carrier, attr = name.split("|")
        v = prop.flow[:, j]
        parts = {
            "new_input": np.bincount(c.head, weights=np.where(carried, 0.0, v), minlength=n)[idx],
            "carried_in": np.bincount(c.head, weights=np.where(carried, v, 0.0), minlength=n)[idx],
            "positive": np.bincount(c.tail, weights=np.where(neg, 0.0, v), minlength=n)[idx],
            "negative": np.bincount(c.tail, weights=np.where(neg, v, 0.0), minlength=n)[idx],
        }
        rows = pd.DataFrame(parts, index=list(centres))
        bought = c.node_kind[c.tail] == "source"
        rows.loc[SYSTEM] = [v[bought].sum(), 0.0, v[to_sink & ~neg].sum(), v[to_sink & neg].sum()]
        rows.index = pd.MultiIndex.from_product([[carrier], [attr], rows.index],
                                                names=["carrier", "attribute", "centre"])
        frames.append(rows)
    table = pd.concat(frames)
    out = table["positive"] + table["negative"]
    table["loss_share"] = np.divide(table["negative"], out, out=np.zeros(len(table)),
                                    where=out.to_numpy() != 0)
    return table


def emissions_split(result, carriers=None) -> pd.DataFrame:
    """Effective (carried by positive products leaving the system) and ineffective (carried
    by negative products) CO2 per carrier, in t, with the ineffective share."""
    table = energy_value_stream(result, carriers, attributes=("co2",))
    sys = table.xs(SYSTEM, level="centre").xs("co2", level="attribute")
    out = pd.DataFrame({"emitted": sys["new_input"], "effective": sys["positive"],
                        "ineffective": sys["negative"]})
    out.loc["total"] = out.sum()
    out["ineffective_share"] = np.divide(out["ineffective"], out["emitted"],
                                         out=np.zeros(len(out)),
                                         where=out["emitted"].to_numpy() != 0)
    out.index.name = "carrier"
    return out


def layer_account(result, layer: str, price: float | None = None, centres=None) -> pd.DataFrame:
    """A physical account of one balance layer (e.g. water) per centre: newly input (from
    sources and utilities), carried in (from centres), passed on (positive outputs) and lost
    (negative outputs), in the layer's unit and, at `price` per unit (default: the average
    purchase price of the layer's flows from sources), in money. This follows the substance
    itself, not an allocation: the water a centre discharges is its lost water."""
    c = result.compiled
    if layer not in c.layers:
        raise ModelError(f"layer '{layer}' is not a balance layer (layers: {', '.join(c.layers)})")
    amount = c.W[:, c.layer_index(layer)] * np.nan_to_num(result.quantities, nan=0.0)
    bought = c.node_kind[c.tail] == "source"
    if price is None:
        paid = np.nan_to_num(c.price, nan=0.0) * np.nan_to_num(result.quantities, nan=0.0)
        sel = bought & (amount > 0)
        price = float(paid[sel].sum() / amount[sel].sum()) if amount[sel].sum() > 0 else 0.0
    if centres is None:
        centres = list(c.node_ids[np.isin(c.node_kind, ["process", "utility", "storage"])])
    idx = c.node_ids.get_indexer(centres)
    carried = np.isin(c.node_kind[c.tail], CARRIED_FROM)
    n = c.n_nodes
    table = pd.DataFrame({
        "new_input": np.bincount(c.head, weights=np.where(carried, 0.0, amount), minlength=n)[idx],
        "carried_in": np.bincount(c.head, weights=np.where(carried, amount, 0.0), minlength=n)[idx],
        "passed_on": np.bincount(c.tail, weights=np.where(c.negative, 0.0, amount), minlength=n)[idx],
        "lost": np.bincount(c.tail, weights=np.where(c.negative, amount, 0.0), minlength=n)[idx],
    }, index=pd.Index(centres, name="centre"))
    to_sink = c.node_kind[c.head] == "sink"
    table.loc[SYSTEM] = [amount[bought].sum(), 0.0, amount[to_sink & ~c.negative].sum(),
                         amount[to_sink & c.negative].sum()]
    for col in ("new_input", "carried_in", "passed_on", "lost"):
        table[f"{col}_cost"] = table[col] * price
    table.attrs["price"] = price
    return table
