"""Views in notebooks: the docs notebook runs (nbclient, on this venv's Python) and every view
shows inline and offline (`_repr_html_`: self-contained pages in frames, plotly Figures)."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.views import notebook
from flowgraph.views.difference import difference_graph, difference_sankey, network_figure
from flowgraph.views.sankey import sankey_figure

from .view_cases import chain

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "plant_to_sankey.ipynb"


def _kernel(tmp_path) -> str:
    """A kernel spec that starts this very Python (the venv's), found before any other."""
    spec = tmp_path / "jupyter" / "kernels" / "flowgraph-venv"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "flowgraph (venv)", "language": "python"}), encoding="utf-8")
    return "flowgraph-venv"


def _outputs(cell) -> dict:
    """mime type -> data over a cell's outputs (text of streams under 'stream')."""
    out = {}
    for o in cell.outputs:
        if o.output_type == "stream":
            out["stream"] = out.get("stream", "") + o.text
        out.update(o.get("data", {}))
    return out


def test_docs_notebook_runs_from_a_plant_to_its_sankey(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "the notebook is kept without outputs"
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name=_kernel(tmp_path),
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()                                   # raises on any cell's error
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert _outputs(code[-1])["stream"].strip() == sys.executable
    shown = [_outputs(c) for c in code[:-1]]
    assert all(shown[1:]), "every cell after the first shows something"
    mfca = next(o["text/html"] for o in shown if "material cost" in o.get("text/html", ""))
    assert '<span class="unit">CNY</span>' in mfca and not re.search(r"\de-\d", mfca)
    plotly = [o["application/vnd.plotly.v1+json"] for o in shown
              if "application/vnd.plotly.v1+json" in o]
    assert [p["data"][0]["type"] for p in plotly] == ["sankey", "sankey"]
    frames = [o["text/html"] for o in shown if "<iframe srcdoc=" in o.get("text/html", "")]
    assert frames, "the interactive Sankey shows in a frame"
    # nothing loaded from outside (inlined libraries may name URLs in their comments)
    assert not any(re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:",
                             html.unescape(f)) for f in frames)
    if hasattr(fg.Result, "_repr_html_"):             # bound at the package face
        assert "<iframe" in shown[0].get("text/html", "")        # the network
        assert "<iframe" in shown[1].get("text/html", "")        # the result


def test_the_face_binds_repr_html():
    """Networks, Results, graph views and Reports show themselves in notebooks."""
    from flowgraph.views.graph import GraphView
    for cls in (fg.Network, fg.Result, GraphView, fg.Report):
        assert callable(getattr(cls, "_repr_html_", None)), cls.__name__


def test_reprs_are_self_contained_frames():
    net = chain()
    result = net.solve()
    for shown in (notebook.network_repr(net), notebook.result_repr(result)):
        assert shown.count("<iframe srcdoc=") == 1
        page = html.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1))
        assert page.startswith("<!DOCTYPE html>") and "<script src=" not in page
    head = notebook.result_repr(result)
    assert "view chain" in head and "7 flows" in head
    from flowgraph.app.runner import run_case
    report = notebook.report_repr(run_case(fg.load(ROOT / "cases" / "demo")))
    assert report.count("<iframe srcdoc=") == 1 and "plotly.min.js" not in report


def test_big_networks_show_their_size_only(monkeypatch):
    monkeypatch.setattr(notebook, "DRAW_LIMIT", 3)
    net = chain()
    assert "<iframe" not in notebook.network_repr(net)
    assert "<iframe" not in notebook.result_repr(net.solve())


def test_table_view_reads_in_words_with_units():
    shown = notebook.mfca_view(chain().solve())._repr_html_()
    assert "material cost" in shown and '<span class="unit">CNY</span>' in shown
    assert "waste_management" not in shown and not re.search(r"\de-\d", shown)
    assert shown.count("<style>") == 1


def test_views_are_plotly_figures():
    import plotly.graph_objects as go
    result = chain().solve()
    other = chain()
    other.set_flow("back", share=0.2)
    changed = other.solve()
    for fig in (sankey_figure(result, "mass"), network_figure(result),
                difference_sankey(result, changed), difference_graph(result, changed)):
        assert isinstance(fig, go.Figure)
    link = difference_sankey(result, changed).data[0].link
    assert len(link.value) > 0 and all(v > 0 for v in link.value)


def test_frame_opens_offline_and_draws(chromium_session, tmp_path):
    """A Result's notebook output in a page of its own: the frame's Sankey is drawn, nothing
    is fetched."""
    shown = notebook.result_repr(chain().solve())
    path = tmp_path / "cell.html"
    path.write_text(f"<!DOCTYPE html><html><body>{shown}</body></html>", encoding="utf-8")
    ctx = chromium_session.new_context(offline=True, viewport={"width": 1400, "height": 900})
    try:
        page = ctx.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.resolve().as_uri())
        frame = page.frames[1]
        frame.wait_for_selector(".fg-sankey[data-rendered='1'] svg", timeout=20000)
        assert frame.locator("svg text").count() >= 4
        assert [u for u in requests if not u.startswith(("file://", "about:"))] == []
        assert errors == []
    finally:
        ctx.close()
