"""No silent wrong answers from the numerics (issue 14): a negative or non-finite computed
flow or value is an error naming what and where, never a result; `check` says what solve
says; rounding noise is exactly 0; Monte Carlo draws are held to the same rules."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

import flowgraph as fg
from flowgraph import uncertainty as un
from flowgraph.errors import BalanceError, NegativeFlowError, NonFiniteError
from flowgraph.solvers.balance import solve_balance
from flowgraph.solvers.compiled import compile_network
from flowgraph.solvers.specs import KNOWN

CASES = Path(__file__).parent.parent / "cases"


def plant(feed=5.0, product=7.0):
    """src -> p (feed, priced), p -> snk (product known), p -> snk (slag, left to p's mass
    balance): slag = feed - product."""
    net = fg.Network("slag")
    net.add_carrier("ore", "material", "t", price=10)
    net.add_carrier("slag", "material", "t")
    net.add_node("src", kind="source")
    net.add_node("p")
    net.add_node("snk", kind="sink")
    net.add_flow("src", "p", "ore", quantity=feed, id="feed")
    net.add_flow("p", "snk", "ore", quantity=product, id="product")
    net.add_flow("p", "snk", "slag", id="slag")
    return net


def silo(inflow=10.0, stock=15.0):
    """A storage node putting `stock` t into stock out of `inflow` t: out = inflow - stock."""
    net = fg.Network("silo")
    net.add_carrier("grain", "material", "t")
    net.add_node("field", kind="source")
    net.add_node("silo", kind="storage", stock={"mass": stock})
    net.add_node("mill", kind="sink")
    net.add_flow("field", "silo", "grain", quantity=inflow, id="harvest")
    net.add_flow("silo", "mill", "grain", id="out")
    return net


def recycle(feed=100.0, share=0.99):
    """feed -> a -> b; b returns `share` of its inflow to a and sells the rest:
    T_a = feed / (1 - share)."""
    net = fg.Network("recycle")
    net.add_carrier("m", "material", "t", price=1)
    for n, kind in (("src", "source"), ("a", "process"), ("b", "process"), ("snk", "sink")):
        net.add_node(n, kind=kind)
    net.add_flow("src", "a", "m", quantity=feed, id="feed")
    net.add_flow("a", "b", "m", id="ab")
    net.add_flow("b", "a", "m", share=share, id="back", role="recycle")
    net.add_flow("b", "snk", "m", id="sold")
    return net


def write_case(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.toml").write_text(text)
    return folder


def line_of(text: str, marker: str) -> int:
    """1-based line of the [[...]] header of the table holding `marker`."""
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if marker in ln)
    return max(i for i in range(at + 1) if lines[i].startswith("[[")) + 1


SLAG_CASE = """\
[case]
name = "slag"

[[carrier]]
name = "ore"
kind = "material"
unit = "t"
price = 10

[[carrier]]
name = "slag"
kind = "material"
unit = "t"

[[node]]
id = "src"
kind = "source"

[[node]]
id = "p"

[[node]]
id = "snk"
kind = "sink"

[[flow]]
id = "feed"
source = "src"
target = "p"
carrier = "ore"
quantity = 5

[[flow]]
id = "product"
source = "p"
target = "snk"
carrier = "ore"
quantity = 7

