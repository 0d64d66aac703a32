"""The [time] section of a case: its periods, input series, stocks and structure edits from
a given period, read into solve_periods (periods.py); and the `flowgraph periods` command.

    [time]
    periods = [2025, 2026, 2027]            # in order; numbers or text ("2025-01")
    series = "series.csv"                   # period + one column per parameter, or
                                            # period, parameter, value (long)
    [time.values]                           # or inline: parameter = [one value per period]
    "flow:ore:quantity" = [100, 120, 130]
    [[time.stock]]
    node = "yard"
    outflow = "yard->landfill:slag"
    lifetime = { kind = "weibull", shape = 2.0, scale = 3.0 }
    initial = { 1 = 40.0, 3 = 25.0 }        # by age in periods (an amount without lifetime)
    [[time.start]]
    period = 2027
    scenario = "new kiln"                   # a scenario of the case, in force from then on

A case workbook gives the same section on its time, time_stocks and time_starts sheets
(io/booktime.py); its reader records the cell of each parameter, stock and start, and the
errors found here name that cell.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd

from ..errors import CaseFileError, FlowgraphError
from ..io.export.iamc import write_iamc
from ..io.seriesfile import read_series
from ..model.schema import suggestion
from ..solvers.cohorts import Lifetime
from ..views.timeline import periods_html
from .exchange.solved import result_rows
from .periods import Periods, PeriodStock, solve_periods
from .study.params import parse

SECTION = "time"
KEYS = ("periods", "series", "values", "stock", "start")
STOCK_KEYS = ("node", "outflow", "lifetime", "initial", "inflow_at")


def case_periods(case) -> Periods:
    """Solve the case over the periods of its [time] section."""
    section = case.section(SECTION)
    if not section:
        raise CaseFileError(f"case '{case.name}' has no [time] section (periods, series, "
                            f"stocks; in a workbook the time sheet): docs/methods/time.md",
                            origin=case.origin())
    _known(section, KEYS, "[time]", case.origin(SECTION))
    if "periods" not in section:
        raise CaseFileError("[time] needs periods = [...] (in order)", origin=case.origin(SECTION))
    periods = section["periods"]
    if not isinstance(periods, list):
        raise CaseFileError("[time] periods must be a list, e.g. [2025, 2026]",
                            origin=case.origin(SECTION, "periods"))
    series = dict(section.get("values", {}))
    if "series" in section:
        path = case.folder(SECTION, "series").resolve(section["series"])
        for key, values in read_series(path, periods).items():
            if key in series:
                raise CaseFileError(f"{path}: parameter {key!r} is also given in [time.values]",
                                    origin=str(path))
            series[key] = values
    for key in series:                  # a workbook names the cell of each parameter
        if _cell(case, "values", key):
            parse(key, case.network, _cell(case, "values", key))
    stocks = [_stock(rec, case, i) for i, rec in enumerate(section.get("stock", []))]
    starts = {}
    for i, rec in enumerate(section.get("start", [])):
        where = _cell(case, "start", i) or case.origin(SECTION) + f" [[time.start]] {i + 1}"
        _known(rec, ("period", "scenario"), "[[time.start]]", where)
        starts[rec.get("period")] = case.scenario(rec.get("scenario"))
    try:
        return solve_periods(case.network, periods, series=series, stocks=stocks,
                             starts=starts, origin=case.origin(SECTION))
    except FlowgraphError as exc:
        if exc.origin:
            raise
        raise type(exc)(str(exc), nodes=exc.nodes, flows=exc.flows,
                        origin=case.origin(SECTION)) from None


def _stock(rec: dict, case, i: int) -> PeriodStock:
    where = _cell(case, "stock", i) or f"{case.origin(SECTION)} [[time.stock]] {i + 1}"
    _known(rec, STOCK_KEYS, "[[time.stock]]", where)
    for key in ("node", "outflow"):
        if key not in rec:
            raise CaseFileError(f"[[time.stock]] {i + 1} needs {key}", origin=where)
    life = rec.get("lifetime")
    if life is not None:
        if not isinstance(life, dict) or "kind" not in life:
            raise CaseFileError("[[time.stock]] lifetime must be a table with kind, e.g. "
                                "{ kind = \"fixed\", mean = 10 }", origin=where)
        params = {k: v for k, v in life.items() if k != "kind"}
        life = Lifetime(life["kind"], origin=_cell(case, "stock", i, "lifetime") or where,
                        **params)
    initial = rec.get("initial")
    if isinstance(initial, dict):
        initial = {_age(k, where): v for k, v in initial.items()}
    return PeriodStock(rec["node"], rec["outflow"], life, initial,
                       rec.get("inflow_at", "middle"), origin=where)


def _cell(case, *path) -> str | None:
    """The workbook cell that gives this part of [time] (`time.stock.0.lifetime`), as the
    workbook's reader records it; None for a case.toml."""
    return case.section_origins.get(".".join(map(str, (SECTION, *path))))


def _age(key, where):
    try:
        return int(key)
    except ValueError:
        raise CaseFileError(f"[[time.stock]] initial: age {key!r} is not a whole number",
                            origin=where) from None


