"""The run engine (solvers/runs.py): each run equals solving the network with the run's
values written in by scenario edits (net.apply(scenario).solve()), to 1e-12 of each
column's scale; runs that fail come back as their errors without stopping the others;
chunking does not change a run; the figure functions read the same numbers from the arrays
as from the flows and nodes tables."""

from __future__ import annotations

import functools
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowgraph as fg
from flowgraph.errors import ExpressionError, FlowgraphError, NegativeFlowError, NonFiniteError
from flowgraph.model import units
from flowgraph.model.scenario import Edit, Scenario
from flowgraph.solvers import batch, runrefine
from flowgraph.solvers.compiled import compile_network
from flowgraph.solvers.inputs import Input
from flowgraph.solvers.queries import result_functions
from flowgraph.solvers.runs import RunEngine
from flowgraph.solvers.specs import KNOWN, PER, SHARE

from .conftest import looped_networks
from .strategies import valid_networks

CASES = Path(__file__).parent.parent / "cases"
RTOL = 1e-12


# -- the independent reference: a scenario of edits, solved -------------------------------------

def scenario(net, params, v) -> Scenario:
    """The edits that write the run's values into the network, as a user would."""
    edits = []
    for inp, value in zip(params, v):
        if not np.isfinite(value):
            continue
        if inp.kind == "flow" and inp.attribute == "ratio":
            edits.append(Edit.set_flow(inp.id, per=(net.flow(inp.id)["per_flow"], float(value))))
        elif inp.kind == "flow":
            edits.append(Edit.set_flow(inp.id, **{inp.attribute: float(value)}))
        elif inp.kind == "carrier":
            edits.append(Edit.set_carrier(inp.id, **{inp.attribute: float(value)}))
        else:
            edits.append(Edit.set_node(inp.id, **{inp.attribute: float(value)}))
    return Scenario("run", edits)


def reference(net, params, v, strict=None):
    """net.apply(scenario).solve() (a Solver of the given strictness): a Result, or the
    FlowgraphError it raises."""
    try:
        edited = scenario(net, params, v).apply_to(net)
        return edited.solve() if strict is None else fg.Solver(edited, strict=strict).solve()
    except FlowgraphError as exc:
        return exc


def assert_same(run, ref, rtol=RTOL):
    """Every numeric column of flows and nodes agrees to rtol of the column's scale."""
    for table in ("flows", "nodes"):
        a, b = getattr(run, table), getattr(ref, table)
        assert list(a.columns) == list(b.columns), table
        assert list(a.index) == list(b.index), table
        for col in b.columns:
            if b[col].dtype.kind not in "fcbi":
                assert _texts(a[col]) == _texts(b[col]), (table, col)
                continue
            x, y = a[col].to_numpy(float), b[col].to_numpy(float)
            scale = np.nanmax(np.abs(y), initial=0.0)
            np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * scale, equal_nan=True,
                                       err_msg=f"{table}.{col}")


def _texts(column) -> list:
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
            for v in column.astype(object).tolist()]


def check_runs(net, params, V, strict=None):
    """Every run of the engine against its reference: same numbers, or the same error."""
    results = RunEngine(net, params, strict=True if strict is None else strict).results(V)
    assert len(results) == len(V)
    for d, (got, v) in enumerate(zip(results, V)):
        ref = reference(net, params, v, strict)
        if isinstance(ref, FlowgraphError):
            assert isinstance(got, type(ref)) or isinstance(ref, type(got)) and \
                isinstance(got, FlowgraphError), (d, got, ref)
            assert str(got).startswith(f"run {d} ("), str(got)
        else:
            assert not isinstance(got, FlowgraphError), (d, got)
            assert_same(got, ref)
    return results


# -- networks ---------------------------------------------------------------------------------

