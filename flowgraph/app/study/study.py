"""A study of many runs of one case: `sweep` runs it into a results folder, `Study` reads
the folder (also one written earlier, or by another machine: `Study.open(out)`)."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ...model.network import Network
from ...model.scenario import Scenario
from ..case import Case, load_case
from . import options as O
from . import params as P
from .backends import InProcess, check_where, connect
from .bars import progress_bar
from .runtables import outputs
from .spec import BASE, build_plan
from .store import MANIFEST, Store, SweepError

PERCENTILES = (5, 50, 95)


def sweep(case, scenarios=None, grid=None, draws=None, seed=None, keep=None, *,
          inputs=None, workers=None, scheduler=None, out=None, resume=False, chunk=None,
          progress=None, report=False, target=None, timeout: float = 10.0) -> Study:
    """Run many variants of a case (or network) and stream them to Parquet under `out`.

    scenarios: 'all' (the base and every scenario) or names ('base' for the base);
    grid: {parameter: [options]} (parameters 'flow:ID:price', 'carrier:NAME:price',
    'node:ID:costs.system', ...; see params.py) or a TOML file of them in the case folder;
    draws: Monte Carlo draws of the case's uncertain inputs (or `inputs`) with `seed`. The
    runs are the product of the axes given. keep: what each run stores, {'figures': [...],
    'flows': [...], 'columns': [...]} (default: the case's figures). A case's [sweep]
    section gives defaults for all of these. workers (default: one per core, or this
    process for a sweep of a few seconds; 1: in this process, no Dask) or scheduler ('tcp://host:port' of a running Dask cluster); chunk:
    runs per chunk; resume: compute only the chunks `out` lacks; progress: a bar on
    stderr (default: when stderr is a terminal); report: also write out/report.html.
    Returns the Study. Bad input is refused by name before any run starts; a run that
    fails is recorded with its error (Study.failed) and the sweep goes on."""
    t0 = time.perf_counter()
    check_where(workers, scheduler)
    case = as_case(case)
    where = None
    if isinstance(grid, (str, Path)):
        grid, where = O.read_grid_file(case, grid)
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="flowgraph-sweep-"))
    if resume and (out / MANIFEST).is_file():
        old = Store.open(out).manifest
        seed = old["seed"] if seed is None else seed
        chunk = old["chunk"] if chunk is None else chunk
    opts = O.resolve(case, {"scenarios": scenarios, "grid": grid, "draws": draws, "seed": seed,
                            "chunk": chunk, "keep": keep, "target": target})
    plan = build_plan(case, opts, inputs, where)
    store = Store.existing(out, plan, resume)
    if store is not None:
        store.drop_missing()
    pending = [i for i in range(plan.n_chunks) if store is None or i not in store.done]
    work = plan.seconds_per_run * sum(_size(plan, i) for i in pending)
    backend = connect(workers, scheduler, len(pending), timeout, work) if pending \
        else InProcess()
    try:
        store = store or Store.create(out, plan, case)
    except BaseException:
        backend.close()
        raise
    _run(store, backend, _payload(case), plan, pending, progress)
    store.end(time.perf_counter() - t0)
    study = Study(out, case=case)
    if report:
        study.write_report(plan.target)
    return study


def _run(store, backend, case, plan, pending, progress) -> None:
    done_runs = plan.n_runs - sum(_size(plan, i) for i in pending)
    try:
        store.begin(backend.name, backend.workers)
        with progress_bar(plan.n_runs, f"sweep {plan.case_name}", "run", progress,
                          initial=done_runs) as bar:
            failed = store.manifest["failed"]
            for tables in backend.run(case, plan, pending):
                if store.write_chunk(tables):
                    failed += tables.failed
                    bar.update(tables.n_runs)
                    if failed:
                        bar.set_postfix_str(f"{failed} failed")
    finally:
        backend.close()


def _size(plan, i: int) -> int:
    lo, hi, _ = plan.chunk_bounds(i)
    return hi - lo


def as_case(obj) -> Case:
    """A Case as it is, or a bare Network as a case (no scenarios, no figures)."""
    if isinstance(obj, Case):
        return obj
    if isinstance(obj, Network):
        return Case(obj)
    if isinstance(obj, (str, Path)):
        return load_case(obj)
    raise TypeError(f"sweep() takes a Case, a Network or a case folder, not "
                    f"{type(obj).__name__}")


def _payload(case: Case) -> Case:
    """The case as workers receive it: no solved results, a fresh solver."""
    return dataclasses.replace(case)


class Study:
    """The results of a sweep, read from its folder: `figures` (one row per run),
    `flows(column)` (run x kept flow), `summary()`, `failed`, `manifest`."""

    def __init__(self, out, case: Case | None = None):
        self.store = Store.open(out)
        self.out = Path(out)
        self._case = case

    @classmethod
    def open(cls, out, case: Case | None = None) -> Study:
        """A results folder written by sweep (here or elsewhere)."""
        return cls(out, case)

    def __repr__(self) -> str:
        m = self.manifest
        return (f"<Study of '{m['case']['name']}': {self.n_runs} runs in {m['chunks']} "
                f"chunks, {len(self.store.done)} done, {self.n_failed} failed; {self.out}>")

    # -- what the folder says -------------------------------------------------------------
    @property
    def manifest(self) -> dict:
        return self.store.manifest

    @property
    def n_runs(self) -> int:
        return self.manifest["runs"]

    @property
    def n_failed(self) -> int:
        return self.manifest["failed"]

    @property
    def complete(self) -> bool:
        return len(self.store.done) == self.manifest["chunks"]

    @property
    def parameters(self) -> list:
        return list(self.manifest["parameters"])

    @property
    def seconds(self) -> float:
        return float(sum(s["seconds"] or 0.0 for s in self.manifest["sessions"]))

    # -- tables ---------------------------------------------------------------------------
    @property
    def figures(self) -> pd.DataFrame:
        """One row per run (index: run): kind, scenario, draw, the parameter values, each
        kept figure, status ('ok' or 'failed') and error."""
        if not self.store.done:
            return pd.DataFrame()
        frame = self.store.dataset("runs").to_table().to_pandas()
        return frame.sort_values("run").set_index("run")

    runs = figures

    def flows(self, column: str | None = None) -> pd.DataFrame:
        """Run x kept flow: one kept column of the flows (default: the first kept)."""
        kept = self.manifest["spec"]["keep"]
        column = column or kept["columns"][0]
        if column not in kept["columns"]:
            raise SweepError(f"column '{column}' was not kept (kept: "
                             f"{', '.join(kept['columns'])})")
        if not self.store.done or not kept["flows"]:
            return pd.DataFrame()
        long = self.store.dataset("flows").to_table(columns=["run", "flow", column]).to_pandas()
        wide = long.pivot(index="run", columns="flow", values=column)
        return wide.reindex(columns=kept["flows"])

    @property
    def failed(self) -> pd.DataFrame:
        """The runs that failed, with their parameter values and error."""
        if not self.store.done:
            return pd.DataFrame()
        table = self.store.dataset("runs").to_table(filter=pc.field("status") == "failed")
        cols = ["run", "kind", "scenario", "draw", *self.parameters, "error"]
        return table.select(cols).to_pandas().sort_values("run").set_index("run")

    def summary(self, percentiles=PERCENTILES) -> pd.DataFrame:
        """Per output (kept figures, then 'flow:ID:column' of kept flows): unit, count (of
        runs with a finite value), mean, std, min, the percentiles, max. Means and standard
        deviations merge the chunks' statistics; percentiles read one output at a time."""
        from .summary import summary_frame
        return summary_frame(self, percentiles)

    def outputs(self) -> list:
        """The outputs a summary covers: kept figures, then 'flow:ID:column'."""
        keep = self.manifest["spec"]["keep"]
        return outputs(keep["figures"], keep["flows"], keep["columns"])

    # -- runs as scenarios ------------------------------------------------------------------
    @property
    def case(self) -> Case:
        """The case swept (the one given, else loaded from the path the manifest names)."""
        if self._case is None:
            path = self.manifest["case"]["path"]
            if path is None:
                raise SweepError("the study's case was a network in memory: give it, "
                                 "Study.open(out, case=...)")
            self._case = load_case(path)
        return self._case

    def scenario(self, run: int) -> Scenario:
        """Run `run` as a Scenario of the case: its scenario's edits, then an edit per
        parameter value. `case.network.apply(study.scenario(k))` is the network of run k."""
        row = self.figures.loc[int(run)]
        case = self.case
        name = row["scenario"]
        edits = [] if name == BASE else list(case.scenario(name).edits)
        net = case.network_for(name)
        for pname in self.parameters:
            value = row[pname]
            if not np.isnan(value):
                edits.append(P.edit_for(P.parse(pname, case.network), value, net))
        return Scenario(f"run {int(run)}", edits)

    # -- the page ---------------------------------------------------------------------------
    def report(self, target: str | None = None):
        """The study as a Report: distributions, tornado chart, scenario table."""
        from .overview import study_report
        return study_report(self, target)

    def write_report(self, target: str | None = None) -> Path:
        from ...views.render import report_html
        path = self.out / "report.html"
        path.write_text(report_html(self.report(target)), encoding="utf-8")
        return path

