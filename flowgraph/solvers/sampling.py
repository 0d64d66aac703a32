"""How sure a result is: Monte Carlo over distributions of the inputs, and first-order
(analytic) propagation Var(f) = J S J' for comparison; percentiles of every flows column and
of every headline figure of a case; the contribution of each input to the variance of a
chosen figure (sensitivity). docs/methods/uncertainty.md has the mathematics.

Inputs are flows' quantities, shares, recipe ratios and prices, carriers' prices and
factors, nodes' own costs (inputs.py), each with a distribution (distributions.py); a flow's
own sigma / share_sigma counts as a normal input unless sigmas=False. Draws are evaluated by
the run engine (runs.RunEngine), which reuses the factorisations of the nominal solve.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import BalanceError, FlowgraphError, ModelError
from .batch import COLUMNS
from .compiled import compile_network
from .distributions import describe
from .inputs import bind, bind_each, merge, sigma_inputs
from .progress import Progress
from .runs import RunEngine
from .solver import Solver

PERCENTILES = (5, 50, 95)
#: first-order derivatives by central differences of this fraction of each input's sd
STEP = 1e-4


@dataclass
class FigureModel:
    """Headline figures as the sampling sees them: `figures` (objects with name, unit and
    scenario), `network_for(scenario)` giving the network a figure's scenario is solved on,
    `evaluate(results)` giving the figure values (as Case.figure_values rows) from the results
    of one draw by scenario name, and `nominal()` the values as solved. The application layer
    builds it from a Case (Case.figure_model); the numerics never see a Case."""

    figures: list
    network_for: Callable
    evaluate: Callable
    nominal: Callable


class _Model:
    """The base network (and the scenario networks the case's figures use) with the inputs
    bound to each, as run engines (runs.RunEngine); runs a matrix of input values through
    all of them."""

    def __init__(self, net, inputs=None, *, sigmas=True, columns=COLUMNS, flows=None,
                 reuse=True, figures: FigureModel | None = None):
        self.net, self.model = net, figures
        c = compile_network(net)
        given = list(inputs) if inputs is not None else []
        self.inputs = merge(given, sigma_inputs(c) if sigmas else [])
        if not self.inputs:
            raise ModelError("no uncertain inputs: give distributions (inputs=[...], or "
                             "[[uncertainty.input]] in the case) or sigmas on flows")
        bad = [col for col in columns if col not in COLUMNS]
        if bad:
            raise ValueError(f"unknown column(s) {bad}; columns are {', '.join(COLUMNS)}")
        self.columns = tuple(columns)
        self.keep = np.arange(c.n_flows) if flows is None else c.flow_ids.get_indexer(list(flows))
        if (self.keep < 0).any():
            raise BalanceError(f"no flow {list(np.asarray(list(flows))[self.keep < 0])}")
        self.bound = bind(self.inputs, c)
        self.base = RunEngine.from_compiled(c, self.bound, reuse=reuse, label="draw",
                                            validate=False)
        self.figures = list(figures.figures) if figures is not None else []
        self.values = bool(self.figures) or any(col != "quantity" for col in self.columns)
        self.notes: list[str] = []
        self.scenarios: dict = {}
        for name in sorted({f.scenario for f in self.figures if f.scenario not in (None, "base")}):
            self.scenarios[name] = self._scenario(name, figures.network_for(name), reuse)

    def _scenario(self, name, snet, reuse):
        """The engine of a figure's scenario, the inputs that apply to it, and the shift of
        their values by what the scenario changes."""
        sc = compile_network(snet)
        keep, shift, bound = [], [], []
        for j, (inp, b) in enumerate(zip(self.inputs, bind_each(self.inputs, sc))):
            if b is None:
                self.notes.append(f"scenario '{name}': {inp.name} does not apply, held at "
                                  f"its scenario value")
                continue
            keep.append(j)
            bound.append(b)
            # a scenario that changes the value shifts every draw by its change
            delta = b.nominal - self.bound[j].nominal
            shift.append(delta if np.isfinite(delta) else 0.0)
        engine = RunEngine.from_compiled(sc, bound, reuse=reuse, label="draw", validate=False)
        return engine, np.array(keep, dtype=np.int64), np.array(shift)

    @property
    def flow_ids(self) -> pd.Index:
        return self.base.c.flow_ids[self.keep]

    def run(self, V: np.ndarray, progress=None, chunk: int = 64):
        """Flows columns (rows of V x kept flows) and figures (rows of V x figures); the
        first draw that fails raises its error."""
        n = len(V)
        out = {col: np.empty((n, len(self.keep))) for col in self.columns}
        figs = np.full((n, len(self.figures)), np.nan)
        for lo in range(0, n, chunk):
            block = V[lo:lo + chunk]
            base = _solved(self.base.results(block, first=lo, values=self.values))
            scen = {name: _solved(engine.results(_shifted(engine, block[:, keep], shift),
                                                 first=lo))
                    for name, (engine, keep, shift) in self.scenarios.items()}
            for d, result in enumerate(base):
                for col in self.columns:
                    out[col][lo + d] = result.column(col, self.keep)
                if self.figures:
                    results = {"base": result, **{name: r[d] for name, r in scen.items()}}
                    figs[lo + d] = _figure_values(self.model, results)
                if progress is not None:
                    progress.update(lo + d + 1)
        return out, figs

    def nominal(self):
        """The model as given: flows columns of the kept flows, and the case's figures."""
        r = Solver(self.net).solve()
        flows = r.flows.loc[self.flow_ids, list(self.columns)]
        figs = {}
        if self.figures:
            figs = {f["name"]: f["value"] for f in self.model.nominal()}
        return flows, figs


def _solved(results: list) -> list:
    """The results of a block of draws; the first draw that failed raises its error."""
    for r in results:
        if isinstance(r, FlowgraphError):
            raise r
    return results


def _shifted(engine, V: np.ndarray, shift: np.ndarray) -> np.ndarray:
    out = V + shift[None, :]
    for j, b in enumerate(engine.bound):
        out[:, j] = b.clip(out[:, j])[0]
    return out


def _figure_values(model: FigureModel, results) -> list:
    return [float(f["value"]) if isinstance(f["value"], (int, float, np.floating))
            else np.nan for f in model.evaluate(results)]


# -- Monte Carlo ------------------------------------------------------------------------------

@dataclass
class MonteCarlo:
    """Samples of every recorded flows column and figure, with the input draws."""

    inputs: list                  # Bound inputs, in column order of `draws`
    draws: np.ndarray             # (n, inputs)
    flow_ids: pd.Index
    samples: dict                 # column -> (n, flows)
    figure_names: list
    figure_units: list
    figures: np.ndarray           # (n, figures)
    nominal_flows: pd.DataFrame
    nominal_figures: dict
    seed: int | None
    reuse: bool
    seconds: float
    clipped: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.draws)

    def percentiles(self, column: str = "quantity", q=PERCENTILES) -> pd.DataFrame:
        """Per flow: nominal, mean, sd and the percentiles of one flows column."""
        s = self.samples[column]
        frame = pd.DataFrame({"nominal": self.nominal_flows[column].to_numpy(),
                              "mean": s.mean(axis=0), "sd": s.std(axis=0, ddof=1)},
                             index=self.flow_ids.copy())
        for p, v in zip(q, np.percentile(s, q, axis=0)):
            frame[f"p{p:g}"] = v
        frame.index.name = "id"
        return frame

    def flow_table(self, q=PERCENTILES) -> pd.DataFrame:
        """percentiles() of every recorded column, one row per (flow, column)."""
        parts = {col: self.percentiles(col, q) for col in self.samples}
        return pd.concat(parts, names=["column", "id"]).swaplevel().sort_index(
            level=0, sort_remaining=False)

    def figure_table(self, q=PERCENTILES, first_order=None) -> pd.DataFrame:
        """Per case figure: unit, nominal, mean, sd, percentiles (and first-order sd)."""
        f = self.figures
        frame = pd.DataFrame({"unit": self.figure_units,
                              "nominal": [self.nominal_figures.get(n) for n in self.figure_names],
                              "mean": f.mean(axis=0) if len(f) else np.nan,
                              "sd": f.std(axis=0, ddof=1) if len(f) > 1 else np.nan},
                             index=pd.Index(self.figure_names, name="figure"))
        if len(self.figure_names):
            for p, v in zip(q, np.percentile(f, q, axis=0)):
                frame[f"p{p:g}"] = v
        if first_order is not None and len(self.figure_names):
            frame["first_order_value"] = first_order.figure_values
            frame["first_order_sd"] = first_order.figure_sd()
        return frame

    def sample(self, target) -> np.ndarray:
        """The draws of a figure (its name) or of a flows column ((flow, column))."""
        if isinstance(target, str):
            if target not in self.figure_names:
                raise ModelError(f"no figure '{target}' (figures: "
                                 f"{', '.join(self.figure_names) or 'none'}); give "
                                 f"(flow, column) for a flow")
            return self.figures[:, self.figure_names.index(target)]
        fid, col = target
        if col not in self.samples:
            raise ModelError(f"column '{col}' was not recorded (recorded: "
                             f"{', '.join(self.samples)})")
        pos = self.flow_ids.get_indexer([fid])[0]
        if pos < 0:
            raise ModelError(f"flow '{fid}' was not recorded")
        return self.samples[col][:, pos]

    def sensitivity(self, target, first_order=None) -> pd.DataFrame:
        """Each input's part in the variance of `target` (a figure name or (flow, column)):
        from the draws, the squared correlation r^2 (for a model linear in independent
        inputs it is the variance share) and Spearman's rank correlation; with a FirstOrder,
        the derivative and the first-order share J_j^2 s_j^2 / sum."""
        t = self.sample(target)
        rows = []
        for j, b in enumerate(self.inputs):
            v = self.draws[:, j]
            r = _corr(v, t)
            rho = _corr(_ranks(v), _ranks(t))
            rows.append({"input": b.name, "distribution": describe(b.dist),
                         "mean": b.dist.expectation, "sd": b.sd, "correlation": r,
                         "r2": r * r, "rank_correlation": rho})
        frame = pd.DataFrame(rows).set_index("input")
        total = np.nansum(frame["r2"])
        frame["r2_share"] = frame["r2"] / total if total > 0 else np.nan
        if first_order is not None:
            fo = first_order.contributions(target)
            frame = frame.join(fo[["derivative", "first_order_variance", "first_order_share"]])
            frame = frame.sort_values("first_order_share", ascending=False)
        else:
            frame = frame.sort_values("r2", ascending=False)
        return frame

    def input_table(self) -> pd.DataFrame:
        """The inputs: distribution, mean, sd, and how many draws were clipped to the
        input's domain (quantities >= 0, shares in [0, 1], factors >= 0)."""
        return pd.DataFrame([{"input": b.name, "distribution": describe(b.dist),
                              "mean": b.dist.expectation, "sd": b.sd,
                              "sample_mean": self.draws[:, j].mean(),
                              "sample_sd": self.draws[:, j].std(ddof=1) if self.n > 1 else np.nan,
                              "clipped": self.clipped.get(b.name, 0)}
                             for j, b in enumerate(self.inputs)]).set_index("input")


