"""The laws, on random networks with recycle loops (hypothesis)."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowgraph as fg
from flowgraph.solvers.conservation import assert_conserved

from .conftest import looped_networks

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(looped_networks())
def test_mass_and_every_attribute_conserved_at_each_node_and_overall(net):
    r = net.solve()
    assert_conserved(r)
    f = r.flows
    bought = f["source"] == "src"
    to_sink = f["target"] == "sink"
    assert np.isclose(f.loc[bought, "quantity"][f["carrier"] == "m"].sum(),
                      f.loc[to_sink, "quantity"].sum(), rtol=1e-9)
    own = net.node_frame()[[c for c in net.node_frame().columns if c.startswith("costs.")]].sum().sum()
    assert np.isclose(f.loc[bought, "cost"].sum() + own, f.loc[to_sink, "cost"].sum(), rtol=1e-9)


def _scaled(net, factor, what):
    edits = []
    for fid, rec in net.flow_frame().iterrows():
        if what == "quantity" and not np.isnan(rec["quantity"]):
            edits.append(fg.Edit.scale_flow(fid, factor))
    if what == "price":
        for name, car in net.carriers.items():
            if car.price is not None:
                edits.append(fg.Edit.set_carrier(name, price=car.price * factor))
    return net.apply(fg.Scenario(f"x{factor}", edits))


@SETTINGS
@given(looped_networks(), st.floats(0.1, 10))
def test_results_scale_linearly_with_inputs(net, k):
    r1 = net.solve()
    r2 = _scaled(net, k, "quantity").solve()
    a, b = r1.flows, r2.flows
    assert np.allclose(b["quantity"], k * a["quantity"], rtol=1e-9, atol=1e-9)
    for col in ("cost_material", "cost_energy", "tce", "co2"):
        assert np.allclose(b[col], k * a[col], rtol=1e-9, atol=1e-9)
    # allocation keys are shares: own (system) costs do not scale with the quantities
    assert np.allclose(b["cost_system"], a["cost_system"], rtol=1e-9, atol=1e-9)
    r3 = _scaled(net, k, "price").solve()
    assert np.allclose(r3.flows["cost_material"], k * a["cost_material"], rtol=1e-9, atol=1e-9)


@SETTINGS
@given(looped_networks(), st.randoms(use_true_random=False))
def test_node_and_flow_order_do_not_matter(net, rnd):
    nodes = net.node_frame().reset_index()
    flows = net.flow_frame().reset_index()
    nodes = nodes.iloc[rnd.sample(range(len(nodes)), len(nodes))]
    flows = flows.iloc[rnd.sample(range(len(flows)), len(flows))]
    carriers = [c.to_record() for c in net.carriers.values()]
    other = fg.Network.from_frames(nodes, flows, carriers)
    a = net.solve().flows
    b = other.solve().flows.loc[a.index]
    num = ["quantity", "cost", "cost_material", "cost_energy", "cost_system", "cost_waste",
           "tce", "co2"]
    assert np.allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=1e-9, atol=1e-9)


@SETTINGS
@given(looped_networks(), st.booleans())
def test_save_then_load_loses_nothing(tmp_path_factory, net, as_tables):
    folder = tmp_path_factory.mktemp("case")
    fg.save(net, folder / "case.toml") if not as_tables else \
        fg.save(net, folder, tables=True)
    back = fg.load(folder).network
    drop = ["_origin"]
    a = net.node_frame().drop(columns=drop, errors="ignore")
    b = back.node_frame().drop(columns=drop, errors="ignore").loc[a.index]
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False)
    a = net.flow_frame().drop(columns=drop, errors="ignore")
    b = back.flow_frame().drop(columns=drop, errors="ignore").loc[a.index]
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False)
    assert {k: c.to_record() for k, c in net.carriers.items()} == \
        {k: c.to_record() for k, c in back.carriers.items()}
    assert np.allclose(net.solve().flows["cost"], back.solve().flows.loc[a.index, "cost"])
