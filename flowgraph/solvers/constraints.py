"""The balance equations of a network as constraints F(x, s) = 0 on flow quantities x and
transfer coefficients s, for data reconciliation.

One row per closed (node, layer) balance, per transfer coefficient (share) and per recipe,
built from the compiled arrays in one go (sparse incidence products, no per-flow loop):

    balance   sum(w x_in) - sum(w x_out) - stock = 0
    share     w_e x_e - s_e * sum(w_f x_f over the inflows of e's source node) = 0
    recipe    x_e - r_e x_per = 0

A share row is bilinear in s_e and the node inflow, so F is linear in x for fixed shares:
F = (J0 - diag(s_row) P) x - b. Each flow is measured (quantity with sigma), exact (quantity
without sigma) or unknown (anything else); each share is measured (share_sigma) or exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..errors import InconsistentError, ModelError
from .compiled import Compiled
from .specs import KNOWN, PER, SHARE

EXACT, MEASURED, UNKNOWN = 0, 1, 2
STATUS_NAMES = np.array(["exact", "measured", "unknown"], dtype=object)
BALANCE, SHARE_ROW, RECIPE = 0, 1, 2
#: exact shares at a node summing to 1 within this make its balance in that layer implied
SUM_TOL = 1e-12


@dataclass
class Constraints:
    """F(x, s) = (J0 - diag(s_row) P) x - b, with the variables sorted into measured,
    exact and unknown. Measured variables y = [measured quantities; measured shares]."""

    compiled: Compiled
    J0: sp.csr_matrix            # constant part of dF/dx
    P: sp.csr_matrix             # share rows: w of each inflow of the share's node
    b: np.ndarray
    row_kind: np.ndarray         # BALANCE, SHARE_ROW or RECIPE
    row_node: np.ndarray         # node of a balance (or of a share's source), -1 for recipes
    row_layer: np.ndarray        # layer of a balance or share, -1 for recipes
    row_flow: np.ndarray         # flow of a share or recipe row, -1 for balances
    status: np.ndarray           # per flow: EXACT, MEASURED or UNKNOWN
    sigma: np.ndarray            # per flow: standard uncertainty of a measured quantity, else 0
    measured: np.ndarray         # flow indices of measured quantities
    unknown: np.ndarray          # flow indices of unknown quantities
    share_flows: np.ndarray      # flow indices of measured shares
    share_sigma: np.ndarray      # their standard uncertainties
    implied: np.ndarray          # (node, layer) keys whose balance exact shares already imply
    groups: dict                 # row -> node indices of a balance summed over several nodes
    dropped: np.ndarray          # flows whose quantity or share is ignored (now unknown)

    @property
    def n_rows(self) -> int:
        return self.J0.shape[0]

    @property
    def n_y(self) -> int:
        return len(self.measured) + len(self.share_flows)

    @property
    def bilinear(self) -> bool:
        """True when transfer coefficients are measured: the constraints are bilinear."""
        return len(self.share_flows) > 0

    def y0(self) -> np.ndarray:
        """The measured values: quantities, then shares."""
        c = self.compiled
        return np.concatenate([c.value[self.measured], c.share[self.share_flows]])

    def sigma_y(self) -> np.ndarray:
        return np.concatenate([self.sigma[self.measured], self.share_sigma])

    def flows(self, y: np.ndarray, u: np.ndarray) -> np.ndarray:
        """All flow quantities: exact values, measured from y, unknown from u."""
        x = np.where(self.status == EXACT, self.compiled.value, 0.0)
        x[self.measured] = y[:len(self.measured)]
        x[self.unknown] = u
        return x

    def shares(self, y: np.ndarray) -> np.ndarray:
        """Per flow: its share (exact, or measured from y); 0 for flows without one."""
        s = np.where(self.compiled.spec == SHARE, self.compiled.share, 0.0)
        s[self.share_flows] = y[len(self.measured):]
        return s

    def jacobian_x(self, s: np.ndarray) -> sp.csr_matrix:
        """dF/dx for shares s (per flow)."""
        s_row = np.where(self.row_flow >= 0, s[np.maximum(self.row_flow, 0)], 0.0)
        s_row[self.row_kind != SHARE_ROW] = 0.0
        return (self.J0 - sp.diags(s_row) @ self.P).tocsr()

    def residual(self, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        return self.jacobian_x(s) @ x - self.b

    def blocks(self, x: np.ndarray, s: np.ndarray):
        """A = dF/dy (measured columns) and B = dF/du (unknown columns), both CSC."""
        Jx = self.jacobian_x(s).tocsc()
        B = Jx[:, self.unknown]
        A_x = Jx[:, self.measured]
        if not len(self.share_flows):
            return A_x, B
        inflow = self.P @ x
        rows = self.share_rows
        A_s = sp.csc_matrix((-inflow[rows], (rows, np.arange(len(rows)))),
                            shape=(self.n_rows, len(rows)))
        return sp.hstack([A_x, A_s], format="csc"), B

    @property
    def share_rows(self) -> np.ndarray:
        """The row of each measured share's equation."""
        row_of_flow = np.full(self.compiled.n_flows, -1, dtype=np.int64)
        sel = self.row_kind == SHARE_ROW
        row_of_flow[self.row_flow[sel]] = np.flatnonzero(sel)
        return row_of_flow[self.share_flows]

    def pattern_B(self) -> sp.csr_matrix:
        """Where B can be non-zero whatever the share values (for structure analysis)."""
        pat = (abs(self.J0) + abs(self.P)).tocsc()[:, self.unknown].tocsr()
        pat.data[:] = 1.0
        return pat

    def term_scale(self, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Per row: the sum of |terms|, the yardstick a residual is measured against."""
        ax = np.abs(np.nan_to_num(x))
        s_row = np.where(self.row_kind == SHARE_ROW, np.abs(s[np.maximum(self.row_flow, 0)]), 0.0)
        return abs(self.J0) @ ax + s_row * (abs(self.P) @ ax) + np.abs(self.b)

    def row_flows(self, rows) -> np.ndarray:
        """Flow indices that appear in the given rows."""
        rows = np.asarray(rows, dtype=np.int64)
        pat = (abs(self.J0) + abs(self.P)).tocsr()[rows]
        return np.unique(pat.indices)

    def describe_row(self, r: int) -> str:
        c = self.compiled
        kind = self.row_kind[r]
        if kind == BALANCE and r in self.groups:
            return (f"{c.layers[self.row_layer[r]]} balance of nodes "
                    f"{c.node_names(self.groups[r])} taken together")
        if kind == BALANCE:
            n = self.row_node[r]
            return f"{c.layers[self.row_layer[r]]} balance of node '{c.node_ids[n]}'{c.where_node(n)}"
        f = self.row_flow[r]
        what = "transfer coefficient" if kind == SHARE_ROW else "recipe"
        return f"{what} of flow '{c.flow_ids[f]}'{c.where_flow(f)}"


def build_constraints(c: Compiled, drop=()) -> Constraints:
    """The constraint rows and variable classes of a compiled network. Flows in `drop` have
    their quantity or share ignored: their quantity becomes unknown (serial elimination of
    a suspected gross error, or of one of two contradicting exact values)."""
    status, sigma, share_flows, share_sigma = _classify(c)
    dropped = _dropped(c, drop)
    status[dropped] = UNKNOWN
    sigma[dropped] = 0.0
    keep = ~np.isin(share_flows, dropped)
    share_flows, share_sigma = share_flows[keep], share_sigma[keep]
    L = len(c.layers)
    nk = c.n_nodes * L
    inc_f, inc_l = np.nonzero(c.W)
    w = c.W[inc_f, inc_l]
    head_key = c.head[inc_f] * L + inc_l
    tail_key = c.tail[inc_f] * L + inc_l
    inc_in = sp.csr_matrix((w, (head_key, inc_f)), shape=(nk, c.n_flows))
    inc_out = sp.csr_matrix((w, (tail_key, inc_f)), shape=(nk, c.n_flows))

    # balances: closed keys that flows touch or that hold a stock change
    touched = np.zeros(nk, dtype=bool)
    touched[head_key] = True
    touched[tail_key] = True
    bal_key = np.flatnonzero(c.closed.ravel() & (touched | (c.stock.ravel() != 0)))
    implied = _implied_balances(c, bal_key, dropped, share_flows, inc_out)
    bal_key = np.setdiff1d(bal_key, implied)
    J_bal = (inc_in - inc_out)[bal_key]
    b_bal = c.stock.ravel()[bal_key]
    J_bal, b_bal, groups = _aggregate(c, J_bal, b_bal, bal_key, status == UNKNOWN)

    # shares: w_e x_e - s_e * inflow(tail e, primary e)
    sh = np.setdiff1d(np.flatnonzero(c.spec == SHARE), dropped)
    sh_key = c.tail[sh] * L + c.primary[sh]
    J_sh = sp.csr_matrix((c.W[sh, c.primary[sh]], (np.arange(len(sh)), sh)),
                         shape=(len(sh), c.n_flows))
    P_sh = inc_in[sh_key]

    # recipes: x_e - r x_per
    pe = np.flatnonzero(c.spec == PER)
    J_pe = sp.csr_matrix((np.concatenate([np.ones(len(pe)), -c.ratio[pe]]),
                          (np.concatenate([np.arange(len(pe))] * 2),
                           np.concatenate([pe, c.per_index[pe]]))),
                         shape=(len(pe), c.n_flows))

    nb, ns, npe = len(bal_key), len(sh), len(pe)
    J0 = sp.vstack([J_bal, J_sh, J_pe], format="csr")
    P = sp.vstack([sp.csr_matrix((nb, c.n_flows)), P_sh, sp.csr_matrix((npe, c.n_flows))],
                  format="csr")
    J0.sum_duplicates()
    J0.eliminate_zeros()
    b = np.concatenate([b_bal, np.zeros(ns + npe)])
    row_kind = np.concatenate([np.full(nb, BALANCE), np.full(ns, SHARE_ROW),
                               np.full(npe, RECIPE)]).astype(np.int8)
    row_node = np.concatenate([bal_key // L, c.tail[sh], np.full(npe, -1)]).astype(np.int64)
    row_layer = np.concatenate([bal_key % L, c.primary[sh], np.full(npe, -1)]).astype(np.int64)
    row_flow = np.concatenate([np.full(nb, -1), sh, pe]).astype(np.int64)
    return Constraints(c, J0, P, b, row_kind, row_node, row_layer, row_flow, status, sigma,
                       np.flatnonzero(status == MEASURED), np.flatnonzero(status == UNKNOWN),
                       share_flows, share_sigma, implied, groups, dropped)


def _aggregate(c: Compiled, J_bal, b_bal, bal_key, unknown):
    """Balances of nodes joined by unknown flows, with no unknown flow leaving the group,
    are dependent in the unknowns (their sum holds only known flows), which the structure
    analysis cannot see. Replace one balance of each such group by the group's sum: the same
    equations, but the dependence is now in the pattern (a row without unknowns).
    Returns the new rows, right-hand sides and {row: node indices of its group}."""
    L = len(c.layers)
    nb = len(bal_key)
    if not nb or not unknown.any():
        return J_bal, b_bal, {}
    row_of_key = np.full(c.n_nodes * L, -1, dtype=np.int64)
    row_of_key[bal_key] = np.arange(nb)
    f, lay = np.nonzero(c.W[unknown])
    f = np.flatnonzero(unknown)[f]
    rt = row_of_key[c.tail[f] * L + lay]
    rh = row_of_key[c.head[f] * L + lay]
    inner = (rt >= 0) & (rh >= 0) & (rt != rh)
    g = sp.csr_matrix((np.ones(int(inner.sum())), (rt[inner], rh[inner])), shape=(nb, nb))
    ncomp, label = connected_components(g, directed=False)
    size = np.bincount(label, minlength=ncomp)
    exit_rows = np.concatenate([rt[(rt >= 0) & (rh < 0)], rh[(rh >= 0) & (rt < 0)]])
    has_exit = np.zeros(ncomp, dtype=bool)
    has_exit[label[exit_rows]] = True
    comps = np.flatnonzero((size > 1) & ~has_exit)
    if not len(comps):
        return J_bal, b_bal, {}
    member = np.isin(label, comps)
    first = np.full(ncomp, -1, dtype=np.int64)
    rows = np.flatnonzero(member)
    first[label[rows[::-1]]] = rows[::-1]          # lowest row of each group
    S = sp.csr_matrix((np.ones(len(rows)), (first[label[rows]], rows)), shape=(nb, nb))
    keep = ~np.isin(np.arange(nb), first[comps])
    E = sp.diags(keep.astype(float)) + S
    J_new = (E @ J_bal).tocsr()
    J_new.sum_duplicates()
    J_new.eliminate_zeros()
    groups = {int(first[k]): np.sort(bal_key[label == k] // L) for k in comps}
    return J_new, E @ b_bal, groups


def _dropped(c: Compiled, drop) -> np.ndarray:
    ids = list(drop)
    if not ids:
        return np.zeros(0, dtype=np.int64)
    idx = c.flow_ids.get_indexer(ids)
    bad = [i for i, j in zip(ids, idx) if j < 0 or c.spec[j] not in (KNOWN, SHARE)]
    if bad:
        raise ModelError(f"cannot drop {', '.join(repr(b) for b in bad)}: only a flow with a "
                         f"quantity or a share can have it dropped", flows=bad)
    return np.unique(idx)


def _classify(c: Compiled):
    """Measured, exact or unknown per flow; measured shares. Sigma where it means nothing
    (no quantity, no share) is an error, not silently ignored."""
    frame = c.network.flow_frame()
    sigma = np.nan_to_num(frame["sigma"].to_numpy(float), nan=0.0)
    share_sigma = np.nan_to_num(frame["share_sigma"].to_numpy(float), nan=0.0)
    for values, spec, what, needs in ((sigma, KNOWN, "sigma", "a measured quantity"),
                                      (share_sigma, SHARE, "share_sigma",
                                       "a measured transfer coefficient (share)")):
        bad = np.flatnonzero((values > 0) & (c.spec != spec))
        if len(bad):
            i = bad[0]
            raise ModelError(f"flow '{c.flow_ids[i]}'{c.where_flow(i)} has {what} "
                             f"{values[i]:g} but no {'quantity' if spec == KNOWN else 'share'}: "
                             f"{what} is the standard uncertainty of {needs}",
                             flows=list(c.flow_ids[bad]), origin=c.origin_of_flow(i))
    status = np.full(c.n_flows, UNKNOWN, dtype=np.int8)
    status[c.spec == KNOWN] = EXACT
    status[(c.spec == KNOWN) & (sigma > 0)] = MEASURED
    share_flows = np.flatnonzero((c.spec == SHARE) & (share_sigma > 0))
    return status, np.where(status == MEASURED, sigma, 0.0), share_flows, share_sigma[share_flows]


def _implied_balances(c: Compiled, bal_key, dropped, share_flows, inc_out) -> np.ndarray:
    """Balances that exact shares already state: every output of the node in that layer is
    an exact share of it and the shares sum to 1. Keeping such a row would make the system
    singular (it is the sum of the share rows); with a stock change it contradicts them."""
    L = len(c.layers)
    exact_share = (c.spec == SHARE)
    exact_share[share_flows] = False
    exact_share[dropped] = False
    sh = np.flatnonzero(exact_share)
    if not len(sh) or not len(bal_key):
        return np.zeros(0, dtype=np.int64)
    key = c.tail[sh] * L + c.primary[sh]
    total = np.bincount(key, weights=c.share[sh], minlength=c.n_nodes * L)
    n_share_out = np.bincount(key, minlength=c.n_nodes * L)
    n_out = np.diff(inc_out.indptr)
    cand = bal_key[(np.abs(total[bal_key] - 1.0) <= SUM_TOL) & (n_out[bal_key] == n_share_out[bal_key])]
    stock = c.stock.ravel()[cand]
    if np.any(stock != 0):
        k = int(cand[np.flatnonzero(stock != 0)[0]])
        node, lay = divmod(k, L)
        members = sh[key == k]
        raise InconsistentError(
            f"exact data contradict each other: the exact shares leaving node "
            f"'{c.node_ids[node]}'{c.where_node(node)} in the {c.layers[lay]} layer sum to 1 "
            f"({c.flow_names(members)}), so nothing stays, but the node has a stock change of "
            f"{c.stock.ravel()[k]:g}; give a share a share_sigma or remove the stock change",
            nodes=[c.node_ids[node]], flows=list(c.flow_ids[members]))
    return cand
