"""The synergy analysis of a case's technology system, as DataFrames (doc 000's ECER model).

synergy_analysis(case, options) solves the base, every technology alone, every pair (or every
subset with factorial=True) and all of them together; measures each one's effects; finds the
single-technology synergy types, the inter-technology synergy by declaration, by structure and
by interaction; classifies each technology by doc 000's table 1; summarises by stage; and
builds the value-flow table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...errors import PluginError
from . import valueflow
from .classify import classify, load_rules, stage_class
from .combinations import (
    factorisations,
    interaction_verdicts,
    interactions,
    solve_subsets,
    subsets,
)
from .effects import effect_types, measure, savings, significant, unit_of
from .settings import Settings, slug
from .structure import footprints, loop, structural_links
from .technology import STAGES, Technology, check_flows, technologies
from .view import synergy_2d, synergy_3d

METHODS = ("declared", "structural", "interaction")


@dataclass
class SynergyAnalysis:
    """Everything the analysis finds; every table is a DataFrame."""

    case_name: str
    scenario: str
    settings: Settings
    technologies: list
    effects: pd.DataFrame            # long: key, category, item -> saving, unit, significant
    summary: pd.DataFrame            # per technology (and all together): headline effects
    synergy: pd.DataFrame            # single-technology synergy per technology
    pairs: pd.DataFrame              # inter-technology synergy, three methods side by side
    interactions: pd.DataFrame       # interaction of every solved subset, per effect item
    classes: pd.DataFrame            # class per technology on each basis
    stages: pd.DataFrame             # summary by stage
    value_flow: pd.DataFrame         # doc 000 table 2, per technology and row
    value_flow_totals: pd.DataFrame  # per row and in total
    value_flow_system: pd.DataFrame  # every technology x row, system-wide
    declarations: pd.DataFrame       # what the case declares, and where it contradicts itself
    solves: int = 0
    factorisations: int = 0
    figures: dict = field(default_factory=dict)

    def links(self) -> list[tuple]:
        """(key_a, key_b, method, detail) for every pair each method links."""
        out = []
        for (a, b), r in self.pairs.iterrows():
            for m in METHODS:
                if r[m]:
                    out.append((a, b, m, r[f"{m}_detail"]))
        return out

    def points(self) -> pd.DataFrame:
        """One row per technology: stage, class, and the view's x and y."""
        s = self.settings
        rows = {}
        for t in self.technologies:
            e = self._saving(t.key)
            c = self.classes.loc[t.key]
            syn = self.synergy.loc[t.key]
            hover = (f"<b>{t.name}</b><br>stage: resource {t.stage}<br>class: {c['class']} "
                     f"({c['basis']})<br>types: {syn['types'] or 'none'}<br>"
                     + "<br>".join(f"{k}: {v:,.4g}" for k, v in
                                   self.summary.loc[t.key].items() if v))
            rows[t.key] = {"name": t.name, "stage": t.stage, "class": c["class"],
                           "x": axis_value(e, s.view["x"]), "y": axis_value(e, s.view["y"]),
                           "hover": hover}
        return pd.DataFrame.from_dict(rows, orient="index")

    def _saving(self, key) -> pd.Series:
        g = self.effects[self.effects["key"] == key]
        return pd.Series(g["saving"].to_numpy(),
                         index=pd.MultiIndex.from_arrays([g["category"], g["item"]]))

    def figure_3d(self):
        s = self.settings
        return synergy_3d(self.points(), self.links(), axis_title(s.view["x"]),
                          axis_title(s.view["y"]),
                          f"ECER synergy of the technology system: {self.case_name}")

    def figure_2d(self):
        s = self.settings
        return synergy_2d(self.points(), self.links(), axis_title(s.view["x"]),
                          axis_title(s.view["y"]), "ECER synergy by stage")