[[flow]]
id = "slag"
source = "p"
target = "snk"
carrier = "slag"
"""


SLAG_ID, P_ID = 'id = "slag"', 'id = "p"'


# -- 1. negative flows ----------------------------------------------------------------------

def test_slag_forced_negative_is_refused_by_name():
    """5 t in, 7 t out known: the mass balance of p gives slag = 5 - 7 = -2 t."""
    with pytest.raises(NegativeFlowError) as exc:
        plant().solve()
    err = exc.value
    assert isinstance(err, BalanceError)
    assert err.flows == ["slag"] and err.nodes == ["p"]
    assert err.values == {"slag": pytest.approx(-2.0, rel=1e-12)}
    msg = str(err)
    assert "'slag' = -2 t, forced by the mass balance of node 'p'" in msg
    assert "Flows cannot be negative" in msg


def test_negative_flow_names_file_and_line(tmp_path):
    case = fg.load(write_case(tmp_path / "slag", SLAG_CASE))
    with pytest.raises(NegativeFlowError) as exc:
        case.solver.solve()
    msg = str(exc.value)
    toml = tmp_path / "slag" / "case.toml"
    flow_at = f"{toml}:{line_of(SLAG_CASE, SLAG_ID)}"
    node_at = f"{toml}:{line_of(SLAG_CASE, P_ID)}"
    assert f"'slag' ({flow_at}) = -2 t, forced by the mass balance of node 'p' ({node_at})" in msg
    assert exc.value.origin == flow_at


def test_storage_filling_more_than_it_receives_is_refused():
    """10 t in, 15 t into stock: out = 10 - 15 = -5 t."""
    with pytest.raises(NegativeFlowError) as exc:
        silo().solve()
    err = exc.value
    assert err.flows == ["out"] and err.nodes == ["silo"]
    assert err.values["out"] == pytest.approx(-5.0, rel=1e-12)
    msg = str(err)
    assert "'out' = -5 t, forced by the mass balance of node 'silo'" in msg
    assert ("storage 'silo' puts 15 t into stock but receives only 10 t") in msg


def test_storage_within_its_inflow_solves():
    assert silo(inflow=10, stock=4).solve().flows.at["out", "quantity"] == pytest.approx(6.0)


def test_recipe_tied_to_a_downstream_flow_forcing_a_negative_feed():
    """3 t additive per t of product (a recipe), 10 t product sold, p closes mass: the ore
    feed is what remains, 10 - 3 * 10 = -20 t; the downstream mill, fed a share of p's
    output, stays positive but is not returned."""
    net = fg.Network("recipe")
    for name in ("ore", "additive", "product"):
        net.add_carrier(name, "material", "t")
    net.add_node("mine", kind="source")
    net.add_node("chem", kind="source")
    net.add_node("p")
    net.add_node("customer", kind="sink")
    net.add_flow("mine", "p", "ore", id="ore")
    net.add_flow("chem", "p", "additive", per=("product", 3.0), id="additive")
    net.add_flow("p", "customer", "product", quantity=10, id="product")
    with pytest.raises(NegativeFlowError) as exc:
        net.solve()
    assert exc.value.flows == ["ore"]
    assert exc.value.values["ore"] == pytest.approx(-20.0, rel=1e-12)
    assert "'ore' = -20 t, forced by the mass balance of node 'p'" in str(exc.value)


def test_several_negative_flows_listed_with_their_balances():
    """Two nodes each fed less than their known output: both losses named, each with the
    node that forced it (4 - 6 = -2 t and 1 - 4 = -3 t)."""
    net = fg.Network("two")
    net.add_carrier("m", "material", "t")
    for n, kind in (("s", "source"), ("a", "process"), ("b", "process"), ("k", "sink")):
        net.add_node(n, kind=kind)
    net.add_flow("s", "a", "m", quantity=4, id="fa")
    net.add_flow("a", "k", "m", quantity=6, id="pa")
    net.add_flow("a", "k", "m", id="la")
    net.add_flow("s", "b", "m", quantity=1, id="fb")
    net.add_flow("b", "k", "m", quantity=4, id="pb")
    net.add_flow("b", "k", "m", id="lb")
    with pytest.raises(NegativeFlowError) as exc:
        net.solve()
    assert sorted(exc.value.flows) == ["la", "lb"]
    assert sorted(exc.value.nodes) == ["a", "b"]
    msg = str(exc.value)
    assert "'la' = -2 t, forced by the mass balance of node 'a'" in msg
    assert "'lb' = -3 t, forced by the mass balance of node 'b'" in msg


def test_rounding_noise_below_zero_is_exactly_zero():
    """0.1 + 0.2 t in, 0.3 t out: the loss is 0 by hand; in floating point 0.1 + 0.2 - 0.3
    is 5.6e-17, well below the tolerance times the balance's scale (0.6 t)."""
    net = fg.Network("noise")
    net.add_carrier("m", "material", "t")
    for n, kind in (("s", "source"), ("p", "process"), ("k", "sink")):
        net.add_node(n, kind=kind)
    net.add_flow("s", "p", "m", quantity=0.3, id="in")
    net.add_flow("p", "k", "m", quantity=0.1, id="o1")
    net.add_flow("p", "k", "m", quantity=0.2, id="o2")
    net.add_flow("p", "k", "m", id="loss")
    assert 0.3 - 0.1 - 0.2 != 0 and 0.3 - (0.1 + 0.2) != 0     # the noise is real
    assert net.solve().flows.at["loss", "quantity"] == 0.0
    net.set_flow("in", quantity=0.1)
    net.set_flow("o1", quantity=0.3)
    net.set_flow("o2", quantity=0.0)
    net.add_flow("s", "p", "m", quantity=0.2, id="in2")
    r = net.solve()
    assert r.flows.at["loss", "quantity"] == 0.0
    assert (r.flows["quantity"] >= 0).all()


# -- 2. non-finite results -------------------------------------------------------------------

