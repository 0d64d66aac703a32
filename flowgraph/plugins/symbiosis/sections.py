"""Everything the symbiosis plugin says about a case, gathered into one Report: network
metrics, Finn cycling, removal analysis, candidate links and their optimal allocation (for
the case and its what-if scenarios), park GHG by scope, and the energy-infrastructure
mitigation scenarios with their MAC curve."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...model.report import Report
from ...views.page import figure_section, figures_section, table_section, text_section
from .allocation import allocate
from .data import energy_data, load_catalogue, parameters
from .finn import finn
from .ghg import park_ghg
from .mac import mac_figure, mac_table
from .matching import candidates
from .measures import parse_measures, parse_policies
from .metrics import centrality, cycles, keystone_firms, network_metrics
from .park import park
from .resilience import resilience
from .stocknet import stock_network
from .vintage import VintageModel, units_from_network

CANDIDATE_COLUMNS = ["source_firm", "target_firm", "carrier", "replaces", "ratio",
                     "distance_km", "within", "capacity", "capacity_basis", "waste_unit",
                     "benefit_per_unit", "co2_per_unit", "max_benefit", "max_co2"]
LINK_COLUMNS = ["source_firm", "target_firm", "carrier", "replaces", "quantity", "waste_unit",
                "replaced", "input_unit", "distance_km", "benefit", "co2", "capacity_basis"]


def symbiosis_report(case, scenario: str | None = None, max_distance_km: float | None = None,
                     objective: str | None = None, co2_price: float | None = None) -> Report:
    """The symbiosis plugin's report on a case (or one scenario of it)."""
    section = case.section("symbiosis")
    prm = parameters({k: v for k, v in section.items() if k in ("distance", "transport", "ghg",
                                                                 "keystone")})
    max_km = float(max_distance_km if max_distance_km is not None
                   else section.get("max_distance_km", prm["distance"]["max_km"]))
    objective = objective or section.get("objective", "benefit")
    co2_price = float(co2_price if co2_price is not None else section.get("co2_price", 0.0))
    catalogue = load_catalogue(_case_file(case, section.get("catalogue")))
    result = case.result(scenario)
    report = Report("symbiosis", title=f"{case.name} [{result.scenario}]: industrial symbiosis")
    figs: dict = {"case": case.name, "scenario": result.scenario}
    p = park(result)
    if p.L:
        _network(report, figs, p)
    elif p.S:
        figs.update({"actors": p.S, "links": 0})
        report.sections.append(text_section(
            "Network", f"{p.S} firm(s) and no exchange between them: no network metrics."))
    cands = candidates(p, catalogue, prm, max_km)
    if len(cands) or p.L:
        figs.update(_matching(report, cands, objective, co2_price, max_km)[0])
    for name in section.get("what_if", []):
        _what_if(report, figs, case, name, catalogue, prm, max_km, objective, co2_price, p)
    _ghg(report, figs, result, prm)
    _energy(report, figs, case, section)
    report.figures = figs
    report.summary = _summary(figs)
    cards = [{"name": k, "value": v, "unit": ""} for k, v in figs.items()
             if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)]
    report.sections.insert(0, figures_section("Symbiosis: headline figures", cards))
    return report


def _case_file(case, name):
    if not name:
        return None
    return str(case.path / name) if case.path is not None else name


def _network(report, figs, p) -> None:
    m = network_metrics(p)
    fi = finn(p)
    res = resilience(p)
    figs.update({k: v for k, v in m.items()})
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
    report.sections += [
        table_section("Network metrics", metrics,
                      note="Actors S are firms (sources and sinks are the environment); links L "
                           "are ordered pairs of firms with at least one exchange. Connectance "
                           "L/S^2 (directed) and 2L_u/(S(S-1)) (undirected); cyclicity is the "
                           "largest eigenvalue of the adjacency matrix; Finn's cycling index is "
                           "computed on the known quantities of the mass layer."),
        figure_section("Park map", _map(p), note="Firms at their latitude and longitude "
                       "(equirectangular), links as lines; width ~ known quantity."),
        table_section("Firms", firms, note="Degree (links in and out), degree and betweenness "
                      "centrality (networkx); keystone: degree >= mean + 1 sd."),
        table_section("Exchanges", p.exchanges.drop(columns=["i", "j"]),
                      note="Flows between firms with their provenance; quantity NaN = unknown."),
        table_section("Resilience by removal", res,
                      note="Each firm leaving: links and exchanges lost, known flow lost, what "
                           "its suppliers must send back to disposal and what its customers "
                           "must buy instead; unknown quantities count as zero."),
        table_section("Finn cycling: compartments", fi.compartments),
    ]


