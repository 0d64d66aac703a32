"""A network over a sequence of periods (months, years): inputs as time series, stocks
carried from period to period with outflows by cohort, structure edits from a given period.

    run = solve_periods(net, [2025, 2026, 2027],
                        series={"flow:ore:quantity": [100, 120, 130]},
                        stocks=[PeriodStock("yard", "yard->landfill:slag",
                                            Lifetime("weibull", shape=2, scale=3))],
                        starts={2027: Scenario("new kiln", [...])})
    run.flows        # long table: period, flow, quantity, cost, ...
    run.stocks       # period, node, cohort, stock, outflow

Periods of one structure are runs of one RunEngine: their values are written into one
compiled network and solved together as right-hand sides of one factorisation. A stock
node's balance is carried across periods, not closed within one: its outflow flow is set
each period to what its cohorts release (solvers/cohorts.py), or given as a series. The
outflows depend on the inflows, so the periods are solved in passes until the stocks'
inflows no longer change: two passes when nothing a stock releases comes back into it.
docs/methods/time.md has the formulas.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import FlowgraphError, ModelError, StockError
from ..model.scenario import Scenario
from ..solvers.cohorts import CohortStock, Lifetime, carry_forward, horizon, inflow_driven
from ..solvers.inputs import Input
from ..solvers.propagate import ATTRIBUTES
from ..solvers.runcarry import Carry
from ..solvers.runs import RunEngine
from .study.params import parse

#: passes over the horizon before a loop through a stock is called divergent
MAX_PASSES = 60
#: relative change of the stocks' inflows below which the passes stop
PASS_RTOL = 1e-12


@dataclass
class PeriodStock:
    """A stock node carried over the periods: `outflow` is the flow that takes what leaves
    it. With a lifetime, what leaves is what its cohorts release; without, the outflow is
    a quantity given as a series ('flow:OUTFLOW:quantity') and the stock is carried
    forward. `initial`: the stock before the first period (by age {age: amount} with a
    lifetime, an amount without)."""

    node: str
    outflow: str
    lifetime: Lifetime | list | None = None
    initial: dict | float | None = None
    inflow_at: str = "middle"
    origin: str | None = None


@dataclass
class Periods:
    """The results of a network over periods: one Result per period, and the stocks."""

    periods: list
    results: list
    stocks: dict = field(default_factory=dict)        # node -> CohortStock
    passes: int = 1
    timings: dict = field(default_factory=dict)       # seconds: setup, passes, values

    @property
    def flows(self) -> pd.DataFrame:
        """Long table: one row per period and flow (the period first)."""
        return _long([r.flows for r in self.results], self.periods, "flow")

    @property
    def nodes(self) -> pd.DataFrame:
        return _long([r.nodes for r in self.results], self.periods, "node")

    @property
    def stock_table(self) -> pd.DataFrame:
        """Long table: period, node, cohort, stock, outflow, unit."""
        columns = ["period", "node", "cohort", "stock", "outflow", "unit"]
        frames = [m.frame().assign(node=node, unit=m.meta.get("unit"))
                  for node, m in self.stocks.items()]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns]

    def result(self, period):
        """The Result of one period."""
        return self.results[self.periods.index(period)]

    def check(self, rtol: float = 1e-9) -> pd.DataFrame:
        """Per stock, over the horizon: cumulative inflow, outflow and stock change (from
        the solved flows); refuses a stock whose account does not close."""
        rows = []
        for node, m in self.stocks.items():
            inflow = m.inflow.sum()
            outflow = m.outflow.sum()
            change = m.stock[-1] - m.initial
            gap = inflow - outflow - change
            if abs(gap) > rtol * max(inflow + outflow + abs(m.initial), 1.0):
                raise StockError(f"stock '{node}' does not close over the periods: in "
                                 f"{inflow:g}, out {outflow:g}, change {change:g}", nodes=[node])
            rows.append({"node": node, "inflow": inflow, "outflow": outflow,
                         "stock_change": change, "gap": gap})
        return pd.DataFrame(rows)


def solve_periods(network, periods, *, series=None, stocks=(), starts=None,
                  origin: str | None = None) -> Periods:
    """Solve `network` over `periods` (see the module doc). series: {'kind:id:attribute':
    values per period} or a DataFrame (periods as index, parameters as columns; or long:
    period, parameter, value). starts: {period: Scenario} of edits in force from then on."""
    t0 = time.perf_counter()
    periods = _periods(periods, origin)
    params, V = _series(series, network, periods, origin)
    stocks = [_stock(s, network, origin) for s in stocks]
    plan = _Plan(params, stocks, V, origin)
    engines = [(rows, RunEngine(_opened(net, stocks), plan.inputs, label="period"))
               for rows, net in _segments(network, periods, starts or {}, origin)]
    timings = {"setup": time.perf_counter() - t0}
    if not stocks:
        t0 = time.perf_counter()
        results = _solve(engines, V, periods)
        return Periods(periods, results, {}, 1, {**timings, "values": time.perf_counter() - t0})
    previous, t0 = None, time.perf_counter()
    for n_pass in range(1, MAX_PASSES + 1):
        # the passes find the stocks' outflows from quantities alone; the first is never
        # the last, so only its inflows are read (solved in full if they are not finite)
        inflows = _light_inflows(engines, plan, stocks) if n_pass == 1 else None
        if inflows is None or not np.isfinite(inflows).all():
            results = _solve(engines, plan.matrix(), periods, values=False)
            inflows = np.column_stack([_inflow(results, s) for s in stocks])
        models = {s.node: _cohorts(s, inflows[:, k], plan.out[:, k], periods)
                  for k, s in enumerate(stocks)}
        for s in stocks:                         # what the views label the amounts with
            models[s.node].meta["unit"] = network.flow(s.outflow).get("unit")
        for k, s in enumerate(stocks):
            plan.out[:, k] = models[s.node].outflow
            plan.closing[:, k] = models[s.node].stock
        if previous is not None and _close(inflows, previous):
            timings["passes"], t0 = time.perf_counter() - t0, time.perf_counter()
            valued = _valued(engines, plan, periods, [r.quantities for r in results])
            timings["values"] = time.perf_counter() - t0
            return Periods(periods, valued, models, n_pass + 1, timings)
        previous = inflows
    raise StockError(f"the stocks' inflows still change after {MAX_PASSES} passes over the "
                     f"periods: what the stocks release comes back into them without end",
                     nodes=[s.node for s in stocks], origin=origin)


class _Plan:
    """The engine's parameters and their values per period: the series, then per stock its
    outflow (with a lifetime) and its closing stock."""

    def __init__(self, params, stocks, V, origin):
        self.V, self.stocks = V, stocks
        n, k = len(V), len(stocks)
        self.out, self.closing = np.zeros((n, k)), np.zeros((n, k))
        self.driven = [j for j, s in enumerate(stocks) if s.lifetime is not None]
        given = {p.id: j for j, p in enumerate(params)
                 if p.kind == "flow" and p.attribute == "quantity"}
        for j, s in enumerate(stocks):
            if s.lifetime is None:
                if s.outflow not in given:
                    raise ModelError(f"stock '{s.node}': no lifetime and no series of its "
                                     f"outflow 'flow:{s.outflow}:quantity'", nodes=[s.node],
                                     origin=s.origin or origin)
                self.out[:, j] = V[:, given[s.outflow]]
        self.inputs = (list(params)
                       + [Input("flow", stocks[j].outflow, "quantity") for j in self.driven]
                       + [Input("flow", _kept(s), "quantity") for s in stocks])

    def matrix(self, rows=slice(None)) -> np.ndarray:
        return np.hstack([self.V, self.out[:, self.driven], self.closing])[rows]


def _valued(engines, plan: _Plan, periods, quantities) -> list:
    """Value flow of the periods, whose quantities are solved: what the closing stock of a
    period holds in value (by mass share of what was there to leave) enters the next at
    the stock node (moving-average inventory valuation; solvers/runcarry.py)."""
    results = [None] * len(periods)
    G = np.zeros((len(plan.stocks), len(ATTRIBUTES)))
    for rows, engine in engines:
        nominal = engine.nominal
        kept = np.array([nominal.flow_index(_kept(s)) for s in plan.stocks], dtype=np.int64)
        nodes = np.array([nominal.node_index(s.node) for s in plan.stocks], dtype=np.int64)
        got = engine.chained(plan.matrix(rows), [quantities[i] for i in rows],
                             Carry(kept, nodes, G), first=rows[0])
        for i, r in zip(rows, got):
            if isinstance(r, FlowgraphError):
                raise type(r)(f"period {periods[i]}: {r}", nodes=r.nodes, flows=r.flows,
                              origin=r.origin) from None
            results[i] = r
        last = results[rows[-1]]
        G = np.column_stack([last.column(a, kept) for a in ATTRIBUTES])
    return results


def _kept(s: PeriodStock) -> str:
    return f"{s.node} (closing stock)"


def _solve(engines, V, periods, values: bool = True) -> list:
    results = [None] * len(periods)
    for rows, engine in engines:
        for i, r in zip(rows, engine.results(V[rows], values=values)):
            if isinstance(r, FlowgraphError):
                raise type(r)(f"period {periods[i]}: {r}", nodes=r.nodes, flows=r.flows,
                              origin=r.origin) from None
            results[i] = r
    return results


def _cohorts(s: PeriodStock, inflow, outflow, periods) -> CohortStock:
    if s.lifetime is not None:
        return inflow_driven(inflow, s.lifetime, periods=periods, inflow_at=s.inflow_at,
                             initial=s.initial, name=f"stock '{s.node}'", origin=s.origin or "")
    start = float(s.initial or 0.0)
    level = carry_forward(start, inflow, outflow, periods=periods, name=f"stock '{s.node}'",
                          origin=s.origin or "")
    by = level[:, None]
    return CohortStock(list(periods), ["all"], np.asarray(inflow, float), by,
                       np.asarray(outflow, float)[:, None], start, s.node, {"carried": True})


def _inflow(results, s: PeriodStock) -> np.ndarray:
    """What enters the stock node in each period (in the outflow flow's unit)."""
    into = _into(results[0].static, results[0], s.node)
    return np.array([r.quantities[into].sum() for r in results])


def _into(c, result, node: str) -> np.ndarray:
    """The flows into `node` (indices of the compiled structure c that `result` solves)."""
    return np.flatnonzero(np.asarray(c.head) == result.node_index(node))


def _light_inflows(engines, plan: _Plan, stocks) -> np.ndarray:
    """What enters each stock node in each period (periods x stocks), as _inflow reads it
    from a pass's results, from the flows into the stock nodes alone (RunEngine.flows_at):
    for a pass whose results are not kept. NaN where a period needs the full solve."""
    V = plan.matrix()
    out = np.full((len(V), len(stocks)), np.nan)
    for rows, engine in engines:                    # segments differ in structure
        nominal = engine.nominal
        into = [_into(engine.c, nominal, s.node) for s in stocks]
        X = engine.flows_at(V[rows], np.concatenate(into))
        ends = np.cumsum([0] + [len(i) for i in into])
        for k in range(len(stocks)):           # summed as _inflow sums (contiguous rows)
            out[rows, k] = np.ascontiguousarray(X[:, ends[k]:ends[k + 1]]).sum(axis=1)
    return out


def _close(a, b) -> bool:
    scale = np.maximum(np.abs(a), np.abs(b)).max(initial=0.0)
    return bool(np.abs(a - b).max(initial=0.0) <= PASS_RTOL * max(scale, 1e-300))


def _opened(net, stocks):
    """The network with each stock node's balance open (carried across periods) and its
    outflow a given quantity (set each period)."""
    if not stocks:
        return net
    net = net.copy()
    for s in stocks:
        net.set_node(s.node, layers=[])
        net.set_flow(s.outflow, quantity=0.0)
        rec = net.flow(s.outflow)
        label = net.node(s.node).get("label")
        name = label if isinstance(label, str) and label else s.node
        net.add_node(f"{s.node} (stock)", kind="storage", layers=[],
                     label=f"{name} in stock (at the period's end)")
        net.add_flow(s.node, f"{s.node} (stock)", carrier=rec["carrier"], unit=rec["unit"],
                     quantity=0.0, id=_kept(s))
    return net


def _stock(s: PeriodStock, net, origin) -> PeriodStock:
    nodes = net.node_frame().index
    if s.node not in nodes:
        raise ModelError(f"stock '{s.node}': the network has no such node", nodes=[s.node],
                         origin=s.origin or origin)
    flows = net.flow_frame()
    if s.outflow not in flows.index:
        raise ModelError(f"stock '{s.node}': the network has no flow '{s.outflow}'",
                         flows=[s.outflow], origin=s.origin or origin)
    if flows.loc[s.outflow, "source"] != s.node:
        raise ModelError(f"stock '{s.node}': flow '{s.outflow}' does not leave it",
                         flows=[s.outflow], origin=s.origin or origin)
    units = set(flows.loc[flows["target"] == s.node, "unit"]) | {flows.loc[s.outflow, "unit"]}
    if len(units) > 1:
        raise ModelError(f"stock '{s.node}': its flows are in {', '.join(sorted(map(str, units)))}; "
                         f"a stock carried over periods needs one unit", nodes=[s.node],
                         origin=s.origin or origin)
    return s


def _periods(periods, origin) -> list:
    labels = list(periods)
    if not labels:
        raise ModelError("periods: none given", origin=origin)
    if len(set(map(str, labels))) != len(labels):
        raise ModelError("periods: a period is given twice", origin=origin)
    try:
        ordered = all(a < b for a, b in zip(labels, labels[1:]))
    except TypeError:
        raise ModelError("periods: mixed kinds of labels (give all numbers or all text)",
                         origin=origin) from None
    if not ordered:
        bad = next(b for a, b in zip(labels, labels[1:]) if not a < b)
        raise ModelError(f"periods out of order: {bad!r} comes after a later period",
                         origin=origin)
    return labels


def _series(series, net, periods, origin) -> tuple[list, np.ndarray]:
    """Parameters and the period x parameter matrix of their values."""
    if series is None:
        return [], np.zeros((len(periods), 0))
    if isinstance(series, pd.DataFrame):
        series = _from_frame(series, periods, origin)
    params, cols = [], []
    for key, values in series.items():
        inp = parse(key, net, origin)
        v = np.asarray(values, dtype=float).reshape(-1)
        horizon(periods, len(v), f"series {key!r}", origin)
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            raise ModelError(f"series {key!r}: value in period {periods[bad[0]]} is not a "
                             f"finite number", origin=origin)
        params.append(inp)
        cols.append(v)
    return params, np.column_stack(cols) if cols else np.zeros((len(periods), 0))


def _from_frame(frame: pd.DataFrame, periods, origin) -> dict:
    if {"period", "parameter", "value"} <= set(frame.columns):
        frame = frame.pivot(index="period", columns="parameter", values="value")
    missing = [p for p in periods if p not in frame.index]
    if missing:
        raise ModelError(f"series: no values for period {missing[0]!r} (shorter than the "
                         f"horizon)", origin=origin)
    return {col: frame.loc[periods, col].to_numpy() for col in frame.columns}


def _segments(net, periods, starts: dict, origin) -> list:
    """(rows, network) per run of periods with the same structure edits in force."""
    for p in starts:
        if p not in periods:
            raise ModelError(f"structure edit from period {p!r}: not one of the periods",
                             origin=origin)
    segments, current, rows = [], net, []
    for i, p in enumerate(periods):
        if p in starts and rows:
            segments.append((np.asarray(rows), current))
            rows = []
        if p in starts:
            scenario = starts[p]
            scenario = scenario if isinstance(scenario, Scenario) else Scenario(str(p), scenario)
            current = scenario.apply_to(current)
        rows.append(i)
    segments.append((np.asarray(rows), current))
    return segments


def _long(frames, periods, key: str) -> pd.DataFrame:
    out = []
    for period, frame in zip(periods, frames):
        f = frame.reset_index().rename(columns={frame.index.name or "index": key})
        f.insert(0, "period", period)
        out.append(f)
    return pd.concat(out, ignore_index=True)