def synergy_analysis(case, options: dict, scenario: str | None = None) -> SynergyAnalysis:
    """Analyse the case's technologies on the base (or on `scenario`) with the options the
    plugin resolved: see the module doc."""
    base = case.result(scenario)
    settings = Settings.from_options(case, options, base.network)
    techs = technologies(case, settings)
    if not techs:
        raise PluginError(f"case '{case.name}' has no technologies: mark scenarios with "
                          f"technology = true (and a stage), or list them in [synergy] "
                          f"technologies", origin=case.origin("synergy"))
    rules = load_rules(settings.rules)
    base_totals = measure(base, settings)
    solved = _solve_technologies(case, base, techs, settings)
    networks = {t.key: solved[(t.key,)].network for t in techs}
    singles = {t.key: solved[(t.key,)].result for t in techs}
    check_flows(techs, base.network, networks)
    effects, synergy, saving_of = _effects(techs, base_totals, solved, settings)
    inter = interactions(base_totals, solved, settings)
    verdicts = interaction_verdicts(inter, settings)
    pair_nets = {s: v.network for s, v in solved.items() if len(s) == 2 and v.network}
    struct = structural_links(techs, base.network, networks, pair_nets)
    pairs = _pairs(techs, struct, verdicts, solved, settings.factorial)
    classes = _classes(techs, synergy, pairs, verdicts, settings, rules)
    vf = valueflow.value_flow(techs, base, singles, settings)
    n_solves, n_fact = factorisations(solved)
    _footprints(synergy, techs, base.network, networks)
    a = SynergyAnalysis(
        case.name, scenario or "base", settings, techs, effects,
        _summary(techs, saving_of, base_totals, solved), synergy, pairs, inter, classes,
        _stages(techs, classes, saving_of, rules), vf,
        valueflow.totals(vf, settings) if not vf.empty else pd.DataFrame(),
        valueflow.system_table(techs, base, singles, settings), _declarations(techs),
        n_solves + 1, n_fact + int(base.balance.solver is not None))
    a.figures = _figures(a)
    return a


def _solve_technologies(case, base, techs, settings) -> dict:
    """Each technology alone, every pair (every subset when factorial) and all of them
    together, by the case's Solver; a technology that cannot be solved is an error."""
    keys = tuple(t.key for t in techs)
    wanted = subsets(techs, None if settings.factorial else 2)
    if len(keys) > 2 and keys not in wanted:
        wanted.append(keys)
    solved = solve_subsets(case.solve, base.network, techs, wanted, settings,
                           keep=lambda s: len(s) <= 2, base_solver=base.balance.solver)
    for t in techs:
        if solved[(t.key,)].error is not None:
            raise PluginError(f"technology '{t.name}' cannot be solved: "
                              f"{solved[(t.key,)].error}", origin=t.origin)
    return solved


def _effects(techs, base_totals, solved, settings) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Each technology's savings (long table), its single-technology synergy types, and its
    savings by (category, item)."""
    effect_rows, synergy_rows, saving_of = [], {}, {}
    for t in techs:
        sv = savings(base_totals, solved[(t.key,)].totals)
        saving_of[t.key] = sv
        better = significant(sv, base_totals, settings)
        for (cat, item), v in sv.items():
            if v == 0 and base_totals.get((cat, item), 0.0) == 0:
                continue
            effect_rows.append({"key": t.key, "category": cat, "item": item,
                                "unit": unit_of(cat, item), "saving": v,
                                "base_total": base_totals.get((cat, item), 0.0),
                                "significant": bool(better[(cat, item)])})
        ty = effect_types(sv, base_totals, settings)
        synergy_rows[t.key] = {"technology": t.name, "stage": t.stage,
                               "energy": ty["energy"], "water": ty["water"],
                               "material": ty["material"], "emission": ty["emission"],
                               "n_types": ty["n_types"], "types": "; ".join(ty["types"]),
                               "worsened": "; ".join(ty["worsened"])}
    effects = pd.DataFrame(effect_rows, columns=["key", "category", "item", "unit", "saving",
                                                 "base_total", "significant"])
    synergy = pd.DataFrame.from_dict(synergy_rows, orient="index")
    synergy.index.name = "key"
    return effects, synergy, saving_of


def _footprints(synergy, techs, base_net, networks) -> None:
    """Add each technology's footprint (the units it acts on) and loop to its synergy row."""
    prints = footprints(techs, base_net, networks)
    for t in techs:
        synergy.loc[t.key, "footprint"] = ", ".join(prints[t.key])
        synergy.loc[t.key, "loop"] = ", ".join(sorted(loop(t, networks[t.key])))


