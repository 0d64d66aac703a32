"""Sweeps in one process (workers=1): every run equals solving its scenario on its own, the
results folder reads in pandas and DuckDB, summaries merge per-chunk statistics, failed
runs are recorded, bad input is refused by name before any run, --resume computes only
what is missing. The Dask paths (LocalCluster, `dask scheduler` / `dask worker`, a worker
killed mid-sweep) are in test_sweep_dask.py."""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowgraph as fg
from flowgraph.app.study import Study, SweepError, sweep
from flowgraph.app.study.command import add_sweep_command
from flowgraph.app.study.spec import RunPlan
from flowgraph.errors import CaseFileError, FlowgraphError, ModelError
from flowgraph.uncertainty import case_inputs

ROOT = Path(__file__).resolve().parents[1]
UNC = ROOT / "cases" / "uncertainty_demo"
KEPT = ["ore", "pigment", "steam drying", "residue"]
COLS = ["quantity", "cost", "tce", "co2", "price", "value"]
#: parameters the property draws from: (name, low, high)
PARAMS = [("flow:ore:quantity", 900, 1100), ("flow:solution:share", 0.95, 0.99),
          ("flow:steam drying:ratio", 0.5, 0.7), ("flow:pigment:price", 4000, 5000),
          ("carrier:electricity:price", 0.5, 0.9), ("carrier:steam:tce", 0.1, 0.15),
          ("node:reaction:costs.system", 1e5, 3e5), ("node:drying:co2", 0.0, 10.0)]


@pytest.fixture(scope="module")
def case():
    return fg.load(UNC)


def q(obj, **kw):
    return sweep(obj, workers=1, progress=False, **kw)


# -- what a run is: an independent computation ------------------------------------------------

def edit(name: str, value: float, net) -> fg.Edit:
    """The scenario edit that sets a parameter (written out here, not taken from the code
    under test)."""
    kind, rest = name.split(":", 1)
    ident, attr = rest.rsplit(":", 1)
    if kind == "flow" and attr == "ratio":
        return fg.Edit.set_flow(ident, per=(net.flow(ident)["per_flow"], value))
    if kind == "flow":
        return fg.Edit.set_flow(ident, **{attr: value})
    if kind == "carrier":
        return fg.Edit.set_carrier(ident, **{attr: value})
    return fg.Edit.set_node(ident, **{attr: value})


def expected(case, row, parameters):
    """Run `row` solved on its own: its scenario's network with its parameter values set,
    net.apply(scenario_k).solve(); the figures by the case's own evaluation."""
    net = case.network_for(row["scenario"])
    edits = [edit(p, row[p], net) for p in parameters if not math.isnan(row[p])]
    r = net.apply(fg.Scenario("k", edits)).solve()
    names = ["base", *case.scenarios]
    figures = {f["name"]: f["value"] for f in case.figure_values(results=dict.fromkeys(names, r))}
    return r, figures


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    both_nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(both_nan | (np.abs(a - b) <= rtol * np.maximum(1.0, np.abs(b)))))


def check_runs(case, study, columns=COLS):
    figs, params = study.figures, study.parameters
    for col in columns:
        flows = study.flows(col)
        for k, row in figs.iterrows():
            r, want = expected(case, row, params)
            for name in study.manifest["spec"]["keep"]["figures"]:
                assert close(row[name], want[name]), (k, name, row[name], want[name])
            assert close(flows.loc[k, KEPT], r.flows.loc[KEPT, col]), (k, col)


@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_run_k_equals_apply_scenario_k_and_solve(case, tmp_path_factory, data):
    chosen = data.draw(st.lists(st.sampled_from(PARAMS), min_size=1, max_size=2,
                                unique_by=lambda p: p[0]))
    grid = {name: data.draw(st.lists(st.floats(lo, hi), min_size=1, max_size=2, unique=True))
            for name, lo, hi in chosen}
    scenarios = data.draw(st.sampled_from([None, "all"]))
    study = q(case, scenarios=scenarios, grid=grid, keep={"flows": KEPT, "columns": COLS},
              out=tmp_path_factory.mktemp("prop") / "out")
    assert study.n_failed == 0 and study.complete
    assert len(study.figures) == (3 if scenarios else 1) * math.prod(map(len, grid.values()))
    check_runs(case, study, ["quantity", "cost", "co2"])