def _matching(report, cands, objective, co2_price, max_km, prefix="", title=""):
    """Candidates and their allocation: tables, page sections; returns (figures, Allocation)."""
    alloc = allocate(cands, objective=objective, co2_price=co2_price)
    figs = {"candidates": int(len(cands)),
            "candidates_within": int(cands["within"].sum()) if len(cands) else 0,
            "allocated_links": int(len(alloc.links)),
            "allocation_benefit_cny": alloc.total_benefit,
            "allocation_co2_avoided_t": alloc.total_co2}
    report.tables[f"{prefix}candidates"] = cands
    report.tables[f"{prefix}allocation"] = alloc.links
    head = f"{title}: " if title else ""
    if len(cands):
        report.sections.append(table_section(
            f"{head}Candidate links", cands[CANDIDATE_COLUMNS],
            note=f"Wastes, by-products and surplus energy matched to other firms' purchases "
                 f"through the substitution catalogue; within = distance <= {max_km:g} km. "
                 f"Benefit per waste unit = avoided disposal + ratio x input price - transport "
                 f"- treatment (CNY)."))
        report.sections.append(table_section(
            f"{head}Optimal allocation", alloc.links[LINK_COLUMNS] if len(alloc.links)
            else pd.DataFrame({"status": [alloc.status]}),
            note=f"Linear program (HiGHS), objective {objective}: total benefit "
                 f"{alloc.total_benefit:,.0f} CNY, avoided CO2 {alloc.total_co2:,.1f} t per "
                 f"period."))
    return figs, alloc


def _what_if(report, figs, case, name, catalogue, prm, max_km, objective, co2_price,
             base_park) -> None:
    res = case.result(name)
    p = park(res)
    new = [f for f in p.actors if f not in base_park.actors]
    cands = candidates(p, catalogue, prm, max_km)
    involved = cands[cands["source_firm"].isin(new) | cands["target_firm"].isin(new)] \
        if new else cands
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    report.sections.append(text_section(
        f"What-if: {name}", f"New firm(s): {', '.join(map(str, new)) or 'none'}. The matcher "
        f"proposes {len(involved)} candidate link(s) involving them, "
        f"{int(involved['within'].sum()) if len(involved) else 0} within {max_km:g} km."))
    sub, alloc = _matching(report, involved, objective, co2_price, max_km,
                           prefix=f"whatif_{slug}_", title=f"What-if {name}")
    after = res
    if len(alloc.links):
        scen = alloc.scenario(res, name=f"{name} + proposed links")
        net = res.network.apply(scen)
        after = net.solve(strict=bool(net.meta.get("strict", True)),
                          scenario=f"{name} + proposed links")
    m = network_metrics(after)
    sub.update({"new_firms": new, "actors_after": m["actors"], "links_after": m["links"],
                "connectance_after": m["connectance"],
                "finn_cycling_index_after": finn(after).index})
    figs.setdefault("what_if", {})[name] = sub


def _ghg(report, figs, result, prm) -> None:
    acc = park_ghg(result, prm)
    if not acc.items["category"].isin(["scope1_fuel", "scope1_process", "scope1_waste",
                                        "scope2_imported"]).any():
        return          # no emission factors in the case: transport alone is no account
    figs["ghg"] = acc.totals
    report.tables.update({"ghg_items": acc.items, "ghg_by_firm": acc.by_firm,
                          "ghg_by_sector": acc.by_sector})
    report.sections += [
        table_section("Park GHG by firm (t CO2e)", acc.by_firm,
                      note="Scope 1 fuel/process/on-site waste, scope 2 imported electricity "
                           "and heat, scope 3 transport and off-site waste. scope2_internal "
                           "(electricity and heat from units inside the park) and upstream "
                           "(embodied in purchased materials) are shown but not in the total: "
                           "the park counts each tonne once."),
        table_section("Park GHG by sector (t CO2e)", acc.by_sector),
    ]


