"""`flowgraph run`: solve a case and gather everything a run writes into one Report.

The core contributes the flows, nodes, residuals and MFCA tables, the case's headline
figures, the balance check, the interactive graph and Sankey diagrams of mass and cost (and
graph.html, the graph on a page of its own); every installed plugin whose case-file section is
present (its `section`, e.g. [energy] or [synergy]) is run on the case and adds its own tables,
figures, blocks and files. The Report is data; the views render it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..model.report import Cards, FlowGraph, Page, Report, Sankey, Table, Text
from .registry import available

#: units of the MFCA flow-cost matrix's columns
MFCA_UNITS = {"material": "CNY", "energy": "CNY", "system": "CNY", "waste_management": "CNY",
              "total": "CNY", "share": "", "mass": "t", "tce": "tce", "co2": "t"}
#: labels of the MFCA matrix's columns (the cost categories)
MFCA_LABELS = {"material": "material cost", "energy": "energy cost", "system": "system cost",
               "waste_management": "waste management cost", "total": "total cost",
               "share": "share of the cost", "mass": "mass", "tce": "standard coal", "co2": "CO2"}


def run_case(case, scenario: str | None = None) -> Report:
    """Solve the case (or one scenario) and build the run report."""
    result = case.result(scenario)
    figures = case.figure_values()
    summary = {"case": case.name, "scenario": result.scenario}
    summary.update({f["name"]: f["value"] for f in figures})
    summary["totals"] = {name: value for name, value, _ in totals(result)}
    summary["figures"] = figures
    report = Report(
        "run", title=f"{case.name} [{result.scenario}]",
        tables={"flows": result.flows, "nodes": result.nodes,
                "residuals": result.residuals.set_index(["node", "layer"]),
                "mfca": result.mfca()},
        figures=summary)
    report.blocks += core_blocks(case, result, figures)
    view_blocks(report, result)
    report.files["graph.html"] = Page(f"{case.name} [{result.scenario}]",
                                      [FlowGraph("Flow graph", result)], layout="full")
    for name, plugin in sorted(available().items()):
        if plugin.section and plugin.section in case.sections:
            report.merge(plugin.report(case, scenario, embedded=True), prefix=name)
    readme = case_readme(case)
    for block in report.blocks:
        if isinstance(block, Cards) and not block.explained:
            block.explained = readme
    report.units.setdefault("mfca", MFCA_UNITS)
    return report


def case_readme(case) -> str:
    """The case folder's README.md (at its heading on published values, if it has one), the
    document that explains gaps to published figures; '' when there is none."""
    if case.path is None:
        return ""
    path = Path(case.path) / "README.md"
    if not path.is_file():
        return ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#") and "published" in line.lower():
            anchor = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
            return f"{path}#{anchor}"
    return str(path)


def totals(result) -> list[tuple[str, float, str]]:
    """Whole-system totals: purchases, own costs, losses, sales, standard coal, CO2. Losses
    and sales are what leaves the system (flows into sinks, as the MFCA matrix's system
    rows): a loss passing through a waste-handling centre first is counted once, with the
    cost added there."""
    c = result.compiled
    f = result.flows
    bought = c.node_kind[c.tail] == "source"
    neg = f["negative"].to_numpy()
    leaves = c.node_kind[c.head] == "sink"
    sold = leaves & ~neg
    return [
        ("purchased cost", float(f["cost"][bought].sum()), "CNY"),
        ("own added cost (system, energy, waste management)", float(c.node_costs.sum()), "CNY"),
        ("cost of negative products (loss)", float(f["cost"][neg & leaves].sum()), "CNY"),
        ("cost of positive products sold", float(f["cost"][sold].sum()), "CNY"),
        ("sales revenue", float(f["value"][sold].sum()), "CNY"),
        ("standard coal purchased", float(f["tce"][bought].sum()), "tce"),
        ("CO2 (attributed)", float(f["co2"][bought].sum() + c.node_co2.sum()), "t"),
    ]


#: the balance check table lists at most this many rows (the largest residuals first)
BALANCE_ROWS = 200


def view_blocks(report: Report, result) -> None:
    """Put the graph and the Sankey diagrams (mass, cost) after the totals."""
    views = [FlowGraph("Flow graph", result)]
    for measure_by in ("mass", "cost"):
        if measure_by in result.compiled.layers or measure_by == "cost":
            views.append(Sankey("", result, measure_by))
    at = next((i + 1 for i, b in enumerate(report.blocks) if b.title == "Totals"),
              len(report.blocks))
    report.blocks[at:at] = views


def core_blocks(case, result, figures) -> list:
    """Headline figures, totals, balance check and MFCA matrix as page blocks."""
    blocks = []
    if figures:
        blocks.append(Cards("Headline figures", figures))
    if case.network.meta.get("description"):
        blocks.append(Text("Case", case.network.meta["description"]))
    tot = pd.DataFrame(totals(result), columns=["total", "value", "unit"]).set_index("total")
    none = "the network has no flows" if result.compiled.n_flows == 0 else \
        "the case gives no prices, costs, standard coal or CO2 factors: every total is 0"
    blocks.append(Table("Totals", tot, empty=none))
    res = result.residuals
    closed = res[res["closed"]].set_index(["node", "layer"])
    note = "Every closed layer of every node: in - out - stock must be 0."
    if len(closed) > BALANCE_ROWS:
        worst = closed["residual"].abs().max()
        closed = closed.reindex(closed["residual"].abs().sort_values(ascending=False)
                                .index[:BALANCE_ROWS])
        note += (f" {len(res[res['closed']])} closed balances; the {BALANCE_ROWS} with the "
                 f"largest residual are listed (largest {worst:.3g}); residuals.csv has all.")
    blocks.append(Table(
        "Balance check", named(closed[["in", "out", "stock", "residual", "unit"]], result),
        note=note,
        empty="no node closes a balance layer" if result.compiled.n_flows else
        "the network has no flows"))
    mfca = result.mfca()
    costed = "total" not in mfca or mfca["total"].abs().sum() > 0
    blocks.append(Table(
        "MFCA flow-cost matrix", named(mfca if costed else mfca.iloc[:0], result),
        units=MFCA_UNITS,
        labels=MFCA_LABELS,
        note="Per quantity centre: positive and negative products by cost category, mass, "
             "standard coal and CO2.",
        empty="the network has no flows" if result.compiled.n_flows == 0 else
        "the case gives no prices and no costs at the centres: every cost is 0 (mfca.csv has "
        "the masses)"))
    return blocks


#: a node label longer than this is not shown in a table's index (the id is)
LABEL_CHARS = 48


def named(frame: pd.DataFrame, result) -> pd.DataFrame:
    """The frame with its first index level (node ids) shown as the nodes' labels where they
    have one of at most LABEL_CHARS characters (the CSV keeps the ids)."""
    labels = result.nodes["label"] if "label" in result.nodes else None
    if labels is None or len(frame) == 0:
        return frame
    names = {k: v for k, v in labels.items()
             if isinstance(v, str) and v.strip() and len(v) <= LABEL_CHARS}
    if len(set(names.values())) < len(names):          # two nodes of one label: keep ids
        return frame
    out = frame.rename(index=names, level=0 if frame.index.nlevels > 1 else None)
    return out
