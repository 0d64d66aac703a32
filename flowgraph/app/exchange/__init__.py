"""Exchange with neighbouring tools: one entry for every format (`flowgraph export`,
`fg.export`), and the results workbook of `flowgraph run --xlsx`.

    xlsx       the case as a workbook (reads back as the same case)
    iamc       IAMC long format for pyam (.csv, or .xlsx with a sheet data)
    floweaver  a floweaver Dataset (flows.csv, processes.csv) and the SankeyDefinition of
               the stage grouping (sankey_definition.json), in a folder
    brightway  the foreground system as a Brightway inventory (bw2io's Excel layout)
    nodelink   networkx node-link JSON
    graphml    GraphML

Everything is solved and built before a file is written, so a case that does not solve
writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import FlowgraphError
from ...io.bookwrite import write_workbook
from ...io.export.graphs import flow_graph, write_graphml, write_node_link
from ...io.export.iamc import iamc_table, write_iamc
from ...io.export.lci import write_inventory
from ...io.export.weaver import write_floweaver
from ...model.schema import suggestion
from .solved import activities, flow_table, iamc_rows, node_table, weaver_tables

FORMATS = ("xlsx", "iamc", "floweaver", "brightway", "nodelink", "graphml")


def export(case, format: str, out, scenario: str | None = None, *, year: int | None = None,
           measure: str = "mass", database: str | None = None) -> list[Path]:
    """Write the case (or one scenario) in `format` to `out`; returns the files written.

    `year`: the year of the IAMC columns (default [case] year); `measure`: what floweaver's
    values are (a balance layer, cost, tce, co2; default mass); `database`: the Brightway
    database name (default the case's name). Without `scenario`, IAMC holds the base and
    every scenario, the others the base."""
    if format not in FORMATS:
        raise FlowgraphError(f"unknown export format {format!r}{suggestion(format, FORMATS)} "
                             f"(formats: {', '.join(FORMATS)})")
    out = Path(out)
    if format == "xlsx":
        return [_workbook(case, scenario, out)]
    if format == "iamc":
        names = [scenario or "base"] if scenario else ["base", *case.scenarios]
        results = {name: case.result(None if name == "base" else name) for name in names}
        table = iamc_table(iamc_rows(case, results), model="flowgraph", region=case.name,
                           year=year if year is not None else case.network.meta.get("year"))
        return [write_iamc(table, out)]
    result = case.result(scenario)
    if format == "floweaver":
        flows, processes = weaver_tables(result, measure)
        return write_floweaver(flows, processes, out)
    if format == "brightway":
        name = database or case.name
        return [write_inventory(name, activities(result, name), out)]
    graph = flow_graph(node_table(result), flow_table(result), case.name)
    return [write_node_link(graph, out) if format == "nodelink" else write_graphml(graph, out)]


def _workbook(case, scenario, out: Path) -> Path:
    """The case as a workbook; for a scenario, its network with the figures of the base."""
    from ...io.paths import CaseFolder
    source = CaseFolder.of(case.path, case.allow) if case.path is not None else None
    if scenario is None:
        return write_workbook(case.network, out, scenarios=list(case.scenarios.values()),
                              figures=[f.to_record() for f in case.figures],
                              sections=case.sections, source=source)
    net = case.network_for(scenario)
    figures = [f.to_record() for f in case.figures if f.scenario in (None, "base")]
    return write_workbook(net, out, figures=figures, sections=case.sections, source=source)