def mill():
    """A mill with a recycle loop through a kiln, purchased ore and power, own and waste
    costs, a recipe reagent, and a product sold at a price of its own."""
    net = fg.Network("mill")
    net.add_carrier("ore", "material", "t", price=10.0, co2=0.1)
    net.add_carrier("reagent", "material", "t", price=40.0)
    net.add_carrier("power", "energy", "kWh", price=0.7, tce=0.0001229, co2=0.0005)
    net.add_node("market", kind="source")
    net.add_node("grid", kind="source")
    net.add_node("mill", costs={"system": 50.0, "waste_management": 5.0}, co2=2.0)
    net.add_node("kiln", costs={"energy": 20.0})
    net.add_node("customer", kind="sink")
    net.add_node("landfill", kind="sink")
    net.add_flow("market", "mill", "ore", quantity=100, id="x1")
    net.add_flow("market", "mill", "reagent", per=("x1", 0.05), id="r1")
    net.add_flow("grid", "mill", "power", quantity=500, id="e1")
    net.add_flow("grid", "kiln", "power", quantity=200, id="e2")
    net.add_flow("mill", "kiln", "ore", share=0.8, id="mk")
    net.add_flow("kiln", "mill", "ore", share=0.1, id="back")
    net.add_flow("kiln", "customer", "ore", price=30.0, id="product")
    net.add_flow("mill", "landfill", "ore", role="loss", id="tailings")
    return net


PARAMS = [Input("flow", "x1", "quantity", None), Input("carrier", "ore", "price", None),
          Input("node", "mill", "costs.system", None), Input("flow", "mk", "share", None),
          Input("carrier", "power", "co2", None), Input("node", "mill", "costs.waste_management", None),
          Input("flow", "r1", "ratio", None), Input("flow", "product", "price", None),
          Input("node", "kiln", "tce", None), Input("carrier", "power", "tce", None),
          Input("flow", "e2", "quantity", None), Input("node", "mill", "co2", None)]


def scaled(engine, factors):
    return np.array([engine.nominal_values * f for f in factors])


def one_at_a_time(n, k=1.3):
    f = np.ones((n + 1, n))
    f[np.arange(n) + 1, np.arange(n)] = k
    return f


# -- each kind of run against its reference ----------------------------------------------------

def test_nominal_run_is_the_solve():
    net = mill()
    engine = RunEngine(net, PARAMS)
    assert_same(engine.nominal, net.solve())
    assert_same(engine.results(engine.nominal_values[None, :])[0], net.solve())


@pytest.mark.parametrize("which", ["value", "quantity", "share", "mixed"])
def test_each_run_equals_its_solve(which):
    net = mill()
    nominal = RunEngine(net, PARAMS).nominal_values
    kinds = {"value": [1, 2, 4, 5, 7, 8, 9, 11], "quantity": [0, 10], "share": [3, 6]}
    rng = np.random.default_rng(5)
    if which == "mixed":
        F = rng.uniform(0.7, 1.2, (12, len(PARAMS)))
        F[:, 3] = rng.uniform(0.8, 1.05, 12)                  # the share stays below 1
    else:
        cols = kinds[which]
        F = np.ones((1 + 2 * len(cols), len(PARAMS)))
        for i, j in enumerate(cols):
            F[1 + 2 * i, j], F[2 + 2 * i, j] = 0.6, 1.2
    check_runs(net, PARAMS, nominal * F)


def test_value_only_runs_with_zero_and_new_origins():
    """A price set to 0, a factor where the network has none (kiln tce, nominal 0)."""
    net = mill()
    nominal = RunEngine(net, PARAMS).nominal_values
    V = np.repeat(nominal[None, :], 3, axis=0)
    V[0, 1] = 0.0
    V[1, 8] = 3.0
    V[2, [5, 11]] = [0.0, 0.0]
    check_runs(net, PARAMS, V)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(looped_networks(max_nodes=6), st.integers(0, 2**31 - 1))
def test_runs_of_looped_networks(net, seed):
    c = compile_network(net)
    rng = np.random.default_rng(seed)
    params = [Input("flow", f, "quantity", None) for f in c.flow_ids[c.spec == KNOWN][:3]]
    params += [Input("flow", f, "share", None) for f in c.flow_ids[c.spec == SHARE][:2]]
    params += [Input("carrier", "m", "price", None), Input("carrier", "e", "co2", None),
               Input("node", "p0", "costs.system", None)]
    params = [p for p in params if p.kind != "carrier" or p.id in set(c.pair_carrier)]
    engine = RunEngine(net, params)
    F = rng.uniform(0.8, 1.1, (5, len(params)))
    F[0] = 1.0
    F[1, [j for j, p in enumerate(params) if p.attribute != "quantity"]] = 1.0
    check_runs(net, params, engine.nominal_values * F)


