"""The synergy plugin on small networks: every expected number is worked out by hand here."""

import itertools

import pytest

import flowgraph as fg
from flowgraph.app.case import Case
from flowgraph.plugins.synergy import analyse, classify, load_rules
from flowgraph.plugins.synergy.combinations import structural
from flowgraph.plugins.synergy.effects import SAVINGS


def technology(name, stage, edits, **meta):
    return fg.Scenario(name, edits, technology=True, stage=stage, **meta)


def case_of(net, scenarios, section=None):
    return Case(net, {s.name: s for s in scenarios}, [], {"synergy": section or {}}, None)


# -- a works with purchased coal, water and ore -------------------------------------------------

def works():
    net = fg.Network("works")
    net.add_carrier("coal", "energy", "t", tce="0.7143 tce/t", co2="2.0 t/t", price=500)
    net.add_carrier("water", "water", "t", price=3)
    net.add_carrier("ore", "material", "t", price=100, co2=0.5)
    net.add_node("market", kind="source")
    net.add_node("waterworks", kind="source")
    net.add_node("plant")
    net.add_node("customers", kind="sink")
    net.add_node("river", kind="sink")
    net.add_flow("market", "plant", "ore", quantity=100, id="ore")
    net.add_flow("market", "plant", "coal", per=("ore", 0.2), id="coal")
    net.add_flow("waterworks", "plant", "water", quantity=50, id="water")
    net.add_flow("plant", "customers", "product", quantity=90, id="product")
    net.add_flow("plant", "river", "wastewater", role="emission", id="wastewater")
    return net


@pytest.fixture
def works_case():
    coal = technology("coal saver", "utilisation", [fg.Edit.set_flow("coal", per=("ore", 0.15))],
                      key="A")
    water = technology("water reuse", "input", [fg.Edit.set_flow("water", quantity=30)], key="B",
                       links=["A"])
    return case_of(works(), [coal, water])


def test_effects_are_recovered_exactly(works_case):
    a = analyse(works_case)
    e = a.effects.set_index(["key", "category", "item"])["saving"]
    # coal saver: 0.05 t coal per t ore x 100 t ore = 5 t coal
    assert e[("A", "energy", "tce")] == pytest.approx(5 * 0.7143)
    assert e[("A", "co2", "t")] == pytest.approx(5 * 2.0)
    assert e[("A", "value", "energy")] == pytest.approx(5 * 500)
    assert e[("A", "water", "t")] == 0
    # water reuse: 20 t less water, and the wastewater (it closes the plant's balance) 20 t less
    assert e[("B", "water", "t")] == pytest.approx(20)
    assert e[("B", "pollutant", "wastewater")] == pytest.approx(20)
    assert e[("B", "value", "water")] == pytest.approx(60)
    assert e[("B", "energy", "tce")] == 0
    s = a.summary
    assert s.at["all together", "value_cny"] == pytest.approx(2500 + 60)


def test_single_technology_synergy_types(works_case):
    syn = analyse(works_case).synergy
    assert syn.at["A", "types"] == "energy conservation + emission reduction"
    assert syn.at["B", "types"] == "water saving + emission reduction"
    assert syn.at["A", "n_types"] == syn.at["B", "n_types"] == 1
    assert not syn.at["A", "water"] and not syn.at["B", "energy"]


def test_independent_technologies_do_not_interact(works_case):
    a = analyse(works_case)
    assert not a.pairs.loc[("A", "B"), "interaction"]
    assert not a.interactions["significant"].any()
    assert a.pairs.loc[("A", "B"), "declared"]          # B declares the link
    # both re-size a flow into the one plant: the graph links them, their effects still add up
    assert a.pairs.loc[("A", "B"), "structural_detail"] == "both act on plant"


# -- a boiler whose desulfurisation lime follows its fuel: a designed overlap ---------------------

def boiler():
    net = fg.Network("boiler")
    net.add_carrier("fuel", "energy", "t", tce="0.5 tce/t", co2="1.5 t/t", price=200)
    net.add_carrier("lime", "material", "t", price=300, co2=0.75)
    net.add_carrier("heat", "energy", "GJ")
    net.add_node("market", kind="source")
    net.add_node("boiler", kind="utility", layers=[], allocation="energy")
    net.add_node("users", kind="sink")
    net.add_flow("boiler", "users", "heat", quantity=1000, id="heat")
    net.add_flow("market", "boiler", "fuel", per=("heat", 0.1), id="fuel")
    net.add_flow("market", "boiler", "lime", per=("fuel", 0.02), id="lime")
    return net


