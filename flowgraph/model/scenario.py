"""Scenarios: named lists of edits to a network. Applying one gives a new network.

An edit sets or scales a flow, sets a node or carrier, or adds or removes one. A technology
(synergy plugin) or an improvement measure is a scenario with extra metadata (stage, effect
categories, declared links), kept in `meta`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import FlowgraphError, ModelError
from .records import API_KEYS, check_keys
from .schema import is_free, lookup, suggestion
from .values import Place, check_id, check_value, in_range, is_number, number, number_table

OPS = ("set_flow", "scale_flow", "add_flow", "remove_flow", "set_node", "add_node",
       "remove_node", "set_carrier", "add_carrier")
#: the component whose attributes an edit's values are
COMPONENT = {"set_flow": "flow", "add_flow": "flow", "set_node": "node", "add_node": "node",
             "set_carrier": "carrier", "add_carrier": "carrier"}
#: keys an edit's values cannot hold: the item's id or name is the edit's target
FIXED = {"flow": ("id",), "node": ("id",), "carrier": ("name",)}


@dataclass(frozen=True)
class Edit:
    """One change: `op` on `target` (a flow, node or carrier id) with `values`."""

    op: str
    target: object = None
    values: Mapping = field(default_factory=dict)

    def __post_init__(self):
        if self.op not in OPS:
            raise ModelError(f"unknown edit '{self.op}'{suggestion(self.op, OPS)} (edits are "
                             f"{', '.join(OPS)})")
        _check_edit(self)

    # constructors that read like the domain ------------------------------------------------
    @classmethod
    def set_flow(cls, flow, **values) -> Edit:
        return cls("set_flow", flow, values)

    @classmethod
    def scale_flow(cls, flow, factor: float) -> Edit:
        """Multiply a flow's quantity (or share, or recipe ratio) by `factor`."""
        return cls("scale_flow", flow, {"factor": factor})

    @classmethod
    def add_flow(cls, source, target, carrier, **values) -> Edit:
        return cls("add_flow", values.pop("id", None),
                   {"source": source, "target": target, "carrier": carrier, **values})

    @classmethod
    def remove_flow(cls, flow) -> Edit:
        return cls("remove_flow", flow)

    @classmethod
    def set_node(cls, node, **values) -> Edit:
        return cls("set_node", node, values)

    @classmethod
    def add_node(cls, node, kind="process", **values) -> Edit:
        return cls("add_node", node, {"kind": kind, **values})

    @classmethod
    def remove_node(cls, node) -> Edit:
        return cls("remove_node", node)

    @classmethod
    def set_carrier(cls, carrier, **values) -> Edit:
        return cls("set_carrier", carrier, values)

    @classmethod
    def add_carrier(cls, carrier, kind="material", unit=None, **values) -> Edit:
        """Declare a carrier; without a unit it takes the default of its kind."""
        given = {"unit": unit} if unit is not None else {}
        return cls("add_carrier", carrier, {"kind": kind, **given, **values})

    # application --------------------------------------------------------------------------
    def apply(self, net) -> None:
        """Apply this edit to `net` in place (Scenario.apply_to works on a copy)."""
        v = dict(self.values)
        if self.op == "set_flow":
            net.set_flow(self.target, **v)
        elif self.op == "scale_flow":
            _scale(net, self.target, float(v["factor"]))
        elif self.op == "add_flow":
            net.add_flow(v.pop("source"), v.pop("target"), v.pop("carrier"), id=self.target, **v)
        elif self.op == "remove_flow":
            net.remove_flow(self.target)
        elif self.op == "set_node":
            net.set_node(self.target, **v)
        elif self.op == "add_node":
            net.add_node(self.target, **v)
        elif self.op == "remove_node":
            net.remove_node(self.target)
        elif self.op == "set_carrier":
            net.set_carrier(self.target, **v)
        elif self.op == "add_carrier":
            net.add_carrier(self.target, **v)

    def to_record(self) -> dict:
        """The edit as a plain dict: op, target (the edited item) and values. When the values
        hold a flow's target node (add_flow, or set_flow moving a flow), the edited item is
        written as `id` so that the two do not collide."""
        rec = {"op": self.op}
        if self.target is not None:
            moves = self.op == "add_flow" or "target" in self.values
            rec["id" if moves else "target"] = self.target
        rec.update(self.values)
        return rec

    @classmethod
    def from_record(cls, rec: Mapping) -> Edit:
        """An edit from a dict (a [[scenario.edit]] table). The edited item is `target`, or
        `id` when present, in which case `target` is a value: the target node of a flow."""
        if not isinstance(rec, Mapping):
            raise ModelError(f"an edit is a table of op, target and values, not {rec!r}")
        rec = dict(rec)
        op = rec.pop("op", None)
        if op is None:
            raise ModelError(f"an edit needs 'op' (one of {', '.join(OPS)}): {rec}")
        if op == "add_flow":
            # {op = "add_flow", id = flow id, source = node, target = node, carrier = ...}
            missing = [k for k in ("source", "target", "carrier") if k not in rec]
            if missing:
                raise ModelError(f"an add_flow edit needs {', '.join(missing)}: {rec}")
            return cls(op, rec.pop("id", None), rec)
        target = rec.pop("id") if "id" in rec else rec.pop("target", None)
        return cls(op, target, rec)


