"""The results folder of a sweep, written as chunks finish and readable as it is:

    out/manifest.json            seed, case hash, package versions, run spec, chunks done
    out/runs/chunk-000000.parquet    one row per run: run, chunk, kind, scenario, draw,
                                     parameter values, figures, status, error
    out/flows/chunk-000000.parquet   kept flows, long: run, flow, one column per kept column
    out/stats/chunk-000000.parquet   per output: count, mean, M2, min, max (mergeable)

A chunk's files are written under a hidden temporary name and renamed into place, then the
manifest is rewritten (also by rename): a chunk is done when the manifest lists it, a chunk
file without that mark is rewritten on resume, and a reader never sees half a file
(pandas, pyarrow and DuckDB skip names that start with a dot).
"""

from __future__ import annotations

import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ...errors import FlowgraphError
from ...model.report import jsonable
from ...version import __version__

MANIFEST = "manifest.json"
FOLDERS = ("runs", "flows", "stats")
FORMAT = 1
PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "dask", "distributed")


class SweepError(FlowgraphError):
    """A sweep that cannot start or continue as asked (its folder, its cluster)."""


def chunk_name(i: int) -> str:
    return f"chunk-{i:06d}.parquet"


def versions() -> dict:
    out = {"flowgraph": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


class Store:
    """A results folder and its manifest."""

    def __init__(self, out, manifest: dict):
        self.out = Path(out)
        self.manifest = manifest

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, out) -> Store:
        path = Path(out) / MANIFEST
        if not path.is_file():
            raise SweepError(f"{out}: not a sweep results folder (no {MANIFEST})")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SweepError(f"{path}: cannot be read ({exc})") from None
        if manifest.get("format") != FORMAT:
            raise SweepError(f"{path}: results format {manifest.get('format')!r}, this "
                             f"flowgraph reads format {FORMAT}")
        return cls(out, manifest)

    @classmethod
    def existing(cls, out, plan, resume: bool) -> Store | None:
        """The folder's sweep if it is the one of `plan` and resume is asked (None for a
        new or empty folder); refused when it holds another sweep or another case (naming
        both case hashes), or chunk files without a manifest. Nothing is written."""
        out = Path(out)
        if (out / MANIFEST).exists():
            store = cls.open(out)
            store._check_same(plan, resume)
            return store
        stray = [f for f in FOLDERS if (out / f).is_dir() and any((out / f).glob("*.parquet"))]
        if stray:
            raise SweepError(f"{out} holds chunk files ({', '.join(stray)}/) but no "
                             f"{MANIFEST}: give an empty or new folder")
        return None

    @classmethod
    def create(cls, out, plan, case) -> Store:
        """A new results folder for `plan`."""
        out = Path(out)
        for f in FOLDERS:
            (out / f).mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT, "created": _now(),
            "case": {"name": case.name, "hash": plan.case_hash,
                     "path": str(Path(case.path).resolve()) if case.path is not None
                     else None},
            "seed": plan.seed, "runs": plan.n_runs, "chunks": plan.n_chunks,
            "chunk": plan.chunk, "spec": plan.describe(), "parameters": plan.parameters,
            "figure_units": {n: plan.figure_units.get(n, "") for n in plan.keep.figures},
            "notes": plan.notes, "versions": versions(), "chunks_done": [], "failed": 0,
            "sessions": [], "complete": False,
        }
        store = cls(out, manifest)
        store.save()
        return store

    def _check_same(self, plan, resume: bool) -> None:
        m = self.manifest
        done = len(m["chunks_done"])
        if not resume:
            raise SweepError(f"{self.out} already holds a sweep ({done} of {m['chunks']} "
                             f"chunks done): give resume=True (--resume) to complete it, or "
                             f"another folder")
        if m["case"]["hash"] != plan.case_hash:
            raise SweepError(f"cannot resume: {self.out} holds a sweep of another case "
                             f"('{m['case']['name']}', case hash {m['case']['hash']}); this "
                             f"case '{plan.case_name}' has case hash {plan.case_hash}")
        new = plan.describe()
        differ = [k for k in sorted(set(new) | set(m["spec"])) if new.get(k) != m["spec"].get(k)]
        if differ:
            had = ", ".join(f"{k} = {m['spec'].get(k)!r}" for k in differ)
            raise SweepError(f"cannot resume: the sweep in {self.out} differs in "
                             f"{', '.join(differ)} (it has {had})")

    def drop_missing(self) -> None:
        """Chunks marked done whose files are gone are computed again."""
        keep = [i for i in self.manifest["chunks_done"]
                if all((self.out / f / chunk_name(i)).is_file() for f in FOLDERS)]
        if len(keep) != len(self.manifest["chunks_done"]):
            self.manifest["chunks_done"] = keep
            self.save()

    # -- writing --------------------------------------------------------------------------
    def save(self) -> None:
        """Rewrite the manifest atomically (a temporary file renamed into place)."""
        self.manifest["updated"] = _now()
        tmp = self.out / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(jsonable(self.manifest), indent=1), encoding="utf-8")
        os.replace(tmp, self.out / MANIFEST)

    def begin(self, backend: str, workers: int | None) -> None:
        self.manifest["sessions"].append({"started": _now(), "backend": backend,
                                          "workers": workers, "computed": [],
                                          "runs": 0, "seconds": None})
        self.save()

    def write_chunk(self, t) -> bool:
        """Write a finished chunk's files, then mark it done; False (and nothing written)
        if it is done already (a chunk is counted once)."""
        if t.index in self.done:
            return False
        for folder, table in zip(FOLDERS, (t.runs, t.flows, t.stats)):
            final = self.out / folder / chunk_name(t.index)
            tmp = final.with_name(f".{final.name}.tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, final)
        self.manifest["chunks_done"].append(int(t.index))
        self.manifest["failed"] += int(t.failed)
        self.manifest["sessions"][-1]["computed"].append(int(t.index))
        self.manifest["sessions"][-1]["runs"] += int(t.n_runs)
        self.save()
        return True

    def end(self, seconds: float) -> None:
        self.manifest["sessions"][-1]["seconds"] = seconds
        self.manifest["complete"] = len(self.done) == self.manifest["chunks"]
        self.save()

    # -- reading --------------------------------------------------------------------------
    @property
    def done(self) -> set:
        return set(self.manifest["chunks_done"])

    def files(self, folder: str) -> list[str]:
        """The files of the done chunks in one of runs/, flows/, stats/, in chunk order."""
        return [str(self.out / folder / chunk_name(i)) for i in sorted(self.done)]

    def dataset(self, folder: str) -> ds.Dataset:
        return ds.dataset(self.files(folder), format="parquet")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
