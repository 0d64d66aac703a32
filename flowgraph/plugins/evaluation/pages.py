"""The evaluation report: tables (CSV), figures (summary.json), evaluation.json and the
blocks of its page, including the bar chart of scores per indicator."""

from __future__ import annotations

import json
import math

import pandas as pd
import plotly.graph_objects as go

from ...model import units
from ...model.report import Cards, Chart, Report, Table, Text, jsonable
from . import origins, statement
from .indexsystem import ahp_table
from .scoring import composite_table, index_table

#: statement items that go to summary.json as <item>_<key>_wan
SUMMARY_ITEMS = ("raw_material_cost", "energy_cost", "waste_treatment_cost", "value_flow_cost",
                 "revenue", "net_profit")


def build_report(case, config, situations) -> Report:
    """The evaluation of the situations: tables, headline figures, summary text, page blocks
    and evaluation.json (everything in one file)."""
    tables = evaluation_tables(config, situations)
    tables.update(origins.tables(case, situations, config.money_unit))
    tables["statement"] = origins.statement_rows(tables["statement"], tables["value_flows"],
                                                 config.money_unit)
    published = published_table(case)
    if published is not None:
        tables["published"] = published
    figures = summary_figures(config, situations)
    report = Report("evaluate", tables=tables, figures=figures,
                    title=f"{case.name}: circular-economy value-flow evaluation")
    report.summary = summary_text(config, situations, tables)
    report.blocks = blocks(config, situations, tables, config.headline)
    report.files["evaluation.json"] = json.dumps(
        jsonable({"case": case.name, "index_system": config.system.name,
                   "weights": config.weight_sets, "figures": figures,
                   "tables": {k: _records(v) for k, v in tables.items()}}),
        indent=2, ensure_ascii=False)
    return report


def evaluation_tables(config, situations) -> dict:
    """Statement, indices, composite, weights, aggregates and breakdowns by name."""
    unit = config.money_unit
    values = {s.label: s.aggregates for s in situations}

    def per_situation(table):
        return pd.concat({s.label: table(s.result, unit) for s in situations},
                         names=["situation"])

    tables = {
        "statement": statement.cost_statement(values, unit),
        "cost_matrix": statement.cost_matrix(values, unit),
        "indices": index_table(config, situations),
        "composite": composite_table(config, situations),
        "weights": config.system.weight_table(config.system.weight_sets,
                                              config.accept_inconsistent),
        "aggregates": aggregate_table(config, situations),
        "by_product": per_situation(statement.by_product),
        "energy": per_situation(statement.energy_table),
        "waste_treatment": per_situation(statement.waste_table),
        "grades": config.grades.frame(),
    }
    ahp = ahp_table(config.system, config.accept_inconsistent)
    if len(ahp):
        tables["ahp"] = ahp.set_index(["weights", "group"])
    for layer in statement.element_layers(situations[0].result):
        tables[f"element_{layer}"] = pd.concat(
            {s.label: statement.element_flows(s.result, layer) for s in situations},
            names=["situation"])
    return tables


def published_table(case) -> pd.DataFrame | None:
    """The case's headline figures that have a published value, beside ours (None if none)."""
    published = [f for f in case.figure_values() if f.get("published") is not None]
    if not published:
        return None
    return pd.DataFrame(
        [{"figure": f["name"], "scenario": f["scenario"], "unit": f["unit"],
          "published": f["published"], "ours": f["value"],
          "deviation %": None if f["deviation"] is None else 100 * f["deviation"]}
         for f in published]).set_index("figure")


def summary_figures(config, situations) -> dict:
    """p_<key>, grade_<key> (level), grade_label_<key>, p_<key>_<set> for the other sets,
    and the statement items as <item>_<key>_wan."""
    out = {}
    head = config.headline
    to_wan = units.factor("CNY", "万元")
    for s in situations:
        k = s.spec.key
        out[f"p_{k}"] = s.p[head]
        lev = s.grades[head]
        out[f"grade_{k}"] = lev.level if lev else None
        out[f"grade_label_{k}"] = lev.label if lev else None
        for ws in config.weight_sets[1:]:
            out[f"p_{k}_{ws}"] = s.p[ws]
            lev = s.grades[ws]
            out[f"grade_{k}_{ws}"] = lev.level if lev else None
        for item in SUMMARY_ITEMS:
            out[f"{item}_{k}_wan"] = s.aggregates[item] * to_wan
        out[f"energy_tce_{k}"] = s.aggregates["energy_tce"]
    return out


def aggregate_table(config, situations) -> pd.DataFrame:
    """The aggregates the index system uses (and the statement's), their definitions and
    values per situation, in the units the formulas see."""
    names = list(dict.fromkeys([n for n, _, _ in statement.ROWS] +
                               sorted(config.system.aggregate_names())))
    rows = []
    for name in names:
        agg = config.aggregates[name]
        row = {"aggregate": name, "unit": situations[0].aggregates.unit_in(name, config.system.units)}
        for s in situations:
            row[s.label] = s.aggregates.in_units(name, config.system.units)
        row["expression"] = agg.expr
        row["defined in"] = agg.origin
        row["description"] = agg.description
        rows.append(row)
    return pd.DataFrame(rows).set_index("aggregate")