def _check_edit(edit: Edit) -> None:
    """An edit's target, keys and the values that can be checked without the network:
    refused when the scenario is read, not when it is run."""
    place = Place(f"{edit.op} edit" + ("" if edit.target is None else f" of '{edit.target}'"))
    if edit.target is None and edit.op != "add_flow":
        raise ModelError(f"a {edit.op} edit needs target (the {edit.op.split('_')[1]} it "
                         f"changes)")
    if edit.target is not None:
        check_id(edit.target, "target", place, edit.op.split("_")[1])
    values = dict(edit.values)
    if edit.op == "scale_flow":
        if set(values) - {"factor"}:
            key = next(k for k in values if k != "factor")
            raise place.error(f"unknown key '{key}'{suggestion(key, ['factor'])} (a scale_flow "
                              f"edit has only factor)")
        if "factor" not in values:
            raise place.error("needs factor (the number the flow's quantity, share or recipe "
                              "ratio is multiplied by)")
        factor = number(values["factor"], "factor", place, key=False)
        if factor < 0:
            raise place.error(f"factor {factor:g} is negative; flows run one way")
        return
    component = COMPONENT.get(edit.op)
    if component is None:
        if values:
            raise place.error(f"takes no values, not {', '.join(map(str, values))}")
        return
    check_keys(component, values, place, fixed=FIXED[component])
    for key, value in values.items():
        _check_edit_value(component, key, value, place)


def _check_edit_value(component: str, key, value, place: Place) -> None:
    """Types, finiteness and ranges of one value; units and bounds wait for the network."""
    if value is None or is_free(key) or key in API_KEYS.get(component, ()) \
            or key.startswith("costs."):
        return
    attr = lookup(component, key)
    if attr.type in ("float", "integer"):
        if is_number(value):
            in_range(number(value, key, place), attr, place)
        elif not isinstance(value, str):
            raise place.error(f"{key} must be a number or a number with a unit, not {value!r}")
    elif attr.type == "dict":
        number_table(value, attr, place, scalar_key="mass" if key == "stock" else None)
    else:
        check_value(attr, value, place)


def _scale(net, flow, factor: float) -> None:
    rec = net.flow(flow)
    for key in ("quantity", "share", "per_ratio"):
        if rec.get(key) is not None:
            scaled = float(rec[key]) * float(factor)      # Python floats: inf, no warning
            if not math.isfinite(scaled):
                raise ModelError(f"scaling flow '{flow}': its {key} {rec[key]:g} times "
                                 f"{factor:g} is beyond the largest number", flows=[flow])
            if key == "per_ratio":
                net.set_flow(flow, per=(rec["per_flow"], scaled))
            else:
                net.set_flow(flow, **{key: scaled})
            return
    raise ModelError(f"cannot scale flow '{flow}': it is unknown (solved by the balances); "
                     f"set its quantity or scale the flows that fix it", flows=[flow])


@dataclass
class Scenario:
    """A named list of edits, with free metadata (description, stage, effects, ...)."""

    name: str
    edits: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def __init__(self, name: str, edits: Iterable = (), **meta):
        self.name = name
        self.edits = []
        for i, e in enumerate(edits, 1):
            try:
                self.edits.append(e if isinstance(e, Edit) else Edit.from_record(e))
            except FlowgraphError as exc:
                raise type(exc)(f"scenario '{name}', edit {i}: {exc}", nodes=exc.nodes,
                                flows=exc.flows, origin=exc.origin) from None
        self.meta = dict(meta)

    def __repr__(self) -> str:
        return f"<Scenario '{self.name}': {len(self.edits)} edits>"

    def apply_to(self, net):
        """A copy of `net` with every edit applied; errors name the scenario and edit."""
        new = net.copy()
        new.meta = {**net.meta, "scenario": self.name}
        for i, edit in enumerate(self.edits, 1):
            try:
                edit.apply(new)
            except FlowgraphError as exc:
                err = type(exc)(f"scenario '{self.name}', edit {i} ({edit.op} "
                                f"'{edit.target}'): {exc}", nodes=exc.nodes, flows=exc.flows,
                                origin=exc.origin)
                err.edit = i                    # a reader points to where edit i is given
                raise err from None
        return new

    def __add__(self, other: Scenario) -> Scenario:
        """Both scenarios' edits, this one's first: a combination of measures."""
        return Scenario(f"{self.name} + {other.name}", [*self.edits, *other.edits])

    @staticmethod
    def combine(name: str, scenarios: Iterable[Scenario], **meta) -> Scenario:
        edits = [e for s in scenarios for e in s.edits]
        return Scenario(name, edits, **meta)

    def to_record(self) -> dict:
        return {"name": self.name, **self.meta, "edit": [e.to_record() for e in self.edits]}

    @classmethod
    def from_record(cls, rec: Mapping) -> Scenario:
        rec = dict(rec)
        name = rec.pop("name", None)
        if not name:
            raise ModelError(f"a scenario needs a name: {rec}")
        if isinstance(name, bool) or not isinstance(name, (str, int)):
            raise ModelError(f"a scenario's name must be text, not {name!r}", key="name")
        name = str(name)                    # name = 2030: the scenario '2030'
        edits = rec.pop("edit", rec.pop("edits", []))
        for key, value in rec.items():      # free metadata reaches report tables as floats
            if isinstance(value, int) and abs(value) > sys.float_info.max:
                raise ModelError(f"scenario '{name}': {key} is a number of "
                                 f"{len(str(abs(value)))} digits, beyond the float range "
                                 f"(about 1.8e308)", key=key)
        return cls(name, edits, **rec)
