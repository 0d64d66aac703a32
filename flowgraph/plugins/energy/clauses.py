"""The energy-efficiency evaluation report, laid out by clause 9.2 of the PVC standard:
a) statement, b) process description, c) scope, d) data collected, e) scoring table with
evidence, f) grade, g) improvement measures, h) annexes. Tables and charts, little prose,
as blocks of a Report (flowgraph.model.report) that the views render."""

from __future__ import annotations

import pandas as pd

from ...model.report import Block, Cards, Chart, FlowGraph, Report, Table, Text
from . import clause8 as clause_8
from .checklist import MET, NA, NOT_MET

PREFIX = "Energy efficiency"
#: the level of a block under one of the eight of clause 9.2 (an h3)
SUB = 3


def _title(text: str) -> str:
    return f"{PREFIX}: {text}"


def report(ev, embedded: bool = False) -> Report:
    """The Report of one Evaluation: its tables, headline figures, summary line and blocks."""
    return Report("energy", tables=ev.tables(), figures=ev.figures(), summary=summary(ev),
                  blocks=blocks(ev, embedded=embedded),
                  title=f"Energy-efficiency evaluation: {_evaluated(ev)}")


def summary(ev) -> str:
    """One line: energy per unit and in total, the grade and gap, the checklist counts."""
    a, figs = ev.account, ev.figures()
    per_unit = f"{a.per_unit:,.2f} {a.unit_label}, " if a.product is not None else \
        "no product flow named ([energy] product), so no energy per unit; "
    text = (f"{_evaluated(ev)}: {per_unit}"
            f"{a.total_tce:,.6g} tce/{a.period} within {' + '.join(a.boundary)}")
    if ev.grade is not None:
        g = ev.grade
        text += (f"; {g.label} ({g.route}, {g.variant}); gap to benchmark "
                 f"{g.gap_to_benchmark:+,.2f} {g.unit} ({g.gap_tce('benchmark'):+,.6g} "
                 f"tce/{a.period})")
    if "checklist_met" in figs:
        text += (f"; checklist {figs['checklist_met']} met, {figs['checklist_not_met']} not "
                 f"met, {figs['checklist_not_applicable']} not applicable")
    return text


def _result_line(a, g) -> str:
    if a.product is None:
        return (f"{a.total_tce:,.6g} tce/{a.period}; no product flow is named ([energy] "
                f"product), so there is no energy per unit of product")
    return f"{a.per_unit:,.2f} {a.unit_label}" + (f": {g.label}" if g else "")


def _evaluated(ev) -> str:
    return f"{ev.case.name} [{ev.scenario or 'base'}]"


def blocks(ev, embedded: bool = False) -> list[Block]:
    """All blocks of the report of one Evaluation; embedded in the run report (which
    already shows the flow graph), clause b) refers to it instead of drawing it again."""
    return [*statement(ev), *process(ev, embedded), *scope(ev), *data(ev), *scoring(ev),
            *clause_8.blocks(ev), *grading(ev), *improvement(ev), *annexes(ev)]


def statement(ev) -> list[Block]:
    s, a = ev.settings, ev.account
    g = ev.grade
    rows = [("case", ev.case.name), ("scenario", ev.scenario or "base"),
            ("product", f"{s.grade_product} ({s.variant}), flow '{a.product}'"
             if a.product is not None else "none named ([energy] product)"),
            ("route", s.route),
            ("output", f"{a.product_quantity:,.6g} {a.product_unit} per {a.period}"
             if a.product is not None else "not applicable"),
            ("boundary", " + ".join(a.boundary) + " systems"),
            ("electricity", a.conventions["electricity"]),
            ("working media", a.conventions["working_media"]),
            ("exports", a.conventions["exports"]),
            ("not counted (no coefficient)", ", ".join(a.missing) or "none"),
            ("indicator", "comprehensive energy consumption per unit of product, GB/T 2589-2020"),
            ("result", _result_line(a, g))]
    table = pd.DataFrame(rows, columns=["item", "value"]).set_index("item")
    out = [Table(_title("a) evaluation statement"), table,
                 note="Clause 9.2 a. What was evaluated and under which conventions.")]
    if s.statement:
        out.append(Text(_title("statement of the evaluator"), s.statement, level=SUB))
    return out


