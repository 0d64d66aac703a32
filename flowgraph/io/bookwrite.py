"""Writing a case as an Excel workbook (.xlsx) that reads back as the same case
(workbook.py), and the empty or filled template (`flowgraph template`).

Numbers are written exactly (a workbook cell holds the double itself, so the case reads back
bit for bit); lists and mappings as the CSV tables have them, scenario values and plugin
settings as cells.to_cell writes them. The sheets are built in memory first and written to
a temporary file that replaces the target only when it is complete, so a failure leaves no
partial workbook. Every header carries its meaning, unit and default as a comment, the
header row is frozen, and the columns with allowed values have drop-down lists.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CaseFileError
from ..model.network import Network
from ..model.schema import COST_CATEGORIES, declared, is_free, lookup
from ..model.tables import is_missing
from .booklayout import README, comment, lists, template_columns, validations
from .booktime import time_sheets
from .casekeys import FIGURE_KEYS
from .casesave import copy_named_files
from .cells import dotted_key, list_cell, mapping_cell, to_cell
from .export.files import replacing
from .paths import CaseFolder
from .xlsxread import column_letter

#: the most data rows a sheet holds
MAX_ROWS = 1048575


def write_workbook(net: Network | None, path, *, scenarios=(), figures=(), sections=None,
                   source: CaseFolder | None = None, template: bool = False) -> Path:
    """Write a network (None: an empty template) with its scenarios, figure records and
    plugin sections as a case workbook at `path`; the files the sections name in `source`
    are copied beside it. `template`: every core column, filled or not. Returns the path."""
    path = Path(path)
    time, sections = time_sheets(sections or {}, source)
    sheets = {**case_sheets(net, scenarios, figures, sections, template), **time}
    check_text(sheets, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_sheets(sheets, path)
    if source is not None and sections:
        copy_named_files(sections, source, path.parent)
    return path


def case_sheets(net, scenarios, figures, sections: dict, template: bool) -> dict:
    """Sheet name -> (columns, rows) of a case, in the order they are written."""
    net = net if net is not None else Network("")
    meta = {"name": net.name, "period": net.period,
            **{k: v for k, v in net.meta.items() if k != "scenario"}}
    if not net.name and template:
        meta = {"name": "", "period": "yr"}
    sheets = {"case": (["key", "value"], [[k, to_cell(v)] for k, v in meta.items()
                                          if v not in (None, "")])}
    carriers = [c.to_record() for c in net.carriers.values()]
    sheets["carriers"] = _records_sheet("carriers", carriers, template)
    nodes = net.node_frame()
    sheets["nodes"] = _frame_sheet("nodes", nodes, template, skip=_COSTS)
    sheets["costs"] = _costs_sheet(nodes, template)
    sheets["flows"] = _frame_sheet("flows", net.flow_frame(), template)
    sheets["scenarios"], sheets["edits"] = _scenario_sheets(scenarios, template)
    rows = [[f.get(k) for k in FIGURE_KEYS] for f in figures]
    sheets["figures"] = _trim(list(FIGURE_KEYS), rows, keep=() if not template else FIGURE_KEYS,
                              need=("name", "expr"))
    sheets["settings"] = (["section", "key", "value"], _settings_rows(sections))
    return {k: v for k, v in sheets.items() if template or v[1] or k in ("nodes", "flows")}


_COSTS = tuple(f"costs.{c}" for c in COST_CATEGORIES)


def _frame_sheet(sheet: str, frame: pd.DataFrame, template: bool, skip=()) -> tuple:
    """A node or flow frame as (columns, rows): its id, then the columns with a value
    (every core column in a template), each cell as the CSV tables write it."""
    component = {"nodes": "node", "flows": "flow"}[sheet]
    need = {"node": (), "flow": ("source", "target", "carrier")}[component]
    cols = [c for c in frame.columns if c != "_origin" and c not in skip
            and (frame[c].notna().any() or c in need
                 or (template and c in template_columns(sheet)))]
    cols = sorted([c for c in cols if c in need or (template and c in template_columns(sheet))
                   or not _all_default(frame[c], component)], key=_order(component))
    with_id = component == "node" or (len(frame) and not isinstance(frame.index,
                                                                     pd.RangeIndex))
    columns = (["id"] if with_id else []) + cols
    data = [_column(frame.index.to_numpy(dtype=object), "id", component)] if with_id else []
    data += [_column(frame[c].to_numpy(dtype=object), c, component) for c in cols]
    if len(frame) > MAX_ROWS:
        raise CaseFileError(f"{len(frame)} {sheet} do not fit a sheet ({MAX_ROWS} rows at "
                            f"most); save the case as a folder with CSV tables")
    return columns, [list(r) for r in zip(*data)] if data else []


def _all_default(values: pd.Series, component: str) -> bool:
    """Every value is the attribute's default (a role column of products): not written."""
    attr = lookup(component, values.name) if isinstance(values.name, str) else None
    return attr is not None and isinstance(attr.default, str) and len(values) > 0 \
        and bool((values == attr.default).all())