def _energy(report, figs, case, section) -> None:
    units = units_from_network(case.network)
    cfg = section.get("energy")
    if units.empty or cfg is None:
        return
    data = energy_data({k: v for k, v in cfg.items()
                        if k not in ("measure", "policy", "combination")})
    where = f"{case.path}: [symbiosis.energy] " if case.path else ""
    measures = parse_measures(cfg.get("measure", []), int(data["start_year"]), where)
    model = VintageModel(units, data, measures, parse_policies(cfg.get("policy", []), where))
    scenarios = {m.id: (m.id,) for m in measures}
    for combo in cfg.get("combination", []):
        ids = tuple(combo["measures"]) if isinstance(combo, dict) else tuple(combo)
        scenarios[" & ".join(ids)] = ids
    table, paths = model.evaluate(scenarios)
    table.insert(0, "name", [model.measures[s].name if s in model.measures else "combination"
                             for s in table.index])
    mac = mac_table(table)
    annual = pd.DataFrame({name: path.annual["co2"] for name, path in paths.items()})
    figs["energy_baseline_co2_t"] = table.attrs["baseline_co2"]
    figs["energy_measures"] = {s: {"abatement_t": r["abatement"],
                                   "abatement_share": r["abatement_share"],
                                   "cost_cny": r["cost"], "cost_per_t": r["cost_per_t"]}
                               for s, r in table.iterrows()}
    report.tables.update({"energy_units": model.units.drop(columns=["_origin"],
                                                           errors="ignore"),
                          "energy_scenarios": table, "energy_mac": mac,
                          "energy_annual_co2": annual,
                          "energy_baseline": paths["baseline"].annual})
    y0 = int(model.years[0])
    stock = stock_network(model, paths["baseline"], y0).solve()
    acc = park_ghg(stock)
    figs["energy_stock_ghg_first_year"] = acc.totals
    report.tables["energy_stock_ghg_by_firm"] = acc.by_firm
    report.sections += [
        table_section("Energy infrastructure: units", model.units.drop(
            columns=["_origin"], errors="ignore")),
        table_section("Mitigation scenarios against the baseline", table,
                      note=f"Horizon {int(model.years[0])}-{int(model.years[-1])}, discount rate "
                           f"{float(data.get('discount_rate', 0.0)):g}. Cost = discounted "
                           f"difference of fuel, O&M, follow-up and retrofit capex, policy "
                           f"costs minus electricity and heat revenues; cost_per_t = cost / "
                           f"abatement."),
        table_section("Marginal abatement cost curve (table)", mac),
        *([figure_section("Marginal abatement cost curve", mac_figure(mac))] if len(mac) else []),
        figure_section("Annual CO2 by scenario", _lines(annual)),
        table_section(f"Park GHG of the energy stock in {y0} (t CO2e)", acc.by_firm,
                      note="The baseline stock of the first year built as an ordinary park "
                           "network (stocknet.py), solved, and accounted by scope: its scope 1 "
                           "equals the vintage model's direct emissions of that year."),
    ]


def _lines(frame: pd.DataFrame):
    import plotly.graph_objects as go
    fig = go.Figure([go.Scatter(x=frame.index.tolist(), y=frame[c].tolist(), name=str(c),
                                mode="lines") for c in frame.columns])
    fig.update_layout(xaxis_title="year", yaxis_title="t CO2e", template="plotly_white")
    return fig


def _map(p):
    import plotly.graph_objects as go
    f = p.firms
    traces = []
    mx = max(float(np.nanmax(p.links["amount"].to_numpy(dtype=float), initial=0.0)), 1e-12)
    for _, lk in p.links.iterrows():
        a, b = f.loc[lk["source"]], f.loc[lk["target"]]
        if not all(np.isfinite([a["lat"], a["lon"], b["lat"], b["lon"]])):
            continue
        traces.append(go.Scatter(x=[a["lon"], b["lon"]], y=[a["lat"], b["lat"]], mode="lines",
                                 line={"width": 1 + 5 * float(lk["amount"]) / mx,
                                       "color": "#8aa4b8"},
                                 hoverinfo="text", showlegend=False,
                                 text=f"{lk['source']} -> {lk['target']}: {lk['carriers']}"))
    traces.append(go.Scatter(x=f["lon"].tolist(), y=f["lat"].tolist(), mode="markers+text",
                             text=[str(i) for i in f.index], textposition="top center",
                             marker={"size": 10, "color": "#1f6f8b"}, showlegend=False))
    fig = go.Figure(traces)
    lat = float(np.nanmean(f["lat"])) if f["lat"].notna().any() else 0.0
    fig.update_layout(xaxis_title="longitude", yaxis_title="latitude", template="plotly_white",
                      yaxis={"scaleanchor": "x", "scaleratio": 1 / max(np.cos(np.radians(lat)),
                                                                       0.1)})
    return fig


def _summary(figs: dict) -> str:
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
