"""The CSV file of series a case's [time] section names (`series = "monthly.csv"`): one
value per period for each parameter, read for solving (app/periods_case.py) and for laying
the series out on a workbook's time sheet (booktime.py).

Wide: `period`, then one column per parameter (kind:id:attribute); long: `period,
parameter, value`, one value a line. Errors name the file and line.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import CaseFileError
from .text import read_text


def read_series(path: Path, periods: list) -> dict:
    """{parameter: values in the order of `periods`} from a wide (period, then a column per
    parameter) or long (period, parameter, value) CSV; errors name file and line."""
    rows = list(csv.reader(read_text(path).splitlines()))
    if not rows or not rows[0] or rows[0][0].strip() != "period":
        raise CaseFileError(f"{path}:1: the first column must be 'period'", origin=f"{path}:1")
    head = [h.strip() for h in rows[0]]
    records = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(head):
            raise CaseFileError(f"{path}:{line}: {len(row)} cells for {len(head)} columns",
                                origin=f"{path}:{line}")
        period = _period(row[0].strip(), periods, path, line)
        if head[1:] == ["parameter", "value"]:
            records.setdefault(row[1].strip(), {})[period] = _number(row[2], path, line, "value")
        else:
            for name, cell in zip(head[1:], row[1:]):
                records.setdefault(name, {})[period] = _number(cell, path, line, name)
    out = {}
    for name, by in records.items():
        missing = [p for p in periods if p not in by]
        if missing:
            raise CaseFileError(f"{path}: {name!r} has no value for period {missing[0]!r} "
                                f"(the series is shorter than the horizon)", origin=str(path))
        out[name] = [by[p] for p in periods]
    return out


def _period(text: str, periods: list, path, line: int):
    for p in periods:
        if str(p) == text:
            return p
    raise CaseFileError(f"{path}:{line}: period {text!r} is not one of [time] periods",
                        origin=f"{path}:{line}")


def _number(cell: str, path, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise CaseFileError(f"{path}:{line}: {column} {cell.strip()!r} is not a number",
                            origin=f"{path}:{line}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CaseFileError(f"{path}:{line}: {column} is not a finite number",
                            origin=f"{path}:{line}")
    return value