def recipe_chain(links: int, price: float | None = None):
    """f0 = 1e15 t bought; f_i = 1e15 t per t of f_(i-1): f_i = 1e15^(i+1) t. Every input is
    within the model's bound (1e15); the chain multiplies them beyond the float range."""
    net = fg.Network("chain")
    net.add_carrier("m", "material", "t", **({"price": price} if price else {}))
    net.add_node("s", kind="source")
    net.add_node("k", kind="sink")
    net.add_flow("s", "k", "m", quantity=1e15, id="f0")
    for i in range(1, links + 1):
        net.add_flow("s", "k", "m", per=(f"f{i - 1}", 1e15), id=f"f{i}")
    return net


def test_recipe_chain_overflowing_the_float_range_is_refused():
    """f20 = 1e15^21 = 1e315 t, beyond the largest float (1.8e308); f19 = 1e300 t is not."""
    assert math.isinf(1e15 ** 20 * 1e15) and math.isfinite(1e15 ** 20)
    with pytest.raises(NonFiniteError) as exc:
        recipe_chain(22).solve()
    assert exc.value.flows == ["f20", "f21", "f22"]
    msg = str(exc.value)
    assert msg.startswith("non-finite result: the balances give 'f20', 'f21', 'f22' an "
                          "infinite or undefined quantity")
    assert "overflow" in msg and "recipe" in msg


def test_recycle_overflowing_the_float_range_is_refused():
    """The numerics refuse what input validation lets through (a Monte Carlo draw is not
    validated): a known 1e308 t fed to a 0.99 recycle gives T_a = 1e308 / 0.01 = 1e310."""
    assert 1e308 / (1 - 0.99) == math.inf
    c = compile_network(recycle(feed=100.0))
    big = c.replaced(value=np.where(c.spec == KNOWN, 1e308, 0.0))
    with pytest.raises(NonFiniteError) as exc:
        solve_balance(big)
    msg = str(exc.value)
    assert "'ab'" in msg and "'back'" in msg and "overflow" in msg
    assert "ab" in exc.value.flows
    assert not isinstance(exc.value, BalanceError)


def test_value_overflowing_the_float_range_is_refused():
    """f19 = 1e300 t bought at 1e15 CNY/t costs 1e315 CNY: infinite in floating point; f18
    costs 1e300 CNY, which is finite."""
    with pytest.raises(NonFiniteError) as exc:
        recipe_chain(19, price=1e15).solve()
    msg = str(exc.value)
    assert "the cost_material of 'f19' is infinite" in msg
    assert exc.value.flows == ["f19"]


def test_same_recycle_at_a_sound_size_solves():
    r = recycle(feed=100.0).solve()
    assert r.flows.at["ab", "quantity"] == pytest.approx(100 / 0.01, rel=1e-9)
    assert r.flows.at["sold", "quantity"] == pytest.approx(100.0, rel=1e-9)


def undetermined_network():
    """p receives a known 10 t, sells a known 4 t and splits the rest into two flows nothing
    fixes apart."""
    net = fg.Network("open")
    net.meta["strict"] = False
    net.add_carrier("m", "material", "t", price=2)
    for n, kind in (("s", "source"), ("p", "process"), ("k", "sink")):
        net.add_node(n, kind=kind)
    net.add_flow("s", "p", "m", quantity=10, id="in")
    net.add_flow("p", "k", "m", quantity=4, id="sold")
    net.add_flow("p", "k", "m", id="x")
    net.add_flow("p", "k", "m", id="y")
    return net


def test_undetermined_flows_of_a_non_strict_case_are_marked():
    r = fg.Solver(undetermined_network(), strict=False).solve()
    assert list(r.undetermined) == ["x", "y"]
    assert np.isnan(r.flows.loc[["x", "y"], "quantity"]).all()
    assert r.flows.at["in", "quantity"] == 10.0
    assert r.flows.at["in", "cost"] == 20.0
    assert r.flows.at["sold", "cost"] == 20.0      # the undetermined flows count as 0
    assert list(fg.Solver(plant(feed=9)).solve().undetermined) == []


# -- 3. check agrees with solve ---------------------------------------------------------------

def test_check_reports_negative_flows():
    report = plant().check()
    assert report.status == "negative" and not report.ok
    assert list(report.negative["flow"]) == ["slag"]
    assert report.negative["quantity"].iloc[0] == pytest.approx(-2.0)
    assert report.negative["unit"].iloc[0] == "t"
    assert report.negative["forced by"].iloc[0] == "mass balance of node 'p'"
    text = str(report)
    assert text.startswith("status: negative")
    assert "'slag' = -2 t, forced by the mass balance of node 'p'" in text


