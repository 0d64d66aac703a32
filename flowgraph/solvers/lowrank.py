"""Balances of runs whose matrix differs from the nominal one in a few rows (runs that change
shares or recipe ratios), solved with the nominal factorisation by the Sherman-Morrison-
Woodbury identity: no analysis and no refactorisation.

    A = A0 + E D      E: unit columns of the k rows that change, D = (A - A0)[rows]
    A^-1 b = y0 - W (I + D W)^-1 D y0,      y0 = A0^-1 b,  W = A0^-1 E

W is k solves with the nominal factorisation, kept per set of changed rows (a grid over the
same shares solves it once). Each solution is verified by its residual against A itself; a
run whose capacitance matrix I + D W is singular, or that changes too many rows, is left to
a solve of its own (which names what is wrong).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .sparse import residual_excess
from .threads import blas_limit

#: more changed rows than this: a solve of its own is cheaper than the k extra columns
MAX_ROWS = 64
#: sets of changed rows whose W is kept
KEEP = 8


class Slice:
    """A submatrix of a fixed-pattern sparse matrix (rows, then columns), taken again for
    other values of the same pattern by one gather: R[rows][:, cols] of a run is
    Slice.of(R_run.data) without scipy's slicing."""

    def __init__(self, R: sp.csr_matrix, rows, cols=None):
        ids = _numbered(R)
        part = ids[rows] if cols is None else ids[rows][:, cols]
        part = sp.csr_matrix(part)
        part.sort_indices()
        self.pos = part.data.astype(np.int64) - 1
        self.indices, self.indptr, self.shape = part.indices, part.indptr, part.shape

    def of(self, data: np.ndarray) -> sp.csr_matrix:
        m = sp.csr_matrix((data[self.pos], self.indices, self.indptr), shape=self.shape)
        m.has_sorted_indices = True
        return m


def entries(R: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Positions in R.data of the entries (rows[i], cols[i]) (each present in R)."""
    return np.asarray(_numbered(R)[rows, cols]).ravel().astype(np.int64) - 1


def _numbered(R: sp.csr_matrix) -> sp.csr_matrix:
    """R's pattern with each entry's position in R.data plus 1 (never a zero to drop)."""
    return sp.csr_matrix((np.arange(1, R.nnz + 1, dtype=float), R.indices, R.indptr),
                         shape=R.shape)


class LowRank:
    """Solves A y = b for matrices A of the nominal pattern, by the nominal factorisation."""

    def __init__(self, solver, A0: sp.csr_matrix, max_amplification: float):
        self.solver, self.A0 = solver, sp.csr_matrix(A0)
        self.max_amplification = max_amplification
        self._W: dict = {}

    def solve(self, A: sp.csr_matrix, b: np.ndarray) -> np.ndarray | None:
        """y with A y = b verified, or None when this way does not apply or does not
        verify (the caller solves anew)."""
        if A.shape != self.A0.shape:
            return None
        D = sp.csr_matrix(A - self.A0)
        D.eliminate_zeros()
        rows = np.flatnonzero(np.diff(D.indptr))
        if len(rows) > MAX_ROWS:
            return None
        with blas_limit():
            y = self.solver.solve(b)
            if len(rows):
                W = self._columns(rows)
                Dk = D[rows]
                S = np.eye(len(rows)) + Dk @ W
                try:
                    y = y - W @ np.linalg.solve(S, Dk @ y)
                except np.linalg.LinAlgError:
                    return None
        scale = np.max(np.abs(b), initial=0.0)
        if not np.isfinite(y).all() or np.abs(y).max(initial=0.0) > \
                self.max_amplification * scale:
            return None
        return y if residual_excess(A, y[:, None], b[:, None])[0] <= 1.0 else None

    def _columns(self, rows: np.ndarray) -> np.ndarray:
        """W = A0^-1 E for the changed rows (kept for the next run changing the same)."""
        key = rows.tobytes()
        W = self._W.get(key)
        if W is None:
            E = np.zeros((self.A0.shape[0], len(rows)))
            E[rows, np.arange(len(rows))] = 1.0
            W = self.solver.solve(E)
            if len(self._W) >= KEEP:
                self._W.pop(next(iter(self._W)))
            self._W[key] = W
        return W
