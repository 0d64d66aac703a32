"""`flowgraph check`: what the balance system looks like and what is wrong with it,
without raising: counts, residual per node and layer, what is under- or over-determined,
flows forced below zero, values beyond the float range, and notes on carriers and prices a
user should look at. Its `ok` is whether solve() returns a result."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import AllocationError, FlowgraphError, NonFiniteError, SingularError, name_list
from .balance import CONSISTENCY_RTOL, solve_balance
from .compiled import compile_network
from .diagnosis import (
    describe_structure,
    equation,
    flow_rows,
    negative_lines,
    nonfinite_flows_error,
    residual_table,
    row_scale,
    screen_flows,
)
from .propagate import propagate

OK = "ok"
#: a case with strict = false whose data leave flows undetermined: solve returns it
OK_UNDETERMINED = "ok, undetermined allowed (strict = false)"


@dataclass
class CheckReport:
    """The diagnosis of a network's balance system."""

    status: str        # ok, OK_UNDETERMINED, or what is wrong: under-determined, inconsistent,
    #                    negative, non-finite (joined by ', '), singular, allocation, invalid
    message: str = ""
    counts: dict = field(default_factory=dict)
    residuals: pd.DataFrame = field(default_factory=pd.DataFrame)
    undetermined: list = field(default_factory=list)
    surplus: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list = field(default_factory=list)
    #: flows the balances force below zero: flow, quantity, unit, forced by
    negative: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        """Whether solve() returns a result (undetermined flows allowed by strict = false)."""
        return self.status in (OK, OK_UNDETERMINED)

    @property
    def warning(self) -> str:
        """One line for `run` to print when a non-strict case leaves flows undetermined
        ('' otherwise)."""
        if self.status != OK_UNDETERMINED:
            return ""
        return (f"{len(self.undetermined)} flow(s) left undetermined (strict = false), shown "
                f"as unknown and counted as 0 in values: {name_list(self.undetermined)}")

    def __str__(self) -> str:
        lines = [f"status: {self.status}"]
        if self.message:
            lines.append(self.message)
        if self.counts:
            c = self.counts
            lines.append(f"flows {c['flows']}: {c['known']} known, {c['shares']} shares, "
                         f"{c['recipes']} recipes, {c['unknown']} unknown; "
                         f"{c['balance_equations']} balance equations; degrees of freedom "
                         f"{c['degrees_of_freedom']}; surplus equations {c['surplus_equations']}")
        if self.undetermined:
            lines.append("under-determined flows: " + ", ".join(map(str, self.undetermined)))
        if not self.negative.empty:
            lines.append("negative flows (forced below zero by the balance named):")
            lines.append(self.negative.to_string(index=False))
        if not self.surplus.empty:
            lines.append("surplus equations (over-determined part), residual = in - out - stock:")
            lines.append(self.surplus.to_string(index=False))
        if not self.residuals.empty:
            lines.append("balance per node and layer (closed layers must have residual 0):")
            lines.append(self.residuals.to_string(index=False))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def check_network(net, rtol: float = CONSISTENCY_RTOL, strict: bool = True) -> CheckReport:
    """Diagnose `net` as Solver.solve would solve it (`strict` as the solver's): the same
    balance, the same screens for negative and non-finite flows, the same propagation."""
    try:
        c = compile_network(net)
    except FlowgraphError as exc:
        return CheckReport("invalid", str(exc))
    notes = _notes(c)
    try:
        bal = solve_balance(c, strict=False, diagnose=True, rtol=rtol)
    except (SingularError, NonFiniteError) as exc:
        return CheckReport(_status_of(exc), str(exc), notes=notes)
    counts = describe_structure(c, bal)
    dof = counts["degrees_of_freedom"]
    x = bal.x
    screened = screen_flows(c, bal.reduced, bal.structure, x, rtol, bal.undetermined)
    surplus = _surplus(c, bal, x, rtol)
    problems = []
    if strict and dof:
        problems.append(("under-determined", f"{dof} degree(s) of freedom: the flows listed "
                         f"below are fixed by nothing"))
    if not surplus.empty and not surplus["consistent"].all():
        problems.append(("inconsistent", f"{int((~surplus['consistent']).sum())} surplus "
                         f"equation(s) contradict the data"))
    if len(screened.nonfinite):
        problems.append(("non-finite", str(nonfinite_flows_error(c, screened.nonfinite))))
    if len(screened.negative):
        problems.append(("negative", "flows forced below zero: " + "; ".join(
            negative_lines(c, bal.reduced, bal.structure, x, screened.negative))))
    if not problems:
        problems += _value_problems(c, x, rtol)
    if problems:
        status, message = ", ".join(s for s, _ in problems), "; ".join(m for _, m in problems)
    elif dof:
        status, message = OK_UNDETERMINED, (f"{dof} degree(s) of freedom, allowed by strict = "
                                            f"false: the flows listed below are left "
                                            f"undetermined")
    elif not surplus.empty:
        status, message = OK, (f"every flow is determined; {len(surplus)} surplus equation(s) "
                               f"hold within tolerance (redundant data agree)")
    else:
        status, message = OK, "the balances determine every flow"
    table = residual_table(c, np.nan_to_num(x, nan=0.0))
    table = table.sort_values(["closed", "node"], ascending=[False, True])
    return CheckReport(status, message, counts, table,
                       list(c.flow_ids[np.isnan(x)]) if dof else [], surplus, notes,
                       _negative_table(c, bal, x, screened.negative))


