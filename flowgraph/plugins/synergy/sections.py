"""The synergy report: tables (CSV), headline figures (summary.json), page blocks and the
self-contained 3-D view (a Page of its own), from a SynergyAnalysis."""

from __future__ import annotations

import math

from ...model.report import Cards, Chart, Page, Report, Table, Text

METHOD_TEXT = (
    "Each technology is a scenario of the plant. Its effects are savings measured by solving the "
    "plant with and without it: standard coal of purchased energy, purchased water, purchased "
    "materials, CO2 and every pollutant reaching a sink, and the purchase value. A type of "
    "single-technology synergy is a saving (energy, water or material) that comes with emission "
    "reduction. Inter-technology synergy is found three ways: as the case declares it; "
    "structurally (both technologies act on one unit, or their recoveries close loops through "
    "one unit); and by interaction (the effect of the pair differs from the sum of the two "
    "alone). The class follows doc 000's table 1; the value-flow table follows its table 2.")


#: units and headers of the value-flow tables' columns (savings in each row's unit)
VALUE_UNITS = {"kgce_per_unit": "kgce/unit", "tce": "tce", "tce_stated": "tce",
               "price": "CNY/unit", "value_cny": "CNY", "value_cny_stated": "CNY"}
VALUE_LABELS = {"kgce_per_unit": "standard coal coefficient", "tce_stated": "standard coal stated",
                "value_cny_stated": "value stated", "saving_system": "saving, whole plant",
                "measured_at": "measured at"}


def tables(a) -> dict:
    """The tables written as CSV, by name."""
    return {"technologies": a.declarations, "effects": a.effects.set_index(["key", "category",
                                                                            "item"]),
            "summary": a.summary, "single_synergy": a.synergy, "pairs": a.pairs,
            "interactions": a.interactions.set_index(["subset", "category", "item"]),
            "classes": a.classes, "stages": a.stages, "value_flow": a.value_flow.set_index(
                ["key", "row"]), "value_flow_totals": a.value_flow_totals,
            "value_flow_system": a.value_flow_system}


def cards(a) -> list[dict]:
    """Headline figure cards (with the source's figure as 'published') and each class."""
    f = a.figures
    stated_of = {"synergy_value_cny": "synergy_value_cny_stated",
                 "water_saving_t": "water_saving_t_stated"}
    out = []
    for name, unit in (("synergy_value_cny", "CNY"), ("synergy_tce", "tce"),
                       ("water_saving_t", "t"), ("system_energy_tce", "tce"),
                       ("system_co2_t", "t")):
        if name not in f:
            continue
        card = {"name": name, "value": f[name], "unit": unit}
        stated = f.get(stated_of.get(name, ""))
        if isinstance(stated, (int, float)) and not math.isnan(stated):
            card["published"] = stated
        out.append(card)
    for t in a.technologies:
        out.append({"name": f"class {t.key}", "value": a.classes.at[t.key, "class"],
                    "unit": f"({a.settings.class_basis})"})
    return out


def blocks(a) -> list:
    """The blocks of the synergy page: cards, method, tables, the 3-D and by-stage views."""
    sig = a.interactions[a.interactions["significant"]]
    out = [
        Cards("Technology synergy", cards(a),
              note="'published' is the figure the case's source states."),
        Text("Synergy method", METHOD_TEXT),
        Table("Technologies as declared", a.declarations,
              note="links: pairs the case declares; inter_technology: a source's own verdict; "
                   "notes: where the declarations contradict each other."),
        Table("Effects of each technology alone", a.summary,
              note="Savings against the plant without the technology (negative: more). "
                   "'all together' solves every technology at once."),
        Table("Single-technology synergy", a.synergy,
              note="Effects counted when above the case's thresholds "
                   f"{a.settings.thresholds or '(none: any saving counts)'}."),
        Table("Inter-technology synergy: three methods", a.pairs),
        Table("Significant interactions", sig,
              note=f"Combined effect minus the sum of the members' own effects, beyond "
                   f"{a.settings.interaction_rtol:g} of their size and the thresholds; "
                   f"{a.solves} solves, {a.factorisations} factorisations."),
        Table("Classification (doc 000 table 1)", a.classes),
        Table("By stage", a.stages),
    ]
    if not a.value_flow.empty:
        out += [
            Table("Value flow of the technology system (doc 000 table 2)",
                  a.value_flow.set_index(["key", "row"]),
                  note="saving: measured where the technology's `saves` says (else "
                       "system-wide); saving_system: the drop of the carrier's use in the "
                       "whole plant; stated: the source's figure.",
                  units=VALUE_UNITS, labels=VALUE_LABELS),
            Table("Value flow by row and in total", a.value_flow_totals, units=VALUE_UNITS,
                  labels=VALUE_LABELS),
            Table("Value flow, system-wide, every technology and row", a.value_flow_system,
                  units=VALUE_UNITS, labels=VALUE_LABELS),
        ]
    out += [Chart("3-D synergy view", a.figure_3d(),
                  note="x emission reduction, y energy conservation, z stage; lines: "
                       "inter-technology synergy by method (click the legend)."),
            Chart("Synergy by stage", a.figure_2d())]
    return out


def report(a) -> Report:
    """The synergy Report, with the 3-D view as a page of its own (synergy_3d.html)."""
    f = a.figures
    text = f"{a.case_name} [{a.scenario}]: {len(a.technologies)} technologies"
    if "synergy_value_cny" in f:
        text += (f"; value flow {f['synergy_value_cny']:,.0f} CNY/yr"
                 f" (stated {f.get('synergy_value_cny_stated', math.nan):,.0f})")
    text += "; classes " + ", ".join(f"{t.key} {a.classes.at[t.key, 'class']}"
                                     for t in a.technologies)
    text += (f" ({a.settings.class_basis}); pairs: declared {f['pairs_declared']}, structural "
             f"{f['pairs_structural']}, interaction {f['pairs_interaction']}")
    page = Page(f"ECER synergy view: {a.case_name} [{a.scenario}]",
                [Chart("3-D synergy view", a.figure_3d()),
                 Chart("Synergy by stage", a.figure_2d()),
                 Table("Classification (doc 000 table 1)", a.classes)])
    return Report("synergy", tables=tables(a), figures=dict(f), summary=text,
                  blocks=blocks(a), files={"synergy_3d.html": page},
                  title=f"Technology synergy: {a.case_name} [{a.scenario}]")
