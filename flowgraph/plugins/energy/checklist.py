"""Good-practice checklists evaluated on a flowsheet: rules are data, checks are predicates.

A checklist is a TOML file of [[rule]] tables (flowgraph/data/energy_checklist_pvc.toml holds
clauses 7.2 and 7.3 of the PVC energy-efficiency standard). Each rule names one predicate kind
(`path`, `reuse`, `measure`) with its parameters; a predicate reads the solved flowsheet and
says met / not met / not applicable with the flows or nodes that show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from ...errors import CaseFileError, name_list
from ...io.paths import inside
from ...io.toml import header_lines, read_toml
from ...model.schema import NEGATIVE_ROLES

MET, NOT_MET, NA = "met", "not met", "not applicable"
STATUSES = (MET, NOT_MET, NA)
ANY = "*"


@dataclass
class Rule:
    """One checklist item: the clause it comes from and the check that decides it."""

    id: str
    clause: str
    requirement: str
    check: str
    params: dict
    system: str = ""
    routes: tuple = (ANY,)
    requirement_zh: str = ""
    measure: str = ""
    if_absent: str = NOT_MET
    origin: str | None = None

    def applies_to(self, route: str | None) -> bool:
        if route is None or ANY in self.routes:
            return True
        return route.casefold() in {r.casefold() for r in self.routes}


@dataclass
class Outcome:
    """What a predicate found: the status, the evidence (flow or node ids), and a sentence."""

    status: str
    evidence: list = field(default_factory=list)
    detail: str = ""


# -- the flowsheet as predicates see it ---------------------------------------------------

class Flowsheet:
    """A solved result seen by operations and carrier names, built once per evaluation.

    operations: extra {operation: [node ids]} besides the nodes' `operation` attribute;
    carriers: extra {name used by rules: [carrier names of the case]}.
    """

    def __init__(self, result, operations: dict | None = None, carriers: dict | None = None):
        c = result.compiled
        self.result = result
        self.ids = c.flow_ids
        self.node_ids = c.node_ids
        self.tail, self.head = c.tail, c.head
        self.q = np.nan_to_num(np.asarray(result.quantities, dtype=float), nan=0.0)
        self.unit = c.unit
        self.carrier = np.array([str(x).casefold() for x in c.carrier], dtype=object)
        self.positive = ~np.isin(c.role, list(NEGATIVE_ROLES))
        self.sink = c.node_kind == "sink"
        self.source = c.node_kind == "source"
        nodes = result.network.node_frame().reindex(c.node_ids)
        op = nodes["operation"] if "operation" in nodes.columns else pd.Series(None, index=nodes.index)
        self.ops: dict[str, set] = {}
        for nid, o in op.items():
            for name in ([o] if isinstance(o, str) else (list(o) if isinstance(o, (list, tuple)) else [])):
                self.ops.setdefault(str(name).casefold(), set()).add(nid)
        for name, members in (operations or {}).items():
            members = [members] if isinstance(members, str) else list(members)
            self.ops.setdefault(str(name).casefold(), set()).update(members)
        meas = nodes["measures"] if "measures" in nodes.columns else pd.Series(None, index=nodes.index)
        self.measures = {nid: {str(m).casefold() for m in (v if isinstance(v, (list, tuple)) else [v])}
                         for nid, v in meas.items() if isinstance(v, (list, tuple, str))}
        self.aliases = {str(k).casefold(): {str(x).casefold() for x in
                                            ([v] if isinstance(v, str) else v)}
                        for k, v in (carriers or {}).items()}

    def nodes_of(self, ops) -> np.ndarray:
        """Indices of the nodes of the operations (ANY: every node that is not a source/sink)."""
        if ops == ANY or ops == [ANY]:
            return np.flatnonzero(~self.sink & ~self.source)
        ops = [ops] if isinstance(ops, str) else ops
        members = set().union(*(self.ops.get(str(o).casefold(), set()) for o in ops)) if ops else set()
        return np.flatnonzero(np.isin(self.node_ids, list(members)))

    def carrier_mask(self, names) -> np.ndarray:
        wanted = set()
        for n in names:
            n = str(n).casefold()
            wanted.add(n)
            wanted |= self.aliases.get(n, set())
        return np.isin(self.carrier, list(wanted)) & (self.q > 0)

    def describe(self, flows) -> str:
        return "; ".join(f"{self.ids[i]} ({self.q[i]:,.6g} {self.unit[i]})" for i in flows)


# -- predicates: one per kind of check ------------------------------------------------------

def check_path(sheet: Flowsheet, rule: Rule) -> Outcome:
    """A path of positive flows of the carriers from a `from` node into a `to` node, or with
    to = 'use' into a consumer (a node that is not a sink and passes none of them on)."""
    p = rule.params
    start = sheet.nodes_of(p["from"])
    if not len(start):
        return Outcome(NA, [], f"no node of operation {_ops(p['from'])}")
    cmask = sheet.carrier_mask(p["carriers"])
    leaving = np.flatnonzero(cmask & np.isin(sheet.tail, start))
    if not len(leaving):
        return Outcome(rule.if_absent, list(sheet.node_ids[start]),
                       f"no flow of {', '.join(p['carriers'])} leaves "
                       f"{name_list(sheet.node_ids[start])}")
    edges = np.flatnonzero(cmask & sheet.positive)
    n = len(sheet.node_ids)
    # breadth-first search from a virtual root (index n) linked to every start node
    rows = np.concatenate([sheet.tail[edges], np.full(len(start), n)])
    cols = np.concatenate([sheet.head[edges], start])
    graph = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    order, pred = breadth_first_order(graph, n, directed=True, return_predecessors=True)
    reached = np.zeros(n + 1, dtype=bool)
    reached[order] = True
    # the flows that enter a target from a reached node
    into = edges[reached[sheet.tail[edges]] & ~sheet.sink[sheet.head[edges]]]
    if p["to"] == "use":
        passes_on = np.zeros(n, dtype=bool)
        passes_on[sheet.tail[edges]] = True
        final = into[~passes_on[sheet.head[into]]]
    else:
        final = into[np.isin(sheet.head[into], sheet.nodes_of(p["to"]))]
    if not len(final):
        return Outcome(NOT_MET, list(sheet.ids[leaving]),
                       f"{', '.join(p['carriers'])} from {_ops(p['from'])} reach no "
                       f"{'use' if p['to'] == 'use' else _ops(p['to'])}: "
                       f"{sheet.describe(leaving)}")
    path = _path_flows(final, pred, n, sheet, edges)
    return Outcome(MET, list(sheet.ids[path]), sheet.describe(path))


def _path_flows(final, pred, root, sheet, edges) -> list:
    """The flows on the search paths from the start nodes to the final flows, in path order
    (of parallel flows between two nodes, the largest)."""
    chosen: list = []
    heads, tails = sheet.head[edges], sheet.tail[edges]
    for f in final:
        chain, node = [int(f)], int(sheet.tail[f])
        while pred[node] >= 0 and pred[node] != root:
            u = int(pred[node])
            hit = edges[(tails == u) & (heads == node)]
            chain.append(int(hit[np.argmax(sheet.q[hit])]))
            node = u
        chosen += [i for i in reversed(chain) if i not in chosen]
    return chosen


def check_reuse(sheet: Flowsheet, rule: Rule) -> Outcome:
    """Every water source of `sources` that the flowsheet has is reused, wholly or in part:
    some of it goes, as a positive product, to a node that is not a sink."""
    groups = [[g] if isinstance(g, str) else list(g) for g in rule.params["sources"]]
    evidence, lines, verdicts = [], [], []
    for group in groups:
        flows = np.flatnonzero(sheet.carrier_mask(group))
        if not len(flows):
            continue
        use = flows[sheet.positive[flows] & ~sheet.sink[sheet.head[flows]]]
        gone = np.setdiff1d(flows, use)
        verdicts.append(len(use) > 0)
        evidence += list(sheet.ids[use]) + list(sheet.ids[gone])
        lines.append(f"{group[0]}: reused {sheet.describe(use)}" if len(use)
                     else f"{group[0]}: not reused ({sheet.describe(gone)})")
    if not verdicts:
        return Outcome(NA, [], f"no flow of {', '.join(g[0] for g in groups)}")
    return Outcome(MET if all(verdicts) else NOT_MET, evidence, " | ".join(lines))


def check_measure(sheet: Flowsheet, rule: Rule) -> Outcome:
    """A node of the operations lists one of the measures."""
    p = rule.params
    nodes = sheet.nodes_of(p["on"])
    if not len(nodes):
        return Outcome(NA, [], f"no node of operation {_ops(p['on'])}")
    wanted = {str(m).casefold() for m in p["any"]}
    have = [(nid, sorted(sheet.measures.get(nid, set()) & wanted)) for nid in sheet.node_ids[nodes]]
    have = [(nid, m) for nid, m in have if m]
    if have:
        return Outcome(MET, [nid for nid, _ in have],
                       "; ".join(f"{nid}: {', '.join(m)}" for nid, m in have))
    return Outcome(NOT_MET, list(sheet.node_ids[nodes]),
                   f"none of {name_list(sheet.node_ids[nodes])} lists {', '.join(p['any'])}")


#: predicate kinds and the parameters each needs
PREDICATES = {"path": (check_path, ("from", "to", "carriers")),
              "reuse": (check_reuse, ("sources",)),
              "measure": (check_measure, ("on", "any"))}


def _ops(ops) -> str:
    if ops == ANY:
        return "any"
    return ", ".join(ops) if isinstance(ops, (list, tuple)) else str(ops)


# -- loading and evaluating ---------------------------------------------------------------

def checklist_path(name_or_path, folder=None) -> Path:
    """A shipped checklist by name ('pvc' -> data/energy_checklist_pvc.toml) or a file path,
    relative to `folder` (the case folder) when not absolute."""
    p = Path(str(name_or_path))
    if p.suffix == ".toml":
        return p if folder is None else inside(folder, p)
    shipped = resources.files("flowgraph") / "data" / f"energy_checklist_{name_or_path}.toml"
    if not shipped.is_file():
        raise CaseFileError(f"no shipped checklist '{name_or_path}' (give a .toml file path)")
    return Path(str(shipped))


def load_rules(name_or_path="pvc", folder=None) -> tuple[dict, list[Rule]]:
    """The checklist's header table and its rules; CaseFileError names the file and line."""
    path = checklist_path(name_or_path, folder)
    if not path.exists():
        raise CaseFileError(f"{path}: checklist does not exist", origin=str(path))
    data, text = read_toml(path)
    lines = header_lines(text).get("rule", [])
    rules, seen = [], set()
    for k, rec in enumerate(data.get("rule", [])):
        where = f"{path}:{lines[k]}" if k < len(lines) else str(path)
        rules.append(_rule(dict(rec), where))
        if rules[-1].id in seen:
            raise CaseFileError(f"duplicate rule id '{rules[-1].id}'", origin=where)
        seen.add(rules[-1].id)
    return dict(data.get("checklist", {})), rules


