"""The columns of the core of I - K whose allocation keys a run moves (a share or a recipe
ratio changes what a node passes to each output), put into the refinement's preconditioner
exactly by the Woodbury identity (runrefine.py):

    M_run = M + U E^T     U = (M_run - M)[:, moved] (core x k),  E: unit columns of `moved`
    M_run^-1 r = y - W (I_k + W[moved])^-1 y[moved],    y = M^-1 r,  W = M^-1 U

with M = I - K_nom (factorised once). Keys that differ by rounding only (the same shares
computed from other quantities) are not moved columns: refinement settles them at its first
check. W costs k more columns of the batch's solve; a run moving more than MAX_MOVED
columns, or whose I_k + W[moved] is (nearly) singular, is refined without the correction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: an entry of I - K that changes by more than this relative to its nominal size moves its
#: column
MOVED = 1e-9
#: more moved columns than this: refinement alone (the correction would cost more)
MAX_MOVED = 64
#: capacitance matrices conditioned worse than this are not used
MAX_CONDITION = 1e10


@dataclass
class Correction:
    """The Woodbury correction of one run: the moved columns (core positions), U, and once
    W = M^-1 U is solved, the inverse of the capacitance matrix I_k + W[moved]."""

    moved: np.ndarray
    U: np.ndarray
    W: np.ndarray | None = None
    S_inv: np.ndarray | None = None

    def solved(self, W: np.ndarray) -> bool:
        """Take W = M^-1 U; False if the capacitance matrix is unusable."""
        S = np.eye(len(self.moved)) + W[self.moved]
        if not np.isfinite(S).all() or np.linalg.cond(S) > MAX_CONDITION:
            return False
        self.W, self.S_inv = W, np.linalg.inv(S)
        return True

    def apply(self, y: np.ndarray) -> np.ndarray:
        """M_run^-1 r from y = M^-1 r (in place)."""
        y -= self.W @ (self.S_inv @ y[self.moved])
        return y


def correction(core, nominal: np.ndarray, moves: np.ndarray,
               data: np.ndarray) -> Correction | None:
    """The correction for a run with entries `data` of I - K (core: the KeyPattern's core
    Part; nominal: its values for the nominal keys, moves: MOVED times their size); None
    when no column moved, or too many."""
    diff = core.values(data)
    diff -= nominal
    moved_slots = np.abs(diff) > moves
    if not moved_slots.any():
        return None
    moved = np.unique(core.indices[moved_slots])
    if len(moved) > MAX_MOVED:
        return None
    at = np.full(core.shape[1], -1, dtype=np.int64)
    at[moved] = np.arange(len(moved))
    slots = np.flatnonzero(at[core.indices] >= 0)
    U = np.zeros((core.shape[0], len(moved)))
    rows = np.searchsorted(core.indptr, slots, side="right") - 1
    np.add.at(U, (rows, at[core.indices[slots]]), diff[slots])
    return Correction(moved, U)
