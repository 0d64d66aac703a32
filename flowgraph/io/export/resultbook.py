"""The results workbook of `flowgraph run --xlsx`: one sheet per table (summary, flows,
nodes, the MFCA matrix, scenarios compared, ...), each header with its unit in brackets
(`cost [CNY]`), numbers with a number format (thousands separators; six decimals for
ratios and small amounts), frozen headers and the index columns first.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .files import replacing

#: number formats by the unit of a column
MONEY, AMOUNT, RATIO = "#,##0.00", "#,##0.######", "0.000000"
#: above this many rows a sheet's numbers keep the General format (styling every cell of a
#: large sheet takes longer than the rest of the run)
STYLED_ROWS = 20000


def number_format(unit: str | None) -> str:
    if unit in ("CNY", "万元"):
        return MONEY
    if unit in ("1", "share", "%"):
        return RATIO
    return AMOUNT


def write_results(sheets: dict, path) -> Path:
    """Write `sheets` (name -> (frame, units: column -> unit)) to the workbook `path`; the
    frame's index is written as its first columns."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    path = Path(path)
    book = openpyxl.Workbook(write_only=True)
    for name, (frame, units) in sheets.items():
        ws = book.create_sheet(name[:31])
        ws.freeze_panes = "B2"
        flat = frame.reset_index() if _named_index(frame) else frame
        header = []
        for col in flat.columns:
            unit = units.get(col)
            cell = WriteOnlyCell(ws, value=f"{_label(col)} [{unit}]" if unit else _label(col))
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        formats = [number_format(units.get(c)) for c in flat.columns]
        styled = len(flat) <= STYLED_ROWS
        for row in flat.itertuples(index=False, name=None):
            ws.append([_cell(ws, v, f, styled, WriteOnlyCell) for v, f in zip(row, formats)])
    with replacing(path) as tmp:
        book.save(tmp)
    return path


def _named_index(frame: pd.DataFrame) -> bool:
    return any(n is not None for n in frame.index.names)


def _label(col) -> str:
    return " ".join(map(str, col)) if isinstance(col, tuple) else str(col)


def _cell(ws, v, fmt: str, styled: bool, make):
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, (list, tuple, dict, set, np.ndarray)):
        return str(v)
    if styled and isinstance(v, (int, float)) and not isinstance(v, bool):
        cell = make(ws, value=v)
        cell.number_format = fmt
        return cell
    if isinstance(v, str) and v.startswith(("=", "#")):
        cell = make(ws, value="text")
        cell._value = v
        return cell
    return v
