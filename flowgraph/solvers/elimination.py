"""Eliminate the unknowns from linearised constraints A y + B u + c = 0.

What is left are the redundancy equations P (A y + c) = 0 with P B = 0 (they bind the
measured values y), which unknowns the data determine (observable), and how:
u = -B_sq^-1 (A y + c)_sq. Two ways, same answers:

- sparse: the Dulmage-Mendelsohn decomposition of B's pattern (pattern.structure) splits the
  rows into an under-determined part (its unknowns are unobservable, its rows bind nothing),
  a square part and an over-determined part; the over part's unmatched rows, with the
  matched ones eliminated through the block triangular solver, are the redundancy equations.
  Sparse throughout, so it scales with the network.
- dense: a rank-revealing QR of B (Crowe's projection). It also sees dependences that only
  the numbers show (a share row proportional to a sum of balances, an element layer
  proportional to mass), which can make a structurally regular block singular. 'auto' uses it
  for small systems, and for the connected part of a large one where the sparse way meets
  such a block.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components

from ..errors import SingularError
from .pattern import structure
from .sparse import BlockSolver, SingularBlock

#: 'auto' uses the dense method outright up to this many entries of B (rows x unknowns)
SMALL = 1e6
#: the dense method is used as a fallback up to this many entries of B
DENSE_LIMIT = 1.6e7
#: relative size below which a pivot of a rank-revealing factorisation counts as zero
RANK_TOL = 1e-10
#: right-hand sides solved at once when a result would be a large dense matrix
CHUNK = 256


class SparseElimination:
    """Elimination by the Dulmage-Mendelsohn decomposition and block triangular solves.

    observable: bool per unknown; n_red: number of redundancy equations;
    project(M) = P M (sparse); solve(M) = -B_sq^-1 M_sq; inverse_rows(M, idx) = rows idx of
    solve(M); involved(i): constraint rows that redundancy equation i combines."""

    method = "sparse"

    def __init__(self, B: sp.spmatrix, pattern: sp.spmatrix):
        B = sp.csr_matrix(B)
        st = structure(pattern)
        self.observable = ~st.under_cols
        matched = st.row_match >= 0
        self.rows_sq = np.flatnonzero(matched & ~st.under_rows)
        self.cols_sq = st.row_match[self.rows_sq]
        self.rows_n = np.flatnonzero(~matched)           # surplus rows: over-determined part
        self.n_red = len(self.rows_n)
        self.rows_vm = np.flatnonzero(matched & st.over_rows)
        self.B_sq = B[self.rows_sq][:, self.cols_sq]
        self.solver = _Square(self.B_sq) if len(self.rows_sq) else None
        self.Z = sp.csr_matrix((self.n_red, len(self.rows_vm)))
        if self.n_red and len(self.rows_vm):
            cols_vm = st.row_match[self.rows_vm]
            BN = B[self.rows_n][:, cols_vm]
            if BN.nnz:
                VM = _Square(B[self.rows_vm][:, cols_vm])
                BN_t = BN.T.tocsc()
                parts = []
                for lo in range(0, self.n_red, CHUNK):
                    z = VM.solve(BN_t[:, lo:lo + CHUNK].toarray(), trans=True).T
                    big = np.abs(z).max(axis=1, initial=0.0)
                    z[np.abs(z) <= 1e-13 * big[:, None]] = 0.0
                    parts.append(sp.csr_matrix(z))
                self.Z = sp.vstack(parts, format="csr")

    def project(self, M):
        """P M for M over constraint rows (a vector, or a sparse matrix: sparse result)."""
        if sp.issparse(M):
            M = sp.csr_matrix(M)
            out = M[self.rows_n]
            return out - self.Z @ M[self.rows_vm] if len(self.rows_vm) else out
        out = np.asarray(M)[self.rows_n]
        return out - self.Z @ np.asarray(M)[self.rows_vm] if len(self.rows_vm) else out

    def project_abs(self, v: np.ndarray) -> np.ndarray:
        """|P| v for a non-negative vector v (a scale per redundancy equation)."""
        out = v[self.rows_n].copy()
        if len(self.rows_vm):
            out += abs(self.Z) @ v[self.rows_vm]
        return out

    def solve(self, M) -> np.ndarray:
        """-B_sq^-1 M_sq for the observable unknowns (NaN for the others)."""
        M = M.toarray() if sp.issparse(M) else np.asarray(M)
        M = M[self.rows_sq]
        u = np.full((len(self.observable),) + M.shape[1:], np.nan)
        if self.solver is not None:
            u[self.cols_sq] = -self.solver.solve(M)
        return u

    def inverse_rows(self, M, idx: np.ndarray) -> np.ndarray:
        """Rows idx (observable unknowns) of -B_sq^-1 M_sq, by transposed solves."""
        pos = np.full(len(self.observable), -1, dtype=np.int64)
        pos[self.cols_sq] = np.arange(len(self.cols_sq))
        E = np.zeros((len(self.cols_sq), len(idx)))
        E[pos[idx], np.arange(len(idx))] = 1.0
        T = self.solver.solve(E, trans=True)
        Msq = sp.csr_matrix(M)[self.rows_sq]
        return -np.asarray((Msq.T @ T).T)

    def involved(self, i: int) -> np.ndarray:
        z = self.Z[i]
        return np.concatenate([[self.rows_n[i]], self.rows_vm[z.indices[z.data != 0]]])


class DenseElimination:
    """Elimination by a QR decomposition of B with column pivoting (same interface)."""

    method = "dense"

    def __init__(self, B: sp.spmatrix):
        B = B.toarray() if sp.issparse(B) else np.asarray(B, dtype=float)
        m, n = B.shape
        if n and m:
            Q, R, piv = la.qr(B, pivoting=True)
            d = np.abs(np.diag(R))
            rank = int(np.sum(d > RANK_TOL * d[0])) if len(d) and d[0] > 0 else 0
        else:
            Q, R, piv, rank = np.eye(m), np.zeros((m, n)), np.arange(n), 0
        self.Q1, self.Q2 = Q[:, :rank], Q[:, rank:]
        self.R11 = R[:rank, :rank]
        self.piv = piv
        self.rank = rank
        self.n_red = m - rank
        observable = np.zeros(n, dtype=bool)
        if rank:
            observable[piv[:rank]] = True
            if rank < n:
                N = la.solve_triangular(self.R11, R[:rank, rank:])
                observable[piv[:rank][np.abs(N).max(axis=1) > 1e-9]] = False
        self.observable = observable

    def project(self, M):
        if sp.issparse(M):
            return sp.csr_matrix(self.Q2.T @ M.toarray())
        return self.Q2.T @ np.asarray(M)

    def project_abs(self, v: np.ndarray) -> np.ndarray:
        return np.abs(self.Q2.T) @ v

    def solve(self, M) -> np.ndarray:
        M = M.toarray() if sp.issparse(M) else np.asarray(M, dtype=float)
        u = np.full((len(self.observable),) + M.shape[1:], np.nan)
        if self.rank:
            u[self.piv[:self.rank]] = -la.solve_triangular(self.R11, self.Q1.T @ M)
            u[~self.observable] = np.nan
        return u

    def inverse_rows(self, M, idx: np.ndarray) -> np.ndarray:
        return self.solve(M)[idx]

    def involved(self, i: int) -> np.ndarray:
        col = np.abs(self.Q2[:, i])
        return np.flatnonzero(col > 1e-9 * col.max(initial=0.0))


def eliminate(B: sp.spmatrix, pattern: sp.spmatrix, method: str = "auto", describe=None):
    """The elimination of the unknowns of B by `method`: 'dense', 'sparse', or 'auto' (dense
    for small systems; otherwise sparse, and where the sparse way meets a numerically
    singular block, dense for the connected part of the system that holds it).
    describe(columns) names unknowns for the error raised when nothing works."""
    m, n = B.shape
    if method == "dense" or (method == "auto" and m * n <= SMALL):
        return DenseElimination(B)
    try:
        return SparseElimination(B, pattern)
    except SingularBlock as exc:
        if method == "sparse":
            raise _singular(exc.columns, describe) from None
    return ComponentElimination(B, pattern, describe)


class ComponentElimination:
    """The unknowns eliminated separately in each connected part of the system (rows and
    unknowns linked by non-zeros): sparse where that works, dense where it must."""

    method = "sparse+dense"

    def __init__(self, B: sp.spmatrix, pattern: sp.spmatrix, describe=None):
        B = sp.csr_matrix(B)
        m, n = B.shape
        pat = sp.csr_matrix(pattern)
        graph = sp.bmat([[None, pat], [pat.T, None]], format="csr")
        ncomp, label = connected_components(graph, directed=False)
        row_label, col_label = label[:m], label[m:]
        self.observable = np.zeros(n, dtype=bool)
        self.parts = []
        by_row = np.argsort(row_label, kind="stable")
        by_col = np.argsort(col_label, kind="stable")
        r_start = np.searchsorted(row_label[by_row], np.arange(ncomp + 1))
        c_start = np.searchsorted(col_label[by_col], np.arange(ncomp + 1))
        alone = []                            # rows without unknowns: one part for all
        for k in range(ncomp):
            rows = by_row[r_start[k]:r_start[k + 1]]
            cols = by_col[c_start[k]:c_start[k + 1]]
            if not len(rows):
                continue                      # unknowns in no equation: unobservable
            if not len(cols):
                alone.append(rows)
                continue
            Bk = B[rows][:, cols]
            try:
                elim = SparseElimination(Bk, pat[rows][:, cols])
            except SingularBlock as exc:
                if len(rows) * len(cols) > DENSE_LIMIT:
                    raise _singular(cols[exc.columns], describe) from None
                elim = DenseElimination(Bk)
            self.observable[cols] = elim.observable
            self.parts.append((rows, cols, elim))
        if alone:
            rows = np.concatenate(alone)
            cols = np.zeros(0, dtype=np.int64)
            self.parts.append((rows, cols, SparseElimination(B[rows][:, cols], pat[rows][:, cols])))
        self.offsets = np.cumsum([0] + [p[2].n_red for p in self.parts])
        self.n_red = int(self.offsets[-1])

    def project(self, M):
        if sp.issparse(M):
            M = sp.csr_matrix(M)
            blocks = [sp.csr_matrix(e.project(M[rows])) for rows, _, e in self.parts]
            return sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, M.shape[1]))
        M = np.asarray(M)
        blocks = [np.asarray(e.project(M[rows])) for rows, _, e in self.parts]
        return np.concatenate(blocks) if blocks else M[:0]

    def project_abs(self, v: np.ndarray) -> np.ndarray:
        parts = [e.project_abs(v[rows]) for rows, _, e in self.parts]
        return np.concatenate(parts) if parts else np.zeros(0)

    def solve(self, M) -> np.ndarray:
        M = M.toarray() if sp.issparse(M) else np.asarray(M)
        u = np.full((len(self.observable),) + M.shape[1:], np.nan)
        for rows, cols, e in self.parts:
            u[cols] = e.solve(M[rows])
        return u

    def inverse_rows(self, M, idx: np.ndarray) -> np.ndarray:
        M = sp.csr_matrix(M)
        out = np.zeros((len(idx), M.shape[1]))
        where = np.full(len(self.observable), -1, dtype=np.int64)
        where[idx] = np.arange(len(idx))
        for rows, cols, e in self.parts:
            local = np.flatnonzero(where[cols] >= 0)
            if len(local):
                out[where[cols[local]]] = e.inverse_rows(M[rows], local)
        return out

    def involved(self, i: int) -> np.ndarray:
        k = int(np.searchsorted(self.offsets, i, side="right")) - 1
        rows, _, e = self.parts[k]
        return rows[e.involved(i - int(self.offsets[k]))]


def _singular(columns, describe) -> SingularError:
    named = describe(columns) if describe is not None else f"{len(columns)} unknowns"
    return SingularError(
        f"the elimination of the unknowns met a block that is singular by its numbers though "
        f"regular by its pattern, and the part of the network holding it is too large for the "
        f"dense method; unknowns involved: {named}. Measure one of them, or reconcile with "
        f"method='dense' if memory allows")


class _Square:
    """Solves with a square sparse matrix or its transpose, checked: the block triangular
    solver (sparse.BlockSolver: no fill outside blocks, but no pivoting inside them) while its
    answers satisfy the equations, SuperLU with partial pivoting otherwise and for transposed
    systems. SingularBlock when neither can (singular by its numbers, not its pattern)."""

    def __init__(self, A: sp.spmatrix):
        self.A = sp.csr_matrix(A)
        try:
            self.block = BlockSolver(self.A)
        except SingularBlock:
            self.block = None
        self._lu = None
        # a known answer: a matrix singular by its numbers (not its pattern) gets a wrong one
        # with a small residual, so the answer itself is checked, not only the residual
        ones = np.ones(self.A.shape[0])
        got = self.solve(self.A @ ones)
        if np.max(np.abs(got - ones), initial=0.0) > 1e-6:
            if self.block is not None and self._lu is None:
                self.block = None                  # try the pivoted factorisation
                got = self.solve(self.A @ ones)
            if np.max(np.abs(got - ones), initial=0.0) > 1e-6:
                raise SingularBlock(np.arange(self.A.shape[1]), reason="numerically singular")

    def _pivoted(self):
        if self._lu is None:
            try:
                self._lu = spla.splu(self.A.tocsc())
            except RuntimeError:
                raise SingularBlock(np.arange(self.A.shape[1]), reason="singular") from None
        return self._lu

    def solve(self, b: np.ndarray, trans: bool = False) -> np.ndarray:
        A = self.A.T if trans else self.A
        if not trans and self.block is not None:
            x = self.block.solve(b)
            if solves(A, x, b):
                return x
        x = self._pivoted().solve(b, trans="T" if trans else "N")
        if not solves(A, x, b):
            raise SingularBlock(np.arange(self.A.shape[1]), reason="numerically singular")
        return x


def solves(A, x, b, rtol: float = 1e-10) -> bool:
    """A x = b to rtol of the size of the terms (largest residual against largest term, per
    right-hand side: roundoff in rows whose terms cancel to nothing must not count)."""
    if not np.all(np.isfinite(x)):
        return False
    res = np.abs(A @ x - b)
    scale = abs(A) @ np.abs(x) + np.abs(b)
    return bool(np.all(res.max(axis=0) <= rtol * np.maximum(scale.max(axis=0), 1e-300)))