def _known(table: dict, keys, label: str, origin) -> None:
    for key in table:
        if key not in keys:
            raise CaseFileError(f"{label}: unknown key '{key}'{suggestion(key, keys)} (known: "
                                f"{', '.join(keys)})", origin=origin)


def period_figures(case, run: Periods) -> pd.DataFrame:
    """The case's headline figures of the base (those tied to no scenario), in each period:
    period, name, value, unit."""
    base = copy.copy(case)
    base.figures = [f for f in case.figures if f.scenario in (None, "base")]
    rows = [{"period": period, "name": fig["name"], "value": fig["value"], "unit": fig["unit"]}
            for period, result in zip(run.periods, run.results)
            for fig in base.figure_values(results={"base": result})]
    return pd.DataFrame(rows, columns=["period", "name", "value", "unit"])


def periods_iamc(case, run: Periods, figures: pd.DataFrame | None = None) -> pd.DataFrame:
    """The IAMC wide table over the periods: model, scenario, region, variable, unit, then
    one column per year; periods given as text ('2025-01') keep the year in the column and
    the rest in a `subannual` column (the IAMC convention for months, read by pyam)."""
    rows = []
    for period, result in zip(run.periods, run.results):
        year, sub = _year(period)
        rows.extend((year, sub, *row) for row in result_rows(result))
    if figures is not None:
        for rec in figures.itertuples():
            if rec.value is not None:
                year, sub = _year(rec.period)
                rows.append((year, sub, f"Figure|{rec.name}", rec.unit or "", rec.value))
    long = pd.DataFrame(rows, columns=["year", "subannual", "variable", "unit", "value"])
    long = long.dropna(subset=["value"]).assign(model="flowgraph", scenario="base",
                                                region=case.name)
    index = ["model", "scenario", "region", "variable", "unit"]
    if long["subannual"].notna().any():
        index.append("subannual")
    table = long.pivot_table(index=index, columns="year", values="value", aggfunc="sum",
                             sort=False)
    table.columns = [int(c) for c in table.columns]
    return table.reset_index()


def _year(period) -> tuple[int, str | None]:
    """(year, the rest) of a period label: 2025 -> (2025, None), '2025-01' -> (2025, '01')."""
    text = str(period)
    if len(text) >= 4 and text[:4].isdigit() and (len(text) == 4 or not text[4].isdigit()):
        rest = text[4:].lstrip("-_ /")
        return int(text[:4]), rest or None
    raise CaseFileError(f"period {period!r}: the IAMC format needs periods that begin with "
                        f"their year (2025, '2025-01')")


def write_periods(run: Periods, out: Path, case=None) -> list[str]:
    """flows_by_period.csv, nodes_by_period.csv, stocks.csv, stock_totals.csv, and with the
    case figures_by_period.csv and iamc.csv; summary.json."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    if case is not None:
        figures = period_figures(case, run)
        iamc = periods_iamc(case, run, figures)
        figures.to_csv(out / "figures_by_period.csv", index=False)
        write_iamc(iamc, out / "iamc.csv")
        page = periods_html(run, f"{case.name}: {len(run.periods)} periods", figures)
        (out / "periods.html").write_text(page, encoding="utf-8")
        files = ["figures_by_period.csv", "iamc.csv", "periods.html"]
    run.flows.to_csv(out / "flows_by_period.csv", index=False)
    run.nodes.to_csv(out / "nodes_by_period.csv", index=False)
    run.stock_table.to_csv(out / "stocks.csv", index=False)
    totals = [m.totals().reset_index().assign(node=node, unit=m.meta.get("unit"))
              for node, m in run.stocks.items()]
    frame = pd.concat(totals, ignore_index=True) if totals else pd.DataFrame()
    frame.to_csv(out / "stock_totals.csv", index=False)
    check = run.check()
    summary = {"periods": [str(p) for p in run.periods], "passes": run.passes,
               "stocks": {r["node"]: {k: float(r[k]) for k in ("inflow", "outflow", "stock_change")}
                          for r in check.to_dict("records")}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return ["flows_by_period.csv", "nodes_by_period.csv", "stocks.csv", "stock_totals.csv",
            *files, "summary.json"]


def add_periods_command(subparsers, common) -> None:
    p = subparsers.add_parser("periods", parents=[common],
                              help="solve the case over the periods of its [time] section: "
                                   "series, stocks by cohort, structure edits from a period")
    p.add_argument("case", help="case folder (or its case.toml)")
    p.add_argument("--out", help="results folder (default out/<case folder>/periods)")
    p.set_defaults(func=cmd_periods)


def cmd_periods(args) -> int:
    from .case import load_case
    case = load_case(args.case, allow=getattr(args, "allow", None) or ())
    run = case_periods(case)
    out = Path(args.out) if args.out else Path("out") / Path(args.case).name / "periods"
    files = write_periods(run, out, case)
    print(f"periods '{case.name}': {len(run.periods)} periods, {len(run.stocks)} stock(s), "
          f"{run.passes} passes; wrote {', '.join(files)} to {out}/")
    return 0