def _pairs(techs, struct, verdicts, solved, factorial) -> pd.DataFrame:
    rows = {}
    for i, a in enumerate(techs):
        for b in techs[i + 1:]:
            by = [x.key for x, y in ((a, b), (b, a)) if y.key in x.links]
            note = ""
            if by:
                note = f"declared by {' and '.join(by)}"
                against = [x.key for x in (a, b) if x.inter_technology is False]
                if against:
                    note += (f"; but {' and '.join(against)} declare"
                             f"{'s' if len(against) == 1 else ''} no inter-technology synergy")
            s = struct[(a.key, b.key)]
            via = []
            if s["shared"]:
                via.append(f"both act on {', '.join(s['shared'])}")
            if s["loop"]:
                via.append(f"one loop through {', '.join(s['loop'])}")
            sub = solved.get((a.key, b.key))
            v = verdicts.get(f"{a.key} + {b.key}", {"interacts": False, "sign": "",
                                                       "detail": ""})
            err = sub.error if sub is not None else "not solved"
            rows[(a.key, b.key)] = {
                "declared": bool(by), "declared_detail": note,
                "structural": bool(s["shared"] or s["loop"]), "structural_detail": "; ".join(via),
                "interaction": bool(v["interacts"]), "interaction_sign": v["sign"],
                "interaction_detail": v["detail"] if err is None
                else f"cannot be combined: {err}"}
    cols = ["declared", "declared_detail", "structural", "structural_detail", "interaction",
            "interaction_sign", "interaction_detail"]
    index = pd.MultiIndex.from_tuples(list(rows), names=["a", "b"]) if rows else \
        pd.MultiIndex.from_arrays([[], []], names=["a", "b"])
    return pd.DataFrame([rows[k] for k in rows], index=index, columns=cols)


def _declarations(techs) -> pd.DataFrame:
    rows = {}
    keys = {t.key: t for t in techs}
    for t in techs:
        notes = []
        partners = list(t.partners)
        if t.inter_technology is False and partners:
            notes.append(f"declares no inter-technology synergy, yet is paired with "
                         f"{', '.join(partners)}")
        if t.inter_technology is True and not partners:
            notes.append("declares inter-technology synergy but names no partner")
        one_way = [o for o in t.links if t.key not in keys[o].links]
        if one_way:
            notes.append(f"links to {', '.join(one_way)} not declared back (taken both ways)")
        rows[t.key] = {"technology": t.name, "stage": t.stage, "links": ", ".join(t.links),
                       "paired_with": ", ".join(partners),
                       "inter_technology": "" if t.inter_technology is None
                       else ("yes" if t.inter_technology else "no"),
                       "declared_inter": t.declared_inter, "notes": "; ".join(notes)}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "key"
    return frame


def _classes(techs, synergy, pairs, verdicts, settings, rules) -> pd.DataFrame:
    inter = {m: {t.key: False for t in techs} for m in METHODS}
    for t in techs:
        inter["declared"][t.key] = t.declared_inter
    for (a, b), r in pairs.iterrows():
        if r["structural"]:
            inter["structural"][a] = inter["structural"][b] = True
    for sub, v in verdicts.items():
        if v["interacts"]:
            for k in sub.split(" + "):
                inter["interaction"][k] = True
    rows = {}
    for t in techs:
        n = int(synergy.loc[t.key, "n_types"])
        row = {"technology": t.name, "stage": t.stage, "n_types": n}
        for m in METHODS:
            row[f"inter_{m}"] = inter[m][t.key]
            row[f"class_{m}"] = classify(n, inter[m][t.key], rules)
        row["basis"] = settings.class_basis
        row["class"] = row[f"class_{settings.class_basis}"]
        rows[t.key] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "key"
    return frame


def _stages(techs, classes, saving_of, rules) -> pd.DataFrame:
    rows = {}
    for stage in STAGES:
        ts = [t for t in techs if t.stage == stage]
        if not ts:
            continue
        row = {"technologies": ", ".join(t.key for t in ts)}
        for m in METHODS:
            cl = [classes.loc[t.key, f"class_{m}"] for t in ts]
            mean, verdict = stage_class(cl, rules)
            row[f"classes_{m}"] = ", ".join(cl)
            row[f"stage_class_{m}"] = verdict
            row[f"mean_score_{m}"] = mean
        total = sum((saving_of[t.key] for t in ts[1:]), saving_of[ts[0].key])
        row.update(_headline(total))
        rows[stage] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "stage"
    return frame


