"""Sparse linear algebra for flow systems: a block triangular solver (the structure analysis
that comes before it is in structure.py).

`BlockSolver` factorises a square matrix with a zero-free diagonal in block triangular form,
as KLU does for circuits: strongly connected blocks in topological order; runs of small
blocks in one sparse LU with the natural order (fill stays inside blocks) or a triangular
solve when all blocks are single; each huge block by preconditioned BiCGSTAB with a verified
residual, falling back to sparse LU when iteration stalls. Nothing in the hot path loops over
flows in Python; the loop is over segments, of which a plant has a handful.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components

from .blocks import BlockTriangular, SingularBlock

__all__ = ["BlockSolver", "SingularBlock", "SolveStats", "fingerprint", "residual_excess", "verify"]

#: blocks at least this large are solved iteratively first (direct LU fill grows too fast)
HUGE_BLOCK = 2000
#: runs of blocks no larger than this are solved by batched dense inverses of the blocks and
#: one triangular solve, without SuperLU
SMALL_BLOCK = 32
#: relative residual an iterative solve must reach to be accepted
ITER_RTOL = 1e-12
ACCEPT_RTOL = 1e-10


@dataclass
class SolveStats:
    """What the block solver did: block counts, methods, iterations, time."""

    n: int = 0
    blocks: int = 0
    largest_block: int = 0
    segments: list = field(default_factory=list)
    factor_seconds: float = 0.0
    solve_seconds: float = 0.0

    def summary(self) -> str:
        kinds = {}
        for s in self.segments:
            kinds[s["method"]] = kinds.get(s["method"], 0) + 1
        what = {"blocks": "batched small-block", "lu": "sparse LU", "iterative": "iterative",
                "triangular": "triangular"}
        return (f"{self.n} unknowns in {self.blocks} blocks (largest {self.largest_block}); "
                "segments: " + ", ".join(f"{v} {what.get(k, k)}" for k, v in sorted(kinds.items())))


class _Segment:
    """A run of consecutive blocks solved together, or one huge block."""

    def __init__(self, lo, hi, rows, single, huge, columns, max_iter=None, sizes=None,
                 robust=False):
        """rows: the segment's rows of the permuted matrix (CSR, all columns); sizes: the
        sizes of its strong blocks, in order."""
        self.lo, self.hi = lo, hi
        self.max_iter = max_iter
        self.off = rows[:, :lo].tocsr() if lo else None
        D = rows[:, lo:hi]
        del rows
        self.columns = columns          # original unknown numbers, for diagnosis
        self.method = "triangular" if single else ("iterative" if huge else "lu")
        if self.method == "lu" and not robust and sizes is not None and sizes.max() <= SMALL_BLOCK:
            self.method = "blocks"
            self.blocks = BlockTriangular(D.tocsr(), sizes, columns)
            self.lu = None
            self.D = None
            self.iterations = 0
            return
        self.iterations = 0
        self.lu = None
        self.D = D
        if self.method == "triangular":
            self.D = D.tocsr()
            self.D.sort_indices()
            diag = self.D.diagonal()
            if np.any(diag == 0) or not np.all(np.isfinite(diag)):
                raise SingularBlock(columns[np.flatnonzero((diag == 0) | ~np.isfinite(diag))])
            if hi - lo == 1 or self.D.nnz == hi - lo:
                self.method = "diagonal"
                self.diag = diag
                self.D = None
        elif self.method == "lu":
            self.lu = _lu(D, natural=not robust, columns=columns)
            self.D = None
        else:
            self.D = D.tocsr()
            diag = self.D.diagonal()
            if np.any(diag == 0):
                self.lu = _lu(D, natural=False, columns=columns)
                self.method = "lu"
            else:
                self.inv_diag = 1.0 / diag

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        if self.method == "blocks":
            return self.blocks.solve(rhs)
        if self.method == "diagonal":
            return rhs / (self.diag[:, None] if rhs.ndim == 2 else self.diag)
        if self.method == "triangular":
            return spla.spsolve_triangular(self.D, rhs, lower=True)
        if self.lu is not None:
            return self.lu.solve(rhs)
        return self._iterate(rhs)

    def _iterate(self, rhs):
        if rhs.ndim == 2:
            return np.column_stack([self._iterate(rhs[:, j]) for j in range(rhs.shape[1])])
        bnorm = np.linalg.norm(rhs)
        if bnorm == 0:
            return np.zeros_like(rhs)
        n = self.hi - self.lo
        M = spla.LinearOperator((n, n), matvec=lambda v: self.inv_diag * v, dtype=float)
        x0 = self.inv_diag * rhs
        count = [0]

        def cb(_):
            count[0] += 1

        x, info = spla.bicgstab(self.D, rhs, x0=x0, rtol=ITER_RTOL, atol=0.0, M=M,
                                maxiter=self.max_iter or max(200, int(4 * np.sqrt(n))),
                                callback=cb)
        self.iterations += count[0]
        res = np.linalg.norm(self.D @ x - rhs) / bnorm
        if info != 0 or not np.isfinite(res) or res > ACCEPT_RTOL:
            # iteration stalled (spectral radius near 1, or a singular block): go direct
            self.lu = _lu(self.D, natural=False, columns=self.columns)
            self.method = "lu (iteration stalled)"
            return self.lu.solve(rhs)
        return x


def _lu(D, natural: bool, columns):
    """Sparse LU of a block; natural order keeps block triangular structure, otherwise COLAMD
    on whichever of D and its transpose has the sparser densest column."""
    D = sp.csc_matrix(D)
    try:
        if natural:
            return spla.splu(D, permc_spec="NATURAL", diag_pivot_thresh=0.0,
                             options={"SymmetricMode": False})
        rows_max = np.diff(D.tocsr().indptr).max(initial=0)
        cols_max = np.diff(D.indptr).max(initial=0)
        if rows_max > cols_max:
            lu_t = spla.splu(D.T.tocsc())
            return _TransposedLU(lu_t)
        return spla.splu(D)
    except RuntimeError as exc:
        if natural:
            try:
                return spla.splu(D)
            except RuntimeError:
                pass
        raise SingularBlock(_singular_columns(D, columns), reason=str(exc)) from None


def _singular_columns(D, columns) -> np.ndarray:
    """The unknowns of the singular strong blocks of D (D's order = `columns`)."""
    D = sp.csr_matrix(D)
    ncomp, labels = connected_components(D, directed=True, connection="strong")
    diag = D.diagonal()
    bad = [np.flatnonzero((np.bincount(labels, minlength=ncomp)[labels] == 1) & (diag == 0))]
    sizes = np.bincount(labels, minlength=ncomp)
    for comp in np.flatnonzero(sizes > 1):
        idx = np.flatnonzero(labels == comp)
        block = D[idx][:, idx]
        try:
            spla.splu(sp.csc_matrix(block))
        except RuntimeError:
            bad.append(idx)
    found = np.concatenate(bad)
    return columns[found] if len(found) else columns


class _TransposedLU:
    """Solve D x = b with an LU of D^T."""

    def __init__(self, lu_t):
        self.lu_t = lu_t

    def solve(self, rhs):
        return self.lu_t.solve(rhs, trans="T")


class BlockSolver:
    """Factorised block triangular form of a square sparse matrix with zero-free diagonal.

    Factorise once, then `solve(b)` for any number of right-hand sides (1-D or 2-D).
    """

    def __init__(self, A: sp.spmatrix, huge: int = HUGE_BLOCK, max_iter: int | None = None,
                 robust: bool = False):
        """robust=True: every run of small blocks by SuperLU with partial pivoting (the fallback
        when the fast path's solution fails verification)."""
        t0 = time.perf_counter()
        self.max_iter = max_iter
        self.robust = robust
        A = sp.csr_matrix(A)
        n = A.shape[0]
        self.n = n
        self.stats = SolveStats(n=n)
        self.direct = None
        if n == 0:
            self.perm = np.zeros(0, dtype=np.int64)
            self.segments = []
            return
        ncomp, labels = connected_components(A, directed=True, connection="strong")
        # scipy labels strong components in reverse topological order of the edges i -> j
        # (entry (i, j): unknown i depends on j), so ascending label = dependencies first.
        coo = A.tocoo()
        cross = labels[coo.row] != labels[coo.col]
        if np.any(labels[coo.row[cross]] < labels[coo.col[cross]]):
            labels = _topological_labels(A, labels, ncomp)
        perm = np.argsort(labels, kind="stable")
        sizes = np.bincount(labels, minlength=ncomp)
        self.perm = perm
        self.stats.blocks = ncomp
        self.stats.largest_block = int(sizes.max())
        inv = np.empty_like(perm)
        inv[perm] = np.arange(n)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        self.segments = []
        lo = 0
        b = 0
        while b < ncomp:
            if sizes[b] >= huge:
                seg_hi = starts[b + 1]
                self._add(lo, seg_hi, A, perm, inv, single=False, huge=True, sizes=sizes[b:b + 1])
                lo, b = seg_hi, b + 1
                continue
            e = b
            while e < ncomp and sizes[e] < huge:
                e += 1
            seg_hi = starts[e]
            single = bool(np.all(sizes[b:e] == 1))
            self._add(lo, seg_hi, A, perm, inv, single=single, huge=False, sizes=sizes[b:e])
            lo, b = seg_hi, e
        self.direct = None
        only = self.segments[0] if len(self.segments) == 1 else None
        if only is not None and only.method == "blocks" and only.blocks.levels is not None:
            self.direct = only.blocks.renumbered(self.perm)
        self.stats.factor_seconds = time.perf_counter() - t0

    def _add(self, lo, hi, A, perm, inv, single, huge, sizes):
        """One segment from its own rows of A, columns renumbered in the permuted order (no
        permuted copy of the whole matrix is ever held)."""
        rows = A[perm[lo:hi]]
        rows = sp.csr_matrix((rows.data, inv[rows.indices], rows.indptr), shape=(hi - lo, self.n))
        rows.sort_indices()
        seg = _Segment(lo, hi, rows, single, huge, perm[lo:hi], self.max_iter, sizes,
                       self.robust)
        self.segments.append(seg)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """x with A x = b; b may hold several right-hand sides as columns."""
        t0 = time.perf_counter()
        b = np.asarray(b, dtype=float)
        if self.direct is not None:                 # one run of small blocks, by levels
            x = self.segments[0].blocks.solve(b, self.direct)
            self.stats.solve_seconds += time.perf_counter() - t0
            return x
        y = np.zeros_like(b)
        bp = b[self.perm]
        for seg in self.segments:
            rhs = bp[seg.lo:seg.hi]
            if seg.off is not None and seg.off.nnz:
                rhs = rhs - seg.off @ y[:seg.lo]
            y[seg.lo:seg.hi] = seg.solve(rhs)
        x = np.empty_like(y)
        x[self.perm] = y
        self.stats.solve_seconds += time.perf_counter() - t0
        self.stats.segments = [{"size": s.hi - s.lo, "method": s.method,
                                "iterations": s.iterations} for s in self.segments]
        return x

    def diagnose(self, A) -> list[np.ndarray]:
        """Unknown sets (original numbering) of the singular blocks of A (the matrix this
        solver was built from), found block by block."""
        A = sp.csr_matrix(A)[self.perm][:, self.perm]
        ncomp, labels = connected_components(A, directed=True, connection="strong")
        bad = []
        diag = A.diagonal()
        for comp in range(ncomp):
            idx = np.flatnonzero(labels == comp)
            if len(idx) == 1:
                if diag[idx[0]] == 0:
                    bad.append(self.perm[idx])
                continue
            block = A[idx][:, idx].toarray() if len(idx) <= 3000 else None
            if block is not None and np.linalg.matrix_rank(block) < len(idx):
                bad.append(self.perm[idx])
        return bad


def _topological_labels(A, labels, ncomp):
    """Relabel strong components in a topological order (dependencies first), by Kahn's
    algorithm on the condensation, frontier by frontier."""
    coo = A.tocoo()
    src, dst = labels[coo.col], labels[coo.row]   # dependency -> dependent
    keep = src != dst
    edges = np.unique(np.stack([src[keep], dst[keep]], axis=1), axis=0)
    indeg = np.bincount(edges[:, 1], minlength=ncomp)
    order = np.empty(ncomp, dtype=np.int64)
    adj = sp.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(ncomp, ncomp))
    frontier = np.flatnonzero(indeg == 0)
    pos = 0
    while len(frontier):
        order[pos:pos + len(frontier)] = frontier
        pos += len(frontier)
        succ = adj[frontier].indices
        indeg -= np.bincount(succ, minlength=ncomp)
        cand = np.unique(succ)
        frontier = cand[indeg[cand] == 0]
    rank = np.empty(ncomp, dtype=np.int64)
    rank[order] = np.arange(ncomp)
    return rank[labels]


