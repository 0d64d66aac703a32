"""The Solver object and the Result snapshot: a result never changes or breaks when the
network is edited afterwards; a Solver reuses its factorisations across scenarios and
pickles to another process."""

import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg


def plant():
    net = fg.Network("plant")
    net.add_node("market", kind="source")
    net.add_node("mill")
    net.add_node("kiln")
    net.add_node("customer", kind="sink")
    net.add_node("landfill", kind="sink")
    net.add_flow("market", "mill", "ore", quantity=100, price=50, id="ore")
    net.add_flow("mill", "kiln", "concentrate", share=0.9, id="conc")
    net.add_flow("mill", "landfill", "tailings", role="loss", id="tailings")
    net.add_flow("kiln", "mill", "dust", share=0.1, id="dust")          # a recycle loop
    net.add_flow("kiln", "customer", "clinker", role="product", id="clinker")
    return net


def test_a_result_is_a_snapshot_of_what_was_solved():
    net = plant()
    r = net.solve()
    before = r.flows.copy()
    net.add_node("silo", kind="storage")
    net.add_flow("kiln", "silo", "clinker", quantity=1, id="to silo")
    net.set_flow("ore", quantity=200)
    net.remove_flow("dust")
    pd.testing.assert_frame_equal(r.flows, before)              # read after the edits
    assert list(r.nodes.index) == ["market", "mill", "kiln", "customer", "landfill"]
    assert r.network.flow("ore")["quantity"] == 100
    assert "to silo" not in r.network
    assert net.flow("ore")["quantity"] == 200                      # the edits are there


def test_a_copy_is_independent_both_ways():
    net = plant()
    twin = net.copy()
    twin.set_flow("ore", quantity=7)
    net.set_flow("conc", share=0.5)
    assert net.flow("ore")["quantity"] == 100 and twin.flow("conc")["share"] == 0.9


def test_the_solver_reuses_its_factorisations_across_scenarios():
    net = plant()
    solver = fg.Solver(net)
    base = solver.solve()
    held = dict(solver._cache)
    assert held, "the solver keeps the balance and value factorisations"
    dearer = fg.Scenario("dearer ore", [fg.Edit.set_flow("ore", price=80)])
    more = fg.Scenario("more ore", [fg.Edit.set_flow("ore", quantity=150)])
    for sc in (dearer, more):
        got = solver.solve(sc)
        assert got.scenario == sc.name
        want = net.apply(sc).solve()
        pd.testing.assert_frame_equal(got.flows, want.flows)
        if sc is dearer:            # a price: neither matrix changes, both are reused
            assert all(solver._cache[k] is held[k] for k in held)
    # a known quantity changes no matrix of the balance: its factorisation is reused
    balance = [k for k in held if k[0] != "value"]
    assert balance and all(solver._cache[k] is held[k] for k in balance)
    # by hand: the mill's value A = 5000 + 0.1 * 0.9 * A; clinker carries 0.9 * 0.9 of it
    assert base.flows.at["clinker", "cost"] == pytest.approx(0.81 * 5000 / 0.91)
    assert solver.solve(dearer).flows.at["clinker", "cost"] == pytest.approx(0.81 * 8000 / 0.91)


def _solve_in_worker(blob):
    solver = pickle.loads(blob)
    return solver.solve().flows["quantity"].to_numpy()


def test_a_solver_and_a_result_pickle_to_another_process():
    net = plant()
    solver = fg.Solver(net)
    r = solver.solve()
    blob = pickle.dumps(solver)                       # factorisations are left behind
    with ProcessPoolExecutor(1) as pool:
        x = pool.submit(_solve_in_worker, blob).result(timeout=120)
    np.testing.assert_allclose(x, r.flows["quantity"].to_numpy(), rtol=1e-12)
    back = pickle.loads(pickle.dumps(r))
    pd.testing.assert_frame_equal(back.flows, r.flows)


def test_solve_without_a_network_is_refused():
    with pytest.raises(TypeError, match="needs a network"):
        fg.Solver().solve()


def test_load_gives_a_case_with_its_network_and_results():
    case = fg.load("cases/demo")
    assert isinstance(case, fg.Case) and isinstance(case.network, fg.Network)
    assert case.result() is case.result()                          # solved once
    pd.testing.assert_frame_equal(case.solve().flows, case.result().flows)