def process(ev, embedded: bool = False) -> list[Block]:
    nodes = ev.result.nodes
    frame = ev.result.network.node_frame()
    inner = nodes[~nodes["kind"].isin(["source", "sink"])].copy()
    op = frame["operation"] if "operation" in frame.columns else pd.Series(index=frame.index,
                                                                            dtype=object)
    inner.insert(0, "operation", op.reindex(inner.index).map(_join))
    table = inner[["label", "operation", "kind", "system", "stage"]].fillna("")
    note = ("Clause 9.2 b. The quantity centres and utilities of the flowsheet with their "
            "operation and GB/T 2589 system.")
    if embedded:
        return [Table(_title("b) process description"), table,
                      note=note + " The flowsheet is the flow graph at the top of this report.")]
    return [Table(_title("b) process description"), table, note=note),
            FlowGraph(_title("flowsheet graph"), ev.result, level=SUB)]


def scope(ev) -> list[Block]:
    a = ev.account
    nodes = ev.result.nodes
    inner = nodes[~nodes["kind"].isin(["source", "sink"])]
    inside = set(a.inside)
    rows = []
    for system in (*a.boundary, "outside"):
        members = [i for i in inner.index if (i not in inside if system == "outside"
                                              else i in inside and inner.at[i, "system"] == system)]
        rows.append({"system": system, "nodes": len(members), "members": ", ".join(members)})
    table = pd.DataFrame(rows).set_index("system")
    flows = a.flows
    counts = pd.DataFrame({
        "flows in": flows[flows["direction"] == "in"].groupby("class").size(),
        "flows out": flows[flows["direction"] == "out"].groupby("class").size()}).fillna(0)
    return [Table(_title("c) scope"), table,
                  note="Clause 9.2 c and clause 4: the evaluation boundary by system "
                       "(production, auxiliary, ancillary); nodes without a system, "
                       "sources and sinks are outside."),
            Table(_title("flows crossing the boundary"), counts.astype(int),
                  note="By class of carrier: energy, energy-consuming working media, "
                       "materials (not counted).", level=SUB)]


def data(ev) -> list[Block]:
    return [Table(_title("d) data collected"), ev.documentation,
                  note="Clause 9.2 d with the documents clause 7.1 asks for."),
            Table(_title("flows crossing the boundary, with coefficients"), ev.data_collected,
                  note="Every flow crossing the boundary: how its quantity is known, its "
                       "standard-coal coefficient (kgce per flow unit) and where the "
                       "coefficient comes from; materials count zero.", level=SUB,
                  units={"coefficient_kgce_per_unit": "kgce/unit", "kgce": "kgce"},
                  labels={"coefficient_kgce_per_unit": "coefficient",
                          "coefficient_source": "coefficient source"})]


def scoring(ev) -> list[Block]:
    if ev.checklist is None:
        return [Text(_title("e) scoring table"), "No checklist is configured.")]
    c = ev.checklist
    counts = c["status"].value_counts().reindex([MET, NOT_MET, NA]).fillna(0).astype(int)
    cards = [{"name": k, "value": int(v), "unit": "items"} for k, v in counts.items()]
    table = c[["clause", "system", "requirement", "status", "detail"]].rename(
        columns={"detail": "evidence"})
    return [Cards(_title("e) scoring table with evidence"), cards,
                  note=f"Clause 9.2 e: {ev.checklist_meta.get('title', 'checklist')} "
                       f"({ev.checklist_meta.get('source', '')}), each item decided on the "
                       f"flowsheet."),
            Table(_title("checklist items"), table, index=True, level=SUB)]


def grading(ev) -> list[Block]:
    a, g = ev.account, ev.grade
    out = []
    if g is not None:
        cards = [{"name": "comprehensive energy", "value": a.per_unit, "unit": a.unit_label},
                 {"name": "total", "value": a.total_tce, "unit": f"tce/{a.period}"},
                 {"name": "grade", "value": g.label, "unit": ""},
                 {"name": "gap to benchmark", "value": g.gap_to_benchmark, "unit": g.unit},
                 {"name": "gap to benchmark", "value": g.gap_tce("benchmark"),
                  "unit": f"tce/{a.period}"},
                 {"name": "gap to baseline", "value": g.gap_to_baseline, "unit": g.unit}]
        out.append(Cards(_title("f) energy-efficiency grade"), cards,
                         note=f"Clause 9.2 f. {g.product}, {g.route} route, {g.variant}: "
                              f"benchmark = level 2 ({g.benchmark:g} {g.unit}), baseline = "
                              f"level 3 ({g.baseline:g} {g.unit}); a gap > 0 is what must be "
                              f"cut. Source: {g.source}."))
        out.append(Table(_title("grade table"), g.table(), level=SUB,
                         units={"limit": g.unit, "gap": g.unit}))
        out.append(Chart(_title("position in the grade table"), _chart(ev), height=360,
                         level=SUB))
    by = a.by_carrier[a.by_carrier["class"] != "material"]
    by = by[["class", "unit", "quantity_in", "quantity_out", "coefficient_kgce", "kgce", "share",
             "kgce_per_unit"]].copy()
    by.loc["total"] = [None, "", None, None, None, a.total_kgce, 1.0, a.per_unit]
    out.append(Table(_title("comprehensive energy by carrier"), by,
                     note=f"kgce per {a.period}; coefficient in kgce per carrier unit; "
                          f"kgce_per_unit in {a.unit_label}. Exports count negative; "
                          f"materials are listed in d).", level=SUB,
                     units=_energy_units(a), labels=ENERGY_LABELS))
    return out


