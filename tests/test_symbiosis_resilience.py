"""Resilience by removal: what leaves with a firm, by hand, and the same removal solved."""

from __future__ import annotations

import pytest

import flowgraph as fg
from flowgraph.plugins import symbiosis as sym
from flowgraph.solvers.conservation import assert_conserved


def three_firms():
    """Power P burns 1000 t of coal; 10 % of it leaves as fly ash to cement C, 5 % as gypsum
    to the board plant G, the rest to landfill. C sends 20 t of kiln dust to G."""
    net = fg.Network("three firms")
    net.add_carrier("coal", "material", "t")      # counted in the mass balance of P
    net.add_node("market", kind="source")
    net.add_node("landfill", kind="sink")
    net.add_node("customers", kind="sink")
    net.add_node("P", firm="P")
    net.add_node("C", firm="C", layers=[])
    net.add_node("G", firm="G", layers=[])
    net.add_flow("market", "P", "coal", quantity=1000.0, id="coal")
    net.add_flow("P", "C", "fly ash", share=0.10, id="ash")
    net.add_flow("P", "G", "FGD gypsum", share=0.05, id="gypsum")
    net.add_flow("P", "landfill", "bottom ash", role="waste", id="rest")
    net.add_flow("C", "G", "kiln dust", quantity=20.0, id="dust")
    net.add_flow("market", "C", "limestone", quantity=500.0, id="limestone")
    net.add_flow("C", "customers", "cement", quantity=580.0, id="cement")
    net.add_flow("G", "customers", "board", quantity=70.0, id="board")
    return net


def test_removal_table_by_hand():
    t = sym.resilience(three_firms().solve())
    # links: P->C, P->G, C->G; exchanges the same three, all known (100, 50, 20 t)
    assert t.loc["P", "links_lost"] == 2 and t.loc["C", "links_lost"] == 2
    assert t.loc["G", "links_lost"] == 2
    assert t.loc["P", "flow_lost"] == pytest.approx(150.0)
    assert t.loc["P", "returned_to_disposal"] == 0.0
    assert t.loc["P", "inputs_to_replace"] == pytest.approx(150.0)
    assert t.loc["G", "returned_to_disposal"] == pytest.approx(70.0)   # gypsum and dust
    assert t.loc["C", "returned_to_disposal"] == pytest.approx(100.0)
    assert t.loc["C", "inputs_to_replace"] == pytest.approx(20.0)
    assert t.loc["P", "flow_lost_share"] == pytest.approx(150.0 / 170.0)
    assert t.loc["P", "partners_stranded"] == 0                      # C and G stay linked
    # after P leaves, C->G remains: 1 link among 2 firms, 1 / 2^2
    assert t.loc["P", "connectance_after"] == pytest.approx(0.25)
    # tie on links (2 each): most flow decides
    assert t.index[0] == "P"
    assert sym.most_critical_firm(three_firms().solve()) == "P"


def test_stranded_partner():
    net = three_firms()
    net.remove_flow("dust")
    net.set_flow("cement", quantity=600.0)
    t = sym.resilience(net.solve())
    assert t.loc["P", "partners_stranded"] == 2
    assert t.loc["P", "stranded"] == "C, G"
    assert t.loc["P", "largest_component_after"] == 1


def test_removal_scenario_solved_agrees_with_the_table():
    net = three_firms()
    r = net.solve()
    table = sym.resilience(r)
    for firm in ("G", "C"):
        after = net.apply(sym.removal_scenario(r, firm)).solve()
        assert_conserved(after)
        f = after.flows
        disposal = f.loc[f["target"] == "disposal", "quantity"].sum()
        bought = f.loc[(f["source"] == "market") & f.index.str.startswith("market->"),
                       "quantity"].sum()
        assert disposal == pytest.approx(table.loc[firm, "returned_to_disposal"])
        assert bought == pytest.approx(table.loc[firm, "inputs_to_replace"])
        assert firm not in sym.park(after).actors
    # the supplier's share specification is kept: gypsum is still 5 % of P's coal
    after = net.apply(sym.removal_scenario(r, "G")).solve()
    gyp = after.flows[(after.flows["source"] == "P") & (after.flows["target"] == "disposal")]
    assert gyp["quantity"].tolist() == pytest.approx([50.0])
    assert gyp["spec"].tolist() == ["share"]


def test_removing_an_unknown_firm_is_an_error():
    r = three_firms().solve()
    with pytest.raises(fg.ModelError, match="'X' is not a firm"):
        sym.removal_scenario(r, "X")
