"""The amortised run engine (solvers/runs.py) against solving each run anew, on the generated
plant of bench_uncertainty (process chains with recycle loops; 1e5 nodes = 3.8e5 flows by
default). Ratios measured in one run, printed with a PASS/MISS line per target of issue 15;
not timed tests (the machine may be shared: the ratios measure what was free).

  scenarios   1,000 value-only scenarios (no structural edit: prices, carrier factors, node
              costs and known quantities), one worker: RunEngine.results against the loop
              of net.apply(s).solve() (timed on a sample and scaled); each run's figures
              read total('cost') and a product's quantity; target >= 20x
  shares      runs over three shares: on the nominal factorisation (Woodbury) against each
              solved anew; printed, no target
  montecarlo  a draw with quantities and every value attribute (cost, tce, co2) against
              quantities alone; target <= 2x
  set-up      Monte Carlo set-up with n, 2n and 4n uncertain inputs; target linear (growth
              exponent <= 1.1; it was quadratic)
  solve       one cold solve at 1e6 flows (plant and io of bench_solve): propagation
              against the balance, target <= 1.2x; the same solve on one BLAS thread and on
              all (threadpoolctl), target: more threads never slower (5 % noise allowed)

    python benchmarks/bench_sweep.py                  # full size (about 15 minutes)
    python benchmarks/bench_sweep.py --quick          # small sizes, about a minute
    python benchmarks/bench_sweep.py --scale          # also bench_sweep_scale (workers, memory)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import flowgraph as fg  # noqa: E402
from flowgraph import uncertainty as un  # noqa: E402
from flowgraph.model.scenario import Edit, Scenario  # noqa: E402
from flowgraph.solvers.inputs import Input  # noqa: E402
from flowgraph.solvers.queries import result_functions  # noqa: E402
from flowgraph.solvers.runs import RunEngine  # noqa: E402

ROWS: list[tuple[str, str, float, str, bool]] = []


def target(name: str, measured: str, ratio: float, goal: str, ok: bool) -> None:
    ROWS.append((name, measured, ratio, goal, ok))
    print(f"  -> {name}: {ratio:.2f}x ({goal}) {'PASS' if ok else 'MISS'}", flush=True)


# -- 1. value-only scenarios ------------------------------------------------------------------

def scenario_params(net, n_nodes: int = 20, n_flows: int = 20) -> list[Input]:
    """Parameters a scenario study varies: both carriers' prices and factors, the system
    costs of n_nodes processes, the purchased quantities of n_flows flows."""
    frame = net.flow_frame()
    known = frame.index[frame["quantity"].notna()]
    rng = np.random.default_rng(4)
    nodes = net.node_frame()
    procs = nodes.index[nodes["kind"] == "process"]
    params = [Input("carrier", "m", "price"), Input("carrier", "m", "co2"),
              Input("carrier", "electricity", "price"), Input("carrier", "electricity", "tce"),
              Input("carrier", "electricity", "co2")]
    params += [Input("node", n, "costs.system") for n in rng.choice(procs, n_nodes, False)]
    params += [Input("flow", f, "quantity") for f in rng.choice(known, n_flows, False)]
    return params


def scenario_of(params, v) -> Scenario:
    """The edits a user writes for one run."""
    edits = []
    for p, value in zip(params, v):
        if p.kind == "carrier":
            edits.append(Edit.set_carrier(p.id, **{p.attribute: float(value)}))
        elif p.kind == "node":
            edits.append(Edit.set_node(p.id, **{p.attribute: float(value)}))
        else:
            edits.append(Edit.set_flow(p.id, **{p.attribute: float(value)}))
    return Scenario("s", edits)


def figures(result, product) -> tuple[float, float]:
    f = result_functions(result)
    return f["total"]("cost"), f["q"](product)


def bench_scenarios(net, n_runs: int, sample: int, quantities: bool = True) -> None:
    params = scenario_params(net, n_flows=20 if quantities else 0)
    frame = net.flow_frame()
    product = frame.index[-1]
    t = time.perf_counter()
    engine = RunEngine(net, params)
    setup = time.perf_counter() - t
    rng = np.random.default_rng(11)
    V = engine.nominal_values * rng.uniform(0.7, 1.3, (n_runs, len(params)))
    t = time.perf_counter()
    got = [figures(r, product) for r in engine.results(V)]
    runs = time.perf_counter() - t
    engine_total = setup + runs
    worst, t = 0.0, time.perf_counter()
    for k in range(sample):
        ref = figures(net.apply(scenario_of(params, V[k])).solve(), product)
        worst = max(worst, *(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(got[k], ref)))
    loop = (time.perf_counter() - t) / sample
    what = "prices, factors, costs, quantities" if quantities else "prices, factors, costs"
    print(f"{n_runs} scenarios ({what}; {len(params)} parameters): engine set-up {setup:.2f} s "
          f"+ runs {runs:.2f} s = {1000 * engine_total / n_runs:.1f} ms per run; loop of "
          f"net.apply(s).solve() {1000 * loop:.0f} ms per run (timed on {sample} scenarios, "
          f"scaled to {n_runs}); largest relative difference {worst:.1e}")
    ratio = loop * n_runs / engine_total
    target(f"{n_runs} scenarios ({what})", f"{engine_total:.1f} s vs {loop * n_runs:.0f} s",
           ratio, ">= 20x", ratio >= 20 and worst < 1e-9)


def bench_shares(net, n_runs: int) -> None:
    """A grid over three shares (the balance matrix changes): the engine solves each run
    with the nominal factorisation (Woodbury, solvers/lowrank.py) against the same runs each
    reduced, analysed and factorised anew (reuse=False); quantities and value flow."""
    frame = net.flow_frame()
    shares = frame.index[frame["share"].notna()][:3]
    params = [Input("flow", f, "share") for f in shares]
    rng = np.random.default_rng(12)
    V = np.array([[frame.loc[f, "share"] for f in shares]]) * rng.uniform(0.8, 1.0, (n_runs, 3))
    seconds = {}
    for reuse in (True, False):
        engine = RunEngine(net, params, reuse=reuse)
        t = time.perf_counter()
        got = engine.results(V)
        seconds[reuse] = time.perf_counter() - t
        if reuse:
            fast = got
    worst = max(float(np.max(np.abs(a.quantities - b.quantities) /
                             np.maximum(np.abs(b.quantities), 1e-300)))
                for a, b in zip(fast, got))
    print(f"{n_runs} share runs (3 shares): {1000 * seconds[True] / n_runs:.1f} ms per run on "
          f"the nominal factorisation, {1000 * seconds[False] / n_runs:.1f} ms each solved anew; "
          f"largest relative difference of a flow {worst:.1e}", flush=True)
    print(f"  -> share runs, solved anew / on the nominal factorisation: "
          f"{seconds[False] / seconds[True]:.2f}x (no target; issue 15: refactorise only what "
          f"a share touches)", flush=True)


# -- 2. Monte Carlo ---------------------------------------------------------------------------

def quantity_inputs(net, n: int | None = None) -> list:
    frame = net.flow_frame()
    known = frame.index[frame["quantity"].notna()]
    return [un.flow(f, "quantity", un.Normal(sd="5%")) for f in known[:n]]


def value_inputs(net, n_nodes: int = 100) -> list:
    """Every value attribute uncertain too: both carriers' prices and factors, node costs."""
    out = [un.carrier(c, a, un.Uniform(rel="10%")) for c, a in
           (("m", "price"), ("m", "co2"), ("electricity", "price"), ("electricity", "tce"),
            ("electricity", "co2"))]
    nodes = net.node_frame()
    procs = nodes.index[nodes["kind"] == "process"][:n_nodes]
    return out + [un.node(p, "costs.system", un.Uniform(rel="10%")) for p in procs]


