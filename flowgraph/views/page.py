"""Self-contained HTML pages from sections: one template (jinja2), one style, no CDN.

Every report of flowgraph (run, plugins) is a list of Sections rendered by `html_page`.
A section holds an HTML fragment: a table, a plotly figure, a grid of headline figures, or
text. Plotly's JavaScript is inlined once per page when a section needs it, so pages open
offline.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..numbers import fmt, shown_table
from ..version import __version__

#: a headline figure further than this (relative) from its published value is flagged
DEVIATION_FLAG = 0.05


@dataclass
class Section:
    """One titled part of a page; `html` is trusted fragment HTML built by flowgraph."""

    title: str
    html: str = ""
    note: str = ""
    needs_plotly: bool = False
    level: int = 2
    needs_vis: bool = False

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"


def table_section(title: str, frame: pd.DataFrame, note: str = "", index: bool = True,
                  digits: int = 6, units: dict | None = None) -> Section:
    """A DataFrame as a table (numbers to `digits` significant figures); `units` (column ->
    unit) are shown in the column headers."""
    if units:
        frame = frame.rename(columns={c: f"{c} ({u})" for c, u in units.items() if u})
    return Section(title, table_html(frame, index=index, digits=digits), note)


def table_html(frame: pd.DataFrame, index: bool = True, digits: int = 6) -> str:
    """The table as HTML, float columns in the one number format (rounding noise as 0, NaN
    empty as in the CSV)."""
    shown = shown_table(frame, digits, nan="")
    if index and shown.index.nlevels == 1 and shown.index.name and shown.columns.nlevels == 1:
        # the index name goes in the header's corner instead of a row of its own
        shown.columns.name, shown.index.name = shown.index.name, None
    return shown.to_html(classes="fg", index=index, border=0, na_rep="", escape=True)


def figure_section(title: str, fig, note: str = "", height: int | None = None) -> Section:
    """A plotly figure, or its specification as a dict (its JavaScript is inlined once by
    html_page)."""
    import plotly.io as pio
    div = pio.to_html(fig, full_html=False, include_plotlyjs=False,
                      default_height=height or "100%", config={"displaylogo": False},
                      validate=False)
    return Section(title, f'<div class="plot">{div}</div>', note, needs_plotly=True)


def figures_section(title: str, figures: list[dict], note: str = "") -> Section:
    """Headline figures as cards: dicts with name, value, unit, and optionally published. A
    card further than DEVIATION_FLAG from its published value is marked (class 'off', a
    warning sign and the deviation)."""
    return Section(title, f'<div class="figures">{"".join(map(_card, figures))}</div>', note)


def _card(f: dict) -> str:
    """One figure's card: value, published value and the deviation, marked when over."""
    value, pub = f.get("value"), f.get("published")
    number = isinstance(value, (int, float, np.floating))
    shown = fmt(value) if number else html.escape(str(value))
    extra, off = "", False
    if isinstance(pub, (int, float)) and not isinstance(pub, bool):
        extra = f'<div class="published">published {fmt(pub)}</div>'
        if number and pub != 0 and np.isfinite(value):
            dev = (float(value) - pub) / abs(pub)
            off = abs(dev) > DEVIATION_FLAG
            mark = f"⚠ {100 * dev:+.1f} % from published (over {100 * DEVIATION_FLAG:g} %)" \
                if off else f"{100 * dev:+.1f} % from published"
            extra += f'<div class="deviation">{mark}</div>'
    return (f'<div class="figure{" off" if off else ""}">'
            f'<div class="name">{html.escape(str(f["name"]))}</div>'
            f'<div class="value">{shown} <small>{html.escape(str(f.get("unit") or ""))}</small>'
            f"</div>{extra}</div>")


def text_section(title: str, text: str, note: str = "") -> Section:
    """Plain text, escaped; blank lines separate paragraphs."""
    paras = "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
    return Section(title, paras, note)


@cache
def _template():
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flowgraph", "views/templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]))
    return env.get_template("page.html.j2")


@cache
def _css() -> str:
    return (resources.files("flowgraph") / "views" / "style.css").read_text(encoding="utf-8")


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


#: the vis-network build pyvis ships (the standalone one: it includes DataSet and DataView)
VIS_VERSION = "9.1.2"


@cache
def _vis_assets() -> tuple[str, str, str]:
    """vis-network's script and style from the installed pyvis, and flowgraph's graph.js."""
    lib = resources.files("pyvis") / "lib" / f"vis-{VIS_VERSION}"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    ours = (resources.files("flowgraph") / "views" / "graph.js").read_text(encoding="utf-8")
    return js, css, ours


def html_page(title: str, sections: list[Section], subtitle: str = "",
              layout: str = "report") -> str:
    """A complete, self-contained HTML page. layout: 'report' (a readable column) or
    'full' (one view filling the window)."""
    needs = any(s.needs_plotly for s in sections)
    vis_js, vis_css, graph_js = _vis_assets() if any(s.needs_vis for s in sections) \
        else ("", "", "")
    return _template().render(title=title, subtitle=subtitle, sections=sections,
                              anchors=_unique_anchors(sections),
                              css=_css(), plotly_js=_plotly_js() if needs else "",
                              vis_js=vis_js, vis_css=vis_css, graph_js=graph_js,
                              layout=layout, version=__version__)


def _unique_anchors(sections) -> list[str]:
    """Section anchors, numbered when two sections share a title (ids must be unique)."""
    seen: dict[str, int] = {}
    out = []
    for sec in sections:
        a = sec.anchor
        seen[a] = seen.get(a, 0) + 1
        out.append(a if seen[a] == 1 else f"{a}-{seen[a]}")
    return out