def _order(component: str):
    names = list(declared(component))
    return lambda c: (names.index(c) if c in names else len(names) + (1 if is_free(c) else 0),)


def _column(values: np.ndarray, name: str, component: str) -> list:
    """A column's cells: missing values empty, lists and mappings as table cells, values of
    the user's own as cells.to_cell writes them."""
    attr = None if is_free(name) else lookup(component, name)
    kind = attr.type if attr is not None else "free"
    out = []
    for v in values:
        if _missing(v):
            out.append(None)
        elif kind == "list":
            out.append(list_cell(v))
        elif kind == "dict":
            out.append(mapping_cell(v))
        elif kind == "free":
            out.append(to_cell(v.item() if isinstance(v, np.generic) else v))
        else:
            out.append(v.item() if isinstance(v, np.generic) else v)
    return out


class Exact(str):
    """A number whose 16-digit text (what openpyxl writes) is not the number: written as
    its shortest exact text."""


class Text(str):
    """Text that a spreadsheet would take for a formula (=...) or an error value (#N/A)."""


def exact(v):
    """A cell value that writes and reads back as `v` exactly."""
    if type(v) is float:
        return v if float(f"{v:.16g}") == v else Exact(repr(v))
    if type(v) is str and (v.startswith("=") or v.startswith("#")):
        return Text(v)
    return v


def _cells(ws, row: list) -> list:
    """A row with its numbers written exactly and text that looks like a formula or an
    error value written as text."""
    row = [exact(v) for v in row]
    if not any(isinstance(v, (Exact, Text)) for v in row):
        return row
    from openpyxl.cell import WriteOnlyCell
    out = []
    for v in row:
        if isinstance(v, (Exact, Text)):
            cell = WriteOnlyCell(ws, value=0 if isinstance(v, Exact) else "text")
            cell._value = str(v)
            out.append(cell)
        else:
            out.append(v)
    return out


def _missing(v) -> bool:
    if isinstance(v, (list, tuple, dict)):
        return False
    return is_missing(v) or (isinstance(v, np.floating) and np.isnan(v))


def _records_sheet(sheet: str, records: list[dict], template: bool) -> tuple:
    """Carrier records as (columns, rows), in the attribute table's order."""
    seen = list(dict.fromkeys(k for r in records for k in r))
    if template:
        seen = list(dict.fromkeys([*template_columns(sheet), *seen]))
    columns = sorted(seen, key=_order("carrier"))
    data = [_column(np.array([r.get(c) for r in records] + [None], dtype=object)[:-1], c,
                    "carrier") for c in columns]
    return columns, [list(r) for r in zip(*data)] if records else []


def _costs_sheet(nodes: pd.DataFrame, template: bool) -> tuple:
    """node | material | energy | system | waste_management for the nodes with a cost."""
    columns = ["node", *COST_CATEGORIES]
    rows = []
    present = [c for c in _COSTS if c in nodes.columns]
    if present:
        values = nodes[present].to_numpy(dtype=float)
        for nid, row in zip(nodes.index, values):
            if np.any(np.nan_to_num(row) != 0):
                cells = dict(zip(present, row))
                rows.append([nid] + [None if c not in cells or np.isnan(cells[c]) or
                                     cells[c] == 0 else float(cells[c]) for c in _COSTS])
    return _trim(columns, rows, keep=columns if template else (), need=("node",))


