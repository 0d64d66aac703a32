"""The `template` and `export` commands of the flowgraph command line.

    flowgraph template --out plant.xlsx [--from CASE]
    flowgraph export CASE --format xlsx|iamc|floweaver|brightway|nodelink|graphml --out PATH
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ...io.bookwrite import write_workbook
from ..case import load_case
from . import FORMATS, export


def add_exchange_commands(sub, common) -> None:
    """Add `template` and `export` to the command line's subparsers (`common`: the options
    every case command takes)."""
    t = sub.add_parser(
        "template", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write an Excel template of a case (a README sheet, each header's meaning, unit "
             "and default, drop-down lists); --from fills it with a case",
        epilog="examples:\n  flowgraph template --out plant.xlsx\n"
               "  flowgraph template --out demo.xlsx --from cases/demo")
    t.add_argument("--out", required=True, help="the workbook to write (.xlsx)")
    t.add_argument("--from", dest="source", metavar="CASE",
                   help="fill the template with this case (folder, case.toml or workbook)")
    t.set_defaults(func=cmd_template)

    e = sub.add_parser(
        "export", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write a case in another tool's format: " + ", ".join(FORMATS),
        epilog="examples:\n  flowgraph export cases/demo --format xlsx --out demo.xlsx\n"
               "  flowgraph export cases/demo --format iamc --year 2023 --out demo.csv\n"
               "  flowgraph export cases/demo --format floweaver --out out/demo-floweaver")
    e.add_argument("case", help="case folder, case.toml or workbook")
    e.add_argument("--format", required=True, choices=FORMATS, help="the format to write")
    e.add_argument("--out", required=True,
                   help="the file to write (a folder for floweaver)")
    e.add_argument("--scenario", help="export this scenario (IAMC: only this one; default "
                                      "the base, for IAMC the base and every scenario)")
    e.add_argument("--year", type=int, help="IAMC: the year the data describe (default "
                                            "[case] year)")
    e.add_argument("--measure", default="mass",
                   help="floweaver: what the values are (mass, energy, cost, tce, co2, ...)")
    e.add_argument("--database", help="brightway: the database name (default the case's)")
    e.set_defaults(func=cmd_export)


def cmd_template(args) -> int:
    out = Path(args.out)
    case = load_case(args.source, allow=args.allow or ()) if args.source else None
    if case is None:
        write_workbook(None, out, template=True)
    else:
        from ...io.paths import CaseFolder
        write_workbook(case.network, out, scenarios=list(case.scenarios.values()),
                       figures=[f.to_record() for f in case.figures], sections=case.sections,
                       source=CaseFolder.of(case.path, case.allow), template=True)
    print(f"wrote {out}" + (f" (filled with {case.name})" if case else "") +
          f"; check it with: flowgraph check {out}")
    return 0


def cmd_export(args) -> int:
    case = load_case(args.case, allow=args.allow or ())
    written = export(case, args.format, args.out, args.scenario, year=args.year,
                     measure=args.measure, database=args.database)
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
