"""Value flow of runs in a chain (periods): what given flows carry out of run i (a stock's
closing balance, valued) enters run i + 1 at given nodes (the stock nodes), on top of their
own amounts: moving-average inventory valuation.

Value flow is linear in what enters a node, so with A_i the value of run i without what is
carried and R_i = (I - K_i)^-1 E (E: a unit at each carrying node, one column per node),

    A_i' = A_i + R_i G_i,    G_{i+1} = kappa_i A_i'[nodes]   (per attribute)

where G_i (nodes x attributes) is what run i receives and kappa_i the keys of the carrying
flows. R_i is solved with run i's other origins (runrefine.py: a few more columns of the
same refinement), so the runs of a chain are refined together, REFINE_RUNS at a time, and
only the small recurrence on G runs in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FlowgraphError
from .batch import relabel
from .propagate import ATTRIBUTES, finish
from .propagation import Propagation
from .runrefine import REFINE_RUNS, Work, keyed_runs, refine, setup, solved
from .runvalues import RunState, ValueRuns, check_allocatable


@dataclass
class Carry:
    """Where value is carried from run to run: the flows that take it out of run i (kept),
    the nodes it enters in run i + 1 (one per kept flow), what the first run receives
    (nodes x ATTRIBUTES)."""

    kept: np.ndarray
    nodes: np.ndarray
    start: np.ndarray


def chained_runs(vr: ValueRuns, states: list[RunState], labels, carry: Carry) -> list:
    """Value flow of runs in order, each receiving what the previous one's kept flows carry
    (Carry): a Propagation per run; at the first run that fails, its error, and None for
    the runs after it (they depend on it)."""
    if not len(carry.nodes):                            # nothing carried: runs on their own
        return keyed_runs(vr, states, labels)
    out: list = [None] * len(states)
    G = np.asarray(carry.start, dtype=float).copy()
    for lo in range(0, len(states), REFINE_RUNS):
        batch = range(lo, min(lo + REFINE_RUNS, len(states)))
        work, failed = [], None
        for i in batch:
            try:
                work.append(_with_units(vr, setup(vr, states[i]), carry.nodes))
            except FlowgraphError as exc:
                failed = i                              # the runs before it still count
                out[i] = relabel(exc, labels[i])
                break
        for i, w, Y in zip(batch, work, refine(vr, work)):
            try:
                out[i], G = _finish(vr, states[i], w, Y, carry, G)
            except FlowgraphError as exc:
                out[i] = relabel(exc, labels[i])
                return out
        if failed is not None:
            return out
    return out


def _with_units(vr: ValueRuns, w: Work, nodes: np.ndarray) -> Work:
    """The run's origins with a unit column at each carrying node (no value of its own:
    zero rows of C), whose solution is R."""
    E = np.zeros((w.U.shape[0], len(nodes)))
    E[nodes, np.arange(len(nodes))] = 1.0
    w.U = np.column_stack([w.U, E])
    w.C = np.vstack([w.C, np.zeros((len(nodes), w.C.shape[1]))])
    w.same = np.concatenate([w.same, np.zeros(len(nodes), dtype=bool)])
    return w


def _finish(vr: ValueRuns, s: RunState, w: Work, Y, carry: Carry, G: np.ndarray):
    """The run's Propagation with what it receives (G) added, and what it passes on."""
    k = len(carry.nodes)
    Y, alone = solved(vr, w, Y)
    R = Y[:, -k:]
    Y, U, C = Y[:, :-k], w.U[:, :-k], w.C[:-k]
    attrs = np.arange(len(ATTRIBUTES))
    dA = R @ G
    alone_values = U[alone] @ C
    at = np.searchsorted(alone, carry.nodes)
    hit = at < len(alone)
    hit[hit] = alone[at[hit]] == carry.nodes[hit]
    alone_values[at[hit]] += G[hit]
    check_allocatable(vr.c, s.negative, w.keys)
    prop = finish(vr.c, ATTRIBUTES, Y, C, w.keys, s.negative, w.inj, vr.rtol, alone,
                  alone_values, (attrs, dA))
    return prop, _passed_on(prop, carry)


def _passed_on(prop: Propagation, carry: Carry) -> np.ndarray:
    """What the kept flows carry out of this run (kept x ATTRIBUTES)."""
    return np.column_stack([prop.parts.column(j, carry.kept) for j in range(len(ATTRIBUTES))])
