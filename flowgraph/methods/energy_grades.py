"""Energy-consumption grades of products: which level a unit consumption reaches, and the gap.

A grade table (flowgraph/data/energy_grades.csv, or any CSV with the same columns) gives, per
product, route and variant, the upper limit of each level (level 1 is best; a value equal to a
limit reaches that level). The row labelled `benchmark` is the energy-efficiency benchmark
(能效标杆水平), the row labelled `baseline` the baseline (能效基准水平); worse than the last
level fails the limit. Another product's table is added as rows, not code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import CaseFileError, ModelError, name_list

COLUMNS = ("product", "route", "variant", "level", "max_value", "unit", "label")
FAILS = "fails the limit"


@dataclass
class Grade:
    """Where a value stands in one grade table: the level reached and the gaps.

    A gap is value - limit in the table's unit (positive: that much must be cut to reach it;
    negative: the margin), and times the annual output in tce/yr when the output is known.
    """

    value: float
    product: str
    route: str
    variant: str
    unit: str
    limits: dict            # level -> upper limit
    level: int | None       # None: worse than every level
    benchmark: float
    baseline: float
    output: float | None = None      # annual output in the unit's denominator (e.g. t/yr)
    source: str = ""
    names: dict | None = None        # level -> label (benchmark, baseline, '')

    @property
    def passes(self) -> bool:
        """The value is within the limit (reaches at least the last level)."""
        return self.level is not None

    @property
    def label(self) -> str:
        return f"level {self.level}" if self.level is not None else FAILS

    @property
    def gap_to_benchmark(self) -> float:
        return self.value - self.benchmark

    @property
    def gap_to_baseline(self) -> float:
        return self.value - self.baseline

    def gap_tce(self, to: str = "benchmark") -> float:
        """The gap to `benchmark`, `baseline` or 'level N' times the annual output, in tce/yr
        (for tables in kgce per t of output); NaN without an output."""
        if self.output is None or not self.unit.startswith("kgce/"):
            return math.nan
        return self.gap(to) * self.output / 1000.0

    def gap(self, to: str = "benchmark") -> float:
        """value - limit of `to` ('benchmark', 'baseline' or 'level N')."""
        if to == "benchmark":
            return self.gap_to_benchmark
        if to == "baseline":
            return self.gap_to_baseline
        if to.startswith("level "):
            lvl = int(to.split()[1])
            if lvl in self.limits:
                return self.value - self.limits[lvl]
        raise ModelError(f"grade gap: '{to}' is not benchmark, baseline or one of "
                         f"{', '.join(f'level {k}' for k in self.limits)}")

    def table(self) -> pd.DataFrame:
        """One row per level: limit, label, reached, gap (unit of the table and tce/yr)."""
        rows = []
        for lvl, lim in sorted(self.limits.items()):
            rows.append({"level": lvl, "limit": lim, "unit": self.unit,
                         "label": (self.names or {}).get(lvl, ""),
                         "reached": self.value <= lim, "gap": self.value - lim,
                         "gap_tce_per_yr": self.gap_tce(f"level {lvl}")})
        return pd.DataFrame(rows).set_index("level")

    def summary(self) -> dict:
        return {"value": self.value, "unit": self.unit, "product": self.product,
                "route": self.route, "variant": self.variant, "level": self.level,
                "grade": self.label, "benchmark": self.benchmark, "baseline": self.baseline,
                "gap_to_benchmark": self.gap_to_benchmark, "gap_to_baseline": self.gap_to_baseline,
                "gap_to_benchmark_tce_per_yr": self.gap_tce("benchmark"),
                "gap_to_baseline_tce_per_yr": self.gap_tce("baseline")}


@cache
def _shipped() -> pd.DataFrame:
    path = resources.files("flowgraph") / "data" / "energy_grades.csv"
    with path.open(encoding="utf-8") as fh:
        return _checked(pd.read_csv(fh), str(path))


def grade_table(path=None, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """The shipped grade table, plus the rows of the CSV at `path` and of `extra` (which
    replace shipped rows of the same product, route, variant and level)."""
    frames = [_shipped()]
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise CaseFileError(f"{p}: grade table does not exist", origin=str(p))
        try:
            frames.append(_checked(pd.read_csv(p), str(p)))
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise CaseFileError(f"{p}: {exc}", origin=str(p)) from None
    if extra is not None:
        frames.append(_checked(extra, "grade table"))
    table = pd.concat(frames, ignore_index=True)
    # a row given later (the case's) replaces the shipped row of the same level
    return table.drop_duplicates(["product", "route", "variant", "level"], keep="last")


def _checked(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise CaseFileError(f"{where}: grade table lacks column(s) {name_list(missing)}",
                            origin=where)
    frame = frame.copy()
    for col in ("route_zh", "variant_zh", "product_zh", "source", "note"):
        if col not in frame.columns:
            frame[col] = ""
    frame["label"] = frame["label"].fillna("")
    try:
        frame["level"] = frame["level"].astype(int)
        frame["max_value"] = frame["max_value"].astype(float)
    except (TypeError, ValueError) as exc:
        raise CaseFileError(f"{where}: level and max_value must be numbers ({exc})",
                            origin=where) from None
    for keys, g in frame.groupby(["product", "route", "variant"]):
        limits = g.sort_values("level")["max_value"].to_numpy()
        if (limits[1:] < limits[:-1]).any():
            raise CaseFileError(f"{where}: limits of {' / '.join(keys)} do not rise with the "
                                f"level", origin=where)
    return frame


def _pick(table: pd.DataFrame, column: str, value: str, within: str) -> pd.DataFrame:
    """Rows whose `column` (or its Chinese name) equals `value`, case-insensitively."""
    want = str(value).casefold()
    hit = table[column].astype(str).str.casefold() == want
    zh = f"{column}_zh"
    if zh in table.columns:
        hit |= table[zh].fillna("").astype(str).str.casefold() == want
    if not hit.any():
        known = sorted(pd.unique(table[column].astype(str)))
        raise ModelError(f"grade table{within}: no {column} '{value}'; known: {name_list(known, 20)}")
    return table[hit]


def grade(value: float, product: str = "PVC resin", route: str = "calcium carbide",
          variant: str = "general-purpose", output: float | None = None,
          table: pd.DataFrame | None = None) -> Grade:
    """The level `value` reaches in the grade table of product/route/variant.

    value is in the table's unit (kgce/t for PVC); a value equal to a level's limit reaches
    it. output (e.g. t/yr) turns the gaps into tce/yr.

    >>> g = grade(193.0)
    >>> g.level, g.gap_to_benchmark, g.gap_to_baseline
    (2, 0.0, -77.0)
    >>> grade(270.5).label
    'fails the limit'
    """
    if value is None or not math.isfinite(float(value)):
        raise ModelError(f"grade: value {value!r} is not a finite number")
    t = grade_table() if table is None else table
    rows = _pick(t, "product", product, "")
    rows = _pick(rows, "route", route, f" of {product}")
    rows = _pick(rows, "variant", variant, f" of {product}, {route}")
    rows = rows.sort_values("level")
    limits = {int(k): float(v) for k, v in zip(rows["level"], rows["max_value"])}
    value = float(value)
    level = next((lvl for lvl, lim in limits.items() if value <= lim), None)
    labels = dict(zip(rows["label"], rows["max_value"].astype(float)))
    benchmark = labels.get("benchmark", limits[min(limits)])
    baseline = labels.get("baseline", limits[max(limits)])
    first = rows.iloc[0]
    return Grade(value=value, product=str(first["product"]), route=str(first["route"]),
                 variant=str(first["variant"]), unit=str(first["unit"]), limits=limits,
                 level=level, benchmark=benchmark, baseline=baseline, output=output,
                 source=str(first.get("source", "")),
                 names={int(k): str(v) for k, v in zip(rows["level"], rows["label"])})
