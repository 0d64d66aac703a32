"""The flowgraph command: run a case, check its balances, and run plugins by name."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from .app.case import load_case
from .app.compare import add_compare_command
from .app.exchange.command import add_exchange_commands
from .app.exchange.runbook import results_sheets
from .app.periods_case import add_periods_command
from .app.registry import available, broken, get
from .app.runner import run_case, totals
from .app.study.command import add_sweep_command
from .errors import FlowgraphError, InconsistentError, UnderdeterminedError
from .io.export.resultbook import write_results
from .numbers import fmt, shown_table
from .version import __version__
from .views.render import write_report

EPILOG = """examples:
  flowgraph run cases/demo --out out/demo        solve, print figures, write tables
  flowgraph run cases/demo --scenario "more recycling"
  flowgraph check cases/demo                     balance residuals, under/over-determined
  flowgraph view cases/demo                      open the interactive graph in a browser
  flowgraph template --out plant.xlsx --from cases/demo   an Excel workbook of a case (to fill
                                                 in: leave out --from for an empty template)
  flowgraph run plant.xlsx --xlsx results.xlsx   a case workbook; a results workbook too
  flowgraph export cases/demo --format iamc --year 2023 --out demo.csv
  flowgraph compare cases/demo --scenario "more recycling" --out out/compare   a scenario against
                                                 the base: figures side by side, difference views
  flowgraph sweep cases/demo --out out/sweep --scenarios all   many runs: scenarios, grids,
                                                 Monte Carlo draws, on Dask workers, to Parquet
  flowgraph periods cases/monthly_plant --out out/monthly   a case over months or years: series,
                                                 stocks carried forward and by cohort
  flowgraph <plugin> cases/CASE --out DIR        a plugin (commands above; COMMAND --help)
"""


def main(argv=None) -> int:
    """Run a command; every failure is one line on stderr and exit status 2, never a
    traceback (unless --debug); a closed pipe (`flowgraph check CASE | head`) ends quietly."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        status = args.func(args)
        sys.stdout.flush()
        return status
    except FlowgraphError as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        # the reader went away: send what is left to /dev/null so exit does not complain
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # a bug of ours, not the user's: one line, the traceback on ask
        if args.debug:
            raise
        return _fail(f"unexpected {type(exc).__name__}: {exc}. This is a bug in flowgraph: "
                     f"please report it with the command and the case (--debug shows where)")


def _fail(message: str, status: int = 2) -> int:
    """One line on stderr: the message with its lines joined."""
    print("error: " + " ".join(part.strip() for part in message.splitlines() if part.strip()),
          file=sys.stderr)
    return status


def _common() -> argparse.ArgumentParser:
    """Options every case command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--allow", action="append", metavar="DIR", default=None,
                        help="a folder outside the case folder that files named in the case "
                             "may come from (repeatable)")
    common.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected error")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowgraph", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Material and energy flow networks of plants and industrial parks: close "
                    "the balances, propagate cost, standard coal and CO2, run analyses.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"flowgraph {__version__}")
    parser.set_defaults(debug=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common()

    run = sub.add_parser(
        "run", parents=[common], help="solve a case; print its headline figures; write flows.csv, nodes.csv, "
                    "residuals.csv, mfca.csv and summary.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  flowgraph run cases/demo --out out/demo")
    run.add_argument("case", help="case folder (or its case.toml), case workbook (.xlsx) or "
                                  "flat flows table (.csv)")
    run.add_argument("--out", help="output folder (default out/<case folder>)")
    run.add_argument("--xlsx", metavar="PATH",
                     help="also write the results workbook (figures, totals, flows, nodes, "
                          "MFCA matrix, residuals, scenarios compared; units in the headers)")
    run.add_argument("--scenario", help="solve this scenario of the case instead of the base")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser(
        "check", parents=[common], help="print the balance residual per node and layer and what is under- or "
                      "over-determined; exit 1 if the case cannot be solved",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  flowgraph check cases/demo")
    check.add_argument("case", help="case folder (or its case.toml)")
    check.add_argument("--scenario", help="check this scenario of the case")
    check.set_defaults(func=cmd_check)

    view = sub.add_parser(
        "view", parents=[common], help="open the interactive graph of a case in the web browser (graph.html, "
                     "plus sankey.html); with --out, write the files only",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  flowgraph view cases/demo\n"
               "  flowgraph view cases/demo --out out/demo-view --measure cost")
    view.add_argument("case", help="case folder (or its case.toml)")
    view.add_argument("--out", help="write the files to this folder and open nothing")
    view.add_argument("--scenario", help="view this scenario of the case instead of the base")
    view.add_argument("--layout", default="auto",
                      choices=("auto", "layered", "geographic", "force"),
                      help="node placement (default: geographic for parks with coordinates, "
                           "force for parks, layered left to right otherwise)")
    view.add_argument("--colour-by", default="auto", choices=("auto", "kind", "firm"),
                      help="node colour (default: firm when the case has firms)")
    view.add_argument("--measure", default="auto",
                      help="what edge width and the Sankey show: auto, mass, energy, cost, "
                           "tce, co2, ... (default auto: each flow's balance layer; the Sankey "
                           "then shows mass)")
    view.add_argument("--edge-labels", default="auto",
                      choices=("auto", "none", "value", "carrier", "both"),
                      help="what the graph's flows say at first (default: values up to 40 "
                           "flows; the page has a menu to switch)")
    view.set_defaults(func=cmd_view)

    add_exchange_commands(sub, common)
    add_compare_command(sub, common)
    add_sweep_command(sub, common)
    add_periods_command(sub, common)
    _plugin_commands(sub, common)
    return parser


def _plugin_commands(sub, common) -> None:
    """One command per installed plugin, its options from the plugin's schema."""
    plugins = available()
    for problem in broken().values():
        print(f"warning: {problem}", file=sys.stderr)
    for name, plugin in sorted(plugins.items()):
        p = sub.add_parser(name, parents=[common], help=plugin.summary or f"the {name} plugin",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog=plugin.example or f"example:\n  flowgraph {name} "
                                                    f"cases/CASE --out out/{name}")
        p.add_argument("case", help="case folder (or its case.toml)")
        p.add_argument("--out", help=f"output folder (default out/<case folder>/{name})")
        if plugin.scenarios:
            p.add_argument("--scenario", help="run on this scenario of the case")
        plugin.add_arguments(p)
        p.set_defaults(func=cmd_plugin, plugin=name)


