"""Data reconciliation: adjust measured flows and transfer coefficients, within their
uncertainties, until every balance closes; then say how sure each value is and which
measurements look wrong. The method of STAN (Cencic 2016, Sustainable Environment Research
26: 291-298):

    minimise (y - y0)' S^-1 (y - y0)   subject to F(y, u) = 0

y measured values (quantities with sigma, shares with share_sigma), S their covariance
(diagonal), u unknowns, F the balance equations (constraints.py). F is bilinear when shares
are measured: it is linearised at the current estimate, the unknowns are eliminated
(elimination.py), the linear problem is solved in closed form,

    y_hat = y0 - S D' (D S D')^-1 (D y0 + e),

and this is repeated until the estimate stops moving. The chi-square of the adjustments tests
the data as a whole; each redundant measurement's normalised adjustment tests it alone
(reconciliation.py). docs/methods/reconciliation.md has the mathematics and an example.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.linalg import lapack

from ..errors import BalanceError, InconsistentError
from .balance import CONSISTENCY_RTOL, Balance
from .compiled import compile_network
from .constraints import BALANCE, EXACT, Constraints, build_constraints
from .elimination import CHUNK, eliminate
from .progress import Progress
from .reconciled import (
    Reconciliation,
    critical_z,
    global_test,
    normalised_adjustments,
    propagate_reconciled,
)
from .specs import SHARE

#: a redundancy equation whose pivot (in sigma units, rows of length 1) is below this
#: depends on the others
PIVOT_TOL = 1e-12
#: below this many sigmas, a step that no longer shrinks is roundoff: the iteration stops
NOISE = 1e-5
#: up to this many redundancy equations their Gram matrix is factorised dense
DENSE_GRAM = 2000


class ReconciliationError(BalanceError):
    """Reconciliation did not converge (bilinear constraints far from the data)."""


@dataclass
class Fit:
    """The arrays of a reconciliation: per flow, and per measured variable (quantities then
    shares, as Constraints.y0)."""

    x: np.ndarray               # per flow: reconciled quantity, NaN if unobservable
    sigma_x: np.ndarray         # per flow: its standard uncertainty (0 exact, NaN unobservable)
    observable: np.ndarray      # per flow
    s: np.ndarray               # per flow: reconciled share (NaN for flows without one)
    y0: np.ndarray              # measured values
    sy: np.ndarray              # their standard uncertainties
    y: np.ndarray               # reconciled values
    sigma_y: np.ndarray         # standard uncertainty of the reconciled values
    sigma_adj: np.ndarray       # standard deviation of each adjustment
    redundant: np.ndarray
    chi2: float
    dof: int
    iterations: int
    method: str
    completions: list           # flow quantities with unobservable flows filled in two
    #                             different ways that both satisfy the balances


def reconcile_network(net, *, alpha: float = 0.05, method: str = "auto", max_iter: int = 50,
                      tol: float = 1e-8, drop=(), eliminate: bool = False,
                      scenario: str | None = None, cache: dict | None = None) -> Reconciliation:
    """Reconcile the measured data of `net` with its balances; returns a Reconciliation (a
    Result whose quantities are the reconciled ones, with values propagated).

    alpha: significance level of the global chi-square test and, Sidak-corrected for the
    number of redundant measurements, of the per-measurement tests. method: 'auto',
    'sparse' or 'dense' elimination of the unknowns (elimination.py). tol: the iteration
    stops when no measured value moves by more than tol times its sigma. drop: ids of flows
    whose measured (or exact) quantity or share is ignored. eliminate: serial elimination
    of gross errors: while the global test fails, drop the flagged measurement with the
    largest normalised adjustment and reconcile again. cache: a Solver's factorisations.
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    if method not in ("auto", "sparse", "dense"):
        raise ValueError("method must be 'auto', 'sparse' or 'dense'")
    t0 = time.perf_counter()
    c = compile_network(net)
    t1 = time.perf_counter()
    dropped, eliminated = list(drop), []
    while True:
        k = build_constraints(c, drop=dropped)
        fit = fit_constraints(k, method=method, max_iter=max_iter, tol=tol)
        if not eliminate or global_test(fit, alpha)[2]:
            break
        z = normalised_adjustments(fit)
        worst = int(np.nanargmax(np.where(np.isnan(z), -1.0, z))) if len(z) else -1
        if worst < 0 or not z[worst] > critical_z(alpha, int(fit.redundant.sum())):
            break
        nm = len(k.measured)
        flow = k.measured[worst] if worst < nm else k.share_flows[worst - nm]
        eliminated.append((c.flow_ids[flow], "quantity" if worst < nm else "share",
                           float(z[worst])))
        dropped.append(c.flow_ids[flow])
    t2 = time.perf_counter()
    _refuse_negative(c, fit)
    values, note = propagate_reconciled(c, fit, cache)
    t3 = time.perf_counter()
    bal = Balance(fit.x, np.zeros(0), None, None, None, np.zeros(0), np.zeros(0, np.int64))
    timings = {"compile": t1 - t0, "reconcile": t2 - t1, "propagate": t3 - t2}
    return Reconciliation(c, bal, values, k, fit, alpha, scenario=scenario, timings=timings,
                          eliminated=eliminated, note=note)


