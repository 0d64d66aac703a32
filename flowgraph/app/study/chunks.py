"""One chunk of a sweep, evaluated where it runs (in the calling process or on a Dask
worker): its runs' parameter values, one engine per network structure (compiled once per
process and kept), each run's headline figures and kept flow columns, and the chunk's
mergeable statistics. What comes back is three small Arrow tables; nothing is written here.
"""

from __future__ import annotations

import time

import numpy as np

from ...errors import FlowgraphError
from ...solvers.compiled import compile_network
from ...solvers.inputs import bind
from ...solvers.runs import RunEngine
from .figureset import FigureSet
from .runtables import ChunkRows, ChunkTables, flow_columns
from .spec import BASE, RunPlan

#: prepared cases of this process, by plan key (a worker keeps the last few)
_PREPARED: dict = {}
_KEEP_PREPARED = 2
#: flow values of the runs solved together (bounds a worker's memory on large networks)
BLOCK_VALUES = 1_000_000
_BLAS: list = []


def run_chunk(case, plan: RunPlan, index: int) -> ChunkTables:
    """The Dask task: chunk `index` of the plan, on this process's prepared case (compiled
    once per process: the cache is keyed by the plan's key, which holds the case hash).
    BLAS runs one thread per worker process."""
    if not _BLAS:
        from threadpoolctl import threadpool_limits
        _BLAS.append(threadpool_limits(limits=1))
    key = plan.key
    if key not in _PREPARED:
        while len(_PREPARED) >= _KEEP_PREPARED:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[key] = Prepared(case, plan)
    return _PREPARED[key].chunk(index)


class Group:
    """The runs of one network structure: its engine (solvers.runs.RunEngine: compiled and
    solved once), the nominal values of its parameters, where each swept parameter goes,
    and the kept flows' positions."""

    def __init__(self, net, plan: RunPlan, key: str):
        self.params = plan.groups[key]
        self.engine = RunEngine(net, self.params)
        self.nominal = np.asarray(self.engine.nominal_values, dtype=float)
        self.flow_idx = self.engine.c.flow_ids.get_indexer(plan.keep.flows) \
            if plan.keep.flows else np.zeros(0, dtype=np.int64)
        #: runs solved together: their results (flows x attributes each) are held at once;
        #: a function of the network alone, so a chunk is always solved the same way
        self.block = max(1, BLOCK_VALUES // max(self.engine.c.n_flows, 1))
        pos = {(p.kind, p.id, p.attribute): k for k, p in enumerate(self.params)}
        swept = [p for p, _ in plan.grid] + list(plan.draw_inputs)
        self.swept_cols = np.array([pos[(p.kind, p.id, p.attribute)] for p in swept],
                                   dtype=np.int64)
        self.scenario_cols = {name: ([pos[k] for k in vals], list(vals.values()))
                              for name, vals in plan.scenario_values.items()
                              if plan.scenario_group.get(name) == key}   # this group's

    def values(self, scenarios: list, swept: np.ndarray) -> np.ndarray:
        """V (runs x parameters): nominal values, then each run's scenario's, then the swept
        parameters' (grid point, draw)."""
        V = np.tile(self.nominal, (len(swept), 1))
        for r, name in enumerate(scenarios):
            cols, vals = self.scenario_cols.get(name, ((), ()))
            V[r, list(cols)] = vals
        V[:, self.swept_cols] = swept
        return V


class Prepared:
    """A case prepared in one process for one plan: groups built on first use."""

    def __init__(self, case, plan: RunPlan):
        self.case, self.plan = case, plan
        self.figures = FigureSet(case, plan.keep.figures)
        self._groups: dict = {}
        self._bound = None

    def group(self, key: str):
        """The group, or the FlowgraphError that building it raised (every run of the
        group then fails with it)."""
        if key not in self._groups:
            try:
                net = self.case.network if key == BASE else self.case.network_for(key)
                self._groups[key] = Group(net, self.plan, key)
            except FlowgraphError as exc:
                what = f"scenario '{key}'" if key != BASE else "the base"
                self._groups[key] = type(exc)(f"{what}: {exc}", nodes=exc.nodes,
                                              flows=exc.flows, origin=exc.origin)
        return self._groups[key]

    def base(self):
        """The case's network compiled: its base group's (compiled once), or on its own."""
        group = self.group(BASE) if BASE in self.plan.groups else None
        return group.engine.c if isinstance(group, Group) else \
            compile_network(self.case.network)

    def draws(self, j: int, n: int) -> np.ndarray:
        """n draws of the inputs (n x inputs) from the generator of block position j,
        clipped to each input's domain as Monte Carlo does."""
        if self._bound is None:
            self._bound = bind(self.plan.draw_inputs, self.base())
        rng = np.random.default_rng(self.plan.seed_of(j))
        out = np.empty((n, len(self._bound)))
        for k, b in enumerate(self._bound):
            out[:, k] = b.clip(b.dist.sample(rng, n))[0]
        return out

    def chunk(self, index: int) -> ChunkTables:
        t0 = time.perf_counter()
        plan = self.plan
        lo, hi, j = plan.chunk_bounds(index)
        runs = np.arange(lo, hi, dtype=np.int64)
        s, g, d = plan.decompose(runs)
        swept = plan.grid_values(g)
        if plan.draws:
            swept = np.hstack([swept, self.draws(j, len(runs))])
        names = [plan.scenario_of(k) for k in s]
        keys = [plan.scenario_group.get(n, BASE) for n in names]
        rows = ChunkRows(plan, len(runs))
        start = 0
        while start < len(runs):
            end = start
            while end < len(runs) and keys[end] == keys[start]:
                end += 1
            self._segment(rows, keys[start], runs[start:end], names[start:end],
                          swept[start:end], start)
            start = end
        return rows.tables(index, runs, names, d if plan.draws else None, swept,
                           time.perf_counter() - t0)

    def _segment(self, rows, key, runs, names, swept, offset) -> None:
        """Consecutive runs of one group, given to its engine in blocks of at most
        group.block runs (their results are held at once)."""
        group = self.group(key)
        if isinstance(group, FlowgraphError):
            for k in range(len(runs)):
                rows.fail(offset + k, group)
            return
        V = group.values(names, swept)
        for lo in range(0, len(runs), group.block):
            hi = min(lo + group.block, len(runs))
            results = group.engine.results(V[lo:hi], first=int(runs[lo]))
            for k, res in enumerate(results, lo):
                self._record(rows, offset + k, int(runs[k]), res, group)

    def _record(self, rows, row: int, run: int, res, group) -> None:
        if isinstance(res, FlowgraphError):
            rows.fail(row, res)
            return
        try:
            figures = self.figures.values(res)
        except FlowgraphError as exc:
            rows.fail(row, type(exc)(f"run {run}: {exc}", nodes=exc.nodes, flows=exc.flows,
                                     origin=exc.origin))
            return
        rows.ok(row, figures, flow_columns(res, group.flow_idx, self.plan.keep.columns))
