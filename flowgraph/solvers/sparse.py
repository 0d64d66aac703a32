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

#: blocks at least this large are solved iteratively first (direct LU fill grows too fast)
HUGE_BLOCK = 2000
#: runs of blocks no larger than this are solved by batched dense inverses of the blocks and
#: one triangular solve, without SuperLU
SMALL_BLOCK = 32
#: a block whose condition number exceeds this is treated as singular
MAX_CONDITION = 1e13
#: relative residual an iterative solve must reach to be accepted
ITER_RTOL = 1e-12
ACCEPT_RTOL = 1e-10


class SingularBlock(Exception):
    """A block of the system is singular; `columns` are its unknowns (original numbering)."""

    def __init__(self, columns, reason: str = "singular"):
        self.columns = np.asarray(columns)
        self.reason = reason
        super().__init__(f"{reason} block of {len(self.columns)} unknowns")


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
            self.blocks = _BlockTriangular(D.tocsr(), sizes, columns)
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


class _BlockTriangular:
    """A run of small strong blocks: D = B + E with B block diagonal and E strictly lower
    (between blocks). D x = b  <=>  (I + E B^-1) y = b,  x = B^-1 y, and I + E B^-1 is unit
    lower triangular: block LU with the blocks inverted in batches (numpy, one call per block
    size) and one scalar triangular solve. No SuperLU, no fill outside the blocks' couplings."""

    def __init__(self, D: sp.csr_matrix, sizes: np.ndarray, columns):
        n = D.shape[0]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        block_of = np.repeat(np.arange(len(sizes)), sizes)
        coo = D.tocoo()
        inside = block_of[coo.row] == block_of[coo.col]
        r_in, c_in, v_in = coo.row[inside], coo.col[inside], coo.data[inside]
        blk_in = block_of[r_in]
        # group blocks, and the entries inside them, by block size: one pass, then slices
        size_list, counts = np.unique(sizes, return_counts=True)
        small = sizes.astype(np.uint8)      # sizes <= SMALL_BLOCK < 256: numpy radix-sorts
        blk_order = np.argsort(small, kind="stable")
        blk_bounds = np.concatenate([[0], np.cumsum(counts)])
        rank = np.empty(len(sizes), dtype=np.int64)     # a block's place among its size
        rank[blk_order] = np.arange(len(sizes)) - np.repeat(blk_bounds[:-1], counts)
        ent_size = small[blk_in]
        ent_order = np.argsort(ent_size, kind="stable")
        ent_bounds = np.searchsorted(ent_size[ent_order], np.append(size_list, np.inf))
        # Binv is block diagonal: its CSR arrays are written in place, row r holding the
        # columns of its own block
        row_len = sizes[block_of]
        indptr = np.concatenate([[0], np.cumsum(row_len)])
        data = np.empty(indptr[-1])
        indices = np.empty(indptr[-1], dtype=np.int64)
        bad = []
        for i, size in enumerate(size_list):
            blocks = blk_order[blk_bounds[i]:blk_bounds[i + 1]]
            e = ent_order[ent_bounds[i]:ent_bounds[i + 1]]
            first = starts[blk_in[e]]
            stack = np.zeros((len(blocks), size, size))
            stack[rank[blk_in[e]], r_in[e] - first, c_in[e] - first] = v_in[e]
            inv, ok = _inverses(stack)
            for b in blocks[~ok]:
                bad.append(np.arange(starts[b], starts[b + 1]))
            local = np.arange(size)
            base = starts[blocks][:, None, None]
            dest = (indptr[base + local[None, :, None]] + local[None, None, :]).ravel()
            data[dest] = inv.ravel()
            indices[dest] = np.broadcast_to(base + local[None, None, :], inv.shape).ravel()
        if bad:
            raise SingularBlock(columns[np.concatenate(bad)])
        self.Binv = sp.csr_matrix((data, indices, indptr), shape=(n, n))
        E = sp.csr_matrix((coo.data[~inside], (coo.row[~inside], coo.col[~inside])), shape=(n, n))
        self.L = (sp.identity(n, format="csr") + E @ self.Binv).tocsr()
        self.L.sort_indices()

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        y = spla.spsolve_triangular(self.L, rhs, lower=True, unit_diagonal=True)
        return self.Binv @ y


def _inverses(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverses of a stack of square blocks, and which are usable: a block whose 1-norm
    condition exceeds MAX_CONDITION is singular for our purposes (its inverse is then 0)."""
    if stack.shape[1] == 1:                     # most blocks of a plant: no LAPACK call
        d = stack[:, 0, 0]
        ok = np.isfinite(d) & (d != 0)
        inv = np.zeros_like(stack)
        inv[ok, 0, 0] = 1.0 / d[ok]
        return inv, ok
    if stack.shape[1] == 2:                     # a two-node loop: the closed form
        a, b, c, d = stack[:, 0, 0], stack[:, 0, 1], stack[:, 1, 0], stack[:, 1, 1]
        det = a * d - b * c
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.stack([np.stack([d, -b], axis=1), np.stack([-c, a], axis=1)], axis=1) \
                / det[:, None, None]
    else:
        try:
            inv = np.linalg.inv(stack)
        except np.linalg.LinAlgError:
            inv = None
    if inv is not None:
        with np.errstate(invalid="ignore"):
            cond = np.abs(stack).sum(axis=1).max(axis=1) * np.abs(inv).sum(axis=1).max(axis=1)
        ok = np.isfinite(cond) & (cond < MAX_CONDITION)
        inv[~ok] = 0.0
        return inv, ok
    ok = np.linalg.matrix_rank(stack) == stack.shape[1]
    inv = np.zeros_like(stack)
    if ok.any():
        inv[ok] = np.linalg.inv(stack[ok])
    return inv, ok


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