def test_scenarios_all_are_the_case_results(case, tmp_path):
    study = q(case, scenarios="all", out=tmp_path / "s", keep={"flows": KEPT,
                                                                "columns": COLS})
    figs = study.figures
    assert list(figs["scenario"]) == ["base", "better extraction", "more recycling"]
    check_runs(case, study)
    # figures evaluated on a scenario of their own are not per-run figures
    assert "pigment_t_better_extraction" not in figs.columns and "margin_cny" in figs.columns


def test_a_structural_scenario_is_solved_as_a_network_of_its_own(tmp_path):
    net = fg.load(UNC).network
    extra = fg.Scenario("extra sale", [fg.Edit.add_node("trader", kind="sink"),
                                       fg.Edit.add_flow("drying", "trader", "pigment",
                                                        id="sale", share=0.1, price=5000)])
    case = fg.Case(net, {"extra sale": extra},
                   [{"name": "sold", "expr": "total('quantity', sold=1, carrier='pigment')"}])
    study = q(case, scenarios="all", grid={"carrier:ore:price": [280, 320]},
              keep={"flows": ["pigment"], "columns": ["quantity", "cost"]}, out=tmp_path / "x")
    assert study.manifest["spec"]["groups"].keys() == {"base", "extra sale"}
    figs = study.figures
    for k, row in figs.iterrows():
        r, want = expected(case, row, study.parameters)
        assert close(row["sold"], want["sold"])
        assert close(study.flows("cost").loc[k, "pigment"], r.flows.at["pigment", "cost"])
        again = case.network.apply(study.scenario(k)).solve()    # run k as a scenario
        assert close(again.flows["cost"], r.flows["cost"])
    assert figs.loc[figs["scenario"] == "extra sale", "sold"].iloc[0] > figs["sold"].iloc[0]


def test_value_and_structural_scenarios_in_one_sweep(tmp_path):
    """A value-only scenario (solved in the base's group) beside a structural one (a group
    of its own): the structural group looked up the value scenario's parameters, which it
    does not have (KeyError on iron_oxide_red's scenarios, found by fuzzing `sweep`)."""
    net = fg.load(UNC).network
    extra = fg.Scenario("extra sale", [fg.Edit.add_node("trader", kind="sink"),
                                       fg.Edit.add_flow("drying", "trader", "pigment",
                                                        id="sale", share=0.1, price=5000)])
    dear = fg.Scenario("dear ore", [fg.Edit.set_carrier("ore", price=450)])
    case = fg.Case(net, {"extra sale": extra, "dear ore": dear},
                   [{"name": "ore cost", "expr": "total('cost', carrier='ore')"}])
    study = q(case, scenarios="all", keep={"flows": ["pigment"], "columns": ["cost"]},
              out=tmp_path / "x")
    assert study.n_failed == 0
    assert study.manifest["spec"]["groups"].keys() == {"base", "extra sale"}
    assert list(study.figures["scenario"]) == ["base", "extra sale", "dear ore"]
    for k, row in study.figures.iterrows():
        r, want = expected(case, row, study.parameters)
        assert close(row["ore cost"], want["ore cost"])
        assert close(study.flows("cost").loc[k, "pigment"], r.flows.loc["pigment", "cost"])
    ore = study.figures.set_index("scenario")["ore cost"]
    assert ore["dear ore"] == pytest.approx(ore["base"] * 450 / net.carriers["ore"].price)


# -- the results folder -----------------------------------------------------------------------

