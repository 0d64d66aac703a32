"""What a plugin (or `flowgraph run`) returns: a Report, plain data that the views render.

A Report holds named tables (DataFrames, with the unit of each column), headline figures
(name -> value, summary.json), a short text summary, extra files, and the blocks of its page
in order: tables, figure cards, text, charts (plotly figure specifications as JSON-able
dicts), and requests to draw a result's flow graph or Sankey diagram. Nothing here renders:
flowgraph.views.render turns a Report into HTML, CSV and JSON, so plugins never import views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Table:
    """A table on the page: `frame` with the unit of each column (`units`, column -> unit;
    "" for none), headers in words (`labels`, column -> header, else from the column name),
    numbers to `digits` significant figures; `empty`: why the table has no data when it has
    none (the page then shows that line instead of the table)."""

    title: str
    frame: pd.DataFrame
    note: str = ""
    index: bool = True
    digits: int = 4
    units: dict = field(default_factory=dict)
    level: int = 2
    labels: dict = field(default_factory=dict)
    empty: str = ""


@dataclass
class Cards:
    """Headline figures as cards: dicts with name, value, unit and optionally published and
    note. `explained`: the document explaining gaps to published values (a path, e.g. the
    case's README.md, or a URL); a card more than 5 % off its published value links to it."""

    title: str
    items: list
    note: str = ""
    level: int = 2
    explained: str = ""


@dataclass
class Text:
    """Plain text; blank lines separate paragraphs."""

    title: str
    text: str
    note: str = ""
    level: int = 2


@dataclass
class Chart:
    """A chart: a plotly figure specification ({'data': [...], 'layout': {...}}). A plotly
    Figure object is accepted and kept as its dict."""

    title: str
    figure: dict
    note: str = ""
    height: int | None = None
    level: int = 2

    def __post_init__(self):
        if hasattr(self.figure, "to_plotly_json"):
            self.figure = self.figure.to_dict()


@dataclass
class FlowGraph:
    """The interactive flow graph of a Result (options as views.graph.graph_view takes)."""

    title: str
    result: object
    note: str = ""
    options: dict = field(default_factory=dict)
    level: int = 2


@dataclass
class Sankey:
    """A Sankey diagram of a Result in one measure (mass, energy, cost, tce, co2, ...)."""

    title: str
    result: object
    measure: str = "mass"
    note: str = ""
    level: int = 2
    #: why the diagram is left out when its measure carries nothing ('' : say what is missing)
    empty: str = ""


@dataclass
class Difference:
    """What changes from one Result to another (base -> other, e.g. a scenario) in one
    measure, drawn as a Sankey ('sankey') or a flow graph ('graph'): increases and
    decreases coloured."""

    title: str
    base: object
    other: object
    measure: str = "mass"
    view: str = "sankey"
    note: str = ""
    level: int = 2


#: what a page is made of
Block = Table | Cards | Text | Chart | FlowGraph | Sankey | Difference


@dataclass
class Page:
    """A page of its own (a file of a report): a title and blocks; layout 'report' (a
    readable column) or 'full' (one view filling the window)."""

    title: str
    blocks: list
    layout: str = "report"


@dataclass
class Report:
    """Named tables (with `units`: table name -> column -> unit), headline figures (name ->
    value), a text summary, the page's blocks and extra files (name -> text, or a Page)."""

    name: str
    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    summary: str = ""
    files: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)
    title: str = ""
    units: dict = field(default_factory=dict)

    def add_table(self, name: str, frame: pd.DataFrame, units: dict | None = None) -> None:
        """Add a named table (written as NAME.csv) with the unit of each column."""
        self.tables[name] = frame
        if units:
            self.units[name] = dict(units)

    def merge(self, other: Report, prefix: str) -> None:
        """Add another report's tables and files (tables prefixed), figures (by name, the
        first kept) and blocks: a plugin's report joining the run report."""
        for name, table in other.tables.items():
            self.tables[f"{prefix}_{name}"] = table
            if name in other.units:
                self.units[f"{prefix}_{name}"] = other.units[name]
        for name, value in other.figures.items():
            self.figures.setdefault(name, value)
        self.blocks += other.blocks
        self.files.update(other.files)


def jsonable(value):
    """JSON-ready: numpy scalars as Python numbers, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