def _params_of(net, rng) -> list[Input]:
    """Up to 8 parameters of every kind the network has."""
    c = compile_network(net)
    out = []
    for spec, attr in ((KNOWN, "quantity"), (SHARE, "share"), (PER, "ratio")):
        ids = list(c.flow_ids[c.spec == spec])
        out += [Input("flow", f, attr, None) for f in rng.permutation(ids)[:2]]
    priced = list(c.flow_ids[np.isfinite(c.price)])
    out += [Input("flow", f, "price", None) for f in rng.permutation(priced)[:1]]
    for name in sorted(set(c.pair_carrier)):
        car = net.carriers[name]
        for attr in ("price", "co2", "tce"):
            if getattr(car, attr) is not None and rng.random() < 0.3:
                own = np.isfinite(net.flow_frame()["price"].to_numpy(float))
                if attr != "price" or (~own[c.carrier == name]).any():
                    out.append(Input("carrier", name, attr, None))
    procs = list(c.node_ids[c.node_kind == "process"])
    out += [Input("node", n, a, None) for n, a in zip(rng.permutation(procs)[:2],
                                                      ("costs.system", "co2"))]
    keys = set()
    return [p for p in out if not (p.key in keys or keys.add(p.key))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_networks(max_nodes=5), st.integers(0, 2**31 - 1))
def test_property_every_run_equals_its_solve(net, seed):
    """Networks with loops, recipes, storage, separators, boilers and every allocation key:
    runs changing random subsets of their parameters by up to +-25 %."""
    rng = np.random.default_rng(seed)
    params = _params_of(net, rng)
    if not params:
        return
    engine = RunEngine(net, params)
    check_runs(net, params, engine.nominal_values * _factors(rng, params, 4))


@functools.cache
def _bundled(name):
    """A bundled case's base network, if its base solves (reconcile_demo is measurements
    to reconcile, not a network that solves as given)."""
    case = fg.load(CASES / name)
    net, strict = case.network, case.solver.strict
    return (net, strict) if not isinstance(reference(net, [], [], strict), FlowgraphError) \
        else (None, strict)


BUNDLED = sorted(p.name for p in CASES.iterdir() if (p / "case.toml").exists())


@pytest.mark.parametrize("name", BUNDLED)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1))
def test_property_runs_of_the_bundled_cases(name, seed):
    """Each bundled case: runs changing random subsets of up to 8 of its parameters of
    every kind by up to +-25 %, each equal to its scenario solved."""
    net, strict = _bundled(name)
    if net is None:
        pytest.skip(f"the base of {name} does not solve as given")
    rng = np.random.default_rng(seed)
    params = _params_of(net, rng)
    if not params:
        return
    engine = RunEngine(net, params, strict=strict)
    check_runs(net, params, engine.nominal_values * _factors(rng, params, 3), strict)


def _factors(rng, params, runs: int) -> np.ndarray:
    """Run 0 the nominal values; each other run changes a random half of the parameters by
    up to +-25 % (shares kept at most 1)."""
    F = np.ones((runs, len(params)))
    for d in range(1, runs):
        on = rng.random(len(params)) < 0.5
        F[d, on] = rng.uniform(0.75, 1.25, on.sum())
    share = [j for j, p in enumerate(params) if p.attribute == "share"]
    F[:, share] = np.minimum(F[:, share], 1.0)
    return F


# -- failures -------------------------------------------------------------------------------

def test_share_runs_reuse_the_nominal_factorisation(monkeypatch):
    # a share run changes a few rows of the balance matrix: solved by the Woodbury identity
    # with the nominal factorisation (lowrank.py), not analysed and factorised anew
    net = mill()
    engine = RunEngine(net, PARAMS)
    fresh, exact = [], []
    real = batch.solve_balance
    monkeypatch.setattr(batch, "solve_balance", lambda *a, **k: fresh.append(1) or real(*a, **k))
    # value flow: the columns of I - K the share moves are corrected exactly in the
    # preconditioner (keymoves.py), so no run needs a factorisation of its own
    values = runrefine.solve_values
    monkeypatch.setattr(runrefine, "solve_values", lambda *a, **k: exact.append(1) or values(*a, **k))
    V = scaled(engine, np.ones((4, len(PARAMS))))
    V[:, 3] = [0.5, 0.6, 0.7, 0.75]                          # share of mill -> kiln
    V[3, 6] = 0.08                                           # and a recipe ratio
    results = engine.results(V)
    assert fresh == [] and exact == []
    for d in range(len(V)):
        assert_same(results[d], reference(net, PARAMS, V[d]))
    # a share run whose matrix turns singular is solved anew, which names the fault
    loop = fg.Network("loop")
    loop.add_node("in", kind="source")
    loop.add_node("a")
    loop.add_node("b")
    loop.add_node("out", kind="sink")
    loop.add_flow("in", "a", "m", quantity=10, id="feed")
    loop.add_flow("a", "b", "m", id="ab")
    loop.add_flow("b", "a", "m", share=0.5, id="back")
    loop.add_flow("b", "out", "m", id="product")
    params = [Input("flow", "back", "share", None)]
    got = RunEngine(loop, params).results(np.array([[0.9], [1.0]]))
    assert_same(got[0], reference(loop, params, np.array([0.9])))
    assert isinstance(got[1], FlowgraphError) and str(got[1]).startswith("run 1 (")
    assert len(fresh) >= 1


