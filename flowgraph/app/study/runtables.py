"""The tables a chunk gives back: its runs (identity, parameter values, figures, status and
error), the kept flows (long: run, flow, one column per kept flows column) and mergeable
statistics per output (count, mean, M2, min, max), each with a fixed Arrow schema so that
every chunk file of a results folder reads as one table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ...solvers.propagate import COST_ATTRIBUTES

STATS_SCHEMA = pa.schema([("output", pa.string()), ("count", pa.int64()),
                          ("mean", pa.float64()), ("m2", pa.float64()),
                          ("min", pa.float64()), ("max", pa.float64())])


@dataclass
class ChunkTables:
    """What a chunk gives back: its runs, kept flows and statistics, as Arrow tables."""

    index: int
    runs: pa.Table
    flows: pa.Table
    stats: pa.Table
    failed: int
    seconds: float

    @property
    def n_runs(self) -> int:
        return self.runs.num_rows


def runs_schema(plan) -> pa.Schema:
    fields = [("run", pa.int64()), ("chunk", pa.int64()), ("kind", pa.string()),
              ("scenario", pa.string()), ("draw", pa.int64())]
    fields += [(name, pa.float64()) for name in plan.parameters]
    fields += [(name, pa.float64()) for name in plan.keep.figures]
    fields += [("status", pa.string()), ("error", pa.string())]
    return pa.schema(fields)


def flows_schema(plan) -> pa.Schema:
    return pa.schema([("run", pa.int64()), ("flow", pa.string())]
                     + [(c, pa.float64()) for c in plan.keep.columns])


def flow_output(flow, column: str) -> str:
    """The name of a kept flow column as an output of the summary: 'flow:ID:column'."""
    return f"flow:{flow}:{column}"


def outputs(figures, flows, columns) -> list:
    """Every output a summary covers: the kept figures, then each kept flow's columns."""
    return list(figures) + [flow_output(f, c) for f in flows for c in columns]


def flow_columns(result, idx: np.ndarray, columns) -> np.ndarray:
    """The kept flows' columns of one run (flows x columns), read from the result's arrays
    (not its flows frame); NaN for a flow the run's network does not have."""
    out = np.full((len(idx), len(columns)), np.nan)
    if not len(idx):
        return out
    ok = idx >= 0
    safe = np.where(ok, idx, 0)
    x = np.asarray(result.quantities, dtype=float)[safe]
    names = list(result.values.names)
    for k, col in enumerate(columns):
        if col == "quantity":
            v = x
        elif col == "cost":
            v = result.values.flow[safe][:, [names.index(a) for a in COST_ATTRIBUTES]].sum(1)
        elif col == "price":
            v = result.compiled.prices(safe)
        elif col == "value":
            v = x * np.nan_to_num(result.compiled.prices(safe), nan=0.0)
        else:
            v = result.values.flow[safe, names.index(col)]
        out[:, k] = np.where(ok, v, np.nan)
    return out


class ChunkRows:
    """Collects a chunk's runs as they are solved, then builds its tables."""

    def __init__(self, plan, n: int):
        self.plan = plan
        self.figures = np.full((n, len(plan.keep.figures)), np.nan)
        self.flows = np.full((n, len(plan.keep.flows), len(plan.keep.columns)), np.nan)
        self.errors: list = [None] * n
        self.good = np.zeros(n, dtype=bool)

    def ok(self, k: int, figures, flows) -> None:
        self.figures[k] = figures
        self.flows[k] = flows
        self.good[k] = True

    def fail(self, k: int, error: Exception) -> None:
        self.errors[k] = f"{type(error).__name__}: {error}"

    def tables(self, index, runs, scenarios, draws, swept, seconds):
        plan = self.plan
        n = len(runs)
        cols = {"run": runs, "chunk": np.full(n, index, dtype=np.int64),
                "kind": [plan.kind] * n, "scenario": scenarios,
                "draw": draws if draws is not None else pa.nulls(n, pa.int64())}
        for k, name in enumerate(plan.parameters):
            cols[name] = swept[:, k]
        for k, name in enumerate(plan.keep.figures):
            cols[name] = self.figures[:, k]
        cols["status"] = np.where(self.good, "ok", "failed").tolist()
        cols["error"] = self.errors
        runs_table = pa.table(cols, schema=runs_schema(plan))
        return ChunkTables(index, runs_table, self._flow_table(runs), self._stats(), int(
            (~self.good).sum()), seconds)

    def _flow_table(self, runs) -> pa.Table:
        plan = self.plan
        good = np.flatnonzero(self.good)
        nf = len(plan.keep.flows)
        ids = np.array([str(f) for f in plan.keep.flows], dtype=object)
        cols = {"run": np.repeat(runs[good], nf), "flow": np.tile(ids, len(good)).tolist()}
        for k, c in enumerate(plan.keep.columns):
            cols[c] = self.flows[good][:, :, k].reshape(-1)
        return pa.table(cols, schema=flows_schema(plan))

    def _stats(self) -> pa.Table:
        """count, mean, M2, min and max of each output over the chunk's finite values."""
        good = self.good
        parts = [self.figures[good]]
        if self.flows.shape[1]:
            parts.append(self.flows[good].reshape(int(good.sum()), -1))
        X = np.hstack(parts) if parts else np.zeros((0, 0))
        return pa.table(moments(X, outputs(self.plan.keep.figures, self.plan.keep.flows,
                                            self.plan.keep.columns)), schema=STATS_SCHEMA)


@np.errstate(invalid="ignore")
def moments(X: np.ndarray, names) -> dict:
    """Per column of X (runs x outputs), over its finite values: count, mean, M2 (sum of
    squared deviations from the mean), min, max; NaN where a column has none."""
    finite = np.isfinite(X)
    count = finite.sum(axis=0)
    Z = np.where(finite, X, 0.0)
    with np.errstate(divide="ignore"):
        mean = np.where(count > 0, Z.sum(axis=0) / np.maximum(count, 1), np.nan)
    dev = np.where(finite, X - mean, 0.0)
    m2 = np.where(count > 0, (dev * dev).sum(axis=0), np.nan)
    lo = np.where(count > 0, np.where(finite, X, np.inf).min(axis=0, initial=np.inf), np.nan)
    hi = np.where(count > 0, np.where(finite, X, -np.inf).max(axis=0, initial=-np.inf), np.nan)
    return {"output": list(names), "count": count.astype(np.int64), "mean": mean, "m2": m2,
            "min": lo, "max": hi}


def merge_moments(a: dict, b: dict) -> dict:
    """Two sets of moments of the same outputs merged (Chan, Golub and LeVeque): the
    moments of the union of the runs behind them."""
    na, nb = a["count"].astype(float), b["count"].astype(float)
    n = na + nb
    ma, mb = np.nan_to_num(a["mean"]), np.nan_to_num(b["mean"])
    delta = mb - ma
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, ma + delta * nb / np.maximum(n, 1), np.nan)
        m2 = np.where(n > 0, np.nan_to_num(a["m2"]) + np.nan_to_num(b["m2"])
                      + delta * delta * na * nb / np.maximum(n, 1), np.nan)
    return {"output": a["output"], "count": (na + nb).astype(np.int64), "mean": mean,
            "m2": m2, "min": np.fmin(a["min"], b["min"]), "max": np.fmax(a["max"], b["max"])}