def test_a_designed_interaction_is_found():
    better = technology("better burner", "utilisation",
                        [fg.Edit.set_flow("fuel", per=("heat", 0.08))], key="C")
    slag = technology("slag for lime", "output", [fg.Edit.remove_flow("lime")], key="D")
    a = analyse(case_of(boiler(), [better, slag]))
    inter = a.interactions.set_index(["subset", "category", "item"])
    # C saves 20 t fuel and 0.4 t lime; D saves all 2 t lime; together 20 t fuel and 2 t lime
    row = inter.loc[("C + D", "material", "lime")]
    assert row["sum_of_singles"] == pytest.approx(0.4 + 2.0)
    assert row["combined"] == pytest.approx(2.0)
    assert row["interaction"] == pytest.approx(-0.4)
    assert row["significant"]
    assert inter.loc[("C + D", "co2", "t"), "interaction"] == pytest.approx(-0.4 * 0.75)
    assert ("C + D", "energy", "tce") not in inter.index or \
        inter.loc[("C + D", "energy", "tce"), "interaction"] == pytest.approx(0)
    p = a.pairs.loc[("C", "D")]
    assert p["interaction"] and p["interaction_sign"] == "overlap"
    assert "lime -0.4 t" in p["interaction_detail"]
    # a tolerance larger than the overlap (0.4 of 2.4 t is 17 %) hides it
    assert not analyse(case_of(boiler(), [better, slag]), interaction_rtol=0.2).pairs.loc[
        ("C", "D"), "interaction"]


# -- collection and recovery in series: a reinforcing pair ----------------------------------------

def recovery_plant():
    """P: feed (closes) -> product 100 t; 10 % of its inflow T is waste collected to the yard S,
    10 % goes straight to the landfill; S returns 20 % of what it gets to P, the rest is
    landfilled. T = 100 / 0.8 = 125 and feed = T (1 - c r) with c = 0.1 collected, r = 0.2."""
    net = fg.Network("recovery")
    net.add_carrier("ore", "material", "t", price=10)
    net.add_node("market", kind="source")
    net.add_node("P")
    net.add_node("S")
    net.add_node("customers", kind="sink")
    net.add_node("landfill", kind="sink")
    net.add_flow("market", "P", "ore", id="feed")
    net.add_flow("P", "customers", "product", quantity=100, id="product")
    net.add_flow("P", "S", "waste", share=0.1, role="waste", id="collected")
    net.add_flow("P", "landfill", "waste", share=0.1, role="waste", id="dumped")
    net.add_flow("S", "P", "waste", share=0.2, role="recycle", id="recovered")
    net.add_flow("S", "landfill", "waste", role="waste", id="residue")
    return net


def test_one_collects_what_the_other_recovers():
    collect = technology("collect all waste", "output", [
        fg.Edit.set_flow("collected", share=0.2), fg.Edit.set_flow("dumped", share=0.0)], key="R")
    recover = technology("recover more", "input",
                         [fg.Edit.set_flow("recovered", share=0.6)], key="U")
    a = analyse(case_of(recovery_plant(), [collect, recover]))
    e = a.effects.set_index(["key", "category", "item"])["saving"]
    base = 125 * (1 - 0.1 * 0.2)                       # 122.5 t of ore
    assert e[("R", "material", "ore")] == pytest.approx(base - 125 * (1 - 0.2 * 0.2))   # 2.5
    assert e[("U", "material", "ore")] == pytest.approx(base - 125 * (1 - 0.1 * 0.6))   # 5
    inter = a.interactions.set_index(["subset", "category", "item"])
    # together 125 (1 - 0.12) = 110: 12.5 saved, 5 more than 2.5 + 5 = 125 x 0.1 x 0.4
    assert inter.loc[("R + U", "material", "ore"), "combined"] == pytest.approx(12.5)
    assert inter.loc[("R + U", "material", "ore"), "interaction"] == pytest.approx(5.0)
    assert inter.loc[("R + U", "pollutant", "waste"), "interaction"] == pytest.approx(5.0)
    p = a.pairs.loc[("R", "U")]
    assert p["interaction"] and p["interaction_sign"] == "reinforcing"
    assert p["structural"] and p["structural_detail"] == "both act on P, S"


