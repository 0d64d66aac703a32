"""flowgraph: material and energy flow networks of plants and industrial parks.

Build a network of nodes and flows, close its balances, propagate cost, standard coal and
CO2 along the flows, and compare scenarios::

    >>> import flowgraph as fg
    >>> net = fg.Network("mill")
    >>> _ = net.add_node("market", kind="source")
    >>> _ = net.add_node("mill")
    >>> _ = net.add_node("customer", kind="sink")
    >>> _ = net.add_node("landfill", kind="sink")
    >>> _ = net.add_flow("market", "mill", "ore", quantity=100, unit="t", price=50)
    >>> _ = net.add_flow("mill", "customer", "concentrate", share=0.8)
    >>> _ = net.add_flow("mill", "landfill", "tailings", role="loss")
    >>> r = net.solve()
    >>> [round(v, 6) for v in r.flows.loc["mill->landfill:tailings", ["quantity", "cost"]]]
    [20.0, 1000.0]
"""

from .app.case import Case, load_case, save_case
from .app.compare import compare_case
from .app.exchange import export as export_case
from .app.periods import Periods, PeriodStock, solve_periods
from .app.study import Study, sweep
from .errors import (
    AllocationError,
    BalanceError,
    CaseFileError,
    ExpressionError,
    FlowgraphError,
    InconsistentError,
    ModelError,
    PluginError,
    SingularError,
    StockError,
    UnderdeterminedError,
    UnitError,
)
from .model import Carrier, Edit, Network, Scenario
from .model.report import Report
from .solvers import Result, Solver, compare
from .solvers.cohorts import Lifetime
from .version import __version__
from .views.graph import GraphView
from .views.notebook import graph_view_repr, network_repr, report_repr, result_repr

__all__ = [
    "AllocationError", "BalanceError", "Carrier", "Case", "CaseFileError", "Edit",
    "ExpressionError", "FlowgraphError", "InconsistentError", "Lifetime", "ModelError", "Network",
    "PeriodStock", "Periods", "PluginError", "Report", "Result", "Scenario", "SingularError",
    "Solver", "StockError", "Study", "UnderdeterminedError", "UnitError", "__version__",
    "compare", "compare_case", "export", "load", "save", "solve_periods", "sweep",
]


def load(path, allow=()) -> Case:
    """Load a case folder (or its case.toml) as a Case: `.network` is the Network, with
    `.scenarios`, `.figures`, the plugin sections, and `.result(scenario)` solved once.
    Files the case names must lie in its folder or in a folder of `allow`."""
    return load_case(path, allow=allow)


def save(obj, path, tables: bool | str = "auto"):
    """Save a Network or Case as a case folder (case.toml plus CSV tables when large);
    returns the case.toml path."""
    return save_case(obj, path, tables=tables)


def export(case, format: str, out, scenario: str | None = None, **options):
    """Write a Case (or a bare Network) solved in another tool's format: xlsx, iamc,
    floweaver, brightway, nodelink or graphml (docs/case-files.md, Exports); returns the
    files written. Options: year (IAMC), measure (floweaver), database (Brightway)."""
    return export_case(case if isinstance(case, Case) else Case(case), format, out, scenario,
                       **options)


# -- conveniences bound at the package face: the model itself imports no solver ----------

def _solve(self: Network, **options) -> Result:
    """Close the balances, then propagate value along the flows; returns a Result (a
    snapshot). A Solver (fg.Solver(net)) keeps the factorisations for further solves."""
    return Solver(self).solve(**options)


def _check(self: Network, **options):
    """Diagnose the balance system without raising: a CheckReport."""
    return Solver(self).check(**options)


def _reconcile(self: Network, **options):
    """Adjust measured quantities (quantity with sigma) and transfer coefficients (share
    with share_sigma) within their uncertainties until the balances close (weighted least
    squares, as STAN does); returns a Reconciliation. See flowgraph.solvers.reconciliation."""
    return Solver(self).reconcile(**options)


Network.solve = _solve
Network.check = _check
Network.reconcile = _reconcile
# notebooks show networks, results, reports and graph views inline (offline HTML)
Network._repr_html_ = network_repr
Result._repr_html_ = result_repr
GraphView._repr_html_ = graph_view_repr
Report._repr_html_ = report_repr
