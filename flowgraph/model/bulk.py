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

from ..errors import FlowgraphError, ModelError, UnitError
from .carriers import infer_carrier
from .schema import declared, is_free, lookup
from .table_checks import (
    UNKNOWN,
    FlowUnits,
    Rows,
    check_choices,
    check_column_names,
    check_ids,
    check_texts,
    check_unique,
    checked_numbers,
)
from .tables import is_missing, normalise_frame
from .values import names_list, number_table, unit_text


def carrier_records(carriers) -> list[dict]:
    """Carrier rows (a DataFrame or records) as add_carrier keyword records, lists and
    mappings parsed, empty cells dropped."""
    records = carriers.to_dict("records") if isinstance(carriers, pd.DataFrame) \
        else list(carriers)
    out = []
    for rec in records:
        rec = {k: v for k, v in rec.items() if not (is_missing(v) or _unknown_number(k, v))}
        for key, parse in (("composition", parse_mapping), ("layers", parse_list)):
            if key in rec:
                try:
                    rec[key] = parse(rec[key])
                except FlowgraphError as exc:         # named by carrier, key and row
                    raise type(exc)(f"carrier '{rec.get('name')}': {key} {exc}",
                                    origin=rec.get("_origin")) from None
        out.append(rec)
    return out


def _unknown_number(key, value) -> bool:
    """A number cell left empty or saying 'unknown' in a carrier table: absent."""
    attr = lookup("carrier", key) if isinstance(key, str) else None
    return attr is not None and attr.type == "float" and isinstance(value, str) \
        and value.strip().casefold() in ("", UNKNOWN)


def node_frame(nodes: pd.DataFrame, origin=None) -> pd.DataFrame:
    """A node table in the schema's form (ids as index, lists and dicts parsed), checked
    column by column."""
    frame = _indexed(nodes, "node")
    rows = Rows("node", frame.index, origin)
    check_column_names(frame, rows)
    check_unique(frame.index, rows)
    check_ids(frame.index, "id", rows)
    if origin is not None:
        frame["_origin"] = origin
    _check_columns(frame, rows)
    kind = declared("node")["kind"].default         # as add_node: not given is a process
    frame["kind"] = frame["kind"].where(frame["kind"].notna(), kind) \
        if "kind" in frame.columns else kind
    if "layers" in frame.columns:
        frame["layers"] = [None if is_missing(v) else
                           names_list(parse_list(v) if isinstance(v, str) else v, "layers",
                                      rows.place(i))
                           for i, v in enumerate(frame["layers"].to_numpy(dtype=object))]
    if "stock" in frame.columns:
        stock = declared("node")["stock"]
        frame["stock"] = [None if is_missing(v) else
                          number_table(_mapping(v, rows.place(i)), stock,
                                       rows.place(i), scalar_key="mass")
                          for i, v in enumerate(frame["stock"].to_numpy(dtype=object))]
    return normalise_frame("node", frame)


def flow_frame(net, flows: pd.DataFrame, origin=None) -> pd.DataFrame:
    """A flow table in the schema's form: units defaulted from carriers, strings converted,
    checked column by column."""
    frame = _indexed(flows, "flow")
    rows = Rows("flow", frame.index, origin)
    check_column_names(frame, rows, api=("per",))
    check_unique(frame.index, rows)
    if not isinstance(frame.index, pd.RangeIndex):
        check_ids(frame.index, "id", rows)
    if origin is not None:
        frame["_origin"] = origin
    for col in ("source", "target", "carrier"):
        if col not in frame.columns:
            raise ModelError(f"the flow table has no '{col}' column", origin=rows.file())
    if "per" in frame.columns:
        per = frame.pop("per").to_numpy(dtype=object)
        frame["per_flow"] = [None if is_missing(p) else p[0] for p in per]
        frame["per_ratio"] = [np.nan if is_missing(p) else p[1] for p in per]
    if "unit" not in frame.columns:
        frame["unit"] = None
    for col in ("source", "target"):
        check_ids(frame[col], col, rows)
    units_ = _flow_units(net, frame, rows)
    if "role" in frame.columns:
        frame["role"] = frame["role"].where(frame["role"].notna(), "product")
    else:
        frame["role"] = "product"
    _check_columns(frame, rows, units_)
    return normalise_frame("flow", frame)


