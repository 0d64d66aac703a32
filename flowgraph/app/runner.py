"""`flowgraph run`: solve a case and gather everything a run writes into one Report.

The core contributes the flows, nodes, residuals and MFCA tables, the case's headline
figures, the balance check, the interactive graph and Sankey diagrams of mass and cost (and
graph.html, the graph on a page of its own); every installed plugin whose case-file section is
present (its `section`, e.g. [energy] or [synergy]) is run on the case and adds its own tables,
figures, blocks and files. The Report is data; the views render it.
"""

from __future__ import annotations

import pandas as pd

from ..model.report import Cards, FlowGraph, Page, Report, Sankey, Table, Text
from .registry import available


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
    return report


def totals(result) -> list[tuple[str, float, str]]:
    """Whole-system totals: purchases, own costs, losses, sales, standard coal, CO2."""
    c = result.compiled
    f = result.flows
    bought = c.node_kind[c.tail] == "source"
    neg = f["negative"].to_numpy()
    sold = (c.node_kind[c.head] == "sink") & ~neg
    return [
        ("purchased cost", float(f["cost"][bought].sum()), "CNY"),
        ("own added cost (system, energy, waste management)", float(c.node_costs.sum()), "CNY"),
        ("cost of negative products (loss)", float(f["cost"][neg].sum()), "CNY"),
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
    blocks.append(Table("Totals", tot))
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
        "Balance check", closed[["in", "out", "stock", "residual", "unit"]], note=note))
    blocks.append(Table(
        "MFCA flow-cost matrix", result.mfca(),
        note="Per quantity centre: positive and negative products by cost category (CNY), "
             "mass (t), standard coal (tce) and CO2 (t)."))
    return blocks
