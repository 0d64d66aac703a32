"""Time Monte Carlo draws of a large generated network, with and without reuse of the
balance factorisation.

The network is a plant of process chains (20 stages) with local recycle loops: every stage
passes 80-88 % of its input on (a share), some return 2-10 % upstream, a loss fixed by the
mass balance leaves each stage, purchased material enters the first stage and half of the
others, electricity every stage. Every purchased quantity is uncertain (normal, 5 %), so
each draw changes only known quantities: the balance matrix stays the same, and with reuse
each draw is one more right-hand side of the factorised system (solved 64 at a time);
without, every draw factorises the system again.

    python benchmarks/bench_uncertainty.py                    # 1e5 flows, 1000 draws each way
    python benchmarks/bench_uncertainty.py --flows 2e4 --draws 200 --values
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import flowgraph as fg
from flowgraph import uncertainty as un


def plant(n_flows: float, seed: int = 1) -> fg.Network:
    """A generated plant with about n_flows flows (3.8 per node)."""
    rng = np.random.default_rng(seed)
    stages = 20
    n = int(n_flows / 3.8) // stages * stages
    stage = np.arange(n) % stages
    fwd = np.flatnonzero(stage < stages - 1)
    back = fwd[(rng.random(len(fwd)) < 0.3) & (stage[fwd] > 0)]
    fed = np.flatnonzero((stage == 0) | (rng.random(n) < 0.5))
    last = np.flatnonzero(stage == stages - 1)
    nodes = pd.DataFrame({"id": np.concatenate([np.arange(n), [n, n + 1, n + 2]]),
                          "kind": ["process"] * n + ["source", "sink", "source"]})
    flows = pd.concat([
        pd.DataFrame({"source": fwd, "target": fwd + 1, "carrier": "m",
                      "share": rng.uniform(0.80, 0.88, len(fwd))}),
        pd.DataFrame({"source": back, "target": back - 1, "carrier": "m", "role": "recycle",
                      "share": rng.uniform(0.02, 0.1, len(back))}),
        pd.DataFrame({"source": n, "target": fed, "carrier": "m",
                      "quantity": rng.uniform(10, 100, len(fed))}),
        pd.DataFrame({"source": n + 2, "target": np.arange(n), "carrier": "electricity",
                      "quantity": rng.uniform(100, 1000, n)}),
        pd.DataFrame({"source": last, "target": n + 1, "carrier": "m",
                      "share": rng.uniform(0.85, 0.95, len(last))}),
        pd.DataFrame({"source": np.arange(n), "target": n + 1, "carrier": "m", "role": "loss"}),
    ], ignore_index=True)
    flows["id"] = [f"f{i}" for i in range(len(flows))]
    carriers = [{"name": "m", "kind": "material", "unit": "t", "price": 100.0, "co2": 0.01},
                {"name": "electricity", "kind": "energy", "unit": "kWh", "price": 0.7,
                 "tce": 0.0001229, "co2": 0.0003}]
    nodes["costs.system"] = np.concatenate([rng.uniform(0, 1000, n), [0, 0, 0]])
    return fg.Network.from_frames(nodes, flows, carriers, name=f"plant-{len(flows)}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=float, default=1e5, help="network size (flows)")
    ap.add_argument("--draws", type=int, default=1000, help="draws with reuse")
    ap.add_argument("--draws-without", type=int, default=None,
                    help="draws without reuse (default: as many as with)")
    ap.add_argument("--values", action="store_true",
                    help="also propagate cost, tce and CO2 every draw (and time that)")
    ap.add_argument("--keep", type=int, default=1000,
                    help="flows whose draws are kept (all are solved)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    net = plant(args.flows)
    flows = net.flow_frame()
    known = flows.index[flows["quantity"].notna()]
    inputs = [un.flow(fid, "quantity", un.Normal(sd="5%")) for fid in known]
    keep = flows.index[np.linspace(0, len(flows) - 1, min(args.keep, len(flows))).astype(int)]
    print(f"network: {len(net.node_frame())} nodes, {len(flows)} flows, {len(inputs)} "
          f"uncertain quantities (built in {time.perf_counter() - t0:.1f} s)")
    columns = ["quantity", "cost", "tce", "co2"] if args.values else ["quantity"]
    without = args.draws if args.draws_without is None else args.draws_without
    runs = {}
    for label, reuse, draws in (("with reuse", True, args.draws),
                                ("without reuse", False, without)):
        t = time.perf_counter()
        mc = un.monte_carlo(net, inputs, draws=draws, seed=1, sigmas=False, columns=columns,
                            flows=keep, figures=False, reuse=reuse, progress=True)
        total = time.perf_counter() - t
        runs[label] = mc
        print(f"{label:>14}: {draws} draws in {mc.seconds:.2f} s = "
              f"{1000 * mc.seconds / draws:.2f} ms per draw (with set-up {total:.2f} s)")
    a, b = runs["with reuse"], runs["without reuse"]
    n = min(a.n, b.n)
    diff = np.max(np.abs(a.samples["quantity"][:n] - b.samples["quantity"][:n]) /
                  np.maximum(np.abs(a.samples["quantity"][:n]), 1e-12))
    print(f"speed-up per draw: {(b.seconds / b.n) / (a.seconds / a.n):.1f}x; "
          f"largest relative difference between the two: {diff:.1e}")
    q = a.percentiles("quantity")
    print(f"e.g. flow {q.index[-1]}: nominal {q['nominal'].iloc[-1]:.6g}, mean "
          f"{q['mean'].iloc[-1]:.6g}, p5 {q['p5'].iloc[-1]:.6g}, p95 {q['p95'].iloc[-1]:.6g}")


if __name__ == "__main__":
    main()
