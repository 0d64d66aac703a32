"""How sweeps scale: runs per second with one and with two worker processes on the generated
plant (bench_uncertainty.plant, 1e5 flows by default), and the peak memory of a long sweep
against a short one (results stream to Parquet chunk by chunk, so it should not grow with
the number of runs). Ratios measured in one run, printed; not timed tests.

    python benchmarks/bench_sweep_scale.py                          # 1e5 flows; 10,000 vs 1,000
    python benchmarks/bench_sweep_scale.py --flows 2e4 --runs 256 --memory-runs 2000

bench_sweep.py calls `workers_scaling` and `memory_scaling` (and prints what they return).
Each measurement runs in a fresh process (peak memory is the child's ru_maxrss), so the
two do not share caches or a heap; the two-worker cluster is started (as sweep() starts it)
and warmed before the clock, its start-up being a few seconds whatever the sweep. On a
machine other work shares, the ratio measures the cores that were free.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: one measurement, in a fresh process: argv = flows, runs, workers, chunk, out, what
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[7])
import numpy as np
import flowgraph as fg
from flowgraph import uncertainty as un
from flowgraph.app.study import sweep
from bench_uncertainty import plant

flows, runs, workers, chunk, out, what = (float(sys.argv[1]), int(sys.argv[2]),
                                          int(sys.argv[3]), int(sys.argv[4]) or None,
                                          sys.argv[5], sys.argv[6])
if what == "plant":
    net = plant(flows)
    frame = net.flow_frame()
    known = frame.index[frame["quantity"].notna()][:50]
    inputs = [un.flow(f, "quantity", un.Normal(sd="5%")) for f in known]
    inputs.append(un.carrier("electricity", "price", un.Uniform(rel="10%")))
    case, keep = fg.Case(net), {"flows": list(frame.index[-3:]), "columns": ["quantity", "cost"]}
else:
    case, inputs = fg.load(what), None
    keep = {"flows": ["ore", "pigment", "residue"], "columns": ["quantity", "cost", "co2"]}
where = {"workers": 1}
if workers > 1:     # the cluster sweep() would start, started (and warmed) before the clock
    from flowgraph.app.study.backends import connect
    backend = connect(workers, None, workers)       # the LocalCluster sweep() starts
    backend.client.run(lambda: __import__("flowgraph.app.study.chunks"))
    where = {"scheduler": backend.client}
t = time.perf_counter()
study = sweep(case, draws=runs, seed=1, inputs=inputs, keep=keep, chunk=chunk, out=out,
              progress=False, **where)
seconds = time.perf_counter() - t
summary = study.summary()
print(json.dumps({"runs": runs, "failed": study.n_failed, "workers": workers,
                  "seconds": seconds, "runs_per_second": runs / seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "mean_first": float(summary["mean"].iloc[0])}))
"""


def measure(what, flows: float, runs: int, workers: int, chunk: int, out: Path) -> dict:
    """One sweep in a fresh process: runs, seconds, runs per second, peak MB."""
    res = subprocess.run([sys.executable, "-c", CHILD, str(flows), str(runs), str(workers),
                          str(chunk), str(out), str(what), str(HERE)],
                         capture_output=True, text=True, check=False)
    if res.returncode:
        raise RuntimeError(f"benchmark child failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def workers_scaling(scratch: Path, flows: float = 1e5, runs: int = 1024,
                    chunk: int = 0) -> dict:
    """Runs per second of the same Monte Carlo sweep of the plant with one worker (in
    process) and with two worker processes; their ratio (target >= 1.7 on two cores)."""
    one = measure("plant", flows, runs, 1, chunk, scratch / "one")
    two = measure("plant", flows, runs, 2, chunk, scratch / "two")
    return {"one": one, "two": two, "ratio": two["runs_per_second"] / one["runs_per_second"]}


def memory_scaling(scratch: Path, case: str = str(HERE.parent / "cases" / "uncertainty_demo"),
                   short: int = 1000, long: int = 10000, chunk: int = 100) -> dict:
    """Peak memory of a `long`-run sweep against a `short` one of the same case, in one
    process (target: ratio about 1, the results streamed)."""
    a = measure(case, 0, short, 1, chunk, scratch / "short")
    b = measure(case, 0, long, 1, chunk, scratch / "long")
    return {"short": a, "long": b, "ratio": b["peak_mb"] / a["peak_mb"]}


def main(argv=None) -> None:
    import tempfile
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=float, default=1e5, help="plant size (flows)")
    ap.add_argument("--runs", type=int, default=1024, help="runs of the workers comparison")
    ap.add_argument("--chunk", type=int, default=0,
                    help="runs per chunk (workers comparison; default 0: the sweep's own)")
    ap.add_argument("--memory-runs", type=int, default=10000,
                    help="runs of the long memory sweep (the short one has a tenth)")
    ap.add_argument("--skip", choices=("workers", "memory"), default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        scratch = Path(tmp)
        if args.skip != "workers":
            w = workers_scaling(scratch, args.flows, args.runs, args.chunk)
            for k in ("one", "two"):
                r = w[k]
                print(f"plant of {args.flows:.0e} flows, {r['runs']} runs, {r['workers']} "
                      f"worker(s): {r['seconds']:.2f} s, {r['runs_per_second']:.2f} runs/s, "
                      f"peak {r['peak_mb']:.0f} MB")
            print(f"two workers / one worker, runs per second: {w['ratio']:.2f}x "
                  f"(target >= 1.7)")
        if args.skip != "memory":
            m = memory_scaling(scratch, short=args.memory_runs // 10, long=args.memory_runs)
            for k in ("short", "long"):
                r = m[k]
                print(f"demo case, {r['runs']} runs: {r['seconds']:.2f} s, peak "
                      f"{r['peak_mb']:.1f} MB")
            print(f"peak memory, {m['long']['runs']} runs / {m['short']['runs']} runs: "
                  f"{m['ratio']:.3f}x (streamed: about 1)")


if __name__ == "__main__":
    main()