def test_failing_runs_come_back_as_errors_and_the_others_go_on():
    net = mill()
    engine = RunEngine(net, PARAMS)
    nom = engine.nominal_values
    V = np.repeat(nom[None, :], 7, axis=0)
    V[1, 0] = -5.0                       # a quantity below 0: refused by name
    V[2, 3] = 1.2                        # a share above 1
    V[3, 0] = 1e308                      # overflows
    V[4, 1] = 12.0                       # a good run between
    V[5, 6] = np.nan                     # not a number
    V[6, 3] = 0.99
    results = engine.results(V, first=40)
    assert not isinstance(results[0], FlowgraphError)
    assert isinstance(results[1], fg.ModelError) and "run 41 (flow 'x1' quantity = -5)" in str(results[1])
    assert isinstance(results[2], fg.ModelError) and str(results[2]).startswith("run 42 (")
    assert isinstance(results[3], fg.ModelError) and "is beyond 1e+15" in str(results[3])
    assert isinstance(results[5], fg.ModelError) and str(results[5]).startswith("run 45 (")
    for d in (0, 4, 6):
        assert_same(results[d], reference(net, PARAMS, V[d]))
    for d in (1, 2, 3):
        assert isinstance(reference(net, PARAMS, V[d]), fg.ModelError)


def test_values_beyond_the_float_range_are_refused_by_name():
    """Without the edits' checks (Monte Carlo draws): 1e308 t of ore costs 1e309 CNY."""
    net = mill()
    engine = RunEngine(net, PARAMS, validate=False)
    V = np.repeat(engine.nominal_values[None, :], 3, axis=0)
    V[1, 0] = 1e308
    results = engine.results(V)
    assert isinstance(results[1], NonFiniteError) and str(results[1]).startswith("run 1 (")
    assert "'x1'" in str(results[1]) and "x1" in results[1].flows
    for d in (0, 2):
        assert_same(results[d], net.solve())


def test_a_run_that_makes_a_flow_negative_is_refused_like_the_solve():
    """p sells what it does not waste: 15 t of waste fixed, the feed drawn below it."""
    net = fg.Network("p")
    net.add_carrier("ore", "material", "t", price=10.0)
    net.add_node("src", kind="source")
    net.add_node("p", costs={"system": 5.0})
    net.add_node("sink", kind="sink")
    net.add_flow("src", "p", "ore", quantity=100, id="feed")
    net.add_flow("p", "sink", "ore", quantity=15, role="waste", id="waste")
    net.add_flow("p", "sink", "ore", id="product")
    params = [Input("flow", "feed", "quantity", None), Input("flow", "waste", "quantity", None)]
    V = np.array([[100.0, 15.0], [10.0, 15.0], [100.0, 150.0], [120.0, 15.0]])
    results = check_runs(net, params, V)
    assert isinstance(results[1], NegativeFlowError) and results[1].flows == ["product"]
    assert isinstance(results[2], NegativeFlowError)


def test_over_determined_runs_contradict_by_name():
    """Feed, waste and product all known: a run that changes one breaks the balance."""
    net = fg.Network("p")
    net.add_carrier("ore", "material", "t")
    net.add_node("src", kind="source")
    net.add_node("p")
    net.add_node("sink", kind="sink")
    net.add_flow("src", "p", "ore", quantity=100, id="feed")
    net.add_flow("p", "sink", "ore", quantity=15, role="waste", id="waste")
    net.add_flow("p", "sink", "ore", quantity=85, id="product")
    results = check_runs(net, [Input("flow", "feed", "quantity", None)],
                         np.array([[100.0], [101.0]]))
    assert isinstance(results[1], fg.InconsistentError)
    assert "over-determined data contradict" in str(results[1])


