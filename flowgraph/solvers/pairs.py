"""Per (carrier, unit) pair of a network's flows, computed once per pair: layer weights,
the primary layer, tce, CO2, price, cost category and names (compiled.py keeps a code per
flow and expands on first use)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError, UnitError
from ..model.schema import COST_CATEGORIES


def _at(origins, i):
    return None if origins is None else origins[i]


def carrier_unit_pairs(net, carrier, unit, flow_ids, origin):
    """Code each flow by its (carrier, unit) pair and compute, once per pair, the layer
    weights, primary layer, tce, CO2, price, cost category and names."""
    n = len(carrier)
    c_codes, c_uniq = pd.factorize(pd.Series(carrier, dtype=object), use_na_sentinel=False)
    u_codes, u_uniq = pd.factorize(pd.Series(unit, dtype=object), use_na_sentinel=False)
    nu = max(len(u_uniq), 1)
    combined = c_codes.astype(np.int64) * nu + u_codes
    seen = np.zeros(max(len(c_uniq), 1) * nu, dtype=np.int64) - 1
    present = np.zeros(len(seen), dtype=bool)
    present[combined] = True
    pair_keys = np.flatnonzero(present)
    seen[pair_keys] = np.arange(len(pair_keys))
    pair = seen[combined].astype(np.int32) if n else np.zeros(0, np.int32)
    uniques = [(c_uniq[p // nu], u_uniq[p % nu]) for p in pair_keys]
    layers = ["mass", "energy"]
    for cname in c_uniq:
        car = net.carriers.get(cname)
        if car is not None:
            layers += [lay for lay in car.balance_layers if lay not in layers]
    k = len(uniques)
    W_u = np.zeros((k, len(layers)))
    prim_u = np.full(k, -1, dtype=np.int16)
    tce_u, co2_u, price_u = np.zeros(k), np.zeros(k), np.full(k, np.nan)
    cat_u = np.zeros(k, dtype=np.int8)
    kind_u = np.empty(k, dtype=object)
    carrier_u = np.empty(k, dtype=object)
    unit_u = np.empty(k, dtype=object)
    for j, (cname, uname) in enumerate(uniques):
        car = net.carriers.get(cname)
        if car is None:
            first = int(np.argmax(pair == j))
            raise ModelError(f"flow '{flow_ids[first]}': carrier '{cname}' is not declared",
                             flows=[flow_ids[first]], origin=_at(origin, first))
        if not isinstance(uname, str):
            uname = car.unit
        try:
            car.check_unit(uname, "flow")
            weights = car.weights(uname)
            to_carrier = _unit_ratio(uname, car.unit)
        except UnitError as exc:
            first = int(np.argmax(pair == j))
            msg = str(exc).replace("flow:", f"flow '{flow_ids[first]}':", 1)
            raise UnitError(msg, flows=[flow_ids[first]], origin=_at(origin, first)) from None
        for lay, w in weights.items():
            W_u[j, layers.index(lay)] = w
        present_l = [layers.index(lay) for lay in car.balance_layers if lay in weights]
        prim_u[j] = present_l[0] if present_l else -1
        tce_u[j] = (car.tce or 0.0) * to_carrier
        co2_u[j] = (car.co2 or 0.0) * to_carrier
        price_u[j] = car.price * to_carrier if car.price is not None else np.nan
        cat_u[j] = COST_CATEGORIES.index(car.category)
        kind_u[j], carrier_u[j], unit_u[j] = car.kind, cname, uname
    tables = {"layers": layers, "pair_W": W_u, "pair_primary": prim_u, "pair_tce": tce_u,
              "pair_co2": co2_u, "pair_price": price_u, "pair_category": cat_u,
              "pair_carrier": carrier_u, "pair_kind": kind_u, "pair_unit": unit_u}
    return pair, tables


def _unit_ratio(flow_unit: str, carrier_unit: str) -> float:
    from ..model import units
    return units.factor(flow_unit, carrier_unit)
