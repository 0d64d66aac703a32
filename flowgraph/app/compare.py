"""`flowgraph compare`: one scenario of a case against the base (or another scenario).

The comparison is a Report: the case's headline figures and the whole-system totals side by
side (base, scenario, change, change in %), the flows that change most, and difference views
(a Sankey and a flow graph of the changes, increases and decreases coloured) in mass and,
when the case prices its flows, in cost. Figures tied to one scenario of their own
(`scenario = ...` in case.toml) are the same on both sides and are left out of the table.

    from flowgraph.app.compare import compare_case
    report = compare_case(case, "more recycling")             # against the base
    write_report(report, "out/compare")                        # flowgraph.views.render
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.report import Cards, Difference, Report, Table, Text
from .figures import evaluate_figures
from .runner import totals

#: the flows table lists at most this many flows (the largest changes first)
FLOW_ROWS = 40
#: a relative change below this is no change (solver rounding: iterative solves of large
#: loops agree to about 1e-9 of a flow, and pages show 4 significant figures)
SAME = 1e-7


class _Every(dict):
    """A results mapping that gives one Result for every scenario name."""

    def __init__(self, result):
        super().__init__()
        self.result = result

    def __getitem__(self, key):
        return self.result


def compare_case(case, scenario: str, against: str | None = None) -> Report:
    """The comparison of `scenario` against `against` (None or 'base': the base network) as
    a Report (see the module doc)."""
    base_name = against or "base"
    base = case.result(None if base_name == "base" else base_name)
    other = case.result(None if scenario == "base" else scenario)
    figs = figure_table(case, base, other, base_name, scenario)
    tots = totals_table(base, other, base_name, scenario)
    flows = flow_table(base, other, base_name, scenario)
    title = f"{case.name}: {scenario} against {base_name}"
    report = Report("compare", title=title,
                    tables={"figures": figs, "totals": tots, "flows": flows},
                    figures={"case": case.name, "scenario": scenario, "against": base_name,
                             "figures": _records(figs)})
    report.summary = _summary(title, figs)
    units = {base_name: "", scenario: "", "change": "", "change %": ""}
    blocks = [Cards("Largest changes of the headline figures", _cards(figs, scenario, base_name)),
              Text("What is compared", _about(case, scenario, base_name)),
              Table("Headline figures", _in_words(figs), units=units,
                    note=f"Every figure of the case evaluated on {base_name} and on "
                         f"{scenario}; change = {scenario} - {base_name}.",
                    empty="the case has no headline figures of its own"),
              Table("Totals", tots, units=units,
                    empty="the case gives no prices, costs, standard coal or CO2 factors")]
    blocks += difference_blocks(base, other, base_name, scenario)
    blocks.append(Table(
        "Flows that change most", flows.head(FLOW_ROWS), units=units,
        note=f"The {min(FLOW_ROWS, len(flows))} flows whose quantity changes most "
             f"(of {len(flows)} that change; flows.csv has them all).",
        empty="no flow changes"))
    report.blocks = [b for b in blocks if not (isinstance(b, Cards) and not b.items)]
    return report


def difference_blocks(base, other, base_name: str, scenario: str) -> list:
    """Difference Sankey and graph in mass, and a difference Sankey in cost when priced."""
    layers = other.compiled.layers
    measure = "mass" if "mass" in layers else (layers[0] if layers else "quantity")
    out = [Difference(f"What changes: {measure}", base, other, measure, "sankey",
                      note=f"Link width: the change of each flow from {base_name} to "
                           f"{scenario}; blue more, red less."),
           Difference(f"What changes on the flowsheet: {measure}", base, other, measure,
                      "graph", level=3)]
    priced = np.nansum(np.abs(other.flows["cost"].to_numpy(dtype=float))) > 0
    if priced:
        out.append(Difference("What changes: cost", base, other, "cost", "sankey", level=3))
    return out


def figure_table(case, base, other, base_name: str, scenario: str) -> pd.DataFrame:
    """The case's figures (those not tied to a scenario) on both results."""
    if not case.figures:
        return _frame([], base_name, scenario, "figure")
    a = evaluate_figures(case, results=_Every(base))
    b = evaluate_figures(case, results=_Every(other))
    rows = [(fa["name"], fa["unit"], fa["value"], fb["value"])
            for fa, fb in zip(a, b) if fa["scenario"] == "base"]
    return _frame(rows, base_name, scenario, "figure")


def totals_table(base, other, base_name: str, scenario: str) -> pd.DataFrame:
    """The whole-system totals (purchases, losses, sales, standard coal, CO2) on both."""
    rows = [(name, unit, va, vb) for (name, va, unit), (_, vb, _) in zip(totals(base),
                                                                          totals(other))]
    return _frame(rows, base_name, scenario, "total")


