"""`flowgraph check`: what the balance system looks like and what is wrong with it,
without raising: counts, residual per node and layer, what is under- or over-determined,
and notes on carriers and prices a user should look at."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import FlowgraphError, SingularError
from .balance import CONSISTENCY_RTOL, solve_balance
from .compiled import compile_network
from .diagnosis import describe_structure, residual_table, row_scale


@dataclass
class CheckReport:
    """The diagnosis of a network's balance system."""

    status: str                      # ok, under-determined, inconsistent, singular, invalid
    message: str = ""
    counts: dict = field(default_factory=dict)
    residuals: pd.DataFrame = field(default_factory=pd.DataFrame)
    undetermined: list = field(default_factory=list)
    surplus: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

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
        if not self.surplus.empty:
            lines.append("surplus equations (over-determined part), residual = in - out - stock:")
            lines.append(self.surplus.to_string(index=False))
        if not self.residuals.empty:
            lines.append("balance per node and layer (closed layers must have residual 0):")
            lines.append(self.residuals.to_string(index=False))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def check_network(net, rtol: float = CONSISTENCY_RTOL) -> CheckReport:
    try:
        c = compile_network(net)
    except FlowgraphError as exc:
        return CheckReport("invalid", str(exc))
    notes = _notes(c)
    try:
        bal = solve_balance(c, strict=False)
    except SingularError as exc:
        return CheckReport("singular", str(exc), notes=notes)
    counts = describe_structure(c, bal)
    red = bal.reduced
    x = bal.x
    table = residual_table(c, np.nan_to_num(x, nan=0.0))
    surplus = pd.DataFrame()
    status, message = "ok", "the balances determine every flow"
    undetermined = []
    if counts["degrees_of_freedom"]:
        status = "under-determined"
        undetermined = list(c.flow_ids[np.isnan(x)])
        message = (f"{counts['degrees_of_freedom']} degree(s) of freedom: the flows listed "
                   f"below are fixed by nothing")
    if len(bal.surplus_rows):
        rows = bal.surplus_rows
        scale = row_scale(c, red, np.nan_to_num(np.abs(x), nan=0.0), rows)
        consistent = np.abs(bal.surplus_residual) <= rtol * np.maximum(scale, 1e-300)
        surplus = pd.DataFrame({
            "node": c.node_ids[red.row_node[rows]],
            "layer": np.array(c.layers, dtype=object)[red.row_layer[rows]],
            "equation": np.where(red.row_kind[rows] == 1, "balance", "inflow"),
            "residual": bal.surplus_residual, "consistent": consistent})
        if not consistent.all():
            status = "inconsistent" if status == "ok" else status + ", inconsistent"
            message += (f"; {int((~consistent).sum())} surplus equation(s) contradict the data")
        elif status == "ok":
            message = (f"every flow is determined; {len(rows)} surplus equation(s) "
                       f"hold within tolerance (redundant data agree)")
    table = table.sort_values(["closed", "node"], ascending=[False, True])
    return CheckReport(status, message, counts, table, undetermined, surplus, notes)


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