def fingerprint(A) -> tuple:
    """A cheap key of a sparse matrix for the factorisation cache (CRC32 of its arrays). A
    collision cannot give a wrong answer: every solve is verified, and a cached solver whose
    solution fails is replaced."""
    A = sp.csr_matrix(A)
    return (A.shape, A.nnz) + tuple(zlib.crc32(np.ascontiguousarray(a).view(np.uint8))
                                    for a in (A.indptr, A.indices, A.data))


def verify(A, z, r, rtol: float = 1e-8, floor: float = 1e-12) -> float | None:
    """The worst relative residual of a solve if it is too large to trust, else None. Row i
    passes when |A z - r|_i <= rtol * (|A| |z| + |r|)_i + floor * max over rows of the same:
    each row against the size of its own terms, with rounding noise of the largest rows
    allowed on rows whose exact value is zero."""
    res = np.abs(A @ z - r)
    scale = np.abs(A) @ np.abs(z) + np.abs(r)
    allowed = rtol * scale + floor * np.max(scale, initial=0.0)
    if np.all(res <= allowed):
        return None
    worst = res / np.maximum(scale, 1e-300)
    return float(np.max(np.where(np.isfinite(worst), worst, np.inf)))


def residual_excess(A, Z: np.ndarray, R: np.ndarray, rtol: float = 1e-8,
                    floor: float = 1e-12) -> np.ndarray:
    """Per column of Z (solutions of A Z = R): the largest ratio of a row's residual to
    what verify() allows it (<= 1 passes; non-finite counts as failing). One sparse product
    serves every column."""
    res = np.abs(A @ Z - R)
    absR = np.abs(R)
    # |A| |Z| + |R| >= |R| row by row: most solves pass on |R| alone
    if np.all(res <= rtol * absR + floor * np.max(absR, axis=0, initial=0.0)):
        return np.zeros(Z.shape[1] if Z.ndim == 2 else 1)
    scale = abs(A) @ np.abs(Z) + absR
    allowed = rtol * scale + floor * np.max(scale, axis=0, initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(res <= allowed, 0.0, res / np.maximum(allowed, 1e-300))
    ratio[~np.isfinite(ratio)] = np.inf
    return ratio.max(axis=0, initial=0.0)