def monte_carlo(network, inputs=None, *, draws: int = 1000, seed: int | None = None,
                sigmas: bool = True, columns=COLUMNS, flows=None,
                figures: FigureModel | None = None, reuse: bool = True,
                progress: bool | None = None, chunk: int = 64) -> MonteCarlo:
    """Draw the inputs `draws` times (numpy Generator seeded with `seed`), solve and
    propagate each draw of `network`, and keep the flows `columns` (of `flows`, default all)
    and the headline figures of `figures`. reuse=False refactorises the balance every draw
    (for benchmarks). progress: a stderr progress line (default: when stderr is a terminal).
    flowgraph.uncertainty.monte_carlo takes a Case and supplies its inputs and figures."""
    if draws < 2:
        raise ValueError("draws must be at least 2")
    model = _Model(network, inputs, sigmas=sigmas, columns=columns, flows=flows, reuse=reuse,
                   figures=figures)
    rng = np.random.default_rng(seed)
    V = np.empty((draws, len(model.bound)))
    clipped = {}
    for j, b in enumerate(model.bound):
        V[:, j], clipped[b.name] = b.clip(b.dist.sample(rng, draws))
    bar = Progress(draws, enabled=progress)
    t0 = time.perf_counter()
    try:
        flows_out, figs = model.run(V, progress=bar, chunk=chunk)
    except FlowgraphError as exc:
        raise type(exc)(f"Monte Carlo: {exc}", nodes=exc.nodes, flows=exc.flows,
                        origin=exc.origin) from None
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    nominal_flows, nominal_figs = model.nominal()
    return MonteCarlo(model.bound, V, model.flow_ids, flows_out,
                      [f.name for f in model.figures], [f.unit for f in model.figures], figs,
                      nominal_flows, nominal_figs, seed, reuse, seconds,
                      {k: v for k, v in clipped.items() if v}, model.notes)


