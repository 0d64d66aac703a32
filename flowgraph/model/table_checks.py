"""Bulk tables (from_frames, CSV) checked column by column, vectorised: unknown columns,
ids and names of the right type, numbers finite, in range and within the bound, allowed
values. An error names the row's item, its origin (file:line) and the column.

A missing cell (NaN in a pandas column, or the word `unknown`) is an absent value; NaN or
infinity written as a value is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ModelError, UnitError
from . import units
from .schema import BOUND, declared, is_free, lookup, suggestion, unknown_key
from .values import Place, base_scale, bounded, in_range, is_id, is_number, number

#: the word for an absent value in a table cell
UNKNOWN = "unknown"
#: pandas' inferred types of a column of ids (floats: integer ids with empty cells)
_ID_TYPES = {"string", "integer", "empty", "mixed-integer", "floating", "mixed-integer-float"}


@dataclass(frozen=True)
class FlowUnits:
    """The unit of each flow of a table, coded: names[codes[i]] (one entry per distinct unit)."""

    codes: np.ndarray
    names: list

    def __getitem__(self, i: int) -> str:
        return self.names[self.codes[i]]


class Rows:
    """The ids and origins of a table's rows, to name the row of a bad value."""

    def __init__(self, component: str, ids, origins):
        self.component = component
        self.ids = ids
        self.origins = origins

    def place(self, i: int) -> Place:
        """The item of row i, with its origin: messages go on with the column's name."""
        rid = self.ids[i]
        origin = self.origins[i] if self.origins is not None else None
        ids = {"nodes": (rid,)} if self.component == "node" else {"flows": (rid,)}
        return Place(f"{self.component} '{rid}'", origin=origin if isinstance(origin, str)
                     else None, **ids)

    def file(self) -> str | None:
        """The file the table came from (its rows' origins without the line)."""
        first = next((o for o in (self.origins if self.origins is not None else ())
                      if isinstance(o, str)), None)
        return None if first is None else re.sub(r":\d+$", "", first)


def check_column_names(frame: pd.DataFrame, rows: Rows, api=()) -> None:
    """Every column must be an attribute of the table (or an x_ column of the user's own)."""
    names = [*declared(rows.component), *api]
    for col in frame.columns:
        if col == "_origin" or col in api or is_free(col):
            continue
        if not isinstance(col, str) or lookup(rows.component, col) is None:
            raise ModelError(f"{rows.component} table: "
                             f"{unknown_key(col, names, 'column')}", origin=rows.file())


def check_unique(index: pd.Index, rows: Rows) -> None:
    if not index.is_unique:
        i = int(np.flatnonzero(index.duplicated())[0])
        raise rows.place(i).error(f"duplicate {rows.component} id '{index[i]}'")


