"""Analytic hierarchy process: weights from a pairwise comparison matrix.

The weights are the principal (Perron) eigenvector of the reciprocal matrix A, normalised to
sum 1; lambda_max is its eigenvalue, CI = (lambda_max - n) / (n - 1) and CR = CI / RI(n) with
Saaty's random index (data/ahp.toml). A matrix with CR above the limit (0.1) is refused unless
the user accepts it: the judgements contradict each other too much to be weights.

    >>> r = ahp_weights([[1, 3], ["1/3", 1]])
    >>> [round(float(w), 4) for w in r.weights], round(r.lambda_max, 6), r.cr
    ([0.75, 0.25], 2.0, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...io.toml import shipped_toml
from .exceptions import EvaluationError, InconsistentJudgementError
from .formula import number

#: relative tolerance of a_ij * a_ji = 1 (judgements written as 0.333 for 1/3 pass)
RECIPROCAL_RTOL = 0.01


@dataclass(frozen=True)
class AHPResult:
    """Weights of one comparison matrix and its consistency."""

    weights: np.ndarray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    n: int
    limit: float
    name: str | None = None

    @property
    def consistent(self) -> bool:
        """CR within the accepted limit."""
        return self.cr <= self.limit

    def as_dict(self) -> dict:
        return {"name": self.name, "n": self.n, "weights": [float(w) for w in self.weights],
                "lambda_max": self.lambda_max, "ci": self.ci, "ri": self.ri, "cr": self.cr,
                "limit": self.limit, "consistent": self.consistent}


def _data() -> dict:
    return shipped_toml("ahp.toml")


def random_index(n: int) -> float:
    """Saaty's random index RI(n); EvaluationError beyond the table."""
    table = {int(k): float(v) for k, v in _data()["random_index"].items()}
    if n not in table:
        raise EvaluationError(f"no random index for a {n} x {n} comparison matrix: Saaty's table "
                              f"(data/ahp.toml) covers n = {min(table)}..{max(table)}; split the "
                              f"group into smaller ones")
    return table[n]


def consistency_limit() -> float:
    """The consistency ratio accepted without the user's say-so (Saaty: 0.1)."""
    return float(_data()["consistency"]["limit"])


def ahp_weights(matrix, *, name: str | None = None, accept_inconsistent: bool = False,
                limit: float | None = None, origin: str | None = None) -> AHPResult:
    """Weights, lambda_max, CI, RI and CR of a reciprocal pairwise comparison matrix.

    `matrix` is a square list of lists (or array) of positive judgements; entries may be
    written as strings such as '1/3'. CR above `limit` (default data/ahp.toml, 0.1) raises
    InconsistentJudgementError naming the matrix and its CR, unless accept_inconsistent.
    """
    label = f"comparison matrix '{name}'" if name else "comparison matrix"
    A = _as_matrix(matrix, label, origin)
    n = A.shape[0]
    ri = random_index(n)
    limit = consistency_limit() if limit is None else float(limit)
    if n == 1:
        return AHPResult(np.ones(1), 1.0, 0.0, ri, 0.0, 1, limit, name)
    values, vectors = np.linalg.eig(A)
    k = int(np.argmax(values.real))
    lam = float(values[k].real)
    v = np.abs(vectors[:, k].real)
    w = v / v.sum()
    ci = max(0.0, (lam - n) / (n - 1))
    cr = ci / ri if ri > 0 else 0.0
    result = AHPResult(w, lam, ci, ri, cr, n, limit, name)
    if cr > limit and not accept_inconsistent:
        raise InconsistentJudgementError(
            f"{label} is inconsistent: CR = {cr:.4f} > {limit:g} (lambda_max {lam:.4f}, "
            f"CI {ci:.4f}, RI({n}) {ri:g}); revise the judgements, or accept the matrix "
            f"explicitly (accept_inconsistent)", cr=cr, name=name, origin=origin)
    return result


def _as_matrix(matrix, label: str, origin: str | None) -> np.ndarray:
    try:
        rows = [list(r) for r in matrix]
    except TypeError:
        raise EvaluationError(f"{label} must be a list of rows", origin=origin) from None
    n = len(rows)
    if n == 0 or any(len(r) != n for r in rows):
        shape = [len(r) for r in rows]
        raise EvaluationError(f"{label} must be square; its rows have lengths {shape}",
                              origin=origin)
    A = np.empty((n, n))
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            A[i, j] = number(v, f"{label}, row {i + 1}, column {j + 1}", origin)
    bad = ~(np.isfinite(A) & (A > 0))
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise EvaluationError(f"{label}: entry ({i + 1}, {j + 1}) is {A[i, j]:g}; judgements "
                              f"must be positive numbers", origin=origin)
    diag = np.flatnonzero(~np.isclose(np.diag(A), 1.0, rtol=0, atol=1e-9))
    if len(diag):
        i = int(diag[0])
        raise EvaluationError(f"{label}: diagonal entry ({i + 1}, {i + 1}) is {A[i, i]:g}, not 1",
                              origin=origin)
    prod = A * A.T
    off = np.argwhere(~np.isclose(prod, 1.0, rtol=RECIPROCAL_RTOL, atol=0))
    if len(off):
        i, j = map(int, off[0])
        raise EvaluationError(f"{label} is not reciprocal: entry ({i + 1}, {j + 1}) = "
                              f"{A[i, j]:g} but ({j + 1}, {i + 1}) = {A[j, i]:g} (should be "
                              f"{1 / A[i, j]:.4g}; write it as '1/{A[i, j]:g}')", origin=origin)
    return A
