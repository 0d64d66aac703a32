"""Shared fixtures: small hand-built networks and hypothesis strategies for random ones."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

import flowgraph as fg

#: Debian's Chromium, driven by Playwright for Python (never `playwright install`)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--disable-extensions"]


def open_offline(browser, path, ready: str | None = None, timeout: float = 60000):
    """A page of `browser` opened from the file `path`, offline, at 1400x900, recording what
    it requests and the console errors; waits for the script `ready` to return true.
    Returns (page, requests, errors, context): close the context when done."""
    ctx = browser.new_context(offline=True, viewport={"width": 1400, "height": 900},
                              accept_downloads=True)
    page = ctx.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(Path(path).resolve().as_uri())
    if ready:
        page.wait_for_function(ready, timeout=timeout)
    return page, requests, errors, ctx


@pytest.fixture(scope="session")
def chromium_session():
    """One Playwright and one Chromium for the whole session: Playwright's sync API runs
    one instance per process, so every browser test module takes its browser from here.
    Without them the tests skip, unless FLOWGRAPH_REQUIRE_BROWSER is set (CI sets it):
    then they fail."""
    required = bool(os.environ.get("FLOWGRAPH_REQUIRE_BROWSER"))
    try:
        from playwright import sync_api
    except ImportError:
        (pytest.fail if required else pytest.skip)(
            "playwright is not installed (pip install -e '.[browser]')")
    if not CHROMIUM.exists():
        (pytest.fail if required else pytest.skip)(
            f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def chain():
    """source -> a -> b -> sink, with a loss at each centre."""
    net = fg.Network("chain")
    net.add_node("in", kind="source")
    net.add_node("a")
    net.add_node("b")
    net.add_node("out", kind="sink")
    net.add_node("waste", kind="sink")
    net.add_flow("in", "a", "ore", quantity=100, price=10, id="feed")
    net.add_flow("a", "b", "mid", share=0.9, id="ab")
    net.add_flow("a", "waste", "scrap a", role="loss", id="la")
    net.add_flow("b", "out", "product", share=0.8, id="prod")
    net.add_flow("b", "waste", "scrap b", role="loss", id="lb")
    return net


@st.composite
def looped_networks(draw, max_nodes: int = 7):
    """A random network with recycle loops that the balances determine: every process node
    passes shares (summing to < 1) on to other process nodes and loses the rest to a sink."""
    n = draw(st.integers(2, max_nodes))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    net = fg.Network("random")
    net.add_carrier("m", "material", "t", price=float(rng.uniform(1, 50)))
    net.add_carrier("e", "energy", "kWh", price=0.7, tce="0.1229 kgce/kWh", co2=0.0003)
    net.add_node("src", kind="source")
    net.add_node("sink", kind="sink")
    for i in range(n):
        costs = {"system": float(rng.uniform(0, 1000))}
        if rng.random() < 0.5:
            costs["waste_management"] = float(rng.uniform(0, 300))
        net.add_node(f"p{i}", costs=costs)
    fed = rng.random(n) < 0.6
    fed[0] = True
    for i in np.flatnonzero(fed):
        net.add_flow("src", f"p{i}", "m", quantity=float(rng.uniform(1, 100)), id=f"feed{i}")
        if rng.random() < 0.5:
            net.add_flow("src", f"p{i}", "e", quantity=float(rng.uniform(10, 1000)),
                         id=f"power{i}")
    for i in range(n):
        k = int(rng.integers(1, min(3, n) + 1))
        targets = rng.choice(n, size=k, replace=False)
        if i + 1 < n and i + 1 not in targets:      # a chain through all nodes: all are fed
            targets[0] = i + 1
        shares = rng.dirichlet(np.ones(k)) * rng.uniform(0.2, 0.95)
        for t, s in zip(targets, shares):
            net.add_flow(f"p{i}", f"p{t}", "m", share=float(s), id=f"p{i}>p{t}",
                         role="recycle" if t <= i else "product")
        net.add_flow(f"p{i}", "sink", "m", role="loss", id=f"loss{i}")
    return net