def test_folder_reads_in_pandas_and_duckdb_and_summary_merges_chunks(case, tmp_path):
    out = tmp_path / "mc"
    study = q(case, draws=30, seed=5, chunk=7, out=out,
              keep={"flows": ["pigment"], "columns": ["quantity", "cost"]})
    m = json.loads((out / "manifest.json").read_text())
    assert m["chunks"] == 5 and sorted(m["chunks_done"]) == list(range(5))
    assert m["case"]["hash"] and m["seed"] == 5 and m["versions"]["pyarrow"]
    runs = pd.read_parquet(out / "runs").sort_values("run").set_index("run")
    pd.testing.assert_frame_equal(runs, study.figures, check_exact=True)
    import duckdb
    got = duckdb.connect().execute(f"SELECT count(*), avg(unit_cost_cny_per_t) FROM "
                                   f"'{out}/runs/*.parquet'").fetchone()
    assert got[0] == 30 and close(got[1], runs["unit_cost_cny_per_t"].mean())
    s = study.summary()
    for name in ("unit_cost_cny_per_t", "margin_cny"):
        v = runs[name].to_numpy()
        assert s.at[name, "count"] == 30
        assert close(s.at[name, "mean"], v.mean()) and close(s.at[name, "std"], v.std(ddof=1))
        assert s.at[name, "min"] == v.min() and s.at[name, "max"] == v.max()
        assert close(s.loc[name, ["p5", "p50", "p95"]], np.percentile(v, [5, 50, 95]))
    cost = study.flows("cost")["pigment"].to_numpy()
    assert close(s.at["flow:pigment:cost", "mean"], cost.mean())
    assert close(s.at["flow:pigment:cost", "p95"], np.percentile(cost, 95))
    assert Study.open(out).summary().equals(s)


def test_draws_come_from_the_seed_sequence_of_each_chunk(case, tmp_path):
    study = q(case, draws=12, seed=7, chunk=5, out=tmp_path / "d")
    figs = study.figures
    c = fg.Solver(case.network).solve().compiled
    from flowgraph.solvers.inputs import bind, merge, sigma_inputs
    bound = bind(merge(case_inputs(case), sigma_inputs(c)), c)
    assert [f"{b.input.kind}:{b.input.id}:{b.input.attribute}" for b in bound] == \
        study.parameters
    children = np.random.SeedSequence(7).spawn(3)          # 12 draws in chunks of 5, 5, 2
    for j, (lo, hi) in enumerate([(0, 5), (5, 10), (10, 12)]):
        rng = np.random.default_rng(children[j])
        for b, p in zip(bound, study.parameters):
            want = b.clip(b.dist.sample(rng, hi - lo))[0]
            assert np.array_equal(figs[p].to_numpy()[lo:hi], want)
    plan = RunPlan("x", "h", [], [], 12, [], 7, 5, None, {}, {}, {})
    assert plan.seed_of(2).generate_state(4).tolist() == children[2].generate_state(4).tolist()


def test_a_grid_in_the_case_file_and_the_report(tmp_path):
    folder = tmp_path / "case"
    folder.mkdir()
    text = (UNC / "case.toml").read_text(encoding="utf-8")
    (folder / "case.toml").write_text(text + '\n[sweep]\ntarget = "margin_cny"\n'
                                      '[sweep.grid]\n"flow:pigment:price" = [4000, 4500, 5000]\n'
                                      '"carrier:ore:price" = [270, 330]\n', encoding="utf-8")
    study = q(fg.load(folder), out=tmp_path / "g", report=True)
    figs = study.figures
    assert len(figs) == 6 and list(figs["flow:pigment:price"][:2]) == [4000, 4000]
    page = (tmp_path / "g" / "report.html").read_text(encoding="utf-8")
    assert "Tornado: what moves margin_cny" in page and "Distribution of margin_cny" in page
    from flowgraph.app.study.overview import tornado_rows
    rows = tornado_rows(figs, study.parameters, study.manifest["spec"]["grid"], "margin_cny")
    lo = figs[figs["flow:pigment:price"] == 4000]["margin_cny"].mean()
    assert close(rows.at["flow:pigment:price", "at_low"], lo)
    (folder / "case.toml").write_text(text + "\n[sweep]\ndraw = 5\n", encoding="utf-8")
    with pytest.raises(CaseFileError, match=r"case.toml:\d+.*'draw'.*did you mean 'draws'"):
        q(fg.load(folder), out=tmp_path / "h")


# -- runs that fail, input that is refused ----------------------------------------------------