def _check_columns(frame: pd.DataFrame, rows: Rows, unit: FlowUnits | None = None) -> None:
    """Every declared column by its type: numbers read and checked (a column that needed
    reading is replaced by floats), ids, names and allowed values."""
    for col in list(frame.columns):
        attr = None if col == "_origin" or is_free(col) else lookup(rows.component, col)
        if attr is None or col in ("source", "target", "carrier", "unit"):
            continue
        values = frame[col]
        if attr.type in ("float", "integer"):
            checked = checked_numbers(frame, col, rows, unit)
            if values.dtype.kind not in "fiu":
                frame[col] = checked
        elif attr.type == "id" and col != "id":
            check_ids(values, col, rows, required=False)
        elif attr.type == "string" and not attr.allowed:
            check_texts(values, col, rows)
        elif attr.type == "string":
            check_choices(values, col, rows)


def _flow_units(net, frame: pd.DataFrame, rows: Rows) -> FlowUnits:
    """Each flow's unit, coded: carriers and units named and of the right type, carriers
    not declared inferred (from a unit of theirs), empty units the carrier's, and every
    distinct (carrier, unit) given checked to measure what the carrier measures."""
    c_codes, carriers = _coded(frame["carrier"], "carrier", rows, required=True)
    given = frame["unit"].notna().to_numpy()
    idx = np.flatnonzero(given)
    g_codes, g_units = _coded(frame["unit"].iloc[idx], "unit", rows, at=idx)
    for j, cname in enumerate(carriers):
        if cname not in net.carriers:
            mine = np.flatnonzero(c_codes[idx] == j)
            some = g_units[g_codes[mine[0]]] if len(mine) else None
            try:
                net.carriers[cname] = infer_carrier(cname, some)
            except UnitError as exc:
                raise rows.place(int(idx[mine[0]])).error(str(exc), UnitError) from None
    names = [net.carriers[c].unit for c in carriers] + list(g_units)
    codes = c_codes.copy()
    codes[idx] = len(carriers) + g_codes
    if not given.all():
        frame["unit"] = np.asarray(names, dtype=object)[codes]
    pairs = c_codes[idx].astype(np.int64) * (len(g_units) + 1) + g_codes
    for k in np.unique(pairs, return_index=True)[1]:
        place = rows.place(int(idx[k]))
        try:
            net.carriers[carriers[c_codes[idx[k]]]].check_unit(g_units[g_codes[k]], place.text)
        except UnitError as exc:
            raise UnitError(str(exc), flows=place.flows, origin=place.origin) from None
    return FlowUnits(codes, names)


def _coded(values: pd.Series, column: str, rows: Rows, required: bool = False, at=None):
    """(codes, names) of a column of names, each distinct name checked once: a string (and
    a unit that parses); `at`: the rows the values are of."""
    codes, uniq = pd.factorize(values)
    at = np.arange(len(codes)) if at is None else at
    if required and (codes < 0).any():
        raise rows.place(int(at[np.flatnonzero(codes < 0)[0]])).error(
            f"{column} is empty: every flow needs its {column}")
    for j, v in enumerate(uniq):
        place = rows.place(int(at[np.flatnonzero(codes == j)[0]]))
        if not isinstance(v, str):
            raise place.error(f"{column} must be a string, not {v!r}")
        if column == "unit":
            unit_text(v, place)
    return codes, list(uniq)


def _mapping(value, place) -> dict:
    try:
        return parse_mapping(value)
    except (UnitError, ValueError):
        raise place.error(f"{value!r} is not a list of key=value pairs "
                          f"(e.g. 'mass=12;Cl=0.5')") from None


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
    for col in list(frame.columns):
        if isinstance(col, str) and col.startswith("Unnamed"):
            frame.pop(col)
    return frame


def parse_list(value) -> list[str]:
    """'mass;Cl' or ['mass', 'Cl'] -> ['mass', 'Cl']; '' -> []."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(";") if p.strip()]
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    raise ModelError(f"{value!r} is not a list of names ('mass;Cl')")


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
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise UnitError(f"'{value}': {k.strip()} = '{v.strip()}' is not a number") from None
    return out


def format_list(value) -> str:
    return ";".join(value)


def format_mapping(value: Mapping) -> str:
    return ";".join(f"{k}={v!r}" for k, v in value.items())


