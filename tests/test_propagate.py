"""Value flow against textbook MFCA arithmetic: single centre, carry-forward, loop."""

import pytest

import flowgraph as fg
from flowgraph.solvers.conservation import assert_conserved


def single_centre():
    """100 t at 10 CNY/t into one centre with system 500, energy 300, waste management 50;
    80 t product and 20 t loss."""
    net = fg.Network("one")
    net.add_node("buy", kind="source")
    net.add_node("c1", costs={"system": 500, "energy": 300, "waste_management": 50})
    net.add_node("market", kind="sink")
    net.add_node("dump", kind="sink")
    net.add_flow("buy", "c1", "m", quantity=100, price=10)
    net.add_flow("c1", "market", "p", share=0.8, id="good")
    net.add_flow("c1", "dump", "scrap", role="loss", id="bad")
    return net


def test_single_centre_80_20_split():
    r = single_centre().solve()
    m = r.mfca()
    pos, neg = m.loc[("c1", "positive")], m.loc[("c1", "negative")]
    assert (pos["material"], pos["energy"], pos["system"], pos["waste_management"]) == \
        pytest.approx((800, 240, 400, 0))
    assert (neg["material"], neg["energy"], neg["system"], neg["waste_management"]) == \
        pytest.approx((200, 60, 100, 50))
    assert pos["total"] + neg["total"] == pytest.approx(1000 + 500 + 300 + 50)
    assert r.nodes.at["c1", "loss_cost"] == pytest.approx(410)
    assert_conserved(r)


def test_two_centres_carry_costs_forward():
    net = single_centre()
    net.remove_flow("good")
    net.add_node("c2", costs={"system": 200})
    net.add_flow("c1", "c2", "p", share=0.8, id="p12")
    net.add_flow("buy", "c2", "additive", quantity=50, price=20)
    net.add_flow("c2", "market", "q", share=0.9, id="good2")
    net.add_flow("c2", "dump", "scrap2", role="loss", id="bad2")
    r = net.solve()
    f = r.flows
    # c2 receives material 800 + 1000, energy 240, system 400 + 200 on 130 t
    assert f.at["good2", "quantity"] == pytest.approx(117)
    assert f.at["good2", "cost_material"] == pytest.approx(0.9 * 1800)
    assert f.at["good2", "cost_energy"] == pytest.approx(0.9 * 240)
    assert f.at["good2", "cost_system"] == pytest.approx(0.9 * 600)
    assert f.at["bad2", "cost"] == pytest.approx(0.1 * 2640)
    assert f.at["good2", "cost_waste"] == pytest.approx(0)
    assert_conserved(r)


def test_scrap_loop_back_to_first_centre():
    """Scrap of c2 returns to c1: A1 = 1100 + 0.2*0.9*A1 => A1 = 1100/0.82."""
    net = fg.Network("loop")
    net.add_node("buy", kind="source")
    net.add_node("c1", costs={"system": 100})
    net.add_node("c2")
    net.add_node("market", kind="sink")
    net.add_node("dump", kind="sink")
    net.add_flow("buy", "c1", "m", quantity=100, price=10)
    net.add_flow("c1", "c2", "m", share=0.9, id="fwd")
    net.add_flow("c1", "dump", "m", role="loss", id="loss")
    net.add_flow("c2", "c1", "m", share=0.2, role="recycle", id="scrap")
    net.add_flow("c2", "market", "m", id="product")
    r = net.solve()
    A1 = 1100 / 0.82
    f = r.flows
    assert f.at["product", "cost"] == pytest.approx(0.8 * 0.9 * A1)
    assert f.at["loss", "cost"] == pytest.approx(0.1 * A1)
    assert f.at["scrap", "cost"] == pytest.approx(0.2 * 0.9 * A1)
    assert f.at["product", "cost"] + f.at["loss", "cost"] == pytest.approx(1100)
    assert f.at["product", "quantity"] == pytest.approx(0.72 * 100 / 0.82)
    assert_conserved(r)


