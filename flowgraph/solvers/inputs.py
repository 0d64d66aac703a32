"""Uncertain inputs: which number of a network a distribution stands for, and where a drawn
value goes in the compiled arrays.

An input names a flow's quantity, share, recipe ratio or price; a carrier's price, standard
coal (tce) or CO2 factor (every flow of the carrier, converted to the flow's unit; a price
only where the flow has none of its own); or a node's own costs, CO2 or tce. In a case
file they are [[uncertainty.input]] records (see docs/methods/uncertainty.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from ..model import units
from ..model.schema import COST_CATEGORIES
from .compiled import Compiled
from .distributions import Normal, from_record
from .specs import KNOWN, PER, SHARE

TARGETS = {
    "flow": ("quantity", "share", "ratio", "price"),
    "carrier": ("price", "tce", "co2"),
    "node": tuple(f"costs.{c}" for c in COST_CATEGORIES) + ("co2", "tce"),
}
#: inputs that change the balance matrix (refactorisation per draw), not just its right side
MATRIX_ARRAYS = ("share", "ratio")
#: the arrays value flow reads (propagation per draw with new origins)
VALUE_ARRAYS = ("price", "tce", "co2", "node_costs", "node_co2", "node_tce")
#: the domain of each array: drawn values outside are clipped to it (and counted)
DOMAIN = {"value": (0.0, None), "share": (0.0, 1.0), "ratio": (0.0, None),
          "tce": (0.0, None), "co2": (0.0, None), "node_co2": (0.0, None),
          "node_tce": (0.0, None)}


@dataclass(frozen=True)
class Input:
    """An uncertain number of a network: kind ('flow', 'carrier', 'node'), the id, the
    attribute (TARGETS) and its distribution (None for a parameter whose values are given,
    as in a sweep)."""

    kind: str
    id: object
    attribute: str
    dist: object = None
    origin: str | None = None

    def __post_init__(self):
        if self.kind not in TARGETS:
            raise ModelError(f"uncertain input: kind must be flow, carrier or node, not "
                             f"{self.kind!r}", origin=self.origin)
        if self.attribute not in TARGETS[self.kind]:
            raise ModelError(f"uncertain input {self.kind} '{self.id}': attribute must be one "
                             f"of {', '.join(TARGETS[self.kind])}, not {self.attribute!r}",
                             origin=self.origin)

    @property
    def key(self) -> tuple:
        return (self.kind, self.id, self.attribute)

    @property
    def name(self) -> str:
        return f"{self.kind} '{self.id}' {self.attribute}"


def flow(id, attribute: str, dist) -> Input:
    """An uncertain quantity, share, ratio or price of a flow."""
    return Input("flow", id, attribute, dist)


def carrier(name: str, attribute: str, dist) -> Input:
    """An uncertain price, tce or co2 factor of a carrier (per carrier unit)."""
    return Input("carrier", name, attribute, dist)


def node(id, attribute: str, dist) -> Input:
    """An uncertain own cost (costs.system, ...), co2 or tce of a node."""
    return Input("node", id, attribute, dist)


@dataclass
class Bound:
    """An input fixed to a compiled network: array[index] = draw x factor."""

    input: Input
    dist: object            # resolved: sample, expectation, variance (None: no distribution)
    array: str              # a Compiled array name
    index: np.ndarray       # positions in it (flows or nodes)
    factor: np.ndarray
    column: int | None      # cost category for node_costs
    nominal: float

    @property
    def name(self) -> str:
        return self.input.name

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.dist.variance))

    def clip(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        lo, hi = DOMAIN.get(self.array, (None, None))
        out = np.clip(values, lo, hi) if lo is not None or hi is not None else values
        return out, int(np.sum(out != values))


def bind(inputs, c: Compiled) -> list[Bound]:
    """Each input resolved against the compiled network; ModelError naming the input when
    its target does not exist or does not have the attribute."""
    bound, seen = [], {}
    positions = {"flow": _positions(c.flow_ids), "node": _positions(c.node_ids)}
    for inp in inputs:
        if inp.key in seen:
            raise ModelError(f"{inp.name} is given twice", origin=inp.origin)
        seen[inp.key] = True
        bound.append(_bind(inp, c, positions))
    return bound


def bind_each(inputs, c: Compiled) -> list:
    """Each input bound to `c`, or None where its target is missing from it (a scenario
    network that removed the flow, say)."""
    positions = {"flow": _positions(c.flow_ids), "node": _positions(c.node_ids)}
    out = []
    for inp in inputs:
        try:
            out.append(_bind(inp, c, positions))
        except ModelError:
            out.append(None)
    return out


def _positions(index) -> dict:
    return dict(zip(index, range(len(index))))


def _bind(inp: Input, c: Compiled, positions: dict) -> Bound:
    where = inp.name

    def fail(msg):
        raise ModelError(f"{where}: {msg}", origin=inp.origin)

    one = np.ones(1)
    if inp.kind == "flow":
        i = positions["flow"].get(inp.id, -1)
        if i < 0:
            fail("no such flow")
        need = {"quantity": (KNOWN, "value", "known quantity"),
                "share": (SHARE, "share", "share"), "ratio": (PER, "ratio", "recipe (per)"),
                "price": (None, "price", "")}[inp.attribute]
        if need[0] is not None and c.spec[i] != need[0]:
            fail(f"the flow has no {need[2]} to vary")
        nominal = float(getattr(c, need[1])[i])
        return Bound(inp, _resolve(inp, nominal), need[1], np.array([i]), one, None, nominal)
    if inp.kind == "carrier":
        car = c.network.carriers.get(inp.id)
        if car is None:
            fail("no such carrier")
        pairs = np.flatnonzero(c.pair_carrier == inp.id)
        idx = np.flatnonzero(np.isin(c.pair, pairs))
        if inp.attribute == "price":
            idx = idx[~np.isin(idx, c.flow_price[0])]
        if not len(idx):
            fail("no flow uses it" + (" without a price of its own" if inp.attribute == "price" else ""))
        per_pair = np.array([units.factor(c.pair_unit[p], car.unit) for p in pairs], dtype=float)
        lookup = np.zeros(len(c.pair_unit))
        lookup[pairs] = per_pair
        factor = lookup[c.pair[idx]]
        nominal = getattr(car, inp.attribute)
        nominal = float(nominal) if nominal is not None else float("nan")
        return Bound(inp, _resolve(inp, nominal), inp.attribute, idx, factor, None, nominal)
    n = positions["node"].get(inp.id, -1)
    if n < 0:
        fail("no such node")
    if inp.attribute.startswith("costs."):
        col = COST_CATEGORIES.index(inp.attribute.split(".", 1)[1])
        nominal = float(c.node_costs[n, col])
        return Bound(inp, _resolve(inp, nominal), "node_costs", np.array([n]), one, col, nominal)
    array = f"node_{inp.attribute}"
    nominal = float(getattr(c, array)[n])
    return Bound(inp, _resolve(inp, nominal), array, np.array([n]), one, None, nominal)


def _resolve(inp: Input, nominal: float):
    if inp.dist is None:                    # a parameter set by hand (a sweep), not drawn
        return None
    try:
        return inp.dist.resolve(None if np.isnan(nominal) else nominal, inp.name)
    except ModelError as exc:
        raise ModelError(str(exc), origin=inp.origin) from None


def apply(c: Compiled, bound: list[Bound], values: np.ndarray) -> Compiled:
    """A copy of `c` (arrays replaced, not mutated) with the inputs set to `values`."""
    changed: dict = {}
    for b, v in zip(bound, values):
        if b.array not in changed:
            changed[b.array] = getattr(c, b.array).copy()
        arr = changed[b.array]
        if b.column is not None:
            arr[b.index, b.column] = v * b.factor
        else:
            arr[b.index] = v * b.factor
    return c.replaced(**changed) if changed else c


def sigma_inputs(c: Compiled) -> list[Input]:
    """Normal inputs from the flows' own sigma (known quantities) and share_sigma (shares)."""
    frame = c.network.flow_frame()
    out = []
    for col, spec, attr, values in (("sigma", KNOWN, "quantity", c.value),
                                    ("share_sigma", SHARE, "share", c.share)):
        sd = frame[col].to_numpy(float)
        for i in np.flatnonzero((sd > 0) & (c.spec == spec)):
            out.append(Input("flow", c.flow_ids[i], attr, Normal(float(values[i]), float(sd[i])),
                             origin=c.origin_of_flow(i) if isinstance(c.origin_of_flow(i), str) else None))
    return out


