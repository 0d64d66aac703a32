"""Sparse linear algebra for flow systems: structure analysis and a block triangular solver.

`structure` finds, from the sparsity pattern alone, which unknowns no equation fixes
(under-determined), which equations are surplus (over-determined) and the square rest
(the coarse Dulmage-Mendelsohn decomposition, from a maximum matching).

`BlockSolver` factorises a square matrix with a zero-free diagonal in block triangular form,
as KLU does for circuits: strongly connected blocks in topological order; runs of small
blocks in one sparse LU with the natural order (fill stays inside blocks) or a triangular
solve when all blocks are single; each huge block by preconditioned BiCGSTAB with a verified
residual, falling back to sparse LU when iteration stalls. Nothing in the hot path loops over
flows in Python; the loop is over segments, of which a plant has a handful.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import breadth_first_order, connected_components
from scipy.sparse.csgraph import maximum_bipartite_matching as _matching

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
