"""A floweaver Dataset and the SankeyDefinition of the stage grouping.

Written to a folder: `flows.csv` (source, target, type = the carrier, value, and the flow's
id, unit and role), `processes.csv` (id, group, kind, label, stage) and
`sankey_definition.json` (the process groups, the bundles between them, their order left
to right and the flow partition by carrier). `floweaver.Dataset.from_csv("flows.csv",
"processes.csv")` reads the data; `sankey_definition(json.load(...))` builds the
SankeyDefinition (floweaver itself has no file format for it), and `floweaver.weave(sdd,
dataset)` draws it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .files import replacing

#: the process groups left to right: sources, the stages, unstaged centres, sinks
GROUPS = ("sources", "input", "utilisation", "output", "processes", "storage", "utilities",
          "sinks")


def group_of(kind: str, stage) -> str:
    """The group a node is drawn in: its stage, else its kind."""
    if kind == "source":
        return "sources"
    if kind == "sink":
        return "sinks"
    if isinstance(stage, str) and stage:
        return stage
    return {"utility": "utilities", "storage": "storage"}.get(kind, "processes")


def definition(processes: pd.DataFrame, flows: pd.DataFrame) -> dict:
    """The SankeyDefinition (as plain data) of the stage grouping: one process group per
    group with nodes, a bundle for every pair of groups a flow joins, the groups in GROUPS
    order, flows partitioned by carrier (`type`)."""
    group = dict(zip(processes["id"], processes["group"]))
    used = [g for g in GROUPS if g in set(group.values())]
    nodes = {g: {"type": "process", "selection": [i for i, x in group.items() if x == g],
                 "title": g} for g in used}
    pairs = dict.fromkeys((group[s], group[t]) for s, t in zip(flows["source"], flows["target"])
                          if group[s] != group[t])
    return {"nodes": nodes,
            "bundles": [{"source": a, "target": b} for a, b in pairs],
            "ordering": [[[g]] for g in used],
            "flow_partition": {"dimension": "type",
                               "values": sorted(set(flows["type"].astype(str)))}}


def sankey_definition(spec: dict):
    """The floweaver SankeyDefinition of a definition written by `definition`."""
    import floweaver as fw
    nodes = {k: fw.ProcessGroup(v["selection"], title=v.get("title")) for k, v in
             spec["nodes"].items()}
    bundles = [fw.Bundle(b["source"], b["target"]) for b in spec["bundles"]]
    part = spec.get("flow_partition")
    partition = fw.Partition.Simple(part["dimension"], part["values"]) if part else None
    return fw.SankeyDefinition(nodes, bundles, spec["ordering"], flow_partition=partition)


def write_floweaver(flows: pd.DataFrame, processes: pd.DataFrame, out) -> list[Path]:
    """Write flows.csv, processes.csv and sankey_definition.json to the folder `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spec = definition(processes, flows)
    written = []
    for name, write in (("flows.csv", lambda p: flows.to_csv(p, index=False)),
                        ("processes.csv", lambda p: processes.to_csv(p, index=False)),
                        ("sankey_definition.json", lambda p: p.write_text(
                            json.dumps(spec, indent=1, ensure_ascii=False), encoding="utf-8"))):
        with replacing(out / name) as tmp:
            write(tmp)
        written.append(out / name)
    return written
