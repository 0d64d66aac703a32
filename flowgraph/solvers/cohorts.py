"""Stocks by cohort: what enters a stock in one period leaves it in later periods by a
lifetime distribution (fixed, normal, lognormal, Weibull; scipy.stats), with an initial
stock by age.

The survival matrix S[t, c] is the share of cohort c (what entered in period c) still in
stock at the end of period t. Stock, outflow and stock change follow from it by mass
balance (docs/methods/time.md):

    stock[t, c]   = inflow[c] * S[t, c]                       (t >= c)
    outflow[t, c] = stock[t - 1, c] - stock[t, c]             (stock[c - 1, c] = inflow[c])
    stock[t] - stock[t - 1] = inflow[t] - outflow[t]

    model = inflow_driven([10, 20, 5], Lifetime("weibull", shape=2, scale=3))
    model.stock, model.outflow, model.frame()
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.stats

from ..errors import ModelError, StockError
from ..model.schema import suggestion

#: the parameters each lifetime distribution takes (mean and std of the distribution
#: itself, also for the lognormal; Weibull by its shape k and scale lambda)
KINDS = {"fixed": ("mean",), "normal": ("mean", "std"), "lognormal": ("mean", "std"),
         "weibull": ("shape", "scale")}
#: where in its period a cohort enters (share of the period's length)
ENTRY = {"start": 0.0, "middle": 0.5, "end": 1.0}


class Lifetime:
    """A lifetime distribution by name and parameters, checked when made (a mean or scale
    not above 0, a std below 0, a shape not above 0 are refused, naming `origin`)."""

    def __init__(self, kind: str, *, origin: str = "", **params):
        where = origin or "lifetime"
        if kind not in KINDS:
            raise ModelError(f"{where}: unknown lifetime distribution '{kind}'"
                             f"{suggestion(kind, KINDS)}; known: {', '.join(KINDS)}",
                             origin=origin or None)
        need = KINDS[kind]
        extra = sorted(set(params) - set(need))
        missing = [p for p in need if p not in params]
        if extra or missing:
            raise ModelError(f"{where}: a {kind} lifetime takes {', '.join(need)}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unknown {', '.join(extra)}" if extra else ""),
                             origin=origin or None)
        self.kind, self.origin = kind, origin
        self.params = {p: _number(params[p], f"{where}: {kind} {p}", origin) for p in need}
        self._check(where)

    def _check(self, where: str) -> None:
        p = self.params
        bad = [(name, p[name]) for name in ("mean", "scale", "shape") if name in p
               and not p[name] > 0 and not (self.kind == "fixed" and p[name] == 0)]
        if "std" in p and p["std"] < 0:
            bad.append(("std", p["std"]))
        if self.kind == "lognormal" and p["std"] == 0:
            bad.append(("std", 0.0))
        if bad:
            name, value = bad[0]
            raise ModelError(f"{where}: impossible {self.kind} lifetime: {name} = {value:g} "
                             f"({'must be >= 0' if name == 'std' and self.kind == 'normal' else 'must be > 0'})",
                             origin=self.origin or None)

    def survival(self, age) -> np.ndarray:
        """Share of a cohort still in stock at `age` (same unit as the parameters)."""
        a = np.asarray(age, dtype=float)
        p = self.params
        if self.kind == "fixed":
            return (a < p["mean"]).astype(float)
        if self.kind == "normal":
            if p["std"] == 0:
                return (a < p["mean"]).astype(float)
            return scipy.stats.norm.sf(a, loc=p["mean"], scale=p["std"])
        if self.kind == "lognormal":
            m2, s2 = p["mean"] ** 2, p["std"] ** 2
            mu, sigma = np.log(m2 / np.sqrt(m2 + s2)), np.sqrt(np.log(1 + s2 / m2))
            return scipy.stats.lognorm.sf(a, s=sigma, scale=np.exp(mu))
        return scipy.stats.weibull_min.sf(a, c=p["shape"], scale=p["scale"])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"Lifetime('{self.kind}', {args})"


@dataclass
class CohortStock:
    """Stock and outflow of one stock by period and cohort. Cohorts are the periods of the
    horizon, preceded by the initial stock's ages (cohort labels 'age N' for them)."""

    periods: list
    cohorts: list
    inflow: np.ndarray                 # per period
    stock_by_cohort: np.ndarray        # period x cohort, at the end of the period
    outflow_by_cohort: np.ndarray      # period x cohort, during the period
    initial: float = 0.0               # stock before the first period
    name: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def stock(self) -> np.ndarray:
        return self.stock_by_cohort.sum(axis=1)

    @property
    def outflow(self) -> np.ndarray:
        return self.outflow_by_cohort.sum(axis=1)

    @property
    def stock_change(self) -> np.ndarray:
        return np.diff(np.concatenate([[self.initial], self.stock]))

    def frame(self) -> pd.DataFrame:
        """Long table: period, cohort, stock, outflow (cells of cohorts not yet entered left out)."""
        t, c = np.nonzero(self._entered())
        return pd.DataFrame({"period": _labels(self.periods)[t].to_numpy(),
                             "cohort": _labels(self.cohorts)[c].to_numpy(),
                             "stock": self.stock_by_cohort[t, c],
                             "outflow": self.outflow_by_cohort[t, c]})

    def totals(self) -> pd.DataFrame:
        """Per period: inflow, outflow, stock, stock change."""
        return pd.DataFrame({"inflow": self.inflow, "outflow": self.outflow,
                             "stock": self.stock, "stock_change": self.stock_change},
                            index=pd.Index(self.periods, name="period"))

    def _entered(self) -> np.ndarray:
        if self.meta.get("carried"):                 # one pool, no cohorts: all periods
            return np.ones(self.stock_by_cohort.shape, dtype=bool)
        h = len(self.cohorts) - len(self.periods)
        t = np.arange(len(self.periods))[:, None]
        c = np.arange(len(self.cohorts))[None, :] - h
        return np.broadcast_to(c <= t, self.stock_by_cohort.shape)


