"""Quantities from specifications and balances, against hand computation."""

import numpy as np
import pytest

import flowgraph as fg
from flowgraph.solvers.conservation import assert_conserved


def q(result, fid):
    return result.flows.at[fid, "quantity"]


def test_chain_by_hand(chain):
    r = chain.solve()
    assert q(r, "ab") == pytest.approx(90)
    assert q(r, "la") == pytest.approx(10)
    assert q(r, "prod") == pytest.approx(72)
    assert q(r, "lb") == pytest.approx(18)
    assert_conserved(r)


def test_split_with_unknown_remainder():
    net = fg.Network("split")
    net.add_node("s", kind="source")
    net.add_node("splitter")
    for t in ("x", "y", "z"):
        net.add_node(t, kind="sink")
    net.add_flow("s", "splitter", "w", quantity=200)
    net.add_flow("splitter", "x", "w", share=0.25, id="x")
    net.add_flow("splitter", "y", "w", quantity=30, id="y")
    net.add_flow("splitter", "z", "w", id="z")
    r = net.solve()
    assert [q(r, f) for f in "xyz"] == pytest.approx([50, 30, 120])


def test_recycle_loop_closed_form():
    """Feed F into a; a passes s1 to b; b returns r to a and sells the rest.
    Inflow of a: T = F + r*s1*T  =>  T = F / (1 - r*s1)."""
    F, s1, rr = 100.0, 0.9, 0.3
    net = fg.Network("loop")
    net.add_node("src", kind="source")
    net.add_node("a")
    net.add_node("b")
    net.add_node("sink", kind="sink")
    net.add_flow("src", "a", "m", quantity=F)
    net.add_flow("a", "b", "m", share=s1, id="ab")
    net.add_flow("a", "sink", "m", role="loss", id="loss")
    net.add_flow("b", "a", "m", share=rr, id="back", role="recycle")
    net.add_flow("b", "sink", "m", id="sold")
    r = net.solve()
    T = F / (1 - rr * s1)
    assert q(r, "ab") == pytest.approx(s1 * T)
    assert q(r, "back") == pytest.approx(rr * s1 * T)
    assert q(r, "loss") == pytest.approx((1 - s1) * T)
    assert q(r, "sold") == pytest.approx((1 - rr) * s1 * T)
    assert q(r, "sold") + q(r, "loss") == pytest.approx(F)
    assert_conserved(r)


def test_element_layer_closes_chlorine():
    """A reactor closes mass and Cl: NaCl (60.66 % Cl) + H2SO4 -> HCl + Na2SO4.
    Cl in NaCl must all leave in HCl (97.23 % Cl), which fixes the HCl flow."""
    net = fg.Network("element")
    net.add_carrier("NaCl", composition={"Cl": 0.6066})
    net.add_carrier("H2SO4")
    net.add_carrier("HCl", composition={"Cl": 0.9723})
    net.add_carrier("Na2SO4")
    net.add_node("s", kind="source")
    net.add_node("reactor", layers=["mass", "Cl"])
    net.add_node("out", kind="sink")
    net.add_flow("s", "reactor", "NaCl", quantity=117.0)
    net.add_flow("s", "reactor", "H2SO4", quantity=98.0)
    net.add_flow("reactor", "out", "HCl", id="hcl")
    net.add_flow("reactor", "out", "Na2SO4", id="salt")
    r = net.solve()
    assert q(r, "hcl") == pytest.approx(117.0 * 0.6066 / 0.9723)
    assert q(r, "salt") == pytest.approx(215.0 - 117.0 * 0.6066 / 0.9723)
    res = r.residuals.set_index(["node", "layer"])
    assert res.at[("reactor", "Cl"), "residual"] == pytest.approx(0, abs=1e-9)
    assert res.at[("reactor", "Cl"), "in"] == pytest.approx(117.0 * 0.6066)
    assert_conserved(r)


