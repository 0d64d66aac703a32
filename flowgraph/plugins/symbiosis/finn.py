"""The Finn cycling index of ecological network analysis (Finn 1976, J. Theor. Biol. 56,
363-380; Finn 1980), on the flow quantities of one balance layer.

Compartments are the actors (firms) or, with level='node', every node inside the boundary.
With f_ij the flow from compartment i to j, z_j the imports from the environment (sources)
and y_i the exports to it (sinks), the throughflow of compartment i is

    T_i = max(z_i + sum_k f_ki, sum_k f_ik + y_i)

(the two are equal at steady state; where the data do not close, the larger side is taken and
the difference treated as an unrecorded exchange with the environment). With the output
fractions q_ij = f_ij / T_i and the structure matrix N = (I - Q)^-1, n_ii - 1 counts the
expected returns to i of what passes through it, so the share of T_i that is cycled is
(n_ii - 1) / n_ii, and

    FCI = TST_c / TST = sum_i ((n_ii - 1) / n_ii) T_i / sum_i T_i.

For two compartments passing fractions a (A to B) and b (B to A) of their throughflow,
n_AA = n_BB = 1 / (1 - ab) and FCI = ab. Unknown quantities count as zero: the index is then
that of the known flows, and `finn(result).coverage` says how many exchanges were unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ...errors import SingularError
from ...model.network import BOUNDARY
from .park import park

#: above this many compartments the diagonal of N is found by sparse LU, column blocks
DENSE_LIMIT = 1500


@dataclass
class Finn:
    """Finn's cycling index with its parts."""

    index: float
    tst: float                 # total system throughflow
    cycled: float              # TST_c
    compartments: pd.DataFrame  # throughflow T, n_ii, cycling efficiency (n_ii - 1) / n_ii
    unknown_flows: int         # flows between compartments with unknown quantity (counted 0)
    layer: str
    level: str


def finn_cycling_index(result, layer: str = "mass", level: str = "firm") -> float:
    """Finn's cycling index (FCI) of the network's flows in `layer`: the share of total
    system throughflow that is cycled. level='firm' treats each firm as one compartment
    (flows inside a firm are inside its compartment); level='node' uses every node."""
    return finn(result, layer, level).index


def finn(result, layer: str = "mass", level: str = "firm") -> Finn:
    """The Finn cycling index with throughflows and cycling efficiencies per compartment."""
    p = park(result, layer)
    res = p.result
    c = res.compiled
    if level == "firm":
        comp = p.node_actor
        names = p.actors
    elif level == "node":
        inside = ~np.isin(c.node_kind, list(BOUNDARY))
        comp = np.where(inside, np.cumsum(inside) - 1, -1)
        names = c.node_ids[inside]
    else:
        raise ValueError("level must be 'firm' or 'node'")
    n = len(names)
    amount = p.amount
    known = np.isfinite(amount)
    a = np.where(known, amount, 0.0)
    ci, cj = comp[c.tail], comp[c.head]
    internal = (ci >= 0) & (cj >= 0) & (ci != cj)
    F = sp.csr_matrix((a[internal], (ci[internal], cj[internal])), shape=(n, n))
    z = np.bincount(cj[(ci < 0) & (cj >= 0)], weights=a[(ci < 0) & (cj >= 0)], minlength=n)
    y = np.bincount(ci[(ci >= 0) & (cj < 0)], weights=a[(ci >= 0) & (cj < 0)], minlength=n)
    inflow = z + np.asarray(F.sum(axis=0)).ravel()
    outflow = y + np.asarray(F.sum(axis=1)).ravel()
    T = np.maximum(inflow, outflow)
    unknown = int((internal & ~known).sum())
    nii = _structure_diagonal(F, T, names)
    eff = np.where(T > 0, (nii - 1.0) / nii, 0.0)
    tst = float(T.sum())
    cycled = float((eff * T).sum())
    table = pd.DataFrame({"throughflow": T, "inflow": inflow, "outflow": outflow,
                          "n_ii": nii, "cycling_efficiency": eff}, index=names)
    table.index.name = "compartment"
    return Finn(cycled / tst if tst > 0 else 0.0, tst, cycled, table, unknown, layer, level)


def _structure_diagonal(F: sp.csr_matrix, T: np.ndarray, names) -> np.ndarray:
    """diag((I - Q)^-1) with q_ij = f_ij / T_i; compartments with T = 0 get n_ii = 1."""
    n = len(T)
    if n == 0:
        return np.zeros(0)
    inv_t = np.divide(1.0, T, out=np.zeros(n), where=T > 0)
    Q = sp.diags(inv_t) @ F
    A = (sp.identity(n, format="csc") - Q).tocsc()
    closed = np.isclose(np.asarray(Q.sum(axis=1)).ravel(), 1.0, rtol=0, atol=1e-12)
    try:
        if n <= DENSE_LIMIT:
            N = np.linalg.inv(A.toarray())
            diag = np.diag(N).copy()
        else:
            lu = spla.splu(A)
            diag = np.empty(n)
            for start in range(0, n, 256):
                stop = min(start + 256, n)
                eye = np.zeros((n, stop - start))
                eye[np.arange(start, stop), np.arange(stop - start)] = 1.0
                diag[start:stop] = lu.solve(eye)[np.arange(start, stop), np.arange(stop - start)]
    except (np.linalg.LinAlgError, RuntimeError):
        diag = np.full(n, np.inf)
    if not np.all(np.isfinite(diag)) or np.any(diag < 1.0 - 1e-9):
        who = [str(names[i]) for i in np.flatnonzero(closed)][:8]
        raise SingularError("Finn cycling index: the flows form a closed loop with no exchange "
                            "with the environment (everything is cycled for ever)"
                            + (f"; compartments passing on all they receive: {', '.join(who)}"
                               if who else ""), nodes=who)
    return diag