def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path):
    net = fg.Network("loop")
    for n, kind in (("src", "source"), ("a", "process"), ("b", "process"), ("sink", "sink")):
        net.add_node(n, kind=kind)
    net.add_flow("src", "a", "m", quantity=10, price=5, id="feed")
    net.add_flow("a", "b", "m", share=0.8, id="ab")
    net.add_flow("a", "sink", "m", quantity=2, id="side")
    net.add_flow("a", "sink", "m", id="la", role="loss")
    net.add_flow("b", "a", "m", share=0.5, id="ba", role="recycle")
    net.add_flow("b", "sink", "m", id="out")
    closed = fg.Scenario("closed", [fg.Edit.set_flow("ab", share=1.0),
                                    fg.Edit.set_flow("ba", share=1.0)])
    case = fg.Case(net, {"closed": closed}, [{"name": "out_t", "expr": "q('out')"}])
    study = q(case, scenarios="all", grid={"flow:side:quantity": [2, 25]}, out=tmp_path / "f")
    failed = study.failed
    assert study.n_failed == len(failed) == 3
    assert list(failed.index) == [1, 2, 3]
    assert failed.loc[1, "error"].startswith("NegativeFlowError: run 1")
    assert "SingularError" in failed.loc[2, "error"] and "closed loop" in failed.loc[2, "error"]
    assert close(study.figures.loc[0, "out_t"], 20 / 3)
    assert study.summary().at["out_t", "count"] == 1


@pytest.mark.parametrize("kw, error, match", [
    ({"grid": {"flow:oer:price": [1]}}, ModelError, r"no flow 'oer'; did you mean 'ore'"),
    ({"grid": {"node:reacton:co2": [1]}}, ModelError, r"no node 'reacton'; did you mean"),
    ({"grid": {"carrier:steem:tce": [1]}}, ModelError, r"no carrier 'steem'; did you mean 'steam'"),
    ({"grid": {"flow:ore:prise": [1]}}, ModelError, r"no parameter 'prise'; did you mean 'price'"),
    ({"grid": {"flow:pigment:quantity": [1]}}, ModelError, r"'pigment' quantity: the flow has no known"),
    ({"grid": {"flow:solution:share": [1.5]}}, ModelError, r"1.5 is out of range"),
    ({"grid": {"flow:ore:price": ["cheap"]}}, ModelError, r"'cheap' is not a number"),
    ({"draws": 2, "keep": {"flows": ["pigmnt"]}}, ModelError, r"keep: the network has no flow 'pigmnt'; did you mean 'pigment'"),
    ({"draws": 2, "keep": {"figures": ["margin"], "flows": []}}, ModelError, r"no figure 'margin'; did you mean 'margin_cny'"),
    ({"draws": 2, "keep": {"figures": ["pigment_t_better_extraction"]}}, ModelError, r"evaluated on a scenario"),
    ({"draws": 2, "keep": {"flows": ["ore"], "columns": ["costs"]}}, ModelError, r"no column 'costs'; did you mean 'cost'"),
    ({"draws": 0}, ModelError, r"draws must be at least 1, not 0"),
    ({"scenarios": ["beter extraction"]}, ModelError, r"did you mean 'better extraction'"),
    ({}, ModelError, r"nothing to run"),
    ({"draws": 5, "workers": 0}, SweepError, r"workers must be a whole number"),
])
def test_bad_input_is_refused_by_name_before_any_run(case, tmp_path, kw, error, match):
    with pytest.raises(error, match=match):
        sweep(case, out=tmp_path / "bad", progress=False, **{"workers": 1, **kw})
    assert not (tmp_path / "bad").exists()