# -- chunks, snapshots -------------------------------------------------------------------------

def test_results_do_not_depend_on_chunking():
    net = mill()
    engine = RunEngine(net, PARAMS)
    rng = np.random.default_rng(3)
    F = rng.uniform(0.8, 1.1, (11, len(PARAMS)))
    F[::3] = 1.0
    F[1::4, 3] = 1.0
    F[5, 0] = -1.0
    V = engine.nominal_values * F
    whole = engine.results(V)
    parts = engine.results(V[:4]) + RunEngine(net, PARAMS).results(V[4:9], first=4) + \
        engine.results(V[9:], first=9)
    for a, b in zip(whole, parts):
        if isinstance(a, FlowgraphError):
            assert type(a) is type(b) and str(a) == str(b)
        else:
            assert_same(a, b, rtol=1e-14)


def test_a_run_result_is_a_snapshot_that_pickles():
    net = mill()
    engine = RunEngine(net, PARAMS)
    V = engine.nominal_values * np.where(np.arange(len(PARAMS)) == 1, 1.5, 1.0)
    run = engine.results(V[None, :])[0]
    assert run.scenario == "run 0"
    assert "flows" not in run.__dict__ and run.values.parts is not None
    again = pickle.loads(pickle.dumps(run))
    assert type(again) is fg.Result
    assert_same(again, run, rtol=0)
    assert run.compiled.price[run.compiled.flow_ids.get_loc("x1")] == 15.0
    assert engine.c.price[engine.c.flow_ids.get_loc("x1")] == 10.0


def test_parameters_need_no_distribution_and_are_checked_by_name():
    with pytest.raises(fg.ModelError, match="no such flow"):
        RunEngine(mill(), [Input("flow", "nope", "quantity", None)])
    with pytest.raises(ValueError, match="columns"):
        RunEngine(mill(), PARAMS[:2]).results(np.zeros((1, 3)))


# -- figure queries read the arrays ---------------------------------------------------------------

def frame_functions(result) -> dict:
    """The figure functions as they were: read off the flows and nodes tables."""
    flows = result.flows
    kinds = result.compiled.node_kind
    tail_kind, head_kind = kinds[result.compiled.tail], kinds[result.compiled.head]

    def row(fid):
        if fid not in flows.index:
            raise ExpressionError(f"unknown flow '{fid}'")
        return flows.loc[fid]

    def q(fid, unit=None):
        r = row(fid)
        return float(r["quantity"]) * (units.factor(r["unit"], unit) if unit else 1.0)

    def flow(fid, column):
        r = row(fid)
        if column not in r.index:
            raise ExpressionError(f"flows have no column '{column}'")
        return float(r[column])

    def node(nid, column):
        nodes = result.nodes
        if nid not in nodes.index:
            raise ExpressionError(f"unknown node '{nid}'")
        if column not in nodes.columns:
            raise ExpressionError(f"nodes have no column '{column}'")
        return float(nodes.at[nid, column])

    def total(column="cost", **where):
        if column not in flows.columns:
            raise ExpressionError(f"flows have no column '{column}'")
        mask = np.ones(len(flows), dtype=bool)
        for key, want in where.items():
            if key == "purchased":
                mask &= (tail_kind == "source") == bool(want)
            elif key == "sold":
                mask &= (head_kind == "sink") == bool(want)
            elif key in flows.columns:
                mask &= np.isin(flows[key].to_numpy(), want if isinstance(want, list) else [want])
            else:
                raise ExpressionError(f"total(): unknown filter '{key}'")
        return float(np.nansum(flows[column].to_numpy(dtype=float)[mask]))

    return {"q": q, "flow": flow, "node": node, "total": total}