def _scenario_sheets(scenarios, template: bool) -> tuple:
    """The scenarios (name, metadata) and their edits (scenario, op, target, id, values)."""
    records = [s.to_record() for s in scenarios]
    meta_keys = list(dict.fromkeys(k for r in records for k in r if k not in ("name", "edit")))
    if template:
        meta_keys = list(dict.fromkeys(["description", *meta_keys]))
    scen = (["name", *meta_keys], [[r["name"], *(to_cell(r.get(k)) for k in meta_keys)]
                                   for r in records])
    edits = [(r["name"], e) for r in records for e in r["edit"]]
    value_keys = list(dict.fromkeys(k for _, e in edits for k in e
                                    if k not in ("op", "target", "id")))
    columns = ["scenario", "op", "target", "id", *value_keys]
    rows = [[name, e["op"], e.get("target"), e.get("id"),
             *(to_cell(e.get(k)) for k in value_keys)] for name, e in edits]
    return scen, _trim(columns, rows, keep=columns if template else (),
                       need=("scenario", "op", "target"))


def _settings_rows(sections: dict) -> list:
    """One row per setting: its section, dotted key and value (nested tables flattened;
    lists and empty tables as TOML)."""
    rows = []
    for section, table in sections.items():
        if not isinstance(table, dict):
            rows.append([section, None, to_cell(table)])
            continue
        for parts, value in _leaves(table, []):
            rows.append([section, dotted_key(parts), to_cell(value)])
    return rows


def _leaves(table: dict, path: list):
    for k, v in table.items():
        if isinstance(v, dict) and v:
            yield from _leaves(v, [*path, k])
        else:
            yield [*path, k], v


def _trim(columns: list, rows: list, keep=(), need=()) -> tuple:
    """Drop the columns no row fills (but those to keep and those needed)."""
    used = [k for k, c in enumerate(columns) if c in keep or c in need
            or any(r[k] is not None for r in rows)]
    return [columns[k] for k in used], [[r[k] for k in used] for r in rows]


# -- the file --------------------------------------------------------------------------------

def check_text(sheets: dict, path: Path) -> None:
    """Text a workbook cannot hold (control characters) refused before anything is
    written, naming the sheet and cell."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    for name, (columns, rows) in sheets.items():
        for k, column in enumerate(columns):
            texts = [r[k] for r in rows if isinstance(r[k], str)]
            if not ILLEGAL_CHARACTERS_RE.search("\n".join([str(column), *texts])):
                continue
            for i, row in enumerate([columns, *rows]):
                v = row[k]
                if isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v):
                    where = f"{name}!{column_letter(k)}{i + 1}"
                    raise CaseFileError(f"{path}: {where}: {v!r} holds a control character "
                                        f"a workbook cannot hold (it cannot be written); "
                                        f"remove it")


def save_sheets(sheets: dict, path: Path) -> None:
    """Write the sheets (name -> (columns, rows)) with a README and the lists sheet, to a
    temporary file first; it replaces `path` only when it is complete."""
    import openpyxl
    book = openpyxl.Workbook(write_only=True)
    _readme(book)
    placed = {name: columns for name, (columns, _) in sheets.items()}
    for name, (columns, rows) in sheets.items():
        ws = book.create_sheet(name)
        _header(ws, name, columns)
        for dv in validations(name, columns, placed):
            ws.data_validations.append(dv)
        for row in rows:
            ws.append(_cells(ws, row))
    _lists(book)
    with replacing(path) as tmp:
        book.save(tmp)


def _header(ws, sheet: str, columns: list) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    ws.freeze_panes = "A2"
    cells = []
    for k, name in enumerate(columns):
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        text = comment(sheet, name)
        if text:
            cell.comment = Comment(text, "flowgraph", width=300, height=120)
        cells.append(cell)
        ws.column_dimensions[column_letter(k)].width = max(10, min(40, len(str(name)) + 4))
    ws.append(cells)


def _readme(book) -> None:
    ws = book.create_sheet("README")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 110
    for line in README.splitlines():
        ws.append(line.split("\t", 1) if "\t" in line else [line])


def _lists(book) -> None:
    ws = book.create_sheet("lists")
    ws.sheet_state = "hidden"
    table = lists()
    ws.append(list(table))
    for i in range(max(map(len, table.values()))):
        ws.append([v[i] if i < len(v) else None for v in table.values()])