def test_a_scheduler_that_does_not_answer_is_named(case, tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    with pytest.raises(SweepError, match=rf"scheduler at tcp://127.0.0.1:{port} does not "
                                         rf"answer within 1 s"):
        sweep(case, draws=4, scheduler=f"tcp://127.0.0.1:{port}", timeout=1.0,
              out=tmp_path / "x", progress=False)
    assert time.perf_counter() - t0 < 15
    with pytest.raises(SweepError, match=r"give an address such as tcp://HOST:PORT"):
        sweep(case, draws=4, scheduler="localhost:8786", out=tmp_path / "y", progress=False)


def test_resume_refuses_another_case_naming_both_hashes(case, tmp_path):
    out = tmp_path / "r"
    first = q(case, draws=4, seed=1, out=out)
    other = fg.Case(case.network.apply(fg.Scenario("x", [fg.Edit.set_flow("ore", price=1)])),
                    figures=case.figures)
    with pytest.raises(SweepError, match=rf"another case .*case hash "
                                         rf"{first.manifest['case']['hash']}.*case hash [0-9a-f]{{16}}"):
        q(other, draws=4, seed=1, out=out, resume=True)
    with pytest.raises(SweepError, match=r"already holds a sweep .*resume"):
        q(case, draws=4, seed=1, out=out)
    with pytest.raises(SweepError, match=r"differs in .*draws.* \(it has .*draws = 4"):
        q(case, draws=5, seed=1, out=out, resume=True)


# -- resume after an interruption -------------------------------------------------------------

SCRIPT = """
import sys
from flowgraph.app.study import sweep
sweep(sys.argv[1], draws=96, seed=3, chunk=6, workers=1, out=sys.argv[2], progress=False)
"""


def test_resume_after_an_interrupted_sweep_computes_only_missing_chunks(case, tmp_path):
    out = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(UNC), str(out)])
    try:
        deadline = time.monotonic() + 60
        done = []
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                done = json.loads((out / "manifest.json").read_text())["chunks_done"]
            except (OSError, ValueError):
                done = []
            if len(done) >= 2:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    before = set(json.loads((out / "manifest.json").read_text())["chunks_done"])
    assert 2 <= len(before) < 16, "the sweep was not interrupted mid-way"
    study = q(fg.load(UNC), draws=96, seed=3, chunk=6, out=out, resume=True)
    computed = study.manifest["sessions"][-1]["computed"]
    assert set(computed).isdisjoint(before) and len(computed) == 16 - len(before)
    assert sorted(study.manifest["chunks_done"]) == list(range(16)) and study.complete
    whole = q(case, draws=96, seed=3, chunk=6, out=tmp_path / "whole")
    pd.testing.assert_frame_equal(study.figures, whole.figures, check_exact=True)
    assert study.summary().equals(whole.summary())


# -- the command ------------------------------------------------------------------------------

def parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--allow", action="append", default=None)
    common.add_argument("--debug", action="store_true")
    p = argparse.ArgumentParser(prog="flowgraph")
    add_sweep_command(p.add_subparsers(dest="command"), common)
    return p


def test_the_command_prints_one_line_and_reads_a_grid_file(tmp_path, capsys):
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "case.toml").write_text((UNC / "case.toml").read_text(encoding="utf-8"))
    (folder / "grid.toml").write_text('"flow:ore:price" = [250, 350]\n')
    out = tmp_path / "o"
    args = parser().parse_args(["sweep", str(folder), "--out", str(out), "--grid", "grid.toml",
                                "--scenarios", "base,more recycling", "--workers", "1",
                                "--quiet", "--report"])
    assert args.func(args) == 0
    captured = capsys.readouterr()
    line = captured.out.strip()
    assert "\n" not in line and line.startswith("sweep 'demo pigment plant")
    assert "4 runs, 0 failed" in line and "runs/s" in line and str(out) in line
    assert captured.err == ""                       # --quiet, and stderr is not a terminal
    assert (out / "report.html").is_file()
    (tmp_path / "elsewhere.toml").write_text('"flow:ore:price" = [250]\n')
    args = parser().parse_args(["sweep", str(folder), "--out", str(tmp_path / "p"),
                                "--grid", str(tmp_path / "elsewhere.toml"), "--workers", "1"])
    with pytest.raises(CaseFileError, match=r"--grid = .*leads outside the case folder"):
        args.func(args)
    (folder / "bad.toml").write_text('\n"flow:ore:prize" = [250]\n')
    args = parser().parse_args(["sweep", str(folder), "--out", str(tmp_path / "q"),
                                "--grid", "bad.toml", "--workers", "1"])
    with pytest.raises(FlowgraphError, match=r"bad.toml:2: .*did you mean 'price'"):
        args.func(args)


def test_progress_bar_on_stderr_only_when_asked(case, tmp_path, capsys):
    q(case, draws=3, seed=1, out=tmp_path / "a")
    assert capsys.readouterr().err == ""
    study = sweep(case, draws=3, seed=1, out=tmp_path / "b", progress=True)
    captured = capsys.readouterr()
    assert "3/3" in captured.err and captured.out == ""
    # by default a sweep of a few seconds runs in this process, not on a cluster
    assert study.manifest["sessions"][-1]["backend"] == "in-process"
