"""The valuestream plugin: MFCA matrix, energy value streams, wastewater fee and measures.

Reads the case's [valuestream] section (its keys: OPTIONS):

    [valuestream]
    product = "product"                 # main product flow (unit indicators)
    carriers = ["fresh water", "electricity", "steam"]   # energy value streams (default: all
                                        # purchased energy and water carriers)
    water_layer = "water"               # physical water account (optional)
    discharges = ["discharge"]          # wastewater flows with conc_<pollutant> attributes (mg/L)
    measures = ["...", ...]             # scenarios that are improvement measures
    all_measures = "all measures"       # the scenario with all of them (optional)
    [valuestream.standards.NAME]        # discharge standards (mg/L) for over-standard fees
    COD = 100

and adds to `flowgraph run` (and `flowgraph valuestream CASE`) the MFCA matrix with loss
shares, the centres ranked by loss, one energy value stream table per carrier, effective and
ineffective CO2, the water account, the wastewater fee and the measures' effects. Case
figures may call its functions (figure_functions): good_output, per_t, purchased, margin,
wastewater_fee, energy_stream, co2_emissions, mfca_loss, standard_coal, ipcc_co2,
co2_per_unit.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import pandas as pd

from ..errors import ExpressionError, FlowgraphError, ModelError
from ..methods import conversions
from ..methods.discharge_fee import discharge_fee
from ..methods.energy_streams import (
    PARTS,
    SYSTEM,
    emissions_split,
    energy_value_stream,
    layer_account,
)
from ..model.report import Cards, Chart, Report, Table, Text
from ..solvers.mfca import flow_cost_matrix, loss_ranking, margin
from .base import Option, Plugin

SECTION = "valuestream"

OPTIONS = (
    Option("product", str, None, "main product flow: unit indicators also per t of it",
           metavar="FLOW"),
    Option("carriers", list, None, "carriers followed as energy value streams (default: all "
                                   "purchased energy and water carriers)", metavar="CARRIER"),
    Option("water_layer", str, None, "balance layer of the physical water account",
           metavar="LAYER"),
    Option("discharges", list, (), "wastewater flows with conc_<pollutant> attributes (mg/L), "
                                   "charged the discharge fee", metavar="FLOW"),
    Option("measures", list, (), "scenarios that are improvement measures",
           metavar="SCENARIO"),
    Option("all_measures", str, None, "the scenario with all the measures together",
           metavar="SCENARIO"),
    Option("standards", dict, None, "discharge standards by set name "
                                    "([valuestream.standards.NAME], pollutant = mg/L)",
           cli=False, data=True),
)


class ValueStreamPlugin(Plugin):
    """MFCA and energy value streams of doc 002, with the wastewater external damage cost."""

    name = "valuestream"
    section = SECTION
    summary = ("MFCA flow-cost matrix, energy value streams (money, tce, CO2), wastewater "
               "discharge fee and improvement measures")
    example = ("example:\n  flowgraph valuestream cases/iron_oxide_red --out out/valuestream\n"
               "  flowgraph run cases/iron_oxide_red   (includes these tables when the case "
               "has a [valuestream] section)")
    options = OPTIONS

    def run(self, case, options: dict, *, scenario: str | None = None,
            embedded: bool = False) -> Report:
        result = case.result(scenario)
        require_centres(case, result)
        standard_sets(case, options)
        report = Report(self.name, title=f"{case.name}: value streams [{result.scenario}]")
        tables = analyse(case, result, options)
        report.tables.update(tables)
        heads = headline(case, result, options, tables)
        report.figures.update({k: v["value"] for k, v in heads.items()})
        report.blocks = page_blocks(tables, list(heads.values()), options["carriers"])
        report.summary = "\n".join(f"{v['name']}: {v['value']:.6g} {v['unit']}"
                                   for v in heads.values())
        return report

    def figure_functions(self, case, result) -> dict:
        return figure_functions(case, result)


plugin = ValueStreamPlugin()


def require_centres(case, result) -> None:
    """Refuse a case without quantity centres: MFCA and the value streams follow cost through
    process nodes, and a case of utilities or sources alone has none to follow it through."""
    c = result.compiled
    if (c.node_kind == "process").any():
        return
    kinds = ", ".join(f"{n} {kind}" for kind, n in Counter(c.node_kind).items()) or "none"
    raise ModelError(f"value streams follow cost through quantity centres (process nodes); "
                     f"case '{case.name}' has none (nodes: {kinds}; flows: {c.n_flows})",
                     origin=case.origin())


# -- the page ----------------------------------------------------------------------------

_EXPLAIN = """MFCA: value entering a quantity centre is split between its outputs by the
allocation key (here the centre's key, e.g. iron content); the cost of negative products is
the centre's loss cost. Energy value stream: the same arithmetic for each energy carrier
alone, in money, standard coal and CO2; CO2 carried by good product is effective, by waste
ineffective. Water account: the water balance valued at the water price. Measures: each of
the case's improvement measures applied as a scenario and solved again."""


#: units and headers of the MFCA matrix's and the loss ranking's columns
MFCA_UNITS = {"material": "CNY", "energy": "CNY", "system": "CNY", "waste_management": "CNY",
              "total": "CNY", "share": "", "mass": "t", "tce": "tce", "co2": "t"}
MFCA_LABELS = {"material": "material cost", "energy": "energy cost", "system": "system cost",
               "waste_management": "waste management cost", "total": "total cost",
               "share": "share of the cost", "tce": "standard coal", "co2": "CO2"}
LOSS_UNITS = {**{k: "CNY" for k in ("carried_in", "purchased", "own_added", "positive", "loss",
                                    "loss_material", "loss_energy", "loss_system",
                                    "loss_waste_management")},
              "loss_share": "", "loss_tce": "tce", "loss_co2": "t", "rank": ""}


def page_blocks(tables: dict, heads: list, carriers) -> list:
    """The report's blocks: headline, MFCA, energy streams, water, fee, measures."""
    blocks = [
        Cards("Value stream: headline", heads),
        Table("MFCA flow-cost matrix with inputs, centres by loss", tables["mfca_matrix"],
              note="Per quantity centre, CNY by cost category: what is carried in from upstream "
                   "centres, purchased and added, and what leaves on positive and negative "
                   "products. 'share' of a negative row is the centre's loss share.",
              units=MFCA_UNITS, labels=MFCA_LABELS),
        Table("Centres ranked by loss cost", tables["loss_ranking"],
              note="Loss cost = cost of the negative products of the centre (CNY).",
              units=LOSS_UNITS),
        *stream_blocks(tables["energy_stream"], carriers),
        Table("Effective and ineffective CO2", tables["emissions"],
              note="t CO2 carried by good product vs by waste.",
              units={"emitted": "t", "effective": "t", "ineffective": "t",
                     "ineffective_share": ""})]
    if "water_account" in tables:
        price = tables["water_account"].attrs.get("price", 0.0)
        blocks.append(Table("Water account", tables["water_account"],
                            note=f"The water itself, not an allocation: t of water, and CNY "
                                 f"at {price:g} CNY/t.",
                            units={"new_input": "t", "carried_in": "t", "passed_on": "t",
                                   "lost": "t", "new_input_cost": "CNY",
                                   "carried_in_cost": "CNY", "passed_on_cost": "CNY",
                                   "lost_cost": "CNY"}))
    if "wastewater_fee" in tables:
        blocks.append(Table(
            "Wastewater external damage cost (discharge fee)", tables["wastewater_fee"],
            note="Load = volume x concentration; equivalents = load / equivalent value; "
                 "fee = rate x the three largest (doubled when over standard). Pollutants "
                 "without an equivalent value are listed, not charged.",
            units={"concentration": "mg/L", "load_kg": "kg", "equivalent_value": "kg",
                   "fee": "CNY", "factor": ""},
            labels={"id": "pollutant id", "name_zh": "name (Chinese)"}))
    if "measures" in tables:
        blocks.append(Table(
            "Improvement measures", tables["measures"],
            note="Each measure re-solved as a scenario: benefit = its margin minus the "
                 "base margin (万元/yr); indicators per t of good output.",
            units={"benefit_wan": "万元/yr", "published_benefit_wan": "万元/yr",
                   "fee_saving_wan": "万元/yr", "tce_per_t": "tce/t", "delta_tce_per_t": "tce/t",
                   "co2_per_t": "t/t", "delta_co2_per_t": "t/t",
                   "effective_energy_share": "", "delta_effective_energy_share": ""},
            labels={"published_benefit_wan": "benefit published",
                    "fee_saving_wan": "fee saving", "tce_per_t": "standard coal per t",
                    "delta_tce_per_t": "change of standard coal per t",
                    "co2_per_t": "CO2 per t", "delta_co2_per_t": "change of CO2 per t"}))
    blocks.append(Table("Unit indicators", tables["indicators"]))
    blocks.append(Text("How to read this", _EXPLAIN))
    return blocks


def stream_blocks(stream: pd.DataFrame, carriers) -> list:
    """One table per carrier (centres by attribute and part), then the chart of losses."""
    blocks = []
    for carrier in (carriers or stream.index.get_level_values("carrier").unique()):
        part = stream.xs(carrier, level="carrier")
        attrs = part.index.get_level_values("attribute").unique()
        wide = pd.concat({a: part.xs(a, level="attribute")[list(PARTS)] for a in attrs}, axis=1)
        blocks.append(Table(
            f"Energy value stream: {carrier}", wide,
            note="Per centre: newly input, carried in from upstream centres, passed to "
                 "positive products, lost with negative products; cost in CNY, tce, CO2 in "
                 "t. (system): purchased, and what reaches sinks on positive (effective) "
                 "and negative (ineffective) products.",
            units={"cost": "CNY", "tce": "tce", "co2": "t"}))
    blocks.append(loss_chart(stream))
    return blocks


def loss_chart(stream: pd.DataFrame) -> Chart:
    """Grouped bars: each carrier's cost lost with waste at each centre."""
    import plotly.graph_objects as go
    lost = stream.xs("cost", level="attribute")["negative"].drop(SYSTEM, level="centre")
    fig = go.Figure()
    for carrier in lost.index.get_level_values("carrier").unique():
        part = lost.xs(carrier, level="carrier")
        fig.add_bar(name=carrier, x=list(part.index), y=list(part.to_numpy() / 1e4))
    fig.update_layout(barmode="group", yaxis_title="万元 lost with negative products",
                      margin={"t": 20}, height=360)
    return Chart("Energy lost with waste, by centre", fig,
                 note="Each carrier's cost carried by the centre's negative products.",
                 height=380)


# -- the analysis (tables) ---------------------------------------------------------------

def analyse(case, result, settings: dict) -> dict:
    """Every table of the plugin for one result (settings: the plugin's resolved options)."""
    carriers = settings["carriers"]
    tables = {
        "mfca_matrix": flow_cost_matrix(result, inputs=True, sort="loss"),
        "loss_ranking": loss_ranking(result),
        "energy_stream": energy_value_stream(result, carriers),
        "emissions": emissions_split(result, carriers),
    }
    layer = settings["water_layer"]
    if layer:
        if layer not in result.compiled.layers:
            raise ModelError(f"[valuestream] water_layer '{layer}' is not a balance layer "
                             f"(layers: {', '.join(result.compiled.layers)})",
                             origin=case.origin("valuestream", "water_layer"))
        tables["water_account"] = layer_account(result, layer)
    fees = [fee(case, result, settings, flow).table.assign(flow=flow)
            for flow in settings["discharges"]]
    if fees:
        tables["wastewater_fee"] = pd.concat(fees).reset_index().set_index(["flow", "pollutant"])
    if settings["measures"]:
        tables["measures"] = measure_effects(case, settings)
    tables["indicators"] = _indicators(result, settings)
    return tables


def measure_effects(case, settings: dict) -> pd.DataFrame:
    """Per measure (and all together): benefit (万元/yr), published benefit, the change of the
    discharge fee and of the indicators, and the quantities saved, each by re-solving."""
    base = case.result()
    names = list(settings["measures"])
    if settings["all_measures"]:
        names.append(settings["all_measures"])
    b_fee = total_fee(case, base, settings)
    b_ind = conversions.unit_indicators(base)
    b_buy = conversions.purchases(base)
    b_eff = _effective_share(base, settings)
    rows = []
    for name in names:
        sc = case.scenario(name)
        r = case.result(name)
        ind = conversions.unit_indicators(r)
        buy = conversions.purchases(r).reindex(b_buy.index).fillna(0.0)
        row = {"measure": name, "centre": sc.meta.get("centre", ""),
               "benefit_wan": (margin(r) - margin(base)) / 1e4,
               "published_benefit_wan": sc.meta.get("published_benefit_wan"),
               "fee_saving_wan": (b_fee - total_fee(case, r, settings)) / 1e4,
               "tce_per_t": ind["tce per t"], "delta_tce_per_t": ind["tce per t"] - b_ind["tce per t"],
               "co2_per_t": ind["co2 per t"], "delta_co2_per_t": ind["co2 per t"] - b_ind["co2 per t"],
               "effective_energy_share": _effective_share(r, settings),
               "delta_effective_energy_share": _effective_share(r, settings) - b_eff}
        for carrier in settings["carriers"] or []:
            if carrier in b_buy.index:
                row[f"{carrier}_saved"] = b_buy.at[carrier, "quantity"] - buy.at[carrier, "quantity"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("measure")


def _indicators(result, settings) -> pd.DataFrame:
    cols = {"per t of good output": conversions.unit_indicators(result)}
    product = settings["product"]
    if product:
        cols[f"per t of '{product}'"] = conversions.unit_indicators(result, per=product)
    return pd.DataFrame(cols)


def _effective_share(result, settings) -> float:
    """Share of the energy carriers' cost that reaches sinks on positive products."""
    table = energy_value_stream(result, settings["carriers"], attributes=("cost",))
    sys = table.xs(SYSTEM, level="centre")
    bought = sys["new_input"].sum()
    return float(sys["positive"].sum() / bought) if bought else 0.0


def fee(case, result, settings, flow, standards=None):
    """The discharge fee of one flow; `standards` the name of a set of [valuestream.standards]
    or the standards themselves (pollutant -> mg/L)."""
    if isinstance(standards, str):
        sets = standard_sets(case, settings)
        if standards not in sets:
            raise ModelError(f"[{SECTION}.standards]: no standard set '{standards}' (sets: "
                             f"{', '.join(sets) or 'none'})", origin=case.origin(SECTION))
        standards = sets[standards]
    return discharge_fee(result, flow, standards)


def total_fee(case, result, settings, standards=None) -> float:
    """The discharge fee of every flow of `discharges` (CNY)."""
    return sum(fee(case, result, settings, f, standards).fee for f in settings["discharges"])


def standard_sets(case, settings) -> dict:
    """The discharge standards of [valuestream.standards] (set name -> pollutant -> mg/L),
    checked: tables of numbers >= 0."""
    sets = settings["standards"] or {}
    origin = case.origin(SECTION)
    if not isinstance(sets, dict) or not all(isinstance(s, dict) for s in sets.values()):
        raise ModelError(f"[{SECTION}.standards]: give tables of standards, "
                         f"[{SECTION}.standards.NAME] with pollutant = mg/L", origin=origin)
    for name, limits in sets.items():
        for pollutant, value in limits.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise ModelError(f"[{SECTION}.standards.{name}]: the standard of '{pollutant}' "
                                 f"is {value!r}; give mg/L as a number >= 0", origin=origin)
    return sets


def headline(case, result, settings, tables) -> dict:
    """A few figures of every value-stream run (name -> figure dict)."""
    heads = {}

    def add(name, value, unit):
        heads[name] = {"name": name, "value": float(value), "unit": unit}

    ind = conversions.unit_indicators(result)
    add("tce_per_t_good_output", ind["tce per t"], "tce/t")
    add("co2_t_per_t_good_output", ind["co2 per t"], "t/t")
    em = tables["emissions"]
    add("effective_co2_t", em.at["total", "effective"], "t")
    add("ineffective_co2_t", em.at["total", "ineffective"], "t")
    ranking = tables["loss_ranking"]
    if len(ranking):
        add("loss_cost_total_wan", ranking["loss"].sum() / 1e4, "万元")
    if settings["discharges"]:
        add("discharge_fee_wan", total_fee(case, result, settings) / 1e4, "万元")
    return heads


# -- figure functions --------------------------------------------------------------------

def figure_functions(case, result) -> dict:
    """Functions a case figure may call, bound to one result (see the module docstring).
    The [valuestream] options are read when a function first needs them."""
    settings = cache(lambda: plugin.resolve(case))
    funcs = {**indicator_functions(result), **stream_functions(case, result, settings),
             "standard_coal": conversions.standard_coal, "ipcc_co2": conversions.co2_ipcc,
             "co2_per_unit": conversions.co2_per_unit}
    return {name: _guard(name, fn) for name, fn in funcs.items()}


def indicator_functions(result) -> dict:
    """good_output, per_t, purchased and margin of one result."""

    def good_output(unit="t"):
        return conversions.good_output(result, unit)

    def per_t(what="tce", per=None, unit="t"):
        """Purchased tce, co2, cost or a carrier's quantity per t of good output (or of the
        product flow `per`)."""
        ind = conversions.unit_indicators(result, per=per, unit=unit)
        key = f"{what} per {unit}"
        if key not in ind.index:
            raise ExpressionError(f"per_t(): nothing called '{what}' (have: "
                                  f"{', '.join(k.rsplit(' per ', 1)[0] for k in ind.index)})")
        return float(ind[key])

    def purchased(carrier, column="quantity"):
        """A carrier's purchases: quantity (in the carrier's unit), cost, tce or co2."""
        table = conversions.purchases(result)
        if carrier not in table.index or column not in table.columns:
            raise ExpressionError(f"purchased(): no entry ({carrier}, {column}); carriers "
                                  f"bought: {', '.join(table.index)}")
        return float(table.at[carrier, column])

    return {"good_output": good_output, "per_t": per_t, "purchased": purchased,
            "margin": lambda: margin(result)}


def stream_functions(case, result, settings) -> dict:
    """wastewater_fee, energy_stream, co2_emissions and mfca_loss of one result; `settings`
    gives the plugin's options."""
    stream = cache(lambda: energy_value_stream(result, settings()["carriers"]))

    def wastewater_fee(flow=None, standards=None):
        flows = [flow] if flow else settings()["discharges"]
        if not flows:
            raise ExpressionError(f"wastewater_fee(): name a flow or list discharges in "
                                  f"[{SECTION}]")
        return float(sum(fee(case, result, settings(), f, standards).fee for f in flows))

    def energy_stream(carrier, centre=SYSTEM, part="negative", attribute="cost"):
        try:
            return float(stream().at[(carrier, attribute, centre), part])
        except KeyError:
            raise ExpressionError(f"energy_stream(): no entry ({carrier}, {attribute}, {centre}, "
                                  f"{part})") from None

    def co2_emissions(part="effective", carrier="total"):
        table = emissions_split(result, settings()["carriers"])
        try:
            return float(table.at[carrier, part])
        except KeyError:
            raise ExpressionError(f"co2_emissions(): no entry ({carrier}, {part})") from None

    def mfca_loss(centre, column="loss"):
        table = loss_ranking(result)
        try:
            return float(table.at[centre, column])
        except KeyError:
            raise ExpressionError(f"mfca_loss(): no entry ({centre}, {column})") from None

    return {"wastewater_fee": wastewater_fee, "energy_stream": energy_stream,
            "co2_emissions": co2_emissions, "mfca_loss": mfca_loss}


def _guard(name: str, fn):
    """`fn` with its model errors as ExpressionErrors that name the function."""
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ExpressionError:
            raise
        except FlowgraphError as exc:
            raise ExpressionError(f"{name}(): {exc}") from None
    call.__name__ = name
    return call