def _value_problems(c, x, rtol) -> list:
    """Propagate value as solve does: what goes wrong, as (status, message), if anything."""
    try:
        propagate(c, np.nan_to_num(x, nan=0.0), rtol=rtol)
    except FlowgraphError as exc:
        return [(_status_of(exc), str(exc))]
    return []


def _status_of(exc: FlowgraphError) -> str:
    if isinstance(exc, NonFiniteError):
        return "non-finite"
    if isinstance(exc, AllocationError):
        return "allocation"
    return "singular" if isinstance(exc, SingularError) else "invalid"


def _surplus(c, bal, x, rtol) -> pd.DataFrame:
    """The surplus (over-determined) equations with their residuals and whether they hold."""
    rows = bal.surplus_rows
    if not len(rows):
        return pd.DataFrame()
    red = bal.reduced
    scale = row_scale(c, red, np.nan_to_num(np.abs(x), nan=0.0), rows)
    return pd.DataFrame({
        "node": c.node_ids[red.row_node[rows]],
        "layer": np.array(c.layers, dtype=object)[red.row_layer[rows]],
        "equation": np.where(red.row_kind[rows] == 1, "balance", "inflow"),
        "residual": bal.surplus_residual,
        "consistent": np.abs(bal.surplus_residual) <= rtol * np.maximum(scale, 1e-300)})


def _negative_table(c, bal, x, idx) -> pd.DataFrame:
    if not len(idx):
        return pd.DataFrame()
    rows = flow_rows(bal.reduced, bal.structure, idx)
    return pd.DataFrame({
        "flow": c.flow_ids[idx], "quantity": x[idx], "unit": c.unit[idx],
        "forced by": [equation(c, bal.reduced, r) if r >= 0 else "" for r in rows]})


def _notes(c) -> list[str]:
    notes = []
    net = c.network
    inferred = [n for n, car in net.carriers.items() if car.inferred]
    if inferred:
        notes.append("carriers not declared, taken from the data table or the flow unit: "
                     + ", ".join(inferred))
    nolayer = sorted({str(c.pair_carrier[j]) for j in np.flatnonzero(~(c.pair_W != 0).any(axis=1))})
    if nolayer:
        notes.append("carriers that count in no balance layer (give density, energy_content "
                     "or layers): " + ", ".join(map(str, nolayer)))
    bought = np.flatnonzero(c.node_kind[c.tail] == "source")
    bought = bought[np.isnan(c.prices(bought))]
    if len(bought):
        notes.append(f"{len(bought)} purchased flow(s) without a price (their cost counts as 0): "
                     + c.flow_names(bought, limit=5))
    return notes
