"""Case files: a folder with case.toml (and optional CSV tables), read as plain CaseData.

case.toml holds [case] (name, period, description, ...), [[carrier]], [[node]], [[flow]],
[[scenario]] (with [[scenario.edit]]), [[figure]] (the case's headline figures) and
[tables] naming CSV files for bulk nodes/flows/carriers. Any other top-level table is a
plugin's section ([synergy], [evaluation], ...) and is kept as it is. Every node and flow
remembers the file and line it came from, and every error names the file and line of the
key at fault; the files a case names resolve inside its folder (paths.py).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CaseFileError, FlowgraphError
from ..model.network import Network
from ..model.scenario import Scenario
from .casekeys import CORE_KEYS, check_figure, check_top_level, checked_case
from .csvtable import read_table
from .paths import CaseFolder
from .toml import header_lines, key_line, read_toml

#: the CSV tables [tables] may name, and the component of each
TABLES = {"nodes": "node", "flows": "flow", "carriers": "carrier"}


class Origins:
    """The file:line of the k-th [[kind]] (or [kind]) header of a case file, and of a key
    written under it."""

    def __init__(self, file: Path, text: str):
        self.file = file
        self.text = text
        self.lines = header_lines(text)

    def __call__(self, kind: str, k: int = 0) -> str:
        ln = self.lines.get(kind, [])
        return f"{self.file}:{ln[k]}" if k < len(ln) else str(self.file)

    def key(self, kind: str, k: int, key: str) -> str:
        """The file:line of `key` in the k-th [kind] table (its header's if not found)."""
        line = key_line(self.text, kind, k, key)
        return f"{self.file}:{line}" if line else self(kind, k)

    def keys(self, kind: str, k: int = 0):
        """where(key) for the k-th [kind] table."""
        return lambda key: self.key(kind, k, key)

    def table(self, name: str) -> str:
        """The file:line of a top-level table: its [name] header, else the first header of a
        table inside it ([name.sub] or [[name.sub]])."""
        if name in self.lines:
            return self(name)
        inner = [ln[0] for head, ln in self.lines.items() if head.startswith(name + ".")]
        return f"{self.file}:{min(inner)}" if inner else str(self.file)

    def key_or_header(self, key: str) -> str:
        """The file:line of a top-level key: its [key] header, or `key = ` before any table."""
        line = key_line(self.text, None, 0, key)
        return f"{self.file}:{line}" if line else self(key)


@dataclass
class CaseData:
    """What a case file holds, as plain data: the network, scenarios by name, figure
    records (name, expr, unit, published, scenario, note, origin), the plugin sections,
    and where it came from (folder, the file:line of each section's header and key, and
    the folder the names it gives resolve in)."""

    network: Network
    scenarios: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    sections: dict = field(default_factory=dict)
    path: Path | None = None
    section_origins: dict = field(default_factory=dict)
    origins: Origins | None = None
    folder: CaseFolder | None = None
    #: the file it was read from (case.toml, a workbook, a flat table)
    file: Path | None = None
    #: scenario name -> (where it is given, where each of its edits is given)
    scenario_origins: dict = field(default_factory=dict)


def case_file(path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / "case.toml"
    if not p.exists():
        raise CaseFileError(f"{p}: no such case file (a case is a folder with case.toml)")
    return p


def read_case(path, allow=()) -> CaseData:
    """Read a case folder or case.toml as plain CaseData; errors name file and line. The
    files it names resolve inside its folder or one of the `allow` folders."""
    file = case_file(path)
    data, text = read_toml(file)
    origin = Origins(file, text)
    check_top_level(data, origin.key_or_header)
    folder = CaseFolder.of(file.parent, allow)
    net = _network(data, file, origin, folder)
    scenarios, scenario_origins = {}, {}
    for k, rec in enumerate(_array(data, "scenario", file)):
        try:
            sc = Scenario.from_record(rec)
        except FlowgraphError as exc:
            key = getattr(exc, "key", None)
            raise CaseFileError(str(exc), origin=origin.key("scenario", k, key) if key
                                else origin("scenario", k)) from None
        scenarios[sc.name] = sc
        scenario_origins[sc.name] = (origin("scenario", k), [])
    figures = [_figure(rec, origin, k) for k, rec in enumerate(_array(data, "figure", file))]
    sections = {k: v for k, v in data.items() if k not in CORE_KEYS}
    section_origins = {k: origin.table(k) for k in sections}
    return CaseData(net, scenarios, figures, sections, file.parent, section_origins, origin,
                    folder, file, scenario_origins)


def _network(data: dict, file: Path, origin: Origins, folder: CaseFolder) -> Network:
    """The network of a case file: [case], [tables] and the [[carrier]], [[node]] and
    [[flow]] records, each remembering the file:line it came from."""
    meta = checked_case(_table(data, "case", file), origin.keys("case"))
    name = meta.pop("name", file.parent.name)
    period = meta.pop("period", "yr")
    tables = _table(data, "tables", file)
    net = _from_tables(folder, tables, origin, name, period, meta) if tables \
        else Network(name, period, **meta)
    for k, rec in enumerate(_array(data, "carrier", file)):
        rec, where = dict(rec), origin("carrier", k)
        cname = _need(rec, "name", "carrier", where)
        with _at(where):
            net.add_carrier(cname, origin=where, **rec)
    for k, rec in enumerate(_array(data, "node", file)):
        rec, where = dict(rec), origin("node", k)
        nid = _need(rec, "id", "node", where)
        with _at(where):
            net.add_node(nid, origin=where, **rec)
    for k, rec in enumerate(_array(data, "flow", file)):
        rec, where = dict(rec), origin("flow", k)
        args = [_need(rec, key, "flow", where) for key in ("source", "target", "carrier")]
        if isinstance(rec.get("per"), list):
            rec["per"] = tuple(rec["per"])
        with _at(where):
            net.add_flow(*args, origin=where, **rec)
    return net


@contextmanager
def _at(where: str):
    """Errors raised while the model takes a record (or a table) name its file:line when
    the model's own message does not."""
    try:
        yield
    except FlowgraphError as exc:
        exc.place(where)
        raise
    except (TypeError, ValueError) as exc:
        raise CaseFileError(str(exc), origin=where) from None


def _figure(rec: dict, origin: Origins, k: int) -> dict:
    where = origin("figure", k)
    rec = dict(rec)
    fname = _need(rec, "name", "figure", where)
    expr = _need(rec, "expr", "figure", where)
    check_figure({"name": fname, "expr": expr, **rec}, origin.keys("figure", k))
    return {"name": fname, "expr": expr, **rec, "origin": where}


def _table(data, key, file) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise CaseFileError(f"{file}: '{key}' must be a table ([{key}])", origin=str(file))
    return value


def _array(data, key, file) -> list:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CaseFileError(f"{file}: '{key}' must be an array of tables ([[{key}]])",
                            origin=str(file))
    return value


def _need(rec: dict, key: str, what: str, where: str):
    if key not in rec:
        raise CaseFileError(f"a {what} needs '{key}'", origin=where)
    return rec.pop(key)


def _from_tables(folder: CaseFolder, tables: dict, origin: Origins, name, period,
                 meta) -> Network:
    """The network of the CSV tables [tables] names, each resolved in the case folder."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise CaseFileError(f"[tables]: unknown table(s) {sorted(unknown)}; use nodes, "
                            f"flows, carriers", origin=origin("tables"))
    read = {}
    for key, component in TABLES.items():
        if key in tables:
            at = folder.named(f"[tables] {key}", origin.key("tables", 0, key))
            path = at.resolve(tables[key])
            if not path.is_file():
                raise CaseFileError(f"[tables] {key} = {tables[key]!r}: {path} does not exist",
                                    origin=at.origin)
            read[key] = read_table(path, component)
    nodes = read["nodes"].frame if "nodes" in read else None
    flows = read["flows"].frame if "flows" in read else None
    carriers = None
    if "carriers" in read:
        carriers = read["carriers"].frame.assign(_origin=read["carriers"].origins)
    with _at(origin("tables")):
        return Network.from_frames(
            nodes if nodes is not None else _empty(["id"]),
            flows if flows is not None else _empty(["source", "target", "carrier"]),
            carriers, name=name, period=period,
            origin_nodes=read["nodes"].origins if "nodes" in read else [],
            origin_flows=read["flows"].origins if "flows" in read else [], **meta)


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
