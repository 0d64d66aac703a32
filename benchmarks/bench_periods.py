"""A plant over many periods against one solve (issue 19's target: a 1e5-flow plant over
120 months costs less than 5x one cold solve). Ratios measured in one run; never trust one
absolute time on a shared machine.

The plant is benchmarks/bench_uncertainty.py's generated one, with a slag yard (a storage
node fed by 5 % of the first stage's output, releasing by a Weibull lifetime in months) and
monthly series: seasonal feeds of 50 inputs and an electricity price.

    python benchmarks/bench_periods.py                 # 1e5 flows, 120 months
    python benchmarks/bench_periods.py --flows 2e4 --periods 24
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_uncertainty import plant

from flowgraph.app.periods import PeriodStock, solve_periods
from flowgraph.solvers.cohorts import Lifetime


def with_yard(net):
    """The plant with a storage node taking 5 % of node 0's output."""
    net = net.copy()
    net.add_node("yard", kind="storage")
    sink = next(n for n in net.node_frame().index if net.node(n)["kind"] == "sink")
    net.add_flow(0, "yard", carrier="m", share=0.05, id="to yard")
    net.add_flow("yard", sink, carrier="m", id="from yard")
    return net


def series(net, months: int, inputs: int = 50, seed: int = 2) -> dict:
    rng = np.random.default_rng(seed)
    flows = net.flow_frame()
    fed = flows.index[(flows["carrier"] == "m") & flows["quantity"].notna()][:inputs]
    season = 1 + 0.2 * np.sin(2 * np.pi * np.arange(months) / 12)
    out = {f"flow:{f}:quantity": flows.loc[f, "quantity"] * season * rng.uniform(0.9, 1.1, months)
           for f in fed}
    out["carrier:electricity:price"] = 0.7 * (1 + 0.1 * np.cos(2 * np.pi * np.arange(months) / 12))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=float, default=1e5)
    ap.add_argument("--periods", type=int, default=120)
    args = ap.parse_args(argv)
    net = with_yard(plant(args.flows))
    months = list(range(1, args.periods + 1))
    given = series(net, args.periods)
    yard = PeriodStock("yard", "from yard", Lifetime("weibull", shape=2.0, scale=18.0))
    net.solve()                                                  # warm imports and caches
    t0 = time.perf_counter()
    net.copy().solve()
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    run = solve_periods(net, months, series=given, stocks=[yard])
    many = time.perf_counter() - t0
    run.check()
    ratio = many / one
    print(f"plant of {len(net.flow_frame()):,} flows over {args.periods} periods "
          f"({len(given)} series, 1 stock by cohort, {run.passes} passes)")
    print(f"  one cold solve        {one:8.2f} s")
    print(f"  all periods           {many:8.2f} s   = {ratio:.2f}x one solve "
          f"({many / args.periods * 1000:.1f} ms a period)")
    t = run.timings
    print(f"    of which: engine set-up {t['setup']:.2f} s ({t['setup'] / one:.1f}x one solve), "
          f"{run.passes - 1} passes of quantities {t['passes']:.2f} s "
          f"({t['passes'] / (run.passes - 1) / args.periods * 1000:.1f} ms a period each), "
          f"value flow {t['values']:.2f} s ({t['values'] / args.periods * 1000:.1f} ms a period)")
    print(f"  target < 5x one solve: {'PASS' if ratio < 5 else 'MISS'}")


if __name__ == "__main__":
    main()