def _refuse_negative(c, fit, rtol: float = 1e-9) -> None:
    """Reconciled flows below zero are no result: the measurements, weighted by their
    sigmas, do not support a non-negative value. Rounding noise is set to exactly 0."""
    x = fit.x
    finite = np.isfinite(x)
    tol = rtol * np.max(np.abs(x[finite]), initial=0.0)
    small = finite & (x < 0) & (x >= -tol)
    x[small] = 0.0
    bad = np.flatnonzero(finite & (x < -tol))
    if len(bad):
        shown = ", ".join(f"{c.flow_names([i])} = {x[i]:.6g} {c.unit[i]}" for i in bad[:8])
        raise ReconciliationError(
            f"reconciled quantities below zero: {shown}. The measured values, weighted by "
            f"their sigmas, leave less than nothing for these flows: check the measurements "
            f"near them (a gross error?) or their sigmas", flows=list(c.flow_ids[bad]))


def fit_constraints(k: Constraints, *, method: str = "auto", max_iter: int = 50,
                    tol: float = 1e-8) -> Fit:
    """Successive linearisation: linearise F at the estimate, eliminate the unknowns,
    reconcile in closed form; until the estimate moves less than tol x its sigma. Linear
    constraints (no measured share) need one step."""
    y0, sy = k.y0(), k.sigma_y()
    y = y0.copy()
    lin = _linearise(k, y, method)
    bar = Progress(max_iter, "reconciliation", "iterations")
    try:
        y, lin, iterations = _iterate(k, lin, y, y0, sy, method, max_iter, tol, bar)
    finally:
        bar.close()
    return _finish(k, lin, y, y0, sy, iterations)


def _iterate(k, lin, y, y0, sy, method, max_iter, tol, bar):
    """The linearisation steps of fit_constraints, counted on its progress bar."""
    iterations, last = 0, np.inf
    while True:
        iterations += 1
        bar.update(iterations)
        D, e, _, _ = _redundancy(k, lin, y)
        y_new = _step(D, e, y0, sy)[0]
        moved = float(np.max(np.abs(y_new - y) / sy, initial=0.0))
        y = y_new
        lin = _linearise(k, y, method, None if k.bilinear else lin["elim"])
        # converged, or down to the roundoff floor (steps no longer shrink)
        if not k.bilinear or moved <= tol or (moved <= NOISE and moved > 0.5 * last):
            break
        last = moved
        if iterations >= max_iter:
            raise ReconciliationError(
                f"reconciliation did not converge in {max_iter} iterations (the last step "
                f"moved a measured value by {moved:.3g} of its sigma); the measured transfer "
                f"coefficients may be far from what the flows allow: check them, or give them "
                f"larger sigmas")
    return y, lin, iterations


def _linearise(k: Constraints, y: np.ndarray, method: str, elim=None) -> dict:
    """At measured values y: the unknowns from the (in u linear) equations, and the
    linearisation F ~ A y + B u + c around that point."""
    s = k.shares(y)
    B = k.jacobian_x(s).tocsc()[:, k.unknown]
    if elim is None:
        elim = eliminate(B, k.pattern_B(), method,
                         lambda cols: k.compiled.flow_names(k.unknown[cols]))
    x0 = k.flows(y, np.zeros(len(k.unknown)))
    u = elim.solve(k.residual(x0, s))
    x = k.flows(y, np.nan_to_num(u, nan=0.0))
    A, _ = k.blocks(x, s)
    F = k.residual(x, s)
    c = F - A @ y - B @ np.nan_to_num(u, nan=0.0)
    return {"elim": elim, "s": s, "u": u, "x": x, "A": A, "B": B, "c": c}


def _redundancy(k: Constraints, lin: dict, y: np.ndarray):
    """The redundancy equations D y + e = 0 at this linearisation (D sparse). One that no
    measured value takes part in must hold by itself; if it does not, exact data contradict
    each other (InconsistentError naming the flows). Returns the others, their scale and
    their positions among all redundancy equations."""
    elim = lin["elim"]
    n_y = len(y)
    if elim.n_red == 0:
        return sp.csr_matrix((0, n_y)), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    D = sp.csr_matrix(elim.project(lin["A"]))
    e = np.atleast_1d(elim.project(lin["c"]))
    sc = elim.project_abs(k.term_scale(lin["x"], lin["s"]))
    mag = np.maximum(np.abs(y), k.sigma_y())
    row = np.repeat(np.arange(D.shape[0]), np.diff(D.indptr))
    D.data[np.abs(D.data) * mag[D.indices] <= 1e-12 * sc[row]] = 0.0
    D.eliminate_zeros()
    zero = (abs(D) @ mag) <= 1e-10 * sc
    res = D @ y + e
    bad = zero & (np.abs(res) > CONSISTENCY_RTOL * np.maximum(sc, 1e-300))
    if bad.any():
        raise _contradiction(k, lin, np.flatnonzero(bad))
    keep = np.flatnonzero(~zero)
    return D[keep], e[keep], sc[keep], keep