def check_queries(result):
    """Every figure function on every flow, node and column, arrays against tables."""
    # read the arrays before any table exists (a run builds them only when asked)
    arrays = result_functions(result)
    probes = []
    fids = list(result.compiled.flow_ids[:12]) + ["no such flow"]
    nids = list(result.compiled.node_ids[:8]) + ["no such node"]
    columns = [*result.flow_columns(), "nope"]
    for fid in fids:
        probes.append(("q", (fid,), {}))
        probes.append(("q", (fid, "kg"), {}))
        probes += [("flow", (fid, col), {}) for col in columns]
    for col in [*result.flow_columns(), "nope"]:
        probes.append(("total", (col,), {}))
    c = result.compiled
    for key, want in (("purchased", 1), ("sold", 1), ("purchased", 0),
                      ("carrier", c.pair_carrier[0]), ("kind", ["energy", "material"]),
                      ("role", "loss"), ("spec", "quantity"), ("negative", True),
                      ("source", c.node_ids[0]), ("unit", "t"), ("bogus", 1)):
        probes += [("total", (col,), {key: want}) for col in ("cost", "quantity", "tce")]
    got = [(name, args, kw, _try(arrays[name], *args, **kw)) for name, args, kw in probes]
    nodes = [("node", (nid, col), {}) for nid in nids for col in [*result.node_columns(), "x"]]
    got += [(name, args, kw, _try(arrays[name], *args, **kw)) for name, args, kw in nodes]
    frames = frame_functions(result)
    for name, args, kw, value in got:
        want = _try(frames[name], *args, **kw)
        if isinstance(want, Exception):
            assert isinstance(value, type(want)), (name, args, kw, value, want)
        elif isinstance(want, float) and np.isnan(want):
            assert np.isnan(value), (name, args, kw)
        else:
            assert value == pytest.approx(want, rel=1e-13, abs=1e-13 * abs(want)), \
                (name, args, kw, value, want)


def _try(f, *args, **kw):
    try:
        return f(*args, **kw)
    except Exception as exc:            # noqa: BLE001 - compared with the tables' error
        return exc


def test_queries_read_the_same_numbers_as_the_tables_on_runs():
    net = mill()
    engine = RunEngine(net, PARAMS)
    rng = np.random.default_rng(2)
    V = engine.nominal_values * rng.uniform(0.8, 1.05, (3, len(PARAMS)))
    for run in [engine.nominal, *engine.results(V)]:
        check_queries(run)


@pytest.mark.parametrize("case", ["demo", "glyphosate", "pvc_carbide", "iron_oxide_red"])
def test_queries_read_the_same_numbers_as_the_tables_on_cases(case):
    check_queries(fg.load(CASES / case).solver.solve())


def test_case_figures_of_a_run_equal_those_of_its_scenario():
    """Case.figure_values over a run's Result equals the figures of the edited case."""
    case = fg.load(CASES / "demo")
    c = compile_network(case.network)
    fid = c.flow_ids[c.spec == KNOWN][0]
    params = [Input("flow", fid, "quantity", None)]
    engine = RunEngine(case.network, params)
    run = engine.results(engine.nominal_values[None, :] * 1.1)[0]
    edited = scenario(case.network, params, engine.nominal_values * 1.1).apply_to(case.network)
    ref = fg.Solver(edited).solve()
    base_only = [f for f in case.figures if f.scenario in (None, "base")]
    if not base_only:
        pytest.skip("the demo case has no base figures")
    for f in base_only:
        a = _try(_figure(case, f, run))
        b = _try(_figure(case, f, ref))
        if isinstance(b, Exception):
            assert type(a) is type(b)
        else:
            assert a == pytest.approx(b, rel=1e-12, abs=1e-12 * abs(b)), f.name


def _figure(case, fig, result):
    from flowgraph.expr import Expression
    funcs = result_functions(result)
    return lambda: Expression(fig.expr).evaluate({}, {**funcs, "figure": lambda name: 0.0})


def test_chained_runs_without_a_carry_are_the_runs_themselves():
    # RunEngine.chained with nothing carried (no stock node) solves each run on its own
    from flowgraph.solvers.runcarry import Carry
    net = mill()
    engine = RunEngine(net, PARAMS)
    V = scaled(engine, np.random.default_rng(3).uniform(0.8, 1.2, (3, len(PARAMS))))
    V[:, 3] = engine.nominal_values[3]                       # the share as given
    quantities = [r.quantities for r in engine.results(V, values=False)]
    none = Carry(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, 6)))
    for got, ref in zip(engine.chained(V, quantities, none), engine.results(V)):
        assert_same(got, ref)