def test_structural_link_on_a_shared_loop_only():
    """a -> b and c -> d exist; X adds b -> c, Y adds d -> a: neither closes a loop alone, their
    units differ, and together they make the loop a-b-c-d. Z works elsewhere."""
    net = fg.Network("ring")
    net.add_node("src", kind="source")
    net.add_node("out", kind="sink")
    for n in "abcde":
        net.add_node(n)
    net.add_flow("src", "a", "m", quantity=10, id="in_a")
    net.add_flow("a", "b", "m", id="ab")
    net.add_flow("src", "c", "m", quantity=5, id="in_c")
    net.add_flow("c", "d", "m", id="cd")
    net.add_flow("b", "out", "m", id="b_out")
    net.add_flow("d", "out", "m", id="d_out")
    net.add_flow("src", "e", "m", quantity=1, id="in_e")
    net.add_flow("e", "out", "m", id="e_out")
    x = technology("X", "input", [fg.Edit.add_flow("b", "c", "m", share=0.5, id="bc")], key="X")
    y = technology("Y", "output", [fg.Edit.add_flow("d", "a", "m", share=0.5, id="da")], key="Y")
    z = technology("Z", "output", [fg.Edit.set_flow("in_e", quantity=0.5)], key="Z")
    a = analyse(case_of(net, [x, y, z]))
    assert a.synergy.at["X", "footprint"] == "b, c"
    assert a.synergy.at["Y", "footprint"] == "a, d"
    assert a.synergy.at["X", "loop"] == "" and a.synergy.at["Y", "loop"] == ""
    p = a.pairs
    assert p.loc[("X", "Y"), "structural"]
    assert p.loc[("X", "Y"), "structural_detail"] == "one loop through a, b, c, d"
    assert not p.loc[("X", "Z"), "structural"] and not p.loc[("Y", "Z"), "structural"]


# -- the classification rule of doc 000 table 1 ---------------------------------------------------

@pytest.mark.parametrize("n_types,inter", list(itertools.product(range(5), (False, True))))
def test_classification_rule_on_every_combination(n_types, inter):
    expected = "none" if n_types == 0 else "good" if n_types >= 2 else \
        ("general" if inter else "poor")
    assert classify(n_types, inter, load_rules()) == expected


def test_a_case_rule_table_replaces_doc_000s(tmp_path):
    """DOMAIN.md's reading (good needs inter-technology synergy too) as a case's own table."""
    path = tmp_path / "rules.csv"
    path.write_text("rule,min_types,max_types,inter_technology,class,score\n"
                    "1,2,,yes,good,3\n2,1,1,yes,general,2\n3,1,,no,poor,1\n", encoding="utf-8")
    rules = load_rules(str(path))
    assert classify(2, True, rules) == "good"
    assert classify(3, False, rules) == "poor"
    assert classify(0, True, rules) == "unclassified"


def test_type_count_follows_thresholds():
    """The boiler's better burner saves 20 t fuel (10 tce, 30 t CO2) and 0.4 t lime: with no
    threshold that is two types (energy, material); a 1 t material threshold leaves one."""
    better = technology("better burner", "utilisation",
                        [fg.Edit.set_flow("fuel", per=("heat", 0.08))], key="C")
    a = analyse(case_of(boiler(), [better]))
    assert a.synergy.at["C", "n_types"] == 2
    assert a.classes.at["C", "class_declared"] == "good"
    a = analyse(case_of(boiler(), [better], {"thresholds": {"material": "1 t"}}))
    assert a.synergy.at["C", "types"] == "energy conservation + emission reduction"
    assert a.classes.at["C", "class_declared"] == "poor"
    assert set(SAVINGS) == {"energy", "water", "material"}


# -- factorisations are reused when technologies only move known quantities ----------------------

