"""Product footprints by gas and in CO2e: every item of the GHG inventory carried along the
flows to the products, by the same allocation keys as cost, standard coal and CO2.

The inventory (methods/greenhouse.py) says where each emission happens and in which scope;
it stops there. Here each item enters the value flow where the inventory places it:

- a purchase across the boundary (fuel burnt: its CO2, CH4 and N2O; electricity, heat,
  steam: scope 2; goods with an embodied factor: scope 3) is carried by that flow, as the
  core propagation carries a purchase's price and CO2;
- a node's own emissions (`co2`, `emit_<gas>`) and a gas flow it releases to a sink are the
  node's own amounts, passed to all its outputs by its allocation key, as its own `co2` is
  (so the product of a process bears the methane it vents);
- off-site treatment of a waste (`treatment_co2` of a sink, already in CO2e) is carried by
  the waste flow itself: it is that flow's emission.

With one column per gas (t of gas) and one per scope (t CO2e under the chosen GWP set),
A = (I - K)^-1 B is solved once with the factorisation of the result's own value flow
(Result.propagate), so a flow's t of CH4 is allocated exactly as its cost is. What reaches
the sinks (on positive and negative products) plus what stays in stock is the inventory's
total: nothing is created or lost on the way (footprint_account).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..model.schema import suggestion
from ..solvers.propagate import Origins
from .greenhouse import CO2E, GHGInventory, check_gwp_set, gas_name, ghg_inventory

#: the scopes an item can be in, one t CO2e column each
SCOPES = (1, 2, 3)
#: the footprint in CO2e, the sum of the scope columns
FOOTPRINT = "co2e_t"
#: the column of items the inventory already gives in CO2e (off-site treatment)
GIVEN_CO2E = "CO2e_given_t"
#: which flows ghg_footprints reports by default: those reaching a sink
TO_SINKS = "sinks"
FLOW_INFO = ["source", "target", "carrier", "role", "negative", "quantity", "unit"]


def gas_column(gas: str) -> str:
    """The column of a gas (as data/gwp.csv names it) in t of the gas."""
    return GIVEN_CO2E if gas == CO2E else f"{gas}_t"


def scope_column(scope: int) -> str:
    return f"co2e_scope{scope}_t"


def footprint_origins(result, inventory: GHGInventory) -> Origins:
    """One column per gas of the inventory (t of gas) and one per scope (t CO2e): each item
    injected on its flow or put at its node (see the module text)."""
    c = result.compiled
    items = inventory.items
    gases = list(pd.unique(items["gas"]))
    names = (*(gas_column(g) for g in gases), *(scope_column(s) for s in SCOPES))
    flow = np.zeros((c.n_flows, len(names)))
    node = np.zeros((c.n_nodes, len(names)))
    for item, at, scope, gas, amount, co2e in items[
            ["item", "node", "scope", "gas", "amount_t", "co2e_t"]].itertuples(index=False):
        n = result.node_index(at)
        f = result.flow_index(item)
        on_flow = f >= 0 and (c.head[f] == n or gas == CO2E)  # purchase or off-site
        target, row = (flow, f) if on_flow else (node, n)
        target[row, gases.index(gas)] += amount
        target[row, len(gases) + SCOPES.index(int(scope))] += co2e
    return Origins(names, flow, node, np.zeros_like(node))


def propagate_footprints(result, inventory: GHGInventory):
    """The inventory's items propagated (a solvers.propagate.Propagation, columns of
    footprint_origins), solved with the result's value factorisation."""
    return result.propagate(footprint_origins(result, inventory))


