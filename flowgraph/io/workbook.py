"""Case workbooks: a case as an Excel workbook (.xlsx), read as plain CaseData.

One sheet per table, with the columns of the CSV tables (docs/case-files.md):

    case       key | value: name, period, description, source, strict, year
    carriers   the carrier table (name, kind, unit, price, tce, co2, ...)
    nodes      the node table (id, kind, label, stage, ...; costs.* columns allowed)
    costs      node | material | energy | system | waste_management (optional)
    flows      the flow table (id, source, target, carrier, quantity, unit, share, ...)
    scenarios  name | description | any metadata, one scenario a row
    edits      scenario | op | target | id | the values, one edit a row
    figures    name | expr | unit | published | scenario | note
    settings   section | key | value: the plugin sections, one setting a row
    time       the [time] section: parameter | <period> | <period> ... (a series a row),
               or period | parameter | value; time_stocks and time_starts (booktime.py)

README and lists (written by flowgraph) and sheets whose name starts with x_ are not read;
any other sheet is refused with the closest known name. Every node and flow remembers its
row (`plant.xlsx:flows!A7`), and every fault names the cell (`plant.xlsx:flows!D7`): the
model's checks (model/table_checks.py) name the row and the column, which is turned into the
cell here.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..errors import CaseFileError, FlowgraphError
from ..model.network import Network
from ..model.schema import COST_CATEGORIES, suggestion
from ..model.table_checks import Rows, check_ids, checked_numbers
from .booksheets import read_case_sheet, read_figures, read_scenarios, read_settings
from .booktables import REQUIRED, Records, records, table_frame, typed
from .booktime import SHEETS as TIME_SHEETS
from .booktime import read_time
from .casefile import CaseData
from .flat import flat_case, flat_columns, flat_sheet
from .paths import CaseFolder
from .xlsxread import Workbook, column_letter, sheet_ref

#: the sheets of a case workbook, in the order they are written
SHEETS = ("case", "carriers", "nodes", "costs", "flows", "scenarios", "edits", "figures",
          "settings", *TIME_SHEETS)
#: sheets flowgraph writes for people and does not read
IGNORED = ("readme", "lists")
#: sheets a case workbook cannot do without
NEEDED = ("nodes", "flows")
TABLES = {"carriers": "carrier", "nodes": "node", "flows": "flow"}


def read_workbook(path, allow=()) -> CaseData:
    """Read a case workbook as plain CaseData; every error names the workbook, sheet and
    cell. The files its settings name resolve in its folder or one of `allow`."""
    path = Path(path)
    book = Workbook(path)
    flat = _flat(book, allow)
    if flat is not None:
        return flat
    names = sheet_names(book)
    meta = read_case_sheet(book.sheet(names["case"])) if "case" in names else {}
    name = meta.pop("name", path.stem)
    period = meta.pop("period", "yr")
    tables = {key: records(book.sheet(names[key]), TABLES[key],
                           required=REQUIRED[TABLES[key]], component=TABLES[key])
              for key in TABLES if key in names}
    costs = _costs(book.sheet(names["costs"])) if "costs" in names else None
    net = _network(tables, costs, name, period, meta)
    scenarios, scenario_origins = read_scenarios(book.sheet(names["scenarios"]) if "scenarios" in names else None,
                               book.sheet(names["edits"]) if "edits" in names else None)
    figures = read_figures(book.sheet(names["figures"])) if "figures" in names else []
    sections, origins = read_settings(book.sheet(names["settings"])) if "settings" in names \
        else ({}, {})
    read_time(book, names, net, scenarios, sections, origins)
    folder = CaseFolder.of(path.parent, allow)
    return CaseData(net, scenarios, figures, sections, path.parent, origins, None, folder,
                    file=path, scenario_origins=scenario_origins)


def _flat(book: Workbook, allow) -> CaseData | None:
    """A workbook of one sheet holding a flat flows table (source, target, value), read as
    such (flat.py); None for a case workbook."""
    data = [n for n in book.sheet_names if n.strip().casefold() not in IGNORED
            and not n.strip().casefold().startswith("x_")]
    if len(data) != 1 or data[0].strip().casefold() in SHEETS:
        return None
    sheet = book.sheet(data[0])
    if flat_sheet({data[0]: sheet.rows[0] if sheet.rows else []}) is None:
        return None
    rec = records(sheet, "flow")
    names = list(rec.columns)
    columns = flat_columns(names, lambda problem, k: sheet.error(
        problem, row=0, col=rec.columns[names[k]]), sheet.ref(0))
    frame = pd.DataFrame({new: typed(rec, names[k], "quantity" if new == "value" else new,
                                     "flow") for k, new in columns.items()},
                         index=range(len(rec.rows)))
    with pinpoint([rec], aliases={"quantity": "value"}):
        return flat_case(frame, rec.origins(), book.path, allow)


def sheet_names(book: Workbook) -> dict[str, str]:
    """The case sheets of the workbook by their name here (sheet names are matched without
    regard to case); an unknown sheet is refused with the closest known name, and one
    without nodes or flows names what is missing."""
    found: dict[str, str] = {}
    for actual in book.sheet_names:
        key = actual.strip().casefold()
        if key in IGNORED or key.startswith("x_"):
            continue
        where = sheet_ref(book.path, actual)
        if key not in SHEETS:
            raise CaseFileError(f"{where}: unknown sheet '{actual}'"
                                f"{suggestion(key, SHEETS)}; a case workbook has the sheets "
                                f"{', '.join(SHEETS)} (sheets of your own take the prefix "
                                f"x_)", origin=where)
        if key in found:
            raise CaseFileError(f"{where}: a second '{key}' sheet (besides '{found[key]}'); "
                                f"give each table one sheet", origin=where)
        found[key] = actual
    missing = [s for s in NEEDED if s not in found]
    if missing:
        raise CaseFileError(
            f"{book.path}: the workbook has no sheet {' or '.join(repr(m) for m in missing)} "
            f"(its sheets: {', '.join(book.sheet_names) or 'none'}); a case workbook has the "
            f"sheets {', '.join(SHEETS)} (`flowgraph template --out plant.xlsx` writes one)",
            origin=str(book.path))
    return found


def _network(tables: dict[str, Records], costs, name, period, meta) -> Network:
    nodes = table_frame(tables["nodes"], "node")
    if costs is not None:
        with pinpoint([tables["nodes"]]):        # the ids the costs sheet refers to, first
            check_ids(nodes["id"], "id", Rows("node", nodes["id"].to_numpy(dtype=object),
                                              tables["nodes"].origins()))
        nodes = _with_costs(nodes, tables["nodes"], costs)
    flows = table_frame(tables["flows"], "flow")
    carriers = None
    if "carriers" in tables:
        carriers = table_frame(tables["carriers"], "carrier").assign(
            _origin=tables["carriers"].origins())
    with pinpoint(tables.values()):
        net = Network.from_frames(nodes, flows, carriers, name=name, period=period,
                                  origin_nodes=tables["nodes"].origins(),
                                  origin_flows=tables["flows"].origins(), **meta)
    _check_ends(net, tables["flows"])
    return net


def _check_ends(net: Network, flows: Records) -> None:
    """A flow's source and target are nodes of the nodes sheet: refused by the cell that
    names another (the model finds it only when the network is compiled, by row)."""
    frame, ids = net.flow_frame(), net.node_frame().index
    for end in ("source", "target"):
        bad = ~frame[end].isin(ids).to_numpy()
        if bad.any():
            i = int(bad.argmax())
            nid = frame[end].iloc[i]
            raise flows.error(f"flow '{frame.index[i]}' refers to unknown node '{nid}'"
                              f"{suggestion(str(nid), [str(n) for n in ids])}", i, end)


# -- the costs sheet -------------------------------------------------------------------------

def _costs(sheet) -> Records:
    """The costs sheet: node | material | energy | system | waste_management."""
    return records(sheet, "cost", known=("node", *COST_CATEGORIES), required=("node",))


def _with_costs(nodes: pd.DataFrame, table: Records, costs: Records) -> pd.DataFrame:
    """The node frame with the costs sheet's amounts in its costs.* columns: each amount
    read and checked by the model (naming its cell), its node on the nodes sheet, no node
    twice, no cost given on both sheets."""
    ids = table_frame(costs, "node", rename={"node": "id"})["id"].to_numpy(dtype=object)
    where = {nid: i for i, nid in enumerate(nodes["id"].to_numpy(dtype=object))}
    seen: dict = {}
    for i, nid in enumerate(ids):
        if nid not in where:
            raise costs.error(f"node '{nid}' is not on the nodes sheet"
                              f"{suggestion(nid, list(where))}", i, "node")
        if nid in seen:
            raise costs.error(f"node '{nid}' is listed twice (also in row "
                              f"{costs.rows[seen[nid]] + 1}); give its costs in one row",
                              i, "node")
        seen[nid] = i
    frame = table_frame(costs, "node", rename={c: f"costs.{c}" for c in COST_CATEGORIES})
    rows = Rows("node", ids, costs.origins())
    nodes = nodes.copy()
    for category in COST_CATEGORIES:
        col = f"costs.{category}"
        if col not in frame.columns:
            continue
        with pinpoint([costs], aliases={col: category}):
            amounts = checked_numbers(frame, col, rows)
        current = nodes[col].to_numpy(dtype=object) if col in nodes.columns \
            else [float("nan")] * len(nodes)
        merged = list(current)
        for i, (nid, amount) in enumerate(zip(ids, amounts)):
            if amount != amount:
                continue
            k = where[nid]
            if _given(merged[k]):
                raise costs.error(f"node '{nid}': {category} cost is given here and in the "
                                  f"nodes sheet's column {col} ({table.ref(k, col)}); give "
                                  f"it once", i, category)
            merged[k] = amount
        nodes[col] = merged
    return nodes


def _given(v) -> bool:
    return not (v is None or v == "" or (isinstance(v, float) and v != v))


# -- naming the cell of the model's errors ------------------------------------------------

_ROW_ORIGIN = re.compile(r"^(?P<sheet>.+)!A(?P<row>\d+)$")
#: the item a model message starts with: node 'x': , flow 'x': , carrier 'x':
_PLACE = re.compile(r"^(?:node|flow|carrier) (?:'.*?'|\".*?\"|\S+): ")


@contextmanager
def pinpoint(tables, aliases=None):
    """The model names a bad value by its row's origin (`plant.xlsx:flows!A7`) and its
    column in the message (`flow 'x': quantity 'five' ...`): name the cell instead."""
    try:
        yield
    except FlowgraphError as exc:
        locate(exc, [t for t in tables if t is not None], aliases or {})
        raise


def locate(exc: FlowgraphError, tables: list[Records], aliases: dict) -> None:
    """Rewrite `exc` to name the cell of the column its message names (in place)."""
    m = _ROW_ORIGIN.match(exc.origin or "")
    if not m:
        return
    table = next((t for t in tables if t.sheet.ref(0).rsplit("!", 1)[0] == m["sheet"]), None)
    if table is None:
        return
    message = str(exc)
    rest = _PLACE.sub("", message.split(f"{exc.origin}: ", 1)[-1], count=1)
    best = None
    for name in table.columns:
        for shown in {name, *(a for a, n in aliases.items() if n == name)}:
            for form in (f"{shown} ", f"{shown}:"):
                at = 0 if rest.startswith(form) else rest.find(f": {form}")
                if at >= 0 and (best is None or (at, -len(shown)) < best[0]):
                    best = ((at, -len(shown)), name)
    if best is None and "duplicate" in message:
        best = (None, "id" if "id" in table.columns else "name")
    if best is None or best[1] not in table.columns:
        return
    cell = f"{m['sheet']}!{column_letter(table.columns[best[1]])}{m['row']}"
    exc.args = (message.replace(exc.origin, cell, 1),)
    exc.origin = cell
