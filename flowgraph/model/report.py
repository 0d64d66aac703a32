"""What a plugin (or `flowgraph run`) returns: named tables, figures, a summary, pages."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Report:
    """Named DataFrames, headline figures (name -> value), a short text summary, page
    sections (flowgraph.views.page.Section) rendered as report.html, and extra files
    (name -> text, e.g. a self-contained HTML view)."""

    name: str
    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    summary: str = ""
    files: dict = field(default_factory=dict)
    sections: list = field(default_factory=list)
    title: str = ""

    def html(self) -> str:
        """The report as one self-contained HTML page."""
        from ..views.page import html_page
        return html_page(self.title or self.name, self.sections)

    def write(self, out_dir) -> list[Path]:
        """Write tables as CSV, figures as summary.json, sections as report.html, and the
        extra files; returns the paths written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables.items():
            path = out / f"{name}.csv"
            table.to_csv(path)
            written.append(path)
        path = out / "summary.json"
        path.write_text(json.dumps(jsonable(self.figures), indent=2, ensure_ascii=False),
                        encoding="utf-8")
        written.append(path)
        if self.sections:
            path = out / "report.html"
            path.write_text(self.html(), encoding="utf-8")
            written.append(path)
        for name, text in self.files.items():
            path = out / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written


def layered_options(defaults: dict, section: dict, given: dict) -> dict:
    """A plugin's options: its defaults, then the case's section, then what the caller gave
    (None means not given); keys the plugin does not know are ignored."""
    opts = dict(defaults)
    opts.update({k: v for k, v in section.items() if k in defaults})
    opts.update({k: v for k, v in given.items() if k in defaults and v is not None})
    return opts


def jsonable(value):
    """JSON-ready: numpy scalars as Python numbers, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