def _labels(names) -> pd.Index:
    """Period or cohort names to index by position (the dtype pandas gives the list)."""
    return pd.Index(list(names))


def survival_matrix(lifetimes, periods: int, step: float = 1.0, entry: float = 0.5,
                    history: int = 0) -> np.ndarray:
    """S[t, c]: share of cohort c in stock at the end of period t (0 before it enters).
    Cohorts 0..history-1 are the initial stock's ages history..1 (conditional survival from
    the start of the horizon); `lifetimes` is one Lifetime or one per period's cohort."""
    per = _per_cohort(lifetimes, periods)
    ends = (np.arange(periods) + 1.0) * step
    S = np.zeros((periods, history + periods))
    for j in range(history):
        age = history - j                          # periods before the first
        born = (-age + entry) * step
        life = per[0]
        at_start = life.survival(-born)
        if at_start > 0:
            S[:, j] = life.survival(ends - born) / at_start
    for life, cols in _groups(per):
        born = (cols + entry) * step
        ages = ends[:, None] - born[None, :]
        entered = np.arange(periods)[:, None] >= cols[None, :]
        S[:, history + cols] = np.where(entered, life.survival(np.maximum(ages, 0)), 0.0)
    return S


def inflow_driven(inflow, lifetime, *, periods=None, step: float = 1.0,
                  inflow_at: str = "middle", initial=None, name: str = "stock",
                  origin: str = "") -> CohortStock:
    """Stock and outflow of a stock fed by `inflow` (one amount per period), leaving by
    `lifetime`; `initial` is the stock before the first period by age in periods
    ({age: amount}, or a sequence for ages 1, 2, ...)."""
    x = _series(inflow, f"{name}: inflow", origin)
    periods = horizon(periods, len(x), name, origin)
    entry = _entry(inflow_at, name, origin)
    ages, amounts = _initial(initial, name, origin)
    history = int(ages.max()) if len(ages) else 0
    first = lifetime[0] if isinstance(lifetime, (list, tuple)) else lifetime
    old = np.zeros(history)
    old[history - ages] = amounts
    for j in np.flatnonzero(old > 0):
        born = (-(history - j) + entry) * step
        if not first.survival(-born) > 0:
            raise StockError(f"{name}: the initial stock of age {history - j} ({old[j]:g}) "
                             f"cannot still be in stock under {first!r}", origin=origin or None)
    S = survival_matrix(lifetime, len(x), step, entry, history)
    entering = np.concatenate([old, x])
    stock = S * entering[None, :]
    before = np.zeros_like(stock)                  # each cohort at the start of each period
    before[1:] = stock[:-1]
    before[0, :history] = old
    n = np.arange(len(x))
    before[n, history + n] = x                     # a cohort enters in its own period
    outflow = np.where(_entered_mask(history, len(x)), before - stock, 0.0)
    cohorts = [f"age {history - j}" for j in range(history)] + list(periods)
    return CohortStock(periods, cohorts, x, stock, outflow, float(old.sum()), name,
                       {"lifetime": lifetime, "step": step, "inflow_at": inflow_at})


