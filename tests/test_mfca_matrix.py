"""The MFCA flow-cost matrix against textbook MFCA arithmetic done by hand."""

import numpy as np
import pytest
from hypothesis import given, settings

import flowgraph as fg
from flowgraph.solvers.conservation import assert_conserved
from flowgraph.solvers.mfca import category_balance, flow_cost_matrix, loss_ranking, margin

from .conftest import looped_networks

CATS = ["material", "energy", "system", "waste_management"]


def one_centre():
    """100 t at 10 CNY/t; the centre adds energy 300, system 500, waste management 50; 80 t
    leave as product, 20 t as scrap."""
    net = fg.Network("one")
    net.add_node("buy", kind="source")
    net.add_node("c1", costs={"system": 500, "energy": 300, "waste_management": 50})
    net.add_node("market", kind="sink")
    net.add_node("dump", kind="sink")
    net.add_flow("buy", "c1", "m", quantity=100, price=10, id="feed")
    net.add_flow("c1", "market", "p", share=0.8, id="good")
    net.add_flow("c1", "dump", "scrap", role="loss", id="bad")
    return net


def test_single_centre_80_20_by_hand():
    m = one_centre().solve().mfca(inputs=True)
    row = lambda p: [m.at[("c1", p), c] for c in CATS]  # noqa: E731
    assert row("purchased") == pytest.approx([1000, 0, 0, 0])
    assert row("own added") == pytest.approx([0, 300, 500, 50])
    assert row("carried in") == pytest.approx([0, 0, 0, 0])
    # 80 % of material, energy and system; waste management only on the scrap
    assert row("positive") == pytest.approx([800, 240, 400, 0])
    assert row("negative") == pytest.approx([200, 60, 100, 50])
    assert m.at[("c1", "negative"), "share"] == pytest.approx(410 / 1850)
    assert m.at[("c1", "positive"), "mass"] == pytest.approx(80)
    # the whole system: bought 1000, added 850; 1440 sold in product, 410 lost
    assert m.at[("(system)", "positive"), "total"] == pytest.approx(1440)
    assert m.at[("(system)", "negative"), "total"] == pytest.approx(410)
    assert m.at[("(system)", "purchased"), "total"] + m.at[("(system)", "own added"), "total"] \
        == pytest.approx(1850)


def two_centres():
    net = one_centre()
    net.remove_flow("good")
    net.add_node("c2", costs={"system": 200})
    net.add_flow("c1", "c2", "p", share=0.8, id="p12")
    net.add_flow("buy", "c2", "additive", quantity=50, price=20, id="additive")
    net.add_flow("c2", "market", "q", share=0.9, id="good2")
    net.add_flow("c2", "dump", "scrap2", role="loss", id="bad2")
    return net


def test_two_centres_carry_costs_forward_by_hand():
    r = two_centres().solve()
    m = r.mfca(inputs=True)
    row = lambda q, p: [m.at[(q, p), c] for c in CATS]  # noqa: E731
    # c2 receives c1's good product with its costs, buys 1000 of additive, adds 200
    assert row("c2", "carried in") == pytest.approx([800, 240, 400, 0])
    assert row("c2", "purchased") == pytest.approx([1000, 0, 0, 0])
    assert row("c2", "own added") == pytest.approx([0, 0, 200, 0])
    # 130 t in, 117 t out as product: 90 % of (1800, 240, 600)
    assert row("c2", "positive") == pytest.approx([1620, 216, 540, 0])
    assert row("c2", "negative") == pytest.approx([180, 24, 60, 0])
    # system: the product carries 2376; the two losses 410 + 264
    assert m.at[("(system)", "positive"), "total"] == pytest.approx(2376)
    assert m.at[("(system)", "negative"), "total"] == pytest.approx(410 + 264)
    rank = loss_ranking(r)
    assert list(rank.index) == ["c1", "c2"] and list(rank["rank"]) == [1, 2]
    assert rank.at["c2", "loss_share"] == pytest.approx(264 / 2640)
    assert rank.at["c1", "loss_waste_management"] == pytest.approx(50)
    assert category_balance(r).abs().to_numpy().max() < 1e-9
    sorted_m = flow_cost_matrix(r, sort="loss")
    assert list(sorted_m.index.get_level_values(0).unique()) == ["c1", "c2", "(system)"]


