"""The time axis of a case workbook: the sheets time, time_stocks and time_starts, read as
the [time] section of case.toml (app/periods_case.py, docs/methods/time.md) and written
from it, so that `flowgraph periods plant.xlsx` solves what the case folder solves.

    time         parameter | 2025-01 | 2025-02 | ...    wide: row 1 gives the periods in
                 flow:coal bought:quantity | 1200 | 1000  order, one parameter a row with a
                                                          value under every period; or
                 period | parameter | value                long: one value a row (the periods
                                                          are the labels given, in order)
    time_stocks  node | outflow | lifetime | mean | std | shape | scale | inflow_at |
                 initial | initial.1 | initial.2 ...      one stock a row: lifetime the kind
                                                          (fixed, normal, lognormal, weibull)
                                                          with its parameters; initial an
                                                          amount, or initial.AGE the amount
                                                          of each age in periods
    time_starts  period | scenario                        a scenario in force from a period

Periods are text ('2025-01', format the row as text so the spreadsheet makes no date of
it) or numbers (2025). Every fault names its cell: periods repeated or out of order, a value
that is not a number, an empty cell under a period (a series shorter than the periods), a
node, flow, scenario or period the case does not have (did you mean). The reader records the
cell of each parameter, stock and start in the section origins (`time.values.NAME`,
`time.stock.0`, `time.stock.0.lifetime`, `time.start.0`), so that the checks made when the
periods are solved (a parameter's name, a lifetime's kind and parameters) name it too.
"""

from __future__ import annotations

import datetime as dt
import math

from ..errors import CaseFileError
from ..model.schema import suggestion
from .booktables import Records, records
from .cells import plain_number, to_cell, without_thousands
from .paths import CaseFolder
from .seriesfile import read_series
from .xlsxread import Sheet, Workbook, column_letter

SECTION = "time"
#: the sheets of the time axis, in the order they are written
SHEETS = ("time", "time_stocks", "time_starts")
#: cell A1 of a wide time sheet, and row 1 of a long one
WIDE = "parameter"
LONG = ("period", "parameter", "value")
#: the parameters of the lifetime distributions (solvers/cohorts.py KINDS), a column each
LIFETIME_PARAMS = ("mean", "std", "shape", "scale")
STOCK_COLUMNS = ("node", "outflow", "lifetime", *LIFETIME_PARAMS, "inflow_at", "initial")
START_COLUMNS = ("period", "scenario")
#: the column of the initial amount of one age in periods: initial.2
AGED = "initial."
#: the keys of [time] the sheets hold, and of its [[time.stock]] records
KEYS = ("periods", "series", "values", "stock", "start")
STOCK_KEYS = ("node", "outflow", "lifetime", "initial", "inflow_at")
#: the most periods a row of a sheet holds (16,384 columns, one for the parameter)
MAX_PERIODS = 16383


# -- reading -------------------------------------------------------------------------------

def read_time(book: Workbook, names: dict, net, scenarios: dict, sections: dict,
              origins: dict) -> None:
    """The [time] section of the time sheets into `sections`, and the cell of each of its
    parts into `origins`; a part the settings sheet's [time] gives too is refused."""
    found = [s for s in SHEETS if s in names]
    if not found:
        return
    given = sections.get(SECTION, {})
    if not isinstance(given, dict):
        raise CaseFileError(f"{origins[SECTION]}: [time] is a table; its periods and "
                            f"series go on the time sheet", origin=origins[SECTION])
    section, cells = {}, {}
    if "time" in names:
        sheet = book.sheet(names["time"])
        section["periods"], values, cells = read_series_sheet(sheet)
        if values:
            section["values"] = values
    periods = section.get("periods", given.get("periods"))
    if "time_stocks" in names:
        section["stock"] = read_stocks(book.sheet(names["time_stocks"]), net, cells)
    if "time_starts" in names:
        section["start"] = read_starts(book.sheet(names["time_starts"]), periods, scenarios,
                                       cells)
    for key in section:
        if key in given:
            raise CaseFileError(f"{origins[SECTION]}: [time] {key} is given on the settings "
                                f"sheet and on the time sheets; give it once",
                                origin=origins[SECTION])
    sections[SECTION] = {**given, **section}
    origins.setdefault(SECTION, book.sheet(names[found[0]]).ref(0))
    origins.update({f"{SECTION}.{part}": cell for part, cell in cells.items()})


