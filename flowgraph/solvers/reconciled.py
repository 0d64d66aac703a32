"""The result of a reconciliation: a Result whose quantities are the reconciled ones, with
per-flow uncertainty, adjustments and gross-error tests, and the global chi-square test."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import breadth_first_order

from ..errors import FlowgraphError, name_list
from .constraints import EXACT, STATUS_NAMES, UNKNOWN, Constraints
from .propagate import ATTRIBUTES, Propagation, propagate
from .result import Result
from .specs import SHARE

# -- values ---------------------------------------------------------------------------------

def propagate_reconciled(c, fit, cache=None):
    """Value flow on the reconciled quantities; returns (Propagation, note). With
    unobservable flows, value is propagated on two fillings of them that both satisfy the
    balances: what comes out the same does not depend on them (a centre's product when only
    the split of its losses is unknown); the rest is NaN. Without such fillings, everything
    downstream of an unobservable flow is. Where value cannot be propagated at all
    (reconciled quantities that leave a centre no output to carry its costs), every value
    is NaN and the note says why: the reconciliation itself stands."""
    x = fit.x
    unobs = np.flatnonzero(~fit.observable)
    try:
        if not len(unobs):
            return propagate(c, x, cache=cache), ""
        if fit.completions:
            try:
                a, b = (propagate(c, xc) for xc in fit.completions)
            except FlowgraphError:
                a = None
            if a is not None:
                for name in ("flow", "node_in", "node_out", "retained"):
                    va, vb = getattr(a, name), getattr(b, name)
                    scale = np.maximum(np.abs(va), np.abs(vb))
                    diff = np.abs(va - vb) > 1e-9 * np.maximum(scale, 1e-9 * scale.max(initial=1.0))
                    va[diff] = np.nan
                a.flow[unobs] = np.nan
                return a, ""
        values = propagate(c, np.where(np.isnan(x), 1.0, x), cache=cache)
    except FlowgraphError as exc:
        k = len(ATTRIBUTES)
        nan = np.full((c.n_nodes, k), np.nan)
        return (Propagation(ATTRIBUTES, np.full((c.n_flows, k), np.nan), nan, nan.copy(),
                            nan.copy(), np.full(c.n_flows, np.nan)),
                f"value flow not propagated on the reconciled quantities: {exc}")
    nodes = downstream(c, np.unique(np.concatenate([c.tail[unobs], c.head[unobs]])))
    flows = np.isin(c.tail, nodes)
    flows[unobs] = True
    values.flow[flows] = np.nan
    for arr in (values.node_in, values.node_out, values.retained):
        arr[nodes] = np.nan
    return values, ""


def downstream(c, seeds: np.ndarray) -> np.ndarray:
    """The seed nodes and every node reachable from them along flows."""
    n = c.n_nodes
    rows = np.concatenate([c.tail, np.full(len(seeds), n)])
    cols = np.concatenate([c.head, seeds])
    g = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(g, n, directed=True, return_predecessors=False)
    return order[order != n]


# -- tests ----------------------------------------------------------------------------------

def critical_z(alpha: float, n_redundant: int) -> float:
    """Critical normalised adjustment: two-sided at alpha, Sidak-corrected for the number
    of redundant measurements tested together (1 - (1 - alpha)^(1/n))."""
    n = max(int(n_redundant), 1)
    return float(stats.norm.isf((1.0 - (1.0 - alpha) ** (1.0 / n)) / 2.0))


def normalised_adjustments(fit) -> np.ndarray:
    """|adjustment| / its standard deviation per measured variable; NaN if not redundant."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(fit.redundant, np.abs(fit.y - fit.y0) / fit.sigma_adj, np.nan)


def global_test(fit, alpha: float) -> tuple[float, float, bool]:
    """(p-value, critical chi-square, passed) of the chi-square test of the adjustments."""
    if not fit.dof:
        return float("nan"), float("nan"), True
    crit = float(stats.chi2.isf(alpha, fit.dof))
    return float(stats.chi2.sf(fit.chi2, fit.dof)), crit, bool(fit.chi2 <= crit)


# -- the result -----------------------------------------------------------------------------

