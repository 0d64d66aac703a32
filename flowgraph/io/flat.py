"""A flat flows table as a network, for quick diagrams of measured data.

The table has one flow a row: `source, target, carrier, value, unit`, as floweaver's Dataset
and e!Sankey's tables have it (`type` or `material` may name the carrier column; carrier
and unit may be left out). It is a CSV file (`fg.load("measured.csv")`) or a workbook with
one sheet of that shape. The nodes are the names in source and target: a node nothing
enters is a source, one nothing leaves a sink, the others processes that close no balance
(layers = []), so measured values that do not balance still draw; a flow without a value is
left unknown (strict = false). Without a carrier column each unit is a carrier of its own
('flow (t)'). Errors name the file and line (CSV) or the cell (workbook).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CaseFileError
from ..model.network import Network
from ..model.schema import is_free, unknown_key
from .casefile import CaseData
from .csvtable import _records, _typed
from .paths import CaseFolder
from .text import read_text

#: the columns of a flat table, and the names other tools give them
COLUMNS = ("source", "target", "carrier", "value", "unit")
ALIASES = {"type": "carrier", "material": "carrier", "quantity": "value"}
NEEDED = ("source", "target", "value")


def read_flat(path, allow=()) -> CaseData:
    """A flat flows table (CSV) as plain CaseData."""
    path = Path(path)
    if not path.is_file():
        raise CaseFileError(f"{path}: no such file", origin=str(path))
    rows, lines = _records(read_text(path), path)
    if not rows:
        raise CaseFileError(f"{path}: the table is empty; its first line names the columns "
                            f"({', '.join(COLUMNS)})", origin=str(path))
    names = [h.strip() for h in rows[0]]
    width = len(names)
    for r, row in enumerate(rows[1:], 1):
        if len(row) != width:
            where = f"{path}:{lines[r]}"
            raise CaseFileError(f"{where}: {len(row)} cells where the header line has "
                                f"{width} ({', '.join(names)})", origin=where)
    where = f"{path}:{lines[0]}"
    columns = flat_columns(names, lambda problem, k: CaseFileError(
        f"{where}: column {k + 1} ({names[k]}): {problem}", origin=where), where)
    frame = pd.DataFrame({new: _typed("quantity" if new == "value" else new,
                                      [row[k] for row in rows[1:]], "flow")
                          for k, new in columns.items()}, index=range(len(rows) - 1))
    origins = [f"{path}:{line}" for line in lines[1:]]
    return flat_case(frame, origins, path, allow)


def flat_columns(names: list, error, where: str) -> dict[int, str]:
    """Column index -> its name in the flow table; unknown, doubled and missing columns
    refused."""
    out: dict[int, str] = {}
    for k, raw in enumerate(names):
        name = ALIASES.get(raw, raw)
        if not raw:
            continue
        if name not in COLUMNS and not is_free(name):
            raise error(unknown_key(raw, list(COLUMNS), "column").split(" (")[0] +
                        f"; a flat table has the columns {', '.join(COLUMNS)} (and x_ "
                        f"columns of your own)", k)
        if name in out.values():
            raise error(f"a second {name} column", k)
        out[k] = name
    missing = [c for c in NEEDED if c not in out.values()]
    if missing:
        raise CaseFileError(f"{where}: a flat table needs the column(s) "
                            f"{', '.join(repr(c) for c in missing)}; its columns are "
                            f"{', '.join(n for n in names if n)}", origin=where)
    return out


def flat_case(frame: pd.DataFrame, origins: list, path: Path, allow=()) -> CaseData:
    """CaseData of a flat table (columns source, target, value and maybe carrier, unit, x_
    ones; `origins` the place of each row)."""
    flows = frame.rename(columns={"value": "quantity"})
    if "carrier" not in flows.columns:
        units = flows["unit"] if "unit" in flows.columns else pd.Series([np.nan] * len(flows))
        flows["carrier"] = [f"flow ({u})" if isinstance(u, str) and u else "flow"
                            for u in units]
    ends = [v for pair in zip(flows["source"].to_numpy(dtype=object),
                              flows["target"].to_numpy(dtype=object)) for v in pair]
    ids = list(dict.fromkeys(v for v in ends if isinstance(v, str) and v))
    sources = set(flows["source"].to_numpy(dtype=object))
    targets = set(flows["target"].to_numpy(dtype=object))
    kinds = ["source" if i not in targets else "sink" if i not in sources else "process"
             for i in ids]
    first = {}
    for row, (s, t) in enumerate(zip(flows["source"], flows["target"])):
        first.setdefault(s, origins[row])
        first.setdefault(t, origins[row])
    nodes = pd.DataFrame({"id": ids, "kind": kinds,
                          "layers": [None if k in ("source", "sink") else [] for k in kinds]})
    net = Network.from_frames(nodes, flows, None, name=path.stem, period="yr",
                              origin_nodes=[first.get(i) for i in ids], origin_flows=origins,
                              strict=False)
    folder = CaseFolder.of(path.parent, allow)
    return CaseData(net, {}, [], {}, path.parent, {}, None, folder, file=path)


def flat_sheet(sheets: dict[str, list]) -> str | None:
    """The one sheet of a workbook that is a flat table (its row 1 names source, target and
    value), if the workbook has no nodes sheet and no other sheet; `sheets`: name -> row 1."""
    if any(n.strip().casefold() == "nodes" for n in sheets) or len(sheets) != 1:
        return None
    name, header = next(iter(sheets.items()))
    names = {ALIASES.get(h.strip(), h.strip()) for h in header if isinstance(h, str)}
    return name if set(NEEDED) <= names else None
