"""Runs of small strong blocks of a block triangular system (sparse.BlockSolver's most common
segment): the blocks inverted in batches by size, the couplings between them solved by
levels or by one unit lower triangular solve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

#: a block whose condition number exceeds this is treated as singular
MAX_CONDITION = 1e13


class SingularBlock(Exception):
    """A block of the system is singular; `columns` are its unknowns (original numbering)."""

    def __init__(self, columns, reason: str = "singular"):
        self.columns = np.asarray(columns)
        self.reason = reason
        super().__init__(f"{reason} block of {len(self.columns)} unknowns")


class BlockTriangular:
    """A run of small strong blocks: D = B + E with B block diagonal and E strictly lower
    (between blocks), the blocks inverted in batches (numpy, one call per block size).

    Solved by levels when the blocks' dependencies are shallow (a plant: as deep as its
    longest chain of stages): the blocks of one level depend only on earlier levels, so
    x[level] = B^-1 (b - E x)[level] is two sparse products per level, for any number of
    right-hand sides at once. Deep dependencies: D x = b <=> (I + E B^-1) y = b, x = B^-1 y,
    one scalar unit lower triangular solve. No SuperLU, no fill outside the blocks."""

    def __init__(self, D: sp.csr_matrix, sizes: np.ndarray, columns):
        n = D.shape[0]
        D = sp.csr_matrix(D)
        D.sum_duplicates()
        starts = np.concatenate([[0], np.cumsum(sizes)])
        block_of = np.repeat(np.arange(len(sizes)), sizes)
        row = np.repeat(np.arange(n, dtype=D.indices.dtype), np.diff(D.indptr))
        inside = block_of[row] == block_of[D.indices]
        self.Binv, bad = _block_inverses(row[inside], D.indices[inside], D.data[inside], sizes,
                                         starts, block_of)
        if bad:
            raise SingularBlock(columns[np.concatenate(bad)])
        out = ~inside
        counts = np.bincount(row[out], minlength=n)
        E = sp.csr_matrix((D.data[out], D.indices[out], np.concatenate([[0], np.cumsum(counts)])),
                          shape=(n, n))
        self.levels = _levels(E, row[out], block_of, len(sizes), self.Binv)
        self.L = None
        if self.levels is None:
            if (sizes == 1).all():              # B^-1 diagonal: E B^-1 scales E's columns
                E.data *= self.Binv.data[E.indices]
                strict = E
            else:
                strict = E @ self.Binv
                strict.sort_indices()
            self.L = _unit_lower(strict)

    def solve(self, rhs: np.ndarray, levels=None) -> np.ndarray:
        levels = self.levels if levels is None else levels
        if levels is not None:
            return levels.solve(rhs)
        # L is canonical with its unit diagonal stored: the solver may use it as it is
        y = spla.spsolve_triangular(self.L, rhs, lower=True, unit_diagonal=True,
                                    overwrite_A=True)
        return self.Binv @ y

    def renumbered(self, perm: np.ndarray) -> Levels:
        """The levels taking and giving the unknowns of the whole system (the segment is
        all of it, in the order `perm`): solving them needs no permuted copy."""
        inv = np.empty_like(perm)
        inv[perm] = np.arange(len(perm))
        return Levels(perm[self.levels.at], self.levels.back[inv], self.levels.steps)


@dataclass
class Levels:
    """The unknowns in level order, so that each level's are a contiguous run: `at` the
    unknown at each position, `back` the position of each unknown, and per level its
    positions [lo, hi), E's rows (columns: the positions before lo) and B^-1's rows."""

    at: np.ndarray
    back: np.ndarray
    steps: list

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """x = B^-1 (b - E x), level by level: one gather in, one out, contiguous rows
        between (row-major: sparse products with many right-hand sides take them so)."""
        b = np.take(np.asarray(rhs, dtype=float), self.at, axis=0)
        x = np.empty_like(b)
        for lo, hi, E_l, B_l in self.steps:
            t = b[lo:hi]
            if E_l is not None:
                t -= E_l @ x[:lo]
            x[lo:hi] = B_l @ t
        return np.take(x, self.back, axis=0)


#: solve by levels when there are at most this many, or n / LEVEL_RATIO
MIN_LEVELS, LEVEL_RATIO = 8, 500


def _levels(E: sp.csr_matrix, rows: np.ndarray, block_of: np.ndarray, nb: int, Binv):
    """The unknowns by level of their block (a block's level: one more than the deepest
    block it depends on), as Levels; None when there are more levels than pay
    (MIN_LEVELS, LEVEL_RATIO)."""
    n = E.shape[0]
    limit = max(MIN_LEVELS, n // LEVEL_RATIO)
    src, dst = block_of[E.indices], block_of[rows]
    adj = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(nb, nb))
    indeg = np.bincount(adj.indices, minlength=nb)
    level = np.full(nb, -1, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    while len(frontier):
        if depth >= limit:
            return None
        level[frontier] = depth
        succ = adj[frontier].indices
        np.subtract.at(indeg, succ, 1)
        frontier = np.unique(succ[indeg[succ] == 0])
        depth += 1
    at = level[block_of]
    order = np.argsort(at.astype(np.uint16), kind="stable")
    bounds = np.searchsorted(at[order], np.arange(depth + 1))
    back = np.empty(n, dtype=np.int64)
    back[order] = np.arange(n)
    steps = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        r = order[lo:hi]
        E_l = E[r]
        B = Binv[r]
        B_l = sp.csr_matrix((B.data, back[B.indices] - lo, B.indptr), shape=(hi - lo, hi - lo))
        E_l = sp.csr_matrix((E_l.data, back[E_l.indices], E_l.indptr), shape=(hi - lo, lo)) \
            if E_l.nnz else None
        steps.append((int(lo), int(hi), E_l, B_l))
    return Levels(order, back, steps)


def _unit_lower(strict: sp.csr_matrix) -> sp.csr_matrix:
    """I + a strictly lower triangular CSR matrix with sorted rows: the ones go last."""
    n = strict.shape[0]
    indptr = (strict.indptr + np.arange(n + 1)).astype(np.int32 if strict.nnz + n < 2**31
                                                        else np.int64)
    data = np.ones(strict.nnz + n)
    indices = np.empty(strict.nnz + n, dtype=indptr.dtype)
    keep = np.ones(strict.nnz + n, dtype=bool)
    keep[indptr[1:] - 1] = False                    # the last slot of each row: the diagonal
    data[keep] = strict.data
    indices[keep] = strict.indices
    indices[~keep] = np.arange(n)
    L = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    L.has_sorted_indices = True
    L.has_canonical_format = True
    return L


def _block_inverses(r_in, c_in, v_in, sizes, starts, block_of):
    """B^-1 as CSR (row r holds the columns of its own block) from the entries inside the
    blocks; single blocks directly, larger ones in batches by size. Returns it and the
    unknowns of the singular blocks."""
    n = len(block_of)
    indptr = np.concatenate([[0], np.cumsum(sizes[block_of])])
    data = np.empty(indptr[-1])
    indices = np.empty(indptr[-1], dtype=np.int64)
    blk_in = block_of[r_in]
    one = sizes[blk_in] == 1
    single = starts[:-1][sizes == 1]
    d = np.zeros(n)
    d[r_in[one]] = v_in[one]
    ok = np.isfinite(d[single]) & (d[single] != 0)
    data[indptr[single]] = np.where(ok, 1.0 / np.where(ok, d[single], 1.0), 0.0)
    indices[indptr[single]] = single
    bad = [single[~ok]] if not ok.all() else []
    r_in, c_in, v_in, blk_in = r_in[~one], c_in[~one], v_in[~one], blk_in[~one]
    size_list, counts = np.unique(sizes[sizes > 1], return_counts=True)
    small = sizes.astype(np.uint8)      # sizes <= SMALL_BLOCK < 256: numpy radix-sorts
    blk_order = np.argsort(np.where(sizes > 1, small, 0), kind="stable")[(sizes == 1).sum():]
    blk_bounds = np.concatenate([[0], np.cumsum(counts)])
    rank = np.empty(len(sizes), dtype=np.int64)     # a block's place among its size
    rank[blk_order] = np.arange(len(blk_order)) - np.repeat(blk_bounds[:-1], counts)
    ent_size = small[blk_in]
    ent_order = np.argsort(ent_size, kind="stable")
    ent_bounds = np.searchsorted(ent_size[ent_order], np.append(size_list, np.inf))
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
    Binv = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    return Binv, [b for b in bad if len(b)]


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