def _headline(e: pd.Series) -> dict:
    cats = e.index.get_level_values("category")
    items = e.index.get_level_values("item")
    mass = np.array([unit_of(c, i) == "t" for c, i in zip(cats, items)])
    return {"energy_tce": float(e[cats == "energy"].sum()),
            "water_t": float(e[cats == "water"].sum()),
            "materials_t": float(e[(cats == "material") & mass].sum()),
            "co2_t": float(e[cats == "co2"].sum()),
            "pollutants_t": float(e[(cats == "pollutant") & mass].sum()),
            "value_cny": float(e.get(("value", "total"), 0.0))}


def _summary(techs, saving_of, base_totals, solved) -> pd.DataFrame:
    rows = {t.key: _headline(saving_of[t.key]) for t in techs}
    total = sum((saving_of[t.key] for t in techs[1:]), saving_of[techs[0].key])
    rows["sum of singles"] = _headline(total)
    every = tuple(t.key for t in techs)
    if every in solved and solved[every].totals is not None:
        rows["all together"] = _headline(savings(base_totals, solved[every].totals))
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "key"
    return frame


def axis_value(e: pd.Series, axis: str) -> float:
    """The saving a view axis shows (see settings.VIEW_AXES)."""
    if axis.startswith(("pollutant:", "material:")):
        cat, item = axis.split(":", 1)
        return float(e.get((cat, item), 0.0))
    h = _headline(e)
    return {"energy": h["energy_tce"], "water": h["water_t"], "material": h["materials_t"],
            "co2": h["co2_t"], "pollutants": h["pollutants_t"],
            "emissions": h["co2_t"] + h["pollutants_t"], "value": h["value_cny"]}[axis]


def axis_title(axis: str) -> str:
    return {"energy": "energy conservation (tce)", "water": "water saving (t)",
            "material": "material saving (t)", "co2": "emission reduction: CO2 (t)",
            "pollutants": "emission reduction: pollutants (t)",
            "emissions": "emission reduction: CO2 and pollutants (t)",
            "value": "value (CNY)"}.get(axis, f"{axis} saved (t)")


def _figures(a: SynergyAnalysis) -> dict:
    """Headline figures (summary.json): value flow, system effects, classes, counts."""
    f: dict = {"synergy_technologies": len(a.technologies)}
    t = a.value_flow_totals
    for row in a.settings.value_flow:
        if row.name not in t.index:
            continue
        r = t.loc[row.name]
        s = f"value_flow_{row.slug}"
        for name, col in (("", "saving"), ("_stated", "stated"), ("_system", "saving_system"),
                          ("_tce", "tce"), ("_tce_stated", "tce_stated"), ("_cny", "value_cny"),
                          ("_cny_stated", "value_cny_stated")):
            if pd.notna(r[col]):
                f[s + name] = r[col]
    if "total" in t.index:
        f["synergy_value_cny"] = t.at["total", "value_cny"]
        f["synergy_value_cny_stated"] = t.at["total", "value_cny_stated"]
        f["synergy_tce"] = t.at["total", "tce"]
        f["synergy_tce_stated"] = t.at["total", "tce_stated"]
        water = [r.name for r in a.settings.value_flow if r.kind == "water" and r.name in t.index]
        if water:
            f["water_saving_t"] = float(t.loc[water, "saving"].sum())
            f["water_saving_t_stated"] = float(t.loc[water, "stated"].sum())
            f["water_saving_tce"] = float(t.loc[water, "tce"].sum())
    every = "all together" if "all together" in a.summary.index else "sum of singles"
    for col in ("energy_tce", "water_t", "materials_t", "co2_t", "value_cny"):
        f[f"system_{col}"] = float(a.summary.at[every, col])
        f[f"system_{col}_sum_of_singles"] = float(a.summary.at["sum of singles", col])
    for key, r in a.classes.iterrows():
        f[f"class_{key}"] = r["class"]
        for m in METHODS:
            f[f"class_{key}_{m}"] = r[f"class_{m}"]
        f[f"types_{key}"] = int(r["n_types"])
    for m in METHODS:
        f[f"pairs_{m}"] = int(a.pairs[m].sum())
    for stage, r in a.stages.iterrows():
        f[f"stage_class_{stage}"] = r[f"stage_class_{a.settings.class_basis}"]
    f["synergy_solves"] = a.solves
    f["synergy_factorisations"] = a.factorisations
    return {k: (float(v) if isinstance(v, (np.floating, np.integer)) and not isinstance(v, bool)
                else v) for k, v in f.items()}


__all__ = ["SynergyAnalysis", "Technology", "slug", "synergy_analysis"]