def loop_plant():
    """P passes 90 % of its inflow to Q and loses 10 %; Q returns half to P and sells half: the
    balances are a 2 x 2 block (P's and Q's inflows) that must be factorised."""
    net = fg.Network("loop")
    net.add_carrier("ore", "material", "t", price=10)
    net.add_carrier("water", "water", "t", price=3)
    net.add_node("market", kind="source")
    net.add_node("P")
    net.add_node("Q")
    net.add_node("customers", kind="sink")
    net.add_node("landfill", kind="sink")
    net.add_flow("market", "P", "ore", quantity=100, id="ore")
    net.add_flow("market", "P", "water", quantity=50, id="water")
    net.add_flow("P", "Q", "m", share=0.9, id="pq")
    net.add_flow("P", "landfill", "m", share=0.1, role="waste", id="loss")
    net.add_flow("Q", "P", "m", share=0.5, role="recycle", id="qp")
    net.add_flow("Q", "customers", "m", share=0.5, id="sold")
    return net


def test_full_factorial_reuses_one_factorisation():
    techs = [technology(f"less ore {k}", "input", [fg.Edit.set_flow("ore", quantity=q)], key=k)
             for k, q in (("a", 90), ("b", 80), ("c", 70))]
    techs.append(technology("less water", "input", [fg.Edit.set_flow("water", quantity=40)],
                            key="w"))
    case = case_of(loop_plant(), techs)
    assert not any(structural(t, case.network) for t in _techs(case))
    a = analyse(case, factorial=True)
    assert a.solves == 1 + 2 ** 4 - 1                  # the base and every non-empty subset
    assert a.factorisations == 1
    # 'a' and 'b' set the same flow: the later edit wins, so together they save as 'b' alone
    inter = a.interactions.set_index(["subset", "category", "item"])
    assert inter.loc[("a + b", "material", "ore"), "combined"] == pytest.approx(20)
    assert inter.loc[("a + b", "material", "ore"), "interaction"] == pytest.approx(20 - 10 - 20)
    # the loss is 10 % of P's inflow T, T = in + 0.45 T: 1 t less bought, 0.1 / 0.55 t less lost
    e = a.effects.set_index(["key", "category", "item"])["saving"]
    assert e[("w", "pollutant", "m")] == pytest.approx(10 * 0.1 / 0.55)
    assert a.interactions["order"].max() == 4


def test_a_structural_technology_needs_its_own_factorisation():
    more_loss = technology("leakier", "output", [fg.Edit.set_flow("loss", share=0.2),
                                                 fg.Edit.set_flow("pq", share=0.8)], key="L")
    less_ore = technology("less ore", "input", [fg.Edit.set_flow("ore", quantity=90)], key="a")
    case = case_of(loop_plant(), [more_loss, less_ore])
    assert [structural(t, case.network) for t in _techs(case)] == [True, False]
    a = analyse(case)
    # base; 'a' (reuses the base's); 'L' and 'L + a' (one new factorisation, reused)
    assert a.solves == 4 and a.factorisations == 2


def _techs(case):
    from flowgraph.plugins.synergy import Settings, plugin, technologies
    return technologies(case, Settings.from_options(case, plugin.resolve(case)))


def test_technologies_on_a_scenario_of_the_case(works_case):
    """On a plant that buys twice the ore, the coal saver's 0.05 t/t saves 10 t of coal."""
    works_case.scenarios["twice the ore"] = fg.Scenario("twice the ore",
                                                        [fg.Edit.set_flow("ore", quantity=200)])
    a = analyse(works_case, "twice the ore")
    e = a.effects.set_index(["key", "category", "item"])["saving"]
    assert e[("A", "energy", "tce")] == pytest.approx(10 * 0.7143)
    assert a.scenario == "twice the ore"


def test_case_figures_call_the_plugin(works_case):
    from flowgraph.app.case import Figure
    from flowgraph.app.figures import evaluate_figures
    works_case.figures = [Figure("coal_tce", "synergy('system_energy_tce')", "tce"),
                          Figure("class_a", "synergy('class_A')")]
    works_case.sections["synergy"] = {"class_basis": "declared"}
    values = {f["name"]: f["value"] for f in evaluate_figures(works_case)}
    assert values["coal_tce"] == pytest.approx(5 * 0.7143)
    assert values["class_a"] == "general"          # one type, declared partner B
    works_case.figures = [Figure("x", "synergy('no_such_figure')")]
    with pytest.raises(fg.ExpressionError, match="no figure 'no_such_figure'"):
        evaluate_figures(works_case)
