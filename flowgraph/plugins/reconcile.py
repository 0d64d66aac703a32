"""The reconcile plugin: `flowgraph reconcile CASE --out DIR` reconciles a case's measured
flows (quantity with sigma) and transfer coefficients (share with share_sigma) with its
balances and writes the reconciled flows, the tests and the largest adjustments as CSV,
JSON (reconciliation.json) and an HTML report.

Options (OPTIONS: alpha, top, method, eliminate, drop) come from the case's [reconcile]
section and the command line, which wins. A case with a [reconcile] section is also
reconciled by `flowgraph run`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..model.report import Cards, Chart, Report, Table, Text, jsonable
from ..solvers.solver import Solver
from .base import Option, Plugin

FLOW_COLUMNS = ["source", "target", "carrier", "unit", "status", "measured", "measured_sigma",
                "quantity", "sigma", "adjustment", "test", "gross_error", "observable",
                "redundant", "share_measured", "share", "share_sigma", "cost", "tce", "co2"]


def probability(value) -> float:
    """A significance level: a number strictly between 0 and 1."""
    value = float(value)
    if not 0 < value < 1:
        raise ValueError("give a number between 0 and 1")
    return value


OPTIONS = (
    Option("alpha", probability, 0.05, "significance level of the tests"),
    Option("top", int, 10, "rows of the largest-adjustments table"),
    Option("method", str, "auto", "how unknowns are eliminated",
           choices=("auto", "sparse", "dense")),
    Option("eliminate", bool, False, "serial elimination: while the global test fails, drop "
                                     "the worst flagged measurement and reconcile again"),
    Option("drop", list, (), "ignore the measured (or exact) value of these flows",
           metavar="FLOW"),
)


class ReconcilePlugin(Plugin):
    """Data reconciliation of a case, as a plugin of the `flowgraph` command."""

    name = "reconcile"
    section = "reconcile"
    summary = ("reconcile measured flows (sigma) with the balances: reconciled flows with "
               "uncertainties, chi-square and gross-error tests, largest adjustments")
    example = ("example:\n  flowgraph reconcile cases/reconcile_demo --out out/reconcile_demo\n"
               "  flowgraph reconcile cases/reconcile_demo --alpha 0.01 --top 5")
    options = OPTIONS

    def run(self, case, options: dict, *, scenario: str | None = None,
            embedded: bool = False) -> Report:
        r = Solver().reconcile(case.network_for(scenario), alpha=options["alpha"],
                               method=options["method"], eliminate=options["eliminate"],
                               drop=list(options["drop"]), scenario=scenario or "base")
        return build_report(case, r, options["top"])


def build_report(case, r, top: int = 10) -> Report:
    """The tables, figures, JSON and page blocks of a reconciliation."""
    flows = r.flows[[c for c in FLOW_COLUMNS if c in r.flows.columns]]
    tests = r.tests
    adjustments = r.adjustments(top)
    s = r.structure()
    flagged = [f if v == "quantity" else f"{f}:share" for f, v in tests.index[tests["gross_error"]]]
    figures = {
        "chi2": r.chi2, "dof": r.dof, "p_value": r.p_value, "critical_chi2": r.critical_chi2,
        "global_test_passed": r.passed, "alpha": r.alpha, "critical_z": r.critical_z,
        "measured": s["measured"], "measured_shares": s["measured_shares"],
        "redundant_measurements": s["redundant_measurements"],
        "unobservable": s["unobservable"], "gross_errors": flagged,
        "iterations": s["iterations"],
        "eliminated": [f"{f}" if v == "quantity" else f"{f}:share" for f, v, _ in r.eliminated]}
    doc = {"case": case.name, "scenario": r.scenario, "global_test": figures,
           "flows": _records(flows), "tests": _records(tests.reset_index()),
           "largest_adjustments": _records(adjustments.reset_index()),
           "unobservable": r.unobservable, "not_redundant": r.nonredundant}
    report = Report("reconcile", title=f"{case.name} [{r.scenario}]: reconciliation",
                    tables={"reconciled_flows": flows, "tests": tests,
                            "adjustments": adjustments},
                    figures=figures, summary=r.summary(),
                    files={"reconciliation.json": json.dumps(jsonable(doc), indent=2,
                                                             ensure_ascii=False)})
    report.blocks = _blocks(r, flows, tests, adjustments)
    return report


def _blocks(r, flows, tests, adjustments) -> list:
    cards = [{"name": "chi-square", "value": r.chi2, "unit": f"on {r.dof} dof"},
             {"name": "p-value", "value": r.p_value if r.dof else "n/a", "unit": ""},
             {"name": "global test", "value": "passed" if r.passed else "FAILED", "unit": ""},
             {"name": "gross errors flagged", "value": int(tests["gross_error"].sum()), "unit": ""},
             {"name": "unobservable flows", "value": len(r.unobservable), "unit": ""}]
    blocks = [Cards("Reconciliation: global test", cards,
                    note=f"alpha {r.alpha:g}; critical chi-square {r.critical_chi2:.4g}; "
                         f"critical normalised adjustment {r.critical_z:.3g} (Sidak-corrected)"),
              Text("Reconciliation summary", r.summary())]
    chart = _chart(r, tests)
    if chart is not None:
        blocks.append(chart)
    blocks += [
        Table("Largest adjustments", adjustments,
              note="Measured variables sorted by |adjustment| / measured sigma."),
        Table("Tests per measured variable", tests,
              note="test = |adjustment| / sigma of the adjustment; gross_error when it exceeds "
                   "the critical value. Not redundant: in no balance that can check it, left "
                   "as measured."),
        Table("Reconciled flows", flows,
              note="quantity is reconciled; sigma its standard uncertainty (0 for exact data, "
                   "empty where the data cannot determine the flow).")]
    return blocks


def _chart(r, tests) -> Chart | None:
    """One bar per redundant measurement: its normalised adjustment against the critical one."""
    red = tests[tests["redundant"]]
    if red.empty:
        return None
    import plotly.graph_objects as go
    labels = [f if v == "quantity" else f"{f} (share)" for f, v in red.index]
    colours = np.where(red["gross_error"], "#c0392b", "#2c7fb8")
    fig = go.Figure(go.Bar(x=red["test"], y=labels, orientation="h", marker_color=colours,
                           hovertemplate="%{y}: %{x:.3g}<extra></extra>"))
    fig.add_vline(x=r.critical_z, line_dash="dash", line_color="#c0392b",
                  annotation_text=f"critical {r.critical_z:.3g}")
    fig.update_layout(xaxis_title="normalised adjustment |a| / sigma(a)",
                      height=max(250, 28 * len(labels) + 80),
                      margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return Chart("Normalised adjustments", fig,
                 note="One bar per redundant measurement; red ones exceed the critical value "
                      "and point at a gross error.")


def _records(frame: pd.DataFrame) -> list:
    out = frame.reset_index() if frame.index.name else frame
    return out.astype(object).where(out.notna(), None).to_dict("records")


plugin = ReconcilePlugin()
