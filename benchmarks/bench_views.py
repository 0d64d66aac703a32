"""Time writing and opening big views: a 10,000-node network drawn in headless Chromium.

Two generated networks of about 10,000 nodes (Network.from_frames):
  plant  500 parallel lines of 20 quantity centres, a recycle to the previous stage at 30 %
         of the centres, power from the grid at half of them, a loss from each centre fixed
         by its mass balance (layered layout, about 2.8 flows per node);
  park   200 firms of 50 units at their own latitude and longitude, each unit passing 85 %
         on within its firm and 5 % to a unit of another firm (geographic layout, firm
         colours).

For each: the time to solve, to build the graph (pyvis records, layout) and write graph.html,
its size, and the time from opening the file in headless Chromium (Debian's
/usr/bin/chromium, offline) to the first frame drawn by vis-network. Target: first frame
within 10 s.

    python benchmarks/bench_views.py                     # both, 10,000 nodes
    python benchmarks/bench_views.py --nodes 2000 --families plant
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import flowgraph as fg
from flowgraph.views.graph import graph_view

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET_S = 10.0


def plant(n: int, seed: int = 1) -> fg.Network:
    rng = np.random.default_rng(seed)
    stages = 20
    lines = max(n // stages, 1)
    idx = np.arange(lines * stages)
    line, stage = idx // stages, idx % stages
    names = np.array([f"l{a}s{b}" for a, b in zip(line, stage)], dtype=object)
    nodes = pd.DataFrame({"id": [*names, "market", "grid", "customer", "waste"],
                          "kind": ["process"] * len(idx) + ["source", "source", "sink", "sink"]})
    fwd = idx[stage < stages - 1]
    back = idx[(stage > 0) & (rng.random(len(idx)) < 0.3)]
    last = idx[stage == stages - 1]
    powered = idx[rng.random(len(idx)) < 0.5]
    first = idx[stage == 0]
    flows = pd.concat([
        pd.DataFrame({"source": "market", "target": names[first], "carrier": "ore",
                      "quantity": rng.uniform(50, 150, len(first))}),
        pd.DataFrame({"source": names[fwd], "target": names[fwd + 1], "carrier": "intermediate",
                      "share": 0.85}),
        pd.DataFrame({"source": names[back], "target": names[back - 1], "carrier": "returns",
                      "share": 0.05, "role": "recycle"}),
        pd.DataFrame({"source": names[last], "target": "customer", "carrier": "product",
                      "share": 0.85}),
        pd.DataFrame({"source": "grid", "target": names[powered], "carrier": "power",
                      "quantity": rng.uniform(1e3, 1e5, len(powered))}),
        pd.DataFrame({"source": names, "target": "waste", "carrier": "scrap", "role": "loss"}),
    ], ignore_index=True)
    carriers = [{"name": c, "kind": "material", "unit": "t", "price": 100.0}
                for c in ("ore", "intermediate", "returns", "product", "scrap")]
    carriers.append({"name": "power", "kind": "energy", "unit": "kWh", "price": 0.7,
                     "co2": 0.0003})
    return fg.Network.from_frames(nodes, flows, carriers, name=f"plant {len(nodes)}")


def park(n: int, seed: int = 1) -> fg.Network:
    rng = np.random.default_rng(seed)
    per_firm = 50
    firms = max(n // per_firm, 2)
    idx = np.arange(firms * per_firm)
    firm = idx // per_firm
    k = idx % per_firm
    lat0 = rng.uniform(30.0, 30.3, firms)
    lon0 = rng.uniform(120.0, 120.4, firms)
    names = np.array([f"f{a}u{b}" for a, b in zip(firm, k)], dtype=object)
    nodes = pd.DataFrame({"id": [*names, "supply", "market", "landfill"],
                          "kind": ["process"] * len(idx) + ["source", "sink", "sink"],
                          "firm": [*(f"firm {a}" for a in firm), None, None, None],
                          "lat": [*lat0[firm], np.nan, np.nan, np.nan],
                          "lon": [*lon0[firm], np.nan, np.nan, np.nan]})
    inner = idx[k < per_firm - 1]
    other = (firm[idx] + rng.integers(1, firms, len(idx))) % firms
    cross_to = other * per_firm + rng.integers(1, per_firm, len(idx))
    heads = idx[k == per_firm - 1]
    flows = pd.concat([
        pd.DataFrame({"source": "supply", "target": names[idx[k == 0]], "carrier": "feed",
                      "quantity": rng.uniform(100, 1000, firms)}),
        pd.DataFrame({"source": names[inner], "target": names[inner + 1], "carrier": "product",
                      "share": 0.85}),
        pd.DataFrame({"source": names[idx], "target": names[cross_to], "carrier": "by-product",
                      "share": 0.05}),
        pd.DataFrame({"source": names[heads], "target": "market", "carrier": "goods",
                      "share": 0.9}),
        pd.DataFrame({"source": names, "target": "landfill", "carrier": "waste",
                      "role": "waste"}),
    ], ignore_index=True)
    carriers = [{"name": c, "kind": "material", "unit": "t", "price": 50.0}
                for c in ("feed", "product", "by-product", "goods", "waste")]
    return fg.Network.from_frames(nodes, flows, carriers, name=f"park {len(nodes)}")


def open_in_chromium(path: Path, timeout_s: float = 120.0) -> dict:
    from playwright.sync_api import sync_playwright
    url = path.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        page.goto(url, timeout=timeout_s * 1000)
        t_load = time.perf_counter() - t0
        page.wait_for_function("window.flowgraph && Object.values(window.flowgraph.graphs)"
                               ".every(g => g.rendered)", timeout=timeout_s * 1000)
        t_first = time.perf_counter() - t0
        inside = page.evaluate("() => { const g = Object.values(window.flowgraph.graphs)[0];"
                               " return {ms: g.renderMs, nodes: g.network.body.nodeIndices.length,"
                               " edges: g.network.body.edgeIndices.length}; }")
        browser.close()
    return {"load_s": t_load, "first_render_s": t_first, "network_ms": inside["ms"],
            "nodes": inside["nodes"], "edges": inside["edges"],
            "foreign_requests": [u for u in requests if u != url], "console_errors": errors}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=10_000)
    ap.add_argument("--families", nargs="+", default=["plant", "park"],
                    choices=["plant", "park"])
    ap.add_argument("--out", help="keep the pages in this folder (default: a temporary one)")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench-views-"))
    out.mkdir(parents=True, exist_ok=True)
    ok = True
    for family in args.families:
        net = (plant if family == "plant" else park)(args.nodes)
        t0 = time.perf_counter()
        result = net.solve()
        t_solve = time.perf_counter() - t0
        t0 = time.perf_counter()
        graph = graph_view(result)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = out / f"{family}.html"
        page.write_text(graph.html(), encoding="utf-8")
        t_write = time.perf_counter() - t0
        c = result.compiled
        print(f"{family}: {c.n_nodes:,} nodes, {c.n_flows:,} flows, {graph.layout} layout")
        print(f"  solve {t_solve:.2f} s; graph (records, layout) {t_build:.2f} s; page written "
              f"{t_write:.2f} s; {page.stat().st_size / 1e6:.1f} MB")
        b = open_in_chromium(page)
        good = (b["nodes"] == c.n_nodes and b["edges"] == c.n_flows
                and not b["foreign_requests"] and not b["console_errors"]
                and b["first_render_s"] < TARGET_S)
        ok &= good
        print(f"  Chromium: loaded {b['load_s']:.2f} s, first frame {b['first_render_s']:.2f} s "
              f"after opening (vis-network {b['network_ms'] / 1000:.2f} s of it); drew "
              f"{b['nodes']:,} nodes, {b['edges']:,} edges; foreign requests "
              f"{len(b['foreign_requests'])}, console errors {len(b['console_errors'])}; "
              f"{'OK' if good else 'FAILED'} (target first frame < {TARGET_S:.0f} s)")
    print(f"pages in {out}/")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