def scrap_loop():
    """c1 buys 100 t at 10 CNY/t and adds system 100; passes 90 % to c2 and loses 10 %; c2
    sells 75 %, returns 20 % as scrap to c1, loses 5 % and adds waste management 30."""
    net = fg.Network("loop")
    net.add_node("buy", kind="source")
    net.add_node("c1", costs={"system": 100})
    net.add_node("c2", costs={"waste_management": 30})
    net.add_node("market", kind="sink")
    net.add_node("dump", kind="sink")
    net.add_flow("buy", "c1", "m", quantity=100, price=10, id="feed")
    net.add_flow("c1", "c2", "m", share=0.9, id="fwd")
    net.add_flow("c1", "dump", "m", role="loss", id="loss1")
    net.add_flow("c2", "c1", "m", share=0.2, role="recycle", id="scrap")
    net.add_flow("c2", "dump", "m", share=0.05, role="loss", id="loss2")
    net.add_flow("c2", "market", "m", id="product")
    return net


def test_scrap_loop_against_hand_solution():
    r = scrap_loop().solve()
    # value entering c1: A1 = 1100 + 0.2 * (0.9 * A1)  =>  A1 = 1100 / 0.82
    A1 = 1100 / 0.82
    A2 = 0.9 * A1
    material, system = 1000 / 0.82, 100 / 0.82   # A1 by category
    m = r.mfca(inputs=True)
    assert m.at[("c1", "carried in"), "material"] == pytest.approx(0.18 * material)
    assert m.at[("c1", "positive"), "material"] == pytest.approx(0.9 * material)
    assert m.at[("c1", "negative"), "system"] == pytest.approx(0.1 * system)
    assert m.at[("c2", "carried in"), "total"] == pytest.approx(A2)
    assert m.at[("c2", "positive"), "total"] == pytest.approx(0.95 * A2)   # product + scrap
    assert m.at[("c2", "negative"), "total"] == pytest.approx(0.05 * A2 + 30)
    assert m.at[("c2", "negative"), "waste_management"] == pytest.approx(30)
    assert m.at[("c2", "positive"), "waste_management"] == 0
    f = r.flows
    assert f.at["product", "cost"] == pytest.approx(0.75 * A2)
    assert f.at["product", "quantity"] == pytest.approx(0.75 * 0.9 * 100 / 0.82)
    # everything that entered leaves the system once
    assert f.at["product", "cost"] + f.at["loss1", "cost"] + f.at["loss2", "cost"] \
        == pytest.approx(1130)
    assert m.at[("(system)", "negative"), "total"] == pytest.approx(0.1 * A1 + 0.05 * A2 + 30)
    assert category_balance(r).abs().to_numpy().max() < 1e-9
    assert_conserved(r)


def test_margin_is_sales_minus_purchases_and_own_costs():
    net = one_centre()
    net.set_flow("good", price=30)
    assert margin(net.solve()) == pytest.approx(80 * 30 - 1000 - 850)


@settings(max_examples=30, deadline=None)
@given(looped_networks())
def test_every_category_conserved_centre_by_centre(net):
    r = net.solve()
    assert category_balance(r).abs().to_numpy().max() < 1e-7 * max(1.0, r.flows["cost"].abs().max())
    m = r.mfca(inputs=True)
    # waste-management cost lands on negative products only (losses go to the sink here)
    assert np.allclose(m.xs("positive", level="product")["waste_management"], 0.0)
    sysrows = m.xs("(system)", level="centre")
    assert sysrows.loc["positive", "total"] + sysrows.loc["negative", "total"] == pytest.approx(
        sysrows.loc["purchased", "total"] + sysrows.loc["own added", "total"])
    shares = m.xs("negative", level="product")["share"].dropna()
    assert ((shares >= -1e-12) & (shares <= 1 + 1e-12)).all()


def test_matrix_errors():
    r = one_centre().solve()
    with pytest.raises(fg.ModelError, match="unknown centre.*'nowhere'"):
        r.mfca(centres=["nowhere"])
    with pytest.raises(ValueError, match="sort"):
        r.mfca(sort="size")


def test_default_call_keeps_the_old_shape():
    m = one_centre().solve().mfca()
    assert list(m.index) == [("c1", "positive"), ("c1", "negative"),
                             ("(system)", "positive"), ("(system)", "negative")]
    assert {"material", "energy", "system", "waste_management", "total", "share", "mass",
            "tce", "co2"} == set(m.columns)