def _load(args):
    return load_case(args.case, allow=args.allow or ())


def _out_dir(args, *parts) -> Path:
    """The output folder: --out, else out/<case name> (a workbook's stem, a folder's name)."""
    if args.out:
        return Path(args.out)
    case = Path(args.case).resolve()
    name = case.name if case.is_dir() else case.parent.name if case.name == "case.toml" \
        else case.stem
    return Path("out", name, *parts)


def cmd_run(args) -> int:
    case = _load(args)
    t0 = time.perf_counter()
    try:
        result = case.result(args.scenario)
    except (UnderdeterminedError, InconsistentError) as exc:
        if _measured(case.network):      # same error, same details; the message says what to run
            exc.args = (f"{exc} (this case holds measured values with sigma: `flowgraph "
                        f"reconcile {args.case}` adjusts them until the balances close)",)
        raise
    elapsed = time.perf_counter() - t0
    report = run_case(case, args.scenario)
    book = results_sheets(case, args.scenario) if args.xlsx else None   # solved before writing
    c = result.compiled
    print(f"case: {case.name}  [{result.scenario}]   {c.n_nodes} nodes, {c.n_flows} flows, "
          f"solved in {elapsed:.3f} s")
    s = result.structure()
    print(f"  specifications: {s['known']} known, {s['shares']} shares, {s['recipes']} recipes, "
          f"{s['unknown']} unknown; {s['balance_equations']} balance equations, "
          f"{s['surplus_equations']} surplus (consistent)")
    _warn_undetermined(result)
    print(_table(pd.DataFrame(totals(result), columns=["total", "value", "unit"])))
    figures = report.figures.get("figures", [])
    if figures:
        rows = [[f["name"], fmt(f["value"]), f["unit"], fmt(f["published"]),
                 "" if f["deviation"] is None else f"{100 * f['deviation']:+.2f} %",
                 f["scenario"]] for f in figures]
        print()
        print(_table(pd.DataFrame(rows, columns=["figure", "ours", "unit", "published",
                                                 "deviation", "scenario"])))
    out = _out_dir(args)
    written = write_report(report, out)
    print(f"\nwrote {', '.join(p.name for p in written)} to {out}/")
    if book is not None:
        print(f"wrote {write_results(book, args.xlsx)}")
    return 0


def _warn_undetermined(result) -> None:
    """A case solved with strict = false says which flows its data leave undetermined."""
    unknown = result.flows.index[result.flows["quantity"].isna()]
    if len(unknown):
        shown = ", ".join(map(str, unknown[:8])) + (f" and {len(unknown) - 8} more"
                                                    if len(unknown) > 8 else "")
        print(f"  note: {len(unknown)} flow(s) are undetermined (the case says strict = false): "
              f"{shown}; they are blank in flows.csv and count as zero in totals")


def _measured(net) -> bool:
    """Whether any flow carries a measurement uncertainty (sigma or share_sigma)."""
    flows = net.flow_frame()
    return any(col in flows and flows[col].notna().any() for col in ("sigma", "share_sigma"))


def cmd_view(args) -> int:
    import tempfile
    import webbrowser

    from .views.graph import graph_view
    from .views.sankey import sankey_html
    result = _load(args).result(args.scenario)
    graph = graph_view(result, colour_by=args.colour_by, layout=args.layout,
                       measure_by=args.measure, edge_labels=args.edge_labels)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="flowgraph-view-"))
    out.mkdir(parents=True, exist_ok=True)
    page = out / "graph.html"
    page.write_text(graph.html(), encoding="utf-8")
    sankey = out / "sankey.html"
    sankey.write_text(sankey_html(result, "mass" if args.measure == "auto" else args.measure),
                      encoding="utf-8")
    print(f"{graph.describe()}\nwrote {page.name}, {sankey.name} to {out}/")
    if not args.out:
        webbrowser.open(page.resolve().as_uri())
    return 0


def cmd_check(args) -> int:
    case = _load(args)
    report = case.solver.check(case.network_for(args.scenario))
    print(f"case: {case.name}  [{args.scenario or 'base'}]")
    print(report)
    return 0 if report.ok else 1


def cmd_plugin(args) -> int:
    plugin = get(args.plugin)
    case = _load(args)
    given = {k: v for k, v in vars(args).items()
             if k not in ("case", "out", "func", "plugin", "command", "scenario", "allow", "debug")}
    report = plugin.report(case, getattr(args, "scenario", None), **given)
    out = _out_dir(args, args.plugin)
    if report.summary:
        print(report.summary)
    written = write_report(report, out)
    print(f"wrote {', '.join(p.name for p in written)} to {out}/")
    return 0


def _table(frame: pd.DataFrame) -> str:
    return shown_table(frame).to_string(index=False)


if __name__ == "__main__":
    sys.exit(main())
