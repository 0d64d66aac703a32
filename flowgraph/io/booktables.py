"""The sheets of a case workbook as tables: a header row naming the columns, one record per
row below it, every fault of the sheet itself named by cell.

Row 1 names the columns; blank rows are skipped, trailing empty rows and columns ignored. A
header cell that is not text, a column named twice, a column with values but no name, a
missing required column and (for the node, flow and carrier tables) a name the attribute
table does not know are refused by the header cell. Cells are typed as the CSV reader types
them (csvtable.py) so that the model checks them the same way (model/table_checks.py):
number columns as floats where every cell is a number, otherwise cell by cell (a number
stored as text is read, '1,200 t' is 1200 t, text is refused by the model with its cell);
numbers in text and id columns become their text; a date is refused where a number or text
belongs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.schema import declared, is_free, lookup, unknown_key
from .cells import CellError, from_cell, number_text, plain_number, table_value, without_thousands
from .xlsxread import Sheet, column_letter

#: columns a table sheet cannot do without, by component
REQUIRED = {"node": ("id",), "flow": ("source", "target", "carrier"), "carrier": ("name",)}
_NUMBERS = ("float", "integer")
_NUMERIC_KINDS = ("floating", "integer", "mixed-integer-float", "empty")


@dataclass
class Records:
    """The rows of a sheet below its header: `columns` name -> column index, `rows` the
    sheet row index of each record, `cells[name]` the values of that column."""

    sheet: Sheet
    columns: dict
    rows: list
    cells: dict = field(default_factory=dict)

    def ref(self, i: int, name: str | None = None) -> str:
        """The cell of record i in column `name` (the record's first cell if None)."""
        return self.sheet.ref(self.rows[i], self.columns.get(name, 0) if name else 0)

    def error(self, problem: str, i: int, name: str | None = None):
        return self.sheet.error(problem, self.rows[i],
                                self.columns.get(name, 0) if name else None)

    def value(self, i: int, name: str, text: bool = False):
        """The value of record i's cell in column `name` (None when empty); `text`: the
        column holds text (a name, a note): text as it is, never TOML, and a number as its
        text."""
        raw = self.cells[name][i]
        if text and isinstance(raw, str):
            return raw if raw != "" else None
        if text and isinstance(raw, float):
            return number_text(raw)
        if text:
            shown = raw.isoformat() if hasattr(raw, "isoformat") else repr(raw)
            raise self.error(f"{name} must be text, not {shown}", i, name)
        try:
            return from_cell(raw)
        except CellError as exc:
            raise self.error(str(exc), i, name) from None

    def record(self, i: int) -> dict:
        """Record i as {column: cell value}, empty cells left out."""
        return {k: v[i] for k, v in self.cells.items() if not _blank(v[i])}

    def origins(self) -> list[str]:
        book = self.sheet.ref(0).rsplit("!", 1)[0]
        return [f"{book}!A{r + 1}" for r in self.rows]


def records(sheet: Sheet, what: str, known=None, required=(), component=None) -> Records:
    """The records of `sheet` (a table of `what`: 'flow', 'scenario', ...); `known`: the
    column names it may have (None: any), or `component` to check them against the
    attribute table."""
    rows = sheet.rows
    if not rows or all(_blank(v) for v in rows[0]):
        filled = any(not _blank(v) for row in rows for v in row)
        raise sheet.error("row 1 is empty: the first row names the columns" if filled else
                          f"the sheet is empty: row 1 names the columns "
                          f"({', '.join(required) or 'see the template'}), one {what} a row "
                          f"below it", row=0 if filled else None)
    header = rows[0]
    width = len(header)
    keep = [r for r in range(1, len(rows)) if rows[r].count("") != width]
    data = [rows[r] for r in keep]
    columns: dict = {}
    cells: dict = {}
    for k, name in enumerate(header):
        column = [row[k] for row in data]
        if _blank(name):
            filled = next((i for i, v in enumerate(column) if not _blank(v)), None)
            if filled is not None:
                raise sheet.error(f"column {column_letter(k)} has values but no name; name "
                                  f"it in row 1", row=keep[filled], col=k)
            continue
        if not isinstance(name, str):
            raise sheet.error(f"a column name must be text, not {name!r}", row=0, col=k)
        name = name.strip()
        if name in columns:
            raise sheet.error(f"column '{name}' is named twice (as column "
                              f"{column_letter(columns[name])} is); name every column once",
                              row=0, col=k)
        _check_name(sheet, name, k, known, component)
        columns[name] = k
        cells[name] = column
    missing = [c for c in required if c not in columns]
    if missing:
        raise sheet.error(f"the {what} sheet needs the column(s) "
                          f"{', '.join(repr(c) for c in missing)}; its columns are "
                          f"{', '.join(columns) or 'none'}", row=0)
    return Records(sheet, columns, keep, cells)


def _check_name(sheet: Sheet, name: str, k: int, known, component) -> None:
    if component is not None:
        if not is_free(name) and lookup(component, name) is None:
            raise sheet.error(unknown_key(name, list(declared(component)), "column"),
                              row=0, col=k)
    elif known is not None and name not in known:
        raise sheet.error(unknown_key(name, list(known), "column").split(" (")[0] +
                          f"; the columns are {', '.join(known)}", row=0, col=k)


def _blank(v) -> bool:
    return v == "" or v is None


def table_frame(rec: Records, component: str, rename=None) -> pd.DataFrame:
    """The records of a node, flow or carrier sheet as the frame the model takes (columns
    typed as the CSV reader types them)."""
    rename = rename or {}
    return pd.DataFrame({rename.get(name, name): typed(rec, name, rename.get(name, name),
                                                       component)
                         for name in rec.cells}, index=range(len(rec.rows)))


def typed(rec: Records, name: str, attribute: str, component: str) -> np.ndarray:
    """One column as the model takes it (`attribute`: its name in the attribute table)."""
    values = rec.cells[name]
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    empty = np.asarray(arr == "", dtype=bool)
    filled = arr[~empty]
    kind = pd.api.types.infer_dtype(filled, skipna=False)
    attr = None if is_free(attribute) else lookup(component, attribute)
    if attr is None:
        return _free(arr, empty, kind)
    if attr.type in _NUMBERS:
        if kind in _NUMERIC_KINDS:
            return _floats(arr, empty)
        return _cells(rec, name, arr, empty, _number_cell)
    if attr.type in ("list", "dict"):
        return _cells(rec, name, arr, empty, lambda v: _listlike(v, attr.type))
    if kind in ("string", "empty"):
        return np.where(empty, np.nan, arr)
    return _cells(rec, name, arr, empty, _text_cell)


def _floats(arr: np.ndarray, empty: np.ndarray) -> np.ndarray:
    out = np.full(len(arr), np.nan)
    out[~empty] = arr[~empty].astype(float)
    return out


def _free(arr: np.ndarray, empty: np.ndarray, kind: str) -> np.ndarray:
    """A column of the user's own: numbers when every filled cell is one (integers when
    all are whole and none is empty, as the CSV reader has it), otherwise each cell as it
    is (numbers whole as integers)."""
    if kind in _NUMERIC_KINDS:
        out = _floats(arr, empty)
        if len(out) and not empty.any() and np.all(np.mod(out, 1) == 0) \
                and np.all(np.abs(out) < 2 ** 53):
            return out.astype(np.int64)
        return out
    return np.array([np.nan if e else (plain_number(v) if isinstance(v, float) else v)
                     for v, e in zip(arr, empty)], dtype=object)


def _cells(rec: Records, name: str, arr: np.ndarray, empty: np.ndarray, convert) -> np.ndarray:
    """The column cell by cell: `convert` gives the model's value or raises CellError,
    which is named by the cell."""
    out = np.empty(len(arr), dtype=object)
    for i, (v, e) in enumerate(zip(arr, empty)):
        if e:
            out[i] = np.nan
            continue
        try:
            out[i] = convert(v)
        except CellError as exc:
            raise rec.error(str(exc), i, name) from None
    return out


def _number_cell(v):
    if isinstance(v, str):
        return without_thousands(v)
    if isinstance(v, (dt.date, dt.time, dt.timedelta)):
        raise CellError(f"{_date(v)} is a date, not a number; format the cell as a number")
    return v


def _text_cell(v):
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, (dt.date, dt.time, dt.timedelta)):
        raise CellError(f"{_date(v)} is a date; the spreadsheet made it one: format the cell "
                        f"as text and type the value again")
    return v


def _listlike(v, kind: str):
    if isinstance(v, str):
        return table_value(v, kind)
    if isinstance(v, float):
        return table_value(number_text(v), kind) if kind == "list" else plain_number(v)
    if isinstance(v, (dt.date, dt.time, dt.timedelta)):
        raise CellError(f"{_date(v)} is a date, not a {kind}")
    return v


def _date(v) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)
