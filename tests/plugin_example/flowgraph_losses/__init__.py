"""An example third-party plugin (docs/plugins.md): the negative products of a case (losses,
wastes, emissions) ranked by the cost they carry, with their share of all loss cost."""

from flowgraph.model.report import Cards, Chart, Report, Table
from flowgraph.plugins import Option, Plugin


class LossesPlugin(Plugin):
    """The largest losses of a case by cost."""

    name = "losses"
    summary = "negative products (losses, wastes, emissions) ranked by the cost they carry"
    example = "example:\n  flowgraph losses cases/demo --top 5 --out out/losses"
    section = "losses"
    options = (
        Option("top", int, 10, "how many losses to list"),
        Option("by", str, "cost", "rank by this flows column", choices=("cost", "co2", "tce")),
    )

    def run(self, case, options, *, scenario=None, embedded=False):
        result = case.result(scenario)
        flows = result.flows
        lost = flows[flows["negative"]]
        by = options["by"]
        ranked = lost.sort_values(by, ascending=False).head(options["top"])
        table = ranked[["source", "carrier", "quantity", "unit", by]].copy()
        total = float(lost[by].sum())
        table["share"] = table[by] / total if total else 0.0
        report = Report(self.name, title=f"{case.name}: losses by {by} [{result.scenario}]",
                        summary=f"{len(lost)} negative products carry {total:,.6g} ({by})")
        report.add_table("losses", table, units={by: "CNY" if by == "cost" else by})
        report.figures = {"loss_total": total, "losses": len(lost)}
        report.blocks += [
            Cards("Losses", [{"name": f"total {by}", "value": total, "unit": ""},
                             {"name": "negative products", "value": len(lost), "unit": ""}]),
            Table("Largest losses", table, units={by: "CNY" if by == "cost" else by}),
            Chart("Largest losses", {"data": [{"type": "bar", "x": list(table.index),
                                               "y": table[by].tolist()}],
                                     "layout": {"yaxis": {"title": by}}}),
        ]
        return report


plugin = LossesPlugin()
