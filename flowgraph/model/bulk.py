"""Networks from bulk tables (pandas DataFrames or CSV): vectorised, for millions of flows.

List attributes (layers) may be given as 'mass;Cl' strings, dict attributes (stock,
composition) as 'mass=1.5;Cl=0.2', recipes as per_flow and per_ratio columns, and
quantity or price as strings with units ('30 万t', '400 CNY/t'), converted once per
distinct string.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import ModelError, UnitError
from . import units
from .carriers import infer_carrier
from .schema import attributes
from .tables import is_missing, normalise_frame


def carrier_records(carriers) -> list[dict]:
    """Carrier rows (a DataFrame or records) as add_carrier keyword records, lists and
    mappings parsed, empty cells dropped."""
    records = carriers.to_dict("records") if isinstance(carriers, pd.DataFrame) \
        else list(carriers)
    out = []
    for rec in records:
        rec = {k: v for k, v in rec.items() if not is_missing(v)}
        if "composition" in rec:
            rec["composition"] = parse_mapping(rec["composition"])
        if "layers" in rec:
            rec["layers"] = parse_list(rec["layers"])
        out.append(rec)
    return out


def node_frame(nodes: pd.DataFrame, origin=None) -> pd.DataFrame:
    """A node table in the schema's form (ids as index, lists and dicts parsed)."""
    frame = _indexed(nodes, "node")
    if origin is not None:
        frame["_origin"] = origin
    if "layers" in frame.columns:
        frame["layers"] = [None if is_missing(v) else tuple(parse_list(v))
                           for v in frame["layers"].to_numpy(dtype=object)]
    if "stock" in frame.columns:
        frame["stock"] = [None if is_missing(v) else
                          {k: float(x) for k, x in parse_mapping(v).items()}
                          for v in frame["stock"].to_numpy(dtype=object)]
    return normalise_frame("node", frame)


def flow_frame(net, flows: pd.DataFrame, origin=None) -> pd.DataFrame:
    """A flow table in the schema's form: units defaulted from carriers, strings converted."""
    frame = _indexed(flows, "flow")
    if origin is not None:
        frame["_origin"] = origin
    for col in ("source", "target", "carrier"):
        if col not in frame.columns:
            raise ModelError(f"the flow table has no '{col}' column")
    if "per" in frame.columns:
        per = frame.pop("per").to_numpy(dtype=object)
        frame["per_flow"] = [None if is_missing(p) else p[0] for p in per]
        frame["per_ratio"] = [np.nan if is_missing(p) else float(p[1]) for p in per]
    if "unit" not in frame.columns:
        frame["unit"] = None
    carrier_names = pd.unique(frame["carrier"].to_numpy(dtype=object))
    unit_col = frame["unit"].to_numpy(dtype=object)
    for cname in carrier_names:
        if cname not in net.carriers:
            sel = frame["carrier"].to_numpy(dtype=object) == cname
            some = next((u for u in unit_col[sel] if isinstance(u, str)), None)
            net.carriers[cname] = infer_carrier(cname, some)
    if frame["unit"].isna().any():
        default = frame["carrier"].map({k: c.unit for k, c in net.carriers.items()})
        frame["unit"] = frame["unit"].where(frame["unit"].notna(), default)
    if "quantity" in frame.columns and frame["quantity"].dtype == object:
        frame["quantity"] = _with_units(frame["quantity"], frame["unit"], None, "quantity")
    if "price" in frame.columns and frame["price"].dtype == object:
        frame["price"] = _with_units(frame["price"], frame["unit"], "CNY", "price")
    if "role" in frame.columns:
        frame["role"] = frame["role"].where(frame["role"].notna(), "product")
    else:
        frame["role"] = "product"
    return normalise_frame("flow", frame)


def _indexed(df: pd.DataFrame, what: str) -> pd.DataFrame:
    frame = df.copy()
    if "id" in frame.columns:
        frame = frame.set_index("id")
    elif frame.index.name != "id" and what == "node":
        raise ModelError("the node table needs an 'id' column (or an index named 'id')")
    elif frame.index.name != "id":
        frame.index = pd.RangeIndex(len(frame))
    if frame.index.dtype.kind not in "iu":
        frame.index = pd.Index(frame.index, dtype=object)
    frame.index.name = "id"
    known = set(attributes(what))
    for col in list(frame.columns):
        if col not in known and not col.startswith("costs.") and col.startswith("Unnamed"):
            frame.pop(col)
    return frame


def _with_units(values: pd.Series, unit: pd.Series, numerator, what) -> np.ndarray:
    """Numbers or strings such as '30 万t' / '400 CNY/t' -> numbers per flow unit."""
    vals = values.to_numpy(dtype=object)
    units_ = unit.to_numpy(dtype=object)
    out = np.full(len(vals), np.nan)
    cache: dict = {}
    for i, (v, u) in enumerate(zip(vals, units_)):
        if is_missing(v):
            continue
        if not isinstance(v, str):
            out[i] = float(v)
            continue
        key = (v, u)
        if key not in cache:
            try:
                num = float(v)
            except ValueError:
                mag, vu = units.split_quantity(v)
                if numerator is None:
                    num = mag * units.factor(vu, u) if vu else mag
                else:
                    num = units.per_unit(v, numerator, u, what)
            cache[key] = num
        out[i] = cache[key]
    return out


def parse_list(value) -> list[str]:
    """'mass;Cl' or ['mass', 'Cl'] -> ['mass', 'Cl']; '' -> []."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(";") if p.strip()]
    return [str(v) for v in value]


def parse_mapping(value) -> dict:
    """'Cl=0.97;Na=0.01' or a mapping -> {'Cl': 0.97, 'Na': 0.01}."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (int, float)):
        return {"mass": float(value)}
    out = {}
    for part in str(value).split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise UnitError(f"'{value}' is not a list of key=value pairs")
        k, v = part.split("=", 1)
        out[k.strip()] = float(v)
    return out


def format_list(value) -> str:
    return ";".join(value)


def format_mapping(value: Mapping) -> str:
    return ";".join(f"{k}={v!r}" for k, v in value.items())