def merge(explicit: list[Input], defaults: list[Input]) -> list[Input]:
    """The explicit inputs, then the defaults not overridden by one of them."""
    keys = {i.key for i in explicit}
    return list(explicit) + [d for d in defaults if d.key not in keys]


def from_records(records, origins=()) -> list[Input]:
    """Inputs from [[uncertainty.input]] records: one of flow / carrier / node = id,
    attribute, dist and its parameters. Errors name `origins[k]`, where record k is given
    (a case file's line, a workbook's settings cell)."""
    out = []
    for k, rec in enumerate(records):
        origin = origins[k] if k < len(origins) else None
        rec = dict(rec)
        kinds = [key for key in TARGETS if key in rec]
        if len(kinds) != 1:
            raise ModelError("an uncertain input needs exactly one of flow, carrier, node",
                             origin=origin)
        kind = kinds[0]
        target = rec.pop(kind)
        if isinstance(target, bool) or not isinstance(target, (str, int)):
            raise ModelError(f"uncertain input: {kind} = {target!r} is not an id (give the "
                             f"{kind}'s id as text, e.g. {kind} = \"steam\")", origin=origin)
        attribute = rec.pop("attribute", "quantity" if kind == "flow" else None)
        if attribute is None:
            raise ModelError(f"uncertain input {kind} '{target}' needs an attribute "
                             f"({', '.join(TARGETS[kind])})", origin=origin)
        try:
            dist = from_record(rec, f"uncertain input {kind} '{target}' {attribute}")
        except ModelError as exc:
            raise ModelError(str(exc), origin=origin) from None
        out.append(Input(kind, target, attribute, dist, origin=origin))
    return out