# -- first order ------------------------------------------------------------------------------

@dataclass
class FirstOrder:
    """Linear propagation at the inputs' means: Var(f) = sum_j (df/dx_j)^2 Var(x_j) for
    independent inputs; derivatives by central differences."""

    inputs: list
    point: np.ndarray             # input means
    variance: np.ndarray          # input variances
    flow_ids: pd.Index
    values: dict                  # column -> (flows,) at the means
    jacobian: dict                # column -> (flows, inputs)
    figure_names: list
    figure_values: np.ndarray
    figure_jacobian: np.ndarray   # (figures, inputs)

    def sd(self, column: str = "quantity") -> np.ndarray:
        return np.sqrt((self.jacobian[column] ** 2) @ self.variance)

    def figure_sd(self) -> np.ndarray:
        return np.sqrt((self.figure_jacobian ** 2) @ self.variance)

    def table(self, column: str = "quantity") -> pd.DataFrame:
        return pd.DataFrame({"value": self.values[column], "sd": self.sd(column)},
                            index=self.flow_ids.copy())

    def contributions(self, target) -> pd.DataFrame:
        """Per input: df/dx, its variance part (df/dx)^2 Var(x), and its share."""
        if isinstance(target, str):
            if target not in self.figure_names:
                raise ModelError(f"no figure '{target}'")
            J = self.figure_jacobian[self.figure_names.index(target)]
        else:
            fid, col = target
            pos = self.flow_ids.get_indexer([fid])[0]
            if pos < 0 or col not in self.jacobian:
                raise ModelError(f"no recorded ({fid}, {col})")
            J = self.jacobian[col][pos]
        part = J ** 2 * self.variance
        total = part.sum()
        return pd.DataFrame({"derivative": J, "first_order_variance": part,
                             "first_order_share": part / total if total > 0 else np.nan},
                            index=pd.Index([b.name for b in self.inputs], name="input"))