def score_chart(config, situations, weight_set: str) -> go.Figure:
    """Scores per indicator, situation beside situation."""
    fig = go.Figure()
    for s in situations:
        t = s.table
        fig.add_bar(name=s.label, x=list(t.index), y=t[f"score {weight_set}"].tolist(),
                    customdata=list(zip(t["name"], t["actual"], t["index"])),
                    hovertemplate="%{x} %{customdata[0]}<br>actual %{customdata[1]:.4g}<br>"
                                  "index %{customdata[2]:.4g}<br>score %{y:.4f}<extra>"
                                  + s.label + "</extra>")
    label = config.system.weight_sets[weight_set].label or weight_set
    fig.update_layout(barmode="group", xaxis_title="indicator", yaxis_title="score = weight x index",
                      title=f"Scores per indicator ({label} weights)", legend_title="situation",
                      margin={"t": 60, "b": 40})
    return fig


def blocks(config, situations, tables, head) -> list:
    """The page: P and grade as cards, then the statement, indices, scores and the tables
    behind them."""
    unit = config.money_unit
    cap = "" if config.system.cap is None else f", capped at {config.system.cap:g}"
    out = [grade_cards(config, situations)]
    if "published" in tables:
        out.append(Table("Published and ours", tables["published"],
                         note="The case's headline figures ([[figure]] in case.toml) beside the "
                              "values the source prints."))
    out += [
        Table(f"Value-flow cost statement ({unit})", tables["statement"],
              note="Positive cost: raw material and energy; negative cost: waste treatment; "
                   "value-flow cost = positive + negative cost; net profit = revenue - "
                   "value-flow cost. Read off the propagated values."),
        *origins.blocks(tables, unit),
        Table(f"Value-flow cost by category ({unit})", tables["cost_matrix"],
              units={c: unit for c in tables["cost_matrix"].columns}),
        Table("Evaluation indices", tables["indices"],
              note="Index = benchmark / actual where lower is better, actual / benchmark where "
                   f"higher is better{cap}; score = weight x index; P = sum of scores."),
        Chart("Scores per indicator", score_chart(config, situations, head), height=480),
        Table("Composite index and grade", tables["composite"]),
        Table("Weights", tables["weights"],
              note="Global weight of each indicator per weight set; for groups, the sum of their "
                   "children's weights beside it shows where a set's levels do not add up."),
    ]
    if "ahp" in tables:
        out.append(Table("AHP comparison matrices", tables["ahp"],
                         note="Local weights by the principal eigenvector; CI = "
                              "(lambda_max - n)/(n - 1), CR = CI/RI(n) (Saaty)."))
    return out + detail_blocks(config, tables)


def grade_cards(config, situations) -> Cards:
    """P and grade of every situation under every weight set."""
    cards = []
    for s in situations:
        for ws in config.weight_sets:
            lev = s.grades[ws]
            label = config.system.weight_sets[ws].label or ws
            cards.append({"name": f"P {s.label} ({label})", "value": s.p[ws],
                          "unit": f"level {lev.level}, {lev.label}" if lev else "not graded"})
    return Cards("Composite index P and grade", cards,
                 note=f"P = sum of weight x index over the indicators of '{config.system.name}'; "
                      f"grades: {config.grades.title or config.grades.name}.")


def detail_blocks(config, tables) -> list:
    """The tables behind the statement and the indices: aggregates, energy, waste treatment,
    products, element flows, the grade table and the notes on the weights."""
    unit = config.money_unit
    out = [
        Table("Aggregates", tables["aggregates"],
              note="The named aggregates the formulas use, in the index system's units."),
        Table(f"Energy ({unit})", tables["energy"], units={"cost": unit}),
        Table(f"Waste treatment ({unit})", tables["waste_treatment"], units={"cost": unit}),
        Table(f"Products and wastes leaving the system ({unit})", tables["by_product"],
              units={c: unit for c in ("raw material", "energy", "system", "waste treatment",
                                       "cost", "revenue", "margin")}),
    ]
    for name, table in tables.items():
        if name.startswith("element_"):
            layer = name.split("_", 1)[1]
            out.append(Table(f"{layer} flows", table,
                             note=f"Every flow carrying {layer} (quantity x mass fraction of "
                                  f"its carrier)."))
    out.append(Table("Grade table", tables["grades"], note=config.grades.source))
    notes = [f"{ws.label or ws.name}: {ws.note}" for ws in config.system.weight_sets.values()
             if ws.note]
    if notes:
        out.append(Text("Notes on the weights", "\n\n".join(notes)))
    return out


def summary_text(config, situations, tables) -> str:
    st = tables["statement"]
    lines = [f"value-flow cost statement ({config.money_unit}):"]
    labels = [s.label for s in situations]
    for item, row in st.iterrows():
        vals = "  ".join(f"{lab} {row[lab]:>14,.1f}" for lab in labels)
        lines.append(f"  {item:<22} {vals}")
    for s in situations:
        parts = []
        for ws in config.weight_sets:
            lev = s.grades[ws]
            grade = f"level {lev.level} ({lev.label})" if lev else "not graded"
            parts.append(f"{config.system.weight_sets[ws].label or ws}: P = {_fmt(s.p[ws])}, {grade}")
        lines.append(f"{s.label}: " + "; ".join(parts))
    return "\n".join(lines)


def _fmt(v) -> str:
    return "nan" if v is None or not math.isfinite(v) else f"{v:.4f}"


def _records(frame: pd.DataFrame) -> list:
    flat = frame.reset_index()
    flat.columns = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c)
                    for c in flat.columns]
    return flat.to_dict("records")