class Reconciliation(Result):
    """A Result whose quantities are reconciled; `flows` adds status, measured, sigma,
    adjustment, test and gross_error; `tests` has one row per measured variable; `chi2`,
    `dof`, `p_value` and `passed` are the global test."""

    def __init__(self, compiled, balance, values, constraints: Constraints, fit,
                 alpha: float, scenario=None, timings=None, eliminated=(), note: str = ""):
        super().__init__(compiled, balance, values, scenario=scenario, timings=timings)
        #: why value flow could not be propagated, if it could not
        self.note = note
        self.constraints = constraints
        self.fit = fit
        self.alpha = alpha
        #: (flow, variable, test) of the measurements serial elimination dropped, in order
        self.eliminated = list(eliminated)

    def __repr__(self) -> str:
        return (f"<Reconciliation '{self.network.name}' [{self.scenario}]: {self.fit.y.size} "
                f"measured, chi2 {self.chi2:.4g} on {self.dof} dof, p {self.p_value:.3g}, "
                f"{int(self.tests['gross_error'].sum())} gross error(s) flagged>")

    # -- global test --------------------------------------------------------------------
    @property
    def chi2(self) -> float:
        """Sum of squared adjustments in units of their sigma (the minimised objective)."""
        return self.fit.chi2

    @property
    def dof(self) -> int:
        """Degrees of freedom: the number of independent redundancy equations."""
        return self.fit.dof

    @property
    def p_value(self) -> float:
        """P(chi2 >= observed) if the data are right; NaN without redundancy."""
        return global_test(self.fit, self.alpha)[0]

    @property
    def critical_chi2(self) -> float:
        return global_test(self.fit, self.alpha)[1]

    @property
    def passed(self) -> bool:
        """The global test: chi2 does not exceed its critical value at `alpha`."""
        return global_test(self.fit, self.alpha)[2]

    @property
    def critical_z(self) -> float:
        """Critical normalised adjustment (see critical_z())."""
        return critical_z(self.alpha, int(self.fit.redundant.sum()))

    # -- tables ---------------------------------------------------------------------------
    @cached_property
    def tests(self) -> pd.DataFrame:
        """One row per measured variable (flow quantity or share): measured and reconciled
        value with sigma, adjustment, its sigma, the normalised adjustment `test` and its
        p-value, `gross_error` (test > critical_z), `redundant`."""
        k, f, c = self.constraints, self.fit, self.compiled
        idx = np.concatenate([k.measured, k.share_flows])
        variable = ["quantity"] * len(k.measured) + ["share"] * len(k.share_flows)
        adj = f.y - f.y0
        z = normalised_adjustments(f)
        frame = pd.DataFrame({
            "flow": c.flow_ids[idx], "variable": variable,
            "unit": np.where(np.array(variable) == "share", "1", c.unit[idx]),
            "measured": f.y0, "measured_sigma": f.sy, "reconciled": f.y, "sigma": f.sigma_y,
            "adjustment": adj, "relative_adjustment": np.divide(
                adj, np.abs(f.y0), out=np.full(len(adj), np.nan), where=f.y0 != 0),
            "adjustment_sigma": f.sigma_adj, "test": z,
            "p_value": 2.0 * stats.norm.sf(z), "gross_error": np.nan_to_num(z, nan=0.0) > self.critical_z,
            "redundant": f.redundant})
        return frame.set_index(["flow", "variable"])

    @cached_property
    def flows(self) -> pd.DataFrame:
        """Result.flows (quantity reconciled, values propagated), plus status (measured,
        exact, unknown), measured, measured_sigma, sigma, adjustment, test, gross_error,
        observable, redundant, and for shares share_measured, share, share_sigma."""
        frame = Result.flows.func(self).copy()
        k, f = self.constraints, self.fit
        n = self.compiled.n_flows
        c = self.compiled
        given = (k.status != UNKNOWN) | np.isin(np.arange(n), k.dropped)
        measured = np.where(given & (c.spec != SHARE), c.value, np.nan)
        msig = np.where(given & (c.spec != SHARE), 0.0, np.nan)
        msig[k.measured] = f.sy[:len(k.measured)]
        sig = c.network.flow_frame()["sigma"].to_numpy(float)
        msig[k.dropped] = np.nan_to_num(sig[k.dropped], nan=0.0)
        status = STATUS_NAMES[k.status].astype(object)
        status[k.dropped] = "dropped"
        test = np.full(n, np.nan)
        gross = np.zeros(n, dtype=bool)
        redundant = np.zeros(n, dtype=bool)
        t = self.tests
        nm = len(k.measured)
        test[k.measured] = t["test"].to_numpy()[:nm]
        gross[k.measured] = t["gross_error"].to_numpy()[:nm]
        redundant[k.measured] = f.redundant[:nm]
        share_measured = np.where(self.compiled.spec == SHARE, self.compiled.share, np.nan)
        share_sigma = np.where(self.compiled.spec == SHARE, 0.0, np.nan)
        share_sigma[k.share_flows] = f.sigma_y[nm:]
        extra = {"status": status, "measured": measured, "measured_sigma": msig,
                 "sigma": f.sigma_x, "adjustment": f.x - measured, "test": test,
                 "gross_error": gross, "observable": f.observable, "redundant": redundant,
                 "share_measured": share_measured, "share": f.s, "share_sigma": share_sigma}
        pos = frame.columns.get_loc("unit") + 1
        for j, (name, col) in enumerate(extra.items()):
            frame.insert(pos + j, name, col)
        return frame

    def adjustments(self, n: int | None = 10) -> pd.DataFrame:
        """The largest adjustments, by size in units of the measurement's sigma."""
        t = self.tests.copy()
        t["adjustment_in_sigmas"] = (t["adjustment"] / t["measured_sigma"]).abs()
        t = t.sort_values("adjustment_in_sigmas", ascending=False)
        return t if n is None else t.head(n)

    @property
    def unobservable(self) -> list:
        """Ids of the unknown flows the data cannot determine."""
        return list(self.compiled.flow_ids[~self.fit.observable])

    @property
    def nonredundant(self) -> list:
        """Ids of measured flows (and 'id:share' for shares) that take part in no balance
        that could check them: reconciliation leaves them as measured."""
        t = self.tests
        return [f if v == "quantity" else f"{f}:share" for f, v in t.index[~t["redundant"].to_numpy()]]

    def structure(self) -> dict:
        k, f = self.constraints, self.fit
        return {"flows": self.compiled.n_flows, "measured": int(len(k.measured)),
                "measured_shares": int(len(k.share_flows)),
                "exact": int((k.status == EXACT).sum()), "unknown": int((k.status == UNKNOWN).sum()),
                "unobservable": int((~f.observable).sum()),
                "redundant_measurements": int(f.redundant.sum()),
                "equations": int(k.n_rows), "degrees_of_freedom": int(f.dof),
                "iterations": int(f.iterations), "method": f.method,
                "bilinear": bool(k.bilinear)}

    def summary(self) -> str:
        """The global test and the flagged measurements, in a few lines."""
        s = self.structure()
        lines = [f"reconciled {s['measured']} measured quantities and {s['measured_shares']} "
                 f"measured transfer coefficients ({s['exact']} exact, {s['unknown']} unknown "
                 f"flows, {s['unobservable']} unobservable); {s['iterations']} iteration(s)"]
        if self.dof:
            verdict = "passed" if self.passed else "FAILED"
            lines.append(f"global test {verdict}: chi2 = {self.chi2:.4g} on {self.dof} degrees "
                         f"of freedom (critical {self.critical_chi2:.4g} at alpha "
                         f"{self.alpha:g}), p = {self.p_value:.3g}")
        else:
            lines.append("no redundancy: the data cannot be checked, nothing was adjusted")
        flagged = self.tests[self.tests["gross_error"]]
        if len(flagged):
            lines.append(f"gross error suspected (normalised adjustment > {self.critical_z:.3g}): "
                         + name_list([f if v == "quantity" else f"{f}:share"
                                      for f, v in flagged.index]))
        if self.unobservable:
            lines.append("unobservable (not determined by the data): "
                         + name_list(self.unobservable))
        if self.nonredundant:
            lines.append("not redundant (in no balance that can check them): "
                         + name_list(self.nonredundant))
        if self.note:
            lines.append(self.note)
        if self.eliminated:
            lines.append("dropped by serial elimination (measurement ignored, flow unknown): "
                         + ", ".join(f"'{f}' ({v}, test {z:.3g})" for f, v, z in self.eliminated))
        elif len(self.constraints.dropped):
            lines.append("dropped (measurement ignored, flow unknown): "
                         + name_list(self.compiled.flow_ids[self.constraints.dropped]))
        return "\n".join(lines)

