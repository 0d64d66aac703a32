"""Value flow of runs whose allocation keys differ from the nominal ones (their quantities
differ, or their prices are allocation keys): iterative refinement preconditioned by the
nominal factorisation M = I - K_nom,

    A <- A + M^-1 (B_run - (I - K_run) A),

on the core of I - K (sources and sinks are exact), for a few runs at once: one solve for
all their columns per step, each run's residual checked row by row. It converges when the
spectral radius of M^-1 (K_run - K_nom) is below 1, at the first check when the keys do not
move (shares fixed, as in plants); columns whose origins are the nominal ones start from
the nominal solution. The few columns of K a run moves for real (a share, a recipe ratio)
are corrected exactly in M by the Woodbury identity (keymoves.py), so such a run settles at
the first check too. A run that does not settle within MAX_STEPS, or whose residual does
not at least halve per step, is solved exactly (a factorisation of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FlowgraphError
from .batch import relabel
from .keymoves import correction
from .keys import Keys, identity_rows, rows_of
from .propagate import ATTRIBUTES, finish, nonfinite_origins, solve_values
from .propagation import Injections, Propagation, tall_product
from .runvalues import RunState, ValueRuns, check_allocatable

#: refinement steps before a run is solved exactly
MAX_STEPS = 8
#: a run has settled when each core row's residual is within this many times its terms
#: (|rhs| + |Y|), or within STEP_FLOOR of the largest of those
STEP_RTOL, STEP_FLOOR = 1e-14, 1e-1
#: runs refined together (their right-hand sides side by side stay in cache)
REFINE_RUNS = 8


@dataclass
class Work:
    """One run being refined."""

    data: np.ndarray         # entries of I - K_run
    U: np.ndarray
    C: np.ndarray
    inj: Injections
    keys: Keys
    same: np.ndarray         # columns of U equal to the nominal ones
    bad: bool = False


def keyed_runs(vr: ValueRuns, states: list[RunState], labels) -> list:
    """Value flow of runs whose keys differ, REFINE_RUNS at a time: Propagation or error."""
    out: list = [None] * len(states)
    for lo in range(0, len(states), REFINE_RUNS):
        work = []
        for i in range(lo, min(lo + REFINE_RUNS, len(states))):
            try:
                work.append((i, setup(vr, states[i])))
            except FlowgraphError as exc:
                out[i] = relabel(exc, labels[i])
        for (i, w), A in zip(work, refine(vr, [w for _, w in work])):
            try:
                out[i] = _finish(vr, states[i], w, A)
            except FlowgraphError as exc:
                out[i] = relabel(exc, labels[i])
    return out


def setup(vr: ValueRuns, s: RunState) -> Work:
    """A run's keys, origins U C and entries of I - K."""
    keys = vr.keys_of(s)
    if keys.neg_key is not None:
        check_allocatable(vr.c, s.negative, keys)
    inj = Injections(vr.rows, s.x[vr.rows], vr.group, s.coef)
    U = vr.columns(inj, s.own, s.negative, keys)
    C = vr.coefficients(s.coef)
    same = np.array([np.array_equal(U[:, j], vr.U[:, j]) for j in range(U.shape[1])])
    E, attrs = vr.extra(s, keys)
    if len(attrs):
        U = np.column_stack([U, E])
        C = np.vstack([C, np.eye(len(ATTRIBUTES))[attrs]])
        same = np.concatenate([same, np.zeros(len(attrs), dtype=bool)])
    if not np.isfinite(U).all():
        raise nonfinite_origins(vr.c, ATTRIBUTES, inj, tall_product(U, C))
    return Work(vr.pat.data(keys.key), U, C, inj, keys, same)


