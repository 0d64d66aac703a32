"""The reconcile plugin: `flowgraph reconcile CASE --out DIR` reconciles a case's measured
flows (quantity with sigma) and transfer coefficients (share with share_sigma) with its
balances and writes the reconciled flows, the tests and the largest adjustments as CSV,
JSON (reconciliation.json) and an HTML report.

Options come from the case's [reconcile] section (alpha, top, method, eliminate, drop) and
the command line, which wins. A case with a [reconcile] section is also reconciled by `flowgraph run`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..model.report import Report, jsonable, layered_options
from ..views.page import figure_section, figures_section, table_section, text_section

FLOW_COLUMNS = ["source", "target", "carrier", "unit", "status", "measured", "measured_sigma",
                "quantity", "sigma", "adjustment", "test", "gross_error", "observable",
                "redundant", "share_measured", "share", "share_sigma", "cost", "tce", "co2"]
DEFAULTS = {"alpha": 0.05, "top": 10, "method": "auto", "eliminate": False, "drop": []}


class ReconcilePlugin:
    """Data reconciliation of a case, as a plugin of the `flowgraph` command."""

    name = "reconcile"
    section = "reconcile"
    summary = ("reconcile measured flows (sigma) with the balances: reconciled flows with "
               "uncertainties, chi-square and gross-error tests, largest adjustments")
    example = ("example:\n  flowgraph reconcile cases/reconcile_demo --out out/reconcile_demo\n"
               "  flowgraph reconcile cases/reconcile_demo --alpha 0.01 --top 5")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scenario", help="reconcile this scenario of the case")
        parser.add_argument("--alpha", type=float,
                            help="significance level of the tests (default 0.05)")
        parser.add_argument("--top", type=int,
                            help="rows of the largest-adjustments table (default 10)")
        parser.add_argument("--method", choices=["auto", "sparse", "dense"],
                            help="how unknowns are eliminated (default auto)")
        parser.add_argument("--eliminate", action="store_true", default=None,
                            help="serial elimination: while the global test fails, drop the "
                                 "worst flagged measurement and reconcile again")
        parser.add_argument("--drop", nargs="+", metavar="FLOW",
                            help="ignore the measured (or exact) value of these flows")

    def options(self, case, **given) -> dict:
        """Defaults, then the case's [reconcile] section, then what was given."""
        return layered_options(DEFAULTS, case.section(self.section), given)

    def run(self, case, scenario: str | None = None, **given) -> Report:
        opts = self.options(case, **given)
        net = case.network_for(scenario)
        r = net.reconcile(alpha=float(opts["alpha"]), method=opts["method"],
                          eliminate=bool(opts["eliminate"]), drop=list(opts["drop"]),
                          scenario=scenario or "base")
        return build_report(case, r, int(opts["top"]))


def build_report(case, r, top: int = 10) -> Report:
    """The tables, figures, JSON and page sections of a reconciliation."""
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
    report.sections = _sections(r, flows, tests, adjustments)
    return report


def _sections(r, flows, tests, adjustments) -> list:
    cards = [{"name": "chi-square", "value": r.chi2, "unit": f"on {r.dof} dof"},
             {"name": "p-value", "value": r.p_value if r.dof else "n/a", "unit": ""},
             {"name": "global test", "value": "passed" if r.passed else "FAILED", "unit": ""},
             {"name": "gross errors flagged", "value": int(tests["gross_error"].sum()), "unit": ""},
             {"name": "unobservable flows", "value": len(r.unobservable), "unit": ""}]
    sections = [figures_section("Reconciliation: global test", cards,
                                note=f"alpha {r.alpha:g}; critical chi-square "
                                     f"{r.critical_chi2:.4g}; critical normalised adjustment "
                                     f"{r.critical_z:.3g} (Sidak-corrected)"),
                text_section("Reconciliation summary", r.summary())]
    chart = _chart(r, tests)
    if chart is not None:
        sections.append(chart)
    sections += [
        table_section("Largest adjustments", adjustments,
                      note="Measured variables sorted by |adjustment| / measured sigma."),
        table_section("Tests per measured variable", tests,
                      note="test = |adjustment| / sigma of the adjustment; gross_error when it "
                           "exceeds the critical value. Not redundant: in no balance that can "
                           "check it, left as measured."),
        table_section("Reconciled flows", flows,
                      note="quantity is reconciled; sigma its standard uncertainty (0 for exact "
                           "data, empty where the data cannot determine the flow).")]
    return sections


def _chart(r, tests):
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
    return figure_section("Normalised adjustments", fig,
                          note="One bar per redundant measurement; red ones exceed the "
                               "critical value and point at a gross error.")


def _records(frame: pd.DataFrame) -> list:
    out = frame.reset_index() if frame.index.name else frame
    return out.astype(object).where(out.notna(), None).to_dict("records")


plugin = ReconcilePlugin()
