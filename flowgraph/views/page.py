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

from ..numbers import fmt
from ..version import __version__
from .headers import figure_words
from .tablehtml import no_data, render_table

#: a headline figure further than this (relative) from its published value is flagged
DEVIATION_FLAG = 0.05
#: significant figures of the numbers in pages' tables and cards (CSV and JSON keep all)
DIGITS = 4


@dataclass
class Section:
    """One titled part of a page; `html` is trusted fragment HTML built by flowgraph.

    omitted: why a section with no data is left out (the page shows this one line instead);
    scripts / styles: more (name, text) assets the section needs besides plotly and vis,
    inlined or shared like them (a name is written once per page, or once per folder)."""

    title: str
    html: str = ""
    note: str = ""
    needs_plotly: bool = False
    level: int = 2
    needs_vis: bool = False
    omitted: str = ""
    scripts: tuple = ()
    styles: tuple = ()

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"


def omitted_section(title: str, why: str, level: int = 2) -> Section:
    """A section left out for want of data: one line on the page saying why."""
    return Section(title, omitted=str(why).strip().rstrip("."), level=level)


def table_section(title: str, frame: pd.DataFrame, note: str = "", index: bool = True,
                  digits: int = DIGITS, units: dict | None = None, labels: dict | None = None,
                  empty: str = "") -> Section:
    """A DataFrame as a table (numbers to `digits` significant figures, headers in words with
    units); a table with no data is left out with one line (`empty`, or what is missing)."""
    why = no_data(frame)
    if why:
        return omitted_section(title, empty or why)
    return Section(title, table_html(frame, index=index, digits=digits, units=units,
                                     labels=labels), note)


def table_html(frame: pd.DataFrame, index: bool = True, digits: int = DIGITS,
               units: dict | None = None, labels: dict | None = None) -> str:
    """The table as HTML in a box that scrolls on its own: numbers in the one number format
    (rounding noise as 0, NaN empty as in the CSV) and right-aligned, text left-aligned,
    headers in words with their units (views.headers), the index name in the header's
    corner (views.tablehtml)."""
    return render_table(frame, index=index, digits=digits, units=units, labels=labels)


def figure_section(title: str, fig, note: str = "", height: int | None = None) -> Section:
    """A plotly figure, or its specification as a dict (its JavaScript is inlined once by
    html_page, or shared beside the pages)."""
    import plotly.io as pio
    div = pio.to_html(fig, full_html=False, include_plotlyjs=False,
                      default_height=height or "100%", config={"displaylogo": False},
                      validate=False)
    return Section(title, f'<div class="plot">{div}</div>', note, needs_plotly=True)


def figures_section(title: str, figures: list[dict], note: str = "",
                    explained: str = "") -> Section:
    """Headline figures as cards: dicts with name, value, unit, and optionally published,
    detail (a line under the value) and note (shown on hover). Names are shown in words with their unit; a card further than DEVIATION_FLAG from
    its published value is marked (class 'off', a warning sign and the deviation) and links
    to `explained` (the document that explains the gaps, e.g. the case's README)."""
    cards = "".join(_card(f, explained) for f in figures)
    return Section(title, f'<div class="figures">{cards}</div>', note)


def _card(f: dict, explained: str = "") -> str:
    """One figure's card: name in words, value and unit, published value and the deviation,
    marked when over and linked to the explanation."""
    value, pub = f.get("value"), f.get("published")
    number = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    shown = fmt(value, DIGITS) if number else html.escape(str(value))
    name, unit = figure_words(str(f["name"]), f.get("unit") or "")
    extra, off = "", False
    if isinstance(pub, (int, float)) and not isinstance(pub, bool):
        extra = f'<div class="published">published {fmt(pub, DIGITS)}</div>'
        if number and pub != 0 and np.isfinite(value):
            dev = (float(value) - pub) / abs(pub)
            off = abs(dev) > DEVIATION_FLAG
            pct = f"{100 * dev:+.1f}" if round(100 * dev, 1) != 0 else "±0.0"   # no -0.0
            mark = f"⚠ {pct} % from published (over {100 * DEVIATION_FLAG:g} %)" \
                if off else f"{pct} % from published"
            extra += f'<div class="deviation">{mark}</div>'
            if off and explained:
                extra += (f'<a class="explained" href="{html.escape(explained)}">'
                          f'why: the case README</a>')
    if f.get("detail"):
        extra = f'<div class="published">{html.escape(str(f["detail"]))}</div>' + extra
    ident = str(f["name"])
    tip = " ".join(x for x in (ident + ":" if name != ident else "", str(f.get("note") or ""))
                   if x)
    title = f' title="{html.escape(tip)}"' if tip else ""
    return (f'<div class="figure{" off" if off else ""}"{title}>'
            f'<div class="name">{html.escape(name)}</div>'
            f'<div class="value">{shown} <small>{html.escape(unit)}</small>'
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


#: file names of the scripts and styles a page may share with the pages beside it
PLOTLY_FILE = "plotly.min.js"
VIS_FILE = "vis-network.min.js"
VIS_CSS_FILE = "vis-network.css"
GRAPH_FILE = "flowgraph-graph.js"


def page_assets(sections: list[Section]) -> tuple[list, list]:
    """(scripts, styles) the sections need, as (file name, text) in loading order, each
    name once: plotly, vis-network and graph.js, then the sections' own."""
    scripts: dict[str, str] = {}
    styles: dict[str, str] = {}
    if any(s.needs_plotly for s in sections):
        scripts[PLOTLY_FILE] = _plotly_js()
    if any(s.needs_vis for s in sections):
        vis_js, vis_css, graph_js = _vis_assets()
        styles[VIS_CSS_FILE] = vis_css
        scripts[VIS_FILE] = vis_js
        scripts[GRAPH_FILE] = graph_js
    for sec in sections:
        scripts.update({name: text for name, text in sec.scripts if name not in scripts})
        styles.update({name: text for name, text in sec.styles if name not in styles})
    return list(scripts.items()), list(styles.items())


def html_page(title: str, sections: list[Section], subtitle: str = "",
              layout: str = "report", shared: dict | None = None) -> str:
    """A complete HTML page that opens offline. layout: 'report' (a column that fits the
    window) or 'full' (one view filling the window).

    shared: None for a standalone page (every script and style inlined); a dict when the
    page is one of several written to one folder: scripts and styles are then referenced
    as files beside the page (plotly.min.js, ...) and added to `shared` (file name -> text)
    for the caller to write once (render.write_report does)."""
    scripts, styles = page_assets(sections)
    if shared is not None:
        shared.update(scripts)
        shared.update(styles)
    inline = shared is None
    return _template().render(
        title=title, subtitle=subtitle, sections=sections, anchors=_unique_anchors(sections),
        shown=[s for s in sections if not s.omitted], css=_css(), inline=inline,
        scripts=scripts, styles=styles, layout=layout, version=__version__)


def _unique_anchors(sections) -> list[str]:
    """Section anchors, numbered when two sections share a title (ids must be unique)."""
    seen: dict[str, int] = {}
    out = []
    for sec in sections:
        a = sec.anchor
        seen[a] = seen.get(a, 0) + 1
        out.append(a if seen[a] == 1 else f"{a}-{seen[a]}")
    return out