def ghg_footprints(result, gwp_set: str = "AR6", fuels: dict | None = None, *,
                   flows=TO_SINKS, inventory: GHGInventory | None = None,
                   **options) -> pd.DataFrame:
    """t of each gas and t CO2e (by scope and in total) embodied in flows, and per unit of
    each flow (t per flow unit).

    flows: 'sinks' (default: every flow reaching a sink, positive and negative products),
    'all', or a list of flow ids; inventory: one already made (its GWP set is used), else
    ghg_inventory(result, gwp_set=, fuels=, **options) (factors, sector, secondary,
    pollutants). Columns: the flow's source, target, carrier, role, negative, quantity and
    unit; '<gas>_t' per gas of the inventory, 'CO2e_given_t' for items given in CO2e;
    'co2e_scope1_t'..'co2e_scope3_t' and 'co2e_t'; '<column>_per_unit' of each."""
    if inventory is None:
        check_gwp_set(gwp_set, "GHG footprint: ")
        inventory = ghg_inventory(result, gwp_set=gwp_set, fuels=fuels, **options)
    idx = _flow_positions(result, flows)
    prop = propagate_footprints(result, inventory)
    values = np.column_stack([prop.column(j, idx) for j in range(len(prop.names))]) \
        if len(idx) else np.zeros((0, len(prop.names)))
    table = result.flows.iloc[idx][[c for c in FLOW_INFO if c != "negative"]].copy()
    table.insert(FLOW_INFO.index("negative"), "negative", result.compiled.negative[idx])
    gas_cols = list(prop.names[:-len(SCOPES)])
    for j, name in enumerate(prop.names):
        table[name] = values[:, j]
    table[FOOTPRINT] = values[:, -len(SCOPES):].sum(axis=1)
    q = table["quantity"].to_numpy(dtype=float)
    for name in [*gas_cols, FOOTPRINT]:
        table[f"{name}_per_unit"] = np.divide(table[name].to_numpy(), q,
                                              out=np.full(len(q), np.nan), where=q != 0)
    table.attrs.update(gwp_set=inventory.gwp_set, gases=gas_cols)
    return table


def _flow_positions(result, flows) -> np.ndarray:
    """Positions of the flows asked for; an id that is no flow is refused by name."""
    c = result.compiled
    if isinstance(flows, str) and flows == TO_SINKS:
        return np.flatnonzero(c.node_kind[c.head] == "sink")
    if isinstance(flows, str) and flows == "all":
        return np.arange(c.n_flows)
    ids = [flows] if isinstance(flows, str) else list(flows)
    pos = np.array([result.flow_index(f) for f in ids], dtype=np.int64)
    for fid in np.asarray(ids, dtype=object)[pos < 0]:
        raise ModelError(f"GHG footprint: '{fid}' is not a flow of the network"
                         f"{suggestion(fid, map(str, c.flow_ids))} (or say '{TO_SINKS}' "
                         f"or 'all')", flows=[fid])
    return pos


def footprint_column(gas: str) -> str:
    """The ghg_footprints column of `gas`: 'co2e' (or 'CO2e') for the footprint in CO2e,
    else a gas of data/gwp.csv by name or alias; anything else refused by name."""
    if str(gas).casefold() == "co2e":
        return FOOTPRINT
    try:
        return gas_column(gas_name(gas))
    except ModelError as exc:
        raise ModelError(f"GHG footprint: {exc}; or 'co2e' for the footprint in "
                         f"CO2-equivalents") from None


def footprint_of(table: pd.DataFrame, flow, gas: str = "co2e", per_unit: bool = False) -> float:
    """One flow's footprint in one gas (t of it, 0 when the inventory has none) or in CO2e,
    in total or per unit of the flow, from a ghg_footprints table."""
    column = footprint_column(gas)
    if flow not in table.index:
        raise ModelError(f"GHG footprint: '{flow}' is not a flow of the table"
                         f"{suggestion(flow, map(str, table.index))}", flows=[flow])
    column = f"{column}_per_unit" if per_unit else column
    return float(table.at[flow, column]) if column in table.columns else 0.0


def footprint_account(result, inventory: GHGInventory) -> pd.Series:
    """Where the inventory's CO2e goes (t CO2e): emitted (the inventory's total), positive
    and negative (on products and losses reaching sinks), stock (kept at storage), and
    unaccounted = emitted - positive - negative - stock, which is 0 up to rounding."""
    c = result.compiled
    prop = propagate_footprints(result, inventory)
    scope_cols = list(range(len(prop.names) - len(SCOPES), len(prop.names)))
    co2e = sum(prop.column(j) for j in scope_cols)
    to_sink = c.node_kind[c.head] == "sink"
    kept = ~np.isin(c.node_kind, ["sink"])
    stock = float(prop.retained[kept][:, scope_cols].sum())
    emitted = inventory.total()
    positive = float(co2e[to_sink & ~c.negative].sum())
    negative = float(co2e[to_sink & c.negative].sum())
    return pd.Series({"emitted": emitted, "positive": positive, "negative": negative,
                      "stock": stock, "unaccounted": emitted - positive - negative - stock},
                     name=f"t CO2e ({inventory.gwp_set})")
