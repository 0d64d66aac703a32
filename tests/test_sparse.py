"""The block solver and structure analysis on their own."""

import numpy as np
import pytest
import scipy.sparse as sp

from flowgraph.solvers.pattern import structure
from flowgraph.solvers.sparse import BlockSolver, SingularBlock


def random_loss_dominated(n, per_row=5, passon=(0.3, 0.9), seed=0):
    rng = np.random.default_rng(seed)
    m = n * per_row
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(0.5, 1.5, m)
    s = rng.uniform(*passon, n)[src] * w / np.bincount(src, weights=w, minlength=n)[src]
    return (sp.identity(n) - sp.csr_matrix((s, (dst, src)), shape=(n, n))).tocsr()


@pytest.mark.parametrize("n, huge", [(50, 2000), (3000, 2000), (3000, 100)])
def test_block_solver_matches_dense_solution(n, huge):
    A = random_loss_dominated(n)
    b = np.random.default_rng(1).uniform(0, 1, (n, 3))
    x = BlockSolver(A, huge=huge).solve(b)
    assert np.allclose(A @ x, b, rtol=1e-10, atol=1e-12)


def test_near_singular_loop_solved_exactly():
    """Pass-on 0.999999: a loop block that recycles almost everything is still solved."""
    A = random_loss_dominated(3000, passon=(0.999999, 0.999999), seed=3)
    b = np.ones(3000)
    x = BlockSolver(A, huge=100).solve(b)
    assert np.linalg.norm(A @ x - b) / np.linalg.norm(b) < 1e-10


def test_stalled_iteration_falls_back_to_direct():
    A = random_loss_dominated(3000, passon=(0.99, 0.999), seed=4)
    b = np.ones(3000)
    solver = BlockSolver(A, huge=100, max_iter=3)
    x = solver.solve(b)
    assert np.linalg.norm(A @ x - b) / np.linalg.norm(b) < 1e-10
    assert any(s["method"] == "lu (iteration stalled)" for s in solver.stats.segments)


def test_triangular_chain_and_mixed_blocks():
    n = 1000
    A = sp.eye(n, format="lil")
    for i in range(1, n):
        A[i, i - 1] = -0.9
    A[10, 12] = -0.1            # a small loop 10-11-12
    A = A.tocsr()
    b = np.ones(n)
    x = BlockSolver(A).solve(b)
    assert np.allclose(A @ x, b)


def test_singular_block_is_reported():
    A = sp.csr_matrix(np.array([[1.0, 0, 0], [-1.0, 1.0, -1.0], [0, -1.0, 1.0]]))
    with pytest.raises(SingularBlock) as exc:
        BlockSolver(A).solve(np.ones(3))
    assert set(exc.value.columns) == {1, 2}


def test_structure_finds_under_and_over_determined_parts():
    # rows: x0 = 1; x0 - x1 = 0; x0 - x1 = 0 (surplus); x2 + x3 = 5 (x2, x3 under)
    A = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, -1, 0, 0], [1, -1, 0, 0], [0, 0, 1, 1.0]]))
    st = structure(A)
    assert st.degrees_of_freedom == 1
    assert set(np.flatnonzero(st.under_cols)) == {2, 3}
    assert set(np.flatnonzero(st.over_cols)) == {0, 1}
    assert len(st.unmatched_rows) == 1


@pytest.mark.parametrize("seed", range(5))
def test_small_blocks_of_every_size_match_a_dense_solve(seed):
    """Blocks of 1, 2 (closed-form inverse) and 3..8 nodes (LAPACK), coupled downstream,
    in shuffled order: the batched block solve equals numpy's dense solve."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, 60)
    n = int(sizes.sum())
    A = np.zeros((n, n))
    start = 0
    for s in sizes:                      # each block diagonally dominant, a loop if s > 1
        blk = -rng.uniform(0, 0.9 / s, (s, s))
        np.fill_diagonal(blk, rng.uniform(0.5, 2.0, s))
        A[start:start + s, start:start + s] = blk
        if start:                        # fed by an earlier block
            A[start, rng.integers(0, start)] = -rng.uniform(0.1, 1.0)
        start += s
    p = rng.permutation(n)
    A = A[p][:, p]
    b = rng.uniform(1, 10, n)
    x = BlockSolver(sp.csr_matrix(A)).solve(b)
    assert np.allclose(x, np.linalg.solve(A, b), rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", range(3))
def test_small_blocks_by_levels_match_a_dense_solve(seed):
    """Shallow couplings (every block fed by one of the first three): solved by levels,
    unknowns in level order, several right-hand sides at once and one alone."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, 80)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    n = int(starts[-1])
    A = np.zeros((n, n))
    for i, s in enumerate(sizes):
        lo = starts[i]
        blk = -rng.uniform(0, 0.9 / s, (s, s))
        np.fill_diagonal(blk, rng.uniform(0.5, 2.0, s))
        A[lo:lo + s, lo:lo + s] = blk
        if i:
            j = rng.integers(0, min(i, 3))
            A[lo + rng.integers(0, s), starts[j] + rng.integers(0, sizes[j])] = -0.5
    p = rng.permutation(n)
    A = A[p][:, p]
    solver = BlockSolver(sp.csr_matrix(A))
    assert solver.direct is not None                # one run of small blocks, by levels
    b = rng.uniform(1, 10, (n, 4))
    x = solver.solve(np.asfortranarray(b))
    assert np.allclose(x, np.linalg.solve(A, b), rtol=1e-12, atol=0)
    assert np.allclose(solver.solve(b[:, 1]), x[:, 1], rtol=1e-14, atol=0)


def test_singular_two_node_loop_is_named():
    """A two-node loop that passes on everything it receives has no unique solution."""
    A = sp.csr_matrix(np.array([[1.0, 0, 0, 0], [-0.5, 1.0, 0, 0],
                                [0, -1.0, 1.0, -1.0], [0, 0, -1.0, 1.0]]))
    with pytest.raises(SingularBlock) as exc:
        BlockSolver(A).solve(np.ones(4))
    assert set(exc.value.columns) == {2, 3}
