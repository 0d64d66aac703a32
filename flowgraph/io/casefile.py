"""Case files: a folder with case.toml (and optional CSV tables), loaded and saved losslessly.

case.toml holds [case] (name, period, description, ...), [[carrier]], [[node]], [[flow]],
[[scenario]] (with [[scenario.edit]]), [[figure]] (the case's headline figures) and
[tables] naming CSV files for bulk nodes/flows/carriers. Any other top-level table is a
plugin's section ([synergy], [evaluation], ...) and is kept as it is. Every node and flow
remembers the file and line it came from, so errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from ..errors import CaseFileError, FlowgraphError
from ..model.bulk import format_list, format_mapping
from ..model.network import Network
from ..model.scenario import Scenario
from ..model.schema import COST_CATEGORIES
from ..model.tables import is_missing
from .toml import header_lines, read_toml

#: top-level tables the core reads; all others belong to plugins
CORE_KEYS = ("case", "tables", "carrier", "node", "flow", "scenario", "figure")
#: networks with more flows than this are saved with CSV tables
TABLE_THRESHOLD = 500


@dataclass
class CaseData:
    """What a case file holds, as plain data: the network, scenarios by name, figure
    records (name, expr, unit, published, scenario, note, origin), the plugin sections,
    and where it came from (folder, and the file:line of each section's header)."""

    network: Network
    scenarios: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    sections: dict = field(default_factory=dict)
    path: Path | None = None
    section_origins: dict = field(default_factory=dict)


#: keys a [[figure]] record may hold
FIGURE_KEYS = ("name", "expr", "unit", "published", "scenario", "note")


# -- loading -----------------------------------------------------------------------------

def case_file(path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / "case.toml"
    if not p.exists():
        raise CaseFileError(f"{p}: no such case file (a case is a folder with case.toml)")
    return p


class _Origins:
    """The file:line of the k-th [[kind]] (or [kind]) header of a case file."""

    def __init__(self, file: Path, text: str):
        self.file = file
        self.lines = header_lines(text)

    def __call__(self, kind: str, k: int = 0) -> str:
        ln = self.lines.get(kind, [])
        return f"{self.file}:{ln[k]}" if k < len(ln) else str(self.file)


def read_case(path) -> CaseData:
    """Read a case folder or case.toml as plain CaseData; errors name file and line."""
    file = case_file(path)
    data, text = read_toml(file)
    origin = _Origins(file, text)
    net = _network(data, file, origin)
    scenarios = {}
    for k, rec in enumerate(_array(data, "scenario", file)):
        try:
            sc = Scenario.from_record(rec)
        except FlowgraphError as exc:
            raise CaseFileError(str(exc), origin=origin("scenario", k)) from None
        scenarios[sc.name] = sc
    figures = [_figure(rec, origin("figure", k))
               for k, rec in enumerate(_array(data, "figure", file))]
    sections = {k: v for k, v in data.items() if k not in CORE_KEYS}
    section_origins = {k: origin(k) for k in sections}
    return CaseData(net, scenarios, figures, sections, file.parent, section_origins)


def _network(data: dict, file: Path, origin: _Origins) -> Network:
    """The network of a case file: [case], [tables] and the [[carrier]], [[node]] and
    [[flow]] records, each remembering the file:line it came from."""
    meta = dict(_table(data, "case", file))
    name = meta.pop("name", file.parent.name)
    period = meta.pop("period", "yr")
    tables = _table(data, "tables", file)
    try:
        net = _from_tables(file.parent, tables, name, period, meta) if tables \
            else Network(name, period, **meta)
        for k, rec in enumerate(_array(data, "carrier", file)):
            rec = dict(rec)
            cname = _need(rec, "name", "carrier", origin("carrier", k))
            net.add_carrier(cname, origin=origin("carrier", k), **rec)
        for k, rec in enumerate(_array(data, "node", file)):
            rec = dict(rec)
            nid = _need(rec, "id", "node", origin("node", k))
            net.add_node(nid, origin=origin("node", k), **rec)
        for k, rec in enumerate(_array(data, "flow", file)):
            rec = dict(rec)
            where = origin("flow", k)
            args = [_need(rec, key, "flow", where) for key in ("source", "target", "carrier")]
            if "per" in rec and isinstance(rec["per"], list):
                rec["per"] = tuple(rec["per"])
            net.add_flow(*args, origin=where, **rec)
    except FlowgraphError:
        raise
    except (TypeError, ValueError) as exc:
        raise CaseFileError(f"{file}: {exc}", origin=str(file)) from None
    return net


def _figure(rec: dict, where: str) -> dict:
    rec = dict(rec)
    fname = _need(rec, "name", "figure", where)
    expr = _need(rec, "expr", "figure", where)
    unknown = set(rec) - set(FIGURE_KEYS)
    if unknown:
        raise CaseFileError(f"figure '{fname}': unknown key(s) {sorted(unknown)}", origin=where)
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


def _read_csv(folder: Path, name: str) -> tuple[pd.DataFrame, list[str]]:
    path = folder / name
    if not path.exists():
        raise CaseFileError(f"{path}: table named in [tables] does not exist", origin=str(path))
    try:
        frame = pd.read_csv(path, dtype={"id": str, "source": str, "target": str,
                                         "carrier": str, "per_flow": str, "name": str},
                            keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise CaseFileError(f"{path}: {exc}", origin=str(path)) from None
    origins = [f"{path}:{i + 2}" for i in range(len(frame))]
    return frame, origins


def _from_tables(folder, tables, name, period, meta) -> Network:
    unknown = set(tables) - {"nodes", "flows", "carriers"}
    if unknown:
        raise CaseFileError(f"[tables]: unknown table(s) {sorted(unknown)}; "
                            f"use nodes, flows, carriers", origin=str(folder / "case.toml"))
    empty_nodes = pd.DataFrame({"id": pd.Series(dtype=str)})
    empty_flows = pd.DataFrame({c: pd.Series(dtype=str) for c in ("source", "target", "carrier")})
    nodes, n_origin = _read_csv(folder, tables["nodes"]) if "nodes" in tables else (empty_nodes, [])
    flows, f_origin = _read_csv(folder, tables["flows"]) if "flows" in tables else (empty_flows, [])
    carriers = None
    if "carriers" in tables:
        carriers, c_origin = _read_csv(folder, tables["carriers"])
        carriers = carriers.assign(_origin=c_origin)
    nodes = _unflatten_costs(nodes)
    try:
        return Network.from_frames(nodes, flows, carriers, name=name, period=period,
                                   origin_nodes=n_origin, origin_flows=f_origin, **meta)
    except FlowgraphError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise CaseFileError(f"{folder}: bad table: {exc}", origin=str(folder)) from None


def _unflatten_costs(nodes: pd.DataFrame) -> pd.DataFrame:
    bad = [c for c in nodes.columns if c.startswith("costs.")
           and c.split(".", 1)[1] not in COST_CATEGORIES]
    if bad:
        raise CaseFileError(f"node table: unknown cost column(s) {bad}; use "
                            + ", ".join(f"costs.{c}" for c in COST_CATEGORIES))
    return nodes


# -- saving ------------------------------------------------------------------------------

def write_case(net: Network, path, *, scenarios=(), figures=(), sections=None,
               tables: bool | str = "auto") -> Path:
    """Write a network with its scenarios (Scenario objects), figure records and plugin
    sections as a case folder; returns the case.toml path."""
    p = Path(path)
    file = p if p.suffix == ".toml" else p / "case.toml"
    folder = file.parent
    folder.mkdir(parents=True, exist_ok=True)
    use_tables = (len(net.flow_frame()) > TABLE_THRESHOLD) if tables == "auto" else bool(tables)
    data: dict = {"case": _plain({"name": net.name, "period": net.period, **net.meta})}
    data["case"].pop("scenario", None)
    carriers = [_plain(c.to_record()) for c in net.carriers.values()]
    nodes = [_node_record(i, r) for i, r in _records(net.node_frame())]
    flows = [_flow_record(i, r) for i, r in _records(net.flow_frame())]
    if use_tables:
        data["tables"] = {"nodes": "nodes.csv", "flows": "flows.csv"}
        _write_table(nodes, folder / "nodes.csv", node=True)
        _write_table(flows, folder / "flows.csv", node=False)
    if carriers:
        data["carrier"] = carriers
    if not use_tables:
        if nodes:
            data["node"] = nodes
        if flows:
            data["flow"] = flows
    if scenarios:
        data["scenario"] = [_plain(s.to_record()) for s in scenarios]
    if figures:
        data["figure"] = [_plain({k: v for k, v in f.items() if k in FIGURE_KEYS})
                          for f in figures]
    for k, v in (sections or {}).items():
        data[k] = v
    file.write_text(tomli_w.dumps(data), encoding="utf-8")
    return file


def _records(frame: pd.DataFrame):
    cols = [c for c in frame.columns if c != "_origin"]
    for i, rec in zip(frame.index, frame[cols].to_dict("records")):
        yield i, {k: v for k, v in rec.items() if not is_missing(v)}


def _node_record(nid, rec: dict) -> dict:
    out = {"id": nid}
    costs = {}
    for k, v in rec.items():
        if k.startswith("costs."):
            if v != 0:
                costs[k.split(".", 1)[1]] = v
        else:
            out[k] = v
    if costs:
        out["costs"] = costs
    return _plain(out)


def _flow_record(fid, rec: dict) -> dict:
    out = {"id": fid, **rec}
    if "per_flow" in out:
        out["per"] = [out.pop("per_flow"), out.pop("per_ratio", None)]
    return _plain(out)


def _write_table(records: list[dict], path: Path, node: bool) -> None:
    rows = []
    for rec in records:
        rec = dict(rec)
        if node:
            for k, v in rec.pop("costs", {}).items():
                rec[f"costs.{k}"] = v
            if "layers" in rec:
                rec["layers"] = format_list(rec["layers"])
            if "stock" in rec:
                rec["stock"] = format_mapping(rec["stock"])
        else:
            if "per" in rec:
                rec["per_flow"], rec["per_ratio"] = rec.pop("per")
        rows.append(rec)
    pd.DataFrame.from_records(rows).to_csv(path, index=False)




def _plain(value):
    """Python scalars, lists and dicts only (what TOML can hold); None dropped."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not is_missing(v)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