def read_series_sheet(sheet: Sheet) -> tuple[list, dict, dict]:
    """The periods, {parameter: values in their order} and the cell of each parameter
    (`values.NAME`) of a wide or long time sheet."""
    rows = sheet.rows
    if not rows or all(_blank(v) for v in rows[0]):
        raise sheet.error("row 1 is empty: it reads parameter | <period> | <period> ... "
                          "(a parameter a row) or period | parameter | value (a value a row)",
                          row=0 if rows else None)
    head = [v.strip() if isinstance(v, str) else v for v in rows[0]]
    if head[0] == WIDE:
        return _wide(sheet)
    if tuple(head[:3]) == LONG:
        return _long(sheet)
    raise sheet.error(f"row 1 starts with {rows[0][0]!r}: the time sheet's row 1 reads "
                      f"parameter | <period> | <period> ... (a parameter a row, a value "
                      f"under each period) or period | parameter | value (a value a row)",
                      row=0, col=0)


def _wide(sheet: Sheet) -> tuple[list, dict, dict]:
    header = list(sheet.rows[0])
    while _blank(header[-1]):
        header.pop()
    periods, seen = [], {}
    for k in range(1, len(header)):
        label = _label(sheet, header[k], 0, k)
        if str(label) in seen:
            raise sheet.error(f"period {label!r} is given twice (also in column "
                              f"{column_letter(seen[str(label)])}); give each period once",
                              row=0, col=k)
        if periods and not _before(sheet, periods[-1], label, 0, k):
            raise sheet.error(f"period {label!r} comes after {periods[-1]!r} (column "
                              f"{column_letter(k - 1)}); give the periods in order",
                              row=0, col=k)
        seen[str(label)] = k
        periods.append(label)
    if not periods:
        raise sheet.error("row 1 gives no period: name the periods in order to the right of "
                          "'parameter' (2025-01, 2025-02, ... or 2025, 2026, ...)", row=0, col=1)
    values, cells, first = {}, {}, {}
    for r, row in enumerate(sheet.rows[1:], start=1):
        if all(_blank(v) for v in row):
            continue
        beyond = next((k for k in range(len(header), len(row)) if not _blank(row[k])), None)
        if beyond is not None:
            raise sheet.error(f"a value in column {column_letter(beyond)}, which has no "
                              f"period in row 1", row=r, col=beyond)
        name = _parameter(sheet, row[0], r, 0)
        if name in first:
            raise sheet.error(f"parameter {name!r} is given twice (also in row "
                              f"{first[name] + 1}); give each parameter one row", row=r, col=0)
        first[name] = r
        values[name] = [_number(sheet, row[k] if k < len(row) else "", r, k,
                                f"{name!r} in period {p!r}")
                        for k, p in enumerate(periods, start=1)]
        cells[f"values.{name}"] = sheet.ref(r, 0)
    return periods, values, cells


def _long(sheet: Sheet) -> tuple[list, dict, dict]:
    rec = records(sheet, "series value", known=LONG, required=LONG)
    col = rec.columns
    by: dict = {}
    cells, labels = {}, {}
    for i, r in enumerate(rec.rows):
        label = _label(sheet, rec.cells["period"][i], r, col["period"])
        name = _parameter(sheet, rec.cells["parameter"][i], r, col["parameter"])
        value = _number(sheet, rec.cells["value"][i], r, col["value"],
                        f"{name!r} in period {label!r}")
        given = by.setdefault(name, {})
        if str(label) in given:
            raise rec.error(f"parameter {name!r} is given twice for period {label!r} (also "
                            f"in row {given[str(label)][0] + 1}); give it once", i, "period")
        given[str(label)] = (r, value)
        labels.setdefault(str(label), (label, r))
        cells.setdefault(f"values.{name}", rec.ref(i, "parameter"))
    ordered = sorted(labels.values(), key=lambda lr: lr[1])
    for label, r in ordered[1:]:            # all numbers or all text, to be put in order
        _before(sheet, ordered[0][0], label, r, col["period"])
    periods = sorted(label for label, _ in ordered)
    values = {}
    for name, given in by.items():
        missing = next((p for p in periods if str(p) not in given), None)
        if missing is not None:
            where = cells[f"values.{name}"]
            raise CaseFileError(f"{where}: parameter {name!r} has no value for period "
                                f"{missing!r} (the series is shorter than the periods); add "
                                f"a row", origin=where)
        values[name] = [given[str(p)][1] for p in periods]
    return periods, values, cells


