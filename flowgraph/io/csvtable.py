"""The CSV tables a case names ([tables] nodes, flows, carriers), read so that every row
keeps the file:line an editor shows and every fault of the file itself is named there.

Lines are the file's own: blank lines and quoted cells that span lines are counted. The
file's faults are refused here: bytes that are not UTF-8, a quote never closed, a row with
too few cells (a file cut short) or too many, a header that names a column twice, misses a
required column or names one the attribute table does not know (with line 1 and the
column's number). The values are judged by the model (model/table_checks.py), which names
the row's file:line and the column: an empty cell or the word `unknown` is an absent value,
text such as 'nan' or 'inf' is refused.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CaseFileError
from ..model.schema import declared, is_free, lookup, unknown_key
from .text import read_text

#: columns a table cannot do without, by component
REQUIRED = {"node": ("id",), "flow": ("source", "target", "carrier"), "carrier": ("name",)}
#: attribute types whose cells are numbers (parsed here when every cell is one)
NUMBERS = ("float", "integer")
_INTEGER = re.compile(r"\s*[-+]?\d+\s*$")


@dataclass
class CsvTable:
    """A table read from a case's CSV file: the frame (columns in file order, numeric
    columns parsed, empty cells NaN) and the file:line of each row."""

    frame: pd.DataFrame
    origins: list[str]


class _Header:
    """A table's file, its header line and column names, and the line of each row."""

    def __init__(self, path: Path, names: list[str], line: int, rows: list[int]):
        self.path, self.names, self.line, self.rows = path, names, line, rows

    def error(self, problem: str, row: int | None = None, column: int | None = None):
        where = f"{self.path}:{self.line if row is None else self.rows[row]}"
        if column is not None:
            problem = f"column {column + 1} ({self.names[column]}): {problem}"
        return CaseFileError(f"{where}: {problem}", origin=where)


def read_table(path: Path, component: str) -> CsvTable:
    """The node, flow or carrier table at `path` (component 'node', 'flow', 'carrier');
    CaseFileError naming the file and line (and column) of a fault of the file."""
    records, lines = _records(read_text(path), path)
    if not records:
        raise CaseFileError(f"{path}: the table is empty; it needs a header line naming its "
                            f"columns ({', '.join(REQUIRED[component])}, ...)", origin=str(path))
    header = _Header(path, [h.strip() for h in records[0]], lines[0], lines[1:])
    columns = _columns(header, records[1:])
    _check_names(header, columns, component)
    frame = pd.DataFrame({name: _typed(name, values, component)
                          for name, values in columns.items()}, index=range(len(header.rows)))
    return CsvTable(frame, list(map(f"{path}:{{}}".format, header.rows)))


def _records(text: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """The records of a CSV text but for blank lines, with the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, lines, end = [], [], 0
    try:
        if '"' not in text:             # no quoted cell: one record per line
            records = list(reader)
            lines = list(range(1, len(records) + 1))
        else:
            for fields in reader:
                records.append(fields)
                lines.append(end + 1)
                end = reader.line_num
    except csv.Error as exc:
        raise _fault(exc, text, path, end + 1, reader.line_num) from None
    keep = [i for i, f in enumerate(records) if len(f) > 1 or (f and f[0].strip())]
    return [records[i] for i in keep], [lines[i] for i in keep]


def _fault(exc: csv.Error, text: str, path: Path, start: int, line: int) -> CaseFileError:
    """The error for a record the csv module cannot read (starting on line `start`)."""
    if "end of data" in str(exc):
        line, cell = _open_quote(text, start)
        return CaseFileError(f"{path}:{line}: column {cell}: a quote opened here is never "
                             f"closed", origin=f"{path}:{line}")
    return CaseFileError(f"{path}:{line}: {exc}; a cell holding a quote is written in quotes "
                         f"with the quote doubled (\"a \"\"b\"\" c\")", origin=f"{path}:{line}")


def _open_quote(text: str, first: int) -> tuple[int, int]:
    """The line and cell number of the quote left open in the record starting on line
    `first` (the rest of the text is that record)."""
    rest = text.split("\n", first - 1)[-1]
    line, cell, opened, quoted, i = first, 1, (first, 1), False, 0
    while i < len(rest):
        ch = rest[i]
        if quoted and ch == '"' and rest[i + 1:i + 2] == '"':
            i += 1
        elif ch == '"':
            quoted = not quoted
            opened = (line, cell) if quoted else opened
        elif ch == "," and not quoted:
            cell += 1
        elif ch == "\n":
            line += 1
            cell = cell if quoted else 1
        i += 1
    return opened


def _columns(header: _Header, rows: list[list[str]]) -> dict[str, list]:
    """The cells by column name; a row with too few or too many cells, a column named
    twice, or a nameless column holding values is refused."""
    width = len(header.names)
    uneven = set(map(len, rows)) - {width}
    for r, row in enumerate(rows if uneven else ()):
        if len(row) != width:
            hint = ("is the file cut short?" if r == len(rows) - 1 and len(row) < width
                    else "is a cell missing?" if len(row) < width
                    else "quote a cell that holds a comma")
            raise header.error(f"{len(row)} cells where the header line has {width} "
                               f"({', '.join(header.names)}); {hint}", row=r)
    values = [list(map(itemgetter(k), rows)) for k in range(width)]
    out: dict[str, list] = {}
    for k, (name, column) in enumerate(zip(header.names, values)):
        if name in out:
            raise header.error(f"named as column {header.names.index(name) + 1} is; name "
                               f"every column once", column=k)
        if not name:
            if any(v.strip() for v in column):
                raise header.error(f"column {k + 1} has values but no name; name it in the "
                                   f"header line")
            continue
        out[name] = column
    return out


def _check_names(header: _Header, columns: dict, component: str) -> None:
    """The required columns are there, and every column is an attribute of the table or
    one of the user's own (x_...)."""
    missing = [c for c in REQUIRED[component] if c not in columns]
    if missing:
        raise header.error(f"the {component} table needs the column(s) "
                           f"{', '.join(repr(c) for c in missing)}; its columns are "
                           f"{', '.join(header.names)}")
    for name in columns:
        if not is_free(name) and lookup(component, name) is None:
            raise header.error(unknown_key(name, list(declared(component)), "column"),
                               column=header.names.index(name))


def _typed(name: str, values, component: str) -> np.ndarray:
    """A column as the model takes it: empty cells NaN; a number column, or one of the
    user's own, as floats when every filled cell is a finite number (a column of the
    user's own as integers when all are and none is empty, as pandas reads it), otherwise
    as text for the model to judge cell by cell."""
    text = np.array(values, dtype=object)
    empty = text == ""
    attribute = lookup(component, name)
    if attribute is not None and attribute.type not in NUMBERS:
        return np.where(empty, np.nan, text)
    numbers = pd.to_numeric(pd.Series(text).mask(empty), errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(numbers[~empty]).all():
        return np.where(empty, np.nan, text)
    if attribute is None and not empty.any() and len(values) and all(_INTEGER.match(v) for v in values):
        return numbers.astype(np.int64)
    return numbers
