"""Saving a case: case.toml (and CSV tables for large networks) plus every file the case
names, so that the saved folder loads and runs on its own.

Numbers are written without rounding noise (float_text): a carrier factor computed as
0.0001 * 3.023 is saved as 0.0003023, not 0.00030230000000000003, while a computed value
with real digits in its 16th or 17th place keeps them, so saving loses nothing else.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from ..model.bulk import format_list, format_mapping
from ..model.network import Network
from ..model.tables import is_missing
from .casekeys import FIGURE_KEYS
from .paths import CaseFolder

#: networks with more flows than this are saved with CSV tables
TABLE_THRESHOLD = 500
#: a value this close (in units of the last place) to a short decimal is that decimal
NOISE_ULPS = 2
#: the most significant digits a decimal typed by a person is taken to have
TYPED_DIGITS = 12


def float_text(value: float) -> str:
    """The text `value` is saved as: the decimal of at most TYPED_DIGITS significant
    digits within NOISE_ULPS of it when there is one (0.0001 * 3.023 is 0.0003023 plus
    rounding noise), otherwise Python's repr, the shortest text that reads back exactly
    (a computed ratio such as 1250 / 156 keeps all its digits)."""
    exact = repr(float(value))
    if not math.isfinite(value) or _digits(exact) <= TYPED_DIGITS:
        return exact
    typed = f"{value:.{TYPED_DIGITS}g}"
    if abs(float(typed) - value) <= NOISE_ULPS * math.ulp(value):
        return repr(float(typed))
    return exact


def _digits(text: str) -> int:
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "")
    return len(mantissa.strip("0")) or 1


def write_case(net: Network, path, *, scenarios=(), figures=(), sections=None,
               tables: bool | str = "auto", source: CaseFolder | None = None) -> Path:
    """Write a network with its scenarios (Scenario objects), figure records and plugin
    sections as a case folder, with the files the sections name in `source` (the folder
    the case was read from) copied under the same names; returns the case.toml path."""
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
        data[k] = _plain(v)
    if source is not None:
        copy_named_files(sections or {}, source, folder)
    file.write_text(tomli_w.dumps(data), encoding="utf-8")
    return file


def copy_named_files(sections: dict, source: CaseFolder, folder: Path) -> list[str]:
    """Copy every file inside the `source` case folder that a value of the plugin
    sections names (an index system, a checklist, a rule table...) into `folder` under
    the same relative name; returns the names copied."""
    copied = []
    for name in sorted(set(_strings(sections))):
        path = source.contains(name)
        if path is None:
            continue
        target = folder.resolve() / path.relative_to(source.root)
        if target != path:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        copied.append(name)
    return copied


def _strings(value):
    """Every string inside nested tables and lists."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


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
    """Python scalars, lists and dicts only (what TOML can hold); None dropped; floats as
    the value of their shortest text (float_text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not is_missing(v)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return float(float_text(value))
    return value