def first_order(network, inputs=None, *, sigmas: bool = True, columns=COLUMNS, flows=None,
                figures: FigureModel | None = None, step: float = STEP) -> FirstOrder:
    """First-order propagation of the inputs' variances (same arguments as monte_carlo)."""
    model = _Model(network, inputs, sigmas=sigmas, columns=columns, flows=flows,
                   figures=figures)
    mu = np.array([b.dist.expectation for b in model.bound])
    var = np.array([b.dist.variance for b in model.bound])
    n = len(mu)
    h = step * np.sqrt(var)
    V = np.repeat(mu[None, :], 2 * n + 1, axis=0)
    V[1 + np.arange(n), np.arange(n)] += h
    V[1 + n + np.arange(n), np.arange(n)] -= h
    for j, b in enumerate(model.bound):
        V[:, j] = b.clip(V[:, j])[0]
    flows_out, figs = model.run(V)
    j = np.arange(n)
    dv = V[1 + j, j] - V[1 + n + j, j]
    safe = np.where(dv != 0, dv, 1.0)

    def jac(a):
        J = (a[1:n + 1] - a[n + 1:]) / safe[:, None]
        J[dv == 0] = 0.0
        return J.T

    return FirstOrder(model.bound, mu, var, model.flow_ids,
                      {col: a[0] for col, a in flows_out.items()},
                      {col: jac(a) for col, a in flows_out.items()},
                      [f.name for f in model.figures], figs[0] if figs.shape[1] else np.zeros(0),
                      jac(figs) if figs.shape[1] else np.zeros((0, n)))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = a.std(), b.std()
    if sa == 0 or sb == 0 or not np.isfinite(sa * sb):
        return float("nan")
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb))


def _ranks(a: np.ndarray) -> np.ndarray:
    order = np.argsort(a, kind="stable")
    r = np.empty(len(a))
    r[order] = np.arange(len(a))
    return r
