"""The results workbook of `flowgraph run --xlsx`: figures, totals, flows, nodes, the MFCA
matrix, the balance residuals and the scenarios compared, with units in the headers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...io.export.resultbook import write_results
from ..runner import totals

#: units of the columns of the flows and nodes tables, by name
UNITS = {"cost": "CNY", "value": "CNY", "price": "CNY/unit", "tce": "tce", "co2": "t",
         "loss_cost": "CNY"}


def _unit(column: str) -> str | None:
    """The unit of a result column by its name (cost_material_in: CNY; mass_out: t)."""
    base = str(column)
    for suffix in ("_in", "_out", "_retained", "_residual"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    if base.startswith("cost"):
        return "CNY"
    if base in ("mass",):
        return "t"
    if base == "energy":
        return "GJ"
    return UNITS.get(base)


def results_sheets(case, scenario: str | None = None) -> dict:
    """Sheet name -> (frame, units) of one run (the base or a scenario) and the comparison
    of the base with every scenario."""
    result = case.result(scenario)
    figures = pd.DataFrame(case.figure_values(),
                           columns=["name", "value", "unit", "published", "deviation",
                                    "scenario", "expr", "note"]).set_index("name")
    tot = pd.DataFrame(totals(result), columns=["total", "value", "unit"]).set_index("total")
    flows = result.flows.drop(columns=["spec"], errors="ignore")
    sheets = {
        "figures": (figures, {"deviation": "1"}),
        "totals": (tot, {}),
        "flows": (flows, {"quantity": "flow unit", **{c: _unit(c) for c in flows.columns
                                                       if _unit(c)}}),
        "nodes": (result.nodes, {c: _unit(c) for c in result.nodes.columns if _unit(c)}),
        "mfca": (result.mfca(), {**{c: "CNY" for c in ("material", "energy", "system",
                                                        "waste_management", "total")},
                                 "share": "1", "mass": "t", "tce": "tce", "co2": "t"}),
        "residuals": (result.residuals, {}),
    }
    if case.scenarios:
        sheets["scenarios"] = (compared(case), {})
    return sheets


def compared(case) -> pd.DataFrame:
    """The whole-system totals of the base and of every scenario side by side."""
    columns = {}
    units = None
    for name in ["base", *case.scenarios]:
        rows = totals(case.result(None if name == "base" else name))
        columns[name] = [v for _, v, _ in rows]
        units = [u for _, _, u in rows]
        labels = [label for label, _, _ in rows]
    frame = pd.DataFrame(columns, index=pd.Index(labels, name="total"))
    frame.insert(0, "unit", units)
    return frame


def write_run_workbook(case, path, scenario: str | None = None) -> Path:
    """Solve the run and write its results workbook (nothing is written if a solve fails)."""
    return write_results(results_sheets(case, scenario), Path(path))