def read_stocks(sheet: Sheet, net, cells: dict) -> list[dict]:
    """The [[time.stock]] records of the time_stocks sheet, one stock a row; the cell of
    each (`stock.K`) and of its lifetime (`stock.K.lifetime`) into `cells`."""
    rec = records(sheet, "stock", required=("node", "outflow"))
    aged = _stock_columns(rec)
    nodes = [str(n) for n in net.node_frame().index]
    flows = [str(f) for f in net.flow_frame().index]
    out = []
    for i in range(len(rec.rows)):
        stock = {"node": _known_name(rec, i, "node", nodes),
                 "outflow": _known_name(rec, i, "outflow", flows)}
        life = _lifetime(rec, i)
        if life is not None:
            stock["lifetime"] = life
            cells[f"stock.{len(out)}.lifetime"] = rec.ref(i, "lifetime")
        initial = _initial(rec, i, aged)
        if initial is not None:
            stock["initial"] = initial
        if "inflow_at" in rec.columns and rec.value(i, "inflow_at", text=True) is not None:
            stock["inflow_at"] = rec.value(i, "inflow_at", text=True)
        cells[f"stock.{len(out)}"] = rec.ref(i, "node")
        out.append(stock)
    return out


def _stock_columns(rec: Records) -> dict:
    """{column: age} of the initial.AGE columns; any other unknown column refused."""
    aged = {}
    for name, k in rec.columns.items():
        if name in STOCK_COLUMNS or name.startswith("x_"):
            continue
        age = name[len(AGED):] if name.startswith(AGED) else ""
        if not age.isdigit() or int(age) < 1:
            hint = "; an age is a whole number of periods >= 1 (initial.1, initial.2, ...)" \
                if name.startswith(AGED) else suggestion(name, STOCK_COLUMNS)
            raise rec.sheet.error(f"unknown column '{name}'{hint}; the columns are "
                                  f"{', '.join(STOCK_COLUMNS)} and initial.AGE", row=0, col=k)
        aged[name] = str(int(age))
    return aged


def _known_name(rec: Records, i: int, column: str, known: list) -> str:
    name = rec.value(i, column, text=True)
    if name is None:
        raise rec.error(f"a stock needs its {column}", i, column)
    if name not in known:
        what = "node" if column == "node" else "flow"
        raise rec.error(f"the case has no {what} '{name}'{suggestion(name, known)}", i, column)
    return name


def _lifetime(rec: Records, i: int) -> dict | None:
    kind = rec.value(i, "lifetime", text=True) if "lifetime" in rec.columns else None
    params = {p: v for p in LIFETIME_PARAMS if p in rec.columns
              for v in [rec.value(i, p)] if v is not None}
    if kind is None:
        if params:
            raise rec.error(f"{next(iter(params))} is given but no lifetime: name its kind "
                            f"(fixed, normal, lognormal, weibull) in the lifetime column", i,
                            next(iter(params)))
        return None
    for name, v in params.items():
        if not _numeric(v) and not (isinstance(v, list) and all(map(_numeric, v))):
            raise rec.error(f"lifetime {name} {v!r} is not a number (or a list of numbers, "
                            f"one per cohort)", i, name)
    return {"kind": kind, **params}


