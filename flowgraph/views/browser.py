"""Screenshots of views in headless Chromium, offline, to look at what a page draws.

Uses Playwright for Python (`pip install -e ".[browser]"`) with Debian's Chromium
(/usr/bin/chromium); never `playwright install`. The page is opened from file:// in an
offline browser context; the requests beyond the file and the console errors are returned
with the screenshot so a broken page does not go unnoticed.

    python -m flowgraph.views.browser out/demo/graph.html graph.png
    python -m flowgraph.views.browser out/demo/report.html report.png --full
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")
#: a page with graphs is drawn once every graph reports its first frame
GRAPHS_DRAWN = ("() => !document.querySelector('.fg-graph') || (window.flowgraph && "
                "Object.values(window.flowgraph.graphs).length > 0 && "
                "Object.values(window.flowgraph.graphs).every(g => g.rendered))")


def screenshot(page_path, png_path, *, width: int = 1400, height: int = 900,
               full_page: bool = False, settle_ms: int = 1500) -> dict:
    """Open a page offline, wait for its graphs and plots, save a PNG; returns the requests
    beyond the file and the console errors."""
    from playwright.sync_api import sync_playwright
    url = Path(page_path).resolve().as_uri()
    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        ctx = browser.new_context(offline=True, viewport={"width": width, "height": height})
        page = ctx.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function(GRAPHS_DRAWN, timeout=60000)
        page.wait_for_timeout(settle_ms)          # physics, plotly transitions
        page.screenshot(path=str(png_path), full_page=full_page)
        browser.close()
    return {"foreign_requests": [u for u in requests if u != url], "console_errors": errors}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Screenshot a flowgraph page in headless Chromium")
    ap.add_argument("page", help="an HTML file written by flowgraph")
    ap.add_argument("png", help="where to write the PNG")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--full", action="store_true", help="the whole page, not just the window")
    args = ap.parse_args(argv)
    found = screenshot(args.page, args.png, width=args.width, height=args.height,
                       full_page=args.full)
    print(f"wrote {args.png}; requests beyond the file: {len(found['foreign_requests'])}; "
          f"console errors: {len(found['console_errors'])}")
    for line in found["foreign_requests"] + found["console_errors"]:
        print(f"  {line}")
    return 1 if found["foreign_requests"] or found["console_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