def _clean(values, kinds) -> bool:
    """True when a column is certainly of `kinds` with no empty cell (the fast path)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    if series.dtype.kind in "iu":
        return "integer" in kinds
    if series.dtype != object and series.hasnans:
        return False
    return pd.api.types.infer_dtype(series, skipna=False) in kinds


def check_ids(values, column: str, rows: Rows, required: bool = True) -> None:
    """A column of node or flow ids: strings or integers; `required`: no empty cell."""
    if _clean(values, ("string", "integer")):
        return
    values = np.asarray(values, dtype=object)
    empty = pd.isna(values)
    if required and empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise rows.place(i).error(f"{column} is empty: every {rows.component} needs "
                                  f"its {column}")
    if pd.api.types.infer_dtype(values, skipna=True) in _ID_TYPES:
        return
    for i, v in enumerate(values):
        if not (is_id(v) or isinstance(v, float)):
            raise rows.place(i).error(f"{column} must be an id (a string), not {v!r}")


def check_texts(values, column: str, rows: Rows) -> None:
    """A column of text (label, firm, sector, ...): one value per cell, a string or, as CSV
    readers make of digits, a number; a list or a mapping is refused."""
    if _clean(values, ("string", "integer", "floating", "mixed-integer-float")):
        return
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty", "integer",
                                                         "floating", "mixed-integer",
                                                         "mixed-integer-float"):
        return
    for i, v in enumerate(values):
        if not (isinstance(v, str) or is_number(v) or v is None):
            raise rows.place(i).error(f"{column} must be a string, not {v!r}")


def check_choices(values, column: str, rows: Rows) -> None:
    """A column of names with allowed values (kind, role, stage, system, allocation), one
    check per distinct value."""
    attr = declared(rows.component)[column]
    try:
        codes, uniq = pd.factorize(values)
    except TypeError:                   # unhashable cells (lists, mappings): name the first
        check_texts(values, column, rows)
        raise
    names = [a for a in attr.allowed if a]
    for j, v in enumerate(uniq):
        if isinstance(v, str) and (attr.open or v in attr.allowed):
            continue
        place = rows.place(int(np.flatnonzero(codes == j)[0]))
        if not isinstance(v, str):
            raise place.error(f"{column} must be a string, not {v!r}")
        raise place.error(f"{column} '{v}' is not one of {', '.join(names)}"
                          f"{suggestion(v, names)}")


def checked_numbers(frame: pd.DataFrame, column: str, rows: Rows,
                    unit: FlowUnits | None = None) -> np.ndarray:
    """A numeric column as floats (NaN: absent), read, finite, in range and bounded. Strings
    are read once per distinct value; quantities and prices may carry units (`unit`: the
    flows' units)."""
    attr = lookup(rows.component, column)
    series = frame[column]
    if series.dtype.kind in "fiu":
        values = series.to_numpy(dtype=float)
    else:
        values = _read_numbers(series.to_numpy(dtype=object), attr, rows, column, unit)
    bad = np.isinf(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise rows.place(i).error(f"{column} {values[i]} is not a value: give a finite "
                                  f"number, or leave the cell empty (unknown)")
    lo, hi = attr.minimum, attr.maximum
    bad = (values < lo if lo is not None else False) | (values > hi if hi is not None else False)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        in_range(values[i], attr, rows.place(i), f"{column} {values[i]:g}")
    if attr.type == "integer":
        bad = np.isfinite(values) & (values != np.round(values))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise rows.place(i).error(f"{column} {values[i]:g} must be a whole number")
    scale = _scales(attr, unit)
    bad = np.abs(values) * scale > BOUND
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        u = None if unit is None else unit[i]
        bounded(values[i], attr, rows.place(i), u, f"{column} {values[i]:g} {u or ''}".strip())
    return values


def _scales(attr, unit: FlowUnits | None):
    """Each row's factor to base units (once per distinct unit), or 1."""
    if unit is None or not attr.unit.endswith("unit"):
        return 1.0
    return np.array([base_scale(attr, u) for u in unit.names] or [1.0])[unit.codes]


def _read_numbers(values: np.ndarray, attr, rows: Rows, column: str, unit) -> np.ndarray:
    """Cells of an object column as floats: numbers, numeric strings, strings with units
    where the attribute has a unit per flow, empty or 'unknown' as NaN."""
    out = np.full(len(values), np.nan)
    cache: dict = {}
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and v != v):
            continue
        u = None if unit is None else unit[i]
        key = (v, u) if isinstance(v, str) else None
        if key is not None and key in cache:
            out[i] = cache[key]
            continue
        num = _cell(v, column, attr, u, rows.place(i))
        if key is not None:
            cache[key] = num
        out[i] = num
    return out


def _cell(v, column: str, attr, unit, place: Place) -> float:
    if isinstance(v, str):
        text = v.strip()
        if text == "" or text.casefold() == UNKNOWN:
            return np.nan
        try:
            num = float(text)
        except ValueError:
            num = _with_unit(text, column, attr, unit, place)
    elif is_number(v):
        num = number(v, column, place, key=False)
    else:
        raise place.error(f"{column} {v!r} is not a number")
    if not math.isfinite(num):
        raise place.error(f"{column} {v!r} is not a value: give a finite number, or leave "
                          f"the cell empty (unknown)")
    return num


def _with_unit(text: str, column: str, attr, unit, place: Place) -> float:
    """'30 万t' in the flow's unit, '400 CNY/t' per the flow's unit."""
    if not attr.unit.endswith("unit") or not isinstance(unit, str):
        raise place.error(f"{column} {text!r} is not a number")
    try:
        if attr.unit == "unit":
            mag, own = units.split_quantity(text)
            return mag * units.factor(own, unit) if own else mag
        return units.per_unit(text, attr.unit.split("/")[0], unit, attr.name)
    except UnitError as exc:
        raise place.error(f"{column} {text!r} is not a number or a number with a unit of "
                          f"the flow's dimension ({exc})", UnitError) from None