def flow_table(base, other, base_name: str, scenario: str) -> pd.DataFrame:
    """Every flow whose quantity changes (flows only one side has count from 0), the largest
    relative changes of the largest flows first."""
    fa, fb = base.flows, other.flows
    ids = fa.index.union(fb.index, sort=False)
    qa = fa["quantity"].reindex(ids).astype(float)
    qb = fb["quantity"].reindex(ids).astype(float)
    info = fb[["source", "target", "carrier", "unit"]].combine_first(
        fa[["source", "target", "carrier", "unit"]]).reindex(ids)
    frame = pd.DataFrame({"source": info["source"], "target": info["target"],
                          "carrier": info["carrier"], "unit": info["unit"],
                          base_name: qa.fillna(0.0), scenario: qb.fillna(0.0)}, index=ids)
    frame.index.name = "flow"
    change = frame[scenario] - frame[base_name]
    scale = np.maximum(frame[base_name].abs(), frame[scenario].abs())
    moved = change.abs() > SAME * np.maximum(scale, 1e-300)
    frame["change"] = change
    frame["change %"] = 100 * change / frame[base_name].where(frame[base_name] != 0)
    keep = moved.to_numpy()
    frame, scale = frame[keep], scale[keep].to_numpy()
    rel = frame["change"].abs().to_numpy() / np.maximum(scale, 1e-300)
    order = np.lexsort((-scale, -np.round(rel, 6)))    # largest relative change, then size
    return frame.iloc[order]


def _frame(rows, base_name: str, scenario: str, key: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[key, "unit", base_name, scenario]).set_index(key)
    for col in (base_name, scenario):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    change = frame[scenario] - frame[base_name]
    scale = np.maximum(frame[base_name].abs(), frame[scenario].abs())
    frame["change"] = change.where(change.abs() > SAME * scale, 0.0)     # no rounding noise
    base = frame[base_name].where(frame[base_name] != 0)
    frame["change %"] = 100 * frame["change"] / base.abs()
    return frame


def _cards(figs: pd.DataFrame, scenario: str, against: str) -> list[dict]:
    """The figures that change most (by |change %|), as cards: value in the scenario and the
    change."""
    pct = figs["change %"].abs().replace([np.inf], np.nan).dropna()
    pct = pct[pct > 100 * SAME]
    out = []
    for name in pct.sort_values(ascending=False).index[:10]:
        row = figs.loc[name]
        unit = "" if row["unit"] in ("1", None) else row["unit"]
        out.append({"name": name, "value": row[scenario], "unit": row["unit"],
                    "detail": f"{row['change']:+,.4g} {unit} ({row['change %']:+.2f} %) "
                              f"against {against}".replace("  ", " ")})
    return out


def _in_words(figs: pd.DataFrame) -> pd.DataFrame:
    """The figure table as the page shows it: names in words with their units (the CSV
    keeps the identifiers)."""
    from ..views.headers import figure_words
    shown = figs.copy()
    pairs = [figure_words(str(n), u) for n, u in zip(figs.index, figs["unit"])]
    shown.index = pd.Index([w for w, _ in pairs], name="figure")
    shown["unit"] = [u for _, u in pairs]
    return shown


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{"name": k, **{c: (None if isinstance(v, float) and math.isnan(v) else v)
                           for c, v in row.items()}}
            for k, row in frame.iterrows()]


def _about(case, scenario: str, base_name: str) -> str:
    sc = case.scenarios.get(scenario)
    text = getattr(sc, "description", "") or ""
    return (f"Scenario '{scenario}' of case '{case.name}' against {base_name}. {text}").strip()


def _summary(title: str, figs: pd.DataFrame) -> str:
    lines = [title]
    for name, row in figs.iterrows():
        pct = row["change %"]
        shown = "" if pct != pct else f" ({pct:+.2f} %)"
        lines.append(f"  {name}: {row.iloc[1]:,.6g} -> {row.iloc[2]:,.6g} {row['unit']}{shown}")
    return "\n".join(lines)


# -- the command ---------------------------------------------------------------------------

def add_compare_command(subparsers, common) -> None:
    """The `compare` command: flowgraph compare CASE --scenario A [--against B] --out DIR."""
    import argparse
    p = subparsers.add_parser(
        "compare", parents=[common],
        help="compare a scenario of a case with the base (or another scenario): figures and "
             "totals side by side, the flows that change, difference Sankey and graph",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='example:\n  flowgraph compare cases/demo --scenario "better extraction" '
               "--out out/compare")
    p.add_argument("case", help="case folder (or its case.toml), workbook or flat table")
    p.add_argument("--scenario", required=True, help="the scenario to compare")
    p.add_argument("--against", default=None,
                   help="the scenario to compare it with (default: the base)")
    p.add_argument("--out", help="output folder (default out/<case>/compare-<scenario>)")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args) -> int:
    """Run the comparison, print the figures side by side and write the report."""
    from ..views.render import write_report
    from .case import load_case
    case = load_case(args.case, allow=args.allow or ())
    report = compare_case(case, args.scenario, args.against)
    print(report.summary)
    out = Path(args.out) if args.out else _default_out(args.case, args.scenario)
    written = write_report(report, out)
    print(f"wrote {', '.join(p.name for p in written)} to {out}/")
    return 0


def _default_out(case_path, scenario: str) -> Path:
    case = Path(case_path).resolve()
    name = case.name if case.is_dir() else case.parent.name if case.name == "case.toml" \
        else case.stem
    slug = re.sub(r"[^A-Za-z0-9]+", "-", scenario).strip("-").lower() or "scenario"
    return Path("out", name, f"compare-{slug}")
