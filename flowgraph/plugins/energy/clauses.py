"""The energy-efficiency evaluation report, laid out by clause 9.2 of the PVC standard:
a) statement, b) process description, c) scope, d) data collected, e) scoring table with
evidence, f) grade, g) improvement measures, h) annexes. Tables and charts, little prose."""

from __future__ import annotations

import pandas as pd

from ...views.graph import graph_section
from ...views.page import Section, figure_section, figures_section, table_section, text_section
from .checklist import MET, NA, NOT_MET

PREFIX = "Energy efficiency"


def _title(text: str) -> str:
    return f"{PREFIX}: {text}"


def _sub(section: Section) -> Section:
    """A section under one of the eight of clause 9.2 (an h3)."""
    section.level = 3
    return section


def sections(ev, embedded: bool = False) -> list[Section]:
    """All sections of the report of one Evaluation; embedded in the run report (which
    already shows the flow graph), clause b) refers to it instead of drawing it again."""
    return [*statement(ev), *process(ev, embedded), *scope(ev), *data(ev), *scoring(ev),
            *grading(ev), *improvement(ev), *annexes(ev)]


def statement(ev) -> list[Section]:
    s, a = ev.settings, ev.account
    g = ev.grade
    rows = [("case", ev.case.name), ("scenario", ev.scenario or "base"),
            ("product", f"{s.grade_product} ({s.variant}), flow '{a.product}'"),
            ("route", s.route),
            ("output", f"{a.product_quantity:,.6g} {a.product_unit} per {a.period}"),
            ("boundary", " + ".join(a.boundary) + " systems"),
            ("electricity", a.conventions["electricity"]),
            ("working media", a.conventions["working_media"]),
            ("exports", a.conventions["exports"]),
            ("not counted (no coefficient)", ", ".join(a.missing) or "none"),
            ("indicator", "comprehensive energy consumption per unit of product, GB/T 2589-2020"),
            ("result", f"{a.per_unit:,.2f} {a.unit_label}: {g.label}" if g else
             f"{a.per_unit:,.2f} {a.unit_label}")]
    table = pd.DataFrame(rows, columns=["item", "value"]).set_index("item")
    out = [table_section(_title("a) evaluation statement"), table,
                         note="Clause 9.2 a. What was evaluated and under which conventions.")]
    if s.statement:
        out.append(_sub(text_section(_title("statement of the evaluator"), s.statement)))
    return out


def process(ev, embedded: bool = False) -> list[Section]:
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
        return [table_section(_title("b) process description"), table,
                              note=note + " The flowsheet is the flow graph at the top of this "
                                          "report.")]
    return [table_section(_title("b) process description"), table, note=note),
            _sub(graph_section(ev.result, title=_title("flowsheet graph")))]


def scope(ev) -> list[Section]:
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
    return [table_section(_title("c) scope"), table,
                          note="Clause 9.2 c and clause 4: the evaluation boundary by system "
                               "(production, auxiliary, ancillary); nodes without a system, "
                               "sources and sinks are outside."),
            _sub(table_section(_title("flows crossing the boundary"), counts.astype(int),
                               note="By class of carrier: energy, energy-consuming working "
                                    "media, materials (not counted)."))]


def data(ev) -> list[Section]:
    return [table_section(_title("d) data collected"), ev.documentation,
                          note="Clause 9.2 d with the documents clause 7.1 asks for."),
            _sub(table_section(_title("flows crossing the boundary, with coefficients"),
                               ev.data_collected,
                               note="Every flow crossing the boundary: how its quantity is known, "
                                    "its standard-coal coefficient (kgce per flow unit) and where "
                                    "the coefficient comes from; materials count zero."))]


def scoring(ev) -> list[Section]:
    if ev.checklist is None:
        return [text_section(_title("e) scoring table"), "No checklist is configured.")]
    c = ev.checklist
    counts = c["status"].value_counts().reindex([MET, NOT_MET, NA]).fillna(0).astype(int)
    cards = [{"name": k, "value": int(v), "unit": "items"} for k, v in counts.items()]
    table = c[["clause", "system", "requirement", "status", "detail"]].rename(
        columns={"detail": "evidence"})
    return [figures_section(_title("e) scoring table with evidence"), cards,
                            note=f"Clause 9.2 e: {ev.checklist_meta.get('title', 'checklist')} "
                                 f"({ev.checklist_meta.get('source', '')}), each item decided on "
                                 f"the flowsheet."),
            _sub(table_section(_title("checklist items"), table, index=True))]


def grading(ev) -> list[Section]:
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
        out.append(figures_section(_title("f) energy-efficiency grade"), cards,
                                   note=f"Clause 9.2 f. {g.product}, {g.route} route, {g.variant}: "
                                        f"benchmark = level 2 ({g.benchmark:g} {g.unit}), "
                                        f"baseline = level 3 ({g.baseline:g} {g.unit}); a gap > 0 "
                                        f"is what must be cut. Source: {g.source}."))
        out.append(_sub(table_section(_title("grade table"), g.table())))
        out.append(_sub(figure_section(_title("position in the grade table"), _chart(ev),
                                       height=360)))
    by = a.by_carrier[a.by_carrier["class"] != "material"]
    by = by[["class", "unit", "quantity_in", "quantity_out", "coefficient_kgce", "kgce", "share",
             "kgce_per_unit"]].copy()
    by.loc["total"] = [None, "", None, None, None, a.total_kgce, 1.0, a.per_unit]
    out.append(_sub(table_section(_title("comprehensive energy by carrier"), by,
                                  note=f"kgce per {a.period}; coefficient in kgce per carrier "
                                       f"unit; kgce_per_unit in {a.unit_label}. Exports count "
                                       f"negative; materials are listed in d).")))
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


def improvement(ev) -> list[Section]:
    out = []
    if len(ev.settings.measures):
        out.append(table_section(_title("g) improvement measures"), ev.measures,
                                 note="Clause 9.2 g. Each measure is a scenario of the case, solved "
                                      "and evaluated like the base; saving = base - measure."))
    sug = table_section(_title("g) suggestions from the checklist") if not out
                        else _title("suggestions from the checklist"), ev.suggestions,
                        note="Good practice of clauses 7.2 and 7.3 that the flowsheet does not "
                             "show, with the measure each suggests.")
    out.append(_sub(sug) if out else sug)
    return out


def annexes(ev) -> list[Section]:
    a = ev.account
    coeff = a.by_carrier.loc[a.by_carrier["class"] != "material",
                             ["class", "unit", "coefficient_kgce", "coefficient_source"]]
    res = ev.result.residuals
    balance = res[res["closed"]].set_index(["node", "layer"])[["in", "out", "stock", "residual",
                                                              "unit"]]
    return [table_section(_title("h) annex: coefficients"), coeff,
                          note="Standard-coal coefficient per carrier unit and its source (the "
                               "case, GB/T 2589-2020 appendix A as shipped, or a given value)."),
            _sub(table_section(_title("annex: energy by node"), a.by_node)),
            _sub(table_section(_title("annex: energy by system"), a.by_system)),
            _sub(table_section(_title("annex: boundary and convention variants"), ev.variants,
                               note="The same flowsheet under other boundaries and "
                                    "conventions.")),
            _sub(table_section(_title("annex: material and energy balance"), balance,
                               note="Clause 7.1.2: every closed balance of every node."))]


def _join(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)
