"""The structure of a sparse system from its pattern alone, before any number is used.

`structure` finds which unknowns no equation fixes (under-determined), which equations are
surplus (over-determined) and the square rest: the coarse Dulmage-Mendelsohn decomposition,
from a maximum matching. `peel_singletons` first takes off the unknowns that appear in one
equation only (a loss fixed by its node's balance), which halves the core of a plant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order
from scipy.sparse.csgraph import maximum_bipartite_matching as _matching


@dataclass
class Structure:
    """Coarse Dulmage-Mendelsohn decomposition of a rectangular sparse matrix."""

    row_match: np.ndarray   # column matched to each row, -1 if none
    col_match: np.ndarray   # row matched to each column, -1 if none
    under_cols: np.ndarray  # bool: column in the under-determined part
    under_rows: np.ndarray
    over_rows: np.ndarray   # bool: row in the over-determined part
    over_cols: np.ndarray

    @property
    def unmatched_rows(self) -> np.ndarray:
        return np.flatnonzero(self.row_match < 0)

    @property
    def unmatched_cols(self) -> np.ndarray:
        return np.flatnonzero(self.col_match < 0)

    @property
    def degrees_of_freedom(self) -> int:
        return int((self.col_match < 0).sum())


def structure(A: sp.csr_matrix) -> Structure:
    """Match rows to columns, then follow alternating paths from what stayed unmatched."""
    A = sp.csr_matrix(A)
    A.eliminate_zeros()
    m, n = A.shape
    pattern = sp.csr_matrix((np.ones(A.nnz, dtype=np.int8), A.indices, A.indptr), shape=A.shape)
    if m and n and A.nnz:
        row_match = np.asarray(_matching(pattern, perm_type="column"))
    else:
        row_match = np.full(m, -1, dtype=np.int32)
    col_match = np.full(n, -1, dtype=row_match.dtype)
    ok = row_match >= 0
    col_match[row_match[ok]] = np.flatnonzero(ok)
    under_rows, under_cols = _alternating(pattern.T.tocsr(), col_match, row_match, n, m)
    over_cols, over_rows = _alternating(pattern, row_match, col_match, m, n)
    return Structure(row_match, col_match, under_cols, under_rows, over_rows, over_cols)


def _alternating(adj: sp.csr_matrix, match_start, match_other, n_start, n_other):
    """Vertices reachable by alternating paths from unmatched vertices of the 'start' side.

    adj: start-side vertex -> other-side vertices (any nonzero); other -> its matched start.
    Returns (reached other-side mask, reached start-side mask).
    """
    seeds = np.flatnonzero(match_start < 0)
    reached_start = np.zeros(n_start, dtype=bool)
    reached_other = np.zeros(n_other, dtype=bool)
    if not len(seeds):
        return reached_other, reached_start
    # one graph over start (0..n_start-1), other (n_start..), and a super source (last)
    s_rows = np.repeat(np.arange(n_start), np.diff(adj.indptr))
    s_cols = adj.indices + n_start
    matched = np.flatnonzero(match_other >= 0)
    o_rows = matched + n_start
    o_cols = match_other[matched]
    src = n_start + n_other
    rows = np.concatenate([s_rows, o_rows, np.full(len(seeds), src)])
    cols = np.concatenate([s_cols, o_cols, seeds])
    g = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)),
                      shape=(src + 1, src + 1))
    order = breadth_first_order(g, src, directed=True, return_predecessors=False)
    order = order[order != src]
    reached_start[order[order < n_start]] = True
    reached_other[order[order >= n_start] - n_start] = True
    return reached_other, reached_start


@dataclass
class Peeling:
    """Column singletons taken out of a system before the rest is analysed and solved.

    A column that appears in one equation only is fixed by that equation alone, whatever
    the rest says; taking it out with its equation (and repeating, as a chain of unknown
    flows unravels) leaves the core system. `rounds` hold (rows, cols, coefficient) in the
    order peeled; back-substitution runs them in reverse.
    """

    rounds: list
    core_rows: np.ndarray
    core_cols: np.ndarray

    @property
    def n_peeled(self) -> int:
        return sum(len(r[0]) for r in self.rounds)

    def back_substitute(self, R: sp.csr_matrix, r: np.ndarray, z: np.ndarray) -> None:
        """Fill z at the peeled columns from their equations (NaN where inputs are NaN)."""
        for rows, cols, coef in reversed(self.rounds):
            z[cols] = 0.0
            z[cols] = (r[rows] - R[rows] @ z) / coef


def peel_singletons(R: sp.csr_matrix, max_rounds: int = 12, min_fraction: float = 0.001) -> Peeling:
    """Peel column singletons round by round, vectorised; stop when a round takes fewer
    than `min_fraction` of the remaining columns (the rest is left to the block solver).
    Each round touches only the candidate columns' and the removed rows' entries."""
    R = sp.csr_matrix(R)
    m, n = R.shape
    csc = R.tocsc()
    alive_r = np.ones(m, dtype=bool)
    alive_c = np.ones(n, dtype=bool)
    count = np.diff(csc.indptr).astype(np.int64)
    rounds = []
    for _ in range(max_rounds):
        cand = np.flatnonzero(alive_c & (count == 1))
        if not len(cand) or (rounds and len(cand) < min_fraction * alive_c.sum()):
            break
        pos, owner = _entries(csc.indptr, cand)
        live = alive_r[csc.indices[pos]]
        pos, owner = pos[live], owner[live]
        rows, cols, coef = csc.indices[pos], cand[owner], csc.data[pos]
        once = np.bincount(rows, minlength=m)[rows] == 1     # a row can fix one column only
        rows, cols, coef = rows[once], cols[once], coef[once]
        if not len(rows):
            break
        rounds.append((rows, cols, coef))
        alive_r[rows] = False
        alive_c[cols] = False
        rpos, _ = _entries(R.indptr, rows)
        count -= np.bincount(R.indices[rpos], minlength=n)
    return Peeling(rounds, np.flatnonzero(alive_r), np.flatnonzero(alive_c))


def _entries(indptr: np.ndarray, idx: np.ndarray):
    """Positions of all entries of the rows (CSR) or columns (CSC) `idx`, and for each the
    position in idx it belongs to."""
    starts = indptr[idx].astype(np.int64)
    lens = indptr[idx + 1] - starts
    total = int(lens.sum())
    owner = np.repeat(np.arange(len(idx)), lens)
    offset = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    return np.repeat(starts, lens) + offset, owner