class _Gram:
    """M = H H' for the redundancy equations in sigma units (rows of length 1), factorised
    with the dependent equations left out: by LAPACK's pivoted Cholesky (dpstrf), which
    finds them as it goes, up to DENSE_GRAM equations; beyond, by a symmetric sparse LU,
    turning to dpstrf only to pick the independent equations when pivots vanish."""

    def __init__(self, Hn: sp.csr_matrix):
        M = (Hn @ Hn.T).tocsc()
        n = M.shape[0]
        self.lu = None
        if n <= DENSE_GRAM:
            self._pivoted_cholesky(M)
        else:
            self.ind = np.arange(n)
            self.lu = _spd_lu(M)
            if self.lu is None:
                self._pivoted_cholesky(M)
        self.H = Hn[self.ind]

    def _pivoted_cholesky(self, M) -> None:
        c, piv, rank, _ = lapack.dpstrf(M.toarray(), tol=PIVOT_TOL, lower=1)
        self.ind = piv[:rank] - 1
        self.L = np.tril(c[:rank, :rank])

    @property
    def rank(self) -> int:
        return len(self.ind)

    def solve(self, rhs):
        """M^-1 rhs over the independent equations (rows of rhs in the order of `ind`)."""
        if self.lu is not None:
            return self.lu.solve(rhs)
        return la.cho_solve((self.L, True), rhs)

    def split(self):
        """Per measured variable, the share of its variance the redundancy equations remove,
        h = diag(H' M^-1 H) (0: not redundant), and the share they leave,
        |(I - H' M^-1 H) e_i|^2 (= 1 - h, but by projection, so that a value the equations
        fix exactly gets 0 to roundoff rather than to its square root). One solve per chunk."""
        n_y = self.H.shape[1]
        h, free = np.zeros(n_y), np.zeros(n_y)
        Hc = self.H.tocsc()
        for lo in range(0, n_y, CHUNK):
            part = Hc[:, lo:lo + CHUNK]
            V = self.solve(part.toarray())
            h[lo:lo + CHUNK] = np.asarray(part.multiply(V).sum(axis=0)).ravel()
            R = -np.asarray(self.H.T @ V)
            R[lo + np.arange(part.shape[1]), np.arange(part.shape[1])] += 1.0
            free[lo:lo + CHUNK] = np.sum(R ** 2, axis=0)
        return h, free


def _spd_lu(M):
    if M.shape[0] == 0:
        return None
    try:
        lu = spla.splu(M, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                       options={"SymmetricMode": True})
    except RuntimeError:
        return None
    d = np.abs(lu.U.diagonal())
    return lu if d.min() > PIVOT_TOL * max(1.0, d.max()) else None


def _step(D: sp.csr_matrix, e, y0, sy):
    """Closed-form weighted least squares under linear constraints D y + e = 0:
    y = y0 - S D' (D S D')^-1 (D y0 + e). Returns y and the factorised Gram matrix."""
    if D.shape[0] == 0 or not len(y0):
        return y0.copy(), None
    H = D @ sp.diags(sy)
    norm = np.sqrt(np.asarray(H.multiply(H).sum(axis=1)).ravel())
    Hn = sp.diags(1.0 / norm) @ H
    gram = _Gram(sp.csr_matrix(Hn))
    ind = gram.ind
    r = (D[ind] @ y0 + e[ind]) / norm[ind]
    lam = gram.solve(r)
    return y0 - sy * (gram.H.T @ lam), gram