def test_purchased_energy_carries_cost_tce_and_co2():
    net = fg.Network("energy")
    net.add_carrier("electricity", "energy", "kWh", price=0.8, tce="0.1229 kgce/kWh",
                    co2="0.3023 kg/kWh")
    net.add_node("grid", kind="source")
    net.add_node("buy", kind="source")
    net.add_node("c")
    net.add_node("k", kind="sink")
    net.add_flow("grid", "c", "electricity", quantity="10 万kWh")
    net.add_flow("buy", "c", "m", quantity=10)
    net.add_flow("c", "k", "p", share=0.75, id="p")
    net.add_flow("c", "k", "w", role="waste", id="w")
    r = net.solve()
    f = r.flows
    assert f["cost_energy"].sum() - f.loc[["p", "w"], "cost_energy"].sum() == pytest.approx(80000)
    assert f.at["p", "tce"] == pytest.approx(0.75 * 1e5 * 0.1229e-3)
    assert f.at["w", "co2"] == pytest.approx(0.25 * 1e5 * 0.3023e-3)   # ineffective emission
    assert_conserved(r)


@pytest.mark.parametrize("key, expected_share", [
    ("energy", 2.8 * 10 / (2.8 * 10 + 3.6 * 1000 / 1000)),
    ("value", 10 * 100 / (10 * 100 + 1000 * 0.5)),
    ("fixed", 0.7),
])
def test_allocation_keys(key, expected_share):
    """A CHP-like node: steam (t, 2.8 GJ/t) and electricity (kWh) out, cost 1000."""
    net = fg.Network("chp")
    net.add_carrier("steam", "energy", "t", energy_content="2.8 GJ/t")
    net.add_carrier("electricity", "energy", "kWh")
    net.add_node("s", kind="source")
    net.add_node("chp", kind="utility", allocation=key, costs={"system": 1000})
    net.add_node("k", kind="sink")
    net.add_flow("s", "chp", "coal", quantity=1)
    net.add_flow("chp", "k", "steam", quantity=10, price=100, allocation_share=0.7, id="steam")
    net.add_flow("chp", "k", "electricity", quantity=1000, price=0.5, allocation_share=0.3,
                 id="power")
    r = net.solve()
    assert r.flows.at["steam", "cost"] == pytest.approx(1000 * expected_share)
    assert_conserved(r)


def test_allocation_by_element_layer():
    """Allocate by Fe content, not by wet mass."""
    net = fg.Network("fe")
    net.add_carrier("ore", composition={"Fe": 0.5})
    net.add_carrier("pigment", composition={"Fe": 0.7})
    net.add_carrier("wastewater", "water", composition={"Fe": 0.001})
    net.add_node("s", kind="source")
    net.add_node("c", allocation="Fe", layers=["mass"])
    net.add_node("k", kind="sink")
    net.add_flow("s", "c", "ore", quantity=100, price=10)
    net.add_flow("s", "c", "wastewater", quantity=900)   # process water, say
    net.add_flow("c", "k", "pigment", quantity=70, id="pig")
    net.add_flow("c", "k", "wastewater", role="waste", id="ww")
    r = net.solve()
    fe_pig, fe_ww = 70 * 0.7, 930 * 0.001
    assert r.flows.at["pig", "cost"] == pytest.approx(1000 * fe_pig / (fe_pig + fe_ww))


def test_waste_cost_only_on_negative_products():
    r = single_centre().solve()
    assert r.flows.at["good", "cost_waste"] == 0
    assert r.flows.at["bad", "cost_waste"] == pytest.approx(50)


def test_errors_when_value_cannot_be_allocated():
    net = fg.Network("stuck")
    net.add_node("s", kind="source")
    net.add_node("c", costs={"system": 10})
    net.add_node("k", kind="sink")
    net.add_flow("s", "c", "m", quantity=1)
    net.add_flow("c", "k", "electricity", quantity=5, unit="kWh", id="e")
    net.set_node("c", layers=[])
    with pytest.raises(fg.AllocationError, match="'c'.*allocation key"):
        net.solve()
    net.set_node("c", allocation="energy")
    assert net.solve().flows.at["e", "cost"] == pytest.approx(10)


def test_waste_cost_without_negative_product_is_an_error():
    net = fg.Network("nowaste")
    net.add_node("s", kind="source")
    net.add_node("c", costs={"waste_management": 10})
    net.add_node("k", kind="sink")
    net.add_flow("s", "c", "m", quantity=1)
    net.add_flow("c", "k", "m", id="p")
    with pytest.raises(fg.AllocationError, match="waste-management cost but no negative"):
        net.solve()