def _initial(rec: Records, i: int, aged: dict):
    amount = rec.value(i, "initial") if "initial" in rec.columns else None
    if amount is not None and not (_numeric(amount) or isinstance(amount, dict)):
        raise rec.error(f"initial {amount!r} is not a number: give the amount in stock "
                        f"before the first period, or by age in initial.AGE columns", i,
                        "initial")
    by_age = {}
    for column, age in aged.items():
        cell = rec.cells[column][i]
        if _blank(cell):
            continue
        if amount is not None:
            raise rec.error("the initial stock is given both as an amount (initial) and by "
                            "age; give one or the other", i, column)
        by_age[age] = _number(rec.sheet, cell, rec.rows[i], rec.columns[column],
                              f"initial stock of age {age}")
    return by_age or amount


def read_starts(sheet: Sheet, periods, scenarios: dict, cells: dict) -> list[dict]:
    """The [[time.start]] records of the time_starts sheet: a scenario of the case in force
    from one of the periods; the cell of each (`start.K`) into `cells`."""
    rec = records(sheet, "start", known=START_COLUMNS, required=START_COLUMNS)
    out, seen = [], {}
    for i, r in enumerate(rec.rows):
        label = _label(sheet, rec.cells["period"][i], r, rec.columns["period"])
        if periods is not None:
            known = {str(p): p for p in periods}
            if str(label) not in known:
                raise rec.error(f"period {label!r} is not one of the periods (row 1 of the "
                                f"time sheet){suggestion(str(label), list(known))}", i, "period")
            label = known[str(label)]
        if str(label) in seen:
            raise rec.error(f"a second start in period {label!r} (also in row "
                            f"{seen[str(label)] + 1}); give one scenario a period", i, "period")
        seen[str(label)] = r
        name = rec.value(i, "scenario", text=True)
        if name is None:
            raise rec.error("a start needs the scenario in force from its period", i,
                            "scenario")
        if name not in scenarios:
            raise rec.error(f"scenario {name!r} is not on the scenarios sheet"
                            f"{suggestion(str(name), list(scenarios))} (scenarios: "
                            f"{', '.join(scenarios) or 'none'})", i, "scenario")
        cells[f"start.{len(out)}"] = rec.ref(i, "period")
        out.append({"period": label, "scenario": name})
    return out


# -- cells ---------------------------------------------------------------------------------

