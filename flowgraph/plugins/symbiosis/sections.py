"""Everything the symbiosis plugin says about a case, gathered into one Report: network
metrics, Finn cycling, removal analysis, candidate links and their optimal allocation (for
the case and its what-if scenarios), park GHG by scope, and the energy-infrastructure
mitigation scenarios (mitigation.py). The report is data: tables, cards, text and charts."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import CaseFileError
from ...model.report import Cards, FlowGraph, Report, Table, Text
from .allocation import allocate
from .data import Catalogue, load_catalogue, parameters
from .finn import finn
from .ghg import park_ghg
from .matching import candidates
from .metrics import centrality, cycles, keystone_firms, network_metrics
from .mitigation import GHG_UNITS, mitigation
from .park import park
from .resilience import resilience

#: tables of symbiosis_parameters.toml a case's [symbiosis] section may override
PARAMETER_TABLES = ("distance", "transport", "ghg", "keystone")
CANDIDATE_COLUMNS = ["source_firm", "target_firm", "carrier", "replaces", "ratio",
                     "distance_km", "within", "capacity", "capacity_basis", "waste_unit",
                     "benefit_per_unit", "co2_per_unit", "max_benefit", "max_co2"]
#: units of the candidate and allocation tables' columns (quantities in the waste's unit,
#: given per row)
CANDIDATE_UNITS = {"distance_km": "km", "benefit_per_unit": "CNY/waste unit",
                   "co2_per_unit": "t CO2/waste unit", "max_benefit": "CNY", "max_co2": "t CO2",
                   "benefit": "CNY", "co2": "t CO2", "ratio": "", "capacity": ""}
LINK_COLUMNS = ["source_firm", "target_firm", "carrier", "replaces", "quantity", "waste_unit",
                "replaced", "input_unit", "distance_km", "benefit", "co2", "capacity_basis"]


@dataclass(frozen=True)
class Matcher:
    """How candidate links are found and allocated: the substitution catalogue, the
    parameters, the distance limit, and what the allocation maximises."""

    catalogue: Catalogue
    params: dict
    max_km: float
    objective: str
    co2_price: float

    def candidates(self, p):
        """The candidate links of a park (matching.candidates)."""
        return candidates(p, self.catalogue, self.params, self.max_km)

    def allocate(self, cands):
        """The optimal allocation of candidates (allocation.allocate)."""
        return allocate(cands, objective=self.objective, co2_price=self.co2_price)


def symbiosis_report(case, options: dict, scenario: str | None = None) -> Report:
    """The symbiosis plugin's report on a case (or one scenario of it), with the options
    the plugin resolved (plugin.py)."""
    prm = parameters(_tables(case, options, PARAMETER_TABLES), case.origin("symbiosis"))
    max_km = options["max_distance_km"]
    matcher = Matcher(load_catalogue(_case_file(case, "catalogue", options["catalogue"])), prm,
                      float(prm["distance"]["max_km"] if max_km is None else max_km),
                      options["objective"], options["co2_price"])
    result = case.result(scenario)
    report = Report("symbiosis", title=f"{case.name} [{result.scenario}]: industrial symbiosis")
    figs: dict = {"case": case.name, "scenario": result.scenario}
    p = park(result)
    if p.L:
        _network(report, figs, p)
    elif p.S:
        figs.update({"actors": p.S, "links": 0})
        report.blocks.append(Text(
            "Network", f"{p.S} firm(s) and no exchange between them: no network metrics."))
    cands = matcher.candidates(p)
    if len(cands) or p.L:
        figs.update(_matching(report, matcher, cands)[0])
    for name in options["what_if"]:
        _what_if(report, figs, case, name, matcher, p)
    _ghg(report, figs, result, prm)
    energy = _tables(case, options, ("energy",))
    if energy:
        mitigation(report, figs, case, energy["energy"])
    report.figures = figs
    report.summary = _summary(figs)
    cards = [{"name": k, "value": v, "unit": ""} for k, v in figs.items()
             if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)]
    report.blocks.insert(0, Cards("Symbiosis: headline figures", cards))
    return report


def _tables(case, options: dict, keys) -> dict:
    """The tables of the [symbiosis] section among `keys` that the case gives."""
    out = {k: options[k] for k in keys if options[k] is not None}
    for key, value in out.items():
        if not isinstance(value, dict):
            raise CaseFileError(f"[symbiosis] {key} must be a table ([symbiosis.{key}]), not "
                                f"{value!r}", origin=case.origin("symbiosis"))
    return out


def _case_file(case, key, name):
    """A file the case names under `key`, inside its folder (None: use the shipped one)."""
    if not name:
        return None
    return str(case.folder("symbiosis", key).resolve(name))


def _network(report, figs, p) -> None:
    """Network metrics, Finn cycling, removal analysis, the firms and the park map."""
    m = network_metrics(p)
    fi = finn(p)
    res = resilience(p)
    figs.update(m)
    figs["finn_cycling_index"] = fi.index
    figs["finn_unknown_exchanges"] = fi.unknown_flows
    figs["most_critical_firm"] = res.index[0] if len(res) else None
    firms = p.firms.join(centrality(p))
    firms["keystone"] = firms.index.isin(keystone_firms(p))
    metrics = pd.DataFrame({"value": {k: (", ".join(map(str, v)) if isinstance(v, list) else v)
                                      for k, v in {**m, "finn_cycling_index": fi.index}.items()}})
    report.tables.update({"firms": firms, "exchanges": p.exchanges.drop(columns=["i", "j"]),
                          "links": p.links.drop(columns=["i", "j"]),
                          "finn": fi.compartments, "resilience": res,
                          "cycles": pd.DataFrame({"cycle": [" -> ".join(map(str, [*c, c[0]]))
                                                            for c in cycles(p)]})})
    report.blocks += [
        Table("Network metrics", metrics,
              note="Actors S are firms (sources and sinks are the environment); links L "
                   "are ordered pairs of firms with at least one exchange. Connectance "
                   "L/S^2 (directed) and 2L_u/(S(S-1)) (undirected); cyclicity is the "
                   "largest eigenvalue of the adjacency matrix; Finn's cycling index is "
                   "computed on the known quantities of the mass layer."),
        FlowGraph("Park map", p.result, options={"layout": "geographic"},
                  note="Firms at their latitude and longitude (north up); partners far "
                       "outside the park at the map's border with their distance; width "
                       "linear in the amount, one scale per unit."),
        Table("Firms", firms, note="Degree (links in and out), degree and betweenness "
              "centrality (networkx); keystone: degree >= mean + 1 sd.",
              units={"lat": "deg", "lon": "deg", "added_value": "CNY"}),
        Table("Exchanges", p.exchanges.drop(columns=["i", "j"]),
              note="Flows between firms with their provenance; quantity NaN = unknown.",
              units={"amount": {"mass": "t", "energy": "GJ"}.get(p.layer, "")},
              labels={"amount": "amount in the layer", "x_material": "material",
                      "x_start_year": "since", "x_qty_year": "year of the quantity",
                      "x_qty_ref": "quantity source"}),
        Table("Resilience by removal", res,
              note="Each firm leaving: links and exchanges lost, known flow lost, what "
                   "its suppliers must send back to disposal and what its customers "
                   "must buy instead; unknown quantities count as zero.",
              units={"links_lost_share": "", "flow_lost_share": ""}),
        Table("Finn cycling: compartments", fi.compartments,
              units={"n_ii": "", "cycling_efficiency": ""},
              labels={"n_ii": "N_ii (Finn)"}),
    ]


def _matching(report, matcher: Matcher, cands, prefix="", title=""):
    """Candidates and their allocation: tables and blocks; returns (figures, Allocation)."""
    alloc = matcher.allocate(cands)
    figs = {"candidates": int(len(cands)),
            "candidates_within": int(cands["within"].sum()) if len(cands) else 0,
            "allocated_links": int(len(alloc.links)),
            "allocation_benefit_cny": alloc.total_benefit,
            "allocation_co2_avoided_t": alloc.total_co2}
    report.tables[f"{prefix}candidates"] = cands
    report.tables[f"{prefix}allocation"] = alloc.links
    head = f"{title}: " if title else ""
    if len(cands):
        report.blocks.append(Table(
            f"{head}Candidate links", cands[CANDIDATE_COLUMNS],
            note=f"Wastes, by-products and surplus energy matched to other firms' purchases "
                 f"through the substitution catalogue; within = distance <= "
                 f"{matcher.max_km:g} km. Benefit per waste unit = avoided disposal + ratio x input price - transport "
                 f"- treatment (CNY).",
            units=CANDIDATE_UNITS))
        report.blocks.append(Table(
            f"{head}Optimal allocation", alloc.links[LINK_COLUMNS] if len(alloc.links)
            else pd.DataFrame({"status": [alloc.status]}),
            note=f"Linear program (HiGHS), objective {matcher.objective}: total benefit "
                 f"{alloc.total_benefit:,.0f} CNY, avoided CO2 {alloc.total_co2:,.1f} t per "
                 f"period.",
            units=CANDIDATE_UNITS))
    return figs, alloc


def _what_if(report, figs, case, name, matcher: Matcher, base_park) -> None:
    """A scenario in which firms join: the candidate links involving them, their allocation,
    and the network after the allocated links are made (solved with the case's solver)."""
    res = case.result(name)
    p = park(res)
    new = [f for f in p.actors if f not in base_park.actors]
    cands = matcher.candidates(p)
    involved = cands[cands["source_firm"].isin(new) | cands["target_firm"].isin(new)] \
        if new else cands
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    report.blocks.append(Text(
        f"What-if: {name}", f"New firm(s): {', '.join(map(str, new)) or 'none'}. The matcher "
        f"proposes {len(involved)} candidate link(s) involving them, "
        f"{int(involved['within'].sum()) if len(involved) else 0} within "
        f"{matcher.max_km:g} km."))
    sub, alloc = _matching(report, matcher, involved, prefix=f"whatif_{slug}_",
                           title=f"What-if {name}")
    after = res
    if len(alloc.links):
        scen = alloc.scenario(res, name=f"{name} + proposed links")
        after = case.solve(res.network.apply(scen), scenario=f"{name} + proposed links")
    m = network_metrics(after)
    sub.update({"new_firms": new, "actors_after": m["actors"], "links_after": m["links"],
                "connectance_after": m["connectance"],
                "finn_cycling_index_after": finn(after).index})
    figs.setdefault("what_if", {})[name] = sub


def _ghg(report, figs, result, prm) -> None:
    """The park's GHG account by scope, firm and sector, if the case has emission factors."""
    acc = park_ghg(result, prm)
    if not acc.items["category"].isin(["scope1_fuel", "scope1_process", "scope1_waste",
                                        "scope2_imported"]).any():
        return          # no emission factors in the case: transport alone is no account
    figs["ghg"] = acc.totals
    report.tables.update({"ghg_items": acc.items, "ghg_by_firm": acc.by_firm,
                          "ghg_by_sector": acc.by_sector})
    report.blocks += [
        Table("Park GHG by firm (t CO2e)", acc.by_firm,
              note="Scope 1 fuel/process/on-site waste, scope 2 imported electricity "
                   "and heat, scope 3 transport and off-site waste. scope2_internal "
                   "(electricity and heat from units inside the park) and upstream "
                   "(embodied in purchased materials) are shown but not in the total: "
                   "the park counts each tonne once.", units=GHG_UNITS),
        Table("Park GHG by sector (t CO2e)", acc.by_sector, units=GHG_UNITS),
    ]


def _summary(figs: dict) -> str:
    """The headline figures as the few lines the command prints."""
    lines = [f"symbiosis: {figs['case']} [{figs['scenario']}]"]
    for key in ("actors", "links", "exchanges", "link_density", "connectance",
                "connectance_undirected", "cyclicity", "finn_cycling_index",
                "most_critical_firm", "candidates", "allocated_links",
                "allocation_benefit_cny", "allocation_co2_avoided_t"):
        if key in figs:
            v = figs[key]
            lines.append(f"  {key}: {v:,.6g}" if isinstance(v, float) else f"  {key}: {v}")
    for key, v in figs.get("what_if", {}).items():
        lines.append(f"  what-if {key}: " + ", ".join(
            f"{k} {x:,.6g}" if isinstance(x, float) else f"{k} {x}" for k, x in v.items()))
    if "ghg" in figs:
        g = figs["ghg"]
        lines.append(f"  park GHG: scope 1 {g['scope1']:,.0f} t, scope 2 {g['scope2']:,.0f} t, "
                     f"scope 3 {g['scope3']:,.0f} t, total {g['total']:,.0f} t CO2e")
    for s, r in figs.get("energy_measures", {}).items():
        lines.append(f"  {s}: abates {r['abatement_t']:,.0f} t ({100 * r['abatement_share']:.1f} %"
                     f"), {r['cost_per_t']:,.1f} CNY/t")
    return "\n".join(lines)
