"""`flowgraph run`: solve a case and gather everything a run writes into one Report.

The core contributes the flows, nodes, residuals and MFCA tables, the case's headline
figures, the balance check, the interactive graph and Sankey diagrams of mass and cost (and
graph.html, the graph on a page of its own); every installed plugin whose case-file section is present
(its `section` attribute, e.g. [energy] or [synergy]) is run on the case and adds its own
tables, figures, page sections and files.
"""

from __future__ import annotations

import pandas as pd

from ..plugins import Report, available
from ..views.page import figures_section, table_section, text_section
from .figures import evaluate_figures


def run_case(case, scenario: str | None = None) -> Report:
    """Solve the case (or one scenario) and build the run report."""
    result = case.result(scenario)
    figures = evaluate_figures(case)
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
    report.sections += core_sections(case, result, figures)
    graph = view_sections(report, result)
    report.files["graph.html"] = graph.html()
    for name, plugin in sorted(available().items()):
        section = getattr(plugin, "section", None)
        if section and section in case.sections:
            sub = plugin.run(case, scenario=scenario, embedded=True)
            merge(report, sub, prefix=name)
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


def view_sections(report: Report, result):
    """Put the graph and the Sankey diagrams (mass, cost) after the totals; returns the
    GraphView so its stand-alone page can be written too."""
    from ..views.graph import graph_view
    from ..views.sankey import sankey_section
    graph = graph_view(result)
    views = [graph.section("Flow graph")]
    for measure_by in ("mass", "cost"):
        if measure_by in result.compiled.layers or measure_by == "cost":
            views.append(sankey_section(result, measure_by))
    at = next((i + 1 for i, s in enumerate(report.sections) if s.title == "Totals"),
              len(report.sections))
    report.sections[at:at] = views
    return graph


def core_sections(case, result, figures) -> list:
    """Headline figures, totals, balance check and MFCA matrix as page sections."""
    sections = []
    if figures:
        sections.append(figures_section("Headline figures", figures))
    if case.network.meta.get("description"):
        sections.append(text_section("Case", case.network.meta["description"]))
    tot = pd.DataFrame(totals(result), columns=["total", "value", "unit"]).set_index("total")
    sections.append(table_section("Totals", tot))
    res = result.residuals
    closed = res[res["closed"]].set_index(["node", "layer"])
    note = "Every closed layer of every node: in - out - stock must be 0."
    if len(closed) > BALANCE_ROWS:
        worst = closed["residual"].abs().max()
        closed = closed.reindex(closed["residual"].abs().sort_values(ascending=False)
                                .index[:BALANCE_ROWS])
        note += (f" {len(res[res['closed']])} closed balances; the {BALANCE_ROWS} with the "
                 f"largest residual are listed (largest {worst:.3g}); residuals.csv has all.")
    sections.append(table_section(
        "Balance check", closed[["in", "out", "stock", "residual", "unit"]], note=note))
    sections.append(table_section(
        "MFCA flow-cost matrix", result.mfca(),
        note="Per quantity centre: positive and negative products by cost category (CNY), "
             "mass (t), standard coal (tce) and CO2 (t)."))
    return sections


def merge(report: Report, sub: Report, prefix: str) -> None:
    """Add a plugin's report to the run report: tables and files prefixed, figures by name."""
    for name, table in sub.tables.items():
        report.tables[f"{prefix}_{name}"] = table
    for name, value in sub.figures.items():
        report.figures.setdefault(name, value)
    report.sections += sub.sections
    for name, text in sub.files.items():
        report.files[name] = text