def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _numeric(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _label(sheet: Sheet, v, r: int, k: int):
    """A period label: text, or a number (whole ones as integers)."""
    if _blank(v):
        raise sheet.error("the period is empty: give the periods in order, with no gap",
                          row=r, col=k)
    if isinstance(v, (dt.date, dt.time, dt.timedelta)):
        raise sheet.error(f"{v.isoformat() if hasattr(v, 'isoformat') else v} is a date; "
                          f"the spreadsheet made the period one: format the cells as text "
                          f"and type the period again (2025-01)", row=r, col=k)
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise sheet.error(f"{v!r} is not a period: give text (2025-01) or a number (2025)",
                          row=r, col=k)
    return v.strip() if isinstance(v, str) else plain_number(v)


def _before(sheet: Sheet, a, b, r: int, k: int) -> bool:
    try:
        return a < b
    except TypeError:
        raise sheet.error(f"period {b!r} is {'text' if isinstance(b, str) else 'a number'} "
                          f"and {a!r} is not: give all periods as numbers or all as text",
                          row=r, col=k) from None


def _parameter(sheet: Sheet, v, r: int, k: int) -> str:
    if _blank(v):
        raise sheet.error("the parameter is empty: name it kind:id:attribute "
                          "(flow:coal bought:quantity, carrier:coal:price)", row=r, col=k)
    if not isinstance(v, str):
        raise sheet.error(f"the parameter {v!r} is not text: name it kind:id:attribute "
                          f"(flow:coal bought:quantity, carrier:coal:price)", row=r, col=k)
    return v.strip()


def _number(sheet: Sheet, v, r: int, k: int, what: str) -> float:
    """A value of a series: a finite number (one stored as text is read)."""
    if _blank(v):
        raise sheet.error(f"no value for {what}: the series is shorter than the periods; "
                          f"fill the cell", row=r, col=k)
    value = None
    if isinstance(v, str):
        try:
            value = float(without_thousands(v.strip()))
        except ValueError:
            pass
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        value = float(v)
    if value is None:
        shown = v.isoformat() if hasattr(v, "isoformat") else repr(v)
        raise sheet.error(f"{what}: {shown} is not a number", row=r, col=k)
    if not math.isfinite(value):
        raise sheet.error(f"{what}: {v!r} is not a finite number", row=r, col=k)
    return value


# -- writing ---------------------------------------------------------------------------------

class _Unfit(Exception):
    """A [time] section the sheets cannot hold as it is."""


def time_sheets(sections: dict, source: CaseFolder | None) -> tuple[dict, dict]:
    """The time sheets of the case's [time] section (sheet -> (columns, rows)) and the
    sections left for the settings sheet. The series file it names is read into the time
    sheet; a section the sheets cannot hold as it is (a key of its own, a series file that
    cannot be read, a value that is not a number) stays whole on the settings sheet."""
    section = sections.get(SECTION)
    if not isinstance(section, dict) or not section:
        return {}, sections
    try:
        sheets = _laid_out(section, source)
    except (_Unfit, CaseFileError):
        return {}, sections
    return sheets, {k: v for k, v in sections.items() if k != SECTION}


def _laid_out(section: dict, source: CaseFolder | None) -> dict:
    periods = section.get("periods")
    if set(section) - set(KEYS) or not isinstance(periods, list) or not periods \
            or len(periods) > MAX_PERIODS or not all(_numeric(p) or isinstance(p, str)
                                                     for p in periods):
        raise _Unfit
    series = dict(section.get("values", {}))
    if "series" in section:
        if source is None:
            raise _Unfit
        path = source.named("[time] series", None).resolve(section["series"])
        for key, values in read_series(path, periods).items():
            if key in series:
                raise _Unfit
            series[key] = values
    for values in series.values():
        if not isinstance(values, list) or len(values) != len(periods) \
                or not all(map(_numeric, values)):
            raise _Unfit
    sheets = {"time": (["parameter", *periods],
                       [[key, *map(float, values)] for key, values in series.items()])}
    if section.get("stock"):
        sheets["time_stocks"] = _stock_sheet(section["stock"])
    if section.get("start"):
        starts = section["start"]
        if not all(isinstance(s, dict) and set(s) <= set(START_COLUMNS) for s in starts):
            raise _Unfit
        sheets["time_starts"] = (list(START_COLUMNS),
                                 [[s.get("period"), s.get("scenario")] for s in starts])
    return sheets


def _stock_sheet(stocks) -> tuple:
    """node | outflow | lifetime | its parameters | inflow_at | initial or initial.AGE."""
    rows = []
    for s in stocks:
        if not isinstance(s, dict) or set(s) - set(STOCK_KEYS):
            raise _Unfit
        life = s.get("lifetime") or {}
        if not isinstance(life, dict) or set(life) - {"kind", *LIFETIME_PARAMS}:
            raise _Unfit
        row = {"node": s.get("node"), "outflow": s.get("outflow"), "lifetime": life.get("kind"),
               **{p: to_cell(v) for p, v in life.items() if p != "kind"},
               "inflow_at": s.get("inflow_at")}
        initial = s.get("initial")
        if isinstance(initial, dict) and all(str(a).isdigit() and int(a) >= 1 for a in initial):
            row.update({f"{AGED}{int(a)}": to_cell(v) for a, v in initial.items()})
        else:
            row["initial"] = to_cell(initial)
        rows.append(row)
    ages = sorted({c for r in rows for c in r if c.startswith(AGED)},
                  key=lambda c: int(c[len(AGED):]))
    columns = [c for c in (*STOCK_COLUMNS, *ages)
               if c in ("node", "outflow") or any(r.get(c) is not None for r in rows)]
    return columns, [[r.get(c) for c in columns] for r in rows]
