"""The uncertainty plugin: `flowgraph uncertainty CASE --out DIR` draws the case's uncertain
inputs ([[uncertainty.input]] records and the flows' own sigma / share_sigma), solves every
draw, and writes percentiles of every flows column and case figure, the first-order
(analytic) standard deviations beside them, and the sensitivity of a target figure.

[uncertainty] keys (OPTIONS): draws (1000), seed (1), percentiles ([5, 50, 95]), sigmas
(true), target (a figure name or [flow, column]; default the first figure), columns (flows
columns to record, default all), progress, input (the records).
docs/methods/uncertainty.md describes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..model.report import Cards, Chart, Report, Table, Text
from ..solvers.batch import COLUMNS
from ..solvers.inputs import from_records
from ..solvers.sampling import PERCENTILES, first_order, monte_carlo
from .base import Option, Plugin

#: rows of the flow percentile table shown on the page (all are in the CSV)
PAGE_ROWS = 60


def percentile_list(value) -> list:
    """Percentiles to report: a list of numbers from 0 to 100."""
    if not (isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100
            for v in value)):
        raise ValueError("give a list of numbers from 0 to 100")
    return list(value)


def figure_or_flow(value):
    """The target: a figure name, [flow, column] (case file) or 'flow:column' (command
    line); parse_target reads it against the case's figures."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, str) for v in value):
        return list(value)
    raise ValueError("give a figure name or [flow, column]")


def whole_number(value) -> int:
    """A whole number >= 0 (a random seed; any size: numpy's SeedSequence takes it)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    elif isinstance(value, (float, str)):
        try:
            number = float(value)
        except ValueError:
            number = None
        value = int(number) if number is not None and number.is_integer() else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("give a whole number >= 0")
    return value


OPTIONS = (
    Option("draws", int, 1000, "Monte Carlo draws"),
    Option("seed", whole_number, 1, "random seed (a whole number >= 0)"),
    Option("target", figure_or_flow, None, "figure whose variance is decomposed, or "
                                           "FLOW:COLUMN (default: the case's first figure)"),
    Option("sigmas", bool, True, "count the flows' sigma / share_sigma as inputs (the "
                                  "default)"),
    Option("progress", bool, None, "show a progress line on stderr (default: when stderr is "
                                   "a terminal)"),
    Option("percentiles", percentile_list, list(PERCENTILES), "percentiles reported", cli=False),
    Option("columns", list, list(COLUMNS), "flows columns recorded", choices=tuple(COLUMNS),
           cli=False),
    Option("input", list, (), "the uncertain inputs ([[uncertainty.input]] records)",
           cli=False, data=True),
)


class UncertaintyPlugin(Plugin):
    """Monte Carlo and first-order uncertainty of a case, as a plugin of `flowgraph`."""

    name = "uncertainty"
    section = "uncertainty"
    summary = ("Monte Carlo and first-order uncertainty of flows and case figures: "
               "percentiles, sensitivity of a target figure")
    example = ("example:\n  flowgraph uncertainty cases/uncertainty_demo --out out/unc\n"
               "  flowgraph uncertainty cases/uncertainty_demo --draws 5000 --seed 7 "
               "--target margin_cny")
    options = OPTIONS
    #: the figures name their own scenarios; the inputs are drawn on the base case
    scenarios = False

    def run(self, case, options: dict, *, scenario: str | None = None,
            embedded: bool = False) -> Report:
        if scenario not in (None, "base"):
            raise ModelError("the uncertainty plugin runs on the base case; its figures name "
                             "their own scenarios")
        q = tuple(options["percentiles"])
        inputs, figures = uncertain_inputs(case, options), case.figure_model()
        mc = monte_carlo(case.network, inputs, draws=options["draws"], seed=options["seed"],
                         sigmas=options["sigmas"], columns=options["columns"],
                         figures=figures, progress=options["progress"])
        fo = first_order(case.network, inputs, sigmas=options["sigmas"],
                         columns=options["columns"], figures=figures)
        return build_report(case, mc, fo, parse_target(options["target"], mc.figure_names), q)


plugin = UncertaintyPlugin()


def case_inputs(case) -> list:
    """The [[uncertainty.input]] records of a case's [uncertainty] section, as Inputs."""
    return uncertain_inputs(case, plugin.resolve(case))


def uncertain_inputs(case, options: dict) -> list:
    """The `input` records of the options as Inputs; errors name the file and line."""
    records = options["input"]
    if not isinstance(records, (list, tuple)) or not all(isinstance(r, dict) for r in records):
        raise ModelError("[uncertainty] input: give each uncertain input as a table "
                         "[[uncertainty.input]] (flow, carrier or node; attribute; dist)",
                         origin=case.origin("uncertainty"))
    lines = case.origins                        # a case file's headers; None: a workbook
    return from_records(records, [lines("uncertainty.input", k) if lines is not None
                                  else case.origin("uncertainty") for k in range(len(records))])


def parse_target(target, figure_names):
    """A figure name; [flow, column] (case file); 'flow:column' (command line); or None
    for the first figure."""
    if target is None:
        return figure_names[0] if figure_names else None
    if isinstance(target, (list, tuple)):
        return tuple(target)
    if target not in figure_names and ":" in target:
        flow, column = target.rsplit(":", 1)
        if column in COLUMNS:
            return (flow, column)
    return target