def stock_driven(stock, lifetime, *, periods=None, step: float = 1.0,
                 inflow_at: str = "middle", initial=None, name: str = "stock",
                 origin: str = "") -> CohortStock:
    """The inflow that keeps a stock at `stock` (one amount per period, at the end of each),
    its cohorts leaving by `lifetime`. A stock that falls faster than its cohorts leave
    would need a negative inflow: refused by name and period."""
    target = _series(stock, f"{name}: stock", origin)
    periods = horizon(periods, len(target), name, origin)
    entry = _entry(inflow_at, name, origin)
    ages, amounts = _initial(initial, name, origin)
    history = int(ages.max()) if len(ages) else 0
    S = survival_matrix(lifetime, len(target), step, entry, history)
    old = np.zeros(history)
    old[history - ages] = amounts
    x = np.zeros(len(target))
    for t in range(len(target)):
        remaining = S[t, :history] @ old + S[t, history:history + t] @ x[:t]
        keep = S[t, history + t]
        need = target[t] - remaining
        if need < -1e-9 * max(abs(target[t]), 1.0) or (need > 0 and keep == 0):
            raise StockError(f"{name}: in period {periods[t]} the stock of {target[t]:g} is below "
                             f"the {remaining:g} its cohorts keep; it would need an inflow of "
                             f"{need:g}" if need < 0 else f"{name}: in period {periods[t]} "
                             f"nothing that enters stays to the period's end", origin=origin or None)
        x[t] = max(need, 0.0) / keep if keep > 0 else 0.0
    return inflow_driven(x, lifetime, periods=periods, step=step, inflow_at=inflow_at,
                         initial=initial, name=name, origin=origin)


def stock_driven_as_built(stock, lifetime_of, *, periods=None, step: float = 1.0,
                          inflow_at: str = "middle", name: str = "stock",
                          origin: str = "") -> CohortStock:
    """`stock_driven` where what is built decides how long it lasts: `lifetime_of(t)` gives
    the Lifetime of the cohort entering in period t (index), called in period order and only
    for the periods that need an inflow, after the earlier cohorts' outflows are known (a
    replacement of another technology than the unit it replaces). Equals `stock_driven`
    with the list of the lifetimes chosen. No initial stock: start the periods early enough."""
    target = _series(stock, f"{name}: stock", origin)
    periods = horizon(periods, len(target), name, origin)
    entry = _entry(inflow_at, name, origin)
    n = len(target)
    ends = (np.arange(n) + 1.0) * step
    S, x = np.zeros((n, n)), np.zeros(n)
    per = [Lifetime("fixed", mean=0)] * n             # cohorts nothing enters
    for t in range(n):
        need = target[t] - S[t, :t] @ x[:t]
        if need < -1e-9 * max(abs(target[t]), 1.0):
            raise StockError(f"{name}: in period {periods[t]} the stock of {target[t]:g} is "
                             f"below the {target[t] - need:g} its cohorts keep; it would need "
                             f"an inflow of {need:g}", origin=origin or None)
        if need <= 0:
            continue
        life = lifetime_of(t)
        if not isinstance(life, Lifetime):
            raise ModelError(f"{name}: the lifetime of the cohort of period {periods[t]} is "
                             f"{life!r}, not a Lifetime", origin=origin or None)
        S[t:, t] = life.survival(ends[t:] - (t + entry) * step)
        if S[t, t] == 0:
            raise StockError(f"{name}: in period {periods[t]} nothing that enters stays to the "
                             f"period's end under {life!r}", origin=origin or None)
        per[t], x[t] = life, need / S[t, t]
    return inflow_driven(x, per, periods=periods, step=step, inflow_at=inflow_at, name=name,
                         origin=origin)


