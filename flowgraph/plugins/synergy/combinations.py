"""Solve the network with subsets of the technologies and read interactions off them.

Each subset is the base network with the edits of its technologies applied in technology order
(Scenario.combine) and solved by the case's Solver, so the derived networks share the base's
factorisations. A technology that changes only known quantities (or prices and factors) leaves
the balance matrix as it was: subsets are solved grouped by their structure-changing
technologies, so that those differing only in such quantities reuse one factorisation.

The interaction of a subset S is the Moebius inversion of the effects E (savings against the
base) over its subsets, I(S) = sum over T in S of (-1)^(|S|-|T|) E(T): for a pair,
E(ab) - E(a) - E(b). It is zero when the technologies' effects add up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import FlowgraphError
from ...model.scenario import Scenario
from .effects import measure, savings, unit_of

#: carrier changes that leave every balance weight as it was
_FACTOR_KEYS = {"price", "tce", "co2", "label", "cost_category"}


@dataclass
class Solved:
    """One subset of technologies: its network, result totals, or why it could not be solved."""

    subset: tuple
    network: object = None
    result: object = None
    totals: pd.Series | None = None
    error: str | None = None
    factorised: bool = False          # a new balance factorisation was computed for it


def structural(tech, base) -> bool:
    """Whether a technology's edits can change the balance matrix (anything but new known
    quantities, or prices and factors of carriers)."""
    flows = base.flow_frame()
    for e in tech.scenario.edits:
        keys = set(e.values)
        if e.op == "set_carrier" and keys <= _FACTOR_KEYS:
            continue
        if e.op in ("set_flow", "scale_flow") and e.target in flows.index \
                and pd.notna(flows.at[e.target, "quantity"]) \
                and keys <= {"quantity", "unit", "factor", "price"}:
            continue
        return True
    return False


def subsets(techs, order: int | None) -> list[tuple]:
    """Every subset of the technologies' keys up to `order` members (all when None), in
    technology order within each subset."""
    keys = [t.key for t in techs]
    top = len(keys) if order is None else min(order, len(keys))
    return [c for n in range(1, top + 1) for c in itertools.combinations(keys, n)]


def solve_subsets(solve, base_net, techs, wanted: list[tuple], settings, keep=None,
                  base_solver=None) -> dict:
    """Solve each subset with `solve(network, scenario=name)` (the case's Solver, Case.solve);
    returns {subset: Solved}. `keep(subset)` says whose network to keep (default: single
    technologies; their results are kept too); the others keep their totals. `base_solver` is
    the balance solver of the base's result (the last one factorised)."""
    by_key = {t.key: t for t in techs}
    moves = {t.key: structural(t, base_net) for t in techs}
    keep = keep or (lambda s: len(s) == 1)
    ordered = sorted(wanted, key=lambda s: (tuple(k for k in s if moves[k]), len(s), s))
    out: dict = {}
    previous = base_solver
    for sub in ordered:
        scs = [by_key[k].scenario for k in sub]
        sc = scs[0] if len(scs) == 1 else Scenario.combine(" + ".join(sub), scs)
        solved = Solved(sub)
        try:
            net = base_net.apply(sc)
            res = solve(net, scenario=sc.name)
        except FlowgraphError as exc:
            solved.error = str(exc)
            out[sub] = solved
            continue
        solver = res.balance.solver
        solved.factorised = solver is not None and solver is not previous
        previous = solver if solver is not None else previous
        solved.totals = measure(res, settings)
        if keep(sub):
            solved.network = net
            solved.result = res if len(sub) == 1 else None
        out[sub] = solved
    return out


def interactions(base_totals: pd.Series, solved: dict, settings) -> pd.DataFrame:
    """Interaction of every solved subset of two or more technologies whose own subsets are all
    solved: one row per effect item, with the combined effect, the sum of the members' own
    effects and whether the interaction is significant."""
    effects = {(): pd.Series(0.0, index=base_totals.index)}
    for sub, s in solved.items():
        if s.totals is not None:
            effects[sub] = savings(base_totals, s.totals)
    rows = []
    for sub in sorted((s for s in effects if len(s) >= 2), key=lambda s: (len(s), s)):
        parts = [t for n in range(len(sub) + 1) for t in itertools.combinations(sub, n)]
        if any(p not in effects for p in parts):
            continue
        index = effects[sub].index
        for p in parts:
            index = index.union(effects[p].index, sort=False)
        total = pd.Series(0.0, index=index)
        for p in parts:
            total = total + (-1) ** (len(sub) - len(p)) * effects[p].reindex(index, fill_value=0.0)
        singles = sum(effects[(k,)].reindex(index, fill_value=0.0) for k in sub)
        scale = sum(effects[(k,)].reindex(index, fill_value=0.0).abs() for k in sub)
        frame = pd.DataFrame({"combined": effects[sub].reindex(index, fill_value=0.0),
                              "sum_of_singles": singles, "interaction": total,
                              "scale": scale})
        frame.index = index
        frame = frame[(frame["interaction"] != 0) | (frame["combined"] != 0)]
        for (cat, item), r in frame.iterrows():
            limit = max(settings.threshold(cat) if cat != "value" else 0.0,
                        settings.interaction_rtol * r["scale"],
                        settings.rtol * max(abs(base_totals.get((cat, item), 0.0)), 1.0))
            rows.append({"subset": " + ".join(sub), "order": len(sub), "category": cat,
                         "item": item, "unit": unit_of(cat, item), "combined": r["combined"],
                         "sum_of_singles": r["sum_of_singles"],
                         "interaction": r["interaction"],
                         "significant": cat != "value" and abs(r["interaction"]) > limit})
    cols = ["subset", "order", "category", "item", "unit", "combined", "sum_of_singles",
            "interaction", "significant"]
    return pd.DataFrame(rows, columns=cols)


def interaction_verdicts(table: pd.DataFrame, settings) -> dict:
    """Per subset: whether it interacts (under settings.interaction_sign), the sign
    ('reinforcing': more saving together than apart, 'overlap': less, 'mixed') and a line of
    detail naming the significant items."""
    out = {}
    for sub, g in table.groupby("subset", sort=False):
        sig = g[g["significant"]]
        if sig.empty:
            out[sub] = {"interacts": False, "sign": "", "detail": ""}
            continue
        pos, neg = bool((sig["interaction"] > 0).any()), bool((sig["interaction"] < 0).any())
        sign = "mixed" if pos and neg else ("reinforcing" if pos else "overlap")
        wanted = settings.interaction_sign
        interacts = wanted == "any" or sign == wanted or sign == "mixed"
        detail = "; ".join(f"{r.item if r.category in ('material', 'pollutant') else r.category}"
                           f" {r.interaction:+,.4g} {r.unit}" for r in sig.itertuples())
        out[sub] = {"interacts": interacts, "sign": sign, "detail": detail}
    return out


def factorisations(solved: dict) -> tuple[int, int]:
    """(solves, factorisations computed) over the solved subsets."""
    ok = [s for s in solved.values() if s.totals is not None]
    return len(ok), int(np.sum([s.factorised for s in ok]))
