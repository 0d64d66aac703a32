"""Candidate links and their optimal allocation on small instances solved by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.plugins import symbiosis as sym
from flowgraph.solvers.conservation import assert_conserved

R = 6371.0088
KM_PER_TENTH_DEGREE = R * math.radians(0.1)        # on the equator: 11.1195 km

CATALOGUE = """waste,waste_aliases,waste_unit,replaces,replaces_aliases,input_unit,ratio,mode,treatment_cost,disposal_cost,input_price,input_co2,disposal_co2,source,note
FGD gypsum,desulphurisation gypsum,t,natural gypsum,gypsum,t,1.0,road,15,30,80,0.01,0.0,test,test
carbide slag,,t,limestone,,t,1.35,road,20,30,40,0.44,0.0,test,test
treated wastewater,,t,cooling water,,t,1.0,pipe,1,1,4,0.0002,0.0,test,test
"""
PARAMS = {"distance": {"max_km": 32.6, "detour_factor": 1.0, "earth_radius_km": R},
          "transport": {"road": {"unit": "t", "cost": 0.5, "co2": 0.0001},
                        "pipe": {"unit": "t", "cost": 0.05, "co2": 0.0}}}


@pytest.fixture
def catalogue(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    return sym.load_catalogue(path)


def park(board_lon: float = 0.1, demand: float = 60.0, unit: str = "t"):
    net = fg.Network("park")
    net.add_node("market", kind="source")
    net.add_node("landfill", kind="sink")
    net.add_node("power", firm="Power", lat=0.0, lon=0.0, layers=[])
    net.add_node("board", firm="Board", lat=0.0, lon=board_lon, layers=[])
    net.add_flow("power", "landfill", "FGD gypsum", quantity=50.0, unit="t", role="waste",
                 disposal_cost=40.0, id="gypsum out")
    net.add_flow("market", "board", "natural gypsum", quantity=demand, unit=unit, price=90.0,
                 id="gypsum in")
    net.add_node("customers", kind="sink")
    net.add_flow("board", "customers", "plasterboard", quantity=100.0, unit="t")
    return net


def test_haversine_by_hand():
    assert sym.haversine_km(0.0, 0.0, 0.0, 0.1, R) == pytest.approx(KM_PER_TENTH_DEGREE)
    # a quarter meridian: pi/2 R
    assert sym.haversine_km(0.0, 5.0, 90.0, 5.0, R) == pytest.approx(math.pi / 2 * R)
    assert np.isnan(sym.haversine_km(np.nan, 0.0, 0.0, 0.0))


def test_candidate_benefit_and_co2_by_hand(catalogue):
    c = sym.candidates(park().solve(), catalogue, PARAMS)
    assert len(c) == 1
    row = c.iloc[0]
    d = KM_PER_TENTH_DEGREE
    assert row["distance_km"] == pytest.approx(d)
    # network prices win over the catalogue's: disposal 40 (flow attribute), input 90 (price)
    benefit = 40.0 + 1.0 * 90.0 - 0.5 * d - 15.0
    co2 = 1.0 * 0.01 + 0.0 - 0.0001 * d
    assert row["benefit_per_unit"] == pytest.approx(benefit)
    assert row["co2_per_unit"] == pytest.approx(co2)
    assert row["capacity"] == pytest.approx(50.0)            # min(50, 60 / 1)
    assert row["max_benefit"] == pytest.approx(50.0 * benefit)
    assert bool(row["within"])


def test_units_are_converted_to_the_catalogues(catalogue):
    """The same demand in 万t (0.006 万t = 60 t) gives the same candidate."""
    a = sym.candidates(park().solve(), catalogue, PARAMS).iloc[0]
    b = sym.candidates(park(demand=0.006, unit="万t").solve(), catalogue, PARAMS).iloc[0]
    assert b["demand"] == pytest.approx(60.0)
    # a flow's price is per its own unit: 90 CNY per 万t is 0.009 CNY per catalogue t
    assert b["input_price"] == pytest.approx(90.0 / 1e4)
    assert b["capacity"] == pytest.approx(a["capacity"])
    assert b["distance_km"] == pytest.approx(a["distance_km"])


def test_distance_limit(catalogue):
    far = sym.candidates(park(board_lon=1.0).solve(), catalogue, PARAMS)
    assert far["distance_km"].iloc[0] == pytest.approx(10 * KM_PER_TENTH_DEGREE)
    assert not far["within"].iloc[0]                           # 111 km > 32.6 km
    assert sym.allocate(far).links.empty
    wide = sym.candidates(park(board_lon=1.0).solve(), catalogue, PARAMS, max_distance_km=150)
    assert wide["within"].iloc[0]


def candidates_frame(benefit, supply, demand, ratio=None):
    """Candidates of supplies s_i and demands d_j from matrices of benefit per unit."""
    rows = []
    for i, s in enumerate(supply):
        for j, d in enumerate(demand):
            if benefit[i][j] is None:
                continue
            r = 1.0 if ratio is None else ratio[i][j]
            rows.append({"supply_flow": f"s{i + 1}", "demand_flow": f"d{j + 1}", "ratio": r,
                         "supply": s, "demand": d, "capacity": np.fmin(s, d / r),
                         "within": True, "benefit_per_unit": benefit[i][j],
                         "co2_per_unit": 1.0})
    return pd.DataFrame(rows)


def test_allocation_transportation_problem_by_hand():
    """max 10 y11 + 8 y12 + 9 y21 + 3 y22, supplies 100 and 50, demands 80 and 60.
    Optimum y = (40, 60, 40, 0), 1240: duals u = (1, 0) on supplies, v = (9, 7) on demands
    are feasible (u1 + v1 = 10, u1 + v2 = 8, u2 + v1 = 9, u2 + v2 = 7 >= 3)."""
    c = candidates_frame([[10, 8], [9, 3]], [100.0, 50.0], [80.0, 60.0])
    a = sym.allocate(c)
    y = a.links.set_index(["supply_flow", "demand_flow"])["quantity"]
    assert a.total_benefit == pytest.approx(1240.0)
    assert y[("s1", "d1")] == pytest.approx(40.0)
    assert y[("s1", "d2")] == pytest.approx(60.0)
    assert y[("s2", "d1")] == pytest.approx(40.0)
    assert ("s2", "d2") not in y.index
    assert a.total_co2 == pytest.approx(140.0)


def test_allocation_with_a_ratio_and_an_unknown_side():
    # one t of waste replaces 2 t of input: 60 t of demand take 30 t of the 100 t supply
    c = candidates_frame([[5.0]], [100.0], [60.0], ratio=[[2.0]])
    a = sym.allocate(c)
    assert a.links["quantity"].iloc[0] == pytest.approx(30.0)
    assert a.links["replaced"].iloc[0] == pytest.approx(60.0)
    # demand unknown: the supply bounds it; both unknown: no capacity, not allocated
    c = candidates_frame([[5.0], [4.0]], [100.0, np.nan], [np.nan])
    a = sym.allocate(c)
    assert a.links["supply_flow"].tolist() == ["s1"]
    assert a.links["quantity"].iloc[0] == pytest.approx(100.0)
    # a loss-making candidate is never made
    assert sym.allocate(candidates_frame([[-1.0]], [10.0], [10.0])).links.empty


def test_allocation_by_co2_and_with_a_carbon_price():
    c = candidates_frame([[10, 8]], [50.0], [50.0, 50.0])
    c["co2_per_unit"] = [0.1, 0.5]
    assert sym.allocate(c).links["demand_flow"].tolist() == ["d1"]
    assert sym.allocate(c, objective="co2").links["demand_flow"].tolist() == ["d2"]
    # at 10 CNY/t CO2: 10 + 1 < 8 + 5
    assert sym.allocate(c, co2_price=10.0).links["demand_flow"].tolist() == ["d2"]
    with pytest.raises(fg.FlowgraphError, match="objective"):
        sym.allocate(c, objective="profit")


def test_accepting_the_allocation_gives_a_scenario_of_the_park(catalogue):
    net = park()
    r = net.solve()
    a = sym.allocate(sym.candidates(r, catalogue, PARAMS))
    after = net.apply(a.scenario(r)).solve()
    assert_conserved(after)
    q = after.flows["quantity"]
    assert q["gypsum out"] == pytest.approx(0.0)            # all 50 t now used
    assert q["gypsum in"] == pytest.approx(10.0)            # 60 - 50 bought
    link = after.flows[after.flows["target"].eq("board") & after.flows["source"].eq("power")]
    assert link["quantity"].tolist() == pytest.approx([50.0])
    assert sym.links(after) == 1


def test_two_parallel_supplies_make_two_links(catalogue):
    """Two gypsum flows from the power plant to the landfill (the fuzzer's repeated edit)
    each linked to the board plant: two link flows of their own ids, both made (the second
    was refused as a duplicate id)."""
    net = park(demand=120.0)
    net.add_flow("power", "landfill", "FGD gypsum", quantity=30.0, unit="t", role="waste",
                 disposal_cost=40.0, id="gypsum out 2")
    r = net.solve()
    a = sym.allocate(sym.candidates(r, catalogue, PARAMS))
    assert len(a.links) == 2
    after = net.apply(a.scenario(r)).solve()
    assert_conserved(after)
    link = after.flows[after.flows["target"].eq("board") & after.flows["source"].eq("power")]
    assert len(set(link.index)) == 2
    assert sorted(link["quantity"]) == pytest.approx([30.0, 50.0])
    assert after.flows.loc["gypsum in", "quantity"] == pytest.approx(40.0)


def test_links_follow_a_share_specification(catalogue):
    """A supply given as a share of its firm's inflow: the link takes its part as a share,
    so the balance of the supplier still closes."""
    net = fg.Network("shares")
    net.add_node("market", kind="source")
    net.add_node("landfill", kind="sink")
    net.add_node("stack", kind="sink")
    net.add_node("power", firm="Power", lat=0.0, lon=0.0)
    net.add_node("cement", firm="Cement", lat=0.0, lon=0.05, layers=[])
    net.add_flow("market", "power", "limestone slurry", quantity=1000.0, unit="t")
    net.add_flow("power", "landfill", "FGD gypsum", share=0.1, role="waste", id="gyp")
    net.add_flow("power", "stack", "flue gas", role="emission")
    net.add_flow("market", "cement", "natural gypsum", quantity=30.0, price=80.0, id="buy")
    net.add_node("customers", kind="sink")
    net.add_flow("cement", "customers", "cement", quantity=500.0)
    r = net.solve()
    a = sym.allocate(sym.candidates(r, catalogue, PARAMS))
    assert a.links["quantity"].iloc[0] == pytest.approx(30.0)
    after = net.apply(a.scenario(r)).solve()
    assert_conserved(after)
    assert after.flows.loc["gyp", "quantity"] == pytest.approx(70.0)
    assert after.flows.loc["buy", "quantity"] == pytest.approx(0.0)


def test_catalogue_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(CATALOGUE.replace("1.35,road", "-1,road"), encoding="utf-8")
    with pytest.raises(fg.CaseFileError, match=r"bad\.csv:3: ratio"):
        sym.load_catalogue(bad)
    mixed = tmp_path / "mixed.csv"
    extra = CATALOGUE.splitlines()[1].replace(",t,natural gypsum", ",kg,natural gypsum")
    mixed.write_text(CATALOGUE + extra + "\n", encoding="utf-8")
    with pytest.raises(fg.CaseFileError, match=r"mixed\.csv:5: 'FGD gypsum' is measured in more"):
        sym.load_catalogue(mixed)
    short = tmp_path / "short.csv"
    short.write_text("waste,replaces\nfly ash,clay\n", encoding="utf-8")
    with pytest.raises(fg.CaseFileError, match="lacks column"):
        sym.load_catalogue(short)


def test_shipped_catalogue_loads_and_knows_the_issue_substitutions():
    cat = sym.load_catalogue()
    pairs = set(zip(cat.frame["waste"], cat.frame["replaces"]))
    for pair in [("fly ash", "clay"), ("FGD gypsum", "natural gypsum"),
                 ("carbide slag", "limestone"), ("carbide slag", "lime"),
                 ("surplus steam", "process steam"), ("waste heat", "district heat"),
                 ("treated wastewater", "cooling water"), ("treated wastewater", "process water"),
                 ("sludge", "fertiliser"), ("sulphur", "sulphur"),
                 ("methyl chloride", "methyl chloride")]:
        assert pair in pairs, pair
    assert (cat.frame["source"].str.len() > 0).all()
    assert cat.canonical(["粉煤灰", "Biosludge", "ore"], "waste").tolist() == \
        ["fly ash", "sludge", None]
