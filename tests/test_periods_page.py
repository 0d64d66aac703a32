"""The periods page (views/timeline.py) of the bundled monthly_plant case in headless
Chromium: opens offline with no console error, does not overflow the window, and its
slider steps through the periods keeping the Sankey's measure; the waste-heat boiler
appears from July. A screenshot goes to the artefact folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowgraph.cli import main

from .conftest import open_offline

ROOT = Path(__file__).parent.parent
SHOTS = Path(os.environ.get("FLOWGRAPH_SCREENSHOTS", ROOT / "out" / "screenshots")) / "periods"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("periods")
    assert main(["periods", str(ROOT / "cases" / "monthly_plant"), "--out", str(out)]) == 0
    return out / "periods.html"


def test_the_periods_page_steps_through_the_months(chromium_session, page_file):
    page, requests, errors, ctx = open_offline(
        chromium_session, page_file, "() => [...document.querySelectorAll('.fg-sankey')]"
        ".every(r => r.getAttribute('data-rendered') === '1')", timeout=30000)
    assert len(page.locator(".fg-period-pane").all()) == 12
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    visible = "() => [...document.querySelectorAll('.fg-period-pane')].filter(p => !p.hidden)" \
              ".map(p => [p.dataset.period, [...p.querySelectorAll('rect.fg-node')]" \
              ".map(r => r.getAttribute('data-node'))])"
    [(period, nodes)] = page.evaluate(visible)
    assert period == "2025-01" and "waste-heat boiler" not in nodes
    page.locator(".fg-period-pane").first.locator("select[data-k=measure]").select_option("energy")
    page.locator("input.fg-period-range").evaluate(
        "el => { el.value = 6; el.dispatchEvent(new Event('input')); }")
    [(period, nodes)] = page.evaluate(visible)
    assert period == "2025-07" and "waste-heat boiler" in nodes
    assert page.locator(".fg-period-label").inner_text() == "2025-07"
    shown = page.evaluate("() => Object.values(window.flowgraph.sankeys).filter(s => "
                          "!s.root.closest('.fg-period-pane').hidden).map(s => s.state.measure)")
    assert shown == ["energy"]                            # the measure chosen carried over
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".fg-periods").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "monthly_plant-july-energy.png"))
    assert requests == [page_file.resolve().as_uri()], requests
    assert errors == [], errors
    ctx.close()
