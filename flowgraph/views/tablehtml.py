"""Tables as HTML: numbers right-aligned in the one number format, text left-aligned,
headers in words with units, in a box that scrolls on its own so a wide table never widens
the page.

Numbers are shown as flowgraph.numbers shows them (`digits` significant figures, whole numbers
from 10**digits up, rounding noise as 0 beside the column's largest, per unit when the table
has a 'unit' column); NaN cells are empty, as in the CSV. A column is a number column when it
holds only numbers (and blanks); every other column is text. The index goes in the leading
header cells (its names in the header's corner); repeated leading index values are shown
once per group.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..numbers import denoised, fmt, fmt_all
from .headers import header


def column_kind(column: pd.Series) -> str:
    """'num' for a column of numbers (numpy numbers, or Python numbers and blanks), else
    'text' (strings, booleans, mixed)."""
    dt = column.dtype
    if isinstance(dt, np.dtype) and dt.kind in "iuf":
        return "num"
    if isinstance(dt, np.dtype) and dt.kind == "O":
        vals = [v for v in column.tolist() if not _blank(v)]
        if vals and all(isinstance(v, (int, float, np.integer, np.floating))
                        and not isinstance(v, (bool, np.bool_)) for v in vals):
            return "num"
    return "text"


def _blank(v) -> bool:
    return v is None or v == "" or (isinstance(v, float) and v != v)


def no_data(frame: pd.DataFrame) -> str:
    """Why a table holds nothing to read ('' when it does): no rows, or every number 0 or
    missing with nothing beside the numbers but units."""
    if len(frame) == 0 or frame.shape[1] == 0:
        return "no rows"
    numeric = [j for j in range(frame.shape[1]) if column_kind(frame.iloc[:, j]) == "num"]
    if not numeric:
        return ""
    others = [str(c).lower() for j, c in enumerate(frame.columns) if j not in numeric]
    if any(t not in ("unit", "units") for t in others):
        return ""
    values = frame.iloc[:, numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return "every value is 0" if (values == 0).all() else ""


def _cells(column: pd.Series, kind: str, digits: int) -> list[str]:
    """The shown text of every cell of a column (not yet escaped)."""
    if kind == "num":
        v = pd.to_numeric(column, errors="coerce")
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":
            if "year" in str(column.name).lower():          # 2015, not 2,015
                return [str(int(x)) for x in column.tolist()]
            return [fmt(int(x)) for x in column.tolist()]
        if "year" in str(column.name).lower() and _whole_years(v):
            return ["" if x != x else str(int(x)) for x in v.tolist()]
        return fmt_all(v.to_numpy(dtype=float), digits, nan="")
    out = []
    for v in column.tolist():
        if _blank(v):
            out.append("")
        elif isinstance(v, (bool, np.bool_)):
            out.append("yes" if v else "no")
        elif isinstance(v, (float, np.floating, int, np.integer)):
            out.append(fmt(v, digits))
        elif isinstance(v, (list, tuple, set)):
            out.append(", ".join(map(str, v)))
        else:
            out.append(str(v))
    return out


def _whole_years(v: pd.Series) -> bool:
    """Whether a column's numbers are all whole numbers that read as calendar years."""
    x = v.to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    return len(x) > 0 and bool(((x == np.round(x)) & (x >= 1000) & (x <= 9999)).all())


def _plain_range(index: pd.Index) -> bool:
    """An unnamed 0..n-1 index: row numbers, not worth a column."""
    return (index.nlevels == 1 and index.name is None and isinstance(index, pd.RangeIndex)
            and index.start == 0 and index.step == 1)


def _head_cell(name, units, labels, kind, span: str = "") -> str:
    key = name if not isinstance(name, tuple) else name[0]
    words, unit = header(key, units)
    if str(key) in labels:
        words = labels[str(key)]
    cls = ' class="text"' if kind == "text" else ""
    unit_html = f'<span class="unit">{html.escape(unit)}</span>' if unit else ""
    return f"<th{cls}{span}>{html.escape(str(words))}{unit_html}</th>"