def test_check_reports_the_storage_that_fills_beyond_its_inflow():
    report = fg.Solver(silo()).check()
    assert report.status == "negative" and not report.ok
    assert "storage 'silo' puts 15 t into stock but receives only 10 t" in report.message


def test_check_reports_non_finite_quantities_and_values():
    for net, named in ((recipe_chain(22), "'f20'"), (recipe_chain(19, price=1e15), "'f19'")):
        report = net.check()
        assert report.status == "non-finite" and not report.ok
        assert "overflow" in report.message and named in report.message


def test_check_of_a_non_strict_case_with_undetermined_flows():
    report = fg.Solver(undetermined_network(), strict=False).check()
    assert report.status == "ok, undetermined allowed (strict = false)"
    assert report.ok
    assert report.undetermined == ["x", "y"]
    assert report.warning == ("2 flow(s) left undetermined (strict = false), shown as "
                              "unknown and counted as 0 in values: 'x', 'y'")
    strict = fg.Solver(undetermined_network()).check()
    assert strict.status == "under-determined" and not strict.ok
    assert strict.warning == ""
    with pytest.raises(BalanceError):
        fg.Solver(undetermined_network()).solve()


def test_check_and_solve_agree_on_kalundborg():
    case = fg.load(CASES / "kalundborg")
    report = case.solver.check()
    result = case.solver.solve()
    assert report.ok and report.status == "ok, undetermined allowed (strict = false)"
    assert sorted(report.undetermined) == sorted(result.undetermined)
    assert len(report.undetermined) == 13
    assert report.warning.startswith("13 flow(s) left undetermined (strict = false)")


def test_check_of_a_sound_network_stays_ok(chain):
    report = chain.check()
    assert report.status == "ok" and report.ok and report.warning == ""
    assert report.negative.empty


# -- 4. rounding noise in propagated values ---------------------------------------------------

def test_purchases_carry_exactly_their_own_value():
    """A flow from a source carries its purchase and nothing else: on the demo case the ore
    (material, 300 CNY/t, no tce) has cost_system and tce exactly 0 (they were -2.2e-12 and
    -1.8e-46), the fresh water (a water carrier: energy cost) no material or system cost."""
    r = fg.load(CASES / "demo").solver.solve()
    f = r.flows
    assert f.at["ore", "cost_material"] == 1000 * 300
    assert f.at["ore", "cost_system"] == 0.0 and f.at["ore", "tce"] == 0.0
    assert f.at["water", "cost_material"] == 0.0 and f.at["water", "cost_system"] == 0.0
    assert f.at["water", "cost_energy"] == pytest.approx(1500 * 4.0, rel=1e-12)


def test_glyphosate_material_purchases_carry_no_energy_value():
    r = fg.load(CASES / "glyphosate").solver.solve()
    c = r.compiled
    from_source = c.node_kind[c.tail] == "source"
    material = np.asarray(c.carrier_kind) == "material"
    sel = from_source & material
    assert sel.sum() > 10
    f = r.flows[sel]
    assert (f["cost_energy"] == 0.0).all() and (f["tce"] == 0.0).all()


def test_a_node_fed_only_materials_carries_no_energy_value():
    """Glyphosate's PCl3 unit takes P4 and Cl2 (materials, bought) and adds nothing of its
    own: no energy cost or tce enters, so none leaves (they were -5.3e-10 CNY and -1.1e-12
    tce, the rounding of a value rebuilt from the dependent tce and energy-cost columns)."""
    r = fg.load(CASES / "glyphosate").solver.solve()
    f = r.flows
    inputs = f[f["target"] == "PCl3 unit"]
    assert set(inputs["kind"]) == {"material"} and set(inputs["source"]) == {"market"}
    assert (f.loc[["PCl3", "phosphorus sludge"], ["cost_energy", "tce"]] == 0.0).all().all()
    assert (r.nodes.loc["PCl3 unit", ["cost_energy_in", "cost_energy_out", "tce_in",
                                      "tce_out"]] == 0.0).all()


def test_closed_balances_show_a_residual_of_exactly_zero():
    """A closed layer closes: in - out - stock = 0 (it was 4.5e-13 t at the demo's reaction
    and -1.2e-10 t at pvc_carbide's wastewater treatment)."""
    for case in ("demo", "pvc_carbide", "iron_oxide_red"):
        cs = fg.load(CASES / case)
        for scenario in [None, *cs.scenarios]:
            res = cs.result(scenario).residuals
            assert (res.loc[res["closed"], "residual"] == 0.0).all(), (case, scenario)


