"""`flowgraph sweep CASE --out DIR [--scenarios all|NAME,...] [--grid FILE] [--draws N
--seed S] [--workers K | --scheduler tcp://HOST:PORT] [--chunk N] [--resume] [--report]
[--quiet]`: the sweep of study.py from the command line; prints one line (runs, failed,
seconds, runs per second, where written). cli.py adds it with add_sweep_command."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..case import load_case
from .study import sweep

EXAMPLE = """examples:
  flowgraph sweep cases/demo --out out/demo-sweep --scenarios all --workers 1
  flowgraph sweep cases/uncertainty_demo --out out/mc --draws 1000 --seed 7 --report
  flowgraph sweep cases/demo --out out/grid --grid grid.toml --scheduler tcp://10.0.0.5:8786

--grid FILE is a TOML file in the case folder (or an --allow folder) of parameter = [options]:
  "flow:ore:price" = [250, 300, 350]
  "carrier:electricity:price" = [0.6, 0.7]
A [sweep] section of the case gives the same settings (docs/methods/sweeps.md)."""


def add_sweep_command(subparsers, common) -> argparse.ArgumentParser:
    """The `sweep` command on the CLI's subparsers; `common` is the parent parser of the
    options every case command takes (--allow, --debug)."""
    p = subparsers.add_parser(
        "sweep", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run many scenarios, a grid of parameter values or Monte Carlo draws of a case "
             "(in parallel, or on a Dask cluster); results to Parquet",
        epilog=EXAMPLE)
    p.add_argument("case", help="case folder (or its case.toml)")
    p.add_argument("--out", help="results folder (default out/<case folder>/sweep)")
    p.add_argument("--scenarios", metavar="all|NAME,...",
                   help="the base and every scenario ('all'), or scenario names ('base' for "
                        "the base)")
    p.add_argument("--grid", metavar="FILE", help="TOML file of parameter = [options]")
    p.add_argument("--draws", type=int, metavar="N",
                   help="Monte Carlo draws of the case's [uncertainty] inputs")
    p.add_argument("--seed", type=int, metavar="S", help="random seed of the draws")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="K",
                       help="worker processes on this machine (default: one per core; 1: "
                            "in this process)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="a running Dask scheduler (dask scheduler / dask worker)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="how long the scheduler has to answer (default 10)")
    p.add_argument("--chunk", type=int, metavar="N", help="runs per chunk")
    p.add_argument("--target", metavar="FIGURE", help="figure of the report's tornado chart")
    p.add_argument("--resume", action="store_true",
                   help="complete the sweep in --out: compute only the chunks it lacks")
    p.add_argument("--report", action="store_true", help="also write report.html")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    return p


def cmd_sweep(args) -> int:
    case = load_case(args.case, allow=args.allow or ())
    out = Path(args.out) if args.out else Path("out", _folder(args.case), "sweep")
    t0 = time.perf_counter()
    study = sweep(case, scenarios=args.scenarios, grid=args.grid, draws=args.draws,
                  seed=args.seed, workers=args.workers, scheduler=args.scheduler, out=out,
                  resume=args.resume, chunk=args.chunk, progress=False if args.quiet else None,
                  report=args.report, target=args.target, timeout=args.timeout)
    seconds = time.perf_counter() - t0
    session = study.manifest["sessions"][-1]
    computed = len(session["computed"])
    runs = study.n_runs
    rate = session["runs"] / seconds if seconds > 0 else 0.0
    resumed = (f" ({computed} of {study.manifest['chunks']} chunks computed now)"
               if computed < study.manifest["chunks"] else "")
    written = ["manifest.json", "runs/", "flows/", "stats/"] + (["report.html"]
                                                                if args.report else [])
    print(f"sweep '{case.name}': {runs} runs, {study.n_failed} failed, {seconds:.2f} s, "
          f"{rate:.1f} runs/s{resumed}; wrote {', '.join(written)} to {out}/")
    return 0


def _folder(case) -> str:
    p = Path(case).resolve()
    return p.name if p.is_dir() else p.parent.name

