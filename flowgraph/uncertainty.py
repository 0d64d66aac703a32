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

from .app.case import Case
from .plugins.montecarlo import case_inputs
from .solvers import sampling
from .solvers.batch import COLUMNS
from .solvers.distributions import Lognormal, Normal, Triangular, Uniform
from .solvers.inputs import Input, carrier, flow, node
from .solvers.sampling import PERCENTILES, FirstOrder, MonteCarlo

__all__ = ["PERCENTILES", "FirstOrder", "Input", "Lognormal", "MonteCarlo", "Normal",
           "Triangular", "Uniform", "carrier", "case_inputs", "first_order", "flow",
           "monte_carlo", "node"]


def _target(target, inputs, figures: bool):
    """The network, inputs and figure model of a Case (its [[uncertainty.input]] records
    and headline figures) or of a bare Network (no figures)."""
    if isinstance(target, Case):
        return (target.network, case_inputs(target) if inputs is None else inputs,
                target.figure_model() if figures else None)
    return target, inputs, None


def monte_carlo(target, inputs=None, *, figures: bool = True, **options) -> MonteCarlo:
    """Monte Carlo over the uncertain inputs of a Case or Network (solvers.sampling.monte_carlo
    has the options: draws, seed, sigmas, columns, flows, reuse, progress, chunk)."""
    net, inputs, model = _target(target, inputs, figures)
    return sampling.monte_carlo(net, inputs, figures=model, **options)


def first_order(target, inputs=None, *, figures: bool = True, columns=COLUMNS,
                **options) -> FirstOrder:
    """First-order propagation of the inputs' variances (options as monte_carlo)."""
    net, inputs, model = _target(target, inputs, figures)
    return sampling.first_order(net, inputs, figures=model, columns=columns, **options)
