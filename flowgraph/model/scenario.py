"""Scenarios: named lists of edits to a network. Applying one gives a new network.

An edit sets or scales a flow, sets a node or carrier, or adds or removes one. A technology
(synergy plugin) or an improvement measure is a scenario with extra metadata (stage, effect
categories, declared links), kept in `meta`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import FlowgraphError, ModelError

#: record key of a flow's target node in add_flow/set_flow edits (target is the flow id)
TARGET_NODE = "target_node"
OPS = ("set_flow", "scale_flow", "add_flow", "remove_flow", "set_node", "add_node",
       "remove_node", "set_carrier", "add_carrier")


@dataclass(frozen=True)
class Edit:
    """One change: `op` on `target` (a flow, node or carrier id) with `values`."""

    op: str
    target: object = None
    values: Mapping = field(default_factory=dict)

    def __post_init__(self):
        if self.op not in OPS:
            raise ModelError(f"unknown edit '{self.op}'; edits are {', '.join(OPS)}")

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
    def add_carrier(cls, carrier, kind="material", unit="t", **values) -> Edit:
        return cls("add_carrier", carrier, {"kind": kind, "unit": unit, **values})

    # application --------------------------------------------------------------------------
    def apply(self, net) -> None:
        """Apply this edit to `net` in place (Scenario.apply_to works on a copy)."""
        v = dict(self.values)
        if self.op == "set_flow":
            net.set_flow(self.target, **v)
        elif self.op == "scale_flow":
            _scale(net, self.target, float(v["factor"]))
        elif self.op == "add_flow":
            missing = [k for k in ("source", "target", "carrier") if k not in v]
            if missing:
                names = ", ".join("target_node" if k == "target" else k for k in missing)
                raise ModelError(f"add_flow '{self.target}' needs {names} (in a case file the "
                                 f"flow's target node is target_node; target is the flow id)")
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
        """The edit as a plain dict; a flow's target node is written as target_node, since
        target is the id the edit works on."""
        rec = {"op": self.op}
        if self.target is not None:
            rec["target"] = self.target
        for key, value in self.values.items():
            rec[TARGET_NODE if key == "target" else key] = value
        return rec

    @classmethod
    def from_record(cls, rec: Mapping) -> Edit:
        rec = dict(rec)
        op = rec.pop("op", None)
        if op is None:
            raise ModelError(f"an edit needs 'op' (one of {', '.join(OPS)}): {rec}")
        target = rec.pop("target", None)
        if TARGET_NODE in rec:
            rec["target"] = rec.pop(TARGET_NODE)
        return cls(op, target, rec)


def _scale(net, flow, factor: float) -> None:
    rec = net.flow(flow)
    for key in ("quantity", "share", "per_ratio"):
        if rec.get(key) is not None:
            if key == "per_ratio":
                net.set_flow(flow, per=(rec["per_flow"], rec[key] * factor))
            else:
                net.set_flow(flow, **{key: rec[key] * factor})
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
        self.edits = [e if isinstance(e, Edit) else Edit.from_record(e) for e in edits]
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
                raise type(exc)(f"scenario '{self.name}', edit {i} ({edit.op} "
                                f"'{edit.target}'): {exc}", nodes=exc.nodes, flows=exc.flows,
                                origin=exc.origin) from None
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
        edits = rec.pop("edit", rec.pop("edits", []))
        return cls(name, edits, **rec)