def test_recipe_chain_and_units():
    """per chains resolve (c per b per a), and flows in 万t convert into the t balance."""
    net = fg.Network("recipe")
    net.add_node("s", kind="source")
    net.add_node("p")
    net.add_node("k", kind="sink")
    net.add_flow("s", "p", "a", quantity="2 万t", id="a")
    net.add_flow("p", "k", "prod", id="prod", unit="t")
    net.add_flow("s", "p", "b", per=("prod", 0.5), id="b")
    net.add_flow("s", "p", "c", per=("b", 0.1), id="c")
    r = net.solve()
    # mass: 20000 + b + c = prod; b = 0.5 prod; c = 0.05 prod  =>  prod = 20000 / 0.45
    prod = 20000 / 0.45
    assert q(r, "a") == pytest.approx(2.0)
    assert r.flows.at["a", "unit"] == "万t"
    assert q(r, "prod") == pytest.approx(prod)
    assert q(r, "c") == pytest.approx(0.05 * prod)
    assert_conserved(r)


def test_energy_layer_with_energy_content():
    """A boiler closing energy: coal (GJ by NCV) in, steam share and a loss out."""
    net = fg.Network("boiler")
    net.add_carrier("coal", "energy", "t", energy_content="20.934 GJ/t")
    net.add_carrier("steam", "energy", "t", energy_content="2.8 GJ/t")
    net.add_carrier("heat loss", "energy", "GJ")
    net.add_node("s", kind="source")
    net.add_node("boiler", kind="utility", layers=["energy"])
    net.add_node("user", kind="sink")
    net.add_node("air", kind="sink")
    net.add_flow("s", "boiler", "coal", quantity=10)
    net.add_flow("boiler", "user", "steam", share=0.85, id="steam")
    net.add_flow("boiler", "air", "heat loss", role="loss", id="loss")
    r = net.solve()
    assert q(r, "steam") == pytest.approx(0.85 * 209.34 / 2.8)
    assert q(r, "loss") == pytest.approx(0.15 * 209.34)


def test_storage_stock_change():
    net = fg.Network("stock")
    net.add_node("s", kind="source")
    net.add_node("silo", kind="storage", stock={"mass": 15.0})
    net.add_node("k", kind="sink")
    net.add_flow("s", "silo", "grain", quantity=100)
    net.add_flow("silo", "k", "grain", id="out")
    r = net.solve()
    assert q(r, "out") == pytest.approx(85)
    assert_conserved(r)


def test_redundant_consistent_data_solve():
    """All flows known and the node closes: a surplus equation that holds is fine."""
    net = fg.Network("redundant")
    net.add_node("s", kind="source")
    net.add_node("p")
    net.add_node("k", kind="sink")
    net.add_flow("s", "p", "m", quantity=10)
    net.add_flow("p", "k", "m", quantity=4)
    net.add_flow("p", "k", "n", quantity=6)
    r = net.solve()
    assert r.structure()["surplus_equations"] == 1
    assert np.allclose(r.residuals["residual"][r.residuals["closed"]], 0)


def test_factorisation_reused_when_only_known_values_change(chain):
    solver = fg.Solver(chain)
    r1 = solver.solve()
    net2 = chain.apply(fg.Scenario("more feed", [fg.Edit.set_flow("feed", quantity=200)]))

    def balance_keys():
        return {k for k in solver._cache if not (isinstance(k, tuple) and k[0] == "value")}

    keys_before = balance_keys()
    r2 = solver.solve(net2)
    keys_after = balance_keys()
    assert keys_before == keys_after          # same matrix: the factorisation was reused
    assert q(r2, "prod") == pytest.approx(2 * q(r1, "prod"))


def test_constant_incidence_reproduces_the_right_hand_side():
    """r = r_stock - N g, the rule re-solvers (Monte Carlo) rely on, on a network with loops,
    stock, recipes and nodes whose balance rows hold their inflow column."""
    from flowgraph.solvers.balance import constant_incidence, reduce_system
    from flowgraph.solvers.compiled import compile_network
    net = fg.load(__import__("pathlib").Path(__file__).parent.parent / "cases" / "demo").network
    net.set_node("wwtp", kind="storage", stock={"mass": 12.0})
    c = compile_network(net)
    red = reduce_system(c)
    stock = np.zeros(red.R.shape[0])
    bal = red.row_kind == 1
    stock[bal] = c.stock[red.row_node[bal], red.row_layer[bal]]
    assert np.allclose(red.r, stock - constant_incidence(c, red) @ red.g)