def test_value_passes_through_process_nodes_without_noise():
    """A process node keeps no value: what enters leaves, so retained is exactly 0."""
    for case in ("demo", "glyphosate", "pvc_carbide"):
        r = fg.load(CASES / case).solver.solve()
        nodes = r.nodes[r.nodes["kind"] == "process"]
        retained = nodes[[c for c in nodes.columns if c.endswith("_retained")]].to_numpy()
        assert (retained == 0.0).all(), case


def test_noise_floor_leaves_real_small_values_alone():
    """A flow of 1e-6 of its node's throughput is data, not noise."""
    net = plant(feed=1.000001, product=1.0)
    r = net.solve()
    assert r.flows.at["slag", "quantity"] == pytest.approx(1e-6, rel=1e-6)
    assert r.flows.at["slag", "cost"] == pytest.approx(10.00001 * 1e-6 / 1.000001, rel=1e-6)


# -- 5. Monte Carlo draws -----------------------------------------------------------------------

def test_monte_carlo_draw_with_a_negative_flow_is_refused():
    """Nominal feed 8 t (slag 1 t); every draw of U(5, 6) gives slag = feed - 7 < 0."""
    inputs = [un.flow("feed", "quantity", un.Uniform(low=5, high=6))]
    with pytest.raises(NegativeFlowError) as exc:
        un.monte_carlo(plant(feed=8), inputs, draws=10, seed=1, columns=["quantity"])
    msg = str(exc.value)
    assert re.search(r"draw 0 \(flow 'feed' quantity = 5\.\d+\)", msg), msg
    assert "'slag' = -" in msg and "mass balance of node 'p'" in msg
    assert exc.value.flows == ["slag"]


def test_monte_carlo_draw_that_overflows_is_refused():
    inputs = [un.flow("feed", "quantity", un.Uniform(low=1e307, high=1e308))]
    with pytest.raises(NonFiniteError) as exc:
        un.monte_carlo(recycle(feed=100.0), inputs, draws=4, seed=2, columns=["quantity"])
    assert "draw 0" in str(exc.value) and "'ab'" in str(exc.value)


def test_monte_carlo_draws_within_bounds_still_run():
    inputs = [un.flow("feed", "quantity", un.Uniform(low=7.5, high=9))]
    mc = un.monte_carlo(plant(feed=8), inputs, draws=50, seed=1, columns=["quantity"])
    slag = mc.sample(("slag", "quantity"))
    assert (slag >= 0).all()
    assert np.allclose(slag, mc.draws[:, 0] - 7.0)


# -- 6. the Result's one-line summary -----------------------------------------------------------

def test_result_repr_counts_cost_of_products_sold_only(chain):
    """feed 100 t x 10 = 1000 CNY; a passes 90 % of its mass to b (900 CNY), b sells 80 %
    of its mass as prod (720 CNY); the losses to 'waste' are negative products; summing
    every flow would give 1000 + 900 + 720 + 100 + 180 = 2900."""
    r = chain.solve()
    assert r.flows.at["prod", "cost"] == pytest.approx(720.0, rel=1e-12)
    assert repr(r) == "<Result 'chain' [base]: 5 flows, cost of products sold 720 CNY>"


def test_nodes_without_outputs_hold_their_value_and_conservation_says_so(tmp_path):
    """A node with no output holds what it receives or adds, as a sink: an end use (an
    energy consumer of an energy account) or a unit given by its own emissions (a park's
    wastewater plant). A case cut short to such nodes (found by fuzzing) ran while the
    conservation checker called their own costs lost: it counts them as held now, and the
    result shows them at the node."""
    from flowgraph.solvers.conservation import conservation_violations
    (tmp_path / "case.toml").write_text(
        '[[node]]\nid = "office"\ncosts = { system = 1200 }\n'
        '[[node]]\nid = "s"\nkind = "source"\n')
    r = fg.load(tmp_path).solve()
    assert r.nodes.loc["office", "cost_in"] == pytest.approx(1200.0)
    assert len(conservation_violations(r)) == 0
    net = fg.Network("n")
    net.add_node("grid", kind="source")
    net.add_node("office", layers=[], costs={"system": 100.0})
    net.add_flow("grid", "office", "electricity", quantity=5, unit="kWh", price=0.8)
    r = net.solve()
    assert r.nodes.loc["office", "cost_in"] == pytest.approx(104.0)
    assert r.nodes.loc["office", "cost_out"] == 0
    assert len(conservation_violations(r)) == 0
    net.add_node("k", kind="sink")               # an output that carries nothing: not held
    net.add_flow("office", "k", "heat", unit="GJ", quantity=1.0)
    with pytest.raises(fg.AllocationError, match="none of their outputs carries"):
        net.solve()