def carry_forward(initial, inflow, outflow, *, periods=None, name: str = "stock",
                  origin: str = "") -> np.ndarray:
    """stock_t = stock_{t-1} + inflow_t - outflow_t over the periods; a stock drained below
    zero is refused naming the stock and the first period it happens in."""
    i = _series(inflow, f"{name}: inflow", origin, negative=True)
    o = _series(outflow, f"{name}: outflow", origin, negative=True)
    if len(i) != len(o):
        raise ModelError(f"{name}: {len(i)} inflows and {len(o)} outflows", origin=origin or None)
    periods = horizon(periods, len(i), name, origin)
    s = float(initial) + np.cumsum(i - o)
    tol = 1e-9 * np.maximum(np.abs(float(initial)) + np.cumsum(np.abs(i) + np.abs(o)), 1e-300)
    low = np.flatnonzero(s < -tol)
    if len(low):
        t = low[0]
        raise StockError(f"{name} drained below zero in period {periods[t]}: {s[t]:g} "
                         f"(initial {float(initial):g}, in {i[:t + 1].sum():g}, "
                         f"out {o[:t + 1].sum():g} to then)", nodes=[name], origin=origin or None)
    return np.where(np.abs(s) <= tol, 0.0, s)


def _entered_mask(history: int, n: int) -> np.ndarray:
    t = np.arange(n)[:, None]
    c = np.arange(history + n)[None, :] - history
    return c <= t


def _per_cohort(lifetimes, n: int) -> list:
    if isinstance(lifetimes, Lifetime):
        return [lifetimes] * n
    per = list(lifetimes)
    if len(per) != n or not all(isinstance(x, Lifetime) for x in per):
        raise ModelError(f"one lifetime, or one per period ({n}); got {len(per)}")
    return per


def _groups(per: list):
    """(lifetime, cohort indices) for each distinct lifetime object."""
    seen: dict[int, list] = {}
    for c, life in enumerate(per):
        seen.setdefault(id(life), [life, []])[1].append(c)
    return [(life, np.asarray(cols)) for life, cols in seen.values()]


def _number(value, what: str, origin: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a number, not {value!r}", origin=origin or None) from None
    if not np.isfinite(v):
        raise ModelError(f"{what} must be finite, not {v}", origin=origin or None)
    return v


def _series(values, what: str, origin: str, negative: bool = False) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ModelError(f"{what}: not a series of numbers", origin=origin or None) from None
    if len(x) == 0:
        raise ModelError(f"{what}: an empty series", origin=origin or None)
    bad = np.flatnonzero(~np.isfinite(x) | ((x < 0) if not negative else False))
    if len(bad):
        raise ModelError(f"{what}: value {x[bad[0]]:g} in period {bad[0] + 1} "
                         f"({'not finite' if not np.isfinite(x[bad[0]]) else 'below zero'})",
                         origin=origin or None)
    return x


def horizon(periods, n: int, name: str, origin: str = "") -> list:
    """The period labels of `n` values (0..n-1 when none are given); a series shorter or
    longer than the horizon is refused by name."""
    if periods is None:
        return list(range(n))
    labels = list(periods)
    if len(labels) != n:
        raise ModelError(f"{name}: {n} values for {len(labels)} periods "
                         f"({'shorter' if n < len(labels) else 'longer'} than the horizon)",
                         origin=origin or None)
    return labels


def _entry(inflow_at: str, name: str, origin: str) -> float:
    if inflow_at not in ENTRY:
        raise ModelError(f"{name}: inflow_at must be one of {', '.join(ENTRY)}, not "
                         f"{inflow_at!r}", origin=origin or None)
    return ENTRY[inflow_at]


def _initial(initial, name: str, origin: str) -> tuple[np.ndarray, np.ndarray]:
    """(ages >= 1, amounts >= 0) of an initial stock given by age."""
    if initial is None:
        return np.zeros(0, dtype=int), np.zeros(0)
    items = (initial.items() if isinstance(initial, dict)
             else enumerate(np.asarray(initial, dtype=float).reshape(-1), start=1))
    ages, amounts = [], []
    for age, amount in items:
        a = _number(age, f"{name}: initial stock age", origin)
        if a < 1 or a != int(a):
            raise ModelError(f"{name}: initial stock age {age!r} must be a whole number of "
                             f"periods >= 1", origin=origin or None)
        v = _number(amount, f"{name}: initial stock of age {int(a)}", origin)
        if v < 0:
            raise ModelError(f"{name}: initial stock of age {int(a)} is {v:g}, below zero",
                             origin=origin or None)
        ages.append(int(a))
        amounts.append(v)
    return np.asarray(ages, dtype=int), np.asarray(amounts)
