"""The run spec of a sweep: which runs there are, how they are cut into chunks, which
parameters each sets, and the hash of the case they belong to.

Runs are the product of three axes, each of one element when not given: scenarios (outer),
grid points (the product of each parameter's options, the last parameter fastest) and
Monte Carlo draws (inner). Run r is (s, g, d) with r = (s * n_grid + g) * n_draws + d.

Chunks: without draws, runs 0..n-1 are cut into consecutive chunks of `chunk` runs. With
draws, each (scenario, grid point) block of n_draws runs is cut into ceil(n_draws / chunk)
chunks, and the draws of the j-th chunk of a block come from the generator seeded by
SeedSequence(seed).spawn(chunks per block)[j]: every block (every scenario and grid point)
sees the same draws (common random numbers), and a run's values depend on the seed and the
chunk size only, never on the number of workers or the order chunks finish in.

Scenarios whose edits change only values (quantities, shares, recipe ratios, prices, carrier
factors, own costs of nodes) become parameter values of the base network (`params.py`);
any other scenario is solved as a network of its own (a group). Each group's runs set the
group's parameters: the nominal values, then the scenario's, the grid point's, the draw's.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...errors import ModelError
from ...model.report import jsonable
from ...model.schema import suggestion
from ...plugins.montecarlo import case_inputs
from ...solvers.compiled import compile_network
from ...solvers.distributions import describe
from ...solvers.inputs import Input, bind, merge, sigma_inputs
from . import options as O
from . import params as P

#: a chunk is about this many seconds of work (estimated from the network's size)
CHUNK_SECONDS = 3.0
#: a block of runs is cut into at least this many chunks when it has that many runs
MIN_CHUNKS = 16
BASE = "base"


@dataclass
class RunPlan:
    """Every run of a sweep, its chunks and its parameters (plain data: sent to workers)."""

    case_name: str
    case_hash: str
    scenarios: list                 # the scenario axis ("base" for the base); [] if none
    grid: list                      # [(Input, [values])]
    draws: int                      # 0: no draws
    draw_inputs: list               # Inputs with distributions
    seed: int | None
    chunk: int
    keep: O.Keep
    groups: dict                    # group key -> [Input] (BASE, or a scenario's name)
    scenario_group: dict            # scenario name -> group key
    scenario_values: dict           # scenario name -> {(kind, id, attribute): value}
    figure_units: dict = field(default_factory=dict)
    target: str | None = None
    notes: list = field(default_factory=list)
    seconds_per_run: float = 0.0    # estimated (spec.run_seconds), for the default workers

    # -- sizes ----------------------------------------------------------------------------
    @property
    def n_scenarios(self) -> int:
        return max(len(self.scenarios), 1)

    @property
    def n_grid(self) -> int:
        return math.prod(len(v) for _, v in self.grid) if self.grid else 1

    @property
    def n_draws(self) -> int:
        return max(self.draws, 1)

    @property
    def n_runs(self) -> int:
        return self.n_scenarios * self.n_grid * self.n_draws

    @property
    def per_block(self) -> int:
        """Chunks per (scenario, grid point) block with draws."""
        return math.ceil(self.draws / self.chunk) if self.draws else 0

    @property
    def n_chunks(self) -> int:
        if self.draws:
            return self.n_scenarios * self.n_grid * self.per_block
        return math.ceil(self.n_runs / self.chunk)

    @property
    def kind(self) -> str:
        """Which axes a run varies: 'scenario', 'grid', 'draw' or a '+' of them."""
        axes = [name for name, on in (("scenario", self.scenarios), ("grid", self.grid),
                                      ("draw", self.draws)) if on]
        return "+".join(axes)

    @property
    def parameters(self) -> list:
        """The swept parameters: grid parameters, then drawn inputs (runs table columns)."""
        return [P.name_of(p) for p, _ in self.grid] + [P.name_of(p) for p in self.draw_inputs]

    # -- runs and chunks ------------------------------------------------------------------
    def chunk_bounds(self, i: int) -> tuple[int, int, int | None]:
        """(first run, end, j): chunk i holds runs first..end-1; j is its position in its
        block (which draws it has), None without draws."""
        if not 0 <= i < self.n_chunks:
            raise IndexError(f"chunk {i} of {self.n_chunks}")
        if self.draws:
            block, j = divmod(i, self.per_block)
            lo = j * self.chunk
            return block * self.draws + lo, block * self.draws + min(lo + self.chunk,
                                                                     self.draws), j
        lo = i * self.chunk
        return lo, min(lo + self.chunk, self.n_runs), None

    def seed_of(self, j: int) -> np.random.SeedSequence:
        """SeedSequence(seed).spawn(per_block)[j], built directly (the same sequence)."""
        return np.random.SeedSequence(self.seed, spawn_key=(j,))

    def decompose(self, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scenario index, grid point, draw index) of each run."""
        d = runs % self.n_draws
        g = (runs // self.n_draws) % self.n_grid
        s = runs // (self.n_draws * self.n_grid)
        return s, g, d

    def grid_values(self, g: np.ndarray) -> np.ndarray:
        """The grid parameters' values at grid points g (runs x grid parameters)."""
        if not self.grid:
            return np.zeros((len(g), 0))
        shape = [len(v) for _, v in self.grid]
        idx = np.unravel_index(g, shape)
        return np.column_stack([np.asarray(v, dtype=float)[k]
                                for (_, v), k in zip(self.grid, idx)])

    def scenario_of(self, s: int) -> str:
        return self.scenarios[s] if self.scenarios else BASE

    # -- identity -------------------------------------------------------------------------
    def describe(self) -> dict:
        """The spec as JSON-ready data (the manifest's `spec`)."""
        return jsonable({
            "scenarios": self.scenarios,
            "grid": {P.name_of(p): v for p, v in self.grid},
            "draws": self.draws,
            "inputs": [{"parameter": P.name_of(p), "distribution": _dist(p)}
                       for p in self.draw_inputs],
            "seed": self.seed, "chunk": self.chunk,
            "keep": {"figures": self.keep.figures, "flows": [str(f) for f in self.keep.flows],
                     "columns": self.keep.columns},
            "runs": self.n_runs, "chunks": self.n_chunks, "kind": self.kind,
            "groups": {k: [P.name_of(p) for p in v] for k, v in self.groups.items()},
        })

    @property
    def key(self) -> str:
        """A hash of the case and the spec: what a worker's cache is keyed by."""
        text = json.dumps([self.case_hash, self.describe()], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _dist(inp: Input) -> str:
    return describe(inp.dist) if inp.dist is not None else ""


# -- building a plan --------------------------------------------------------------------------

def build_plan(case, opts: dict, inputs=None, grid_origins: dict | None = None) -> RunPlan:
    """The plan of a sweep from resolved options; every name is checked before any run."""
    net = case.network
    scenarios = O.scenario_axis(case, opts.get("scenarios"))
    grid = O.grid_axis(case, opts.get("grid"), grid_origins)
    draws = opts.get("draws")
    if draws is not None and draws < 1:
        raise ModelError(f"sweep: draws must be at least 1, not {draws}",
                         origin=O.origin(case, "draws") if "draws" in case.section("sweep")
                         else None)
    if not (scenarios or grid or draws):
        raise ModelError(f"sweep of case '{case.name}': nothing to run; give scenarios, a "
                         f"grid or draws (or a [sweep] section in the case)")
    keep = O.keep_spec(case, opts.get("keep"))
    c = compile_network(net)
    P.nominal([p for p, _ in grid], c)                   # each parameter applies
    draw_inputs = _draw_inputs(case, c, inputs) if draws else []
    gkeys = {(p.kind, p.id, p.attribute) for p, _ in grid}
    both = [P.name_of(p) for p in draw_inputs if (p.kind, p.id, p.attribute) in gkeys]
    notes = [f"{name} is in the grid: not drawn" for name in both]
    draw_inputs = [p for p in draw_inputs if (p.kind, p.id, p.attribute) not in gkeys]
    if draws and not draw_inputs:
        raise ModelError("sweep: every uncertain input is also in the grid; nothing is drawn")
    groups, scen_group, scen_values = _groups(case, c, scenarios or [], grid, draw_inputs)
    seed = opts.get("seed")
    if draws and seed is None:
        seed = int(np.random.SeedSequence().entropy)
    n_block = draws or (len(scenarios or [1]) * math.prod(len(v) for _, v in grid))
    chunk = opts.get("chunk") or default_chunk(c.n_flows, n_block)
    units = {f.name: f.unit for f in case.figures}
    target = opts.get("target")
    if target is not None and target not in keep.figures:
        raise ModelError(f"sweep: target '{target}' is not a figure kept per run"
                         f"{suggestion(target, keep.figures)} (kept: "
                         f"{', '.join(keep.figures) or 'none'})", origin=O.origin(case, "target"))
    return RunPlan(case.name, case_hash(case), scenarios or [], grid, int(draws or 0),
                   draw_inputs, seed, int(chunk), keep, groups, scen_group, scen_values,
                   units, target, notes, run_seconds(c.n_flows))


def _draw_inputs(case, c, inputs) -> list:
    """The uncertain inputs drawn: those given, else the case's [[uncertainty.input]]
    records and (unless [uncertainty] sigmas = false) the flows' own sigma/share_sigma."""
    if inputs is None:
        given = case_inputs(case)
        sigmas = case.section("uncertainty").get("sigmas", True)
        inputs = merge(given, sigma_inputs(c) if sigmas else [])
    inputs = list(inputs)
    if not inputs:
        raise ModelError(f"sweep: draws need uncertain inputs ([[uncertainty.input]] in case "
                         f"'{case.name}', sigma on flows, or inputs=[...]); it has none",
                         origin=case.origin("uncertainty"))   # the section, else the file
    # each input applies, by name; its distribution is resolved against the base (the
    # manifest describes it, and a worker draws from it as it is)
    return [Input(p.kind, p.id, p.attribute, b.dist, origin=p.origin)
            for p, b in zip(inputs, bind(inputs, c))]


def _groups(case, c, scenarios, grid, draw_inputs):
    """Group key -> parameters; scenario -> group; value-only scenario -> its values."""
    swept = [p for p, _ in grid] + [_bare(p) for p in draw_inputs]
    base_params = list(swept)
    keys = {(p.kind, p.id, p.attribute) for p in base_params}
    groups, scen_group, scen_values = {}, {}, {}
    for name in scenarios:
        if name == BASE:
            scen_group[name] = BASE
            continue
        values = P.scenario_values(case.scenario(name), case.network)
        if values is not None:
            extra = [Input(*k, None) for k in values if k not in keys]
            try:
                P.nominal(extra, c)
            except ModelError:
                values = None
        if values is None:
            scen_group[name] = name
            groups[name] = list(swept)
            continue
        scen_group[name], scen_values[name] = BASE, values
        for k in values:
            if k not in keys:
                keys.add(k)
                base_params.append(Input(*k, None))
    if not scenarios or BASE in scen_group.values():
        groups = {BASE: base_params, **groups}
    return groups, scen_group, scen_values


def _bare(inp: Input) -> Input:
    return Input(inp.kind, inp.id, inp.attribute, None, origin=inp.origin)


def run_seconds(n_flows: int) -> float:
    """A rough estimate of one run's seconds on a network of n_flows flows (the run engine
    with a few figures: about 20-25 ms at 1e5 flows)."""
    return 2e-3 + 2e-7 * n_flows


def default_chunk(n_flows: int, per_block: int) -> int:
    """Runs per chunk: about CHUNK_SECONDS of work at an estimated cost per run that grows
    with the network, and at least MIN_CHUNKS chunks per block. It depends only on the
    network's size and the number of runs, never on the machine: the draws of a run do not
    change with the worker count."""
    return max(1, min(int(CHUNK_SECONDS / run_seconds(n_flows)),
                      math.ceil(per_block / MIN_CHUNKS)))


# -- the case's identity ------------------------------------------------------------------------

def case_hash(case) -> str:
    """sha256 (16 hex digits) of what a run's numbers depend on: the network (nodes, flows,
    carriers, meta), scenarios, figures and plugin sections other than [sweep]; not where
    the case lies nor the file lines."""
    h = hashlib.sha256()
    net = case.network

    def add(obj):
        h.update(json.dumps(jsonable(obj), sort_keys=True, default=str).encode())

    add({"name": net.name, "period": net.period, "meta": net.meta})
    add(sorted((name, car.to_record()) for name, car in net.carriers.items()))
    for frame in (net.node_frame(), net.flow_frame()):
        f = frame[sorted(c for c in frame.columns if not str(c).startswith("_"))]
        add([str(c) for c in f.columns])
        h.update(pd.util.hash_pandas_object(_hashable(f), index=True).to_numpy().tobytes())
    add([s.to_record() for s in case.scenarios.values()])
    add([f.to_record() for f in case.figures])
    add({k: v for k, v in case.sections.items() if k != "sweep"})
    return h.hexdigest()[:16]


def _hashable(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as text (dicts and lists hash as their repr)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].map(lambda v: repr(v) if v is not None else "")
    out.index = out.index.map(repr)
    return out
