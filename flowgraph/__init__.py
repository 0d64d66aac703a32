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
    UnderdeterminedError,
    UnitError,
)
from .model import Carrier, Edit, Network, Scenario
from .solvers import Result, compare

__version__ = "0.1.0"

__all__ = [
    "AllocationError", "BalanceError", "Carrier", "CaseFileError", "Edit", "ExpressionError",
    "FlowgraphError", "InconsistentError", "ModelError", "Network", "PluginError", "Result",
    "Scenario", "SingularError", "UnderdeterminedError", "UnitError", "__version__", "compare",
    "load", "save",
]


def load(path):
    """Load a case folder (or its case.toml) as a Case; `.network` is the Network."""
    from .io.casefile import load_case
    return load_case(path)


def save(obj, path):
    """Save a Network or Case as a case folder (case.toml plus CSV tables when large)."""
    from .io.casefile import save_case
    return save_case(obj, path)