def refine(vr: ValueRuns, work: list[Work]) -> list:
    """Y = (I - K_run)^-1 U of each run, None for a run left to an exact solve."""
    pat = vr.pat
    ends = np.concatenate([pat.sources, pat.sinks])
    rhs, Y, tops = [], [], []
    for w in work:
        d = pat.diagonal(w.data)
        w.bad = bool((d[ends] == 0).any())
        top = w.U[pat.sources] / np.where(d[pat.sources] == 0, 1.0, d[pat.sources])[:, None]
        r = rows_of(w.U, pat.core_at)
        if pat.feed.nnz:
            r -= pat.feed.matrix(w.data) @ top
        rhs.append(r)
        tops.append(top)
        y = np.empty_like(r)
        if w.same.any():
            y[:, w.same] = vr.Y_core[:, np.flatnonzero(w.same)]
        Y.append(y)
    need = [np.flatnonzero(~w.same) for w in work]
    fixes = [correction(pat.core, vr.core_values, vr.core_moved, w.data) if len(pat.core_nodes) else None
             for w in work]
    extra = [f.U for f in fixes if f is not None]
    if len(pat.core_nodes) and (sum(len(k) for k in need) or extra):
        solved = vr.core_solve(np.column_stack([r[:, k] for r, k in zip(rhs, need)] + extra))
        at = 0
        for y, k in zip(Y, need):
            y[:, k] = solved[:, at:at + len(k)]
            at += len(k)
        for i, f in enumerate(fixes):
            if f is not None:
                k = f.U.shape[1]
                fixes[i] = f if f.solved(solved[:, at:at + k]) else None
                at += k
                if fixes[i] is not None:
                    fixes[i].apply(Y[i])
    settled = _settle(vr, work, rhs, Y, fixes) if len(pat.core_nodes) else \
        set(range(len(work)))
    return [pat.assemble(top, y, w.U, w.data) if i in settled and not w.bad else None
            for i, (w, y, top) in enumerate(zip(work, Y, tops))]


def _settle(vr: ValueRuns, work, rhs, Y, fixes) -> set:
    """Refinement steps on Y in place, Y += P^-1 (rhs - M_run Y) (P: M with the run's
    moved columns, `fixes`), while a run's residual is
    not within STEP_RTOL of |rhs| + |Y| row by row; a run whose residual does not at least
    halve per step is left (solved exactly). Returns the runs that settled."""
    active = [i for i, w in enumerate(work) if not w.bad]
    mats = {i: vr.pat.core.matrix(work[i].data) for i in active}
    settled, last = set(), {}
    for _ in range(MAX_STEPS):
        resid = []
        for i in list(active):
            r = rhs[i] - mats[i] @ Y[i]
            allowed = np.abs(rhs[i])
            allowed += np.abs(Y[i])
            allowed *= STEP_RTOL
            allowed += STEP_FLOOR * allowed.max(initial=0.0) + 1e-300
            size = np.abs(r)
            if (size <= allowed).all():
                settled.add(i)
                active.remove(i)
                continue
            ratio = float(np.max(size / allowed))
            if ratio <= 1.0:
                settled.add(i)
                active.remove(i)
            elif not np.isfinite(ratio) or ratio > 0.5 * last.get(i, np.inf):
                active.remove(i)            # not converging: solved exactly
            else:
                last[i] = ratio
                resid.append(r)
        if not active:
            break
        step = vr.core_solve(np.column_stack(resid))
        at = 0
        for i in active:
            b = Y[i].shape[1]
            part = step[:, at:at + b]
            Y[i] += fixes[i].apply(part) if fixes[i] is not None else part
            at += b
    return settled


def solved(vr: ValueRuns, w: Work, Y):
    """Y of a run (refined, or solved exactly when refinement left it: Y None) and the
    nodes whose value is exactly their origins B (no key leads in)."""
    pat = vr.pat
    if Y is not None:
        d = pat.diagonal(w.data)[pat.sources]
        return Y, pat.sources[d == 1.0]
    return (solve_values(pat, w.data, w.U, None, vr.c),
            identity_rows(vr.c, pat, w.data, w.keys.key))


def _finish(vr: ValueRuns, s: RunState, w: Work, Y) -> Propagation:
    Y, alone = solved(vr, w, Y)
    return finish(vr.c, ATTRIBUTES, Y, w.C, w.keys, s.negative, w.inj, vr.rtol, alone,
                  w.U[alone] @ w.C)