def _head(frame, kinds, index_names, units, labels) -> str:
    cols = frame.columns
    corner = len(index_names)
    if cols.nlevels == 1:
        cells = [f'<th>{html.escape(str(n or ""))}</th>' for n in index_names]
        cells += [_head_cell(c, units, labels, k) for c, k in zip(cols, kinds)]
        return f"<thead><tr>{''.join(cells)}</tr></thead>"
    # two or more column levels: the top level grouped, the rest under it
    rows = []
    for level in range(cols.nlevels):
        cells = []
        if level == 0:
            cells = [f'<th rowspan="{cols.nlevels}">{html.escape(str(n or ""))}'
                     f"</th>" for n in index_names[:corner]]
        values = cols.get_level_values(level)
        j = 0
        while j < len(values):
            k = j
            while (k + 1 < len(values) and level < cols.nlevels - 1
                   and all(cols[k + 1][m] == cols[j][m] for m in range(level + 1))):
                k += 1
            span = f' colspan="{k - j + 1}"' if k > j else ""
            if level == 0:
                cells.append(_head_cell(values[j], units, labels, "num", span))
            else:
                cells.append(f"<th{span}>{html.escape(_words(values[j]))}</th>")
            j = k + 1
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<thead>{''.join(rows)}</thead>"


def _words(name) -> str:
    from .headers import words
    return words(name)


def _index_cells(index: pd.Index) -> list[list[str]]:
    """Per row, the index cells' text; a leading value repeated from the row above is blank."""
    rows = [list(t) if isinstance(t, tuple) else [t] for t in index.tolist()]
    out, prev = [], None
    for r in rows:
        shown = []
        for level, v in enumerate(r):
            same = prev is not None and index.nlevels > 1 and level < len(r) - 1 \
                and prev[:level + 1] == r[:level + 1]
            shown.append("" if same else ("" if _blank(v) else str(v)))
        out.append(shown)
        prev = r
    return out


def render_table(frame: pd.DataFrame, index: bool = True, digits: int = 4,
                 units: dict | None = None, labels: dict | None = None) -> str:
    """The table's HTML (see the module doc), wrapped in a scrolling box."""
    units, labels = dict(units or {}), {str(k): v for k, v in (labels or {}).items()}
    units = {str(k): v for k, v in units.items()}
    shown, dropped = _without_blank_columns(denoised(frame))
    kinds = [column_kind(shown.iloc[:, j]) for j in range(shown.shape[1])]
    cells = [_cells(shown.iloc[:, j], kinds[j], digits) for j in range(shown.shape[1])]
    classes = [_text_class(col) for col in cells]
    show_index = index and not _plain_range(shown.index)
    names = list(shown.index.names) if show_index else []
    head = _head(shown, kinds, names, units, labels)
    idx = _index_cells(shown.index) if show_index else [[] for _ in range(len(shown))]
    body = []
    for i in range(len(shown)):
        tds = "".join(f"<th>{html.escape(v)}</th>" for v in idx[i])
        tds += "".join(f"<td>{html.escape(col[i])}</td>" if kind == "num"
                       else f'<td class="{text}">{html.escape(col[i])}</td>'
                       for col, kind, text in zip(cells, kinds, classes))
        body.append(f"<tr>{tds}</tr>")
    corner = f" i{len(names)}" if names else ""        # the corner's cells: left-aligned
    left_out = ""
    if dropped:
        names_out = ", ".join(header(c, units)[0] for c in dropped)
        left_out = (f'<p class="note left-out">Columns with no value left out: '
                    f"{html.escape(names_out)}.</p>")
    return (f'<div class="table-box"><table class="fg{corner}">{head}<tbody>{"".join(body)}'
            f"</tbody></table></div>{left_out}")


#: a text column whose longest cell is longer than this gets room to read (class 'long')
LONG_TEXT = 28


def _text_class(texts: list[str]) -> str:
    return "text long" if max(map(len, texts), default=0) > LONG_TEXT else "text"


def _without_blank_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The frame without columns that are blank in every row (the CSV keeps them), and the
    names of those left out; a table of one column keeps it."""
    if frame.shape[1] < 2 or len(frame) == 0 or frame.columns.nlevels > 1:
        return frame, []
    blank = [c for j, c in enumerate(frame.columns)
             if all(_blank(v) for v in frame.iloc[:, j].tolist())]
    if not blank or len(blank) == frame.shape[1]:
        return frame, []
    keep = [j for j, c in enumerate(frame.columns) if c not in blank]
    return frame.iloc[:, keep], blank