def bench_montecarlo(net, draws: int) -> None:
    keep = net.flow_frame().index[::max(1, len(net.flow_frame()) // 1000)]
    q_inputs = quantity_inputs(net)
    per = {}
    for label, inputs, columns in (
            ("quantities alone", q_inputs, ["quantity"]),
            ("quantities + cost, tce, co2", q_inputs, ["quantity", "cost", "tce", "co2"]),
            ("+ uncertain prices, factors, costs", q_inputs + value_inputs(net),
             ["quantity", "cost", "tce", "co2"])):
        mc = un.monte_carlo(net, inputs, draws=draws, seed=1, sigmas=False, columns=columns,
                            flows=keep, figures=False, progress=False)
        per[label] = mc.seconds / draws
        print(f"monte carlo, {label} ({len(inputs)} inputs): {draws} draws in "
              f"{mc.seconds:.2f} s = {1000 * per[label]:.1f} ms per draw", flush=True)
    base = per["quantities alone"]
    worst = max(per[k] for k in per if k != "quantities alone")
    target("MC draw with every value attribute / quantities alone",
           f"{1000 * worst:.1f} vs {1000 * base:.1f} ms", worst / base, "<= 2x", worst <= 2 * base)


def setup_seconds(net, inputs) -> float:
    """Monte Carlo set-up: bind the inputs, compile, factorise, nominal run, sample."""
    from flowgraph.solvers.sampling import _Model
    t = time.perf_counter()
    model = _Model(net, inputs, sigmas=False, columns=["quantity", "cost"], flows=None)
    rng = np.random.default_rng(0)
    for b in model.bound:
        b.clip(b.dist.sample(rng, 16))
    return time.perf_counter() - t


def bench_setup(net) -> None:
    """Set-up time at n, 2n and 4n inputs (best of 3 each); the exponent of the growth,
    log2(t(4n) / t(n)) / 2: 1 is linear, 2 quadratic (the fixed part, compile and the
    nominal solve, makes it less than 1)."""
    all_inputs = quantity_inputs(net) + value_inputs(net, 10 ** 9)
    n = len(all_inputs) // 4
    setup_seconds(net, all_inputs[:8])                    # warm imports and caches
    t = {m: min(setup_seconds(net, all_inputs[:m * n]) for _ in range(3)) for m in (1, 2, 4)}
    print(f"monte carlo set-up: {n} inputs {t[1]:.2f} s, {2 * n} inputs {t[2]:.2f} s, "
          f"{4 * n} inputs {t[4]:.2f} s", flush=True)
    exponent = np.log2(t[4] / t[1]) / 2
    target("MC set-up growth exponent, n -> 4n inputs", f"{t[4]:.2f} vs {t[1]:.2f} s",
           exponent, "linear: <= 1.1 (quadratic 2)", exponent <= 1.1)


# -- 3. single solves ---------------------------------------------------------------------------

def one_solve(net) -> dict:
    r = fg.Solver(net).solve()
    return {k: r.timings[k] for k in ("compile", "balance", "propagate")}


def bench_single(family: str, flows: float) -> None:
    import bench_solve
    from bench_uncertainty import plant
    from threadpoolctl import threadpool_info, threadpool_limits
    if family == "plant":
        net = plant(flows)
    else:
        n = int(flows / 7.5)
        net = bench_solve.network(family, *bench_solve.generate(family, n))
    n_flows = len(net.flow_frame())
    runs: dict = {1: [], None: []}
    for _ in range(3):                  # alternated, best of 3: the machine may be shared
        for threads in (1, None):
            with threadpool_limits(limits=threads, user_api="blas"):
                runs[threads].append(one_solve(net))
    best = {t: {k: min(r[k] for r in runs[t]) for k in runs[t][0]} for t in runs}
    many = max((p.get("num_threads", 1) for p in threadpool_info()
                if p.get("user_api") == "blas"), default=1)
    t1, tn = best[1], best[None]
    print(f"{family}, {n_flows} flows, one cold solve (best of 3): compile "
          f"{tn['compile']:.2f} s, balance {tn['balance']:.2f} s, propagation "
          f"{tn['propagate']:.2f} s ({many} BLAS threads); on one BLAS thread: balance "
          f"{t1['balance']:.2f} s, propagation {t1['propagate']:.2f} s", flush=True)
    ratio = tn["propagate"] / tn["balance"]
    target(f"{family} {n_flows:.0e} flows: propagation / balance",
           f"{tn['propagate']:.2f} vs {tn['balance']:.2f} s", ratio, "<= 1.2x", ratio <= 1.2)
    solve_n = tn["balance"] + tn["propagate"]
    solve_1 = t1["balance"] + t1["propagate"]
    target(f"{family} {n_flows:.0e} flows: {many} BLAS threads / one",
           f"{solve_n:.2f} vs {solve_1:.2f} s", solve_n / solve_1,
           "never slower: <= 1.05x", solve_n <= 1.05 * solve_1)


# -- main -----------------------------------------------------------------------------------------

def scale(quick: bool) -> None:
    import tempfile

    import bench_sweep_scale as bss
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        w = bss.workers_scaling(Path(tmp), 2e4 if quick else 1e5, 128 if quick else 1024)
        target("two workers / one, runs per second", "", w["ratio"], ">= 1.7x",
               w["ratio"] >= 1.7)
        m = bss.memory_scaling(Path(tmp), short=100 if quick else 1000,
                               long=1000 if quick else 10000)
        target("peak memory, 10x the runs", "", m["ratio"], "about 1: <= 1.1x",
               m["ratio"] <= 1.1)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    ap.add_argument("--flows", type=float, default=None, help="plant size (default 3.8e5)")
    ap.add_argument("--runs", type=int, default=None, help="scenarios (default 1000)")
    ap.add_argument("--sample", type=int, default=None,
                    help="scenarios of the loop actually solved (default 20)")
    ap.add_argument("--draws", type=int, default=None, help="Monte Carlo draws (default 256)")
    ap.add_argument("--solve-flows", type=float, default=None,
                    help="single solve size (default 1e6)")
    ap.add_argument("--scale", action="store_true",
                    help="also two workers and memory (bench_sweep_scale.py)")
    args = ap.parse_args(argv)
    q = args.quick
    flows = args.flows or (2e4 if q else 3.8e5)
    runs, sample = args.runs or (200 if q else 1000), args.sample or (5 if q else 20)
    draws, solve_flows = args.draws or (64 if q else 256), args.solve_flows or (1e5 if q else 1e6)
    from bench_uncertainty import plant
    t = time.perf_counter()
    net = plant(flows)
    print(f"plant: {len(net.node_frame())} nodes, {len(net.flow_frame())} flows (built in "
          f"{time.perf_counter() - t:.1f} s); {os.cpu_count()} cores", flush=True)
    bench_scenarios(net, runs, sample, quantities=False)
    bench_scenarios(net, runs, sample, quantities=True)
    bench_shares(net, 20 if q else 50)
    bench_montecarlo(net, draws)
    bench_setup(net)
    del net
    for family in ("plant", "io"):
        bench_single(family, solve_flows)
    if args.scale:
        scale(q)
    print("\n| target | measured | ratio | goal | |\n|---|---|---|---|---|")
    for name, measured, ratio, goal, ok in ROWS:
        print(f"| {name} | {measured} | {ratio:.2f}x | {goal} | {'PASS' if ok else 'MISS'} |")
    print(f"{sum(r[4] for r in ROWS)}/{len(ROWS)} targets met")


if __name__ == "__main__":
    main()
