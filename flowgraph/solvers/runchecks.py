"""What a run may set a parameter to: what the scenario edit that sets it accepts (the
attribute table's range, a finite number, a magnitude within the bound no plant or park
reaches; docs/attributes.md). Checked for all runs at once; a run that breaks it is refused
with the message the edit gives, after the run's label.
"""

from __future__ import annotations

import numpy as np

from ..errors import FlowgraphError, ModelError
from ..model.scenario import Edit, Scenario
from ..model.schema import BOUND, lookup
from ..model.values import base_scale
from .compiled import Compiled
from .inputs import Bound

#: the network attribute each parameter sets
ATTRIBUTE = {("flow", "ratio"): "per_ratio"}


def limits(bound: list[Bound], c: Compiled) -> np.ndarray:
    """(params, 3): lowest, highest and largest magnitude each parameter may take."""
    out = np.empty((len(bound), 3))
    for j, b in enumerate(bound):
        inp = b.input
        attr = lookup(inp.kind, ATTRIBUTE.get((inp.kind, inp.attribute), inp.attribute))
        unit = None
        if inp.kind == "flow":
            unit = c.pair_unit[c.pair[b.index[0]]]
        elif inp.kind == "carrier":
            unit = c.network.carriers[inp.id].unit
        scale = base_scale(attr, unit) if attr is not None else 1.0
        out[j] = [-np.inf if attr is None or attr.minimum is None else attr.minimum,
                  np.inf if attr is None or attr.maximum is None else attr.maximum,
                  BOUND / scale if scale else np.inf]
    return out


def refused(bound: list[Bound], V: np.ndarray, changed: np.ndarray, labels, lim: np.ndarray,
            network) -> dict:
    """{row: ModelError} of the runs that set a parameter to a value its edit refuses."""
    with np.errstate(invalid="ignore"):
        bad = changed & (~np.isfinite(V) | (V < lim[:, 0]) | (V > lim[:, 1])
                         | (np.abs(V) > lim[:, 2]))
    out = {}
    for d in np.flatnonzero(bad.any(axis=1)):
        j = int(np.flatnonzero(bad[d])[0])
        b, v = bound[j], V[d, j]
        try:
            Scenario("run", [edit_for(b.input, v, network)]).apply_to(network)
            message = f"{b.name} = {v:.6g} is outside [{lim[j, 0]:g}, {lim[j, 1]:g}]"
        except FlowgraphError as exc:
            message = str(exc).split("): ", 1)[-1]
        out[d] = ModelError(f"{labels[d]}{message}", origin=b.input.origin)
    return out


def edit_for(inp, value: float, net) -> Edit:
    """The scenario edit that sets the parameter `inp` to `value` on `net`."""
    v = float(value)
    if inp.kind == "flow" and inp.attribute == "ratio":
        return Edit.set_flow(inp.id, per=(net.flow(inp.id)["per_flow"], v))
    if inp.kind == "flow":
        return Edit.set_flow(inp.id, **{inp.attribute: v})
    if inp.kind == "carrier":
        return Edit.set_carrier(inp.id, **{inp.attribute: v})
    return Edit.set_node(inp.id, **{inp.attribute: v})
