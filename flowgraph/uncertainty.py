"""Uncertainty of results, the public face: distributions, uncertain inputs, Monte Carlo and
first-order propagation, sensitivity.

    >>> import flowgraph as fg
    >>> from flowgraph import uncertainty as un
    >>> net = fg.Network("mill")
    >>> _ = net.add_node("market", kind="source"); _ = net.add_node("mill")
    >>> _ = net.add_node("customer", kind="sink"); _ = net.add_node("landfill", kind="sink")
    >>> _ = net.add_flow("market", "mill", "ore", quantity=100, id="ore")
    >>> _ = net.add_flow("mill", "customer", "concentrate", share=0.8, id="product")
    >>> _ = net.add_flow("mill", "landfill", "tailings", role="loss", id="tailings")
    >>> fo = un.first_order(net, [un.flow("ore", "quantity", un.Normal(sd="10%"))])
    >>> round(float(fo.table().at["product", "sd"]), 6)
    8.0
    >>> mc = un.monte_carlo(net, [un.flow("ore", "quantity", un.Normal(sd="10%"))],
    ...                     draws=2000, seed=1, columns=["quantity"])
    >>> bool(7.5 < mc.percentiles().at["product", "sd"] < 8.5)
    True
"""

from .solvers.distributions import Lognormal, Normal, Triangular, Uniform
from .solvers.inputs import Input, carrier, flow, node
from .solvers.sampling import (
    PERCENTILES,
    FirstOrder,
    MonteCarlo,
    case_inputs,
    first_order,
    monte_carlo,
)

__all__ = ["PERCENTILES", "FirstOrder", "Input", "Lognormal", "MonteCarlo", "Normal",
           "Triangular", "Uniform", "carrier", "case_inputs", "first_order", "flow",
           "monte_carlo", "node"]
