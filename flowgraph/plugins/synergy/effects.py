"""What a technology changes, read off solved results: energy, water, materials, CO2, pollutants,
value. An effect is a saving: the base total minus the total with the technology.

Totals of one result (a Series indexed by (category, item)):
- ("energy", "tce"): standard coal of purchased energy carriers (flows from sources of carrier
  kind energy; their propagated `tce`, i.e. quantity x the carrier's coefficient);
- ("water", "t"): purchased water (carrier kind water), in t;
- ("material", carrier): purchased materials (kind material), in t, one item per carrier;
- ("co2", "t"): CO2 attributed to purchases plus the nodes' own CO2 (the propagated `co2`);
- ("pollutant", carrier): negative products (loss, emission, waste) reaching sinks, by carrier
  (energy carriers, such as heat losses, are not pollutants), in t;
- ("value", kind): purchase cost by carrier kind (energy, water, material) and "total", CNY.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...model import units
from ...model.schema import NEGATIVE_ROLES

CATEGORIES = ("energy", "water", "material", "co2", "pollutant", "value")
#: saving categories that make a type of single-technology synergy with emission reduction
SAVINGS = {"energy": "energy conservation", "water": "water saving",
           "material": "material saving"}
EMISSION = "emission reduction"


def measure(result, settings) -> pd.Series:
    """Totals of one solved result (see the module doc)."""
    f = result.flows
    c = result.compiled
    net = result.network
    bought = c.node_kind[c.tail] == "source"
    to_sink = c.node_kind[c.head] == "sink"
    tonnes, item = _tonnes(f, net)
    out: dict = {}
    kind = f["kind"].to_numpy()
    out[("energy", "tce")] = float(np.nansum(f["tce"].to_numpy()[bought & (kind == "energy")]))
    water = bought & (kind == "water") & (item == f["carrier"].to_numpy())
    out[("water", "t")] = float(np.nansum(tonnes[water]))
    sel = bought & (kind == "material")
    for name, q in pd.Series(tonnes[sel]).groupby(item[sel]).sum().items():
        out[("material", name)] = float(q)
    out[("co2", "t")] = float(np.nansum(f["co2"].to_numpy()[bought]) + c.node_co2.sum())
    sel = to_sink & np.isin(f["role"].to_numpy(), list(NEGATIVE_ROLES)) & (kind != "energy")
    carriers = f["carrier"].to_numpy()
    if settings.pollutants is not None:
        sel &= np.isin(carriers, list(settings.pollutants))
    if settings.not_pollutants:
        sel &= ~np.isin(carriers, list(settings.not_pollutants))
    for name, q in pd.Series(tonnes[sel]).groupby(item[sel]).sum().items():
        out[("pollutant", name)] = float(q)
    cost = f["cost"].to_numpy()
    for k in ("energy", "water", "material"):
        out[("value", k)] = float(np.nansum(cost[bought & (kind == k)]))
    out[("value", "total")] = float(np.nansum(cost[bought]))
    series = pd.Series(out, dtype=float)
    series.index = pd.MultiIndex.from_tuples(series.index, names=["category", "item"])
    return series


def savings(base: pd.Series, other: pd.Series) -> pd.Series:
    """base - other on the union of their items (an item missing on one side counts zero)."""
    index = base.index.union(other.index, sort=False)
    return base.reindex(index, fill_value=0.0) - other.reindex(index, fill_value=0.0)


def unit_of(category: str, item: str = "") -> str:
    """Unit of an effect item: tce, CNY, t, or the unit an item name carries ('x [m3]')."""
    if item.endswith("]") and " [" in item:
        return item[item.rindex(" [") + 2:-1]
    return {"energy": "tce", "value": "CNY"}.get(category, "t")


def significant(saving: pd.Series, base: pd.Series, settings, sign: float = 1.0) -> pd.Series:
    """Which items of `saving` (times `sign`: -1 finds increases) exceed their category's
    threshold and the numerical tolerance rtol x the base total of the item."""
    thr = np.array([settings.threshold(cat) for cat, _ in saving.index])
    scale = np.abs(base.reindex(saving.index, fill_value=0.0).to_numpy())
    limit = np.maximum(thr, settings.rtol * np.maximum(scale, 1.0))
    return pd.Series(sign * saving.to_numpy() > limit, index=saving.index)


def effect_types(saving: pd.Series, base: pd.Series, settings) -> dict:
    """Which effects a technology improves: energy, water, material, emission (booleans), the
    types of single-technology synergy (each saving that comes with emission reduction) and the
    effects it worsens (trade-offs)."""
    phys = saving.drop("value", level="category", errors="ignore")
    better = significant(phys, base, settings)
    worse = significant(phys, base, settings, sign=-1.0)
    cats = better.index.get_level_values("category")
    improved = {k: bool(better[cats == k].any()) for k in SAVINGS}
    emission = bool(better[np.isin(cats, ["co2", "pollutant"])].any())
    types = [f"{SAVINGS[k]} + {EMISSION}" for k in SAVINGS if improved[k] and emission]
    worsened = [f"{cat}: {item}" if cat in ("material", "pollutant") else cat
                for (cat, item), w in worse.items() if w]
    return {**improved, "emission": emission, "types": types, "n_types": len(types),
            "worsened": worsened}


def _tonnes(f: pd.DataFrame, net) -> tuple[np.ndarray, np.ndarray]:
    """Flow quantities in t where the unit is a mass, or a volume with a density (water 1 t/m3
    when its carrier gives none), and the item name of each flow: its carrier, or
    'carrier [unit]' when the quantity stays in a unit that is not a mass."""
    q = f["quantity"].to_numpy(dtype=float)
    out = q.copy()
    unit = f["unit"].to_numpy()
    carrier = f["carrier"].to_numpy()
    item = carrier.astype(object).copy()
    for u in pd.unique(unit):
        sel = unit == u
        dim = units.dimension(u)
        if dim == "mass":
            out[sel] = q[sel] * units.factor(u, "t")
            continue
        for car in pd.unique(carrier[sel]):
            m = sel & (carrier == car)
            c = net.carriers.get(car)
            density = None
            if dim == "volume" and c is not None:
                density = c.density if c.density is not None else (1.0 if c.kind == "water"
                                                                   else None)
            if density is not None:
                out[m] = q[m] * units.factor(u, "m**3") * density
            else:
                item[m] = f"{car} [{u}]"
    return out, item