def _finish(k: Constraints, lin: dict, y, y0, sy, iterations) -> Fit:
    """Final estimate: every redundancy equation must hold (dependent ones whose exact parts
    disagree do not), then the covariances (first order, at the estimate) and the tests."""
    c = k.compiled
    elim = lin["elim"]
    D, e, sc, keep = _redundancy(k, lin, y)
    _, gram = _step(D, e, y0, sy)
    res = D @ y + e
    bad = np.abs(res) > 1e-7 * np.maximum(sc, 1e-300)
    if bad.any():
        raise _contradiction(k, lin, keep[bad])
    h, free = gram.split() if gram is not None else (np.zeros(len(y)), np.ones(len(y)))
    sigma_y = sy * np.sqrt(free)
    sigma_adj = sy * np.sqrt(np.clip(h, 0.0, None))
    redundant = h > 1e-12

    u = lin["u"]
    sigma_u = np.full(len(k.unknown), np.nan)
    obs = np.flatnonzero(elim.observable)
    if len(obs) and len(y):
        size = CHUNK if elim.method == "sparse" else len(obs)
        for lo in range(0, len(obs), size):
            idx = obs[lo:lo + size]
            K = elim.inverse_rows(lin["A"], idx) * sy          # d u / d y, in sigma units
            if gram is not None:
                # K (I - H' M^-1 H): the part of K the redundancy equations leave free,
                # projected (not a difference of squares: no cancellation)
                K = K - np.asarray(gram.H.T @ gram.solve(np.asarray(gram.H @ K.T))).T
            sigma_u[idx] = np.sqrt(np.sum(K ** 2, axis=1))
    elif len(obs):
        sigma_u[obs] = 0.0
    x = k.flows(y, np.nan_to_num(u, nan=0.0))
    sigma_x = np.zeros(c.n_flows)
    sigma_x[k.measured] = sigma_y[:len(k.measured)]
    sigma_x[k.unknown] = sigma_u
    observable = np.ones(c.n_flows, dtype=bool)
    observable[k.unknown] = elim.observable
    chi2 = float(np.sum(((y - y0) / sy) ** 2)) if len(y) else 0.0
    completions = _completions(k, lin, y, x) if not observable.all() else []
    x[~observable] = np.nan
    sigma_x[~observable] = np.nan
    return Fit(x, sigma_x, observable, np.where(c.spec == SHARE, k.shares(y), np.nan), y0, sy,
               y, sigma_y, sigma_adj, redundant, chi2, gram.rank if gram is not None else 0,
               iterations, elim.method, completions)


def _completions(k: Constraints, lin: dict, y, x) -> list:
    """Two fillings of the unobservable flows that both satisfy the equations (least-squares
    solutions of the under-determined part from two starting points), so that value flow
    can be computed and what does not depend on the filling told apart. [] if the solver
    cannot meet the equations."""
    unobs = np.flatnonzero(~lin["elim"].observable)
    B = sp.csc_matrix(lin["B"])
    u = np.nan_to_num(lin["u"], nan=0.0)
    u[unobs] = 0.0
    rhs = -(lin["A"] @ y + lin["c"] + B @ u)
    Bu = B[:, unobs].tocsr()
    rows = np.flatnonzero(np.diff(Bu.indptr) > 0)
    Bu, rhs = Bu[rows], rhs[rows]
    scale = max(float(np.nanmedian(np.abs(x))) if len(x) else 1.0, 1.0)
    rng = np.random.default_rng(0)
    out = []
    for start in (np.zeros(len(unobs)), scale * rng.uniform(0.2, 1.0, len(unobs))):
        sol = spla.lsqr(Bu, rhs, x0=start, atol=1e-14, btol=1e-14,
                        iter_lim=20 * len(unobs) + 100)[0]
        if np.linalg.norm(Bu @ sol - rhs) > 1e-9 * (np.linalg.norm(rhs) + scale):
            return []
        full = u.copy()
        full[unobs] = sol
        out.append(k.flows(y, full))
    return out


def _contradiction(k: Constraints, lin: dict, eqs) -> InconsistentError:
    """The error for redundancy equations that exact data alone violate, naming the balances
    they combine and the flows in them."""
    c = k.compiled
    elim = lin["elim"]
    F = k.residual(lin["x"], lin["s"])
    parts, flows, nodes = [], set(), set()
    for i in eqs[:5]:
        rows = elim.involved(int(i))
        names = "; ".join(k.describe_row(int(r)) + (
            f" (in - out - stock = {F[r]:+.6g})" if k.row_kind[r] == BALANCE
            else f" (residual {F[r]:+.6g})") for r in rows[:4])
        more = f" and {len(rows) - 4} more equations" if len(rows) > 4 else ""
        value = ""
        parts.append(f"{names}{more}{value}")
        flows.update(k.row_flows(rows).tolist())
        nodes.update(k.row_node[rows][k.row_node[rows] >= 0].tolist())
    flows = np.array(sorted(flows), dtype=np.int64)
    exact = flows[k.status[flows] == EXACT]
    return InconsistentError(
        "exact data contradict each other and no measured value (quantity with sigma, share "
        "with share_sigma) takes part to absorb it: " + " | ".join(parts)
        + f". Exact flows involved: {c.flow_names(exact) if len(exact) else 'none'}; all flows "
        f"involved: {c.flow_names(flows)}. Give the uncertain ones a sigma, or leave one of "
        f"them unknown", flows=list(c.flow_ids[flows]), nodes=list(c.node_ids[sorted(nodes)]))