def _chart(ev):
    import plotly.graph_objects as go
    a, g = ev.account, ev.grade
    fig = go.Figure()
    by = a.by_carrier
    by = by[by["kgce"] != 0]
    for carrier, row in by.iterrows():
        fig.add_bar(y=["plant"], x=[row["kgce_per_unit"]], name=str(carrier), orientation="h",
                    hovertemplate=f"{carrier}: %{{x:.2f}} {a.unit_label}<extra></extra>")
    for k, (lvl, lim) in enumerate(sorted(g.limits.items())):
        label = (g.names or {}).get(lvl, "")
        fig.add_vline(x=lim, line_dash="dash",
                      annotation_text=f"L{lvl} {lim:g}" + (f" ({label})" if label else ""),
                      annotation_position="top left" if k % 2 == 0 else "top right")
    fig.update_layout(barmode="relative", xaxis_title=a.unit_label, height=360,
                      margin={"t": 60, "l": 60, "r": 20, "b": 40}, legend_orientation="h")
    return fig


def improvement(ev) -> list[Block]:
    suggestions = Table(_title("g) suggestions from the checklist"), ev.suggestions,
                        note="Good practice of clauses 7.2 and 7.3 that the flowsheet does not "
                             "show, with the measure each suggests.")
    if not len(ev.settings.measures):
        return [suggestions]
    suggestions.title, suggestions.level = _title("suggestions from the checklist"), SUB
    return [Table(_title("g) improvement measures"), ev.measures,
                  note="Clause 9.2 g. Each measure is a scenario of the case, solved and "
                       "evaluated like the base; saving = base - measure."),
            suggestions]


def annexes(ev) -> list[Block]:
    a = ev.account
    coeff = a.by_carrier.loc[a.by_carrier["class"] != "material",
                             ["class", "unit", "coefficient_kgce", "coefficient_source"]]
    res = ev.result.residuals
    balance = res[res["closed"]].set_index(["node", "layer"])[["in", "out", "stock", "residual",
                                                              "unit"]]
    return [Table(_title("h) annex: coefficients"), coeff,
                  note="Standard-coal coefficient per carrier unit and its source (the case, "
                       "GB/T 2589-2020 appendix A as shipped, or a given value).",
                  units=_energy_units(a), labels=ENERGY_LABELS),
            Table(_title("annex: energy by node"), a.by_node, level=SUB,
                  units=_energy_units(a), labels=ENERGY_LABELS),
            Table(_title("annex: energy by system"), a.by_system, level=SUB,
                  units=_energy_units(a), labels=ENERGY_LABELS),
            Table(_title("annex: boundary and convention variants"), ev.variants,
                  note="The same flowsheet under other boundaries and conventions.", level=SUB),
            Table(_title("annex: material and energy balance"), balance,
                  note="Clause 7.1.2: every closed balance of every node.", level=SUB)]


#: headers of the energy account's columns
ENERGY_LABELS = {"coefficient_kgce": "coefficient", "coefficient_source": "coefficient source",
                 "kgce_per_unit": "per unit of product", "quantity_in": "quantity in",
                 "quantity_out": "quantity out", "kgce_in": "in", "kgce_out": "out",
                 "kgce": "standard coal"}


def _energy_units(a) -> dict:
    """Units of the energy account's columns (quantities in each row's unit)."""
    return {"coefficient_kgce": "kgce/unit", "kgce": f"kgce/{a.period}",
            "kgce_in": f"kgce/{a.period}", "kgce_out": f"kgce/{a.period}", "share": "",
            "kgce_per_unit": a.unit_label}


def _join(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)
