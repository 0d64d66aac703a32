"""Time the balance and propagation solvers on generated networks, beside reference solvers.

Two families, built with Network.from_frames:
  plant  process chains (20 stages) with local recycle loops, purchased material and energy
         per stage, a loss per stage fixed by the mass balance (about 3.8 flows per node);
  io     input-output-like: random loops everywhere, each node passing on 30-90 % of what it
         receives to 5.5 random others, an external input and a loss (7.5 flows per node);
  stiff  like io but passing on 99.9-99.99 %: a loop block that recycles almost everything.

For each size the same node-level system (I - M) T = c is also solved by scipy's splu (on the
transpose, its faster orientation), by
bw2calc (its pypardiso path; `pip install -e ".[bench]"`) and by plain Neumann iteration
(T <- c + M T until the relative residual is below 1e-10: the floor for loss-dominated
systems). Each method runs in its own process so its peak memory is its own.

    python benchmarks/bench_solve.py                      # plant and io at 1e4, 1e5, 1e6
    python benchmarks/bench_solve.py --sizes 1e4 1e5 --families io stiff
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

METHODS = ("flowgraph", "splu", "bw2calc", "neumann")
TIMEOUT = 900
#: a comparator slower than this (s) at one size is not run at the next
SLOW = 30.0


# -- generators ----------------------------------------------------------------------------

def generate(family: str, n: int, seed: int = 1):
    """Internal edges (src, dst, share), external input per node, energy input per node."""
    rng = np.random.default_rng(seed)
    if family == "plant":
        L = 20
        n = (n // L) * L
        stage = np.arange(n) % L
        fwd = np.flatnonzero(stage < L - 1)
        s_fwd = rng.uniform(0.8, 0.9, len(fwd))
        back = fwd[(rng.random(len(fwd)) < 0.3) & (stage[fwd] > 0)]
        s_back = rng.uniform(0.02, 0.08, len(back))
        src = np.concatenate([fwd, back])
        dst = np.concatenate([fwd + 1, back - 1])
        share = np.concatenate([s_fwd, s_back])
        ext = np.where((stage == 0) | (rng.random(n) < 0.5), rng.uniform(10, 100, n), 0.0)
        energy = rng.uniform(100, 1000, n)
        last = np.flatnonzero(stage == L - 1)          # products leave the last stage
        return n, src, dst, share, ext, energy, last, rng.uniform(0.85, 0.95, len(last))
    m = int(5.5 * n)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    lo, hi = (0.3, 0.9) if family == "io" else (0.999, 0.9999)
    w = rng.uniform(0.5, 1.5, m)
    share = rng.uniform(lo, hi, n)[src] * w / np.bincount(src, weights=w, minlength=n)[src]
    ext = rng.uniform(1, 10, n)
    return n, src, dst, share, ext, np.zeros(n), np.zeros(0, np.int64), np.zeros(0)


def node_system(n, src, dst, share, ext):
    """The reference: (I - M) T = c with M[dst, src] = share."""
    M = sp.csr_matrix((share, (dst, src)), shape=(n, n))
    return M, ext.astype(float)


def network(family, n, src, dst, share, ext, energy, last, s_last):
    import pandas as pd

    import flowgraph as fg
    ids = np.arange(n)
    nodes = pd.DataFrame({"id": np.concatenate([ids, [n, n + 1, n + 2]]),
                          "kind": ["process"] * n + ["source", "sink", "source"]})
    fed = np.flatnonzero(ext > 0)
    pw = np.flatnonzero(energy > 0)
    parts = [
        pd.DataFrame({"source": src, "target": dst, "carrier": "m", "share": share}),
        pd.DataFrame({"source": n, "target": fed, "carrier": "m", "quantity": ext[fed]}),
        pd.DataFrame({"source": n + 2, "target": pw, "carrier": "electricity",
                      "quantity": energy[pw]}),
        pd.DataFrame({"source": last, "target": n + 1, "carrier": "m", "share": s_last}),
        pd.DataFrame({"source": ids, "target": n + 1, "carrier": "m", "role": "loss"}),
    ]
    flows = pd.concat(parts, ignore_index=True)
    carriers = [{"name": "m", "kind": "material", "unit": "t", "price": 100.0, "co2": 0.01},
                {"name": "electricity", "kind": "energy", "unit": "kWh", "price": 0.7,
                 "tce": 0.0001229, "co2": 0.0003}]
    rng = np.random.default_rng(7)
    nodes["costs.system"] = np.concatenate([rng.uniform(0, 1000, n), [0, 0, 0]])
    return fg.Network.from_frames(nodes, flows, carriers, name=f"{family}-{n}")


# -- memory --------------------------------------------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- workers -------------------------------------------------------------------------------

def work(family: str, n: int, method: str) -> dict:
    data = generate(family, n)
    n = data[0]
    out = {"family": family, "nodes": n, "method": method}
    if method == "flowgraph":
        return out | work_flowgraph(family, data)
    M, c = node_system(*data[:5])
    gc.collect()
    base = rss_mb()
    reset_peak()
    t0 = time.perf_counter()
    if method == "splu":
        # factor the transpose and solve with trans="T": COLAMD on (I - M) as assembled is up
        # to 70x slower (DESIGN.md section 4); the comparator gets its better orientation
        from scipy.sparse.linalg import splu
        At = (sp.identity(n, format="csc") - M.T.tocsc()).tocsc()
        T = splu(At).solve(c, trans="T")
    elif method == "neumann":
        T, it = neumann(M, c)
        out["iterations"] = it
    elif method == "bw2calc":
        T = solve_bw2calc(M, c)
    secs = time.perf_counter() - t0
    A = sp.identity(n, format="csr") - M
    out.update(solve=secs, memory_mb=peak_mb() - base,
               residual=float(np.linalg.norm(A @ T - c) / np.linalg.norm(c)))
    return out


def neumann(M, c, tol=1e-10, max_iter=100_000):
    """T <- c + M T until ||T - c - M T|| / ||c|| < tol (checked every iteration)."""
    T = c.copy()
    cn = np.linalg.norm(c)
    for it in range(1, max_iter + 1):
        new = c + M @ T
        if np.linalg.norm(new - T) / cn < tol:   # = residual of the previous iterate
            return new, it
        T = new
    return T, max_iter


def solve_bw2calc(M, c):
    import bw2calc as bc
    import bw_processing as bwp
    n = M.shape[0]
    coo = M.tocoo()
    rows = np.concatenate([np.arange(n), coo.row])
    cols = np.concatenate([np.arange(n), coo.col])
    idx = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
    idx["row"], idx["col"] = rows, cols
    dp = bwp.create_datapackage()
    dp.add_persistent_vector(matrix="technosphere_matrix", indices_array=idx,
                             data_array=np.concatenate([np.ones(n), coo.data]),
                             flip_array=np.concatenate([np.zeros(n, bool), np.ones(len(coo.data), bool)]),
                             name="technosphere")
    bidx = np.zeros(1, dtype=bwp.INDICES_DTYPE)
    dp.add_persistent_vector(matrix="biosphere_matrix", indices_array=bidx,
                             data_array=np.ones(1), name="biosphere")
    lca = bc.LCA({int(i): float(v) for i, v in enumerate(c)}, data_objs=[dp])
    lca.load_lci_data()
    lca.build_demand_array()
    T = lca.solve_linear_system()
    return _reorder(lca, T, n)


def _reorder(lca, T, n):
    """bw2calc numbers activities by its own mapping; return T in node order."""
    col_of = lca.dicts.activity
    return np.array([T[col_of[i]] for i in range(n)]) if n <= 100_000 else \
        T[np.fromiter((col_of[i] for i in range(n)), dtype=np.int64, count=n)]


def work_flowgraph(family, data) -> dict:
    from flowgraph.solvers.balance import reduce_system, solve_balance
    from flowgraph.solvers.compiled import compile_network
    from flowgraph.solvers.propagate import propagate
    n = data[0]
    t0 = time.perf_counter()
    net = network(family, *data)
    net.node_frame(), net.flow_frame()
    construct = time.perf_counter() - t0
    gc.collect()
    storage = rss_mb()
    reset_peak()
    t0 = time.perf_counter()
    c = compile_network(net)
    reduce_system(c)
    assemble = time.perf_counter() - t0
    t0 = time.perf_counter()
    bal = solve_balance(c)
    balance = time.perf_counter() - t0 - bal.timings["assemble"]
    memory_balance = peak_mb() - storage
    t0 = time.perf_counter()
    vals = propagate(c, bal.x)
    prop = time.perf_counter() - t0
    memory = peak_mb() - storage
    # the node-level residual of the same system the references solve
    M, cc = node_system(*data[:5])
    mass = c.W[:, c.layer_index("mass")] * bal.x
    T_full = np.bincount(c.head, weights=mass, minlength=c.n_nodes)[:n]
    A = sp.identity(n, format="csr") - M
    resid = float(np.linalg.norm(A @ T_full - cc) / np.linalg.norm(cc))
    segs = bal.stats.segments if bal.stats else []
    return {"flows": c.n_flows, "construct": construct, "storage_mb": storage,
            "assemble": assemble, "solve": balance, "propagate": prop,
            "attributes": len(vals.names), "memory_mb": memory,
            "memory_balance_mb": memory_balance, "residual": resid,
            "blocks": bal.stats.summary() if bal.stats else "",
            "iterations": sum(s["iterations"] for s in segs)}


# -- driver --------------------------------------------------------------------------------

def run_worker(family, n, method) -> dict:
    cmd = [sys.executable, __file__, "--worker", family, str(n), method]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"family": family, "nodes": n, "method": method, "error": f"timeout {TIMEOUT}s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"family": family, "nodes": n, "method": method, "error": last[:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def available(method) -> bool:
    if method != "bw2calc":
        return True
    try:
        import bw2calc  # noqa: F401
        import pypardiso  # noqa: F401
        return True
    except ImportError:
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["1e4", "1e5", "1e6"])
    ap.add_argument("--families", nargs="+", default=["plant", "io"])
    ap.add_argument("--methods", nargs="+", default=list(METHODS))
    ap.add_argument("--worker", nargs=3, metavar=("FAMILY", "N", "METHOD"))
    ap.add_argument("--json", help="also write all rows to this file")
    args = ap.parse_args(argv)
    if args.worker:
        fam, n, method = args.worker
        print(json.dumps(work(fam, int(float(n)), method)))
        return
    rows = []
    for fam in args.families:
        slow: dict = {}
        for size in args.sizes:
            n = int(float(size))
            got = {}
            for method in args.methods:
                if not available(method):
                    got[method] = {"error": "not installed (pip install -e '.[bench]')"}
                    continue
                if method in slow:
                    got[method] = {"error": f"skipped: {slow[method]}, and it grows faster than "
                                            f"linearly with size"}
                    continue
                got[method] = run_worker(fam, n, method)
                rows.append(got[method])
                took = got[method].get("solve")
                if "error" in got[method] or (took is not None and took > SLOW):
                    slow[method] = got[method].get("error") or f"took {took:.0f} s at {n:.0e} nodes"
            report(fam, n, got)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


def report(fam, n, got):
    fgr = got.get("flowgraph", {})
    print(f"\n== {fam}, {n:.0e} nodes" + (f", {fgr.get('flows', 0):,} flows" if "flows" in fgr else ""))
    if "error" in fgr:
        print(f"  flowgraph: {fgr['error']}")
    elif fgr:
        print(f"  flowgraph: construct {fgr['construct']:.2f} s (storage {fgr['storage_mb']:.0f} MB), "
              f"assemble {fgr['assemble']:.2f} s, balance {fgr['solve']:.3f} s, "
              f"propagate ({fgr['attributes']} attributes) {fgr['propagate']:.3f} s, "
              f"residual {fgr['residual']:.1e}")
        print(f"             memory beyond storage: {fgr['memory_balance_mb']:.0f} MB for assembly "
              f"and balance, {fgr['memory_mb']:.0f} MB with propagation")
        print(f"             {fgr['blocks']}; {fgr['iterations']} iterations")
    for method in ("splu", "bw2calc", "neumann"):
        r = got.get(method)
        if not r:
            continue
        if "error" in r:
            print(f"  {method:9s}: {r['error']}")
            continue
        extra = f", {r['iterations']} iterations" if "iterations" in r else ""
        ratio = ""
        if fgr and "solve" in fgr:
            ratio = f"   flowgraph balance is {r['solve'] / fgr['solve']:.1f}x faster" \
                if r["solve"] >= fgr["solve"] else \
                f"   flowgraph balance is {fgr['solve'] / r['solve']:.2f}x this"
        print(f"  {method:9s}: solve {r['solve']:.3f} s, memory {r['memory_mb']:.0f} MB, "
              f"residual {r['residual']:.1e}{extra}{ratio}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
