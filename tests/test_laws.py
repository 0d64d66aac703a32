"""The laws on generated valid networks (tests/strategies.py): conservation per node and
layer, linearity, order invariance, save/load identity, and never a negative or non-finite
flow in a returned result, also for networks perturbed into possibly invalid ones (where
check and solve must agree)."""

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowgraph as fg
from flowgraph.solvers.conservation import assert_conserved

from .strategies import network_specs, perturbed_specs

SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

#: flow columns that are amounts (scale with the inputs); price is a rate
AMOUNTS = ["quantity", "cost", "cost_material", "cost_energy", "cost_system", "cost_waste",
           "tce", "co2", "value"]


def _independent_balances(spec, result) -> list[str]:
    """Every closed layer of every node, by the spec's own weights: in - out = stock."""
    f = result.flows
    bad = []
    for node in spec.nodes:
        for layer in spec.closed_layers(node):
            w = f["carrier"].map(lambda c, lay=layer: spec.weights[c].get(lay, 0.0))
            amount = w * f["quantity"]
            into = amount[f["target"] == node["id"]].sum()
            out = amount[f["source"] == node["id"]].sum()
            stock = node.get("stock", {}).get(layer, 0.0)
            if not math.isclose(into - out, stock, rel_tol=1e-9, abs_tol=1e-9 * max(into, 1)):
                bad.append(f"{node['id']} {layer}: in {into} - out {out} != stock {stock}")
    return bad


def _assert_sound(result) -> None:
    """Never a negative or non-finite flow in a returned result."""
    f = result.flows
    q = f["quantity"].to_numpy(float)
    assert np.isfinite(q).all(), f"non-finite flows: {list(f.index[~np.isfinite(q)])}"
    assert (q >= 0).all(), f"negative flows: {f.loc[q < 0, 'quantity'].to_dict()}"
    values = f[AMOUNTS].to_numpy(float)
    assert np.isfinite(values).all(), "non-finite values in the flows table"


@SETTINGS
@given(network_specs(process_stock=False))
def test_every_node_and_layer_conserves_on_valid_networks(spec):
    r = spec.build().solve()
    _assert_sound(r)
    assert_conserved(r)
    assert _independent_balances(spec, r) == []


@SETTINGS
@given(network_specs(process_stock=True))
def test_stock_changes_at_process_nodes_conserve_value(spec):
    """A process node with a stock change (stock is an attribute of every node) still obeys
    the laws: what it keeps of the mass must not make value vanish or stick."""
    r = spec.build().solve()
    _assert_sound(r)
    assert _independent_balances(spec, r) == []
    assert_conserved(r)


@SETTINGS
@given(network_specs(), st.floats(0.01, 100))
def test_scaling_every_known_quantity_and_cost_scales_every_flow_and_value(spec, k):
    a = spec.build().solve()
    b = spec.scaled(k).build().solve()
    node_amounts = [c for c in a.nodes.columns if a.nodes[c].dtype.kind == "f"]
    for one, other, cols in ((a.flows, b.flows, AMOUNTS), (a.nodes, b.nodes, node_amounts)):
        x = one[cols].to_numpy(float)
        y = other.loc[one.index, cols].to_numpy(float)
        atol = 1e-12 * k * np.nanmax(np.abs(x), initial=1.0)
        assert np.allclose(y, k * x, rtol=1e-9, atol=atol, equal_nan=True), \
            _worst(one.index, cols, y, k * x)


def _worst(index, cols, got, want) -> str:
    d = np.abs(got - want)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    return f"{index[i]} {cols[j]}: {got[i, j]!r} instead of {want[i, j]!r}"


@SETTINGS
@given(network_specs(), st.randoms(use_true_random=False))
def test_declaring_in_another_order_gives_the_same_results_by_id(spec, rnd):
    a = spec.build().solve()
    b = spec.shuffled(rnd).build().solve()
    fa, fb = a.flows, b.flows.loc[a.flows.index]
    pd.testing.assert_frame_equal(fa, fb, check_exact=False, rtol=1e-9, atol=1e-9)
    na, nb = a.nodes, b.nodes.loc[a.nodes.index, a.nodes.columns]
    pd.testing.assert_frame_equal(na, nb, check_exact=False, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(network_specs(), st.sampled_from([False, True, "auto"]))
def test_save_then_load_gives_identical_flows(tmp_path_factory, spec, tables):
    net = spec.build()
    folder = tmp_path_factory.mktemp("saved")
    fg.save(net, folder, tables=tables)
    back = fg.load(folder).network
    a = net.solve().flows
    b = back.solve().flows
    assert sorted(a.index) == sorted(b.index)
    pd.testing.assert_frame_equal(a, b.loc[a.index], check_exact=False, rtol=1e-12, atol=0)


@settings(SETTINGS, max_examples=120)
@given(perturbed_specs())
def test_perturbed_networks_give_an_error_or_sound_flows(spec):
    """A perturbed network may be invalid (shares over 1, a stock that drains its node, a
    recipe tied downstream, magnitudes near the ends of the floats): the outcome is a
    FlowgraphError or a result whose flows are all finite and >= 0, never anything else."""
    try:
        r = spec.build().solve()
    except fg.FlowgraphError:
        return
    _assert_sound(r)


@settings(SETTINGS, max_examples=60)
@given(perturbed_specs())
def test_check_is_ok_exactly_when_solve_returns_a_result(spec):
    """`check` and `solve` agree: a network check passes is solved, one it fails is refused."""
    try:
        net = spec.build()
    except fg.FlowgraphError:
        return
    try:
        net.solve()
        solved = True
    except fg.FlowgraphError:
        solved = False
    assert net.check().ok == solved