def build_report(case, mc, fo, target, q) -> Report:
    flows = _flow_table(mc, fo, q)
    figs = mc.figure_table(q, first_order=fo)
    tables = {"flow_percentiles": flows, "figure_percentiles": figs,
              "inputs": mc.input_table(),
              "figure_draws": pd.DataFrame(mc.figures, columns=mc.figure_names)}
    sens = None
    if target is not None:
        sens = mc.sensitivity(target, first_order=fo)
        tables["sensitivity"] = sens
    summary = {"draws": mc.n, "seed": mc.seed, "seconds": mc.seconds,
               "seconds_per_draw": mc.seconds / mc.n, "inputs": len(mc.inputs),
               "target": list(target) if isinstance(target, tuple) else target,
               "figures": {name: row.dropna().to_dict() for name, row in
                           figs.drop(columns="unit").iterrows()},
               "clipped": mc.clipped, "notes": mc.notes}
    if sens is not None:
        summary["sensitivity"] = sens["first_order_share"].dropna().to_dict()
    text = [f"{mc.n} draws of {len(mc.inputs)} uncertain inputs (seed {mc.seed}) in "
            f"{mc.seconds:.2f} s ({1000 * mc.seconds / mc.n:.2f} ms per draw)"]
    if target is not None and sens is not None:
        t = mc.sample(target)
        lo, hi = np.percentile(t, [q[0], q[-1]])
        top = sens.index[0]
        text.append(f"{_name(target)}: mean {t.mean():,.6g}, sd {t.std(ddof=1):,.4g} "
                    f"(first order {_fo_sd(fo, target):,.4g}); p{q[0]:g}-p{q[-1]:g} "
                    f"{lo:,.6g} to {hi:,.6g}; largest contribution: {top} "
                    f"({100 * sens.iloc[0]['first_order_share']:.1f} % of the first-order "
                    f"variance)")
    text += [f"note: {n}" for n in mc.notes]
    if mc.clipped:
        text.append("draws clipped to the inputs' domain: "
                    + ", ".join(f"{k} {v}" for k, v in mc.clipped.items()))
    report = Report("uncertainty", title=f"{case.name}: uncertainty", tables=tables,
                    figures={"uncertainty": summary}, summary="\n".join(text))
    report.blocks = _blocks(mc, fo, target, sens, figs, flows, q, "\n\n".join(text))
    return report


def _flow_table(mc, fo, q) -> pd.DataFrame:
    """MonteCarlo.flow_table with the first-order sd of each row beside it."""
    parts = {}
    for col in mc.samples:
        frame = mc.percentiles(col, q)
        frame["first_order_sd"] = fo.sd(col)
        parts[col] = frame
    return pd.concat(parts, names=["column", "id"]).swaplevel().sort_index(
        level=0, sort_remaining=False)


def _blocks(mc, fo, target, sens, figs, flows, q, text) -> list:
    blocks = []
    if target is not None:
        t = mc.sample(target)
        lo, hi = np.percentile(t, [q[0], q[-1]])
        blocks.append(Cards("Uncertainty of " + _name(target), [
            {"name": "mean", "value": float(t.mean()), "unit": ""},
            {"name": "standard deviation (Monte Carlo)", "value": float(t.std(ddof=1)), "unit": ""},
            {"name": "standard deviation (first order)", "value": _fo_sd(fo, target), "unit": ""},
            {"name": f"p{q[0]:g} .. p{q[-1]:g}", "value": f"{lo:,.6g} .. {hi:,.6g}", "unit": ""}]))
    blocks.append(Text("Uncertainty summary", text))
    if target is not None:
        blocks.append(_histogram(t, _name(target)))
    if sens is not None:
        blocks.append(_contributions(sens, _name(target)))
        blocks.append(Table(
            "Sensitivity of " + _name(target), sens,
            note="first_order_share: (df/dx)^2 Var(x) / Var(f) at the inputs' means; r2: "
                 "squared correlation of input and figure over the draws (for a linear "
                 "model the same share)."))
    if len(figs):
        blocks.append(Table("Headline figures: percentiles", figs,
                            note=f"{mc.n} draws; first_order_sd = sqrt(J S J')."))
    blocks.append(Table("Uncertain inputs", mc.input_table()))
    blocks.append(Table(
        "Flows: percentiles", flows.head(PAGE_ROWS),
        note=f"First {min(PAGE_ROWS, len(flows))} of {len(flows)} rows; all of them are in "
             f"flow_percentiles.csv."))
    return blocks


def _histogram(t, name):
    import plotly.graph_objects as go
    fig = go.Figure(go.Histogram(x=t, nbinsx=50, marker_color="#2c7fb8"))
    fig.update_layout(xaxis_title=name, yaxis_title="draws", height=320,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return Chart(f"Distribution of {name}", fig)


def _contributions(sens, name):
    import plotly.graph_objects as go
    s = sens["first_order_share"].fillna(0.0).iloc[::-1]
    fig = go.Figure(go.Bar(x=100 * s.to_numpy(), y=list(s.index), orientation="h",
                           marker_color="#2c7fb8",
                           hovertemplate="%{y}: %{x:.2f} %<extra></extra>"))
    fig.update_layout(xaxis_title="share of the first-order variance (%)",
                      height=max(250, 28 * len(s) + 80),
                      margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return Chart(f"Contributions to the variance of {name}", fig)


def _name(target) -> str:
    return target if isinstance(target, str) else f"{target[0]} {target[1]}"


def _fo_sd(fo, target) -> float:
    part = fo.contributions(target)["first_order_variance"]
    return float(np.sqrt(part.sum()))