def _rule(rec: dict, where: str) -> Rule:
    for key in ("id", "clause", "requirement", "check"):
        if key not in rec:
            raise CaseFileError(f"a rule needs '{key}'", origin=where)
    check = rec.pop("check")
    if check not in PREDICATES:
        raise CaseFileError(f"rule '{rec['id']}': check '{check}' is not one of "
                            f"{', '.join(PREDICATES)}", origin=where)
    need = PREDICATES[check][1]
    missing = [k for k in need if k not in rec]
    if missing:
        raise CaseFileError(f"rule '{rec['id']}': a {check} check needs {', '.join(missing)}",
                            origin=where)
    params = {k: rec.pop(k) for k in need}
    if_absent = rec.pop("if_absent", NOT_MET)
    if if_absent not in STATUSES:
        raise CaseFileError(f"rule '{rec['id']}': if_absent must be one of {', '.join(STATUSES)}",
                            origin=where)
    routes = rec.pop("routes", [ANY])
    known = {"id", "clause", "requirement", "requirement_zh", "system", "measure", "note"}
    unknown = set(rec) - known
    if unknown:
        raise CaseFileError(f"rule '{rec['id']}': unknown key(s) {name_list(sorted(unknown))}",
                            origin=where)
    rec.pop("note", None)
    return Rule(check=check, params=params, routes=tuple(routes), if_absent=if_absent,
                origin=where, **rec)


def evaluate_checklist(result, rules: list[Rule], route: str | None = None,
                       operations: dict | None = None, carriers: dict | None = None) -> pd.DataFrame:
    """One row per rule: clause, system, requirement, status, evidence, detail, measure."""
    sheet = Flowsheet(result, operations, carriers)
    rows = []
    for rule in rules:
        if not rule.applies_to(route):
            out = Outcome(NA, [], f"clause is for the {', '.join(rule.routes)} route(s)")
        else:
            out = PREDICATES[rule.check][0](sheet, rule)
        rows.append({"id": rule.id, "clause": rule.clause, "system": rule.system,
                     "requirement": rule.requirement, "requirement_zh": rule.requirement_zh,
                     "check": rule.check, "status": out.status,
                     "evidence": ", ".join(map(str, out.evidence)), "detail": out.detail,
                     "measure": rule.measure if out.status == NOT_MET else ""})
    return pd.DataFrame(rows).set_index("id")
